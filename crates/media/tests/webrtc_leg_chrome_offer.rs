//! Tandem answers an offer shaped like Chromium's (audio only, BUNDLE, rtcp-mux, actpass,
//! Opus/red/G722/PCMU/PCMA/CN and telephone-event at 48 kHz and 8 kHz) with a well-formed
//! answer: every payload type once, each with the offer's rtpmap.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Instant;

use tandem_media::webrtc_leg::{AudioCodec, BrowserLeg, LegConfig, NegotiateError, WebRtcLeg};

/// Modelled on what Chromium sends for `getUserMedia({audio:true})` (values made up).
pub const CHROME_OFFER: &str = "v=0\r
o=- 4215775240449105457 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
a=extmap-allow-mixed\r
a=msid-semantic: WMS stream0\r
m=audio 40000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r
c=IN IP4 127.0.0.1\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=candidate:1 1 udp 2113937151 127.0.0.1 40000 typ host generation 0 network-cost 999\r
a=ice-ufrag:Zx9q\r
a=ice-pwd:Lp3vQx0bq2Wm7Hn8Yt6Rk4Sd\r
a=ice-options:trickle\r
a=fingerprint:sha-256 0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA:0B:1C:2D:3E:4F:50:61:72:83:94:A5:B6:C7:D8:E9:FA\r
a=setup:actpass\r
a=mid:0\r
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r
a=sendrecv\r
a=msid:stream0 track0\r
a=rtcp-mux\r
a=rtcp-rsize\r
a=rtpmap:111 opus/48000/2\r
a=rtcp-fb:111 transport-cc\r
a=fmtp:111 minptime=10;useinbandfec=1\r
a=rtpmap:63 red/48000/2\r
a=fmtp:63 111/111\r
a=rtpmap:9 G722/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:13 CN/8000\r
a=rtpmap:110 telephone-event/48000\r
a=rtpmap:126 telephone-event/8000\r
a=ssrc:3735928559 cname:abcdefghijklmnop\r
a=ssrc:3735928559 msid:stream0 track0\r
";

fn answer_with(codecs: Vec<AudioCodec>) -> String {
    let now = Instant::now();
    let mut leg = WebRtcLeg::new(
        now,
        LegConfig {
            codecs,
            ..LegConfig::default()
        },
    )
    .unwrap();
    let local: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    leg.accept_offer(now, CHROME_OFFER, local).unwrap()
}

/// (payload types on the m-line, rtpmap lines) of the audio section.
fn formats(sdp: &str) -> (Vec<String>, Vec<String>) {
    let m = sdp.lines().find(|l| l.starts_with("m=audio")).unwrap();
    let pts = m.split_whitespace().skip(3).map(str::to_owned).collect();
    let maps = sdp
        .lines()
        .filter(|l| l.starts_with("a=rtpmap:"))
        .map(str::to_owned)
        .collect();
    (pts, maps)
}

#[test]
fn answer_to_chrome_offer_is_well_formed() {
    let cases = [
        (
            vec![AudioCodec::Opus, AudioCodec::Pcmu],
            "111",
            "a=rtpmap:111 opus/48000/2",
            "110",
            "telephone-event/48000",
        ),
        (
            vec![AudioCodec::Pcmu, AudioCodec::Opus],
            "111",
            "a=rtpmap:111 opus/48000/2",
            "110",
            "telephone-event/48000",
        ),
        (
            vec![AudioCodec::Pcmu],
            "0",
            "a=rtpmap:0 PCMU/8000",
            "126",
            "telephone-event/8000",
        ),
    ];
    for (codecs, pt, rtpmap, dtmf_pt, dtmf) in cases {
        let answer = answer_with(codecs.clone());
        let (pts, maps) = formats(&answer);
        eprintln!("{codecs:?}: m-line {pts:?} {maps:?}");
        // The offer's order decides among our codecs; exactly one codec and its DTMF.
        assert_eq!(pts, vec![pt.to_owned(), dtmf_pt.to_owned()], "{codecs:?}");
        assert_eq!(
            maps,
            vec![rtpmap.to_owned(), format!("a=rtpmap:{dtmf_pt} {dtmf}")],
            "{codecs:?}"
        );
        assert!(answer.contains("a=group:BUNDLE 0\r\n"));
        assert!(answer.contains("a=mid:0\r\n"));
        assert!(answer.contains("a=rtcp-mux\r\n"));
        assert!(answer.contains("a=setup:active\r\n"));
        assert!(answer.contains("a=sendrecv\r\n"));
        assert!(answer.contains(" 127.0.0.1 50000 typ host"));
    }
}

#[test]
fn offer_without_common_codec_is_refused() {
    let offer = CHROME_OFFER
        .replace("111 63 9 0 8 13 110 126", "8 126")
        .replace("a=rtpmap:0 PCMU/8000\r\n", "");
    let mut leg = WebRtcLeg::new(Instant::now(), LegConfig::default()).unwrap();
    let err = leg
        .accept_offer(Instant::now(), &offer, "127.0.0.1:50000".parse().unwrap())
        .unwrap_err();
    assert!(matches!(err, NegotiateError::NoCommonCodec), "{err:?}");
}
