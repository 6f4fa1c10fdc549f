//! Hold: when a leg's peer declares sendonly, nothing is relayed towards it (RTP), while its
//! own media and all RTCP still flow; resuming restores both ways.

mod common;

use common::{addr, eventually, payload, phone, recv, rtcp_sr, rtp, start};
use tandem_media::{DropReason, Leg, MediaDirection, Peer, RelayConfig};

#[tokio::test]
async fn sendonly_peer_receives_no_rtp() {
    let (a, b) = (phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))).with_rtcp_mux(true),
    );
    let (to_a, to_b) = (relay.local_addr(Leg::A), relay.local_addr(Leg::B));

    // B puts the call on hold and plays music to A.
    relay
        .set_direction(Leg::B, MediaDirection::SendOnly)
        .unwrap();
    a.send_to(&rtp(1, 1, 0, &payload(1)), to_a).await.unwrap();
    let sr = rtcp_sr(1, 0);
    a.send_to(&sr, to_a).await.unwrap(); // A muxes nothing, but its RTCP may come here too
    let (got, _) = recv(&b).await;
    assert_eq!(got, sr, "RTCP still relayed, RTP held back");
    let music = rtp(2, 1, 0, &payload(2));
    b.send_to(&music, to_b).await.unwrap();
    assert_eq!(recv(&a).await.0, music);
    assert_eq!(relay.stats().a.dropped(DropReason::Direction), 1);

    // Resume.
    relay
        .set_direction(Leg::B, MediaDirection::SendRecv)
        .unwrap();
    let voice = rtp(1, 2, 160, &payload(3));
    a.send_to(&voice, to_a).await.unwrap();
    assert_eq!(recv(&b).await.0, voice);
}

#[tokio::test]
async fn inactive_and_recvonly_block_the_right_way() {
    let (a, b) = (phone().await, phone().await);
    let (relay, _alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    let (to_a, to_b) = (relay.local_addr(Leg::A), relay.local_addr(Leg::B));
    // A only receives: what A sends is dropped, what B sends reaches A.
    relay
        .set_direction(Leg::A, MediaDirection::RecvOnly)
        .unwrap();
    a.send_to(&rtp(1, 1, 0, &payload(1)), to_a).await.unwrap();
    let from_b = rtp(2, 1, 0, &payload(2));
    b.send_to(&from_b, to_b).await.unwrap();
    assert_eq!(recv(&a).await.0, from_b);
    // Inactive: nothing either way.
    relay
        .set_direction(Leg::A, MediaDirection::Inactive)
        .unwrap();
    b.send_to(&rtp(2, 2, 160, &payload(2)), to_b).await.unwrap();
    a.send_to(&rtp(1, 2, 160, &payload(1)), to_a).await.unwrap();
    eventually(|| {
        let s = relay.stats();
        s.a.dropped(DropReason::Direction) == 2 && s.b.dropped(DropReason::Direction) == 1
    })
    .await;
    relay
        .set_direction(Leg::A, MediaDirection::SendRecv)
        .unwrap();
    let last = rtp(2, 3, 320, &payload(5));
    b.send_to(&last, to_b).await.unwrap();
    assert_eq!(recv(&a).await.0, last, "the held packet never arrived");
    let s = relay.stats();
    assert_eq!(s.a.dropped(DropReason::Direction), 2);
    assert_eq!(s.b.dropped(DropReason::Direction), 1);
}
