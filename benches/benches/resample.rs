//! Cost of one 20 ms chunk through `Resampler::process` (i16 in, i16 out, state kept), for
//! the transcoding directions the bridge uses. Run: `cargo bench -p tandem-media --bench resample`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem_media::resample::Resampler;

fn chunk(r: &mut Resampler, c: &mut Criterion, name: &str) {
    let input: Vec<i16> = (0..r.input_frames())
        .map(|n| (8000.0 * (n as f64 * 0.07).sin()) as i16)
        .collect();
    let mut output = vec![0i16; r.output_frames()];
    c.bench_function(name, |b| {
        b.iter(|| {
            r.process(black_box(&input), black_box(&mut output))
                .expect("process")
        })
    });
}

fn resample_20ms(c: &mut Criterion) {
    for (from, to) in [(48000, 8000), (8000, 48000), (48000, 16000), (16000, 48000)] {
        let mut r = Resampler::new(from, to, 20).expect("resampler");
        chunk(
            &mut r,
            c,
            &format!("resample 20ms {}k->{}k", from / 1000, to / 1000),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = resample_20ms
}
criterion_main!(benches);
