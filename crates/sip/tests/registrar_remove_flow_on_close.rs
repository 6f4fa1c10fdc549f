//! When a WebSocket (or TCP) connection closes, the bindings registered
//! over it go: nothing else can reach a browser's `.invalid` Contact.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::transport::ConnectionId;

#[test]
fn closing_a_connection_drops_its_bindings() {
    let base = Instant::now();
    let mut reg = registrar();
    let a1 = register(
        "alice",
        "a1",
        1,
        &[&browser_contact("a1", INSTANCE_A, None)],
        None,
    );
    let a2 = register(
        "alice",
        "a2",
        1,
        &[&browser_contact("a2", INSTANCE_B, None)],
        None,
    );
    let b1 = register(
        "bob",
        "b1",
        1,
        &[&browser_contact("b1", INSTANCE_A, None)],
        None,
    );
    let c = register("carol", "c1", 1, &["<sip:carol@127.0.0.1:5070>"], None);
    reg.handle_register(base, "alice", &a1, ws_peer(1))
        .expect("a1");
    reg.handle_register(base, "alice", &a2, ws_peer(2))
        .expect("a2");
    reg.handle_register(base, "bob", &b1, ws_peer(1))
        .expect("b1");
    reg.handle_register(base, "carol", &c, udp_peer(5070))
        .expect("c");

    // Connection 1 carried alice's first tab and bob.
    assert_eq!(reg.remove_flow(ConnectionId(1)), ["alice", "bob"]);
    let alice = reg.bindings(base, "alice");
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].source, ws_peer(2));
    assert!(!reg.is_registered(base, "bob"));
    assert!(
        reg.is_registered(base, "carol"),
        "UDP bindings have no flow"
    );

    // Unknown or already closed: nothing.
    assert!(reg.remove_flow(ConnectionId(1)).is_empty());
    assert!(reg.remove_flow(ConnectionId(99)).is_empty());

    assert_eq!(reg.remove_flow(ConnectionId(2)), ["alice"]);
    assert!(!reg.is_registered(base, "alice"));
    let mut left: Vec<_> = reg.registered_aors(base).collect();
    left.sort_unstable();
    assert_eq!(left, ["carol"]);
    assert_eq!(reg.poll_timeout(), Some(base + secs(600)));
}
