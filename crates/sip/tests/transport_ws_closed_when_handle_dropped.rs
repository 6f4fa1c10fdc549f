//! Dropping a WebSocket connection's handle (the socket closed) removes the
//! connection: the core gets `Closed` with the WS transport, the writer's
//! queue ends, and later sends to it fail.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tandem_sip::transport::{
    Peer, SendError, TransportConfig, TransportEvent, TransportKind, Transports,
};
use tokio::sync::{mpsc, watch};

#[tokio::test]
async fn dropping_the_handle_reports_closed() {
    let (events_tx, mut events) = mpsc::channel(16);
    let (_stop, stop_rx) = watch::channel(false);
    let transports = Transports::bind(&TransportConfig::default(), events_tx, stop_rx)
        .await
        .unwrap();
    let remote: SocketAddr = "[::1]:40001".parse().unwrap();
    let local: SocketAddr = "[::1]:8080".parse().unwrap();
    let conn = transports
        .attach_message_connection(TransportKind::Ws, remote, local)
        .unwrap();
    let id = conn.id;
    let peer = conn.handle.peer();
    let mut outgoing = conn.outgoing;
    drop(conn.handle);

    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    match ev {
        TransportEvent::Closed {
            transport,
            conn,
            addr,
        } => {
            assert_eq!(transport, TransportKind::Ws);
            assert_eq!(conn, id);
            assert_eq!(addr, remote);
        }
        other => panic!("expected Closed, got {other:?}"),
    }
    // The writer side sees the end of its queue.
    assert_eq!(outgoing.recv().await, None);

    let err = transports
        .send(Bytes::from_static(b"x"), &peer)
        .unwrap_err();
    assert!(
        matches!(err, SendError::ConnectionClosed(c) if c == id),
        "{err:?}"
    );
    let by_addr = Peer { conn: None, ..peer };
    let err = transports
        .send(Bytes::from_static(b"x"), &by_addr)
        .unwrap_err();
    assert!(matches!(err, SendError::NoConnection { .. }), "{err:?}");
}
