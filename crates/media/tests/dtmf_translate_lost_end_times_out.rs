//! When the end packets of an event are lost, the event stops being active 150 ms after its
//! last packet (simulated time), `poll_timeout` says when, `handle_timeout` records it as
//! completed, and a late update of the same event makes it active again.
mod dtmf_common;

use std::time::{Duration, Instant};

use dtmf_common::{digit, payload};
use tandem_media::dtmf::EventTranslator;

#[test]
fn lost_end_packets() {
    let base = Instant::now();
    let ms = |n: u64| base + Duration::from_millis(n);
    let mut t = EventTranslator::new(8000, 48_000);
    assert!(!t.is_active(base));
    assert_eq!(t.poll_timeout(), None);

    for k in 0..4u16 {
        t.handle(
            ms(20 * u64::from(k)),
            9000,
            k == 0,
            &payload('7', false, 10, 160 * (k + 1)),
            0,
        )
        .unwrap()
        .unwrap();
    }
    // Last packet at 60 ms; nothing after it.
    assert_eq!(t.poll_timeout(), Some(ms(60 + 150)));
    assert!(t.is_active(ms(100)));
    assert!(t.is_active(ms(209)));
    assert!(!t.is_active(ms(210)));
    assert!(!t.is_active(ms(1000)));

    // Not yet recorded; handle_timeout before the deadline does nothing.
    assert_eq!(t.last_completed(), None);
    t.handle_timeout(ms(200));
    assert_eq!(t.last_completed(), None);
    t.handle_timeout(ms(210));
    assert_eq!(
        t.last_completed(),
        Some((digit('7'), Duration::from_millis(80)))
    );
    assert_eq!(t.poll_timeout(), None);

    // A late update of the same event (a jitter spike, not a lost end) revives it.
    let p = t
        .handle(ms(300), 9000, false, &payload('7', false, 10, 2400), 0)
        .unwrap()
        .unwrap();
    assert!(!p.marker);
    assert_eq!(p.event().duration, 14_400);
    assert!(t.is_active(ms(300)));
}

#[test]
fn custom_timeout() {
    let base = Instant::now();
    let mut t = EventTranslator::new(8000, 8000).with_timeout(Duration::from_millis(60));
    t.handle(base, 1, true, &payload('1', false, 10, 160), 0)
        .unwrap();
    assert!(t.is_active(base + Duration::from_millis(59)));
    assert!(!t.is_active(base + Duration::from_millis(60)));
}
