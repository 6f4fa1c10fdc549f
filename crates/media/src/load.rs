//! The encoder complexity policy: quality at the top while a media thread has headroom, lower
//! Opus complexity for its calls when it is loaded, so that capacity degrades smoothly instead
//! of packets arriving late or being lost.
//!
//! Opus encoding dominates the cost of a transcoded call (about 290 us per 20 ms frame at
//! complexity 10, 245 us at 5, much less at 0-2 on the machines of docs/benchmarks.md). A media
//! thread that is busy more than [`PolicyConfig::high`] of the time is close to missing frame
//! deadlines; lowering complexity frees time at once, for every call on the thread.
//!
//! [`ComplexityPolicy`] is sans-IO. Each media thread has a [`ThreadLoad`]: its sessions add
//! the time they spend in every poll (receiving, transcoding, sending) to it, and read its cap
//! once per playout round to apply to their encoders (never above the trunk's configured
//! complexity). The daemon samples the busy time periodically, feeds the busy fraction to
//! [`ComplexityPolicy::update`] and publishes the new cap. (tokio's own worker busy-time metric
//! was tried first: on a loaded current-thread runtime it is only brought up to date when the
//! thread parks, so it read 40-50 % while the thread was saturated.)

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

/// Thresholds of the policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyConfig {
    /// Above this busy fraction (0..1) the cap steps down.
    pub high: f64,
    /// Below this busy fraction the cap steps back up.
    pub low: f64,
    /// Steps down by this much at a time (fast relief).
    pub step_down: u8,
    /// Steps up by this much at a time (slow recovery, avoids oscillation).
    pub step_up: u8,
    /// The lowest cap.
    pub floor: u8,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            high: 0.75,
            low: 0.55,
            step_down: 3,
            step_up: 1,
            floor: 0,
        }
    }
}

/// Decides the complexity cap of one media thread from its load (see the module docs).
#[derive(Debug, Clone)]
pub struct ComplexityPolicy {
    config: PolicyConfig,
    cap: u8,
}

impl ComplexityPolicy {
    /// Starts at the top (10).
    pub fn new(config: PolicyConfig) -> Self {
        ComplexityPolicy { config, cap: 10 }
    }

    /// The current cap.
    pub fn cap(&self) -> u8 {
        self.cap
    }

    /// A new load sample (busy fraction of the thread over the last period, 0..1); returns the
    /// cap to apply.
    pub fn update(&mut self, busy: f64) -> u8 {
        if busy > self.config.high {
            self.cap = self
                .cap
                .saturating_sub(self.config.step_down)
                .max(self.config.floor);
        } else if busy < self.config.low {
            self.cap = (self.cap + self.config.step_up).min(10);
        }
        self.cap
    }
}

/// A media thread's load and published cap, shared by its sessions without locking.
#[derive(Debug)]
pub struct ThreadLoad {
    cap: AtomicU8,
    busy_ns: AtomicU64,
}

impl ThreadLoad {
    /// A cap of 10 (no limit), no busy time yet.
    pub const fn new() -> Self {
        ThreadLoad {
            cap: AtomicU8::new(10),
            busy_ns: AtomicU64::new(0),
        }
    }

    /// Publishes a cap.
    pub fn set_cap(&self, cap: u8) {
        self.cap.store(cap.min(10), Ordering::Relaxed);
    }

    /// The cap in force.
    pub fn cap(&self) -> u8 {
        self.cap.load(Ordering::Relaxed)
    }

    /// A session spent `d` working.
    pub fn add_busy(&self, d: Duration) {
        self.busy_ns
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Total busy time so far.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed))
    }
}

impl Default for ThreadLoad {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_down_fast_and_up_slowly() {
        let mut p = ComplexityPolicy::new(PolicyConfig::default());
        assert_eq!(p.update(0.5), 10);
        assert_eq!(p.update(0.9), 7);
        assert_eq!(p.update(0.9), 4);
        assert_eq!(p.update(0.65), 4, "between the thresholds: hold");
        assert_eq!(p.update(0.4), 5);
        for _ in 0..10 {
            p.update(0.1);
        }
        assert_eq!(p.cap(), 10);
        for _ in 0..10 {
            p.update(1.0);
        }
        assert_eq!(p.cap(), 0);
    }
}
