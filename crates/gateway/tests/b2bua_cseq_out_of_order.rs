//! An in-dialog request whose CSeq is lower than one already seen in that
//! dialog is refused with 500 (RFC 3261 §12.2.2) and not relayed; a request
//! in an unknown dialog gets 481 (§12.2.2).

mod sim;

use tandem_sip::message::{HeaderName, Method};

use sim::*;

#[test]
fn lower_cseq_gets_500_and_unknown_dialog_481() {
    let mut s = Sim::new();
    s.answered_call();
    let call_id = s.only_call_id(CALLER);

    // An INFO with CSeq 5 (relayed), then one with CSeq 3 (out of order).
    s.ua(CALLER).dialogs.get_mut(&call_id).unwrap().local_seq = 4;
    let mut info = s.dialog_request(CALLER, &call_id, Method::Info);
    info.headers
        .set(HeaderName::ContentType, "application/dtmf-relay");
    info.body = bytes::Bytes::from_static(b"Signal=5\r\nDuration=160\r\n");
    let k5 = s.send_request(CALLER, info);
    s.run_ms(50);
    let infos = s.ua_ref(FAR).requests(&Method::Info);
    assert_eq!(infos.len(), 1, "{}", s.trace());
    s.respond(FAR, &infos[0].0.clone(), 200, None);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&k5), vec![200], "{}", s.trace());

    s.ua(CALLER).dialogs.get_mut(&call_id).unwrap().local_seq = 2;
    let old = s.dialog_request(CALLER, &call_id, Method::Info);
    assert_eq!(seq(&old.headers), 3);
    let k3 = s.send_request(CALLER, old);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&k3), vec![500], "{}", s.trace());
    assert_eq!(
        s.ua_ref(FAR).requests(&Method::Info).len(),
        1,
        "not relayed"
    );

    // A BYE with a To tag nobody knows.
    let mut stray = s.dialog_request(CALLER, &call_id, Method::Bye);
    stray
        .headers
        .set(HeaderName::To, format!("<sip:{NUMBER}@{CTL}>;tag=nonesuch"));
    let k = s.send_request(CALLER, stray);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&k), vec![481], "{}", s.trace());
    assert_eq!(s.ctl.active_calls(), 1, "the call is untouched");
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
}
