//! Responses that do not belong to the REGISTER in flight are ignored:
//! provisional ones, an older CSeq (a late retransmission), another
//! Call-ID, or any response when nothing is in flight.

mod register_support;

use std::time::Instant;

use register_support::*;
use tandem_sip::message::HeaderName;
use tandem_sip::register::{Registration, RegistrationState};

#[test]
fn only_the_current_transaction_counts() {
    let base = Instant::now();
    let mut reg = Registration::new(config(), base);
    let first = one_request(&mut reg);
    let late_for_first = respond(&first, 503);
    reg.handle_failure(base + secs(32));
    let retry = reg.poll_timeout().unwrap();
    reg.handle_timeout(retry);
    let second = one_request(&mut reg);
    let state = reg.state().clone();

    reg.handle_response(retry, &respond(&second, 100));
    reg.handle_response(retry, &late_for_first);
    let mut foreign = ok(&second, 3600);
    foreign
        .headers
        .set(HeaderName::CallId, "someone-else@example.com");
    reg.handle_response(retry, &foreign);
    let d = drain(&mut reg);
    assert!(d.sent.is_empty() && d.states.is_empty());
    assert_eq!(*reg.state(), state);

    reg.handle_response(retry, &ok(&second, 3600));
    assert!(matches!(reg.state(), RegistrationState::Registered { .. }));
    // A duplicate 200 after the transaction completed changes nothing.
    let before = reg.poll_timeout();
    reg.handle_response(retry + secs(5), &ok(&second, 60));
    assert_eq!(reg.poll_timeout(), before);
}
