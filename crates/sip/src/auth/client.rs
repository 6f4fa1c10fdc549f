//! The client side: answering a challenge (UAC, RFC 3261 §22.2-22.3).

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::digest::{ComputeError, ResponseInput, compute_ha1, compute_response};
use super::header::{
    AuthHeaderError, Challenge, Credentials, DigestChallenge, DigestCredentials, Qop,
};
use super::{Account, ChallengeKind};
use crate::message::{Header, Request, Response};

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RespondError {
    /// The challenge's algorithm is unknown.
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The challenge offers qop values, none of them `auth` or `auth-int`.
    #[error("no supported qop among the offered ones")]
    UnsupportedQop,
    /// The user name contains control characters and cannot be sent.
    #[error("user name contains control characters")]
    InvalidUsername,
}

/// Why [`authorize_request`] could not add credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// The response is not a 401 or 407.
    #[error("status {0} is not an authentication challenge")]
    NotAChallenge(u16),
    /// The 401/407 carries no challenge header.
    #[error("no challenge in the response")]
    NoChallenge,
    /// Every challenge header failed to parse; the first error.
    #[error("malformed challenge: {0}")]
    Malformed(AuthHeaderError),
    /// Challenges are present but none is a Digest one Tandem supports.
    #[error("no supported digest challenge")]
    NoSupportedChallenge,
    /// The chosen challenge could not be answered.
    #[error(transparent)]
    Respond(#[from] RespondError),
}

/// Nonce-count state for one realm.
#[derive(Debug, Clone)]
struct NonceCount {
    nonce: String,
    nc: u32,
    /// For `-sess` algorithms the session key is computed once per nonce
    /// (RFC 2617 §3.2.2.2), so the first cnonce is kept.
    sess_cnonce: Option<String>,
}

/// How many realms' nonce counts are remembered.
const MAX_REALMS: usize = 32;

/// Answers digest challenges and keeps, per realm, the nonce count so that
/// reusing a nonce increments `nc` (RFC 7616 §3.4).
#[derive(Debug)]
pub struct DigestClient {
    counts: HashMap<String, NonceCount>,
    rng: StdRng,
}

impl Default for DigestClient {
    fn default() -> Self {
        Self::new()
    }
}

impl DigestClient {
    /// A client whose cnonces come from the operating system's generator.
    pub fn new() -> Self {
        Self {
            counts: HashMap::new(),
            rng: rand::make_rng(),
        }
    }

    /// A client with reproducible cnonces (tests, simulations).
    pub fn with_seed(seed: u64) -> Self {
        Self {
            counts: HashMap::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Answers `challenge` for a request with this method, digest-uri (the
    /// Request-URI as it will be sent) and body, with a fresh random cnonce.
    pub fn respond(
        &mut self,
        challenge: &DigestChallenge,
        account: &Account,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<DigestCredentials, RespondError> {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        let cnonce = hex::encode(bytes);
        self.respond_with_cnonce(challenge, account, method, uri, body, &cnonce)
    }

    /// As [`DigestClient::respond`] with a given cnonce (for published test
    /// vectors). With `-sess` algorithms the cnonce of the first answer to a
    /// nonce is kept for later answers to the same nonce.
    pub fn respond_with_cnonce(
        &mut self,
        challenge: &DigestChallenge,
        account: &Account,
        method: &str,
        uri: &str,
        body: &[u8],
        cnonce: &str,
    ) -> Result<DigestCredentials, RespondError> {
        if account.username.chars().any(char::is_control) {
            return Err(RespondError::InvalidUsername);
        }
        let algorithm = challenge.algorithm();
        if !algorithm.is_supported() {
            return Err(RespondError::UnsupportedAlgorithm(
                algorithm.as_str().to_owned(),
            ));
        }
        let qop = choose_qop(&challenge.qop)?;

        // Nonce count: per realm, reset when the nonce changes.
        if !self.counts.contains_key(&challenge.realm) && self.counts.len() >= MAX_REALMS {
            self.counts.clear();
        }
        let entry = self
            .counts
            .entry(challenge.realm.clone())
            .or_insert_with(|| NonceCount {
                nonce: String::new(),
                nc: 0,
                sess_cnonce: None,
            });
        if entry.nonce != challenge.nonce {
            *entry = NonceCount {
                nonce: challenge.nonce.clone(),
                nc: 0,
                sess_cnonce: None,
            };
        }
        entry.nc = entry.nc.wrapping_add(1).max(1);
        let cnonce = if algorithm.is_session() {
            entry
                .sess_cnonce
                .get_or_insert_with(|| cnonce.to_owned())
                .clone()
        } else {
            cnonce.to_owned()
        };
        let send_cnonce = qop.is_some() || algorithm.is_session();
        let nc = qop.as_ref().map(|_| entry.nc);

        let ha1 = compute_ha1(
            &algorithm,
            &account.username,
            &challenge.realm,
            &account.password,
        )
        .map_err(|e| RespondError::UnsupportedAlgorithm(e.0))?;
        let response = compute_response(
            &ha1,
            &ResponseInput {
                algorithm: &algorithm,
                nonce: &challenge.nonce,
                cnonce: send_cnonce.then_some(cnonce.as_str()),
                nc,
                qop: qop.as_ref(),
                method,
                uri,
                body,
            },
        )
        .map_err(|e| match e {
            ComputeError::Algorithm(a) => RespondError::UnsupportedAlgorithm(a.0),
            ComputeError::UnsupportedQop(_) | ComputeError::Missing(_) => {
                RespondError::UnsupportedQop
            }
        })?;
        Ok(DigestCredentials {
            username: account.username.clone(),
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            uri: uri.to_owned(),
            response,
            algorithm: challenge.algorithm.clone(),
            cnonce: send_cnonce.then_some(cnonce),
            opaque: challenge.opaque.clone(),
            qop,
            nc,
            other: Vec::new(),
        })
    }

    /// Forgets the nonce count of every realm.
    pub fn reset(&mut self) {
        self.counts.clear();
    }
}

/// `auth` when offered (it is what every registrar checks), else
/// `auth-int`; `None` for a challenge without qop (RFC 2069 mode).
fn choose_qop(offered: &[Qop]) -> Result<Option<Qop>, RespondError> {
    if offered.is_empty() {
        Ok(None)
    } else if offered.contains(&Qop::Auth) {
        Ok(Some(Qop::Auth))
    } else if offered.contains(&Qop::AuthInt) {
        Ok(Some(Qop::AuthInt))
    } else {
        Err(RespondError::UnsupportedQop)
    }
}

fn answerable(c: &DigestChallenge) -> bool {
    c.algorithm().is_supported()
        && (c.qop.is_empty() || c.qop.iter().any(|q| matches!(q, Qop::Auth | Qop::AuthInt)))
}

/// Picks, for each realm, the strongest supported Digest challenge (ties go
/// to the one listed first, which RFC 8760 §2.4 says is the server's
/// preference). Realms keep their order of first appearance.
pub fn best_challenges<'a>(
    challenges: impl IntoIterator<Item = &'a Challenge>,
) -> Vec<&'a DigestChallenge> {
    let mut best: Vec<&DigestChallenge> = Vec::new();
    for c in challenges.into_iter().filter_map(Challenge::as_digest) {
        if !answerable(c) {
            continue;
        }
        match best.iter_mut().find(|b| b.realm == c.realm) {
            Some(b) if c.algorithm().strength() > b.algorithm().strength() => *b = c,
            Some(_) => {}
            None => best.push(c),
        }
    }
    best
}

/// Every challenge of the kind the response's status calls for (401:
/// `WWW-Authenticate`, 407: `Proxy-Authenticate`). Lines that fail to parse
/// are returned as errors next to the good ones.
pub fn response_challenges(
    response: &Response,
) -> Option<(ChallengeKind, Vec<Result<Challenge, AuthHeaderError>>)> {
    let kind = ChallengeKind::from_status(response.status.as_u16())?;
    let mut out = Vec::new();
    for v in response.headers.get_all(&kind.challenge_header()) {
        match Challenge::parse_list(v) {
            Ok(list) => out.extend(list.into_iter().map(Ok)),
            Err(e) => out.push(Err(e)),
        }
    }
    Some((kind, out))
}

/// Adds to `request` the credentials answering `challenge` (a 401 adds
/// `Authorization`, a 407 `Proxy-Authorization`), one per challenged realm,
/// replacing earlier credentials for the same realm. The digest-uri is the
/// request's Request-URI; the body is used for `auth-int`.
///
/// The caller still has to make the retried request a new transaction:
/// increment CSeq and use a new Via branch (RFC 3261 §22.2).
pub fn authorize_request(
    request: &mut Request,
    challenge: &Response,
    account: &Account,
    client: &mut DigestClient,
) -> Result<ChallengeKind, AuthorizeError> {
    let (kind, parsed) = response_challenges(challenge)
        .ok_or(AuthorizeError::NotAChallenge(challenge.status.as_u16()))?;
    if parsed.is_empty() {
        return Err(AuthorizeError::NoChallenge);
    }
    let good: Vec<Challenge> = parsed
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let chosen = best_challenges(&good);
    if chosen.is_empty() {
        return Err(match parsed.into_iter().find_map(Result::err) {
            Some(e) if good.is_empty() => AuthorizeError::Malformed(e),
            _ => AuthorizeError::NoSupportedChallenge,
        });
    }
    let uri = request.uri.to_string();
    let method = request.method.as_str().to_owned();
    let mut answers = Vec::with_capacity(chosen.len());
    for c in chosen {
        answers.push(client.respond(c, account, &method, &uri, &request.body)?);
    }
    let header = kind.credentials_header();
    let replaced: Vec<&str> = answers.iter().map(|a| a.realm.as_str()).collect();
    request.headers = request
        .headers
        .iter()
        .filter(|h| {
            h.name != header
                || !matches!(
                    h.value.parse::<Credentials>(),
                    Ok(Credentials::Digest(d)) if replaced.contains(&d.realm.as_str())
                )
        })
        .cloned()
        .collect();
    for a in answers {
        request.headers.push(Header::new(header.clone(), a));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Algorithm;

    fn mufasa(password: &str) -> Account {
        Account::new("Mufasa", password)
    }

    #[test]
    fn nonce_count_increments_per_realm_and_resets_on_new_nonce() {
        let mut client = DigestClient::with_seed(7);
        let mut ch = DigestChallenge::new("r", "n1");
        ch.qop = vec![Qop::Auth];
        let acct = mufasa("p");
        let a = client
            .respond(&ch, &acct, "REGISTER", "sip:x", b"")
            .unwrap();
        let b = client
            .respond(&ch, &acct, "REGISTER", "sip:x", b"")
            .unwrap();
        assert_eq!((a.nc, b.nc), (Some(1), Some(2)));
        assert_ne!(a.cnonce, b.cnonce);
        let other_realm = DigestChallenge {
            realm: "q".into(),
            ..ch.clone()
        };
        let c = client
            .respond(&other_realm, &acct, "REGISTER", "sip:x", b"")
            .unwrap();
        assert_eq!(c.nc, Some(1));
        ch.nonce = "n2".into();
        let d = client
            .respond(&ch, &acct, "REGISTER", "sip:x", b"")
            .unwrap();
        assert_eq!(d.nc, Some(1));
    }

    #[test]
    fn sess_keeps_first_cnonce_for_a_nonce() {
        let mut client = DigestClient::with_seed(1);
        let mut ch = DigestChallenge::new("r", "n1");
        ch.qop = vec![Qop::Auth];
        ch.algorithm = Some(Algorithm::Md5Sess);
        let acct = mufasa("p");
        let a = client.respond(&ch, &acct, "INVITE", "sip:x", b"").unwrap();
        let b = client.respond(&ch, &acct, "INVITE", "sip:x", b"").unwrap();
        assert_eq!(a.cnonce, b.cnonce);
        assert_eq!(b.nc, Some(2));
    }

    #[test]
    fn rfc2069_mode_sends_no_cnonce_nor_nc() {
        let mut client = DigestClient::with_seed(1);
        let ch = DigestChallenge::new("testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093");
        let c = client
            .respond(
                &ch,
                &mufasa("Circle Of Life"),
                "GET",
                "/dir/index.html",
                b"",
            )
            .unwrap();
        assert_eq!((c.cnonce, c.nc, c.qop), (None, None, None));
        // H(HA1:nonce:HA2), computed independently with Python's hashlib.
        assert_eq!(c.response, "670fd8c2df070c60b045671b8b24ff02");
    }

    #[test]
    fn refuses_unknown_algorithm_qop_and_bad_username() {
        let mut client = DigestClient::with_seed(1);
        let mut ch = DigestChallenge::new("r", "n");
        ch.algorithm = Some(Algorithm::Other("AKAv1-MD5".into()));
        assert_eq!(
            client.respond(&ch, &mufasa("p"), "GET", "/", b""),
            Err(RespondError::UnsupportedAlgorithm("AKAv1-MD5".into()))
        );
        ch.algorithm = None;
        ch.qop = vec![Qop::Other("auth-conf".into())];
        assert_eq!(
            client.respond(&ch, &mufasa("p"), "GET", "/", b""),
            Err(RespondError::UnsupportedQop)
        );
        ch.qop.clear();
        assert_eq!(
            client.respond(&ch, &Account::new("a\r\nb", "p"), "GET", "/", b""),
            Err(RespondError::InvalidUsername)
        );
    }

    #[test]
    fn best_challenge_is_strongest_per_realm() {
        let list = Challenge::parse_list(
            "Digest realm=\"a\", nonce=\"1\", algorithm=MD5, \
             Digest realm=\"a\", nonce=\"2\", algorithm=SHA-256, \
             Digest realm=\"a\", nonce=\"3\", algorithm=SHA-256-sess, \
             Digest realm=\"a\", nonce=\"4\", algorithm=AKAv1-MD5, \
             Digest realm=\"b\", nonce=\"5\", qop=\"auth-conf\", \
             Digest realm=\"c\", nonce=\"6\"",
        )
        .unwrap();
        let best = best_challenges(&list);
        let nonces: Vec<&str> = best.iter().map(|c| c.nonce.as_str()).collect();
        assert_eq!(nonces, ["2", "6"]);
    }
}
