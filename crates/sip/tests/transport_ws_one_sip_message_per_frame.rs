//! RFC 7118 §5: each WebSocket message carries exactly one SIP message, so
//! a message needs no Content-Length: the body is the rest of the frame.
//! Delivered messages name their WebSocket connection as the source.

use std::net::SocketAddr;
use std::time::Duration;

use tandem_sip::message::{HeaderName, Message, Method};
use tandem_sip::transport::{Peer, TransportConfig, TransportEvent, TransportKind, Transports};
use tokio::sync::{mpsc, watch};

const OPTIONS: &str = "OPTIONS sip:127.0.0.1:8080;transport=ws SIP/2.0\r\n\
Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKhjhs8ass877;rport\r\n\
Max-Forwards: 70\r\n\
To: <sip:127.0.0.1:8080>\r\n\
From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 63104 OPTIONS\r\n\
Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n\
\r\n";

const MESSAGE_NO_CONTENT_LENGTH: &str = "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: <sip:bob@127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=49583\r\n\
Call-ID: 1j9FpLxk3uxtm8tn\r\n\
CSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello over websocket";

#[tokio::test]
async fn each_frame_is_one_message_from_its_connection() {
    let (events_tx, mut events) = mpsc::channel(16);
    let (_stop, stop_rx) = watch::channel(false);
    let transports = Transports::bind(&TransportConfig::default(), events_tx, stop_rx)
        .await
        .unwrap();
    let remote: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let conn = transports
        .attach_message_connection(TransportKind::Ws, remote, local)
        .unwrap();
    let expected_peer = Peer {
        transport: TransportKind::Ws,
        addr: remote,
        conn: Some(conn.id),
    };
    assert_eq!(conn.handle.peer(), expected_peer);
    assert_eq!(conn.handle.local(), local);

    conn.handle.deliver(OPTIONS.as_bytes()).await;
    conn.handle
        .deliver(MESSAGE_NO_CONTENT_LENGTH.as_bytes())
        .await;

    let first = next_event(&mut events).await;
    let TransportEvent::Message { message, from } = first else {
        panic!("expected a message, got {first:?}");
    };
    assert_eq!(from, expected_peer);
    let Message::Request(req) = message else {
        panic!("expected a request");
    };
    assert_eq!(req.method, Method::Options);
    assert_eq!(
        req.headers.get(&HeaderName::Via),
        Some("SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKhjhs8ass877;rport")
    );
    assert!(req.body.is_empty());

    let second = next_event(&mut events).await;
    let TransportEvent::Message { message, from } = second else {
        panic!("expected a message, got {second:?}");
    };
    assert_eq!(from, expected_peer);
    let Message::Request(req) = message else {
        panic!("expected a request");
    };
    assert_eq!(req.method, Method::Message);
    assert_eq!(&req.body[..], b"hello over websocket");
}

async fn next_event(events: &mut mpsc::Receiver<TransportEvent>) -> TransportEvent {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .expect("transports alive")
}
