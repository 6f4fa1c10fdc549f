//! A trunk with `inbound_auth`: an INVITE without credentials is
//! challenged with 401 offering SHA-256 and MD5 (RFC 8760 §2.4: strongest
//! first, one nonce); the INVITE retried with valid credentials (either
//! algorithm) is forwarded; wrong credentials are challenged again and
//! never forwarded. Nothing is opened before the caller is authenticated.

mod sim;

use tandem_sip::auth::{Account, Algorithm, DigestClient, authorize_request, response_challenges};
use tandem_sip::message::{HeaderName, Method, Request, Response};

use sim::*;

const REALM: &str = "tandem.test";

fn config() -> String {
    config_text().replace(
        "codecs = [\"PCMU\", \"PCMA\", \"telephone-event\"]",
        "codecs = [\"PCMU\", \"PCMA\", \"telephone-event\"]\ninbound_auth = { username = \"alice\", password = \"pw\", realm = \"tandem.test\" }",
    )
}

/// Sends an INVITE without credentials; returns it and the 401.
fn challenged(s: &mut Sim) -> (Request, Response) {
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let req = s.invite_request(CALLER, NUMBER, Some(&offer));
    let key = s.send_request(CALLER, req.clone());
    s.run_ms(100);
    let resps = s.ua_ref(CALLER).responses(&key);
    let codes: Vec<u16> = resps.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, vec![401], "{}", s.trace());
    (req, resps[0].clone())
}

/// The request retried as a new transaction (RFC 3261 §22.2): CSeq + 1,
/// the layer adds a new Via branch.
fn next_try(req: &Request) -> Request {
    let mut r = req.clone();
    let mut cseq = r.headers.cseq().expect("request has a CSeq");
    cseq.seq += 1;
    r.headers.set(HeaderName::CSeq, cseq);
    r.headers.remove_all(&HeaderName::Via);
    r
}

#[test]
fn unauthenticated_invite_is_challenged_with_sha256_and_md5() {
    let mut s = Sim::with_config(&config());
    let (_req, resp) = challenged(&mut s);

    let (_, challenges) = response_challenges(&resp).unwrap();
    let digests: Vec<_> = challenges
        .iter()
        .map(|c| c.as_ref().unwrap().as_digest().unwrap().clone())
        .collect();
    let algs: Vec<Algorithm> = digests.iter().map(|d| d.algorithm()).collect();
    assert_eq!(algs, vec![Algorithm::Sha256, Algorithm::Md5]);
    for d in &digests {
        assert_eq!(d.realm, REALM);
        assert!(!d.stale);
        assert!(d.qop.iter().any(|q| q.to_string() == "auth"));
    }
    assert_eq!(digests[0].nonce, digests[1].nonce);
    assert!(resp.headers.to_tag().is_some());

    // Not routed, no media, ACKed, counted as rejected.
    assert!(s.wire_between(CTL, FAR).is_empty());
    assert!(s.media().opened.is_empty());
    assert_eq!(s.requests_from(CALLER, &Method::Ack).len(), 1);
    assert_eq!(s.ctl.stats().rejected, 1);
    assert_eq!(s.ctl.stats().calls_started, 0);
}

#[test]
fn retry_with_credentials_is_forwarded() {
    let mut s = Sim::with_config(&config());
    let (req, challenge) = challenged(&mut s);

    let mut retry = next_try(&req);
    authorize_request(
        &mut retry,
        &challenge,
        &Account::new("alice", "pw"),
        &mut DigestClient::new(),
    )
    .unwrap();
    assert!(
        retry
            .headers
            .get(&HeaderName::Authorization)
            .unwrap()
            .contains("SHA-256"),
        "the client picked the strongest algorithm"
    );
    let key = s.send_request(CALLER, retry);
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![100], "{}", s.trace());
    let invites = s.ua_ref(FAR).requests(&Method::Invite);
    assert_eq!(invites.len(), 1, "{}", s.trace());
    // The caller's credentials are for tandem, not for the far trunk.
    assert!(!invites[0].1.headers.contains(&HeaderName::Authorization));
    assert_eq!(s.media().opened.len(), 1, "media opened once authenticated");
    assert_eq!(s.ctl.stats().calls_started, 1);
}

#[test]
fn retry_with_md5_credentials_is_forwarded() {
    let mut s = Sim::with_config(&config());
    let (req, challenge) = challenged(&mut s);

    // A client that only knows MD5 answers the MD5 challenge.
    let (_, challenges) = response_challenges(&challenge).unwrap();
    let md5 = challenges
        .iter()
        .filter_map(|c| c.as_ref().ok().and_then(|c| c.as_digest()).cloned())
        .find(|d| d.algorithm() == Algorithm::Md5)
        .unwrap();
    let mut retry = next_try(&req);
    let creds = DigestClient::new()
        .respond(
            &md5,
            &Account::new("alice", "pw"),
            "INVITE",
            &retry.uri.to_string(),
            &retry.body,
        )
        .unwrap();
    retry.headers.push_value(HeaderName::Authorization, creds);
    let key = s.send_request(CALLER, retry);
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![100], "{}", s.trace());
    assert_eq!(s.ua_ref(FAR).requests(&Method::Invite).len(), 1);
}

#[test]
fn wrong_password_is_challenged_again() {
    let mut s = Sim::with_config(&config());
    let (req, challenge) = challenged(&mut s);

    let mut retry = next_try(&req);
    authorize_request(
        &mut retry,
        &challenge,
        &Account::new("alice", "not-the-password"),
        &mut DigestClient::new(),
    )
    .unwrap();
    let key = s.send_request(CALLER, retry);
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![401], "{}", s.trace());
    assert!(s.wire_between(CTL, FAR).is_empty());
    assert!(s.media().opened.is_empty());
    assert_eq!(s.ctl.stats().rejected, 2);
}
