//! `Contact: *` with `Expires: 0` removes every binding of the AOR; a
//! wildcard without Expires 0, or mixed with other Contacts, is a 400 that
//! changes nothing.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::message::HeaderName;
use tandem_sip::registrar::{BadRegister, RegisterError};

#[test]
fn wildcard_removes_every_binding() {
    let base = Instant::now();
    let mut reg = registrar();
    let a = register(
        "alice",
        "ca",
        1,
        &[&browser_contact("a", INSTANCE_A, None)],
        None,
    );
    let b = register(
        "alice",
        "cb",
        7,
        &[&browser_contact("b", INSTANCE_B, None)],
        None,
    );
    reg.handle_register(base, "alice", &a, ws_peer(1))
        .expect("a");
    reg.handle_register(base, "alice", &b, ws_peer(2))
        .expect("b");
    let bob = register("bob", "cc", 1, &["<sip:bob@127.0.0.1:5070>"], None);
    reg.handle_register(base, "bob", &bob, udp_peer(5070))
        .expect("bob");
    assert_eq!(reg.bindings(base, "alice").len(), 2);

    let t = base + secs(10);
    // Refused forms first: nothing changes.
    for (req, why) in [
        (
            register("alice", "cw", 1, &["*"], Some(300)),
            BadRegister::WildcardNeedsExpiresZero,
        ),
        (
            register("alice", "cw", 2, &["*"], None),
            BadRegister::WildcardNeedsExpiresZero,
        ),
        (
            register(
                "alice",
                "cw",
                3,
                &["*", "<sip:alice@127.0.0.1:5071>"],
                Some(0),
            ),
            BadRegister::WildcardWithOthers,
        ),
        (
            // The parser refuses this in one line; a request built in code
            // is checked again here.
            {
                let mut r = register("alice", "cw", 4, &[], Some(0));
                r.headers
                    .push_value(HeaderName::Contact, "<sip:alice@127.0.0.1:5071>, *");
                r
            },
            BadRegister::WildcardWithOthers,
        ),
    ] {
        let out = reg.handle_register(t, "alice", &req, ws_peer(3));
        assert_eq!(out, Err(RegisterError::BadRequest(why)));
        assert_eq!(reg.response_for(&req, &out, t).status.as_u16(), 400);
        assert_eq!(reg.bindings(t, "alice").len(), 2);
    }

    // The real thing, from a new Call-ID.
    let req = register("alice", "cw", 5, &["*"], Some(0));
    let out = reg.handle_register(t, "alice", &req, ws_peer(3));
    let ok = out.as_ref().expect("accepted");
    assert_eq!(ok.removed, 2);
    assert!(ok.bindings.is_empty());
    let resp = reg.response_for(&req, &out, t);
    assert_eq!(resp.status.as_u16(), 200);
    assert!(contacts(&resp).is_empty());
    assert!(reg.bindings(t, "alice").is_empty());
    // Other AORs keep theirs.
    assert_eq!(reg.bindings(t, "bob").len(), 1);
    assert_eq!(reg.poll_timeout(), Some(base + secs(600)));
    // Nothing left to remove: still 200.
    let req = register("alice", "cw", 6, &["*"], Some(0));
    assert_eq!(
        reg.handle_register(t, "alice", &req, ws_peer(3))
            .expect("ok")
            .removed,
        0
    );
}

#[test]
fn stale_wildcard_in_a_bindings_call_id_removes_nothing() {
    let base = Instant::now();
    let mut reg = registrar();
    let a = register(
        "alice",
        "ca",
        5,
        &[&browser_contact("a", INSTANCE_A, None)],
        None,
    );
    let b = register(
        "alice",
        "cb",
        1,
        &[&browser_contact("b", INSTANCE_B, None)],
        None,
    );
    reg.handle_register(base, "alice", &a, ws_peer(1))
        .expect("a");
    reg.handle_register(base, "alice", &b, ws_peer(2))
        .expect("b");
    // Call-ID of binding a with a CSeq not above its 5: the whole request
    // fails, binding b is not removed either.
    let req = register("alice", "ca", 5, &["*"], Some(0));
    let out = reg.handle_register(base + secs(1), "alice", &req, ws_peer(1));
    assert_eq!(out, Err(RegisterError::OutOfOrder { stored: 5, cseq: 5 }));
    assert_eq!(reg.bindings(base + secs(1), "alice").len(), 2);
    // With a higher CSeq it goes through.
    let req = register("alice", "ca", 6, &["*"], Some(0));
    assert_eq!(
        reg.handle_register(base + secs(1), "alice", &req, ws_peer(1))
            .expect("ok")
            .removed,
        2
    );
}
