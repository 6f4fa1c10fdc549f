//! Where RTCP goes: a=rtcp (RFC 3605) with or without an address, RTP
//! port + 1 by default, the RTP address when rtcp-mux (RFC 5761) is
//! negotiated; rtcp-mux is answered only when offered and allowed.

use std::net::{IpAddr, SocketAddr};

use tandem_sip::sdp::{Codec, LocalMedia, LocalSession, Sdp, negotiate_answer};

fn offer(media_lines: &str) -> Sdp {
    let text = format!(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 5004 RTP/AVP 0\r\n{media_lines}"
    );
    Sdp::parse(text.as_bytes()).expect("test fixture")
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test fixture")
}

fn local(rtcp_mux: bool) -> (LocalMedia, LocalSession) {
    let ip: IpAddr = "198.51.100.7".parse().expect("test fixture");
    let mut media = LocalMedia::new(ip, 40000, vec![Codec::pcmu()]);
    media.rtcp_mux = rtcp_mux;
    (media, LocalSession::new(1, ip))
}

#[test]
fn default_is_rtp_port_plus_one() {
    let sdp = offer("");
    assert_eq!(sdp.media[0].rtp_addr(), Some(addr("192.0.2.1:5004")));
    assert_eq!(sdp.media[0].rtcp_addr(), Some(addr("192.0.2.1:5005")));
    let (media, mut session) = local(true);
    let (answer, neg) = negotiate_answer(&sdp, &media, &mut session).unwrap();
    assert!(
        !neg.rtcp_mux && !answer.media[0].rtcp_mux,
        "not offered, not answered"
    );
    assert_eq!(neg.remote_rtcp, Some(addr("192.0.2.1:5005")));
}

#[test]
fn rtcp_attribute_port_and_address() {
    let port_only = offer("a=rtcp:6000\r\n");
    assert_eq!(port_only.media[0].rtcp_addr(), Some(addr("192.0.2.1:6000")));

    let with_addr = offer("a=rtcp:53020 IN IP4 126.16.64.4\r\n");
    assert_eq!(
        with_addr.media[0].rtcp_addr(),
        Some(addr("126.16.64.4:53020"))
    );

    let v6 = offer("a=rtcp:53020 IN IP6 2001:db8::9\r\n");
    assert_eq!(v6.media[0].rtcp_addr(), Some(addr("[2001:db8::9]:53020")));

    let (media, mut session) = local(false);
    let (_, neg) = negotiate_answer(&with_addr, &media, &mut session).unwrap();
    assert_eq!(neg.remote_rtcp, Some(addr("126.16.64.4:53020")));
}

#[test]
fn rtcp_mux_accepted_when_allowed() {
    let sdp = offer("a=rtcp:5005\r\na=rtcp-mux\r\n");
    let (media, mut session) = local(true);
    let (answer, neg) = negotiate_answer(&sdp, &media, &mut session).unwrap();
    assert!(neg.rtcp_mux);
    assert_eq!(neg.remote_rtp, Some(addr("192.0.2.1:5004")));
    assert_eq!(neg.remote_rtcp, Some(addr("192.0.2.1:5004")));
    assert!(answer.to_string().contains("a=rtcp-mux\r\n"));
}

#[test]
fn rtcp_mux_refused_when_not_allowed() {
    let sdp = offer("a=rtcp:5005\r\na=rtcp-mux\r\n");
    let (media, mut session) = local(false);
    let (answer, neg) = negotiate_answer(&sdp, &media, &mut session).unwrap();
    assert!(!neg.rtcp_mux);
    assert_eq!(
        neg.remote_rtcp,
        Some(addr("192.0.2.1:5005")),
        "falls back to a=rtcp"
    );
    assert!(!answer.to_string().contains("rtcp-mux"));
}

#[test]
fn no_rtcp_port_past_65535() {
    let text = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 65535 RTP/AVP 0\r\n";
    let sdp = Sdp::parse(text).unwrap();
    assert_eq!(sdp.media[0].rtp_addr(), Some(addr("192.0.2.1:65535")));
    assert_eq!(sdp.media[0].rtcp_addr(), None);
}
