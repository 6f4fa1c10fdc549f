//! 423 Interval Too Brief: the REGISTER is sent again at once with the
//! registrar's Min-Expires, which is kept for refreshes.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

#[test]
fn retries_with_min_expires() {
    let base = Instant::now();
    let mut registrar = Registrar::open(base);
    registrar.min_expires = Some(7200);
    let mut reg = Registration::new(config(), base);

    let first = one_request(&mut reg);
    assert_eq!(expires(&first), 3600);
    let resp = registrar.handle(base, &first);
    assert_eq!(resp.status.as_u16(), 423);
    reg.handle_response(base + secs(1), &resp);

    let second = one_request(&mut reg);
    assert_eq!(cseq(&second), 2);
    assert_eq!(expires(&second), 7200);
    assert_eq!(reg.expires_requested(), 7200);
    reg.handle_response(base + secs(1), &registrar.handle(base + secs(1), &second));
    assert_eq!(
        *reg.state(),
        RegistrationState::Registered {
            expires_at: base + secs(1) + secs(7200)
        }
    );

    let t = reg.poll_timeout().unwrap();
    assert!(t >= base + secs(1 + 3600) && t <= base + secs(1 + 4320));
    reg.handle_timeout(t);
    assert_eq!(expires(&one_request(&mut reg)), 7200);
}

#[test]
fn without_usable_min_expires_it_fails() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    // No Min-Expires at all.
    reg.handle_response(base, &respond(&first, 423));
    assert!(drain(&mut reg).sent.is_empty());
    let RegistrationState::Failed { reason, .. } = reg.state().clone() else {
        panic!("{:?}", reg.state());
    };
    assert_eq!(reason, FailureReason::Rejected(status(423)));
}
