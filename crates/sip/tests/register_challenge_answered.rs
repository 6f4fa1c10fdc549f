//! A 401 is answered once with the strongest offered algorithm (MD5 or
//! SHA-256), in a new REGISTER with CSeq + 1; refreshes then carry the
//! credentials pre-emptively with the next nonce count.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::auth::{Account, Algorithm, Credentials, DigestCredentials};
use tandem_sip::message::{HeaderName, Request};
use tandem_sip::register::{Registration, RegistrationState};

fn digest(req: &Request) -> DigestCredentials {
    match header(req, HeaderName::Authorization)
        .parse::<Credentials>()
        .expect("credentials parse")
    {
        Credentials::Digest(d) => d,
        other => panic!("{other:?}"),
    }
}

fn run(offered: Vec<Algorithm>, expected: Algorithm) {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "pa55", offered);
    let cfg = config().with_account(Account::new("trunk1", "pa55"));
    let mut reg = Registration::new(cfg, base);

    let first = one_request(&mut reg);
    assert!(!first.headers.contains(&HeaderName::Authorization));
    let challenge = registrar.handle(base, &first);
    assert_eq!(challenge.status.as_u16(), 401);
    reg.handle_response(base + secs(1), &challenge);

    let d = drain(&mut reg);
    assert_eq!(d.sent.len(), 1);
    assert!(d.states.is_empty(), "still Registering: {:?}", d.states);
    let second = &d.sent[0];
    assert_eq!(cseq(second), 2);
    assert_eq!(header(second, HeaderName::CallId), CALL_ID);
    let creds = digest(second);
    assert_eq!(creds.algorithm(), expected);
    assert_eq!(creds.username, "trunk1");
    assert_eq!(creds.realm, REALM);
    assert_eq!(creds.uri, REGISTRAR);
    assert_eq!(creds.nc, Some(1));

    let ok = registrar.handle(base + secs(1), second);
    assert_eq!(ok.status.as_u16(), 200);
    reg.handle_response(base + secs(1), &ok);
    assert_eq!(
        *reg.state(),
        RegistrationState::Registered {
            expires_at: base + secs(1) + secs(3600)
        }
    );

    // The refresh answers the same nonce again (nc=2) without waiting for
    // a new challenge. 30 minutes later this registrar (nonce lifetime
    // 300 s) finds it stale and challenges with stale=true: answered again
    // with the new nonce.
    let t = reg.poll_timeout().expect("refresh timer");
    reg.handle_timeout(t);
    let refresh = one_request(&mut reg);
    assert_eq!(cseq(&refresh), 3);
    let pre = digest(&refresh);
    assert_eq!(pre.nonce, creds.nonce);
    assert_eq!(pre.nc, Some(2));
    let stale = registrar.handle(t, &refresh);
    assert_eq!(stale.status.as_u16(), 401);
    assert!(header_of(&stale).contains("stale=true"));
    reg.handle_response(t, &stale);
    let again = one_request(&mut reg);
    assert_eq!(cseq(&again), 4);
    assert_eq!(digest(&again).nc, Some(1));
    let ok = registrar.handle(t, &again);
    assert_eq!(ok.status.as_u16(), 200);
    reg.handle_response(t, &ok);
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
}

fn header_of(resp: &tandem_sip::message::Response) -> String {
    resp.headers
        .get_all(&HeaderName::WwwAuthenticate)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn md5() {
    run(vec![Algorithm::Md5], Algorithm::Md5);
}

#[test]
fn sha256() {
    run(vec![Algorithm::Sha256], Algorithm::Sha256);
}

#[test]
fn sha256_preferred_when_both_offered() {
    run(vec![Algorithm::Sha256, Algorithm::Md5], Algorithm::Sha256);
    run(vec![Algorithm::Md5, Algorithm::Sha256], Algorithm::Sha256);
}

#[test]
fn preemptive_credentials_accepted_while_the_nonce_is_fresh() {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "pa55", vec![Algorithm::Sha256]);
    registrar.server = tandem_sip::auth::DigestServer::new([77; 32])
        .algorithms(vec![Algorithm::Sha256])
        .nonce_lifetime(7200);
    let cfg = config().with_account(Account::new("trunk1", "pa55"));
    let mut reg = Registration::new(cfg, base);
    let first = one_request(&mut reg);
    reg.handle_response(base, &registrar.handle(base, &first));
    let second = one_request(&mut reg);
    reg.handle_response(base, &registrar.handle(base, &second));
    let t = reg.poll_timeout().unwrap();
    reg.handle_timeout(t);
    let refresh = one_request(&mut reg);
    assert_eq!(digest(&refresh).nc, Some(2));
    let resp = registrar.handle(t, &refresh);
    assert_eq!(resp.status.as_u16(), 200, "one round trip per refresh");
    reg.handle_response(t, &resp);
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
    assert_eq!(registrar.seen.len(), 3);
}
