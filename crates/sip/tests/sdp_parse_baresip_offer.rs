//! baresip's offer parses into typed codecs, addresses, ptime and flags.

mod sdp_samples;

use std::net::SocketAddr;

use tandem_sip::sdp::{Bandwidth, Codec, CodecName, Direction, MediaKind, Protocol, Sdp};

#[test]
fn baresip_offer_is_typed() {
    let sdp = Sdp::parse(&sdp_samples::crlf(sdp_samples::BARESIP_OFFER)).unwrap();

    assert_eq!(sdp.origin.username, "-");
    assert_eq!(sdp.origin.session_id, 3906287493);
    assert_eq!(sdp.origin.session_version, 2361429563);
    assert_eq!(sdp.connection, Some("192.168.1.50".parse().unwrap()));
    assert_eq!(
        sdp.extra,
        vec![("tool".to_owned(), Some("baresip 3.10.1".to_owned()))]
    );
    assert_eq!(sdp.media.len(), 1);

    let audio = &sdp.media[0];
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.port, 10196);
    assert_eq!(audio.protocol, Protocol::RtpAvp);
    assert_eq!(
        audio.bandwidth,
        vec![Bandwidth {
            kind: "AS".to_owned(),
            value: 128
        }]
    );
    let names: Vec<(u8, &str, u32, u16)> = audio
        .codecs
        .iter()
        .map(|c| (c.payload_type, c.name.as_str(), c.clock_rate, c.channels))
        .collect();
    assert_eq!(
        names,
        vec![
            (96, "opus", 48000, 2),
            (9, "G722", 8000, 1),
            (0, "PCMU", 8000, 1),
            (8, "PCMA", 8000, 1),
            (101, "telephone-event", 8000, 1),
        ]
    );
    assert_eq!(audio.codecs[0].name, CodecName::Opus);
    assert_eq!(
        audio.codecs[0].fmtp.as_deref(),
        Some("stereo=1;sprop-stereo=1")
    );
    assert_eq!(audio.codecs[2], Codec::pcmu());
    assert_eq!(audio.codecs[4].fmtp.as_deref(), Some("0-15"));
    assert_eq!(audio.ptime, Some(20));
    assert_eq!(audio.direction, Direction::SendRecv);
    assert!(audio.rtcp_mux);
    assert_eq!(
        audio.ssrc,
        vec!["2364528113 cname:cd0e0f42-9f61-4a3b-b7e4-8d6d5f0f2b11"]
    );
    assert_eq!(
        audio.extra,
        vec![
            ("label".to_owned(), Some("1".to_owned())),
            ("rtcp-rsize".to_owned(), None)
        ]
    );
    assert!(audio.ice.is_none() && audio.dtls.is_none() && audio.mid.is_none());
    assert!(!audio.is_hold());
    let rtp: SocketAddr = "192.168.1.50:10196".parse().unwrap();
    assert_eq!(audio.rtp_addr(), Some(rtp));
    assert_eq!(
        audio.rtcp_addr(),
        Some(rtp),
        "rtcp-mux: RTCP goes to the RTP address"
    );
}
