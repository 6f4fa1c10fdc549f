//! Framing and parsing (RFC 3261 §7, §18.3).
//!
//! Two entry points:
//!
//! - [`parse_message`] (through `Message::parse` / `Message::parse_stream_frame`)
//!   turns one datagram or one stream frame into a [`Message`], validating the
//!   start line strictly and the headers needed to answer (Via, From, To,
//!   Call-ID, CSeq, Max-Forwards, Contact, Date, Content-Length).
//! - [`StreamFramer`] / [`frame_len`] find where a message ends in a stream
//!   (TCP, TLS): the "check" step before the parse.
//!
//! A failed parse returns a [`ParseError`] whose `status` and `echo` let the
//! caller answer a broken request (400, 505, 501) without parsing it again.
//!
//! Nothing here recurses, every loop is linear in the input, and no index is
//! taken without a bound check.

use bytes::Bytes;
use memchr::memmem;

use super::header::{Header, HeaderName, Headers};
use super::method::{Method, is_token_byte};
use super::typed::{self, CSeq, HeaderError, NameAddr, Via, split_list};
use super::uri::{Uri, UriError};
use super::{Message, Request, Response, StatusCode};

/// The largest message Tandem accepts on any transport.
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// UDP: the datagram ends the message.
    Datagram,
    /// TCP/TLS: Content-Length is mandatory.
    Stream,
}

/// What is wrong with a Content-Length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentLengthError {
    /// Not a decimal number.
    #[error("not a number")]
    NotNumeric,
    /// A negative number (RFC 4475 `ncl`); never used as a length.
    #[error("negative")]
    Negative,
    /// Several Content-Length headers with different values (RFC 4475
    /// `mcl01`): framing is lost.
    #[error("several different values")]
    Conflicting,
    /// No Content-Length on a stream transport, where it is mandatory.
    #[error("missing on a stream transport")]
    Missing,
    /// A length that would make the message exceed [`MAX_MESSAGE_LEN`].
    #[error("larger than the message size limit")]
    TooLarge,
    /// More body announced than the datagram or frame holds (RFC 4475
    /// `clerr`).
    #[error("declares {declared} body bytes but only {available} are present")]
    Truncated {
        /// The declared length.
        declared: usize,
        /// The bytes actually present after the header section.
        available: usize,
    },
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Nothing but CRLF (or nothing at all): a keepalive, not a message.
    #[error("empty message")]
    Empty,
    /// Over [`MAX_MESSAGE_LEN`].
    #[error("message of {len} bytes is over the size limit")]
    TooLarge {
        /// The length seen or announced.
        len: usize,
    },
    /// The start line or a header is not UTF-8 (bodies may be anything).
    #[error("header section is not UTF-8")]
    NotUtf8,
    /// A CR or LF that is not part of a CRLF line ending.
    #[error("bare CR or LF on line {line}")]
    BadLineEnding {
        /// 1-based line number (the start line is 1).
        line: usize,
    },
    /// The header section is not closed by an empty line.
    #[error("no empty line after the headers")]
    MissingEmptyLine,
    /// A start line that is neither a request line nor a status line.
    #[error("malformed start line")]
    BadStartLine,
    /// Request-line elements not separated by exactly one SP, or a
    /// trailing SP (RFC 4475 `lwsstart`, `trws`).
    #[error("request line elements must be separated by exactly one SP")]
    RequestLineSpacing,
    /// Whitespace inside the Request-URI (RFC 4475 `lwsruri`).
    #[error("whitespace inside the Request-URI")]
    RequestUriWhitespace,
    /// A Request-URI enclosed in `<>` (RFC 4475 `ltgtruri`).
    #[error("Request-URI enclosed in <>")]
    RequestUriInAngleBrackets,
    /// Escaped headers (`?...`) in a SIP Request-URI (RFC 4475 `escruri`).
    #[error("headers in a SIP Request-URI")]
    RequestUriHeaders,
    /// The Request-URI does not parse.
    #[error("bad Request-URI: {0}")]
    BadRequestUri(UriError),
    /// The method is not a token.
    #[error("method is not a token")]
    BadMethod,
    /// The version is not `SIP/<digits>.<digits>`.
    #[error("malformed SIP version")]
    BadVersion,
    /// A well-formed version other than SIP/2.0 (RFC 4475 `badvers`).
    #[error("SIP version not supported")]
    UnsupportedVersion,
    /// A status code that is not three digits in 100..=699 (RFC 4475
    /// `bigcode`).
    #[error("status code is not three digits in 100..=699")]
    BadStatusCode,
    /// A control character in the reason phrase.
    #[error("control character in the reason phrase")]
    BadReasonPhrase,
    /// A header line without `:`.
    #[error("header line {line} has no colon")]
    MissingColon {
        /// 1-based line number.
        line: usize,
    },
    /// A header name that is not a token.
    #[error("header line {line} has a malformed name")]
    BadHeaderName {
        /// 1-based line number.
        line: usize,
    },
    /// A continuation line (starting with whitespace) before any header.
    #[error("continuation line before the first header")]
    LeadingContinuation,
    /// A header needed to answer the message is malformed.
    #[error("invalid {name} header: {error}")]
    InvalidHeader {
        /// Which header.
        name: HeaderName,
        /// Why.
        error: HeaderError,
    },
    /// A bad Content-Length.
    #[error("Content-Length {0}")]
    ContentLength(ContentLengthError),
    /// The CSeq method differs from the request method (RFC 4475
    /// `mismatch01`, `mismatch02`).
    #[error("CSeq method {cseq} does not match request method {method}")]
    CSeqMethodMismatch {
        /// The request-line method.
        method: Method,
        /// The CSeq method.
        cseq: Method,
    },
    /// Bytes after the body of a stream frame.
    #[error("bytes after the body of a stream frame")]
    TrailingBytes,
}

impl ParseErrorKind {
    /// The status a request with this error is answered with.
    fn request_status(&self) -> Option<u16> {
        match self {
            ParseErrorKind::Empty => None,
            ParseErrorKind::TooLarge { .. } => Some(513),
            ParseErrorKind::UnsupportedVersion => Some(505),
            ParseErrorKind::CSeqMethodMismatch {
                method: Method::Extension(_),
                ..
            } => Some(501),
            _ => Some(400),
        }
    }
}

/// A message that could not be parsed, with what is needed to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// For a request: the raw Via, From, To, Call-ID and CSeq header lines
    /// that could be read (UTF-8, no control characters), in wire order, so
    /// that an error response can be built. `None` for responses, and for
    /// requests where not even one Via could be read (nowhere to answer).
    pub echo: Option<Vec<Header>>,
    /// Status to answer with (400, 505, 501, 513); `None` for responses and
    /// for requests that cannot be answered (`echo` is `None`).
    pub status: Option<u16>,
}

impl ParseError {
    fn new(kind: ParseErrorKind, msg: &[u8]) -> Self {
        let echo = scan_echo(msg);
        let status = echo.as_ref().and_then(|_| kind.request_status());
        ParseError { kind, echo, status }
    }

    /// The error response to send back, when the message was a request that
    /// can be answered: the status with its default reason phrase, the echo
    /// headers, and a To tag derived from the request (the same for every
    /// retransmission, RFC 3261 §16.11).
    pub fn to_response(&self) -> Option<Response> {
        let status = StatusCode::new(self.status?)?;
        let echo = self.echo.as_ref()?;
        let mut resp = Response::new(status);
        for h in echo {
            resp.headers.push(h.clone());
        }
        super::validate::add_stateless_to_tag(&mut resp.headers);
        Some(resp)
    }
}

// ---------------------------------------------------------------------------
// Helpers.

const WSP: [char; 2] = [' ', '\t'];

/// Number of bytes of leading CRLF pairs.
fn leading_crlf(buf: &[u8]) -> usize {
    let mut n = 0;
    while buf.get(n..n + 2) == Some(b"\r\n") {
        n += 2;
    }
    n
}

fn is_status_line(msg: &[u8]) -> bool {
    msg.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

fn trim_bytes(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

fn parse_content_length(v: &[u8]) -> Result<usize, ContentLengthError> {
    let v = trim_bytes(v);
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if let Some(rest) = v.strip_prefix(b"-") {
        return Err(if digits(rest) {
            ContentLengthError::Negative
        } else {
            ContentLengthError::NotNumeric
        });
    }
    if !digits(v) {
        return Err(ContentLengthError::NotNumeric);
    }
    // Leading zeros are legal; only the significant digits can overflow.
    let sig = v
        .iter()
        .position(|b| *b != b'0')
        .map_or(&v[v.len()..], |i| &v[i..]);
    if sig.len() > 6 {
        return Err(ContentLengthError::TooLarge);
    }
    let n = sig
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    if n > MAX_MESSAGE_LEN {
        return Err(ContentLengthError::TooLarge);
    }
    Ok(n)
}

fn merge_content_length(acc: &mut Option<usize>, v: &[u8]) -> Result<(), ContentLengthError> {
    let n = parse_content_length(v)?;
    match *acc {
        Some(prev) if prev != n => Err(ContentLengthError::Conflicting),
        _ => {
            *acc = Some(n);
            Ok(())
        }
    }
}

/// Finds the Content-Length of a raw header section (start line included,
/// no empty line), for stream framing. Folded values are handled.
fn scan_content_length(head: &[u8]) -> Result<Option<usize>, ContentLengthError> {
    let mut acc = None;
    let mut current: Option<Vec<u8>> = None;
    for line in head.split(|b| *b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let [b' ' | b'\t', ..] = line {
            if let Some(v) = current.as_mut() {
                v.push(b' ');
                v.extend_from_slice(trim_bytes(line));
            }
            continue;
        }
        if let Some(v) = current.take() {
            merge_content_length(&mut acc, &v)?;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = trim_bytes(&line[..colon]);
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            current = Some(line[colon + 1..].to_vec());
        }
    }
    if let Some(v) = current.take() {
        merge_content_length(&mut acc, &v)?;
    }
    Ok(acc)
}

/// Best-effort read of the headers needed to answer a broken request. Runs
/// only on the error path.
fn scan_echo(msg: &[u8]) -> Option<Vec<Header>> {
    if is_status_line(msg) {
        return None;
    }
    let end = memmem::find(msg, b"\r\n\r\n").unwrap_or(msg.len());
    let head = &msg[..end];
    let mut out = Vec::new();
    let mut current: Option<(HeaderName, Vec<u8>)> = None;
    let flush = |current: &mut Option<(HeaderName, Vec<u8>)>, out: &mut Vec<Header>| {
        if let Some((name, value)) = current.take()
            && let Ok(value) = String::from_utf8(value)
            && !value.chars().any(|c| c.is_control() && c != '\t')
        {
            out.push(Header { name, value });
        }
    };
    for line in head.split(|b| *b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let [b' ' | b'\t', ..] = line {
            if let Some((_, v)) = current.as_mut() {
                let more = trim_bytes(line);
                if !more.is_empty() {
                    v.push(b' ');
                    v.extend_from_slice(more);
                }
            }
            continue;
        }
        flush(&mut current, &mut out);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(trim_bytes(&line[..colon])) else {
            continue;
        };
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            continue;
        }
        let name = HeaderName::from_name(name);
        if matches!(
            name,
            HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq
        ) {
            current = Some((name, trim_bytes(&line[colon + 1..]).to_vec()));
        }
    }
    flush(&mut current, &mut out);
    out.iter().any(|h| h.name == HeaderName::Via).then_some(out)
}

// ---------------------------------------------------------------------------
// Start line.

enum StartLine {
    Request(Method, Uri),
    Response(StatusCode, String),
}

fn check_version(v: &str) -> Result<(), ParseErrorKind> {
    if v.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    let b = v.as_bytes();
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    match b.get(..4) {
        Some(p) if p.eq_ignore_ascii_case(b"SIP/") => {
            let rest = &b[4..];
            match rest.iter().position(|c| *c == b'.') {
                Some(i) if digits(&rest[..i]) && digits(&rest[i + 1..]) => {
                    Err(ParseErrorKind::UnsupportedVersion)
                }
                _ => Err(ParseErrorKind::BadVersion),
            }
        }
        _ => Err(ParseErrorKind::BadVersion),
    }
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseErrorKind> {
    if is_status_line(line.as_bytes()) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = line.split_once(' ').ok_or(ParseErrorKind::BadStartLine)?;
        check_version(version)?;
        // Tolerated: no SP after the code when the reason phrase is empty.
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseErrorKind::BadStatusCode);
        }
        let status = code
            .parse()
            .ok()
            .and_then(StatusCode::new)
            .ok_or(ParseErrorKind::BadStatusCode)?;
        if reason.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ParseErrorKind::BadReasonPhrase);
        }
        return Ok(StartLine::Response(status, reason.to_owned()));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    let (Some(sp1), Some(sp2)) = (line.find(' '), line.rfind(' ')) else {
        return Err(ParseErrorKind::BadStartLine);
    };
    if sp1 == sp2 {
        return Err(ParseErrorKind::BadStartLine);
    }
    let (method, uri, version) = (&line[..sp1], &line[sp1 + 1..sp2], &line[sp2 + 1..]);
    if method.is_empty() || version.is_empty() || uri.starts_with(' ') || uri.ends_with(' ') {
        return Err(ParseErrorKind::RequestLineSpacing);
    }
    let method = Method::from_token(method).ok_or(ParseErrorKind::BadMethod)?;
    check_version(version)?;
    if uri.contains(WSP) {
        return Err(ParseErrorKind::RequestUriWhitespace);
    }
    if uri.starts_with('<') {
        return Err(ParseErrorKind::RequestUriInAngleBrackets);
    }
    let uri: Uri = uri.parse().map_err(ParseErrorKind::BadRequestUri)?;
    if uri.as_sip().is_some_and(|u| !u.headers.is_empty()) {
        return Err(ParseErrorKind::RequestUriHeaders);
    }
    Ok(StartLine::Request(method, uri))
}

// ---------------------------------------------------------------------------
// Message.

/// Checks the value of a header Tandem needs to answer the message.
fn validate_header(h: &Header) -> Result<(), HeaderError> {
    match h.name {
        HeaderName::Via => {
            for v in split_list(&h.value) {
                v.parse::<Via>()?;
            }
            Ok(())
        }
        HeaderName::From | HeaderName::To => h.value.parse::<NameAddr>().map(drop),
        HeaderName::Contact => typed::check_contact(&h.value),
        HeaderName::CallId => typed::check_call_id(&h.value),
        HeaderName::MaxForwards => typed::check_max_forwards(&h.value),
        HeaderName::Date => typed::check_date(&h.value),
        _ => Ok(()),
    }
}

pub(crate) fn parse_message(buf: &[u8], framing: Framing) -> Result<Message, ParseError> {
    let msg = &buf[leading_crlf(buf)..];
    if msg.is_empty() {
        return Err(ParseError {
            kind: ParseErrorKind::Empty,
            echo: None,
            status: None,
        });
    }
    parse_inner(msg, framing).map_err(|kind| ParseError::new(kind, msg))
}

fn parse_inner(msg: &[u8], framing: Framing) -> Result<Message, ParseErrorKind> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(ParseErrorKind::TooLarge { len: msg.len() });
    }
    let (head, body_start, terminated) = match memmem::find(msg, b"\r\n\r\n") {
        Some(i) => (&msg[..i + 2], i + 4, true),
        None if framing == Framing::Datagram => (msg, msg.len(), false),
        None => return Err(ParseErrorKind::MissingEmptyLine),
    };
    let head = std::str::from_utf8(head).map_err(|_| ParseErrorKind::NotUtf8)?;

    let mut lines = head.split("\r\n").enumerate();
    let start = match lines.next() {
        Some((_, l)) if memchr::memchr2(b'\r', b'\n', l.as_bytes()).is_some() => {
            return Err(ParseErrorKind::BadLineEnding { line: 1 });
        }
        Some((_, l)) => parse_start_line(l)?,
        None => return Err(ParseErrorKind::BadStartLine),
    };

    let mut headers: Vec<Header> = Vec::with_capacity(16);
    for (idx, line) in lines {
        let lineno = idx + 1;
        if line.is_empty() {
            // Only the piece after the last CRLF can be empty.
            continue;
        }
        if memchr::memchr2(b'\r', b'\n', line.as_bytes()).is_some() {
            return Err(ParseErrorKind::BadLineEnding { line: lineno });
        }
        if line.starts_with(WSP) {
            // Folding (RFC 3261 §7.3.1): the CRLF and leading whitespace of
            // the continuation become one SP.
            let last = headers
                .last_mut()
                .ok_or(ParseErrorKind::LeadingContinuation)?;
            let more = line.trim_matches(WSP);
            if !more.is_empty() {
                let keep = last.value.trim_end_matches(WSP).len();
                last.value.truncate(keep);
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(more);
            }
            continue;
        }
        let colon = line
            .find(':')
            .ok_or(ParseErrorKind::MissingColon { line: lineno })?;
        let name = line[..colon].trim_end_matches(WSP);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseErrorKind::BadHeaderName { line: lineno });
        }
        headers.push(Header {
            name: HeaderName::from_name(name),
            value: line[colon + 1..].trim_matches(WSP).to_owned(),
        });
    }

    let mut content_length = None;
    for h in &headers {
        if h.name == HeaderName::ContentLength {
            merge_content_length(&mut content_length, h.value.as_bytes())
                .map_err(ParseErrorKind::ContentLength)?;
            continue;
        }
        if h.name == HeaderName::CSeq {
            let cseq: CSeq = h
                .value
                .parse()
                .map_err(|error| ParseErrorKind::InvalidHeader {
                    name: HeaderName::CSeq,
                    error,
                })?;
            if let StartLine::Request(method, _) = &start
                && cseq.method != *method
            {
                return Err(ParseErrorKind::CSeqMethodMismatch {
                    method: method.clone(),
                    cseq: cseq.method,
                });
            }
            continue;
        }
        validate_header(h).map_err(|error| ParseErrorKind::InvalidHeader {
            name: h.name.clone(),
            error,
        })?;
    }
    if !terminated {
        return Err(ParseErrorKind::MissingEmptyLine);
    }

    let available = msg.len() - body_start;
    let body_len = match (framing, content_length) {
        (Framing::Datagram, None) => available,
        (Framing::Stream, None) => {
            return Err(ParseErrorKind::ContentLength(ContentLengthError::Missing));
        }
        (_, Some(n)) if n > available => {
            return Err(ParseErrorKind::ContentLength(
                ContentLengthError::Truncated {
                    declared: n,
                    available,
                },
            ));
        }
        (Framing::Stream, Some(n)) if n < available => return Err(ParseErrorKind::TrailingBytes),
        (_, Some(n)) => n,
    };
    let body = Bytes::copy_from_slice(&msg[body_start..body_start + body_len]);
    let headers: Headers = headers.into_iter().collect();
    Ok(match start {
        StartLine::Request(method, uri) => Message::Request(Request {
            method,
            uri,
            headers,
            body,
        }),
        StartLine::Response(status, reason) => Message::Response(Response {
            status,
            reason,
            headers,
            body,
        }),
    })
}

// ---------------------------------------------------------------------------
// Stream framing.

/// One unit cut from the front of a stream buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// `len` bytes of CRLF before a start line (RFC 3261 §7.5 says to ignore
    /// them; RFC 5626 §4.4.1 gives them meaning): a run of 4 or more is a
    /// keepalive ping (answer with one CRLF), a lone CRLF is a pong. Drop
    /// these bytes; do not parse them.
    Keepalive {
        /// Number of bytes (always even).
        len: usize,
    },
    /// `len` bytes holding exactly one message: pass them to
    /// `Message::parse_stream_frame`.
    Message {
        /// Number of bytes.
        len: usize,
    },
}

impl Frame {
    /// Bytes to remove from the front of the buffer.
    pub fn size(self) -> usize {
        match self {
            Frame::Keepalive { len } | Frame::Message { len } => len,
        }
    }

    /// A double-CRLF keepalive ping (RFC 5626 §4.4.1) that wants a CRLF pong.
    pub fn is_ping(self) -> bool {
        matches!(self, Frame::Keepalive { len } if len >= 4)
    }
}

/// Incremental stream framing that remembers how far it has searched, so
/// that a message delivered a few bytes at a time costs linear, not
/// quadratic, work.
///
/// Contract: pass the same buffer each time, with new bytes appended at the
/// end, until a frame is returned; then remove [`Frame::size`] bytes from the
/// front and go on. Call [`StreamFramer::reset`] if the buffer is replaced.
#[derive(Debug, Clone, Default)]
pub struct StreamFramer {
    /// Bytes already searched for the end of the header section.
    scanned: usize,
    /// Total length of the message once its header section was read.
    total: Option<usize>,
}

impl StreamFramer {
    /// A framer at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets any partial progress.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The check step: `Ok(None)` when more bytes are needed, `Ok(Some(f))`
    /// when the front of `buf` is a whole frame. An error means framing is
    /// lost: answer with [`ParseError::to_response`] if it gives one, then
    /// close the connection.
    pub fn next_frame(&mut self, buf: &[u8]) -> Result<Option<Frame>, ParseError> {
        if let Some(total) = self.total {
            if buf.len() >= total {
                self.reset();
                return Ok(Some(Frame::Message { len: total }));
            }
            return Ok(None);
        }
        let crlf = leading_crlf(buf);
        if crlf > 0 {
            self.reset();
            return Ok(Some(Frame::Keepalive { len: crlf }));
        }
        if buf.len() < 4 {
            return Ok(None);
        }
        let from = self.scanned.saturating_sub(3).min(buf.len());
        let Some(i) = memmem::find(&buf[from..], b"\r\n\r\n") else {
            if buf.len() > MAX_MESSAGE_LEN {
                self.reset();
                return Err(ParseError::new(
                    ParseErrorKind::TooLarge { len: buf.len() },
                    buf,
                ));
            }
            self.scanned = buf.len();
            return Ok(None);
        };
        let body_start = from + i + 4;
        let fail = |kind| ParseError::new(kind, buf);
        let cl = scan_content_length(&buf[..from + i + 2])
            .map_err(|e| fail(ParseErrorKind::ContentLength(e)))?
            .ok_or_else(|| fail(ParseErrorKind::ContentLength(ContentLengthError::Missing)))?;
        let total = body_start + cl;
        if total > MAX_MESSAGE_LEN {
            self.reset();
            return Err(fail(ParseErrorKind::TooLarge { len: total }));
        }
        if buf.len() >= total {
            self.reset();
            Ok(Some(Frame::Message { len: total }))
        } else {
            self.total = Some(total);
            Ok(None)
        }
    }
}

/// Stateless stream framing (check before parse): `Ok(None)` when more bytes
/// are needed, `Ok(Some(n))` when `buf[..n]` is one whole frame. Leading
/// CRLF keepalives are reported as their own frame: when `buf[..n]` is only
/// CR and LF bytes, drop it instead of parsing it (see [`Frame::Keepalive`]).
/// Errors mean framing is lost: close the connection. Messages over
/// [`MAX_MESSAGE_LEN`] are errors.
///
/// This searches `buf` from the start on every call; a shell that appends a
/// few bytes at a time should keep a [`StreamFramer`] instead.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    StreamFramer::new()
        .next_frame(buf)
        .map(|f| f.map(Frame::size))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:u@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
        From: <sip:a@example.com>;tag=1\r\n\
        To: <sip:u@example.com>\r\n\
        Call-ID: c1\r\n\
        CSeq: 1 OPTIONS\r\n\
        Max-Forwards: 70\r\n";

    fn with(extra: &str, body: &str) -> Vec<u8> {
        format!("{OPTIONS}{extra}\r\n{body}").into_bytes()
    }

    fn kind(r: Result<Message, ParseError>) -> ParseErrorKind {
        r.unwrap_err().kind
    }

    #[test]
    fn content_length_values() {
        assert_eq!(parse_content_length(b" 0150 "), Ok(150));
        assert_eq!(parse_content_length(b"0000000000000000000"), Ok(0));
        assert_eq!(
            parse_content_length(b"-999"),
            Err(ContentLengthError::Negative)
        );
        assert_eq!(
            parse_content_length(b"-"),
            Err(ContentLengthError::NotNumeric)
        );
        assert_eq!(
            parse_content_length(b"1 2"),
            Err(ContentLengthError::NotNumeric)
        );
        assert_eq!(
            parse_content_length(b""),
            Err(ContentLengthError::NotNumeric)
        );
        assert_eq!(
            parse_content_length(b"99999999999999999999999"),
            Err(ContentLengthError::TooLarge)
        );
        assert_eq!(
            parse_content_length(b"65536"),
            Err(ContentLengthError::TooLarge)
        );
    }

    #[test]
    fn datagram_body_rules() {
        let Message::Request(r) = Message::parse(&with("", "abc")).unwrap() else {
            panic!()
        };
        assert_eq!(&r.body[..], b"abc");
        let Message::Request(r) = Message::parse(&with("l: 2\r\n", "abc")).unwrap() else {
            panic!()
        };
        assert_eq!(&r.body[..], b"ab");
        assert_eq!(
            kind(Message::parse(&with("Content-Length: 4\r\n", "abc"))),
            ParseErrorKind::ContentLength(ContentLengthError::Truncated {
                declared: 4,
                available: 3
            })
        );
    }

    #[test]
    fn repeated_equal_content_length_is_fine() {
        assert!(Message::parse(&with("Content-Length: 3\r\nl: 03\r\n", "abc")).is_ok());
        assert_eq!(
            kind(Message::parse(&with(
                "Content-Length: 3\r\nl: 2\r\n",
                "abc"
            ))),
            ParseErrorKind::ContentLength(ContentLengthError::Conflicting)
        );
    }

    #[test]
    fn stream_frame_rules() {
        let ok = with("Content-Length: 3\r\n", "abc");
        assert!(Message::parse_stream_frame(&ok).is_ok());
        let mut longer = ok.clone();
        longer.push(b'x');
        assert_eq!(
            kind(Message::parse_stream_frame(&longer)),
            ParseErrorKind::TrailingBytes
        );
        assert_eq!(
            kind(Message::parse_stream_frame(&with("", ""))),
            ParseErrorKind::ContentLength(ContentLengthError::Missing)
        );
        let no_end = format!("{OPTIONS}Content-Length: 0\r\n");
        assert_eq!(
            kind(Message::parse_stream_frame(no_end.as_bytes())),
            ParseErrorKind::MissingEmptyLine
        );
    }

    #[test]
    fn folding_and_names() {
        let m = Message::parse(&with(
            "X-Folded: a  \r\n \t b\r\n  \r\n\tc\r\nsubject   :   hi  \r\n",
            "",
        ))
        .unwrap();
        assert_eq!(
            m.headers().get(&HeaderName::Other("x-folded".into())),
            Some("a b c")
        );
        assert_eq!(m.headers().get(&HeaderName::Subject), Some("hi"));
    }

    #[test]
    fn header_line_errors() {
        assert_eq!(
            kind(Message::parse(&with("NoColon\r\n", ""))),
            ParseErrorKind::MissingColon { line: 8 }
        );
        assert_eq!(
            kind(Message::parse(&with("Bad Name: x\r\n", ""))),
            ParseErrorKind::BadHeaderName { line: 8 }
        );
        assert_eq!(
            kind(Message::parse(&with("X: a\nY: b\r\n", ""))),
            ParseErrorKind::BadLineEnding { line: 8 }
        );
        assert_eq!(
            kind(Message::parse(
                b"OPTIONS sip:a@b.com SIP/2.0\r\n continuation\r\n\r\n"
            )),
            ParseErrorKind::LeadingContinuation
        );
        let mut bad = with("X: \u{e9}", "");
        bad[OPTIONS.len() + 3] = 0xff;
        let e = Message::parse(&bad).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::NotUtf8);
        assert_eq!(e.status, Some(400));
        assert_eq!(e.echo.as_ref().map(Vec::len), Some(5));
    }

    #[test]
    fn start_line_errors() {
        let cases: &[(&str, ParseErrorKind)] = &[
            ("OPTIONS sip:a@b.com", ParseErrorKind::BadStartLine),
            ("OPTIONS", ParseErrorKind::BadStartLine),
            (
                " OPTIONS sip:a@b.com SIP/2.0",
                ParseErrorKind::RequestLineSpacing,
            ),
            ("OPTIONS sip:a@b.com HTTP/1.1", ParseErrorKind::BadVersion),
            ("OPTIONS sip:a@b.com SIP/2", ParseErrorKind::BadVersion),
            (
                "OPTIONS sip:a@b.com SIP/3.0",
                ParseErrorKind::UnsupportedVersion,
            ),
            ("OPT<IONS sip:a@b.com SIP/2.0", ParseErrorKind::BadMethod),
            (
                "OPTIONS sip:a@b.com\tx SIP/2.0",
                ParseErrorKind::RequestUriWhitespace,
            ),
            (
                "OPTIONS sip:a@-b.com SIP/2.0",
                ParseErrorKind::BadRequestUri(UriError::BadHost),
            ),
            ("SIP/2.0 20 OK", ParseErrorKind::BadStatusCode),
            ("SIP/2.0 099 OK", ParseErrorKind::BadStatusCode),
            ("SIP/2.0 700 OK", ParseErrorKind::BadStatusCode),
            ("SIP/2.0 200 O\u{1}K", ParseErrorKind::BadReasonPhrase),
            ("SIP/2.1 200 OK", ParseErrorKind::UnsupportedVersion),
            ("SIP/2.0", ParseErrorKind::BadStartLine),
        ];
        for (line, want) in cases {
            let msg = format!("{line}\r\n\r\n");
            assert_eq!(&kind(Message::parse(msg.as_bytes())), want, "{line}");
        }
        let Message::Response(r) = Message::parse(b"sip/2.0 180\r\n\r\n").unwrap() else {
            panic!()
        };
        assert_eq!((r.status.as_u16(), r.reason.as_str()), (180, ""));
    }

    #[test]
    fn responses_are_never_answered() {
        let e =
            Message::parse(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: x\r\n\r\n").unwrap_err();
        assert_eq!(e.status, None);
        assert_eq!(e.echo, None);
        assert!(e.to_response().is_none());
    }

    #[test]
    fn empty_and_keepalive_datagrams() {
        for d in [&b""[..], b"\r\n", b"\r\n\r\n"] {
            let e = Message::parse(d).unwrap_err();
            assert_eq!((e.kind, e.status), (ParseErrorKind::Empty, None));
        }
    }

    #[test]
    fn oversize_datagram() {
        let mut big = with("", "");
        big.resize(MAX_MESSAGE_LEN + 1, b'x');
        let e = Message::parse(&big).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::TooLarge {
                len: MAX_MESSAGE_LEN + 1
            }
        );
        assert_eq!(e.status, Some(513));
    }

    #[test]
    fn error_response_from_echo() {
        let e = Message::parse(&with("Date: yesterday\r\n", "")).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::InvalidHeader {
                name: HeaderName::Date,
                error: HeaderError::BadDate
            }
        );
        let resp = e.to_response().unwrap();
        assert_eq!(resp.status.as_u16(), 400);
        assert_eq!(resp.headers.len(), 5);
        let tag = resp.headers.to_tag().unwrap();
        assert_eq!(tag.len(), 16);
        // Same request, same tag.
        let again = Message::parse(&with("Date: yesterday\r\n", ""))
            .unwrap_err()
            .to_response()
            .unwrap();
        assert_eq!(again.headers.to_tag().unwrap(), tag);
    }

    #[test]
    fn framer_keepalives() {
        let mut f = StreamFramer::new();
        assert_eq!(f.next_frame(b"\r"), Ok(None));
        assert_eq!(f.next_frame(b"\r\n"), Ok(Some(Frame::Keepalive { len: 2 })));
        let ping = f.next_frame(b"\r\n\r\nINV").unwrap().unwrap();
        assert_eq!(ping, Frame::Keepalive { len: 4 });
        assert!(ping.is_ping());
        assert_eq!(f.next_frame(b"INV"), Ok(None));
    }
}
