//! Shutdown: answered calls are ended with BYE on both legs, ringing calls
//! get 503 toward the caller and CANCEL toward the far end, and a new
//! INVITE is refused with 503.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn shutdown_ends_calls_and_refuses_new_ones() {
    let mut s = Sim::new();
    s.add_ua(CALLER2, "carol");
    let (a1, _) = s.answered_call();
    let call1_id = s.requests_to(FAR, &Method::Invite)[0]
        .headers
        .call_id()
        .unwrap()
        .to_owned();

    // A second call, ringing.
    let offer = sdp(CALLER2_RTP, &[0, 101], "sendrecv", 1);
    let a2 = s.invite(CALLER2, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b2, b2_invite) = s.ua_ref(FAR).requests(&Method::Invite)[1].clone();
    s.respond(FAR, &b2, 180, None);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER2).codes(&a2), vec![100, 180]);
    assert_eq!(s.ctl.active_calls(), 2);

    let now = s.now;
    s.ctl.shutdown(now);
    s.run_ms(200);

    // Answered call: BYE to both legs.
    let caller_byes = s.ua_ref(CALLER).requests(&Method::Bye);
    assert_eq!(caller_byes.len(), 1, "{}", s.trace());
    let far_byes = s.ua_ref(FAR).requests(&Method::Bye);
    assert_eq!(far_byes.len(), 1, "{}", s.trace());
    assert_eq!(far_byes[0].1.headers.call_id(), Some(call1_id.as_str()));
    assert_eq!(s.ua_ref(CALLER).codes(&a1).last(), Some(&200));

    // Ringing call: 503 to its caller, CANCEL to the far end, 487 ACKed.
    assert_eq!(
        s.ua_ref(CALLER2).codes(&a2),
        vec![100, 180, 503],
        "{}",
        s.trace()
    );
    let cancels = s.requests_to(FAR, &Method::Cancel);
    assert_eq!(cancels.len(), 1, "{}", s.trace());
    assert_eq!(cancels[0].headers.call_id(), b2_invite.headers.call_id());
    assert!(s.requests_to(CALLER2, &Method::Bye).is_empty());

    assert_eq!(s.ctl.active_calls(), 0, "{}", s.trace());
    let mut dropped = s.media().dropped.clone();
    dropped.sort();
    assert_eq!(dropped, vec![1, 2]);

    // New calls are refused.
    let a3 = s.invite(CALLER, NUMBER, Some(&sdp(CALLER_RTP, &[0], "sendrecv", 1)));
    s.run_ms(100);
    assert_eq!(s.ua_ref(CALLER).codes(&a3), vec![503], "{}", s.trace());
    assert_eq!(s.requests_to(FAR, &Method::Invite).len(), 2);
    assert_eq!(s.media().opened.len(), 2);

    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
}
