//! The far end cannot be reached. Silence: tandem retransmits its INVITE
//! (Timer A) and gives up at Timer B (64*T1), answering the caller 408.
//! A transport error: the caller gets 503 at once.

mod sim;

use std::time::Duration;

use tandem_sip::message::Method;
use tandem_sip::transport::Peer;

use sim::*;

#[test]
fn silent_far_end_gives_408_after_64_t1() {
    let mut s = Sim::new();
    s.ua(FAR).silent = true;
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));

    s.run_until(s.at_ms(32_009));
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100], "{}", s.trace());
    s.run_ms(100);

    // INVITE sent at 10 ms, then at T1, 2T1, 4T1 ... (RFC 3261 §17.1.1.2).
    let invites = s.sent_times(CTL, FAR, |w| w.request(&Method::Invite).is_some());
    let expected: Vec<f64> = [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
        .iter()
        .map(|t| t + 0.010)
        .collect();
    assert_eq!(invites.len(), expected.len(), "{}", s.trace());
    for (a, e) in invites.iter().zip(&expected) {
        assert!((a - e).abs() < 1e-6, "{invites:?} != {expected:?}");
    }
    // Timer B fires 64*T1 after the first INVITE: 408 to the caller.
    let t408 = s.sent_times(CTL, CALLER, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 408)
    });
    assert_eq!(t408.len(), 1, "{}", s.trace());
    assert!((t408[0] - 32.010).abs() < 1e-6, "408 at {t408:?}");
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 408]);

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    // No CANCEL for an INVITE that never got a provisional response.
    assert!(s.requests_to(FAR, &Method::Cancel).is_empty());
    s.run_to_end(Duration::from_secs(60));
    assert!(!s.ctl.has_pending_transactions());
}

#[test]
fn transport_error_gives_503() {
    let mut s = Sim::new();
    s.ua(FAR).silent = true;
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(100);
    assert_eq!(s.requests_to(FAR, &Method::Invite).len(), 1);

    // ICMP port unreachable (or a refused connection) for the far end.
    let now = s.now;
    s.ctl.handle_transport_error(now, Peer::udp(FAR));
    s.run_ms(100);

    assert_eq!(
        s.ua_ref(CALLER).codes(&a_key),
        vec![100, 503],
        "{}",
        s.trace()
    );
    let t503 = s.sent_times(CTL, CALLER, |w| {
        w.response(&Method::Invite)
            .is_some_and(|r| r.status.as_u16() == 503)
    });
    assert_eq!(t503, vec![0.100]);
    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1]);
    // No more INVITE retransmissions toward the dead peer.
    s.run_to_end(Duration::from_secs(60));
    assert_eq!(
        s.requests_to(FAR, &Method::Invite).len(),
        1,
        "{}",
        s.trace()
    );
    assert!(!s.ctl.has_pending_transactions());
}
