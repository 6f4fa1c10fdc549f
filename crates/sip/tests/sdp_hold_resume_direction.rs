//! Re-INVITE hold and resume: the offered direction (a=sendonly, a=inactive,
//! a=recvonly, or legacy c=0.0.0.0) is answered with its reverse and mirrored
//! onto the other leg's re-offer; resume restores sendrecv. Every changed
//! description bumps our o= version.

use std::net::IpAddr;

use tandem_sip::sdp::{
    Codec, Direction, LocalMedia, LocalSession, Sdp, negotiate_answer, process_answer,
};

/// Trunk A's offer with version `version`, connection `c` and an optional direction line.
fn offer_from_a(version: u32, c: &str, direction: Option<&str>) -> Sdp {
    let mut text = format!(
        "v=0\r\no=trunk-a 1000 {version} IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 {c}\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    );
    if let Some(d) = direction {
        text.push_str(&format!("a={d}\r\n"));
    }
    Sdp::parse(text.as_bytes()).expect("test fixture")
}

/// Trunk B's answer with the given direction line.
fn answer_from_b(direction: &str) -> Sdp {
    let text = format!(
        "v=0\r\no=trunk-b 2000 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n\
m=audio 50000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
    );
    Sdp::parse(text.as_bytes()).expect("test fixture")
}

struct Tandem {
    leg_a: LocalMedia,
    leg_b: LocalMedia,
    session_a: LocalSession,
    session_b: LocalSession,
}

impl Tandem {
    fn new() -> Self {
        let ip: IpAddr = "198.51.100.7".parse().expect("test fixture");
        let codecs = vec![Codec::pcma(), Codec::telephone_event(101, 8000)];
        Self {
            leg_a: LocalMedia::new(ip, 40000, codecs.clone()),
            leg_b: LocalMedia::new(ip, 40002, codecs),
            session_a: LocalSession::new(11, ip),
            session_b: LocalSession::new(22, ip),
        }
    }

    /// A offers; Tandem re-offers to B mirroring A's direction, B answers
    /// with `b_direction`, Tandem answers A. Returns (answer to A, our
    /// direction on A, offer to B, our direction on B).
    fn round(&mut self, offer_a: &Sdp, b_direction: &str) -> (Sdp, Direction, Sdp, Direction) {
        self.leg_b.direction = offer_a
            .first_audio()
            .expect("test fixture")
            .effective_direction();
        let offer_b = self.leg_b.offer(&mut self.session_b).expect("test fixture");
        let neg_b = process_answer(&offer_b, &answer_from_b(b_direction)).expect("test fixture");
        let (answer_a, neg_a) =
            negotiate_answer(offer_a, &self.leg_a, &mut self.session_a).expect("test fixture");
        (answer_a, neg_a.direction, offer_b, neg_b.direction)
    }
}

#[test]
fn hold_with_sendonly_then_resume() {
    let mut t = Tandem::new();

    let (answer, dir_a, offer_b, dir_b) =
        t.round(&offer_from_a(1, "203.0.113.20", None), "sendrecv");
    assert_eq!((dir_a, dir_b), (Direction::SendRecv, Direction::SendRecv));
    assert_eq!(answer.media[0].direction, Direction::SendRecv);
    assert_eq!(
        (
            answer.origin.session_version,
            offer_b.origin.session_version
        ),
        (1, 1)
    );

    // Hold: A sends sendonly; we answer recvonly and put B on hold with sendonly.
    let hold = offer_from_a(2, "203.0.113.20", Some("sendonly"));
    assert!(hold.first_audio().unwrap().is_hold());
    let (answer, dir_a, offer_b, dir_b) = t.round(&hold, "recvonly");
    assert_eq!(answer.media[0].direction, Direction::RecvOnly);
    assert!(answer.to_string().contains("a=recvonly\r\n"));
    assert_eq!(dir_a, Direction::RecvOnly, "we only receive from A");
    assert_eq!(offer_b.media[0].direction, Direction::SendOnly);
    assert!(offer_b.to_string().contains("a=sendonly\r\n"));
    assert_eq!(
        dir_b,
        Direction::SendOnly,
        "we only send to B (A's music on hold)"
    );
    assert_eq!(
        (
            answer.origin.session_version,
            offer_b.origin.session_version
        ),
        (2, 2)
    );

    // Resume.
    let resume = offer_from_a(3, "203.0.113.20", Some("sendrecv"));
    assert!(!resume.first_audio().unwrap().is_hold());
    let (answer, dir_a, offer_b, dir_b) = t.round(&resume, "sendrecv");
    assert_eq!((dir_a, dir_b), (Direction::SendRecv, Direction::SendRecv));
    assert_eq!(answer.media[0].direction, Direction::SendRecv);
    assert_eq!(offer_b.media[0].direction, Direction::SendRecv);
    assert_eq!(
        (
            answer.origin.session_version,
            offer_b.origin.session_version
        ),
        (3, 3)
    );
}

#[test]
fn inactive_and_recvonly_are_reversed() {
    let mut t = Tandem::new();
    let (answer, dir_a, offer_b, dir_b) = t.round(
        &offer_from_a(1, "203.0.113.20", Some("inactive")),
        "inactive",
    );
    assert_eq!(answer.media[0].direction, Direction::Inactive);
    assert_eq!((dir_a, dir_b), (Direction::Inactive, Direction::Inactive));
    assert_eq!(offer_b.media[0].direction, Direction::Inactive);

    let (answer, dir_a, _, _) = t.round(
        &offer_from_a(2, "203.0.113.20", Some("recvonly")),
        "sendonly",
    );
    assert_eq!(answer.media[0].direction, Direction::SendOnly);
    assert_eq!(dir_a, Direction::SendOnly);
}

#[test]
fn legacy_hold_with_zero_connection_address() {
    let mut t = Tandem::new();
    let hold = offer_from_a(2, "0.0.0.0", None);
    let audio = hold.first_audio().unwrap();
    assert_eq!(audio.direction, Direction::SendRecv, "no attribute written");
    assert!(audio.is_hold() && audio.is_legacy_hold());
    assert_eq!(audio.effective_direction(), Direction::SendOnly);
    assert_eq!(audio.rtp_addr(), None);

    let (_, neg) = negotiate_answer(&hold, &t.leg_a, &mut t.session_a).unwrap();
    assert_eq!(neg.direction, Direction::RecvOnly);
    assert_eq!(neg.remote_rtp, None, "never send to 0.0.0.0");
    assert_eq!(neg.remote_rtcp, None);

    let (answer, _, offer_b, dir_b) = t.round(&hold, "recvonly");
    assert_eq!(answer.media[0].direction, Direction::RecvOnly);
    assert_eq!(
        offer_b.media[0].direction,
        Direction::SendOnly,
        "mirrored as sendonly to B"
    );
    assert_eq!(dir_b, Direction::SendOnly);
}

#[test]
fn session_level_direction_applies_to_media() {
    let text =
        b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n\
m=audio 5004 RTP/AVP 0\r\n";
    let sdp = Sdp::parse(text).unwrap();
    assert_eq!(sdp.direction, Some(Direction::SendOnly));
    assert_eq!(sdp.media[0].direction, Direction::SendOnly);
    assert!(sdp.media[0].is_hold());
}
