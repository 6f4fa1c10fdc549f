//! Level and twist limits: tones too quiet are ignored; a 6 dB normal twist (column louder)
//! is accepted and 10 dB refused; a 3 dB reverse twist (row louder) is accepted and 6 dB
//! refused (limits: 8 dB normal, 4 dB reverse, -30 dBm0 per tone).
mod dtmf_common;

use dtmf_common::{digit, dtmf, events, silence};
use tandem_media::dtmf::{ToneDetector, ToneEvent};

const RATE: u32 = 8000;

/// Events for 100 ms of '8' with the given row and column levels.
fn detect(row_dbm0: f64, col_dbm0: f64) -> Vec<ToneEvent> {
    let mut pcm = silence(RATE, 20);
    pcm.extend(dtmf(RATE, digit('8'), row_dbm0, col_dbm0, 100));
    pcm.extend(silence(RATE, 60));
    events(&mut ToneDetector::new(RATE), &pcm, 160)
}

fn detected(row_dbm0: f64, col_dbm0: f64) -> bool {
    let evs = detect(row_dbm0, col_dbm0);
    match evs.as_slice() {
        [] => false,
        [ToneEvent::Started(d), ToneEvent::Ended { digit: e, .. }] => {
            assert_eq!((*d, *e), (digit('8'), digit('8')));
            true
        }
        other => panic!("row {row_dbm0} col {col_dbm0}: {other:?}"),
    }
}

#[test]
fn level_threshold() {
    assert!(detected(-3.0, -3.0), "loud");
    assert!(detected(-25.0, -25.0), "-25 dBm0 per tone");
    assert!(!detected(-35.0, -35.0), "-35 dBm0 per tone");
    assert!(!detected(-45.0, -45.0), "-45 dBm0 per tone");
    // One tone above the threshold is not enough.
    assert!(!detected(-10.0, -35.0));
}

#[test]
fn normal_twist() {
    assert!(detected(-16.0, -10.0), "6 dB normal twist");
    assert!(!detected(-20.0, -10.0), "10 dB normal twist");
}

#[test]
fn reverse_twist() {
    assert!(detected(-10.0, -13.0), "3 dB reverse twist");
    assert!(!detected(-10.0, -16.0), "6 dB reverse twist");
    assert!(!detected(-10.0, -20.0), "10 dB reverse twist");
}
