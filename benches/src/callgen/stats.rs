//! Counting and summarising: a log-linear histogram of durations and the
//! percentile maths the report prints.

use std::time::Duration;

/// Values below this are counted exactly (one bucket per nanosecond).
const LINEAR: u64 = 128;
/// Sub-buckets per power of two above [`LINEAR`] (relative error < 1/64).
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// First power of two above the linear range (2^7 = 128).
const FIRST_EXP: u32 = 7;
const BUCKETS: usize = LINEAR as usize + (64 - FIRST_EXP as usize) * SUB as usize;

/// A histogram of nanosecond values with about 1.6 % relative precision,
/// exact min, max and mean. Recording never allocates.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket a value falls in.
fn bucket_of(v: u64) -> usize {
    if v < LINEAR {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= FIRST_EXP
    let mantissa = (v >> (exp - SUB_BITS)) - SUB; // 0..SUB
    LINEAR as usize + (exp - FIRST_EXP) as usize * SUB as usize + mantissa as usize
}

/// The smallest value of a bucket and its width.
fn bucket_range(b: usize) -> (u64, u64) {
    if (b as u64) < LINEAR {
        return (b as u64, 1);
    }
    let rel = b - LINEAR as usize;
    let exp = FIRST_EXP + (rel / SUB as usize) as u32;
    let mantissa = (rel % SUB as usize) as u64 + SUB;
    let shift = exp - SUB_BITS;
    (mantissa << shift, 1u64 << shift)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Counts one value in nanoseconds.
    pub fn record(&mut self, ns: u64) {
        self.counts[bucket_of(ns)] += 1;
        self.count += 1;
        self.sum += u128::from(ns);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
    }

    /// Counts one duration.
    pub fn record_duration(&mut self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The smallest value (0 when empty).
    pub fn min(&self) -> u64 {
        if self.count == 0 { 0 } else { self.min }
    }

    /// The mean (0 when empty).
    pub fn mean(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            u64::try_from(self.sum / u128::from(self.count)).unwrap_or(u64::MAX)
        }
    }

    /// The value at quantile `q` (0.0..=1.0): the middle of the bucket holding
    /// the value of rank ceil(q * count), clamped to [min, max]. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let q = q.clamp(0.0, 1.0);
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = bucket_range(b);
                let mid = lo + (width - 1) / 2;
                return mid.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// Formats nanoseconds as microseconds with one decimal.
pub fn us(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

/// Formats nanoseconds as milliseconds with three decimals.
pub fn ms(ns: u64) -> f64 {
    (ns as f64 / 1000.0).round() / 1000.0
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Loss accounting for one stream, done when it is finished: what the
/// receiver saw against what the sender sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LossTally {
    /// Packets sent.
    pub sent: u64,
    /// Distinct packets received.
    pub received: u64,
    /// Packets never received (sent - received, never negative).
    pub lost: u64,
    /// Streams that lost at least one packet.
    pub streams_with_loss: u64,
    /// Streams finished.
    pub streams: u64,
}

impl LossTally {
    /// Accounts one finished stream.
    pub fn add_stream(&mut self, sent: u64, received: u64) {
        let lost = sent.saturating_sub(received);
        self.sent += sent;
        self.received += received;
        self.lost += lost;
        self.streams += 1;
        if lost > 0 {
            self.streams_with_loss += 1;
        }
    }

    /// Lost packets as a percentage of those sent.
    pub fn loss_pct(&self) -> f64 {
        pct(self.lost, self.sent)
    }
}

/// Tracks which sequence numbers of one stream arrived, in a 64-packet window
/// behind the highest one, to tell new packets from duplicates and late ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqWindow {
    /// Highest sequence number seen plus one (0: nothing seen yet).
    next: u32,
    /// Bit i set: `next - 1 - i` arrived.
    seen: u64,
}

/// How a packet's sequence number relates to what arrived before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The newest so far (maybe after a gap).
    InOrder,
    /// Older than the newest, not seen before: reordered.
    Late,
    /// Seen before.
    Duplicate,
    /// Too old to tell (more than 64 behind); counted as late.
    TooOld,
}

impl SeqWindow {
    /// Classifies and records `seq`.
    pub fn observe(&mut self, seq: u32) -> Arrival {
        if self.next == 0 || seq >= self.next {
            let advance = if self.next == 0 {
                1
            } else {
                seq - self.next + 1
            };
            self.seen = if advance >= 64 {
                0
            } else {
                self.seen << advance
            };
            self.seen |= 1;
            self.next = seq.saturating_add(1);
            return Arrival::InOrder;
        }
        let behind = self.next - 1 - seq;
        if behind >= 64 {
            return Arrival::TooOld;
        }
        let bit = 1u64 << behind;
        if self.seen & bit != 0 {
            Arrival::Duplicate
        } else {
            self.seen |= bit;
            Arrival::Late
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 20) + 1, u64::MAX / 3, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b < BUCKETS);
            assert!(b >= last, "bucket order broken at {v}");
            last = b;
            let (lo, width) = bucket_range(b);
            assert!(
                lo <= v && v - lo < width,
                "{v} outside bucket {b}: {lo}+{width}"
            );
        }
    }

    #[test]
    fn quantiles_of_uniform_values_are_within_two_percent() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 10); // 10 ns .. 1 ms
        }
        assert_eq!(h.count(), 100_000);
        assert_eq!(h.min(), 10);
        assert_eq!(h.max(), 1_000_000);
        assert_eq!(h.mean(), 500_005);
        for (q, exact) in [(0.5, 500_000.0), (0.9, 900_000.0), (0.99, 990_000.0)] {
            let got = h.quantile(q) as f64;
            assert!((got - exact).abs() / exact < 0.02, "q{q}: {got} vs {exact}");
        }
        assert_eq!(h.quantile(1.0), 1_000_000);
        assert_eq!(h.quantile(0.0), 10);
    }

    #[test]
    fn small_values_are_exact() {
        let mut a = Histogram::new();
        for v in [3, 3, 3, 7, 90] {
            a.record(v);
        }
        assert_eq!(a.count(), 5);
        assert_eq!(a.min(), 3);
        assert_eq!(a.quantile(0.5), 3);
        assert_eq!(a.quantile(0.8), 7);
        assert_eq!(a.quantile(1.0), 90);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }

    #[test]
    fn loss_tally_counts_streams_with_loss() {
        let mut t = LossTally::default();
        t.add_stream(100, 100);
        t.add_stream(100, 97);
        t.add_stream(0, 0);
        assert_eq!(t.sent, 200);
        assert_eq!(t.received, 197);
        assert_eq!(t.lost, 3);
        assert_eq!(t.streams, 3);
        assert_eq!(t.streams_with_loss, 1);
        assert!((t.loss_pct() - 1.5).abs() < 1e-9);
        assert_eq!(LossTally::default().loss_pct(), 0.0);
    }

    #[test]
    fn seq_window_tells_late_from_duplicate() {
        let mut w = SeqWindow::default();
        assert_eq!(w.observe(0), Arrival::InOrder);
        assert_eq!(w.observe(1), Arrival::InOrder);
        assert_eq!(w.observe(3), Arrival::InOrder); // 2 is missing
        assert_eq!(w.observe(2), Arrival::Late);
        assert_eq!(w.observe(2), Arrival::Duplicate);
        assert_eq!(w.observe(3), Arrival::Duplicate);
        assert_eq!(w.observe(200), Arrival::InOrder);
        assert_eq!(w.observe(100), Arrival::TooOld);
        assert_eq!(w.observe(199), Arrival::Late);
        // A stream that starts at a sequence number other than 0.
        let mut w = SeqWindow::default();
        assert_eq!(w.observe(5), Arrival::InOrder);
        assert_eq!(w.observe(5), Arrival::Duplicate);
        assert_eq!(w.observe(4), Arrival::Late);
    }
}
