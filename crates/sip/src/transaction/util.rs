//! Small helpers over the message types, private to the transaction layer.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::message::{Header, HeaderName, Headers, Host, Params, Transport, Via};
use crate::transport::TransportKind;

use super::TransactionOutput;

/// A parameter by (case-insensitive) name: `None` when absent, `Some(None)`
/// when present without a value.
pub(crate) fn param<'a>(params: &'a Params, name: &str) -> Option<Option<&'a str>> {
    params
        .0
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_deref())
}

/// The `branch` parameter of a Via.
pub(crate) fn via_branch(via: &Via) -> Option<&str> {
    param(&via.params, "branch").flatten()
}

/// The sent-by port of a Via, defaulted per RFC 3261 §18.2.2 (5061 for TLS).
pub(crate) fn via_port(via: &Via) -> u16 {
    via.port.unwrap_or(match via.transport {
        Transport::Tls | Transport::Wss => 5061,
        _ => 5060,
    })
}

/// A host in its SIP text form (IPv6 in brackets), domain names lower-cased
/// when `lower` is set (for comparisons).
pub(crate) fn host_text(host: &Host, lower: bool) -> String {
    match host {
        Host::Domain(d) if lower => d.to_ascii_lowercase(),
        Host::Domain(d) => d.clone(),
        Host::V4(a) => a.to_string(),
        Host::V6(a) => format!("[{a}]"),
    }
}

/// Whether the Via sent-by host is literally this IP address.
pub(crate) fn host_is_ip(host: &Host, ip: std::net::IpAddr) -> bool {
    match (host, ip) {
        (Host::V4(a), std::net::IpAddr::V4(b)) => *a == b,
        (Host::V6(a), std::net::IpAddr::V6(b)) => *a == b,
        _ => false,
    }
}

/// The raw text of the first value of the first Via line (trimmed).
pub(crate) fn raw_top_via(headers: &Headers) -> Option<&str> {
    let line = headers.get(&HeaderName::Via)?;
    Some(first_list_item(line).trim())
}

/// The first item of a comma-separated header value (commas inside quoted
/// strings and `<...>` do not separate).
pub(crate) fn first_list_item(v: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut angle = false;
    for (i, b) in v.bytes().enumerate() {
        if in_quotes {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_quotes = true,
            b'<' => angle = true,
            b'>' => angle = false,
            b',' if !angle => return &v[..i],
            _ => {}
        }
    }
    v
}

/// Builds the text of a Via header value for a request we originate.
pub(crate) fn via_text(
    transport: TransportKind,
    host: &Host,
    port: Option<u16>,
    branch: &str,
) -> String {
    let mut s = String::with_capacity(64);
    let _ = write!(
        s,
        "SIP/2.0/{} {}",
        transport.via_token(),
        host_text(host, false)
    );
    if let Some(p) = port {
        let _ = write!(s, ":{p}");
    }
    let _ = write!(s, ";branch={branch};rport");
    s
}

/// Copies every header named `name` from `from` to `to`, in order.
pub(crate) fn copy_headers(from: &Headers, to: &mut Headers, name: &HeaderName) {
    for h in from.iter().filter(|h| &h.name == name) {
        to.push(Header {
            name: h.name.clone(),
            value: h.value.clone(),
        });
    }
}

/// A retransmission timer whose interval doubles at every firing, up to an
/// optional cap (T2 for Timers E and G and 2xx retransmission; none for A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// When it fires next.
    pub at: Instant,
    /// The interval that led to `at`.
    pub interval: Duration,
    /// The largest interval.
    pub cap: Option<Duration>,
}

impl Backoff {
    /// First firing one `interval` after `now`.
    pub fn start(now: Instant, interval: Duration, cap: Option<Duration>) -> Self {
        Self {
            at: now + interval,
            interval,
            cap,
        }
    }

    /// Whether it is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.at <= now
    }

    /// Re-arms after a firing at `now`: twice the interval, capped.
    pub fn next(&mut self, now: Instant) {
        let doubled = self.interval.saturating_mul(2);
        self.interval = match self.cap {
            Some(cap) => doubled.min(cap),
            None => doubled,
        };
        self.at = now + self.interval;
    }
}

/// The earliest of some optional instants.
pub(crate) fn earliest<const N: usize>(times: [Option<Instant>; N]) -> Option<Instant> {
    times.into_iter().flatten().min()
}

/// Output queue shared by the four machines.
pub(crate) type Outputs = VecDeque<TransactionOutput>;

/// Builders shared by the machines' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::message::{HeaderName, Method, Request, Response, StatusCode};

    /// A request with the headers a transaction needs.
    pub fn request(method: Method, branch: &str) -> Request {
        let uri = "sip:bob@127.0.0.1:5080".parse().expect("uri");
        let mut r = Request::new(method.clone(), uri);
        r.headers.push_value(
            HeaderName::Via,
            format!("SIP/2.0/UDP 127.0.0.1:5060;branch={branch};rport"),
        );
        r.headers.push_value(HeaderName::MaxForwards, 70);
        r.headers
            .push_value(HeaderName::From, "<sip:alice@127.0.0.1>;tag=a");
        r.headers.push_value(HeaderName::To, "<sip:bob@127.0.0.1>");
        r.headers.push_value(HeaderName::CallId, "unit@test");
        r.headers
            .push_value(HeaderName::CSeq, format!("3 {}", method.as_str()));
        r
    }

    /// A response to `req` with a To tag.
    pub fn response(req: &Request, code: u16) -> Response {
        Response::for_request(req, StatusCode::new(code).expect("code"), Some("b"))
    }
}
