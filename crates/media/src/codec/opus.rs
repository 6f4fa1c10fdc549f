//! Opus (RFC 6716, RTP payload RFC 7587) through libopus (the `opus` crate), 48 kHz mono.
//!
//! # Design
//!
//! * Encoder: `Application::Voip`, mono, 48 kHz, constant settings from [`OpusSettings`]:
//!   bitrate, complexity, in-band FEC (LBRR) and the expected loss percentage that sizes it.
//!   DTX is off: a gateway leg wants a packet every ptime (timestamps, NAT keep-alive, the
//!   jitter buffer's clock), and the PSTN side has no DTX to match.
//! * Decoder: [`OpusDecoder::conceal`] uses the next packet's in-band FEC when the caller has
//!   it (`opus_decode(next, fec = 1)` asking for exactly the missing duration; libopus runs its
//!   PLC for any part of the gap longer than the FEC frame, and falls back to PLC when the
//!   packet carries no LBRR, e.g. CELT-only). Without a next packet it runs libopus PLC
//!   (`opus_decode(NULL)`). A next packet that libopus rejects also falls back to PLC: the gap
//!   must be filled either way, and the bad packet will be reported when it is decoded.
//! * libopus allocates only at creation; encode, decode and conceal use caller buffers.

use opus::{Application, Bitrate, Channels};

use super::{CodecError, MAX_FRAME_SAMPLES, OpusSettings};

/// Opus always runs at 48 kHz here (RFC 7587 clock).
pub const OPUS_RATE: u32 = 48_000;

/// PLC and FEC work in multiples of 2.5 ms.
const QUANTUM: usize = 120;

/// Frame sizes the encoder accepts at 48 kHz: 2.5, 5, 10, 20, 40 and 60 ms.
const FRAME_SIZES: [usize; 6] = [120, 240, 480, 960, 1920, 2880];

/// An Opus encoder with the gateway's settings.
#[derive(Debug)]
pub struct OpusEncoder {
    inner: opus::Encoder,
    settings: OpusSettings,
}

impl OpusEncoder {
    /// Creates and configures an encoder.
    pub fn new(settings: &OpusSettings) -> Result<Self, CodecError> {
        settings.validate()?;
        let mut inner = opus::Encoder::new(OPUS_RATE, Channels::Mono, Application::Voip)?;
        inner.set_bitrate(Bitrate::Bits(settings.bitrate as i32))?;
        inner.set_complexity(i32::from(settings.complexity))?;
        inner.set_inband_fec(settings.fec)?;
        inner.set_packet_loss_perc(i32::from(settings.expected_loss_pct))?;
        inner.set_dtx(false)?;
        Ok(Self {
            inner,
            settings: *settings,
        })
    }

    /// The settings in force (complexity follows [`set_complexity`](Self::set_complexity)).
    pub fn settings(&self) -> &OpusSettings {
        &self.settings
    }

    /// Encodes one frame of 120, 240, 480, 960, 1920 or 2880 samples.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if !FRAME_SIZES.contains(&pcm.len()) {
            return Err(CodecError::BadFrameSize(pcm.len()));
        }
        Ok(self.inner.encode(pcm, out)?)
    }

    /// Changes the complexity (0..=10) from the next frame on.
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), CodecError> {
        if complexity > 10 {
            return Err(CodecError::BadComplexity(complexity));
        }
        self.inner.set_complexity(i32::from(complexity))?;
        self.settings.complexity = complexity;
        Ok(())
    }

    /// Encoder look-ahead in samples at 48 kHz (the algorithmic delay the encoder adds).
    pub fn lookahead(&mut self) -> Result<usize, CodecError> {
        Ok(self.inner.get_lookahead()?.max(0) as usize)
    }
}

/// An Opus decoder with FEC and PLC.
#[derive(Debug)]
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl OpusDecoder {
    /// Creates a 48 kHz mono decoder.
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            inner: opus::Decoder::new(OPUS_RATE, Channels::Mono)?,
        })
    }

    /// Samples at 48 kHz that `payload` decodes to, from its TOC byte and frame count.
    pub fn samples_in(payload: &[u8]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::EmptyPayload);
        }
        Ok(opus::packet::get_nb_samples(payload, OPUS_RATE)?)
    }

    /// Decodes one packet.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let need = Self::samples_in(payload)?;
        if out.len() < need {
            return Err(CodecError::OutputTooSmall {
                need,
                have: out.len(),
            });
        }
        Ok(self.inner.decode(payload, &mut out[..need], false)?)
    }

    /// Conceals `samples` missing samples (a multiple of 2.5 ms), with FEC from `next` if
    /// given.
    pub fn conceal(
        &mut self,
        samples: usize,
        next: Option<&[u8]>,
        out: &mut [i16],
    ) -> Result<usize, CodecError> {
        if !samples.is_multiple_of(QUANTUM) {
            return Err(CodecError::BadFrameSize(samples));
        }
        if out.len() < samples {
            return Err(CodecError::OutputTooSmall {
                need: samples,
                have: out.len(),
            });
        }
        let next = next.filter(|p| !p.is_empty());
        let mut done = 0;
        while done < samples {
            let left = samples - done;
            // Gaps longer than one decoder call: PLC first, FEC (if any) for the last chunk.
            let chunk = if left > MAX_FRAME_SAMPLES {
                (left - MAX_FRAME_SAMPLES).min(MAX_FRAME_SAMPLES)
            } else {
                left
            };
            let last = chunk == left;
            let dst = &mut out[done..done + chunk];
            let n = match next {
                Some(packet) if last => match self.inner.decode(packet, dst, true) {
                    Ok(n) => n,
                    Err(e) if e.code() == opus::ErrorCode::InvalidPacket => {
                        self.inner.decode(&[], dst, false)?
                    }
                    Err(e) => return Err(e.into()),
                },
                _ => self.inner.decode(&[], dst, false)?,
            };
            done += n;
            if n == 0 {
                break;
            }
        }
        Ok(done)
    }

    /// Returns the decoder to its initial state.
    pub fn reset(&mut self) {
        if let Err(e) = self.inner.reset_state() {
            tracing::warn!(error = %e, "opus decoder reset failed");
        }
    }
}
