//! The far trunk challenges tandem's INVITE (401 from a UAS, 407 from a
//! proxy): tandem answers with the digest of the trunk's `outbound_auth`
//! in a new INVITE transaction (CSeq + 1, new branch, same Call-ID and From
//! tag; RFC 3261 §22.2, §22.3), and the call connects. A challenge repeated
//! with the same nonce means the credentials are wrong (RFC 7616 §3.3,
//! `stale` absent): the call fails toward the caller with 503.

mod sim;

use std::time::Duration;

use tandem_sip::auth::{ChallengeKind, DigestServer, UserSecret};
use tandem_sip::message::{HeaderName, Method, Request, Response, StatusCode};

use sim::*;

const REALM: &str = "far.example";

fn config() -> String {
    config_text().replace(
        "codecs = [\"PCMU\", \"telephone-event\"]",
        "codecs = [\"PCMU\", \"telephone-event\"]\noutbound_auth = { username = \"tandem-user\", password = \"s3cret\" }",
    )
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn verify(server: &mut DigestServer, req: &Request, kind: ChallengeKind) -> bool {
    server
        .verify_request(now_unix(), req, REALM, kind, |user, _realm, _alg| {
            (user == "tandem-user").then(|| UserSecret::Password("s3cret".to_owned()))
        })
        .is_ok()
}

fn challenge_answered(kind: ChallengeKind) {
    let mut s = Sim::with_config(&config());
    let mut server = DigestServer::new([7; 32]);
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);

    let (k1, inv1) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    assert!(
        !verify(&mut server, &inv1, kind),
        "first INVITE has no credentials"
    );
    let challenge =
        server.challenge_response(now_unix(), &inv1, REALM, kind, false, Some("bob-tag"));
    s.send_response(FAR, &k1, challenge);
    s.run_ms(100);

    // The challenge was ACKed in its transaction, then a new INVITE came.
    let acks = s.requests_to(FAR, &Method::Ack);
    assert_eq!(acks.len(), 1, "{}", s.trace());
    assert_eq!(branch(&acks[0].headers), branch(&inv1.headers));
    let invites = s.ua_ref(FAR).requests(&Method::Invite);
    assert_eq!(invites.len(), 2, "{}", s.trace());
    let (k2, inv2) = invites[1].clone();
    assert_eq!(seq(&inv2.headers), seq(&inv1.headers) + 1);
    assert_ne!(branch(&inv2.headers), branch(&inv1.headers));
    assert_eq!(inv2.headers.call_id(), inv1.headers.call_id());
    assert_eq!(inv2.headers.from_tag(), inv1.headers.from_tag());
    assert_eq!(inv2.headers.to_tag(), None);
    assert_eq!(inv2.body, inv1.body, "same offer");
    assert!(
        inv2.headers.contains(&kind.credentials_header()),
        "{:?} missing",
        kind.credentials_header()
    );
    assert!(verify(&mut server, &inv2, kind), "credentials verify");
    // The caller saw nothing of it.
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100]);

    let answer = answer_for(&inv2, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &k2, 200, Some(&answer));
    s.run_ms(100);
    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 200],
        "{}",
        s.trace()
    );
    let acks = s.requests_to(FAR, &Method::Ack);
    assert_eq!(acks.len(), 2, "{}", s.trace());
    assert_eq!(seq(&acks[1].headers), 2, "ACK for the 2xx of CSeq 2");
    assert_eq!(s.ctl.active_calls(), 1);
    assert_eq!(s.ctl.stats().calls_answered, 1);
}

#[test]
fn answers_401_with_authorization() {
    challenge_answered(ChallengeKind::Www);
}

#[test]
fn answers_407_with_proxy_authorization() {
    challenge_answered(ChallengeKind::Proxy);
}

/// Sets up a call whose far end challenges the first INVITE and answers
/// every later INVITE with the very same challenge (same nonce, not stale).
/// Returns the sim and the caller's INVITE key.
fn refused_credentials() -> (Sim, tandem_sip::transaction::TransactionKey) {
    let mut s = Sim::with_config(&config());
    let mut server = DigestServer::new([7; 32]);
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);

    let (k1, inv1) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    let first = server.challenge_response(
        now_unix(),
        &inv1,
        REALM,
        ChallengeKind::Www,
        false,
        Some("bob-tag"),
    );
    let challenge_lines: Vec<String> = first
        .headers
        .get_all(&HeaderName::WwwAuthenticate)
        .map(str::to_owned)
        .collect();
    s.send_response(FAR, &k1, first);
    s.run_ms(100);

    // (As if the trunk had another password for tandem-user.)
    let mut answered = 1;
    loop {
        let invites = s.ua_ref(FAR).requests(&Method::Invite);
        if invites.len() == answered || answered > 5 {
            break;
        }
        let (k, inv) = invites[answered].clone();
        let mut again = Response::for_request(
            &inv,
            StatusCode::new(401).expect("valid code"),
            Some("bob-tag"),
        );
        for l in &challenge_lines {
            again.headers.push_value(HeaderName::WwwAuthenticate, l);
        }
        s.send_response(FAR, &k, again);
        s.run_ms(200);
        answered += 1;
    }
    (s, a_key)
}

#[test]
fn same_nonce_challenged_again_fails_with_503() {
    let (mut s, a_key) = refused_credentials();
    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 503],
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
}

#[test]
fn refused_credentials_are_not_sent_again() {
    let (s, a_key) = refused_credentials();
    // RFC 7616 §3.3 (stale absent: "the username and/or password are
    // invalid"): after the second 401 with the same nonce, give up.
    assert_eq!(
        s.ua_ref(FAR).requests(&Method::Invite).len(),
        2,
        "a third INVITE was sent after the same nonce was refused:\n{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 503]);
}
