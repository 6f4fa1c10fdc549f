//! Translation of one direction's RFC 4733 stream from the input leg's clock to the output's.
//!
//! The pipeline owns the output stream's SSRC, sequence numbers and timestamp counter
//! (`out_now`). For each incoming telephone-event packet, [`EventTranslator::handle`] answers
//! the packet to send on the output leg:
//!
//! * A **new event** (an RTP timestamp not seen before, RFC 4733 section 2.5.2) is anchored at
//!   the output's current timestamp `out_now`; every later packet of the event carries that
//!   same timestamp. The marker bit is set on the first output packet of each event only, even
//!   when the input's marker packet was lost.
//! * **Durations** are scaled by `out_clock / in_clock` (rounded) and saturate at `0xFFFF`. An
//!   8 kHz event longer than 0xFFFF / 6 = 10922 samples (1.37 s) becomes a 48 kHz event whose
//!   duration stops growing at 0xFFFF until the end packet: the output is never split into
//!   RFC 4733 2.5.1.3 segments, because a receiver that does not join segments would see the
//!   digit twice. Input segments (a continuation with timestamp = previous + previous duration,
//!   no marker, same event, previous not ended) are joined into one event.
//! * **Repeats**: each packet the sender sends is forwarded once as it came. Identical end
//!   packets are the sender's deliberate retransmissions (RFC 4733 2.5.1.4) and are forwarded;
//!   without the RTP sequence number a network duplicate cannot be told apart from them, and a
//!   receiver has to cope with repeated end packets anyway. Dropped (`Ok(None)`): updates older
//!   than one already forwarded (reordered), updates arriving after the end packet, and packets
//!   of an event older than the current one.
//! * **Activity**: [`EventTranslator::is_active`] is true from the first packet of an event until
//!   its end packet, or until [`DEFAULT_EVENT_TIMEOUT`] (150 ms) after its last packet when the
//!   end packets are lost. 150 ms is three 50 ms update intervals (the common sender default),
//!   so a single lost update does not end the event early; a late update revives it.
//!
//! Only DTMF events (codes 0-15) are translated; other codes give
//! [`EventError::NotDtmf`] so the pipeline counts and drops them.

use std::time::{Duration, Instant};

use super::event::{Digit, EventError, TelephoneEvent};

/// How long an event stays active after its last packet when no end packet arrives.
pub const DEFAULT_EVENT_TIMEOUT: Duration = Duration::from_millis(150);

/// Input packets whose timestamp is at most this many seconds behind the current event are
/// late packets of an older event; further back, the sender's timestamp base jumped and the
/// packet starts a new event.
const STALE_WINDOW_SECS: u64 = 5;

/// An event packet to send on the output leg: the pipeline wraps it in RTP with the output
/// leg's telephone-event payload type, its SSRC and next sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// RTP timestamp in the output clock: the event's start (the same on all its packets).
    pub timestamp: u32,
    /// RTP marker bit: set on the first packet of an event only.
    pub marker: bool,
    /// The four telephone-event payload bytes.
    pub payload: [u8; 4],
}

impl EventPacket {
    /// The payload decoded (always valid: it was written by this module).
    pub fn event(&self) -> TelephoneEvent {
        let [event, flags, d0, d1] = self.payload;
        TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct InEvent {
    digit: Digit,
    /// Input timestamp of the current segment.
    in_ts: u32,
    /// Input samples covered by earlier segments of the same event.
    in_base: u64,
    /// Largest duration seen in the current segment.
    max_duration: u16,
    /// Output anchor: the event's start in the output clock.
    out_ts: u32,
    /// The E bit was seen.
    ended: bool,
    /// `last_completed` already holds this event (end packet or timeout).
    reported: bool,
    last_packet_at: Instant,
}

impl InEvent {
    fn total_in(&self, duration: u16) -> u64 {
        self.in_base + u64::from(duration)
    }
}

/// Translates one direction's RFC 4733 stream from the input leg's clock to the output leg's.
#[derive(Debug, Clone)]
pub struct EventTranslator {
    in_clock: u32,
    out_clock: u32,
    timeout: Duration,
    current: Option<InEvent>,
    last_completed: Option<(Digit, Duration)>,
}

impl EventTranslator {
    /// A translator from an `in_clock` Hz telephone-event stream to an `out_clock` Hz one
    /// (a zero rate is treated as 1 Hz rather than dividing by zero).
    pub fn new(in_clock: u32, out_clock: u32) -> Self {
        EventTranslator {
            in_clock: in_clock.max(1),
            out_clock: out_clock.max(1),
            timeout: DEFAULT_EVENT_TIMEOUT,
            current: None,
            last_completed: None,
        }
    }

    /// The same translator with another lost-end timeout (default [`DEFAULT_EVENT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Forgets the current event (call when the input source changes, e.g. a new SSRC).
    pub fn reset(&mut self) {
        self.current = None;
    }

    /// An incoming telephone-event packet (RTP timestamp, marker, payload). `out_now` is the
    /// output stream's current timestamp (the pipeline's counter): a new event is anchored
    /// there. Returns the packet to send, or `None` for a stale packet (see the module doc).
    pub fn handle(
        &mut self,
        now: Instant,
        in_timestamp: u32,
        marker: bool,
        payload: &[u8],
        out_now: u32,
    ) -> Result<Option<EventPacket>, EventError> {
        let ev = TelephoneEvent::parse(payload)?;
        let digit = ev.digit().ok_or(EventError::NotDtmf(ev.event))?;
        let stale_window = u64::from(self.in_clock) * STALE_WINDOW_SECS;

        let mut first = false;
        let cur = match &mut self.current {
            Some(cur) if cur.in_ts == in_timestamp && cur.digit == digit => {
                if cur.ended && !ev.end {
                    return Ok(None); // an update reordered behind the end packet
                }
                if !ev.end && ev.duration < cur.max_duration {
                    return Ok(None); // an older update reordered behind a newer one
                }
                cur
            }
            Some(cur) if is_continuation(cur, in_timestamp, marker, digit) => {
                cur.in_base += u64::from(in_timestamp.wrapping_sub(cur.in_ts));
                cur.in_ts = in_timestamp;
                cur.max_duration = 0;
                cur
            }
            Some(cur)
                if (in_timestamp.wrapping_sub(cur.in_ts) as i32) < 0
                    && u64::from(cur.in_ts.wrapping_sub(in_timestamp)) <= stale_window =>
            {
                return Ok(None); // a late packet of an older event
            }
            slot => {
                if let Some(prev) = slot.as_ref()
                    && !prev.reported
                {
                    // Its end packets were lost and the next event began: it is over.
                    let total = prev.total_in(prev.max_duration);
                    self.last_completed =
                        Some((prev.digit, samples_to_duration(total, self.in_clock)));
                }
                first = true;
                slot.insert(InEvent {
                    digit,
                    in_ts: in_timestamp,
                    in_base: 0,
                    max_duration: 0,
                    out_ts: out_now,
                    ended: false,
                    reported: false,
                    last_packet_at: now,
                })
            }
        };

        cur.last_packet_at = now;
        cur.max_duration = cur.max_duration.max(ev.duration);
        let total = cur.total_in(ev.duration);
        if ev.end && !cur.ended {
            cur.ended = true;
            cur.reported = true;
            self.last_completed = Some((digit, samples_to_duration(total, self.in_clock)));
        }
        let out = TelephoneEvent {
            event: ev.event,
            end: ev.end,
            volume: ev.volume,
            duration: scale(total, self.in_clock, self.out_clock),
        };
        Ok(Some(EventPacket {
            timestamp: cur.out_ts,
            marker: first,
            payload: out.write(),
        }))
    }

    /// While an event is in progress (started, not ended, not timed out) the pipeline sends
    /// silence instead of the decoded audio so the tone never leaks in-band.
    pub fn is_active(&self, now: Instant) -> bool {
        self.current.as_ref().is_some_and(|c| {
            !c.ended && now.saturating_duration_since(c.last_packet_at) < self.timeout
        })
    }

    /// When the current event times out if no packet comes (for `handle_timeout`).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current
            .as_ref()
            .filter(|c| !c.ended && !c.reported)
            .map(|c| c.last_packet_at + self.timeout)
    }

    /// Records a timed-out event (end packets lost) in [`Self::last_completed`]. Optional:
    /// [`Self::is_active`] already goes false on its own; a late packet still revives the event.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(c) = self.current.as_mut()
            && !c.ended
            && !c.reported
            && now.saturating_duration_since(c.last_packet_at) >= self.timeout
        {
            c.reported = true;
            let total = c.total_in(c.max_duration);
            self.last_completed = Some((c.digit, samples_to_duration(total, self.in_clock)));
        }
    }

    /// The last digit completed (end packet seen, next event begun, or `handle_timeout`) and
    /// its duration.
    pub fn last_completed(&self) -> Option<(Digit, Duration)> {
        self.last_completed
    }
}

/// RFC 4733 2.5.1.3: a long event continues in a new segment whose timestamp is the previous
/// segment's timestamp plus its duration (0xFFFF or close to it), without the marker bit.
fn is_continuation(cur: &InEvent, in_timestamp: u32, marker: bool, digit: Digit) -> bool {
    if marker || cur.ended || cur.digit != digit {
        return false;
    }
    let delta = in_timestamp.wrapping_sub(cur.in_ts);
    // The previous segment must have (nearly) filled its 16-bit duration and the new one must
    // start where it stopped; allow the sender some slack for its packetization.
    u32::from(cur.max_duration) >= 0xF000 && (0xF000..=0x1_0000).contains(&delta)
}

fn scale(samples: u64, in_clock: u32, out_clock: u32) -> u16 {
    let in_clock = u64::from(in_clock);
    let scaled = (samples * u64::from(out_clock) + in_clock / 2) / in_clock;
    u16::try_from(scaled).unwrap_or(u16::MAX)
}

fn samples_to_duration(samples: u64, clock: u32) -> Duration {
    Duration::from_nanos(samples.saturating_mul(1_000_000_000) / u64::from(clock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_rounds_and_saturates() {
        assert_eq!(scale(160, 8000, 48000), 960);
        assert_eq!(scale(960, 48000, 8000), 160);
        assert_eq!(scale(7, 48000, 8000), 1); // 1.17 -> 1
        assert_eq!(scale(20_000, 8000, 48000), 0xFFFF);
    }

    #[test]
    fn non_dtmf_event_is_refused() {
        let mut t = EventTranslator::new(8000, 48000);
        let now = Instant::now();
        let r = t.handle(now, 0, true, &[16, 10, 0, 160], 0);
        assert_eq!(r, Err(EventError::NotDtmf(16)));
        assert_eq!(
            t.handle(now, 0, true, &[1, 10], 0),
            Err(EventError::TooShort(2))
        );
    }

    #[test]
    fn input_segments_are_joined() {
        let mut t = EventTranslator::new(8000, 8000);
        let now = Instant::now();
        let p = t
            .handle(now, 1000, true, &[5, 10, 0xFF, 0xFF], 0)
            .unwrap()
            .unwrap();
        assert!(p.marker);
        let next = 1000u32.wrapping_add(0xFFFF);
        let p = t
            .handle(now, next, false, &[5, 10, 0, 160], 0)
            .unwrap()
            .unwrap();
        assert!(!p.marker);
        assert_eq!(p.timestamp, 0);
        assert_eq!(p.event().duration, 0xFFFF);
        let p = t
            .handle(now, next, false, &[5, 0x80 | 10, 0, 200], 0)
            .unwrap()
            .unwrap();
        assert!(p.event().end);
        let (d, dur) = t.last_completed().unwrap();
        assert_eq!(d.as_char(), '5');
        assert_eq!(dur, samples_to_duration(0xFFFF + 200, 8000));
    }

    #[test]
    fn timestamp_jump_far_back_is_a_new_event() {
        let mut t = EventTranslator::new(8000, 8000);
        let now = Instant::now();
        t.handle(now, 1_000_000, true, &[1, 0x80, 0, 160], 0)
            .unwrap();
        // Far behind (a new timestamp base): a new event, not a late packet.
        let p = t
            .handle(now, 5, true, &[2, 0, 0, 160], 500)
            .unwrap()
            .unwrap();
        assert!(p.marker);
        assert_eq!(p.timestamp, 500);
        // Close behind: a late packet of the older event, dropped.
        assert_eq!(t.handle(now, 1, false, &[1, 0, 0, 80], 600).unwrap(), None);
    }
}
