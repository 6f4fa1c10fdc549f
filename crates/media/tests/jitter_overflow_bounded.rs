//! A sender bursting 100 packets at once: the buffer keeps at most `slots` packets, drops
//! the oldest and counts them, and the playout continues in order.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Sim, mean, stream};
use tandem_media::jitter::PushOutcome;

#[test]
fn burst_of_100_is_bounded() {
    // 1 s of steady packets, then the sender's next 100 packets all at once (its clock
    // jumped 2 s ahead), then steady again from there for 20 s.
    let burst_at = Duration::from_secs(1);
    let pkts = stream(50 + 100 + 1000, 8, 0, 0, |i| match i {
        0..50 => FRAME * i as u32,
        50..150 => burst_at,
        _ => burst_at + FRAME * (i - 149) as u32,
    });
    let mut sim = Sim::g711();
    sim.run(&pkts, burst_at);
    let s = sim.stats();
    assert_eq!(s.buffered, 32, "capacity");
    assert_eq!(s.overflow, 100 - 32, "the oldest were dropped");
    assert_eq!(sim.outcomes(PushOutcome::Queued), 150);

    sim.advance(burst_at + Duration::from_secs(21));
    let s = sim.stats();
    assert!(sim.max_buffered <= 32);
    assert_eq!((s.lost, s.late, s.resets), (0, 0, 0), "{s:?}");
    // Every frame that was not dropped plays, in order.
    let played = sim.played_seqs();
    assert!(played.windows(2).all(|w| w[0] < w[1]), "in order");
    assert_eq!(
        s.played + s.overflow + s.dropped_for_drift + u64::from(s.buffered),
        s.received,
        "{s:?}"
    );
    // The buffer forgets the burst: at the end it runs at low delay again.
    let lat = mean(&sim.latencies_after(burst_at + Duration::from_secs(19)));
    assert!(
        lat <= Duration::from_millis(10),
        "push-to-pop at the end {lat:?}"
    );
    println!("{s:?} final latency {lat:?}");
}
