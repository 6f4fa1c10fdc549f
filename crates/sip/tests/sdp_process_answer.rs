//! process_answer, the offerer's side: the answered codec must be one we
//! offered; port 0 is a rejection; telephone-event, ptime, rtcp-mux and the
//! remote address come from the answer.

use std::net::{IpAddr, SocketAddr};

use tandem_sip::sdp::{
    AnswerError, Codec, Direction, LocalMedia, LocalSession, Sdp, process_answer,
};

fn our_offer() -> Sdp {
    let ip: IpAddr = "198.51.100.7".parse().expect("test fixture");
    let mut local = LocalMedia::new(
        ip,
        40002,
        vec![
            Codec::pcmu(),
            Codec::pcma(),
            Codec::telephone_event(101, 8000),
        ],
    );
    local.ptime = Some(20);
    local.rtcp_mux = true;
    local
        .offer(&mut LocalSession::new(22, ip))
        .expect("test fixture")
}

fn answer(media: &str) -> Sdp {
    let text = format!(
        "v=0\r\no=trunk-b 2000 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n{media}"
    );
    Sdp::parse(text.as_bytes()).expect("test fixture")
}

#[test]
fn offer_is_what_we_configured() {
    let text = our_offer().to_string();
    assert_eq!(
        text,
        "v=0\r\no=tandem 22 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
m=audio 40002 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\na=rtcp-mux\r\n"
    );
}

#[test]
fn answered_codec_and_telephone_event() {
    let neg = process_answer(
        &our_offer(),
        &answer(
            "m=audio 50000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n",
        ),
    )
    .unwrap();
    assert_eq!(neg.codec, Codec::pcma());
    assert_eq!(neg.telephone_event.map(|c| c.payload_type), Some(101));
    assert_eq!(
        neg.ptime, 30,
        "the answerer's ptime is what it wants to receive"
    );
    assert_eq!(neg.direction, Direction::SendRecv);
    assert!(!neg.rtcp_mux, "not in the answer");
    assert_eq!(
        neg.remote_rtp,
        Some("192.0.2.50:50000".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(
        neg.remote_rtcp,
        Some("192.0.2.50:50001".parse::<SocketAddr>().unwrap())
    );
}

#[test]
fn telephone_event_renumbered_by_answerer_is_matched_by_encoding() {
    let neg = process_answer(
        &our_offer(),
        &answer("m=audio 50000 RTP/AVP 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=rtcp-mux\r\n"),
    )
    .unwrap();
    assert_eq!(neg.codec, Codec::pcmu());
    assert_eq!(
        neg.telephone_event.map(|c| c.payload_type),
        Some(96),
        "answerer's number"
    );
    assert!(neg.rtcp_mux);
    assert_eq!(neg.remote_rtcp, neg.remote_rtp);
    assert_eq!(neg.ptime, 20, "ours, when the answer has none");
}

#[test]
fn codec_not_offered() {
    let err = process_answer(
        &our_offer(),
        &answer("m=audio 50000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"),
    )
    .unwrap_err();
    assert_eq!(err, AnswerError::CodecNotOffered { payload_type: 18 });
}

#[test]
fn rejected_with_port_zero() {
    let err = process_answer(&our_offer(), &answer("m=audio 0 RTP/AVP 0\r\n")).unwrap_err();
    assert_eq!(err, AnswerError::Rejected);
}

#[test]
fn media_count_mismatch() {
    let err = process_answer(
        &our_offer(),
        &answer("m=audio 50000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        AnswerError::MediaCountMismatch {
            offered: 1,
            answered: 2
        }
    );
}

#[test]
fn only_telephone_event_answered() {
    let err = process_answer(
        &our_offer(),
        &answer("m=audio 50000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n"),
    )
    .unwrap_err();
    assert_eq!(err, AnswerError::NoCommonCodec);
}
