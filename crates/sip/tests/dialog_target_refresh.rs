//! Target refresh (RFC 3261 §12.2): a re-INVITE or UPDATE from the peer
//! with a Contact replaces the remote target (§12.2.2), as does the 2xx to
//! our own re-INVITE or UPDATE (§12.2.1.2); other requests and non-2xx
//! responses do not. A BYE ends the dialog; later requests are refused,
//! except the ACK.

mod common;

use common::msg;
use tandem_sip::dialog::{Dialog, DialogError, DialogState, InDialogRequest};
use tandem_sip::message::{HeaderName, Message, Method, NameAddr, Request, Response};

fn invite() -> Request {
    match msg("INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
Max-Forwards: 70
From: <sip:alice@atlanta.example>;tag=a-tag
To: <sip:bob@biloxi.example>
Call-ID: call-5@atlanta.example
CSeq: 1 INVITE
Contact: <sip:alice@192.0.2.1:5060>
Content-Length: 0

")
    {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn from_peer(method: Method, seq: u32, contact: Option<&str>) -> Request {
    let mut r = invite();
    r.method = method.clone();
    r.headers
        .set(HeaderName::To, "<sip:bob@biloxi.example>;tag=b-tag");
    r.headers
        .set(HeaderName::CSeq, format!("{seq} {}", method.as_str()));
    r.headers.remove_all(&HeaderName::Contact);
    if let Some(c) = contact {
        r.headers.push_value(HeaderName::Contact, c);
    }
    r
}

fn uas() -> Dialog {
    let contact: NameAddr = "<sip:bob@192.0.2.4>".parse().expect("contact parses");
    let mut d = Dialog::new_uas(&invite(), "b-tag", contact, 100).expect("INVITE makes a dialog");
    d.confirm();
    d
}

/// A response from the peer to our request `req`.
fn answer(req: &Request, status: &str, contact: Option<&str>) -> Response {
    let cseq = req.headers.cseq().expect("request has CSeq");
    let contact = contact.map_or(String::new(), |c| format!("Contact: {c}\n"));
    let text = format!(
        "SIP/2.0 {status}
Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK-x
From: {}
To: {}
Call-ID: call-5@atlanta.example
CSeq: {} {}
{contact}Content-Length: 0

",
        req.headers
            .get(&HeaderName::From)
            .expect("request has From"),
        req.headers.get(&HeaderName::To).expect("request has To"),
        cseq.seq,
        cseq.method.as_str()
    );
    match msg(&text) {
        Message::Response(r) => r,
        Message::Request(_) => unreachable!(),
    }
}

#[test]
fn peer_reinvite_and_update_refresh_the_target() {
    let mut d = uas();
    assert_eq!(d.remote_target().to_string(), "sip:alice@192.0.2.1:5060");

    // INFO with a Contact is not a target refresh.
    d.handle_request(&from_peer(
        Method::Info,
        2,
        Some("<sip:alice@198.51.100.1>"),
    ))
    .unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@192.0.2.1:5060");

    // re-INVITE with a new Contact is.
    let kind = d
        .handle_request(&from_peer(
            Method::Invite,
            3,
            Some("<sip:alice@198.51.100.2:5070>"),
        ))
        .unwrap();
    assert_eq!(kind, InDialogRequest::ReInvite);
    assert_eq!(d.remote_target().to_string(), "sip:alice@198.51.100.2:5070");
    assert_eq!(
        d.new_request(Method::Bye).uri.to_string(),
        "sip:alice@198.51.100.2:5070"
    );

    // re-INVITE without Contact keeps it; UPDATE with one changes it.
    d.handle_request(&from_peer(Method::Invite, 4, None))
        .unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@198.51.100.2:5070");
    d.handle_request(&from_peer(
        Method::Update,
        5,
        Some("<sip:alice@198.51.100.3>"),
    ))
    .unwrap();
    assert_eq!(d.remote_target().to_string(), "sip:alice@198.51.100.3");
}

#[test]
fn our_reinvite_2xx_refreshes_the_target() {
    let mut d = uas();
    let reinvite = d.new_request(Method::Invite);
    // A 491 with a Contact changes nothing.
    d.handle_response(&answer(
        &reinvite,
        "491 Request Pending",
        Some("<sip:x@203.0.113.1>"),
    ));
    assert_eq!(d.remote_target().to_string(), "sip:alice@192.0.2.1:5060");
    // The 2xx does.
    let reinvite = d.new_request(Method::Invite);
    d.handle_response(&answer(
        &reinvite,
        "200 OK",
        Some("<sip:alice@203.0.113.2>"),
    ));
    assert_eq!(d.remote_target().to_string(), "sip:alice@203.0.113.2");
    // A 2xx to INFO does not.
    let info = d.new_request(Method::Info);
    d.handle_response(&answer(&info, "200 OK", Some("<sip:alice@203.0.113.3>")));
    assert_eq!(d.remote_target().to_string(), "sip:alice@203.0.113.2");
    assert_eq!(
        d.ack_for_2xx(reinvite.headers.cseq().unwrap().seq)
            .uri
            .to_string(),
        "sip:alice@203.0.113.2"
    );
}

#[test]
fn bye_terminates() {
    let mut d = uas();
    assert_eq!(
        d.handle_request(&from_peer(Method::Bye, 2, None)),
        Ok(InDialogRequest::Bye)
    );
    assert_eq!(d.state(), DialogState::Terminated);
    assert_eq!(
        d.handle_request(&from_peer(Method::Info, 3, None)),
        Err(DialogError::Terminated)
    );
    assert_eq!(
        d.handle_request(&from_peer(Method::Ack, 1, None)),
        Ok(InDialogRequest::Ack)
    );
}
