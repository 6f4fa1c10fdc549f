//! The delay the resampler reports is the delay an impulse actually shows: an impulse at
//! input sample k peaks at output sample k * to / from + delay_frames(), within one sample.

use tandem_media::resample::Resampler;

#[test]
fn impulse_peak_matches_documented_delay() {
    let pairs = [
        (8000, 48000),
        (48000, 8000),
        (16000, 48000),
        (48000, 16000),
        (8000, 16000),
        (16000, 8000),
    ];
    for chunk_ms in [10, 20] {
        for (from, to) in pairs {
            let mut r = Resampler::new(from, to, chunk_ms).unwrap();
            let (n_in, n_out) = (r.input_frames(), r.output_frames());
            // Impulse placed in the 3rd chunk, at an input index that maps to a whole
            // output index, so the ideal peak is exactly on a sample.
            let step = (from / gcd(from, to)) as usize;
            let k = 2 * n_in + (n_in / 3 / step) * step + step;
            let ratio_num = to as usize;
            let ratio_den = from as usize;
            let mut input = vec![0i16; 8 * n_in];
            input[k] = 30_000;
            let mut out = vec![0i16; 8 * n_out];
            for (i, o) in input.chunks_exact(n_in).zip(out.chunks_exact_mut(n_out)) {
                assert_eq!(r.process(i, o).unwrap(), n_out);
            }
            let peak = out
                .iter()
                .enumerate()
                .max_by_key(|(_, v)| v.unsigned_abs())
                .map(|(i, _)| i)
                .unwrap();
            let expected = k * ratio_num / ratio_den + r.delay_frames();
            assert!(
                peak.abs_diff(expected) <= 1,
                "{from}->{to} ({chunk_ms} ms): peak at {peak}, expected {expected}"
            );
            // And the documented Duration is the same number of output samples: 5 ms.
            assert_eq!(r.delay().as_micros(), 5_000, "{from}->{to}");
            assert_eq!(r.delay_frames(), to as usize * 5 / 1000);
        }
    }
}

#[test]
fn cross_correlation_of_a_noise_burst_gives_the_same_delay() {
    // Band-limited noise (a sum of in-band tones with pseudo-random phases) resampled 48k -> 8k;
    // the lag that best aligns the output with the input decimated by 6 is the delay.
    let mut state = 0x1234_5678u32;
    let mut rnd = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        f64::from(state) / f64::from(u32::MAX)
    };
    let tones: Vec<(f64, f64)> = (1..30)
        .map(|i| (f64::from(i) * 97.0 + 50.0, rnd() * std::f64::consts::TAU))
        .collect();
    let sig = |t: f64| {
        tones
            .iter()
            .map(|(f, p)| (2.0 * std::f64::consts::PI * f * t + p).sin())
            .sum::<f64>()
    };
    let input: Vec<i16> = (0..48_000)
        .map(|n| (sig(f64::from(n) / 48000.0) * 800.0) as i16)
        .collect();
    let reference: Vec<f64> = (0..8_000)
        .map(|n| sig(f64::from(n) / 8000.0) * 800.0)
        .collect();

    let mut r = Resampler::new(48000, 8000, 20).unwrap();
    let mut out = vec![0i16; 8000];
    for (i, o) in input.chunks_exact(960).zip(out.chunks_exact_mut(160)) {
        r.process(i, o).unwrap();
    }
    let best_lag = (0..100)
        .max_by(|&a, &b| {
            let c = |lag: usize| -> f64 {
                (1000..7000)
                    .map(|n| f64::from(out[n]) * reference[n - lag])
                    .sum()
            };
            c(a).total_cmp(&c(b))
        })
        .unwrap();
    assert_eq!(best_lag, r.delay_frames());
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}
