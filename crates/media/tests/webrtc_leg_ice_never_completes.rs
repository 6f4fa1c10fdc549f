//! A browser that never sends a single ICE check (blocked network, wrong address): Tandem's
//! leg fails with `IceTimeout` at its setup deadline.

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{BrowserLeg, FailReason, LegConfig, LegEvent, Phase};
use webrtc_common::Pair;

#[test]
fn silent_peer_fails_the_leg_with_ice_timeout() {
    let base = Instant::now();
    let setup_timeout = Duration::from_secs(8);
    let browser_cfg = LegConfig {
        ice_lite: false,
        ..LegConfig::default()
    };
    let tandem_cfg = LegConfig {
        setup_timeout,
        ..LegConfig::default()
    };
    let mut pair = Pair::new(base, browser_cfg, tandem_cfg);
    pair.negotiate_browser_offers();

    // Drive only Tandem's side; the browser's datagrams never arrive.
    let mut now = base;
    let mut events = vec![];
    while now < base + Duration::from_secs(30) {
        while pair.tandem.poll_transmit().is_some() {}
        while let Some(e) = pair.tandem.poll_event() {
            events.push((now - base, e));
        }
        if pair.tandem.phase() == Phase::Finished {
            break;
        }
        // Tandem's checks go nowhere; its own ICE failure timer is longer than the deadline.
        let Some(next) = pair.tandem.poll_timeout() else {
            break;
        };
        now = now.max(next);
        pair.tandem.handle_timeout(now);
    }
    while let Some(e) = pair.tandem.poll_event() {
        events.push((now - base, e));
    }
    eprintln!("{events:?}");
    assert_eq!(
        events,
        vec![(
            setup_timeout,
            LegEvent::Failed {
                reason: FailReason::IceTimeout
            }
        )]
    );
    assert_eq!(pair.tandem.poll_timeout(), None);
}
