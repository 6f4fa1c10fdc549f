//! G.711 against an independent implementation (`audio-codec-algorithms`, itself checked
//! against the ITU-T G.191 tools): every code value decodes to the same sample, and every
//! `i16` input encodes to the same code, for both laws. Our encoders follow G.191's rounding
//! (truncate to 14/13 bits, ones' complement for negatives), so no difference is expected.

use audio_codec_algorithms as reference;
use tandem_media::codec::g711;

#[test]
fn ulaw_all_256_codes_decode_like_the_reference() {
    for c in 0..=255u8 {
        assert_eq!(
            g711::ulaw_decode(c),
            reference::decode_ulaw(c),
            "code {c:#04x}"
        );
    }
}

#[test]
fn alaw_all_256_codes_decode_like_the_reference() {
    for c in 0..=255u8 {
        assert_eq!(
            g711::alaw_decode(c),
            reference::decode_alaw(c),
            "code {c:#04x}"
        );
    }
}

#[test]
fn ulaw_every_i16_encodes_like_the_reference() {
    for s in i16::MIN..=i16::MAX {
        assert_eq!(g711::ulaw_encode(s), reference::encode_ulaw(s), "input {s}");
        assert_eq!(
            g711::ulaw_encode_computed(s),
            reference::encode_ulaw(s),
            "input {s}"
        );
    }
}

#[test]
fn alaw_every_i16_encodes_like_the_reference() {
    for s in i16::MIN..=i16::MAX {
        assert_eq!(g711::alaw_encode(s), reference::encode_alaw(s), "input {s}");
        assert_eq!(
            g711::alaw_encode_computed(s),
            reference::encode_alaw(s),
            "input {s}"
        );
    }
}

#[test]
fn slice_forms_agree_with_the_reference_over_all_inputs() {
    let pcm: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let mut mu = vec![0u8; pcm.len()];
    let mut a = vec![0u8; pcm.len()];
    g711::encode_ulaw(&pcm, &mut mu);
    g711::encode_alaw(&pcm, &mut a);
    let mut back_mu = vec![0i16; pcm.len()];
    let mut back_a = vec![0i16; pcm.len()];
    g711::decode_ulaw(&mu, &mut back_mu);
    g711::decode_alaw(&a, &mut back_a);
    for (i, &s) in pcm.iter().enumerate() {
        assert_eq!(mu[i], reference::encode_ulaw(s));
        assert_eq!(a[i], reference::encode_alaw(s));
        assert_eq!(
            back_mu[i],
            reference::decode_ulaw(reference::encode_ulaw(s))
        );
        assert_eq!(back_a[i], reference::decode_alaw(reference::encode_alaw(s)));
    }
}
