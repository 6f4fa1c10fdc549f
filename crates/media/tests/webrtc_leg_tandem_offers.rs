//! Phone -> browser: Tandem's leg makes the offer (actpass, one telephone-event), the browser
//! answers, both connect, and audio plus DTMF cross from Tandem to the browser.

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{AudioCodec, BrowserLeg, LegConfig};
use webrtc_common::{Pair, rtp_packet};

#[test]
fn tandem_offer_is_answered_and_connects() {
    let base = Instant::now();
    let mut pair = Pair::new(base, LegConfig::default(), LegConfig::default());
    let (offer, answer) = pair.negotiate_tandem_offers();

    assert!(offer.contains("a=setup:actpass\r\n"));
    assert!(offer.contains("a=rtcp-mux\r\n"));
    assert!(offer.contains("a=group:BUNDLE 0\r\n"));
    assert!(offer.contains(" 127.0.0.1 50000 typ host"));
    let m = offer.lines().find(|l| l.starts_with("m=audio")).unwrap();
    assert!(m.ends_with(" 111 110 0"), "{m}");
    assert_eq!(
        offer.matches("telephone-event").count(),
        1,
        "one DTMF format"
    );
    assert!(answer.contains("a=setup:active\r\n"));

    let n = pair.tandem.negotiated().unwrap();
    assert_eq!(n.codec, AudioCodec::Opus);
    assert_eq!(n.telephone_event_pt, Some(110));

    assert!(pair.run_until(Duration::from_secs(5), Pair::both_connected));
    for (seq, pt, payload) in [
        (1u16, 111u8, [1u8; 40]),
        (2, 110, [2; 40]),
        (3, 111, [3; 40]),
    ] {
        let pkt = rtp_packet(pt, seq, 960 * u32::from(seq), 5, &payload);
        pair.tandem.send_rtp(pair.now, &pkt).unwrap();
    }
    pair.run_until(Duration::from_millis(20), |_| false);
    let got: Vec<(u8, u8)> = pair
        .browser_rtp
        .iter()
        .map(|p| (p[1] & 0x7f, p[12]))
        .collect();
    assert_eq!(got, vec![(111, 1), (110, 2), (111, 3)]);
}
