//! Symmetric RTP latching for peers behind NAT, without RTP bleed (sans-IO).
//!
//! A peer behind NAT announces a private address in SDP; its packets arrive from a public one.
//! Symmetric RTP (RFC 4961) lets the relay answer to the source of the peer's packets. Done
//! naively ("send to whoever sent last") it hands the call's audio to anyone who sprays the
//! relay's port range: the RTP bleed attack. [`Latch`] learns once and then holds:
//!
//! 1. A packet from the signaled address (from SDP) is always accepted and locks the latch to
//!    it, at any time. The signaling is authenticated; the media path is not.
//! 2. Before the latch is locked (learning), the first packet from anywhere makes its source
//!    the candidate and is accepted. A packet from another source replaces the candidate only
//!    if it matches the signaled address at least as well (same IP as signaled beats any
//!    other IP); otherwise it is dropped as a stranger.
//! 3. The candidate is locked once it has sent `probation` packets in a row with no packet
//!    from another accepted source in between (Asterisk's `strictrtp` probation idea). Time
//!    alone never locks: locking when a clock runs out would lock onto whatever was seen last,
//!    which while the phone is still ringing is typically a scanner's probe.
//! 4. Once locked, packets from any other address are dropped and counted, forever, until the
//!    signaled address changes ([`Latch::update_signaled`], from a re-INVITE), which starts a
//!    new learning phase. A re-INVITE that keeps the address (hold, codec change) keeps the
//!    latch.
//!
//! Until a packet has been accepted the send target is the signaled address.

use std::net::SocketAddr;
use std::time::Instant;

use crate::metrics::DropReason;

/// Tuning for [`Latch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatchConfig {
    /// Packets in a row from the candidate that lock it (default 4; 80 ms of 20 ms audio).
    /// 0 or 1 locks on the first packet.
    pub probation: u32,
}

impl Default for LatchConfig {
    fn default() -> Self {
        LatchConfig { probation: 4 }
    }
}

/// Decision on one received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Relay it.
    Accept,
    /// Drop it, for this reason (always [`DropReason::Stranger`] from a latch).
    Drop(DropReason),
}

/// How well a source matches the signaled address; higher wins during learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    Other,
    SameIp,
    Exact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing accepted since creation or the last change of signaled address.
    Open,
    /// A candidate that has sent `run` packets in a row.
    Learning {
        addr: SocketAddr,
        quality: Match,
        run: u32,
    },
    /// Learnt; only this address (or the signaled one) is accepted.
    Locked { addr: SocketAddr },
}

/// Where one socket of one leg sends to and which sources it accepts; see the module docs.
#[derive(Debug, Clone)]
pub struct Latch {
    config: LatchConfig,
    signaled: Option<SocketAddr>,
    state: State,
    strangers: u64,
    last_accepted: Option<Instant>,
}

impl Latch {
    /// A latch for a peer that signaled `signaled` (None when SDP gave no usable address).
    pub fn new(signaled: Option<SocketAddr>, config: LatchConfig) -> Self {
        Latch {
            config,
            signaled,
            state: State::Open,
            strangers: 0,
            last_accepted: None,
        }
    }

    fn quality(&self, source: SocketAddr) -> Match {
        match self.signaled {
            Some(s) if s == source => Match::Exact,
            Some(s) if s.ip() == source.ip() => Match::SameIp,
            _ => Match::Other,
        }
    }

    /// Decides on a packet from `source` received at `now`, learning from it if allowed.
    pub fn on_packet(&mut self, now: Instant, source: SocketAddr) -> Verdict {
        let quality = self.quality(source);
        let verdict = if quality == Match::Exact {
            self.state = State::Locked { addr: source };
            Verdict::Accept
        } else {
            match self.state {
                State::Open => {
                    self.state = self.learning(source, quality, 1);
                    Verdict::Accept
                }
                State::Learning {
                    addr,
                    quality: q,
                    run,
                } => {
                    if addr == source {
                        self.state = self.learning(addr, q, run.saturating_add(1));
                        Verdict::Accept
                    } else if quality >= q {
                        self.state = self.learning(source, quality, 1);
                        Verdict::Accept
                    } else {
                        Verdict::Drop(DropReason::Stranger)
                    }
                }
                State::Locked { addr } => {
                    if addr == source {
                        Verdict::Accept
                    } else {
                        Verdict::Drop(DropReason::Stranger)
                    }
                }
            }
        };
        match verdict {
            Verdict::Accept => self.last_accepted = Some(now),
            Verdict::Drop(_) => self.strangers += 1,
        }
        verdict
    }

    fn learning(&self, addr: SocketAddr, quality: Match, run: u32) -> State {
        if run >= self.config.probation {
            State::Locked { addr }
        } else {
            State::Learning { addr, quality, run }
        }
    }

    /// Where to send to the peer: the learnt (or candidate) address, else the signaled one.
    pub fn send_target(&self) -> Option<SocketAddr> {
        match self.state {
            State::Open => self.signaled,
            State::Learning { addr, .. } | State::Locked { addr } => Some(addr),
        }
    }

    /// New signaled address from a re-INVITE. A different address (or none) reopens learning;
    /// the same address keeps what was learnt.
    pub fn update_signaled(&mut self, signaled: Option<SocketAddr>) {
        if signaled != self.signaled {
            self.signaled = signaled;
            self.state = State::Open;
        }
    }

    /// The signaled address.
    pub fn signaled(&self) -> Option<SocketAddr> {
        self.signaled
    }

    /// The locked address, once learning is over.
    pub fn locked(&self) -> Option<SocketAddr> {
        match self.state {
            State::Locked { addr } => Some(addr),
            _ => None,
        }
    }

    /// Whether the latch is still learning (nothing locked yet).
    pub fn is_learning(&self) -> bool {
        !matches!(self.state, State::Locked { .. })
    }

    /// Packets dropped because they came from a stranger.
    pub fn strangers_dropped(&self) -> u64 {
        self.strangers
    }

    /// When the last packet was accepted.
    pub fn last_accepted(&self) -> Option<Instant> {
        self.last_accepted
    }
}
