//! Debouncing: tones of 20 ms or less never make a digit, tones of 40 ms always do (whatever
//! their alignment to the detector's blocks); a 5 ms break inside a tone does not split the
//! digit, a 40 ms pause between two presses of the same key gives two digits.
mod dtmf_common;

use dtmf_common::{digit, dtmf, events, silence};
use tandem_media::dtmf::{ToneDetector, ToneEvent};

const RATE: u32 = 8000;

fn count_digits(pcm: &[i16]) -> usize {
    let evs = events(&mut ToneDetector::new(RATE), pcm, 160);
    evs.iter()
        .filter(|e| matches!(e, ToneEvent::Started(_)))
        .count()
}

fn burst(lead_in: usize, ms: u32) -> Vec<i16> {
    let mut pcm = vec![0i16; lead_in];
    pcm.extend(dtmf(RATE, digit('0'), -10.0, -10.0, ms));
    pcm.extend(silence(RATE, 60));
    pcm
}

#[test]
fn short_tones_rejected_long_enough_accepted() {
    for lead_in in 0..53 {
        assert_eq!(
            count_digits(&burst(lead_in, 15)),
            0,
            "15 ms, lead-in {lead_in}"
        );
        assert_eq!(
            count_digits(&burst(lead_in, 20)),
            0,
            "20 ms, lead-in {lead_in}"
        );
        assert_eq!(
            count_digits(&burst(lead_in, 40)),
            1,
            "40 ms, lead-in {lead_in}"
        );
    }
}

#[test]
fn short_break_bridged() {
    let d = digit('9');
    let mut pcm = dtmf(RATE, d, -10.0, -10.0, 80);
    pcm.extend(silence(RATE, 5));
    pcm.extend(dtmf(RATE, d, -10.0, -10.0, 80));
    pcm.extend(silence(RATE, 60));
    assert_eq!(count_digits(&pcm), 1);
}

#[test]
fn pause_between_presses_splits() {
    let d = digit('9');
    let mut pcm = dtmf(RATE, d, -10.0, -10.0, 50);
    pcm.extend(silence(RATE, 40));
    pcm.extend(dtmf(RATE, d, -10.0, -10.0, 50));
    pcm.extend(silence(RATE, 60));
    assert_eq!(count_digits(&pcm), 2);
}

#[test]
fn key_change_without_gap_gives_both_digits() {
    let mut pcm = dtmf(RATE, digit('1'), -10.0, -10.0, 80);
    pcm.extend(dtmf(RATE, digit('2'), -10.0, -10.0, 80));
    pcm.extend(silence(RATE, 60));
    let evs = events(&mut ToneDetector::new(RATE), &pcm, 160);
    let starts: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            ToneEvent::Started(d) => Some(d.as_char()),
            _ => None,
        })
        .collect();
    assert_eq!(starts, ['1', '2'], "{evs:?}");
    assert!(matches!(evs[1], ToneEvent::Ended { digit: d, .. } if d == digit('1')));
}
