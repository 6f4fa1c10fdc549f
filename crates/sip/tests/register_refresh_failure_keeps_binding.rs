//! When refreshes keep failing, the registration stays Registered while the
//! binding lives, retrying; at the expiry it becomes Failed, and retries go
//! on until the registrar answers again.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::register::{FailureReason, Registration, RegistrationState};

#[test]
fn registered_until_expiry_then_failed_then_recovers() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let req = one_request(&mut reg);
    reg.handle_response(base, &ok(&req, 600));
    let expires_at = base + secs(600);
    assert_eq!(*reg.state(), RegistrationState::Registered { expires_at });
    drain(&mut reg);

    let mut now;
    let mut attempts = 0;
    // Every refresh times out after 32 s, until the binding expires.
    loop {
        let t = reg.poll_timeout().unwrap();
        now = t;
        reg.handle_timeout(now);
        let d = drain(&mut reg);
        if now >= expires_at {
            assert_eq!(now, expires_at, "the expiry itself is a timer");
            let RegistrationState::Failed { reason, retry_at } = reg.state().clone() else {
                panic!("{:?}", reg.state());
            };
            assert_eq!(reason, FailureReason::Timeout);
            assert!(retry_at >= now);
            assert_eq!(d.states.len(), 1);
            break;
        }
        assert_eq!(d.sent.len(), 1, "at {:?}", now - base);
        assert!(
            d.states.is_empty(),
            "no state change while the binding lives"
        );
        attempts += 1;
        now += secs(32);
        if now >= expires_at {
            // The transaction is still running when the binding lapses.
            reg.handle_timeout(expires_at);
            assert_eq!(*reg.state(), RegistrationState::Registering);
            reg.handle_failure(now);
            assert!(matches!(reg.state(), RegistrationState::Failed { .. }));
            break;
        }
        reg.handle_failure(now);
        assert_eq!(*reg.state(), RegistrationState::Registered { expires_at });
    }
    assert!(attempts >= 3, "{attempts} refresh attempts before expiry");

    // The registrar comes back: the next retry registers again.
    let t = reg.poll_timeout().unwrap();
    reg.handle_timeout(t);
    let req = one_request(&mut reg);
    reg.handle_response(t, &ok(&req, 600));
    assert_eq!(
        *reg.state(),
        RegistrationState::Registered {
            expires_at: t + secs(600)
        }
    );
    assert_eq!(reg.last_failure(), None);
}
