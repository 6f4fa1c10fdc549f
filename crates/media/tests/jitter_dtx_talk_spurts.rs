//! DTX / silence suppression: talk spurts separated by silences (timestamps jump, sequence
//! numbers continue). Silences are concealed as `Underrun`, each spurt starts at the
//! current target delay, nothing is lost or late, and after 1 s without packets the buffer
//! stops ticking until the next spurt.

mod jitter_common;

use std::time::Duration;

use jitter_common::{FRAME, Out, Pkt, SAMPLES, Sim, mean};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tandem_media::jitter::MissingReason;

fn spurts(seed: u64, jitter_us: u64, total: Duration) -> Vec<Pkt> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut pkts = vec![];
    let (mut t, mut seq, mut ts) = (Duration::ZERO, 0u16, 0u32);
    while t < total {
        for j in 0..rng.random_range(20..150) {
            let jitter = Duration::from_micros(rng.random_range(0..=jitter_us));
            pkts.push(Pkt {
                arrival: t + jitter,
                ssrc: 1,
                seq,
                ts,
                marker: j == 0,
                samples: SAMPLES,
            });
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(SAMPLES);
            t += FRAME;
        }
        let silence = rng.random_range(10..150u32); // 0.2 .. 3 s
        t += FRAME * silence;
        ts = ts.wrapping_add(SAMPLES * silence);
    }
    pkts
}

#[test]
fn clean_network_spurts_keep_low_latency() {
    let pkts = spurts(5, 200, Duration::from_secs(120));
    let mut sim = Sim::g711();
    sim.run(&pkts, pkts.last().unwrap().arrival + Duration::from_secs(2));
    let s = sim.stats();
    assert_eq!((s.lost, s.late, s.dropped_for_drift), (0, 0, 0), "{s:?}");
    assert_eq!(s.played, pkts.len() as u64);
    assert_eq!(sim.missing(MissingReason::Lost), 0, "silence is not loss");
    let lat = sim.latencies_after(Duration::ZERO);
    assert!(
        lat.iter().all(|d| *d <= Duration::from_millis(5)),
        "{:?}",
        lat.iter().max()
    );
    // The last 2 s: 1 s of concealed silence, then nothing (the buffer stopped ticking).
    assert_eq!(sim.jb.poll_timeout(), None);
    let last = sim.out.last().unwrap();
    let Out::Missing { at, reason, .. } = last else {
        panic!("{last:?}")
    };
    assert_eq!(*reason, MissingReason::Underrun);
    let since = *at - pkts.last().unwrap().arrival;
    assert!(
        since < Duration::from_secs(1) && since > Duration::from_millis(900),
        "{since:?}"
    );
}

#[test]
fn jittery_spurts_lose_nothing() {
    let pkts = spurts(5, 40_000, Duration::from_secs(120));
    let mut sim = Sim::g711();
    sim.run(&pkts, pkts.last().unwrap().arrival + Duration::from_secs(2));
    let s = sim.stats();
    assert_eq!((s.lost, s.late), (0, 0), "{s:?}");
    assert_eq!(s.played + s.dropped_for_drift, pkts.len() as u64);
    // Each spurt starts at the target, not behind a delay grown during the silence.
    let lat = sim.latencies_after(Duration::from_secs(5));
    assert!(mean(&lat) <= Duration::from_millis(35), "{:?}", mean(&lat));
    assert!(
        lat.iter().all(|d| *d <= Duration::from_millis(60)),
        "{:?}",
        lat.iter().max()
    );
}
