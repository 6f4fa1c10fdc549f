//! When the incoming source changes (re-INVITE to a new source, forked early media), the
//! output keeps one SSRC, sequence numbers continue at last + 1, the timestamp advances by the
//! elapsed time at the clock rate, and the first packet of the new source carries the marker.

mod common;

use std::time::{Duration, Instant};

use common::{fields, payload, rtp};
use tandem_media::{RewriteOutcome, RewriterConfig, RtpHeaderMut, StreamRewriter};

fn feed(r: &mut StreamRewriter, now: Instant, p: &mut [u8]) -> RewriteOutcome {
    let mut h = RtpHeaderMut::parse(p).expect("valid RTP");
    r.handle_packet(now, &mut h)
}

#[test]
fn first_source_passes_through_untouched() {
    let t0 = Instant::now();
    let mut r = StreamRewriter::new(RewriterConfig::new(8000));
    for i in 0..100u16 {
        let mut p = rtp(
            0xaaaa,
            65_500u16.wrapping_add(i),
            1_000 + 160 * u32::from(i),
            &payload(i.into()),
        );
        let before = p.clone();
        let o = feed(
            &mut r,
            t0 + Duration::from_millis(20 * u64::from(i)),
            &mut p,
        );
        assert_eq!(o, RewriteOutcome::PassThrough);
        assert_eq!(p, before, "packet {i} was modified");
    }
    assert!(!r.is_rewriting());
}

#[test]
fn new_source_continues_the_stream() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut r = StreamRewriter::new(RewriterConfig::new(8000));
    // Source 1: 10 packets, seq 65530.. (wrapping), ts from 4_294_960_000 (wrapping).
    let mut last = (0u16, 0u32);
    for i in 0..10u16 {
        let mut p = rtp(
            0x1111,
            65_530u16.wrapping_add(i),
            4_294_960_000u32.wrapping_add(160 * u32::from(i)),
            &payload(0),
        );
        feed(&mut r, t0 + ms(20 * u64::from(i)), &mut p);
        let (seq, ts, ..) = fields(&p);
        last = (seq, ts);
    }
    assert_eq!(last.0, 3); // wrapped

    // Source 2 starts 50 ms after the last packet of source 1, with unrelated numbers.
    let t_switch = t0 + ms(180 + 50);
    let mut p = rtp(0x2222, 777, 123_456, &payload(1));
    let body = p[12..].to_vec();
    assert_eq!(feed(&mut r, t_switch, &mut p), RewriteOutcome::Switched);
    let (seq, ts, ssrc, marker) = fields(&p);
    assert_eq!(ssrc, 0x1111, "output SSRC stays the first source's");
    assert_eq!(seq, last.0.wrapping_add(1));
    assert_eq!(ts, last.1.wrapping_add(50 * 8), "50 ms at 8 kHz");
    assert!(marker);
    assert_eq!(&p[12..], &body[..], "payload untouched");

    // Following packets of source 2 keep the offsets, without the marker.
    for i in 1..5u16 {
        let mut p = rtp(0x2222, 777 + i, 123_456 + 160 * u32::from(i), &payload(1));
        assert_eq!(
            feed(&mut r, t_switch + ms(20 * u64::from(i)), &mut p),
            RewriteOutcome::Rewritten
        );
        let (s, t, ssrc, marker) = fields(&p);
        assert_eq!(
            (s, t, ssrc, marker),
            (seq + i, ts + 160 * u32::from(i), 0x1111, false)
        );
    }
    assert_eq!(r.switches(), 1);
}

#[test]
fn reordered_packets_are_not_a_switch() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut r = StreamRewriter::new(RewriterConfig::new(8000));
    // After a switch, so offsets are non-zero.
    feed(&mut r, t0, &mut rtp(1, 100, 0, &[0; 160]));
    feed(&mut r, t0 + ms(20), &mut rtp(2, 5_000, 9_000, &[0; 160]));
    let base = r.seq_offset();
    // 5002 arrives before 5001; then a packet 50 behind the highest.
    for (i, seq) in [5_002u16, 5_001, 5_003, 4_953].into_iter().enumerate() {
        let mut p = rtp(2, seq, 9_000 + 160 * u32::from(seq % 100), &[0; 160]);
        let o = feed(&mut r, t0 + ms(40 + 20 * i as u64), &mut p);
        assert_eq!(o, RewriteOutcome::Rewritten, "seq {seq}");
        assert_eq!(fields(&p).0, seq.wrapping_add(base));
        assert!(!fields(&p).3);
    }
    assert_eq!(r.switches(), 1);
}

#[test]
fn forked_sources_do_not_flap() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut r = StreamRewriter::new(RewriterConfig::new(8000));
    let mut forwarded_from = Vec::new();
    // Two forks interleave every 10 ms; fork 2 starts second and wins.
    for i in 0..20u16 {
        let (ssrc, seq) = if i % 2 == 0 {
            (0xf1, 1000 + i / 2)
        } else {
            (0xf2, 3000 + i / 2)
        };
        let mut p = rtp(ssrc, seq, 160 * u32::from(i / 2), &[0; 160]);
        if feed(&mut r, t0 + ms(10 * u64::from(i)), &mut p).forward() {
            forwarded_from.push(ssrc);
        }
    }
    assert_eq!(forwarded_from[0], 0xf1);
    assert!(
        forwarded_from[1..].iter().all(|s| *s == 0xf2),
        "{forwarded_from:x?}"
    );
    assert_eq!(r.switches(), 1);
}
