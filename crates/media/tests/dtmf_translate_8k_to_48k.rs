//! A 100 ms '5' from an 8 kHz leg (20 ms updates, 3 end packets) translated for a 48 kHz leg:
//! every packet forwarded once, durations x6, all packets at the output timestamp that was
//! current when the event began, marker on the first only, three end packets.
mod dtmf_common;

use std::time::{Duration, Instant};

use dtmf_common::{digit, payload};
use tandem_media::dtmf::{EventTranslator, TelephoneEvent};

#[test]
fn hundred_ms_five() {
    let base = Instant::now();
    let mut t = EventTranslator::new(8000, 48_000);
    let in_ts = 0xFFFF_FF00u32; // near the wrap: the timestamp is only compared for equality
    let out_start = 480_000u32;

    // Input: start (marker) 160, updates 320..640, end 800 three times; one packet per 20 ms.
    let mut input: Vec<(bool, [u8; 4])> = vec![(true, payload('5', false, 10, 160))];
    for d in [320, 480, 640] {
        input.push((false, payload('5', false, 10, d)));
    }
    for _ in 0..3 {
        input.push((false, payload('5', true, 10, 800)));
    }

    let mut out = Vec::new();
    for (i, (marker, p)) in input.iter().enumerate() {
        let now = base + Duration::from_millis(20 * i as u64);
        let out_now = out_start + 960 * i as u32; // the pipeline's counter keeps moving
        let pkt = t
            .handle(now, in_ts, *marker, p, out_now)
            .unwrap()
            .expect("forwarded");
        out.push(pkt);
        assert_eq!(t.is_active(now), i < 4, "packet {i}");
    }

    assert_eq!(out.len(), 7);
    assert!(out.iter().all(|p| p.timestamp == out_start));
    assert_eq!(
        out.iter().map(|p| p.marker).collect::<Vec<_>>(),
        [true, false, false, false, false, false, false]
    );
    let evs: Vec<TelephoneEvent> = out.iter().map(|p| p.event()).collect();
    assert_eq!(
        evs.iter().map(|e| e.duration).collect::<Vec<_>>(),
        [960, 1920, 2880, 3840, 4800, 4800, 4800]
    );
    assert_eq!(evs.iter().filter(|e| e.end).count(), 3);
    assert!(evs.iter().all(|e| e.event == 5 && e.volume == 10));
    assert_eq!(out[0].payload, [5, 10, 0x03, 0xC0]);
    assert_eq!(
        t.last_completed(),
        Some((digit('5'), Duration::from_millis(100)))
    );
}
