//! Compound RTCP is walked by its length fields without allocation; anything that does not
//! add up exactly, has a wrong version or type, or misplaced or bogus padding is rejected.

use tandem_media::rtcp::{PT_BYE, PT_RR, PT_SDES, PT_SR};
use tandem_media::{RtcpCompound, RtcpError, Ssrc};

fn sr_rr_sdes_bye() -> Vec<u8> {
    let mut d = vec![0x80, PT_SR, 0, 6, 0, 0, 0, 1];
    d.extend_from_slice(&[0; 20]);
    d.extend_from_slice(&[0x80, PT_RR, 0, 1, 0, 0, 0, 2]);
    d.extend_from_slice(&[0x81, PT_SDES, 0, 2, 0, 0, 0, 1, 1, 1, b'x', 0]);
    d.extend_from_slice(&[0x81, PT_BYE, 0, 1, 0, 0, 0, 1]);
    d
}

#[test]
fn valid_compound_is_walked() {
    let d = sr_rr_sdes_bye();
    let c = RtcpCompound::parse(&d).unwrap();
    let walked: Vec<(u8, usize, Option<Ssrc>)> = c
        .packets()
        .map(|p| (p.packet_type(), p.len(), p.sender_ssrc()))
        .collect();
    assert_eq!(
        walked,
        vec![
            (PT_SR, 28, Some(Ssrc(1))),
            (PT_RR, 8, Some(Ssrc(2))),
            (PT_SDES, 12, Some(Ssrc(1))),
            (PT_BYE, 8, Some(Ssrc(1))),
        ]
    );
    // rtc-rtcp reads the same four packets.
    let mut b = bytes::Bytes::from(d);
    assert_eq!(rtc_rtcp::packet::unmarshal(&mut b).unwrap().len(), 4);
}

#[test]
fn malformed_compounds_are_rejected() {
    assert_eq!(RtcpCompound::parse(&[]).unwrap_err(), RtcpError::Empty);

    let mut d = sr_rr_sdes_bye();
    d[28] = 0x40; // RR with version 1
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::BadVersion {
            offset: 28,
            version: 1
        }
    );

    let mut d = sr_rr_sdes_bye();
    d[29] = 96; // an RTP payload type, not RTCP
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::NotRtcp {
            offset: 28,
            packet_type: 96
        }
    );

    let mut d = sr_rr_sdes_bye();
    d.truncate(d.len() - 4);
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::LengthOverrun {
            offset: 48,
            declared: 8,
            available: 4
        }
    );

    let mut d = sr_rr_sdes_bye();
    d[28] |= 0x20; // padding on a packet that is not last
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::PaddingNotLast { offset: 28 }
    );

    // Padding on the last packet: count 0 or larger than the body is bogus, 4 is fine.
    let mut d = vec![0xa1, PT_BYE, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::BadPadding {
            offset: 0,
            padding: 0
        }
    );
    d[11] = 9;
    assert_eq!(
        RtcpCompound::parse(&d).unwrap_err(),
        RtcpError::BadPadding {
            offset: 0,
            padding: 9
        }
    );
    d[11] = 4;
    assert!(RtcpCompound::parse(&d).is_ok());
}
