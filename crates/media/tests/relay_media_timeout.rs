//! A session with a media timeout ends itself after that long without packets, says so
//! through the handle, and returns its ports; packets keep it alive.

mod common;

use std::time::{Duration, Instant};

use common::{addr, payload, phone, recv, rtp, start};
use tandem_media::{EndReason, Leg, Peer, RelayConfig};

#[tokio::test]
async fn silence_ends_the_session() {
    let (a, b) = (phone().await, phone().await);
    let timeout = Duration::from_millis(150);
    let (relay, alloc) = start(
        RelayConfig {
            media_timeout: Some(timeout),
            ..RelayConfig::default()
        },
        Peer::new(Some(addr(&a))),
        Peer::new(Some(addr(&b))),
    );
    // Traffic for twice the timeout keeps the session up.
    let started = Instant::now();
    let mut seq = 0u16;
    while started.elapsed() < 2 * timeout {
        a.send_to(&rtp(1, seq, 0, &payload(1)), relay.local_addr(Leg::A))
            .await
            .unwrap();
        recv(&b).await;
        seq += 1;
        assert_eq!(relay.end_reason(), None);
        tokio::time::sleep(Duration::from_millis(20)).await; // real RTP pacing
    }
    let last_packet = Instant::now();

    let reason = tokio::time::timeout(Duration::from_secs(5), relay.ended())
        .await
        .unwrap();
    assert_eq!(reason, EndReason::MediaTimeout);
    assert!(last_packet.elapsed() >= timeout - Duration::from_millis(25));
    assert_eq!(alloc.available(), 2);
}
