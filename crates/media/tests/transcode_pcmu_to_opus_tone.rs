//! A 440 Hz tone arriving as PCMU leaves the transcoder as Opus at 48 kHz:
//! decoded, it has the same frequency and level (within 1 dB), one output
//! packet per input packet, consecutive sequence numbers from the input's
//! first, 960 timestamp units apart, and the input's SSRC.

use std::time::{Duration, Instant};

use tandem_media::codec::{CodecKind, Decoder, g711};
use tandem_media::transcode::{StreamFormat, Transcoder, TranscoderConfig};

fn rms_db(x: &[f64]) -> f64 {
    let p = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    10.0 * p.log10()
}

fn zero_crossing_freq(x: &[f64], rate: f64) -> f64 {
    let mut crossings = 0;
    for w in x.windows(2) {
        if w[0] < 0.0 && w[1] >= 0.0 {
            crossings += 1;
        }
    }
    crossings as f64 * rate / x.len() as f64
}

#[test]
fn tone_crosses_from_pcmu_to_opus() {
    let input = StreamFormat {
        codec: CodecKind::Pcmu,
        payload_type: 0,
        ptime_ms: 20,
        telephone_event: None,
    };
    let output = StreamFormat {
        codec: CodecKind::Opus,
        payload_type: 111,
        ptime_ms: 20,
        telephone_event: None,
    };
    let mut t = Transcoder::new(&TranscoderConfig::new(input, output)).unwrap();
    let t0 = Instant::now();
    let amp = 0.3 * 32767.0;
    let mut sent = Vec::new();
    let mut out_packets: Vec<(Instant, Vec<u8>)> = Vec::new();
    let frames = 150; // 3 s
    let mut now = t0;
    for f in 0..frames {
        let arrival = t0 + Duration::from_millis(20 * f as u64);
        // Play out everything due before this packet arrives.
        while let Some(due) = t.poll_timeout().filter(|d| *d <= arrival) {
            now = due;
            t.handle_timeout(now);
            while let Some(p) = t.poll_transmit() {
                out_packets.push((now, p.to_vec()));
            }
        }
        now = arrival;
        let pcm: Vec<i16> = (0..160)
            .map(|i| {
                let n = (f * 160 + i) as f64;
                (amp * (2.0 * std::f64::consts::PI * 440.0 * n / 8000.0).sin()) as i16
            })
            .collect();
        sent.extend(pcm.iter().map(|&s| f64::from(s)));
        let mut payload = [0u8; 160];
        g711::encode_ulaw(&pcm, &mut payload);
        t.handle_rtp(
            now,
            0x1234_5678,
            1000 + f as u16,
            8000 + 160 * f as u32,
            f == 0,
            0,
            &payload,
        );
    }
    let end = now + Duration::from_millis(200);
    while let Some(due) = t.poll_timeout().filter(|d| *d <= end) {
        t.handle_timeout(due);
        while let Some(p) = t.poll_transmit() {
            out_packets.push((due, p.to_vec()));
        }
    }

    assert!(
        out_packets.len() >= frames - 1,
        "{} packets out",
        out_packets.len()
    );
    let mut dec = Decoder::new(CodecKind::Opus).unwrap();
    let mut got = Vec::new();
    let mut pcm = vec![0i16; 5760];
    for (i, (_, p)) in out_packets.iter().enumerate() {
        assert_eq!(p[1] & 0x7f, 111);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 1000 + i as u16);
        assert_eq!(u32::from_be_bytes([p[8], p[9], p[10], p[11]]), 0x1234_5678);
        if i > 0 {
            let ts = u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
            let prev = &out_packets[i - 1].1;
            let pts = u32::from_be_bytes([prev[4], prev[5], prev[6], prev[7]]);
            assert_eq!(ts.wrapping_sub(pts), 960);
        }
        let n = dec.decode(&p[12..], &mut pcm).unwrap();
        got.extend(pcm[..n].iter().map(|&s| f64::from(s)));
    }
    // Skip the first 200 ms (codec start-up).
    let got = &got[9600..got.len() - 4800];
    let sent = &sent[1600..];
    let f = zero_crossing_freq(got, 48000.0);
    assert!((f - 440.0).abs() < 2.0, "{f} Hz");
    let d = rms_db(got) - rms_db(sent);
    assert!(d.abs() < 1.0, "level changed by {d:.2} dB");
}
