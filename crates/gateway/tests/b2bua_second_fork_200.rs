//! A forking proxy in front of the far end lets two branches answer: the
//! first 2xx wins and is relayed; the second, with another To tag, is
//! ACKed and then ended with BYE (RFC 3261 §13.2.2.4), and the caller sees
//! one answer only.

mod sim;

use tandem_sip::message::{HeaderName, Message, Method, Response, StatusCode};

use sim::*;

#[test]
fn second_fork_answer_is_acked_and_hung_up() {
    let mut s = Sim::new();
    let (a_key, b_key) = s.answered_call();
    let b_invite = s.ua_ref(FAR).request_of(&b_key).unwrap();

    // Another branch's 200 for the same INVITE transaction (same Via
    // branch), To tag "fork2", its own Contact.
    let mut other = Response::for_request(&b_invite, StatusCode::OK_200, Some("fork2"));
    other
        .headers
        .push_value(HeaderName::Contact, "<sip:bob2@127.0.0.1:5092>");
    other
        .headers
        .push_value(HeaderName::ContentType, "application/sdp");
    other.body = bytes::Bytes::from(answer_for(&b_invite, FAR_RTP, "sendrecv", 1));
    s.inject(FAR, CTL, Message::Response(other));
    s.run_ms(100);

    // Tandem ACKed and BYEd the second dialog, at its Contact.
    let fork2: Vec<_> = s
        .wire
        .iter()
        .filter(|w| w.from == CTL)
        .filter_map(|w| match &w.msg {
            Message::Request(r) if r.headers.to_tag().as_deref() == Some("fork2") => {
                Some((r.method.as_str().to_owned(), r.uri.to_string(), w.to))
            }
            _ => None,
        })
        .collect();
    let dest: std::net::SocketAddr = "127.0.0.1:5092".parse().unwrap();
    assert_eq!(
        fork2,
        vec![
            ("ACK".to_owned(), "sip:bob2@127.0.0.1:5092".to_owned(), dest),
            ("BYE".to_owned(), "sip:bob2@127.0.0.1:5092".to_owned(), dest),
        ],
        "{}",
        s.trace()
    );
    // The caller saw one 200; the first dialog is untouched.
    assert_eq!(s.ua_ref(CALLER).codes(&a_key), vec![100, 180, 200]);
    assert_eq!(s.codes_to(CALLER, &Method::Invite), vec![100, 180, 200]);
    assert!(s.requests_to(FAR, &Method::Bye).is_empty());
    assert_eq!(s.ctl.active_calls(), 1);
    // ... and still works: the caller's BYE reaches the first branch.
    s.bye(CALLER);
    s.run_ms(100);
    let byes = s.ua_ref(FAR).requests(&Method::Bye);
    assert_eq!(byes.len(), 1, "{}", s.trace());
    assert_eq!(byes[0].1.headers.to_tag().as_deref(), Some("bob-tag"));
}
