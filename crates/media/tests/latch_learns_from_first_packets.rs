//! A peer behind NAT is learnt from its first packets: the first source is accepted at once,
//! locks after `probation` packets in a row, and during learning a source closer to the
//! signaled address (same IP) wins over one that is not.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tandem_media::{DropReason, Latch, LatchConfig, Verdict};

fn a(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[test]
fn first_source_is_used_at_once_and_locked_after_probation() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("10.1.1.1:5000")), LatchConfig { probation: 4 });
    for i in 0..4u64 {
        assert!(l.is_learning());
        assert_eq!(
            l.on_packet(t0 + Duration::from_millis(20 * i), a("203.0.113.1:40000")),
            Verdict::Accept
        );
        assert_eq!(l.send_target(), Some(a("203.0.113.1:40000")));
    }
    assert_eq!(l.locked(), Some(a("203.0.113.1:40000")));
    assert_eq!(l.last_accepted(), Some(t0 + Duration::from_millis(60)));
}

#[test]
fn unknown_signaled_address_learns_too() {
    let t0 = Instant::now();
    let mut l = Latch::new(None, LatchConfig { probation: 1 });
    assert_eq!(l.on_packet(t0, a("203.0.113.1:40000")), Verdict::Accept);
    assert_eq!(l.locked(), Some(a("203.0.113.1:40000")));
}

#[test]
fn same_ip_as_signaled_beats_other_ips_while_learning() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("198.51.100.20:5000")), LatchConfig { probation: 4 });
    // A probe from elsewhere arrives first and becomes the candidate ...
    assert_eq!(l.on_packet(t0, a("192.0.2.66:1234")), Verdict::Accept);
    // ... the peer's NAT kept its IP but changed the port: it replaces the probe.
    assert_eq!(l.on_packet(t0, a("198.51.100.20:62000")), Verdict::Accept);
    assert_eq!(l.send_target(), Some(a("198.51.100.20:62000")));
    // The probe can no longer take over, even before the lock.
    assert_eq!(
        l.on_packet(t0, a("192.0.2.66:1234")),
        Verdict::Drop(DropReason::Stranger)
    );
    for _ in 0..3 {
        assert_eq!(l.on_packet(t0, a("198.51.100.20:62000")), Verdict::Accept);
    }
    assert_eq!(l.locked(), Some(a("198.51.100.20:62000")));
}

#[test]
fn a_single_probe_before_the_peer_starts_does_not_win() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("10.1.1.1:5000")), LatchConfig { probation: 4 });
    // A scanner's probe while the phone is still ringing ...
    assert_eq!(l.on_packet(t0, a("192.0.2.66:1234")), Verdict::Accept);
    // ... twenty seconds later the NAT'd peer starts sending and takes the candidate over.
    let later = t0 + Duration::from_secs(20);
    for i in 0..4u64 {
        let now = later + Duration::from_millis(20 * i);
        assert_eq!(l.on_packet(now, a("203.0.113.1:40000")), Verdict::Accept);
    }
    assert_eq!(l.locked(), Some(a("203.0.113.1:40000")));
}
