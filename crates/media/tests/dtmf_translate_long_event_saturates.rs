//! A 2 s '0' from an 8 kHz leg to a 48 kHz leg: the output duration stops at 0xFFFF (1.37 s at
//! 48 kHz) instead of wrapping, the event stays one event (same timestamp, one marker), and the
//! completed duration still reports the real 2 s.
mod dtmf_common;

use std::time::{Duration, Instant};

use dtmf_common::{digit, payload};
use tandem_media::dtmf::EventTranslator;

#[test]
fn two_second_zero() {
    let base = Instant::now();
    let mut t = EventTranslator::new(8000, 48_000);
    let mut durations = Vec::new();
    let mut markers = 0;
    // 50 ms updates (400 samples) for 2 s, then the end packet three times.
    for k in 1..=40u16 {
        let now = base + Duration::from_millis(50 * u64::from(k));
        let p = t
            .handle(now, 5000, k == 1, &payload('0', false, 10, 400 * k), 777)
            .unwrap()
            .unwrap();
        assert_eq!(p.timestamp, 777);
        markers += usize::from(p.marker);
        durations.push(p.event().duration);
        assert!(t.is_active(now));
    }
    for _ in 0..3 {
        let now = base + Duration::from_millis(2050);
        let p = t
            .handle(now, 5000, false, &payload('0', true, 10, 16_000), 777)
            .unwrap()
            .unwrap();
        assert!(p.event().end);
        assert_eq!(p.event().duration, 0xFFFF);
    }
    assert_eq!(markers, 1);
    // x6 while 400 k * 6 fits in 16 bits (k <= 27, 1.35 s), then 0xFFFF.
    for (i, &d) in durations.iter().enumerate() {
        let expected = (400 * (i as u32 + 1) * 6).min(0xFFFF);
        assert_eq!(u32::from(d), expected, "update {i}");
    }
    assert_eq!(*durations.last().unwrap(), 0xFFFF);
    assert!(durations.windows(2).all(|w| w[0] <= w[1]), "never wraps");
    assert_eq!(
        t.last_completed(),
        Some((digit('0'), Duration::from_secs(2)))
    );
}
