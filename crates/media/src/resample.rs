//! Fixed-chunk sample-rate conversion for the transcoding path (G.711 8 kHz, G.722/L16
//! 16 kHz, Opus 48 kHz).
//!
//! # Design
//!
//! [`Resampler`] wraps rubato's synchronous FFT resampler (`rubato::Fft<f32>`), mono, with
//! the input side fixed to one media chunk (`chunk_ms`, 10 or 20 ms). Because every rate
//! pair we accept (8000, 16000, 48000 Hz) divides evenly into the internal FFT block, the
//! output side is fixed too: exactly [`Resampler::output_frames`] samples come out for
//! every [`Resampler::input_frames`] samples in, with no sample left over between calls.
//!
//! rubato's FFT resampler is an overlap-add filter: each block of the input is transformed,
//! multiplied by the spectrum of a windowed sinc as long as the block, truncated or
//! zero-extended to the output length (a brick wall at the lower Nyquist frequency, so no
//! aliases or images) and transformed back; the filter tail is carried over to the next block,
//! which is why state must be (and is) kept across calls. Its delay is half a block.
//!
//! Parameters, chosen by measurement (docs/media.md has the table): a block of [`FFT_BLOCK_MS`] =
//! 10 ms whatever the chunk length (a 20 ms chunk is two blocks), and the *single*
//! Blackman-Harris window. rubato's default window (Blackman-Harris squared) on a 10 ms block
//! puts its cutoff at about 3.3 kHz on the 8 kHz side: -10 dB at 3400 Hz, audible on
//! telephone speech. It needs a 20 ms block (10 ms delay) to be flat to 3.4 kHz. The single
//! Blackman-Harris window on a 10 ms block has the same response as that (-0.3 dB at
//! 3400 Hz, -30 dB at 3800 Hz) with half the delay; its block-edge artefacts stay below
//! -100 dB, under 16-bit quantisation.
//!
//! Samples are converted i16 -> f32 (divide by 32768) on the way in and back with rounding
//! and saturation on the way out. All buffers are allocated in [`Resampler::new`];
//! [`Resampler::process`] does not allocate.
//!
//! # Measured facts
//!
//! (tests `resample_delay_measured`, `resample_tone_*`, and `benches/resample.rs`;
//! docs/media.md has the numbers and how they were taken)
//!
//! * Delay: 5 ms in every direction = 40 samples at 8 kHz, 80 at 16 kHz, 240 at 48 kHz
//!   (an impulse comes out [`Resampler::delay_frames`] later, to the sample).
//! * Passband: within 0.3 dB up to 3.4 kHz (8 kHz side) or 7 kHz (16 kHz side).
//! * A 5 kHz tone at 48 kHz resampled to 8 kHz comes out as digital silence (i16 zeros).
//! * Cost per 20 ms chunk (release, shared VM): 3.5 us 48k->8k, 5.5 us 8k->48k,
//!   4.1 us 48k->16k, 5.6 us 16k->48k.

use std::time::Duration;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _, WindowFunction};

/// Internal FFT block length in milliseconds. The resampler delay is half of it.
pub const FFT_BLOCK_MS: u32 = 10;

/// Sample rates accepted by [`Resampler::new`].
pub const SUPPORTED_RATES: [u32; 3] = [8000, 16000, 48000];

/// Chunk lengths (ms) accepted by [`Resampler::new`].
pub const SUPPORTED_CHUNK_MS: [u32; 2] = [10, 20];

/// Errors of [`Resampler::new`] and [`Resampler::process`].
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// The rate pair is not one of 8000/16000/48000 Hz, or both rates are equal.
    #[error("unsupported resampling {from} Hz -> {to} Hz")]
    UnsupportedRate {
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
    },
    /// The chunk length is not 10 or 20 ms.
    #[error("unsupported chunk length {chunk_ms} ms (10 or 20)")]
    UnsupportedChunk {
        /// The requested chunk length.
        chunk_ms: u32,
    },
    /// rubato refused the parameters.
    #[error("cannot build the rubato resampler: {0}")]
    Construct(#[source] rubato::ResamplerConstructionError),
    /// rubato chose block sizes that do not give fixed chunks on both sides (a bug here).
    #[error("rubato block sizes give {got_in} in / {got_out} out, wanted {want_in} / {want_out}")]
    ChunkMismatch {
        /// Input frames per chunk wanted.
        want_in: usize,
        /// Output frames per chunk wanted.
        want_out: usize,
        /// Input frames per chunk rubato asks for.
        got_in: usize,
        /// Output frames per chunk rubato gives.
        got_out: usize,
    },
    /// The input slice is not exactly one chunk long.
    #[error("input must be {expected} samples, got {got}")]
    WrongInputLength {
        /// [`Resampler::input_frames`].
        expected: usize,
        /// `input.len()`.
        got: usize,
    },
    /// The output slice is shorter than one output chunk.
    #[error("output needs room for {needed} samples, has {got}")]
    OutputTooSmall {
        /// [`Resampler::output_frames`].
        needed: usize,
        /// `output.len()`.
        got: usize,
    },
    /// rubato failed while processing (should not happen with validated buffers).
    #[error("rubato processing failed: {0}")]
    Process(#[source] rubato::ResampleError),
}

/// A mono, fixed-chunk resampler between 8000, 16000 and 48000 Hz. See the module docs.
pub struct Resampler {
    from: u32,
    to: u32,
    input_frames: usize,
    output_frames: usize,
    inner: Fft<f32>,
    in_buf: Vec<f32>,
    out_buf: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("input_frames", &self.input_frames)
            .field("output_frames", &self.output_frames)
            .field("delay_frames", &self.delay_frames())
            .finish()
    }
}

impl Resampler {
    /// A resampler taking fixed chunks of `chunk_ms` milliseconds (10 or 20) from `from` Hz
    /// to `to` Hz. Rates: 8000, 16000, 48000 (any pair, `from != to`).
    pub fn new(from: u32, to: u32, chunk_ms: u32) -> Result<Self, ResampleError> {
        if from == to || !SUPPORTED_RATES.contains(&from) || !SUPPORTED_RATES.contains(&to) {
            return Err(ResampleError::UnsupportedRate { from, to });
        }
        if !SUPPORTED_CHUNK_MS.contains(&chunk_ms) {
            return Err(ResampleError::UnsupportedChunk { chunk_ms });
        }
        let input_frames = (from * chunk_ms / 1000) as usize;
        let output_frames = (to * chunk_ms / 1000) as usize;
        let sub_chunks = (chunk_ms / FFT_BLOCK_MS) as usize;
        let inner = Fft::<f32>::new_custom(
            from as usize,
            to as usize,
            input_frames,
            sub_chunks,
            1,
            WindowFunction::BlackmanHarris,
            FixedSync::Input,
        )
        .map_err(ResampleError::Construct)?;
        let (got_in, got_out) = (inner.input_frames_next(), inner.output_frames_next());
        let block_out = inner.fft_size_out();
        // Fixed on both sides only if the chunk is a whole number of FFT blocks.
        if got_in != input_frames
            || got_out != output_frames
            || !input_frames.is_multiple_of(inner.fft_size_in())
            || !output_frames.is_multiple_of(block_out)
        {
            return Err(ResampleError::ChunkMismatch {
                want_in: input_frames,
                want_out: output_frames,
                got_in,
                got_out,
            });
        }
        Ok(Self {
            from,
            to,
            input_frames,
            output_frames,
            inner,
            in_buf: vec![0.0; input_frames],
            out_buf: vec![0.0; output_frames],
        })
    }

    /// Input rate in Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Samples per input chunk: `from * chunk_ms / 1000`.
    pub fn input_frames(&self) -> usize {
        self.input_frames
    }

    /// Samples per output chunk: `to * chunk_ms / 1000` (exactly one chunk out per chunk in).
    pub fn output_frames(&self) -> usize {
        self.output_frames
    }

    /// Resamples one chunk: `input.len()` must equal [`Self::input_frames`]; writes
    /// [`Self::output_frames`] samples to the front of `output` and returns that count.
    /// State is kept across calls. Does not allocate.
    pub fn process(&mut self, input: &[i16], output: &mut [i16]) -> Result<usize, ResampleError> {
        if input.len() != self.input_frames {
            return Err(ResampleError::WrongInputLength {
                expected: self.input_frames,
                got: input.len(),
            });
        }
        if output.len() < self.output_frames {
            return Err(ResampleError::OutputTooSmall {
                needed: self.output_frames,
                got: output.len(),
            });
        }
        for (dst, &src) in self.in_buf.iter_mut().zip(input) {
            *dst = f32::from(src) * (1.0 / 32768.0);
        }
        let n_in = self.input_frames;
        let n_out = self.output_frames;
        let adapter_in = InterleavedSlice::new(&self.in_buf[..], 1, n_in).map_err(|_| {
            ResampleError::WrongInputLength {
                expected: n_in,
                got: self.in_buf.len(),
            }
        })?;
        let mut adapter_out =
            InterleavedSlice::new_mut(&mut self.out_buf[..], 1, n_out).map_err(|_| {
                ResampleError::OutputTooSmall {
                    needed: n_out,
                    got: n_out,
                }
            })?;
        let (_, produced) = self
            .inner
            .process_into_buffer(&adapter_in, &mut adapter_out, None)
            .map_err(ResampleError::Process)?;
        for (dst, &src) in output.iter_mut().zip(&self.out_buf[..produced]) {
            *dst = f32_to_i16(src);
        }
        Ok(produced)
    }

    /// The delay the resampler adds, in output samples: an impulse at input time `t`
    /// comes out at output time `t + delay`.
    pub fn delay_frames(&self) -> usize {
        self.inner.output_delay()
    }

    /// [`Self::delay_frames`] as a duration.
    pub fn delay(&self) -> Duration {
        Duration::from_nanos(self.delay_frames() as u64 * 1_000_000_000 / u64::from(self.to))
    }

    /// Forgets all history, as if newly built (e.g. after a stream restart). Does not allocate.
    pub fn reset(&mut self) {
        self.inner.reset();
    }
}

/// Converts a float sample in [-1, 1) to i16 with rounding and saturation.
#[inline]
pub(crate) fn f32_to_i16(x: f32) -> i16 {
    let v = (x * 32768.0).round();
    // `as` saturates for floats (and maps NaN to 0), which is what we want.
    v as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_and_delay() {
        let cases = [
            (8000, 48000, 20, 160, 960, 240),
            (48000, 8000, 20, 960, 160, 40),
            (16000, 48000, 20, 320, 960, 240),
            (48000, 16000, 20, 960, 320, 80),
            (8000, 16000, 20, 160, 320, 80),
            (16000, 8000, 20, 320, 160, 40),
            (8000, 48000, 10, 80, 480, 240),
            (48000, 8000, 10, 480, 80, 40),
        ];
        for (from, to, ms, i, o, d) in cases {
            let r = Resampler::new(from, to, ms).unwrap();
            assert_eq!(r.input_frames(), i, "{from}->{to}/{ms}");
            assert_eq!(r.output_frames(), o, "{from}->{to}/{ms}");
            assert_eq!(r.delay_frames(), d, "{from}->{to}/{ms}");
            assert_eq!(r.delay(), Duration::from_millis(5));
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(matches!(
            Resampler::new(8000, 8000, 20),
            Err(ResampleError::UnsupportedRate { .. })
        ));
        assert!(matches!(
            Resampler::new(44100, 8000, 20),
            Err(ResampleError::UnsupportedRate { .. })
        ));
        assert!(matches!(
            Resampler::new(8000, 48000, 30),
            Err(ResampleError::UnsupportedChunk { chunk_ms: 30 })
        ));
    }

    #[test]
    fn rejects_wrong_buffer_lengths() {
        let mut r = Resampler::new(8000, 48000, 20).unwrap();
        let mut out = [0i16; 960];
        assert!(matches!(
            r.process(&[0; 159], &mut out),
            Err(ResampleError::WrongInputLength {
                expected: 160,
                got: 159
            })
        ));
        assert!(matches!(
            r.process(&[0; 160], &mut out[..959]),
            Err(ResampleError::OutputTooSmall {
                needed: 960,
                got: 959
            })
        ));
        // A longer output buffer is fine; only the front is written.
        let mut big = [7i16; 1000];
        assert_eq!(r.process(&[0; 160], &mut big).unwrap(), 960);
        assert!(big[..960].iter().all(|&s| s == 0));
        assert!(big[960..].iter().all(|&s| s == 7));
    }

    #[test]
    fn saturates() {
        assert_eq!(f32_to_i16(2.0), i16::MAX);
        assert_eq!(f32_to_i16(-2.0), i16::MIN);
        assert_eq!(f32_to_i16(f32::NAN), 0);
        assert_eq!(f32_to_i16(0.5), 16384);
    }

    #[test]
    fn reset_gives_identical_output() {
        let mut r = Resampler::new(48000, 8000, 20).unwrap();
        let input: Vec<i16> = (0..960).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
        let mut a = [0i16; 160];
        let mut b = [0i16; 160];
        r.process(&input, &mut a).unwrap();
        r.process(&input, &mut b).unwrap();
        assert_ne!(a, b, "second chunk sees the first one's tail");
        r.reset();
        r.process(&input, &mut b).unwrap();
        assert_eq!(a, b);
    }
}
