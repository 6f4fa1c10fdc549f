//! Keeping one outgoing RTP stream continuous while the incoming source changes (sans-IO).
//!
//! A B2BUA relay forwards one stream per direction. The source behind it can change in the
//! middle of a call: a re-INVITE moves the far end to a new media server, forked early media
//! comes from two gateways one after the other, a device restarts its stream. Receivers
//! (jitter buffers, SRTP contexts, recorders) cope badly with a new SSRC or a jump in sequence
//! number and timestamp, so [`StreamRewriter`] keeps the output looking like one stream:
//!
//! * The first source passes through untouched (zero offsets, no writes at all).
//! * When a new source appears, offsets are chosen so that its first packet gets
//!   `seq = last + 1` and `ts = last_ts + elapsed * clock_rate` (elapsed since the last
//!   forwarded packet, at least one tick), the SSRC of the first source, and the marker bit.
//! * A sequence jump inside the same SSRC larger than `max_dropout` ahead or `max_misorder`
//!   behind (RFC 3550 appendix A.1) is a restart and is re-based the same way.
//! * A late packet (reordered, within `max_misorder`) keeps the current offsets, so it is not
//!   taken for a switch. A packet from a source that was current recently (one of the last
//!   four) while the current source is still active (a packet within `holdoff`) is dropped as
//!   stale: with two forked sources sending at once, the newest wins instead of flapping.

use std::time::{Duration, Instant};

use crate::rtcp::{ReportMap, SenderMap};
use crate::rtp::{RtpHeaderMut, Ssrc};

/// Tuning for [`StreamRewriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewriterConfig {
    /// RTP clock rate of the stream in Hz (8000 for G.711, 48000 for Opus).
    pub clock_rate: u32,
    /// How long the current source must be silent before an earlier source may take over
    /// again (default 100 ms, five G.711 packets).
    pub holdoff: Duration,
    /// A forward sequence jump of this many or more is a restart (RFC 3550: 3000).
    pub max_dropout: u16,
    /// A backward sequence jump of more than this is a restart, not a late packet
    /// (RFC 3550: 100).
    pub max_misorder: u16,
}

impl RewriterConfig {
    /// Defaults for a stream at `clock_rate` Hz.
    pub const fn new(clock_rate: u32) -> Self {
        RewriterConfig {
            clock_rate,
            holdoff: Duration::from_millis(100),
            max_dropout: 3000,
            max_misorder: 100,
        }
    }
}

impl Default for RewriterConfig {
    fn default() -> Self {
        RewriterConfig::new(8000)
    }
}

/// What [`StreamRewriter::handle_packet`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteOutcome {
    /// Forward as is: still the first source, nothing was written.
    PassThrough,
    /// Forward: SSRC, sequence number and timestamp were rewritten with the current offsets.
    Rewritten,
    /// Forward: a new source (or a restart) began here; new offsets, marker bit set.
    Switched,
    /// Drop: the packet comes from a previous source while the current one is active.
    DropStale,
}

impl RewriteOutcome {
    /// Whether the packet should be forwarded.
    pub fn forward(self) -> bool {
        !matches!(self, RewriteOutcome::DropStale)
    }
}

const RECENT: usize = 4;

#[derive(Debug, Clone)]
struct Active {
    out_ssrc: Ssrc,
    in_ssrc: Ssrc,
    seq_offset: u16,
    ts_offset: u32,
    /// Highest incoming sequence number of the current source.
    max_in_seq: u16,
    /// Highest outgoing sequence number, its timestamp and when it was forwarded.
    last_out_seq: u16,
    last_out_ts: u32,
    last_out_at: Instant,
    /// Last packet of the current source, for the holdoff.
    last_in_at: Instant,
    /// Previous sources, most recent first.
    recent: [Option<Ssrc>; RECENT],
    switches: u64,
}

/// Rewrites one direction of a relayed RTP stream so its output stays continuous; see the
/// module docs. Sans-IO: the caller passes the arrival time of each packet.
#[derive(Debug, Clone)]
pub struct StreamRewriter {
    config: RewriterConfig,
    state: Option<Active>,
}

fn seq_newer(a: u16, b: u16) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000
}

impl StreamRewriter {
    /// A rewriter that has seen nothing yet.
    pub fn new(config: RewriterConfig) -> Self {
        StreamRewriter {
            config,
            state: None,
        }
    }

    /// Changes the clock rate (after a codec change); takes effect at the next switch.
    pub fn set_clock_rate(&mut self, clock_rate: u32) {
        self.config.clock_rate = clock_rate;
    }

    /// The configuration in use.
    pub fn config(&self) -> &RewriterConfig {
        &self.config
    }

    /// The SSRC the far end sees (the first source's), once a packet was seen.
    pub fn out_ssrc(&self) -> Option<Ssrc> {
        self.state.as_ref().map(|s| s.out_ssrc)
    }

    /// The source currently forwarded.
    pub fn in_ssrc(&self) -> Option<Ssrc> {
        self.state.as_ref().map(|s| s.in_ssrc)
    }

    /// The offset currently added to incoming sequence numbers.
    pub fn seq_offset(&self) -> u16 {
        self.state.as_ref().map_or(0, |s| s.seq_offset)
    }

    /// The offset currently added to incoming timestamps.
    pub fn ts_offset(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.ts_offset)
    }

    /// How many times the source changed or restarted.
    pub fn switches(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.switches)
    }

    /// Whether packets are being rewritten (any offset or SSRC change in force).
    pub fn is_rewriting(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.in_ssrc != s.out_ssrc || s.seq_offset != 0 || s.ts_offset != 0)
    }

    /// How RTCP from this stream's sender must be rewritten to match the output, if at all.
    pub fn sender_map(&self) -> Option<SenderMap> {
        let s = self.state.as_ref()?;
        (s.in_ssrc != s.out_ssrc || s.ts_offset != 0).then_some(SenderMap {
            from: s.in_ssrc,
            to: s.out_ssrc,
            rtp_ts_offset: s.ts_offset,
        })
    }

    /// How RTCP from this stream's receiver (reports about the output) must be rewritten to
    /// match the real source, if at all.
    pub fn report_map(&self) -> Option<ReportMap> {
        let s = self.state.as_ref()?;
        (s.in_ssrc != s.out_ssrc || s.seq_offset != 0).then_some(ReportMap {
            from: s.out_ssrc,
            to: s.in_ssrc,
            seq_offset: s.seq_offset,
        })
    }

    /// Handles one incoming packet that arrived at `now`: rewrites it in place and says
    /// whether to forward it.
    pub fn handle_packet(&mut self, now: Instant, pkt: &mut RtpHeaderMut<'_>) -> RewriteOutcome {
        let ssrc = pkt.ssrc();
        let seq = pkt.sequence_number();
        let ts = pkt.timestamp();
        let cfg = self.config;

        let Some(s) = self.state.as_mut() else {
            self.state = Some(Active {
                out_ssrc: ssrc,
                in_ssrc: ssrc,
                seq_offset: 0,
                ts_offset: 0,
                max_in_seq: seq,
                last_out_seq: seq,
                last_out_ts: ts,
                last_out_at: now,
                last_in_at: now,
                recent: [None; RECENT],
                switches: 0,
            });
            return RewriteOutcome::PassThrough;
        };

        let mut switched = false;
        if ssrc != s.in_ssrc {
            let was_recent = s.recent.contains(&Some(ssrc));
            let current_active = now.saturating_duration_since(s.last_in_at) < cfg.holdoff;
            if was_recent && current_active {
                return RewriteOutcome::DropStale;
            }
            // Remember the source we leave; forget `ssrc` from the list if it was there.
            let leaving = s.in_ssrc;
            let mut recent = [None; RECENT];
            recent[0] = Some(leaving);
            let mut n = 1;
            for r in s.recent.iter().flatten() {
                if *r != ssrc && *r != leaving && n < RECENT {
                    recent[n] = Some(*r);
                    n += 1;
                }
            }
            s.recent = recent;
            s.in_ssrc = ssrc;
            switched = true;
        } else {
            let ahead = seq.wrapping_sub(s.max_in_seq);
            if ahead == 0 {
                // Duplicate of the highest: same offsets.
            } else if ahead < cfg.max_dropout {
                s.max_in_seq = seq;
            } else if ahead > u16::MAX - cfg.max_misorder {
                // Late packet: same offsets.
            } else {
                switched = true;
            }
        }

        if switched {
            let out_seq = s.last_out_seq.wrapping_add(1);
            let elapsed = now.saturating_duration_since(s.last_out_at);
            let ticks = (elapsed.as_nanos() * u128::from(cfg.clock_rate) / 1_000_000_000).max(1);
            // The RTP timestamp is modulo 2^32: truncating the tick count is intended.
            let out_ts = s.last_out_ts.wrapping_add(ticks as u32);
            s.seq_offset = out_seq.wrapping_sub(seq);
            s.ts_offset = out_ts.wrapping_sub(ts);
            s.max_in_seq = seq;
            s.switches += 1;
        }
        s.last_in_at = now;

        let out_seq = seq.wrapping_add(s.seq_offset);
        let out_ts = ts.wrapping_add(s.ts_offset);
        if switched || seq_newer(out_seq, s.last_out_seq) {
            s.last_out_seq = out_seq;
            s.last_out_ts = out_ts;
            s.last_out_at = now;
        }

        if switched {
            pkt.set_ssrc(s.out_ssrc);
            pkt.set_sequence_number(out_seq);
            pkt.set_timestamp(out_ts);
            pkt.set_marker(true);
            RewriteOutcome::Switched
        } else if s.seq_offset == 0 && s.ts_offset == 0 && s.in_ssrc == s.out_ssrc {
            RewriteOutcome::PassThrough
        } else {
            pkt.set_ssrc(s.out_ssrc);
            pkt.set_sequence_number(out_seq);
            pkt.set_timestamp(out_ts);
            RewriteOutcome::Rewritten
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(ssrc: u32, seq: u16, ts: u32) -> Vec<u8> {
        let mut v = vec![0x80, 0x00];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&ssrc.to_be_bytes());
        v.extend_from_slice(&[0xd5; 160]);
        v
    }

    fn run(
        r: &mut StreamRewriter,
        now: Instant,
        ssrc: u32,
        seq: u16,
        ts: u32,
    ) -> (RewriteOutcome, u16, u32, u32, bool) {
        let mut b = pkt(ssrc, seq, ts);
        let mut h = RtpHeaderMut::parse(&mut b).unwrap();
        let o = r.handle_packet(now, &mut h);
        (
            o,
            h.sequence_number(),
            h.timestamp(),
            h.ssrc().0,
            h.marker(),
        )
    }

    #[test]
    fn late_packet_from_previous_source_is_dropped_not_switched() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut r = StreamRewriter::new(RewriterConfig::new(8000));
        run(&mut r, t0, 1, 100, 1000);
        let (o, ..) = run(&mut r, t0 + ms(20), 2, 5000, 90000);
        assert_eq!(o, RewriteOutcome::Switched);
        let (o, ..) = run(&mut r, t0 + ms(25), 1, 101, 1160);
        assert_eq!(o, RewriteOutcome::DropStale);
        assert_eq!(r.in_ssrc(), Some(Ssrc(2)));
        // Source 2 goes quiet for longer than the holdoff: source 1 may come back.
        let (o, seq, ..) = run(&mut r, t0 + ms(200), 1, 110, 2600);
        assert_eq!(o, RewriteOutcome::Switched);
        assert_eq!(seq, 102);
    }

    #[test]
    fn restart_within_same_ssrc_is_rebased() {
        let t0 = Instant::now();
        let mut r = StreamRewriter::new(RewriterConfig::new(8000));
        run(&mut r, t0, 1, 100, 1000);
        let (o, seq, ts, _, m) = run(&mut r, t0 + Duration::from_millis(20), 1, 40000, 7);
        assert_eq!(o, RewriteOutcome::Switched);
        assert_eq!((seq, ts, m), (101, 1160, true));
    }
}
