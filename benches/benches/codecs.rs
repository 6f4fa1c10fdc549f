//! Codec costs per 20 ms frame: G.711 (both laws, encode by table and by segment search,
//! decode), G.711 concealment, Opus encode at complexity 0, 5 and 10 (48 kHz mono,
//! 32 kbit/s, FEC on) on a speech-like signal, Opus decode, PLC and FEC.
//!
//! `cargo bench --bench codecs -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tandem_media::codec::{
    CodecKind, Decoder, Encoder, G711Concealer, MAX_FRAME_SAMPLES, MAX_PAYLOAD, OpusSettings, g711,
};

const G711_FRAME: usize = 160;
const OPUS_FRAME: usize = 960;
/// Frames of test signal cycled through, so the encoders do not see one frame forever.
const FRAMES: usize = 50;

/// Speech-like: harmonics of a gliding voice under a 4 Hz syllable envelope.
fn speech_like(rate: f64, n: usize) -> Vec<i16> {
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            let f0 = 140.0 + 20.0 * (2.0 * std::f64::consts::PI * 1.3 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / rate;
            let mut v = 0.0;
            for h in 1..=12 {
                if h as f64 * f0 < rate / 2.0 {
                    v += (h as f64 * phase).sin() / h as f64;
                }
            }
            let env = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
            (3000.0 * env * v).round() as i16
        })
        .collect()
}

fn g711(c: &mut Criterion) {
    let pcm = speech_like(8000.0, G711_FRAME * FRAMES);
    let mut codes = vec![0u8; pcm.len()];
    g711::encode_ulaw(&pcm, &mut codes);
    let mut alaw_codes = vec![0u8; pcm.len()];
    g711::encode_alaw(&pcm, &mut alaw_codes);
    let mut out8 = [0u8; G711_FRAME];
    let mut out16 = [0i16; G711_FRAME];

    let mut g = c.benchmark_group("g711_20ms");
    let mut k = 0;
    let mut next = || {
        k = (k + 1) % FRAMES;
        k * G711_FRAME..(k + 1) * G711_FRAME
    };
    g.bench_function("ulaw_encode_table", |b| {
        b.iter(|| g711::encode_ulaw(black_box(&pcm[next()]), &mut out8))
    });
    g.bench_function("ulaw_encode_computed", |b| {
        b.iter(|| {
            for (o, &s) in out8.iter_mut().zip(black_box(&pcm[next()])) {
                *o = g711::ulaw_encode_computed(s);
            }
        })
    });
    g.bench_function("ulaw_decode", |b| {
        b.iter(|| g711::decode_ulaw(black_box(&codes[next()]), &mut out16))
    });
    g.bench_function("alaw_encode_table", |b| {
        b.iter(|| g711::encode_alaw(black_box(&pcm[next()]), &mut out8))
    });
    g.bench_function("alaw_encode_computed", |b| {
        b.iter(|| {
            for (o, &s) in out8.iter_mut().zip(black_box(&pcm[next()])) {
                *o = g711::alaw_encode_computed(s);
            }
        })
    });
    g.bench_function("alaw_decode", |b| {
        b.iter(|| g711::decode_alaw(black_box(&alaw_codes[next()]), &mut out16))
    });
    // Decoder::decode includes feeding the concealer's history.
    let mut dec = Decoder::new(CodecKind::Pcmu).expect("decoder");
    g.bench_function("pcmu_decoder_decode", |b| {
        b.iter(|| dec.decode(black_box(&codes[next()]), &mut out16))
    });
    // One good frame, then the first 20 ms of a loss (pitch search included).
    let mut plc = G711Concealer::new(8000);
    let mut good = [0i16; G711_FRAME];
    g.bench_function("plc_good_then_conceal", |b| {
        b.iter(|| {
            good.copy_from_slice(&pcm[next()]);
            plc.good_frame(&mut good);
            plc.conceal(&mut out16);
        })
    });
    g.finish();
}

fn opus(c: &mut Criterion) {
    let pcm = speech_like(48_000.0, OPUS_FRAME * FRAMES);
    let mut payload = [0u8; MAX_PAYLOAD];
    let mut g = c.benchmark_group("opus_20ms");
    for complexity in [0u8, 5, 10] {
        let settings = OpusSettings {
            complexity,
            ..OpusSettings::default()
        };
        let mut enc = Encoder::new(CodecKind::Opus, &settings).expect("encoder");
        let mut k = 0;
        g.bench_function(format!("encode_c{complexity}"), |b| {
            b.iter(|| {
                k = (k + 1) % FRAMES;
                let frame = &pcm[k * OPUS_FRAME..(k + 1) * OPUS_FRAME];
                enc.encode(black_box(frame), &mut payload)
            })
        });
    }

    let mut enc = Encoder::new(CodecKind::Opus, &OpusSettings::default()).expect("encoder");
    let packets: Vec<Vec<u8>> = pcm
        .chunks(OPUS_FRAME)
        .map(|f| {
            let n = enc.encode(f, &mut payload).expect("encode");
            payload[..n].to_vec()
        })
        .collect();
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut out = [0i16; MAX_FRAME_SAMPLES];
    let mut k = 0;
    g.bench_function("decode", |b| {
        b.iter(|| {
            k = (k + 1) % FRAMES;
            dec.decode(black_box(&packets[k]), &mut out)
        })
    });
    g.bench_function("conceal_plc", |b| {
        b.iter(|| {
            k = (k + 1) % FRAMES;
            dec.decode(&packets[k], &mut out).expect("decode");
            dec.conceal(OPUS_FRAME, None, &mut out)
        })
    });
    g.bench_function("conceal_fec", |b| {
        b.iter(|| {
            k = (k + 1) % (FRAMES - 1);
            dec.decode(&packets[k], &mut out).expect("decode");
            dec.conceal(OPUS_FRAME, Some(&packets[k + 1]), &mut out)
        })
    });
    g.finish();
}

criterion_group!(benches, g711, opus);
criterion_main!(benches);
