//! The player hands out one frame every 20 ms of simulated time, with sample offsets and
//! the first-frame flag, and reports finished (and when) after the last frame.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem_media::prompt::{FrameEncoder, PromptCache, PromptFormat, PromptPlayer};

/// "Encodes" a frame as its index (first sample) so the test can tell frames apart.
struct FirstSample;
impl FrameEncoder for FirstSample {
    fn sample_rate(&self) -> u32 {
        8000
    }
    fn encode(
        &mut self,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        out[..2].copy_from_slice(&pcm[0].to_be_bytes());
        Ok(2)
    }
}

fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("p.wav")
}

#[test]
fn frames_every_20_ms_then_finished() {
    // 0.11 s at 8 kHz = 880 samples -> 6 frames (the last one half silence).
    let path = temp_wav("player");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for n in 0..880 {
        w.write_sample((n / 160 + 1) as i16).unwrap();
    }
    w.finalize().unwrap();
    let format = PromptFormat {
        sample_rate: 8000,
        frame_ms: 20,
        codec_key: "test".into(),
    };
    let prompt = PromptCache::new()
        .encoded(&path, &format, &mut FirstSample)
        .unwrap();
    assert_eq!(prompt.frame_count(), 6);

    let base = Instant::now();
    let mut player = PromptPlayer::new(Arc::clone(&prompt));
    let t0 = base + Duration::from_millis(1000);
    player.start(t0);
    assert_eq!(player.poll_timeout(), Some(t0));

    let mut got = Vec::new();
    let mut now = t0;
    while let Some(due) = player.poll_timeout() {
        assert!(!player.is_finished());
        assert_eq!(player.finished_at(), None);
        // Nothing 1 ms early.
        assert!(player.poll_frame(due - Duration::from_millis(1)).is_none());
        now = due;
        let frame = player.poll_frame(now).expect("due frame");
        got.push((
            now - t0,
            frame.sample_offset,
            frame.first,
            i16::from_be_bytes([frame.payload[0], frame.payload[1]]),
        ));
        assert!(player.poll_frame(now).is_none(), "one frame per 20 ms");
    }
    let expected: Vec<_> = (0..6u32)
        .map(|i| {
            (
                Duration::from_millis(20 * u64::from(i)),
                u64::from(i) * 160,
                i == 0,
                (i + 1) as i16,
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(now, t0 + Duration::from_millis(100));
    assert!(player.is_finished());
    assert_eq!(player.finished_at(), Some(t0 + Duration::from_millis(120)));
    assert!(player.poll_frame(now + Duration::from_secs(1)).is_none());

    // A late wake-up hands out every overdue frame at once, offsets intact.
    player.start(t0);
    let late = t0 + Duration::from_millis(45);
    let offsets: Vec<u64> =
        std::iter::from_fn(|| player.poll_frame(late).map(|f| f.sample_offset)).collect();
    assert_eq!(offsets, vec![0, 160, 320]);
    assert_eq!(player.poll_timeout(), Some(t0 + Duration::from_millis(60)));
    std::fs::remove_file(&path).unwrap();
}
