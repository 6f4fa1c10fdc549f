//! An AOR holds at most `max_bindings_per_aor` bindings: a REGISTER that
//! would add one more is refused with 503 and a Retry-After naming when the
//! first one lapses; refreshes of existing bindings still work.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::message::HeaderName;
use tandem_sip::registrar::{RegisterError, Registrar, RegistrarConfig};

#[test]
fn one_binding_too_many_is_503() {
    let base = Instant::now();
    let mut reg = Registrar::new(RegistrarConfig {
        max_bindings_per_aor: 2,
        ..RegistrarConfig::default()
    });
    for (i, port) in [5070u16, 5071].into_iter().enumerate() {
        let req = register(
            "alice",
            &format!("c{port}"),
            1,
            &[&format!("<sip:alice@127.0.0.1:{port}>")],
            Some(120 + 60 * i as u32),
        );
        reg.handle_register(base, "alice", &req, udp_peer(port))
            .expect("within the limit");
    }
    let t = base + secs(20);
    let third = register("alice", "c5072", 1, &["<sip:alice@127.0.0.1:5072>"], None);
    let out = reg.handle_register(t, "alice", &third, udp_peer(5072));
    assert_eq!(
        out,
        Err(RegisterError::TooManyBindings {
            max: 2,
            retry_after: Some(100)
        })
    );
    let resp = on_the_wire(&reg.response_for(&third, &out, t));
    assert_eq!(resp.status.as_u16(), 503);
    assert_eq!(header(&resp, HeaderName::RetryAfter), Some("100"));
    assert_eq!(reg.bindings(t, "alice").len(), 2);

    // A refresh is fine; so is a replacement of one by another in one request.
    let refresh = register("alice", "c5070", 2, &["<sip:alice@127.0.0.1:5070>"], None);
    reg.handle_register(t, "alice", &refresh, udp_peer(5070))
        .expect("refresh");
    let swap = register(
        "alice",
        "c5071",
        2,
        &[
            "<sip:alice@127.0.0.1:5071>;expires=0",
            "<sip:alice@127.0.0.1:5072>",
        ],
        None,
    );
    let ok = reg
        .handle_register(t, "alice", &swap, udp_peer(5072))
        .expect("swap");
    assert_eq!((ok.added, ok.removed), (1, 1));
    // Other AORs have their own budget.
    let bob = register("bob", "b", 1, &["<sip:bob@127.0.0.1:5080>"], None);
    assert!(reg.handle_register(t, "bob", &bob, udp_peer(5080)).is_ok());
}
