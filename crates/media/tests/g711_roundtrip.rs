//! G.711 round trip through the public `Encoder`/`Decoder`: the error of encode + decode is
//! bounded by half a quantisation step of the segment the sample falls in, for every input,
//! and a speech-level tone keeps the SNR G.711 is specified for (about 38 dB).

use tandem_media::codec::{CodecKind, Decoder, Encoder, OpusSettings};

/// Largest |decode(encode(s)) - s| allowed for a sample of magnitude `m`, per law: half the
/// quantisation step of its segment (G.711 decodes to the middle of a step).
fn max_error(kind: CodecKind, m: i32) -> i32 {
    match kind {
        // mu-law steps (16-bit scale): 8 in segment 0, doubling per segment; the largest
        // code decodes to 32124, so inputs above it clip.
        CodecKind::Pcmu => {
            if m > 32124 {
                m - 32124
            } else {
                let biased = (m >> 2) + 33;
                let segment = (31 - (biased as u32).leading_zeros()).saturating_sub(5);
                4 << segment
            }
        }
        // A-law steps (16-bit scale): 16 in segments 0 and 1, doubling per segment after.
        CodecKind::Pcma => {
            let mag = m >> 3;
            let segment = if mag < 32 {
                1
            } else {
                31 - (mag as u32).leading_zeros() - 4
            };
            8 << (segment - 1)
        }
        CodecKind::Opus => unreachable!(),
    }
}

fn roundtrip_all(kind: CodecKind) {
    let mut enc = Encoder::new(kind, &OpusSettings::default()).expect("encoder");
    let mut dec = Decoder::new(kind).expect("decoder");
    let pcm: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for chunk in pcm.chunks(160) {
        let mut payload = [0u8; 160];
        let n = enc.encode(chunk, &mut payload).expect("encode");
        assert_eq!(n, chunk.len());
        assert_eq!(dec.samples_in(&payload[..n]).expect("samples_in"), n);
        let mut out = [0i16; 160];
        assert_eq!(dec.decode(&payload[..n], &mut out).expect("decode"), n);
        for (&s, &d) in chunk.iter().zip(&out[..n]) {
            let err = (i32::from(s) - i32::from(d)).abs();
            let bound = max_error(kind, i32::from(s).abs());
            assert!(err <= bound, "{kind:?}: {s} -> {d}, error {err} > {bound}");
        }
    }
}

#[test]
fn pcmu_every_input_within_half_a_step() {
    roundtrip_all(CodecKind::Pcmu);
}

#[test]
fn pcma_every_input_within_half_a_step() {
    roundtrip_all(CodecKind::Pcma);
}

fn tone_snr_db(kind: CodecKind) -> f64 {
    let mut enc = Encoder::new(kind, &OpusSettings::default()).expect("encoder");
    let mut dec = Decoder::new(kind).expect("decoder");
    let (mut sig, mut noise) = (0.0f64, 0.0f64);
    for frame in 0..50 {
        let mut pcm = [0i16; 160];
        for (i, p) in pcm.iter_mut().enumerate() {
            let t = (frame * 160 + i) as f64 / 8000.0;
            *p = (8000.0 * (2.0 * std::f64::consts::PI * 1004.0 * t).sin()).round() as i16;
        }
        let mut payload = [0u8; 160];
        enc.encode(&pcm, &mut payload).expect("encode");
        let mut out = [0i16; 160];
        dec.decode(&payload, &mut out).expect("decode");
        for (&s, &d) in pcm.iter().zip(&out) {
            sig += f64::from(s).powi(2);
            noise += (f64::from(s) - f64::from(d)).powi(2);
        }
    }
    10.0 * (sig / noise).log10()
}

#[test]
fn tone_snr_is_about_38_db() {
    for kind in [CodecKind::Pcmu, CodecKind::Pcma] {
        let snr = tone_snr_db(kind);
        assert!((34.0..45.0).contains(&snr), "{kind:?}: SNR {snr:.1} dB");
    }
}
