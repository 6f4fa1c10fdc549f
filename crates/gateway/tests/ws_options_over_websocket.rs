//! SIP over WebSocket (RFC 7118) end to end through the daemon: a client
//! connects to ws://127.0.0.1:<port>/ws with the `sip` subprotocol, sends an
//! OPTIONS the way JsSIP does (Via transport WS, a `.invalid` Via host, no
//! reachable address anywhere in the message), and gets the 200 OK back over
//! the same socket as a text frame. A binary frame is accepted too.

mod http_daemon;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http_daemon::Daemon;
use tandem_sip::message::{HeaderName, Message, StatusCode, Via};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

fn options(port: u16, branch: &str, cseq: u32) -> String {
    format!(
        "OPTIONS sip:127.0.0.1:{port};transport=ws SIP/2.0\r\n\
Via: SIP/2.0/WS 3fhs8g7kd9lq.invalid;branch={branch}\r\n\
Max-Forwards: 69\r\n\
To: <sip:127.0.0.1:{port}>\r\n\
From: \"Alice\" <sip:alice@127.0.0.1>;tag=8s7l1e3o9u\r\n\
Call-ID: 4m0slk1kbvo9eu0e1ikp\r\n\
CSeq: {cseq} OPTIONS\r\n\
Contact: <sip:l2mf4n0s@3fhs8g7kd9lq.invalid;transport=ws>\r\n\
Accept: application/sdp\r\n\
Supported: outbound\r\n\
User-Agent: JsSIP 3.10.0\r\n\
Content-Length: 0\r\n\
\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_over_websocket_is_answered_on_the_same_socket() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ws_options_static");
    let daemon = Daemon::start(&dir).await;
    let http = daemon.http();

    let mut request = format!("ws://{http}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let (mut ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket upgrade");
    assert_eq!(response.status(), 101);
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap()),
        Some("sip"),
        "the server must select the sip subprotocol"
    );

    // First as a text frame, then as a binary frame (RFC 7118 §5.1 allows both).
    let cases = [
        ("z9hG4bK5592719", 7731, true),
        ("z9hG4bK5592720", 7732, false),
    ];
    for (branch, cseq, text) in cases {
        let req = options(http.port(), branch, cseq);
        let frame = if text {
            WsMessage::text(req)
        } else {
            WsMessage::binary(req.into_bytes())
        };
        ws.send(frame).await.unwrap();

        let reply = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer within 5 s")
            .expect("socket open")
            .expect("a frame");
        let WsMessage::Text(reply) = reply else {
            panic!("expected a text frame, got {reply:?}");
        };
        let Message::Response(resp) = Message::parse(reply.as_bytes()).expect("a SIP message")
        else {
            panic!("expected a response:\n{}", reply.as_str());
        };
        assert_eq!(resp.status, StatusCode::OK_200, "{}", reply.as_str());
        let via: Via = resp
            .headers
            .get(&HeaderName::Via)
            .expect("Via echoed")
            .parse()
            .expect("a Via");
        assert_eq!(via.transport.to_string(), "WS");
        assert_eq!(via.host.to_string(), "3fhs8g7kd9lq.invalid");
        assert_eq!(via.branch(), Some(branch));
        // RFC 3261 §18.2.1: the sent-by host is not the source, so received.
        assert_eq!(via.params.value("received"), Some("127.0.0.1"));
        assert_eq!(
            resp.headers.get(&HeaderName::CallId),
            Some("4m0slk1kbvo9eu0e1ikp")
        );
        assert_eq!(
            resp.headers.get(&HeaderName::CSeq),
            Some(format!("{cseq} OPTIONS").as_str())
        );
        assert!(resp.headers.to_tag().is_some(), "{}", reply.as_str());
        let allow = resp.headers.get(&HeaderName::Allow).unwrap_or_default();
        assert!(
            allow.contains("INVITE") && allow.contains("OPTIONS"),
            "{allow}"
        );
    }

    ws.close(None).await.unwrap();
    daemon.stop().await;
}
