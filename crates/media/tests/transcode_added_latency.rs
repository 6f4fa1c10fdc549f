//! The latency the transcoding path adds, in both directions, on a clean
//! network: the jitter buffer holds a packet about 2 ms (packet in -> packet
//! out), and the audio inside is shifted by the resampler (5 ms); toward
//! Opus also by the Opus encoder's look-ahead (6.5 ms, the codec's own
//! algorithmic delay), and from Opus the sender's look-ahead shows up too.
//! Printed for the record (docs/benchmarks.md): the gateway's own part,
//! hold + resampler, is 7 ms, within the 10 ms beyond packetization.

mod transcode_common;

use std::time::Duration;

use tandem_media::codec::{CodecKind, Encoder, OpusSettings, g711};
use tandem_media::transcode::{StreamFormat, Transcoder, TranscoderConfig};
use transcode_common::*;

fn fmt(codec: CodecKind, pt: u8) -> StreamFormat {
    StreamFormat {
        codec,
        payload_type: pt,
        ptime_ms: 20,
        telephone_event: None,
    }
}

/// Index of the largest absolute sample.
fn peak(x: &[f64]) -> usize {
    x.iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
}

/// Feeds 2 s with a click at 1.000 s; returns (mean packet hold, content delay).
fn measure(input: CodecKind, output: CodecKind) -> (Duration, Duration) {
    let (in_pt, out_pt) = (
        if input == CodecKind::Opus { 111 } else { 0 },
        if output == CodecKind::Opus { 111 } else { 0 },
    );
    let mut d = Driver::new(
        Transcoder::new(&TranscoderConfig::new(
            fmt(input, in_pt),
            fmt(output, out_pt),
        ))
        .expect("test setup"),
    );
    let rate = input.sample_rate() as usize;
    let frame = rate / 50;
    let mut enc = Encoder::new(input, &OpusSettings::default()).expect("test setup");
    let mut arrivals = Vec::new();
    for f in 0..100usize {
        let pcm: Vec<i16> = (0..frame)
            .map(|i| {
                let n = f * frame + i;
                // A short click: a 1 ms raised-cosine burst at 1.000 s.
                let c = n as f64 - rate as f64;
                let w = rate as f64 / 1000.0;
                if (0.0..w).contains(&c) {
                    (20000.0 * (1.0 - (2.0 * std::f64::consts::PI * c / w).cos()) / 2.0) as i16
                } else {
                    0
                }
            })
            .collect();
        let mut payload = vec![0u8; 1500];
        let n = if input == CodecKind::Opus {
            enc.encode(&pcm, &mut payload).expect("test setup")
        } else {
            g711::encode_ulaw(&pcm, &mut payload[..frame]);
            frame
        };
        let at = d.ms(20 * f as u64);
        arrivals.push(at);
        d.packet(
            at,
            f as u16,
            (frame * f) as u32,
            f == 0,
            in_pt,
            &payload[..n],
        );
    }
    d.run_until(d.ms(2500));
    // Packet n out vs packet n in.
    let audio_out: Vec<_> = d.out.iter().filter(|o| o.pt == out_pt).collect();
    let holds: Vec<Duration> = audio_out
        .iter()
        .zip(&arrivals)
        .map(|(o, a)| o.at.saturating_duration_since(*a))
        .collect();
    let hold = holds[10..].iter().sum::<Duration>() / (holds.len() - 10) as u32;
    let decoded = d.decoded_audio(output, out_pt);
    let out_rate = output.sample_rate() as f64;
    let click_out = peak(&decoded) as f64 / out_rate;
    // The click's centre is 0.5 ms after 1.000 s in the input.
    let content = (click_out - 1.0005).max(0.0);
    (hold, Duration::from_secs_f64(content))
}

#[test]
fn added_latency_is_small() {
    for (i, o) in [
        (CodecKind::Pcmu, CodecKind::Opus),
        (CodecKind::Opus, CodecKind::Pcmu),
    ] {
        let (hold, content) = measure(i, o);
        eprintln!(
            "{} -> {}: packet held {:.2} ms; audio shifted {:.2} ms (resampler 5 ms{}); total {:.2} ms",
            i.name(),
            o.name(),
            hold.as_secs_f64() * 1e3,
            content.as_secs_f64() * 1e3,
            if o == CodecKind::Opus {
                " + Opus look-ahead 6.5 ms"
            } else {
                " + Opus decoder delay in the input"
            },
            (hold + content).as_secs_f64() * 1e3
        );
        assert!(
            hold <= Duration::from_millis(3),
            "jitter buffer held {hold:?}"
        );
        // Content shift: 5 ms resampler + 6.5 ms Opus look-ahead (ours or the sender's).
        let codec = Duration::from_micros(6500);
        assert!(
            content <= codec + Duration::from_millis(6),
            "audio shifted {content:?}"
        );
        assert!(hold + content - codec.min(content) <= Duration::from_millis(10));
    }
}
