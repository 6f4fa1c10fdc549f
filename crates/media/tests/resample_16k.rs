//! 16 kHz <-> 48 kHz and 8 kHz <-> 16 kHz: chunk sizes, a wideband tone (7 kHz) passes,
//! and a 9 kHz tone at 48 kHz does not alias into the 16 kHz output.

use tandem_media::resample::Resampler;

fn tone(len: usize, freq: f64, rate: f64, amp: f64) -> Vec<i16> {
    (0..len)
        .map(|n| (amp * (2.0 * std::f64::consts::PI * freq * n as f64 / rate).sin()).round() as i16)
        .collect()
}

fn run(r: &mut Resampler, input: &[i16]) -> Vec<i16> {
    let mut out = Vec::new();
    let mut buf = vec![0i16; r.output_frames()];
    for chunk in input.chunks_exact(r.input_frames()) {
        let n = r.process(chunk, &mut buf).expect("test helper");
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// Max deviation from the ideal output tone, after the delay and a 20 ms settle.
fn max_error(out: &[i16], freq: f64, rate: u32, delay: usize, amp: f64) -> f64 {
    let settle = rate as usize / 50;
    out.iter()
        .enumerate()
        .skip(delay + settle)
        .map(|(n, &y)| {
            let ideal = amp
                * (2.0 * std::f64::consts::PI * freq * (n - delay) as f64 / f64::from(rate)).sin();
            (f64::from(y) - ideal).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn sixteen_khz_pairs_preserve_tones() {
    let amp = 10_000.0;
    // (from, to, tone): 7 kHz is in band for 16 kHz on both sides.
    let cases = [
        (16000, 48000, 1000.0),
        (16000, 48000, 7000.0),
        (48000, 16000, 1000.0),
        (48000, 16000, 7000.0),
        (8000, 16000, 1000.0),
        (8000, 16000, 3000.0),
        (16000, 8000, 1000.0),
        (16000, 8000, 3000.0),
    ];
    for (from, to, freq) in cases {
        let mut r = Resampler::new(from, to, 20).unwrap();
        assert_eq!(r.input_frames(), from as usize / 50);
        assert_eq!(r.output_frames(), to as usize / 50);
        let out = run(&mut r, &tone(from as usize, freq, f64::from(from), amp));
        assert_eq!(out.len(), to as usize);
        let err = max_error(&out, freq, to, r.delay_frames(), amp);
        // 7 kHz sits near the 16 kHz band edge: allow 0.3 dB of droop there.
        let limit = if freq > 6000.0 { 400.0 } else { 50.0 };
        assert!(err < limit, "{from}->{to} {freq} Hz: max error {err}");
    }
}

#[test]
fn nine_khz_at_48k_does_not_alias_into_16k() {
    let mut r = Resampler::new(48000, 16000, 20).unwrap();
    let out = run(&mut r, &tone(48000, 9000.0, 48000.0, 16_000.0));
    let peak = out[320..].iter().map(|v| v.unsigned_abs()).max().unwrap();
    assert!(peak <= 2, "9 kHz leaked as a 7 kHz alias, peak {peak}");
}
