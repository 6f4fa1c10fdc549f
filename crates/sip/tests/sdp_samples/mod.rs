//! Realistic SDP bodies shared by the `sdp_*` tests, written from the formats
//! these user agents produce. Stored with LF; `crlf` gives the wire form.

#![allow(dead_code)]

/// baresip 3.x offer: opus, G722, G.711, telephone-event, rtcp-mux.
pub const BARESIP_OFFER: &str = "v=0
o=- 3906287493 2361429563 IN IP4 192.168.1.50
s=-
c=IN IP4 192.168.1.50
t=0 0
a=tool:baresip 3.10.1
m=audio 10196 RTP/AVP 96 9 0 8 101
b=AS:128
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:2364528113 cname:cd0e0f42-9f61-4a3b-b7e4-8d6d5f0f2b11
a=rtcp-mux
a=ptime:20
";

/// linphone 5.x offer: opus, speex, G.711, G.729 (fmtp without rtpmap),
/// telephone-event at 48 kHz, 16 kHz and 8 kHz, RFC 3605 a=rtcp, wildcard rtcp-fb.
pub const LINPHONE_OFFER: &str = "v=0
o=alice 2410 1325 IN IP4 192.168.1.60
s=Talk
c=IN IP4 192.168.1.60
t=0 0
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
a=record:off
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=fmtp:97 vbr=on
a=rtpmap:98 speex/8000
a=fmtp:98 vbr=on
a=fmtp:18 annexb=yes
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=rtcp:7079
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
";

/// Chrome 12x offer: BUNDLE, ICE, DTLS, extmap, msid, ssrc, audio + video.
pub const CHROME_OFFER: &str = "v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS 6d3e0c2b-6e47-4a0e-9a43-5b2b1d0f1a7c
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.1.70 51000 typ host generation 0 network-id 1
a=candidate:434762175 1 tcp 1518280447 192.168.1.70 9 typ host tcptype active generation 0 network-id 1
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:6d3e0c2b-6e47-4a0e-9a43-5b2b1d0f1a7c 1a2b3c4d-0000-4000-8000-123456789abc
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6
a=ssrc:3735928559 msid:6d3e0c2b-6e47-4a0e-9a43-5b2b1d0f1a7c 1a2b3c4d-0000-4000-8000-123456789abc
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:1
a=sendrecv
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 1111 2222
a=ssrc:1111 cname:4TOk42mSjXCkVIa6
a=ssrc:2222 cname:4TOk42mSjXCkVIa6
";

/// A carrier trunk's offer: G.711 only, no rtpmap for static types, ptime 20.
pub const TRUNK_OFFER: &str = "v=0
o=Sonus_UAC 192847 918273 IN IP4 203.0.113.10
s=SIP Media Capabilities
c=IN IP4 203.0.113.20
t=0 0
m=audio 31544 RTP/AVP 0 8 101
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=ptime:20
a=maxptime:40
";

/// The LF sample with CRLF line endings, as sent on the wire.
pub fn crlf(sample: &str) -> Vec<u8> {
    sample.replace('\n', "\r\n").into_bytes()
}

/// The SDP body of one RFC 5118 torture message (after the blank line).
pub fn rfc5118_body(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/torture/rfc5118/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let message = std::fs::read(&path).expect("test fixture");
    let start = message
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|p| p + 2)
        .expect("test fixture");
    message[start..].to_vec()
}
