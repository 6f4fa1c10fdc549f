//! The RFC 4733 telephone-event payload (section 2.3) and the DTMF digit newtype.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The R bit is reserved: written as 0, ignored on receipt. A telephone-event payload is
//! four bytes; bytes after the first four are ignored (several events in one packet only
//! travel inside RFC 2198 redundancy, which is a different payload type).

use std::fmt;

/// Length of one telephone-event payload in bytes.
pub const EVENT_PAYLOAD_LEN: usize = 4;

/// Largest value of the 6-bit volume field (-63 dBm0).
pub const MAX_VOLUME: u8 = 63;

/// Row (low group) frequencies in Hz, top to bottom of the keypad.
pub const ROW_FREQS: [u16; 4] = [697, 770, 852, 941];
/// Column (high group) frequencies in Hz, left to right of the keypad.
pub const COL_FREQS: [u16; 4] = [1209, 1336, 1477, 1633];

/// The keypad: `KEYPAD[row][col]` is the digit's character.
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// RFC 4733 event codes 0-15: 0-9, `*` (10), `#` (11), `A`-`D` (12-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digit(u8);

impl Digit {
    /// All sixteen digits in event-code order.
    pub const ALL: [Digit; 16] = {
        let mut all = [Digit(0); 16];
        let mut i = 0;
        while i < 16 {
            all[i] = Digit(i as u8);
            i += 1;
        }
        all
    };

    /// The digit with RFC 4733 event code `c`, or `None` when `c` is not a DTMF event (> 15).
    pub const fn from_code(c: u8) -> Option<Self> {
        if c <= 15 { Some(Digit(c)) } else { None }
    }

    /// The digit for a keypad character: `0`-`9`, `*`, `#`, `A`-`D` (either case).
    pub const fn from_char(c: char) -> Option<Self> {
        let code = match c {
            '0'..='9' => c as u8 - b'0',
            '*' => 10,
            '#' => 11,
            'A'..='D' => c as u8 - b'A' + 12,
            'a'..='d' => c as u8 - b'a' + 12,
            _ => return None,
        };
        Some(Digit(code))
    }

    /// The RFC 4733 event code (0-15).
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The keypad character (`A`-`D` in upper case).
    pub const fn as_char(self) -> char {
        match self.0 {
            0..=9 => (b'0' + self.0) as char,
            10 => '*',
            11 => '#',
            _ => (b'A' + self.0 - 12) as char,
        }
    }

    /// Keypad position `(row, col)`, indices into [`ROW_FREQS`] and [`COL_FREQS`].
    pub fn position(self) -> (usize, usize) {
        let c = self.as_char();
        for (r, row) in KEYPAD.iter().enumerate() {
            for (k, &key) in row.iter().enumerate() {
                if key == c {
                    return (r, k);
                }
            }
        }
        // Unreachable for codes 0-15 (every code is on the keypad); keep a harmless answer.
        (0, 0)
    }

    /// The digit at keypad position `(row, col)`, or `None` outside the 4x4 pad.
    pub fn at(row: usize, col: usize) -> Option<Self> {
        let c = *KEYPAD.get(row)?.get(col)?;
        Self::from_char(c)
    }

    /// The two tone frequencies in Hz: `(row, column)`.
    pub fn frequencies(self) -> (u16, u16) {
        let (r, c) = self.position();
        (ROW_FREQS[r], COL_FREQS[c])
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// Why a telephone-event payload was refused.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// The payload has fewer than 4 bytes.
    #[error("telephone-event payload of {0} bytes, need 4")]
    TooShort(usize),
    /// The event code is not a DTMF digit (0-15); other RFC 4734 events are not translated.
    #[error("telephone-event code {0} is not a DTMF digit (0-15)")]
    NotDtmf(u8),
}

/// One telephone-event payload (RFC 4733 section 2.3): event, E bit, volume, duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code (0-15 for DTMF digits, RFC 4734 defines more).
    pub event: u8,
    /// The E bit: this packet reports the end of the event.
    pub end: bool,
    /// Power level as -dBm0, 0..=63 (larger is quieter). `write` clamps to 63.
    pub volume: u8,
    /// Duration so far in RTP timestamp units of the stream's clock, from the event's start.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first four bytes of `payload`.
    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        let &[event, flags, d0, d1, ..] = payload else {
            return Err(EventError::TooShort(payload.len()));
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The four payload bytes; R is written as 0 and the volume clamped to 63.
    pub fn write(&self) -> [u8; 4] {
        let flags = if self.end { 0x80 } else { 0 } | self.volume.min(MAX_VOLUME);
        let [d0, d1] = self.duration.to_be_bytes();
        [self.event, flags, d0, d1]
    }

    /// The event as a DTMF digit, when it is one.
    pub fn digit(&self) -> Option<Digit> {
        Digit::from_code(self.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_chars_round_trip() {
        for d in Digit::ALL {
            assert_eq!(Digit::from_char(d.as_char()), Some(d));
            assert_eq!(Digit::from_code(d.code()), Some(d));
            let (r, c) = d.position();
            assert_eq!(Digit::at(r, c), Some(d));
        }
        assert_eq!(Digit::from_char('*').map(Digit::code), Some(10));
        assert_eq!(Digit::from_char('#').map(Digit::code), Some(11));
        assert_eq!(Digit::from_char('d').map(Digit::code), Some(15));
        assert_eq!(Digit::from_char('E'), None);
        assert_eq!(Digit::from_code(16), None);
        assert_eq!(
            Digit::from_char('5').map(Digit::frequencies),
            Some((770, 1336))
        );
        assert_eq!(
            Digit::from_char('D').map(Digit::frequencies),
            Some((941, 1633))
        );
    }

    #[test]
    fn reserved_bit_ignored() {
        let ev = TelephoneEvent::parse(&[1, 0x40 | 10, 0, 160]).unwrap();
        assert_eq!(ev.volume, 10);
        assert!(!ev.end);
        assert_eq!(ev.write(), [1, 10, 0, 160]);
    }
}
