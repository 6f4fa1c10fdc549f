//! Helpers shared by the integration tests: packet builders and loopback sockets.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use tandem_media::{PortAllocator, RtpHeader};
use tokio::net::UdpSocket;

pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A G.711-sized RTP packet: PT 0, the given fields, `payload`.
pub fn rtp(ssrc: u32, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 0x00];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&ts.to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// 160 bytes of payload that encode `n`, so each packet's payload is distinct.
pub fn payload(n: u32) -> Vec<u8> {
    (0..160u32)
        .map(|i| (n.wrapping_mul(31).wrapping_add(i)) as u8)
        .collect()
}

/// An RTCP receiver report from `sender` with one block about `about`.
pub fn rtcp_rr(sender: u32, about: u32, ext_seq: u32) -> Vec<u8> {
    let mut v = vec![0x81, 201, 0, 7];
    v.extend_from_slice(&sender.to_be_bytes());
    v.extend_from_slice(&about.to_be_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&ext_seq.to_be_bytes());
    v.extend_from_slice(&[0; 12]);
    v
}

/// An RTCP sender report (no blocks) from `sender` with RTP timestamp `ts`.
pub fn rtcp_sr(sender: u32, ts: u32) -> Vec<u8> {
    let mut v = vec![0x80, 200, 0, 6];
    v.extend_from_slice(&sender.to_be_bytes());
    v.extend_from_slice(&[0x11; 8]); // NTP
    v.extend_from_slice(&ts.to_be_bytes());
    v.extend_from_slice(&5u32.to_be_bytes());
    v.extend_from_slice(&800u32.to_be_bytes());
    v
}

/// Finds `pairs` RTP/RTCP pairs of consecutive ports that are free right now and returns an
/// allocator over exactly that range. The start is spread by process id so parallel test
/// binaries rarely collide.
pub fn free_allocator(pairs: u16) -> PortAllocator {
    // Tests of one binary run on parallel threads: each call takes its own slice.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = 2 * pairs;
    let spread = (std::process::id() as u16).wrapping_mul(2 * 97) % 30_000;
    let mut base = (20_000 + spread + NEXT.fetch_add(span + 2, Ordering::Relaxed)) & !1;
    for _ in 0..500 {
        let all_free = (base..base + span).all(|p| StdUdpSocket::bind((LOCALHOST, p)).is_ok());
        if all_free {
            return PortAllocator::new(LOCALHOST, base..=base + span - 1).unwrap();
        }
        base = 20_000
            + (base - 20_000 + span + 2 + NEXT.fetch_add(span + 2, Ordering::Relaxed)) % 40_000;
    }
    panic!("no free port range found");
}

/// A fake endpoint on 127.0.0.1 with an ephemeral port.
pub async fn phone() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0)).await.unwrap()
}

pub fn addr(s: &UdpSocket) -> SocketAddr {
    s.local_addr().unwrap()
}

/// Receives one datagram or fails after two seconds.
pub async fn recv(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 2048];
    let (n, from) = tokio::time::timeout(Duration::from_secs(2), s.recv_from(&mut buf))
        .await
        .expect("timed out waiting for a relayed packet")
        .unwrap();
    buf.truncate(n);
    (buf, from)
}

/// Asserts that nothing arrives within `ms` milliseconds.
pub async fn assert_silent(s: &UdpSocket, ms: u64) {
    let mut buf = vec![0u8; 2048];
    let r = tokio::time::timeout(Duration::from_millis(ms), s.recv_from(&mut buf)).await;
    assert!(
        r.is_err(),
        "unexpected datagram: {:?}",
        r.map(|r| r.map(|(n, _)| buf[..n].to_vec()))
    );
}

/// (seq, ts, ssrc, marker) of an RTP packet.
pub fn fields(p: &[u8]) -> (u16, u32, u32, bool) {
    let h = RtpHeader::parse(p).unwrap();
    (h.sequence_number(), h.timestamp(), h.ssrc().0, h.marker())
}

/// Starts a relay session between peers `a` and `b` on two pairs of a fresh range.
pub fn start(
    config: tandem_media::RelayConfig,
    a: tandem_media::Peer,
    b: tandem_media::Peer,
) -> (tandem_media::RelayHandle, PortAllocator) {
    let alloc = free_allocator(2);
    let a = tandem_media::LegSetup {
        ports: alloc.allocate().unwrap(),
        peer: a,
    };
    let b = tandem_media::LegSetup {
        ports: alloc.allocate().unwrap(),
        peer: b,
    };
    (
        tandem_media::RelaySession::spawn(config, a, b).unwrap(),
        alloc,
    )
}

/// Waits (polling every millisecond, at most two seconds) until `cond` holds: for effects of
/// datagrams that produce no output, such as drops.
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in 2 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
