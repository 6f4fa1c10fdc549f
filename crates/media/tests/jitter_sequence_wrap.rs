//! Sequence numbers crossing 65535 -> 0 and timestamps crossing u32::MAX (with reordering
//! right at each wrap) play in order without losses or resets.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, SAMPLES, Sim, stream};
use tandem_media::jitter::JitterConfig;

#[test]
fn sequence_and_timestamp_wrap() {
    let n = 200;
    let seq0 = 65_436; // 100 packets before the wrap
    let ts0 = u32::MAX - 60 * SAMPLES + 1; // wraps 60 packets in, mid-frame boundaries
    let mut pkts = stream(n, 1, seq0, ts0, |i| FRAME * i as u32);
    // The packets on both sides of the timestamp wrap (59, 60) and of the sequence
    // wrap (65535, 0) arrive swapped.
    for i in [59usize, 99] {
        pkts[i].arrival += Duration::from_millis(25);
    }
    // A 40 ms floor so that the swaps are absorbed from the start.
    let mut config = JitterConfig::new(8000, FRAME);
    config.min_delay = Duration::from_millis(40);
    let mut sim = Sim::new(config);
    sim.run(&pkts, FRAME * n as u32 + Duration::from_millis(300));

    let s = sim.stats();
    assert_eq!(
        (
            s.lost,
            s.late,
            s.resets,
            s.duplicate,
            s.overflow,
            s.dropped_for_drift
        ),
        (0, 0, 0, 0, 0, 0),
        "{s:?}"
    );
    let expected: Vec<u16> = (0..n).map(|i| seq0.wrapping_add(i as u16)).collect();
    assert_eq!(sim.played_seqs(), expected);
    assert_eq!(expected[99..101], [65_535, 0]);
    // Timestamps come out continuous across u32::MAX.
    let ts: Vec<u32> = sim
        .out
        .iter()
        .filter_map(|o| match o {
            Out::Frame { ts, .. } => Some(*ts),
            _ => None,
        })
        .collect();
    assert_eq!(ts.len(), n);
    assert!(
        ts[59] > u32::MAX - SAMPLES && ts[60] < SAMPLES,
        "the timestamp wraps"
    );
    assert!(ts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == SAMPLES));
}
