//! A re-INVITE moves leg A to a new endpoint with a new SSRC and numbering: the relay learns
//! the new address and the far end sees one continuous stream (same SSRC, next sequence
//! number, marker on the first packet of the new source).

mod common;

use common::{addr, fields, payload, phone, recv, rtp, start};
use tandem_media::{DropReason, Leg, Peer, RelayConfig};

#[tokio::test]
async fn new_source_after_reinvite_is_continuous() {
    let (old, new, b) = (phone().await, phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&old))),
        Peer::new(Some(addr(&b))),
    );
    let to_a = relay.local_addr(Leg::A);
    for i in 0..5u16 {
        old.send_to(
            &rtp(
                0x0001,
                100 + i,
                1_000 + 160 * u32::from(i),
                &payload(i.into()),
            ),
            to_a,
        )
        .await
        .unwrap();
        recv(&b).await;
    }

    relay
        .update_peer(Leg::A, Peer::new(Some(addr(&new))))
        .unwrap();
    for i in 0..5u16 {
        let sent = rtp(
            0x0002,
            40_000 + i,
            555 + 160 * u32::from(i),
            &payload(50 + u32::from(i)),
        );
        new.send_to(&sent, to_a).await.unwrap();
        let (got, _) = recv(&b).await;
        let (seq, _ts, ssrc, marker) = fields(&got);
        assert_eq!(ssrc, 0x0001);
        assert_eq!(seq, 105 + i);
        assert_eq!(marker, i == 0);
        assert_eq!(got[12..], sent[12..]);
    }

    // Replies go to the new endpoint; the old one is a stranger now.
    let reply = rtp(0xb, 1, 0, &payload(9));
    b.send_to(&reply, relay.local_addr(Leg::B)).await.unwrap();
    assert_eq!(recv(&new).await.0, reply);
    old.send_to(&rtp(0x0001, 105, 1_800, &payload(5)), to_a)
        .await
        .unwrap();
    new.send_to(&rtp(0x0002, 40_005, 1_355, &payload(55)), to_a)
        .await
        .unwrap();
    assert_eq!(fields(&recv(&b).await.0).0, 110);
    assert_eq!(relay.stats().a.dropped(DropReason::Stranger), 1);
}
