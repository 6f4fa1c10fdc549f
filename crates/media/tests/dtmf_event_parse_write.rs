//! The RFC 4733 payload: parse and write round-trip, short payloads are refused, the E bit
//! and the 6-bit volume sit where section 2.3 puts them, R is ignored, volume is clamped.
use tandem_media::dtmf::{Digit, EventError, TelephoneEvent};

#[test]
fn round_trip() {
    for event in [0u8, 5, 11, 15, 16, 255] {
        for end in [false, true] {
            for volume in [0u8, 10, 63] {
                for duration in [0u16, 160, 0x1234, 0xFFFF] {
                    let ev = TelephoneEvent {
                        event,
                        end,
                        volume,
                        duration,
                    };
                    assert_eq!(TelephoneEvent::parse(&ev.write()), Ok(ev));
                }
            }
        }
    }
}

#[test]
fn wire_layout() {
    let ev = TelephoneEvent {
        event: 11,
        end: true,
        volume: 10,
        duration: 800,
    };
    assert_eq!(ev.write(), [11, 0x80 | 10, 0x03, 0x20]);
    assert_eq!(ev.digit(), Digit::from_char('#'));

    let ev = TelephoneEvent::parse(&[5, 0x3f, 0xFF, 0xFE]).unwrap();
    assert_eq!(
        ev,
        TelephoneEvent {
            event: 5,
            end: false,
            volume: 63,
            duration: 0xFFFE
        }
    );
}

#[test]
fn too_short() {
    for len in 0..4 {
        let bytes = [1u8, 2, 3];
        assert_eq!(
            TelephoneEvent::parse(&bytes[..len]),
            Err(EventError::TooShort(len))
        );
    }
}

#[test]
fn reserved_bit_and_trailing_bytes_ignored() {
    let ev = TelephoneEvent::parse(&[3, 0x80 | 0x40 | 7, 0, 160, 0xAA, 0xBB]).unwrap();
    assert_eq!(
        ev,
        TelephoneEvent {
            event: 3,
            end: true,
            volume: 7,
            duration: 160
        }
    );
    // Written back without R.
    assert_eq!(ev.write(), [3, 0x87, 0, 160]);
}

#[test]
fn volume_clamped_on_write() {
    let ev = TelephoneEvent {
        event: 1,
        end: false,
        volume: 200,
        duration: 1,
    };
    assert_eq!(ev.write()[1], 63); // never spills into R or E
}

#[test]
fn digits() {
    let chars: String = Digit::ALL.iter().map(|d| d.as_char()).collect();
    assert_eq!(chars, "0123456789*#ABCD");
    assert_eq!(Digit::from_code(16), None);
    assert_eq!(Digit::from_char('x'), None);
    assert_eq!(Digit::from_char('b'), Digit::from_code(13));
}
