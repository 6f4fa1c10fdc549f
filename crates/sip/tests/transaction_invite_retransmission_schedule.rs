//! Timer A: over UDP an unanswered INVITE is retransmitted at T1, 2*T1,
//! 4*T1 ... after the first send (no cap for INVITE), until Timer B; over
//! TCP it is sent once.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::{ClientInviteState, TimerConfig, TransactionState};
use tandem_sip::transport::TransportKind;

#[test]
fn udp_invite_is_retransmitted_at_doubling_intervals() {
    let mut p = Pair::new(TransportKind::Udp);
    p.set_drop(|_, _| true); // R never hears anything
    let key = p.send(Who::L, Method::Invite);
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(ClientInviteState::Calling))
    );
    p.run_for(Duration::from_secs(40));
    let invites = p.sent_times(Who::L, |w| w.is_request(&Method::Invite));
    // Sent at 0, then Timer A at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; B at 32.
    assert_times(&invites, &[0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    // Every retransmission is the same bytes: same branch.
    let branches: Vec<_> = p
        .wire
        .iter()
        .filter(|w| w.is_request(&Method::Invite))
        .map(|w| w.msg.headers().top_via().expect("via").params)
        .collect();
    assert!(branches.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn udp_schedule_follows_configured_t1() {
    let config = TimerConfig {
        t1: Duration::from_millis(100),
        ..TimerConfig::default()
    };
    let mut p = Pair::with_config(TransportKind::Udp, config);
    p.set_drop(|_, _| true);
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_secs(10));
    let invites = p.sent_times(Who::L, |w| w.is_request(&Method::Invite));
    // 64*T1 = 6.4 s: 0, .1, .3, .7, 1.5, 3.1, 6.3.
    assert_times(&invites, &[0.0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3]);
}

#[test]
fn tcp_invite_is_sent_once() {
    let mut p = Pair::new(TransportKind::Tcp);
    p.set_drop(|_, _| true);
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_secs(40));
    let invites = p.sent_times(Who::L, |w| w.is_request(&Method::Invite));
    assert_times(&invites, &[0.0]);
}

#[test]
fn provisional_stops_retransmission() {
    let mut p = Pair::new(TransportKind::Udp);
    // R's automatic 100 Trying (and its repeats) are lost; R's TU answers
    // 180 at 1.9 s: the INVITE retransmissions stop then.
    p.set_drop(|who, m| {
        who == Who::R && matches!(m, Message::Response(r) if r.status.as_u16() == 100)
    });
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(1900));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180);
    p.run_for(Duration::from_secs(30));
    let invites = p.sent_times(Who::L, |w| w.is_request(&Method::Invite));
    // 0, 0.5, 1.5 before the 180 (sent at 1.9, received at 1.91).
    assert_times(&invites, &[0.0, 0.5, 1.5]);
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(
            ClientInviteState::Proceeding
        ))
    );
}
