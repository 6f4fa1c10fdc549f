//! Audio codecs for the media engine: G.711 (PCMU, PCMA) with Appendix-I-style loss
//! concealment, and Opus with in-band FEC and PLC.
//!
//! # Design
//!
//! [`Decoder`] and [`Encoder`] are the only types the rest of the engine needs: one per
//! stream direction, built from a [`CodecKind`] (and [`OpusSettings`] for an Opus encoder).
//! The caller owns every buffer: `decode`, `conceal` and `encode` write into slices and
//! return how many samples or bytes they wrote, and never allocate. A PCM buffer of
//! [`MAX_FRAME_SAMPLES`] and a payload buffer of [`MAX_PAYLOAD`] always suffice.
//!
//! * [`g711`]: table codecs, bit-exact with ITU-T G.191 (checked against
//!   `audio-codec-algorithms` for all 256 codes and all 65536 inputs).
//! * [`plc`]: [`G711Concealer`], pitch-repetition concealment after G.711 Appendix I. The
//!   G.711 [`Decoder`] feeds it every decoded frame and calls it for lost ones.
//! * [`opus`]: libopus at 48 kHz mono, `Voip`, FEC on, DTX off. [`Decoder::conceal`] with the
//!   next packet uses its in-band FEC; without, libopus PLC.
//!
//! Loss handling is the caller's (the jitter buffer's) decision: it calls
//! [`Decoder::conceal`] with the missing duration and, when it already holds the packet that
//! follows the gap, that packet. [`Decoder::samples_in`] gives a payload's duration without
//! decoding, for timestamp arithmetic.
//!
//! # Measured costs
//!
//! `cargo bench --bench codecs -- --warm-up-time 1 --measurement-time 3`, release build, on
//! the shared 2-core development VM (ranges of the criterion medians over two full runs and
//! one more G.711 run; other jobs were running, so G.711 figures vary by about +-30 %). One 20 ms frame per iteration; the signal is
//! speech-like (harmonics of a gliding 120..160 Hz voice under a 4 Hz envelope).
//!
//! | operation (20 ms frame)                                   | time        |
//! |-----------------------------------------------------------|-------------|
//! | G.711 mu-law encode, 160 samples, table (used)            | 0.07 us     |
//! | G.711 mu-law encode, segment search (not used)            | 0.29-0.35 us|
//! | G.711 mu-law decode                                       | 0.06-0.08 us|
//! | G.711 A-law encode, table (used)                          | 0.09-0.12 us|
//! | G.711 A-law encode, segment search (not used)             | 0.29-0.43 us|
//! | G.711 A-law decode                                        | 0.06-0.08 us|
//! | PCMU `Decoder::decode` (decode + concealer history)       | 0.09-0.13 us|
//! | G.711 concealment, first 20 ms of a loss (pitch search)   | 3.7-5.4 us  |
//! | Opus encode 48 kHz mono 32 kbit/s FEC, complexity 0       | 63-71 us    |
//! | Opus encode, complexity 5                                 | 131-137 us  |
//! | Opus encode, complexity 10                                | 229-253 us  |
//! | Opus decode                                               | 18 us       |
//! | Opus PLC 20 ms (bench: decode + PLC = 39 us)              | ~21 us      |
//! | Opus FEC 20 ms from the next packet (bench: decode + FEC) | ~19 us      |
//!
//! So one core encodes about 80 Opus streams at complexity 10 in real time (20 ms / 250 us),
//! about 150 at complexity 5: Opus encoding dominates transcoding, G.711 is noise.
//!
//! Delays: G.711 adds none (the concealer needs no look-ahead). Opus adds the encoder's
//! look-ahead, 6.5 ms (312 samples at 48 kHz); measured end to end on a chirp: 309 samples.

pub mod g711;
pub mod opus;
pub mod plc;

pub use plc::G711Concealer;

use self::opus::{OPUS_RATE, OpusDecoder, OpusEncoder};

/// Largest PCM frame any decoder writes in one call (Opus: 120 ms at 48 kHz).
pub const MAX_FRAME_SAMPLES: usize = 5760;

/// Largest encoded frame the encoder writes (the largest Opus frame, RFC 6716 3.2.1).
pub const MAX_PAYLOAD: usize = 1275;

/// The codecs the gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    /// G.711 mu-law, RTP payload type 0.
    Pcmu,
    /// G.711 A-law, RTP payload type 8.
    Pcma,
    /// Opus, dynamic payload type, 48 kHz RTP clock (RFC 7587).
    Opus,
}

impl CodecKind {
    /// PCM rate the decoder produces and the encoder takes.
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::Opus => OPUS_RATE,
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::Opus => 48_000,
        }
    }

    /// Encoding name as in SDP `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::Opus => "opus",
        }
    }
}

/// Opus encoder settings (per trunk in config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// 0..=10; CPU cost against quality.
    pub complexity: u8,
    /// Target bitrate in bit/s, 500..=512000.
    pub bitrate: u32,
    /// In-band forward error correction (LBRR).
    pub fec: bool,
    /// Loss the encoder plans FEC for, 0..=100.
    pub expected_loss_pct: u8,
}

impl Default for OpusSettings {
    fn default() -> Self {
        Self {
            complexity: 10,
            bitrate: 32_000,
            fec: true,
            expected_loss_pct: 5,
        }
    }
}

impl OpusSettings {
    /// Checks the ranges libopus accepts.
    pub fn validate(&self) -> Result<(), CodecError> {
        if self.complexity > 10 {
            return Err(CodecError::BadComplexity(self.complexity));
        }
        if !(500..=512_000).contains(&self.bitrate) {
            return Err(CodecError::BadBitrate(self.bitrate));
        }
        if self.expected_loss_pct > 100 {
            return Err(CodecError::BadLossPercent(self.expected_loss_pct));
        }
        Ok(())
    }
}

/// Errors of codec creation, encoding, decoding and concealment.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// libopus refused (bad packet, bad argument, buffer too small, ...).
    #[error("opus: {}", .0.description())]
    Opus(::opus::ErrorCode),
    /// The output buffer is shorter than the result.
    #[error("output buffer too small: need {need}, have {have}")]
    OutputTooSmall {
        /// Samples or bytes needed.
        need: usize,
        /// Length of the buffer given.
        have: usize,
    },
    /// Opus frame length not allowed (encode: 2.5/5/10/20/40/60 ms; conceal: multiple of
    /// 2.5 ms), in samples.
    #[error("bad frame size: {0} samples")]
    BadFrameSize(usize),
    /// An RTP payload with no bytes.
    #[error("empty payload")]
    EmptyPayload,
    /// Opus complexity above 10.
    #[error("opus complexity {0} out of 0..=10")]
    BadComplexity(u8),
    /// Opus bitrate outside 500..=512000 bit/s.
    #[error("opus bitrate {0} bit/s out of 500..=512000")]
    BadBitrate(u32),
    /// Expected loss above 100 %.
    #[error("expected loss {0} % out of 0..=100")]
    BadLossPercent(u8),
}

impl From<::opus::Error> for CodecError {
    fn from(e: ::opus::Error) -> Self {
        CodecError::Opus(e.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Law {
    Mu,
    A,
}

impl Law {
    fn decode(self, codes: &[u8], out: &mut [i16]) {
        match self {
            Law::Mu => g711::decode_ulaw(codes, out),
            Law::A => g711::decode_alaw(codes, out),
        }
    }

    fn encode(self, pcm: &[i16], out: &mut [u8]) {
        match self {
            Law::Mu => g711::encode_ulaw(pcm, out),
            Law::A => g711::encode_alaw(pcm, out),
        }
    }

    fn kind(self) -> CodecKind {
        match self {
            Law::Mu => CodecKind::Pcmu,
            Law::A => CodecKind::Pcma,
        }
    }
}

#[derive(Debug)]
enum DecoderInner {
    G711 { law: Law, plc: G711Concealer },
    Opus(OpusDecoder),
}

/// Decodes one stream's payloads to PCM and conceals its losses.
#[derive(Debug)]
pub struct Decoder {
    inner: DecoderInner,
}

impl Decoder {
    /// A decoder for `kind`.
    pub fn new(kind: CodecKind) -> Result<Self, CodecError> {
        let g711 = |law| DecoderInner::G711 {
            law,
            plc: G711Concealer::new(8000),
        };
        let inner = match kind {
            CodecKind::Pcmu => g711(Law::Mu),
            CodecKind::Pcma => g711(Law::A),
            CodecKind::Opus => DecoderInner::Opus(OpusDecoder::new()?),
        };
        Ok(Self { inner })
    }

    /// The codec decoded.
    pub fn kind(&self) -> CodecKind {
        match &self.inner {
            DecoderInner::G711 { law, .. } => law.kind(),
            DecoderInner::Opus(_) => CodecKind::Opus,
        }
    }

    /// PCM rate of the output.
    pub fn sample_rate(&self) -> u32 {
        self.kind().sample_rate()
    }

    /// Samples (at sample_rate) that `payload` decodes to, without decoding
    /// (G.711: its length; Opus: from the TOC, opus_packet_get_nb_samples).
    pub fn samples_in(&self, payload: &[u8]) -> Result<usize, CodecError> {
        match &self.inner {
            DecoderInner::G711 { .. } if payload.is_empty() => Err(CodecError::EmptyPayload),
            DecoderInner::G711 { .. } => Ok(payload.len()),
            DecoderInner::Opus(_) => OpusDecoder::samples_in(payload),
        }
    }

    /// Decodes one RTP payload into `out`, returns samples written. Also feeds the
    /// concealment history.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        match &mut self.inner {
            DecoderInner::G711 { law, plc } => {
                let n = payload.len();
                if n == 0 {
                    return Err(CodecError::EmptyPayload);
                }
                if out.len() < n {
                    return Err(CodecError::OutputTooSmall {
                        need: n,
                        have: out.len(),
                    });
                }
                let out = &mut out[..n];
                law.decode(payload, out);
                plc.good_frame(out);
                Ok(n)
            }
            DecoderInner::Opus(d) => d.decode(payload, out),
        }
    }

    /// Conceals `samples` missing samples. `next`: the payload of the packet that follows
    /// the gap, if already received (Opus uses its in-band FEC; G.711 ignores it).
    /// Without FEC, Opus PLC (decode with no data); G.711: Appendix-I-style concealment.
    ///
    /// Opus needs `samples` to be a multiple of 2.5 ms (120); G.711 takes any count.
    pub fn conceal(
        &mut self,
        samples: usize,
        next: Option<&[u8]>,
        out: &mut [i16],
    ) -> Result<usize, CodecError> {
        match &mut self.inner {
            DecoderInner::G711 { plc, .. } => {
                if out.len() < samples {
                    return Err(CodecError::OutputTooSmall {
                        need: samples,
                        have: out.len(),
                    });
                }
                plc.conceal(&mut out[..samples]);
                Ok(samples)
            }
            DecoderInner::Opus(d) => d.conceal(samples, next, out),
        }
    }

    /// Forget all state (SSRC change).
    pub fn reset(&mut self) {
        match &mut self.inner {
            DecoderInner::G711 { plc, .. } => plc.reset(),
            DecoderInner::Opus(d) => d.reset(),
        }
    }
}

#[derive(Debug)]
enum EncoderInner {
    G711(Law),
    Opus(OpusEncoder),
}

/// Encodes one stream's PCM to payloads.
#[derive(Debug)]
pub struct Encoder {
    inner: EncoderInner,
}

impl Encoder {
    /// An encoder for `kind`; `opus` is ignored for G.711.
    pub fn new(kind: CodecKind, opus: &OpusSettings) -> Result<Self, CodecError> {
        let inner = match kind {
            CodecKind::Pcmu => EncoderInner::G711(Law::Mu),
            CodecKind::Pcma => EncoderInner::G711(Law::A),
            CodecKind::Opus => EncoderInner::Opus(OpusEncoder::new(opus)?),
        };
        Ok(Self { inner })
    }

    /// The codec produced.
    pub fn kind(&self) -> CodecKind {
        match &self.inner {
            EncoderInner::G711(law) => law.kind(),
            EncoderInner::Opus(_) => CodecKind::Opus,
        }
    }

    /// PCM rate of the input.
    pub fn sample_rate(&self) -> u32 {
        self.kind().sample_rate()
    }

    /// Encodes one frame (G.711: any length; Opus: 2.5/5/10/20/40/60 ms at 48 kHz) into out.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        match &mut self.inner {
            EncoderInner::G711(law) => {
                if out.len() < pcm.len() {
                    return Err(CodecError::OutputTooSmall {
                        need: pcm.len(),
                        have: out.len(),
                    });
                }
                law.encode(pcm, out);
                Ok(pcm.len())
            }
            EncoderInner::Opus(e) => e.encode(pcm, out),
        }
    }

    /// Opus: change complexity on the fly (the load policy calls this). G.711: Ok, no-op.
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), CodecError> {
        match &mut self.inner {
            EncoderInner::G711(_) => Ok(()),
            EncoderInner::Opus(e) => e.set_complexity(complexity),
        }
    }

    /// The Opus complexity in force; `None` for G.711.
    pub fn complexity(&self) -> Option<u8> {
        match &self.inner {
            EncoderInner::G711(_) => None,
            EncoderInner::Opus(e) => Some(e.settings().complexity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(CodecKind::Pcmu.name(), "PCMU");
        assert_eq!(CodecKind::Pcma.clock_rate(), 8000);
        assert_eq!(CodecKind::Opus.sample_rate(), 48_000);
        assert_eq!(CodecKind::Opus.name(), "opus");
    }

    #[test]
    fn g711_length_errors() {
        let mut d = Decoder::new(CodecKind::Pcmu).unwrap();
        let mut out = [0i16; 10];
        assert!(matches!(
            d.decode(&[0xff; 20], &mut out),
            Err(CodecError::OutputTooSmall { need: 20, have: 10 })
        ));
        assert!(matches!(
            d.decode(&[], &mut out),
            Err(CodecError::EmptyPayload)
        ));
        assert!(matches!(
            d.conceal(11, None, &mut out),
            Err(CodecError::OutputTooSmall { need: 11, have: 10 })
        ));
        let mut e = Encoder::new(CodecKind::Pcma, &OpusSettings::default()).unwrap();
        assert!(matches!(
            e.encode(&[0; 20], &mut [0u8; 19]),
            Err(CodecError::OutputTooSmall { need: 20, have: 19 })
        ));
        assert_eq!(e.complexity(), None);
        e.set_complexity(99).unwrap();
    }

    #[test]
    fn opus_argument_errors() {
        let bad = OpusSettings {
            complexity: 11,
            ..OpusSettings::default()
        };
        assert!(matches!(
            Encoder::new(CodecKind::Opus, &bad),
            Err(CodecError::BadComplexity(11))
        ));
        let bad = OpusSettings {
            bitrate: 100,
            ..OpusSettings::default()
        };
        assert!(matches!(
            Encoder::new(CodecKind::Opus, &bad),
            Err(CodecError::BadBitrate(100))
        ));
        let mut e = Encoder::new(CodecKind::Opus, &OpusSettings::default()).unwrap();
        let mut out = [0u8; MAX_PAYLOAD];
        assert!(matches!(
            e.encode(&[0; 961], &mut out),
            Err(CodecError::BadFrameSize(961))
        ));
        assert!(matches!(
            e.set_complexity(11),
            Err(CodecError::BadComplexity(11))
        ));
        e.set_complexity(3).unwrap();
        assert_eq!(e.complexity(), Some(3));

        let mut d = Decoder::new(CodecKind::Opus).unwrap();
        let mut pcm = [0i16; MAX_FRAME_SAMPLES];
        assert!(matches!(
            d.decode(&[], &mut pcm),
            Err(CodecError::EmptyPayload)
        ));
        assert!(matches!(
            d.conceal(100, None, &mut pcm),
            Err(CodecError::BadFrameSize(100))
        ));
        // A code-3 TOC with no frame count byte is malformed.
        assert!(matches!(
            d.decode(&[0x03], &mut pcm),
            Err(CodecError::Opus(_))
        ));
    }

    #[test]
    fn opus_samples_in_and_short_output() {
        let mut e = Encoder::new(CodecKind::Opus, &OpusSettings::default()).unwrap();
        let mut out = [0u8; MAX_PAYLOAD];
        let n = e.encode(&[0; 960], &mut out).unwrap();
        let d = Decoder::new(CodecKind::Opus).unwrap();
        assert_eq!(d.samples_in(&out[..n]).unwrap(), 960);
        let mut d = d;
        assert!(matches!(
            d.decode(&out[..n], &mut [0i16; 480]),
            Err(CodecError::OutputTooSmall {
                need: 960,
                have: 480
            })
        ));
    }

    #[test]
    fn opus_long_gap_is_filled_in_chunks() {
        let mut d = Decoder::new(CodecKind::Opus).unwrap();
        let mut out = vec![0i16; 3 * MAX_FRAME_SAMPLES];
        assert_eq!(
            d.conceal(3 * MAX_FRAME_SAMPLES, None, &mut out).unwrap(),
            3 * 5760
        );
    }
}
