//! A REGISTER transaction that times out is retried with backoff (30 s
//! doubling up to 10 min, jittered 50-100 %); success resets the backoff.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

#[test]
fn backoff_grows_then_resets() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let mut now = base;
    let mut cseqs = Vec::new();
    for (i, full) in [30u64, 60, 120, 240, 480, 600, 600].into_iter().enumerate() {
        let req = one_request(&mut reg);
        cseqs.push(cseq(&req));
        now += secs(32); // Timer F.
        reg.handle_failure(now);
        let RegistrationState::Failed { retry_at, reason } = reg.state().clone() else {
            panic!("{:?}", reg.state());
        };
        assert_eq!(reason, FailureReason::Timeout);
        let gap = retry_at - now;
        assert!(
            gap >= secs(full / 2) && gap <= secs(full),
            "failure {i}: {gap:?}"
        );
        assert_eq!(reg.poll_timeout(), Some(retry_at));
        now = retry_at;
        reg.handle_timeout(now);
    }
    assert_eq!(cseqs, (1..=7).collect::<Vec<u32>>());

    // Success, then the next refresh times out: back to the first step, and
    // the binding still lives, so the state stays Registered.
    let req = one_request(&mut reg);
    reg.handle_response(now, &ok(&req, 3600));
    let expires_at = now + secs(3600);
    assert_eq!(*reg.state(), RegistrationState::Registered { expires_at });
    now = reg.poll_timeout().unwrap();
    reg.handle_timeout(now);
    let _refresh = one_request(&mut reg);
    now += secs(32);
    reg.handle_failure(now);
    assert_eq!(*reg.state(), RegistrationState::Registered { expires_at });
    assert_eq!(reg.last_failure(), Some(&FailureReason::Timeout));
    let retry = reg.poll_timeout().unwrap();
    assert!(retry >= now + secs(15) && retry <= now + secs(30));
}

#[test]
fn failure_without_request_in_flight_is_ignored() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let req = one_request(&mut reg);
    reg.handle_response(base, &ok(&req, 3600));
    reg.handle_failure(base + secs(1));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
    assert_eq!(reg.last_failure(), None);
}
