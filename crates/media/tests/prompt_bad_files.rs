//! Bad prompt files give typed errors: missing file, not a WAV, zero-length audio,
//! unsupported channel count or rate; and a bad format request is refused.

use std::path::PathBuf;

use tandem_media::prompt::{FrameEncoder, PromptCache, PromptError, PromptFormat, WavFormatError};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn wav(path: &PathBuf, channels: u16, rate: u32, samples: usize) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("test helper");
    for _ in 0..samples * usize::from(channels) {
        w.write_sample(0i16).expect("test helper");
    }
    w.finalize().expect("test helper");
}

struct Null(u32);
impl FrameEncoder for Null {
    fn sample_rate(&self) -> u32 {
        self.0
    }
    fn encode(
        &mut self,
        _: &[i16],
        _: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        Ok(0)
    }
}

#[test]
fn bad_files_give_typed_errors() {
    let dir = temp_dir("bad");
    let cache = PromptCache::new();

    let missing = dir.join("missing.wav");
    let err = cache.pcm(&missing, 8000).unwrap_err();
    assert!(
        matches!(&err, PromptError::Open { path, source }
            if path == &missing && source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );

    let text = dir.join("text.wav");
    std::fs::write(&text, b"this is not a RIFF file at all").unwrap();
    assert!(matches!(
        cache.pcm(&text, 8000),
        Err(PromptError::Wav { .. })
    ));

    let truncated = dir.join("truncated.wav");
    wav(&truncated, 1, 8000, 100);
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 51]).unwrap();
    assert!(matches!(
        cache.pcm(&truncated, 8000),
        Err(PromptError::Wav { .. })
    ));

    let empty = dir.join("empty.wav");
    wav(&empty, 1, 8000, 0);
    assert!(matches!(
        cache.pcm(&empty, 8000),
        Err(PromptError::Empty { .. })
    ));

    let zero_bytes = dir.join("zero-bytes.wav");
    std::fs::write(&zero_bytes, b"").unwrap();
    assert!(matches!(
        cache.pcm(&zero_bytes, 8000),
        Err(PromptError::Wav { .. })
    ));

    let surround = dir.join("surround.wav");
    wav(&surround, 3, 8000, 10);
    assert!(matches!(
        cache.pcm(&surround, 8000),
        Err(PromptError::Format {
            problem: WavFormatError::Channels(3),
            ..
        })
    ));

    let hires = dir.join("hires.wav");
    wav(&hires, 1, 96000, 10);
    assert!(matches!(
        cache.pcm(&hires, 8000),
        Err(PromptError::Format {
            problem: WavFormatError::SampleRate(96000),
            ..
        })
    ));

    let good = dir.join("good.wav");
    wav(&good, 1, 8000, 800);
    let mismatched = PromptFormat {
        sample_rate: 8000,
        frame_ms: 20,
        codec_key: "x".into(),
    };
    assert!(matches!(
        cache.encoded(&good, &mismatched, &mut Null(16000)),
        Err(PromptError::RateMismatch {
            format: 8000,
            encoder: 16000
        })
    ));
    let odd_frame = PromptFormat {
        sample_rate: 8000,
        frame_ms: 0,
        codec_key: "x".into(),
    };
    assert!(matches!(
        cache.encoded(&good, &odd_frame, &mut Null(8000)),
        Err(PromptError::BadFormat { .. })
    ));

    // Errors are never cached.
    assert!(cache.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
