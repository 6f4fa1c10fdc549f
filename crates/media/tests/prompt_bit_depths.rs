//! 8, 16, 24 and 32-bit integer and 32-bit float WAV files of the same audio load to the
//! same 16-bit PCM (within the coarser format's quantisation).

use std::path::PathBuf;

use tandem_media::prompt::PromptCache;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn all_bit_depths_load_alike() {
    let dir = temp_dir("bits");
    let signal: Vec<f64> = (0..800)
        .map(|n| 0.6 * (f64::from(n) * 0.05).sin())
        .collect();
    let cache = PromptCache::new();
    for (format, bits, tolerance) in [
        (hound::SampleFormat::Int, 8u16, 129i32),
        (hound::SampleFormat::Int, 16, 1),
        (hound::SampleFormat::Int, 24, 1),
        (hound::SampleFormat::Int, 32, 1),
        (hound::SampleFormat::Float, 32, 1),
    ] {
        let path = dir.join(format!("{format:?}{bits}.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: bits,
            sample_format: format,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for &x in &signal {
            match (format, bits) {
                (hound::SampleFormat::Float, _) => w.write_sample(x as f32).unwrap(),
                (_, 8) => w
                    .write_sample((x * 128.0).round().clamp(-128.0, 127.0) as i8)
                    .unwrap(),
                (_, b) => w
                    .write_sample((x * f64::from(1u32 << (b - 1))).round() as i32)
                    .unwrap(),
            }
        }
        w.finalize().unwrap();
        let pcm = cache.pcm(&path, 8000).unwrap();
        assert_eq!(pcm.samples().len(), signal.len());
        for (n, (&got, &x)) in pcm.samples().iter().zip(&signal).enumerate() {
            let want = (x * 32768.0).round() as i32;
            assert!(
                (i32::from(got) - want).abs() <= tolerance,
                "{format:?} {bits}: sample {n}: {got} vs {want}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
