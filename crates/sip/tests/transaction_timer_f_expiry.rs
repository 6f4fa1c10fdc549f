//! Timers E and F: an unanswered non-INVITE request is retransmitted at T1,
//! 2*T1 ... capped at T2, and times out at 64*T1. After a provisional,
//! Timer E fires every T2.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::{Message, Method};
use tandem_sip::transaction::{ClientNonInviteState, TransactionState, TuEvent};
use tandem_sip::transport::TransportKind;

#[test]
fn unanswered_options_backs_off_to_t2_and_times_out() {
    let mut p = Pair::new(TransportKind::Udp);
    p.set_drop(|_, _| true);
    let key = p.send(Who::L, Method::Options);
    p.run_for(Duration::from_secs(40));
    let sent = p.sent_times(Who::L, |w| w.is_request(&Method::Options));
    assert_times(
        &sent,
        &[0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5],
    );
    let k = key.clone();
    let timeouts = p.event_times(
        Who::L,
        move |e| matches!(e, TuEvent::Timeout { key } if *key == k),
    );
    assert_times(&timeouts, &[32.0]);
    assert_eq!(p.l.layer.state(&key), None);
}

#[test]
fn proceeding_retransmits_every_t2_and_still_times_out() {
    let mut p = Pair::new(TransportKind::Udp);
    // R gets the first copy only; its TU answers 100 at once; the 100 gets
    // through, nothing after it does.
    let mut seen = 0;
    p.set_drop(move |who, m| {
        if who == Who::L && matches!(m, Message::Request(_)) {
            seen += 1;
            return seen > 1;
        }
        false
    });
    let key = p.send(Who::L, Method::Bye);
    p.run_for(Duration::from_millis(10));
    let (skey, _) = p.last_request(Who::R);
    p.respond(Who::R, &skey, 100);
    p.run_for(Duration::from_millis(100));
    assert_eq!(
        p.l.layer.state(&key),
        Some(TransactionState::ClientNonInvite(
            ClientNonInviteState::Proceeding
        ))
    );
    p.run_for(Duration::from_secs(40));
    let sent = p.sent_times(Who::L, |w| w.is_request(&Method::Bye));
    // E was armed for 0.5 in Trying; it fires in Proceeding and is reset
    // to T2 each time: 0.5, 4.5, 8.5, ... 28.5; F at 32.
    assert_times(&sent, &[0.0, 0.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5]);
    let timeouts = p.event_times(
        Who::L,
        move |e| matches!(e, TuEvent::Timeout { key: k } if *k == key),
    );
    assert_times(&timeouts, &[32.0]);
}
