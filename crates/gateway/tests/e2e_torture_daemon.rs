//! Every RFC 4475 / RFC 5118 torture message sent over UDP to the running
//! daemon gets the answer the corpus README gives (or none, for responses
//! and the messages that must be dropped), and the daemon keeps serving.

mod e2e;

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use tandem_sip::message::Message;
use tandem_sip::transaction::TransactionKey;

/// A message to send: its name, its bytes, the answers allowed.
type Case = (String, Vec<u8>, Option<&'static [u16]>);

/// (file, expected status; `None` = no answer expected)
const EXPECT: &[(&str, Option<&[u16]>)] = &[
    // §3.1.1 valid: parsed and handled. Requests for URIs we do not serve
    // get 404 (INVITE) or 405/501 (methods we do not implement). Tandem is a
    // registrar for its agents: every REGISTER is challenged first (401),
    // and one whose To is not a SIP URI is a 400 (unksm2, as RFC 4475 says).
    // wsinv carries a To tag: an in-dialog request for a dialog we do not have.
    ("rfc4475/wsinv.dat", Some(&[481])),
    ("rfc4475/intmeth.dat", Some(&[501])),
    ("rfc4475/esc01.dat", Some(&[404])),
    ("rfc4475/escnull.dat", Some(&[401])),
    ("rfc4475/esc02.dat", Some(&[501])),
    ("rfc4475/lwsdisp.dat", Some(&[200])),
    ("rfc4475/longreq.dat", Some(&[404])),
    ("rfc4475/dblreq.dat", Some(&[401])),
    ("rfc4475/semiuri.dat", Some(&[200])),
    ("rfc4475/transports.dat", Some(&[200])),
    // MESSAGE is not a method we implement (checked before the body).
    ("rfc4475/mpart01.dat", Some(&[405])),
    ("rfc4475/unreason.dat", None),
    ("rfc4475/noreason.dat", None),
    // §3.1.2 invalid
    ("rfc4475/badinv01.dat", Some(&[400])),
    ("rfc4475/clerr.dat", Some(&[400])),
    ("rfc4475/ncl.dat", Some(&[400])),
    ("rfc4475/scalar02.dat", Some(&[400])),
    ("rfc4475/scalarlg.dat", None),
    ("rfc4475/quotbal.dat", Some(&[400])),
    ("rfc4475/ltgtruri.dat", Some(&[400])),
    ("rfc4475/lwsruri.dat", Some(&[400])),
    ("rfc4475/lwsstart.dat", Some(&[400])),
    ("rfc4475/trws.dat", Some(&[400])),
    ("rfc4475/escruri.dat", Some(&[400])),
    ("rfc4475/baddate.dat", Some(&[400])),
    ("rfc4475/regbadct.dat", Some(&[400])),
    ("rfc4475/badaspec.dat", Some(&[400])),
    ("rfc4475/baddn.dat", Some(&[400])),
    ("rfc4475/badvers.dat", Some(&[505])),
    ("rfc4475/mismatch01.dat", Some(&[400])),
    ("rfc4475/mismatch02.dat", Some(&[501, 400])),
    ("rfc4475/bigcode.dat", None),
    // §3.2
    ("rfc4475/badbranch.dat", Some(&[200])),
    // §3.3 application level
    ("rfc4475/insuf.dat", Some(&[400])),
    ("rfc4475/unkscm.dat", Some(&[416])),
    ("rfc4475/novelsc.dat", Some(&[416])),
    ("rfc4475/unksm2.dat", Some(&[400])),
    ("rfc4475/bext01.dat", Some(&[420])),
    ("rfc4475/invut.dat", Some(&[415])),
    ("rfc4475/regaut01.dat", Some(&[401])),
    ("rfc4475/multi01.dat", Some(&[400])),
    ("rfc4475/mcl01.dat", Some(&[400])),
    ("rfc4475/bcast.dat", None),
    // OPTIONS is answered by us as an endpoint even at Max-Forwards 0
    // (a forwarded INVITE gets 483: see zeromf_invite below).
    ("rfc4475/zeromf.dat", Some(&[200])),
    ("rfc4475/cparam01.dat", Some(&[401])),
    ("rfc4475/cparam02.dat", Some(&[401])),
    ("rfc4475/regescrt.dat", Some(&[401])),
    ("rfc4475/sdp01.dat", Some(&[406])),
    // §3.4
    ("rfc4475/inv2543.dat", Some(&[404])),
    // RFC 5118
    ("rfc5118/ipv6-good", Some(&[401])),
    ("rfc5118/ipv6-bad", Some(&[400])),
    ("rfc5118/port-ambiguous", Some(&[401])),
    ("rfc5118/port-unambiguous", Some(&[401])),
    ("rfc5118/via-received-param-with-delim", Some(&[481])),
    ("rfc5118/via-received-param-no-delim", Some(&[200])),
    // Its Content-Length (268) exceeds the archived body (242): over UDP that
    // is a 400, like clerr.dat.
    ("rfc5118/ipv6-in-sdp", Some(&[400])),
    ("rfc5118/mult-ip-in-header", Some(&[481])),
    // Content-Length 181 for a body that CRLF line ends make longer: the
    // octets past 181 are ignored (RFC 3261 §18.3) and the INVITE is for a
    // number we do not serve.
    ("rfc5118/mult-ip-in-sdp", Some(&[404])),
    ("rfc5118/ipv4-mapped-ipv6", Some(&[404])),
    ("rfc5118/ipv6-bug-abnf-3-colons", Some(&[200])),
    ("rfc5118/ipv6-correct-abnf-2-colons", Some(&[200])),
];

fn wire_bytes(name: &str) -> Vec<u8> {
    let path = e2e::repo_root()
        .join("crates/sip/tests/data/torture")
        .join(name);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !name.starts_with("rfc5118/") {
        return raw;
    }
    // The RFC 5118 archive uses bare LF; the wire needs CRLF. Two files
    // also lack the blank line that ends the header section.
    let text = String::from_utf8_lossy(&raw).replace("\r\n", "\n");
    let mut text = text.replace('\n', "\r\n");
    if !text.contains("\r\n\r\n") {
        if !text.ends_with("\r\n") {
            text.push_str("\r\n");
        }
        text.push_str("\r\n");
    }
    text.into_bytes()
}

#[test]
fn daemon_answers_every_torture_message_as_the_rfcs_ask() {
    if !e2e::enabled("e2e_torture_daemon") {
        return;
    }
    let dir = e2e::workdir("torture_daemon");
    let config = e2e::repo_root().join("examples/trunk-forward.toml");
    let target = "127.0.0.1:5060".parse().unwrap();
    let mut tandem = e2e::start_tandem(&dir, &config, target);
    let mut keys = HashSet::new();
    let mut pass = 0;
    let mut failures = Vec::new();
    let mut cases: Vec<Case> = EXPECT
        .iter()
        .map(|(name, expect)| ((*name).to_owned(), wire_bytes(name), *expect))
        .collect();
    // zeromf.dat as an INVITE we would have to forward: 483 Too Many Hops.
    let zeromf = String::from_utf8(wire_bytes("rfc4475/zeromf.dat"))
        .unwrap()
        .replace(
            "OPTIONS sip:user@example.com",
            "INVITE sip:+15550100@127.0.0.1",
        )
        .replace("39234321 OPTIONS", "39234321 INVITE")
        .replace("z9hG4bKkdjuw2349i", "z9hG4bKzeromfinvite");
    cases.push((
        "zeromf.dat as INVITE".to_owned(),
        zeromf.into_bytes(),
        Some(&[483]),
    ));
    for (name, bytes, expect) in &cases {
        // The corpus reuses branches across messages (each was written to
        // be sent alone): a message with the key of an earlier server
        // transaction is a retransmission to any RFC 3261 stack. Give such
        // a message a fresh daemon so each is judged on its own.
        if let Ok(Message::Request(r)) = Message::parse(bytes)
            && let Some(k) = TransactionKey::for_request(&r)
            && !keys.insert(k.to_string())
        {
            assert!(
                tandem
                    .terminate(Duration::from_secs(10))
                    .is_some_and(|s| s.success())
            );
            tandem = e2e::start_tandem(&dir, &config, target);
            keys.clear();
            keys.insert(k.to_string());
        }
        let got = exchange(target, bytes, expect.is_some());
        let ok = match expect {
            None => got.is_none(),
            Some(codes) => got.is_some_and(|c| codes.contains(&c)),
        };
        println!(
            "{name:45} expected {expect:?} got {got:?} {}",
            if ok { "ok" } else { "FAIL" }
        );
        if ok {
            pass += 1;
        } else {
            failures.push(format!("{name}: expected {expect:?}, got {got:?}"));
        }
    }
    let total = cases.len();
    println!("torture over UDP against the daemon: {pass}/{total} as expected");
    // Still alive and serving.
    assert_eq!(
        e2e::options_ping(target),
        Some(200),
        "daemon stopped answering"
    );
    assert!(
        tandem
            .terminate(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Sends one message from a fresh socket and returns the first final
/// status code that comes back (provisional ones are skipped).
fn exchange(target: SocketAddr, bytes: &[u8], answer_expected: bool) -> Option<u16> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a test socket");
    let wait = if answer_expected { 2000 } else { 700 };
    sock.set_read_timeout(Some(Duration::from_millis(wait)))
        .expect("set a read timeout");
    sock.send_to(bytes, target).expect("send to the daemon");
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        let code = e2e::status_of(&buf[..n]);
        if code.is_some_and(|c| c >= 200) {
            return code;
        }
    }
    None
}
