//! Late offer: the caller's INVITE has no SDP. Tandem offers the far end
//! every codec both trunks allow; the far end's answer decides the codec;
//! tandem's 200 to the caller is an offer with exactly that codec, and the
//! caller's answer arrives in its ACK (RFC 3261 §13.2.1, RFC 3264).

mod sim;

use tandem::media::Side;
use tandem_sip::message::Method;
use tandem_sip::sdp::Direction;

use sim::*;

#[test]
fn late_offer_answered_in_ack() {
    let mut s = Sim::new();
    s.ua(CALLER).auto.ack_2xx = false;
    let a_key = s.invite(CALLER, NUMBER, None);
    s.run_ms(50);

    let (b_key, b_invite) = s.ua_ref(FAR).requests(&Method::Invite)[0].clone();
    // Callers allow PCMU, PCMA, telephone-event; the far trunk PCMU and
    // telephone-event: standard payload types.
    assert_eq!(payload_types(&b_invite.body), vec![0, 101], "{}", s.trace());
    assert_eq!(media_addr_dir(&b_invite.body).0, fake_local_rtp(1, Side::B));

    s.respond(
        FAR,
        &b_key,
        200,
        Some(&sdp(FAR_RTP, &[0, 101], "sendrecv", 1)),
    );
    s.run_ms(50);
    let ok = s
        .ua_ref(CALLER)
        .responses(&a_key)
        .into_iter()
        .find(|r| r.status.as_u16() == 200)
        .unwrap_or_else(|| panic!("no 200:\n{}", s.trace()));
    // An offer with the far end's codec, at tandem's leg A.
    let (addr, dir) = media_addr_dir(&ok.body);
    assert_eq!(addr, fake_local_rtp(1, Side::A));
    assert_eq!(dir, Direction::SendRecv);
    assert_eq!(payload_types(&ok.body), vec![0, 101]);
    assert!(
        s.media().last_remote(1, Side::A).is_none(),
        "caller's address unknown yet"
    );
    assert_eq!(
        s.media().last_remote(1, Side::B).unwrap().rtp,
        Some(FAR_RTP)
    );

    // The answer comes in the ACK.
    let ack = with_sdp(
        ack_for_2xx(&ok, None),
        &sdp(CALLER_RTP, &[0, 101], "sendrecv", 1),
    );
    s.send_ack(CALLER, ack);
    s.run_ms(50);
    let a = s.media().last_remote(1, Side::A);
    let a = a.unwrap_or_else(|| panic!("leg A never pointed:\n{}", s.trace()));
    assert_eq!(a.rtp, Some(CALLER_RTP));
    assert!(a.peer_sends && a.peer_receives);
    assert_eq!(s.ctl.active_calls(), 1);
    s.run_ms(2000);
    assert_eq!(
        s.codes_to(CALLER, &Method::Invite),
        vec![100, 200],
        "no 200 retransmission after the ACK:\n{}",
        s.trace()
    );
}
