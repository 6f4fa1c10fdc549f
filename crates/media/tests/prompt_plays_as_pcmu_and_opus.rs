//! A 16 kHz WAV prompt played into a PCMU leg and an Opus leg through the
//! real encoders: the frames decode back to the prompt's tone at the leg's
//! rate, the player hands out one frame per 20 ms, and the cache serves the
//! second call without encoding again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem_media::codec::{CodecKind, Decoder, Encoder, OpusSettings};
use tandem_media::prompt::{PromptCache, PromptFormat, PromptPlayer};

fn write_prompt(path: &std::path::Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for n in 0..16000 {
        let v = 0.3 * (2.0 * std::f64::consts::PI * 500.0 * f64::from(n) / 16000.0).sin();
        w.write_sample((v * 32767.0) as i16).expect("sample");
    }
    w.finalize().expect("finalize");
}

fn crossings_hz(x: &[i16], rate: f64) -> f64 {
    let c = x.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
    c as f64 * rate / x.len() as f64
}

#[test]
fn prompt_plays_through_real_encoders() {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("consent.wav");
    write_prompt(&path);
    let cache = PromptCache::new();
    for kind in [CodecKind::Pcmu, CodecKind::Opus] {
        let mut enc = Encoder::new(kind, &OpusSettings::default()).expect("encoder");
        let format = PromptFormat {
            sample_rate: kind.sample_rate(),
            frame_ms: 20,
            codec_key: kind.name().to_owned(),
        };
        let prompt = cache.encoded(&path, &format, &mut enc).expect("encoded");
        let again = cache.encoded(&path, &format, &mut enc).expect("cached");
        assert!(Arc::ptr_eq(&prompt, &again));
        assert_eq!(prompt.frame_count(), 50);

        let t0 = Instant::now();
        let mut player = PromptPlayer::new(prompt);
        player.start(t0);
        let mut dec = Decoder::new(kind).expect("decoder");
        let mut pcm = vec![0i16; 5760];
        let mut audio = Vec::new();
        let mut frames = 0;
        while let Some(due) = player.poll_timeout() {
            assert_eq!(due, t0 + Duration::from_millis(20 * frames));
            let frame = player.poll_frame(due).expect("a frame when due");
            let n = dec.decode(frame.payload, &mut pcm).expect("decodes");
            audio.extend_from_slice(&pcm[..n]);
            frames += 1;
        }
        assert_eq!(frames, 50);
        assert!(player.is_finished());
        assert_eq!(player.finished_at(), Some(t0 + Duration::from_secs(1)));
        let rate = f64::from(kind.sample_rate());
        let skip = (rate * 0.1) as usize;
        let f = crossings_hz(&audio[skip..audio.len() - skip], rate);
        assert!((f - 500.0).abs() < 3.0, "{}: {f} Hz", kind.name());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
