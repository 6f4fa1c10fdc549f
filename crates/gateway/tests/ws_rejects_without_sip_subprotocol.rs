//! RFC 7118 §4.1: a SIP WebSocket client must ask for the `sip`
//! subprotocol. An upgrade without it (or with only other subprotocols) is
//! refused with 400 and a body that says why; one that lists `sip` among
//! others is accepted with `sip` selected.

mod http_daemon;

use http_daemon::Daemon;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_without_sip_subprotocol_is_refused() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ws_rejects_static");
    let daemon = Daemon::start(&dir).await;
    let url = format!("ws://{}/ws", daemon.http());

    for offered in [None, Some("chat"), Some("sipx, xmpp")] {
        let mut request = url.as_str().into_client_request().unwrap();
        if let Some(p) = offered {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
        }
        match tokio_tungstenite::connect_async(request).await {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status(), 400, "{offered:?}");
                let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default())
                    .into_owned();
                assert!(body.contains("subprotocol \"sip\""), "{offered:?}: {body}");
            }
            Ok((_, resp)) => panic!("{offered:?}: upgrade accepted: {resp:?}"),
            Err(e) => panic!("{offered:?}: expected an HTTP 400, got {e}"),
        }
    }

    // `sip` among others is fine, and is the one selected.
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("chat, sip"),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade with sip among others");
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "sip");
    ws.close(None).await.unwrap();

    daemon.stop().await;
}
