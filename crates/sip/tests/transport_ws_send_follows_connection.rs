//! Sends to a WebSocket peer are queued on its connection: the one named
//! by the peer, else the latest one from its address. A WebSocket is never
//! opened outbound, so a peer with no connection is a send error.

use std::net::SocketAddr;

use bytes::Bytes;
use tandem_sip::transport::{
    ConnectionId, Peer, SendError, TransportConfig, TransportKind, Transports,
};
use tokio::sync::{mpsc, watch};

#[tokio::test]
async fn sends_go_out_on_the_connection_and_never_open_one() {
    let (events_tx, _events) = mpsc::channel(16);
    let (_stop, stop_rx) = watch::channel(false);
    let transports = Transports::bind(&TransportConfig::default(), events_tx, stop_rx)
        .await
        .unwrap();
    let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let alice: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let bob: SocketAddr = "127.0.0.1:40002".parse().unwrap();
    let mut a = transports
        .attach_message_connection(TransportKind::Ws, alice, local)
        .unwrap();
    let mut b = transports
        .attach_message_connection(TransportKind::Ws, bob, local)
        .unwrap();
    assert_ne!(a.id, b.id);

    // Named connection.
    transports
        .send(Bytes::from_static(b"to alice"), &a.handle.peer())
        .unwrap();
    // By address only.
    let bob_by_addr = Peer {
        transport: TransportKind::Ws,
        addr: bob,
        conn: None,
    };
    transports
        .send(Bytes::from_static(b"to bob"), &bob_by_addr)
        .unwrap();
    assert_eq!(
        a.outgoing.try_recv().unwrap(),
        Bytes::from_static(b"to alice")
    );
    assert_eq!(
        b.outgoing.try_recv().unwrap(),
        Bytes::from_static(b"to bob")
    );
    assert!(a.outgoing.try_recv().is_err(), "nothing else for alice");
    assert!(b.outgoing.try_recv().is_err(), "nothing else for bob");

    // Nobody connected from there: an error, not a connect attempt.
    let stranger: SocketAddr = "127.0.0.1:40003".parse().unwrap();
    let err = transports
        .send(
            Bytes::from_static(b"x"),
            &Peer {
                transport: TransportKind::Ws,
                addr: stranger,
                conn: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, SendError::NoConnection { transport: TransportKind::Ws, addr } if addr == stranger),
        "{err:?}"
    );

    // A connection id that does not exist.
    let err = transports
        .send(
            Bytes::from_static(b"x"),
            &Peer {
                transport: TransportKind::Ws,
                addr: alice,
                conn: Some(ConnectionId(9999)),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, SendError::ConnectionClosed(ConnectionId(9999))),
        "{err:?}"
    );

    // Alice's connection is WS: a WSS peer at her address is not it.
    let err = transports
        .send(
            Bytes::from_static(b"x"),
            &Peer {
                transport: TransportKind::Wss,
                addr: alice,
                conn: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, SendError::NoConnection { .. }), "{err:?}");
    assert!(a.outgoing.try_recv().is_err());
}
