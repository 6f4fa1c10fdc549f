//! Opus loss recovery through `Decoder::conceal`: a lost 20 ms packet concealed with the
//! in-band FEC of the packet that follows is much closer to what the lost packet decodes to
//! than silence is (and closer than PLC); PLC with no next packet still continues the signal
//! rather than going silent; decoding carries on normally after either; a malformed next
//! packet makes concealment fall back to PLC instead of failing.

use tandem_media::codec::{
    CodecKind, Decoder, Encoder, MAX_FRAME_SAMPLES, MAX_PAYLOAD, OpusSettings,
};

const RATE: f64 = 48_000.0;
const FRAME: usize = 960;
const FRAMES: usize = 50;
const LOST: usize = 25;

/// Speech-like: harmonics of a gliding 120..160 Hz voice with falling weights, under a 4 Hz
/// syllable envelope that never quite closes.
fn speech_like(n: usize) -> Vec<i16> {
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE;
            let f0 = 140.0 + 20.0 * (2.0 * std::f64::consts::PI * 1.3 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / RATE;
            let mut v = 0.0;
            for h in 1..=12 {
                let weight = 1.0 / h as f64 * if (3..=5).contains(&h) { 2.0 } else { 1.0 };
                v += weight * (h as f64 * phase).sin();
            }
            let env = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
            (3000.0 * env * v).round() as i16
        })
        .collect()
}

fn energy(s: &[i16]) -> f64 {
    s.iter().map(|&v| f64::from(v).powi(2)).sum()
}

fn distance(a: &[i16], b: &[i16]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum()
}

struct Packets {
    bytes: Vec<[u8; MAX_PAYLOAD]>,
    lens: Vec<usize>,
}

impl Packets {
    fn get(&self, i: usize) -> &[u8] {
        &self.bytes[i][..self.lens[i]]
    }
}

fn encode_all(pcm: &[i16]) -> Packets {
    encode_all_with(pcm, &OpusSettings::default())
}

fn encode_all_with(pcm: &[i16], settings: &OpusSettings) -> Packets {
    let mut enc = Encoder::new(CodecKind::Opus, settings).expect("encoder");
    let mut p = Packets {
        bytes: Vec::new(),
        lens: Vec::new(),
    };
    for chunk in pcm.chunks(FRAME) {
        let mut buf = [0u8; MAX_PAYLOAD];
        let n = enc.encode(chunk, &mut buf).expect("encode");
        p.bytes.push(buf);
        p.lens.push(n);
    }
    p
}

/// Decodes every packet, except that packet `LOST` is concealed with `next` as given.
fn decode_with_loss(p: &Packets, use_fec: bool) -> Vec<i16> {
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut out = vec![0i16; FRAMES * FRAME];
    let mut buf = [0i16; MAX_FRAME_SAMPLES];
    for i in 0..FRAMES {
        let n = if i == LOST {
            let next = use_fec.then(|| p.get(i + 1));
            dec.conceal(FRAME, next, &mut buf).expect("conceal")
        } else {
            dec.decode(p.get(i), &mut buf).expect("decode")
        };
        assert_eq!(n, FRAME);
        out[i * FRAME..(i + 1) * FRAME].copy_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn fec_from_next_packet_beats_silence_and_plc() {
    let pcm = speech_like(FRAMES * FRAME);
    let packets = encode_all(&pcm);
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut clean = vec![0i16; FRAMES * FRAME];
    for i in 0..FRAMES {
        dec.decode(packets.get(i), &mut clean[i * FRAME..(i + 1) * FRAME])
            .expect("decode");
    }
    let fec = decode_with_loss(&packets, true);
    let plc = decode_with_loss(&packets, false);

    let lost = LOST * FRAME..(LOST + 1) * FRAME;
    let silence_err = energy(&clean[lost.clone()]);
    let fec_err = distance(&fec[lost.clone()], &clean[lost.clone()]);
    let plc_err = distance(&plc[lost.clone()], &clean[lost.clone()]);
    let db = |e: f64| 10.0 * (silence_err / e).log10();
    eprintln!(
        "lost frame SNR vs clean decode: FEC {:.1} dB, PLC {:.1} dB",
        db(fec_err),
        db(plc_err)
    );
    // FEC: at least 10 dB closer than silence, and closer than PLC.
    assert!(
        fec_err * 10.0 < silence_err,
        "FEC only {:.1} dB",
        db(fec_err)
    );
    assert!(
        fec_err < plc_err,
        "FEC {:.1} dB not better than PLC {:.1} dB",
        db(fec_err),
        db(plc_err)
    );
    // And the FEC frame was really different from PLC's guess.
    assert_ne!(fec[lost.clone()], plc[lost.clone()]);
    // Decoding goes on: the decoder's prediction state reconverges to the clean decode
    // (measured: FEC path 15, 21, 23, 27 dB ... 44 dB after 7 frames; PLC path a few dB
    // behind), so 200 ms later both are within -30 dB of it.
    let later = (LOST + 10) * FRAME..(LOST + 11) * FRAME;
    let e = energy(&clean[later.clone()]);
    assert!(distance(&fec[later.clone()], &clean[later.clone()]) * 1000.0 < e);
    assert!(distance(&plc[later.clone()], &clean[later.clone()]) * 1000.0 < e);
    // The frame right after the concealed one is decoded, not silent or garbage.
    let next = (LOST + 1) * FRAME..(LOST + 2) * FRAME;
    assert!(distance(&fec[next.clone()], &clean[next.clone()]) * 10.0 < energy(&clean[next]));
}

#[test]
fn without_fec_at_the_encoder_the_next_packet_adds_nothing() {
    // Control: the gain above comes from the LBRR our encoder settings put in the packets.
    let pcm = speech_like(FRAMES * FRAME);
    let settings = OpusSettings {
        fec: false,
        ..OpusSettings::default()
    };
    let packets = encode_all_with(&pcm, &settings);
    let with_next = decode_with_loss(&packets, true);
    let without = decode_with_loss(&packets, false);
    let lost = LOST * FRAME..(LOST + 1) * FRAME;
    assert_eq!(with_next[lost.clone()], without[lost]);
}

#[test]
fn plc_without_next_continues_the_signal() {
    let pcm = speech_like(FRAMES * FRAME);
    let packets = encode_all(&pcm);
    let plc = decode_with_loss(&packets, false);
    let before = energy(&plc[(LOST - 1) * FRAME..LOST * FRAME]);
    let concealed = energy(&plc[LOST * FRAME..(LOST + 1) * FRAME]);
    let db = 10.0 * (concealed / before).log10();
    eprintln!("PLC frame level vs the frame before: {db:.1} dB");
    // Not silent: within 10 dB of the frame before it.
    assert!(db > -10.0, "PLC frame {db:.1} dB below the previous frame");
    // And a second lost frame in a row still produces something, but fades.
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut buf = [0i16; MAX_FRAME_SAMPLES];
    for i in 0..LOST {
        dec.decode(packets.get(i), &mut buf).expect("decode");
    }
    let mut gap = vec![0i16; 5 * FRAME];
    assert_eq!(
        dec.conceal(5 * FRAME, None, &mut gap).expect("conceal"),
        5 * FRAME
    );
    assert!(energy(&gap[..FRAME]) > 0.1 * before);
    assert!(energy(&gap[4 * FRAME..]) < energy(&gap[..FRAME]));
}

#[test]
fn malformed_next_packet_falls_back_to_plc() {
    // A malformed "next" packet must not fail the concealment: PLC fills the gap.
    let pcm = speech_like(FRAMES * FRAME);
    let packets = encode_all(&pcm);
    let mut dec = Decoder::new(CodecKind::Opus).expect("decoder");
    let mut buf = [0i16; MAX_FRAME_SAMPLES];
    for i in 0..LOST {
        dec.decode(packets.get(i), &mut buf).expect("decode");
    }
    let n = dec
        .conceal(FRAME, Some(&[0x03]), &mut buf)
        .expect("conceal");
    assert_eq!(n, FRAME);
    assert!(energy(&buf[..FRAME]) > 0.0);
}
