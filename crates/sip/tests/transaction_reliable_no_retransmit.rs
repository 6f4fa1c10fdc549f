//! Over a reliable transport (TCP) nothing is retransmitted: no Timer A, E,
//! G, no 2xx retransmission; Timers D, I, J and K are zero, so completed
//! transactions end at once. Timers B, F, H still apply.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::TuEvent;
use tandem_sip::transport::TransportKind;

#[test]
fn invite_rejected_over_tcp_ends_without_retransmissions() {
    let mut p = Pair::new(TransportKind::Tcp);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 486);
    p.run_to_end(Duration::from_secs(60));
    assert_eq!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Invite))
            .len(),
        1
    );
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(486, &Method::Invite))
            .len(),
        1
    );
    assert_eq!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Ack)).len(),
        1
    );
    // Timer D = 0: L's transaction ends when the 486 arrives (0.02);
    // Timer I = 0: R's ends when the ACK arrives (0.03).
    let k = key.clone();
    assert_times(
        &p.event_times(
            Who::L,
            move |e| matches!(e, TuEvent::Terminated { key: x } if *x == k),
        ),
        &[0.02],
    );
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Terminated { key: x } if *x == sk),
        ),
        &[0.03],
    );
    assert!(p.l.layer.is_empty() && p.r.layer.is_empty());
}

#[test]
fn unacked_final_over_tcp_is_not_retransmitted_but_timer_h_fires() {
    let mut p = Pair::new(TransportKind::Tcp);
    p.set_drop(|who, m| {
        who == Who::L && matches!(m, Message::Request(r) if r.method == Method::Ack)
    });
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 503);
    p.run_to_end(Duration::from_secs(60));
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(503, &Method::Invite))
            .len(),
        1
    );
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Timeout { key } if *key == sk),
        ),
        &[32.01],
    );
}

#[test]
fn ok_over_tcp_is_not_retransmitted_and_times_out_without_ack() {
    let mut p = Pair::new(TransportKind::Tcp);
    p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200);
    p.run_to_end(Duration::from_secs(60));
    assert_eq!(
        p.sent_times(Who::R, |w| w.is_response(200, &Method::Invite))
            .len(),
        1
    );
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Timeout { key } if *key == sk),
        ),
        &[32.01],
    );
}

#[test]
fn non_invite_over_tcp_completes_at_once() {
    let mut p = Pair::new(TransportKind::Tcp);
    p.set_drop(|who, _| who == Who::L); // nothing arrives at R
    let lost = p.send(Who::L, Method::Options);
    p.run_to_end(Duration::from_secs(60));
    // No Timer E; Timer F still fires.
    assert_eq!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Options))
            .len(),
        1
    );
    assert_times(
        &p.event_times(
            Who::L,
            move |e| matches!(e, TuEvent::Timeout { key } if *key == lost),
        ),
        &[32.0],
    );

    let mut p = Pair::new(TransportKind::Tcp);
    let key = p.send(Who::L, Method::Options);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200);
    // Timer J = 0 at R, Timer K = 0 at L.
    assert_eq!(p.r.layer.state(&skey), None);
    p.run_for(Duration::from_millis(10));
    assert_eq!(p.l.layer.state(&key), None);
    assert_eq!(
        p.responses(Who::L, &key)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![200]
    );
}
