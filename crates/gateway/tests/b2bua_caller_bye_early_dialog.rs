//! The caller hangs up with BYE in the early dialog (after a 180 with a To
//! tag, before the answer), which RFC 3261 §15 allows the caller to do.
//! Tandem answers the BYE 200 and must still answer the pending INVITE,
//! with 487 as §15.1.2 recommends; the far end's ringing is CANCELled.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

fn ringing_then_caller_bye() -> (Sim, tandem_sip::transaction::TransactionKey) {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, _) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180]);
    let bye = s.bye(CALLER);
    s.run_ms(200);
    assert_eq!(s.ua_ref(CALLER).codes(&bye), vec![200], "{}", s.trace());
    (s, a_key)
}

#[test]
fn early_bye_cancels_the_far_end() {
    let (mut s, _) = ringing_then_caller_bye();
    assert_eq!(
        s.requests_to(FAR, &Method::Cancel).len(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.codes_to(CTL, &Method::Invite), vec![180, 487]);
    assert_eq!(s.requests_to(FAR, &Method::Ack).len(), 1);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(60));
}

#[test]
fn early_bye_gets_the_invite_a_final_response() {
    let (mut s, a_key) = ringing_then_caller_bye();
    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 180, 487],
        "{}",
        s.trace()
    );
    s.run_to_end(Duration::from_secs(60));
    assert!(
        !s.ctl.has_pending_transactions(),
        "the caller's INVITE server transaction never ends"
    );
}
