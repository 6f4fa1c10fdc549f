//! Browser-like leg offers, Tandem's leg (defaults: full ICE) answers; ICE + DTLS-SRTP come up in simulated
//! time over an in-memory link, then RTP crosses encrypted both ways and arrives intact.

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{AudioCodec, BrowserLeg, LegConfig, LegEvent, Phase};
use webrtc_common::{Pair, rtp_packet};

#[test]
fn two_peers_connect_and_carry_rtp_both_ways() {
    let base = Instant::now();
    let browser_cfg = LegConfig {
        ice_lite: false,
        ..LegConfig::default()
    };
    let mut pair = Pair::new(base, browser_cfg, LegConfig::default());
    let (offer, answer) = pair.negotiate_browser_offers();
    eprintln!("--- offer ---\n{offer}--- answer ---\n{answer}");

    // What a browser needs to see in Tandem's answer.
    assert!(!answer.contains("a=ice-lite"), "full ICE by default");
    assert!(answer.contains("a=rtcp-mux"));
    assert!(answer.contains("a=group:BUNDLE"));
    assert!(answer.contains("a=fingerprint:sha-256 "));
    assert!(
        answer.contains("a=setup:active"),
        "actpass offer: answerer takes active"
    );
    assert!(
        answer.contains("127.0.0.1 50000 typ host"),
        "host candidate in the answer"
    );
    assert!(answer.contains("telephone-event/48000"));

    let negotiated = pair.tandem.negotiated().unwrap();
    assert_eq!(negotiated.codec, AudioCodec::Opus);
    assert_eq!(negotiated.payload_type, 111);
    assert_eq!(negotiated.telephone_event_pt, Some(110));
    assert_eq!(pair.browser.negotiated(), Some(negotiated));

    assert!(
        pair.run_until(Duration::from_secs(5), Pair::both_connected),
        "not connected after 5 s simulated; browser {:?} tandem {:?}",
        pair.browser_events,
        pair.tandem_events
    );
    // Time of the later of the two Connected events.
    let connect_time = pair
        .browser_events
        .iter()
        .chain(&pair.tandem_events)
        .filter(|(_, e)| *e == LegEvent::Connected)
        .map(|(t, _)| *t)
        .max()
        .unwrap();
    eprintln!("connected after {connect_time:?} simulated");
    assert!(
        connect_time < Duration::from_millis(500),
        "{connect_time:?}"
    );
    assert_eq!(pair.tandem.phase(), Phase::Connected);

    // Tandem -> browser: 50 packets of 20 ms Opus-sized payloads, then browser -> Tandem.
    // The SSRC is rewritten to the leg's own, so one sequence space is shared by audio and
    // DTMF (SRTP's replay window would drop a jump backwards).
    let send_ssrc = 0x1234_5678;
    let mut seq = 1000u16;
    for i in 0..50u16 {
        let payload = [i as u8; 80];
        let pkt = rtp_packet(111, seq, 960 * u32::from(i), send_ssrc, &payload);
        seq += 1;
        pair.tandem.send_rtp(pair.now, &pkt).unwrap();
        let pkt = rtp_packet(111, 7000 + i, 960 * u32::from(i), 42, &payload);
        pair.browser.send_rtp(pair.now, &pkt).unwrap();
        // DTMF (RFC 4733) rides the negotiated telephone-event payload type.
        if i == 10 {
            let event = [5u8, 0x0a, 0x00, 0xa0]; // digit 5, volume 10, duration 160
            let pkt = rtp_packet(110, seq, 9600, send_ssrc, &event);
            seq += 1;
            pair.tandem.send_rtp(pair.now, &pkt).unwrap();
        }
        pair.run_until(Duration::from_millis(20), |_| false);
    }
    pair.run_until(Duration::from_millis(100), |_| false);

    let at_browser: Vec<_> = pair
        .browser_rtp
        .iter()
        .filter(|p| p[1] & 0x7f == 111)
        .collect();
    assert_eq!(
        at_browser.len(),
        50,
        "browser got {} of 50",
        at_browser.len()
    );
    for (i, p) in at_browser.iter().enumerate() {
        let expect_seq = 1000 + i as u16 + u16::from(i > 10);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), expect_seq);
        assert_eq!(
            u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            pair.tandem.local_ssrc()
        );
        assert_eq!(&p[12..], &[i as u8; 80][..], "payload decrypted intact");
    }
    let dtmf: Vec<_> = pair
        .browser_rtp
        .iter()
        .filter(|p| p[1] & 0x7f == 110)
        .collect();
    assert_eq!(dtmf.len(), 1);
    assert_eq!(&dtmf[0][12..], &[5u8, 0x0a, 0x00, 0xa0]);

    assert_eq!(pair.tandem_rtp.len(), 50);
    for (i, p) in pair.tandem_rtp.iter().enumerate() {
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 7000 + i as u16);
        assert_eq!(&p[12..], &[i as u8; 80][..]);
    }

    // A payload type that was not negotiated is refused.
    let pcma = rtp_packet(8, 1, 1, 1, &[0xd5; 160]);
    assert!(pair.tandem.send_rtp(pair.now, &pcma).is_err());

    // Orderly end: closing one side reports Closed there.
    pair.tandem.close(pair.now);
    pair.run_until(Duration::from_millis(50), |_| false);
    assert!(
        pair.tandem_events
            .iter()
            .any(|(_, e)| *e == LegEvent::Closed)
    );
    assert_eq!(pair.tandem.phase(), Phase::Finished);
    assert!(
        pair.tandem.poll_timeout().is_none(),
        "a finished leg wants no timer"
    );
    eprintln!("browser after tandem close: {:?}", pair.browser_events);
}
