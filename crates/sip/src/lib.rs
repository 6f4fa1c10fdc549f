//! tandem-sip: SIP for Tandem.
//!
//! Layers follow RFC 3261 §17: [`message`] (parsing, serialisation),
//! [`transaction`] (the four RFC 3261 machines, sans-IO), `dialog`, [`auth`]
//! (digest), [`register`] (outbound registration), [`registrar`]
//! (bindings of the agents that register with us), [`sdp`] (offer/answer) and
//! [`transport`] (framing and the tokio shells).

pub mod auth;
pub mod dialog;
#[doc(hidden)]
pub mod fuzzing;
pub mod message;
pub mod register;
pub mod registrar;
pub mod sdp;
pub mod transaction;
pub mod transport;
