//! The RTP view reads every header field in place, including CSRCs, a header extension and
//! padding, and its payload range matches what rtc-rtp finds.

use bytes::Bytes;
use tandem_media::{PayloadType, RtpHeader, RtpPacket, Ssrc};

#[test]
fn fixed_header_and_payload() {
    let mut p = vec![
        0x80,
        0x80 | 8,
        0x12,
        0x34,
        0,
        0,
        0x01,
        0x40,
        0xca,
        0xfe,
        0xba,
        0xbe,
    ];
    p.extend_from_slice(&[0xd5; 160]);
    let h = RtpHeader::parse(&p).unwrap();
    assert_eq!(h.version(), 2);
    assert!(h.marker());
    assert_eq!(h.payload_type(), PayloadType::PCMA);
    assert_eq!(h.sequence_number(), 0x1234);
    assert_eq!(h.timestamp(), 320);
    assert_eq!(h.ssrc(), Ssrc(0xcafe_babe));
    assert_eq!(h.csrc_count(), 0);
    assert_eq!(h.header_len(), 12);
    assert_eq!(h.payload_range(), 12..172);
    assert_eq!(h.padding_len(), 0);
    assert!(h.extension().is_none());
}

#[test]
fn csrcs_extension_and_padding() {
    // V=2 P=1 X=1 CC=2, PT 96, seq 1, ts 2, ssrc 3, CSRCs 10 and 11,
    // one-byte extension (profile 0xBEDE, 1 word), payload "abc", 2 octets of padding.
    let mut p = vec![0xb2, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    p.extend_from_slice(&10u32.to_be_bytes());
    p.extend_from_slice(&11u32.to_be_bytes());
    p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);
    p.extend_from_slice(b"abc");
    p.extend_from_slice(&[0, 2]);
    let h = RtpHeader::parse(&p).unwrap();
    assert_eq!(h.csrc_count(), 2);
    assert_eq!(h.csrc(0), Some(Ssrc(10)));
    assert_eq!(h.csrc(1), Some(Ssrc(11)));
    assert_eq!(h.csrc(2), None);
    assert_eq!(h.extension(), Some((0xbede, &[0x10, 0xaa, 0, 0][..])));
    assert_eq!(h.header_len(), 12 + 8 + 8);
    assert_eq!(h.payload(), b"abc");
    assert_eq!(h.padding_len(), 2);

    // rtc-rtp agrees on the payload.
    let pkt = RtpPacket::parse(Bytes::from(p)).unwrap();
    let rtc = pkt.to_rtc().unwrap();
    assert_eq!(&rtc.payload[..], b"abc");
    assert_eq!(rtc.header.csrc, vec![10, 11]);
    assert_eq!(rtc.header.ssrc, 3);
}

#[test]
fn owned_packet_payload_is_a_slice_of_the_datagram() {
    let mut p = vec![0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    p.extend_from_slice(&[7; 20]);
    let datagram = Bytes::from(p);
    let pkt = RtpPacket::parse(datagram.clone()).unwrap();
    let payload = pkt.payload_bytes();
    assert_eq!(&payload[..], &[7; 20]);
    // Same memory, no copy.
    assert_eq!(payload.as_ptr(), datagram[12..].as_ptr());
}
