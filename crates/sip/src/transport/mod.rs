//! Transports: where a message came from and where it goes.
//!
//! The sans-IO layers name a peer with [`Peer`]; the tokio shell in this
//! module owns the sockets (UDP, TCP) and the table of connections, where
//! WebSocket connections (RFC 7118) accepted by the daemon's HTTP listener
//! are attached as message-oriented connections
//! ([`Transports::attach_message_connection`]). TLS plugs in later through
//! the same [`TransportKind`] and connection ids.

use std::fmt;
use std::net::SocketAddr;

/// The kind of transport a message travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP: unreliable, so transactions retransmit.
    Udp,
    /// TCP: reliable, stream framed by Content-Length.
    Tcp,
    /// TLS over TCP (later issue).
    Tls,
    /// WebSocket (RFC 7118): one SIP message per WebSocket message, over
    /// a connection the browser opened.
    Ws,
    /// Secure WebSocket (RFC 7118; the listener comes with TLS).
    Wss,
}

impl TransportKind {
    /// Reliable transports get no retransmissions (RFC 3261 §17).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// The Via transport token.
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
            TransportKind::Ws => "WS",
            TransportKind::Wss => "WSS",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// Identifies one connection of a connection-oriented transport, so that
/// responses and in-dialog requests go back over the socket a peer opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// The far end of a message: transport, address and (for streams) the
/// connection it arrived on or should leave on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The transport.
    pub transport: TransportKind,
    /// The remote address.
    pub addr: SocketAddr,
    /// The connection, for connection-oriented transports; `None` lets the
    /// shell pick or open one.
    pub conn: Option<ConnectionId>,
}

impl Peer {
    /// A UDP peer.
    pub fn udp(addr: SocketAddr) -> Self {
        Self {
            transport: TransportKind::Udp,
            addr,
            conn: None,
        }
    }
}

mod shell;
pub use shell::{
    AttachError, MessageConnection, MessageHandle, SendError, TransportConfig, TransportEvent,
    Transports,
};
