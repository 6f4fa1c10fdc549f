//! The far end hangs up an answered call: its BYE is answered and a BYE
//! in the caller's dialog reaches the caller; the call and its media end.

mod sim;

use tandem::media::Side;
use tandem_sip::message::Method;

use sim::*;

#[test]
fn callee_bye_reaches_caller() {
    let mut s = Sim::new();
    let (a_key, _b_key) = s.answered_call();
    let a_ok = s
        .ua_ref(CALLER)
        .responses(&a_key)
        .into_iter()
        .find(|r| r.status.as_u16() == 200)
        .unwrap();
    let a_invite = s.requests_from(CALLER, &Method::Invite)[0].clone();

    let bye_key = s.bye(FAR);
    s.run_ms(100);

    assert_eq!(s.ua_ref(FAR).codes(&bye_key), vec![200], "{}", s.trace());
    let byes = s.ua_ref(CALLER).requests(&Method::Bye);
    assert_eq!(byes.len(), 1, "{}", s.trace());
    let bye = &byes[0].1;
    // RFC 3261 §12.2.1.1: to the caller's Contact, in the caller's dialog,
    // tandem's tag (from its 200) in From, the caller's tag in To.
    assert_eq!(bye.uri.to_string(), format!("sip:alice@{CALLER}"));
    assert_eq!(bye.headers.call_id(), a_invite.headers.call_id());
    assert_eq!(bye.headers.from_tag(), a_ok.headers.to_tag());
    assert_eq!(bye.headers.to_tag(), a_invite.headers.from_tag());
    // The caller answered it.
    assert_eq!(s.codes_to(CTL, &Method::Bye), vec![200]);

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    assert_eq!(s.ctl.stats().calls_ended, 1);
    // Media was up on both legs before.
    assert!(s.media().last_remote(1, Side::A).is_some());
    s.run_to_end(std::time::Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
}
