//! The INVITE client transaction ACKs a 300-699 itself (RFC 3261
//! §17.1.1.3): same branch and Request-URI, the response's To tag, CSeq
//! number with ACK. The server absorbs it (Confirmed), then Timer I ends it;
//! the client keeps re-ACKing retransmissions until Timer D.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{HeaderName, Message, Method};
use tandem_sip::transaction::{ClientInviteState, ServerInviteState, TransactionState, TuEvent};
use tandem_sip::transport::TransportKind;

#[test]
fn client_acks_non_2xx_and_server_confirms() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 404); // at 0.01
    p.run_for(Duration::from_millis(30));

    // The ACK on the wire.
    let invite = p
        .wire
        .iter()
        .find(|w| w.is_request(&Method::Invite))
        .map(|w| w.msg.clone())
        .expect("invite");
    let ack = p
        .wire
        .iter()
        .find(|w| w.from == Who::L && w.is_request(&Method::Ack))
        .map(|w| w.msg.clone())
        .expect("ack");
    let (Message::Request(invite), Message::Request(ack)) = (invite, ack) else {
        panic!("requests expected");
    };
    assert_eq!(ack.uri, invite.uri);
    assert_eq!(ack.headers.count(&HeaderName::Via), 1);
    assert_eq!(
        ack.headers.top_via(),
        invite.headers.top_via(),
        "same Via, same branch"
    );
    assert_eq!(ack.headers.to_tag().as_deref(), Some("totag"));
    assert_eq!(ack.headers.from_addr(), invite.headers.from_addr());
    assert_eq!(ack.headers.call_id(), invite.headers.call_id());
    let cseq = ack.headers.cseq().expect("cseq");
    assert_eq!(cseq.method, Method::Ack);
    assert_eq!(cseq.seq, invite.headers.cseq().expect("cseq").seq);

    // L's TU got the 404 once; L is Completed. R absorbed the ACK: no TU
    // event for it, Confirmed.
    assert_eq!(
        p.responses(Who::L, &key)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![404]
    );
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(ClientInviteState::Completed))
    );
    assert_eq!(
        p.r.layer.state(&skey),
        Some(TransactionState::ServerInvite(ServerInviteState::Confirmed))
    );
    assert!(
        !p.events(Who::R)
            .iter()
            .any(|e| matches!(e, TuEvent::StrayAck { .. } | TuEvent::Ack { .. }))
    );

    // Timer I (T4 = 5 s after the ACK arrived at 0.03) ends R's transaction;
    // Timer D (32 s after the 404 arrived at 0.02) ends L's.
    p.run_to_end(Duration::from_secs(60));
    let sk = skey.clone();
    let r_end = p.event_times(
        Who::R,
        move |e| matches!(e, TuEvent::Terminated { key } if *key == sk),
    );
    assert_times(&r_end, &[5.03]);
    let k = key.clone();
    let l_end = p.event_times(
        Who::L,
        move |e| matches!(e, TuEvent::Terminated { key: kk } if *kk == k),
    );
    assert_times(&l_end, &[32.02]);
    // No retransmission of the 404 was needed.
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(404, &Method::Invite))
            .len(),
        1
    );
}

#[test]
fn lost_ack_makes_server_retransmit_and_client_re_ack() {
    let mut p = Pair::new(TransportKind::Udp);
    let mut acks = 0;
    p.set_drop(move |who, m| {
        if who == Who::L && matches!(m, Message::Request(r) if r.method == Method::Ack) {
            acks += 1;
            return acks == 1; // the first ACK is lost
        }
        false
    });
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 603);
    p.run_for(Duration::from_secs(2));
    // 603 at 0.01 and (Timer G) 0.51; ACKs at 0.02 (lost) and 0.52.
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(603, &Method::Invite)),
        &[0.01, 0.51],
    );
    assert_times(
        &p.sent_times(Who::L, |w| w.is_request(&Method::Ack)),
        &[0.02, 0.52],
    );
    assert_eq!(
        p.r.layer.state(&skey),
        Some(TransactionState::ServerInvite(ServerInviteState::Confirmed))
    );
    // The retransmitted 603 was absorbed by L's transaction.
    assert_eq!(p.responses(Who::L, &key).len(), 1);
}
