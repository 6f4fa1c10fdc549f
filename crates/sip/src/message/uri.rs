//! URIs: SIP/SIPS (RFC 3261 §19.1, RFC 5118 for IPv6) and any other absolute
//! URI (`tel:`, unknown schemes) kept opaque.
//!
//! Parsing is strict RFC 3261 §25 grammar with two documented tolerances:
//!
//! - the user part may hold `;`, `?`, `/` and the other `user-unreserved`
//!   characters (RFC 4475 `semiuri`, `intmeth`); it is kept exactly as
//!   written, `%`-escapes included, so `%00` never truncates it;
//! - an IPv6 reference written with the RFC 3261 ABNF bug (RFC 5118 §4.10),
//!   `[2001:db8:::192.0.2.1]`, is read as the address it was meant to be,
//!   `2001:db8::192.0.2.1`, and written back in the correct form.
//!
//! [`Display`](fmt::Display) writes a form that parses back to an equal value.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why a URI did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Nothing to parse.
    #[error("empty URI")]
    Empty,
    /// No `scheme:` prefix.
    #[error("URI has no scheme")]
    MissingScheme,
    /// The scheme is not `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
    #[error("malformed URI scheme")]
    BadScheme,
    /// A `%` not followed by two hex digits.
    #[error("malformed %-escape in URI")]
    BadEscape,
    /// The user part is empty or holds characters RFC 3261 does not allow.
    #[error("malformed URI user part")]
    BadUser,
    /// The password holds characters RFC 3261 does not allow.
    #[error("malformed URI password")]
    BadPassword,
    /// The host is missing or not a hostname / IPv4 address / IPv6 reference.
    #[error("malformed URI host")]
    BadHost,
    /// An IPv6 reference (`[...]`) that is not an IPv6 address.
    #[error("malformed IPv6 reference")]
    BadIpv6,
    /// The port is not a number in 0..=65535.
    #[error("malformed URI port")]
    BadPort,
    /// A URI parameter with an empty name or a character not allowed.
    #[error("malformed URI parameter")]
    BadParam,
    /// A URI header (`?name=value`) that is malformed.
    #[error("malformed URI header")]
    BadHeader,
    /// The part after `scheme:` of a non-SIP URI is empty or holds a
    /// character not allowed in an absolute URI (whitespace, `<`, `"` ...).
    #[error("malformed absolute URI")]
    BadAbsoluteUri,
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
    /// The value, if any. A quoted-string value keeps its quotes.
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

// ---------------------------------------------------------------------------
// Character classes (RFC 3261 §25.1).

/// `unreserved = alphanum / mark`.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

fn is_user_char(b: u8) -> bool {
    is_unreserved(b) || b"&=+$,;?/".contains(&b)
}

fn is_password_char(b: u8) -> bool {
    is_unreserved(b) || b"&=+$,".contains(&b)
}

fn is_param_char(b: u8) -> bool {
    is_unreserved(b) || b"[]/:&+$".contains(&b)
}

fn is_hnv_char(b: u8) -> bool {
    is_unreserved(b) || b"[]/?:+$".contains(&b)
}

/// `uric = reserved / unreserved / escaped`.
fn is_uric(b: u8) -> bool {
    is_unreserved(b) || b";/?:@&=+$,".contains(&b)
}

/// Checks that `s` is non-empty and made of `allowed` characters and
/// well-formed `%HH` escapes.
fn check_escaped(s: &str, allowed: fn(u8) -> bool, err: UriError) -> Result<(), UriError> {
    if s.is_empty() {
        return Err(err);
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return Err(UriError::BadEscape),
            }
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return Err(err);
        }
    }
    Ok(())
}

/// Decodes `%HH` escapes. Input that is not a well-formed escape is kept.
pub fn unescape(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex_val(*c)),
                b.get(i + 2).and_then(|c| hex_val(*c)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Host.

impl Host {
    /// Whether this is the IPv4 limited broadcast address or a multicast
    /// address, which an element must never send a response to blindly.
    pub fn is_broadcast_or_multicast(&self) -> bool {
        match self {
            Host::V4(a) => a.is_broadcast() || a.is_multicast(),
            Host::V6(a) => a.is_multicast(),
            Host::Domain(_) => false,
        }
    }

    /// The IP address, if the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::V4(a),
            IpAddr::V6(a) => Host::V6(a),
        }
    }
}

/// Parses the inside of an IPv6 reference (without brackets), tolerating
/// the RFC 5118 §4.10 three-colon form `hexpart ":::" IPv4address`.
pub(crate) fn parse_ipv6(s: &str) -> Result<Ipv6Addr, UriError> {
    if let Ok(a) = s.parse::<Ipv6Addr>() {
        return Ok(a);
    }
    // The RFC 3261 ABNF allows `2001:db8::` ":" IPv4address, i.e. three
    // colons before an embedded IPv4 address. Read it as the two-colon form.
    if let Some(i) = s.find(":::") {
        let (head, tail) = (&s[..i], &s[i + 3..]);
        if tail.contains('.') && !tail.contains(':') && !head.contains("::") {
            let fixed = format!("{head}::{tail}");
            if let Ok(a) = fixed.parse::<Ipv6Addr>() {
                return Ok(a);
            }
        }
    }
    Err(UriError::BadIpv6)
}

/// Checks RFC 3261 `hostname`: dot-separated labels of alphanumerics and
/// inner hyphens, an optional final dot, the last label starting with a
/// letter.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return false;
    }
    let mut last = "";
    for label in s.split('.') {
        let b = label.as_bytes();
        let (Some(first), Some(end)) = (b.first(), b.last()) else {
            return false;
        };
        // `_` is outside the RFC 3261 grammar but common in deployed host
        // names (internal hosts, SRV-style labels): accepted, so a trunk
        // whose hosts use it is not refused with 400.
        let inner = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
        let edge = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
        if !edge(first) || !edge(end) || !b.iter().all(inner) {
            return false;
        }
        last = label;
    }
    last.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
}

impl FromStr for Host {
    type Err = UriError;

    /// Parses `hostname / IPv4address / IPv6reference` (brackets required
    /// for IPv6).
    fn from_str(s: &str) -> Result<Self, UriError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::BadIpv6)?;
            return parse_ipv6(inner).map(Host::V6);
        }
        if s.is_empty() {
            return Err(UriError::BadHost);
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return s.parse().map(Host::V4).map_err(|_| UriError::BadHost);
        }
        if is_hostname(s) {
            Ok(Host::Domain(s.to_owned()))
        } else {
            Err(UriError::BadHost)
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

// ---------------------------------------------------------------------------
// Params.

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The first parameter with this name (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The value of the first parameter with this name; `None` when it is
    /// absent or has no value (use [`Params::contains`] to tell apart).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|p| p.value.as_deref())
    }

    /// Whether a parameter with this name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets the first parameter with this name to `value` (removing any
    /// later duplicates), or appends it. The value is written as given: the
    /// caller passes a token, host or quoted string.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_owned);
        match self
            .0
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(i) => {
                self.0[i].value = value;
                let mut seen = false;
                self.0.retain(|p| {
                    if p.name.eq_ignore_ascii_case(name) {
                        let keep = !seen;
                        seen = true;
                        keep
                    } else {
                        true
                    }
                });
            }
            None => self.0.push(Param {
                name: name.to_owned(),
                value,
            }),
        }
    }

    /// Removes every parameter with this name and returns the first one.
    pub fn remove(&mut self, name: &str) -> Option<Param> {
        let pos = self
            .0
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))?;
        let first = self.0.remove(pos);
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
        Some(first)
    }

    /// Appends a parameter without looking for an existing one.
    pub fn push(&mut self, name: &str, value: Option<&str>) {
        self.0.push(Param {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
    }

    /// Every parameter, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Param> {
        self.0.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Params {
    /// Writes `;name=value` for each parameter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            f.write_str(";")?;
            f.write_str(&p.name)?;
            if let Some(v) = &p.value {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// SIP URI.

impl SipUri {
    /// `sip:host` with nothing else.
    pub fn new(host: Host) -> Self {
        Self {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// The user part with `%HH` escapes decoded (RFC 3261 §19.1.4). Decoded
    /// bytes that are not UTF-8 become U+FFFD; NUL bytes (`%00`) are kept.
    pub fn user_unescaped(&self) -> Option<Cow<'_, str>> {
        let user = self.user.as_deref()?;
        Some(match unescape(user) {
            Cow::Borrowed(_) => Cow::Borrowed(user),
            Cow::Owned(bytes) => match String::from_utf8(bytes) {
                Ok(s) => Cow::Owned(s),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
        })
    }

    /// The `transport` URI parameter, if any.
    pub fn transport(&self) -> Option<&str> {
        self.params.value("transport")
    }

    /// Parses what follows `sip:` / `sips:`.
    fn parse_after_scheme(secure: bool, s: &str) -> Result<SipUri, UriError> {
        if s.is_empty() {
            return Err(UriError::BadHost);
        }
        // '@' is not allowed unescaped anywhere but as the userinfo
        // delimiter, so the first one ends the userinfo.
        let (userinfo, rest) = match s.find('@') {
            Some(i) => (Some(&s[..i]), &s[i + 1..]),
            None => (None, s),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match ui.find(':') {
                    Some(i) => (&ui[..i], Some(&ui[i + 1..])),
                    None => (ui, None),
                };
                check_escaped(u, is_user_char, UriError::BadUser)?;
                if let Some(p) = p {
                    // The password may be empty (`user:@host`).
                    if !p.is_empty() {
                        check_escaped(p, is_password_char, UriError::BadPassword)?;
                    }
                }
                (Some(u.to_owned()), p.map(str::to_owned))
            }
        };
        // hostport ends at the first ';' or '?'.
        let hp_end = rest.find([';', '?']).unwrap_or(rest.len());
        let (hostport, mut tail) = rest.split_at(hp_end);
        let (host, port) = parse_hostport(hostport)?;

        let mut params = Params::new();
        if let Some(p) = tail.strip_prefix(';') {
            let end = p.find('?').unwrap_or(p.len());
            for item in p[..end].split(';') {
                let (name, value) = match item.find('=') {
                    Some(i) => (&item[..i], Some(&item[i + 1..])),
                    None => (item, None),
                };
                check_escaped(name, is_param_char, UriError::BadParam)?;
                if let Some(v) = value {
                    check_escaped(v, is_param_char, UriError::BadParam)?;
                }
                params.push(name, value);
            }
            tail = &p[end..];
        }
        let mut headers = Vec::new();
        if let Some(h) = tail.strip_prefix('?') {
            for item in h.split('&') {
                let i = item.find('=').ok_or(UriError::BadHeader)?;
                let (name, value) = (&item[..i], &item[i + 1..]);
                check_escaped(name, is_hnv_char, UriError::BadHeader)?;
                if !value.is_empty() {
                    check_escaped(value, is_hnv_char, UriError::BadHeader)?;
                }
                headers.push((name.to_owned(), value.to_owned()));
            }
        } else if !tail.is_empty() {
            return Err(UriError::BadHost);
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }
}

/// Parses `host [ ":" port ]`.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host, Option<u16>), UriError> {
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']').ok_or(UriError::BadIpv6)?;
        let after = &s[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(UriError::BadPort),
        };
        (&s[..=close], port)
    } else {
        match s.find(':') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        }
    };
    let host: Host = host.parse()?;
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

pub(crate) fn parse_port(p: &str) -> Result<u16, UriError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UriError::BadPort);
    }
    p.parse().map_err(|_| UriError::BadPort)
}

impl FromStr for SipUri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, UriError> {
        match s.parse::<Uri>()? {
            Uri::Sip(u) => Ok(u),
            Uri::Absolute(_) => Err(UriError::BadScheme),
        }
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                f.write_str(":")?;
                f.write_str(pw)?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (i, (name, value)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            f.write_str(name)?;
            f.write_str("=")?;
            f.write_str(value)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Uri.

impl Uri {
    /// The SIP/SIPS URI, if it is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Absolute(_) => None,
        }
    }

    /// The scheme: `sip`, `sips`, or as written for other URIs.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Absolute(a) => &a.scheme,
        }
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Self {
        Uri::Sip(u)
    }
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, UriError> {
        if s.is_empty() {
            return Err(UriError::Empty);
        }
        let colon = s.find(':').ok_or(UriError::MissingScheme)?;
        let (scheme, rest) = (&s[..colon], &s[colon + 1..]);
        let sb = scheme.as_bytes();
        if !sb.first().is_some_and(u8::is_ascii_alphabetic)
            || !sb
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        {
            return Err(UriError::BadScheme);
        }
        if scheme.eq_ignore_ascii_case("sip") {
            return SipUri::parse_after_scheme(false, rest).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("sips") {
            return SipUri::parse_after_scheme(true, rest).map(Uri::Sip);
        }
        check_escaped(rest, is_uric, UriError::BadAbsoluteUri)?;
        Ok(Uri::Absolute(AbsoluteUri {
            scheme: scheme.to_owned(),
            rest: rest.to_owned(),
        }))
    }
}

impl fmt::Display for AbsoluteUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.rest)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Absolute(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match s.parse::<Uri>().unwrap() {
            Uri::Sip(u) => u,
            Uri::Absolute(a) => panic!("not sip: {a}"),
        }
    }

    fn roundtrip(s: &str) {
        let u: Uri = s.parse().unwrap();
        let t = u.to_string();
        assert_eq!(t.parse::<Uri>().unwrap(), u, "{s} -> {t}");
    }

    #[test]
    fn full_sip_uri() {
        let u = sip("sips:alice:secret@example.com:5061;transport=tls;lr?Subject=hi&X=");
        assert!(u.secure);
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, Host::Domain("example.com".into()));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport(), Some("tls"));
        assert!(u.params.contains("LR"));
        assert_eq!(u.params.value("lr"), None);
        assert_eq!(
            u.headers,
            vec![("Subject".into(), "hi".into()), ("X".into(), String::new())]
        );
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@example.com:5061;transport=tls;lr?Subject=hi&X="
        );
    }

    #[test]
    fn user_with_semicolon_and_escapes() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(u.user_unescaped().unwrap(), "user;par=u@example.net");
        assert_eq!(u.host, Host::Domain("example.com".into()));
        assert!(u.params.is_empty());
    }

    #[test]
    fn escaped_nul_is_kept() {
        let u = sip("sip:null-%00-null@example.com");
        assert_eq!(u.user.as_deref(), Some("null-%00-null"));
        assert_eq!(u.user_unescaped().unwrap(), "null-\0-null");
        let a = sip("sip:%00@h.example.com");
        let b = sip("sip:%00%00@h.example.com");
        assert_ne!(a, b);
    }

    #[test]
    fn ipv6_hosts() {
        let u = sip("sip:[2001:db8::10:5070]");
        assert_eq!(u.host, Host::V6("2001:db8::10:5070".parse().unwrap()));
        assert_eq!(u.port, None);
        let u = sip("sip:[2001:db8::10]:5070");
        assert_eq!(u.host, Host::V6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.host.to_string(), "[2001:db8::10]");
        // RFC 5118 §4.10: the three-colon form is tolerated.
        let a = sip("sip:user@[2001:db8:::192.0.2.1]");
        let b = sip("sip:user@[2001:db8::192.0.2.1]");
        assert_eq!(a, b);
        // Without brackets, an IPv6 address is not a host.
        assert!("sip:2001:db8::10".parse::<Uri>().is_err());
        assert!("sip:[2001:db8::10".parse::<Uri>().is_err());
        assert!("sip:[::1]x".parse::<Uri>().is_err());
        assert!("sip:[zz::1]".parse::<Uri>().is_err());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            sip("sip:192.0.2.1").host,
            Host::V4(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            sip("sip:a-b.example.com.").host,
            Host::Domain("a-b.example.com.".into())
        );
        // Outside the RFC grammar but deployed: accepted.
        assert_eq!(
            sip("sip:sbc_1.carrier.example").host,
            Host::Domain("sbc_1.carrier.example".into())
        );
        for bad in [
            "sip:",
            "sip:-a.com",
            "sip:a-.com",
            "sip:a..com",
            "sip:1.2.3",
            "sip:256.1.1.1",
            "sip:host:",
            "sip:host:65536",
            "sip:host:12a",
            "sip:user@",
            "sip:@host",
            "sip:us er@host",
            "sip:user@host;",
            "sip:user@host;a=",
            "sip:user@host;a=b c",
            "sip:user@host?",
            "sip:user@host?a",
            "sip:us%zzer@host",
            "sip:us%4@host",
            "sip:user@host>",
        ] {
            assert!(bad.parse::<Uri>().is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn absolute_uris() {
        let u: Uri = "tel:+1-555-0100;phone-context=example.com".parse().unwrap();
        assert_eq!(u.scheme(), "tel");
        assert!(u.as_sip().is_none());
        let u: Uri = "soap.beep://192.0.2.103:3002".parse().unwrap();
        assert_eq!(u.scheme(), "soap.beep");
        assert!(
            "nobodyKnowsThisScheme:totallyopaquecontent"
                .parse::<Uri>()
                .is_ok()
        );
        for bad in [
            "tel:", "1tel:x", "te l:x", "tel:a b", "tel:<x>", "noscheme", ":x", "",
        ] {
            assert!(bad.parse::<Uri>().is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn odd_but_valid_user_and_password() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    #[test]
    fn display_roundtrips() {
        for s in [
            "sip:a@b.example.com",
            "SIP:a@B.example.com:5060;Transport=UDP",
            "sips:[::1]:5061",
            "sip:user@[2001:db8:::192.0.2.1]",
            "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "sip:user:@example.com",
            "im:user@example.com",
        ] {
            roundtrip(s);
        }
    }

    #[test]
    fn params_api() {
        let mut p = Params::new();
        p.set("tag", Some("a"));
        p.push("TAG", Some("b"));
        p.set("lr", None);
        assert_eq!(p.value("Tag"), Some("a"));
        p.set("tag", Some("c"));
        assert_eq!(p.len(), 2);
        assert_eq!(p.to_string(), ";tag=c;lr");
        assert_eq!(p.remove("TAG").unwrap().value.as_deref(), Some("c"));
        assert!(!p.contains("tag"));
        assert!(p.contains("lr"));
        assert!(p.remove("nope").is_none());
    }

    #[test]
    fn unescape_bytes() {
        assert_eq!(&*unescape("a%41%zz%4"), b"aA%zz%4");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
    }
}
