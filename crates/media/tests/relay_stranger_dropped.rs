//! Through the real relay: after the peer is learnt, a stranger's packets to the same port are
//! dropped and counted, never relayed, and replies keep going to the peer (RTP bleed).

mod common;

use common::{addr, payload, phone, recv, rtp, start};
use tandem_media::{DropReason, Leg, Peer, RelayConfig};

#[tokio::test]
async fn stranger_packets_never_cross_and_never_receive() {
    // Leg A signals an address it never sends from (a NAT'd peer): the relay learns.
    let decoy = phone().await;
    let a = phone().await;
    let stranger = phone().await;
    let b = phone().await;
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&decoy))),
        Peer::new(Some(addr(&b))),
    );
    let to_a = relay.local_addr(Leg::A);

    for i in 0..4u16 {
        a.send_to(
            &rtp(0xaaaa, i, 160 * u32::from(i), &payload(i.into())),
            to_a,
        )
        .await
        .unwrap();
    }
    for i in 0..3u16 {
        stranger
            .send_to(&rtp(0x5555, i, 0, &payload(99)), to_a)
            .await
            .unwrap();
    }
    a.send_to(&rtp(0xaaaa, 4, 640, &payload(4)), to_a)
        .await
        .unwrap();

    for i in 0..5u16 {
        let (got, _) = recv(&b).await;
        assert_eq!(got, rtp(0xaaaa, i, 160 * u32::from(i), &payload(i.into())));
    }
    let s = relay.stats();
    assert_eq!(s.a.rtp_packets, 8);
    assert_eq!(s.a.forwarded_packets, 5);
    assert_eq!(s.a.dropped(DropReason::Stranger), 3);

    // B's reply goes to the learnt peer, not to the stranger nor the signaled decoy.
    let reply = rtp(0xbbbb, 1, 0, &payload(7));
    b.send_to(&reply, relay.local_addr(Leg::B)).await.unwrap();
    let (got, _) = recv(&a).await;
    assert_eq!(got, reply);
    let mut buf = [0u8; 2048];
    assert!(
        stranger.try_recv_from(&mut buf).is_err(),
        "the stranger received media"
    );
    assert!(
        decoy.try_recv_from(&mut buf).is_err(),
        "the decoy received media"
    );
}
