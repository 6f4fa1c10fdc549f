//! The far end rings longer than `no_answer_timeout_secs`: the caller gets
//! 480 at the deadline and the far end a CANCEL; its 487 is ACKed.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn ringing_too_long_gives_480_and_cancel() {
    let text = config_text().replace("no_answer_timeout_secs = 60", "no_answer_timeout_secs = 5");
    let mut s = Sim::with_config(&text);
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, _) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);

    // Just before the deadline (INVITE at tandem at 10 ms + 5 s) nothing.
    s.run_until(s.at_ms(5009));
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180]);
    assert!(s.requests_to(FAR, &Method::Cancel).is_empty());

    s.run_ms(200);
    assert_eq!(
        s.sent_times(CTL, CALLER, |w| w
            .response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 480)),
        vec![5.010],
        "{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180, 480]);
    assert_eq!(
        s.sent_times(CTL, FAR, |w| w.request(&Method::Cancel).is_some()),
        vec![5.010]
    );
    // The far end's 487 was ACKed.
    assert_eq!(
        s.codes_to(CTL, &Method::Invite),
        vec![180, 487],
        "{}",
        s.trace()
    );
    assert_eq!(s.requests_to(FAR, &Method::Ack).len(), 1);

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
}
