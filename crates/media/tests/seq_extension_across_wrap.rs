//! Sequence numbers keep counting up across the 16-bit wrap, late packets from before the
//! wrap count below it, and the wire value is preserved.

use tandem_media::{SeqExtender, SeqNo};

#[test]
fn counts_up_across_several_wraps() {
    let mut e = SeqExtender::new();
    let first = e.extend(65_000);
    let mut prev = first;
    let mut seq = 65_000u16;
    for _ in 0..200_000 {
        seq = seq.wrapping_add(1);
        let x = e.extend(seq);
        assert_eq!(x.0, prev.0 + 1);
        assert_eq!(x.wire(), seq);
        prev = x;
    }
    assert_eq!(prev.0 - first.0, 200_000);
    assert_eq!(
        prev.rollover() - first.rollover(),
        (65_000 + 200_000) / 65_536
    );
}

#[test]
fn reordering_around_the_wrap() {
    let mut e = SeqExtender::new();
    let a = e.extend(65_534).0;
    assert_eq!(e.extend(1), SeqNo(a + 3)); // 65535 and 0 late
    assert_eq!(e.extend(65_535), SeqNo(a + 1));
    assert_eq!(e.extend(0), SeqNo(a + 2));
    assert_eq!(e.extend(2), SeqNo(a + 4));
    assert_eq!(e.max(), Some(SeqNo(a + 4)));
}

#[test]
fn a_jump_of_half_the_space_is_taken_as_forward_or_back_by_distance() {
    let mut e = SeqExtender::new();
    let a = e.extend(0).0;
    assert_eq!(e.extend(30_000).0, a + 30_000);
    assert_eq!(e.extend(0).0, a, "closer below than above");
    assert_eq!(e.extend(62_000).0, a + 62_000);
}
