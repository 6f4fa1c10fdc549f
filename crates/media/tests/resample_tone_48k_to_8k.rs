//! A 48 kHz in-band tone resampled to 8 kHz is preserved; an out-of-band one (5 kHz) is
//! rejected instead of aliasing to 3 kHz.

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

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn in_band_tone_48k_to_8k_is_preserved() {
    let amp = 10_000.0;
    for freq in [300.0, 1000.0, 3000.0, 3400.0] {
        let mut r = Resampler::new(48000, 8000, 20).unwrap();
        let out = run(&mut r, &tone(48000, freq, 48000.0, amp));
        assert_eq!(out.len(), 8000);
        let d = r.delay_frames();
        assert_eq!(d, 40);
        // Passband: flat within 0.5 dB up to 3.4 kHz.
        let gain_db = 20.0 * (rms(&out[400..7600]) / (amp / 2f64.sqrt())).log10();
        assert!(gain_db.abs() < 0.5, "{freq} Hz: gain {gain_db:.2} dB");
        if freq <= 3000.0 {
            let mut max_err = 0.0f64;
            for (n, &y) in out.iter().enumerate().skip(d + 160) {
                let ideal =
                    amp * (2.0 * std::f64::consts::PI * freq * (n - d) as f64 / 8000.0).sin();
                max_err = max_err.max((f64::from(y) - ideal).abs());
            }
            assert!(max_err < 50.0, "{freq} Hz: max error {max_err}");
        }
    }
}

#[test]
fn five_khz_tone_48k_to_8k_is_rejected() {
    let amp = 16_000.0;
    let input = tone(48000, 5000.0, 48000.0, amp);
    let mut r = Resampler::new(48000, 8000, 20).unwrap();
    let out = run(&mut r, &input);
    let in_rms = rms(&input);
    // Floor at half an LSB so an all-zero output gives a finite number.
    let out_rms = rms(&out[160..]).max(0.5);
    let attenuation_db = 20.0 * (in_rms / out_rms).log10();
    eprintln!(
        "5 kHz @48k -> 8k: out rms {:.3} LSB, attenuation >= {attenuation_db:.1} dB, peak {}",
        rms(&out[160..]),
        out[160..].iter().map(|v| v.unsigned_abs()).max().unwrap()
    );
    assert!(attenuation_db > 80.0, "only {attenuation_db:.1} dB");
}
