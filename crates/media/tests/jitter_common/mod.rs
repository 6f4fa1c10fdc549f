//! Simulated-time harness for the jitter buffer tests: a sender's packets with arrival times,
//! fed to a `JitterBuffer` together with its own timer, earliest event first.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tandem_media::jitter::{
    JitterBuffer, JitterConfig, JitterStats, MissingReason, Playout, PushOutcome,
};

/// 20 ms of G.711 at 8 kHz.
pub const FRAME: Duration = Duration::from_millis(20);
pub const SAMPLES: u32 = 160;

/// One packet as the network delivers it.
#[derive(Clone, Debug)]
pub struct Pkt {
    pub arrival: Duration,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub marker: bool,
    pub samples: u32,
}

/// One output slot, with the packet identity decoded from the payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Frame {
        at: Duration,
        ssrc: u32,
        seq: u16,
        ts: u32,
        samples: u32,
        arrival: Duration,
    },
    Missing {
        at: Duration,
        ts: u32,
        samples: u32,
        reason: MissingReason,
        next_seq: Option<u16>,
    },
}

pub struct Sim {
    pub t0: Instant,
    pub now: Duration,
    pub jb: JitterBuffer,
    pub out: Vec<Out>,
    pub pushes: Vec<(Pkt, PushOutcome)>,
    pub max_buffered: u32,
    /// Packets not delivered yet, by arrival.
    pending: VecDeque<Pkt>,
}

/// `count` packets from one sender: sequence numbers and timestamps from `seq0`/`ts0`,
/// packet `i` arriving at `send(i)`.
pub fn stream(
    count: usize,
    ssrc: u32,
    seq0: u16,
    ts0: u32,
    mut send: impl FnMut(usize) -> Duration,
) -> Vec<Pkt> {
    (0..count)
        .map(|i| Pkt {
            arrival: send(i),
            ssrc,
            seq: seq0.wrapping_add(i as u16),
            ts: ts0.wrapping_add(i as u32 * SAMPLES),
            marker: i == 0,
            samples: SAMPLES,
        })
        .collect()
}

/// 160-byte payload carrying the packet identity and its arrival time.
fn payload(p: &Pkt) -> [u8; 160] {
    let mut b = [0u8; 160];
    b[0..4].copy_from_slice(&p.ssrc.to_be_bytes());
    b[4..6].copy_from_slice(&p.seq.to_be_bytes());
    b[6..14].copy_from_slice(&(p.arrival.as_nanos() as u64).to_be_bytes());
    b
}

fn decode(payload: &[u8]) -> (u32, u16, Duration) {
    let ssrc = u32::from_be_bytes(payload[0..4].try_into().unwrap());
    let seq = u16::from_be_bytes(payload[4..6].try_into().unwrap());
    let ns = u64::from_be_bytes(payload[6..14].try_into().unwrap());
    (ssrc, seq, Duration::from_nanos(ns))
}

impl Sim {
    pub fn new(config: JitterConfig) -> Self {
        Sim {
            t0: Instant::now(),
            now: Duration::ZERO,
            jb: JitterBuffer::new(config),
            out: Vec::new(),
            pushes: Vec::new(),
            max_buffered: 0,
            pending: VecDeque::new(),
        }
    }

    pub fn g711() -> Self {
        Sim::new(JitterConfig::new(8000, FRAME))
    }

    /// Queues `pkts` for delivery (any order; delivered by arrival time, stable) and drives
    /// the simulation up to and including `until`.
    pub fn run(&mut self, pkts: &[Pkt], until: Duration) {
        self.add(pkts);
        self.advance(until);
    }

    /// Queues packets for delivery; none may arrive before the current time.
    pub fn add(&mut self, pkts: &[Pkt]) {
        self.pending.extend(pkts.iter().cloned());
        self.pending.make_contiguous().sort_by_key(|p| p.arrival);
    }

    /// Delivers the queued packets and fires the buffer's timer, earliest first (a packet
    /// before a timer at the same instant), up to and including `until`.
    pub fn advance(&mut self, until: Duration) {
        loop {
            let next_pkt = self.pending.front().map(|p| p.arrival);
            // A due time in the past (a reordered packet moved the start back before the
            // first playout) means "now".
            let next_timer = self
                .jb
                .poll_timeout()
                .map(|t| t.saturating_duration_since(self.t0).max(self.now));
            let (at, is_pkt) = match (next_pkt, next_timer) {
                (Some(p), Some(t)) if t < p => (t, false),
                (Some(p), _) => (p, true),
                (None, Some(t)) => (t, false),
                (None, None) => break,
            };
            if at > until {
                break;
            }
            assert!(
                at >= self.now,
                "time went backwards: {at:?} < {:?}",
                self.now
            );
            self.now = at;
            if is_pkt {
                let p = self.pending.pop_front().unwrap();
                let outcome = self.jb.push(
                    self.t0 + at,
                    p.ssrc,
                    p.seq,
                    p.ts,
                    p.marker,
                    p.samples,
                    &payload(&p),
                );
                self.pushes.push((p, outcome));
            } else {
                self.drain();
            }
            self.max_buffered = self.max_buffered.max(self.jb.stats().buffered);
        }
        self.now = self.now.max(until);
    }

    /// Pops everything due now.
    pub fn drain(&mut self) {
        let now = self.t0 + self.now;
        while let Some(p) = self.jb.pop(now) {
            let o = match p {
                Playout::Frame {
                    timestamp,
                    samples,
                    payload,
                } => {
                    let (ssrc, seq, arrival) = decode(payload);
                    Out::Frame {
                        at: self.now,
                        ssrc,
                        seq,
                        ts: timestamp,
                        samples,
                        arrival,
                    }
                }
                Playout::Missing {
                    timestamp,
                    samples,
                    next,
                    reason,
                } => Out::Missing {
                    at: self.now,
                    ts: timestamp,
                    samples,
                    reason,
                    next_seq: next.map(|p| decode(p).1),
                },
            };
            self.out.push(o);
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.jb.stats()
    }

    /// Sequence numbers of the played frames, in output order.
    pub fn played_seqs(&self) -> Vec<u16> {
        self.out
            .iter()
            .filter_map(|o| match o {
                Out::Frame { seq, .. } => Some(*seq),
                Out::Missing { .. } => None,
            })
            .collect()
    }

    /// (arrival, play time) of each frame played at or after `from`.
    pub fn latencies_after(&self, from: Duration) -> Vec<Duration> {
        self.out
            .iter()
            .filter_map(|o| match o {
                Out::Frame { at, arrival, .. } if *at >= from => Some(*at - *arrival),
                _ => None,
            })
            .collect()
    }

    pub fn missing(&self, reason: MissingReason) -> usize {
        self.out
            .iter()
            .filter(|o| matches!(o, Out::Missing { reason: r, .. } if *r == reason))
            .count()
    }

    pub fn outcomes(&self, outcome: PushOutcome) -> usize {
        self.pushes.iter().filter(|(_, o)| *o == outcome).count()
    }

    /// Checks that the output is contiguous: each slot starts where the previous ended
    /// (in playout time: one slot's duration after the previous slot was handed out,
    /// give or take the caller waking exactly at the due time).
    pub fn total_output_samples(&self) -> u64 {
        self.out
            .iter()
            .map(|o| match o {
                Out::Frame { samples, .. } | Out::Missing { samples, .. } => u64::from(*samples),
            })
            .sum()
    }
}

pub fn mean(v: &[Duration]) -> Duration {
    v.iter().sum::<Duration>() / v.len().max(1) as u32
}
