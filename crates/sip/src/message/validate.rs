//! UAS request checks (RFC 3261 §8.2), run after a request parsed and before
//! it reaches a transaction user.
//!
//! Order: mandatory headers (§8.1.1, 400), method (§8.2.1, 405 / 501),
//! Request-URI scheme (§8.2.2.1, 416), Max-Forwards on a request the element
//! relays (§16.3 step 3, 483), Require (§8.2.2.3, 420), body Content-Type and
//! Content-Encoding (§8.2.3, 415), Accept (§21.4.7, 406).
//!
//! A rejected ACK must not be answered (RFC 3261 §17.2.3 has no response to
//! ACK); the caller drops it.

use sha2::{Digest, Sha256};

use super::header::{Header, HeaderName, Headers};
use super::method::Method;
use super::uri::Uri;
use super::{Request, Response, StatusCode};

/// What this element supports, for the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UasPolicy {
    /// Methods handled; others get 405 (known methods) or 501 (extension
    /// methods), with Allow listing these.
    pub allowed_methods: Vec<Method>,
    /// Option tags understood in Require (compared case-insensitively,
    /// RFC 3261 §7.3.1); others get 420 with Unsupported.
    pub supported_extensions: Vec<String>,
    /// Also check Proxy-Require (only when acting as a proxy, RFC 3261
    /// §16.3 step 5).
    pub acts_as_proxy: bool,
    /// Body media types accepted (`type/subtype`, case-insensitive); others
    /// get 415 with Accept listing these.
    pub accepted_content_types: Vec<String>,
    /// Content codings accepted besides `identity`; others get 415 with
    /// Accept-Encoding.
    pub accepted_encodings: Vec<String>,
    /// The element relays INVITEs to another hop (a B2BUA placing the
    /// outgoing leg): an INVITE with Max-Forwards 0 gets 483. Other methods
    /// are handled locally.
    pub forwards: bool,
    /// The `warn-agent` written in Warning headers (a host or pseudonym).
    pub warn_agent: String,
}

impl Default for UasPolicy {
    /// A B2BUA: INVITE, ACK, BYE, CANCEL and OPTIONS; no extensions; SDP
    /// bodies only; relays INVITEs.
    fn default() -> Self {
        Self {
            allowed_methods: vec![
                Method::Invite,
                Method::Ack,
                Method::Bye,
                Method::Cancel,
                Method::Options,
            ],
            supported_extensions: Vec::new(),
            acts_as_proxy: false,
            accepted_content_types: vec!["application/sdp".to_owned()],
            accepted_encodings: Vec::new(),
            forwards: true,
            warn_agent: "tandem".to_owned(),
        }
    }
}

impl UasPolicy {
    /// The B2BUA policy ([`UasPolicy::default`]).
    pub fn b2bua() -> Self {
        Self::default()
    }
}

/// A request refused by the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Status code.
    pub status: u16,
    /// Reason phrase to send (more specific than the default for 400).
    pub reason: &'static str,
    /// Headers to add to the response (Allow, Unsupported, Accept,
    /// Accept-Encoding, Warning).
    pub headers: Vec<Header>,
}

impl Rejection {
    fn new(status: u16, reason: &'static str) -> Self {
        Self {
            status,
            reason,
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: HeaderName, value: impl std::fmt::Display) -> Self {
        self.headers.push(Header::new(name, value));
        self
    }

    /// The response to send: Via, From, To, Call-ID and CSeq copied from
    /// `req` (RFC 3261 §8.2.6.2), a To tag derived from the request when it
    /// had none (stable across retransmissions, RFC 3261 §16.11), this
    /// rejection's reason phrase and extra headers.
    pub fn into_response(self, req: &Request) -> Response {
        let status = StatusCode::new(self.status).unwrap_or(StatusCode::SERVER_ERROR_500);
        let tag = stateless_tag(&req.headers);
        let mut resp = Response::for_request(req, status, Some(&tag));
        resp.reason = self.reason.to_owned();
        for h in self.headers {
            resp.headers.push(h);
        }
        resp
    }
}

/// A To tag computed from the request (Call-ID, From, CSeq, top Via), so a
/// retransmission gets the same tag without keeping state.
pub(crate) fn stateless_tag(headers: &Headers) -> String {
    let mut h = Sha256::new();
    for name in [
        HeaderName::CallId,
        HeaderName::From,
        HeaderName::CSeq,
        HeaderName::Via,
    ] {
        h.update(headers.get(&name).unwrap_or("").as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    hex::encode(&digest[..8])
}

/// Appends `;tag=<stateless tag>` to the To header of an error response
/// when it has none and parses; leaves it alone otherwise.
pub(crate) fn add_stateless_to_tag(headers: &mut Headers) {
    let Some(to) = headers.get(&HeaderName::To) else {
        return;
    };
    let Ok(addr) = to.parse::<super::NameAddr>() else {
        return;
    };
    if addr.tag().is_some() {
        return;
    }
    let value = format!("{to};tag={}", stateless_tag(headers));
    let rebuilt: Headers = headers
        .iter()
        .map(|h| {
            if h.name == HeaderName::To {
                Header::new(HeaderName::To, &value)
            } else {
                h.clone()
            }
        })
        .collect();
    *headers = rebuilt;
}

fn mandatory(h: &Headers) -> Result<(), Rejection> {
    const SINGLE: [(HeaderName, &str, &str); 4] = [
        (HeaderName::CallId, "Missing Call-ID", "Duplicate Call-ID"),
        (HeaderName::From, "Missing From", "Duplicate From"),
        (HeaderName::To, "Missing To", "Duplicate To"),
        (HeaderName::CSeq, "Missing CSeq", "Duplicate CSeq"),
    ];
    for (name, missing, duplicate) in SINGLE {
        match h.count(&name) {
            0 => return Err(Rejection::new(400, missing)),
            1 => {}
            _ => return Err(Rejection::new(400, duplicate)),
        }
    }
    if !h.contains(&HeaderName::Via) {
        return Err(Rejection::new(400, "Missing Via"));
    }
    // Max-Forwards may be absent (RFC 2543 peers, RFC 4475 inv2543), but
    // not repeated.
    if h.count(&HeaderName::MaxForwards) > 1 {
        return Err(Rejection::new(400, "Duplicate Max-Forwards"));
    }
    Ok(())
}

/// Whether an Accept media range admits `application/sdp` (q=0 excludes).
fn range_accepts_sdp(range: &str) -> bool {
    let mut parts = range.split(';');
    let media = parts.next().unwrap_or("").trim();
    let matches = media == "*/*"
        || media.eq_ignore_ascii_case("application/*")
        || media.eq_ignore_ascii_case("application/sdp");
    let q_zero = parts.any(|p| {
        let p = p.trim();
        let Some(v) = p
            .get(..2)
            .filter(|k| k.eq_ignore_ascii_case("q="))
            .and_then(|_| p.get(2..))
        else {
            return false;
        };
        let v = v.trim();
        v == "0"
            || v.strip_prefix("0.")
                .is_some_and(|d| d.bytes().all(|b| b == b'0'))
    });
    matches && !q_zero
}

/// Runs the RFC 3261 §8.2 checks on a parsed request.
pub fn check_request(req: &Request, policy: &UasPolicy) -> Result<(), Rejection> {
    let h = &req.headers;
    mandatory(h)?;

    // §8.2.1 Method inspection.
    if !policy.allowed_methods.contains(&req.method) {
        let allow = policy
            .allowed_methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let r = match req.method {
            Method::Extension(_) => Rejection::new(501, "Not Implemented"),
            _ => Rejection::new(405, "Method Not Allowed"),
        };
        return Err(r.with(HeaderName::Allow, allow));
    }

    // §8.2.2.1 Request-URI scheme.
    if let Uri::Absolute(a) = &req.uri
        && !a.scheme.eq_ignore_ascii_case("tel")
    {
        return Err(Rejection::new(416, "Unsupported URI Scheme"));
    }

    // §16.3 step 3, for the requests this element relays.
    if policy.forwards && req.method == Method::Invite && h.max_forwards() == Some(0) {
        return Err(Rejection::new(483, "Too Many Hops"));
    }

    // §8.2.2.3 Require (never applied to ACK or CANCEL).
    if !matches!(req.method, Method::Ack | Method::Cancel) {
        let mut unsupported: Vec<String> = Vec::new();
        let mut consider = |name: &HeaderName| {
            for tag in h.tokens(name) {
                let known = policy
                    .supported_extensions
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(&tag));
                if !known && !unsupported.iter().any(|u| u.eq_ignore_ascii_case(&tag)) {
                    unsupported.push(tag);
                }
            }
        };
        consider(&HeaderName::Require);
        if policy.acts_as_proxy {
            consider(&HeaderName::ProxyRequire);
        }
        if !unsupported.is_empty() {
            return Err(Rejection::new(420, "Bad Extension")
                .with(HeaderName::Unsupported, unsupported.join(", ")));
        }
    }

    // §8.2.3 Content processing.
    if !req.body.is_empty() {
        let Some(ct) = h.content_type() else {
            return Err(Rejection::new(400, "Body Without Content-Type"));
        };
        if !policy
            .accepted_content_types
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&ct))
        {
            return Err(Rejection::new(415, "Unsupported Media Type")
                .with(HeaderName::Accept, policy.accepted_content_types.join(", ")));
        }
    }
    let bad_encoding = h.tokens(&HeaderName::ContentEncoding).into_iter().any(|e| {
        !e.eq_ignore_ascii_case("identity")
            && !policy
                .accepted_encodings
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&e))
    });
    if bad_encoding {
        let accepted = if policy.accepted_encodings.is_empty() {
            "identity".to_owned()
        } else {
            policy.accepted_encodings.join(", ")
        };
        return Err(Rejection::new(415, "Unsupported Media Type")
            .with(HeaderName::AcceptEncoding, accepted));
    }

    // §21.4.7: the answer to INVITE / OPTIONS carries SDP.
    if matches!(req.method, Method::Invite | Method::Options) && h.contains(&HeaderName::Accept) {
        let ok = h
            .get_all(&HeaderName::Accept)
            .flat_map(|v| v.split(','))
            .any(range_accepts_sdp);
        if !ok {
            return Err(Rejection::new(406, "Not Acceptable").with(
                HeaderName::Warning,
                format_args!(
                    "399 {} \"Only application/sdp bodies can be sent\"",
                    policy.warn_agent
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn req(extra: &str, method: &str, body: &str) -> Request {
        let raw = format!(
            "{method} sip:u@example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n\
             From: <sip:a@example.com>;tag=1\r\n\
             To: <sip:u@example.com>\r\n\
             Call-ID: c1\r\n\
             CSeq: 1 {method}\r\n\
             {extra}\r\n{body}"
        );
        match Message::parse(raw.as_bytes()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request"),
        }
    }

    fn status(r: &Request) -> Option<u16> {
        check_request(r, &UasPolicy::default())
            .err()
            .map(|r| r.status)
    }

    #[test]
    fn accepts_a_plain_invite() {
        let r = req("Content-Type: application/SDP\r\n", "INVITE", "v=0\r\n");
        assert_eq!(status(&r), None);
    }

    #[test]
    fn accept_ranges() {
        assert!(range_accepts_sdp(" application/sdp"));
        assert!(range_accepts_sdp("*/*;q=0.5"));
        assert!(range_accepts_sdp("Application/*"));
        assert!(!range_accepts_sdp("application/sdp;q=0"));
        assert!(!range_accepts_sdp("application/sdp; q=0.000"));
        assert!(range_accepts_sdp("application/sdp;q=0.01"));
        assert!(!range_accepts_sdp("text/plain"));
        assert_eq!(
            status(&req("Accept: text/plain, */*;q=0\r\n", "OPTIONS", "")),
            Some(406)
        );
        assert_eq!(status(&req("Accept: text/plain\r\n", "BYE", "")), None);
    }

    #[test]
    fn duplicates_and_missing() {
        assert_eq!(
            status(&req("To: <sip:x@example.com>\r\n", "BYE", "")),
            Some(400)
        );
        assert_eq!(
            status(&req("Max-Forwards: 1\r\nMax-Forwards: 1\r\n", "BYE", "")),
            Some(400)
        );
    }

    #[test]
    fn body_rules() {
        assert_eq!(status(&req("", "INVITE", "v=0")), Some(400));
        let r = check_request(
            &req(
                "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n",
                "INVITE",
                "x",
            ),
            &UasPolicy::default(),
        )
        .unwrap_err();
        assert_eq!(r.status, 415);
        assert_eq!(r.headers[0].name, HeaderName::AcceptEncoding);
        assert_eq!(
            status(&req("Content-Encoding: identity\r\n", "BYE", "")),
            None
        );
    }

    #[test]
    fn require_is_ignored_on_ack_and_cancel_and_known_tags_pass() {
        assert_eq!(status(&req("Require: foo\r\n", "CANCEL", "")), None);
        assert_eq!(status(&req("Require: foo\r\n", "BYE", "")), Some(420));
        let policy = UasPolicy {
            supported_extensions: vec!["timer".into()],
            acts_as_proxy: true,
            ..UasPolicy::default()
        };
        let r = req("Require: Timer\r\nProxy-Require: foo, foo\r\n", "BYE", "");
        let rej = check_request(&r, &policy).unwrap_err();
        assert_eq!(
            rej.headers,
            vec![Header::new(HeaderName::Unsupported, "foo")]
        );
    }

    #[test]
    fn rejection_response_carries_tag_and_extra_headers() {
        let r = req("", "REGISTER", "");
        let rej = check_request(&r, &UasPolicy::default()).unwrap_err();
        assert_eq!(rej.status, 405);
        let resp = rej.into_response(&r);
        assert_eq!(resp.status.as_u16(), 405);
        assert_eq!(resp.reason, "Method Not Allowed");
        assert_eq!(
            resp.headers.get(&HeaderName::Allow),
            Some("INVITE, ACK, BYE, CANCEL, OPTIONS")
        );
        let tag = resp.headers.to_tag().unwrap();
        let again = check_request(&r, &UasPolicy::default())
            .unwrap_err()
            .into_response(&r);
        assert_eq!(again.headers.to_tag().unwrap(), tag);
        assert_eq!(resp.headers.call_id(), Some("c1"));
    }
}
