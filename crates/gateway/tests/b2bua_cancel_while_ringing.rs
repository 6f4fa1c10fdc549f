//! The caller cancels while the far end rings: the CANCEL is answered 200
//! and the INVITE 487; the far end gets a CANCEL, and its 487 is ACKed.

mod sim;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn cancel_while_ringing() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    s.respond(FAR, &b_key, 180, None);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180]);

    let cancel_key = s.cancel(CALLER, &a_key);
    s.run_ms(200);

    // Caller: 200 for the CANCEL, 487 for the INVITE (RFC 3261 §9.2).
    assert_eq!(
        s.ua_ref(CALLER).codes(&cancel_key),
        vec![200],
        "{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180, 487]);
    // The 487 carries the To tag of the 180 (same early dialog).
    let a_resps = s.ua_ref(CALLER).responses(&a_key);
    assert_eq!(a_resps[2].headers.to_tag(), a_resps[1].headers.to_tag());

    // Far end: a CANCEL matching its INVITE (RFC 3261 §9.1).
    // (The far end's layer answers CANCEL itself, so look on the wire.)
    let cancels = s.requests_to(FAR, &Method::Cancel);
    assert_eq!(cancels.len(), 1, "{}", s.trace());
    let c = &cancels[0];
    assert_eq!(c.uri, b_invite.uri);
    assert_eq!(c.headers.call_id(), b_invite.headers.call_id());
    assert_eq!(seq(&c.headers), seq(&b_invite.headers));
    assert_eq!(branch(&c.headers), branch(&b_invite.headers));
    // Its 487 is ACKed by tandem (hop-by-hop ACK, same branch).
    assert_eq!(s.codes_to(CTL, &Method::Invite), vec![180, 487]);
    let acks = s.requests_to(FAR, &Method::Ack);
    assert_eq!(acks.len(), 1, "{}", s.trace());
    assert_eq!(branch(&acks[0].headers), branch(&b_invite.headers));
    // And the caller ACKed tandem's 487.
    assert_eq!(s.requests_from(CALLER, &Method::Ack).len(), 1);

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    assert_eq!(s.ctl.stats().calls_answered, 0);
    assert_eq!(s.ctl.stats().calls_ended, 1);
    s.run_to_end(std::time::Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
    // No BYE anywhere: nothing was answered.
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
    assert!(s.requests_to(CALLER, &Method::Bye).is_empty());
}
