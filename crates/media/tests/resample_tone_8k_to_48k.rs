//! An 8 kHz tone resampled to 48 kHz keeps its frequency, amplitude and phase (after the
//! documented delay), and no image appears at 8000 - f.

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

/// Amplitude of the component at `freq` (single-bin DFT).
fn amplitude(x: &[i16], freq: f64, rate: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let ph = 2.0 * std::f64::consts::PI * freq * n as f64 / rate;
        re += f64::from(v) * ph.cos();
        im += f64::from(v) * ph.sin();
    }
    2.0 * (re * re + im * im).sqrt() / x.len() as f64
}

#[test]
fn tone_8k_to_48k_is_preserved() {
    let amp = 10_000.0;
    for freq in [400.0, 1000.0, 3000.0] {
        let mut r = Resampler::new(8000, 48000, 20).unwrap();
        let input = tone(8000, freq, 8000.0, amp); // 1 s
        let out = run(&mut r, &input);
        assert_eq!(out.len(), 48000);
        let d = r.delay_frames();
        assert_eq!(d, 240);

        // Sample by sample against the ideal 48 kHz tone shifted by the delay, after the
        // first 20 ms (the filter starts from silence).
        let mut max_err = 0.0f64;
        for (n, &y) in out.iter().enumerate().skip(d + 960) {
            let ideal = amp * (2.0 * std::f64::consts::PI * freq * (n - d) as f64 / 48000.0).sin();
            max_err = max_err.max((f64::from(y) - ideal).abs());
        }
        assert!(
            max_err < 50.0,
            "{freq} Hz: max error {max_err} (amplitude {amp})"
        );

        // One second of steady output: the tone is there at full level, the image is not.
        let steady = &out[960..48000 - 960];
        let a = amplitude(steady, freq, 48000.0);
        assert!((a / amp - 1.0).abs() < 0.01, "{freq} Hz: amplitude {a}");
        let image = amplitude(steady, 8000.0 - freq, 48000.0);
        let image_db = 20.0 * (image / amp).log10();
        assert!(
            image_db < -80.0,
            "{freq} Hz: image at {} Hz is {image_db:.1} dB",
            8000.0 - freq
        );
    }
}
