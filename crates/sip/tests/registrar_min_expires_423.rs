//! A non-zero interval below the minimum is refused with 423 and
//! Min-Expires, for the whole request; intervals above the maximum are
//! shortened; 0 is never "too brief".

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::message::HeaderName;
use tandem_sip::registrar::{RegisterError, Registrar, RegistrarConfig};

#[test]
fn too_brief_is_423_with_min_expires() {
    let base = Instant::now();
    let mut reg = registrar();
    // Header interval too brief.
    let req = register("alice", "c1", 1, &["<sip:alice@127.0.0.1:5070>"], Some(30));
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(
        out,
        Err(RegisterError::IntervalTooBrief { min_expires: 60 })
    );
    let resp = on_the_wire(&reg.response_for(&req, &out, base));
    assert_eq!(resp.status.as_u16(), 423);
    assert_eq!(resp.reason, "Interval Too Brief");
    assert_eq!(header(&resp, HeaderName::MinExpires), Some("60"));
    assert!(header(&resp, HeaderName::Contact).is_none());
    assert!(reg.bindings(base, "alice").is_empty());
    assert_eq!(reg.poll_timeout(), None);

    // One Contact fine, one too brief (its own param): nothing is added.
    let req = register(
        "alice",
        "c1",
        2,
        &["<sip:alice@127.0.0.1:5070>;expires=120, <sip:alice@127.0.0.1:5071>;expires=59"],
        None,
    );
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(
        out,
        Err(RegisterError::IntervalTooBrief { min_expires: 60 })
    );
    assert!(reg.bindings(base, "alice").is_empty());

    // A too-brief header does not matter when the param is long enough.
    let req = register(
        "alice",
        "c1",
        3,
        &["<sip:alice@127.0.0.1:5070>;expires=60"],
        Some(1),
    );
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(contact_expires(&reg.response_for(&req, &out, base)), [60]);

    // The client retries with Min-Expires: accepted.
    let req = register("alice", "c1", 4, &["<sip:alice@127.0.0.1:5070>"], Some(60));
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(reg.response_for(&req, &out, base).status.as_u16(), 200);
    assert_eq!(reg.bindings(base, "alice")[0].expires_at, base + secs(60));

    // Expires 0 is a removal, never 423.
    let req = register("alice", "c1", 5, &["<sip:alice@127.0.0.1:5070>"], Some(0));
    assert!(
        reg.handle_register(base, "alice", &req, udp_peer(5070))
            .is_ok()
    );
    assert!(reg.bindings(base, "alice").is_empty());
}

#[test]
fn too_long_is_shortened_to_the_maximum() {
    let base = Instant::now();
    let mut reg = registrar();
    let req = register(
        "alice",
        "c1",
        1,
        &["<sip:alice@127.0.0.1:5070>"],
        Some(86_400),
    );
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(contact_expires(&reg.response_for(&req, &out, base)), [3600]);
    assert_eq!(reg.bindings(base, "alice")[0].expires_at, base + secs(3600));
    // Beyond 2^32-1 saturates, then is shortened the same way.
    let req = register(
        "alice",
        "c1",
        2,
        &["<sip:alice@127.0.0.1:5070>;expires=99999999999999"],
        None,
    );
    let out = reg.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(contact_expires(&reg.response_for(&req, &out, base)), [3600]);
    // A malformed interval counts as 3600 (RFC 3261 §20.19).
    let mut short = Registrar::new(RegistrarConfig {
        max_expires: 7200,
        ..RegistrarConfig::default()
    });
    let req = register(
        "alice",
        "c1",
        3,
        &["<sip:alice@127.0.0.1:5070>;expires=soon"],
        None,
    );
    let out = short.handle_register(base, "alice", &req, udp_peer(5070));
    assert_eq!(
        contact_expires(&short.response_for(&req, &out, base)),
        [3600]
    );
}

#[test]
fn a_configured_minimum_above_an_hour_is_capped() {
    // RFC 3261 allows 423 only for intervals under an hour.
    let reg = Registrar::new(RegistrarConfig {
        min_expires: 7200,
        max_expires: 86_400,
        ..RegistrarConfig::default()
    });
    assert_eq!(reg.config().min_expires, 3600);
}
