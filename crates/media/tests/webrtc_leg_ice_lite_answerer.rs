//! The ICE-lite option: a Tandem leg configured ICE-lite says so in its answer, lets the
//! browser-like full agent control and nominate, connects, and carries RTP.

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{BrowserLeg, LegConfig};
use webrtc_common::{Pair, rtp_packet};

#[test]
fn ice_lite_answerer_connects_and_carries_rtp() {
    let base = Instant::now();
    let tandem_cfg = LegConfig {
        ice_lite: true,
        ..LegConfig::default()
    };
    let mut pair = Pair::new(base, LegConfig::default(), tandem_cfg);
    let (offer, answer) = pair.negotiate_browser_offers();
    assert!(!offer.contains("a=ice-lite"));
    assert!(answer.contains("a=ice-lite\r\n"));

    assert!(
        pair.run_until(Duration::from_secs(5), Pair::both_connected),
        "browser {:?} tandem {:?}",
        pair.browser_events,
        pair.tandem_events
    );
    let pkt = rtp_packet(111, 1, 960, 9, &[0xab; 60]);
    pair.browser.send_rtp(pair.now, &pkt).unwrap();
    pair.run_until(Duration::from_millis(20), |_| false);
    assert_eq!(pair.tandem_rtp.len(), 1);
    assert_eq!(&pair.tandem_rtp[0][12..], &[0xab; 60][..]);
}
