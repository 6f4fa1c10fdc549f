//! RTCP is relayed between the RTCP ports, and with rtcp-mux on a leg it arrives and leaves
//! on that leg's RTP port, told apart from RTP by its packet type.

mod common;

use common::{addr, payload, phone, recv, rtcp_rr, rtcp_sr, rtp, start};
use tandem_media::{Leg, Peer, RelayConfig};

#[tokio::test]
async fn rtcp_between_rtcp_ports() {
    let (a_rtp, a_rtcp, b_rtp, b_rtcp) =
        (phone().await, phone().await, phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a_rtp))).with_rtcp(Some(addr(&a_rtcp))),
        Peer::new(Some(addr(&b_rtp))).with_rtcp(Some(addr(&b_rtcp))),
    );
    let sr = rtcp_sr(0xa1, 4_000);
    a_rtcp
        .send_to(&sr, relay.local_rtcp_addr(Leg::A))
        .await
        .unwrap();
    let (got, from) = recv(&b_rtcp).await;
    assert_eq!(got, sr);
    assert_eq!(from, relay.local_rtcp_addr(Leg::B));

    let rr = rtcp_rr(0xb2, 0xa1, 77);
    b_rtcp
        .send_to(&rr, relay.local_rtcp_addr(Leg::B))
        .await
        .unwrap();
    let (got, from) = recv(&a_rtcp).await;
    assert_eq!(got, rr);
    assert_eq!(from, relay.local_rtcp_addr(Leg::A));

    let s = relay.stats();
    assert_eq!((s.a.rtcp_packets, s.b.rtcp_packets), (1, 1));
    assert_eq!((s.a.rtp_packets, s.b.rtp_packets), (0, 0));
}

#[tokio::test]
async fn rtcp_mux_on_one_leg() {
    let (a_rtp, a_rtcp, b) = (phone().await, phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a_rtp))).with_rtcp(Some(addr(&a_rtcp))),
        Peer::new(Some(addr(&b))).with_rtcp_mux(true),
    );

    // A's RTCP reaches B on B's single (RTP) port, from the relay's RTP port of leg B.
    let sr = rtcp_sr(0xa1, 4_000);
    a_rtcp
        .send_to(&sr, relay.local_rtcp_addr(Leg::A))
        .await
        .unwrap();
    let (got, from) = recv(&b).await;
    assert_eq!(got, sr);
    assert_eq!(from, relay.local_addr(Leg::B));

    // B sends RTP and RTCP on the same port; they are split onto A's two ports.
    let media = rtp(0xb2, 1, 0, &payload(3));
    let rr = rtcp_rr(0xb2, 0xa1, 5);
    b.send_to(&media, relay.local_addr(Leg::B)).await.unwrap();
    b.send_to(&rr, relay.local_addr(Leg::B)).await.unwrap();
    let (got, from) = recv(&a_rtp).await;
    assert_eq!((got, from), (media, relay.local_addr(Leg::A)));
    let (got, from) = recv(&a_rtcp).await;
    assert_eq!((got, from), (rr, relay.local_rtcp_addr(Leg::A)));

    let s = relay.stats();
    assert_eq!((s.b.rtp_packets, s.b.rtcp_packets), (1, 1));
}
