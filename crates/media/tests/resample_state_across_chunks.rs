//! A continuous tone fed chunk by chunk comes out continuous: no step at chunk joins,
//! and the output does not depend on how the input was cut into chunks.

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

#[test]
fn no_discontinuity_at_chunk_joins() {
    let amp = 12_000.0;
    for (from, to, freq) in [
        (8000, 48000, 440.0),
        (48000, 8000, 440.0),
        (48000, 16000, 1234.0),
    ] {
        let mut r = Resampler::new(from, to, 20).unwrap();
        let out = run(&mut r, &tone(from as usize * 2, freq, f64::from(from), amp));
        let n_out = r.output_frames();
        let d = r.delay_frames();
        // Largest sample-to-sample step across a join vs inside chunks, in steady state.
        let start = d + 2 * n_out;
        let (mut join_max, mut inner_max) = (0i32, 0i32);
        let mut join_err = 0.0f64;
        for n in start..out.len() {
            let step = (i32::from(out[n]) - i32::from(out[n - 1])).abs();
            if n % n_out == 0 {
                join_max = join_max.max(step);
                let ideal = amp
                    * (2.0 * std::f64::consts::PI * freq * (n - d) as f64 / f64::from(to)).sin();
                join_err = join_err.max((f64::from(out[n]) - ideal).abs());
            } else {
                inner_max = inner_max.max(step);
            }
        }
        // A tone's largest step is amp * 2*pi*f/fs; a join may not exceed what happens inside.
        assert!(
            join_max <= inner_max + 2,
            "{from}->{to}: step at joins {join_max} vs inside {inner_max}"
        );
        assert!(
            join_err < 50.0,
            "{from}->{to}: first sample of a chunk off by {join_err}"
        );
    }
}

#[test]
fn ten_and_twenty_ms_chunks_give_the_same_stream() {
    let input = tone(16_000, 700.0, 8000.0, 9000.0);
    let a = run(&mut Resampler::new(8000, 48000, 20).unwrap(), &input);
    let b = run(&mut Resampler::new(8000, 48000, 10).unwrap(), &input);
    assert_eq!(a.len(), b.len());
    assert_eq!(a, b);
}
