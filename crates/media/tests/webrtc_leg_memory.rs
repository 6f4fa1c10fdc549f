//! Memory of connected legs, estimated from the process's resident set (VmRSS) before and
//! after building 100 connected pairs (200 legs) that have each carried a second of audio.
//! A measurement, not a check of behaviour: run with
//! each test alone (see below).

#![allow(clippy::unwrap_used)]

mod webrtc_common;

use std::time::{Duration, Instant};

use tandem_media::webrtc_leg::{BrowserLeg, DtlsIdentity, LegConfig, WebRtcLeg};
use webrtc_common::{Pair, rtp_packet};

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn connected_pairs(n: u16, shared_identity: Option<DtlsIdentity>) -> Vec<Pair> {
    let base = Instant::now();
    (0..n)
        .map(|i| {
            let browser = LegConfig {
                ice_lite: false,
                identity: shared_identity.clone(),
                ..LegConfig::default()
            };
            let tandem = LegConfig {
                identity: shared_identity.clone(),
                ..LegConfig::default()
            };
            let mut pair = Pair::with_ports(base, browser, tandem, 20_000 + i, 40_000 + i);
            pair.negotiate_browser_offers();
            assert!(pair.run_until(Duration::from_secs(5), Pair::both_connected));
            // One second of 20 ms Opus frames each way, so SRTP contexts and RTCP state exist.
            for k in 0..50u16 {
                let p = rtp_packet(111, k, 960 * u32::from(k), 1, &[0x55; 80]);
                pair.tandem.send_rtp(pair.now, &p).unwrap();
                pair.browser.send_rtp(pair.now, &p).unwrap();
                pair.run_until(Duration::from_millis(20), |_| false);
            }
            assert_eq!(pair.tandem_rtp.len(), 50);
            pair.tandem_rtp.clear();
            pair.browser_rtp.clear();
            pair
        })
        .collect()
}

fn measure(label: &str, identity: Option<DtlsIdentity>) {
    const PAIRS: u16 = 100;
    eprintln!(
        "size_of::<WebRtcLeg>() = {} bytes",
        std::mem::size_of::<WebRtcLeg>()
    );
    // Warm up the allocator and lazy statics with one pair.
    drop(connected_pairs(1, identity.clone()));
    let before = vm_rss_kib();
    let started = Instant::now();
    let pairs = connected_pairs(PAIRS, identity);
    let elapsed = started.elapsed();
    let after = vm_rss_kib();
    let legs = u64::from(PAIRS) * 2;
    eprintln!(
        "{label}: {legs} connected legs: VmRSS {before} KiB -> {after} KiB: {} KiB per leg \
         (setup + 1 s audio each; {:?} per pair)",
        after.saturating_sub(before) / legs,
        elapsed / u32::from(PAIRS)
    );
    drop(pairs);
}

// Run each alone (the allocator keeps freed pages, so two measurements in one process lie):
// cargo test --release --test webrtc_leg_memory -- --ignored --nocapture --exact <name>

#[test]
#[ignore = "measurement; run explicitly"]
fn memory_per_leg_certificate_per_leg() {
    measure("certificate per leg", None);
}

#[test]
#[ignore = "measurement; run explicitly"]
fn memory_per_leg_shared_certificate() {
    measure(
        "shared certificate",
        Some(DtlsIdentity::generate().unwrap()),
    );
}

/// Does a leg's memory stay flat during a long call? 10 pairs, 5 minutes of audio each way.
#[test]
#[ignore = "measurement; run explicitly"]
fn memory_stays_flat_over_a_long_call() {
    let mut pairs = connected_pairs(10, None);
    let mut seq = 50u16;
    let mut rss = vec![vm_rss_kib()];
    for _minute in 0..5 {
        for _ in 0..3000 {
            for pair in &mut pairs {
                let p = rtp_packet(111, seq, 960 * u32::from(seq), 1, &[0x55; 80]);
                pair.tandem.send_rtp(pair.now, &p).unwrap();
                pair.browser.send_rtp(pair.now, &p).unwrap();
                pair.run_until(Duration::from_millis(20), |_| false);
                pair.tandem_rtp.clear();
                pair.browser_rtp.clear();
            }
            seq = seq.wrapping_add(1);
        }
        rss.push(vm_rss_kib());
    }
    eprintln!("VmRSS per simulated minute, 20 legs: {rss:?} KiB");
}
