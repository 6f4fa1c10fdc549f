//! RFC 4733 packets for a digit this gateway produces itself (one detected in-band, or one
//! requested by the control plane).
//!
//! Sequence for a digit held for several output frames of `interval` samples (the leg's ptime),
//! all packets carrying the event's start timestamp:
//!
//! | call                  | marker | E | duration                               |
//! |-----------------------|--------|---|----------------------------------------|
//! | `start(d, t0)`        | yes    | 0 | `interval` (the frame sent at `t0`)    |
//! | `tick(t0 + k*iv)`     | no     | 0 | `(k + 1) * interval`                   |
//! | `end(t1)`             | no     | 1 | `t1 - t0` (never less than the last)   |
//! | `pending_end()` x2    | no     | 1 | the same as the end packet             |
//!
//! A packet sent with the frame at `out_now` reports the event up to the end of that frame,
//! hence `+ interval` on start and updates; `end(t1)` means the tone stopped at `t1`. Durations
//! saturate at 0xFFFF (1.37 s at 48 kHz, 8.2 s at 8 kHz) rather than starting an RFC 4733
//! 2.5.1.3 segment, for the same reason as the translator. The end packet is sent three times
//! in all (RFC 4733 2.5.1.4). `start` while a digit is held or its end is still being repeated
//! abandons it; a receiver ends an event when a new timestamp arrives.

use super::event::{Digit, MAX_VOLUME, TelephoneEvent};
use super::translate::EventPacket;

/// Times the end packet is sent in all (the first from `end`, the rest from `pending_end`).
pub const END_PACKET_COUNT: u8 = 3;

#[derive(Debug, Clone, Copy)]
enum State {
    Idle,
    Held {
        digit: Digit,
        start_ts: u32,
        last_duration: u16,
        last_sent_ts: u32,
    },
    Ending {
        packet: EventPacket,
        remaining: u8,
    },
}

/// Generates RFC 4733 packets for a digit: start (marker), an update per output frame while
/// held, and the end packet three times.
#[derive(Debug, Clone)]
pub struct EventGenerator {
    clock_rate: u32,
    interval: u32,
    volume: u8,
    state: State,
}

impl EventGenerator {
    /// A generator for a leg with RTP clock `clock_rate`, frames of `interval_samples`, and
    /// tones reported at `volume` (-dBm0, clamped to 0..=63; 10 is typical).
    pub fn new(clock_rate: u32, interval_samples: u32, volume: u8) -> Self {
        EventGenerator {
            clock_rate,
            interval: interval_samples,
            volume: volume.min(MAX_VOLUME),
            state: State::Idle,
        }
    }

    /// The RTP clock rate this generator was made for.
    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// The first packet of `digit`, starting at output timestamp `out_now`: marker set,
    /// duration one interval.
    pub fn start(&mut self, digit: Digit, out_now: u32) -> EventPacket {
        let duration = saturate(u64::from(self.interval));
        self.state = State::Held {
            digit,
            start_ts: out_now,
            last_duration: duration,
            last_sent_ts: out_now,
        };
        self.packet(digit, out_now, true, false, duration)
    }

    /// Called once per output frame while the digit is held: the update packet. `None` when no
    /// digit is held, or when called again for the same `out_now`.
    pub fn tick(&mut self, out_now: u32) -> Option<EventPacket> {
        let State::Held {
            digit,
            start_ts,
            last_duration,
            last_sent_ts,
        } = self.state
        else {
            return None;
        };
        if out_now == last_sent_ts {
            return None;
        }
        let elapsed = u64::from(out_now.wrapping_sub(start_ts)) + u64::from(self.interval);
        let duration = saturate(elapsed).max(last_duration);
        self.state = State::Held {
            digit,
            start_ts,
            last_duration: duration,
            last_sent_ts: out_now,
        };
        Some(self.packet(digit, start_ts, false, false, duration))
    }

    /// The digit ended at `out_now`: returns the end packet; call [`Self::pending_end`] on the
    /// next two frames for its retransmissions. `None` when no digit is held.
    pub fn end(&mut self, out_now: u32) -> Option<EventPacket> {
        let State::Held {
            digit,
            start_ts,
            last_duration,
            ..
        } = self.state
        else {
            return None;
        };
        let duration = saturate(u64::from(out_now.wrapping_sub(start_ts))).max(last_duration);
        let packet = self.packet(digit, start_ts, false, true, duration);
        self.state = State::Ending {
            packet,
            remaining: END_PACKET_COUNT - 1,
        };
        Some(packet)
    }

    /// A retransmission of the end packet, twice after [`Self::end`], then `None`.
    pub fn pending_end(&mut self) -> Option<EventPacket> {
        let State::Ending { packet, remaining } = self.state else {
            return None;
        };
        self.state = if remaining > 1 {
            State::Ending {
                packet,
                remaining: remaining - 1,
            }
        } else {
            State::Idle
        };
        Some(packet)
    }

    /// True while a digit is held or its end packet still has retransmissions to send.
    pub fn is_active(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// The digit being held, if any.
    pub fn held(&self) -> Option<Digit> {
        match self.state {
            State::Held { digit, .. } => Some(digit),
            _ => None,
        }
    }

    fn packet(&self, digit: Digit, ts: u32, marker: bool, end: bool, duration: u16) -> EventPacket {
        let ev = TelephoneEvent {
            event: digit.code(),
            end,
            volume: self.volume,
            duration,
        };
        EventPacket {
            timestamp: ts,
            marker,
            payload: ev.write(),
        }
    }
}

fn saturate(samples: u64) -> u16 {
    u16::try_from(samples).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_hold_saturates() {
        let mut g = EventGenerator::new(48_000, 960, 10);
        let d = Digit::from_char('#').unwrap();
        g.start(d, 0);
        let mut last = 0;
        for k in 1..100u32 {
            last = g.tick(k * 960).unwrap().event().duration;
        }
        assert_eq!(last, 0xFFFF);
        assert_eq!(g.end(100 * 960).unwrap().event().duration, 0xFFFF);
    }

    #[test]
    fn idle_generator_sends_nothing() {
        let mut g = EventGenerator::new(8000, 160, 10);
        assert_eq!(g.tick(160), None);
        assert_eq!(g.end(160), None);
        assert_eq!(g.pending_end(), None);
        assert!(!g.is_active());
    }
}
