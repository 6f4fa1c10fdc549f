//! Ports held by another program are skipped, and the pair is tried again later.

mod common;

use std::net::UdpSocket;

use tandem_media::AllocateError;

#[test]
fn busy_rtp_or_rtcp_port_is_skipped() {
    let alloc = common::free_allocator(3);
    // Learn the three pairs, then give them back.
    let pairs: Vec<_> = (0..3).map(|_| alloc.allocate().unwrap()).collect();
    let ports: Vec<u16> = pairs.iter().map(|p| p.rtp_addr().port()).collect();
    drop(pairs);

    // Someone else grabs the RTP port of the first pair and the RTCP port of the second.
    let squatter1 = UdpSocket::bind((common::LOCALHOST, ports[0])).unwrap();
    let squatter2 = UdpSocket::bind((common::LOCALHOST, ports[1] + 1)).unwrap();

    let p = alloc.allocate().unwrap();
    assert_eq!(p.rtp_addr().port(), ports[2]);
    match alloc.allocate() {
        Err(AllocateError::Exhausted {
            leased: 1, busy: 2, ..
        }) => {}
        other => panic!("expected exhaustion with two busy pairs, got {other:?}"),
    }

    // Once the squatters leave, their pairs are usable again.
    drop(squatter1);
    drop(squatter2);
    let q = alloc.allocate().unwrap();
    assert!(ports[..2].contains(&q.rtp_addr().port()));
}
