//! The generator's packet sequence for a digit held for 5 frames of 20 ms at 48 kHz: a start
//! packet with the marker, one update per frame, the end packet and its two retransmissions,
//! all with the start timestamp; then nothing more.
mod dtmf_common;

use dtmf_common::digit;
use tandem_media::dtmf::{EventGenerator, EventPacket};

#[test]
fn held_for_five_frames() {
    let mut g = EventGenerator::new(48_000, 960, 10);
    assert!(!g.is_active());
    let t0 = 4_294_966_000u32; // the output counter may be anywhere, even about to wrap
    let mut sent: Vec<EventPacket> = vec![g.start(digit('4'), t0)];
    assert!(g.is_active());
    assert_eq!(g.held(), Some(digit('4')));
    for k in 1..5u32 {
        let now = t0.wrapping_add(960 * k);
        sent.push(g.tick(now).expect("update"));
        assert_eq!(g.tick(now), None, "one update per frame");
    }
    let t1 = t0.wrapping_add(960 * 5);
    sent.push(g.end(t1).expect("end"));
    assert_eq!(g.tick(t1.wrapping_add(960)), None);
    sent.push(g.pending_end().expect("first retransmission"));
    assert!(g.is_active());
    sent.push(g.pending_end().expect("second retransmission"));
    assert!(!g.is_active());
    assert_eq!(g.pending_end(), None);

    assert!(sent.iter().all(|p| p.timestamp == t0));
    let markers: Vec<bool> = sent.iter().map(|p| p.marker).collect();
    assert_eq!(
        markers,
        [true, false, false, false, false, false, false, false]
    );
    let evs: Vec<_> = sent.iter().map(|p| p.event()).collect();
    assert!(evs.iter().all(|e| e.event == 4 && e.volume == 10));
    assert_eq!(
        evs.iter().map(|e| e.duration).collect::<Vec<_>>(),
        [960, 1920, 2880, 3840, 4800, 4800, 4800, 4800]
    );
    assert_eq!(evs.iter().map(|e| e.end).filter(|&e| e).count(), 3);
    assert_eq!(sent[5], sent[6]);
    assert_eq!(sent[6], sent[7]);
}

#[test]
fn end_in_the_start_frame_keeps_one_interval() {
    let mut g = EventGenerator::new(8000, 160, 10);
    g.start(digit('*'), 100);
    let end = g.end(100).unwrap().event();
    assert!(end.end);
    assert_eq!(end.duration, 160);
}

#[test]
fn new_digit_during_end_retransmissions() {
    let mut g = EventGenerator::new(8000, 160, 63);
    g.start(digit('1'), 0);
    g.end(800).unwrap();
    let p = g.start(digit('2'), 1600);
    assert!(p.marker);
    assert_eq!(p.timestamp, 1600);
    assert_eq!(p.event().volume, 63);
    assert_eq!(g.pending_end(), None, "the old end is abandoned");
    assert_eq!(g.held(), Some(digit('2')));
}
