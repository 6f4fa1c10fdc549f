//! Stream framing (TCP/TLS): the check step finds whole messages however the
//! bytes arrive, reports CRLF keepalives, and refuses oversize input.

use tandem_sip::message::{
    ContentLengthError, Frame, MAX_MESSAGE_LEN, Message, ParseErrorKind, StreamFramer, frame_len,
};

fn message(call_id: &str, body: &str) -> Vec<u8> {
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/TCP client.example.com;branch=z9hG4bK{call_id}\r\n\
         v: SIP/2.0/TCP\r\n  proxy.example.com;branch=z9hG4bK2\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@example.com>;tag=1\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         Content-Type: application/sdp\r\n\
         l :\r\n {}\r\n\
         \r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn byte_by_byte_delivery() {
    let msg = message("bytewise", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
    let mut framer = StreamFramer::new();
    for end in 0..msg.len() {
        assert_eq!(framer.next_frame(&msg[..end]), Ok(None), "at {end}");
        assert_eq!(frame_len(&msg[..end]), Ok(None), "at {end}");
    }
    assert_eq!(
        framer.next_frame(&msg),
        Ok(Some(Frame::Message { len: msg.len() }))
    );
    assert_eq!(frame_len(&msg), Ok(Some(msg.len())));
    let m = Message::parse_stream_frame(&msg).unwrap();
    assert_eq!(m.headers().call_id(), Some("bytewise"));
    assert_eq!(m.headers().vias().unwrap().len(), 2);
}

#[test]
fn back_to_back_messages() {
    let a = message("first", "v=0\r\n");
    let b = message("second", "");
    let mut buf = [a.clone(), b.clone()].concat();
    let mut framer = StreamFramer::new();
    let mut ids = Vec::new();
    while let Some(frame) = framer.next_frame(&buf).unwrap() {
        let n = frame.size();
        let m = Message::parse_stream_frame(&buf[..n]).unwrap();
        ids.push(m.headers().call_id().unwrap().to_owned());
        buf.drain(..n);
    }
    assert_eq!(ids, ["first", "second"]);
    assert!(buf.is_empty());
    assert_eq!(frame_len(&[a.clone(), b].concat()), Ok(Some(a.len())));
}

#[test]
fn crlf_keepalives() {
    let msg = message("after-ping", "");
    // RFC 5626 ping (CRLFCRLF) before a message.
    let buf = [b"\r\n\r\n".to_vec(), msg.clone()].concat();
    let mut framer = StreamFramer::new();
    let first = framer.next_frame(&buf).unwrap().unwrap();
    assert_eq!(first, Frame::Keepalive { len: 4 });
    assert!(first.is_ping());
    assert_eq!(frame_len(&buf), Ok(Some(4)));
    let rest = &buf[4..];
    assert_eq!(
        framer.next_frame(rest),
        Ok(Some(Frame::Message { len: msg.len() }))
    );
    // A pong (single CRLF) is reported but is not a ping.
    let pong = framer.next_frame(b"\r\n").unwrap().unwrap();
    assert_eq!(pong, Frame::Keepalive { len: 2 });
    assert!(!pong.is_ping());
    // Half a CRLF waits.
    assert_eq!(framer.next_frame(b"\r"), Ok(None));
    // parse_stream_frame also ignores CRLF before the start line (RFC 3261 §7.5).
    assert!(Message::parse_stream_frame(&buf).is_ok());
    // A frame of CRLF only is not a message.
    assert_eq!(
        Message::parse_stream_frame(b"\r\n\r\n").unwrap_err().kind,
        ParseErrorKind::Empty
    );
}

#[test]
fn oversize_input_is_refused() {
    // Headers that never end.
    let mut endless = b"OPTIONS sip:a@example.com SIP/2.0\r\nX: ".to_vec();
    endless.resize(MAX_MESSAGE_LEN + 1, b'a');
    let mut framer = StreamFramer::new();
    assert_eq!(framer.next_frame(&endless[..MAX_MESSAGE_LEN]), Ok(None));
    let e = framer.next_frame(&endless).unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::TooLarge {
            len: MAX_MESSAGE_LEN + 1
        }
    );
    assert!(frame_len(&endless).is_err());

    // A Content-Length that would take the message over the limit: answered
    // 513 (the request's headers are readable), then the connection closes.
    let msg = String::from_utf8(message("big", "")).unwrap();
    let big = msg.replace("l :\r\n 0\r\n", "Content-Length: 65500\r\n");
    let e = frame_len(big.as_bytes()).unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::TooLarge { len } if len > MAX_MESSAGE_LEN));
    assert_eq!(e.status, Some(513));
    assert_eq!(e.to_response().unwrap().status.as_u16(), 513);
    let huge = msg.replace("l :\r\n 0\r\n", "Content-Length: 99999999999999999999\r\n");
    assert_eq!(
        frame_len(huge.as_bytes()).unwrap_err().kind,
        ParseErrorKind::ContentLength(ContentLengthError::TooLarge)
    );
}

#[test]
fn broken_framing_is_an_error() {
    let msg = String::from_utf8(message("x", "")).unwrap();
    let no_length = msg.replace("l :\r\n 0\r\n", "");
    let e = frame_len(no_length.as_bytes()).unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::ContentLength(ContentLengthError::Missing)
    );
    let negative = msg.replace("l :\r\n 0\r\n", "Content-Length: -1\r\n");
    assert_eq!(
        frame_len(negative.as_bytes()).unwrap_err().kind,
        ParseErrorKind::ContentLength(ContentLengthError::Negative)
    );
    let two = msg.replace("l :\r\n 0\r\n", "l: 0\r\nContent-Length: 1\r\n");
    assert_eq!(
        frame_len(two.as_bytes()).unwrap_err().kind,
        ParseErrorKind::ContentLength(ContentLengthError::Conflicting)
    );
}

#[test]
fn body_split_across_reads() {
    let body = "v=0\r\n".repeat(2000);
    let msg = message("long-body", &body);
    let mut framer = StreamFramer::new();
    let mut end = 0;
    let mut frames = Vec::new();
    while end < msg.len() {
        end = (end + 1500).min(msg.len());
        if let Some(f) = framer.next_frame(&msg[..end]).unwrap() {
            frames.push((end, f));
        }
    }
    assert_eq!(frames, [(msg.len(), Frame::Message { len: msg.len() })]);
    let m = Message::parse_stream_frame(&msg).unwrap();
    let Message::Request(r) = m else {
        panic!("not a request")
    };
    assert_eq!(r.body.len(), body.len());
}
