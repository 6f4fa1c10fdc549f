//! When the relay masks a source change, RTCP follows: the sender's SR/SDES/BYE carry the
//! SSRC the far end knows and an SR timestamp on the output timeline, and the far end's
//! reports are turned back into reports about the real source.

use tandem_media::rtcp::{ReportMap, SenderMap, rewrite_compound};
use tandem_media::{RtcpCompound, Ssrc};

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

#[test]
fn sender_side_rewrite() {
    // SR from 0xB (one report block about 0x77), SDES chunk for 0xB, BYE for 0xB.
    let mut d = vec![0x81, 200, 0, 12];
    d.extend_from_slice(&0xbu32.to_be_bytes());
    d.extend_from_slice(&[0x22; 8]); // NTP
    d.extend_from_slice(&1_000u32.to_be_bytes()); // RTP ts
    d.extend_from_slice(&[0, 0, 0, 9, 0, 0, 5, 0]);
    d.extend_from_slice(&0x77u32.to_be_bytes());
    d.extend_from_slice(&[0; 20]);
    d.extend_from_slice(&[0x81, 202, 0, 3]);
    d.extend_from_slice(&0xbu32.to_be_bytes());
    d.extend_from_slice(&[1, 3, b'a', b'b', b'c', 0, 0, 0]);
    d.extend_from_slice(&[0x81, 203, 0, 1]);
    d.extend_from_slice(&0xbu32.to_be_bytes());
    let original = d.clone();

    let map = SenderMap {
        from: Ssrc(0xb),
        to: Ssrc(0xa),
        rtp_ts_offset: 500,
    };
    let changed = rewrite_compound(&mut d, Some(map), None).unwrap();
    assert_eq!(changed, 3);
    assert_eq!(u32_at(&d, 4), 0xa);
    assert_eq!(u32_at(&d, 16), 1_500);
    assert_eq!(
        u32_at(&d, 28),
        0x77,
        "report block about someone else untouched"
    );
    assert_eq!(u32_at(&d, 56), 0xa, "SDES chunk");
    assert_eq!(u32_at(&d, 72), 0xa, "BYE source");
    assert_eq!(&d[8..16], &original[8..16], "NTP untouched");
    assert_eq!(&d[60..68], &original[60..68], "CNAME untouched");
    assert!(RtcpCompound::parse(&d).is_ok());
}

#[test]
fn receiver_side_rewrite() {
    // RR from 0x5 about 0xa (the SSRC the far end sees), and a PLI about 0xa.
    let mut d = vec![0x81, 201, 0, 7];
    d.extend_from_slice(&5u32.to_be_bytes());
    d.extend_from_slice(&0xau32.to_be_bytes());
    d.extend_from_slice(&[0; 4]);
    d.extend_from_slice(&0x0002_0005u32.to_be_bytes()); // cycles 2, highest 5
    d.extend_from_slice(&[0; 12]);
    d.extend_from_slice(&[0x81, 206, 0, 2]);
    d.extend_from_slice(&5u32.to_be_bytes());
    d.extend_from_slice(&0xau32.to_be_bytes());

    let map = ReportMap {
        from: Ssrc(0xa),
        to: Ssrc(0xb),
        seq_offset: 10,
    };
    assert_eq!(rewrite_compound(&mut d, None, Some(map)).unwrap(), 2);
    assert_eq!(u32_at(&d, 8), 0xb);
    assert_eq!(
        u32_at(&d, 16),
        0x0002_fffb,
        "highest seq moved back by the offset"
    );
    assert_eq!(u32_at(&d, 4), 5, "reporter untouched");
    assert_eq!(u32_at(&d, 40), 0xb, "PLI media source");
}

#[test]
fn invalid_compound_is_not_written() {
    let mut d = vec![0x81, 201, 0, 7, 0, 0, 0, 5];
    let before = d.clone();
    let map = SenderMap {
        from: Ssrc(5),
        to: Ssrc(6),
        rtp_ts_offset: 0,
    };
    assert!(rewrite_compound(&mut d, Some(map), None).is_err());
    assert_eq!(d, before);
}
