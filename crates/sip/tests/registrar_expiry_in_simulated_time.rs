//! Bindings lapse at their expiry: lookups stop returning them at that
//! instant, poll_timeout names the next lapse, handle_timeout drops them and
//! names the AORs that lost bindings.

mod registrar_support;

use std::time::{Duration, Instant};

use registrar_support::*;

#[test]
fn bindings_lapse_on_time() {
    let base = Instant::now();
    let mut reg = registrar();
    let a = register("alice", "ca", 1, &["<sip:alice@127.0.0.1:5070>"], Some(120));
    reg.handle_register(base, "alice", &a, udp_peer(5070))
        .expect("a");
    let b = register("bob", "cb", 1, &["<sip:bob@127.0.0.1:5071>"], Some(300));
    reg.handle_register(base + secs(10), "bob", &b, udp_peer(5071))
        .expect("b");
    let a2 = register(
        "alice",
        "ca2",
        1,
        &["<sip:alice@127.0.0.1:5072>"],
        Some(600),
    );
    reg.handle_register(base + secs(20), "alice", &a2, udp_peer(5072))
        .expect("a2");

    assert_eq!(reg.poll_timeout(), Some(base + secs(120)));
    let just_before = base + secs(120) - Duration::from_millis(1);
    assert_eq!(reg.bindings(just_before, "alice").len(), 2);
    // Nothing lapsed yet: handle_timeout early is harmless.
    assert!(reg.handle_timeout(just_before).is_empty());
    assert_eq!(reg.poll_timeout(), Some(base + secs(120)));

    // At the expiry instant the binding is gone from lookups even before
    // the timeout is handled.
    let t1 = base + secs(120);
    let live = reg.bindings(t1, "alice");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].uri().to_string(), "sip:alice@127.0.0.1:5072");
    assert_eq!(reg.handle_timeout(t1), ["alice"]);
    assert_eq!(reg.poll_timeout(), Some(base + secs(310)));

    // A query at t1 + 5 s shows the seconds left, rounded up.
    let q = register("alice", "ca2", 2, &[], None);
    let at = t1 + Duration::from_millis(5_500);
    let out = reg.handle_register(at, "alice", &q, udp_peer(5072));
    // 620 - 125.5 = 494.5 -> 495
    assert_eq!(contact_expires(&reg.response_for(&q, &out, at)), [495]);

    // Late timer: both remaining lapse at once.
    let late = base + secs(10_000);
    assert_eq!(reg.handle_timeout(late), ["alice", "bob"]);
    assert_eq!(reg.poll_timeout(), None);
    assert!(!reg.is_registered(late, "alice"));
    assert_eq!(reg.registered_aors(late).count(), 0);
}

#[test]
fn a_lapsed_binding_does_not_block_a_new_call_id_or_count() {
    let base = Instant::now();
    let mut reg = registrar();
    let a = register("alice", "ca", 9, &["<sip:alice@127.0.0.1:5070>"], Some(60));
    reg.handle_register(base, "alice", &a, udp_peer(5070))
        .expect("a");
    // After lapse (timer not handled), the same Call-ID with a lower CSeq
    // is a fresh registration: the lapsed binding no longer exists.
    let t = base + secs(61);
    let again = register("alice", "ca", 1, &["<sip:alice@127.0.0.1:5070>"], Some(60));
    let ok = reg
        .handle_register(t, "alice", &again, udp_peer(5070))
        .expect("accepted");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (1, 0, 0));
    assert_eq!(reg.poll_timeout(), Some(t + secs(60)));
}
