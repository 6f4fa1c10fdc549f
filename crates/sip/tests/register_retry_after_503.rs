//! 503 with Retry-After: the next attempt is exactly that much later; a 503
//! without it backs off like any failure.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::message::HeaderName;
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

#[test]
fn honours_retry_after() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    let mut busy = respond(&first, 503);
    busy.headers
        .push_value(HeaderName::RetryAfter, "120 (maintenance)");
    let t = base + secs(2);
    reg.handle_response(t, &busy);
    assert_eq!(
        *reg.state(),
        RegistrationState::Failed {
            retry_at: t + secs(120),
            reason: FailureReason::Rejected(status(503)),
        }
    );
    assert_eq!(reg.poll_timeout(), Some(t + secs(120)));
    reg.handle_timeout(t + secs(119));
    assert!(drain(&mut reg).sent.is_empty());
    reg.handle_timeout(t + secs(120));
    let d = drain(&mut reg);
    assert_eq!(d.sent.len(), 1);
    assert_eq!(cseq(&d.sent[0]), 2);
    assert_eq!(d.states, [RegistrationState::Registering]);
    reg.handle_response(t + secs(120), &ok(&d.sent[0], 3600));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
}

#[test]
fn retry_after_is_capped() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    let mut busy = respond(&first, 503);
    busy.headers.push_value(HeaderName::RetryAfter, "999999");
    reg.handle_response(base, &busy);
    assert_eq!(reg.poll_timeout(), Some(base + secs(3600)));
}

#[test]
fn without_retry_after_backs_off() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    reg.handle_response(base, &respond(&first, 503));
    let RegistrationState::Failed { retry_at, .. } = *reg.state() else {
        panic!("{:?}", reg.state());
    };
    assert!(retry_at >= base + secs(15) && retry_at <= base + secs(30));
}
