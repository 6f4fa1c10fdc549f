//! Opus round trip (48 kHz mono, Voip, 32 kbit/s, FEC on, complexity 10): a 440 Hz tone
//! comes out as a 440 Hz tone (zero crossings and a Goertzel filter bank agree), at the same
//! level within 1 dB, delayed by the encoder's look-ahead (measured on a chirp, since a
//! tone's delay is only known modulo its period).

use tandem_media::codec::opus::OpusEncoder;
use tandem_media::codec::{
    CodecKind, Decoder, Encoder, MAX_FRAME_SAMPLES, MAX_PAYLOAD, OpusSettings,
};

const RATE: f64 = 48_000.0;
const FRAME: usize = 960;

fn tone(freq: f64, amp: f64, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / RATE).sin()).round() as i16)
        .collect()
}

fn rms(s: &[i16]) -> f64 {
    (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
}

/// Power at `freq` (Goertzel).
fn goertzel(s: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / RATE;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in s {
        let s0 = f64::from(x) + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - c * s1 * s2
}

/// Frequency from the positive-going zero crossings (interpolated).
fn zero_crossing_freq(s: &[i16]) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..s.len() {
        let (a, b) = (f64::from(s[i - 1]), f64::from(s[i]));
        if a < 0.0 && b >= 0.0 {
            crossings.push(i as f64 - 1.0 + (-a) / (b - a));
        }
    }
    let n = crossings.len() - 1;
    RATE * n as f64 / (crossings[n] - crossings[0])
}

/// Encodes and decodes `pcm` in 20 ms frames.
fn roundtrip(pcm: &[i16]) -> Vec<i16> {
    let mut enc = Encoder::new(CodecKind::Opus, &OpusSettings::default()).expect("encoder");
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut out = Vec::with_capacity(pcm.len());
    let mut payload = [0u8; MAX_PAYLOAD];
    let mut frame = [0i16; MAX_FRAME_SAMPLES];
    for chunk in pcm.chunks(FRAME) {
        let n = enc.encode(chunk, &mut payload).expect("encode");
        let m = dec.decode(&payload[..n], &mut frame).expect("decode");
        out.extend_from_slice(&frame[..m]);
    }
    out
}

#[test]
fn delay_is_the_encoder_look_ahead() {
    let lookahead = OpusEncoder::new(&OpusSettings::default())
        .expect("encoder")
        .lookahead()
        .expect("lookahead");
    assert_eq!(lookahead, 312, "6.5 ms at 48 kHz");
    // Linear chirp 200 Hz -> 3 kHz over 1 s: one clear correlation peak.
    let pcm: Vec<i16> = (0..50 * FRAME)
        .map(|i| {
            let t = i as f64 / RATE;
            let phase = 2.0 * std::f64::consts::PI * (200.0 * t + 1400.0 * t * t);
            (8000.0 * phase.sin()).round() as i16
        })
        .collect();
    let out = roundtrip(&pcm);
    let window = &pcm[5 * FRAME..40 * FRAME];
    let corr = |lag: usize| -> f64 {
        window
            .iter()
            .zip(&out[5 * FRAME + lag..])
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    let best = (0..1000)
        .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
        .expect("non-empty");
    // Measured: 309 (SILK's resampler delay differs from the nominal by a few samples).
    assert!(
        best.abs_diff(lookahead) <= 8,
        "delay {best} samples, look-ahead {lookahead}"
    );
}

#[test]
fn tone_survives_encode_decode() {
    let pcm = tone(440.0, 10_000.0, 50 * FRAME);
    let mut enc = Encoder::new(CodecKind::Opus, &OpusSettings::default()).expect("encoder");
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    assert_eq!(enc.complexity(), Some(10));
    let mut out = Vec::with_capacity(pcm.len());
    let mut payload = [0u8; MAX_PAYLOAD];
    let mut frame = [0i16; MAX_FRAME_SAMPLES];
    for chunk in pcm.chunks(FRAME) {
        let n = enc.encode(chunk, &mut payload).expect("encode");
        assert!(n > 0 && n <= 32_000 / 8 / 50 * 2, "payload {n} bytes");
        assert_eq!(dec.samples_in(&payload[..n]).expect("samples_in"), FRAME);
        let m = dec.decode(&payload[..n], &mut frame).expect("decode");
        assert_eq!(m, FRAME);
        out.extend_from_slice(&frame[..m]);
    }

    // Skip the first 100 ms (start-up), measure the rest after the delay.
    let settled = &out[5 * FRAME..];
    let f = zero_crossing_freq(settled);
    assert!((f - 440.0).abs() < 1.0, "zero crossings say {f:.2} Hz");
    let at = goertzel(settled, 440.0);
    for other in [220.0, 330.0, 400.0, 480.0, 550.0, 880.0] {
        let p = goertzel(settled, other);
        assert!(
            at > 100.0 * p,
            "440 Hz power {at:e} not dominant over {other} Hz {p:e}"
        );
    }
    let level_in = rms(&pcm[5 * FRAME - 312..pcm.len() - 312]);
    let level_out = rms(settled);
    let db = 20.0 * (level_out / level_in).log10();
    eprintln!("{f:.2} Hz, level {db:+.2} dB");
    assert!(db.abs() < 1.0, "level changed by {db:.2} dB");
}
