//! Conversion to and from rtc-rtp's `Packet` keeps header fields and payload, and the payload
//! we hand over follows our own layout even where rtc-rtp's extension walk goes astray.

use bytes::Bytes;
use rtc_shared::marshal::Unmarshal;
use tandem_media::RtpPacket;

#[test]
fn round_trip_through_rtc_rtp() {
    let mut raw = vec![
        0x90,
        0x80 | 111,
        0x01,
        0x02,
        0,
        0,
        0x03,
        0xc0,
        0x11,
        0x22,
        0x33,
        0x44,
    ];
    raw.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0x7f, 0, 0]); // audio level, id 1
    raw.extend_from_slice(&[9; 40]);
    let ours = RtpPacket::parse(Bytes::from(raw.clone())).unwrap();
    let rtc = ours.to_rtc().unwrap();
    assert_eq!(rtc.header.sequence_number, 0x0102);
    assert_eq!(rtc.header.timestamp, 960);
    assert_eq!(rtc.header.ssrc, 0x1122_3344);
    assert!(rtc.header.marker);
    assert_eq!(rtc.header.payload_type, 111);
    assert_eq!(
        rtc.header.get_extension(1),
        Some(Bytes::from_static(&[0x7f]))
    );
    assert_eq!(&rtc.payload[..], &[9; 40]);

    let back = RtpPacket::from_rtc(&rtc).unwrap();
    assert_eq!(back.bytes()[..], raw[..]);
}

#[test]
fn payload_follows_our_layout_when_rtc_rtp_stops_early() {
    // One-byte extension block of 2 words: id 1 (1 byte), then an id-15 element, which
    // makes rtc-rtp stop reading the block with 5 bytes of it left unread.
    let mut raw = vec![0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
    raw.extend_from_slice(&[0xbe, 0xde, 0, 2, 0x10, 0xaa, 0xf0, 0, 0, 0, 0, 0]);
    raw.extend_from_slice(b"voice");
    let mut direct = Bytes::from(raw.clone());
    let rtc_direct = rtc_rtp::Packet::unmarshal(&mut direct).unwrap();
    assert_eq!(
        rtc_direct.payload.len(),
        5 + 5,
        "rtc-rtp alone returns extension bytes"
    );

    let ours = RtpPacket::parse(Bytes::from(raw)).unwrap();
    assert_eq!(ours.header().payload(), b"voice");
    assert_eq!(&ours.to_rtc().unwrap().payload[..], b"voice");
}
