//! Timers G and H: a 300-699 response to an INVITE that is never ACKed is
//! retransmitted at T1, 2*T1 ... capped at T2 (Timer G) and the server
//! transaction fails at 64*T1 (Timer H).

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::{ServerInviteState, TransactionState, TuEvent};
use tandem_sip::transport::TransportKind;

#[test]
fn unacked_final_response_is_retransmitted_until_timer_h() {
    let mut p = Pair::new(TransportKind::Udp);
    // Every ACK from L is lost.
    p.set_drop(|who, m| {
        who == Who::L && matches!(m, Message::Request(r) if r.method == Method::Ack)
    });
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10)); // INVITE arrives at 0.01
    let (skey, _) = p.last_request(Who::R);
    p.run_until(p.base + Duration::from_secs(1));
    p.respond(Who::R, &skey, 486); // at 1.0
    assert_eq!(
        p.r.layer.state(&skey),
        Some(TransactionState::ServerInvite(ServerInviteState::Completed))
    );
    p.run_for(Duration::from_secs(40));
    let sent: Vec<f64> = p
        .sent_times(Who::R, |w| w.is_response(486, &Method::Invite))
        .iter()
        .map(|t| t - 1.0)
        .collect();
    assert_times(
        &sent,
        &[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5],
    );
    let k = skey.clone();
    let timeouts = p.event_times(
        Who::R,
        move |e| matches!(e, TuEvent::Timeout { key } if *key == k),
    );
    assert_times(&timeouts, &[33.0]);
    assert_eq!(p.r.layer.state(&skey), None);
    // L re-ACKed every copy it got, and its TU saw the 486 once.
    let acks = p.sent_times(Who::L, |w| w.is_request(&Method::Ack));
    assert_eq!(acks.len(), sent.len());
    let finals: Vec<_> = p
        .events(Who::L)
        .into_iter()
        .filter(
            |e| matches!(e, TuEvent::Response { response, .. } if response.status.as_u16() == 486),
        )
        .collect();
    assert_eq!(finals.len(), 1);
}
