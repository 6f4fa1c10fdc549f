//! An SSRC change or a timestamp jump (re-INVITE, new source) flushes the buffer and
//! resynchronises on the new packet; stragglers of the old SSRC are dropped.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, SAMPLES, Sim, stream};
use tandem_media::jitter::{JitterConfig, PushOutcome};

fn jittery_config() -> JitterConfig {
    // A 60 ms floor keeps a few packets buffered, so the flush is visible.
    let mut c = JitterConfig::new(8000, FRAME);
    c.min_delay = Duration::from_millis(60);
    c
}

#[test]
fn ssrc_change_resets() {
    let mut sim = Sim::new(jittery_config());
    let a = stream(50, 0xaaaa, 100, 0, |i| FRAME * i as u32);
    sim.run(&a, FRAME * 49);
    let buffered_before = sim.stats().buffered;
    assert!(buffered_before >= 2, "{buffered_before}");

    // B starts 1 ms after A's last packet; one straggler of A follows.
    let switch = FRAME * 49 + Duration::from_millis(1);
    let mut b = stream(50, 0xbbbb, 7000, 123_456, |i| switch + FRAME * i as u32);
    let mut straggler = a[49].clone();
    straggler.seq = 150;
    straggler.ts = 50 * SAMPLES;
    straggler.arrival = switch + Duration::from_millis(3);
    b.push(straggler);
    sim.run(&b, switch + FRAME * 52);

    let outcomes: Vec<_> = sim.pushes[50..].iter().map(|(p, o)| (p.ssrc, *o)).collect();
    assert_eq!(outcomes[0], (0xbbbb, PushOutcome::Reset));
    assert_eq!(
        outcomes[1],
        (0xaaaa, PushOutcome::Late),
        "old SSRC straggler"
    );
    assert!(outcomes[2..].iter().all(|(_, o)| *o == PushOutcome::Queued));

    let s = sim.stats();
    assert_eq!(s.resets, 1);
    // A's frames still buffered at the switch are never played; B plays completely.
    let frames: Vec<(u32, u16)> = sim
        .out
        .iter()
        .filter_map(|o| match o {
            Out::Frame { ssrc, seq, .. } => Some((*ssrc, *seq)),
            _ => None,
        })
        .collect();
    let first_b = frames.iter().position(|f| f.0 == 0xbbbb).unwrap();
    assert!(frames[first_b..].iter().all(|f| f.0 == 0xbbbb));
    assert_eq!(first_b, 50 - buffered_before as usize);
    assert_eq!(frames.len() - first_b, 50);
    // B's playout starts at B's own target delay (60 ms floor), not after A's backlog.
    let Out::Frame { at, arrival, .. } = sim
        .out
        .iter()
        .find(|o| matches!(o, Out::Frame { ssrc: 0xbbbb, .. }))
        .unwrap()
        .clone()
    else {
        unreachable!()
    };
    assert!(
        at - arrival <= Duration::from_millis(62),
        "{:?}",
        at - arrival
    );
}

#[test]
fn timestamp_jump_resets() {
    let mut sim = Sim::g711();
    let mut pkts = stream(100, 9, 1, 1000, |i| FRAME * i as u32);
    // Same SSRC, sequence continues, but from packet 50 on the timestamps jump by 1 hour.
    for p in &mut pkts[50..] {
        p.ts = p.ts.wrapping_add(8000 * 3600);
    }
    sim.run(&pkts, FRAME * 101);

    assert_eq!(sim.pushes[50].1, PushOutcome::Reset);
    assert!(
        sim.pushes
            .iter()
            .enumerate()
            .all(|(i, (_, o))| i == 50 || *o == PushOutcome::Queued)
    );
    let s = sim.stats();
    assert_eq!(
        (s.resets, s.played, s.lost, s.late),
        (1, 100, 0, 0),
        "{s:?}"
    );
    // Playout continues without a hiccup: the frame after the jump is not delayed.
    let lat = sim.latencies_after(Duration::ZERO);
    assert!(
        lat.iter().all(|d| *d <= Duration::from_millis(5)),
        "{lat:?}"
    );
    assert_eq!(sim.played_seqs(), (1..=100).collect::<Vec<u16>>());
}
