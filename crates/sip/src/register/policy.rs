//! When to refresh a binding and how to back off after a failure.

use std::time::Duration;

use rand::RngExt;
use rand::rngs::StdRng;

/// When to refresh a binding, as a fraction of the interval the registrar
/// granted. The point is drawn at random in `[earliest, latest]` so that
/// many trunks started together do not refresh together, and never later
/// than `min_margin` before expiry (for very short intervals: half-way).
///
/// The default, 50 % to 60 %, leaves at least 40 % of the interval (24
/// minutes of a one-hour binding) for retries before the binding lapses,
/// which rides out a registrar restart or a few transaction timeouts; the
/// cost is about two REGISTERs per interval instead of one, negligible for
/// trunks.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshPolicy {
    /// Earliest refresh point, as a fraction of the granted interval.
    pub earliest: f64,
    /// Latest refresh point, as a fraction of the granted interval.
    pub latest: f64,
    /// Never refresh later than this before expiry.
    pub min_margin: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            earliest: 0.5,
            latest: 0.6,
            min_margin: Duration::from_secs(5),
        }
    }
}

impl RefreshPolicy {
    /// The delay after sending the REGISTER at which to refresh a binding
    /// granted for `granted`.
    pub(crate) fn delay(&self, granted: Duration, rng: &mut StdRng) -> Duration {
        let g = granted.as_secs_f64();
        let lo = self.earliest.clamp(0.05, 1.0);
        let hi = self.latest.clamp(lo, 1.0);
        let fraction = if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        let margin = self.min_margin.as_secs_f64();
        let secs = if g > 2.0 * margin {
            (g * fraction).min(g - margin)
        } else {
            g / 2.0
        };
        Duration::from_secs_f64(secs.max(0.0))
    }
}

/// Exponential backoff with jitter after a failed registration, in the
/// style of RFC 5626 §4.5: the n-th consecutive failure waits
/// `min(max, base * 2^(n-1))`, scaled by a random factor in 50-100 %.
/// A `Retry-After` from the registrar replaces the computed wait (capped
/// at `max_retry_after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failure (before jitter).
    pub base: Duration,
    /// Longest computed wait (before jitter).
    pub max: Duration,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            max: Duration::from_secs(600),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th consecutive failure (1-based).
    pub(crate) fn delay(&self, failures: u32, rng: &mut StdRng) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1u32 << exp).min(self.max);
        full.mul_f64(rng.random_range(0.5..=1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn refresh_point_within_bounds() {
        let p = RefreshPolicy::default();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..100 {
            let d = p.delay(Duration::from_secs(3600), &mut rng).as_secs_f64();
            assert!((1800.0..=2160.0).contains(&d), "{d}");
        }
        // Short intervals: never later than 5 s before expiry.
        let late = RefreshPolicy {
            earliest: 0.95,
            latest: 1.0,
            min_margin: Duration::from_secs(5),
        };
        let d = late.delay(Duration::from_secs(60), &mut rng).as_secs_f64();
        assert!(d <= 55.0, "{d}");
        // Tiny intervals: half-way.
        let d = p.delay(Duration::from_secs(8), &mut rng).as_secs_f64();
        assert!((d - 4.0).abs() < 1e-9, "{d}");
    }

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(5);
        for (n, full) in [
            (1, 30.0),
            (2, 60.0),
            (3, 120.0),
            (5, 480.0),
            (6, 600.0),
            (40, 600.0),
        ] {
            let d = p.delay(n, &mut rng).as_secs_f64();
            assert!(d >= full * 0.5 && d <= full, "failure {n}: {d}");
        }
    }
}
