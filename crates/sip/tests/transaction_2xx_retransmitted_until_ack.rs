//! RFC 6026 / RFC 3261 §13.3.1.4: a 2xx moves the server INVITE transaction
//! to Accepted; over UDP the 2xx is retransmitted at T1, 2*T1 ... capped at
//! T2 until the ACK (with a branch of its own) arrives; every copy reaches
//! the caller's TU; without ACK the callee's TU gets a timeout at 64*T1.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method, Response};
use tandem_sip::transaction::{ClientInviteState, ServerInviteState, TransactionState, TuEvent};
use tandem_sip::transport::TransportKind;

fn last_ok(p: &Pair) -> Response {
    p.events(Who::L)
        .into_iter()
        .rev()
        .find_map(|e| match e {
            TuEvent::Response { response, .. } if response.status.as_u16() == 200 => Some(response),
            _ => None,
        })
        .expect("a 200 reached L")
}

#[test]
fn ok_is_retransmitted_until_the_ack_arrives() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    let invite = match &p.wire[0].msg {
        Message::Request(r) => r.clone(),
        Message::Response(_) => unreachable!(),
    };
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200); // at 0.01
    assert_eq!(
        p.r.layer.state(&skey),
        Some(TransactionState::ServerInvite(ServerInviteState::Accepted))
    );
    // L's TU does not ACK for 8 s.
    p.run_until(p.base + Duration::from_secs(8));
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientInvite(ClientInviteState::Accepted))
    );
    let oks = p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite));
    assert_times(&oks, &[0.01, 0.51, 1.51, 3.51, 7.51]);
    // Each copy reached L's TU (Accepted passes 2xx up).
    let got: Vec<u16> = p.responses(Who::L, &key).iter().map(|r| r.1).collect();
    assert_eq!(got, vec![200; 5]);

    // The ACK (own branch) stops the retransmissions.
    let ok = last_ok(&p);
    p.ack_2xx(Who::L, &invite, &ok); // at 8.0, arrives 8.01
    let ack_wire = p
        .wire
        .iter()
        .rev()
        .find(|w| w.is_request(&Method::Ack))
        .expect("ack")
        .msg
        .clone();
    let inv_branch = invite.headers.top_via().expect("via").params;
    assert_ne!(
        ack_wire.headers().top_via().expect("via").params,
        inv_branch
    );
    p.run_for(Duration::from_secs(30));
    let acked = p.event_times(Who::R, |e| matches!(e, TuEvent::Ack { .. }));
    assert_times(&acked, &[8.01]);
    let r_events = p.events(Who::R);
    let Some(TuEvent::Ack {
        key: ack_key,
        request,
        ..
    }) = r_events.iter().find(|e| matches!(e, TuEvent::Ack { .. }))
    else {
        panic!("no Ack event");
    };
    assert_eq!(ack_key, &skey);
    assert_eq!(request.method, Method::Ack);
    let oks = p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite));
    assert_times(&oks, &[0.01, 0.51, 1.51, 3.51, 7.51]);
    assert!(
        !r_events
            .iter()
            .any(|e| matches!(e, TuEvent::Timeout { .. } | TuEvent::StrayAck { .. }))
    );

    // Timer L (64*T1 after the 2xx) ends R's transaction; Timer M L's.
    p.run_to_end(Duration::from_secs(60));
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Terminated { key } if *key == sk),
        ),
        &[32.01],
    );
    assert_times(
        &p.event_times(
            Who::L,
            move |e| matches!(e, TuEvent::Terminated { key: k } if *k == key),
        ),
        &[32.02],
    );
}

#[test]
fn no_ack_within_64_t1_times_out() {
    let mut p = Pair::new(TransportKind::Udp);
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200); // at 0.01, never ACKed
    p.run_for(Duration::from_secs(40));
    let oks = p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite));
    // T1 doubling to T2 = 4 s, then every 4 s, up to 64*T1.
    assert_times(
        &oks,
        &[
            0.01, 0.51, 1.51, 3.51, 7.51, 11.51, 15.51, 19.51, 23.51, 27.51, 31.51,
        ],
    );
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Timeout { key } if *key == sk),
        ),
        &[32.01],
    );
    assert_eq!(p.r.layer.state(&skey), None);
}

#[test]
fn invite_retransmission_is_absorbed_while_accepted() {
    let mut p = Pair::new(TransportKind::Udp);
    // L's INVITE copies all arrive, but R's 200 at 0.01 is lost, so L's
    // Timer A retransmits the INVITE at 0.5.
    let mut oks = 0;
    p.set_drop(move |who, m| {
        if who == Who::R && matches!(m, Message::Response(r) if r.status.as_u16() == 200) {
            oks += 1;
            return oks == 1;
        }
        false
    });
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200);
    p.run_for(Duration::from_millis(600));
    // One Request event only; the INVITE copy at 0.51 triggered no extra 200
    // (only Timer's 0.51 retransmission).
    let requests = p
        .events(Who::R)
        .iter()
        .filter(|e| matches!(e, TuEvent::Request { .. }))
        .count();
    assert_eq!(requests, 1);
    assert_times(
        &p.sent_times(Who::L, |w| w.is_request(&Method::Invite)),
        &[0.0, 0.5],
    );
    assert_times(
        &p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite)),
        &[0.01, 0.51],
    );
}
