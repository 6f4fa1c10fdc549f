//! Timer B: an INVITE that gets no response at all times out at 64*T1 and
//! the transaction is removed.

mod common;

use std::time::Duration;

use common::{Pair, Who, assert_times};
use tandem_sip::message::Method;
use tandem_sip::transaction::{TimerConfig, TuEvent};
use tandem_sip::transport::TransportKind;

#[test]
fn unanswered_invite_times_out_at_64_t1() {
    let mut p = Pair::new(TransportKind::Udp);
    p.set_drop(|_, _| true);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_secs(31));
    assert!(p.events(Who::L).is_empty());
    assert!(p.l.layer.state(&key).is_some());
    p.run_for(Duration::from_secs(10));
    let k = key.clone();
    let timeouts = p.event_times(
        Who::L,
        move |e| matches!(e, TuEvent::Timeout { key } if *key == k),
    );
    assert_times(&timeouts, &[32.0]);
    // Timeout, then Terminated, and nothing else.
    assert_eq!(
        p.events(Who::L),
        vec![
            TuEvent::Timeout { key: key.clone() },
            TuEvent::Terminated { key: key.clone() }
        ]
    );
    assert_eq!(p.l.layer.state(&key), None);
    assert!(p.l.layer.is_empty());
    assert_eq!(p.l.layer.poll_timeout(), None);
}

#[test]
fn timer_b_scales_with_t1() {
    let config = TimerConfig {
        t1: Duration::from_millis(50),
        ..TimerConfig::default()
    };
    let mut p = Pair::with_config(TransportKind::Tcp, config);
    p.set_drop(|_, _| true);
    let key = p.send(Who::L, Method::Invite);
    p.run_for(Duration::from_secs(10));
    let timeouts = p.event_times(
        Who::L,
        move |e| matches!(e, TuEvent::Timeout { key: k } if *k == key),
    );
    assert_times(&timeouts, &[3.2]);
}
