//! Sender clock 0.5 % fast or slow: over 10 simulated minutes the buffer level stays
//! bounded, nothing underruns, and the only losses are the drift corrections.

#![allow(clippy::unwrap_used)]

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, SAMPLES, Sim, stream};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tandem_media::jitter::MissingReason;

const MINUTES: u32 = 10;

/// Packets of a sender whose 20 ms take `period` of our time, with 0..1 ms jitter.
fn run(period: Duration, seed: u64) -> Sim {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n = (Duration::from_secs(60 * u64::from(MINUTES)).as_nanos() / period.as_nanos()) as usize;
    let pkts = stream(n, 3, 1, 5, |i| {
        period * i as u32 + Duration::from_micros(rng.random_range(0..=1000))
    });
    let mut sim = Sim::g711();
    // Stop right after the last packet so the tail silence does not count as underrun.
    sim.run(
        &pkts,
        pkts.last().unwrap().arrival + Duration::from_millis(10),
    );
    let s = sim.stats();
    assert_eq!(s.received, n as u64);
    assert_eq!(
        (s.lost, s.late, s.overflow, s.resets),
        (0, 0, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.concealed, 0, "no underruns: {s:?}");
    assert!(sim.max_buffered <= 3, "buffer level {}", sim.max_buffered);
    // Latency at the end is still small: no unbounded growth.
    let end = sim.now - Duration::from_secs(10);
    let tail = sim.latencies_after(end);
    assert!(
        tail.iter().all(|d| *d <= Duration::from_millis(30)),
        "max push-to-pop in the last 10 s: {:?}",
        tail.iter().max()
    );
    sim
}

#[test]
fn sender_fast_skips_a_frame_every_few_seconds() {
    // Its 20 ms last 19.9 ms here: 5 ms/s too much audio = 3 s over 10 minutes.
    let sim = run(FRAME * 995 / 1000, 11);
    let s = sim.stats();
    let expected = 3_000 / 20; // 150 frames of 20 ms
    assert!(
        (expected - 15..=expected + 5).contains(&s.dropped_for_drift),
        "dropped_for_drift {}",
        s.dropped_for_drift
    );
    assert_eq!(s.stretched, 0);
    assert_eq!(
        s.played + s.dropped_for_drift + u64::from(s.buffered),
        s.received
    );
    println!("fast sender: {s:?}");
}

#[test]
fn sender_slow_stretches_a_little_every_second() {
    // Its 20 ms last 20.1 ms here: 3 s of audio missing over 10 minutes, made up by stretch.
    let sim = run(FRAME * 1005 / 1000, 12);
    let s = sim.stats();
    assert_eq!(s.dropped_for_drift, 0);
    assert_eq!(s.played + u64::from(s.buffered), s.received);
    let stretched: u32 = sim
        .out
        .iter()
        .map(|o| match o {
            Out::Missing {
                samples,
                reason: MissingReason::Stretch,
                ..
            } => *samples,
            _ => 0,
        })
        .sum();
    let expected = 3 * 8000 * MINUTES / 10; // 3 s at 8 kHz
    assert!(
        stretched.abs_diff(expected) <= expected / 20,
        "stretched {stretched} samples, expected about {expected}"
    );
    assert_eq!(
        u64::from(stretched) % u64::from(SAMPLES / 8),
        0,
        "2.5 ms steps"
    );
    println!("slow sender: {s:?}, stretched {stretched} samples");
}
