//! Retransmissions over UDP cross tandem correctly:
//! - the caller's retransmitted INVITE is absorbed: one INVITE to the far end;
//! - tandem's 200 to the caller is retransmitted (T1, 2T1, ...) until the
//!   caller's ACK arrives (RFC 3261 §13.3.1.4), then stops;
//! - the far end's 200, retransmitted because tandem's ACK was lost, is
//!   ACKed again (§13.2.2.4) without disturbing the caller.

mod sim;

use std::time::Duration;

use tandem_sip::message::{Message, Method};

use sim::*;

fn assert_secs(actual: &[f64], expected: &[f64], trace: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{actual:?} != {expected:?}\n{trace}"
    );
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-6, "{actual:?} != {expected:?}\n{trace}");
    }
}

#[test]
fn retransmitted_invite_is_forwarded_once() {
    let mut s = Sim::new();
    // Every 100 Trying toward the caller is lost, so it keeps retransmitting.
    s.set_drop(|w| {
        w.to == CALLER && matches!(&w.msg, Message::Response(r) if r.status.as_u16() == 100)
    });
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_until(s.at_ms(2000));

    let caller_invites = s.sent_times(CALLER, CTL, |w| w.request(&Method::Invite).is_some());
    assert_secs(&caller_invites, &[0.0, 0.5, 1.5], &s.trace());
    // Tandem answered each copy with 100 again (lost), and forwarded once.
    assert_eq!(s.codes_to(CALLER, &Method::Invite), vec![100, 100, 100]);
    assert_eq!(
        s.requests_to(FAR, &Method::Invite).len(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(FAR).requests(&Method::Invite).len(), 1);
    assert_eq!(s.media().opened, vec![1]);
    assert_eq!(s.ctl.stats().calls_started, 1);

    // The far end rings: the caller hears it and stops retransmitting.
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);
    s.run_until(s.at_ms(2100));
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![180]);
    s.respond(
        FAR,
        &b_key,
        200,
        Some(&answer_for(&b_invite, FAR_RTP, "sendrecv", 1)),
    );
    s.run_until(s.at_ms(10_000));
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![180, 200]);
    assert_eq!(
        s.requests_from(CALLER, &Method::Invite).len(),
        3,
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 1);
}

#[test]
fn ok_to_caller_retransmitted_until_ack() {
    let mut s = Sim::new();
    // The caller's first two ACKs are lost.
    let mut lost = 0;
    s.set_drop(move |w| {
        if w.from == CALLER && w.request(&Method::Ack).is_some() && lost < 2 {
            lost += 1;
            return true;
        }
        false
    });
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
    s.run_until(s.at_ms(40_000));

    // The far end's 200 reached tandem at 110 ms; tandem's 200 went out
    // then, again at T1 and 3*T1, and stopped once an ACK got through.
    let oks = s.sent_times(CTL, CALLER, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 200)
    });
    assert_secs(&oks, &[0.110, 0.610, 1.610], &s.trace());
    let acks = s.sent_times(CALLER, CTL, |w| w.request(&Method::Ack).is_some());
    assert_secs(&acks, &[0.120, 0.620, 1.620], &s.trace());
    // Every copy of the 200 is the same response.
    let bodies: Vec<_> = s
        .responses_to(CALLER, &Method::Invite)
        .into_iter()
        .filter(|r| r.status.as_u16() == 200)
        .map(|r| (r.headers.to_tag(), r.body))
        .collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    // The call is up; nobody hung up for want of an ACK.
    assert_eq!(s.ctl.active_calls(), 1, "{}", s.trace());
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
    assert!(s.requests_to(CALLER, &Method::Bye).is_empty());
}

#[test]
fn far_200_retransmitted_after_lost_ack_is_acked_again() {
    let mut s = Sim::new();
    // Tandem's first ACK to the far end is lost.
    let mut lost = false;
    s.set_drop(move |w| {
        if w.from == CTL && w.to == FAR && w.request(&Method::Ack).is_some() && !lost {
            lost = true;
            return true;
        }
        false
    });
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.run_until(s.at_ms(100));
    s.respond(
        FAR,
        &b_key,
        200,
        Some(&answer_for(&b_invite, FAR_RTP, "sendrecv", 1)),
    );
    s.run_until(s.at_ms(40_000));

    // The far end retransmitted its 200 at T1 and got a second ACK.
    let far_oks = s.sent_times(FAR, CTL, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 200)
    });
    assert_secs(&far_oks, &[0.100, 0.600], &s.trace());
    let acks = s.sent_times(CTL, FAR, |w| w.request(&Method::Ack).is_some());
    assert_secs(&acks, &[0.110, 0.610], &s.trace());
    let ack_msgs = s.requests_to(FAR, &Method::Ack);
    assert_eq!(ack_msgs[0].headers.cseq(), ack_msgs[1].headers.cseq());
    assert_eq!(ack_msgs[1].headers.to_tag().as_deref(), Some("bob-tag"));
    // The caller got one 200, and the call is up.
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 200]);
    assert_eq!(
        s.codes_to(CALLER, &Method::Invite),
        vec![100, 200],
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 1);
    assert_eq!(s.ctl.stats().calls_answered, 1);
    s.run_for(Duration::from_secs(1));
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
}
