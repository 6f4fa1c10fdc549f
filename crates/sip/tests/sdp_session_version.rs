//! LocalSession keeps the o= session id and bumps the version only when a
//! description differs from the previous one sent (RFC 3264 §8).

use std::net::IpAddr;

use tandem_sip::sdp::{Codec, Direction, LocalMedia, LocalSession};

#[test]
fn version_bumps_only_on_change() {
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    let mut session = LocalSession::new(4242, ip);
    let mut local = LocalMedia::new(ip, 40000, vec![Codec::pcmu()]);

    let first = local.offer(&mut session).unwrap();
    assert_eq!(
        (first.origin.session_id, first.origin.session_version),
        (4242, 1)
    );
    assert_eq!(first.origin.username, "tandem");

    // Same content again (a session refresh re-INVITE): same version.
    let same = local.offer(&mut session).unwrap();
    assert_eq!(same.origin.session_version, 1);
    assert_eq!(same, first);

    // Hold: content changes, version +1.
    local.direction = Direction::SendOnly;
    let hold = local.offer(&mut session).unwrap();
    assert_eq!(hold.origin.session_version, 2);
    assert!(
        hold.to_string()
            .contains("o=tandem 4242 2 IN IP4 198.51.100.7\r\n")
    );

    // New port: +1 again; session id never changes.
    local.direction = Direction::SendRecv;
    local.rtp_port = 40010;
    let moved = local.offer(&mut session).unwrap();
    assert_eq!(
        (moved.origin.session_id, moved.origin.session_version),
        (4242, 3)
    );
    assert_eq!(session.version(), 3);
}
