//! RTP bleed: once a source is locked, packets from any other address are dropped and
//! counted, however many there are and however long the call lasts; the send target never
//! moves to the stranger.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tandem_media::{DropReason, Latch, LatchConfig, Verdict};

fn a(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[test]
fn stranger_mid_call_is_never_latched() {
    let t0 = Instant::now();
    let peer = a("203.0.113.1:40000");
    let attacker = a("192.0.2.66:1234");
    let mut l = Latch::new(Some(a("10.1.1.1:5000")), LatchConfig::default());
    for i in 0..10u64 {
        assert_eq!(
            l.on_packet(t0 + Duration::from_millis(20 * i), peer),
            Verdict::Accept
        );
    }
    assert_eq!(l.locked(), Some(peer));

    // The attacker floods for a minute, and the peer goes silent meanwhile.
    let mid = t0 + Duration::from_secs(30);
    for i in 0..3000u64 {
        let now = mid + Duration::from_millis(20 * i);
        assert_eq!(
            l.on_packet(now, attacker),
            Verdict::Drop(DropReason::Stranger)
        );
        assert_eq!(l.send_target(), Some(peer));
    }
    // Same IP, other port: still a stranger once locked.
    assert_eq!(
        l.on_packet(mid, a("203.0.113.1:40002")),
        Verdict::Drop(DropReason::Stranger)
    );
    assert_eq!(l.strangers_dropped(), 3001);
    assert_eq!(
        l.on_packet(mid + Duration::from_secs(61), peer),
        Verdict::Accept
    );
    assert_eq!(l.locked(), Some(peer));
}
