//! A '#' from a 48 kHz browser leg (PT 110/126, 20 ms updates) translated for an 8 kHz trunk:
//! durations divided by 6 (rounded), anchored at the trunk stream's current timestamp.
mod dtmf_common;

use std::time::{Duration, Instant};

use dtmf_common::{digit, payload};
use tandem_media::dtmf::EventTranslator;

#[test]
fn browser_hash_to_trunk() {
    let base = Instant::now();
    let mut t = EventTranslator::new(48_000, 8000);
    let in_ts = 123_456u32;
    let out_start = 16_000u32;

    let mut durations = Vec::new();
    let mut markers = Vec::new();
    let mut stamps = Vec::new();
    // 960-sample updates, but a browser may also report odd durations (jittered clock).
    let sent = [
        (true, 960u16, false),
        (false, 1920, false),
        (false, 2885, false),
        (false, 3842, true),
        (false, 3842, true),
        (false, 3842, true),
    ];
    for (i, &(marker, dur, end)) in sent.iter().enumerate() {
        let now = base + Duration::from_millis(20 * i as u64);
        let p = t
            .handle(
                now,
                in_ts,
                marker,
                &payload('#', end, 12, dur),
                out_start + 160 * i as u32,
            )
            .unwrap()
            .unwrap();
        durations.push(p.event().duration);
        markers.push(p.marker);
        stamps.push(p.timestamp);
        assert_eq!(p.event().end, end);
        assert_eq!(p.event().volume, 12);
    }
    assert_eq!(durations, [160, 320, 481, 640, 640, 640]);
    assert_eq!(markers, [true, false, false, false, false, false]);
    assert!(stamps.iter().all(|&s| s == out_start));
    let (d, dur) = t.last_completed().unwrap();
    assert_eq!(d, digit('#'));
    assert_eq!(dur, Duration::from_nanos(3842 * 1_000_000_000 / 48_000));
}
