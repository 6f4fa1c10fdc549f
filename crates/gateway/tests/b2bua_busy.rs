//! The far end is busy: its 486 reaches the caller as 486, both non-2xx
//! final responses are ACKed hop by hop, and the call ends.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn busy_maps_to_486() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 486, None);
    s.run_ms(100);

    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 486],
        "{}",
        s.trace()
    );
    let busy = s.ua_ref(CALLER).responses(&a_key)[1].clone();
    assert!(
        busy.headers.to_tag().is_some(),
        "a final response carries a To tag"
    );
    assert!(busy.body.is_empty());

    // Tandem ACKed the far end's 486 within its INVITE transaction
    // (RFC 3261 §17.1.1.3: same branch, To with the 486's tag).
    let acks = s.requests_to(FAR, &Method::Ack);
    assert_eq!(acks.len(), 1, "{}", s.trace());
    assert_eq!(branch(&acks[0].headers), branch(&b_invite.headers));
    assert_eq!(acks[0].headers.to_tag().as_deref(), Some("bob-tag"));
    // The caller ACKed tandem's 486; tandem does not retransmit it.
    assert_eq!(s.requests_from(CALLER, &Method::Ack).len(), 1);

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    assert_eq!(s.media().remotes.len(), 0, "no media was ever pointed");
    let st = s.ctl.stats().clone();
    assert_eq!(
        (st.calls_started, st.calls_answered, st.calls_ended),
        (1, 0, 1)
    );

    s.run_to_end(Duration::from_secs(60));
    assert_eq!(
        s.codes_to(CALLER, &Method::Invite),
        vec![100, 486],
        "{}",
        s.trace()
    );
    assert!(!s.ctl.has_pending_transactions());
}
