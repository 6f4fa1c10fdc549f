//! Serialisation: start line, headers in stored order as `Name: value`
//! (canonical long names; unknown names as received), Content-Length set to
//! the body's length, empty line, body. One pre-sized buffer per message.
//!
//! CR and LF inside a stored value or reason phrase (only possible in values
//! built by code, never in parsed ones) are written as SP so that a value can
//! never inject a header line.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use super::header::{HeaderName, Headers};
use super::{Request, Response};

/// Room for the start line beyond the parts whose length is known.
const START_LINE_ESTIMATE: usize = 96;

fn capacity(headers: &Headers, body: usize) -> usize {
    let h: usize = headers
        .iter()
        .map(|h| h.name.as_str().len() + h.value.len() + 4)
        .sum();
    START_LINE_ESTIMATE + h + "Content-Length: 65535\r\n\r\n".len() + body
}

fn put_clean(buf: &mut BytesMut, s: &str) {
    if memchr::memchr2(b'\r', b'\n', s.as_bytes()).is_none() {
        buf.put_slice(s.as_bytes());
    } else {
        buf.extend(
            s.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    }
}

fn put_headers_and_body(buf: &mut BytesMut, headers: &Headers, body: &Bytes) {
    let mut length_written = false;
    for h in headers {
        if h.name == HeaderName::ContentLength {
            if !length_written {
                length_written = true;
                let _ = write!(buf, "Content-Length: {}\r\n", body.len());
            }
            continue;
        }
        put_clean(buf, h.name.as_str());
        buf.put_slice(b": ");
        put_clean(buf, &h.value);
        buf.put_slice(b"\r\n");
    }
    if !length_written {
        let _ = write!(buf, "Content-Length: {}\r\n", body.len());
    }
    buf.put_slice(b"\r\n");
    buf.put_slice(body);
}

pub(crate) fn request_to_bytes(r: &Request) -> Bytes {
    let mut buf = BytesMut::with_capacity(capacity(&r.headers, r.body.len()));
    let _ = write!(buf, "{} {} SIP/2.0\r\n", r.method, r.uri);
    put_headers_and_body(&mut buf, &r.headers, &r.body);
    buf.freeze()
}

pub(crate) fn response_to_bytes(r: &Response) -> Bytes {
    let mut buf = BytesMut::with_capacity(capacity(&r.headers, r.body.len()));
    let _ = write!(buf, "SIP/2.0 {} ", r.status);
    put_clean(&mut buf, &r.reason);
    buf.put_slice(b"\r\n");
    put_headers_and_body(&mut buf, &r.headers, &r.body);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::super::{Header, Message, Method, StatusCode, Uri};
    use super::*;

    #[test]
    fn request_wire_form() {
        let uri: Uri = "sip:bob@example.com".parse().unwrap();
        let mut r = Request::new(Method::Invite, uri);
        r.headers
            .push_value(HeaderName::Via, "SIP/2.0/UDP h;branch=z9hG4bK1");
        r.headers.push_value(HeaderName::ContentLength, "999");
        r.headers.push_value(HeaderName::Other("X-Odd".into()), "v");
        r.headers.push_value(HeaderName::ContentLength, "1");
        r.body = Bytes::from_static(b"hello");
        assert_eq!(
            &r.to_bytes()[..],
            &b"INVITE sip:bob@example.com SIP/2.0\r\n\
               Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
               Content-Length: 5\r\n\
               X-Odd: v\r\n\
               \r\n\
               hello"[..]
        );
    }

    #[test]
    fn response_wire_form_appends_length() {
        let mut r = Response::new(StatusCode::new(100).unwrap());
        r.reason.clear();
        r.headers
            .push(Header::new(HeaderName::Subject, "a\r\nInjected: yes"));
        assert_eq!(
            &r.to_bytes()[..],
            &b"SIP/2.0 100 \r\nSubject: a  Injected: yes\r\nContent-Length: 0\r\n\r\n"[..]
        );
        let again = Message::parse(&r.to_bytes()).unwrap();
        assert_eq!(again.headers().len(), 2);
    }
}
