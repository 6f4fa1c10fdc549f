//! RFC 3261 §17.2.1: the INVITE server transaction sends 100 Trying itself
//! when the TU has not answered within 200 ms, and not when it has.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{HeaderName, Message, Method};
use tandem_sip::transaction::{ClientInviteState, TransactionState};
use tandem_sip::transport::TransportKind;

#[test]
fn silent_tu_gets_a_100_trying_after_200ms() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite); // arrives at 0.01
    p.run_for(Duration::from_secs(1));
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(100, &Method::Invite)),
        &[0.21],
    );
    let trying = p
        .wire
        .iter()
        .find(|w| w.is_response(100, &Method::Invite))
        .expect("100")
        .msg
        .clone();
    let Message::Response(trying) = trying else {
        unreachable!()
    };
    // No To tag on a 100; the L's Via comes back (with received/rport).
    assert_eq!(trying.headers.to_tag(), None);
    assert_eq!(trying.headers.count(&HeaderName::Via), 1);
    assert_eq!(trying.headers.call_id(), p.wire[0].msg.headers().call_id());
    // L stopped retransmitting: the 100 arrived at 0.22, before Timer A at 0.5.
    assert_times(
        &p.sent_times(Who::L, |w| w.is_request(&Method::Invite)),
        &[0.0],
    );
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(
            ClientInviteState::Proceeding
        ))
    );
    assert_eq!(
        p.responses(Who::L, &key)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![100]
    );
}

#[test]
fn tu_answering_within_200ms_means_no_100() {
    let mut p = Pair::new(TransportKind::Udp);
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(110));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180); // at 0.11
    p.run_for(Duration::from_secs(1));
    assert!(
        p.sent_times(Who::R, |w| w.is_response(100, &Method::Invite))
            .is_empty()
    );
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(180, &Method::Invite)),
        &[0.11],
    );
}

#[test]
fn non_invite_gets_no_automatic_100() {
    let mut p = Pair::new(TransportKind::Udp);
    p.send(Who::L, Method::Options);
    p.run_for(Duration::from_millis(400));
    assert!(!p.wire.iter().any(|w| w.from == Who::R));
}
