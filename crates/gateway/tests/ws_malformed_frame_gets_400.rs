//! A WebSocket frame that is not a valid SIP request but whose headers can
//! be read gets a 400 over the same socket (RFC 7118 §5 framing, RFC 3261
//! §8.2 checks), and the connection stays usable afterwards.

mod http_daemon;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_daemon::Daemon;
use tandem_sip::message::{HeaderName, Message};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const BAD_CSEQ: &str = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/WS k3j2h1.invalid;branch=z9hG4bKbad1\r\n\
Max-Forwards: 70\r\n\
To: <sip:127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=a1\r\n\
Call-ID: bad-cseq-1\r\n\
CSeq: banana OPTIONS\r\n\
\r\n";

const GOOD: &str = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/WS k3j2h1.invalid;branch=z9hG4bKgood1\r\n\
Max-Forwards: 70\r\n\
To: <sip:127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=a2\r\n\
Call-ID: good-1\r\n\
CSeq: 1 OPTIONS\r\n\
\r\n";

async fn next_text(
    ws: &mut (impl StreamExt<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> String {
    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an answer within 5 s")
        .expect("socket open")
        .expect("a frame");
    let WsMessage::Text(text) = frame else {
        panic!("expected a text frame, got {frame:?}");
    };
    text.as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frame_is_answered_400_on_the_socket() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ws_malformed_static");
    let daemon = Daemon::start(&dir).await;
    let mut request = format!("ws://{}/ws", daemon.http())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    ws.send(WsMessage::text(BAD_CSEQ)).await.unwrap();
    // The 400 echoes the headers as received, bad CSeq included, so it is
    // checked as text.
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("SIP/2.0 400 "), "{text}");
    assert!(text.contains("\r\nCall-ID: bad-cseq-1\r\n"), "{text}");
    assert!(
        text.contains("Via: SIP/2.0/WS k3j2h1.invalid;branch=z9hG4bKbad1"),
        "{text}"
    );

    // Blank frames are ignored, and the socket still carries SIP.
    ws.send(WsMessage::text("\r\n\r\n")).await.unwrap();
    ws.send(WsMessage::text(GOOD)).await.unwrap();
    let text = next_text(&mut ws).await;
    let Ok(Message::Response(resp)) = Message::parse(text.as_bytes()) else {
        panic!("expected a response:\n{text}");
    };
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(resp.headers.get(&HeaderName::CallId), Some("good-1"));

    ws.close(None).await.unwrap();
    daemon.stop().await;
}
