//! Re-INVITE glare: while one leg's re-INVITE is being relayed, a
//! re-INVITE from the other leg gets 491 Request Pending (RFC 3261 §14.2)
//! and is not relayed; the first one completes normally.

mod sim;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn crossing_reinvite_gets_491() {
    let mut s = Sim::new();
    s.answered_call();

    let k_caller = s.reinvite(CALLER, &sdp(CALLER_RTP, &[0, 101], "sendonly", 2));
    s.run_ms(50);
    let far_invites = s.ua_ref(FAR).requests(&Method::Invite);
    assert_eq!(far_invites.len(), 2, "{}", s.trace());
    let (k_relayed, relayed) = far_invites[1].clone();

    // The far end, not having answered, sends its own re-INVITE.
    let k_far = s.reinvite(FAR, &sdp(FAR_RTP, &[0, 101], "sendonly", 2));
    s.run_ms(50);
    assert_eq!(s.ua_ref(FAR).codes(&k_far), vec![491], "{}", s.trace());
    assert_eq!(
        s.ua_ref(CALLER).requests(&Method::Invite).len(),
        0,
        "the far end's re-INVITE was not relayed"
    );

    // The first re-INVITE still completes.
    s.respond(
        FAR,
        &k_relayed,
        200,
        Some(&answer_for(&relayed, FAR_RTP, "recvonly", 2)),
    );
    s.run_ms(100);
    assert_eq!(
        s.ua_ref(CALLER).codes(&k_caller).last(),
        Some(&200),
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 1);
}
