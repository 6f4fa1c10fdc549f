//! `stats()` exports what happened: every counter moves for its own event and no other.

mod jitter_common;

use std::time::{Duration, Instant};

use jitter_common::{FRAME, Sim, stream};
use tandem_media::jitter::{JitterBuffer, JitterConfig, JitterStats, PushOutcome};

#[test]
fn each_counter_counts_its_event() {
    let mut sim = Sim::g711();
    let mut pkts = stream(60, 1, 0, 0, |i| FRAME * i as u32);
    pkts.remove(20); // lost
    let mut dup = pkts[29].clone(); // seq 30, again 5 ms later
    dup.arrival += Duration::from_millis(5);
    pkts.push(dup);
    let i40 = pkts.iter().position(|p| p.seq == 40).unwrap();
    pkts[i40].arrival += Duration::from_millis(100); // late
    sim.run(&pkts, FRAME * 60 + Duration::from_millis(300));

    // A payload over max_payload is refused but counted as received.
    let t = sim.t0 + sim.now;
    assert_eq!(
        sim.jb.push(t, 1, 61, 61 * 160, false, 160, &[0; 1501]),
        PushOutcome::TooBig
    );
    // A new SSRC resets.
    let t = t + FRAME;
    assert_eq!(
        sim.jb.push(t, 2, 500, 9, true, 160, &[0; 160]),
        PushOutcome::Reset
    );

    let s = sim.stats();
    assert_eq!(s.received, 59 + 1 + 1 + 1);
    assert_eq!(s.lost, 1, "seq 20");
    assert_eq!(s.late, 1, "seq 40");
    assert_eq!(s.duplicate, 1, "seq 30");
    assert_eq!(s.resets, 1);
    assert_eq!(s.overflow, 0);
    assert_eq!(s.buffered, 1, "the first packet of the new SSRC");
    assert_eq!(
        s.played + s.dropped_for_drift,
        58,
        "59 sent (20 never), 40 late"
    );
    // Seq 20's gap and 40's gap were concealed; 40's lateness grew the delay by stretching.
    assert!(s.concealed >= 2, "{s:?}");
    assert!(s.stretched >= 1, "{s:?}");
    assert!(s.target_delay_ms >= 100, "{s:?}");
    // Reading stats changes nothing.
    assert_eq!(sim.stats(), s);
    println!("{s:?}");
}

#[test]
fn fresh_buffer_reports_zero() {
    let jb = JitterBuffer::new(JitterConfig::new(48_000, FRAME));
    assert_eq!(jb.stats(), JitterStats::default());
    let mut jb = jb;
    let t0 = Instant::now();
    jb.push(t0, 7, 1, 0, true, 960, &[1; 100]);
    let s = jb.stats();
    assert_eq!((s.received, s.buffered, s.target_delay_ms), (1, 1, 2));
}
