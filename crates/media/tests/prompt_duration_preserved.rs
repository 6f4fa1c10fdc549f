//! Converting a prompt to the leg's rate and cutting it into frames keeps its duration
//! (within one frame), for a 16 kHz stereo file and a 44.1 kHz mono one.

use std::path::PathBuf;
use std::time::Duration;

use tandem_media::prompt::{FrameEncoder, PromptCache, PromptFormat};

struct L16(u32);
impl FrameEncoder for L16 {
    fn sample_rate(&self) -> u32 {
        self.0
    }
    fn encode(
        &mut self,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        for (o, s) in out.chunks_exact_mut(2).zip(pcm) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        Ok(pcm.len() * 2)
    }
}

fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("p.wav")
}

fn write_tone(path: &PathBuf, rate: u32, channels: u16, frames: usize) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("test helper");
    for n in 0..frames {
        let v = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / f64::from(rate)).sin())
            as i16;
        for _ in 0..channels {
            w.write_sample(v).expect("test helper");
        }
    }
    w.finalize().expect("test helper");
}

#[test]
fn duration_is_preserved_within_one_frame() {
    // (file rate, channels, frames) -> 1.234 s and 0.5 s + a fraction of a frame.
    let files = [(16000u32, 2u16, 19_744usize), (44100, 1, 22_050 + 300)];
    for (rate, channels, frames) in files {
        let path = temp_wav(&format!("dur-{rate}"));
        write_tone(&path, rate, channels, frames);
        let source = Duration::from_secs_f64(frames as f64 / f64::from(rate));
        let cache = PromptCache::new();
        for leg_rate in [8000u32, 16000, 48000] {
            let pcm = cache.pcm(&path, leg_rate).unwrap();
            assert_eq!(pcm.sample_rate(), leg_rate);
            assert_eq!(pcm.source_rate(), rate);
            assert_eq!(pcm.source_channels(), channels);
            let expected = (frames as u64 * u64::from(leg_rate)).div_ceil(u64::from(rate));
            assert_eq!(pcm.samples().len() as u64, expected, "{rate}->{leg_rate}");
            let diff = pcm.duration().abs_diff(source);
            assert!(
                diff <= Duration::from_micros(125),
                "{rate}->{leg_rate}: {diff:?}"
            );

            let format = PromptFormat {
                sample_rate: leg_rate,
                frame_ms: 20,
                codec_key: format!("L16/{leg_rate}"),
            };
            let enc = cache.encoded(&path, &format, &mut L16(leg_rate)).unwrap();
            let frame = Duration::from_millis(20);
            assert_eq!(enc.frame_duration(), frame);
            assert_eq!(enc.frame_samples(), leg_rate as usize / 50);
            let played = frame * enc.frame_count() as u32;
            assert!(
                played >= source && played < source + frame,
                "{played:?} vs {source:?}"
            );
            assert_eq!(enc.duration(), pcm.duration());
        }
        std::fs::remove_file(&path).unwrap();
    }
}
