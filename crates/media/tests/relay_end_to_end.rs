//! Two fake endpoints on 127.0.0.1 talk through a relay session: every payload arrives intact
//! and in order, headers unchanged (one source each way), from the relay's own ports.

mod common;

use common::{addr, fields, payload, phone, recv, rtp, start};
use tandem_media::{Leg, Peer, RelayConfig};

#[tokio::test]
async fn both_directions_relay_intact_and_in_order() {
    let a = phone().await;
    let b = phone().await;
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    let (to_a, to_b) = (relay.local_addr(Leg::A), relay.local_addr(Leg::B));

    let sent: Vec<Vec<u8>> = (0..50u16)
        .map(|i| {
            rtp(
                0xa1a1_a1a1,
                65_510u16.wrapping_add(i),
                8_000 + 160 * u32::from(i),
                &payload(i.into()),
            )
        })
        .collect();
    for p in &sent {
        a.send_to(p, to_a).await.unwrap();
    }
    for (i, p) in sent.iter().enumerate() {
        let (got, from) = recv(&b).await;
        assert_eq!(from, to_b, "relayed from leg B's port");
        assert_eq!(&got, p, "packet {i} changed on the way");
    }

    let back: Vec<Vec<u8>> = (0..50u16)
        .map(|i| {
            rtp(
                0xb2b2_b2b2,
                7 + i,
                160 * u32::from(i),
                &payload(1000 + u32::from(i)),
            )
        })
        .collect();
    for p in &back {
        b.send_to(p, to_b).await.unwrap();
    }
    for (i, p) in back.iter().enumerate() {
        let (got, from) = recv(&a).await;
        assert_eq!(from, to_a);
        assert_eq!(fields(&got), fields(p), "header {i}");
        assert_eq!(got[12..], p[12..], "payload {i}");
    }

    let stats = relay.stats();
    assert_eq!(stats.a.rtp_packets, 50);
    assert_eq!(stats.a.rtp_bytes, 50 * 172);
    assert_eq!(stats.a.forwarded_packets, 50);
    assert_eq!(stats.b.forwarded_packets, 50);
    assert_eq!(stats.a.dropped_total() + stats.b.dropped_total(), 0);
}
