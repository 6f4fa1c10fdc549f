//! A Tandem daemon run in-process with an HTTP listener on an ephemeral
//! loopback port, for the `ws_*` tests: SIP on UDP 127.0.0.1:0, HTTP (the
//! softphone page and SIP over WebSocket) on 127.0.0.1:0.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use tandem::config::parse_str;
use tandem::server::{Listening, run_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running daemon.
pub struct Daemon {
    /// Where it listens.
    pub listening: Listening,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Daemon {
    /// Starts a daemon serving `/phone` from `static_dir`.
    pub async fn start(static_dir: &Path) -> Daemon {
        let text = format!(
            r#"
[sip]
udp = ["127.0.0.1:0"]
tcp = []

[media]
address = "127.0.0.1"
port_min = 39000
port_max = 39009
threads = 1

[http]
listen = ["127.0.0.1:0"]
static_dir = "{}"
"#,
            static_dir.display()
        );
        let config = parse_str(&text, "ws-test.toml").expect("test config is valid");
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(run_with(
            config,
            async move {
                let _ = stop_rx.await;
            },
            move |l| {
                let _ = ready_tx.send(l);
            },
        ));
        let listening = tokio::time::timeout(Duration::from_secs(10), ready_rx)
            .await
            .expect("daemon listening within 10 s")
            .expect("daemon started");
        Daemon {
            listening,
            stop,
            task,
        }
    }

    /// The HTTP listener's address.
    pub fn http(&self) -> std::net::SocketAddr {
        self.listening.http[0]
    }

    /// Stops the daemon and waits for it to end cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("daemon stops within 10 s")
            .expect("daemon task did not panic")
            .expect("daemon ended without error");
    }
}

/// An HTTP/1.1 response as read off the socket.
#[derive(Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A plain `GET path` with `Connection: close`, read to the end.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> HttpResponse {
    let mut s = TcpStream::connect(addr).await.expect("connect to http");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("send the request");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("response within 5 s")
        .expect("read the response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body);
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&data[..eol]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}
