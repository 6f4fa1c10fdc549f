//! The allocator binds on an IPv6 address as well (skipped where ::1 is unavailable).

use std::net::{IpAddr, Ipv6Addr, UdpSocket};

use tandem_media::PortAllocator;

#[test]
fn pairs_on_ipv6_loopback() {
    let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let Ok(probe) = UdpSocket::bind((ip, 0)) else {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    };
    drop(probe);
    let base = 20_000 + (std::process::id() % 20_000) as u16 * 2;
    let alloc = (0..200u16)
        .map(|k| base.wrapping_add(k * 8) % 40_000 + 20_000)
        .find_map(|b| {
            let b = b & !1;
            (b..b + 4)
                .all(|p| UdpSocket::bind((ip, p)).is_ok())
                .then(|| PortAllocator::new(ip, b..=b + 3).unwrap())
        })
        .expect("a free IPv6 range");
    let pair = alloc.allocate().unwrap();
    assert_eq!(pair.rtp.local_addr().unwrap().ip(), ip);
    assert_eq!(pair.rtcp_addr().port(), pair.rtp_addr().port() + 1);
    assert_eq!(alloc.available(), 1);
}
