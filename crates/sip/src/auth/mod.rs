//! Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760).
//!
//! - [`Challenge`] and [`Credentials`]: parsing and formatting of challenges
//!   (`WWW-Authenticate`, `Proxy-Authenticate`) and credentials
//!   (`Authorization`, `Proxy-Authorization`); other schemes are kept raw.
//! - [`compute_ha1`] / [`compute_response`]: the digest itself, for MD5,
//!   SHA-256 and SHA-512/256 and their `-sess` variants, qop `auth`,
//!   `auth-int` or none (RFC 2069 mode).
//! - [`DigestClient`] and [`authorize_request`]: answering a trunk's
//!   challenge, with a nonce count per realm.
//! - [`DigestServer`]: challenging requests with self-validating nonces
//!   and verifying credentials, with typed [`AuthFailure`]s.
//!
//! Everything is sans-IO: the server takes the current time as Unix
//! seconds, nothing here reads a clock.

mod client;
mod digest;
mod header;
mod server;

use std::fmt;

pub use client::{
    AuthorizeError, DigestClient, RespondError, authorize_request, best_challenges,
    response_challenges,
};
pub use digest::{
    ComputeError, ResponseInput, UnsupportedAlgorithm, compute_ha1, compute_response,
};
pub use header::{
    Algorithm, AuthHeaderError, AuthParam, Challenge, Credentials, DigestChallenge,
    DigestCredentials, Qop,
};
pub use server::{AuthFailure, AuthOk, DigestServer, UserSecret, VerifyInput};

use crate::message::{HeaderName, StatusCode};

/// A user name and password to answer challenges with. `Debug` does not
/// show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The authentication user name (often not the AOR's user part).
    pub username: String,
    /// The password.
    pub password: String,
}

impl Account {
    /// An account.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Which pair of headers a challenge uses: 401 with `WWW-Authenticate` /
/// `Authorization` (a UAS or registrar), or 407 with `Proxy-Authenticate` /
/// `Proxy-Authorization` (a proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeKind {
    /// 401 Unauthorized.
    Www,
    /// 407 Proxy Authentication Required.
    Proxy,
}

impl ChallengeKind {
    /// The kind a status code asks for (`None` unless 401 or 407).
    pub fn from_status(code: u16) -> Option<Self> {
        match code {
            401 => Some(ChallengeKind::Www),
            407 => Some(ChallengeKind::Proxy),
            _ => None,
        }
    }

    /// 401 or 407.
    pub fn status(self) -> StatusCode {
        let code = match self {
            ChallengeKind::Www => 401,
            ChallengeKind::Proxy => 407,
        };
        StatusCode::new(code).unwrap_or_else(|| unreachable!("401 and 407 are in range"))
    }

    /// `WWW-Authenticate` or `Proxy-Authenticate`.
    pub fn challenge_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::WwwAuthenticate,
            ChallengeKind::Proxy => HeaderName::ProxyAuthenticate,
        }
    }

    /// `Authorization` or `Proxy-Authorization`.
    pub fn credentials_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::Authorization,
            ChallengeKind::Proxy => HeaderName::ProxyAuthorization,
        }
    }
}
