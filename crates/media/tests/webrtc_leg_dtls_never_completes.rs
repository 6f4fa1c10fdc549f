//! A peer that answers ICE checks but never completes DTLS: Tandem's leg fails cleanly with
//! `DtlsTimeout` at its setup deadline, then goes quiet (no timer, no more datagrams), so the
//! caller can end the call and free the port.

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{BrowserLeg, FailReason, LegConfig, LegEvent, Phase};
use webrtc_common::{Pair, is_stun};

#[test]
fn dtls_never_completing_fails_the_leg_at_the_setup_deadline() {
    let base = Instant::now();
    let setup_timeout = Duration::from_secs(5);
    let browser_cfg = LegConfig {
        ice_lite: false,
        ..LegConfig::default()
    };
    let tandem_cfg = LegConfig {
        setup_timeout,
        ..LegConfig::default()
    };
    let mut pair = Pair::new(base, browser_cfg, tandem_cfg);
    // The "browser" passes ICE but every DTLS record it sends is lost.
    pair.deliver_browser_dtls = false;
    pair.negotiate_browser_offers();

    let failed = |p: &Pair| {
        p.tandem_events
            .iter()
            .any(|(_, e)| matches!(e, LegEvent::Failed { .. }))
    };
    assert!(
        pair.run_until(Duration::from_secs(30), failed),
        "tandem leg never failed: {:?}",
        pair.tandem_events
    );
    let (at, event) = pair.tandem_events.last().copied().unwrap();
    eprintln!("tandem events {:?}", pair.tandem_events);
    assert_eq!(
        event,
        LegEvent::Failed {
            reason: FailReason::DtlsTimeout
        },
        "ICE worked, so the reason is DTLS"
    );
    assert!(
        at >= setup_timeout && at <= setup_timeout + Duration::from_millis(50),
        "failed at {at:?}, deadline {setup_timeout:?}"
    );
    assert!(
        !pair
            .tandem_events
            .iter()
            .any(|(_, e)| *e == LegEvent::Connected),
        "never reported connected"
    );
    assert_eq!(pair.tandem.phase(), Phase::Finished);

    // Finished: no timer, nothing more to send even when the peer keeps talking.
    while pair.tandem.poll_transmit().is_some() {}
    assert_eq!(pair.tandem.poll_timeout(), None);
    let now = pair.now + Duration::from_secs(1);
    pair.tandem.handle_timeout(now);
    let mut stun = vec![0u8, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42];
    stun.extend_from_slice(&[7u8; 12]);
    assert!(is_stun(&stun));
    pair.tandem.handle_datagram(now, pair.browser_addr, &stun);
    assert!(pair.tandem.poll_transmit().is_none());
    assert!(
        pair.tandem.poll_event().is_none(),
        "Failed is reported once"
    );
    assert!(pair.tandem.stats().datagrams_dropped >= 1);
    assert!(
        pair.tandem
            .send_rtp(now, &webrtc_common::rtp_packet(111, 1, 1, 1, &[0; 10]))
            .is_err()
    );
}
