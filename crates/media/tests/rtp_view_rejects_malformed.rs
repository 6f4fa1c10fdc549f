//! Malformed RTP is rejected with a precise error, never a panic.

use tandem_media::{RtpError, RtpHeader};

fn header(b0: u8) -> Vec<u8> {
    vec![b0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
}

#[test]
fn too_short() {
    assert_eq!(
        RtpHeader::parse(&[]).unwrap_err(),
        RtpError::TooShort { len: 0 }
    );
    assert_eq!(
        RtpHeader::parse(&header(0x80)[..11]).unwrap_err(),
        RtpError::TooShort { len: 11 }
    );
}

#[test]
fn wrong_version() {
    for b0 in [0x00, 0x40, 0xc0] {
        assert_eq!(
            RtpHeader::parse(&header(b0)).unwrap_err(),
            RtpError::BadVersion { version: b0 >> 6 }
        );
    }
}

#[test]
fn csrc_list_past_the_end() {
    let mut p = header(0x83); // three CSRCs announced
    p.extend_from_slice(&[0; 8]); // only two present
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::CsrcOverrun {
            csrc_count: 3,
            len: 20
        }
    );
}

#[test]
fn extension_head_or_body_past_the_end() {
    let mut p = header(0x90);
    p.extend_from_slice(&[0xbe, 0xde]); // half an extension head
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::ExtensionOverrun {
            needed: 16,
            len: 14
        }
    );
    let mut p = header(0x90);
    p.extend_from_slice(&[0xbe, 0xde, 0xff, 0xff, 1, 2, 3, 4]); // 65535 words announced
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::ExtensionOverrun {
            needed: 16 + 4 * 65535,
            len: 20
        }
    );
}

#[test]
fn padding_zero_or_longer_than_payload() {
    let mut p = header(0xa0);
    p.extend_from_slice(&[1, 2, 3, 0]);
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::BadPadding {
            padding: 0,
            available: 4
        }
    );
    let mut p = header(0xa0);
    p.extend_from_slice(&[1, 2, 3, 5]);
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::BadPadding {
            padding: 5,
            available: 4
        }
    );
    // Padding bit on a header-only packet: the count would be read from the SSRC.
    let mut p = header(0xa0);
    p[11] = 1;
    assert_eq!(
        RtpHeader::parse(&p).unwrap_err(),
        RtpError::BadPadding {
            padding: 1,
            available: 0
        }
    );
}
