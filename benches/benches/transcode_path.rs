//! The whole transcoding path of a PCMU (8 kHz) <-> Opus (48 kHz, 32 kbit/s, FEC) call against
//! the floor of its own codecs and resampler, side by side, at Opus complexity 10, 5 and 0.
//!
//! One iteration is 20 ms of call audio in both directions:
//!
//! * `floor/c{N}`: the primitives alone, as the transcoder chains them: PCMU decode (160) ->
//!   resample 8k->48k (two 10 ms chunks) -> Opus encode (960); Opus decode (960) -> resample
//!   48k->8k (two 10 ms chunks) -> PCMU encode (160).
//! * `path/c{N}`: the same 20 ms through two `Transcoder`s (A->B PCMU->Opus, B->A Opus->PCMU),
//!   each with a no-op tap: `handle_rtp` (jitter buffer push), `handle_timeout` at the
//!   `poll_timeout` deadline (pop, decode, tap, resample, encode, RTP header) and
//!   `poll_transmit`, on a simulated clock advanced 20 ms per iteration.
//!
//! Both feed the same pre-encoded second of a speech-like signal (PCMU payloads one way, Opus
//! payloads encoded with the same settings the other way), looped. The target is
//! `path <= 1.2 x floor` per complexity; the ratio is read from the two medians of one group.
//!
//! `cargo bench -p tandem-bench --bench transcode_path -- --warm-up-time 1 --measurement-time 4`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tandem_media::codec::{
    CodecKind, Decoder, Encoder, MAX_FRAME_SAMPLES, MAX_PAYLOAD, OpusSettings,
};
use tandem_media::resample::Resampler;
use tandem_media::transcode::{FrameTap, StreamFormat, Transcoder, TranscoderConfig};

/// Samples per 20 ms at 8 kHz.
const PCMU_FRAME: usize = 160;
/// Samples per 20 ms at 48 kHz.
const OPUS_FRAME: usize = 960;
/// The transcoder resamples in 10 ms chunks; the floor does the same.
const CHUNK_MS: u32 = 10;
/// Frames in the looped input: one second.
const FRAMES: usize = 50;
/// One frame of call time.
const PTIME: Duration = Duration::from_millis(20);
const PT_PCMU: u8 = 0;
const PT_OPUS: u8 = 111;
const SSRC_A: u32 = 0x0A0A_0001;
const SSRC_B: u32 = 0x0B0B_0002;
/// Frames run through the path before measuring, so the jitter buffer is in its steady state.
const SETTLE_FRAMES: usize = 100;

/// A voice-like test signal at `rate`: a few partials on a wandering fundamental, with formant-ish
/// weights, under a syllable envelope (about 4 syllables per second with short pauses).
fn voice(rate: u32, samples: usize) -> Vec<i16> {
    use std::f64::consts::TAU;
    let rate = f64::from(rate);
    let partials: [(f64, f64); 5] = [(1.0, 1.0), (2.0, 0.7), (3.0, 0.45), (5.0, 0.3), (9.0, 0.15)];
    let mut phase = 0.0f64;
    (0..samples)
        .map(|i| {
            let t = i as f64 / rate;
            let f0 = 125.0 + 25.0 * (TAU * 0.9 * t).sin() + 8.0 * (TAU * 5.3 * t).sin();
            phase += TAU * f0 / rate;
            let mut v = 0.0;
            for (mult, weight) in partials {
                if mult * f0 < rate / 2.0 {
                    v += weight * (mult * phase).sin();
                }
            }
            // Syllables: a raised sine at 4 Hz, gated to leave short pauses between them.
            let syl = (TAU * 4.1 * t).sin();
            let env = if syl > -0.6 { (syl + 0.6) / 1.6 } else { 0.0 };
            (4000.0 * env * v).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn opus_settings(complexity: u8) -> OpusSettings {
    OpusSettings {
        complexity,
        bitrate: 32_000,
        fec: true,
        ..OpusSettings::default()
    }
}

/// The looped input of both directions, as RTP payloads.
struct Input {
    pcmu: Vec<Vec<u8>>,
    opus: Vec<Vec<u8>>,
}

impl Input {
    fn new(settings: &OpusSettings) -> Self {
        let narrow = voice(8000, PCMU_FRAME * FRAMES);
        let wide = voice(48_000, OPUS_FRAME * FRAMES);
        let mut pcmu_enc = Encoder::new(CodecKind::Pcmu, settings).expect("pcmu encoder");
        let mut opus_enc = Encoder::new(CodecKind::Opus, settings).expect("opus encoder");
        let mut buf = [0u8; MAX_PAYLOAD];
        let mut encode = |enc: &mut Encoder, pcm: &[i16]| {
            let n = enc.encode(pcm, &mut buf).expect("encode");
            buf[..n].to_vec()
        };
        let pcmu = narrow
            .chunks(PCMU_FRAME)
            .map(|f| encode(&mut pcmu_enc, f))
            .collect();
        let opus = wide
            .chunks(OPUS_FRAME)
            .map(|f| encode(&mut opus_enc, f))
            .collect();
        Input { pcmu, opus }
    }
}

/// The primitives alone, with every buffer preallocated.
struct Floor {
    pcmu_dec: Decoder,
    up: Resampler,
    opus_enc: Encoder,
    opus_dec: Decoder,
    down: Resampler,
    pcmu_enc: Encoder,
    pcm8: Vec<i16>,
    pcm48: Vec<i16>,
    payload: Vec<u8>,
    k: usize,
}

impl Floor {
    fn new(settings: &OpusSettings) -> Self {
        Floor {
            pcmu_dec: Decoder::new(CodecKind::Pcmu).expect("pcmu decoder"),
            up: Resampler::new(8000, 48_000, CHUNK_MS).expect("resampler up"),
            opus_enc: Encoder::new(CodecKind::Opus, settings).expect("opus encoder"),
            opus_dec: Decoder::new(CodecKind::Opus).expect("opus decoder"),
            down: Resampler::new(48_000, 8000, CHUNK_MS).expect("resampler down"),
            pcmu_enc: Encoder::new(CodecKind::Pcmu, settings).expect("pcmu encoder"),
            pcm8: vec![0; MAX_FRAME_SAMPLES],
            pcm48: vec![0; MAX_FRAME_SAMPLES],
            payload: vec![0; MAX_PAYLOAD],
            k: 0,
        }
    }

    /// 20 ms both ways; returns the two payload sizes.
    fn frame(&mut self, input: &Input) -> (usize, usize) {
        let k = self.k;
        self.k = (k + 1) % FRAMES;
        // A -> B: PCMU -> 8k -> 48k -> Opus.
        let n = self
            .pcmu_dec
            .decode(&input.pcmu[k], &mut self.pcm8)
            .expect("pcmu decode");
        let (cin, cout) = (self.up.input_frames(), self.up.output_frames());
        for (i, chunk) in self.pcm8[..n].chunks_exact(cin).enumerate() {
            self.up
                .process(chunk, &mut self.pcm48[i * cout..(i + 1) * cout])
                .expect("resample up");
        }
        let ab = self
            .opus_enc
            .encode(&self.pcm48[..OPUS_FRAME], &mut self.payload)
            .expect("opus encode");
        // B -> A: Opus -> 48k -> 8k -> PCMU.
        let n = self
            .opus_dec
            .decode(&input.opus[k], &mut self.pcm48)
            .expect("opus decode");
        let (cin, cout) = (self.down.input_frames(), self.down.output_frames());
        for (i, chunk) in self.pcm48[..n].chunks_exact(cin).enumerate() {
            self.down
                .process(chunk, &mut self.pcm8[i * cout..(i + 1) * cout])
                .expect("resample down");
        }
        let ba = self
            .pcmu_enc
            .encode(&self.pcm8[..PCMU_FRAME], &mut self.payload)
            .expect("pcmu encode");
        (ab, ba)
    }
}

/// A tap that looks at the frame and does nothing with it.
#[derive(Debug)]
struct NoopTap;

impl FrameTap for NoopTap {
    fn on_frame(&mut self, sample_rate: u32, pcm: &[i16]) {
        black_box((sample_rate, pcm.len()));
    }
}

/// Two transcoders on a simulated clock.
struct Path {
    ab: Transcoder,
    ba: Transcoder,
    /// Arrival time of the next pair of packets.
    now: Instant,
    frame: u64,
    /// Packets written by each direction since the start.
    out_ab: u64,
    out_ba: u64,
}

impl Path {
    fn new(settings: &OpusSettings) -> Self {
        let pcmu = StreamFormat {
            codec: CodecKind::Pcmu,
            payload_type: PT_PCMU,
            ptime_ms: 20,
            telephone_event: None,
        };
        let opus = StreamFormat {
            codec: CodecKind::Opus,
            payload_type: PT_OPUS,
            ptime_ms: 20,
            telephone_event: None,
        };
        let build = |input, output| {
            let mut config = TranscoderConfig::new(input, output);
            config.opus = *settings;
            let mut t = Transcoder::new(&config).expect("transcoder");
            t.add_tap(Box::new(NoopTap));
            t
        };
        Path {
            ab: build(pcmu, opus),
            ba: build(opus, pcmu),
            now: Instant::now(),
            frame: 0,
            out_ab: 0,
            out_ba: 0,
        }
    }

    /// 20 ms both ways: one packet in per direction, playout at the deadline, drain.
    fn frame(&mut self, input: &Input) {
        let f = self.frame;
        let k = (f % FRAMES as u64) as usize;
        let seq = f as u16;
        let arrival = self.now;
        self.ab.handle_rtp(
            arrival,
            SSRC_A,
            seq,
            (f as u32).wrapping_mul(PCMU_FRAME as u32),
            f == 0,
            PT_PCMU,
            &input.pcmu[k],
        );
        self.ba.handle_rtp(
            arrival,
            SSRC_B,
            seq,
            (f as u32).wrapping_mul(OPUS_FRAME as u32),
            f == 0,
            PT_OPUS,
            &input.opus[k],
        );
        let next = arrival + PTIME;
        self.out_ab += drive(&mut self.ab, next);
        self.out_ba += drive(&mut self.ba, next);
        self.now = next;
        self.frame += 1;
    }
}

/// Plays out every slot due before `until` at its deadline and drains the output; returns
/// the number of packets written.
fn drive(t: &mut Transcoder, until: Instant) -> u64 {
    let mut sent = 0;
    while let Some(due) = t.poll_timeout().filter(|d| *d < until) {
        t.handle_timeout(due);
        while let Some(packet) = t.poll_transmit() {
            black_box(packet);
            sent += 1;
        }
    }
    sent
}

fn transcode_path(c: &mut Criterion) {
    for complexity in [10u8, 5, 0] {
        let settings = opus_settings(complexity);
        let input = Input::new(&settings);
        let mut floor = Floor::new(&settings);
        let mut path = Path::new(&settings);
        for _ in 0..SETTLE_FRAMES {
            floor.frame(&input);
            path.frame(&input);
        }
        // Where the next playout falls after the next arrival (the jitter buffer's delay).
        let delay = |t: &Transcoder| {
            t.poll_timeout()
                .map(|d| d.saturating_duration_since(path.now))
        };
        let delays = (delay(&path.ab), delay(&path.ba));
        let settled = (
            path.frame,
            path.out_ab,
            path.out_ba,
            path.ab.stats(),
            path.ba.stats(),
        );

        let mut g = c.benchmark_group(format!("transcode_c{complexity}"));
        g.bench_function(format!("floor/c{complexity}"), |b| {
            b.iter(|| black_box(floor.frame(black_box(&input))))
        });
        g.bench_function(format!("path/c{complexity}"), |b| {
            b.iter(|| path.frame(black_box(&input)))
        });
        g.finish();

        // The path did what the floor did: one packet out per packet in, each way, nothing
        // concealed or dropped once settled.
        let (f0, ab0, ba0, sab0, sba0) = settled;
        let frames = path.frame - f0;
        let (sab, sba) = (path.ab.stats(), path.ba.stats());
        let concealed = (sab.frames_concealed - sab0.frames_concealed)
            + (sba.frames_concealed - sba0.frames_concealed);
        let errors = sab.decode_errors + sab.encode_errors + sba.decode_errors + sba.encode_errors;
        eprintln!(
            "c{complexity}: {frames} measured frames; packets out A->B {}, B->A {}; \
             concealed {concealed}; codec errors {errors}; playout after arrival {:?}",
            path.out_ab - ab0,
            path.out_ba - ba0,
            delays,
        );
        let lag = |out: u64| frames.abs_diff(out);
        assert!(
            lag(path.out_ab - ab0) <= 1 && lag(path.out_ba - ba0) <= 1,
            "the path did not send one packet per frame each way"
        );
        assert_eq!(concealed, 0, "the path concealed frames in steady state");
        assert_eq!(errors, 0, "codec errors on the path");
    }
}

criterion_group!(benches, transcode_path);
criterion_main!(benches);
