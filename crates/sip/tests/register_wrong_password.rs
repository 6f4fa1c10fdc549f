//! Wrong credentials: the challenge is answered once; a new challenge for
//! the same realm without stale=true (same nonce or a new one) fails the
//! attempt, and attempts are retried with growing, jittered backoff.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::auth::{Account, Algorithm};
use tandem_sip::message::HeaderName;
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

#[test]
fn fails_then_backs_off() {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "right", vec![Algorithm::Md5]);
    let cfg = config().with_account(Account::new("trunk1", "wrong"));
    let mut reg = Registration::new(cfg, base);
    let mut now = base;
    let mut retry_gaps = Vec::new();

    for attempt in 1..=4u32 {
        // One attempt: answer challenges until the registration gives up.
        let mut requests = 0;
        loop {
            let d = drain(&mut reg);
            if d.sent.is_empty() {
                break;
            }
            assert_eq!(d.sent.len(), 1);
            requests += 1;
            let resp = registrar.handle(now, &d.sent[0]);
            assert_eq!(resp.status.as_u16(), 401);
            reg.handle_response(now, &resp);
        }
        // The first attempt: no credentials, then one answer. Later ones:
        // the stored (now old) credentials, then one answer to the new
        // challenge.
        assert_eq!(requests, 2, "attempt {attempt}");
        let RegistrationState::Failed { retry_at, reason } = reg.state().clone() else {
            panic!("attempt {attempt}: {:?}", reg.state());
        };
        assert_eq!(
            reason,
            FailureReason::CredentialsRejected {
                realm: REALM.into()
            }
        );
        assert_eq!(reg.poll_timeout(), Some(retry_at));
        retry_gaps.push(retry_at - now);
        // Nothing happens before the retry time.
        reg.handle_timeout(retry_at - secs(1));
        assert!(drain(&mut reg).sent.is_empty());
        now = retry_at;
        reg.handle_timeout(now);
    }
    // 30 s doubling, each scaled by 50-100 %.
    for (i, gap) in retry_gaps.iter().enumerate() {
        let full = 30u64 << i;
        assert!(
            *gap >= secs(full / 2) && *gap <= secs(full),
            "retry {i}: {gap:?}"
        );
    }
}

#[test]
fn same_nonce_again_means_wrong_credentials() {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "right", vec![Algorithm::Sha256]);
    let cfg = config().with_account(Account::new("trunk1", "wrong"));
    let mut reg = Registration::new(cfg, base);
    let first = one_request(&mut reg);
    let challenge = registrar.handle(base, &first);
    reg.handle_response(base, &challenge);
    let second = one_request(&mut reg);
    // The registrar repeats the very same challenge for the new CSeq.
    let mut repeat = respond(&second, 401);
    for v in challenge.headers.get_all(&HeaderName::WwwAuthenticate) {
        repeat.headers.push_value(HeaderName::WwwAuthenticate, v);
    }
    reg.handle_response(base, &repeat);
    assert!(
        drain(&mut reg).sent.is_empty(),
        "no second answer to one nonce"
    );
    assert!(matches!(
        reg.state(),
        RegistrationState::Failed {
            reason: FailureReason::CredentialsRejected { .. },
            ..
        }
    ));
}

#[test]
fn challenge_without_credentials_configured() {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "right", vec![Algorithm::Md5]);
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    reg.handle_response(base, &registrar.handle(base, &first));
    assert!(drain(&mut reg).sent.is_empty());
    assert!(matches!(
        reg.state(),
        RegistrationState::Failed {
            reason: FailureReason::NoCredentials,
            ..
        }
    ));
}
