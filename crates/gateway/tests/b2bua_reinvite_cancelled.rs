//! The requester cancels its re-INVITE while the other leg has not
//! answered it: the CANCEL gets 200 and the re-INVITE 487 (RFC 3261 §9.2,
//! which applies to re-INVITEs too), and the relayed re-INVITE is
//! cancelled on the other leg. The call itself goes on (§14.1).

mod sim;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn cancelled_reinvite_gets_487() {
    let mut s = Sim::new();
    s.answered_call();

    let k = s.reinvite(CALLER, &sdp(CALLER_RTP, &[0, 101], "sendonly", 2));
    s.run_ms(300); // the far end's layer sent 100 Trying, nothing more
    let c = s.cancel(CALLER, &k);
    s.run_ms(200);

    assert_eq!(s.ua_ref(CALLER).codes(&c), vec![200], "{}", s.trace());
    assert_eq!(
        s.ua_ref(CALLER).codes(&k).last(),
        Some(&487),
        "{}",
        s.trace()
    );
    assert_eq!(
        s.requests_to(FAR, &Method::Cancel).len(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 1);
}
