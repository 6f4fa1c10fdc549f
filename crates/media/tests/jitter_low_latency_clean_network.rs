//! On a clean network (20 ms packets, 0.2 ms jitter) the buffer adds only a few ms:
//! the issue caps the transcoding path at 10 ms beyond packetization.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, Sim, mean, stream};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

#[test]
fn clean_network_settles_at_a_few_ms() {
    let mut rng = SmallRng::seed_from_u64(7);
    let jitter: Vec<Duration> = (0..500)
        .map(|_| Duration::from_micros(rng.random_range(0..=200)))
        .collect();
    let pkts = stream(500, 0x1234, 1000, 80_000, |i| {
        Duration::from_millis(5) + FRAME * i as u32 + jitter[i]
    });
    let mut sim = Sim::g711();
    sim.run(&pkts, Duration::from_secs(11));

    let lat = sim.latencies_after(Duration::from_secs(1));
    assert!(lat.len() > 440, "{} frames after 1 s", lat.len());
    let avg = mean(&lat);
    let max = *lat.iter().max().unwrap();
    assert!(
        avg <= Duration::from_millis(5),
        "average push-to-pop {avg:?}"
    );
    assert!(max <= Duration::from_millis(5), "max push-to-pop {max:?}");

    let s = sim.stats();
    assert!(s.target_delay_ms <= 5, "target {} ms", s.target_delay_ms);
    assert_eq!(s.played, 500);
    assert_eq!((s.lost, s.late, s.dropped_for_drift), (0, 0, 0));
    // Nothing concealed while the stream runs (the tail after the last packet is silence).
    let last_frame = sim
        .out
        .iter()
        .rposition(|o| matches!(o, Out::Frame { .. }))
        .unwrap();
    assert_eq!(last_frame, 499, "no Missing slot between frames");
    assert_eq!(
        sim.played_seqs(),
        (0..500).map(|i| 1000 + i as u16).collect::<Vec<_>>()
    );
    println!(
        "clean network: avg {avg:?}, max {max:?}, target {} ms",
        s.target_delay_ms
    );
}
