//! RFC 4475 §3.1.2.12 (regaut01): an Authorization header with an unknown
//! scheme parses as "other scheme" and is refused as such, not as an error.

use tandem_sip::auth::{AuthFailure, ChallengeKind, Credentials, DigestServer};
use tandem_sip::message::{HeaderName, Method, Request};

const REGAUT01: &[u8] = include_bytes!("data/torture/rfc4475/regaut01.dat");

/// The raw Authorization value, read without the message parser.
fn authorization_value() -> String {
    let text = std::str::from_utf8(REGAUT01).expect("regaut01 is ASCII");
    text.lines()
        .find_map(|l| l.strip_prefix("Authorization:"))
        .expect("regaut01 has an Authorization header")
        .trim()
        .to_owned()
}

#[test]
fn parses_as_other_scheme() {
    let v = authorization_value();
    let creds: Credentials = v.parse().unwrap();
    assert_eq!(
        creds,
        Credentials::Other {
            scheme: "NoOneKnowsThisScheme".into(),
            params: "opaque-data=here".into(),
        }
    );
    assert_eq!(creds.to_string(), v);
}

#[test]
fn server_refuses_it_as_other_scheme() {
    let mut req = Request::new(Method::Register, "sip:example.com".parse().unwrap());
    req.headers
        .push_value(HeaderName::Authorization, authorization_value());
    let mut server = DigestServer::new([3; 32]);
    let err = server
        .verify_request(
            1_750_000_000,
            &req,
            "example.com",
            ChallengeKind::Www,
            |_, _, _| None,
        )
        .unwrap_err();
    assert_eq!(err, AuthFailure::OtherScheme("NoOneKnowsThisScheme".into()));
    // Without any credentials header: Missing.
    let bare = Request::new(Method::Register, "sip:example.com".parse().unwrap());
    assert_eq!(
        server.verify_request(
            1_750_000_000,
            &bare,
            "example.com",
            ChallengeKind::Www,
            |_, _, _| None
        ),
        Err(AuthFailure::Missing)
    );
}
