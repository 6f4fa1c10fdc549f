//! A UAC dialog (RFC 3261 §12.1.2): created by a response with a To tag to
//! our INVITE; early for 1xx, confirmed for 2xx; route set = Record-Route
//! in reverse order; remote target = the response's Contact; the 2xx that
//! confirms an early dialog fixes target and route set.

mod common;

use common::msg;
use tandem_sip::dialog::{Dialog, DialogError, DialogId, DialogRole, DialogState};
use tandem_sip::message::{Message, NameAddr, Request, Response};

fn invite() -> Request {
    match msg("INVITE sip:bob@biloxi.example SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
Max-Forwards: 70
From: Alice <sip:alice@atlanta.example>;tag=a-tag
To: Bob <sip:bob@biloxi.example>
Call-ID: call-1@atlanta.example
CSeq: 17 INVITE
Contact: <sip:alice@192.0.2.1:5060>
Content-Length: 0

")
    {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn response(status_line: &str, extra: &str) -> Response {
    let text = format!(
        "SIP/2.0 {status_line}
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
From: Alice <sip:alice@atlanta.example>;tag=a-tag
To: Bob <sip:bob@biloxi.example>;tag=b-tag
Call-ID: call-1@atlanta.example
CSeq: 17 INVITE
{extra}Content-Length: 0

"
    );
    match msg(&text) {
        Message::Response(r) => r,
        Message::Request(_) => unreachable!(),
    }
}

fn our_contact() -> NameAddr {
    "<sip:alice@192.0.2.1:5060>"
        .parse()
        .expect("contact parses")
}

#[test]
fn confirmed_by_2xx_with_reversed_route_set() {
    let ok = response(
        "200 OK",
        "Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>
Record-Route: <sip:p3.example;lr>
Contact: <sip:bob@192.0.2.4:5062>
",
    );
    let d = Dialog::new_uac(&invite(), &ok, our_contact()).unwrap();

    assert_eq!(
        d.id(),
        &DialogId {
            call_id: "call-1@atlanta.example".into(),
            local_tag: "a-tag".into(),
            remote_tag: "b-tag".into(),
        }
    );
    assert_eq!(DialogId::for_response(&ok).as_ref(), Some(d.id()));
    assert_eq!(d.role(), DialogRole::Uac);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().to_string(), "sip:bob@192.0.2.4:5062");
    let routes: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(
        routes,
        vec![
            "sip:p3.example;lr",
            "sip:p2.example;lr",
            "sip:p1.example;lr"
        ]
    );
    assert_eq!(d.next_hop().to_string(), "sip:p3.example;lr");
    assert_eq!(d.invite_seq(), 17);
}

#[test]
fn early_from_1xx_then_confirmed_by_2xx() {
    // A 180 without Contact: the target is the request-URI for now.
    let ringing = response("180 Ringing", "Record-Route: <sip:early.example;lr>\n");
    let mut d = Dialog::new_uac(&invite(), &ringing, our_contact()).unwrap();
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(d.remote_target().to_string(), "sip:bob@biloxi.example");

    let ok = response(
        "200 OK",
        "Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>
Contact: <sip:bob@192.0.2.4:5062>
",
    );
    d.handle_response(&ok);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.remote_target().to_string(), "sip:bob@192.0.2.4:5062");
    let routes: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(routes, vec!["sip:p2.example;lr", "sip:p1.example;lr"]);
}

#[test]
fn no_to_tag_no_dialog() {
    let mut ok = response("200 OK", "Contact: <sip:bob@192.0.2.4>\n");
    ok.headers.set(
        tandem_sip::message::HeaderName::To,
        "Bob <sip:bob@biloxi.example>",
    );
    assert_eq!(
        Dialog::new_uac(&invite(), &ok, our_contact()).unwrap_err(),
        DialogError::NoToTag
    );
}
