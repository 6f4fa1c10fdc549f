//! Early media: the far end's 183 with SDP reaches the caller as a 183
//! with tandem's answer (leg A address), media is pointed before the
//! answer, and the 200 carries the very same answer (RFC 3264 §4, RFC 6337
//! §3.1.1: one answer per offer).

mod sim;

use tandem::media::Side;
use tandem_sip::message::Method;
use tandem_sip::sdp::Direction;

use sim::*;

#[test]
fn early_media_answer_then_same_answer_in_200() {
    let mut s = Sim::new();
    let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);
    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);

    s.respond(FAR, &b_key, 183, Some(&answer));
    s.run_ms(50);
    let resps = s.ua_ref(CALLER).responses(&a_key);
    let codes: Vec<u16> = resps.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, vec![100, 183], "{}", s.trace());
    let early = resps[1].clone();
    assert_eq!(
        early.headers.content_type().as_deref(),
        Some("application/sdp")
    );
    let (addr, dir) = media_addr_dir(&early.body);
    assert_eq!(addr, fake_local_rtp(1, Side::A));
    assert_eq!(dir, Direction::SendRecv);
    assert_eq!(payload_types(&early.body), vec![0, 101]);
    {
        let m = s.media();
        assert_eq!(m.last_remote(1, Side::B).unwrap().rtp, Some(FAR_RTP));
        assert_eq!(m.last_remote(1, Side::A).unwrap().rtp, Some(CALLER_RTP));
    }

    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_ms(100);
    let resps = s.ua_ref(CALLER).responses(&a_key);
    let codes: Vec<u16> = resps.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, vec![100, 183, 200], "{}", s.trace());
    assert_eq!(
        resps[2].body, early.body,
        "the 200 repeats the early answer"
    );
    assert_eq!(resps[2].headers.to_tag(), early.headers.to_tag());
    assert_eq!(s.ctl.active_calls(), 1);
    assert_eq!(s.requests_to(FAR, &Method::Ack).len(), 1);
}
