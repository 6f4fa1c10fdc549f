//! Stopping the daemon closes open SIP WebSockets with 1001 "going away"
//! (RFC 6455 §7.4.1), so browsers see a clean close and reconnect later,
//! and the daemon's stop is not held up by them.

mod http_daemon;

use std::time::Duration;

use futures_util::StreamExt;
use http_daemon::Daemon;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_websocket_gets_going_away_on_stop() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ws_stop_static");
    let daemon = Daemon::start(&dir).await;
    let mut request = format!("ws://{}/ws", daemon.http())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    // The client keeps reading while the daemon stops.
    let reader = tokio::spawn(async move {
        let mut close = None;
        while let Some(frame) = ws.next().await {
            match frame {
                Ok(WsMessage::Close(c)) => close = c,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        close
    });
    daemon.stop().await;

    let close = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .expect("the socket ends within 5 s")
        .unwrap()
        .expect("a close frame");
    assert_eq!(close.code, CloseCode::Away);
    assert_eq!(close.reason.as_str(), "server shutting down");
}
