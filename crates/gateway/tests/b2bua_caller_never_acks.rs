//! The caller never ACKs tandem's 200: after 64*T1 of retransmissions the
//! session is ended with BYE on both legs (RFC 3261 §13.3.1.4).

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn no_ack_ends_the_call_after_64_t1() {
    let mut s = Sim::new();
    s.ua(CALLER).auto.ack_2xx = false;
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.run_until(s.at_ms(100));
    s.respond(
        FAR,
        &b_key,
        200,
        Some(&answer_for(&b_invite, FAR_RTP, "sendrecv", 1)),
    );

    s.run_until(s.at_ms(32_000));
    assert_eq!(s.ctl.active_calls(), 1);
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
    s.run_until(s.at_ms(33_000));

    // 200 sent at 110 ms; 64*T1 later (32.110 s) tandem gives up.
    let byes_far = s.sent_times(CTL, FAR, |w| w.request(&Method::Bye).is_some());
    let byes_caller = s.sent_times(CTL, CALLER, |w| w.request(&Method::Bye).is_some());
    assert_eq!(byes_far.len(), 1, "{}", s.trace());
    assert_eq!(byes_caller.len(), 1, "{}", s.trace());
    assert!((byes_far[0] - 32.110).abs() < 1e-6, "{byes_far:?}");
    // The 200 was retransmitted meanwhile, at most every T2.
    let oks = s.sent_times(CTL, CALLER, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 200)
    });
    assert!(oks.len() >= 10, "{oks:?}");
    assert!(oks.windows(2).all(|w| w[1] - w[0] <= 4.0 + 1e-6));
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
}
