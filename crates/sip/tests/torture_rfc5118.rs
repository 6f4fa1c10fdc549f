//! RFC 5118 IPv6 torture messages: every file meets the verdict its README
//! gives.
//!
//! The archive's quirks are repaired the way its README describes, and only
//! those: bare LF line endings become CRLF; the two files without the empty
//! line after the headers get one; and since the archive's bodies were
//! counted with LF endings, Content-Length is set to the converted body's
//! length. `raw_archive_quirks_are_refused` shows the parser refuses each
//! unrepaired quirk.
//!
//! Run with `--nocapture` to see the pass count.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use tandem_sip::message::{
    ContentLengthError, HeaderName, Host, Message, ParseErrorKind, Request, Transport, UriError,
};

fn raw(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/torture/rfc5118")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn lf_to_crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 16);
    for &c in b {
        if c == b'\n' {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// The wire form of an archive file (see the module comment).
fn wire(name: &str) -> Vec<u8> {
    let mut m = lf_to_crlf(&raw(name));
    let Some(i) = m.windows(4).position(|w| w == b"\r\n\r\n") else {
        // No empty line: the message is headers only.
        m.extend_from_slice(b"\r\n");
        return m;
    };
    let (head, body) = m.split_at(i + 4);
    if body.is_empty() {
        return m;
    }
    let head = String::from_utf8(head.to_vec()).expect("UTF-8 header section");
    let fixed: Vec<String> = head
        .split("\r\n")
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("content-length:") {
                format!("Content-Length: {}", body.len())
            } else {
                l.to_owned()
            }
        })
        .collect();
    let mut out = fixed.join("\r\n").into_bytes();
    out.extend_from_slice(body);
    out
}

fn request(name: &str) -> Request {
    match Message::parse(&wire(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: expected a request, got {other:?}"),
    }
}

/// `None`: must parse. `Some(status)`: refused with that status.
const TABLE: &[(&str, Option<u16>)] = &[
    ("ipv6-good", None),
    ("ipv6-bad", Some(400)),
    ("port-ambiguous", None),
    ("port-unambiguous", None),
    ("via-received-param-with-delim", None),
    ("via-received-param-no-delim", None),
    ("ipv6-in-sdp", None),
    ("mult-ip-in-header", None),
    ("mult-ip-in-sdp", None),
    ("ipv4-mapped-ipv6", None),
    ("ipv6-bug-abnf-3-colons", None),
    ("ipv6-correct-abnf-2-colons", None),
];

#[test]
fn every_rfc5118_message_meets_its_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture/rfc5118");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TABLE.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "the table must list every corpus file once"
    );

    let mut failures = Vec::new();
    for (name, want) in TABLE {
        let got = Message::parse(&wire(name));
        let ok = match (want, &got) {
            (None, Ok(_)) => true,
            (Some(s), Err(e)) => e.status == Some(*s),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: want {want:?}, got {got:?}"));
        }
    }
    println!(
        "rfc5118: {}/{} verdicts met",
        TABLE.len() - failures.len(),
        TABLE.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().expect("IPv6 literal")
}

#[test]
fn ipv6_details() {
    let r = request("ipv6-good");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(
        (uri.host.clone(), uri.port),
        (Host::V6(v6("2001:db8::10")), None)
    );
    assert_eq!(
        r.headers.top_via().unwrap().host,
        Host::V6(v6("2001:db8::9:1"))
    );
    let c = &r.headers.contacts().unwrap()[0];
    assert_eq!(c.uri.as_sip().unwrap().host, Host::V6(v6("2001:db8::1")));

    // ipv6-bad: the Request-URI lacks the brackets.
    let e = Message::parse(&wire("ipv6-bad")).unwrap_err();
    assert!(
        matches!(
            e.kind,
            ParseErrorKind::BadRequestUri(UriError::BadPort | UriError::BadHost)
        ),
        "{:?}",
        e.kind
    );

    // One address, no port.
    let r = request("port-ambiguous");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.host, Host::V6(v6("2001:db8::10:5070")));
    assert_eq!(uri.port, None);

    // Address plus port.
    let r = request("port-unambiguous");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.host, Host::V6(v6("2001:db8::10")));
    assert_eq!(uri.port, Some(5070));

    // received with and without brackets.
    for name in [
        "via-received-param-with-delim",
        "via-received-param-no-delim",
    ] {
        let via = request(name).headers.top_via().unwrap();
        assert_eq!(
            via.received(),
            Some(IpAddr::V6(v6("2001:db8::9:255"))),
            "{name}"
        );
    }

    // Mixed families across Via values.
    let r = request("mult-ip-in-header");
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        (vias[0].host.clone(), vias[0].port),
        (Host::V6(v6("2001:db8::9:1")), Some(6050))
    );
    assert_eq!(vias[1].host, Host::V4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(vias[2].transport, Transport::Tcp);
    assert_eq!(
        vias[2].received(),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 200)))
    );

    // IPv4-mapped IPv6.
    let r = request("ipv4-mapped-ipv6");
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias[0].host, Host::V6(v6("::ffff:192.0.2.10")));
    assert_eq!(vias[0].port, Some(19823));
    assert_eq!(vias[1].host, Host::V6(v6("::ffff:192.0.2.2")));
    assert_eq!(
        r.headers.contacts().unwrap()[0].display_name.as_deref(),
        Some("T. desk phone")
    );
    assert!(r.body.starts_with(b"v=0\r\n"));

    // SDP bodies are carried whole.
    for name in ["ipv6-in-sdp", "mult-ip-in-sdp"] {
        let r = request(name);
        assert_eq!(r.headers.content_type().as_deref(), Some("application/sdp"));
        assert!(
            r.body.ends_with(b"a=rtpmap:107 H263-1998/90000\r\n"),
            "{name}"
        );
    }

    // The three-colon form is tolerated and means the two-colon address.
    let bug = request("ipv6-bug-abnf-3-colons");
    let good = request("ipv6-correct-abnf-2-colons");
    assert_eq!(bug.uri, good.uri);
    assert_eq!(
        bug.uri.as_sip().unwrap().host,
        Host::V6(v6("2001:db8::192.0.2.1"))
    );
    assert_eq!(
        bug.headers.to_addr().unwrap().uri,
        good.headers.to_addr().unwrap().uri
    );
    // Strict in what we send: the correct form goes out.
    assert_eq!(bug.uri.to_string(), "sip:user@[2001:db8::c000:201]");
}

#[test]
fn raw_archive_quirks_are_refused() {
    // Bare LF line endings.
    let e = Message::parse(&raw("ipv6-good")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::BadLineEnding { line: 1 });
    // No empty line after the headers.
    let e = Message::parse(&lf_to_crlf(&raw("ipv6-correct-abnf-2-colons"))).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::MissingEmptyLine);
    assert_eq!(e.status, Some(400));
    // Content-Length 268 with a 251-byte body.
    let e = Message::parse(&lf_to_crlf(&raw("ipv6-in-sdp"))).unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::ContentLength(ContentLengthError::Truncated {
            declared: 268,
            available: 251
        })
    );
    assert!(e.echo.unwrap().iter().any(|h| h.name == HeaderName::Via));
}
