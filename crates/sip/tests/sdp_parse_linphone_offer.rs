//! linphone's offer: opus with fmtp, telephone-event at 48/16/8 kHz, a static
//! payload type with fmtp but no rtpmap, RFC 3605 a=rtcp, wildcard rtcp-fb.

mod sdp_samples;

use std::net::SocketAddr;

use tandem_sip::sdp::{CodecName, RtcpAttr, Sdp};

#[test]
fn linphone_offer_is_typed() {
    let sdp = Sdp::parse(&sdp_samples::crlf(sdp_samples::LINPHONE_OFFER)).unwrap();
    assert_eq!(sdp.origin.username, "alice");
    assert_eq!(sdp.session_name, "Talk");
    assert_eq!(
        sdp.extra.len(),
        2,
        "rtcp-xr and record carried: {:?}",
        sdp.extra
    );

    let audio = &sdp.media[0];
    let pts: Vec<u8> = audio.codecs.iter().map(|c| c.payload_type).collect();
    assert_eq!(pts, vec![96, 97, 98, 0, 8, 18, 101, 99, 100]);

    let opus = &audio.codecs[0];
    assert_eq!(
        (opus.name.clone(), opus.clock_rate, opus.channels),
        (CodecName::Opus, 48000, 2)
    );
    assert_eq!(opus.fmtp.as_deref(), Some("useinbandfec=1"));

    let g729 = &audio.codecs[5];
    assert_eq!(
        g729.name,
        CodecName::Other("G729".to_owned()),
        "static PT 18 without rtpmap"
    );
    assert_eq!(g729.clock_rate, 8000);
    assert_eq!(g729.fmtp.as_deref(), Some("annexb=yes"));

    assert_eq!(
        audio.telephone_event(48000).map(|c| c.payload_type),
        Some(101)
    );
    assert_eq!(
        audio.telephone_event(16000).map(|c| c.payload_type),
        Some(99)
    );
    assert_eq!(
        audio.telephone_event(8000).map(|c| c.payload_type),
        Some(100)
    );

    assert_eq!(
        audio.rtcp,
        Some(RtcpAttr {
            port: 7079,
            address: None
        })
    );
    assert!(!audio.rtcp_mux);
    assert_eq!(
        audio.rtcp_addr(),
        Some("192.168.1.60:7079".parse::<SocketAddr>().unwrap())
    );
    // Wildcard feedback applies to no single codec: carried verbatim.
    assert_eq!(
        audio.extra,
        vec![
            ("rtcp-fb".to_owned(), Some("* trr-int 1000".to_owned())),
            ("rtcp-fb".to_owned(), Some("* ccm tmmbr".to_owned())),
        ]
    );
}
