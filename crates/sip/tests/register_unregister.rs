//! unregister(): REGISTER with Expires: 0 in the same dialog, then
//! Unregistered with no timers, whatever the answer; a challenge on the way
//! is answered.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::auth::{Account, Algorithm};
use tandem_sip::message::HeaderName;
use tandem_sip::register::{Registration, RegistrationState};

#[test]
fn removes_the_binding() {
    let base = Instant::now();
    let mut registrar = Registrar::open(base);
    let mut reg = Registration::new(config(), base);
    let req = one_request(&mut reg);
    reg.handle_response(base, &registrar.handle(base, &req));
    drain(&mut reg);

    let t = base + secs(100);
    reg.unregister(t);
    let d = drain(&mut reg);
    assert_eq!(d.states, [RegistrationState::Unregistering]);
    let bye = &d.sent[0];
    assert_eq!(expires(bye), 0);
    assert_eq!(cseq(bye), 2);
    assert_eq!(header(bye, HeaderName::CallId), CALL_ID);
    assert_eq!(header(bye, HeaderName::Contact), format!("<{CONTACT}>"));
    // While it is in flight there is no timer: no refresh, no expiry.
    assert_eq!(reg.poll_timeout(), None);

    reg.handle_response(t, &registrar.handle(t, bye));
    assert_eq!(*reg.state(), RegistrationState::Unregistered);
    assert_eq!(drain(&mut reg).states, [RegistrationState::Unregistered]);
    assert_eq!(reg.poll_timeout(), None);
    reg.handle_timeout(t + secs(86_400));
    let d = drain(&mut reg);
    assert!(d.sent.is_empty() && d.states.is_empty());
}

#[test]
fn answers_a_challenge_then_gives_up_on_failure() {
    let base = Instant::now();
    let mut registrar = Registrar::with_auth(base, "pw", vec![Algorithm::Sha256]);
    let mut reg = Registration::new(config().with_account(Account::new("trunk1", "pw")), base);
    // Register (401 then 200).
    for _ in 0..2 {
        let req = one_request(&mut reg);
        reg.handle_response(base, &registrar.handle(base, &req));
    }
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));

    // Much later the stored nonce is stale: the unregistration is
    // challenged, answered, and succeeds.
    let t = base + secs(1000);
    reg.unregister(t);
    let first = one_request(&mut reg);
    assert!(first.headers.contains(&HeaderName::Authorization));
    let resp = registrar.handle(t, &first);
    assert_eq!(resp.status.as_u16(), 401);
    reg.handle_response(t, &resp);
    assert_eq!(*reg.state(), RegistrationState::Unregistering);
    let second = one_request(&mut reg);
    assert_eq!(expires(&second), 0);
    reg.handle_response(t, &registrar.handle(t, &second));
    assert_eq!(*reg.state(), RegistrationState::Unregistered);

    // Register again, then an unregistration that fails is not retried.
    reg.register(t);
    let req = one_request(&mut reg);
    reg.handle_response(t, &registrar.handle(t, &req));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
    reg.unregister(t + secs(1));
    let bye = one_request(&mut reg);
    reg.handle_response(t + secs(1), &respond(&bye, 500));
    assert_eq!(*reg.state(), RegistrationState::Unregistered);
    assert_eq!(reg.poll_timeout(), None);
}
