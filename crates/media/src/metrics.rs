//! Lock-free measurements of the relay hot loop.
//!
//! [`Histogram`] records durations in fixed log-linear buckets (16 per power of two, so a
//! percentile is within 6.25 % of the truth) with two or three relaxed atomic operations and no
//! allocation. [`relay_histogram`] is the process-wide histogram of per-packet processing time
//! that the daemon exports. [`StreamCounters`] are per-leg packet, byte and drop counters,
//! written by one session task and read by anyone.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Largest power of two that gets its own buckets; longer samples land in the last bucket.
const MAX_EXP: u32 = 39;
/// Number of buckets: values 0..16 one each, then 16 per power of two from 2^4 to 2^39 ns.
pub const BUCKETS: usize = (MAX_EXP as usize - SUB_BITS as usize + 2) * SUB;

fn bucket_index(ns: u64) -> usize {
    if ns < SUB as u64 {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros();
    if exp > MAX_EXP {
        return BUCKETS - 1;
    }
    let sub = ((ns >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

/// Smallest value that falls in bucket `i`.
fn bucket_low(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let exp = (i / SUB) as u32 + SUB_BITS - 1;
    let sub = (i % SUB) as u64;
    (SUB as u64 + sub) << (exp - SUB_BITS)
}

/// Largest value that falls in bucket `i` (the last bucket is open-ended).
fn bucket_high(i: usize) -> u64 {
    if i + 1 >= BUCKETS {
        u64::MAX
    } else {
        bucket_low(i + 1) - 1
    }
}

/// A lock-free histogram of durations in nanoseconds (log-linear buckets, ~6 % resolution).
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    /// An empty histogram (usable in a `static`).
    pub const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
        }
    }

    /// Records one sample. No allocation, no lock.
    #[inline]
    pub fn record(&self, d: Duration) {
        self.record_ns(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one sample given in nanoseconds.
    #[inline]
    pub fn record_ns(&self, ns: u64) {
        self.buckets[bucket_index(ns)].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
        if ns > self.max_ns.load(Relaxed) {
            self.max_ns.fetch_max(ns, Relaxed);
        }
    }

    /// Clears all counts. Samples recorded concurrently may be half-cleared; meant for
    /// benchmarks and tests.
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Relaxed);
        }
        self.sum_ns.store(0, Relaxed);
        self.max_ns.store(0, Relaxed);
    }

    /// Number of samples recorded (sums the buckets).
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }

    /// A consistent-enough copy for reporting (allocates; not for the hot path).
    pub fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        HistogramSnapshot::from_counts(counts, self.sum_ns.load(Relaxed), self.max_ns.load(Relaxed))
    }
}

static RELAY_HISTOGRAM: Histogram = Histogram::new();

/// The process-wide histogram of relay per-packet processing time (one sample per relayed
/// packet, from the start of its `recv` to the end of its `send`).
pub fn relay_histogram() -> &'static Histogram {
    &RELAY_HISTOGRAM
}

/// A point-in-time copy of a [`Histogram`], with the usual percentiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    counts: Vec<u64>,
    /// Number of samples.
    pub count: u64,
    /// Sum of all samples.
    pub sum: Duration,
    /// Largest sample.
    pub max: Duration,
    /// Median (upper bound of its bucket, capped at `max`).
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// 99.9th percentile.
    pub p999: Duration,
}

impl HistogramSnapshot {
    fn from_counts(counts: Vec<u64>, sum_ns: u64, max_ns: u64) -> Self {
        let count = counts.iter().sum();
        let mut s = HistogramSnapshot {
            counts,
            count,
            sum: Duration::from_nanos(sum_ns),
            max: Duration::from_nanos(max_ns),
            p50: Duration::ZERO,
            p90: Duration::ZERO,
            p99: Duration::ZERO,
            p999: Duration::ZERO,
        };
        s.p50 = s.percentile(0.50);
        s.p90 = s.percentile(0.90);
        s.p99 = s.percentile(0.99);
        s.p999 = s.percentile(0.999);
        s
    }

    /// The value below or at which a fraction `q` (0.0..=1.0) of the samples fall: the upper
    /// bound of the bucket holding that rank, capped at the maximum. Zero when empty.
    pub fn percentile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let q = q.clamp(0.0, 1.0);
        // Rank of the sample, 1-based; float to int conversion saturates.
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let ns = bucket_high(i).min(self.max.as_nanos() as u64);
                return Duration::from_nanos(ns);
            }
        }
        self.max
    }

    /// Mean of the samples (zero when empty).
    pub fn mean(&self) -> Duration {
        if self.count == 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos((self.sum.as_nanos() / u128::from(self.count)) as u64)
        }
    }

    /// Non-empty buckets as (upper bound in ns, count), in increasing order, for export.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (bucket_high(i), *c))
    }
}

/// Why the relay dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Not valid RTP or RTCP.
    Malformed,
    /// From an address the latch does not accept (RTP bleed protection).
    Stranger,
    /// The send failed (socket buffer full, ICMP error, ...).
    SendError,
    /// The media direction forbids it (hold: sendonly, recvonly, inactive).
    Direction,
    /// From a previous source while the current one is active (see `rewrite`).
    StaleSource,
    /// No address to send to: the other leg has neither a signaled nor a learnt address.
    NoTarget,
    /// RTCP of a transcoded stream: its sequence numbers and timestamps describe a stream the
    /// other leg never sees, so it ends at the gateway.
    Terminated,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 7] = [
        DropReason::Malformed,
        DropReason::Stranger,
        DropReason::SendError,
        DropReason::Direction,
        DropReason::StaleSource,
        DropReason::NoTarget,
        DropReason::Terminated,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// A short name for metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Malformed => "malformed",
            DropReason::Stranger => "stranger",
            DropReason::SendError => "send_error",
            DropReason::Direction => "direction",
            DropReason::StaleSource => "stale_source",
            DropReason::NoTarget => "no_target",
            DropReason::Terminated => "terminated",
        }
    }
}

/// Per-leg counters of what the relay received from the leg and what became of it.
///
/// Written by a single session task with plain relaxed load + store (no read-modify-write, so
/// no locked instruction on the hot path); read from any thread.
#[derive(Debug, Default)]
pub struct StreamCounters {
    rtp_packets: AtomicU64,
    rtp_bytes: AtomicU64,
    rtcp_packets: AtomicU64,
    rtcp_bytes: AtomicU64,
    forwarded_packets: AtomicU64,
    forwarded_bytes: AtomicU64,
    dropped: [AtomicU64; DropReason::ALL.len()],
}

#[inline]
fn bump(c: &AtomicU64, n: u64) {
    // Single writer: a load and a store are enough and cheaper than fetch_add.
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
}

impl StreamCounters {
    /// Counters at zero.
    pub fn new() -> Self {
        StreamCounters::default()
    }

    #[inline]
    pub(crate) fn received(&self, rtcp: bool, bytes: usize) {
        if rtcp {
            bump(&self.rtcp_packets, 1);
            bump(&self.rtcp_bytes, bytes as u64);
        } else {
            bump(&self.rtp_packets, 1);
            bump(&self.rtp_bytes, bytes as u64);
        }
    }

    #[inline]
    pub(crate) fn forwarded(&self, bytes: usize) {
        bump(&self.forwarded_packets, 1);
        bump(&self.forwarded_bytes, bytes as u64);
    }

    #[inline]
    pub(crate) fn dropped(&self, reason: DropReason) {
        bump(&self.dropped[reason.index()], 1);
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> StreamStats {
        let mut dropped = [0; DropReason::ALL.len()];
        for (d, a) in dropped.iter_mut().zip(&self.dropped) {
            *d = a.load(Relaxed);
        }
        StreamStats {
            rtp_packets: self.rtp_packets.load(Relaxed),
            rtp_bytes: self.rtp_bytes.load(Relaxed),
            rtcp_packets: self.rtcp_packets.load(Relaxed),
            rtcp_bytes: self.rtcp_bytes.load(Relaxed),
            forwarded_packets: self.forwarded_packets.load(Relaxed),
            forwarded_bytes: self.forwarded_bytes.load(Relaxed),
            dropped,
        }
    }
}

/// A copy of [`StreamCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// RTP packets received from the leg (valid or not).
    pub rtp_packets: u64,
    /// RTP bytes received from the leg.
    pub rtp_bytes: u64,
    /// RTCP packets received from the leg (valid or not).
    pub rtcp_packets: u64,
    /// RTCP bytes received from the leg.
    pub rtcp_bytes: u64,
    /// Packets (RTP and RTCP) sent on to the other leg.
    pub forwarded_packets: u64,
    /// Bytes sent on to the other leg.
    pub forwarded_bytes: u64,
    dropped: [u64; DropReason::ALL.len()],
}

impl StreamStats {
    /// Packets dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// Packets dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_ordered() {
        for i in 0..BUCKETS - 1 {
            assert_eq!(bucket_high(i) + 1, bucket_low(i + 1), "bucket {i}");
            assert_eq!(bucket_index(bucket_low(i)), i);
            assert_eq!(bucket_index(bucket_high(i)), i);
        }
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn resolution_is_within_one_sixteenth() {
        for i in SUB..BUCKETS - 1 {
            let (lo, hi) = (bucket_low(i), bucket_high(i));
            assert!((hi - lo + 1) * 16 <= lo, "bucket {i}: {lo}..={hi}");
        }
    }

    #[test]
    fn percentiles() {
        let h = Histogram::new();
        for ns in 1..=1000u64 {
            h.record_ns(ns * 1000);
        }
        let s = h.snapshot();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max, Duration::from_micros(1000));
        let p50 = s.p50.as_nanos() as f64;
        assert!((500_000.0..=500_000.0 * 1.0625).contains(&p50), "{p50}");
        let p99 = s.p99.as_nanos() as f64;
        assert!((990_000.0..=1_000_000.0).contains(&p99), "{p99}");
        assert_eq!(s.p999, Duration::from_micros(1000));
        assert_eq!(s.mean(), Duration::from_nanos(500_500));
    }

    #[test]
    fn empty_snapshot_is_zero() {
        let s = Histogram::new().snapshot();
        assert_eq!((s.count, s.p99, s.max), (0, Duration::ZERO, Duration::ZERO));
    }
}
