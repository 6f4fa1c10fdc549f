//! callgen places calls with RTP both ways through the real gateway (the
//! `tandem` library, run in-process) and reports every call completed, every
//! packet received, and a setup time and latency for each.

#![allow(clippy::unwrap_used)] // test helpers: failing loudly is the point

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

/// A free UDP port on 127.0.0.1 (free when asked; good enough for a test).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The integer after `"key":` in the first object named `section`.
fn json_int(json: &str, section: &str, key: &str) -> u64 {
    let from = json
        .find(&format!("\"{section}\":{{"))
        .unwrap_or_else(|| panic!("no section {section} in {json}"));
    let rest = &json[from..];
    let at = rest
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {section}.{key} in {json}"));
    let digits: String = rest[at + key.len() + 3..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap()
}

/// Waits until the gateway answers an OPTIONS on `port`.
fn wait_for_gateway(port: u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let me = sock.local_addr().unwrap();
    let options = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKwait{port}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{me}>;tag=probe\r\n\
         To: <sip:127.0.0.1:{port}>\r\n\
         Call-ID: wait-{port}@test\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        sock.send_to(options.as_bytes(), ("127.0.0.1", port))
            .unwrap();
        if let Ok((n, _)) = sock.recv_from(&mut buf)
            && buf[..n].starts_with(b"SIP/2.0 ")
        {
            return;
        }
    }
    panic!("the gateway did not answer OPTIONS on port {port}");
}

#[test]
fn calls_complete_with_all_packets_through_the_gateway() {
    let sip = free_port();
    let far = free_port();
    // A media range of its own per test process.
    let media_min = 42_000 + (std::process::id() % 200) as u16 * 40;
    let config = format!(
        r#"
[sip]
udp = ["127.0.0.1:{sip}"]
tcp = []
[media]
address = "127.0.0.1"
port_min = {media_min}
port_max = {media_max}
[log]
level = "warn"
[[trunks]]
name = "callers"
inbound_from = ["127.0.0.1"]
codecs = ["PCMU", "PCMA", "telephone-event"]
[[trunks]]
name = "far"
address = "127.0.0.1:{far}"
codecs = ["PCMU", "PCMA", "telephone-event"]
[[numbers]]
number = "+15550100"
forward = {{ trunk = "far", to = "+15550199" }}
"#,
        media_max = media_min + 39,
    );
    let config = tandem::config::parse_str(&config, "<test>").unwrap();

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let gateway = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(tandem::server::run(config, async {
            let _ = stop_rx.await;
        }))
    });
    wait_for_gateway(sip);

    let out = Command::new(env!("CARGO_BIN_EXE_callgen"))
        .args([
            "--target",
            &format!("127.0.0.1:{sip}"),
            "--uas-bind",
            &format!("127.0.0.1:{far}"),
            "--calls",
            "3",
            "--rate",
            "20",
            "--duration",
            "1",
            "--json",
            "--quiet",
        ])
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = stop_tx.send(());
    gateway.join().unwrap().unwrap();

    assert!(
        out.status.success(),
        "callgen failed ({:?}): {json}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_int(&json, "calls", "attempted"), 3);
    assert_eq!(json_int(&json, "calls", "completed"), 3);
    assert_eq!(json_int(&json, "calls", "failed"), 0);
    assert_eq!(json_int(&json, "calls", "far_invites"), 3);
    assert_eq!(json_int(&json, "calls", "far_byes"), 3);
    assert_eq!(json_int(&json, "setup_ms", "count"), 3);
    // Two streams per call, 1 s each at 50 packets per second.
    assert_eq!(json_int(&json, "media", "streams"), 6);
    let sent = json_int(&json, "media", "sent");
    assert!((6 * 40..=6 * 60).contains(&sent), "sent {sent}");
    assert_eq!(json_int(&json, "media", "received"), sent);
    assert_eq!(json_int(&json, "media", "lost"), 0);
    assert_eq!(json_int(&json, "latency_us", "count"), sent);
}
