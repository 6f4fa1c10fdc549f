//! Chrome's WebRTC offer: BUNDLE, ICE, DTLS, mid, ssrc, rtcp-fb, extmap and
//! a video section are parsed and carried; c=0.0.0.0 with ICE is not hold.

mod sdp_samples;

use tandem_sip::sdp::{CodecName, Direction, MediaKind, Protocol, RtcpAttr, Sdp, Setup};

#[test]
fn chrome_offer_carries_webrtc_attributes() {
    let sdp = Sdp::parse(&sdp_samples::crlf(sdp_samples::CHROME_OFFER)).unwrap();
    assert_eq!(sdp.origin.session_id, 4611731400430051336);
    assert_eq!(sdp.connection, None);
    assert_eq!(sdp.bundle, Some(vec!["0".to_owned(), "1".to_owned()]));
    assert_eq!(
        sdp.extra,
        vec![
            ("extmap-allow-mixed".to_owned(), None),
            (
                "msid-semantic".to_owned(),
                Some(" WMS 6d3e0c2b-6e47-4a0e-9a43-5b2b1d0f1a7c".to_owned())
            ),
        ]
    );
    assert_eq!(sdp.media.len(), 2);

    let audio = &sdp.media[0];
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.protocol, Protocol::UdpTlsRtpSavpf);
    assert_eq!(audio.port, 9);
    assert_eq!(audio.connection, Some("0.0.0.0".parse().unwrap()));
    assert_eq!(
        audio.rtcp,
        Some(RtcpAttr {
            port: 9,
            address: Some("0.0.0.0".parse().unwrap())
        })
    );
    assert!(audio.rtcp_mux);
    assert_eq!(audio.mid.as_deref(), Some("0"));
    assert_eq!(audio.direction, Direction::SendRecv);
    assert!(
        !audio.is_hold(),
        "c=0.0.0.0 with ICE is the WebRTC placeholder, not hold"
    );
    assert_eq!(audio.effective_direction(), Direction::SendRecv);
    assert_eq!(audio.rtp_addr(), None, "addresses come from ICE candidates");

    let ice = audio.ice.as_ref().unwrap();
    assert_eq!(ice.ufrag.as_deref(), Some("EsAw"));
    assert_eq!(ice.pwd.as_deref(), Some("bP+XJMM09aR8AiX1jdukzR6Y"));
    assert_eq!(ice.options.as_deref(), Some("trickle"));
    assert!(!ice.lite);
    assert_eq!(ice.candidates.len(), 2);
    assert_eq!(
        ice.candidates[0],
        "1467250027 1 udp 2122260223 192.168.1.70 51000 typ host generation 0 network-id 1"
    );

    let dtls = audio.dtls.as_ref().unwrap();
    assert_eq!(dtls.fingerprint_hash, "sha-256");
    assert!(dtls.fingerprint.starts_with("D2:FA:0E"));
    assert_eq!(dtls.setup, Some(Setup::ActPass));

    assert_eq!(audio.ssrc.len(), 2);
    assert!(audio.ssrc[0].starts_with("3735928559 cname:"));

    let opus = &audio.codecs[0];
    assert_eq!(
        (opus.payload_type, opus.name.clone()),
        (111, CodecName::Opus)
    );
    assert_eq!(opus.fmtp.as_deref(), Some("minptime=10;useinbandfec=1"));
    assert_eq!(opus.rtcp_fb, vec!["transport-cc"]);
    assert_eq!(audio.codecs[1].name, CodecName::Other("red".to_owned()));
    assert!(audio.codecs[5].is_auxiliary(), "CN");
    assert_eq!(
        audio.telephone_event(48000).map(|c| c.payload_type),
        Some(110)
    );
    assert_eq!(
        audio.telephone_event(8000).map(|c| c.payload_type),
        Some(126)
    );
    let extmaps = audio.extra.iter().filter(|(k, _)| k == "extmap").count();
    assert_eq!(extmaps, 4);
    assert!(audio.extra.iter().any(|(k, _)| k == "msid"));

    let video = &sdp.media[1];
    assert_eq!(video.kind, MediaKind::Video);
    assert_eq!(video.mid.as_deref(), Some("1"));
    assert_eq!(video.codecs[0].name, CodecName::Other("VP8".to_owned()));
    assert_eq!(video.codecs[0].clock_rate, 90000);
    assert_eq!(video.codecs[0].rtcp_fb.len(), 5);
    assert_eq!(video.codecs[1].fmtp.as_deref(), Some("apt=96"));
    assert_eq!(video.ssrc.len(), 2);
    assert_eq!(
        video.extra,
        vec![
            ("rtcp-rsize".to_owned(), None),
            ("ssrc-group".to_owned(), Some("FID 1111 2222".to_owned()))
        ]
    );
}
