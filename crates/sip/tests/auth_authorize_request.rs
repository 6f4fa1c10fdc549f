//! Message-level loop: a server's 401 (WWW-Authenticate) or 407
//! (Proxy-Authenticate) -> `authorize_request` adds the matching
//! credentials header -> `verify_request` accepts the request.

use tandem_sip::auth::{
    Account, Algorithm, AuthorizeError, ChallengeKind, Credentials, DigestClient, DigestServer,
    UserSecret, authorize_request,
};
use tandem_sip::message::{HeaderName, Method, Request, Response, StatusCode};

const NOW: u64 = 1_750_000_000;

fn invite() -> Request {
    let mut req = Request::new(
        Method::Invite,
        "sip:+15550100@trunk.example.net"
            .parse()
            .expect("URI parses"),
    );
    req.headers
        .push_value(HeaderName::From, "<sip:gw@tandem.example>;tag=a1");
    req.headers
        .push_value(HeaderName::To, "<sip:+15550100@trunk.example.net>");
    req.headers.push_value(HeaderName::CallId, "c1@tandem");
    req.headers.push_value(HeaderName::CSeq, "1 INVITE");
    req.body = bytes::Bytes::from_static(b"v=0\r\n");
    req
}

fn lookup(user: &str, _: &str, _: &Algorithm) -> Option<UserSecret> {
    (user == "gw").then(|| UserSecret::Password("pw".into()))
}

fn round_trip(kind: ChallengeKind) {
    let mut server = DigestServer::new([8; 32]);
    let mut req = invite();
    let challenge = server.challenge_response(NOW, &req, "trunk.example.net", kind, false, None);
    assert_eq!(challenge.status, kind.status());
    assert_eq!(challenge.headers.count(&kind.challenge_header()), 2);

    let mut client = DigestClient::with_seed(5);
    let got = authorize_request(&mut req, &challenge, &Account::new("gw", "pw"), &mut client)
        .expect("the challenge is answered");
    assert_eq!(got, kind);
    assert_eq!(req.headers.count(&kind.credentials_header()), 1);
    let line = req
        .headers
        .get(&kind.credentials_header())
        .expect("credentials header added");
    let Ok(Credentials::Digest(d)) = line.parse::<Credentials>() else {
        panic!("{line}");
    };
    assert_eq!(
        d.algorithm,
        Some(Algorithm::Sha256),
        "the stronger challenge is answered"
    );
    assert_eq!(d.uri, "sip:+15550100@trunk.example.net");

    let ok = server
        .verify_request(NOW + 1, &req, "trunk.example.net", kind, lookup)
        .expect("the server accepts the answer");
    assert_eq!(ok.username, "gw");
    // The other header kind does not authorize this request.
    let other = match kind {
        ChallengeKind::Www => ChallengeKind::Proxy,
        ChallengeKind::Proxy => ChallengeKind::Www,
    };
    assert!(
        server
            .verify_request(NOW + 1, &req, "trunk.example.net", other, lookup)
            .is_err()
    );

    // A second challenge replaces the credentials for the realm, not adds.
    let again = server.challenge_response(NOW + 2, &req, "trunk.example.net", kind, true, None);
    authorize_request(&mut req, &again, &Account::new("gw", "pw"), &mut client)
        .expect("the stale challenge is answered");
    assert_eq!(req.headers.count(&kind.credentials_header()), 1);
    assert!(
        server
            .verify_request(NOW + 3, &req, "trunk.example.net", kind, lookup)
            .is_ok()
    );
}

#[test]
fn answers_401_with_authorization() {
    round_trip(ChallengeKind::Www);
}

#[test]
fn answers_407_with_proxy_authorization() {
    round_trip(ChallengeKind::Proxy);
}

#[test]
fn refuses_what_it_cannot_answer() {
    let mut req = invite();
    let acct = Account::new("gw", "pw");
    let mut client = DigestClient::with_seed(5);
    let ok = Response::new(StatusCode::new(200).unwrap());
    assert_eq!(
        authorize_request(&mut req, &ok, &acct, &mut client),
        Err(AuthorizeError::NotAChallenge(200))
    );
    let mut bare = Response::new(StatusCode::new(401).unwrap());
    assert_eq!(
        authorize_request(&mut req, &bare, &acct, &mut client),
        Err(AuthorizeError::NoChallenge)
    );
    bare.headers
        .push_value(HeaderName::WwwAuthenticate, "Digest realm=\"x");
    assert!(matches!(
        authorize_request(&mut req, &bare, &acct, &mut client),
        Err(AuthorizeError::Malformed(_))
    ));
    let mut aka = Response::new(StatusCode::new(401).unwrap());
    aka.headers.push_value(
        HeaderName::WwwAuthenticate,
        "Digest realm=\"ims\", nonce=\"n\", algorithm=AKAv1-MD5",
    );
    aka.headers
        .push_value(HeaderName::WwwAuthenticate, "Basic realm=\"x\"");
    assert_eq!(
        authorize_request(&mut req, &aka, &acct, &mut client),
        Err(AuthorizeError::NoSupportedChallenge)
    );
    assert!(!req.headers.contains(&HeaderName::Authorization));
}
