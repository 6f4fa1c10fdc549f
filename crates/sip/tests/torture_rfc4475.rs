//! RFC 4475 torture messages: every file meets the verdict its README gives.
//!
//! Each message is parsed as a UDP datagram. Valid ones must parse;
//! invalid ones must be refused with the README's status (or dropped, for
//! responses); application-level ones must parse and then get the README's
//! answer from `check_request` with the default (B2BUA) policy.
//!
//! Run with `--nocapture` to see the pass count.

use std::path::PathBuf;

use tandem_sip::message::{
    ContentLengthError, HeaderError, HeaderName, Host, Message, Method, ParseError, ParseErrorKind,
    Request, Response, StreamFramer, Transport, UasPolicy, Uri, UriError, check_request,
};

fn load(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/torture/rfc4475")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn request(name: &str) -> Request {
    match Message::parse(&load(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: expected a request, got {other:?}"),
    }
}

fn response(name: &str) -> Response {
    match Message::parse(&load(name)) {
        Ok(Message::Response(r)) => r,
        other => panic!("{name}: expected a response, got {other:?}"),
    }
}

type KindCheck = fn(&ParseErrorKind) -> bool;

enum Verdict {
    /// Well formed: must parse.
    Parse,
    /// Malformed: refused with this status (`None`: a response, dropped),
    /// for the reason the check accepts.
    Reject(Option<u16>, KindCheck),
    /// Parses; `check_request` with the default policy gives this.
    App(Result<(), u16>),
}

use Verdict::{App, Parse, Reject};

const TABLE: &[(&str, Verdict)] = &[
    // §3.1.1 valid messages.
    ("wsinv.dat", Parse),
    ("intmeth.dat", Parse),
    ("esc01.dat", Parse),
    ("escnull.dat", Parse),
    ("esc02.dat", Parse),
    ("lwsdisp.dat", Parse),
    ("longreq.dat", Parse),
    ("dblreq.dat", Parse),
    ("semiuri.dat", Parse),
    ("transports.dat", Parse),
    ("mpart01.dat", Parse),
    ("unreason.dat", Parse),
    ("noreason.dat", Parse),
    // §3.1.2 invalid messages.
    (
        "badinv01.dat",
        Reject(Some(400), |k| {
            matches!(
                k,
                ParseErrorKind::InvalidHeader {
                    name: HeaderName::Via,
                    ..
                }
            )
        }),
    ),
    (
        "clerr.dat",
        Reject(Some(400), |k| {
            matches!(
                k,
                ParseErrorKind::ContentLength(ContentLengthError::Truncated { declared: 9999, .. })
            )
        }),
    ),
    (
        "ncl.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::ContentLength(ContentLengthError::Negative)
        }),
    ),
    (
        "scalar02.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::CSeq,
                error: HeaderError::CSeqTooLarge,
            }
        }),
    ),
    (
        "scalarlg.dat",
        Reject(None, |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::CSeq,
                error: HeaderError::CSeqTooLarge,
            }
        }),
    ),
    (
        "quotbal.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::To,
                error: HeaderError::UnterminatedQuote,
            }
        }),
    ),
    (
        "ltgtruri.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::RequestUriInAngleBrackets
        }),
    ),
    (
        "lwsruri.dat",
        Reject(Some(400), |k| *k == ParseErrorKind::RequestUriWhitespace),
    ),
    (
        "lwsstart.dat",
        Reject(Some(400), |k| *k == ParseErrorKind::RequestLineSpacing),
    ),
    (
        "trws.dat",
        Reject(Some(400), |k| *k == ParseErrorKind::RequestLineSpacing),
    ),
    (
        "escruri.dat",
        Reject(Some(400), |k| *k == ParseErrorKind::RequestUriHeaders),
    ),
    (
        "baddate.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::Date,
                error: HeaderError::BadDate,
            }
        }),
    ),
    (
        "regbadct.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::Contact,
                error: HeaderError::UnbracketedUri,
            }
        }),
    ),
    (
        "badaspec.dat",
        Reject(Some(400), |k| {
            matches!(
                k,
                ParseErrorKind::InvalidHeader {
                    name: HeaderName::To,
                    error: HeaderError::Uri(UriError::BadScheme | UriError::MissingScheme),
                }
            )
        }),
    ),
    (
        "baddn.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::InvalidHeader {
                name: HeaderName::From,
                error: HeaderError::BadDisplayName,
            }
        }),
    ),
    (
        "badvers.dat",
        Reject(Some(505), |k| *k == ParseErrorKind::UnsupportedVersion),
    ),
    (
        "mismatch01.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::CSeqMethodMismatch {
                method: Method::Options,
                cseq: Method::Invite,
            }
        }),
    ),
    (
        "mismatch02.dat",
        Reject(Some(501), |k| {
            matches!(k, ParseErrorKind::CSeqMethodMismatch {
                method: Method::Extension(m),
                cseq: Method::Invite,
            } if m == "NEWMETHOD")
        }),
    ),
    (
        "bigcode.dat",
        Reject(None, |k| *k == ParseErrorKind::BadStatusCode),
    ),
    // §3.2 transaction layer: parses; the transaction layer sees no RFC 3261
    // branch (Via::rfc3261_branch() is None) and matches RFC 2543-style.
    ("badbranch.dat", App(Ok(()))),
    // §3.3 application layer.
    ("insuf.dat", App(Err(400))),
    ("unkscm.dat", App(Err(416))),
    ("novelsc.dat", App(Err(416))),
    // REGISTER is not served by the default policy (no registrar): 405.
    ("unksm2.dat", App(Err(405))),
    ("bext01.dat", App(Err(420))),
    ("invut.dat", App(Err(415))),
    ("regaut01.dat", App(Err(405))),
    ("multi01.dat", App(Err(400))),
    // Conflicting Content-Length breaks framing, so the parser refuses it
    // with 400 (the README allows either layer to answer 400).
    (
        "mcl01.dat",
        Reject(Some(400), |k| {
            *k == ParseErrorKind::ContentLength(ContentLengthError::Conflicting)
        }),
    ),
    ("bcast.dat", Parse),
    // OPTIONS is answered locally; the INVITE form is in `zeromf_invite`.
    ("zeromf.dat", App(Ok(()))),
    ("cparam01.dat", App(Err(405))),
    ("cparam02.dat", App(Err(405))),
    ("regescrt.dat", App(Err(405))),
    ("sdp01.dat", App(Err(406))),
    // §3.4 backward compatibility.
    ("inv2543.dat", App(Ok(()))),
];

fn judge(name: &str, verdict: &Verdict) -> Result<(), String> {
    let parsed = Message::parse(&load(name));
    match (verdict, parsed) {
        (Parse, Ok(_)) => Ok(()),
        (Parse, Err(e)) => Err(format!("should parse, got {e:?}")),
        (
            Reject(status, check),
            Err(ParseError {
                kind,
                status: got,
                echo,
            }),
        ) => {
            if got != *status {
                return Err(format!("status {got:?}, want {status:?} ({kind})"));
            }
            if !check(&kind) {
                return Err(format!("rejected for the wrong reason: {kind:?}"));
            }
            if status.is_some() && echo.is_none() {
                return Err("no echo headers to answer with".into());
            }
            Ok(())
        }
        (Reject(..), Ok(m)) => Err(format!("should be rejected, parsed {m:?}")),
        (App(want), Ok(Message::Request(r))) => {
            let got = check_request(&r, &UasPolicy::default()).map_err(|rej| rej.status);
            if got == *want {
                Ok(())
            } else {
                Err(format!("check_request gave {got:?}, want {want:?}"))
            }
        }
        (App(_), Ok(Message::Response(_))) => Err("expected a request".into()),
        (App(_), Err(e)) => Err(format!("should parse, got {e:?}")),
    }
}

#[test]
fn every_rfc4475_message_meets_its_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/torture/rfc4475");
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
    assert_eq!(listed.len(), 49);

    let mut failures = Vec::new();
    for (name, verdict) in TABLE {
        if let Err(why) = judge(name, verdict) {
            failures.push(format!("{name}: {why}"));
        }
    }
    println!(
        "rfc4475: {}/{} verdicts met",
        TABLE.len() - failures.len(),
        TABLE.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_message_details() {
    // wsinv: LWS everywhere, three Via values over two lines, unknown
    // headers untouched.
    let r = request("wsinv.dat");
    assert_eq!(r.method, Method::Invite);
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        vias.iter().map(|v| v.transport.clone()).collect::<Vec<_>>(),
        [Transport::Udp, Transport::Tcp, Transport::Udp]
    );
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(r.headers.max_forwards(), Some(68));
    assert_eq!(r.headers.cseq().unwrap().seq, 9);
    assert_eq!(r.headers.to_tag().as_deref(), Some("1918181833n"));
    let from = r.headers.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    let contacts = r.headers.contacts().unwrap();
    assert_eq!(
        contacts[0].display_name.as_deref(),
        Some("Quoted string \"\"")
    );
    assert_eq!(contacts[0].params.value("newparam"), Some("newvalue"));
    assert_eq!(contacts[0].params.value("q"), Some("0.33"));
    assert!(contacts[0].params.contains("secondparam"));
    assert_eq!(
        r.headers.get(&HeaderName::Other("newfangledheader".into())),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(
        r.headers
            .get(&HeaderName::Other("UnknownHeaderWithUnusualValue".into())),
        Some(";;,,;;,;")
    );
    assert_eq!(r.headers.get(&HeaderName::Subject), Some(""));
    assert_eq!(r.body.len(), 150);

    // intmeth: an extension method full of token characters.
    let r = request("intmeth.dat");
    assert_eq!(
        r.method,
        Method::Extension("!interesting-Method0123456789_*+`.%indeed'~".into())
    );
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(
        uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    let to = r.headers.to_addr().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
    let rej = check_request(&r, &UasPolicy::default()).unwrap_err();
    assert_eq!(rej.status, 501);
    assert_eq!(rej.headers[0].name, HeaderName::Allow);

    // esc01: escapes kept as written, decoded on request.
    let r = request("esc01.dat");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.user.as_deref(), Some("sips%3Auser%40example.com"));
    assert_eq!(uri.user_unescaped().unwrap(), "sips:user@example.com");
    let to = r.headers.to_addr().unwrap();
    assert_eq!(to.uri.as_sip().unwrap().user_unescaped().unwrap(), "user");

    // escnull: %00 does not truncate; two distinct contacts.
    let r = request("escnull.dat");
    let users: Vec<_> = r
        .headers
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.uri.as_sip().unwrap().user.clone().unwrap())
        .collect();
    assert_eq!(users, ["%00", "%00%00"]);
    assert_eq!(
        r.headers
            .to_addr()
            .unwrap()
            .uri
            .as_sip()
            .unwrap()
            .user_unescaped()
            .unwrap(),
        "null-\0-null"
    );

    // esc02: unknown method, two Contact values (C%6Fntact is another header).
    let r = request("esc02.dat");
    assert_eq!(r.method, Method::Extension("RE%47IST%45R".into()));
    assert_eq!(r.headers.contacts().unwrap().len(), 2);
    assert!(r.headers.contains(&HeaderName::Other("C%6Fntact".into())));
    assert_eq!(
        r.headers.from_addr().unwrap().display_name.as_deref(),
        Some("%Z%45")
    );
    assert_eq!(
        check_request(&r, &UasPolicy::default()).unwrap_err().status,
        501
    );

    // lwsdisp: no LWS before '<'.
    let r = request("lwsdisp.dat");
    assert_eq!(
        r.headers.from_addr().unwrap().display_name.as_deref(),
        Some("caller")
    );

    // longreq: long values, 34 Via values from many spellings of the name.
    let r = request("longreq.dat");
    assert_eq!(r.headers.vias().unwrap().len(), 34);
    assert!(r.headers.from_tag().unwrap().len() > 150);
    assert_eq!(r.body.len(), 150);

    // dblreq: the trailing INVITE-looking octets are not part of the REGISTER.
    let r = request("dblreq.dat");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());

    // semiuri: ';' inside the user part.
    let r = request("semiuri.dat");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.user.as_deref(), Some("user;par=u%40example.net"));
    assert_eq!(uri.user_unescaped().unwrap(), "user;par=u@example.net");
    assert_eq!(uri.host, Host::Domain("example.com".into()));
    assert!(uri.params.is_empty());

    // transports: unknown transports are kept.
    let r = request("transports.dat");
    let t: Vec<_> = r
        .headers
        .vias()
        .unwrap()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(
        t,
        [
            Transport::Udp,
            Transport::Sctp,
            Transport::Tls,
            Transport::Other("UNKNOWN".into()),
            Transport::Tcp
        ]
    );

    // mpart01: binary body framed by Content-Length.
    let r = request("mpart01.dat");
    assert_eq!(r.method, Method::Message);
    assert_eq!(r.body.len(), 553);
    assert_eq!(r.headers.get(&HeaderName::ContentLength), Some("553"));
    assert!(r.body.contains(&0));
    assert!(r.body.ends_with(b"--7a9cbec02ceef655--\r\n"));

    // unreason: raw UTF-8 reason phrase.
    let r = response("unreason.dat");
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(
        r.reason,
        "= 2**3 * 5**2 \u{43d}\u{43e} \u{441}\u{442}\u{43e} \
         \u{434}\u{435}\u{432}\u{44f}\u{43d}\u{43e}\u{441}\u{442}\u{43e} \
         \u{434}\u{435}\u{432}\u{44f}\u{442}\u{44c} - \
         \u{43f}\u{440}\u{43e}\u{441}\u{442}\u{43e}\u{435}"
    );

    // noreason: empty reason phrase.
    let r = response("noreason.dat");
    assert_eq!((r.status.as_u16(), r.reason.as_str()), (100, ""));
}

#[test]
fn application_level_details() {
    let policy = UasPolicy::default();

    let r = request("badbranch.dat");
    let via = r.headers.top_via().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK"));
    assert_eq!(via.rfc3261_branch(), None);

    let r = request("bext01.dat");
    let rej = check_request(&r, &policy).unwrap_err();
    assert_eq!(rej.status, 420);
    assert_eq!(rej.headers[0].name, HeaderName::Unsupported);
    assert_eq!(
        rej.headers[0].value,
        "nothingSupportsThis, nothingSupportsThisEither"
    );
    // As a proxy, Proxy-Require counts too.
    let proxy = UasPolicy {
        acts_as_proxy: true,
        ..UasPolicy::default()
    };
    let rej = check_request(&r, &proxy).unwrap_err();
    assert_eq!(
        rej.headers[0].value,
        "nothingSupportsThis, nothingSupportsThisEither, noProxiesSupportThis, norDoAnyProxiesSupportThis"
    );

    let r = request("invut.dat");
    let rej = check_request(&r, &policy).unwrap_err();
    assert_eq!(rej.status, 415);
    assert_eq!(rej.headers[0].name, HeaderName::Accept);
    assert_eq!(rej.headers[0].value, "application/sdp");

    let r = request("sdp01.dat");
    let rej = check_request(&r, &policy).unwrap_err();
    assert_eq!(rej.status, 406);
    assert_eq!(rej.headers[0].name, HeaderName::Warning);
    assert!(rej.headers[0].value.starts_with("399 "));

    let r = request("regaut01.dat");
    let resp = check_request(&r, &policy).unwrap_err().into_response(&r);
    assert_eq!(resp.status.as_u16(), 405);
    assert_eq!(
        resp.headers.get(&HeaderName::Allow),
        Some("INVITE, ACK, BYE, CANCEL, OPTIONS")
    );
    assert!(resp.headers.to_tag().is_some());

    // unksm2 is for a registrar: with REGISTER allowed it passes the checks.
    let r = request("unksm2.dat");
    assert_eq!(r.headers.to_addr().unwrap().uri.scheme(), "isbn");
    assert_eq!(r.headers.from_addr().unwrap().uri.scheme(), "http");
    assert_eq!(r.headers.contacts().unwrap()[0].uri.scheme(), "name");
    let registrar = UasPolicy {
        allowed_methods: vec![Method::Register],
        ..UasPolicy::default()
    };
    assert_eq!(check_request(&r, &registrar), Ok(()));

    // novelsc / unkscm keep the URI opaque.
    let r = request("novelsc.dat");
    assert_eq!(r.uri.scheme(), "soap.beep");
    let r = request("unkscm.dat");
    assert!(matches!(&r.uri, Uri::Absolute(a) if a.rest == "totallyopaquecontent"));

    // insuf: answered 400 even without From/To/Call-ID.
    let r = request("insuf.dat");
    let rej = check_request(&r, &policy).unwrap_err();
    assert_eq!((rej.status, rej.reason), (400, "Missing Call-ID"));

    let r = request("multi01.dat");
    assert_eq!(
        check_request(&r, &policy).unwrap_err().reason,
        "Duplicate Call-ID"
    );

    // cparam01: unknownparam is a contact parameter; cparam02: a URI one.
    let r = request("cparam01.dat");
    let c = &r.headers.contacts().unwrap()[0];
    assert!(c.params.contains("unknownparam"));
    assert!(c.uri.as_sip().unwrap().params.is_empty());
    let r = request("cparam02.dat");
    let c = &r.headers.contacts().unwrap()[0];
    assert!(c.params.is_empty());
    assert!(c.uri.as_sip().unwrap().params.contains("unknownparam"));

    // regescrt: the escaped Route stays in the contact URI.
    let r = request("regescrt.dat");
    let c = &r.headers.contacts().unwrap()[0];
    assert_eq!(
        c.uri.as_sip().unwrap().headers,
        [("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
    );

    // bcast: the second Via is the broadcast address.
    let r = response("bcast.dat");
    let vias = r.headers.vias().unwrap();
    assert!(vias[1].host.is_broadcast_or_multicast());
    assert!(!vias[0].host.is_broadcast_or_multicast());

    // inv2543: no Content-Length, the body runs to the end of the datagram.
    let raw = load("inv2543.dat");
    let r = request("inv2543.dat");
    let body_start = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&r.body[..], &raw[body_start..]);
    assert!(!r.headers.contains(&HeaderName::ContentLength));
    assert_eq!(r.headers.top_via().unwrap().branch(), None);
    assert_eq!(r.headers.from_tag(), None);
}

#[test]
fn zeromf_invite() {
    let raw = String::from_utf8(load("zeromf.dat")).unwrap();
    let invite = raw.replacen("OPTIONS", "INVITE", 2);
    let Message::Request(r) = Message::parse(invite.as_bytes()).unwrap() else {
        panic!("not a request");
    };
    assert_eq!(r.method, Method::Invite);
    let rej = check_request(&r, &UasPolicy::default()).unwrap_err();
    assert_eq!(rej.status, 483);
    // An element that does not relay processes it.
    let endpoint = UasPolicy {
        forwards: false,
        ..UasPolicy::default()
    };
    assert_eq!(check_request(&r, &endpoint), Ok(()));
}

#[test]
fn error_responses_echo_the_request() {
    for name in ["badvers.dat", "mismatch02.dat", "quotbal.dat", "baddn.dat"] {
        let e = Message::parse(&load(name)).unwrap_err();
        let resp = e.to_response().unwrap();
        assert_eq!(Some(resp.status.as_u16()), e.status, "{name}");
        for h in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::CSeq,
        ] {
            assert!(resp.headers.contains(&h), "{name}: {h} missing");
        }
        // The echoed headers go back as received (even the broken ones:
        // the peer matches its transaction on them).
        let wire = resp.to_bytes();
        let status_line = format!("SIP/2.0 {} ", resp.status.as_u16());
        assert!(wire.starts_with(status_line.as_bytes()), "{name}: {wire:?}");
    }
    // Responses are never answered.
    assert!(
        Message::parse(&load("bigcode.dat"))
            .unwrap_err()
            .to_response()
            .is_none()
    );
}

#[test]
fn stream_transport_framing_verdicts() {
    // clerr: a stream waits for the rest (then the shell times out).
    assert_eq!(StreamFramer::new().next_frame(&load("clerr.dat")), Ok(None));
    // ncl, mcl01: framing is lost, the connection is closed.
    let e = StreamFramer::new()
        .next_frame(&load("ncl.dat"))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::ContentLength(ContentLengthError::Negative)
    );
    let e = StreamFramer::new()
        .next_frame(&load("mcl01.dat"))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::ContentLength(ContentLengthError::Conflicting)
    );
    // inv2543 has no Content-Length: not acceptable on a stream.
    let e = StreamFramer::new()
        .next_frame(&load("inv2543.dat"))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::ContentLength(ContentLengthError::Missing)
    );
    assert_eq!(e.status, Some(400));
}
