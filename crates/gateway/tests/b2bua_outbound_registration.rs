//! A trunk with `register` keeps an outbound registration (the most
//! requested trunk feature): tandem REGISTERs at start, answers the
//! registrar's digest challenge with the trunk's credentials, refreshes the
//! binding before it expires, and removes it (Expires: 0) on shutdown.

mod sim;

use std::time::Duration;

use tandem_sip::auth::{ChallengeKind, DigestServer, UserSecret};
use tandem_sip::message::{HeaderName, Method, Response, StatusCode};

use sim::*;

const REALM: &str = "registrar.example";

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

#[test]
fn registers_answers_challenge_refreshes_and_unregisters() {
    let config = config_text().replace(
        "codecs = [\"PCMU\", \"telephone-event\"]",
        "codecs = [\"PCMU\", \"telephone-event\"]\n\
         outbound_auth = { username = \"acct\", password = \"pw\" }\n\
         register = { expires = 120 }",
    );
    let mut s = Sim::with_config(&config);
    let mut server = DigestServer::new([9; 32]);
    s.run_ms(50);

    // First REGISTER: no credentials; challenge it.
    let regs = s.ua_ref(FAR).requests(&Method::Register);
    assert_eq!(regs.len(), 1, "{}", s.trace());
    let (k1, r1) = regs[0].clone();
    assert_eq!(r1.headers.expires(), Some(120));
    assert!(r1.headers.get(&HeaderName::Authorization).is_none());
    let challenge =
        server.challenge_response(now_unix(), &r1, REALM, ChallengeKind::Www, false, None);
    s.send_response(FAR, &k1, challenge);
    s.run_ms(100);

    // Second REGISTER carries valid credentials for user "acct".
    let regs = s.ua_ref(FAR).requests(&Method::Register);
    assert_eq!(regs.len(), 2, "{}", s.trace());
    let (k2, r2) = regs[1].clone();
    let ok = server.verify_request(now_unix(), &r2, REALM, ChallengeKind::Www, |u, _, _| {
        (u == "acct").then(|| UserSecret::Password("pw".to_owned()))
    });
    assert!(ok.is_ok(), "credentials refused: {ok:?}");
    assert_eq!(r2.headers.call_id(), r1.headers.call_id(), "same binding");
    assert!(r2.headers.cseq().unwrap().seq > r1.headers.cseq().unwrap().seq);
    let mut resp = Response::for_request(&r2, StatusCode::OK_200, Some("reg-tag"));
    resp.headers.push_value(HeaderName::Expires, 120);
    s.send_response(FAR, &k2, resp);

    // It refreshes before the 120 s expire (and not immediately).
    s.run_for(Duration::from_secs(55));
    assert_eq!(s.ua_ref(FAR).requests(&Method::Register).len(), 2);
    s.run_for(Duration::from_secs(60));
    let regs = s.ua_ref(FAR).requests(&Method::Register);
    assert!(regs.len() >= 3, "no refresh within 115 s:\n{}", s.trace());

    // Shutdown removes the binding.
    let now = s.now;
    s.ctl.shutdown(now);
    s.run_ms(200);
    let last = s
        .ua_ref(FAR)
        .requests(&Method::Register)
        .last()
        .cloned()
        .unwrap()
        .1;
    assert_eq!(last.headers.expires(), Some(0), "{}", s.trace());
}
