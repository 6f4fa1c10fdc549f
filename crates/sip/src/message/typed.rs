//! Typed views of the headers Tandem reads: Via, From/To/Contact/Route
//! (name-addr), CSeq.
//!
//! Values are parsed from the raw header text after the parser undid line
//! folding, so linear whitespace is only SP and HTAB. The grammar is RFC 3261
//! §25 with its `SWS` around `/ : ; =` and `LWS` between elements (RFC 4475
//! `wsinv`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::method::{Method, is_token_byte};
use super::uri::{Host, Params, Uri, UriError, parse_ipv6, parse_port};

/// Why a header value did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The value is empty (or an empty element of a comma list).
    #[error("empty header value")]
    Empty,
    /// Characters left over after a complete value.
    #[error("unexpected characters after the value")]
    Trailing,
    /// A Via whose sent-protocol is not `SIP/2.0/transport`.
    #[error("Via sent-protocol is not SIP/2.0/<transport>")]
    BadSentProtocol,
    /// A Via without whitespace and a sent-by host after the protocol.
    #[error("Via has no sent-by")]
    MissingSentBy,
    /// A parameter with an empty or non-token name, or a malformed value.
    #[error("malformed parameter")]
    BadParam,
    /// A Via `received` that is not an IP address.
    #[error("Via received is not an IP address")]
    BadReceived,
    /// A Via `rport` that is not a port number.
    #[error("Via rport is not a port number")]
    BadRport,
    /// A Via `ttl` that is not in 0..=255.
    #[error("Via ttl is not in 0..=255")]
    BadTtl,
    /// A Via `maddr` that is not a host.
    #[error("Via maddr is not a host")]
    BadMaddr,
    /// A Via `branch` without a value.
    #[error("Via branch has no value")]
    BadBranch,
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A quoted string holding a character that must be escaped, or an
    /// escape of CR or LF.
    #[error("invalid character in quoted string")]
    BadQuotedString,
    /// A display name that is neither a quoted string nor tokens.
    #[error("malformed display name")]
    BadDisplayName,
    /// A `<` without its `>`.
    #[error("unterminated <URI>")]
    UnterminatedAngle,
    /// An addr-spec without `<>` that holds `?`, `,` or `;` in its URI
    /// (RFC 3261 §20: such URIs must be in angle brackets).
    #[error("URI with headers or parameters must be enclosed in <>")]
    UnbracketedUri,
    /// A CSeq number that is not digits.
    #[error("CSeq number is not a number")]
    BadCSeqNumber,
    /// A CSeq number over 2^32-1.
    #[error("CSeq number over 2^32-1")]
    CSeqTooLarge,
    /// A method that is not a token.
    #[error("method is not a token")]
    BadMethod,
    /// A transport that is not a token.
    #[error("transport is not a token")]
    BadTransport,
    /// A Call-ID that is not `word [ "@" word ]`.
    #[error("malformed Call-ID")]
    BadCallId,
    /// A Max-Forwards that is not digits.
    #[error("Max-Forwards is not a number")]
    BadMaxForwards,
    /// A Date that is not an RFC 1123 date in GMT.
    #[error("Date is not an RFC 1123 date in GMT")]
    BadDate,
    /// `Contact: *` mixed with other values or parameters.
    #[error("Contact * mixed with other values")]
    BadStarContact,
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

/// The RFC 3261 branch prefix (§8.1.1.7).
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

// ---------------------------------------------------------------------------
// A small cursor over ASCII-delimited text. Every stop position is at an
// ASCII byte (or the end), so slices are always on char boundaries.

struct Cur<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cur<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Skips SP / HTAB; returns how many were skipped.
    fn ws(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    fn token(&mut self) -> &'a str {
        self.take_while(is_token_byte)
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    /// A quoted string starting at the cursor (which is on `"`), returned
    /// raw with its quotes.
    fn quoted(&mut self) -> Result<&'a str, HeaderError> {
        let start = self.pos;
        let end = quoted_end(self.s.as_bytes(), start)?;
        self.pos = end;
        Ok(&self.s[start..end])
    }
}

/// Given `b[start] == '"'`, returns the index just past the closing quote,
/// checking RFC 3261 `qdtext` / `quoted-pair`.
fn quoted_end(b: &[u8], start: usize) -> Result<usize, HeaderError> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => match b.get(i + 1) {
                None => return Err(HeaderError::UnterminatedQuote),
                Some(b'\r' | b'\n') => return Err(HeaderError::BadQuotedString),
                Some(c) if *c >= 0x80 => return Err(HeaderError::BadQuotedString),
                Some(_) => i += 2,
            },
            b' ' | b'\t' => i += 1,
            c if c < 0x20 || c == 0x7f => return Err(HeaderError::BadQuotedString),
            _ => i += 1,
        }
    }
    Err(HeaderError::UnterminatedQuote)
}

/// Removes the quotes and undoes `quoted-pair` escapes of a raw quoted
/// string that [`quoted_end`] accepted.
fn unquote(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `s` as a quoted string, escaping what `qdtext` does not allow.
/// CR and LF cannot be carried in a quoted string and are dropped.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '\r' | '\n' => {}
            '"' | '\\' => write!(f, "\\{c}")?,
            '\t' => f.write_str("\t")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\{c}")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Parses `*( SEMI generic-param )` up to the end of the cursor.
/// `gen-value = token / host / quoted-string`. An unquoted value may also
/// hold `:` here (a bare IPv6 `received`, RFC 5118 §4.5); callers reject
/// that where it is not allowed.
fn parse_params(cur: &mut Cur<'_>, params: &mut Params) -> Result<(), HeaderError> {
    loop {
        cur.ws();
        if cur.eof() {
            return Ok(());
        }
        if !cur.eat(b';') {
            return Err(HeaderError::Trailing);
        }
        cur.ws();
        let name = cur.token();
        if name.is_empty() {
            return Err(HeaderError::BadParam);
        }
        cur.ws();
        let value = if cur.eat(b'=') {
            cur.ws();
            Some(gen_value(cur)?)
        } else {
            None
        };
        params.push(name, value);
    }
}

fn gen_value<'a>(cur: &mut Cur<'a>) -> Result<&'a str, HeaderError> {
    match cur.peek() {
        Some(b'"') => cur.quoted(),
        Some(b'[') => {
            let start = cur.pos;
            cur.pos += 1;
            cur.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
            if !cur.eat(b']') {
                return Err(HeaderError::BadParam);
            }
            Ok(&cur.s[start..cur.pos])
        }
        _ => {
            let v = cur.take_while(|b| is_token_byte(b) || b == b':');
            if v.is_empty() {
                Err(HeaderError::BadParam)
            } else {
                Ok(v)
            }
        }
    }
}

/// Splits a comma-list header value on commas outside quotes and `<>`.
/// Elements are trimmed of SP/HTAB; empty elements are kept (as `""`) so
/// that the typed parse of each can reject them.
pub fn split_list(v: &str) -> Vec<&str> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut in_angle = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quote => i += 1,
            b'"' if !in_angle => in_quote = !in_quote,
            b'<' if !in_quote => in_angle = true,
            b'>' if !in_quote => in_angle = false,
            b',' if !in_quote && !in_angle => {
                out.push(v[start..i].trim_matches([' ', '\t']));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(v[start.min(v.len())..].trim_matches([' ', '\t']));
    out
}

// ---------------------------------------------------------------------------
// Transport.

impl Transport {
    /// Maps a token (case-insensitive) to a transport.
    pub fn from_token(s: &str) -> Transport {
        const KNOWN: [(&str, Transport); 6] = [
            ("UDP", Transport::Udp),
            ("TCP", Transport::Tcp),
            ("TLS", Transport::Tls),
            ("SCTP", Transport::Sctp),
            ("WS", Transport::Ws),
            ("WSS", Transport::Wss),
        ];
        KNOWN
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(s))
            .map_or_else(|| Transport::Other(s.to_owned()), |(_, t)| t)
    }

    /// The wire form (upper case for the known ones).
    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }

    /// The default port of a Via sent-by with this transport (RFC 3261
    /// §18.2.2, §19.1.2): 5061 for TLS, 5060 otherwise.
    pub fn default_port(&self) -> u16 {
        match self {
            Transport::Tls => 5061,
            _ => 5060,
        }
    }
}

impl FromStr for Transport {
    type Err = HeaderError;
    fn from_str(s: &str) -> Result<Self, HeaderError> {
        if s.is_empty() || !s.bytes().all(is_token_byte) {
            return Err(HeaderError::BadTransport);
        }
        Ok(Transport::from_token(s))
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// Via.

impl Via {
    /// `SIP/2.0/<transport> host[:port];branch=<branch>`.
    pub fn new(transport: Transport, host: Host, port: Option<u16>, branch: &str) -> Self {
        let mut params = Params::new();
        params.push("branch", Some(branch));
        Self {
            transport,
            host,
            port,
            params,
        }
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// The branch if it is an RFC 3261 one: the magic cookie `z9hG4bK`
    /// followed by at least one more character (RFC 4475 `badbranch` has
    /// the bare cookie).
    pub fn rfc3261_branch(&self) -> Option<&str> {
        self.branch()
            .filter(|b| b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE))
    }

    /// The `received` parameter (brackets around IPv6 tolerated).
    pub fn received(&self) -> Option<IpAddr> {
        self.params.value("received").and_then(parse_ip_param)
    }

    /// `rport` (RFC 3581): `None` absent, `Some(None)` present without a
    /// value (a request asking for it), `Some(Some(p))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        let p = self.params.get("rport")?;
        Some(p.value.as_deref().and_then(|v| v.parse().ok()))
    }

    /// The sent-by port, or the transport's default (5060, 5061 for TLS).
    pub fn sent_by_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.transport.default_port())
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.value("maddr")
    }
}

fn parse_ip_param(v: &str) -> Option<IpAddr> {
    if let Some(inner) = v.strip_prefix('[') {
        return parse_ipv6(inner.strip_suffix(']')?).ok().map(IpAddr::V6);
    }
    if v.contains(':') {
        return parse_ipv6(v).ok().map(IpAddr::V6);
    }
    v.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

impl FromStr for Via {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, HeaderError> {
        let mut cur = Cur::new(s);
        cur.ws();
        if cur.eof() {
            return Err(HeaderError::Empty);
        }
        // sent-protocol = protocol-name SLASH protocol-version SLASH transport
        let name = cur.token();
        cur.ws();
        let slash1 = cur.eat(b'/');
        cur.ws();
        let version = cur.token();
        cur.ws();
        let slash2 = cur.eat(b'/');
        cur.ws();
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || !slash1 || !slash2 {
            return Err(HeaderError::BadSentProtocol);
        }
        let transport: Transport = cur.token().parse()?;
        if cur.ws() == 0 {
            return Err(HeaderError::MissingSentBy);
        }
        // sent-by = host [ COLON port ]
        let host_text = if cur.peek() == Some(b'[') {
            let start = cur.pos;
            cur.take_while(|b| b != b']' && b != b';' && b != b' ' && b != b'\t');
            if !cur.eat(b']') {
                return Err(UriError::BadIpv6.into());
            }
            &s[start..cur.pos]
        } else {
            cur.take_while(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        if host_text.is_empty() {
            return Err(HeaderError::MissingSentBy);
        }
        let host: Host = host_text.parse()?;
        let save = cur.pos;
        cur.ws();
        let port = if cur.eat(b':') {
            cur.ws();
            Some(parse_port(cur.take_while(|b| b.is_ascii_digit()))?)
        } else {
            cur.pos = save;
            None
        };
        let mut params = Params::new();
        parse_params(&mut cur, &mut params)?;
        for p in params.iter() {
            let v = p.value.as_deref();
            let n = p.name.as_str();
            if n.eq_ignore_ascii_case("branch") {
                if v.is_none_or(|v| !v.bytes().all(is_token_byte)) {
                    return Err(HeaderError::BadBranch);
                }
            } else if n.eq_ignore_ascii_case("received") {
                if v.and_then(parse_ip_param).is_none() {
                    return Err(HeaderError::BadReceived);
                }
            } else if n.eq_ignore_ascii_case("rport") {
                if let Some(v) = v {
                    parse_port(v).map_err(|_| HeaderError::BadRport)?;
                }
            } else if n.eq_ignore_ascii_case("ttl") {
                let ok = v.is_some_and(|v| {
                    (1..=3).contains(&v.len())
                        && v.bytes().all(|b| b.is_ascii_digit())
                        && v.parse::<u16>().is_ok_and(|t| t <= 255)
                });
                if !ok {
                    return Err(HeaderError::BadTtl);
                }
            } else if n.eq_ignore_ascii_case("maddr") {
                if v.is_none_or(|v| v.parse::<Host>().is_err()) {
                    return Err(HeaderError::BadMaddr);
                }
            } else if v.is_some_and(|v| v.contains(':') && !v.starts_with(['"', '['])) {
                // Only `received` may carry a bare IPv6 address.
                return Err(HeaderError::BadParam);
            }
        }
        Ok(Via {
            transport,
            host,
            port,
            params,
        })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

// ---------------------------------------------------------------------------
// NameAddr.

impl NameAddr {
    /// `<uri>` with no display name and no parameters.
    pub fn new(uri: Uri) -> Self {
        Self {
            display_name: None,
            uri,
            params: Params::new(),
        }
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }
}

impl From<Uri> for NameAddr {
    fn from(uri: Uri) -> Self {
        NameAddr::new(uri)
    }
}

impl FromStr for NameAddr {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, HeaderError> {
        let mut cur = Cur::new(s);
        cur.ws();
        if cur.eof() {
            return Err(HeaderError::Empty);
        }
        let start = cur.pos;
        let mut display_name = None;
        let mut bracketed = false;
        if cur.peek() == Some(b'"') {
            let raw = cur.quoted()?;
            display_name = Some(unquote(raw));
            cur.ws();
            if cur.peek() != Some(b'<') {
                return Err(HeaderError::BadDisplayName);
            }
            bracketed = true;
        } else {
            // `*(token LWS)` followed by `<`, or else an addr-spec.
            loop {
                if cur.token().is_empty() {
                    break;
                }
                cur.ws();
            }
            if cur.peek() == Some(b'<') {
                let dn = s[start..cur.pos].trim_end_matches([' ', '\t']);
                if !dn.is_empty() {
                    display_name = Some(dn.to_owned());
                }
                bracketed = true;
            } else {
                cur.pos = start;
            }
        }
        let uri = if bracketed {
            cur.eat(b'<');
            let inner = cur.take_while(|b| b != b'>');
            if !cur.eat(b'>') {
                return Err(HeaderError::UnterminatedAngle);
            }
            inner.parse::<Uri>()?
        } else {
            let rest = cur.rest();
            let end = rest.find(';').unwrap_or(rest.len());
            let text = rest[..end].trim_end_matches([' ', '\t']);
            if text.contains(['<', '>', '"']) {
                return Err(HeaderError::BadDisplayName);
            }
            if text.contains(['?', ',']) {
                return Err(HeaderError::UnbracketedUri);
            }
            cur.pos += end;
            text.parse::<Uri>()?
        };
        let mut params = Params::new();
        parse_params(&mut cur, &mut params)?;
        let bad = params.iter().any(|p| match p.value.as_deref() {
            // tag-param = "tag" EQUAL token
            None => p.name.eq_ignore_ascii_case("tag"),
            Some(v) => {
                (v.contains(':') && !v.starts_with(['"', '[']))
                    || (p.name.eq_ignore_ascii_case("tag") && !v.bytes().all(is_token_byte))
            }
        });
        if bad {
            return Err(HeaderError::BadParam);
        }
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }
}

impl fmt::Display for NameAddr {
    /// Always the `name-addr` form: `"display" <uri>;params`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            write_quoted(f, d)?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

// ---------------------------------------------------------------------------
// CSeq.

impl CSeq {
    /// A CSeq value.
    pub fn new(seq: u32, method: Method) -> Self {
        Self { seq, method }
    }
}

impl FromStr for CSeq {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, HeaderError> {
        let mut cur = Cur::new(s);
        cur.ws();
        if cur.eof() {
            return Err(HeaderError::Empty);
        }
        let digits = cur.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err(HeaderError::BadCSeqNumber);
        }
        let seq: u32 = digits.parse().map_err(|_| HeaderError::CSeqTooLarge)?;
        if cur.ws() == 0 {
            return Err(HeaderError::BadCSeqNumber);
        }
        let method = Method::from_token(cur.token()).ok_or(HeaderError::BadMethod)?;
        cur.ws();
        if !cur.eof() {
            return Err(HeaderError::Trailing);
        }
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

// ---------------------------------------------------------------------------
// Single-value checks used by the parser.

/// RFC 3261 `callid = word [ "@" word ]`.
pub(crate) fn check_call_id(v: &str) -> Result<(), HeaderError> {
    // RFC 3261 allows `word ["@" word]`, but deployed stacks put `=` (base64)
    // and similar into Call-IDs; refusing them would refuse real calls. Any
    // run of visible ASCII is accepted: a Call-ID is only ever compared.
    if !v.is_empty() && v.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        Ok(())
    } else {
        Err(HeaderError::BadCallId)
    }
}

/// RFC 3261 `Max-Forwards = 1*DIGIT` (overlarge values are tolerated).
pub(crate) fn check_max_forwards(v: &str) -> Result<(), HeaderError> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(HeaderError::BadMaxForwards)
    }
}

/// RFC 3261 `rfc1123-date`: `wkday "," SP 2DIGIT SP month SP 4DIGIT SP
/// 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"`.
pub(crate) fn check_date(v: &str) -> Result<(), HeaderError> {
    const WKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 29
        && v.is_char_boundary(3)
        && WKDAYS.contains(&&v[..3])
        && &b[3..5] == b", "
        && digits(5..7)
        && b[7] == b' '
        && v.is_char_boundary(8)
        && v.is_char_boundary(11)
        && MONTHS.contains(&&v[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
        && &b[25..] == b" GMT";
    if ok {
        Ok(())
    } else {
        Err(HeaderError::BadDate)
    }
}

/// A Contact header value: `*` alone, or a list of name-addr / addr-spec.
pub(crate) fn check_contact(v: &str) -> Result<(), HeaderError> {
    let items = split_list(v);
    if items.contains(&"*") {
        return if items.len() == 1 {
            Ok(())
        } else {
            Err(HeaderError::BadStarContact)
        };
    }
    for item in items {
        item.parse::<NameAddr>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_list_respects_quotes_and_angles() {
        assert_eq!(
            split_list(r#""a, \"b" <sip:x@y;p=1,2>;q=1 , <sip:z>,,"#),
            vec![r#""a, \"b" <sip:x@y;p=1,2>;q=1"#, "<sip:z>", "", ""]
        );
        assert_eq!(split_list(""), vec![""]);
        assert_eq!(split_list("  a  "), vec!["a"]);
    }

    #[test]
    fn via_with_lws_everywhere() {
        let v: Via = "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw"
            .parse()
            .unwrap();
        assert_eq!(v.transport, Transport::Udp);
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert_eq!(v.rfc3261_branch(), None);
        let v: Via = "SIP  / 2.0  / TCP     spindle.example.com   ;   branch  =   z9hG4bK9ikj8"
            .parse()
            .unwrap();
        assert_eq!(v.transport, Transport::Tcp);
        assert_eq!(v.host, Host::Domain("spindle.example.com".into()));
        assert_eq!(v.rfc3261_branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(v.sent_by_port(), 5060);
        assert_eq!(
            v.to_string(),
            "SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8"
        );
    }

    #[test]
    fn via_params() {
        let v: Via = "SIP/2.0/TLS [2001:db8::9:1]:5071;received=[2001:db8::9:255];rport=7;branch=z9hG4bKx;ttl=16;maddr=224.2.0.1"
            .parse()
            .unwrap();
        assert_eq!(v.port, Some(5071));
        assert_eq!(v.received(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(v.rport(), Some(Some(7)));
        assert_eq!(v.maddr(), Some("224.2.0.1"));
        let v: Via = "SIP/2.0/TLS h.example.com;received=2001:db8::9:255;rport"
            .parse()
            .unwrap();
        assert_eq!(v.received(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.sent_by_port(), 5061);
        let v: Via = "SIP/2.0/UDP h : 5062".parse().unwrap();
        assert_eq!(v.port, Some(5062));
        assert_eq!(v.rport(), None);
    }

    #[test]
    fn bad_vias() {
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP ",
            "SIP/7.0/UDP h",
            "HTTP/2.0/UDP h",
            "SIP/2.0 h",
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0/UDP h;branch",
            "SIP/2.0/UDP h;received=host.example.com",
            "SIP/2.0/UDP h;rport=x",
            "SIP/2.0/UDP h;ttl=256",
            "SIP/2.0/UDP h;maddr=-x",
            "SIP/2.0/UDP h;x=a:b",
            "SIP/2.0/UDP h:99999",
            "SIP/2.0/UDP h junk",
            "SIP/2.0/UDP [::1",
        ] {
            assert!(bad.parse::<Via>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn name_addr_forms() {
        let a: NameAddr = r#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#
            .parse()
            .unwrap();
        assert_eq!(a.display_name.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(a.tag(), Some("98asjd8"));
        let a: NameAddr = "caller<sip:caller@example.com>;tag=323".parse().unwrap();
        assert_eq!(a.display_name.as_deref(), Some("caller"));
        let a: NameAddr = "sip:+19725552222@gw1.example.net;unknownparam"
            .parse()
            .unwrap();
        assert_eq!(a.display_name, None);
        assert!(a.params.contains("unknownparam"));
        assert!(a.uri.as_sip().unwrap().params.is_empty());
        let a: NameAddr = "<sip:+19725552222@gw1.example.net;unknownparam>"
            .parse()
            .unwrap();
        assert!(a.params.is_empty());
        assert!(a.uri.as_sip().unwrap().params.contains("unknownparam"));
        let a: NameAddr = "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\";tag=_token~1'+`*%!-."
            .parse()
            .unwrap();
        assert_eq!(
            a.display_name.as_deref(),
            Some("token1~` token2'+_ token3*%!.-")
        );
        assert_eq!(a.params.value("fromParam''~+*_!.-%"), Some("\"\u{440}\""));
        assert_eq!(a.tag(), Some("_token~1'+`*%!-."));
        let a: NameAddr = "isbn:2983792873".parse().unwrap();
        assert_eq!(a.uri.scheme(), "isbn");
        let a: NameAddr = "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:x@example.com>"
            .parse()
            .unwrap();
        assert_eq!(a.display_name.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
        let again: NameAddr = a.to_string().parse().unwrap();
        assert_eq!(again, a);
    }

    #[test]
    fn bad_name_addrs() {
        for bad in [
            "",
            "\"Mr. J. User <sip:j.user@example.com>",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "<sip:t.watson@example.org",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:joe@example.org>;tag",
            "<sip:joe@example.org>;tag=",
            "<sip:joe@example.org> junk",
            "\"Joe\"sip:joe@example.org",
            "\"a\x01\" <sip:x@y.com>",
        ] {
            assert!(bad.parse::<NameAddr>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn name_addr_display_is_bracketed_and_roundtrips() {
        let a: NameAddr = "sip:a@b.example.com;tag=1".parse().unwrap();
        assert_eq!(a.to_string(), "<sip:a@b.example.com>;tag=1");
        let mut a: NameAddr = "\"Q \\\"x\\\\\" <sip:a@b.example.com>".parse().unwrap();
        assert_eq!(a.display_name.as_deref(), Some("Q \"x\\"));
        a.params.set("tag", Some("t1"));
        assert_eq!(
            a.to_string(),
            "\"Q \\\"x\\\\\" <sip:a@b.example.com>;tag=t1"
        );
        assert_eq!(a.to_string().parse::<NameAddr>().unwrap(), a);
    }

    #[test]
    fn cseq() {
        let c: CSeq = "0009   INVITE".parse().unwrap();
        assert_eq!(c, CSeq::new(9, Method::Invite));
        assert_eq!(c.to_string(), "9 INVITE");
        assert_eq!("4294967295 ACK".parse::<CSeq>().unwrap().seq, u32::MAX);
        assert_eq!(
            "36893488147419103232 REGISTER".parse::<CSeq>(),
            Err(HeaderError::CSeqTooLarge)
        );
        for bad in [
            "",
            "INVITE",
            "1",
            "1INVITE",
            "1 INV ITE",
            "x INVITE",
            "1 IN<VITE",
        ] {
            assert!(bad.parse::<CSeq>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn single_value_checks() {
        assert!(check_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{").is_ok());
        // Outside the RFC grammar but sent by deployed stacks: accepted.
        assert!(check_call_id("a@b@c").is_ok());
        assert!(check_call_id("YWJjZA==@host").is_ok());
        assert!(check_call_id("a b").is_err());
        assert!(check_call_id("").is_err());
        assert!(check_date("Sat, 15 Oct 2005 04:44:56 GMT").is_ok());
        assert!(check_date("Fri, 01 Jan 2010 16:00:00 EST").is_err());
        assert!(check_date("Fri, 01 Jan 2010 16:00:00 GMTX").is_err());
        assert!(check_date("Frí, 01 Jan 2010 16:00:0 GMT").is_err());
        assert!(check_max_forwards("0068").is_ok());
        assert!(check_max_forwards("-1").is_err());
        assert!(check_contact("*").is_ok());
        assert!(check_contact("*, <sip:a@b.com>").is_err());
        assert!(check_contact("<sip:a@b.com>, sip:c@d.com;q=0.5").is_ok());
    }

    #[test]
    fn transports() {
        assert_eq!("udp".parse::<Transport>().unwrap(), Transport::Udp);
        assert_eq!(
            "UNKNOWN".parse::<Transport>().unwrap(),
            Transport::Other("UNKNOWN".into())
        );
        assert!("".parse::<Transport>().is_err());
        assert_eq!(Transport::Wss.to_string(), "WSS");
    }
}
