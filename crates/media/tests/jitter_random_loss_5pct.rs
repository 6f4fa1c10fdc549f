//! 5 % random loss: the losses are counted, every other frame is played exactly once and
//! in order, and each gap is concealed.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, Sim, stream};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tandem_media::jitter::MissingReason;

#[test]
fn random_loss_is_counted_and_concealed() {
    let mut rng = SmallRng::seed_from_u64(42);
    let n = 3000;
    let all = stream(n, 9, 40_000, 1_000_000, |i| {
        FRAME * i as u32 + Duration::from_micros(rng.random_range(0..=500))
    });
    // Drop 5 % (never the first packet: it starts the playout clock).
    let kept: Vec<_> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i == 0 || *i == n - 1 || !rng.random_bool(0.05))
        .map(|(_, p)| p)
        .collect();
    let dropped = (n - kept.len()) as u64;
    assert!((120..=180).contains(&dropped), "{dropped} dropped");

    let mut sim = Sim::g711();
    sim.run(&kept, FRAME * n as u32 + Duration::from_millis(100));

    let s = sim.stats();
    assert_eq!(s.lost, dropped, "every dropped packet counted once");
    assert_eq!(s.late, 0);
    assert_eq!(s.played, kept.len() as u64);
    let expected: Vec<u16> = kept.iter().map(|p| p.seq).collect();
    assert_eq!(
        sim.played_seqs(),
        expected,
        "each received frame once, in order"
    );

    // Between consecutive played frames the concealed span equals the gap in timestamps:
    // the output is continuous and no audio is invented or dropped.
    let mut last_end: Option<u32> = None;
    let mut concealed = 0u32;
    for o in &sim.out {
        match o {
            Out::Frame { ts, samples, .. } => {
                if let Some(end) = last_end {
                    assert_eq!(ts.wrapping_sub(end), concealed, "gap before ts {ts}");
                }
                last_end = Some(ts.wrapping_add(*samples));
                concealed = 0;
            }
            Out::Missing {
                samples, reason, ..
            } => {
                assert_ne!(*reason, MissingReason::Stretch, "clean network: no stretch");
                concealed += samples;
            }
        }
    }
    assert!(s.concealed >= dropped);
    println!("dropped {dropped}, stats {s:?}");
}
