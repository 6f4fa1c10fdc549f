//! What callgen puts in its RTP payloads: the codec of each side, a
//! speech-like test signal, and the one-second cycle of encoded 20 ms
//! frames every stream of that codec loops.
//!
//! The payloads are encoded once at start-up (a cycle of [`CYCLE_FRAMES`]
//! frames); the sender only copies them, so the cost of the generator does
//! not depend on the codec. In transcoding mode the gateway decodes these
//! payloads, so they must be real audio rather than the 0xFF silence of
//! relay mode: a sum of four tones under a syllable-like envelope (4 Hz),
//! periodic over exactly one second so the loop has no seam.
//!
//! - Opus: 48 kHz mono, 32 kbit/s, complexity 10, in-band FEC on (with a 5 %
//!   expected loss, without which libopus adds no FEC), DTX off, VoIP
//!   application. The cycle is encoded twice and the second pass kept, so
//!   the encoder state at the start of the kept cycle is the one its own
//!   end leaves: looping it is seamless for the decoder too.
//! - G.711: the same signal at 8 kHz through a µ-law or A-law encoder
//!   (G.711's segment formulas, a few lines each).
//!
//! In relay mode the payloads carry a [`super::media::PayloadHeader`]; for
//! Opus it sits in the packet's padding (RFC 6716 §3.2.5, code 3), so the
//! packet stays one a decoder accepts and decodes to the same audio. (The
//! RFC asks encoders to zero padding and decoders to accept any value; a
//! load generator writing its timestamp there on purpose is the exception.)

use std::f64::consts::PI;

use tandem_sip::sdp::Codec;

/// 20 ms frames in one cycle of the test signal (one second).
pub const CYCLE_FRAMES: usize = 50;
/// The dynamic payload type callgen offers Opus on.
pub const OPUS_PAYLOAD_TYPE: u8 = 111;
/// The `a=fmtp` callgen declares for Opus.
pub const OPUS_FMTP: &str = "useinbandfec=1";
/// Opus encoder bit rate.
pub const OPUS_BITRATE: u32 = 32_000;
/// Opus encoder complexity.
pub const OPUS_COMPLEXITY: u8 = 10;
/// The loss the Opus encoder is told to expect (enables its in-band FEC).
pub const OPUS_EXPECTED_LOSS_PCT: u8 = 5;

/// The codec one side of the calls sends (and offers or answers with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
#[repr(u8)]
pub enum CodecKind {
    /// G.711 µ-law, payload type 0.
    Pcmu = 0,
    /// G.711 A-law, payload type 8.
    Pcma = 1,
    /// Opus at 48 kHz, payload type 111 when callgen offers.
    Opus = 2,
}

impl CodecKind {
    /// Every kind, in `as_u8` order.
    pub const ALL: [CodecKind; 3] = [CodecKind::Pcmu, CodecKind::Pcma, CodecKind::Opus];

    /// The encoding name as SDP writes it.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::Opus => "opus",
        }
    }

    /// The RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::Opus => 48_000,
        }
    }

    /// RTP timestamp units per 20 ms packet.
    pub fn timestamp_step(self) -> u32 {
        self.clock_rate() / 50
    }

    /// The payload type callgen offers the codec on.
    pub fn offer_payload_type(self) -> u8 {
        match self {
            CodecKind::Pcmu => 0,
            CodecKind::Pcma => 8,
            CodecKind::Opus => OPUS_PAYLOAD_TYPE,
        }
    }

    /// For the stream table's atomics.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The inverse of [`as_u8`](Self::as_u8).
    pub fn from_u8(v: u8) -> Option<Self> {
        Self::ALL.get(usize::from(v)).copied()
    }

    /// The codecs to put in an SDP offer or to answer with: this codec
    /// only, plus telephone-event at 8 kHz for G.711 (as callgen always
    /// offered with PCMU).
    pub fn sdp_codecs(self) -> Vec<Codec> {
        match self {
            CodecKind::Pcmu => vec![Codec::pcmu(), Codec::telephone_event(101, 8000)],
            CodecKind::Pcma => vec![Codec::pcma(), Codec::telephone_event(101, 8000)],
            CodecKind::Opus => vec![Codec {
                fmtp: Some(OPUS_FMTP.to_owned()),
                ..Codec::opus(OPUS_PAYLOAD_TYPE)
            }],
        }
    }

    /// Whether a negotiated SDP codec is this one.
    pub fn matches(self, codec: &Codec) -> bool {
        Codec::new(
            codec.name.clone(),
            codec.payload_type,
            codec.clock_rate,
            codec.channels,
        )
        .same_encoding(&self.sdp_codecs()[0])
    }

    /// Whether `payload` (with payload type `pt`) looks like one 20 ms
    /// frame of this codec: G.711 on its static payload type and 160
    /// octets; Opus on a dynamic payload type with a TOC that says 20 ms.
    /// Does not allocate.
    pub fn is_frame(self, pt: u8, payload: &[u8]) -> bool {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => {
                pt == self.offer_payload_type() && payload.len() == 160
            }
            CodecKind::Opus => {
                (96..=127).contains(&pt)
                    && opus::packet::get_nb_samples(payload, 48_000).is_ok_and(|n| n == 960)
            }
        }
    }
}

/// The four tones of the test signal: (Hz, share of the peak amplitude).
pub const TONES: [(f64, f64); 4] = [(210.0, 0.45), (630.0, 0.30), (1270.0, 0.15), (2410.0, 0.10)];
/// Peak amplitude of the test signal (about -10 dBFS).
pub const PEAK: f64 = 10_000.0;

/// One second of the test signal at `rate` Hz: [`TONES`] under an envelope
/// that rises and falls four times a second between 15 % and 100 %.
pub fn test_signal(rate: u32) -> Vec<i16> {
    (0..rate)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            let env = 0.15 + 0.85 * (PI * 4.0 * t).sin().powi(2);
            let sum: f64 = TONES
                .iter()
                .enumerate()
                .map(|(k, &(f, a))| a * (2.0 * PI * f * t + k as f64).sin())
                .sum();
            (PEAK * env * sum).round() as i16
        })
        .collect()
}

// G.711 is tandem-media's (checked against an independent implementation for
// every input there).
pub use tandem_media::codec::g711::{alaw_encode, ulaw_encode};

/// One second of 20 ms payloads of one codec, encoded at start-up.
#[derive(Debug, Clone)]
pub struct PayloadCycle {
    /// [`CYCLE_FRAMES`] payloads of real audio (transcoding mode).
    pub frames: Vec<Vec<u8>>,
    /// Opus only: the same payloads padded (code 3) with room for the relay
    /// mode's payload header in their last octets. Empty for G.711.
    pub padded: Vec<Vec<u8>>,
}

/// Why a payload cycle could not be made.
#[derive(Debug)]
pub enum CycleError {
    /// libopus refused to pad a frame.
    Opus(opus::Error),
    /// The encoder refused a setting or a frame.
    Codec(tandem_media::codec::CodecError),
}

impl std::fmt::Display for CycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CycleError::Opus(e) => write!(f, "opus: {e}"),
            CycleError::Codec(e) => write!(f, "opus encoder: {e}"),
        }
    }
}

impl std::error::Error for CycleError {}

impl From<tandem_media::codec::CodecError> for CycleError {
    fn from(e: tandem_media::codec::CodecError) -> Self {
        CycleError::Codec(e)
    }
}

impl From<opus::Error> for CycleError {
    fn from(e: opus::Error) -> Self {
        CycleError::Opus(e)
    }
}

impl PayloadCycle {
    /// Encodes the test signal's cycle with `kind`. `trailer` is the room
    /// the padded Opus payloads keep at their end (0: no padded copies).
    pub fn new(kind: CodecKind, trailer: usize) -> Result<Self, CycleError> {
        let frames = match kind {
            CodecKind::Pcmu => test_signal(8000)
                .chunks(160)
                .map(|f| f.iter().map(|&s| ulaw_encode(s)).collect())
                .collect(),
            CodecKind::Pcma => test_signal(8000)
                .chunks(160)
                .map(|f| f.iter().map(|&s| alaw_encode(s)).collect())
                .collect(),
            CodecKind::Opus => encode_opus_cycle()?,
        };
        let padded = if kind == CodecKind::Opus && trailer > 0 {
            frames
                .iter()
                .map(|f| pad_opus(f, trailer))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Self { frames, padded })
    }

    /// Payload number `n` of the endless loop.
    pub fn frame(&self, n: u32) -> &[u8] {
        &self.frames[n as usize % self.frames.len()]
    }

    /// Padded payload number `n` (Opus in relay mode).
    pub fn padded(&self, n: u32) -> Option<&[u8]> {
        if self.padded.is_empty() {
            None
        } else {
            Some(&self.padded[n as usize % self.padded.len()])
        }
    }
}

fn encode_opus_cycle() -> Result<Vec<Vec<u8>>, CycleError> {
    use tandem_media::codec::{CodecKind as Media, Encoder, OpusSettings};
    let pcm = test_signal(48_000);
    // tandem-media's encoder: 48 kHz mono VoIP, DTX off.
    let mut enc = Encoder::new(
        Media::Opus,
        &OpusSettings {
            complexity: OPUS_COMPLEXITY,
            bitrate: OPUS_BITRATE,
            fec: true,
            expected_loss_pct: OPUS_EXPECTED_LOSS_PCT,
        },
    )?;
    let mut out = Vec::with_capacity(CYCLE_FRAMES);
    let mut buf = [0u8; 1500];
    // The first pass only brings the encoder to the state the end of the
    // cycle leaves it in.
    for pass in 0..2 {
        for frame in pcm.chunks(960) {
            let n = enc.encode(frame, &mut buf)?;
            if pass == 1 {
                out.push(buf[..n].to_vec());
            }
        }
    }
    Ok(out)
}

/// `frame` padded to `frame.len() + trailer + 2` octets (code 3: a frame
/// count octet and one padding-length octet), so that at least `trailer`
/// octets at the end are padding.
fn pad_opus(frame: &[u8], trailer: usize) -> Result<Vec<u8>, CycleError> {
    let mut v = frame.to_vec();
    v.resize(frame.len() + trailer + 2, 0);
    opus::packet::pad(&mut v, frame.len())?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_media::codec::g711::{alaw_decode, ulaw_decode};

    /// Energy of `x` at `freq` (Goertzel), normalised by length.
    fn tone_power(x: &[f64], rate: f64, freq: f64) -> f64 {
        let w = 2.0 * PI * freq / rate;
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &v in x {
            let s = v + coeff * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (x.len() as f64).powi(2)
    }

    fn db(a: f64, b: f64) -> f64 {
        10.0 * (a / b).log10()
    }

    #[test]
    fn the_test_signal_is_periodic_and_not_silent() {
        let s = test_signal(8000);
        assert_eq!(s.len(), 8000);
        let peak = s.iter().map(|v| i32::from(*v).abs()).max().unwrap();
        assert!((5000..=10_000).contains(&peak), "peak {peak}");
        // The loop has no seam: the step from the last sample to the first
        // is no bigger than the largest step inside.
        let max_step = s
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap();
        let seam = (i32::from(s[0]) - i32::from(s[7999])).abs();
        assert!(seam <= max_step, "seam {seam} vs {max_step}");
    }

    #[test]
    fn g711_codes_known_values_and_round_trips_within_a_step() {
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(ulaw_encode(-1), 0x7f);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xaa);
        assert_eq!(alaw_encode(i16::MIN), 0x2a);
        assert_eq!(alaw_decode(0xd5), 8);
        assert_eq!(alaw_decode(0xaa), 32_256);
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let x = i32::from(s);
            // Quantisation error stays within half of the segment's step
            // (µ-law steps are 2^(exp+3), A-law 2^(seg+3) on 16 bits), plus
            // the clipping at the ends.
            let u = i32::from(ulaw_decode(ulaw_encode(s)));
            let step = 8 << ((31 - (x.abs().min(32_635) + 0x84).leading_zeros()) - 7);
            assert!((u - x).abs() <= step / 2 + 1 + 132, "µ-law {s} -> {u}");
            let a = i32::from(alaw_decode(alaw_encode(s)));
            assert!((a - x).abs() <= 1024, "A-law {s} -> {a}");
            // A decoded value encodes back to itself (µ-law's -0 aside).
            assert_eq!(ulaw_decode(ulaw_encode(u as i16)), u as i16);
            assert_eq!(alaw_decode(alaw_encode(a as i16)), a as i16);
        }
    }

    #[test]
    fn g711_cycles_decode_to_the_tones() {
        for (kind, dec) in [
            (CodecKind::Pcmu, ulaw_decode as fn(u8) -> i16),
            (CodecKind::Pcma, alaw_decode),
        ] {
            let c = PayloadCycle::new(kind, 20).unwrap();
            assert_eq!(c.frames.len(), CYCLE_FRAMES);
            assert!(c.frames.iter().all(|f| f.len() == 160));
            assert!(c.padded.is_empty());
            assert!(
                c.frames
                    .iter()
                    .all(|f| kind.is_frame(kind.offer_payload_type(), f))
            );
            let pcm: Vec<f64> = c
                .frames
                .concat()
                .iter()
                .map(|&b| f64::from(dec(b)))
                .collect();
            let orig: Vec<f64> = test_signal(8000).iter().map(|&v| f64::from(v)).collect();
            for (f, _) in TONES {
                let d = db(tone_power(&pcm, 8000.0, f), tone_power(&orig, 8000.0, f));
                assert!(d.abs() < 0.5, "{kind:?} {f} Hz off by {d:.2} dB");
            }
        }
    }

    #[test]
    fn the_opus_cycle_decodes_back_to_the_tones() {
        let c = PayloadCycle::new(CodecKind::Opus, 20).unwrap();
        assert_eq!(c.frames.len(), CYCLE_FRAMES);
        // 32 kbit/s is 80 octets a frame on average.
        let total: usize = c.frames.iter().map(Vec::len).sum();
        assert!((50 * 50..=50 * 120).contains(&total), "{total} octets");
        let mut dec = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
        let mut out = vec![0i16; 960];
        let mut pcm = Vec::new();
        // Two loops: the second, with the decoder settled, is measured.
        for n in 0..2 * CYCLE_FRAMES as u32 {
            let p = c.frame(n);
            assert!(CodecKind::Opus.is_frame(OPUS_PAYLOAD_TYPE, p));
            assert_eq!(dec.decode(p, &mut out, false).unwrap(), 960);
            if n >= CYCLE_FRAMES as u32 {
                pcm.extend(out.iter().map(|&v| f64::from(v)));
            }
        }
        let orig: Vec<f64> = test_signal(48_000).iter().map(|&v| f64::from(v)).collect();
        for (f, _) in TONES {
            let d = db(
                tone_power(&pcm, 48_000.0, f),
                tone_power(&orig, 48_000.0, f),
            );
            assert!(d.abs() < 3.0, "{f} Hz off by {d:.2} dB");
        }
        // And nothing loud where the signal has no tone.
        let floor = db(
            tone_power(&pcm, 48_000.0, 3700.0),
            tone_power(&pcm, 48_000.0, 210.0),
        );
        assert!(
            floor < -30.0,
            "noise at 3.7 kHz only {floor:.1} dB under the tone"
        );
    }

    #[test]
    fn padded_opus_frames_carry_a_trailer_and_decode_the_same() {
        let c = PayloadCycle::new(CodecKind::Opus, 20).unwrap();
        assert_eq!(c.padded.len(), CYCLE_FRAMES);
        let mut a = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
        let mut b = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
        let (mut oa, mut ob) = (vec![0i16; 960], vec![0i16; 960]);
        for n in 0..CYCLE_FRAMES as u32 {
            let mut p = c.padded(n).unwrap().to_vec();
            assert_eq!(p.len(), c.frame(n).len() + 22);
            // The last 20 octets are padding: anything may go there.
            let len = p.len();
            p[len - 20..].fill(0xa5);
            assert!(CodecKind::Opus.is_frame(OPUS_PAYLOAD_TYPE, &p));
            let parsed = opus::packet::parse(&p).unwrap();
            assert_eq!(parsed.frames.len(), 1);
            assert_eq!(parsed.frames[0], c.frame(n)[1..].as_ref());
            a.decode(c.frame(n), &mut oa, false).unwrap();
            b.decode(&p, &mut ob, false).unwrap();
            assert_eq!(oa, ob, "frame {n}");
        }
    }

    #[test]
    fn kinds_name_rates_and_sdp() {
        for k in CodecKind::ALL {
            assert_eq!(CodecKind::from_u8(k.as_u8()), Some(k));
            assert!(k.matches(&k.sdp_codecs()[0]));
        }
        assert_eq!(CodecKind::from_u8(3), None);
        assert_eq!(CodecKind::Opus.timestamp_step(), 960);
        assert_eq!(CodecKind::Pcma.timestamp_step(), 160);
        assert!(!CodecKind::Pcmu.matches(&Codec::pcma()));
        assert!(CodecKind::Opus.matches(&Codec::opus(96)));
        assert!(!CodecKind::Pcmu.is_frame(8, &[0xff; 160]));
        assert!(!CodecKind::Pcmu.is_frame(0, &[0xff; 172]));
        assert!(!CodecKind::Opus.is_frame(0, &[0x78, 0, 0]));
        assert!(!CodecKind::Opus.is_frame(111, &[]));
    }
}
