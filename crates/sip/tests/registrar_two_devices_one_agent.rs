//! One agent, two browsers (two tabs or devices): two bindings, each on its
//! own WebSocket flow, refreshed and removed independently; a browser that
//! reconnects with the same +sip.instance/reg-id replaces its binding.

mod registrar_support;

use std::time::Instant;

use registrar_support::*;
use tandem_sip::registrar::QValue;

#[test]
fn two_browsers_register_side_by_side() {
    let base = Instant::now();
    let mut reg = registrar();
    let tab1 = register(
        "alice",
        "tab1",
        1,
        &[&browser_contact("t1", INSTANCE_A, Some(600))],
        None,
    );
    let ok = reg
        .handle_register(base, "alice", &tab1, ws_peer(1))
        .expect("tab1");
    assert_eq!(ok.bindings.len(), 1);
    let t = base + secs(5);
    let tab2 = register(
        "alice",
        "tab2",
        1,
        &[&browser_contact("t2", INSTANCE_B, Some(300))],
        None,
    );
    let out = reg.handle_register(t, "alice", &tab2, ws_peer(2));
    let ok = out.as_ref().expect("tab2");
    assert_eq!((ok.added, ok.refreshed), (1, 0));
    // The 200 to the second tab lists both, each with its own time left.
    let resp = reg.response_for(&tab2, &out, t);
    let listed: Vec<(String, u32)> = contacts(&resp)
        .iter()
        .map(|c| {
            (
                c.uri.to_string(),
                c.params.value("expires").unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("sip:t2@t2host.invalid;transport=ws".to_owned(), 300),
            ("sip:t1@t1host.invalid;transport=ws".to_owned(), 595),
        ]
    );

    // Each binding keeps the flow that reaches it.
    let live = reg.bindings(t, "alice");
    assert_eq!(live.len(), 2);
    let flows: Vec<_> = live.iter().map(|b| b.source).collect();
    assert!(flows.contains(&ws_peer(1)) && flows.contains(&ws_peer(2)));
    assert_eq!(live[0].instance.as_deref(), Some(INSTANCE_B));
    assert_eq!(live[0].reg_id, Some(1));

    // Tab 1 refreshes: tab 2's binding is untouched.
    let r = base + secs(200);
    let tab1 = register(
        "alice",
        "tab1",
        2,
        &[&browser_contact("t1", INSTANCE_A, Some(600))],
        None,
    );
    let ok = reg
        .handle_register(r, "alice", &tab1, ws_peer(1))
        .expect("refresh");
    assert_eq!((ok.added, ok.refreshed), (0, 1));
    let live = reg.bindings(r, "alice");
    let b2 = live.iter().find(|b| b.call_id == "tab2").unwrap();
    assert_eq!(b2.expires_at, t + secs(300));

    // Tab 1 reloads: new Call-ID, new flow, new .invalid Contact, same
    // instance and reg-id: it replaces its old binding.
    let reload = register(
        "alice",
        "tab1-reloaded",
        1,
        &[&browser_contact("zz", INSTANCE_A, Some(600))],
        None,
    );
    let ok = reg
        .handle_register(r, "alice", &reload, ws_peer(3))
        .expect("reload");
    assert_eq!((ok.added, ok.refreshed, ok.removed), (0, 1, 0));
    let live = reg.bindings(r, "alice");
    assert_eq!(live.len(), 2);
    let b1 = live
        .iter()
        .find(|b| b.instance.as_deref() == Some(INSTANCE_A))
        .unwrap();
    assert_eq!(b1.source, ws_peer(3));
    assert_eq!(b1.uri().to_string(), "sip:zz@zzhost.invalid;transport=ws");

    // Tab 2 unregisters (JsSIP sends the same Contact with expires=0).
    let u = base + secs(250);
    let bye = register(
        "alice",
        "tab2",
        2,
        &[&browser_contact("t2", INSTANCE_B, Some(0))],
        None,
    );
    let ok = reg
        .handle_register(u, "alice", &bye, ws_peer(2))
        .expect("unregister");
    assert_eq!(ok.removed, 1);
    let live = reg.bindings(u, "alice");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].source, ws_peer(3));
    assert!(reg.is_registered(u, "alice"));
}

#[test]
fn higher_q_first_then_most_recent() {
    let base = Instant::now();
    let mut reg = registrar();
    let desk = register(
        "alice",
        "desk",
        1,
        &["<sip:alice@127.0.0.1:5070>;q=0.5"],
        None,
    );
    reg.handle_register(base, "alice", &desk, udp_peer(5070))
        .expect("desk");
    let old = register("alice", "old", 1, &["<sip:alice@127.0.0.1:5071>"], None);
    reg.handle_register(base + secs(1), "alice", &old, udp_peer(5071))
        .expect("old");
    let new = register(
        "alice",
        "new",
        1,
        &["<sip:alice@127.0.0.1:5072>;q=1.0"],
        None,
    );
    reg.handle_register(base + secs(2), "alice", &new, udp_peer(5072))
        .expect("new");
    let order: Vec<_> = reg
        .bindings(base + secs(3), "alice")
        .iter()
        .map(|b| (b.call_id.clone(), b.q))
        .collect();
    assert_eq!(
        order,
        [
            ("new".to_owned(), QValue::from_thousandths(1000)),
            ("old".to_owned(), None),
            ("desk".to_owned(), QValue::from_thousandths(500)),
        ]
    );
}
