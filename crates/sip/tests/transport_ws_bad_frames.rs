//! What a WebSocket frame that is not a SIP message becomes: blank frames
//! (RFC 7118 has no CRLF keepalives) are ignored, a frame that does not
//! parse is reported `Malformed` from its connection (so the core can answer
//! 400 over it), and only WS/WSS can be attached as message connections.

use std::net::SocketAddr;
use std::time::Duration;

use tandem_sip::message::MAX_MESSAGE_LEN;
use tandem_sip::transport::{
    AttachError, TransportConfig, TransportEvent, TransportKind, Transports,
};
use tokio::sync::{mpsc, watch};

const BAD_CSEQ: &str = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\n\
To: <sip:127.0.0.1>\r\n\
From: <sip:a@127.0.0.1>;tag=1\r\n\
Call-ID: c1\r\n\
CSeq: banana OPTIONS\r\n\
Max-Forwards: 70\r\n\
\r\n";

#[tokio::test]
async fn blank_is_ignored_garbage_is_malformed() {
    let (events_tx, mut events) = mpsc::channel(16);
    let (_stop, stop_rx) = watch::channel(false);
    let transports = Transports::bind(&TransportConfig::default(), events_tx, stop_rx)
        .await
        .unwrap();
    let remote: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();

    let err = transports
        .attach_message_connection(TransportKind::Tcp, remote, local)
        .unwrap_err();
    assert!(matches!(
        err,
        AttachError::NotMessageOriented(TransportKind::Tcp)
    ));

    let conn = transports
        .attach_message_connection(TransportKind::Ws, remote, local)
        .unwrap();
    conn.handle.deliver(b"").await;
    conn.handle.deliver(b"\r\n\r\n").await;
    conn.handle.deliver(b" \t\r\n").await;
    conn.handle.deliver(&vec![b'A'; MAX_MESSAGE_LEN + 1]).await;
    conn.handle.deliver(BAD_CSEQ.as_bytes()).await;

    // Only the bad CSeq produced an event.
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    match ev {
        TransportEvent::Malformed { error, from } => {
            assert_eq!(from, conn.handle.peer());
            assert_eq!(error.status, Some(400), "{error}");
            assert!(error.echo.is_some(), "headers kept to answer with: {error}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert!(events.try_recv().is_err(), "nothing else was reported");
}
