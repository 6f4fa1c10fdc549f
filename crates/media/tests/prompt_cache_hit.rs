//! The cache converts and encodes a prompt once: the second call returns the same Arc without
//! reading the file again (it still works after the file is deleted); another codec key or
//! rate is a new entry; `invalidate` forgets the file.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tandem_media::prompt::{FrameEncoder, PromptCache, PromptError, PromptFormat};

struct Counting<'a> {
    rate: u32,
    calls: &'a AtomicUsize,
}
impl FrameEncoder for Counting<'_> {
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn encode(
        &mut self,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        out[0] = (pcm[0] & 0xff) as u8;
        Ok(1)
    }
}

fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-prompt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("p.wav")
}

#[test]
fn second_call_hits_the_cache() {
    let path = temp_wav("cache");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for n in 0..8000 {
        w.write_sample((n % 100) as i16).unwrap();
    }
    w.finalize().unwrap();

    let cache = PromptCache::new();
    assert!(cache.is_empty());
    let calls = AtomicUsize::new(0);
    let pcmu = PromptFormat {
        sample_rate: 8000,
        frame_ms: 20,
        codec_key: "PCMU".into(),
    };
    let mut enc = Counting {
        rate: 8000,
        calls: &calls,
    };
    let first = cache.encoded(&path, &pcmu, &mut enc).unwrap();
    assert_eq!(first.frame_count(), 50);
    assert_eq!(calls.load(Ordering::Relaxed), 50);
    assert_eq!(cache.len(), 2, "one PCM conversion + one encoding");

    std::fs::remove_file(&path).unwrap();

    let second = cache.encoded(&path, &pcmu, &mut enc).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(calls.load(Ordering::Relaxed), 50, "not encoded again");
    let pcm_again = cache.pcm(&path, 8000).unwrap();
    assert_eq!(pcm_again.samples().len(), 8000);
    assert!(Arc::ptr_eq(&pcm_again, &cache.pcm(&path, 8000).unwrap()));
    assert_eq!(cache.len(), 2);

    // Another codec at the same rate reuses the cached PCM (the file is gone) but encodes anew.
    let pcma = PromptFormat {
        codec_key: "PCMA".into(),
        ..pcmu.clone()
    };
    let other = cache.encoded(&path, &pcma, &mut enc).unwrap();
    assert!(!Arc::ptr_eq(&first, &other));
    assert_eq!(calls.load(Ordering::Relaxed), 100);
    assert_eq!(cache.len(), 3);

    // A new rate needs the file, which is gone: typed error, nothing cached.
    assert!(matches!(
        cache.pcm(&path, 16000),
        Err(PromptError::Open { .. })
    ));
    assert_eq!(cache.len(), 3);

    cache.invalidate(&path);
    assert!(cache.is_empty());
    // Players holding the Arc keep their frames.
    assert_eq!(first.frame(49), Some(&[((49 * 160) % 100) as u8][..]));
}
