//! The caller's CANCEL crosses the far end's 200.
//!
//! When the CANCEL reaches tandem first, tandem has no final response
//! toward the caller yet, so RFC 3261 §9.2 applies: 200 to the CANCEL and
//! 487 to the INVITE. The far end's 200 that crossed tandem's CANCEL
//! creates a dialog nobody wants: tandem must ACK it (§13.2.2.4) and then
//! end it with BYE (§15). No call may be left behind.
//!
//! When the 200 reaches tandem first, the call is answered; the late CANCEL
//! gets 200 and changes nothing (§9.2), and the caller, who got a 2xx after
//! cancelling, ends the call with BYE (§9.1).

mod sim;

use std::time::Duration;

use tandem_sip::message::{Message, Method};

use sim::*;

#[test]
fn cancel_reaches_tandem_before_far_200() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);

    // CANCEL leaves the caller at 100 ms (reaches tandem at 110 ms, tandem's
    // CANCEL reaches the far end at 120 ms); the far end answers at 105 ms
    // (its 200 reaches tandem at 115 ms).
    s.run_until(s.at_ms(100));
    let cancel_key = s.cancel(CALLER, &a_key);
    s.run_until(s.at_ms(105));
    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_ms(300);

    // The caller: CANCEL accepted, INVITE terminated, never a 200.
    assert_eq!(
        s.ua_ref(CALLER).codes(&cancel_key),
        vec![200],
        "{}",
        s.trace()
    );
    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 180, 487],
        "{}",
        s.trace()
    );
    assert!(s.requests_to(CALLER, &Method::Bye).is_empty());

    // The far end: its 200 is ACKed, then its dialog ended with BYE.
    let to_far: Vec<&Message> = s
        .wire_between(CTL, FAR)
        .into_iter()
        .map(|w| &w.msg)
        .filter(|m| matches!(m, Message::Request(r) if r.method == Method::Ack || r.method == Method::Bye))
        .collect();
    let methods: Vec<&str> = to_far
        .iter()
        .map(|m| match m {
            Message::Request(r) => r.method.as_str(),
            Message::Response(_) => "",
        })
        .collect();
    assert_eq!(methods, vec!["ACK", "BYE"], "{}", s.trace());
    if let Message::Request(bye) = to_far[1] {
        assert_eq!(bye.headers.to_tag().as_deref(), Some("bob-tag"));
        assert_eq!(bye.headers.call_id(), b_invite.headers.call_id());
        assert_eq!(bye.uri.to_string(), format!("sip:bob@{FAR}"));
    }
    assert_eq!(s.ua_ref(FAR).requests(&Method::Bye).len(), 1);

    // Nothing dangles.
    assert_eq!(s.ctl.active_calls(), 0, "{}", s.trace());
    assert_eq!(s.media().dropped, vec![1]);
    assert_eq!(s.ctl.stats().calls_answered, 0);
    s.run_to_end(Duration::from_secs(120));
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
    assert_eq!(s.requests_to(FAR, &Method::Bye).len(), 1, "{}", s.trace());
    assert_eq!(s.codes_to(CALLER, &Method::Invite), vec![100, 180, 487]);
}

#[test]
fn far_200_reaches_tandem_before_cancel() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);

    // The far end answers at 100 ms (200 at tandem at 110 ms, tandem's 200
    // at the caller at 120 ms); the caller cancels at 105 ms (at tandem at
    // 115 ms, after tandem answered).
    s.run_until(s.at_ms(100));
    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_until(s.at_ms(105));
    let cancel_key = s.cancel(CALLER, &a_key);
    s.run_ms(200);

    assert_eq!(
        s.ua_ref(CALLER).codes(&cancel_key),
        vec![200],
        "{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180, 200]);
    assert!(
        s.requests_to(FAR, &Method::Cancel).is_empty(),
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 1, "the call is up");

    // The caller got a 2xx after cancelling: it hangs up (RFC 3261 §9.1).
    let bye_key = s.bye(CALLER);
    s.run_ms(100);
    assert_eq!(s.ua_ref(CALLER).codes(&bye_key), vec![200]);
    assert_eq!(
        s.ua_ref(FAR).requests(&Method::Bye).len(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    s.run_to_end(Duration::from_secs(120));
    assert!(!s.ctl.has_pending_transactions(), "{}", s.trace());
}
