//! The SDP bodies of RFC 5118 §4.6 (ipv6-in-sdp) and §4.7 (mult-ip-in-sdp)
//! parse with the right addresses per media section.

mod sdp_samples;

use std::net::SocketAddr;

use tandem_sip::sdp::{AddrType, CodecName, MediaKind, Sdp};

#[test]
fn ipv6_in_sdp() {
    let sdp = Sdp::parse(&sdp_samples::rfc5118_body("ipv6-in-sdp")).unwrap();
    assert_eq!(sdp.origin.username, "assistant");
    assert_eq!(sdp.origin.session_id, 971731711378798081);
    assert_eq!(sdp.origin.address_type, AddrType::Ip6);
    assert_eq!(sdp.origin.address, "2001:db8::20");
    assert_eq!(sdp.session_name, "Live video feed for today's meeting");
    assert_eq!(sdp.timing, (3338481189, 3370017201));
    assert_eq!(sdp.connection, Some("2001:db8::20".parse().unwrap()));

    let audio = &sdp.media[0];
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(
        audio.rtp_addr(),
        Some("[2001:db8::20]:6000".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(audio.codecs[0].payload_type, 2);
    assert_eq!(audio.codecs[0].name, CodecName::Other("G726-32".to_owned()));
    assert_eq!(audio.codecs[0].clock_rate, 8000);

    let video = &sdp.media[1];
    assert_eq!(video.kind, MediaKind::Video);
    assert_eq!(
        video.rtp_addr(),
        Some("[2001:db8::20]:6024".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(
        video.codecs[0].name,
        CodecName::Other("H263-1998".to_owned())
    );
    assert_eq!(video.codecs[0].clock_rate, 90000);
}

#[test]
fn mult_ip_in_sdp() {
    let sdp = Sdp::parse(&sdp_samples::rfc5118_body("mult-ip-in-sdp")).unwrap();
    assert_eq!(
        sdp.origin.address, "host.example.com",
        "o= may carry a host name"
    );
    assert_eq!(sdp.origin.address_type, AddrType::Ip4);
    assert_eq!(sdp.session_name, "-", "empty s= is normalised");
    assert_eq!(sdp.connection, None);

    let audio = &sdp.media[0];
    assert_eq!(
        audio.rtp_addr(),
        Some("192.0.2.1:22334".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(audio.codecs[0].name, CodecName::Pcmu);

    let video = &sdp.media[1];
    assert_eq!(
        video.rtp_addr(),
        Some("[2001:db8::1]:6024".parse::<SocketAddr>().unwrap())
    );

    // Per-media c= lines survive a marshal round trip.
    let text = sdp.to_string();
    assert!(
        text.contains("m=audio 22334 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"),
        "{text}"
    );
    assert!(text.contains("c=IN IP6 2001:db8::1\r\n"), "{text}");
    assert_eq!(Sdp::parse(text.as_bytes()).unwrap(), sdp);
}
