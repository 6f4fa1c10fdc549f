//! RFC 3261 §10.3 step 7: in the Call-ID of a binding, a REGISTER whose
//! CSeq is not above the binding's is refused (500) and changes nothing,
//! not even the other Contacts of the same request. Another Call-ID is
//! another client: any CSeq goes.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::registrar::RegisterError;

const C1: &str = "<sip:alice@127.0.0.1:5070>";
const C2: &str = "<sip:alice@127.0.0.1:5071>";

#[test]
fn old_cseq_is_refused_and_changes_nothing() {
    let base = Instant::now();
    let mut reg = registrar();
    let first = register("alice", "c1", 5, &[C1], Some(600));
    reg.handle_register(base, "alice", &first, udp_peer(5070))
        .expect("first");

    let t = base + secs(100);
    for seq in [5, 4, 1] {
        // Refresh, removal, or removal by wildcard: all refused.
        for req in [
            register("alice", "c1", seq, &[C1], Some(600)),
            register("alice", "c1", seq, &[C1], Some(0)),
            register("alice", "c1", seq, &["*"], Some(0)),
        ] {
            let out = reg.handle_register(t, "alice", &req, udp_peer(5070));
            assert_eq!(
                out,
                Err(RegisterError::OutOfOrder {
                    stored: 5,
                    cseq: seq
                })
            );
            let resp = on_the_wire(&reg.response_for(&req, &out, t));
            assert_eq!(resp.status.as_u16(), 500);
            assert!(contacts(&resp).is_empty());
        }
    }
    // A request adding C2 and (stale) refreshing C1 adds nothing either.
    let mixed = register("alice", "c1", 3, &[C2, C1], Some(600));
    assert!(
        reg.handle_register(t, "alice", &mixed, udp_peer(5070))
            .is_err()
    );
    let live = reg.bindings(t, "alice");
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].cseq, live[0].expires_at), (5, base + secs(600)));

    // The next CSeq goes through.
    let next = register("alice", "c1", 6, &[C1], Some(600));
    reg.handle_register(t, "alice", &next, udp_peer(5070))
        .expect("next");
    assert_eq!(reg.bindings(t, "alice")[0].expires_at, t + secs(600));

    // Another Call-ID (the phone rebooted) with a low CSeq replaces it.
    let reboot = register("alice", "c2", 1, &[C1], Some(600));
    let ok = reg
        .handle_register(t + secs(1), "alice", &reboot, udp_peer(5070))
        .expect("reboot");
    assert_eq!((ok.added, ok.refreshed), (0, 1));
    assert_eq!(reg.bindings(t, "alice")[0].call_id, "c2");
}

#[test]
fn the_same_contact_twice_in_one_request_is_not_out_of_order() {
    let base = Instant::now();
    let mut reg = registrar();
    let first = register("alice", "c1", 1, &[C1], Some(600));
    reg.handle_register(base, "alice", &first, udp_peer(5070))
        .expect("first");
    // The last mention wins: removed, then added again with 120 s.
    let req = register(
        "alice",
        "c1",
        2,
        &[
            "<sip:alice@127.0.0.1:5070>;expires=0",
            "<sip:alice@127.0.0.1:5070>;expires=120",
        ],
        None,
    );
    let ok = reg
        .handle_register(base, "alice", &req, udp_peer(5070))
        .expect("accepted");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (0, 1, 0));
    assert_eq!(reg.bindings(base, "alice")[0].expires_at, base + secs(120));
}
