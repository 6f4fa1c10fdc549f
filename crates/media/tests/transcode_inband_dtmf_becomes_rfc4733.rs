//! A trunk that sends digits as tones in its audio (inband_dtmf on): a
//! 120 ms '7' (852 + 1209 Hz) in the PCMU stream is detected and leaves on
//! the Opus leg as an RFC 4733 event for 7 (start with marker, updates, three
//! end packets), and the audio is muted while the tone is detected.

mod transcode_common;

use tandem_media::codec::{CodecKind, g711};
use tandem_media::dtmf::TelephoneEvent;
use tandem_media::transcode::{StreamFormat, Transcoder, TranscoderConfig};
use transcode_common::*;

#[test]
fn inband_tone_becomes_an_event() {
    let input = StreamFormat {
        codec: CodecKind::Pcmu,
        payload_type: 0,
        ptime_ms: 20,
        telephone_event: None,
    };
    let output = StreamFormat {
        codec: CodecKind::Opus,
        payload_type: 111,
        ptime_ms: 20,
        telephone_event: Some(110),
    };
    let mut config = TranscoderConfig::new(input, output);
    config.inband_dtmf = true;
    let mut d = Driver::new(Transcoder::new(&config).unwrap());
    // 200 ms of quiet noise-free low tone, 120 ms of '7', then 400 ms of the low tone.
    for f in 0..36usize {
        let tones: &[(f64, f64)] = if (10..16).contains(&f) {
            &[(852.0, 0.2), (1209.0, 0.2)]
        } else {
            &[(300.0, 0.05)]
        };
        let mut payload = [0u8; 160];
        g711::encode_ulaw(&frame_8k(f, tones), &mut payload);
        d.packet(
            d.ms(20 * f as u64),
            f as u16,
            160 * f as u32,
            f == 0,
            0,
            &payload,
        );
    }
    d.run_until(d.ms(1000));

    let events: Vec<TelephoneEvent> = d
        .out
        .iter()
        .filter(|o| o.pt == 110)
        .map(|o| TelephoneEvent::parse(&o.payload).unwrap())
        .collect();
    assert!(!events.is_empty(), "no event generated");
    assert!(events.iter().all(|e| e.event == 7), "{events:?}");
    assert_eq!(events.iter().filter(|e| e.end).count(), 3, "{events:?}");
    let first = d.out.iter().find(|o| o.pt == 110).unwrap();
    assert!(first.marker);
    // Duration in ms within the detector's accuracy (about +-10 ms of 120 ms).
    let ms = f64::from(events.last().unwrap().duration) / 48.0;
    assert!((ms - 120.0).abs() <= 15.0, "{ms} ms");
    // Part of the tone is muted (the detector needs ~30 ms to decide).
    let audio = d.decoded_audio(CodecKind::Opus, 111);
    let levels = block_levels(&audio, 480);
    assert!(
        levels.iter().filter(|l| **l < -50.0).count() >= 5,
        "{levels:?}"
    );
}
