//! A CANCEL requested before any provisional response is held back (RFC
//! 3261 §9.1) and sent when the first 1xx arrives; if a final response
//! arrives first, it is never sent.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::{CancelError, TuEvent};
use tandem_sip::transport::TransportKind;

#[test]
fn cancel_waits_for_the_first_provisional() {
    let mut p = Pair::new(TransportKind::Udp);
    // R's automatic 100 Trying is lost, so L stays in Calling until the 180.
    p.set_drop(|who, m| {
        who == Who::R && matches!(m, Message::Response(r) if r.status.as_u16() == 100)
    });
    let key = p.send(Who::L, Method::Invite);
    let now = p.now;
    let ckey = p.l.layer.send_cancel(now, &key).expect("cancel accepted");
    assert_eq!(
        p.l.layer.send_cancel(now, &key),
        Err(CancelError::AlreadyCancelled)
    );
    p.run_for(Duration::from_secs(1));
    assert!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Cancel))
            .is_empty()
    );
    assert_eq!(p.l.layer.state(&ckey), None, "no CANCEL transaction yet");

    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 180); // at 1.0, arrives 1.01
    p.run_for(Duration::from_millis(20));
    assert_times(
        &p.sent_times(Who::L, |w| w.is_request(&Method::Cancel)),
        &[1.01],
    );
    let sk = skey.clone();
    assert_times(
        &p.event_times(
            Who::R,
            move |e| matches!(e, TuEvent::Cancelled { invite, .. } if *invite == sk),
        ),
        &[1.02],
    );
    p.respond(Who::R, &skey, 487);
    p.run_for(Duration::from_millis(20));
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
}

#[test]
fn final_response_first_means_no_cancel() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    let now = p.now;
    let ckey = p.l.layer.send_cancel(now, &key).expect("cancel accepted");
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 486); // before any 1xx
    p.run_to_end(Duration::from_secs(60));
    assert!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Cancel))
            .is_empty()
    );
    // The CANCEL key is reported terminated when the 486 arrives.
    let ck = ckey.clone();
    assert_times(
        &p.event_times(
            Who::L,
            move |e| matches!(e, TuEvent::Terminated { key } if *key == ck),
        ),
        &[0.02],
    );
    assert_eq!(
        p.responses(Who::L, &key)
            .iter()
            .map(|r| r.1)
            .collect::<Vec<_>>(),
        vec![486]
    );
    // Too late to cancel now.
    let now = p.now;
    assert!(matches!(
        p.l.layer.send_cancel(now, &key),
        Err(CancelError::UnknownTransaction | CancelError::FinalResponseReceived)
    ));
}

#[test]
fn two_hundred_first_means_no_cancel() {
    let mut p = Pair::new(TransportKind::Udp);
    let key = p.send(Who::L, Method::Invite);
    let now = p.now;
    p.l.layer.send_cancel(now, &key).expect("cancel accepted");
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 200);
    p.run_for(Duration::from_secs(1));
    assert!(
        p.sent_times(Who::L, |w| w.is_request(&Method::Cancel))
            .is_empty()
    );
    assert_eq!(
        p.l.layer.send_cancel(p.now, &key),
        Err(CancelError::FinalResponseReceived)
    );
}
