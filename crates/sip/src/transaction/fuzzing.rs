//! Fuzz entry point for the transaction layer (compiled with the library so
//! the cargo-fuzz target stays three lines).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::message::{HeaderName, Host, Message, Method, Request, Response, StatusCode, Uri};
use crate::transport::{Peer, TransportKind};

use super::{LayerOutput, LocalVia, TimerConfig, TransactionKey, TransactionLayer, TuEvent};

const METHODS: [Method; 5] = [
    Method::Invite,
    Method::Ack,
    Method::Cancel,
    Method::Bye,
    Method::Options,
];
const BRANCHES: [&str; 4] = ["z9hG4bKaaa", "z9hG4bKbbb", "z9hG4bK", "legacy-1"];
const STATUSES: [u16; 8] = [100, 180, 183, 200, 202, 404, 487, 503];
const TO_TAGS: [Option<&str>; 3] = [None, Some("t1"), Some("t2")];

/// Drives one [`TransactionLayer`] with an input sequence decoded from
/// `data`: received requests and responses built from a few templates (so
/// that they collide on branch, Call-ID and CSeq), TU actions (send request,
/// respond, cancel), time jumps and transport errors. Checks that the layer
/// never panics and never asks to be woken in the past after a timeout.
pub fn fuzz_transaction(data: &[u8]) {
    let Ok(uri) = "sip:bob@127.0.0.1".parse::<Uri>() else {
        return;
    };
    let local = LocalVia::none()
        .with(
            TransportKind::Udp,
            Host::V4(Ipv4Addr::LOCALHOST),
            Some(5060),
        )
        .with(
            TransportKind::Tcp,
            Host::V4(Ipv4Addr::LOCALHOST),
            Some(5060),
        );
    let mut layer = TransactionLayer::new(TimerConfig::default(), local);
    let mut now = Instant::now();
    let mut server_keys: Vec<TransactionKey> = Vec::new();
    let mut client_keys: Vec<TransactionKey> = Vec::new();

    let mut input = data.iter().copied();
    let mut next = move || input.next();
    while let Some(op) = next() {
        let a = next().unwrap_or(0) as usize;
        let b = next().unwrap_or(0) as usize;
        let peer = peer_for(b);
        match op % 8 {
            0 => {
                let req = request(&uri, &METHODS[a % METHODS.len()], a / 8, b);
                layer.handle_received(now, Message::Request(req), peer);
            }
            1 => {
                let branch = client_keys
                    .get(a % client_keys.len().max(1))
                    .and_then(|k| k.branch())
                    .map_or(BRANCHES[a % BRANCHES.len()].to_owned(), |br| {
                        br.as_str().to_owned()
                    });
                if let Some(resp) = response(&branch, a, b) {
                    layer.handle_received(now, Message::Response(resp), peer);
                }
            }
            2 => {
                let method = [Method::Invite, Method::Bye, Method::Options][a % 3].clone();
                let mut req = request(&uri, &method, a, b);
                req.headers.remove_all(&HeaderName::Via);
                if let Ok(key) = layer.send_request(now, req, peer) {
                    client_keys.push(key);
                }
            }
            3 => {
                if let Some(key) = server_keys.get(a % server_keys.len().max(1)).cloned()
                    && let Some(status) = StatusCode::new(STATUSES[b % STATUSES.len()])
                {
                    let mut resp = Response::new(status);
                    resp.headers
                        .push_value(HeaderName::To, "<sip:bob@x>;tag=srv");
                    resp.headers.push_value(HeaderName::CSeq, "1 INVITE");
                    let _ = layer.send_response(now, &key, resp);
                }
            }
            4 => {
                if let Some(key) = client_keys.get(a % client_keys.len().max(1)).cloned()
                    && let Ok(k) = layer.send_cancel(now, &key)
                {
                    client_keys.push(k);
                }
            }
            5 => {
                now += Duration::from_millis((a * 256 + b) as u64 * 10);
                layer.handle_timeout(now);
                check_progress(&layer, now);
            }
            6 => {
                if let Some(t) = layer.poll_timeout() {
                    now = now.max(t);
                    layer.handle_timeout(now);
                    check_progress(&layer, now);
                }
            }
            _ => layer.handle_transport_error(now, peer),
        }
        while let Some(out) = layer.poll_output() {
            match out {
                LayerOutput::Transmit { bytes, .. } => assert!(!bytes.is_empty()),
                LayerOutput::Event(TuEvent::Request { key, .. }) => server_keys.push(key),
                LayerOutput::Event(_) => {}
            }
        }
        server_keys.truncate(64);
        client_keys.truncate(64);
    }
    // Everything ends: run the clock out.
    let mut rounds = 0;
    while let Some(t) = layer.poll_timeout() {
        now = now.max(t);
        layer.handle_timeout(now);
        check_progress(&layer, now);
        while layer.poll_output().is_some() {}
        rounds += 1;
        assert!(rounds < 100_000, "timers never settle");
    }
}

fn check_progress(layer: &TransactionLayer, now: Instant) {
    if let Some(t) = layer.poll_timeout() {
        assert!(
            t > now,
            "timer due at {t:?} still pending after handle_timeout({now:?})"
        );
    }
}

fn peer_for(b: usize) -> Peer {
    let transport = if b & 0x40 == 0 {
        TransportKind::Udp
    } else {
        TransportKind::Tcp
    };
    Peer {
        transport,
        addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5070 + (b & 1) as u16),
        conn: None,
    }
}

fn request(uri: &Uri, method: &Method, a: usize, b: usize) -> Request {
    let mut r = Request::new(method.clone(), uri.clone());
    let branch = BRANCHES[a % BRANCHES.len()];
    r.headers.push_value(
        HeaderName::Via,
        format!("SIP/2.0/UDP 127.0.0.1:5070;branch={branch};rport"),
    );
    r.headers.push_value(HeaderName::MaxForwards, 70);
    r.headers
        .push_value(HeaderName::From, "<sip:alice@127.0.0.1>;tag=f1");
    match TO_TAGS[b % TO_TAGS.len()] {
        Some(t) => r
            .headers
            .push_value(HeaderName::To, format!("<sip:bob@127.0.0.1>;tag={t}")),
        None => r.headers.push_value(HeaderName::To, "<sip:bob@127.0.0.1>"),
    }
    r.headers
        .push_value(HeaderName::CallId, format!("call-{}", (b >> 2) % 2));
    r.headers.push_value(
        HeaderName::CSeq,
        format!("{} {}", 1 + (b >> 3) % 2, method.as_str()),
    );
    r
}

fn response(branch: &str, a: usize, b: usize) -> Option<Response> {
    let status = StatusCode::new(STATUSES[a % STATUSES.len()])?;
    let method = [Method::Invite, Method::Bye, Method::Cancel, Method::Options][b % 4].clone();
    let mut r = Response::new(status);
    r.headers.push_value(
        HeaderName::Via,
        format!("SIP/2.0/UDP 127.0.0.1:5060;branch={branch};rport=5060"),
    );
    if b & 0x10 != 0 {
        r.headers
            .push_value(HeaderName::Via, "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKother");
    }
    r.headers
        .push_value(HeaderName::From, "<sip:alice@127.0.0.1>;tag=f1");
    match TO_TAGS[(b >> 5) % TO_TAGS.len()] {
        Some(t) => r
            .headers
            .push_value(HeaderName::To, format!("<sip:bob@127.0.0.1>;tag={t}")),
        None => r.headers.push_value(HeaderName::To, "<sip:bob@127.0.0.1>"),
    }
    r.headers
        .push_value(HeaderName::CallId, format!("call-{}", (b >> 2) % 2));
    r.headers
        .push_value(HeaderName::CSeq, format!("1 {}", method.as_str()));
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::fuzz_transaction;

    /// A few thousand pseudo-random input sequences (xorshift, fixed seed)
    /// run through the entry point: no panic, timers always move on.
    #[test]
    fn random_sequences_do_not_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..3000usize {
            let data: Vec<u8> = (0..(len % 300))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            fuzz_transaction(&data);
        }
    }

    #[test]
    fn scripted_sequence_covers_invite_cancel_and_timeouts() {
        // send INVITE (udp), receive 180 on it, cancel, receive INVITE from
        // the network, answer it 200, receive ACK, run the clock out.
        let script = [
            2, 0, 0, // send_request INVITE over UDP
            1, 1, 0, // 180 to the first client transaction
            4, 0, 0, // CANCEL it
            0, 0, 0, // INVITE received, branch aaa
            3, 0, 3, // answer it 200
            0, 1, 1, // ACK with To tag t1
            5, 255, 255, // +655 s
        ];
        fuzz_transaction(&script);
    }
}
