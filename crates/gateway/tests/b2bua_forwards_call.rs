//! A call forwarded end to end: INVITE with SDP rewritten toward the far
//! trunk, provisional and final responses mapped back, ACK on both legs,
//! media pointed at both peers, BYE relayed, media released.

mod sim;

use tandem::media::Side;
use tandem_sip::message::Method;
use tandem_sip::sdp::Direction;

use sim::*;

#[test]
fn forwards_call_end_to_end() {
    let mut s = Sim::new();
    // telephone-event on payload type 100, so the test can see that the
    // caller's numbers are the ones offered to the far end.
    let offer = sdp(CALLER_RTP, &[0, 100], "sendrecv", 1);
    let a_key = s.invite(CALLER, NUMBER, Some(&offer));
    s.run_ms(50);

    // The far end got one INVITE for the forwarded number at its address.
    let invites = s.ua_ref(FAR).requests(&Method::Invite);
    assert_eq!(invites.len(), 1, "{}", s.trace());
    let (b_key, b_invite) = invites[0].clone();
    assert_eq!(
        b_invite.uri.to_string(),
        format!("sip:{FORWARDED_TO}@{FAR}")
    );
    assert_eq!(b_invite.headers.max_forwards(), Some(69));
    // A new call leg: tandem's own Call-ID, tags, Via and Contact; the
    // caller's identity (display name and user) carried over in From.
    let a_invite = s.requests_from(CALLER, &Method::Invite)[0].clone();
    assert_ne!(b_invite.headers.call_id(), a_invite.headers.call_id());
    assert_ne!(b_invite.headers.from_tag(), a_invite.headers.from_tag());
    assert_eq!(b_invite.headers.vias().unwrap().len(), 1);
    assert_eq!(
        b_invite.headers.top_via().unwrap().sent_by_port(),
        CTL.port()
    );
    assert_eq!(
        b_invite.headers.contacts().unwrap()[0].uri.to_string(),
        format!("sip:tandem@{CTL}")
    );
    let from = b_invite.headers.from_addr().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("Alice"));
    assert_eq!(
        from.uri.as_sip().and_then(|u| u.user.clone()).as_deref(),
        Some("+15551234")
    );
    assert_eq!(
        b_invite.headers.to_addr().unwrap().uri.to_string(),
        format!("sip:{FORWARDED_TO}@{FAR}")
    );
    // Tandem's own media address (leg B), the caller's codecs and numbers.
    let (addr, dir) = media_addr_dir(&b_invite.body);
    assert_eq!(addr, fake_local_rtp(1, Side::B));
    assert_ne!(addr, CALLER_RTP);
    assert_eq!(dir, Direction::SendRecv);
    assert_eq!(payload_types(&b_invite.body), vec![0, 100]);
    // The caller got 100 Trying at once.
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100]);

    s.respond(FAR, &b_key, 180, None);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180]);

    let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
    s.respond(FAR, &b_key, 200, Some(&answer));
    s.run_ms(100);

    let a_resps = s.ua_ref(CALLER).responses(&a_key);
    let codes: Vec<u16> = a_resps.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes, vec![100, 180, 200], "{}", s.trace());
    let ok = &a_resps[2];
    let (addr, dir) = media_addr_dir(&ok.body);
    assert_eq!(
        addr,
        fake_local_rtp(1, Side::A),
        "caller is pointed at leg A"
    );
    assert_eq!(dir, Direction::SendRecv);
    assert_eq!(payload_types(&ok.body), vec![0, 100]);
    // Its Contact is tandem's; its To tag is the one the 180 carried.
    let contact = ok.headers.contacts().unwrap();
    assert_eq!(contact[0].uri.to_string(), format!("sip:tandem@{CTL}"));
    assert_eq!(ok.headers.to_tag(), a_resps[1].headers.to_tag());
    assert!(ok.headers.to_tag().is_some());

    // ACK on both legs: the caller's to tandem, tandem's to the far end.
    assert_eq!(s.requests_from(CALLER, &Method::Ack).len(), 1);
    let b_acks = s.requests_to(FAR, &Method::Ack);
    assert_eq!(b_acks.len(), 1, "{}", s.trace());
    assert_eq!(b_acks[0].uri.to_string(), format!("sip:bob@{FAR}"));
    assert_eq!(seq(&b_acks[0].headers), 1);

    // Media: each leg pointed at its peer, both ways.
    {
        let m = s.media();
        assert_eq!(m.opened, vec![1]);
        let b = m.last_remote(1, Side::B).expect("leg B pointed");
        assert_eq!(b.rtp, Some(FAR_RTP));
        assert_eq!(b.rtcp, Some(sim_rtcp(FAR_RTP)));
        assert!(b.peer_sends && b.peer_receives);
        assert_eq!(b.codec.clock_rate, 8000);
        let a = m.last_remote(1, Side::A).expect("leg A pointed");
        assert_eq!(a.rtp, Some(CALLER_RTP));
        assert!(a.peer_sends && a.peer_receives);
        assert!(m.dropped.is_empty());
    }
    assert_eq!(s.ctl.active_calls(), 1);
    assert_eq!(s.ctl.stats().calls_answered, 1);

    // The caller hangs up.
    let bye_key = s.bye(CALLER);
    s.run_ms(100);
    let far_byes = s.ua_ref(FAR).requests(&Method::Bye);
    assert_eq!(far_byes.len(), 1, "{}", s.trace());
    assert_eq!(far_byes[0].1.uri.to_string(), format!("sip:bob@{FAR}"));
    // The far end's BYE is in B's dialog: its Call-ID, tandem's From tag,
    // the far end's To tag.
    assert_eq!(far_byes[0].1.headers.call_id(), b_invite.headers.call_id());
    assert_eq!(
        far_byes[0].1.headers.from_tag(),
        b_invite.headers.from_tag()
    );
    assert_eq!(far_byes[0].1.headers.to_tag().as_deref(), Some("bob-tag"));
    assert_eq!(s.ua_ref(CALLER).codes(&bye_key), vec![200]);
    assert_eq!(
        s.codes_to(CTL, &Method::Bye),
        vec![200],
        "far end answered BYE"
    );

    assert_eq!(s.ctl.active_calls(), 0);
    assert_eq!(s.media().dropped, vec![1], "ports returned");
    let st = s.ctl.stats().clone();
    assert_eq!(
        (
            st.calls_started,
            st.calls_answered,
            st.calls_ended,
            st.rejected
        ),
        (1, 1, 1, 0)
    );

    // Nothing is left over: no retransmission of the 200 to the caller.
    s.run_to_end(std::time::Duration::from_secs(60));
    assert_eq!(
        s.codes_to(CALLER, &Method::Invite),
        vec![100, 180, 200],
        "{}",
        s.trace()
    );
    assert!(!s.ctl.has_pending_transactions());
}

fn sim_rtcp(rtp: std::net::SocketAddr) -> std::net::SocketAddr {
    std::net::SocketAddr::new(rtp.ip(), rtp.port() + 1)
}
