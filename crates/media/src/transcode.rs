//! The transcoding pipeline of one direction of a call (sans-IO).
//!
//! When the two legs of a call do not share a codec (or a packet time), the bridge attaches one
//! [`Transcoder`] per direction. Each is a fixed chain of stages built once, at attach time:
//!
//! ```text
//! RTP in -> jitter buffer -> decode (or conceal) -> taps -> in-band DTMF detector -> mute while
//!        a digit is on -> resample (fixed 10 ms chunks) -> encode (the output leg's ptime) -> RTP out
//! RFC 4733 in -> event translator (payload type, clock rate, anchored on the output timeline) -> RTP out
//! ```
//!
//! Every buffer is allocated in [`Transcoder::new`]; handling a packet or a frame allocates
//! nothing. The output stream keeps the input's first SSRC and numbers its packets from the
//! input's first sequence number, one per output frame, so with no loss output packet *n*
//! carries input frame *n* (callgen relies on this to measure latency).
//!
//! Drive it like every protocol core here: [`Transcoder::handle_rtp`] for each received packet,
//! [`Transcoder::handle_timeout`] when [`Transcoder::poll_timeout`] says, and
//! [`Transcoder::poll_transmit`] until it returns `None` after either.

use std::fmt;
use std::time::{Duration, Instant};

use crate::codec::{CodecError, CodecKind, Decoder, Encoder, MAX_FRAME_SAMPLES, OpusSettings};
use crate::dtmf::{EventGenerator, EventPacket, EventTranslator, ToneDetector, ToneEvent};
use crate::jitter::{JitterBuffer, JitterConfig, JitterStats, Playout, PushOutcome};
use crate::resample::{ResampleError, Resampler};

/// RTP header length of the packets a transcoder writes (no CSRC, no extension).
const RTP_HEADER_LEN: usize = 12;
/// Largest packet a transcoder writes.
pub const MAX_OUTPUT_PACKET: usize = 1500;
/// Output packets held between [`Transcoder::handle_timeout`] and [`Transcoder::poll_transmit`].
const OUTPUT_QUEUE: usize = 8;
/// Resampler chunk: 10 ms divides every packet time in use (10, 20, 30, 40, 60 ms).
const CHUNK_MS: u32 = 10;
/// The output stream counts as paused (timestamps jump, marker set) after this long without a frame.
const PAUSE: Duration = Duration::from_millis(100);

/// What one leg sends and receives, as negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamFormat {
    /// The voice codec.
    pub codec: CodecKind,
    /// Its payload type on this leg.
    pub payload_type: u8,
    /// Packet time in milliseconds.
    pub ptime_ms: u32,
    /// telephone-event payload type on this leg (at the codec's clock rate), if negotiated.
    pub telephone_event: Option<u8>,
}

impl StreamFormat {
    /// The packet time the encoder can produce for this codec: Opus frames are 10, 20, 40 or
    /// 60 ms; anything else is sent as 20 ms.
    fn output_ptime_ms(&self) -> u32 {
        match (self.codec, self.ptime_ms) {
            (CodecKind::Opus, 10 | 20 | 40 | 60) => self.ptime_ms,
            (CodecKind::Opus, _) => 20,
            (_, p) if (10..=60).contains(&p) && p % CHUNK_MS == 0 => p,
            _ => 20,
        }
    }
}

/// How to build a [`Transcoder`].
#[derive(Debug, Clone, Copy)]
pub struct TranscoderConfig {
    /// What arrives (from the input leg).
    pub input: StreamFormat,
    /// What leaves (to the output leg).
    pub output: StreamFormat,
    /// Opus encoder settings for the output leg (ignored for G.711).
    pub opus: OpusSettings,
    /// Detect DTMF tones in the input audio and send them as RFC 4733 events (only when the
    /// output leg negotiated telephone-event and the input is 8 or 16 kHz).
    pub inband_dtmf: bool,
    /// Jitter buffer minimum and maximum delay (defaults from [`JitterConfig::new`]).
    pub jitter_min: Option<Duration>,
    /// See `jitter_min`.
    pub jitter_max: Option<Duration>,
}

impl TranscoderConfig {
    /// A config with default Opus settings, no in-band detection and default jitter bounds.
    pub fn new(input: StreamFormat, output: StreamFormat) -> Self {
        TranscoderConfig {
            input,
            output,
            opus: OpusSettings::default(),
            inband_dtmf: false,
            jitter_min: None,
            jitter_max: None,
        }
    }
}

/// A tap sees every decoded frame of the input (before DTMF muting), at the input's PCM rate:
/// the recorder attaches here. It runs on the media thread: it must not block.
pub trait FrameTap: Send + fmt::Debug {
    /// One decoded (or concealed) frame.
    fn on_frame(&mut self, sample_rate: u32, pcm: &[i16]);
}

/// Why a transcoder could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TranscoderError {
    /// A codec could not be set up.
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    /// The resampler could not be set up.
    #[error("resampler: {0}")]
    Resample(#[from] ResampleError),
}

/// What became of a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtpOutcome {
    /// Audio, queued in the jitter buffer.
    Queued,
    /// Audio from a new source or after a timestamp jump: the buffer and decoder restarted.
    Restarted,
    /// Audio that came too late (its slot was played), or a duplicate: dropped.
    Late,
    /// A telephone-event packet, translated and queued for the output leg.
    Event,
    /// A telephone-event packet with nowhere to go (the output leg has no telephone-event,
    /// or it was a duplicate).
    EventDropped,
    /// A payload type this stream does not carry (comfort noise, an unnegotiated codec), or an
    /// undecodable payload.
    Dropped,
}

/// Counters of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranscodeStats {
    /// Audio packets accepted into the jitter buffer.
    pub packets_in: u64,
    /// Packets written for the output leg (audio and events).
    pub packets_out: u64,
    /// Frames decoded from received payloads.
    pub frames_decoded: u64,
    /// Frames concealed (loss, underrun, stretch).
    pub frames_concealed: u64,
    /// Payloads the decoder refused.
    pub decode_errors: u64,
    /// Frames the encoder failed on (skipped).
    pub encode_errors: u64,
    /// telephone-event packets translated.
    pub events_relayed: u64,
    /// telephone-event packets generated from in-band tones.
    pub events_generated: u64,
    /// Output packets dropped because the output queue was full.
    pub output_overflow: u64,
    /// The jitter buffer's own counters.
    pub jitter: JitterStats,
}

/// A fixed ring of output packets.
struct OutputQueue {
    bufs: Vec<[u8; MAX_OUTPUT_PACKET]>,
    lens: [usize; OUTPUT_QUEUE],
    head: usize,
    count: usize,
}

impl OutputQueue {
    fn new() -> Self {
        OutputQueue {
            bufs: vec![[0; MAX_OUTPUT_PACKET]; OUTPUT_QUEUE],
            lens: [0; OUTPUT_QUEUE],
            head: 0,
            count: 0,
        }
    }

    /// The next free buffer, dropping the oldest packet when full (returns whether it did).
    fn slot(&mut self) -> (&mut [u8; MAX_OUTPUT_PACKET], bool) {
        let dropped = self.count == OUTPUT_QUEUE;
        if dropped {
            self.head = (self.head + 1) % OUTPUT_QUEUE;
            self.count -= 1;
        }
        let i = (self.head + self.count) % OUTPUT_QUEUE;
        (&mut self.bufs[i], dropped)
    }

    fn commit(&mut self, len: usize) {
        let i = (self.head + self.count) % OUTPUT_QUEUE;
        self.lens[i] = len;
        self.count += 1;
    }

    /// The oldest packet; its buffer stays intact until the next `slot`.
    fn pop(&mut self) -> Option<&[u8]> {
        if self.count == 0 {
            return None;
        }
        let i = self.head;
        self.head = (self.head + 1) % OUTPUT_QUEUE;
        self.count -= 1;
        Some(&self.bufs[i][..self.lens[i]])
    }
}

/// A PCM buffer that is filled at the end and consumed from the front.
struct Fifo {
    buf: Vec<i16>,
    len: usize,
}

impl Fifo {
    fn new(capacity: usize) -> Self {
        Fifo {
            buf: vec![0; capacity],
            len: 0,
        }
    }

    /// Appends as much of `pcm` as fits; returns how many samples were dropped.
    fn push(&mut self, pcm: &[i16]) -> usize {
        let room = self.buf.len() - self.len;
        let n = pcm.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&pcm[..n]);
        self.len += n;
        pcm.len() - n
    }

    fn front(&self, n: usize) -> Option<&[i16]> {
        (self.len >= n).then(|| &self.buf[..n])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

/// The output RTP stream's identity and position.
#[derive(Debug, Clone, Copy)]
struct OutStream {
    ssrc: u32,
    seq: u16,
    ts: u32,
    marker: bool,
    last_frame: Option<Instant>,
}

/// One direction of a transcoded call; see the module docs.
pub struct Transcoder {
    input: StreamFormat,
    output: StreamFormat,
    jitter: JitterBuffer,
    decoder: Decoder,
    encoder: Encoder,
    resampler: Option<Resampler>,
    translator: Option<EventTranslator>,
    detector: Option<ToneDetector>,
    generator: Option<EventGenerator>,
    taps: Vec<Box<dyn FrameTap>>,
    in_rate: u32,
    in_chunk: usize,
    out_chunk: usize,
    out_frame: usize,
    decoded: Vec<i16>,
    chunk_out: Vec<i16>,
    in_fifo: Fifo,
    out_fifo: Fifo,
    out: Option<OutStream>,
    queue: OutputQueue,
    stats: TranscodeStats,
    /// The configured Opus complexity (the load policy's cap never raises it above this).
    max_complexity: Option<u8>,
}

impl fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcoder")
            .field("input", &self.input)
            .field("output", &self.output)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn write_rtp_header(buf: &mut [u8], pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32) {
    buf[0] = 0x80;
    buf[1] = (u8::from(marker) << 7) | (pt & 0x7f);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&ts.to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
}

impl Transcoder {
    /// Builds the chain for `config`: every buffer is allocated here.
    pub fn new(config: &TranscoderConfig) -> Result<Self, TranscoderError> {
        let input = config.input;
        let output = StreamFormat {
            ptime_ms: config.output.output_ptime_ms(),
            ..config.output
        };
        let decoder = Decoder::new(input.codec)?;
        let encoder = Encoder::new(output.codec, &config.opus)?;
        let in_rate = input.codec.sample_rate();
        let out_rate = output.codec.sample_rate();
        let resampler = if in_rate == out_rate {
            None
        } else {
            Some(Resampler::new(in_rate, out_rate, CHUNK_MS)?)
        };
        let in_chunk = (in_rate * CHUNK_MS / 1000) as usize;
        let out_chunk = (out_rate * CHUNK_MS / 1000) as usize;
        let out_frame = (out_rate * output.ptime_ms / 1000) as usize;
        let in_ptime = if input.ptime_ms == 0 {
            20
        } else {
            input.ptime_ms
        };
        let mut jc = JitterConfig::new(
            input.codec.clock_rate(),
            Duration::from_millis(u64::from(in_ptime)),
        );
        if let Some(d) = config.jitter_min {
            jc.min_delay = d;
        }
        if let Some(d) = config.jitter_max {
            jc.max_delay = d;
        }
        let translator = match (input.telephone_event, output.telephone_event) {
            (Some(_), Some(_)) => Some(EventTranslator::new(
                input.codec.clock_rate(),
                output.codec.clock_rate(),
            )),
            _ => None,
        };
        let inband = config.inband_dtmf && matches!(in_rate, 8000 | 16000);
        let detector = inband.then(|| ToneDetector::new(in_rate));
        let generator = (inband && output.telephone_event.is_some())
            .then(|| EventGenerator::new(output.codec.clock_rate(), out_frame as u32, 10));
        Ok(Transcoder {
            input,
            output,
            jitter: JitterBuffer::new(jc),
            decoder,
            encoder,
            resampler,
            translator,
            detector,
            generator,
            taps: Vec::new(),
            in_rate,
            in_chunk,
            out_chunk,
            out_frame,
            decoded: vec![0; MAX_FRAME_SAMPLES],
            chunk_out: vec![0; out_chunk.max(1)],
            in_fifo: Fifo::new(MAX_FRAME_SAMPLES + in_chunk),
            out_fifo: Fifo::new(MAX_FRAME_SAMPLES * 2 + out_frame),
            out: None,
            queue: OutputQueue::new(),
            stats: TranscodeStats::default(),
            max_complexity: (output.codec == CodecKind::Opus).then_some(config.opus.complexity),
        })
    }

    /// Attaches a tap (at set-up, before media flows).
    pub fn add_tap(&mut self, tap: Box<dyn FrameTap>) {
        self.taps.push(tap);
    }

    /// The input format.
    pub fn input(&self) -> &StreamFormat {
        &self.input
    }

    /// The output format (with the packet time actually sent).
    pub fn output(&self) -> &StreamFormat {
        &self.output
    }

    /// Counters, with the jitter buffer's.
    pub fn stats(&self) -> TranscodeStats {
        TranscodeStats {
            jitter: self.jitter.stats(),
            ..self.stats
        }
    }

    /// Changes the output encoder's complexity (Opus; no-op for G.711): the load policy.
    pub fn set_complexity(&mut self, complexity: u8) -> Result<(), CodecError> {
        self.encoder.set_complexity(complexity)
    }

    /// Applies the media thread's complexity cap: the encoder runs at the configured
    /// complexity or the cap, whichever is lower. Cheap when nothing changes.
    pub fn apply_complexity_cap(&mut self, cap: u8) {
        let Some(max) = self.max_complexity else {
            return;
        };
        let want = max.min(cap);
        if self.encoder.complexity() != Some(want) {
            // Opus accepts 0..=10; `want` is within it.
            let _ = self.encoder.set_complexity(want);
        }
    }

    /// The output encoder's complexity, when it has one.
    pub fn complexity(&self) -> Option<u8> {
        self.encoder.complexity()
    }

    /// The resampler's delay (zero when the rates match).
    pub fn resampler_delay(&self) -> Duration {
        self.resampler
            .as_ref()
            .map_or(Duration::ZERO, Resampler::delay)
    }

    fn out_stream(&mut self, ssrc: u32, seq: u16, ts: u32) -> &mut OutStream {
        let in_clock = u64::from(self.input.codec.clock_rate());
        let out_clock = u64::from(self.output.codec.clock_rate());
        self.out.get_or_insert_with(|| OutStream {
            ssrc,
            seq,
            ts: (u64::from(ts) * out_clock / in_clock) as u32,
            marker: true,
            last_frame: None,
        })
    }

    /// A packet received from the input leg (already latched and direction-checked).
    #[allow(clippy::too_many_arguments)]
    pub fn handle_rtp(
        &mut self,
        now: Instant,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload_type: u8,
        payload: &[u8],
    ) -> RtpOutcome {
        if Some(payload_type) == self.input.telephone_event {
            let out_ts = self.out_stream(ssrc, seq, timestamp).ts;
            let Some(translator) = self.translator.as_mut() else {
                return RtpOutcome::EventDropped;
            };
            return match translator.handle(now, timestamp, marker, payload, out_ts) {
                Ok(Some(ev)) => {
                    self.stats.events_relayed += 1;
                    self.queue_event(ev);
                    RtpOutcome::Event
                }
                Ok(None) | Err(_) => RtpOutcome::EventDropped,
            };
        }
        if payload_type != self.input.payload_type {
            return RtpOutcome::Dropped;
        }
        let samples = match self.decoder.samples_in(payload) {
            Ok(n) if n > 0 => n as u32,
            _ => {
                self.stats.decode_errors += 1;
                return RtpOutcome::Dropped;
            }
        };
        self.out_stream(ssrc, seq, timestamp);
        match self
            .jitter
            .push(now, ssrc, seq, timestamp, marker, samples, payload)
        {
            PushOutcome::Queued => {
                self.stats.packets_in += 1;
                RtpOutcome::Queued
            }
            PushOutcome::Reset => {
                self.stats.packets_in += 1;
                self.decoder.reset();
                RtpOutcome::Restarted
            }
            PushOutcome::Late | PushOutcome::Duplicate => RtpOutcome::Late,
            PushOutcome::TooBig => RtpOutcome::Dropped,
        }
    }

    /// When the next frame is due for playout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.jitter.poll_timeout()
    }

    /// Plays out every frame due at `now`: decode or conceal, resample, encode, queue.
    /// Returns the number of frames handled.
    pub fn handle_timeout(&mut self, now: Instant) -> usize {
        let mut frames = 0;
        loop {
            let n = match self.jitter.pop(now) {
                None => break,
                Some(Playout::Frame { payload, .. }) => {
                    match self.decoder.decode(payload, &mut self.decoded) {
                        Ok(n) => {
                            self.stats.frames_decoded += 1;
                            n
                        }
                        Err(_) => {
                            self.stats.decode_errors += 1;
                            continue;
                        }
                    }
                }
                Some(Playout::Missing { samples, next, .. }) => {
                    let want = (samples as usize).min(MAX_FRAME_SAMPLES);
                    match self.decoder.conceal(want, next, &mut self.decoded) {
                        Ok(n) => {
                            self.stats.frames_concealed += 1;
                            n
                        }
                        Err(_) => {
                            self.stats.decode_errors += 1;
                            continue;
                        }
                    }
                }
            };
            frames += 1;
            self.process_pcm(now, n);
        }
        frames
    }

    /// Runs the stages after the decoder on `self.decoded[..n]`.
    fn process_pcm(&mut self, now: Instant, n: usize) {
        let n = n.min(self.decoded.len());
        for tap in &mut self.taps {
            tap.on_frame(self.in_rate, &self.decoded[..n]);
        }
        let mut tone_on = false;
        if let Some(mut det) = self.detector.take() {
            det.process(&self.decoded[..n]);
            while let Some(ev) = det.poll_event() {
                let out_ts = self.out.map_or(0, |o| o.ts);
                let packet = self.generator.as_mut().and_then(|g| match ev {
                    ToneEvent::Started(digit) => Some(g.start(digit, out_ts)),
                    ToneEvent::Ended { .. } => g.end(out_ts),
                });
                if let Some(p) = packet {
                    self.stats.events_generated += 1;
                    self.queue_event(p);
                }
            }
            tone_on = det.current().is_some();
            self.detector = Some(det);
        }
        let event_on = self.translator.as_ref().is_some_and(|t| t.is_active(now));
        if (tone_on && self.generator.is_some()) || event_on {
            // The digit goes as RFC 4733: never let the tone leak in-band.
            self.decoded[..n].fill(0);
        }
        self.in_fifo.push(&self.decoded[..n]);
        // Resample in fixed chunks into the output FIFO.
        while let Some(chunk) = self.in_fifo.front(self.in_chunk) {
            match self.resampler.as_mut() {
                Some(r) => {
                    if r.process(chunk, &mut self.chunk_out).is_ok() {
                        self.out_fifo.push(&self.chunk_out[..self.out_chunk]);
                    }
                }
                None => {
                    self.out_fifo.push(chunk);
                }
            }
            self.in_fifo.consume(self.in_chunk);
        }
        // Encode whole output frames.
        while self.out_fifo.front(self.out_frame).is_some() {
            self.encode_frame(now);
            self.out_fifo.consume(self.out_frame);
        }
    }

    fn encode_frame(&mut self, now: Instant) {
        let Some(pcm) = self.out_fifo.front(self.out_frame) else {
            return;
        };
        let frame = self.out_frame as u32;
        let out_clock = self.output.codec.clock_rate();
        let pt = self.output.payload_type;
        let Some(out) = self.out.as_mut() else {
            return;
        };
        // Encoded straight into the output packet's buffer, after its header.
        let (buf, dropped) = self.queue.slot();
        if dropped {
            self.stats.output_overflow += 1;
        }
        let size = match self.encoder.encode(pcm, &mut buf[RTP_HEADER_LEN..]) {
            Ok(n) => n,
            Err(_) => {
                self.stats.encode_errors += 1;
                return;
            }
        };
        if let Some(last) = out.last_frame
            && now.saturating_duration_since(last) > PAUSE
        {
            // The stream paused (silence, hold): keep the timestamps on the wall clock.
            let gap = now.saturating_duration_since(last);
            let gap_units = (gap.as_micros() as u64 * u64::from(out_clock) / 1_000_000) as u32;
            out.ts = out.ts.wrapping_add(gap_units.saturating_sub(frame));
            out.marker = true;
        }
        out.last_frame = Some(now);
        let (seq, ts, marker, ssrc) = (out.seq, out.ts, out.marker, out.ssrc);
        out.seq = out.seq.wrapping_add(1);
        out.ts = out.ts.wrapping_add(frame);
        out.marker = false;
        write_rtp_header(buf, pt, marker, seq, ts, ssrc);
        self.queue.commit(RTP_HEADER_LEN + size);
        self.stats.packets_out += 1;
        // An in-band digit being held: an update packet per output frame.
        if let Some(g) = self.generator.as_mut() {
            let next_ts = ts.wrapping_add(frame);
            let update = g.tick(next_ts).or_else(|| g.pending_end());
            if let Some(p) = update {
                self.stats.events_generated += 1;
                self.queue_event(p);
            }
        }
    }

    fn queue_event(&mut self, ev: EventPacket) {
        let Some(pt) = self.output.telephone_event else {
            return;
        };
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let seq = out.seq;
        out.seq = out.seq.wrapping_add(1);
        let ssrc = out.ssrc;
        let (buf, dropped) = self.queue.slot();
        write_rtp_header(buf, pt, ev.marker, seq, ev.timestamp, ssrc);
        buf[RTP_HEADER_LEN..RTP_HEADER_LEN + 4].copy_from_slice(&ev.payload);
        self.queue.commit(RTP_HEADER_LEN + 4);
        self.stats.packets_out += 1;
        if dropped {
            self.stats.output_overflow += 1;
        }
    }

    /// The next packet for the output leg (borrowed from the transcoder's own buffers: no
    /// copy on the way to the socket).
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.queue.pop()
    }
}
