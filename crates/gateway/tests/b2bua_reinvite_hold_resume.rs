//! Hold and resume by re-INVITE, from either side. The re-INVITE is
//! relayed to the other leg with tandem's own address for that leg and the
//! same direction; the answer comes back with the matching direction; each
//! description tandem sends on a leg bumps its o= version (RFC 3264 §8);
//! the media legs follow.

mod sim;

use std::net::SocketAddr;

use tandem::media::Side;
use tandem_sip::message::{Method, Request, Response};
use tandem_sip::sdp::{Direction, Sdp};
use tandem_sip::transaction::TransactionKey;

use sim::*;

/// The peer of `at` in this test.
fn other(at: SocketAddr) -> SocketAddr {
    if at == CALLER { FAR } else { CALLER }
}

fn rtp_of(at: SocketAddr) -> SocketAddr {
    if at == CALLER { CALLER_RTP } else { FAR_RTP }
}

fn side_of(at: SocketAddr) -> Side {
    if at == CALLER { Side::A } else { Side::B }
}

/// `from` re-INVITEs with direction `dir` (o= version `version`); the other
/// UA answers with `answer_dir`. Returns the relayed re-INVITE, the answer
/// `from` got, and the key of `from`'s re-INVITE.
fn reinvite(
    s: &mut Sim,
    from: SocketAddr,
    dir: &str,
    version: u64,
    answer_dir: &str,
) -> (Request, Response, TransactionKey) {
    let to = other(from);
    let before = s.ua_ref(to).requests(&Method::Invite).len();
    let key = s.reinvite(from, &sdp(rtp_of(from), &[0, 101], dir, version));
    s.run_ms(50);
    let invites = s.ua_ref(to).requests(&Method::Invite);
    assert_eq!(
        invites.len(),
        before + 1,
        "re-INVITE not relayed:\n{}",
        s.trace()
    );
    let (k, relayed) = invites[before].clone();
    assert!(relayed.headers.to_tag().is_some(), "relayed in the dialog");
    let answer = answer_for(&relayed, rtp_of(to), answer_dir, version);
    s.respond(to, &k, 200, Some(&answer));
    s.run_ms(100);
    let got = s
        .ua_ref(from)
        .responses(&key)
        .into_iter()
        .find(|r| r.status.is_final())
        .unwrap_or_else(|| panic!("no final response to the re-INVITE:\n{}", s.trace()));
    (relayed, got, key)
}

fn version(body: &[u8]) -> u64 {
    Sdp::parse(body).expect("SDP parses").origin.session_version
}

fn session_id(body: &[u8]) -> u64 {
    Sdp::parse(body).expect("SDP parses").origin.session_id
}

fn hold_and_resume_from(holder: SocketAddr) {
    let mut s = Sim::new();
    s.answered_call();
    let held = other(holder);
    let holder_side = side_of(holder);
    let held_side = side_of(held);
    // What tandem sent each leg at call setup: the INVITE to the far end,
    // the 200 to the caller.
    let first_to_far = s.requests_to(FAR, &Method::Invite)[0].body.clone();
    let first_to_caller = s
        .responses_to(CALLER, &Method::Invite)
        .into_iter()
        .find(|r| r.status.as_u16() == 200)
        .expect("caller got a 200")
        .body;
    let first_to_held = if held == FAR {
        first_to_far.clone()
    } else {
        first_to_caller.clone()
    };
    let first_to_holder = if held == FAR {
        first_to_caller
    } else {
        first_to_far
    };
    let remotes_before = s.media().remotes.len();

    // Hold: sendonly from the holder, recvonly back.
    let (relayed, answer, key) = reinvite(&mut s, holder, "sendonly", 2, "recvonly");
    assert_eq!(answer.status.as_u16(), 200, "{}", s.trace());
    let (addr, dir) = media_addr_dir(&relayed.body);
    assert_eq!(
        addr,
        fake_local_rtp(1, held_side),
        "tandem's own address on that leg"
    );
    assert_eq!(dir, Direction::SendOnly);
    assert_eq!(payload_types(&relayed.body)[0], 0, "the codec in use");
    assert_eq!(session_id(&relayed.body), session_id(&first_to_held));
    assert_eq!(version(&relayed.body), version(&first_to_held) + 1);
    let (addr, dir) = media_addr_dir(&answer.body);
    assert_eq!(addr, fake_local_rtp(1, holder_side));
    assert_eq!(dir, Direction::RecvOnly);
    assert_eq!(session_id(&answer.body), session_id(&first_to_holder));
    assert_eq!(version(&answer.body), version(&first_to_holder) + 1);
    // Both 200s are ACKed: tandem's to the held UA, the holder's to tandem.
    assert_eq!(
        s.requests_to(held, &Method::Ack)
            .iter()
            .filter(|a| seq(&a.headers) == seq(&relayed.headers))
            .count(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.ua_ref(holder).codes(&key).last(), Some(&200));
    {
        let m = s.media();
        assert!(m.remotes.len() > remotes_before, "media legs updated");
        let h = m.last_remote(1, holder_side).expect("holder leg pointed");
        // The holder sends (music on hold) but receives nothing.
        assert!(h.peer_sends && !h.peer_receives, "{h:?}");
        assert_eq!(h.rtp, Some(rtp_of(holder)));
        let o = m.last_remote(1, held_side).expect("held leg pointed");
        assert!(!o.peer_sends && o.peer_receives, "{o:?}");
        assert_eq!(o.rtp, Some(rtp_of(held)));
    }

    // Resume: sendrecv both ways.
    let (relayed2, answer2, _) = reinvite(&mut s, holder, "sendrecv", 3, "sendrecv");
    assert_eq!(answer2.status.as_u16(), 200);
    assert_eq!(media_addr_dir(&relayed2.body).1, Direction::SendRecv);
    assert_eq!(media_addr_dir(&answer2.body).1, Direction::SendRecv);
    assert_eq!(version(&relayed2.body), version(&relayed.body) + 1);
    assert_eq!(version(&answer2.body), version(&answer.body) + 1);
    assert!(
        seq(&relayed2.headers) > seq(&relayed.headers),
        "CSeq goes up in the dialog"
    );
    {
        let m = s.media();
        let h = m.last_remote(1, holder_side).expect("holder leg pointed");
        assert!(h.peer_sends && h.peer_receives);
        let o = m.last_remote(1, held_side).expect("held leg pointed");
        assert!(o.peer_sends && o.peer_receives);
    }
    assert_eq!(s.ctl.active_calls(), 1);

    // The call still ends cleanly.
    s.bye(holder);
    s.run_ms(100);
    assert_eq!(
        s.ua_ref(held).requests(&Method::Bye).len(),
        1,
        "{}",
        s.trace()
    );
    assert_eq!(s.ctl.active_calls(), 0);
}

#[test]
fn caller_holds_and_resumes() {
    hold_and_resume_from(CALLER);
}

#[test]
fn far_end_holds_and_resumes() {
    hold_and_resume_from(FAR);
}
