//! Setters rewrite exactly the header bytes they own; the payload is never touched.

use tandem_media::{PayloadType, RtpHeader, RtpHeaderMut, Ssrc};

#[test]
fn setters_change_only_their_fields() {
    let mut p = vec![0x91, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 9];
    p.extend_from_slice(&0x0101_0101u32.to_be_bytes()); // one CSRC
    p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0]); // extension
    p.extend_from_slice(&[0xd5; 160]);
    let original = p.clone();

    let mut h = RtpHeaderMut::parse(&mut p).unwrap();
    h.set_sequence_number(0xfffe);
    h.set_timestamp(0x8000_0001);
    h.set_ssrc(Ssrc(0xdead_beef));
    h.set_marker(true);
    h.set_payload_type(PayloadType::new(8).unwrap());
    assert_eq!(h.payload().as_ptr(), h.as_bytes()[24..].as_ptr());

    assert_eq!(&p[..1], &original[..1], "V/P/X/CC untouched");
    assert_eq!(p[1], 0x80 | 8);
    assert_eq!(&p[2..4], &[0xff, 0xfe]);
    assert_eq!(&p[4..8], &[0x80, 0, 0, 1]);
    assert_eq!(&p[8..12], &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(
        &p[12..],
        &original[12..],
        "CSRC, extension and payload untouched"
    );

    let h = RtpHeader::parse(&p).unwrap();
    assert_eq!(h.payload_range(), 24..184);
}

#[test]
fn clearing_the_marker_keeps_the_payload_type() {
    let mut p = vec![0x80, 0x80 | 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 42];
    let mut h = RtpHeaderMut::parse(&mut p).unwrap();
    h.set_marker(false);
    assert_eq!(h.payload_type().get(), 96);
    assert!(!h.marker());
    h.payload_mut()[0] = 43;
    assert_eq!(p[12], 43);
}
