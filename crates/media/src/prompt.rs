//! Announcement prompts: load a WAV once, convert it once per leg format, play it into many
//! calls from the same cached frames.
//!
//! # Design
//!
//! * [`PromptCache::pcm`] reads a WAV file with `hound` (8/16/24/32-bit integer or 32-bit
//!   float, mono or stereo, 8 to 48 kHz, including 11.025/22.05/44.1 kHz), averages stereo to
//!   mono, converts to i16 and resamples it to the leg's PCM rate. The result, a [`Prompt`],
//!   is cached under `(path, rate)`.
//! * [`PromptCache::encoded`] cuts that PCM into `frame_ms` frames (the last one padded with
//!   silence) and encodes each frame once through a [`FrameEncoder`]. The result, an
//!   [`EncodedPrompt`] (one `Bytes` buffer plus frame offsets), is cached under
//!   `(path, codec_key, frame_ms)`. Every call playing the prompt shares that `Arc`.
//! * [`PromptPlayer`] plays one `EncodedPrompt` into one leg. It is sans-IO: it owns no timer
//!   and never reads the clock; the caller passes `now`, sleeps until
//!   [`PromptPlayer::poll_timeout`] and drains [`PromptPlayer::poll_frame`]. Frame `i` is due
//!   at `start + i * frame_ms`; each frame carries its offset in samples from the prompt start
//!   (for the RTP timestamp) and whether it is the first one (for the marker bit). Playing
//!   does not allocate or copy: payloads are slices of the cached buffer.
//!
//! Whole-file resampling uses rubato's FFT resampler (`Fft`, one FFT block per chunk of about
//! 1000 input frames, an even count so the delay rubato trims is exact, rubato's default
//! Blackman-Harris² window) through its `process_all`, which trims the resampler
//! delay off the front and pads the tail, so the converted prompt is neither shifted nor cut:
//! its length is `ceil(len * to / from)`. This happens once per file and rate, off the media
//! path, so it may allocate. The live path uses [`crate::resample::Resampler`] instead.
//!
//! Cache keys use the path as given (not canonicalised), so a file deleted or replaced after
//! loading keeps playing the cached version until [`PromptCache::invalidate`] is called.
//! The cache locks are never held while a file is read or encoded; two threads loading the
//! same prompt at once both do the work and the first one stored wins, so every caller still
//! gets the same `Arc`.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _, WindowFunction};

use crate::resample::{ResampleError, f32_to_i16};

/// Lowest and highest WAV sample rates a prompt may have.
pub const PROMPT_RATES: std::ops::RangeInclusive<u32> = 8000..=48000;

/// Room an encoder gets per frame beyond two bytes per sample (enough for L16 and Opus).
const ENCODE_SLACK: usize = 1500;

/// Encodes PCM frames for a leg (implemented by the lead for `codec::Encoder`).
pub trait FrameEncoder {
    /// The PCM rate the encoder takes.
    fn sample_rate(&self) -> u32;
    /// Encodes one frame of `pcm` into `out`, returning the payload length.
    fn encode(
        &mut self,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>>;
}

/// What a leg needs: the encoder's sample rate, the frame length, and a cache key naming the
/// codec and its settings (e.g. "PCMU", "opus/c10/32000").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromptFormat {
    /// PCM rate of the leg's encoder in Hz.
    pub sample_rate: u32,
    /// Frame length in milliseconds (the packetisation time).
    pub frame_ms: u32,
    /// Names the codec and every setting that changes its output.
    pub codec_key: String,
}

/// Why a WAV file is readable but not usable as a prompt.
#[derive(Debug, thiserror::Error)]
pub enum WavFormatError {
    /// Only mono and stereo files are accepted.
    #[error("{0} channels (mono or stereo only)")]
    Channels(u16),
    /// The sample rate is outside 8000..=48000 Hz.
    #[error("sample rate {0} Hz (8000..=48000 only)")]
    SampleRate(u32),
    /// Sample format and bit depth other than 8/16/24/32-bit int or 32-bit float.
    #[error("{bits}-bit {format:?} samples (8/16/24/32-bit int or 32-bit float only)")]
    Bits {
        /// Int or float.
        format: hound::SampleFormat,
        /// Bits per sample.
        bits: u16,
    },
}

/// Errors of [`PromptCache::pcm`] and [`PromptCache::encoded`].
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The file could not be opened.
    #[error("cannot open prompt {}: {source}", path.display())]
    Open {
        /// The prompt file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a well-formed WAV file (or could not be read to the end).
    #[error("cannot read prompt {} as WAV: {source}", path.display())]
    Wav {
        /// The prompt file.
        path: PathBuf,
        /// hound's error.
        #[source]
        source: hound::Error,
    },
    /// The WAV file is valid but in a format prompts do not support.
    #[error("unsupported prompt {}: {problem}", path.display())]
    Format {
        /// The prompt file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        problem: WavFormatError,
    },
    /// The WAV file has no samples.
    #[error("prompt {} has no audio", path.display())]
    Empty {
        /// The prompt file.
        path: PathBuf,
    },
    /// The requested PCM rate or frame length cannot be used.
    #[error("unusable prompt format: {sample_rate} Hz with {frame_ms} ms frames")]
    BadFormat {
        /// Requested PCM rate.
        sample_rate: u32,
        /// Requested frame length.
        frame_ms: u32,
    },
    /// [`PromptFormat::sample_rate`] differs from [`FrameEncoder::sample_rate`].
    #[error("prompt format says {format} Hz but the encoder takes {encoder} Hz")]
    RateMismatch {
        /// From the format.
        format: u32,
        /// From the encoder.
        encoder: u32,
    },
    /// Converting the prompt's sample rate failed.
    #[error("cannot resample prompt {}: {source}", path.display())]
    Resample {
        /// The prompt file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: ResampleError,
    },
    /// The encoder failed on a frame.
    #[error("cannot encode frame {frame} of prompt {}: {source}", path.display())]
    Encode {
        /// The prompt file.
        path: PathBuf,
        /// Frame index.
        frame: usize,
        /// The encoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The encoder claimed to write more bytes than the buffer it was given.
    #[error("encoder returned {len} bytes for a {capacity}-byte buffer")]
    EncodedTooLong {
        /// What the encoder returned.
        len: usize,
        /// The buffer size.
        capacity: usize,
    },
}

/// A prompt as mono i16 PCM at one sample rate.
pub struct Prompt {
    samples: Arc<[i16]>,
    sample_rate: u32,
    source_rate: u32,
    source_channels: u16,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt")
            .field("samples", &self.samples.len())
            .field("sample_rate", &self.sample_rate)
            .field("source_rate", &self.source_rate)
            .field("source_channels", &self.source_channels)
            .finish()
    }
}

impl Prompt {
    /// The mono samples.
    pub fn samples(&self) -> &Arc<[i16]> {
        &self.samples
    }

    /// Their rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The WAV file's own rate.
    pub fn source_rate(&self) -> u32 {
        self.source_rate
    }

    /// The WAV file's channel count (1 or 2).
    pub fn source_channels(&self) -> u16 {
        self.source_channels
    }

    /// Length of the audio.
    pub fn duration(&self) -> Duration {
        samples_to_duration(self.samples.len() as u64, self.sample_rate)
    }
}

/// A prompt encoded into fixed frames for one codec configuration.
pub struct EncodedPrompt {
    data: Bytes,
    /// `frame_count + 1` offsets into `data`; frame `i` is `offsets[i]..offsets[i + 1]`.
    offsets: Vec<usize>,
    frame_samples: usize,
    frame_ms: u32,
    sample_rate: u32,
    duration: Duration,
    codec_key: String,
}

impl std::fmt::Debug for EncodedPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedPrompt")
            .field("codec_key", &self.codec_key)
            .field("frames", &self.frame_count())
            .field("bytes", &self.data.len())
            .field("frame_samples", &self.frame_samples)
            .field("sample_rate", &self.sample_rate)
            .field("duration", &self.duration)
            .finish()
    }
}

impl EncodedPrompt {
    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Payload of frame `i`, if it exists.
    pub fn frame(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = (*self.offsets.get(i)?, *self.offsets.get(i + 1)?);
        self.data.get(start..end)
    }

    /// Payload of frame `i` as a `Bytes` sharing the cached buffer (no copy).
    pub fn frame_bytes(&self, i: usize) -> Option<Bytes> {
        let (start, end) = (*self.offsets.get(i)?, *self.offsets.get(i + 1)?);
        (end <= self.data.len()).then(|| self.data.slice(start..end))
    }

    /// PCM samples per frame (the RTP timestamp step at the codec's clock rate when it equals
    /// the PCM rate; Opus uses 48 kHz either way).
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Frame length.
    pub fn frame_duration(&self) -> Duration {
        Duration::from_millis(u64::from(self.frame_ms))
    }

    /// PCM rate the frames were encoded from.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Length of the audio before padding the last frame.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The codec key it was encoded for.
    pub fn codec_key(&self) -> &str {
        &self.codec_key
    }
}

type PcmKey = (PathBuf, u32);
type EncodedKey = (PathBuf, String, u32);

/// Shared cache of converted and encoded prompts. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct PromptCache {
    pcm: Mutex<HashMap<PcmKey, Arc<Prompt>>>,
    encoded: Mutex<HashMap<EncodedKey, Arc<EncodedPrompt>>>,
}

/// Locks a cache map; a poisoned lock is still usable because maps are only ever inserted
/// into whole values.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PromptCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt at `path` as mono PCM at `sample_rate`, loading and converting it on the
    /// first call for that pair.
    pub fn pcm(&self, path: &Path, sample_rate: u32) -> Result<Arc<Prompt>, PromptError> {
        let key = (path.to_path_buf(), sample_rate);
        if let Some(p) = lock(&self.pcm).get(&key) {
            return Ok(Arc::clone(p));
        }
        let loaded = Arc::new(load_prompt(path, sample_rate)?);
        let mut map = lock(&self.pcm);
        Ok(Arc::clone(map.entry(key).or_insert(loaded)))
    }

    /// The prompt at `path` encoded in `format` by `encoder`, converting and encoding it on
    /// the first call for that `(path, codec_key, frame_ms)`.
    pub fn encoded(
        &self,
        path: &Path,
        format: &PromptFormat,
        encoder: &mut dyn FrameEncoder,
    ) -> Result<Arc<EncodedPrompt>, PromptError> {
        let key = (
            path.to_path_buf(),
            format.codec_key.clone(),
            format.frame_ms,
        );
        if let Some(p) = lock(&self.encoded).get(&key) {
            return Ok(Arc::clone(p));
        }
        if encoder.sample_rate() != format.sample_rate {
            return Err(PromptError::RateMismatch {
                format: format.sample_rate,
                encoder: encoder.sample_rate(),
            });
        }
        let frame_samples =
            frame_samples(format.sample_rate, format.frame_ms).ok_or(PromptError::BadFormat {
                sample_rate: format.sample_rate,
                frame_ms: format.frame_ms,
            })?;
        let pcm = self.pcm(path, format.sample_rate)?;
        let encoded = Arc::new(encode_prompt(path, &pcm, format, frame_samples, encoder)?);
        let mut map = lock(&self.encoded);
        Ok(Arc::clone(map.entry(key).or_insert(encoded)))
    }

    /// Number of cached entries (PCM conversions plus encodings).
    pub fn len(&self) -> usize {
        lock(&self.pcm).len() + lock(&self.encoded).len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached conversion of `path` (e.g. after the operator replaced the file).
    /// Players already holding an `Arc` keep playing the old audio.
    pub fn invalidate(&self, path: &Path) {
        lock(&self.pcm).retain(|(p, _), _| p != path);
        lock(&self.encoded).retain(|(p, _, _), _| p != path);
    }
}

/// PCM samples per frame, if `frame_ms` is a whole number of samples at `sample_rate`.
fn frame_samples(sample_rate: u32, frame_ms: u32) -> Option<usize> {
    let total = u64::from(sample_rate) * u64::from(frame_ms);
    if sample_rate == 0 || frame_ms == 0 || total % 1000 != 0 {
        return None;
    }
    usize::try_from(total / 1000).ok()
}

fn samples_to_duration(samples: u64, rate: u32) -> Duration {
    if rate == 0 {
        return Duration::ZERO;
    }
    let rate = u64::from(rate);
    Duration::from_secs(samples / rate)
        + Duration::from_nanos((samples % rate) * 1_000_000_000 / rate)
}

/// Reads, downmixes and resamples one WAV file.
fn load_prompt(path: &Path, sample_rate: u32) -> Result<Prompt, PromptError> {
    if sample_rate == 0 {
        return Err(PromptError::BadFormat {
            sample_rate,
            frame_ms: 0,
        });
    }
    let file = File::open(path).map_err(|source| PromptError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let wav_err = |source| PromptError::Wav {
        path: path.to_path_buf(),
        source,
    };
    let format_err = |problem| PromptError::Format {
        path: path.to_path_buf(),
        problem,
    };
    let mut reader = hound::WavReader::new(BufReader::new(file)).map_err(wav_err)?;
    let spec = reader.spec();
    if !(1..=2).contains(&spec.channels) {
        return Err(format_err(WavFormatError::Channels(spec.channels)));
    }
    if !PROMPT_RATES.contains(&spec.sample_rate) {
        return Err(format_err(WavFormatError::SampleRate(spec.sample_rate)));
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(wav_err)?
        }
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|s| s.map(|v| if v.is_finite() { v } else { 0.0 }))
            .collect::<Result<_, _>>()
            .map_err(wav_err)?,
        (format, bits) => return Err(format_err(WavFormatError::Bits { format, bits })),
    };
    let mono: Vec<f32> = match spec.channels {
        2 => interleaved
            .chunks_exact(2)
            .map(|lr| 0.5 * (lr[0] + lr[1]))
            .collect(),
        _ => interleaved,
    };
    if mono.is_empty() {
        return Err(PromptError::Empty {
            path: path.to_path_buf(),
        });
    }
    let converted = if spec.sample_rate == sample_rate {
        mono
    } else {
        resample_clip(&mono, spec.sample_rate, sample_rate).map_err(|source| {
            PromptError::Resample {
                path: path.to_path_buf(),
                source,
            }
        })?
    };
    let samples: Arc<[i16]> = converted.iter().map(|&x| f32_to_i16(x)).collect();
    Ok(Prompt {
        samples,
        sample_rate,
        source_rate: spec.sample_rate,
        source_channels: spec.channels,
    })
}

/// Resamples a whole mono clip; the output is `ceil(len * to / from)` samples, not shifted.
///
/// The FFT block is an even number of input samples (about 1000 or more): rubato reports its
/// delay as half the output block, which is exact only when the sinc filter's centre, half
/// the input block, falls on a whole input sample.
fn resample_clip(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    let (from, to) = (from as usize, to as usize);
    let min_block_in = from / gcd(from, to);
    let chunk = 2 * min_block_in * (512 / min_block_in).max(1);
    let mut r = Fft::<f32>::new_custom(
        from,
        to,
        chunk,
        1,
        1,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(ResampleError::Construct)?;
    let adapter = InterleavedSlice::new(input, 1, input.len()).map_err(|_| {
        ResampleError::WrongInputLength {
            expected: input.len(),
            got: input.len(),
        }
    })?;
    let out = r
        .process_all(&adapter, input.len(), None)
        .map_err(ResampleError::Process)?;
    Ok(out.take_data())
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Cuts PCM into frames (last one padded with silence) and encodes each once.
fn encode_prompt(
    path: &Path,
    pcm: &Prompt,
    format: &PromptFormat,
    frame_samples: usize,
    encoder: &mut dyn FrameEncoder,
) -> Result<EncodedPrompt, PromptError> {
    let samples = pcm.samples();
    let frame_count = samples.len().div_ceil(frame_samples);
    let capacity = frame_samples * 2 + ENCODE_SLACK;
    let mut scratch = vec![0u8; capacity];
    let mut padded = vec![0i16; frame_samples];
    let mut data = BytesMut::with_capacity(frame_count * frame_samples);
    let mut offsets = Vec::with_capacity(frame_count + 1);
    offsets.push(0);
    for (frame, chunk) in samples.chunks(frame_samples).enumerate() {
        let pcm_frame: &[i16] = if chunk.len() == frame_samples {
            chunk
        } else {
            padded[..chunk.len()].copy_from_slice(chunk);
            padded[chunk.len()..].fill(0);
            &padded
        };
        let len =
            encoder
                .encode(pcm_frame, &mut scratch)
                .map_err(|source| PromptError::Encode {
                    path: path.to_path_buf(),
                    frame,
                    source,
                })?;
        let bytes = scratch
            .get(..len)
            .ok_or(PromptError::EncodedTooLong { len, capacity })?;
        data.extend_from_slice(bytes);
        offsets.push(data.len());
    }
    Ok(EncodedPrompt {
        data: data.freeze(),
        offsets,
        frame_samples,
        frame_ms: format.frame_ms,
        sample_rate: format.sample_rate,
        duration: pcm.duration(),
        codec_key: format.codec_key.clone(),
    })
}

/// One frame handed out by [`PromptPlayer::poll_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptFrame<'a> {
    /// The encoded payload.
    pub payload: &'a [u8],
    /// Offset of the frame's first sample from the prompt start, in PCM samples.
    pub sample_offset: u64,
    /// True for the first frame (set the RTP marker bit).
    pub first: bool,
}

/// Plays one [`EncodedPrompt`] into a leg: sans-IO, driven by time.
///
/// Use: `start(now)`; then whenever woken at `poll_timeout()`, call `poll_frame(now)` until it
/// returns `None` (a late wake-up hands out every overdue frame, each with its own
/// `sample_offset`, so RTP timestamps stay right).
#[derive(Debug)]
pub struct PromptPlayer {
    prompt: Arc<EncodedPrompt>,
    start: Option<Instant>,
    next: usize,
}

impl PromptPlayer {
    /// A player for `prompt`, not started.
    pub fn new(prompt: Arc<EncodedPrompt>) -> Self {
        Self {
            prompt,
            start: None,
            next: 0,
        }
    }

    /// Starts (or restarts) playing: frame 0 is due at `now`.
    pub fn start(&mut self, now: Instant) {
        self.start = Some(now);
        self.next = 0;
    }

    /// The prompt being played.
    pub fn prompt(&self) -> &Arc<EncodedPrompt> {
        &self.prompt
    }

    fn due(&self, frame: usize) -> Option<Instant> {
        let offset = u64::from(self.prompt.frame_ms).checked_mul(u64::try_from(frame).ok()?)?;
        self.start?.checked_add(Duration::from_millis(offset))
    }

    /// When the next frame is due; `None` before `start` and once every frame was handed out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.next >= self.prompt.frame_count() {
            return None;
        }
        self.due(self.next)
    }

    /// The frame due at `now`, if any.
    pub fn poll_frame(&mut self, now: Instant) -> Option<PromptFrame<'_>> {
        let due = self.poll_timeout()?;
        if due > now {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let payload = self.prompt.frame(index)?;
        Some(PromptFrame {
            payload,
            sample_offset: (index as u64) * self.prompt.frame_samples as u64,
            first: index == 0,
        })
    }

    /// True once the last frame has been handed out.
    pub fn is_finished(&self) -> bool {
        self.start.is_some() && self.next >= self.prompt.frame_count()
    }

    /// Once finished: when the last frame ends by schedule (start + frames * frame_ms).
    pub fn finished_at(&self) -> Option<Instant> {
        if !self.is_finished() {
            return None;
        }
        self.due(self.prompt.frame_count())
    }
}

/// A leg's real encoder encodes prompts: G.711 or Opus at the codec's own rate.
impl FrameEncoder for crate::codec::Encoder {
    fn sample_rate(&self) -> u32 {
        crate::codec::Encoder::sample_rate(self)
    }

    fn encode(
        &mut self,
        pcm: &[i16],
        out: &mut [u8],
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        crate::codec::Encoder::encode(self, pcm, out).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Identity(u32);
    impl FrameEncoder for Identity {
        fn sample_rate(&self) -> u32 {
            self.0
        }
        fn encode(
            &mut self,
            pcm: &[i16],
            out: &mut [u8],
        ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
            for (o, s) in out.chunks_exact_mut(2).zip(pcm) {
                o.copy_from_slice(&s.to_le_bytes());
            }
            Ok(pcm.len() * 2)
        }
    }

    fn prompt_from(samples: Vec<i16>, rate: u32, frame_ms: u32) -> EncodedPrompt {
        let pcm = Prompt {
            samples: samples.into(),
            sample_rate: rate,
            source_rate: rate,
            source_channels: 1,
        };
        let format = PromptFormat {
            sample_rate: rate,
            frame_ms,
            codec_key: "L16".into(),
        };
        let fs = frame_samples(rate, frame_ms).unwrap();
        encode_prompt(Path::new("x"), &pcm, &format, fs, &mut Identity(rate)).unwrap()
    }

    #[test]
    fn last_frame_is_padded_with_silence() {
        let p = prompt_from(vec![1; 250], 8000, 20);
        assert_eq!(p.frame_count(), 2);
        let last = p.frame(1).unwrap();
        assert_eq!(last.len(), 320);
        assert_eq!(&last[..4], &[1, 0, 1, 0]);
        assert!(last[180..].iter().all(|&b| b == 0));
        assert_eq!(p.duration(), Duration::from_micros(31_250));
        assert_eq!(p.frame_bytes(1).unwrap(), last);
        assert!(p.frame(2).is_none());
    }

    #[test]
    fn frame_samples_needs_whole_samples() {
        assert_eq!(frame_samples(8000, 20), Some(160));
        assert_eq!(frame_samples(44100, 20), Some(882));
        assert_eq!(frame_samples(11025, 10), None);
        assert_eq!(frame_samples(8000, 0), None);
    }

    #[test]
    fn lying_encoder_is_an_error() {
        struct Liar;
        impl FrameEncoder for Liar {
            fn sample_rate(&self) -> u32 {
                8000
            }
            fn encode(
                &mut self,
                _: &[i16],
                out: &mut [u8],
            ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
                Ok(out.len() + 1)
            }
        }
        let pcm = Prompt {
            samples: vec![0i16; 160].into(),
            sample_rate: 8000,
            source_rate: 8000,
            source_channels: 1,
        };
        let format = PromptFormat {
            sample_rate: 8000,
            frame_ms: 20,
            codec_key: "x".into(),
        };
        assert!(matches!(
            encode_prompt(Path::new("x"), &pcm, &format, 160, &mut Liar),
            Err(PromptError::EncodedTooLong { .. })
        ));
    }

    #[test]
    fn player_not_started_does_nothing() {
        let mut player = PromptPlayer::new(Arc::new(prompt_from(vec![0; 160], 8000, 20)));
        let now = Instant::now();
        assert_eq!(player.poll_timeout(), None);
        assert!(player.poll_frame(now).is_none());
        assert!(!player.is_finished());
        assert_eq!(player.finished_at(), None);
    }
}
