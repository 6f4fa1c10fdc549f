//! Shared pieces of the `registrar_*` tests: REGISTER requests as browsers
//! and phones send them, peers, and readers for the response.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tandem_sip::message::{HeaderName, Message, NameAddr, Request, Response};
use tandem_sip::registrar::{Registrar, RegistrarConfig};
use tandem_sip::transport::{ConnectionId, Peer, TransportKind};

/// A JsSIP-style instance id.
pub const INSTANCE_A: &str = "<urn:uuid:4b2f7b1e-0f3c-4d0a-9a53-1c3a9e1b2c01>";
pub const INSTANCE_B: &str = "<urn:uuid:8d5e4a90-6b7f-4c1e-8f22-0a9b8c7d6e02>";

pub const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A registrar with the default limits (60 s min, 3600 s max, 600 s default,
/// 10 bindings per AOR).
pub fn registrar() -> Registrar {
    Registrar::new(RegistrarConfig::default())
}

/// A REGISTER for `aor` with these Contact header lines (each may hold a
/// comma list) and an optional Expires header.
pub fn register(
    aor: &str,
    call_id: &str,
    cseq: u32,
    contacts: &[&str],
    expires: Option<u32>,
) -> Request {
    let mut text = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/WS 9k2jd8s7a6q1.invalid;branch=z9hG4bK{call_id}{cseq}\r\n\
         Max-Forwards: 69\r\n\
         To: <sip:{aor}@127.0.0.1>\r\n\
         From: \"Agent\" <sip:{aor}@127.0.0.1>;tag=ft{cseq}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         User-Agent: JsSIP 3.10.1\r\n\
         Supported: path,gruu,outbound\r\n"
    );
    for c in contacts {
        text.push_str(&format!("Contact: {c}\r\n"));
    }
    if let Some(e) = expires {
        text.push_str(&format!("Expires: {e}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match Message::parse(text.as_bytes()).expect("test REGISTER parses") {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

/// A JsSIP-style Contact: `.invalid` host, transport=ws, instance and reg-id.
pub fn browser_contact(user: &str, instance: &str, expires: Option<u32>) -> String {
    let mut c = format!(
        "<sip:{user}@{user}host.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance=\"{instance}\""
    );
    if let Some(e) = expires {
        c.push_str(&format!(";expires={e}"));
    }
    c
}

/// A browser's flow: WebSocket connection `conn` from 127.0.0.1.
pub fn ws_peer(conn: u64) -> Peer {
    Peer {
        transport: TransportKind::Ws,
        addr: SocketAddr::from(([127, 0, 0, 1], 40_000 + conn as u16)),
        conn: Some(ConnectionId(conn)),
    }
}

/// A phone on UDP.
pub fn udp_peer(port: u16) -> Peer {
    Peer::udp(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// The Contact values of a response, in order.
pub fn contacts(resp: &Response) -> Vec<NameAddr> {
    resp.headers.contacts().expect("Contact values parse")
}

/// The expires parameter of each Contact of a response.
pub fn contact_expires(resp: &Response) -> Vec<u32> {
    contacts(resp)
        .iter()
        .map(|c| {
            c.params
                .value("expires")
                .and_then(|v| v.parse().ok())
                .expect("every Contact of a 200 has expires")
        })
        .collect()
}

pub fn header(resp: &Response, name: HeaderName) -> Option<&str> {
    resp.headers.get(&name)
}

/// Serialises a response and parses it back, as the peer would see it.
pub fn on_the_wire(resp: &Response) -> Response {
    match Message::parse(&resp.to_bytes()).expect("our response parses") {
        Message::Response(r) => r,
        Message::Request(_) => panic!("not a response"),
    }
}
