//! A phone registers one Contact, refreshes it in the same Call-ID with a
//! higher CSeq, is found by a query, then removes it with expires=0.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::message::HeaderName;

const CONTACT: &str = "<sip:alice@127.0.0.1:5070>";

#[test]
fn add_refresh_query_remove() {
    let base = Instant::now();
    let mut reg = registrar();
    let peer = udp_peer(5070);

    // Add: the Expires header gives the interval.
    let req = register("alice", "c1", 1, &[CONTACT], Some(600));
    let out = reg.handle_register(base, "alice", &req, peer);
    let ok = out.as_ref().expect("accepted");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (1, 0, 0));
    let resp = on_the_wire(&reg.response_for(&req, &out, base));
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(contact_expires(&resp), [600]);
    assert_eq!(
        contacts(&resp)[0].uri.to_string(),
        "sip:alice@127.0.0.1:5070"
    );

    let live = reg.bindings(base, "alice");
    assert_eq!(live.len(), 1);
    let b = live[0];
    assert_eq!(b.expires_at, base + secs(600));
    assert_eq!(b.registered_at, base);
    assert_eq!((b.call_id.as_str(), b.cseq), ("c1", 1));
    assert_eq!(b.source, peer);
    assert_eq!(b.user_agent.as_deref(), Some("JsSIP 3.10.1"));
    assert!(reg.is_registered(base, "alice"));
    assert!(!reg.is_registered(base, "bob"));
    assert_eq!(reg.poll_timeout(), Some(base + secs(600)));

    // Refresh half-way: same binding, new expiry, no new binding.
    let t = base + secs(300);
    let req = register("alice", "c1", 2, &[CONTACT], Some(600));
    let out = reg.handle_register(t, "alice", &req, peer);
    let ok = out.as_ref().expect("accepted");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (0, 1, 0));
    assert_eq!(contact_expires(&reg.response_for(&req, &out, t)), [600]);
    let live = reg.bindings(t, "alice");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].expires_at, t + secs(600));
    assert_eq!(live[0].registered_at, t);
    assert_eq!(live[0].cseq, 2);
    assert_eq!(reg.poll_timeout(), Some(t + secs(600)));

    // A query (no Contact) lists the binding with the seconds left.
    let q = base + secs(400);
    let req = register("alice", "c1", 3, &[], None);
    let out = reg.handle_register(q, "alice", &req, peer);
    let resp = reg.response_for(&req, &out, q);
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(contact_expires(&resp), [500]);
    assert_eq!(
        reg.bindings(q, "alice")[0].cseq,
        2,
        "a query changes nothing"
    );

    // Remove: the Contact's expires=0 beats the Expires header.
    let r = base + secs(450);
    let req = register(
        "alice",
        "c1",
        4,
        &["<sip:alice@127.0.0.1:5070>;expires=0"],
        Some(600),
    );
    let out = reg.handle_register(r, "alice", &req, peer);
    let ok = out.as_ref().expect("accepted");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (0, 0, 1));
    assert!(ok.bindings.is_empty());
    let resp = reg.response_for(&req, &out, r);
    assert_eq!(resp.status.as_u16(), 200);
    assert!(header(&resp, HeaderName::Contact).is_none());
    assert!(reg.bindings(r, "alice").is_empty());
    assert!(!reg.is_registered(r, "alice"));
    assert_eq!(reg.poll_timeout(), None);
}

#[test]
fn equivalent_uri_refreshes_instead_of_adding() {
    let base = Instant::now();
    let mut reg = registrar();
    let peer = udp_peer(5070);
    let req = register(
        "alice",
        "c1",
        1,
        &["<sip:alice@PHONE.example.com;transport=UDP>"],
        None,
    );
    reg.handle_register(base, "alice", &req, peer)
        .expect("accepted");
    // Same URI per RFC 3261 §19.1.4 (host case, escapes, param value case),
    // from another Call-ID: it replaces the binding.
    let req = register(
        "alice",
        "c2",
        1,
        &["<sip:%61lice@phone.example.com;transport=udp>"],
        None,
    );
    let ok = reg
        .handle_register(base + secs(1), "alice", &req, peer)
        .expect("accepted");
    assert_eq!((ok.added, ok.refreshed), (0, 1));
    let live = reg.bindings(base + secs(1), "alice");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].call_id, "c2");
    // The default interval applies without Expires anywhere.
    assert_eq!(live[0].expires_at, base + secs(1) + secs(600));
    // A different port is another binding.
    let req = register(
        "alice",
        "c2",
        2,
        &["<sip:alice@phone.example.com:5062;transport=udp>"],
        None,
    );
    let ok = reg
        .handle_register(base + secs(2), "alice", &req, peer)
        .expect("accepted");
    assert_eq!((ok.added, ok.refreshed), (1, 0));
    assert_eq!(ok.bindings.len(), 2);
}
