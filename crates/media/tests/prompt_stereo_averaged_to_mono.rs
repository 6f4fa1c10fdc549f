//! A stereo prompt is averaged to mono: left-only content comes out at half level, and
//! opposite-phase channels cancel.

use std::path::PathBuf;

use tandem_media::prompt::PromptCache;

fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("p.wav")
}

fn write_stereo(path: &PathBuf, left: impl Fn(usize) -> i16, right: impl Fn(usize) -> i16) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("test helper");
    for n in 0..1600 {
        w.write_sample(left(n)).expect("test helper");
        w.write_sample(right(n)).expect("test helper");
    }
    w.finalize().expect("test helper");
}

#[test]
fn stereo_is_averaged() {
    let tone = |n: usize| (10_000.0 * (n as f64 * 0.3).sin()) as i16;
    let cache = PromptCache::new();

    let path = temp_wav("left-only");
    write_stereo(&path, tone, |_| 0);
    let pcm = cache.pcm(&path, 16000).unwrap();
    assert_eq!(pcm.samples().len(), 1600);
    for (n, &s) in pcm.samples().iter().enumerate() {
        assert!(
            (i32::from(s) - i32::from(tone(n)) / 2).abs() <= 1,
            "sample {n}"
        );
    }

    let path = temp_wav("opposite");
    write_stereo(&path, tone, |n| -tone(n));
    let pcm = cache.pcm(&path, 16000).unwrap();
    assert!(pcm.samples().iter().all(|&s| s == 0));
}
