//! The server side: challenging requests and verifying credentials (UAS,
//! registrar or proxy, RFC 3261 §22.4, RFC 8760 §2.4).
//!
//! Nonces are self-validating: `hex(timestamp || salt || HMAC-SHA-256(secret,
//! timestamp || salt || realm)[..16])`. The server needs no table of issued
//! nonces, several instances sharing the secret accept each other's nonces,
//! and an expired nonce whose response is otherwise right is reported as
//! stale so the client retries without asking the user (RFC 7616 §3.3).
//! The only state kept is a small replay window of nonce counts for nonces
//! that authenticated successfully.

use std::collections::HashMap;
use std::fmt;

use rand::Rng;

use super::ChallengeKind;
use super::digest::{ResponseInput, compute_ha1, compute_response, constant_time_eq, hmac_sha256};
use super::header::{
    Algorithm, AuthHeaderError, Credentials, DigestChallenge, DigestCredentials, Qop,
};
use crate::message::{Header, Request, Response, Uri};

/// What the server knows about a user: the password, or HA1 for the
/// algorithm asked (`H(username:realm:password)`, lower-case hex).
#[derive(Clone, PartialEq, Eq)]
pub enum UserSecret {
    /// The clear password.
    Password(String),
    /// HA1 for the algorithm the lookup was called with.
    Ha1(String),
}

impl fmt::Debug for UserSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserSecret::Password(_) => f.write_str("Password(<redacted>)"),
            UserSecret::Ha1(_) => f.write_str("Ha1(<redacted>)"),
        }
    }
}

/// The request facts the credentials must match.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// The realm this server challenges with.
    pub realm: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The Request-URI as a string, to compare with the digest-uri; `None`
    /// skips the comparison.
    pub uri: Option<&'a str>,
    /// The body (for `auth-int`).
    pub body: &'a [u8],
}

/// Successful authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOk {
    /// The authenticated user name.
    pub username: String,
    /// The realm.
    pub realm: String,
    /// The algorithm the client used.
    pub algorithm: Algorithm,
    /// The qop the client used.
    pub qop: Option<Qop>,
    /// The nonce count, when qop was used.
    pub nc: Option<u32>,
}

/// Why credentials were refused. Every case is answered with a new
/// challenge; [`AuthFailure::is_stale`] says whether it carries
/// `stale=true`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No credentials header at all.
    #[error("no credentials")]
    Missing,
    /// Credentials of a scheme other than Digest.
    #[error("unsupported authentication scheme {0}")]
    OtherScheme(String),
    /// The credentials header did not parse.
    #[error("malformed credentials: {0}")]
    Malformed(AuthHeaderError),
    /// Credentials for another realm.
    #[error("credentials for realm {got:?}, expected {expected:?}")]
    WrongRealm {
        /// Our realm.
        expected: String,
        /// The realm in the credentials.
        got: String,
    },
    /// An algorithm this server does not offer.
    #[error("algorithm {0} not offered")]
    UnsupportedAlgorithm(String),
    /// A qop this server does not offer.
    #[error("qop {0} not offered")]
    UnsupportedQop(String),
    /// No qop, and RFC 2069 compatibility is off.
    #[error("qop required")]
    QopRequired,
    /// The nonce was not issued by this server (or its secret changed).
    #[error("nonce not issued here")]
    InvalidNonce,
    /// The digest-uri is not the Request-URI.
    #[error("digest-uri does not match the Request-URI")]
    UriMismatch,
    /// The lookup does not know the user.
    #[error("unknown user")]
    UnknownUser,
    /// The response hash is wrong (wrong password, or tampering).
    #[error("wrong response")]
    BadResponse,
    /// The response is right but the nonce expired: challenge again with
    /// `stale=true`.
    #[error("stale nonce")]
    StaleNonce,
    /// The nonce count was already used with this nonce.
    #[error("nonce count replayed")]
    Replay,
}

impl AuthFailure {
    /// Whether the new challenge should carry `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthFailure::StaleNonce)
    }
}

/// Seen nonce counts for one nonce: the highest and a 64-wide bitmap below
/// it (like the SRTP replay list), so requests sent in parallel may arrive
/// out of order.
#[derive(Debug, Clone)]
struct ReplayWindow {
    issued: u64,
    top: u32,
    seen: u64,
}

impl ReplayWindow {
    /// Records `nc`; false when it was already seen or is too old.
    fn accept(&mut self, nc: u32) -> bool {
        if nc > self.top {
            let shift = nc - self.top;
            self.seen = if shift >= 64 { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.top = nc;
            true
        } else {
            let d = self.top - nc;
            if d >= 64 || self.seen & (1 << d) != 0 {
                return false;
            }
            self.seen |= 1 << d;
            true
        }
    }
}

/// Above this many tracked nonces, expired ones are pruned on insertion.
const REPLAY_PRUNE_AT: usize = 4096;
/// Hard cap on tracked nonces (only successful authentications add one).
const REPLAY_MAX: usize = 65536;
/// How far in the future a nonce timestamp may be (clock skew between
/// instances sharing the secret).
const MAX_FUTURE_SKEW_SECS: u64 = 60;

/// A digest authentication server: issues challenges, verifies
/// credentials. Time is passed in as Unix seconds.
pub struct DigestServer {
    secret: [u8; 32],
    nonce_lifetime: u64,
    algorithms: Vec<Algorithm>,
    qop: Vec<Qop>,
    allow_no_qop: bool,
    salt: u64,
    replay: HashMap<String, ReplayWindow>,
}

impl fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestServer")
            .field("nonce_lifetime", &self.nonce_lifetime)
            .field("algorithms", &self.algorithms)
            .field("qop", &self.qop)
            .field("allow_no_qop", &self.allow_no_qop)
            .field("tracked_nonces", &self.replay.len())
            .finish_non_exhaustive()
    }
}

impl DigestServer {
    /// A server with this nonce secret (share it between instances that
    /// should accept each other's nonces). Defaults: nonces live 300 s,
    /// challenges offer SHA-256 then MD5 (RFC 8760 §2.4), qop `auth`,
    /// credentials without qop refused.
    pub fn new(secret: [u8; 32]) -> Self {
        Self {
            secret,
            nonce_lifetime: 300,
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            qop: vec![Qop::Auth],
            allow_no_qop: false,
            salt: rand::rng().next_u64(),
            replay: HashMap::new(),
        }
    }

    /// A server with a random secret (one instance; nonces die with it).
    pub fn with_random_secret() -> Self {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Self::new(secret)
    }

    /// How long a nonce stays fresh, in seconds.
    pub fn nonce_lifetime(mut self, secs: u64) -> Self {
        self.nonce_lifetime = secs;
        self
    }

    /// The algorithms offered, most preferred first (unsupported ones are
    /// dropped; an empty list falls back to the defaults).
    pub fn algorithms(mut self, algorithms: Vec<Algorithm>) -> Self {
        let algorithms: Vec<Algorithm> = algorithms
            .into_iter()
            .filter(Algorithm::is_supported)
            .collect();
        if !algorithms.is_empty() {
            self.algorithms = algorithms;
        }
        self
    }

    /// The qop values offered (only `auth` and `auth-int` are kept; an
    /// empty list falls back to `auth`).
    pub fn qop(mut self, qop: Vec<Qop>) -> Self {
        let qop: Vec<Qop> = qop
            .into_iter()
            .filter(|q| matches!(q, Qop::Auth | Qop::AuthInt))
            .collect();
        self.qop = if qop.is_empty() { vec![Qop::Auth] } else { qop };
        self
    }

    /// Accept credentials without qop (RFC 2069 clients). Off by default:
    /// such credentials carry no nonce count and can be replayed while the
    /// nonce lives.
    pub fn allow_rfc2069(mut self, allow: bool) -> Self {
        self.allow_no_qop = allow;
        self
    }

    fn make_nonce(&mut self, now_unix: u64, realm: &str) -> String {
        self.salt = self.salt.wrapping_add(1);
        let ts = now_unix.to_be_bytes();
        let salt = self.salt.to_be_bytes();
        let mac = hmac_sha256(&self.secret, &[&ts, &salt, realm.as_bytes()]);
        let mut raw = [0u8; 32];
        raw[..8].copy_from_slice(&ts);
        raw[8..16].copy_from_slice(&salt);
        raw[16..].copy_from_slice(&mac[..16]);
        hex::encode(raw)
    }

    /// The timestamp of a nonce this server issued for `realm`.
    fn check_nonce(&self, nonce: &str, realm: &str) -> Option<u64> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(nonce, &mut raw).ok()?;
        let mac = hmac_sha256(&self.secret, &[&raw[..8], &raw[8..16], realm.as_bytes()]);
        if !constant_time_eq(&mac[..16], &raw[16..]) {
            return None;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&raw[..8]);
        Some(u64::from_be_bytes(ts))
    }

    /// One challenge with a new nonce.
    pub fn challenge(
        &mut self,
        now_unix: u64,
        realm: &str,
        algorithm: Algorithm,
        stale: bool,
    ) -> DigestChallenge {
        let mut c = DigestChallenge::new(realm, self.make_nonce(now_unix, realm));
        c.algorithm = Some(algorithm);
        c.qop = self.qop.clone();
        c.stale = stale;
        c
    }

    /// One challenge per offered algorithm, most preferred first, sharing
    /// one new nonce (RFC 8760 §2.4).
    pub fn challenges(&mut self, now_unix: u64, realm: &str, stale: bool) -> Vec<DigestChallenge> {
        let nonce = self.make_nonce(now_unix, realm);
        self.algorithms
            .iter()
            .map(|a| {
                let mut c = DigestChallenge::new(realm, nonce.clone());
                c.algorithm = Some(a.clone());
                c.qop = self.qop.clone();
                c.stale = stale;
                c
            })
            .collect()
    }

    /// The challenge header lines for a 401 (`WWW-Authenticate`) or 407
    /// (`Proxy-Authenticate`).
    pub fn challenge_headers(
        &mut self,
        now_unix: u64,
        realm: &str,
        kind: ChallengeKind,
        stale: bool,
    ) -> Vec<Header> {
        self.challenges(now_unix, realm, stale)
            .into_iter()
            .map(|c| Header::new(kind.challenge_header(), c))
            .collect()
    }

    /// A complete 401/407 response to `request` with one challenge per
    /// offered algorithm; `to_tag` is added to To when given (RFC 3261
    /// §8.2.6.2).
    pub fn challenge_response(
        &mut self,
        now_unix: u64,
        request: &Request,
        realm: &str,
        kind: ChallengeKind,
        stale: bool,
        to_tag: Option<&str>,
    ) -> Response {
        let mut resp = Response::for_request(request, kind.status(), to_tag);
        for h in self.challenge_headers(now_unix, realm, kind, stale) {
            resp.headers.push(h);
        }
        resp
    }

    /// Verifies digest credentials. `lookup(username, realm, algorithm)`
    /// returns the user's secret.
    pub fn verify<F>(
        &mut self,
        now_unix: u64,
        credentials: &DigestCredentials,
        input: &VerifyInput<'_>,
        lookup: F,
    ) -> Result<AuthOk, AuthFailure>
    where
        F: FnOnce(&str, &str, &Algorithm) -> Option<UserSecret>,
    {
        let c = credentials;
        if c.realm != input.realm {
            return Err(AuthFailure::WrongRealm {
                expected: input.realm.to_owned(),
                got: c.realm.clone(),
            });
        }
        let algorithm = c.algorithm();
        if !self.algorithms.contains(&algorithm) {
            return Err(AuthFailure::UnsupportedAlgorithm(
                algorithm.as_str().to_owned(),
            ));
        }
        let issued = self
            .check_nonce(&c.nonce, input.realm)
            .ok_or(AuthFailure::InvalidNonce)?;
        if issued > now_unix.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(AuthFailure::InvalidNonce);
        }
        match &c.qop {
            Some(q) if !self.qop.contains(q) => {
                return Err(AuthFailure::UnsupportedQop(q.as_str().to_owned()));
            }
            Some(_) => {
                if c.cnonce.is_none() {
                    return Err(AuthFailure::Malformed(AuthHeaderError::MissingParam(
                        "cnonce",
                    )));
                }
                if c.nc.is_none() {
                    return Err(AuthFailure::Malformed(AuthHeaderError::MissingParam("nc")));
                }
            }
            None if !self.allow_no_qop => return Err(AuthFailure::QopRequired),
            None => {
                if algorithm.is_session() && c.cnonce.is_none() {
                    return Err(AuthFailure::Malformed(AuthHeaderError::MissingParam(
                        "cnonce",
                    )));
                }
            }
        }
        if input.uri.is_some_and(|u| u != c.uri) {
            return Err(AuthFailure::UriMismatch);
        }
        let secret = lookup(&c.username, &c.realm, &algorithm).ok_or(AuthFailure::UnknownUser)?;
        let ha1 = match secret {
            UserSecret::Password(p) => compute_ha1(&algorithm, &c.username, &c.realm, &p)
                .map_err(|e| AuthFailure::UnsupportedAlgorithm(e.0))?,
            UserSecret::Ha1(h) => h.to_ascii_lowercase(),
        };
        let expected = compute_response(
            &ha1,
            &ResponseInput {
                algorithm: &algorithm,
                nonce: &c.nonce,
                cnonce: c.cnonce.as_deref(),
                nc: c.nc,
                qop: c.qop.as_ref(),
                method: input.method,
                uri: &c.uri,
                body: input.body,
            },
        )
        .map_err(|_| AuthFailure::BadResponse)?;
        if !constant_time_eq(
            expected.as_bytes(),
            c.response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(AuthFailure::BadResponse);
        }
        // Only now: stale=true promises the client its credentials were
        // right (RFC 7616 §3.3).
        if now_unix > issued.saturating_add(self.nonce_lifetime) {
            return Err(AuthFailure::StaleNonce);
        }
        if let Some(nc) = c.nc {
            self.check_replay(now_unix, &c.nonce, issued, nc)?;
        }
        Ok(AuthOk {
            username: c.username.clone(),
            realm: c.realm.clone(),
            algorithm,
            qop: c.qop.clone(),
            nc: c.nc,
        })
    }

    fn check_replay(
        &mut self,
        now_unix: u64,
        nonce: &str,
        issued: u64,
        nc: u32,
    ) -> Result<(), AuthFailure> {
        if let Some(w) = self.replay.get_mut(nonce) {
            return if w.accept(nc) {
                Ok(())
            } else {
                Err(AuthFailure::Replay)
            };
        }
        if self.replay.len() >= REPLAY_PRUNE_AT {
            let lifetime = self.nonce_lifetime;
            self.replay
                .retain(|_, w| w.issued.saturating_add(lifetime) >= now_unix);
        }
        if self.replay.len() >= REPLAY_MAX {
            tracing::warn!("digest replay table full; nonce count not tracked");
            return Ok(());
        }
        self.replay.insert(
            nonce.to_owned(),
            ReplayWindow {
                issued,
                top: nc,
                seen: 1,
            },
        );
        Ok(())
    }

    /// Verifies the credentials a request carries for `realm` in
    /// `Authorization` (kind [`ChallengeKind::Www`]) or
    /// `Proxy-Authorization` ([`ChallengeKind::Proxy`]). The digest-uri must
    /// equal the Request-URI (as a string, or as a parsed URI).
    pub fn verify_request<F>(
        &mut self,
        now_unix: u64,
        request: &Request,
        realm: &str,
        kind: ChallengeKind,
        lookup: F,
    ) -> Result<AuthOk, AuthFailure>
    where
        F: FnOnce(&str, &str, &Algorithm) -> Option<UserSecret>,
    {
        let mut first_failure = None;
        let mut ours = None;
        for v in request.headers.get_all(&kind.credentials_header()) {
            match v.parse::<Credentials>() {
                Ok(Credentials::Digest(d)) if d.realm == realm => {
                    ours = Some(d);
                    break;
                }
                Ok(Credentials::Digest(d)) => {
                    first_failure.get_or_insert(AuthFailure::WrongRealm {
                        expected: realm.to_owned(),
                        got: d.realm,
                    });
                }
                Ok(Credentials::Other { scheme, .. }) => {
                    first_failure.get_or_insert(AuthFailure::OtherScheme(scheme));
                }
                Err(e) => {
                    first_failure.get_or_insert(AuthFailure::Malformed(e));
                }
            }
        }
        let Some(creds) = ours else {
            return Err(first_failure.unwrap_or(AuthFailure::Missing));
        };
        let request_uri = request.uri.to_string();
        if creds.uri != request_uri && creds.uri.parse::<Uri>().ok().as_ref() != Some(&request.uri)
        {
            return Err(AuthFailure::UriMismatch);
        }
        self.verify(
            now_unix,
            &creds,
            &VerifyInput {
                realm,
                method: request.method.as_str(),
                uri: None,
                body: &request.body,
            },
            lookup,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_window() {
        let mut w = ReplayWindow {
            issued: 0,
            top: 1,
            seen: 1,
        };
        assert!(!w.accept(1));
        assert!(w.accept(3));
        assert!(w.accept(2));
        assert!(!w.accept(2));
        assert!(w.accept(100));
        assert!(!w.accept(36));
        assert!(w.accept(37));
        assert!(!w.accept(37));
    }

    #[test]
    fn nonce_is_bound_to_secret_and_realm() {
        let mut s = DigestServer::new([1; 32]);
        let n = s.make_nonce(1_000, "a");
        assert_eq!(n.len(), 64);
        assert_eq!(s.check_nonce(&n, "a"), Some(1_000));
        assert_eq!(s.check_nonce(&n, "b"), None);
        assert_eq!(DigestServer::new([2; 32]).check_nonce(&n, "a"), None);
        assert_eq!(s.check_nonce("zz", "a"), None);
        let mut flipped = n.clone().into_bytes();
        flipped[3] = if flipped[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            s.check_nonce(std::str::from_utf8(&flipped).unwrap(), "a"),
            None
        );
        assert_ne!(s.make_nonce(1_000, "a"), n, "each nonce has its own salt");
    }
}
