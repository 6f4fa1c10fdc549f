//! IPv6: IN IP6 offers parse to IPv6 socket addresses, and an IPv6 leg
//! writes IN IP6 in o= and c=.

use std::net::{IpAddr, SocketAddr};

use tandem_sip::sdp::{AddrType, Codec, LocalMedia, LocalSession, Sdp, negotiate_answer};

#[test]
fn ipv6_offer_and_answer() {
    let offer = b"v=0\r\no=- 7 7 IN IP6 2001:db8::20\r\ns=-\r\nc=IN IP6 2001:DB8::20\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    let offer = Sdp::parse(offer).unwrap();
    assert_eq!(offer.origin.address_type, AddrType::Ip6);
    let remote: SocketAddr = "[2001:db8::20]:6000".parse().unwrap();
    assert_eq!(offer.media[0].rtp_addr(), Some(remote));
    assert_eq!(
        offer.media[0].rtcp_addr(),
        Some("[2001:db8::20]:6001".parse().unwrap())
    );

    let ip: IpAddr = "2001:db8::5".parse().unwrap();
    let local = LocalMedia::new(
        ip,
        40000,
        vec![Codec::pcmu(), Codec::telephone_event(101, 8000)],
    );
    let mut session = LocalSession::new(3, ip);
    let (answer, neg) = negotiate_answer(&offer, &local, &mut session).unwrap();
    assert_eq!(neg.remote_rtp, Some(remote));
    let text = answer.to_string();
    assert!(
        text.contains("o=tandem 3 1 IN IP6 2001:db8::5\r\n"),
        "{text}"
    );
    assert!(text.contains("c=IN IP6 2001:db8::5\r\n"), "{text}");
    let back = Sdp::parse(text.as_bytes()).unwrap();
    assert_eq!(back.media[0].rtp_addr(), Some(SocketAddr::new(ip, 40000)));
}

#[test]
fn ipv6_unspecified_is_legacy_hold() {
    let offer = b"v=0\r\no=- 7 8 IN IP6 2001:db8::20\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 0\r\n";
    let offer = Sdp::parse(offer).unwrap();
    assert!(offer.media[0].is_legacy_hold());
    assert_eq!(offer.media[0].rtp_addr(), None);
}
