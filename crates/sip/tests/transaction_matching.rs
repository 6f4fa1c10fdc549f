//! Matching messages to transactions (RFC 3261 §17.1.3, §17.2.3, §9.2):
//! branch + sent-by + method keys, CANCEL and INVITE with the same branch
//! are different transactions, ACK maps to the INVITE, the RFC 2543
//! fallback (no cookie, or the bare cookie), retransmissions absorbed,
//! responses matched on branch + CSeq method, responses with two Vias and
//! stray responses dropped.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::msg;
use tandem_sip::message::{HeaderName, Message, Method, Request, Response, StatusCode};
use tandem_sip::transaction::{
    LayerOutput, LocalVia, ServerInviteState, TimerConfig, TransactionKey, TransactionLayer,
    TransactionState, TuEvent,
};
use tandem_sip::transport::{Peer, TransportKind};

const INVITE: &str = "INVITE sip:bob@127.0.0.1:5080 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=BRANCH
Max-Forwards: 70
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:bob@127.0.0.1>TOTAG
Call-ID: match-1@test
CSeq: 7 METHOD
Content-Length: 0

";

fn request(
    method: &str,
    branch: &str,
    cseq_method: &str,
    to_tag: Option<&str>,
    seq: u32,
) -> Request {
    let text = INVITE
        .replacen("INVITE", method, 1)
        .replace("BRANCH", branch)
        .replace("7 METHOD", &format!("{seq} {cseq_method}"))
        .replace(
            "TOTAG",
            &to_tag.map(|t| format!(";tag={t}")).unwrap_or_default(),
        );
    match msg(&text) {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn peer() -> Peer {
    Peer::udp("127.0.0.1:5060".parse::<SocketAddr>().expect("addr"))
}

fn layer() -> TransactionLayer {
    TransactionLayer::new(TimerConfig::default(), LocalVia::none())
}

fn drain(l: &mut TransactionLayer) -> (Vec<Message>, Vec<TuEvent>) {
    let mut sent = Vec::new();
    let mut events = Vec::new();
    while let Some(o) = l.poll_output() {
        match o {
            LayerOutput::Transmit { bytes, .. } => {
                sent.push(Message::parse(&bytes).expect("parse"))
            }
            LayerOutput::Event(e) => events.push(e),
        }
    }
    (sent, events)
}

fn new_request_key(events: &[TuEvent]) -> TransactionKey {
    events
        .iter()
        .find_map(|e| match e {
            TuEvent::Request { key, .. } => Some(key.clone()),
            _ => None,
        })
        .expect("a Request event")
}

fn respond(l: &mut TransactionLayer, now: Instant, key: &TransactionKey, req: &Request, code: u16) {
    let resp = Response::for_request(req, StatusCode::new(code).expect("code"), Some("b2"));
    l.send_response(now, key, resp).expect("send_response");
}

#[test]
fn retransmitted_request_is_absorbed() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = request("INVITE", "z9hG4bKretx", "INVITE", None, 7);
    l.handle_received(t0, inv.clone().into(), peer());
    let (_, ev) = drain(&mut l);
    let key = new_request_key(&ev);
    // Before the TU answered: absorbed, nothing sent, no event.
    l.handle_received(t0 + Duration::from_millis(50), inv.clone().into(), peer());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    // After a 180: the 180 is sent again.
    respond(&mut l, t0 + Duration::from_millis(60), &key, &inv, 180);
    drain(&mut l);
    l.handle_received(t0 + Duration::from_millis(500), inv.clone().into(), peer());
    let (sent, ev) = drain(&mut l);
    assert!(ev.is_empty());
    assert_eq!(sent.len(), 1);
    let Message::Response(r) = &sent[0] else {
        panic!("response expected")
    };
    assert_eq!(r.status.as_u16(), 180);
    assert_eq!(l.len(), 1);
}

#[test]
fn cancel_and_invite_with_same_branch_are_different_transactions() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = request("INVITE", "z9hG4bKsame", "INVITE", None, 7);
    l.handle_received(t0, inv.into(), peer());
    let (_, ev) = drain(&mut l);
    let ikey = new_request_key(&ev);
    let cancel = request("CANCEL", "z9hG4bKsame", "CANCEL", None, 7);
    l.handle_received(t0 + Duration::from_millis(10), cancel.into(), peer());
    let (sent, ev) = drain(&mut l);
    assert_eq!(ev.len(), 1);
    let TuEvent::Cancelled { invite, cancel } = &ev[0] else {
        panic!("Cancelled expected: {ev:?}")
    };
    assert_eq!(invite, &ikey);
    assert_ne!(cancel, &ikey);
    assert_eq!(cancel.method(), &Method::Cancel);
    assert_eq!(cancel.with_method(Method::Invite), ikey);
    // 200 to the CANCEL; the INVITE transaction still waits for its answer.
    assert_eq!(sent.len(), 1);
    assert!(
        matches!(&sent[0], Message::Response(r) if r.status.as_u16() == 200
        && r.headers.cseq().is_some_and(|c| c.method == Method::Cancel))
    );
    assert_eq!(
        l.state(&ikey),
        Some(TransactionState::ServerInvite(
            ServerInviteState::Proceeding
        ))
    );
    assert_eq!(l.len(), 2);
}

#[test]
fn cancel_for_unknown_invite_gets_481() {
    let mut l = layer();
    let cancel = request("CANCEL", "z9hG4bKnone", "CANCEL", None, 7);
    l.handle_received(Instant::now(), cancel.into(), peer());
    let (sent, ev) = drain(&mut l);
    assert!(ev.is_empty());
    assert!(matches!(&sent[..], [Message::Response(r)] if r.status.as_u16() == 481));
}

#[test]
fn ack_with_same_branch_maps_to_the_invite() {
    let mut l = layer();
    let t0 = Instant::now();
    let inv = request("INVITE", "z9hG4bKack", "INVITE", None, 7);
    l.handle_received(t0, inv.clone().into(), peer());
    let (_, ev) = drain(&mut l);
    let key = new_request_key(&ev);
    respond(&mut l, t0, &key, &inv, 486);
    drain(&mut l);
    let ack = request("ACK", "z9hG4bKack", "ACK", Some("b2"), 7);
    l.handle_received(t0 + Duration::from_millis(20), ack.into(), peer());
    let (sent, ev) = drain(&mut l);
    assert!(sent.is_empty() && ev.is_empty(), "ACK absorbed: {ev:?}");
    assert_eq!(
        l.state(&key),
        Some(TransactionState::ServerInvite(ServerInviteState::Confirmed))
    );
    // An ACK with another branch and no matching 2xx is stray.
    let stray = request("ACK", "z9hG4bKother", "ACK", Some("zz"), 9);
    l.handle_received(t0 + Duration::from_millis(30), stray.into(), peer());
    let (_, ev) = drain(&mut l);
    assert!(matches!(&ev[..], [TuEvent::StrayAck { .. }]));
}

#[test]
fn rfc2543_fallback_for_missing_or_bare_cookie() {
    for branch in ["1234abcd", "z9hG4bK"] {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", branch, "INVITE", None, 7);
        l.handle_received(t0, inv.clone().into(), peer());
        let (_, ev) = drain(&mut l);
        let key = new_request_key(&ev);
        assert!(key.is_rfc2543(), "{branch}");
        assert!(key.branch().is_none());
        // Retransmission: absorbed.
        l.handle_received(t0, inv.clone().into(), peer());
        assert!(drain(&mut l).1.is_empty());
        // Same branch, other CSeq: another transaction.
        let inv2 = request("INVITE", branch, "INVITE", None, 8);
        l.handle_received(t0, inv2.into(), peer());
        let (_, ev) = drain(&mut l);
        assert_ne!(new_request_key(&ev), key);
        // The ACK for a 486 carries the To tag the INVITE lacked: matched.
        respond(&mut l, t0, &key, &inv, 486);
        drain(&mut l);
        let ack = request("ACK", branch, "ACK", Some("b2"), 7);
        l.handle_received(t0, ack.into(), peer());
        assert!(drain(&mut l).1.is_empty(), "{branch}");
        assert_eq!(
            l.state(&key),
            Some(TransactionState::ServerInvite(ServerInviteState::Confirmed)),
            "{branch}"
        );
    }
}

#[test]
fn server_key_includes_sent_by() {
    let mut l = layer();
    let t0 = Instant::now();
    let a = request("OPTIONS", "z9hG4bKsb", "OPTIONS", None, 1);
    let mut b = a.clone();
    let via = b
        .headers
        .get(&HeaderName::Via)
        .expect("via")
        .replace("5060", "5062");
    b.headers.set(HeaderName::Via, via);
    l.handle_received(t0, a.into(), peer());
    l.handle_received(t0, b.into(), peer());
    let (_, ev) = drain(&mut l);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, TuEvent::Request { .. }))
            .count(),
        2
    );
}

#[test]
fn responses_match_on_branch_and_cseq_method() {
    let mut l = TransactionLayer::new(
        TimerConfig::default(),
        LocalVia::none().with(
            TransportKind::Udp,
            tandem_sip::message::Host::V4(std::net::Ipv4Addr::LOCALHOST),
            Some(5060),
        ),
    );
    let t0 = Instant::now();
    let mut inv = request("INVITE", "x", "INVITE", None, 7);
    inv.headers.remove_all(&HeaderName::Via);
    let key = l.send_request(t0, inv, peer()).expect("send");
    let (sent, _) = drain(&mut l);
    let Message::Request(sent_inv) = &sent[0] else {
        panic!()
    };
    let branch = key.branch().expect("branch").as_str().to_owned();
    assert!(branch.starts_with("z9hG4bK"));

    let mk = |code: u16, cseq_method: &str, extra_via: bool| {
        let mut r =
            Response::for_request(sent_inv, StatusCode::new(code).expect("code"), Some("t"));
        r.headers.set(HeaderName::CSeq, format!("7 {cseq_method}"));
        if extra_via {
            r.headers
                .push_value(HeaderName::Via, "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKp");
        }
        r
    };
    // CSeq method CANCEL: another transaction (none): dropped.
    l.handle_received(t0, mk(200, "CANCEL", false).into(), peer());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    // Two Vias: not for us: dropped.
    l.handle_received(t0, mk(180, "INVITE", true).into(), peer());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    // The right one.
    l.handle_received(t0, mk(180, "INVITE", false).into(), peer());
    let (_, ev) = drain(&mut l);
    assert!(
        matches!(&ev[..], [TuEvent::Response { key: k, response }] if *k == key && response.status.as_u16() == 180)
    );
    // A stray non-2xx is dropped; a stray 2xx for INVITE is reported.
    let mut stray = mk(404, "INVITE", false);
    stray.headers.set(
        HeaderName::Via,
        "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKgone",
    );
    l.handle_received(t0, stray.clone().into(), peer());
    assert_eq!(drain(&mut l), (vec![], vec![]));
    stray.status = StatusCode::new(200).expect("200");
    l.handle_received(t0, stray.into(), peer());
    let (_, ev) = drain(&mut l);
    assert!(matches!(&ev[..], [TuEvent::Stray2xx { .. }]));
}

#[test]
fn received_and_rport_are_stamped_on_the_top_via() {
    let mut l = layer();
    let mut inv = request("INVITE", "z9hG4bKnat", "INVITE", None, 7);
    inv.headers.set(
        HeaderName::Via,
        "SIP/2.0/UDP 192.168.1.20:5060;rport;branch=z9hG4bKnat",
    );
    let from = Peer::udp("127.0.0.1:40000".parse().expect("addr"));
    l.handle_received(Instant::now(), inv.into(), from);
    let (_, ev) = drain(&mut l);
    let Some(TuEvent::Request {
        request, source, ..
    }) = ev.first()
    else {
        panic!()
    };
    assert_eq!(source, &from);
    let via = request.headers.top_via().expect("via");
    let p = |n: &str| {
        via.params
            .0
            .iter()
            .find(|p| p.name == n)
            .and_then(|p| p.value.clone())
    };
    assert_eq!(p("received").as_deref(), Some("127.0.0.1"));
    assert_eq!(p("rport").as_deref(), Some("40000"));
    assert_eq!(p("branch").as_deref(), Some("z9hG4bKnat"));
}
