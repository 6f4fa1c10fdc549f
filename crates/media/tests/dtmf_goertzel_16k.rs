//! At 16 kHz (wideband legs) the detector finds all sixteen digits with their durations, and
//! still refuses a single tone and a twisted pair, with the same limits as at 8 kHz.
mod dtmf_common;

use std::time::Duration;

use dtmf_common::{diff, digit, dtmf, events, silence, tones};
use tandem_media::dtmf::{Digit, ToneDetector, ToneEvent};

const RATE: u32 = 16_000;

#[test]
fn all_digits_at_16k() {
    let mut pcm = silence(RATE, 25);
    for d in Digit::ALL {
        pcm.extend(dtmf(RATE, d, -10.0, -10.0, 70));
        pcm.extend(silence(RATE, 50));
    }
    let mut det = ToneDetector::new(RATE);
    assert_eq!(det.sample_rate(), RATE);
    let evs = events(&mut det, &pcm, 320);
    assert_eq!(evs.len(), 32, "{evs:?}");
    for (pair, d) in evs.chunks(2).zip(Digit::ALL) {
        assert_eq!(pair[0], ToneEvent::Started(d));
        let ToneEvent::Ended { digit: e, duration } = pair[1] else {
            panic!("{pair:?}")
        };
        assert_eq!(e, d);
        assert!(
            diff(duration, Duration::from_millis(70)) <= Duration::from_millis(10),
            "{d}: {duration:?}"
        );
    }
}

#[test]
fn rejects_at_16k() {
    let mut det = ToneDetector::new(RATE);
    assert!(events(&mut det, &tones(RATE, &[(941.0, -10.0)], 300), 320).is_empty());
    let mut det = ToneDetector::new(RATE);
    let twisted = dtmf(RATE, digit('#'), -20.0, -10.0, 200);
    assert!(events(&mut det, &twisted, 320).is_empty());
}
