//! negotiate_answer picks one voice codec from the offer (offerer's order by
//! default, ours when configured) with the offer's payload type, adds
//! telephone-event at that codec's clock rate, echoes ptime, accepts
//! rtcp-mux, and rejects the other m= lines with port 0.

mod sdp_samples;

use std::net::{IpAddr, SocketAddr};

use tandem_sip::sdp::{
    Codec, CodecName, Direction, LocalMedia, LocalSession, MediaKind, Sdp, negotiate_answer,
};

fn tandem_ip() -> IpAddr {
    "198.51.100.7".parse().expect("test fixture")
}

#[test]
fn offerer_order_keeps_offer_payload_types() {
    let offer = Sdp::parse(&sdp_samples::crlf(sdp_samples::BARESIP_OFFER)).unwrap();
    // Our PCMA/PCMU/te use other numbers than the offer: the offer's win.
    let mut local = LocalMedia::new(
        tandem_ip(),
        40000,
        vec![
            Codec::pcma(),
            Codec::pcmu(),
            Codec::opus(120),
            Codec::telephone_event(126, 8000),
        ],
    );
    local.rtcp_mux = true;
    let mut session = LocalSession::new(77, tandem_ip());
    let (answer, neg) = negotiate_answer(&offer, &local, &mut session).unwrap();

    // Offerer's order: opus first in baresip's offer.
    assert_eq!(neg.codec.name, CodecName::Opus);
    assert_eq!(neg.codec.payload_type, 96);
    assert_eq!(
        neg.codec.fmtp.as_deref(),
        Some("stereo=1;sprop-stereo=1"),
        "remote's fmtp"
    );
    assert_eq!(
        neg.telephone_event, None,
        "baresip has telephone-event only at 8 kHz"
    );
    assert_eq!(neg.ptime, 20);
    assert_eq!(neg.direction, Direction::SendRecv);
    assert!(neg.rtcp_mux);
    let remote: SocketAddr = "192.168.1.50:10196".parse().unwrap();
    assert_eq!(neg.remote_rtp, Some(remote));
    assert_eq!(neg.remote_rtcp, Some(remote));

    let text = answer.to_string();
    assert!(
        text.starts_with("v=0\r\no=tandem 77 1 IN IP4 198.51.100.7\r\n"),
        "{text}"
    );
    assert!(text.contains("c=IN IP4 198.51.100.7\r\n"));
    assert!(text.contains("m=audio 40000 RTP/AVP 96\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"));
    assert!(!text.contains("a=fmtp:96"), "our opus declares no fmtp");
    assert!(text.contains("a=ptime:20\r\n"));
    assert!(text.contains("a=sendrecv\r\n"));
    assert!(text.contains("a=rtcp-mux\r\n"));
}

#[test]
fn local_preference_and_telephone_event_clock_rate() {
    let offer = Sdp::parse(&sdp_samples::crlf(sdp_samples::LINPHONE_OFFER)).unwrap();
    let mut local = LocalMedia::new(
        tandem_ip(),
        40002,
        vec![
            Codec::pcma(),
            Codec::opus(111),
            Codec::telephone_event(101, 8000),
            Codec::telephone_event(110, 48000),
        ],
    );
    local.prefer_local_order = true;
    local.ptime = Some(30);
    let mut session = LocalSession::new(5, tandem_ip());
    let (answer, neg) = negotiate_answer(&offer, &local, &mut session).unwrap();
    assert_eq!(
        neg.codec,
        Codec::pcma(),
        "our first choice, though linphone lists opus first"
    );
    let te = neg.telephone_event.unwrap();
    assert_eq!(
        (te.payload_type, te.clock_rate),
        (100, 8000),
        "linphone's 8 kHz te number"
    );
    assert_eq!(neg.ptime, 30, "no ptime offered: ours");
    assert!(!neg.rtcp_mux, "not offered");

    let audio = &answer.media[0];
    let pts: Vec<u8> = audio.codecs.iter().map(|c| c.payload_type).collect();
    assert_eq!(pts, vec![8, 100]);
    assert_eq!(audio.codecs[1].fmtp.as_deref(), Some("0-16"), "our te fmtp");
    assert_eq!(audio.ptime, Some(30));
    assert!(!audio.rtcp_mux);

    // Offerer's order with the same caps: opus, with te at 48 kHz.
    local.prefer_local_order = false;
    let (answer, neg) = negotiate_answer(&offer, &local, &mut session).unwrap();
    assert_eq!(
        (neg.codec.name.clone(), neg.codec.payload_type),
        (CodecName::Opus, 96)
    );
    assert_eq!(neg.telephone_event.map(|c| c.payload_type), Some(101));
    let text = answer.to_string();
    assert!(text.contains("m=audio 40002 RTP/AVP 96 101\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:101 telephone-event/48000\r\n"));
    assert_eq!(
        answer.origin.session_version, 2,
        "second answer differs: version +1"
    );
}

#[test]
fn ptime_is_echoed_and_other_streams_rejected() {
    let offer = format!(
        "{}m=video 31546 RTP/AVP 34\r\na=rtpmap:34 H263/90000\r\nm=image 31548 udptl t38\r\n",
        String::from_utf8(sdp_samples::crlf(sdp_samples::TRUNK_OFFER)).unwrap()
    );
    let offer = Sdp::parse(offer.as_bytes()).unwrap();
    let mut local = LocalMedia::new(
        tandem_ip(),
        40004,
        vec![Codec::pcmu(), Codec::telephone_event(101, 8000)],
    );
    local.ptime = Some(30);
    let mut session = LocalSession::new(9, tandem_ip());
    let (answer, neg) = negotiate_answer(&offer, &local, &mut session).unwrap();
    assert_eq!(neg.ptime, 20, "offer's ptime wins over ours");
    assert_eq!(
        neg.telephone_event.as_ref().map(|c| c.payload_type),
        Some(101)
    );
    assert_eq!(answer.media.len(), 3);
    assert_eq!(answer.media[0].ptime, Some(20));
    assert_eq!(
        (answer.media[1].kind.clone(), answer.media[1].port),
        (MediaKind::Video, 0)
    );
    assert_eq!(
        (answer.media[2].kind.clone(), answer.media[2].port),
        (MediaKind::Image, 0)
    );

    let text = answer.to_string();
    assert!(text.contains("m=audio 40004 RTP/AVP 0 101\r\n"), "{text}");
    assert!(text.contains("m=video 0 RTP/AVP 34\r\n"), "{text}");
    assert!(text.contains("m=image 0 udptl t38\r\n"), "{text}");
}
