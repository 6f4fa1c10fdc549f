//! An RFC 4733 digit arriving on an 8 kHz PCMU leg (telephone-event 101)
//! leaves on a 48 kHz Opus leg as telephone-event 110 with durations scaled
//! by 6, and while it is on, the audio sent on is silence: the digit never
//! leaks in-band through the transcoder.

mod transcode_common;

use tandem_media::codec::{CodecKind, g711};
use tandem_media::dtmf::TelephoneEvent;
use tandem_media::transcode::{StreamFormat, Transcoder, TranscoderConfig};
use transcode_common::*;

#[test]
fn digit_translated_and_audio_muted() {
    let input = StreamFormat {
        codec: CodecKind::Pcmu,
        payload_type: 0,
        ptime_ms: 20,
        telephone_event: Some(101),
    };
    let output = StreamFormat {
        codec: CodecKind::Opus,
        payload_type: 111,
        ptime_ms: 20,
        telephone_event: Some(110),
    };
    let mut d = Driver::new(Transcoder::new(&TranscoderConfig::new(input, output)).unwrap());
    let mut seq = 100u16;
    // 1 s of a 440 Hz tone; a '5' from 400 ms to 520 ms (updates every 20 ms, 3 end packets).
    let event_ts = 8000 + 160 * 20;
    for f in 0..50usize {
        let at = d.ms(20 * f as u64);
        let mut payload = [0u8; 160];
        g711::encode_ulaw(&frame_8k(f, &[(440.0, 0.3)]), &mut payload);
        d.packet(at, seq, 8000 + 160 * f as u32, f == 0, 0, &payload);
        seq = seq.wrapping_add(1);
        if (20..26).contains(&f) {
            let k = (f - 20) as u16;
            let ev = TelephoneEvent {
                event: 5,
                end: f == 25,
                volume: 10,
                duration: 160 * (k + 1),
            };
            let copies = if f == 25 { 3 } else { 1 };
            for _ in 0..copies {
                d.packet(at, seq, event_ts, f == 20, 101, &ev.write());
                seq = seq.wrapping_add(1);
            }
        }
    }
    let end = d.ms(1200);
    d.run_until(end);

    let events: Vec<_> = d.out.iter().filter(|o| o.pt == 110).collect();
    assert_eq!(events.len(), 8, "{events:?}");
    assert!(events[0].marker);
    assert!(events[1..].iter().all(|e| !e.marker));
    assert!(
        events.iter().all(|e| e.ts == events[0].ts),
        "one start timestamp"
    );
    let parsed: Vec<TelephoneEvent> = events
        .iter()
        .map(|e| TelephoneEvent::parse(&e.payload).unwrap())
        .collect();
    assert!(parsed.iter().all(|e| e.event == 5));
    assert_eq!(parsed[0].duration, 960);
    assert_eq!(parsed.iter().filter(|e| e.end).count(), 3);
    assert_eq!(parsed.last().unwrap().duration, 960 * 6);

    // Audio: loud tone, then at least 80 ms of silence around the digit, then tone again.
    let audio = d.decoded_audio(CodecKind::Opus, 111);
    let levels = block_levels(&audio, 480); // 10 ms blocks
    let quiet = levels.iter().filter(|l| **l < -50.0).count();
    let loud = levels.iter().filter(|l| **l > -15.0).count();
    assert!(quiet >= 8, "only {quiet} silent 10 ms blocks: {levels:?}");
    assert!(loud >= 60, "the tone itself should pass: {levels:?}");
}
