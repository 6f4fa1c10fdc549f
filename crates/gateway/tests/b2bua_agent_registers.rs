//! An agent from `[[agents]]` registers: the first REGISTER is challenged
//! (401, realm "tandem"), the retry with the agent's password gets 200 with
//! the binding and its expiry, the agent becomes reachable; a wrong password
//! is challenged again; another agent's credentials for alice's AOR are
//! refused (403); an unknown AOR is challenged like any other (the answer
//! does not tell which agents exist); and REGISTER with Expires 0 removes
//! the binding.

mod sim;

use tandem_sip::auth::{Account, DigestClient, authorize_request};
use tandem_sip::message::{HeaderName, Method, Request};

use sim::*;

fn config() -> String {
    format!(
        "{}\n[[agents]]\nusername = \"alice\"\npassword = \"alice-secret\"\ndisplay_name = \"Alice A.\"\n\n[[agents]]\nusername = \"bob\"\npassword = \"bob-secret\"\n",
        config_text()
    )
}

fn register(aor: &str, cseq: u32, expires: u32) -> Request {
    let mut r = Request::new(Method::Register, format!("sip:{CTL}").parse().expect("uri"));
    r.headers.push_value(HeaderName::MaxForwards, 70);
    r.headers
        .push_value(HeaderName::From, format!("<sip:{aor}@{CTL}>;tag=reg-{aor}"));
    r.headers
        .push_value(HeaderName::To, format!("<sip:{aor}@{CTL}>"));
    r.headers
        .push_value(HeaderName::CallId, format!("reg-{aor}@browser"));
    r.headers
        .push_value(HeaderName::CSeq, format!("{cseq} REGISTER"));
    r.headers.push_value(
        HeaderName::Contact,
        format!("<sip:{aor}@df7jal23ls0d.invalid;transport=ws>;expires={expires}"),
    );
    r
}

/// REGISTER, take the 401, retry with `password`; the final code of the retry.
fn register_with(
    s: &mut Sim,
    aor: &str,
    user: &str,
    password: &str,
    expires: u32,
) -> (u16, String) {
    let first = register(aor, 1, expires);
    let key = s.send_request(CALLER, first.clone());
    s.run_ms(50);
    let resps = s.ua_ref(CALLER).responses(&key);
    assert_eq!(
        resps.last().map(|r| r.status.as_u16()),
        Some(401),
        "{}",
        s.trace()
    );
    let mut retry = register(aor, 2, expires);
    authorize_request(
        &mut retry,
        resps.last().expect("401"),
        &Account::new(user, password),
        &mut DigestClient::new(),
    )
    .expect("credentials");
    let key = s.send_request(CALLER, retry);
    s.run_ms(50);
    let last = s
        .ua_ref(CALLER)
        .responses(&key)
        .last()
        .cloned()
        .expect("a response");
    let contact = last
        .headers
        .get(&HeaderName::Contact)
        .map(|c| c.to_string())
        .unwrap_or_default();
    (last.status.as_u16(), contact)
}

#[test]
fn agent_registers_with_digest() {
    let mut s = Sim::with_config(&config());
    assert!(!s.ctl.agent_reachable(s.now, "alice"));
    let (code, contact) = register_with(&mut s, "alice", "alice", "alice-secret", 300);
    assert_eq!(code, 200, "{}", s.trace());
    assert!(contact.contains("df7jal23ls0d.invalid"), "{contact}");
    assert!(contact.contains("expires=300"), "{contact}");
    assert!(s.ctl.agent_reachable(s.now, "alice"));
    assert!(!s.ctl.agent_reachable(s.now, "bob"));
}

#[test]
fn wrong_password_is_challenged_again() {
    let mut s = Sim::with_config(&config());
    let (code, _) = register_with(&mut s, "alice", "alice", "wrong", 300);
    assert_eq!(code, 401);
    assert!(!s.ctl.agent_reachable(s.now, "alice"));
}

#[test]
fn another_agents_credentials_are_refused() {
    let mut s = Sim::with_config(&config());
    let (code, _) = register_with(&mut s, "alice", "bob", "bob-secret", 300);
    assert_eq!(code, 403);
    assert!(!s.ctl.agent_reachable(s.now, "alice"));
}

#[test]
fn unknown_aor_is_challenged_like_any_other() {
    let mut s = Sim::with_config(&config());
    let key = s.send_request(CALLER, register("mallory", 1, 300));
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![401], "{}", s.trace());
    let (code, _) = register_with(&mut s, "mallory", "mallory", "guess", 300);
    assert_eq!(code, 401);
}

#[test]
fn expires_zero_unregisters() {
    let mut s = Sim::with_config(&config());
    assert_eq!(
        register_with(&mut s, "alice", "alice", "alice-secret", 300).0,
        200
    );
    assert!(s.ctl.agent_reachable(s.now, "alice"));
    // A new REGISTER transaction on the same Call-ID with a higher CSeq, expires 0.
    let first = register("alice", 3, 0);
    let key = s.send_request(CALLER, first);
    s.run_ms(50);
    let resps = s.ua_ref(CALLER).responses(&key);
    let mut retry = register("alice", 4, 0);
    authorize_request(
        &mut retry,
        resps.last().expect("401"),
        &Account::new("alice", "alice-secret"),
        &mut DigestClient::new(),
    )
    .expect("credentials");
    let key = s.send_request(CALLER, retry);
    s.run_ms(50);
    assert_eq!(s.ua_ref(CALLER).codes(&key), vec![200], "{}", s.trace());
    assert!(!s.ctl.agent_reachable(s.now, "alice"));
}
