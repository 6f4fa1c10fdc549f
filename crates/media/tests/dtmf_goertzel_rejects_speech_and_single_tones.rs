//! Signals that are not DTMF produce no digit: single tones (a row tone alone, a column tone
//! alone, 440 Hz), white noise, and voiced-speech-like harmonic signals, including one whose
//! harmonics fall on a row and a column frequency.
mod dtmf_common;

use dtmf_common::{events, noise, tones};
use tandem_media::dtmf::ToneDetector;

const RATE: u32 = 8000;

fn assert_no_digit(name: &str, pcm: &[i16]) {
    let mut det = ToneDetector::new(RATE);
    let evs = events(&mut det, pcm, 160);
    assert!(evs.is_empty(), "{name}: {evs:?}");
    assert_eq!(det.current(), None, "{name}");
}

/// A vowel-like signal: harmonics of `f0` up to 3.4 kHz, shaped by two formants (about 700
/// and 1200 Hz, an /a/), with the overall level near -10 dBm0.
fn vowel(f0: f64, ms: u32) -> Vec<i16> {
    let mut parts = Vec::new();
    let mut k = 1.0;
    while k * f0 < 3400.0 {
        let f = k * f0;
        let formant = |fc: f64, bw: f64| 1.0 / (1.0 + ((f - fc) / bw).powi(2));
        let gain = 0.3 + formant(700.0, 150.0) + 0.7 * formant(1200.0, 200.0);
        // -18 dBm0 per harmonic at gain 1, -6 dB per octave tilt.
        parts.push((f, -18.0 + 20.0 * gain.log10() - 6.0 * (k.log2())));
        k += 1.0;
    }
    tones(RATE, &parts, ms)
}

#[test]
fn single_row_tone() {
    assert_no_digit("697 Hz", &tones(RATE, &[(697.0, -10.0)], 500));
}

#[test]
fn single_column_tone() {
    assert_no_digit("1336 Hz", &tones(RATE, &[(1336.0, -10.0)], 500));
}

#[test]
fn dial_tone_440() {
    assert_no_digit("440 Hz", &tones(RATE, &[(440.0, -10.0)], 500));
    // North-American dial tone, 350 + 440 Hz.
    assert_no_digit(
        "350+440 Hz",
        &tones(RATE, &[(350.0, -13.0), (440.0, -13.0)], 500),
    );
}

#[test]
fn white_noise() {
    for (seed, level) in [(1, -10.0), (2, -20.0), (3, -3.0)] {
        assert_no_digit("noise", &noise(RATE, level, 1000, seed));
    }
}

#[test]
fn vowel_like_harmonic_signals() {
    // 150 Hz (a low voice), and 100 Hz whose 7th and 12th harmonics (700, 1200 Hz) sit
    // on the '1' tones (697, 1209 Hz), the hardest case for a detector without a purity test.
    for f0 in [100.0, 120.0, 150.0, 175.0, 210.0, 233.0] {
        assert_no_digit(&format!("vowel f0 {f0}"), &vowel(f0, 600));
    }
}

#[test]
fn gliding_voice() {
    // A pitch glide from 100 to 250 Hz with three strong harmonics: real speech changes pitch,
    // so its harmonics sweep across the DTMF frequencies.
    let n = 8000;
    let mut phase = 0.0f64;
    let pcm: Vec<i16> = (0..n)
        .map(|i| {
            let f0 = 100.0 + 150.0 * i as f64 / n as f64;
            phase += 2.0 * std::f64::consts::PI * f0 / f64::from(RATE);
            let v: f64 = [(1.0, 1.0), (5.0, 0.8), (7.0, 0.6), (8.0, 0.7), (12.0, 0.5)]
                .iter()
                .map(|&(k, a)| a * (k * phase).sin())
                .sum();
            (v * 4000.0) as i16
        })
        .collect();
    assert_no_digit("glide", &pcm);
}
