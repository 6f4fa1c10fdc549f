//! An INVITE from an address no trunk accepts gets 403, whatever it dials.

mod sim;

use std::net::SocketAddr;

use tandem_sip::message::Method;

use sim::*;

#[test]
fn unknown_source_gets_403() {
    let mut s = Sim::new();
    // On loopback, but not in any trunk's inbound_from (127.0.0.1 only).
    let stranger: SocketAddr = "127.0.0.9:5070".parse().unwrap();
    s.add_ua(stranger, "mallory");
    let offer = sdp("127.0.0.9:30000".parse().unwrap(), &[0], "sendrecv", 1);
    let key = s.invite(stranger, NUMBER, Some(&offer));
    s.run_ms(100);

    assert_eq!(s.ua_ref(stranger).codes(&key), vec![403], "{}", s.trace());
    assert!(s.wire_between(CTL, FAR).is_empty());
    assert!(s.media().opened.is_empty());
    assert_eq!(s.ctl.stats().rejected, 1);
    assert_eq!(s.ctl.stats().calls_started, 0);
    assert_eq!(
        s.requests_from(stranger, &Method::Ack).len(),
        1,
        "403 ACKed"
    );
}
