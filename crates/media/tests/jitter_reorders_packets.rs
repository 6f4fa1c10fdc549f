//! Reordered packets are played in sequence order.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Sim, stream};
use tandem_media::jitter::PushOutcome;

#[test]
fn burst_out_of_order_before_playout_is_sorted() {
    // Four packets delivered at once, in the order 3, 1, 0, 2.
    let sent = stream(4, 5, 100, 0, |_| Duration::ZERO);
    let pkts: Vec<_> = [3, 1, 0, 2].iter().map(|&i| sent[i].clone()).collect();
    let mut sim = Sim::g711();
    sim.run(&pkts, Duration::from_millis(100));
    assert_eq!(sim.played_seqs(), [100, 101, 102, 103]);
    let s = sim.stats();
    assert_eq!((s.lost, s.late), (0, 0));
}

#[test]
fn steady_reordering_is_absorbed() {
    // Every 5th packet is held back 25 ms by the network and arrives after its successor.
    let n = 1000;
    let pkts = stream(n, 5, 65_000, 0, |i| {
        let delay = if i % 5 == 2 { 25 } else { 0 };
        FRAME * i as u32 + Duration::from_millis(delay)
    });
    let mut sim = Sim::g711();
    sim.run(&pkts, FRAME * n as u32 + Duration::from_millis(200));

    // The first reordered packet may come too late (nothing told the buffer to wait yet);
    // once the delay has adapted every packet is played, in order.
    let late: Vec<u16> = sim
        .pushes
        .iter()
        .filter(|(_, o)| *o == PushOutcome::Late)
        .map(|(p, _)| p.seq)
        .collect();
    assert!(late.len() <= 1, "late after adaptation: {late:?}");
    let played = sim.played_seqs();
    assert!(
        played
            .windows(2)
            .all(|w| w[1] == w[0].wrapping_add(1) || late.contains(&w[0].wrapping_add(1)))
    );
    assert_eq!(played.len(), n - late.len());
    let s = sim.stats();
    assert!(
        (25..=40).contains(&s.target_delay_ms),
        "target {} ms",
        s.target_delay_ms
    );
}
