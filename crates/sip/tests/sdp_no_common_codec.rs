//! An offer with no codec we support is refused with NoCommonCodec (the
//! daemon answers 488); telephone-event alone is not a common codec; audio
//! over an unaccepted protocol or no audio at all are their own errors.

mod sdp_samples;

use std::net::IpAddr;

use tandem_sip::sdp::{
    Codec, LocalMedia, LocalSession, NegotiationError, Protocol, Sdp, negotiate_answer,
};

fn local(codecs: Vec<Codec>) -> (LocalMedia, LocalSession) {
    let ip: IpAddr = "198.51.100.7".parse().expect("test fixture");
    (LocalMedia::new(ip, 40000, codecs), LocalSession::new(1, ip))
}

#[test]
fn no_common_codec() {
    let offer = Sdp::parse(&sdp_samples::crlf(sdp_samples::TRUNK_OFFER)).unwrap();
    let (media, mut session) = local(vec![Codec::opus(111), Codec::telephone_event(101, 8000)]);
    assert_eq!(
        negotiate_answer(&offer, &media, &mut session),
        Err(NegotiationError::NoCommonCodec)
    );
    assert_eq!(session.version(), 1, "nothing stamped on failure");
}

#[test]
fn telephone_event_alone_is_not_enough() {
    let offer = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 5004 RTP/AVP 101 13\r\na=rtpmap:101 telephone-event/8000\r\n";
    let offer = Sdp::parse(offer).unwrap();
    let (media, mut session) = local(vec![
        Codec::pcmu(),
        Codec::telephone_event(101, 8000),
        Codec::from_static_payload_type(13).unwrap(),
    ]);
    assert_eq!(
        negotiate_answer(&offer, &media, &mut session),
        Err(NegotiationError::NoCommonCodec)
    );
}

#[test]
fn webrtc_offer_on_a_trunk_leg_is_unsupported_protocol() {
    let offer = Sdp::parse(&sdp_samples::crlf(sdp_samples::CHROME_OFFER)).unwrap();
    let (media, mut session) = local(vec![Codec::pcmu()]);
    assert_eq!(
        negotiate_answer(&offer, &media, &mut session),
        Err(NegotiationError::UnsupportedProtocol(
            Protocol::UdpTlsRtpSavpf
        ))
    );
}

#[test]
fn no_active_audio() {
    let offer = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=audio 0 RTP/AVP 0\r\nm=video 5006 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    let offer = Sdp::parse(offer).unwrap();
    let (media, mut session) = local(vec![Codec::pcmu()]);
    assert_eq!(
        negotiate_answer(&offer, &media, &mut session),
        Err(NegotiationError::NoAudio)
    );
}
