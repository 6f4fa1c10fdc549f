//! The encoder complexity policy: quality at the top while a media thread has headroom, lower
//! Opus complexity for its calls when it is loaded, so that capacity degrades smoothly instead
//! of packets arriving late or being lost.
//!
//! Opus encoding dominates the cost of a transcoded call (about 290 us per 20 ms frame at
//! complexity 10, 245 us at 5, much less at 0-2 on the machines of docs/benchmarks.md). A media
//! thread that is busy more than [`PolicyConfig::high`] of the time is close to missing frame
//! deadlines; lowering complexity frees time at once, for every call on the thread.
//!
//! [`ComplexityPolicy`] is sans-IO: the daemon samples each media thread's busy fraction
//! periodically (tokio's `worker_total_busy_duration`) and feeds it to
//! [`ComplexityPolicy::update`]; the result is published in a [`ComplexityCap`] that the thread's
//! sessions read once per playout round and apply to their encoders (never above the trunk's
//! configured complexity).

use std::sync::atomic::{AtomicU8, Ordering};

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

/// A media thread's published cap, read by its sessions without locking.
#[derive(Debug)]
pub struct ComplexityCap(AtomicU8);

impl ComplexityCap {
    /// A cap of 10 (no limit).
    pub const fn new() -> Self {
        ComplexityCap(AtomicU8::new(10))
    }

    /// Publishes a cap.
    pub fn set(&self, cap: u8) {
        self.0.store(cap.min(10), Ordering::Relaxed);
    }

    /// The cap in force.
    pub fn get(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for ComplexityCap {
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
