//! Typed views of the headers Tandem reads: Via, From/To/Contact/Route
//! (name-addr), CSeq.

use std::fmt;
use std::str::FromStr;

use super::method::Method;
use super::uri::{Host, Params, Uri, UriError};

/// Why a header value did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Filled in by the parser.
    #[error("malformed header value: {0}")]
    Malformed(&'static str),
    /// The URI inside did not parse.
    #[error(transparent)]
    Uri(#[from] UriError),
}

/// The transport token of a Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP
    Udp,
    /// TCP
    Tcp,
    /// TLS
    Tls,
    /// SCTP
    Sctp,
    /// WS (RFC 7118)
    Ws,
    /// WSS (RFC 7118)
    Wss,
    /// Any other token, as written.
    Other(String),
}

/// One Via value (RFC 3261 §20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The transport.
    pub transport: Transport,
    /// The sent-by host.
    pub host: Host,
    /// The sent-by port, if written.
    pub port: Option<u16>,
    /// `branch`, `received`, `rport`, `maddr`, `ttl` and any other parameter.
    pub params: Params,
}

/// A name-addr or addr-spec with header parameters: the value of From, To,
/// Contact, Route, Record-Route (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted and unescaped.
    pub display_name: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`, ...), not URI parameters.
    pub params: Params,
}

/// A CSeq value (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number (< 2^31 on send, up to 2^32-1 on receive).
    pub seq: u32,
    /// The method.
    pub method: Method,
}

/// Splits a comma-list header value on commas outside quotes and `<>`.
pub(crate) fn split_list(_v: &str) -> Vec<&str> {
    todo!()
}

macro_rules! placeholder_fromstr {
    ($($t:ty),*) => {$(
        impl FromStr for $t {
            type Err = HeaderError;
            fn from_str(_s: &str) -> Result<Self, HeaderError> { todo!() }
        }
        impl fmt::Display for $t {
            fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result { todo!() }
        }
    )*};
}
placeholder_fromstr!(Via, NameAddr, CSeq);

impl Params {
    /// Sets (or adds) a parameter.
    pub fn set(&mut self, _name: &str, _value: Option<&str>) {
        todo!()
    }
}
impl NameAddr {
    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        todo!()
    }
}
