//! The HTTP listener: the softphone page at `/phone` and SIP over WebSocket
//! (RFC 7118) at the configured path (`/ws`).
//!
//! This file only moves bytes. A WebSocket that asked for the `sip`
//! subprotocol is attached to the SIP transports as a message-oriented
//! connection ([`Transports::attach_message_connection`]): each WebSocket
//! message in (text or binary) is one SIP message for the core, each SIP
//! message out is one text frame (binary if it is not UTF-8). When the
//! socket closes, the transports report the connection closed and the core
//! fails whatever waited on it. Upgrades without the `sip` subprotocol get
//! `400 Bad Request` with the reason in the body.
//!
//! Static files come from `static_dir` (tower-http's `ServeDir`: no path
//! escapes the directory, MIME types from the extension): `/phone/` is its
//! `index.html`, `/phone/<file>` its files, and `/phone` redirects to
//! `/phone/` (308) so that the page's relative links (`app.js`) resolve
//! under `/phone/`. Anything else is 404.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tandem_sip::message::MAX_MESSAGE_LEN;
use tandem_sip::transport::{MessageConnection, TransportKind, Transports};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;
use tracing::{debug, info, warn};

use crate::config::HttpSettings;
use crate::logging::Pii;

/// The WebSocket subprotocol of SIP (RFC 7118 §4.1).
pub const SIP_SUBPROTOCOL: &str = "sip";

/// WebSocket close code 1001 "going away" (RFC 6455 §7.4.1).
const CLOSE_GOING_AWAY: u16 = 1001;

/// Binds every configured address. Done before anything is served, so that
/// an address in use stops the daemon at start.
pub async fn bind(settings: &HttpSettings) -> io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::with_capacity(settings.listen.len());
    for addr in &settings.listen {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("http listener {addr}: {e}")))?;
        listeners.push(l);
    }
    Ok(listeners)
}

/// Serves `listeners` until `shutdown` turns true: then the listeners stop
/// accepting and open WebSockets are closed with 1001 "going away". Await
/// the returned tasks to know they are done.
pub fn spawn(
    listeners: Vec<TcpListener>,
    settings: &HttpSettings,
    transports: &Transports,
    shutdown: &watch::Receiver<bool>,
) -> io::Result<Vec<JoinHandle<()>>> {
    if !listeners.is_empty() && !settings.static_dir.join("index.html").is_file() {
        warn!(
            dir = %settings.static_dir.display(),
            "the softphone page is not built (no index.html there): /phone answers 404; \
             run scripts/web-build"
        );
    }
    let mut tasks = Vec::with_capacity(listeners.len());
    for listener in listeners {
        let local = listener.local_addr()?;
        let app = router(settings, transports.clone(), local, shutdown.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        let mut stop = shutdown.clone();
        info!(%local, ws = %settings.ws_path, "http listening");
        tasks.push(tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                warn!(%local, error = %e, "http listener failed");
            }
        }));
    }
    Ok(tasks)
}

#[derive(Clone)]
struct WsState {
    transports: Transports,
    local: SocketAddr,
    shutdown: watch::Receiver<bool>,
}

/// The routes of one listener (`local`: its bound address, written into
/// the peer's connection as our end).
pub fn router(
    settings: &HttpSettings,
    transports: Transports,
    local: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let state = WsState {
        transports,
        local,
        shutdown,
    };
    Router::new()
        .route(&settings.ws_path, get(ws_upgrade))
        .with_state(state)
        .route("/phone", get(phone_redirect))
        .nest_service("/phone/", ServeDir::new(&settings.static_dir))
}

/// `/phone` -> `/phone/` (keeping the query), as a directory would.
async fn phone_redirect(uri: Uri) -> Response {
    let to = match uri.query() {
        Some(q) => format!("/phone/?{q}"),
        None => "/phone/".to_owned(),
    };
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response()
}

async fn ws_upgrade(
    State(state): State<WsState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = ws.protocols([SIP_SUBPROTOCOL]);
    if ws.selected_protocol().is_none() {
        debug!(peer = %Pii(remote), "websocket upgrade without the sip subprotocol refused");
        return (
            StatusCode::BAD_REQUEST,
            "SIP over WebSocket needs the WebSocket subprotocol \"sip\" \
             (Sec-WebSocket-Protocol: sip, RFC 7118)\n",
        )
            .into_response();
    }
    ws.max_message_size(MAX_MESSAGE_LEN)
        .max_frame_size(MAX_MESSAGE_LEN)
        .on_failed_upgrade(
            move |e| debug!(peer = %Pii(remote), error = %e, "websocket upgrade failed"),
        )
        .on_upgrade(move |socket| bridge(socket, state, remote))
}

/// Moves messages between one WebSocket and the SIP transports until either
/// side ends.
async fn bridge(mut socket: WebSocket, state: WsState, remote: SocketAddr) {
    let conn =
        match state
            .transports
            .attach_message_connection(TransportKind::Ws, remote, state.local)
        {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "cannot attach websocket");
                return;
            }
        };
    let MessageConnection {
        id,
        mut outgoing,
        handle,
    } = conn;
    let mut shutdown = state.shutdown;
    let why = loop {
        if *shutdown.borrow_and_update() {
            // Write what the core queued last (its BYEs and CANCELs), then
            // close. Bounded: a peer that does not read must not hold the
            // shutdown.
            let close = async {
                while let Ok(bytes) = outgoing.try_recv() {
                    socket.send(frame(bytes)).await?;
                }
                let close = CloseFrame {
                    code: CLOSE_GOING_AWAY,
                    reason: Utf8Bytes::from_static("server shutting down"),
                };
                socket.send(Message::Close(Some(close))).await
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
            break "shutdown";
        }
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => handle.deliver(text.as_bytes()).await,
                Some(Ok(Message::Binary(data))) => handle.deliver(&data).await,
                // Pings are answered by the WebSocket layer itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break "closed by peer",
                Some(Err(e)) => {
                    debug!(conn = id.0, error = %e, "websocket read failed");
                    break "read error";
                }
            },
            out = outgoing.recv() => {
                let Some(bytes) = out else { break "closed by the transports" };
                if let Err(e) = socket.send(frame(bytes)).await {
                    debug!(conn = id.0, error = %e, "websocket write failed");
                    break "write error";
                }
            }
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break "daemon gone";
                }
            }
        }
    };
    debug!(conn = id.0, peer = %Pii(remote), reason = why, "websocket ended");
    // Dropping the handle tells the core the connection is gone.
    drop(handle);
}

/// One SIP message as one WebSocket message: text when it is UTF-8 (what
/// every browser library expects), binary otherwise (RFC 7118 §5.1 allows
/// both).
fn frame(bytes: Bytes) -> Message {
    match Utf8Bytes::try_from(bytes.clone()) {
        Ok(text) => Message::Text(text),
        Err(_) => Message::Binary(bytes),
    }
}
