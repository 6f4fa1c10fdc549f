//! A re-INVITE the other leg refuses (488): the refusal reaches the
//! requester, the session stays as it was (RFC 3261 §14.1), the media legs
//! are not touched and the call goes on.

mod sim;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn refused_reinvite_leaves_call_as_it_was() {
    let mut s = Sim::new();
    s.answered_call();
    let remotes = s.media().remotes.len();

    let k = s.reinvite(CALLER, &sdp(CALLER_RTP, &[0, 101], "sendonly", 2));
    s.run_ms(50);
    let (k_relayed, _) = s.ua_ref(FAR).requests(&Method::Invite)[1].clone();
    s.respond(FAR, &k_relayed, 488, None);
    s.run_ms(100);

    assert_eq!(s.ua_ref(CALLER).codes(&k), vec![488], "{}", s.trace());
    // The far end's 488 was ACKed in its transaction, the caller's too.
    assert_eq!(s.requests_to(FAR, &Method::Ack).len(), 2, "{}", s.trace());
    assert_eq!(s.media().remotes.len(), remotes, "media untouched");
    assert_eq!(s.ctl.active_calls(), 1);

    // A later re-INVITE works.
    let k2 = s.reinvite(CALLER, &sdp(CALLER_RTP, &[0, 101], "sendonly", 3));
    s.run_ms(50);
    let (k_relayed2, relayed2) = s.ua_ref(FAR).requests(&Method::Invite)[2].clone();
    s.respond(
        FAR,
        &k_relayed2,
        200,
        Some(&answer_for(&relayed2, FAR_RTP, "recvonly", 2)),
    );
    s.run_ms(100);
    assert_eq!(
        s.ua_ref(CALLER).codes(&k2).last(),
        Some(&200),
        "{}",
        s.trace()
    );
}
