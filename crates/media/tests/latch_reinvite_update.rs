//! A re-INVITE with a new address reopens learning on the new address; one with the same
//! address (hold, codec change) keeps what was learnt.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tandem_media::{DropReason, Latch, LatchConfig, Verdict};

fn a(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

#[test]
fn new_signaled_address_reopens_learning() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("10.0.0.1:4000")), LatchConfig { probation: 2 });
    l.on_packet(t0, a("203.0.113.1:40000"));
    l.on_packet(t0, a("203.0.113.1:40000"));
    assert_eq!(l.locked(), Some(a("203.0.113.1:40000")));

    // The call moves to a media server at a public address.
    l.update_signaled(Some(a("198.51.100.50:30000")));
    assert!(l.is_learning());
    assert_eq!(l.send_target(), Some(a("198.51.100.50:30000")));
    let t1 = t0 + Duration::from_secs(10);
    assert_eq!(l.on_packet(t1, a("198.51.100.50:30000")), Verdict::Accept);
    assert_eq!(l.locked(), Some(a("198.51.100.50:30000")));
    // The old source is now a stranger.
    assert_eq!(
        l.on_packet(t1, a("203.0.113.1:40000")),
        Verdict::Drop(DropReason::Stranger)
    );
}

#[test]
fn old_source_sending_late_is_replaced_by_the_new_signaled_one() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("10.0.0.1:4000")), LatchConfig { probation: 2 });
    l.on_packet(t0, a("203.0.113.1:40000"));
    l.on_packet(t0, a("203.0.113.1:40000"));
    l.update_signaled(Some(a("198.51.100.50:30000")));
    // A last packet of the old stream arrives first and becomes the candidate ...
    assert_eq!(l.on_packet(t0, a("203.0.113.1:40000")), Verdict::Accept);
    // ... the new signaled source locks as soon as it sends.
    assert_eq!(l.on_packet(t0, a("198.51.100.50:30000")), Verdict::Accept);
    assert_eq!(l.locked(), Some(a("198.51.100.50:30000")));
}

#[test]
fn same_address_keeps_the_lock() {
    let t0 = Instant::now();
    let mut l = Latch::new(Some(a("10.0.0.1:4000")), LatchConfig { probation: 1 });
    l.on_packet(t0, a("203.0.113.1:40000"));
    l.update_signaled(Some(a("10.0.0.1:4000")));
    assert_eq!(l.locked(), Some(a("203.0.113.1:40000")));
    assert_eq!(
        l.on_packet(t0, a("192.0.2.66:1234")),
        Verdict::Drop(DropReason::Stranger)
    );
}
