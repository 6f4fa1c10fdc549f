//! The Tandem daemon as a library: configuration, the call controller
//! (a B2BUA), and the server shell that owns sockets, timers and signals.
//! `main.rs` only parses the command line and calls [`server::run`].

pub mod config;
pub mod controller;
pub mod http;
pub mod logging;
pub mod media;
pub mod relay_engine;
pub mod server;
