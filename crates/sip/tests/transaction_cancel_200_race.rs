//! CANCEL (RFC 3261 §9): the normal path (CANCEL -> 200 to the CANCEL,
//! `Cancelled` to the callee's TU, 487 to the INVITE, ACKed by the caller's
//! transaction) and the race where the CANCEL crosses the 200 OK: the INVITE
//! is answered 2xx, the CANCEL gets 200 (or 481 once the INVITE
//! transaction is gone) with no effect, and the caller still ACKs and gets
//! the dialog.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::{
    ClientInviteState, ClientNonInviteState, ServerInviteState, TransactionState, TuEvent,
};
use tandem_sip::transport::TransportKind;

#[test]
fn cancel_then_487() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, invite_at_r) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180);
    p.run_for(Duration::from_millis(10)); // 180 arrives at 0.02
    let now = p.now;
    let ckey = p.l.layer.send_cancel(now, &key).expect("cancel");
    p.drain();
    assert_ne!(ckey, key);
    assert_eq!(ckey.branch(), key.branch());

    // The CANCEL on the wire copies the INVITE (§9.1).
    let cancel = p
        .wire
        .iter()
        .find(|w| w.is_request(&Method::Cancel))
        .map(|w| w.msg.clone())
        .expect("CANCEL sent at once after the 180");
    let Message::Request(cancel) = cancel else {
        unreachable!()
    };
    assert_eq!(cancel.uri, invite_at_r.uri);
    assert_eq!(cancel.headers.call_id(), invite_at_r.headers.call_id());
    assert_eq!(cancel.headers.from_addr(), invite_at_r.headers.from_addr());
    assert_eq!(cancel.headers.to_addr(), p.wire[0].msg.headers().to_addr());
    let cseq = cancel.headers.cseq().expect("cseq");
    assert_eq!(cseq.method, Method::Cancel);
    assert_eq!(Some(cseq.seq), invite_at_r.headers.cseq().map(|c| c.seq));
    assert_eq!(cancel.headers.vias().expect("vias").len(), 1);
    assert_eq!(cancel.headers.top_via(), p.wire[0].msg.headers().top_via());

    p.run_for(Duration::from_millis(10)); // CANCEL arrives at 0.03
    let cancelled: Vec<_> = p
        .events(Who::R)
        .into_iter()
        .filter(|e| matches!(e, TuEvent::Cancelled { .. }))
        .collect();
    assert_eq!(cancelled.len(), 1);
    let TuEvent::Cancelled {
        invite,
        cancel: rcancel,
    } = &cancelled[0]
    else {
        unreachable!()
    };
    assert_eq!(invite, &skey);
    assert_ne!(rcancel, &skey);
    // The CANCEL is not a new request for R's TU.
    let requests = p
        .events(Who::R)
        .iter()
        .filter(|e| matches!(e, TuEvent::Request { .. }))
        .count();
    assert_eq!(requests, 1);
    // 200 to the CANCEL, with the To tag of the 180.
    let ok_cancel = p
        .wire
        .iter()
        .find(|w| w.from == Who::R && w.is_response(200, &Method::Cancel))
        .expect("200 to CANCEL")
        .msg
        .clone();
    assert_eq!(ok_cancel.headers().to_tag().as_deref(), Some("totag"));

    p.respond(Who::R, &skey, 487);
    p.run_for(Duration::from_millis(50));
    assert_eq!(
        p.responses(Who::L, &key)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![180, 487]
    );
    assert_eq!(
        p.responses(Who::L, &ckey)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![200]
    );
    // The 487 was ACKed by L's transaction and confirmed at R.
    assert_eq!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Ack)).len(),
        1
    );
    assert_eq!(
        p.r.layer.state(&skey),
        Some(TransactionState::ServerInvite(ServerInviteState::Confirmed))
    );
    assert_eq!(
        p.l.layer.state(&ckey),
        Some(TransactionState::ClientNonInvite(
            ClientNonInviteState::Completed
        ))
    );
}

#[test]
fn cancel_crossing_the_200_has_no_effect() {
    let mut p = Pair::new(TransportKind::Udp);
    p.delay = Duration::from_millis(50);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(50)); // INVITE at R at 0.05
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180);
    p.run_for(Duration::from_millis(50)); // 180 at L at 0.10
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(
            ClientInviteState::Proceeding
        ))
    );
    // Both at 0.10: L cancels, R answers 200. They cross on the wire.
    let now = p.now;
    let ckey = p.l.layer.send_cancel(now, &key).expect("cancel");
    p.respond(Who::R, &skey, 200);
    p.run_for(Duration::from_millis(120)); // now 0.22

    // R: the CANCEL (arrived at 0.15, INVITE already Accepted) got 200 and
    // no Cancelled event.
    assert!(
        !p.events(Who::R)
            .iter()
            .any(|e| matches!(e, TuEvent::Cancelled { .. }))
    );
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(200, &Method::Cancel))
            .len(),
        1
    );
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(487, &Method::Invite))
            .len(),
        0
    );
    // L: the 200 to the INVITE reached the TU; the transaction is Accepted.
    assert!(p.responses(Who::L, &key).iter().any(|r| r.1 == 200));
    assert_eq!(
        p.responses(Who::L, &ckey)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![200]
    );

    // The caller ACKs the 2xx: the callee has its dialog confirmed.
    let invite = match &p.wire[0].msg {
        Message::Request(r) => r.clone(),
        Message::Response(_) => unreachable!(),
    };
    let ok = p
        .events(Who::L)
        .into_iter()
        .find_map(|e| match e {
            TuEvent::Response { response, .. } if response.status.as_u16() == 200 => Some(response),
            _ => None,
        })
        .expect("200");
    p.ack_2xx(Who::L, &invite, &ok);
    p.run_for(Duration::from_secs(1));
    let sk = skey.clone();
    assert_eq!(
        p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Ack { key, .. } if *key == sk)
        )
        .len(),
        1
    );
    // The ACK (sent at 0.22) arrived at 0.27, before the first 2xx
    // retransmission was due (0.60): the 200 went out once.
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite)),
        &[0.10],
    );
}

#[test]
fn cancel_after_invite_transaction_ended_gets_481() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180);
    p.run_for(Duration::from_millis(10));
    // R's transaction disappears (R restarted): a fresh layer.
    p.r.layer = tandem_sip::transaction::TransactionLayer::new(
        Default::default(),
        tandem_sip::transaction::LocalVia::none(),
    );
    let now = p.now;
    let ckey = p.l.layer.send_cancel(now, &key).expect("cancel");
    p.run_for(Duration::from_millis(30));
    assert_eq!(
        p.responses(Who::L, &ckey)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![481]
    );
    assert!(
        !p.events(Who::R)
            .iter()
            .any(|e| matches!(e, TuEvent::Cancelled { .. }))
    );
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(481, &Method::Cancel)),
        &[0.03],
    );
}
