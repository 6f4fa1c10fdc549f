//! A UAS dialog (RFC 3261 §12.1.1): created from the INVITE we answer with
//! our tag; route set = Record-Route in the order received; remote target
//! = the INVITE's Contact; remote CSeq = the INVITE's; our requests carry
//! our tag in From and the caller's in To.

mod common;

use common::msg;
use tandem_sip::dialog::{Dialog, DialogError, DialogId, DialogRole, DialogState};
use tandem_sip::message::{HeaderName, Message, Method, NameAddr, Request};

fn invite(extra: &str) -> Request {
    let text = format!(
        "INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP p1.example;branch=z9hG4bK-p1
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
Max-Forwards: 69
Record-Route: <sip:p1.example;lr>
Record-Route: <sip:p2.example;lr>
From: Alice <sip:alice@atlanta.example>;tag=a-tag
To: Bob <sip:bob@biloxi.example>
Call-ID: call-2@atlanta.example
CSeq: 4 INVITE
{extra}Content-Length: 0

"
    );
    match msg(&text) {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn our_contact() -> NameAddr {
    "<sip:bob@192.0.2.4>".parse().expect("contact parses")
}

#[test]
fn uas_dialog_from_invite() {
    let inv = invite("Contact: <sip:alice@192.0.2.1:5060;transport=udp>\n");
    let mut d = Dialog::new_uas(&inv, "b-tag", our_contact(), 1000).unwrap();

    assert_eq!(
        d.id(),
        &DialogId {
            call_id: "call-2@atlanta.example".into(),
            local_tag: "b-tag".into(),
            remote_tag: "a-tag".into(),
        }
    );
    assert_eq!(d.role(), DialogRole::Uas);
    assert_eq!(d.state(), DialogState::Early);
    d.confirm();
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(
        d.remote_target().to_string(),
        "sip:alice@192.0.2.1:5060;transport=udp"
    );
    let routes: Vec<String> = d.route_set().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(routes, vec!["sip:p1.example;lr", "sip:p2.example;lr"]);

    // Our BYE: our tag in From, theirs in To, our own CSeq space.
    let bye = d.new_request(Method::Bye);
    assert_eq!(bye.headers.from_tag().as_deref(), Some("b-tag"));
    assert_eq!(
        bye.headers.from_addr().unwrap().uri.to_string(),
        "sip:bob@biloxi.example"
    );
    assert_eq!(bye.headers.to_tag().as_deref(), Some("a-tag"));
    assert_eq!(
        bye.headers.to_addr().unwrap().uri.to_string(),
        "sip:alice@atlanta.example"
    );
    assert_eq!(bye.headers.call_id(), Some("call-2@atlanta.example"));
    assert_eq!(bye.headers.cseq().unwrap().seq, 1001);

    // Their BYE belongs to this dialog and is in order.
    let mut theirs = invite("");
    theirs.method = Method::Bye;
    theirs.headers.set(HeaderName::CSeq, "5 BYE");
    theirs
        .headers
        .set(HeaderName::To, "Bob <sip:bob@biloxi.example>;tag=b-tag");
    assert_eq!(
        DialogId::for_incoming_request(&theirs).as_ref(),
        Some(d.id())
    );
    assert!(d.handle_request(&theirs).is_ok());
    assert_eq!(d.state(), DialogState::Terminated);
}

#[test]
fn invite_without_contact_makes_no_dialog() {
    let inv = invite("");
    assert_eq!(
        Dialog::new_uas(&inv, "b-tag", our_contact(), 1).unwrap_err(),
        DialogError::MissingHeader("Contact")
    );
}
