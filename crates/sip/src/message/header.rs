//! Header names and the ordered header list.

use std::fmt;
use std::str::FromStr;

use super::typed::HeaderError;

/// A header field name. Known names are variants (compact forms map to them,
/// RFC 3261 §7.3.3); anything else is kept as written in [`HeaderName::Other`]
/// and compared case-insensitively.
#[derive(Debug, Clone, Eq)]
#[allow(missing_docs)]
pub enum HeaderName {
    Accept,
    AcceptEncoding,
    AcceptLanguage,
    AlertInfo,
    Allow,
    AllowEvents,
    AuthenticationInfo,
    Authorization,
    CallId,
    CallInfo,
    Contact,
    ContentDisposition,
    ContentEncoding,
    ContentLanguage,
    ContentLength,
    ContentType,
    CSeq,
    Date,
    ErrorInfo,
    Event,
    Expires,
    From,
    InReplyTo,
    MaxForwards,
    MimeVersion,
    MinExpires,
    Organization,
    PAssertedIdentity,
    PPreferredIdentity,
    Priority,
    Privacy,
    ProxyAuthenticate,
    ProxyAuthorization,
    ProxyRequire,
    RecordRoute,
    Reason,
    ReferTo,
    ReferredBy,
    ReplyTo,
    Require,
    RetryAfter,
    Route,
    Server,
    SessionExpires,
    Subject,
    Supported,
    Timestamp,
    To,
    Unsupported,
    UserAgent,
    Via,
    Warning,
    WwwAuthenticate,
    /// Any other header, spelled as received.
    Other(String),
}

const KNOWN: &[(HeaderName, &str)] = &[
    (HeaderName::Accept, "Accept"),
    (HeaderName::AcceptEncoding, "Accept-Encoding"),
    (HeaderName::AcceptLanguage, "Accept-Language"),
    (HeaderName::AlertInfo, "Alert-Info"),
    (HeaderName::Allow, "Allow"),
    (HeaderName::AllowEvents, "Allow-Events"),
    (HeaderName::AuthenticationInfo, "Authentication-Info"),
    (HeaderName::Authorization, "Authorization"),
    (HeaderName::CallId, "Call-ID"),
    (HeaderName::CallInfo, "Call-Info"),
    (HeaderName::Contact, "Contact"),
    (HeaderName::ContentDisposition, "Content-Disposition"),
    (HeaderName::ContentEncoding, "Content-Encoding"),
    (HeaderName::ContentLanguage, "Content-Language"),
    (HeaderName::ContentLength, "Content-Length"),
    (HeaderName::ContentType, "Content-Type"),
    (HeaderName::CSeq, "CSeq"),
    (HeaderName::Date, "Date"),
    (HeaderName::ErrorInfo, "Error-Info"),
    (HeaderName::Event, "Event"),
    (HeaderName::Expires, "Expires"),
    (HeaderName::From, "From"),
    (HeaderName::InReplyTo, "In-Reply-To"),
    (HeaderName::MaxForwards, "Max-Forwards"),
    (HeaderName::MimeVersion, "MIME-Version"),
    (HeaderName::MinExpires, "Min-Expires"),
    (HeaderName::Organization, "Organization"),
    (HeaderName::PAssertedIdentity, "P-Asserted-Identity"),
    (HeaderName::PPreferredIdentity, "P-Preferred-Identity"),
    (HeaderName::Priority, "Priority"),
    (HeaderName::Privacy, "Privacy"),
    (HeaderName::ProxyAuthenticate, "Proxy-Authenticate"),
    (HeaderName::ProxyAuthorization, "Proxy-Authorization"),
    (HeaderName::ProxyRequire, "Proxy-Require"),
    (HeaderName::RecordRoute, "Record-Route"),
    (HeaderName::Reason, "Reason"),
    (HeaderName::ReferTo, "Refer-To"),
    (HeaderName::ReferredBy, "Referred-By"),
    (HeaderName::ReplyTo, "Reply-To"),
    (HeaderName::Require, "Require"),
    (HeaderName::RetryAfter, "Retry-After"),
    (HeaderName::Route, "Route"),
    (HeaderName::Server, "Server"),
    (HeaderName::SessionExpires, "Session-Expires"),
    (HeaderName::Subject, "Subject"),
    (HeaderName::Supported, "Supported"),
    (HeaderName::Timestamp, "Timestamp"),
    (HeaderName::To, "To"),
    (HeaderName::Unsupported, "Unsupported"),
    (HeaderName::UserAgent, "User-Agent"),
    (HeaderName::Via, "Via"),
    (HeaderName::Warning, "Warning"),
    (HeaderName::WwwAuthenticate, "WWW-Authenticate"),
];

/// Compact forms (RFC 3261 §7.3.3 and extension RFCs).
const COMPACT: &[(&str, HeaderName)] = &[
    ("i", HeaderName::CallId),
    ("m", HeaderName::Contact),
    ("e", HeaderName::ContentEncoding),
    ("l", HeaderName::ContentLength),
    ("c", HeaderName::ContentType),
    ("f", HeaderName::From),
    ("s", HeaderName::Subject),
    ("k", HeaderName::Supported),
    ("t", HeaderName::To),
    ("v", HeaderName::Via),
    ("o", HeaderName::Event),
    ("r", HeaderName::ReferTo),
    ("b", HeaderName::ReferredBy),
    ("u", HeaderName::AllowEvents),
    ("x", HeaderName::SessionExpires),
];

impl HeaderName {
    /// The canonical wire spelling (long form).
    pub fn as_str(&self) -> &str {
        if let HeaderName::Other(s) = self {
            return s;
        }
        KNOWN.iter().find(|(n, _)| n == self).map_or("", |(_, s)| s)
    }

    /// Looks a name up case-insensitively, mapping compact forms.
    pub fn from_name(s: &str) -> HeaderName {
        if let Some((_, n)) = COMPACT.iter().find(|(c, _)| c.eq_ignore_ascii_case(s)) {
            return n.clone();
        }
        KNOWN
            .iter()
            .find(|(_, k)| k.eq_ignore_ascii_case(s))
            .map_or_else(|| HeaderName::Other(s.to_owned()), |(n, _)| n.clone())
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header line: its name and its raw value (folding undone, outer
/// whitespace trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name.
    pub name: HeaderName,
    /// The raw value.
    pub value: String,
}

impl Header {
    /// A header from a name and anything printable.
    pub fn new(name: HeaderName, value: impl fmt::Display) -> Self {
        Self {
            name,
            value: value.to_string(),
        }
    }
}

/// The headers of a message, in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The raw value of the first header with this name.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.0
            .iter()
            .find(|h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// The raw values of every header with this name, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// How many header lines carry this name.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.0.iter().filter(|h| &h.name == name).count()
    }

    /// Whether a header with this name is present.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.0.iter().any(|h| &h.name == name)
    }

    /// Appends a header.
    pub fn push(&mut self, header: Header) {
        self.0.push(header);
    }

    /// Appends `name: value`.
    pub fn push_value(&mut self, name: HeaderName, value: impl fmt::Display) {
        self.0.push(Header::new(name, value));
    }

    /// Inserts a header before every other one (a new top Via).
    pub fn push_front(&mut self, header: Header) {
        self.0.insert(0, header);
    }

    /// Removes every header with this name.
    pub fn remove_all(&mut self, name: &HeaderName) {
        self.0.retain(|h| &h.name != name);
    }

    /// Replaces every header with this name by one `name: value` at the
    /// position of the first (or at the end).
    pub fn set(&mut self, name: HeaderName, value: impl fmt::Display) {
        let value = value.to_string();
        match self.0.iter().position(|h| h.name == name) {
            Some(i) => {
                self.0[i].value = value;
                let mut seen = 0usize;
                self.0.retain(|h| {
                    if h.name == name {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.0.push(Header { name, value }),
        }
    }

    /// Every header, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No headers at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses every value of a comma-list header (Via, Contact, Route ...)
    /// across all of its lines, splitting on commas outside quotes and `<>`.
    pub fn typed_list<T: FromStr<Err = HeaderError>>(
        &self,
        name: &HeaderName,
    ) -> Result<Vec<T>, HeaderError> {
        let mut out = Vec::new();
        for v in self.get_all(name) {
            for item in super::typed::split_list(v) {
                out.push(item.parse()?);
            }
        }
        Ok(out)
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}
