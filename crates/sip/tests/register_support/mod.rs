//! Shared pieces of the `register_*` tests: a configuration, an in-memory
//! registrar with digest authentication, and helpers to read requests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use tandem_sip::auth::{Algorithm, ChallengeKind, DigestServer, UserSecret};
use tandem_sip::message::{HeaderName, Request, Response, StatusCode};
use tandem_sip::register::{
    Registration, RegistrationConfig, RegistrationOutput, RegistrationState,
};

pub const REGISTRAR: &str = "sip:sip.provider.example";
pub const AOR: &str = "sip:+15550100@sip.provider.example";
pub const CONTACT: &str = "sip:trunk1@192.0.2.10:5060;transport=udp";
pub const REALM: &str = "sip.provider.example";
pub const CALL_ID: &str = "reg-1@tandem.example";
/// Unix time at the test's base instant, for the digest server's nonces.
pub const UNIX_BASE: u64 = 1_750_000_000;

pub const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A configuration with fixed identifiers and seed.
pub fn config() -> RegistrationConfig {
    let mut c = RegistrationConfig::new(
        REGISTRAR.parse().expect("registrar URI parses"),
        AOR.parse().expect("AOR parses"),
        CONTACT.parse().expect("contact URI parses"),
    );
    c.call_id = Some(CALL_ID.into());
    c.from_tag = Some("ft-1".into());
    c.seed = Some(11);
    c
}

/// Everything a registration emitted.
#[derive(Debug, Default)]
pub struct Drained {
    pub sent: Vec<Request>,
    pub states: Vec<RegistrationState>,
}

pub fn drain(reg: &mut Registration) -> Drained {
    let mut d = Drained::default();
    while let Some(out) = reg.poll_output() {
        match out {
            RegistrationOutput::Send(r) => d.sent.push(r),
            RegistrationOutput::StateChanged(s) => d.states.push(s),
        }
    }
    d
}

/// Drains and expects exactly one REGISTER.
pub fn one_request(reg: &mut Registration) -> Request {
    let mut d = drain(reg);
    assert_eq!(d.sent.len(), 1, "expected one REGISTER, got {:?}", d.sent);
    d.sent.remove(0)
}

pub fn header(req: &Request, name: HeaderName) -> &str {
    req.headers
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} in {req:?}"))
}

pub fn cseq(req: &Request) -> u32 {
    header(req, HeaderName::CSeq)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("CSeq starts with a number")
}

pub fn expires(req: &Request) -> u32 {
    req.headers.expires().expect("REGISTER carries Expires")
}

pub fn status(code: u16) -> StatusCode {
    StatusCode::new(code).expect("status code in range")
}

/// A bare response to `req` (Call-ID and CSeq copied).
pub fn respond(req: &Request, code: u16) -> Response {
    Response::for_request(req, status(code), None)
}

/// A 200 that grants `granted` seconds to the request's Contact.
pub fn ok(req: &Request, granted: u32) -> Response {
    let mut r = respond(req, 200);
    let contact = header(req, HeaderName::Contact);
    r.headers
        .push_value(HeaderName::Contact, format!("{contact};expires={granted}"));
    r
}

/// An in-memory registrar: challenges with digest when it has a password,
/// enforces Min-Expires, caps the granted interval.
#[derive(Debug)]
pub struct Registrar {
    pub base: Instant,
    pub server: DigestServer,
    pub password: Option<String>,
    pub min_expires: Option<u32>,
    pub max_expires: u32,
    pub seen: Vec<Request>,
}

impl Registrar {
    /// No authentication.
    pub fn open(base: Instant) -> Self {
        Self {
            base,
            server: DigestServer::new([77; 32]),
            password: None,
            min_expires: None,
            max_expires: 86_400,
            seen: Vec::new(),
        }
    }

    /// Challenges with the given algorithms (most preferred first).
    pub fn with_auth(base: Instant, password: &str, algorithms: Vec<Algorithm>) -> Self {
        Self {
            server: DigestServer::new([77; 32]).algorithms(algorithms),
            password: Some(password.into()),
            ..Self::open(base)
        }
    }

    pub fn unix(&self, now: Instant) -> u64 {
        UNIX_BASE + (now - self.base).as_secs()
    }

    pub fn handle(&mut self, now: Instant, req: &Request) -> Response {
        self.seen.push(req.clone());
        let unix = self.unix(now);
        if let Some(pw) = self.password.clone() {
            let verdict =
                self.server
                    .verify_request(unix, req, REALM, ChallengeKind::Www, |_, _, _| {
                        Some(UserSecret::Password(pw))
                    });
            if let Err(e) = verdict {
                return self.server.challenge_response(
                    unix,
                    req,
                    REALM,
                    ChallengeKind::Www,
                    e.is_stale(),
                    None,
                );
            }
        }
        let requested = req.headers.expires().expect("REGISTER carries Expires");
        if requested == 0 {
            let mut r = respond(req, 200);
            r.headers.push_value(HeaderName::Expires, 0);
            return r;
        }
        if let Some(min) = self.min_expires.filter(|m| requested < *m) {
            let mut r = respond(req, 423);
            r.headers.push_value(HeaderName::MinExpires, min);
            return r;
        }
        ok(req, requested.min(self.max_expires))
    }
}
