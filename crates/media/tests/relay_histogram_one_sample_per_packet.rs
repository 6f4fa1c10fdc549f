//! The processing-time histogram gets exactly one sample per relayed packet; dropped packets
//! (malformed, stranger) are counted but not sampled.

mod common;

use common::{addr, payload, phone, recv, rtcp_rr, rtp, start};
use tandem_media::{DropReason, Histogram, Leg, Peer, RelayConfig};

#[tokio::test]
async fn one_sample_per_relayed_packet() {
    let histogram: &'static Histogram = Box::leak(Box::new(Histogram::new()));
    let (a, b, stranger) = (phone().await, phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig {
            histogram,
            ..RelayConfig::default()
        },
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))).with_rtcp_mux(true),
    );
    let (to_a, to_b) = (relay.local_addr(Leg::A), relay.local_addr(Leg::B));

    for i in 0..20u16 {
        a.send_to(&rtp(1, i, 0, &payload(1)), to_a).await.unwrap();
    }
    a.send_to(&[0x80, 0, 1], to_a).await.unwrap(); // malformed
    stranger
        .send_to(&rtp(9, 1, 0, &payload(9)), to_a)
        .await
        .unwrap();
    for i in 0..10u16 {
        b.send_to(&rtp(2, i, 0, &payload(2)), to_b).await.unwrap();
    }
    b.send_to(&rtcp_rr(2, 1, 19), to_b).await.unwrap();

    for _ in 0..20 {
        recv(&b).await;
    }
    for _ in 0..10 {
        recv(&a).await;
    }
    // The RTCP goes to A's RTCP port (RTP port + 1), which nobody reads; it was still sent.
    let s = relay.stats();
    assert_eq!(s.b.forwarded_packets, 11);
    assert_eq!(s.a.dropped(DropReason::Malformed), 1);
    assert_eq!(s.a.dropped(DropReason::Stranger), 1);

    let snap = histogram.snapshot();
    assert_eq!(snap.count, 31);
    assert!(snap.max > std::time::Duration::ZERO);
    assert!(snap.p50 <= snap.p99 && snap.p99 <= snap.max);
}
