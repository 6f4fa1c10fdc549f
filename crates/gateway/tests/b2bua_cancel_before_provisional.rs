//! The caller cancels before the far end sent any provisional response.
//! Tandem answers the caller at once (200 to CANCEL, 487 to INVITE), but
//! may only CANCEL toward the far end after a provisional response arrived
//! (RFC 3261 §9.1). If none ever arrives, the INVITE times out and the
//! call is cleaned up all the same.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn cancel_waits_for_the_far_ends_100() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_until(s.at_ms(50));
    let c_key = s.cancel(CALLER, &a_key);
    s.run_until(s.at_ms(100));

    assert_eq!(s.ua_ref(CALLER).codes(&c_key), vec![200], "{}", s.trace());
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 487]);
    assert!(
        s.requests_to(FAR, &Method::Cancel).is_empty(),
        "no CANCEL before a provisional"
    );

    // The far end's transaction sends 100 Trying 200 ms after the INVITE
    // reached it (at 220 ms, arriving at 230 ms): the CANCEL follows at once.
    s.run_until(s.at_ms(1000));
    let cancels = s.sent_times(CTL, FAR, |w| w.request(&Method::Cancel).is_some());
    assert_eq!(cancels.len(), 1, "{}", s.trace());
    assert!((cancels[0] - 0.230).abs() < 1e-6, "{cancels:?}");
    assert_eq!(s.codes_to(CTL, &Method::Invite), vec![100, 487]);
    assert_eq!(s.requests_to(FAR, &Method::Ack).len(), 1);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
}

#[test]
fn cancel_toward_silent_far_end_is_never_sent() {
    let mut s = Sim::new();
    s.ua(FAR).silent = true;
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_until(s.at_ms(50));
    s.cancel(CALLER, &a_key);
    s.run_until(s.at_ms(100));
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 487]);

    s.run_to_end(Duration::from_secs(120));
    assert!(
        s.requests_to(FAR, &Method::Cancel).is_empty(),
        "{}",
        s.trace()
    );
    assert_eq!(s.codes_to(CALLER, &Method::Invite), vec![100, 487]);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    assert_eq!(s.ctl.stats().calls_ended, 1);
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
}
