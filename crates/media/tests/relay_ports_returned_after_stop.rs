//! Stopping a session (or dropping its handle) closes its four sockets and returns both port
//! pairs to the pool, where they can be bound again.

mod common;

use common::{addr, payload, phone, recv, rtp, start};
use tandem_media::{EndReason, Leg, Peer, RelayConfig, SessionEnded};

#[tokio::test]
async fn stop_returns_ports() {
    let (a, b) = (phone().await, phone().await);
    let (relay, alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    assert_eq!(alloc.available(), 0);
    let ports = [relay.local_addr(Leg::A), relay.local_addr(Leg::B)];
    a.send_to(&rtp(1, 1, 0, &payload(1)), ports[0])
        .await
        .unwrap();
    recv(&b).await;

    let stats = relay.stop().await;
    assert_eq!(stats.a.forwarded_packets, 1);
    assert_eq!(alloc.available(), 2);
    let again: Vec<_> = (0..2).map(|_| alloc.allocate().unwrap()).collect();
    let mut got: Vec<_> = again.iter().map(|p| p.rtp_addr()).collect();
    got.sort();
    let mut want = ports.to_vec();
    want.sort();
    assert_eq!(got, want, "the same ports bind again");
}

#[tokio::test]
async fn dropping_the_handle_ends_the_session() {
    let (a, b) = (phone().await, phone().await);
    let (relay, alloc) = start(
        RelayConfig::default(),
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    drop(relay);
    for _ in 0..100 {
        if alloc.available() == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(alloc.available(), 2);
}

#[tokio::test]
async fn control_after_the_end_is_an_error() {
    let (a, b) = (phone().await, phone().await);
    let (relay, alloc) = start(
        RelayConfig {
            media_timeout: Some(std::time::Duration::from_millis(1)),
            ..RelayConfig::default()
        },
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    assert_eq!(relay.ended().await, EndReason::MediaTimeout);
    assert_eq!(relay.end_reason(), Some(EndReason::MediaTimeout));
    assert_eq!(alloc.available(), 2);
    assert_eq!(
        relay.update_peer(Leg::A, Peer::new(None)),
        Err(SessionEnded)
    );
    assert_eq!(
        relay.set_direction(Leg::A, tandem_media::MediaDirection::Inactive),
        Err(SessionEnded)
    );
    // Stopping an ended session returns at once.
    relay.stop().await;
}
