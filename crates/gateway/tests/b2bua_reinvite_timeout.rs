//! A relayed re-INVITE that the other leg never answers: after Timer B the
//! requester gets 408, and the call is ended with BYE on both legs (RFC
//! 3261 §14.1: a 408 to a re-INVITE means the dialog is gone).

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn unanswered_reinvite_ends_the_call() {
    let mut s = Sim::new();
    s.answered_call();
    s.ua(FAR).silent = true; // the far end is gone
    let start = s.now;

    let k = s.reinvite(CALLER, &sdp(CALLER_RTP, &[0, 101], "sendonly", 2));
    s.run_for(Duration::from_secs(31));
    assert!(s.ua_ref(CALLER).codes(&k).iter().all(|c| *c < 200));
    s.run_for(Duration::from_secs(2));

    assert_eq!(
        s.ua_ref(CALLER).codes(&k).last(),
        Some(&408),
        "{}",
        s.trace()
    );
    let t408 = s.sent_times(CTL, CALLER, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 408)
    });
    // Relayed at +10 ms, Timer B = 64*T1 = 32 s.
    let expected = s.secs(start) + 0.010 + 32.0;
    assert_eq!(t408.len(), 1);
    assert!((t408[0] - expected).abs() < 1e-6, "{t408:?} vs {expected}");
    assert_eq!(
        s.ua_ref(CALLER).requests(&Method::Bye).len(),
        1,
        "{}",
        s.trace()
    );
    assert!(!s.requests_to(FAR, &Method::Bye).is_empty());
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
}
