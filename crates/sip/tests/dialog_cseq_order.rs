//! CSeq in a dialog (RFC 3261 §12.2.1.1, §12.2.2): our CSeq goes up by one
//! per request except ACK and CANCEL; the ACK of a 2xx carries its
//! INVITE's number; a peer's request with a CSeq lower than one already
//! seen is out of order (the UAS answers 500), higher ones are accepted;
//! ACK and CANCEL reuse the INVITE's number and are not out of order.

mod common;

use common::msg;
use tandem_sip::dialog::{Dialog, DialogError, InDialogRequest};
use tandem_sip::message::{HeaderName, Message, Method, NameAddr, Request};

fn invite() -> Request {
    match msg("INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
Max-Forwards: 70
From: <sip:alice@atlanta.example>;tag=a-tag
To: <sip:bob@biloxi.example>
Call-ID: call-4@atlanta.example
CSeq: 10 INVITE
Contact: <sip:alice@192.0.2.1:5060>
Content-Length: 0

")
    {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

/// A request from the caller in the UAS dialog, with CSeq `seq method`.
fn from_peer(method: Method, seq: u32) -> Request {
    let mut r = invite();
    r.method = method.clone();
    r.headers
        .set(HeaderName::To, "<sip:bob@biloxi.example>;tag=b-tag");
    r.headers
        .set(HeaderName::CSeq, format!("{seq} {}", method.as_str()));
    r
}

fn uas() -> Dialog {
    let contact: NameAddr = "<sip:bob@192.0.2.4>".parse().expect("contact parses");
    Dialog::new_uas(&invite(), "b-tag", contact, 200).expect("INVITE makes a dialog")
}

#[test]
fn local_cseq_increments_except_ack_and_cancel() {
    let mut d = uas();
    let seqs: Vec<(String, u32)> = [
        Method::Info,
        Method::Invite,
        Method::Ack,
        Method::Options,
        Method::Cancel,
        Method::Bye,
    ]
    .into_iter()
    .map(|m| {
        let r = d.new_request(m);
        let c = r.headers.cseq().unwrap();
        assert_eq!(c.method, r.method, "CSeq method matches");
        (r.method.as_str().to_owned(), c.seq)
    })
    .collect();
    let expected: Vec<(String, u32)> = [
        ("INFO", 201),
        ("INVITE", 202),
        ("ACK", 202),
        ("OPTIONS", 203),
        ("CANCEL", 203),
        ("BYE", 204),
    ]
    .iter()
    .map(|(m, s)| ((*m).to_owned(), *s))
    .collect();
    assert_eq!(seqs, expected);
    // The ACK of a 2xx names the re-INVITE's number.
    assert_eq!(d.invite_seq(), 202);
    assert_eq!(d.ack_for_2xx(202).headers.cseq().unwrap().seq, 202);
    assert_eq!(d.ack_for_2xx(202).method, Method::Ack);
}

#[test]
fn lower_remote_cseq_is_out_of_order() {
    let mut d = uas();
    // The ACK of the initial INVITE reuses its number.
    assert_eq!(
        d.handle_request(&from_peer(Method::Ack, 10)),
        Ok(InDialogRequest::Ack)
    );
    assert_eq!(
        d.handle_request(&from_peer(Method::Info, 12)),
        Ok(InDialogRequest::Info)
    );
    assert_eq!(
        d.handle_request(&from_peer(Method::Info, 11)),
        Err(DialogError::CSeqOutOfOrder { got: 11, last: 12 })
    );
    // Refused requests do not move the number.
    assert_eq!(
        d.handle_request(&from_peer(Method::Options, 9)),
        Err(DialogError::CSeqOutOfOrder { got: 9, last: 12 })
    );
    assert_eq!(
        d.handle_request(&from_peer(Method::Invite, 13)),
        Ok(InDialogRequest::ReInvite)
    );
    // CANCEL and ACK of that re-INVITE carry 13 again: fine.
    assert_eq!(
        d.handle_request(&from_peer(Method::Cancel, 13)),
        Ok(InDialogRequest::Other)
    );
    assert_eq!(
        d.handle_request(&from_peer(Method::Ack, 13)),
        Ok(InDialogRequest::Ack)
    );
    // Gaps are allowed (§12.2.2: only "lower" is out of order).
    assert_eq!(
        d.handle_request(&from_peer(Method::Bye, 40)),
        Ok(InDialogRequest::Bye)
    );
}

#[test]
fn uac_accepts_any_first_remote_cseq() {
    // A UAC dialog has no remote number until the peer's first request.
    let mut ok = match msg("SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1
From: <sip:alice@atlanta.example>;tag=a-tag
To: <sip:bob@biloxi.example>;tag=b-tag
Call-ID: call-4@atlanta.example
CSeq: 10 INVITE
Contact: <sip:bob@192.0.2.4>
Content-Length: 0

")
    {
        Message::Response(r) => r,
        Message::Request(_) => unreachable!(),
    };
    ok.headers.remove_all(&HeaderName::Via);
    let contact: NameAddr = "<sip:alice@192.0.2.1:5060>".parse().unwrap();
    let mut d = Dialog::new_uac(&invite(), &ok, contact).unwrap();
    let mut bye = invite();
    bye.method = Method::Bye;
    bye.headers
        .set(HeaderName::From, "<sip:bob@biloxi.example>;tag=b-tag");
    bye.headers
        .set(HeaderName::To, "<sip:alice@atlanta.example>;tag=a-tag");
    bye.headers.set(HeaderName::CSeq, "3 BYE");
    assert_eq!(d.handle_request(&bye), Ok(InDialogRequest::Bye));
}
