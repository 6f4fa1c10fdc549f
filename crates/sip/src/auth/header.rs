//! The values of `WWW-Authenticate` / `Proxy-Authenticate` (challenges) and
//! `Authorization` / `Proxy-Authorization` (credentials): parsing and
//! formatting (RFC 3261 §25.1 `challenge` / `credentials`, RFC 7616 §3.3-3.4).
//!
//! Everything here works on plain strings, so it does not depend on the rest
//! of the message model.

use std::fmt;
use std::str::FromStr;

/// A digest algorithm token (RFC 7616 §3.3, RFC 8760 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, the RFC 3261 default when the parameter is absent.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (RFC 8760).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
    /// Any other token, as written (for example `AKAv1-MD5`). Unsupported.
    Other(String),
}

/// The hash function behind an [`Algorithm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFn {
    Md5,
    Sha256,
    Sha512_256,
}

impl Algorithm {
    /// Every supported algorithm, strongest first.
    pub const SUPPORTED: [Algorithm; 6] = [
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Md5,
        Algorithm::Md5Sess,
    ];

    /// The wire token.
    pub fn as_str(&self) -> &str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
            Algorithm::Other(s) => s,
        }
    }

    /// Reads a token, case-insensitively.
    pub fn from_token(s: &str) -> Algorithm {
        Algorithm::SUPPORTED
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
            .unwrap_or_else(|| Algorithm::Other(s.to_owned()))
    }

    /// Whether Tandem can compute this algorithm.
    pub fn is_supported(&self) -> bool {
        !matches!(self, Algorithm::Other(_))
    }

    /// A `-sess` variant (RFC 7616 §3.4.2: A1 includes nonce and cnonce).
    pub fn is_session(&self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Strength rank used to pick among several challenges: higher is
    /// stronger, 0 is unsupported. A `-sess` variant ranks with its hash.
    pub fn strength(&self) -> u8 {
        match self.hash_fn() {
            Some(HashFn::Sha512_256) => 3,
            Some(HashFn::Sha256) => 2,
            Some(HashFn::Md5) => 1,
            None => 0,
        }
    }

    pub(crate) fn hash_fn(&self) -> Option<HashFn> {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Some(HashFn::Md5),
            Algorithm::Sha256 | Algorithm::Sha256Sess => Some(HashFn::Sha256),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => Some(HashFn::Sha512_256),
            Algorithm::Other(_) => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A quality-of-protection token (RFC 7616 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: the response covers method and URI.
    Auth,
    /// `auth-int`: the response also covers the body.
    AuthInt,
    /// Any other token, as written.
    Other(String),
}

impl Qop {
    /// The wire token.
    pub fn as_str(&self) -> &str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
            Qop::Other(s) => s,
        }
    }

    /// Reads a token, case-insensitively.
    pub fn from_token(s: &str) -> Qop {
        if s.eq_ignore_ascii_case("auth") {
            Qop::Auth
        } else if s.eq_ignore_ascii_case("auth-int") {
            Qop::AuthInt
        } else {
            Qop::Other(s.to_owned())
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a challenge or credentials value did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthHeaderError {
    /// The value is empty or only whitespace.
    #[error("empty authentication header value")]
    Empty,
    /// No scheme token where one was expected.
    #[error("expected an authentication scheme at offset {0}")]
    ExpectedScheme(usize),
    /// No parameter name where one was expected.
    #[error("expected a parameter name at offset {0}")]
    ExpectedParamName(usize),
    /// A parameter name without `=value`.
    #[error("expected '=' after a parameter name at offset {0}")]
    ExpectedEquals(usize),
    /// A quoted string that never ends.
    #[error("unterminated quoted string starting at offset {0}")]
    UnterminatedQuote(usize),
    /// Something other than `,` or the end after a parameter.
    #[error("unexpected character at offset {0}")]
    UnexpectedChar(usize),
    /// Several challenges where exactly one was expected.
    #[error("several challenges in one value")]
    SeveralChallenges,
    /// A parameter the scheme requires is missing.
    #[error("missing required digest parameter {0}")]
    MissingParam(&'static str),
    /// A parameter has a value of the wrong form (for example `nc`).
    #[error("invalid value for digest parameter {0}")]
    InvalidParam(&'static str),
}

/// One `name=value` parameter kept as received (value unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam {
    /// The name, as written.
    pub name: String,
    /// The value, unquoted and unescaped.
    pub value: String,
    /// Whether the value was a quoted string (kept for faithful output).
    pub quoted: bool,
}

/// A `Digest` challenge (RFC 3261 §20.44, RFC 7616 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    /// The protection space.
    pub realm: String,
    /// `domain`, as written (space-separated URIs).
    pub domain: Option<String>,
    /// The server nonce.
    pub nonce: String,
    /// Opaque data to echo back.
    pub opaque: Option<String>,
    /// `stale=true`: the previous credentials were right, only the nonce was
    /// old.
    pub stale: bool,
    /// `algorithm`, when present (absent means MD5).
    pub algorithm: Option<Algorithm>,
    /// The offered qop values (empty when the parameter is absent: RFC 2069
    /// compatibility mode).
    pub qop: Vec<Qop>,
    /// Any other parameter (`charset`, `userhash`, extensions).
    pub other: Vec<AuthParam>,
}

impl DigestChallenge {
    /// A challenge with the given realm and nonce and nothing else.
    pub fn new(realm: impl Into<String>, nonce: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            domain: None,
            nonce: nonce.into(),
            opaque: None,
            stale: false,
            algorithm: None,
            qop: Vec::new(),
            other: Vec::new(),
        }
    }

    /// The algorithm in force (MD5 when absent, RFC 3261 §22.4).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm.clone().unwrap_or(Algorithm::Md5)
    }
}

/// One challenge: `Digest` or any other scheme (kept raw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A Digest challenge.
    Digest(DigestChallenge),
    /// Any other scheme (`Basic`, `NoOneKnowsThisScheme`, ...).
    Other {
        /// The scheme token, as written.
        scheme: String,
        /// Everything after the scheme, as written.
        params: String,
    },
}

impl Challenge {
    /// Parses every challenge in one header value. SIP puts one challenge
    /// per header line, HTTP allows several separated by commas; both are
    /// accepted.
    pub fn parse_list(value: &str) -> Result<Vec<Challenge>, AuthHeaderError> {
        parse_items(value)?
            .into_iter()
            .map(|item| match item {
                Item::Digest(params) => Ok(Challenge::Digest(digest_challenge(params)?)),
                Item::Other { scheme, raw } => Ok(Challenge::Other {
                    scheme,
                    params: raw,
                }),
            })
            .collect()
    }

    /// The Digest challenge, if this is one.
    pub fn as_digest(&self) -> Option<&DigestChallenge> {
        match self {
            Challenge::Digest(d) => Some(d),
            Challenge::Other { .. } => None,
        }
    }
}

impl FromStr for Challenge {
    type Err = AuthHeaderError;
    /// Parses exactly one challenge.
    fn from_str(s: &str) -> Result<Self, AuthHeaderError> {
        let mut list = Challenge::parse_list(s)?;
        match list.len() {
            1 => Ok(list.remove(0)),
            _ => Err(AuthHeaderError::SeveralChallenges),
        }
    }
}

impl FromStr for DigestChallenge {
    type Err = AuthHeaderError;
    fn from_str(s: &str) -> Result<Self, AuthHeaderError> {
        match s.parse::<Challenge>()? {
            Challenge::Digest(d) => Ok(d),
            Challenge::Other { .. } => Err(AuthHeaderError::ExpectedScheme(0)),
        }
    }
}

/// `Digest` credentials (RFC 3261 §20.7, RFC 7616 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// The user name.
    pub username: String,
    /// The realm being answered.
    pub realm: String,
    /// The server nonce being answered.
    pub nonce: String,
    /// The digest-uri (the Request-URI as the client wrote it).
    pub uri: String,
    /// The response hash, lower-case hex.
    pub response: String,
    /// `algorithm`, when present (absent means MD5).
    pub algorithm: Option<Algorithm>,
    /// The client nonce (present when qop is).
    pub cnonce: Option<String>,
    /// The challenge's opaque value, echoed.
    pub opaque: Option<String>,
    /// The chosen qop (absent in RFC 2069 compatibility mode).
    pub qop: Option<Qop>,
    /// The nonce count (present when qop is).
    pub nc: Option<u32>,
    /// Any other parameter (`userhash`, extensions).
    pub other: Vec<AuthParam>,
}

impl DigestCredentials {
    /// The algorithm in force (MD5 when absent).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm.clone().unwrap_or(Algorithm::Md5)
    }
}

/// One credentials value: `Digest` or any other scheme (kept raw).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Digest credentials.
    Digest(DigestCredentials),
    /// Any other scheme, for example the RFC 4475 `regaut01` message's
    /// `NoOneKnowsThisScheme opaque-data=here`.
    Other {
        /// The scheme token, as written.
        scheme: String,
        /// Everything after the scheme, as written.
        params: String,
    },
}

impl Credentials {
    /// The Digest credentials, if these are.
    pub fn as_digest(&self) -> Option<&DigestCredentials> {
        match self {
            Credentials::Digest(d) => Some(d),
            Credentials::Other { .. } => None,
        }
    }
}

impl FromStr for Credentials {
    type Err = AuthHeaderError;
    fn from_str(s: &str) -> Result<Self, AuthHeaderError> {
        let mut items = parse_items(s)?;
        if items.len() != 1 {
            return Err(AuthHeaderError::SeveralChallenges);
        }
        match items.remove(0) {
            Item::Digest(params) => Ok(Credentials::Digest(digest_credentials(params)?)),
            Item::Other { scheme, raw } => Ok(Credentials::Other {
                scheme,
                params: raw,
            }),
        }
    }
}

impl FromStr for DigestCredentials {
    type Err = AuthHeaderError;
    fn from_str(s: &str) -> Result<Self, AuthHeaderError> {
        match s.parse::<Credentials>()? {
            Credentials::Digest(d) => Ok(d),
            Credentials::Other { .. } => Err(AuthHeaderError::ExpectedScheme(0)),
        }
    }
}

// ---------------------------------------------------------------- formatting

/// Writes `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1).
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// Writes a token as is, or quoted when it is not a valid token (a value
/// that arrived quoted).
fn write_token(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    if !s.is_empty() && s.bytes().all(is_token) {
        f.write_str(s)
    } else {
        write_quoted(f, s)
    }
}

fn write_other(f: &mut fmt::Formatter<'_>, other: &[AuthParam]) -> fmt::Result {
    for p in other {
        write!(f, ", {}=", p.name)?;
        if p.quoted {
            write_quoted(f, &p.value)?;
        } else {
            f.write_str(&p.value)?;
        }
    }
    Ok(())
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest realm=")?;
        write_quoted(f, &self.realm)?;
        if let Some(d) = &self.domain {
            f.write_str(", domain=")?;
            write_quoted(f, d)?;
        }
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        if let Some(a) = &self.algorithm {
            f.write_str(", algorithm=")?;
            write_token(f, a.as_str())?;
        }
        if !self.qop.is_empty() {
            let list: Vec<&str> = self.qop.iter().map(Qop::as_str).collect();
            f.write_str(", qop=")?;
            write_quoted(f, &list.join(","))?;
        }
        write_other(f, &self.other)
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest(d) => d.fmt(f),
            Challenge::Other { scheme, params } if params.is_empty() => f.write_str(scheme),
            Challenge::Other { scheme, params } => write!(f, "{scheme} {params}"),
        }
    }
}

impl fmt::Display for DigestCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest username=")?;
        write_quoted(f, &self.username)?;
        f.write_str(", realm=")?;
        write_quoted(f, &self.realm)?;
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        f.write_str(", uri=")?;
        write_quoted(f, &self.uri)?;
        f.write_str(", response=")?;
        write_quoted(f, &self.response)?;
        if let Some(a) = &self.algorithm {
            f.write_str(", algorithm=")?;
            write_token(f, a.as_str())?;
        }
        if let Some(c) = &self.cnonce {
            f.write_str(", cnonce=")?;
            write_quoted(f, c)?;
        }
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if let Some(q) = &self.qop {
            f.write_str(", qop=")?;
            write_token(f, q.as_str())?;
        }
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        write_other(f, &self.other)
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Digest(d) => d.fmt(f),
            Credentials::Other { scheme, params } if params.is_empty() => f.write_str(scheme),
            Credentials::Other { scheme, params } => write!(f, "{scheme} {params}"),
        }
    }
}

// ------------------------------------------------------------------- parsing

/// One parsed scheme with its parameters.
enum Item {
    Digest(Vec<AuthParam>),
    Other { scheme: String, raw: String },
}

/// RFC 3261 `token` characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_token) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// A quoted string starting at the current `"`; returns it unescaped.
    fn quoted(&mut self) -> Result<String, AuthHeaderError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let bytes = self.s.as_bytes();
        let mut run = self.pos;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    out.push_str(&self.s[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.s[run..self.pos]);
                    // The escaped character may be multi-byte: take the whole
                    // char.
                    let rest = &self.s[self.pos + 1..];
                    match rest.chars().next() {
                        Some(c) => {
                            out.push(c);
                            self.pos += 1 + c.len_utf8();
                        }
                        None => break,
                    }
                    run = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        Err(AuthHeaderError::UnterminatedQuote(start))
    }

    /// An unquoted value: a token, leniently extended to anything up to a
    /// comma or whitespace (some servers send unquoted base64 nonces).
    fn bare(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n' | b'"'))
        {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }
}

/// Parses `scheme params (, scheme params)*`. A new scheme starts where a
/// list element is a token followed by whitespace and something that is not
/// `=`.
fn parse_items(value: &str) -> Result<Vec<Item>, AuthHeaderError> {
    let mut c = Cursor { s: value, pos: 0 };
    let mut items = Vec::new();
    loop {
        c.skip_ws();
        while c.peek() == Some(b',') {
            c.pos += 1;
            c.skip_ws();
        }
        if c.at_end() {
            break;
        }
        let scheme_at = c.pos;
        let scheme = c.token();
        if scheme.is_empty() {
            return Err(AuthHeaderError::ExpectedScheme(scheme_at));
        }
        if scheme.eq_ignore_ascii_case("Digest") {
            let params = parse_params(&mut c)?;
            items.push(Item::Digest(params));
        } else {
            let raw_start = c.pos;
            // Validate and skip the other scheme's parameters (or token68)
            // so that a following challenge is found.
            let end = skip_other(&mut c)?;
            items.push(Item::Other {
                scheme: scheme.to_owned(),
                raw: value[raw_start..end].trim().to_owned(),
            });
        }
    }
    if items.is_empty() {
        return Err(AuthHeaderError::Empty);
    }
    Ok(items)
}

/// Is the cursor at `token LWS* =` (a parameter) rather than a new scheme?
fn at_param(c: &Cursor<'_>) -> bool {
    let mut probe = Cursor { s: c.s, pos: c.pos };
    if probe.token().is_empty() {
        return false;
    }
    probe.skip_ws();
    probe.peek() == Some(b'=')
}

/// Reads `name=value (, name=value)*` until the end or a new scheme.
fn parse_params(c: &mut Cursor<'_>) -> Result<Vec<AuthParam>, AuthHeaderError> {
    let mut params = Vec::new();
    loop {
        c.skip_ws();
        while c.peek() == Some(b',') {
            c.pos += 1;
            c.skip_ws();
        }
        if c.at_end() {
            return Ok(params);
        }
        if !params.is_empty() && !at_param(c) {
            // A new challenge begins here.
            return Ok(params);
        }
        let name_at = c.pos;
        let name = c.token();
        if name.is_empty() {
            return Err(AuthHeaderError::ExpectedParamName(name_at));
        }
        c.skip_ws();
        if c.peek() != Some(b'=') {
            return Err(AuthHeaderError::ExpectedEquals(c.pos));
        }
        c.pos += 1;
        c.skip_ws();
        let (value, quoted) = if c.peek() == Some(b'"') {
            (c.quoted()?, true)
        } else {
            (c.bare().to_owned(), false)
        };
        params.push(AuthParam {
            name: name.to_owned(),
            value,
            quoted,
        });
        c.skip_ws();
        match c.peek() {
            None | Some(b',') => {}
            Some(_) => return Err(AuthHeaderError::UnexpectedChar(c.pos)),
        }
    }
}

/// Skips the parameters (or token68) of an unknown scheme; returns the end
/// offset of what belongs to it.
fn skip_other(c: &mut Cursor<'_>) -> Result<usize, AuthHeaderError> {
    c.skip_ws();
    let mut end = c.pos;
    let mut first = true;
    loop {
        c.skip_ws();
        if c.at_end() {
            return Ok(end);
        }
        if c.peek() == Some(b',') {
            c.pos += 1;
            first = false;
            continue;
        }
        if !first && !at_param(c) {
            return Ok(end);
        }
        first = false;
        // One element: a token68 or name=value; quoted strings are skipped
        // whole.
        while let Some(b) = c.peek() {
            match b {
                b',' => break,
                b'"' => {
                    c.quoted()?;
                }
                _ => c.pos += 1,
            }
        }
        end = c.pos;
    }
}

fn find<'p>(params: &'p [AuthParam], name: &str) -> Option<&'p AuthParam> {
    params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

const CHALLENGE_KNOWN: &[&str] = &[
    "realm",
    "domain",
    "nonce",
    "opaque",
    "stale",
    "algorithm",
    "qop",
];

fn digest_challenge(params: Vec<AuthParam>) -> Result<DigestChallenge, AuthHeaderError> {
    let get = |n| find(&params, n).map(|p| p.value.clone());
    let realm = get("realm").ok_or(AuthHeaderError::MissingParam("realm"))?;
    let nonce = get("nonce").ok_or(AuthHeaderError::MissingParam("nonce"))?;
    let stale = match get("stale") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(AuthHeaderError::InvalidParam("stale")),
    };
    let qop = get("qop")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(Qop::from_token)
                .collect()
        })
        .unwrap_or_default();
    Ok(DigestChallenge {
        realm,
        domain: get("domain"),
        nonce,
        opaque: get("opaque"),
        stale,
        algorithm: get("algorithm").map(|a| Algorithm::from_token(a.trim())),
        qop,
        other: params
            .iter()
            .filter(|p| {
                !CHALLENGE_KNOWN
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&p.name))
            })
            .cloned()
            .collect(),
    })
}

const CREDENTIALS_KNOWN: &[&str] = &[
    "username",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
];

fn digest_credentials(params: Vec<AuthParam>) -> Result<DigestCredentials, AuthHeaderError> {
    let get = |n| find(&params, n).map(|p| p.value.clone());
    let req = |n: &'static str| get(n).ok_or(AuthHeaderError::MissingParam(n));
    let nc = match get("nc") {
        None => None,
        Some(v) => {
            let v = v.trim();
            if v.is_empty() || v.len() > 8 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AuthHeaderError::InvalidParam("nc"));
            }
            Some(u32::from_str_radix(v, 16).map_err(|_| AuthHeaderError::InvalidParam("nc"))?)
        }
    };
    Ok(DigestCredentials {
        username: req("username")?,
        realm: req("realm")?,
        nonce: req("nonce")?,
        uri: req("uri")?,
        response: req("response")?,
        algorithm: get("algorithm").map(|a| Algorithm::from_token(a.trim())),
        cnonce: get("cnonce"),
        opaque: get("opaque"),
        qop: get("qop").map(|q| Qop::from_token(q.trim())),
        nc,
        other: params
            .iter()
            .filter(|p| {
                !CREDENTIALS_KNOWN
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&p.name))
            })
            .cloned()
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3261_challenge() {
        let v = "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth\", \
                 nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5";
        let c: DigestChallenge = v.parse().unwrap();
        assert_eq!(c.realm, "atlanta.com");
        assert_eq!(c.domain.as_deref(), Some("sip:ss1.carrier.com"));
        assert_eq!(c.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
        assert_eq!(c.opaque.as_deref(), Some(""));
        assert!(!c.stale);
        assert_eq!(c.algorithm, Some(Algorithm::Md5));
        assert_eq!(c.qop, vec![Qop::Auth]);
        assert!(c.other.is_empty());
    }

    #[test]
    fn parses_qop_list_and_unknown_params() {
        let c: DigestChallenge =
            "digest nonce=abc/def+==, realm=\"r\", qop=\"auth, auth-int,x-y\", stale=true, \
             algorithm=sha-256-SESS, userhash=true, charset=UTF-8"
                .parse()
                .unwrap();
        assert_eq!(c.nonce, "abc/def+==");
        assert_eq!(
            c.qop,
            vec![Qop::Auth, Qop::AuthInt, Qop::Other("x-y".into())]
        );
        assert!(c.stale);
        assert_eq!(c.algorithm, Some(Algorithm::Sha256Sess));
        assert_eq!(c.other.len(), 2);
        assert_eq!(c.other[0].name, "userhash");
    }

    #[test]
    fn several_challenges_in_one_value() {
        let v = "Digest realm=\"a\", nonce=\"1\", algorithm=SHA-256, \
                 Basic realm=\"x\", Digest realm=\"a\", nonce=\"2\", algorithm=MD5";
        let list = Challenge::parse_list(v).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].as_digest().unwrap().nonce, "1");
        assert_eq!(
            list[1],
            Challenge::Other {
                scheme: "Basic".into(),
                params: "realm=\"x\"".into()
            }
        );
        assert_eq!(list[2].as_digest().unwrap().algorithm, Some(Algorithm::Md5));
        assert_eq!(
            v.parse::<Challenge>(),
            Err(AuthHeaderError::SeveralChallenges)
        );
    }

    #[test]
    fn unknown_scheme_is_other() {
        let c: Credentials = "NoOneKnowsThisScheme opaque-data=here".parse().unwrap();
        assert_eq!(
            c,
            Credentials::Other {
                scheme: "NoOneKnowsThisScheme".into(),
                params: "opaque-data=here".into()
            }
        );
        assert_eq!(c.to_string(), "NoOneKnowsThisScheme opaque-data=here");
        let t: Challenge = "Bearer".parse().unwrap();
        assert_eq!(t.to_string(), "Bearer");
        let t68 =
            Challenge::parse_list("Basic dXNlcjpwYXNz==, Digest realm=\"r\", nonce=\"n\"").unwrap();
        assert_eq!(t68.len(), 2);
    }

    #[test]
    fn credentials_round_trip() {
        let v = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
                 nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", \
                 qop=auth, nc=00000001, cnonce=\"0a4f113b\", \
                 response=\"6629fae49393a05397450978507c4ef1\", \
                 opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
        let c: DigestCredentials = v.parse().unwrap();
        assert_eq!(c.username, "Mufasa");
        assert_eq!(c.nc, Some(1));
        assert_eq!(c.qop, Some(Qop::Auth));
        assert_eq!(c.cnonce.as_deref(), Some("0a4f113b"));
        let again: DigestCredentials = c.to_string().parse().unwrap();
        assert_eq!(again, c);
        assert!(c.to_string().contains(", nc=00000001"));
    }

    #[test]
    fn quoting_escapes() {
        let mut c = DigestChallenge::new("we say \"hi\" \\o/", "n");
        c.qop = vec![Qop::Auth, Qop::AuthInt];
        c.stale = true;
        c.algorithm = Some(Algorithm::Sha256);
        let s = c.to_string();
        assert_eq!(
            s,
            "Digest realm=\"we say \\\"hi\\\" \\\\o/\", nonce=\"n\", stale=true, \
             algorithm=SHA-256, qop=\"auth,auth-int\""
        );
        assert_eq!(s.parse::<DigestChallenge>().unwrap(), c);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!("".parse::<Challenge>(), Err(AuthHeaderError::Empty));
        assert_eq!(
            "Digest realm=\"r".parse::<Challenge>(),
            Err(AuthHeaderError::UnterminatedQuote(13))
        );
        assert_eq!(
            "Digest nonce=\"n\"".parse::<Challenge>(),
            Err(AuthHeaderError::MissingParam("realm"))
        );
        assert_eq!(
            "Digest realm=\"r\" nonce=\"n\"".parse::<Challenge>(),
            Err(AuthHeaderError::UnexpectedChar(17))
        );
        assert_eq!(
            "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", nc=zz"
                .parse::<Credentials>(),
            Err(AuthHeaderError::InvalidParam("nc"))
        );
        assert_eq!(
            "Digest realm=\"r\", nonce=\"n\", stale=maybe".parse::<Challenge>(),
            Err(AuthHeaderError::InvalidParam("stale"))
        );
        assert_eq!(
            "\"x\"".parse::<Challenge>(),
            Err(AuthHeaderError::ExpectedScheme(0))
        );
    }

    /// A cheap stand-in for fuzzing: random strings over the characters
    /// that matter never panic, and whatever parses formats to text that
    /// parses to the same value.
    #[test]
    fn random_input_never_panics_and_round_trips() {
        use rand::{RngExt, SeedableRng};
        let alphabet: Vec<char> =
            "Digest realm nonce qop algorithm stale=\"\\,, \t=auth-int MD5 x\u{e9}"
                .chars()
                .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let words = [
            "Digest ",
            "Basic ",
            "realm=",
            "nonce=",
            "qop=",
            "stale=",
            "algorithm=",
            "opaque=",
            "\"",
            "\\",
            ",",
            ", ",
            " ",
            "\t",
            "=",
            "auth",
            "auth-int",
            "true",
            "MD5",
            "SHA-256",
            "x\u{e9}",
            "abc/+=",
        ];
        let mut parsed = 0;
        for round in 0..20_000 {
            let soup = |rng: &mut rand::rngs::StdRng, n: usize| -> String {
                (0..rng.random_range(0..n))
                    .map(|_| words[rng.random_range(0..words.len())])
                    .collect()
            };
            let s = if round % 2 == 0 {
                soup(&mut rng, 16)
            } else {
                // Structured: Digest with random names and values.
                let names = [
                    "realm",
                    "nonce",
                    "qop",
                    "stale",
                    "algorithm",
                    "opaque",
                    "x-ext",
                ];
                let mut s = String::from("Digest realm=\"r\", nonce=n");
                for _ in 0..rng.random_range(0..5) {
                    let name = names[rng.random_range(0..names.len())];
                    let value = soup(&mut rng, 4);
                    if rng.random_range(0..2) == 0 {
                        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
                        s.push_str(&format!(", {name}=\"{escaped}\""));
                    } else {
                        s.push_str(&format!(",{name} = {value}"));
                    }
                }
                s
            };
            if let Ok(list) = Challenge::parse_list(&s) {
                for c in list {
                    if let Challenge::Digest(d) = c {
                        parsed += 1;
                        let again: DigestChallenge = d.to_string().parse().unwrap();
                        assert_eq!(again, d, "{s:?}");
                    }
                }
            }
            let _ = s.parse::<Credentials>();
        }
        // Also well-formed values with random parameter values.
        for _ in 0..2_000 {
            let v: String = (0..rng.random_range(0..12))
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let mut d = DigestChallenge::new(v.clone(), v.clone());
            d.opaque = Some(v.clone());
            d.algorithm = Some(Algorithm::from_token(&v));
            let again: DigestChallenge = d.to_string().parse().unwrap();
            assert_eq!(again.realm, v);
            assert_eq!(again.opaque.as_deref(), Some(v.as_str()));
            parsed += 1;
        }
        assert!(parsed > 6_000, "{parsed}");
    }

    #[test]
    fn utf8_in_quoted_values() {
        let c: DigestChallenge = "Digest realm=\"caf\u{e9} \\\u{e9}\", nonce=\"n\""
            .parse()
            .unwrap();
        assert_eq!(c.realm, "caf\u{e9} \u{e9}");
    }
}
