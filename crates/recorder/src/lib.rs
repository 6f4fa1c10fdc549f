//! Call recording for Tandem.
//!
//! This crate will hold consent sequencing and the dual-channel WAV writer fed
//! from the media hot loop through a bounded lock-free queue. It is empty until
//! the recording issue lands; nothing here pretends to record yet.
