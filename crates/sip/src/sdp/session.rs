//! Our own `o=` line across the offers and answers of one dialog.

use std::net::IpAddr;

use super::model::{Origin, Sdp};

/// The origin Tandem writes on one leg: a fixed session id, and a version
/// that goes up by one each time a description we send differs from the
/// previous one we sent (RFC 3264 §5, §8), and stays put when it does not.
#[derive(Debug, Clone)]
pub struct LocalSession {
    username: String,
    session_id: u64,
    version: u64,
    address: IpAddr,
    last_sent: Option<Sdp>,
}

impl LocalSession {
    /// Username `tandem`, first version 1. Pick a `session_id` below 2^63
    /// (some peers read it as a signed 64-bit number).
    pub fn new(session_id: u64, address: IpAddr) -> Self {
        Self {
            username: "tandem".to_owned(),
            session_id,
            version: 1,
            address,
            last_sent: None,
        }
    }

    /// The session id of `o=`.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The version the last stamped description carried (1 before any).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Writes our `o=` line into `sdp`, incrementing the version if anything
    /// else differs from the previously stamped description. Call it on every
    /// description about to be sent on this leg.
    pub fn stamp(&mut self, sdp: &mut Sdp) {
        sdp.origin = Origin::new(&self.username, self.session_id, self.version, self.address);
        if let Some(last) = &self.last_sent
            && last != sdp
        {
            self.version = self.version.wrapping_add(1);
            sdp.origin.session_version = self.version;
        }
        self.last_sent = Some(sdp.clone());
    }
}
