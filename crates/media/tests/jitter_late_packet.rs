//! A packet arriving after its slot was concealed is Late: dropped, counted, and no longer
//! counted as lost.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, Sim, stream};
use tandem_media::jitter::{MissingReason, PushOutcome};

#[test]
fn packet_after_its_slot_is_late() {
    let n = 100;
    let mut pkts = stream(n, 4, 500, 0, |i| FRAME * i as u32);
    // Packet 550 is held 100 ms by the network; 551..555 arrive before it.
    pkts[50].arrival += Duration::from_millis(100);
    let mut sim = Sim::g711();
    sim.run(&pkts, FRAME * n as u32 + Duration::from_millis(300));

    let outcome = sim.pushes.iter().find(|(p, _)| p.seq == 550).unwrap().1;
    assert_eq!(outcome, PushOutcome::Late);
    let s = sim.stats();
    assert_eq!((s.late, s.lost), (1, 0), "{s:?}");
    assert_eq!(s.played, n as u64 - 1);
    let played = sim.played_seqs();
    assert!(!played.contains(&550));
    assert_eq!(played, (500..600).filter(|&q| q != 550).collect::<Vec<_>>());

    // Its slot was concealed: the gap between 549 and 551 was filled, ending with a `Lost`
    // slot that offers 551's payload for FEC only if 551 was already buffered.
    let i549 = sim
        .out
        .iter()
        .position(|o| matches!(o, Out::Frame { seq: 549, .. }))
        .unwrap();
    let i551 = sim
        .out
        .iter()
        .position(|o| matches!(o, Out::Frame { seq: 551, .. }))
        .unwrap();
    let concealed: u32 = sim.out[i549 + 1..i551]
        .iter()
        .map(|o| match o {
            Out::Missing {
                samples, reason, ..
            } => {
                assert_ne!(*reason, MissingReason::Stretch);
                *samples
            }
            Out::Frame { .. } => panic!("a frame between 549 and 551"),
        })
        .sum();
    assert_eq!(concealed, 160, "exactly one frame concealed");
}

#[test]
fn duplicate_of_a_played_packet_is_not_late() {
    let mut pkts = stream(10, 4, 0, 0, |i| FRAME * i as u32);
    let mut again = pkts[3].clone();
    again.arrival = FRAME * 6;
    pkts.push(again);
    let mut sim = Sim::g711();
    sim.run(&pkts, FRAME * 12);
    let s = sim.stats();
    assert_eq!((s.duplicate, s.late, s.played), (1, 0, 10), "{s:?}");
}
