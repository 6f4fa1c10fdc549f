//! URIs: SIP/SIPS (RFC 3261 §19.1, RFC 5118 for IPv6) and any other absolute
//! URI (`tel:`, unknown schemes) kept opaque.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why a URI did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Filled in by the parser.
    #[error("malformed URI: {0}")]
    Malformed(&'static str),
}

/// A host: domain name, IPv4 or IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name (case preserved, compared case-insensitively by users).
    Domain(String),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address (written in brackets in SIP).
    V6(Ipv6Addr),
}

/// One `;name[=value]` parameter, name and value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The value, if any.
    pub value: Option<String>,
}

/// An ordered parameter list with case-insensitive lookup by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<Param>);

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// The user part, as written (still %-escaped).
    pub user: Option<String>,
    /// The password, as written.
    pub password: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, if written.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params,
    /// URI headers (`?name=value&...`), as written.
    pub headers: Vec<(String, String)>,
}

/// Any other absolute URI (`tel:+15550100`, `im:...`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUri {
    /// The scheme, as written.
    pub scheme: String,
    /// Everything after the first `:`.
    pub rest: String,
}

/// A URI as found in a request line or a name-addr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` / `sips:`.
    Sip(SipUri),
    /// Any other scheme.
    Absolute(AbsoluteUri),
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(_s: &str) -> Result<Self, UriError> {
        todo!()
    }
}
impl fmt::Display for Uri {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!()
    }
}
#[allow(dead_code)]
fn _unused(_: Ipv4Addr, _: Ipv6Addr) {}
