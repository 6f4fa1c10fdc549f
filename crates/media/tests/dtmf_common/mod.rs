//! Signal and packet helpers shared by the `dtmf_*` integration tests.
#![allow(dead_code)]

use std::f64::consts::PI;
use std::time::Duration;

use tandem_media::dtmf::{Digit, TelephoneEvent, ToneDetector, ToneEvent};

/// Amplitude of a sine at `dbm0` (0 dBm0 = 22 700 in 16-bit PCM, the G.711 digital milliwatt).
pub fn amplitude(dbm0: f64) -> f64 {
    22_700.0 * 10f64.powf(dbm0 / 20.0)
}

/// Samples of a sum of sines `(frequency Hz, level dBm0)`, starting at phase 0.
pub fn tones(rate: u32, parts: &[(f64, f64)], ms: u32) -> Vec<i16> {
    let n = (u64::from(rate) * u64::from(ms) / 1000) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let v: f64 = parts
                .iter()
                .map(|&(f, db)| amplitude(db) * (2.0 * PI * f * t).sin())
                .sum();
            v.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// A DTMF digit with its row tone at `row_dbm0` and column tone at `col_dbm0`.
pub fn dtmf(rate: u32, digit: Digit, row_dbm0: f64, col_dbm0: f64, ms: u32) -> Vec<i16> {
    let (r, c) = digit.frequencies();
    tones(
        rate,
        &[(f64::from(r), row_dbm0), (f64::from(c), col_dbm0)],
        ms,
    )
}

/// `ms` of silence.
pub fn silence(rate: u32, ms: u32) -> Vec<i16> {
    vec![0; (u64::from(rate) * u64::from(ms) / 1000) as usize]
}

/// Deterministic white-ish noise (xorshift) with RMS at `dbm0`.
pub fn noise(rate: u32, dbm0: f64, ms: u32, seed: u64) -> Vec<i16> {
    let n = (u64::from(rate) * u64::from(ms) / 1000) as usize;
    let mut s = seed | 1;
    // Uniform in [-a, a] has RMS a / sqrt(3); a sine of amplitude A has RMS A / sqrt(2).
    let a = amplitude(dbm0) / 2f64.sqrt() * 3f64.sqrt();
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            (a * (2.0 * u - 1.0)).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// Runs `pcm` through `det` in frames of `frame` samples; returns each event with the sample
/// index at the end of the frame that produced it.
pub fn run(det: &mut ToneDetector, pcm: &[i16], frame: usize) -> Vec<(ToneEvent, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for chunk in pcm.chunks(frame) {
        det.process(chunk);
        pos += chunk.len();
        while let Some(ev) = det.poll_event() {
            out.push((ev, pos));
        }
    }
    out
}

/// Just the events.
pub fn events(det: &mut ToneDetector, pcm: &[i16], frame: usize) -> Vec<ToneEvent> {
    run(det, pcm, frame).into_iter().map(|(e, _)| e).collect()
}

/// Absolute difference of two durations.
pub fn diff(a: Duration, b: Duration) -> Duration {
    a.abs_diff(b)
}

/// A telephone-event payload.
pub fn payload(digit: char, end: bool, volume: u8, duration: u16) -> [u8; 4] {
    TelephoneEvent {
        event: Digit::from_char(digit).expect("a DTMF character").code(),
        end,
        volume,
        duration,
    }
    .write()
}

pub fn digit(c: char) -> Digit {
    Digit::from_char(c).expect("a DTMF character")
}
