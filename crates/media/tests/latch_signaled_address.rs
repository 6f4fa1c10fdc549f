//! Packets from the signaled address are always accepted and lock the latch to it, even after
//! another source was learnt.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tandem_media::{DropReason, Latch, LatchConfig, Verdict};

fn a(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[test]
fn send_target_is_signaled_until_packets_arrive() {
    let l = Latch::new(Some(a("192.0.2.10:4000")), LatchConfig::default());
    assert_eq!(l.send_target(), Some(a("192.0.2.10:4000")));
    assert!(l.is_learning());
    let l = Latch::new(None, LatchConfig::default());
    assert_eq!(l.send_target(), None);
}

#[test]
fn signaled_address_locks_at_once() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("192.0.2.10:4000")), LatchConfig::default());
    assert_eq!(l.on_packet(t0, a("192.0.2.10:4000")), Verdict::Accept);
    assert_eq!(l.locked(), Some(a("192.0.2.10:4000")));
    assert_eq!(
        l.on_packet(t0, a("198.51.100.7:4000")),
        Verdict::Drop(DropReason::Stranger)
    );
}

#[test]
fn signaled_address_takes_over_from_a_learnt_one() {
    let t0 = Instant::now();
    let cfg = LatchConfig { probation: 2 };
    let mut l = Latch::new(Some(a("10.0.0.5:4000")), cfg);
    // The NAT'd source is learnt and locked ...
    for i in 0..3 {
        let now = t0 + Duration::from_millis(20 * i);
        assert_eq!(l.on_packet(now, a("203.0.113.9:31000")), Verdict::Accept);
    }
    assert_eq!(l.locked(), Some(a("203.0.113.9:31000")));
    // ... then the peer turns out to be reachable at its signaled address after all.
    assert_eq!(
        l.on_packet(t0 + Duration::from_secs(1), a("10.0.0.5:4000")),
        Verdict::Accept
    );
    assert_eq!(l.send_target(), Some(a("10.0.0.5:4000")));
    assert_eq!(
        l.on_packet(t0 + Duration::from_secs(2), a("203.0.113.9:31000")),
        Verdict::Drop(DropReason::Stranger)
    );
}
