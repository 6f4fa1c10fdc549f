//! SIP messages (RFC 3261 §7, §20, §25; RFC 5118 for IPv6).
//!
//! Tandem parses SIP itself instead of through `rsip` 0.4: that crate rejects
//! unknown methods and bracketed IPv6 request-URIs and accepts many of the
//! RFC 4475 invalid messages (see `docs/sip.md` for the measured comparison).
//!
//! The model keeps every header as a `(name, raw value)` pair in wire order, so
//! unknown headers pass through untouched and serialisation is faithful. Typed
//! views (`Via`, `NameAddr`, `CSeq`, ...) are parsed from those raw values on
//! demand; the parser validates the headers that matter for routing a response
//! while it frames the message, so a message that parsed can always be
//! answered.

mod header;
mod method;
mod parse;
mod serialize;
mod typed;
mod uri;
mod validate;

pub use header::{Header, HeaderName, Headers};
pub use method::Method;
pub use parse::{
    ContentLengthError, Frame, MAX_MESSAGE_LEN, ParseError, ParseErrorKind, StreamFramer, frame_len,
};
pub use typed::{BRANCH_MAGIC_COOKIE, CSeq, HeaderError, NameAddr, Transport, Via, split_list};
pub use uri::{AbsoluteUri, Host, Param, Params, SipUri, Uri, UriError, unescape};
pub use validate::{Rejection, UasPolicy, check_request};

use bytes::Bytes;

/// A SIP status code, 100..=699.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 100 Trying.
    pub const TRYING_100: StatusCode = StatusCode(100);
    /// 200 OK.
    pub const OK_200: StatusCode = StatusCode(200);
    /// 400 Bad Request.
    pub const BAD_REQUEST_400: StatusCode = StatusCode(400);
    /// 500 Server Internal Error.
    pub const SERVER_ERROR_500: StatusCode = StatusCode(500);

    /// Builds a status code; `None` outside 100..=699.
    pub fn new(code: u16) -> Option<Self> {
        (100..=699).contains(&code).then_some(Self(code))
    }

    /// The numeric code.
    pub fn as_u16(self) -> u16 {
        self.0
    }

    /// 1xx.
    pub fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }

    /// 200..=699.
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The reason phrase RFC 3261 §21 (and later RFCs) give for this code.
    pub fn default_reason(self) -> &'static str {
        match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            200 => "OK",
            202 => "Accepted",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Moved Temporarily",
            305 => "Use Proxy",
            380 => "Alternative Service",
            400 => "Bad Request",
            401 => "Unauthorized",
            402 => "Payment Required",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            410 => "Gone",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            420 => "Bad Extension",
            421 => "Extension Required",
            423 => "Interval Too Brief",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            485 => "Ambiguous",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            491 => "Request Pending",
            493 => "Undecipherable",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            _ => match self.0 / 100 {
                1 => "Progress",
                2 => "Success",
                3 => "Redirection",
                4 => "Client Error",
                5 => "Server Error",
                _ => "Global Failure",
            },
        }
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method of the request line.
    pub method: Method,
    /// The request-URI.
    pub uri: Uri,
    /// Every header in wire order.
    pub headers: Headers,
    /// The body (may be empty).
    pub body: Bytes,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase (may be empty, may be UTF-8).
    pub reason: String,
    /// Every header in wire order.
    pub headers: Headers,
    /// The body (may be empty).
    pub body: Bytes,
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message from a datagram (UDP semantics, RFC 3261 §18.3):
    /// without Content-Length the body runs to the end of the datagram; octets
    /// beyond Content-Length are ignored; a Content-Length larger than what is
    /// there is an error.
    pub fn parse(datagram: &[u8]) -> Result<Message, ParseError> {
        parse::parse_message(datagram, parse::Framing::Datagram)
    }

    /// Parses one message from a stream frame that [`frame_len`] delimited
    /// (Content-Length is mandatory on streams).
    pub fn parse_stream_frame(frame: &[u8]) -> Result<Message, ParseError> {
        parse::parse_message(frame, parse::Framing::Stream)
    }

    /// Serialises the message, setting Content-Length to the body's length.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    /// The headers of either kind.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

/// Accessors shared by requests and responses. Each parses the raw header on
/// demand; `None` means absent or unparsable.
impl Headers {
    /// The Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.get(&HeaderName::CallId)
    }

    /// The CSeq.
    pub fn cseq(&self) -> Option<CSeq> {
        self.get(&HeaderName::CSeq).and_then(|v| v.parse().ok())
    }

    /// The first (top-most) Via value.
    pub fn top_via(&self) -> Option<Via> {
        self.vias().ok().and_then(|v| v.into_iter().next())
    }

    /// Every Via value, top first, across all Via header lines.
    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.typed_list(&HeaderName::Via)
    }

    /// The From value.
    pub fn from_addr(&self) -> Option<NameAddr> {
        self.get(&HeaderName::From).and_then(|v| v.parse().ok())
    }

    /// The To value.
    pub fn to_addr(&self) -> Option<NameAddr> {
        self.get(&HeaderName::To).and_then(|v| v.parse().ok())
    }

    /// The From tag.
    pub fn from_tag(&self) -> Option<String> {
        self.from_addr().and_then(|a| a.tag().map(str::to_owned))
    }

    /// The To tag.
    pub fn to_tag(&self) -> Option<String> {
        self.to_addr().and_then(|a| a.tag().map(str::to_owned))
    }

    /// Every Contact value (empty for `Contact: *` or none).
    pub fn contacts(&self) -> Result<Vec<NameAddr>, HeaderError> {
        if self.get(&HeaderName::Contact).map(str::trim) == Some("*") {
            return Ok(Vec::new());
        }
        self.typed_list(&HeaderName::Contact)
    }

    /// Every Record-Route value, top first.
    pub fn record_routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.typed_list(&HeaderName::RecordRoute)
    }

    /// Every Route value, top first.
    pub fn routes(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.typed_list(&HeaderName::Route)
    }

    /// Max-Forwards, if present and numeric.
    pub fn max_forwards(&self) -> Option<u32> {
        self.get(&HeaderName::MaxForwards)
            .and_then(|v| v.trim().parse().ok())
    }

    /// Expires, if present and numeric.
    pub fn expires(&self) -> Option<u32> {
        self.get(&HeaderName::Expires)
            .and_then(|v| v.trim().parse().ok())
    }

    /// The media type of the body (`type/subtype`, lower-cased, no parameters).
    pub fn content_type(&self) -> Option<String> {
        self.get(&HeaderName::ContentType).map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Comma-separated tokens from every line of a list header (Allow,
    /// Supported, Require, Proxy-Require, Unsupported, Accept ...), trimmed.
    pub fn tokens(&self, name: &HeaderName) -> Vec<String> {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

impl Request {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, uri: Uri) -> Self {
        Self {
            method,
            uri,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// Serialises the request, setting Content-Length to the body's length.
    pub fn to_bytes(&self) -> Bytes {
        serialize::request_to_bytes(self)
    }
}

impl Response {
    /// A response with the default reason phrase, no headers and no body.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            reason: status.default_reason().to_owned(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): copies every Via, From, To,
    /// Call-ID and CSeq value; adds `to_tag` to To when given and To has none.
    pub fn for_request(req: &Request, status: StatusCode, to_tag: Option<&str>) -> Self {
        let mut resp = Response::new(status);
        for h in req.headers.iter() {
            match h.name {
                HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq => {
                    resp.headers.push(h.clone());
                }
                HeaderName::To => {
                    let mut h = h.clone();
                    if let Some(tag) = to_tag
                        && let Ok(mut to) = h.value.parse::<NameAddr>()
                        && to.tag().is_none()
                    {
                        to.params.set("tag", Some(tag));
                        h.value = to.to_string();
                    }
                    resp.headers.push(h);
                }
                _ => {}
            }
        }
        resp
    }

    /// Serialises the response, setting Content-Length to the body's length.
    pub fn to_bytes(&self) -> Bytes {
        serialize::response_to_bytes(self)
    }
}
