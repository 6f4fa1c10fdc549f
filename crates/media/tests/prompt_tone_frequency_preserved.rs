//! A tone in a prompt keeps its frequency (and level) after conversion to the leg's rate,
//! and the conversion does not shift it in time: from 44.1 kHz, 22.05 kHz float and 16 kHz.

use std::path::PathBuf;

use tandem_media::prompt::PromptCache;

fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("p.wav")
}

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
fn tone_frequency_survives_conversion() {
    let freq = 1000.0;
    let amp = 0.25; // of full scale
    let cases = [
        (44100u32, hound::SampleFormat::Int, 16u16),
        (22050, hound::SampleFormat::Float, 32),
        (16000, hound::SampleFormat::Int, 24),
    ];
    for (rate, format, bits) in cases {
        let path = temp_wav(&format!("tone-{rate}"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: format,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for n in 0..rate {
            let x =
                amp * (2.0 * std::f64::consts::PI * freq * f64::from(n) / f64::from(rate)).sin();
            match format {
                hound::SampleFormat::Float => w.write_sample(x as f32).unwrap(),
                hound::SampleFormat::Int => {
                    let full = f64::from((1i32 << (bits - 1)) - 1);
                    w.write_sample((x * full).round() as i32).unwrap()
                }
            }
        }
        w.finalize().unwrap();

        let cache = PromptCache::new();
        for leg_rate in [8000u32, 48000] {
            let pcm = cache.pcm(&path, leg_rate).unwrap();
            let s = &pcm.samples()[..];
            let fs = f64::from(leg_rate);
            // The strongest component among 900..1100 Hz in 10 Hz steps is 1000 Hz.
            let mid = &s[s.len() / 4..s.len() * 3 / 4];
            let best = (90..=110)
                .map(|k| f64::from(k) * 10.0)
                .max_by(|a, b| amplitude(mid, *a, fs).total_cmp(&amplitude(mid, *b, fs)))
                .unwrap();
            assert_eq!(best, freq, "{rate}->{leg_rate}");
            // Level and phase: sample by sample against the ideal tone, no time shift.
            let full = 32768.0 * amp;
            let mut max_err = 0.0f64;
            for (n, &y) in s
                .iter()
                .enumerate()
                .skip(s.len() / 10)
                .take(s.len() * 8 / 10)
            {
                let ideal = full * (2.0 * std::f64::consts::PI * freq * n as f64 / fs).sin();
                max_err = max_err.max((f64::from(y) - ideal).abs());
            }
            assert!(
                max_err < 0.01 * full,
                "{rate}->{leg_rate}: max error {max_err}"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
}
