//! In-dialog request construction (RFC 3261 §12.2.1.1). Loose routing (the
//! first route has `lr`): request-URI = remote target, Route = the route
//! set in order. Strict routing (RFC 2543 next hop, no `lr`): request-URI
//! = the first route without parameters a request-URI may not carry, Route
//! = the other routes, then the remote target. Without a route set: no
//! Route at all. The result serialises and parses back unchanged.

mod common;

use common::msg;
use tandem_sip::dialog::Dialog;
use tandem_sip::message::{HeaderName, Message, Method, NameAddr, Request, Response};

fn invite() -> Request {
    match msg("INVITE sip:bob@biloxi.example SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
Max-Forwards: 70
From: <sip:alice@atlanta.example>;tag=a-tag
To: <sip:bob@biloxi.example>
Call-ID: call-3@atlanta.example
CSeq: 1 INVITE
Contact: <sip:alice@192.0.2.1:5060>
Content-Length: 0

")
    {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

/// A UAC dialog from a 2xx with these Record-Route values (as the proxies
/// wrote them, so the route set is their reverse).
fn dialog(record_route: &[&str]) -> Dialog {
    let rr: String = record_route
        .iter()
        .map(|r| format!("Record-Route: {r}\n"))
        .collect();
    let text = format!(
        "SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
From: <sip:alice@atlanta.example>;tag=a-tag
To: <sip:bob@biloxi.example>;tag=b-tag
Call-ID: call-3@atlanta.example
CSeq: 1 INVITE
{rr}Contact: <sip:bob@192.0.2.4:5062>
Content-Length: 0

"
    );
    let ok: Response = match msg(&text) {
        Message::Response(r) => r,
        Message::Request(_) => unreachable!(),
    };
    let contact: NameAddr = "<sip:alice@192.0.2.1:5060>"
        .parse()
        .expect("contact parses");
    Dialog::new_uac(&invite(), &ok, contact).expect("2xx makes a dialog")
}

fn routes(r: &Request) -> Vec<String> {
    r.headers
        .routes()
        .expect("Route headers parse")
        .iter()
        .map(|n| n.uri.to_string())
        .collect()
}

/// What goes on the wire parses back to the same request (plus the
/// Content-Length the serialiser adds).
fn round_trip(r: &Request) {
    let Message::Request(mut back) = Message::parse(&r.to_bytes()).expect("request parses back")
    else {
        panic!("not a request");
    };
    assert_eq!(back.headers.get(&HeaderName::ContentLength), Some("0"));
    back.headers.remove_all(&HeaderName::ContentLength);
    assert_eq!(&back, r);
}

#[test]
fn no_route_set() {
    let mut d = dialog(&[]);
    let bye = d.new_request(Method::Bye);
    assert_eq!(bye.uri.to_string(), "sip:bob@192.0.2.4:5062");
    assert!(routes(&bye).is_empty());
    assert_eq!(bye.headers.max_forwards(), Some(70));
    assert!(bye.headers.top_via().is_none(), "the layer adds Via");
    assert!(
        bye.headers.contacts().unwrap().is_empty(),
        "BYE has no Contact"
    );
    round_trip(&bye);
}

#[test]
fn loose_routing() {
    let mut d = dialog(&["<sip:p2.example;lr>", "<sip:p1.example;lr>"]);
    let bye = d.new_request(Method::Bye);
    assert_eq!(bye.uri.to_string(), "sip:bob@192.0.2.4:5062");
    assert_eq!(routes(&bye), vec!["sip:p1.example;lr", "sip:p2.example;lr"]);
    assert_eq!(d.next_hop().to_string(), "sip:p1.example;lr");

    // A re-INVITE also carries our Contact (target refresh).
    let reinvite = d.new_request(Method::Invite);
    assert_eq!(reinvite.uri.to_string(), "sip:bob@192.0.2.4:5062");
    assert_eq!(routes(&reinvite), routes(&bye));
    assert_eq!(
        reinvite.headers.contacts().unwrap()[0].uri.to_string(),
        "sip:alice@192.0.2.1:5060"
    );
    round_trip(&reinvite);
    // Its ACK follows the same route.
    let ack = d.ack_for_2xx(d.invite_seq());
    assert_eq!(ack.uri.to_string(), "sip:bob@192.0.2.4:5062");
    assert_eq!(routes(&ack), routes(&bye));
}

#[test]
fn strict_routing() {
    // Route set (reversed Record-Route): old.example (no lr), p1.example;lr.
    let mut d = dialog(&[
        "<sip:p1.example;lr>",
        "<sip:old.example;maddr=192.0.2.9;method=INVITE>",
    ]);
    let bye = d.new_request(Method::Bye);
    // RFC 3261 §19.1.1 table: `method` is not allowed in a request-URI.
    assert_eq!(bye.uri.to_string(), "sip:old.example;maddr=192.0.2.9");
    assert_eq!(
        routes(&bye),
        vec!["sip:p1.example;lr", "sip:bob@192.0.2.4:5062"],
        "the rest of the route set, then the remote target"
    );
    assert_eq!(
        d.next_hop().to_string(),
        "sip:old.example;maddr=192.0.2.9;method=INVITE"
    );
    round_trip(&bye);
}
