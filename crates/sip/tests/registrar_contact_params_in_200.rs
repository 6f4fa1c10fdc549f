//! The 200 OK to a browser's REGISTER lists every binding as registered
//! (URI parameters and header parameters such as +sip.instance, reg-id,
//! +sip.ice, q) with `expires` set to the seconds left, echoes Via, From,
//! Call-ID and CSeq, tags To, and says `Supported: outbound`.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::message::HeaderName;

#[test]
fn contacts_come_back_with_their_params() {
    let base = Instant::now();
    let mut reg = registrar();
    let phone = register(
        "alice",
        "desk",
        1,
        &[
            "\"Desk\" <sip:alice@127.0.0.1:5070;transport=udp>;q=0.5;expires=3600;methods=\"INVITE,BYE\"",
        ],
        None,
    );
    reg.handle_register(base, "alice", &phone, udp_peer(5070))
        .expect("phone");

    let t = base + secs(100);
    let browser = register(
        "alice",
        "tab",
        2,
        &[&browser_contact("df7jal23", INSTANCE_A, None)],
        Some(600),
    );
    let out = reg.handle_register(t, "alice", &browser, ws_peer(4));
    let resp = on_the_wire(&reg.response_for(&browser, &out, t));
    assert_eq!(resp.status.as_u16(), 200);

    let values: Vec<&str> = resp.headers.get_all(&HeaderName::Contact).collect();
    assert_eq!(
        values,
        [
            format!(
                "<sip:df7jal23@df7jal23host.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance=\"{INSTANCE_A}\";expires=600"
            )
            .as_str(),
            "\"Desk\" <sip:alice@127.0.0.1:5070;transport=udp>;q=0.5;methods=\"INVITE,BYE\";expires=3500",
        ]
    );
    assert_eq!(header(&resp, HeaderName::Supported), Some("outbound"));

    // Echoed and tagged.
    for name in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        assert_eq!(
            header(&resp, name.clone()),
            browser.headers.get(&name),
            "{name}"
        );
    }
    let to = resp.headers.to_addr().expect("To parses");
    assert_eq!(to.uri.to_string(), "sip:alice@127.0.0.1");
    let tag = to.tag().expect("To has a tag").to_owned();
    assert!(tag.len() >= 8);
    // A retransmission of the same request gets the same tag; the next
    // request another one.
    let again = reg.response_for(&browser, &out, t);
    assert_eq!(again.headers.to_tag().as_deref(), Some(tag.as_str()));

    // A plain phone REGISTER (no reg-id) gets no Supported: outbound.
    let refresh = register(
        "alice",
        "desk",
        2,
        &["<sip:alice@127.0.0.1:5070;transport=udp>"],
        None,
    );
    let out = reg.handle_register(t, "alice", &refresh, udp_peer(5070));
    let resp = reg.response_for(&refresh, &out, t);
    assert!(header(&resp, HeaderName::Supported).is_none());
    assert_ne!(resp.headers.to_tag(), Some(tag));
    // The refresh without q replaced the stored parameters.
    let desk = reg
        .bindings(t, "alice")
        .into_iter()
        .find(|b| b.call_id == "desk")
        .unwrap()
        .clone();
    assert_eq!(desk.q, None);
    assert_eq!(
        desk.contact.to_string(),
        "<sip:alice@127.0.0.1:5070;transport=udp>"
    );
}
