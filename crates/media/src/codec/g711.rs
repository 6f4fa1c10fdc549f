//! G.711 mu-law (PCMU) and A-law (PCMA), bit-exact with the ITU-T G.191 reference tools.
//!
//! # Design
//!
//! * Decoding is one lookup in a 256-entry `i16` table per law.
//! * Encoding is one lookup in a table indexed by the input's significant bits: the 14-bit
//!   signed value (`s >> 2`, 16384 entries, 16 KiB) for mu-law and the 13-bit signed value
//!   (`s >> 3`, 8192 entries, 8 KiB) for A-law. G.711 only ever looks at those bits, so the
//!   table is exact for every `i16`.
//! * All four tables are computed by `const fn`s at compile time from the segment (chord)
//!   rule of G.711; there is no build script and no hand-typed table. The computed encoders
//!   ([`ulaw_encode_computed`], [`alaw_encode_computed`]) are kept public: they are what builds
//!   the tables, and the benchmark compares them with the lookups.
//!
//! Rounding follows G.191 (and so `audio-codec-algorithms`): the linear input is truncated to
//! 14 (mu-law) or 13 (A-law) bits by an arithmetic shift, and negative values take the ones'
//! complement of that, so for example `-1..=-4` encode to mu-law "negative zero" (`0x7f`), which
//! decodes to `0`. `tests/g711_every_code_value.rs` checks every `i16` against that crate.
//!
//! # Measured (benches/codecs.rs, 160 samples = 20 ms, release)
//!
//! Table encode 0.07 us (mu-law) and 0.09-0.12 us (A-law) per frame against 0.29-0.43 us for
//! the segment search (leading-zero count, shifts, branches; it does not vectorise): the
//! table is 3-4x faster, so the public encoders use it. Decode is 0.06-0.08 us per frame.
//! The tables cost 24 KiB of read-only data; a 20 ms frame touches at most 160 of its lines.

/// mu-law bias added to the 14-bit magnitude before the segment search.
const ULAW_BIAS: i32 = 33;
/// mu-law clips biased magnitudes above this (13 bits).
const ULAW_BIASED_MAX: i32 = 0x1fff;

/// Encodes one sample to mu-law by computing the segment (the reference for the table).
pub const fn ulaw_encode_computed(s: i16) -> u8 {
    let x = (s >> 2) as i32; // 14-bit signed: -8192..=8191
    let (sign, magnitude) = if x < 0 { (0x80u8, !x) } else { (0x00u8, x) };
    let biased = magnitude + ULAW_BIAS; // 33..=8224
    let code = if biased > ULAW_BIASED_MAX {
        0x7f
    } else {
        // biased >= 33 has its top bit at position 5..=12: segment 0..=7.
        let top = 31 - (biased as u32).leading_zeros();
        let segment = top - 5;
        let step = ((biased as u32) >> (segment + 1)) & 0x0f;
        ((segment << 4) | step) as u8
    };
    !(sign | code)
}

/// Encodes one sample to A-law by computing the segment (the reference for the table).
pub const fn alaw_encode_computed(s: i16) -> u8 {
    let x = (s >> 3) as i32; // 13-bit signed: -4096..=4095
    // A-law marks positive values with the sign bit set (before the 0x55 inversion).
    let (sign, magnitude) = if x >= 0 {
        (0x80u8, x as u32)
    } else {
        (0x00u8, (!x) as u32)
    };
    let code = if magnitude < 32 {
        // Segments 0 and 1 share the step size 2.
        (magnitude >> 1) & 0x0f
    } else {
        let top = 31 - magnitude.leading_zeros(); // 5..=11
        let segment = top - 4; // 1..=7
        (segment << 4) | ((magnitude >> segment) & 0x0f)
    };
    (sign | code as u8) ^ 0x55
}

const fn ulaw_decode_computed(c: u8) -> i16 {
    let c = !c;
    let segment = ((c >> 4) & 0x07) as i32;
    let step = (c & 0x0f) as i32;
    let magnitude = (((step << 3) + 0x84) << segment) - 0x84;
    if c & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

const fn alaw_decode_computed(c: u8) -> i16 {
    let c = c ^ 0x55;
    let segment = ((c >> 4) & 0x07) as i32;
    let step = (c & 0x0f) as i32;
    let magnitude = if segment == 0 {
        (step << 4) + 8
    } else {
        ((step << 4) + 0x108) << (segment - 1)
    };
    if c & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

const ULAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_computed(i as u8);
        i += 1;
    }
    t
};

const ALAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_computed(i as u8);
        i += 1;
    }
    t
};

/// Indexed by `(s >> 2) + 8192`.
static ULAW_ENCODE: [u8; 16384] = {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // The sample whose 14 significant bits are `i - 8192`.
        t[i] = ulaw_encode_computed(((i as i32 - 8192) << 2) as i16);
        i += 1;
    }
    t
};

/// Indexed by `(s >> 3) + 4096`.
static ALAW_ENCODE: [u8; 8192] = {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        t[i] = alaw_encode_computed(((i as i32 - 4096) << 3) as i16);
        i += 1;
    }
    t
};

/// Encodes one linear sample to mu-law.
#[inline]
pub fn ulaw_encode(s: i16) -> u8 {
    // The top 14 bits of `s` as offset binary: (s >> 2) + 8192, always below 16384, which
    // the compiler can see (no bounds check).
    ULAW_ENCODE[usize::from(((s as u16) >> 2) ^ 0x2000)]
}

/// Decodes one mu-law code to a linear sample.
#[inline]
pub fn ulaw_decode(c: u8) -> i16 {
    ULAW_DECODE[c as usize]
}

/// Encodes one linear sample to A-law.
#[inline]
pub fn alaw_encode(s: i16) -> u8 {
    // The top 13 bits of `s` as offset binary: (s >> 3) + 4096, always below 8192.
    ALAW_ENCODE[usize::from(((s as u16) >> 3) ^ 0x1000)]
}

/// Decodes one A-law code to a linear sample.
#[inline]
pub fn alaw_decode(c: u8) -> i16 {
    ALAW_DECODE[c as usize]
}

/// Encodes `min(pcm.len(), out.len())` samples to mu-law.
pub fn encode_ulaw(pcm: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = ulaw_encode(s);
    }
}

/// Decodes `min(codes.len(), out.len())` mu-law codes.
pub fn decode_ulaw(codes: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = ulaw_decode(c);
    }
}

/// Encodes `min(pcm.len(), out.len())` samples to A-law.
pub fn encode_alaw(pcm: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(pcm) {
        *o = alaw_encode(s);
    }
}

/// Decodes `min(codes.len(), out.len())` A-law codes.
pub fn decode_alaw(codes: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(codes) {
        *o = alaw_decode(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_encoders_match_computed_for_every_input() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), ulaw_encode_computed(s), "mu-law {s}");
            assert_eq!(alaw_encode(s), alaw_encode_computed(s), "A-law {s}");
        }
    }

    #[test]
    fn known_code_points() {
        // Silence codes.
        assert_eq!(ulaw_encode(0), 0xff);
        assert_eq!(alaw_encode(0), 0xd5);
        assert_eq!(ulaw_decode(0xff), 0);
        assert_eq!(alaw_decode(0xd5), 8);
        // Full scale.
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(alaw_encode(i16::MAX), 0xaa);
        assert_eq!(alaw_encode(i16::MIN), 0x2a);
        assert_eq!(alaw_decode(0xaa), 32256);
        assert_eq!(alaw_decode(0x2a), -32256);
    }

    #[test]
    fn decode_then_encode_is_identity_on_codes() {
        for c in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(c)), c, "A-law {c:#04x}");
            // mu-law has two zeros (0x7f and 0xff); both decode to 0, which encodes to 0xff.
            let expect = if c == 0x7f { 0xff } else { c };
            assert_eq!(ulaw_encode(ulaw_decode(c)), expect, "mu-law {c:#04x}");
        }
    }

    #[test]
    fn slice_forms_stop_at_the_shorter_slice() {
        let pcm = [0i16, 1000, -1000];
        let mut out = [0u8; 2];
        encode_ulaw(&pcm, &mut out);
        assert_eq!(out, [ulaw_encode(0), ulaw_encode(1000)]);
        let mut back = [7i16; 3];
        decode_alaw(&[0xd5], &mut back);
        assert_eq!(back, [8, 7, 7]);
    }
}
