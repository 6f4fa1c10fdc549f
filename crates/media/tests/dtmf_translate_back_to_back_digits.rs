//! Two digits in a row ('1' then '2', different RTP timestamps) become two output events, each
//! anchored at the output timestamp current when it began, each with its own marker; late or
//! reordered packets of an older event are dropped, and a digit whose end packets were lost is
//! completed when the next one begins.
mod dtmf_common;

use std::time::{Duration, Instant};

use dtmf_common::{digit, payload};
use tandem_media::dtmf::EventTranslator;

#[test]
fn one_then_two() {
    let base = Instant::now();
    let ms = |n: u64| base + Duration::from_millis(n);
    let mut t = EventTranslator::new(8000, 48_000);

    // '1' at input ts 1000, output counter at 50_000.
    let a = t
        .handle(ms(0), 1000, true, &payload('1', false, 10, 160), 50_000)
        .unwrap()
        .unwrap();
    let a2 = t
        .handle(ms(20), 1000, false, &payload('1', false, 10, 320), 50_960)
        .unwrap()
        .unwrap();
    // A reordered older update is dropped.
    assert_eq!(
        t.handle(ms(25), 1000, true, &payload('1', false, 10, 160), 51_000)
            .unwrap(),
        None
    );
    let a_end = t
        .handle(ms(40), 1000, false, &payload('1', true, 10, 480), 51_920)
        .unwrap()
        .unwrap();
    // An update reordered after the end is dropped; a retransmitted end is forwarded.
    assert_eq!(
        t.handle(ms(41), 1000, false, &payload('1', false, 10, 400), 51_920)
            .unwrap(),
        None
    );
    assert!(
        t.handle(ms(42), 1000, false, &payload('1', true, 10, 480), 51_920)
            .unwrap()
            .is_some()
    );
    assert_eq!(
        t.last_completed(),
        Some((digit('1'), Duration::from_millis(60)))
    );
    assert!(!t.is_active(ms(42)));

    // '2' 100 ms later at input ts 1800, output counter at 55_760.
    let b = t
        .handle(ms(100), 1800, true, &payload('2', false, 10, 160), 55_760)
        .unwrap()
        .unwrap();
    assert!(t.is_active(ms(100)));
    // A late retransmission of '1''s end after '2' began: dropped (a receiver has moved on).
    assert_eq!(
        t.handle(ms(101), 1000, false, &payload('1', true, 10, 480), 55_760)
            .unwrap(),
        None
    );
    let b2 = t
        .handle(ms(120), 1800, false, &payload('2', false, 10, 320), 56_720)
        .unwrap()
        .unwrap();

    for p in [a, a2, a_end] {
        assert_eq!(p.timestamp, 50_000);
        assert_eq!(p.event().event, 1);
    }
    for p in [b, b2] {
        assert_eq!(p.timestamp, 55_760);
        assert_eq!(p.event().event, 2);
    }
    assert!(a.marker && b.marker);
    assert!(!a2.marker && !a_end.marker && !b2.marker);

    // '2''s end packets are lost; '3' begins: '2' is completed with its last known duration.
    t.handle(ms(300), 4000, true, &payload('3', false, 10, 160), 70_000)
        .unwrap()
        .unwrap();
    assert_eq!(
        t.last_completed(),
        Some((digit('2'), Duration::from_millis(40)))
    );
}

#[test]
fn first_packet_lost_still_marks_the_start() {
    let base = Instant::now();
    let mut t = EventTranslator::new(8000, 48_000);
    // The marker packet never arrived: the first packet seen opens the event with a marker.
    let p = t
        .handle(base, 42, false, &payload('9', false, 10, 320), 1000)
        .unwrap()
        .unwrap();
    assert!(p.marker);
    assert_eq!(p.timestamp, 1000);
    assert_eq!(p.event().duration, 1920);
}
