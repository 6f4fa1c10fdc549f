//! Outbound registration to a trunk provider (RFC 3261 §10.2), sans-IO.
//!
//! One [`Registration`] per trunk keeps one binding (fixed Call-ID and
//! From tag, increasing CSeq) alive: it sends REGISTER, answers digest
//! challenges, refreshes before expiry, backs off after failures and
//! honours `Retry-After` and `Min-Expires`. It emits REGISTER requests
//! without a Via: the transaction layer adds the Via, sends, retransmits,
//! and reports the final response ([`Registration::handle_response`]) or
//! the transaction's death ([`Registration::handle_failure`]).
//!
//! Drive it like every Tandem core: after any input, drain
//! [`Registration::poll_output`], then sleep until
//! [`Registration::poll_timeout`] and call [`Registration::handle_timeout`].

mod policy;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub use policy::{RefreshPolicy, RetryPolicy};

use crate::auth::{
    Account, ChallengeKind, DigestChallenge, DigestClient, best_challenges, response_challenges,
};
use crate::message::{Header, HeaderName, Host, Method, Request, Response, StatusCode, Uri};

/// How many challenges are answered in a row before giving up on an
/// attempt (a 407 then a 401 is two).
const MAX_AUTH_ROUNDS: u32 = 4;
/// The largest `Min-Expires` accepted from a 423 (one day).
const MAX_MIN_EXPIRES: u32 = 86_400;

/// What a registration needs to know.
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// The Request-URI: the registrar (`sip:sip.provider.example`).
    pub registrar: Uri,
    /// The address-of-record of the trunk account (To and From).
    pub aor: Uri,
    /// The Contact we ask to be reached at.
    pub contact: Uri,
    /// Credentials for digest challenges; `None` when the provider does not
    /// challenge (a challenge then fails the registration).
    pub account: Option<Account>,
    /// The interval requested, in seconds (default 3600).
    pub expires: u32,
    /// When to refresh.
    pub refresh: RefreshPolicy,
    /// How to retry after failures.
    pub retry: RetryPolicy,
    /// The Call-ID of the binding; random when `None`.
    pub call_id: Option<String>,
    /// The From tag; random when `None`.
    pub from_tag: Option<String>,
    /// A User-Agent header value, if any.
    pub user_agent: Option<String>,
    /// Seed for jitter, cnonces and generated identifiers (reproducible
    /// simulations); from the operating system when `None`.
    pub seed: Option<u64>,
}

impl RegistrationConfig {
    /// A configuration with the defaults: 3600 s, refresh at 50-60 %,
    /// retry 30 s doubling up to 10 min, no credentials.
    pub fn new(registrar: Uri, aor: Uri, contact: Uri) -> Self {
        Self {
            registrar,
            aor,
            contact,
            account: None,
            expires: 3600,
            refresh: RefreshPolicy::default(),
            retry: RetryPolicy::default(),
            call_id: None,
            from_tag: None,
            user_agent: None,
            seed: None,
        }
    }

    /// With credentials.
    pub fn with_account(mut self, account: Account) -> Self {
        self.account = Some(account);
        self
    }
}

/// Why the last attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The transaction timed out or the transport failed.
    Timeout,
    /// A final failure response (including a 423 without a usable
    /// Min-Expires).
    Rejected(StatusCode),
    /// A new challenge for a realm just answered, without `stale=true`:
    /// the credentials are wrong.
    CredentialsRejected {
        /// The realm.
        realm: String,
    },
    /// A challenge arrived but no credentials are configured.
    NoCredentials,
    /// Challenged with no Digest algorithm or qop Tandem supports.
    UnsupportedChallenge,
    /// A 2xx that did not keep our binding (expires 0).
    BindingNotKept,
}

/// Where the registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// No binding and nothing under way.
    Unregistered,
    /// A REGISTER is under way and there is no live binding.
    Registering,
    /// The binding is live until `expires_at`. Refreshes, and retries of
    /// failed refreshes, happen in this state while the binding lives.
    Registered {
        /// When the registrar will drop the binding unless refreshed.
        expires_at: Instant,
    },
    /// An unregistration (Expires: 0) is under way.
    Unregistering,
    /// No live binding; the next attempt is at `retry_at`.
    Failed {
        /// When the next REGISTER goes out.
        retry_at: Instant,
        /// Why the last attempt failed.
        reason: FailureReason,
    },
}

/// What the registration asks its shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationOutput {
    /// Send this REGISTER in a new client transaction (add the Via).
    Send(Request),
    /// The state changed to this.
    StateChanged(RegistrationState),
}

/// A challenge kept to authenticate later requests pre-emptively.
#[derive(Debug, Clone)]
struct StoredChallenge {
    kind: ChallengeKind,
    challenge: DigestChallenge,
    /// Already answered once. Credentials built from a challenge that was
    /// not yet used prove the password when refused again.
    used: bool,
}

/// The request in flight.
#[derive(Debug, Clone)]
struct Pending {
    cseq: u32,
    sent_at: Instant,
    unregister: bool,
    /// (kind, realm, built from a challenge not used before).
    answered: Vec<(ChallengeKind, String, bool)>,
}

/// One outbound registration (one binding at one registrar).
#[derive(Debug)]
pub struct Registration {
    cfg: RegistrationConfig,
    registrar: String,
    to: String,
    from: String,
    contact: String,
    call_id: String,
    cseq: u32,
    expires: u32,
    state: RegistrationState,
    outputs: VecDeque<RegistrationOutput>,
    pending: Option<Pending>,
    next_send: Option<Instant>,
    binding_expires: Option<Instant>,
    failures: u32,
    auth_rounds: u32,
    last_failure: Option<FailureReason>,
    challenges: Vec<StoredChallenge>,
    digest: DigestClient,
    rng: StdRng,
    active: bool,
}

impl Registration {
    /// Creates the registration and sends the first REGISTER at once.
    pub fn new(config: RegistrationConfig, now: Instant) -> Self {
        let mut rng: StdRng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => rand::make_rng(),
        };
        let digest = DigestClient::with_seed(rng.next_u64());
        let call_id = config
            .call_id
            .clone()
            .unwrap_or_else(|| random_hex(&mut rng, 16));
        let tag = config
            .from_tag
            .clone()
            .unwrap_or_else(|| random_hex(&mut rng, 8));
        let mut reg = Self {
            registrar: config.registrar.to_string(),
            to: format!("<{}>", config.aor),
            from: format!("<{}>;tag={tag}", config.aor),
            contact: format!("<{}>", config.contact),
            call_id,
            cseq: 0,
            expires: config.expires.max(1),
            state: RegistrationState::Unregistered,
            outputs: VecDeque::new(),
            pending: None,
            next_send: None,
            binding_expires: None,
            failures: 0,
            auth_rounds: 0,
            last_failure: None,
            challenges: Vec::new(),
            digest,
            rng,
            active: false,
            cfg: config,
        };
        reg.register(now);
        reg
    }

    /// The current state.
    pub fn state(&self) -> &RegistrationState {
        &self.state
    }

    /// Why the last attempt failed, if it did (also while the binding is
    /// still live and only a refresh failed).
    pub fn last_failure(&self) -> Option<&FailureReason> {
        self.last_failure.as_ref()
    }

    /// The Call-ID of the binding.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The interval currently requested (raised by a 423's Min-Expires).
    pub fn expires_requested(&self) -> u32 {
        self.expires
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<RegistrationOutput> {
        self.outputs.pop_front()
    }

    /// When [`Registration::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let send = if self.pending.is_none() {
            self.next_send
        } else {
            None
        };
        match (send, self.binding_expires) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// (Re)starts registering now: sends a REGISTER, abandoning any request
    /// in flight.
    pub fn register(&mut self, now: Instant) {
        self.active = true;
        self.failures = 0;
        self.next_send = None;
        self.auth_rounds = 0;
        self.send(now, false);
    }

    /// Removes the binding: sends REGISTER with Expires: 0, abandoning any
    /// request in flight, and stops refreshing. Ends in
    /// [`RegistrationState::Unregistered`] whatever the answer.
    pub fn unregister(&mut self, now: Instant) {
        self.active = false;
        self.next_send = None;
        // Asking for removal: the binding is no longer counted on.
        self.binding_expires = None;
        self.auth_rounds = 0;
        self.send(now, true);
    }

    /// Timers: refresh or retry time reached, binding expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.binding_expires.is_some_and(|t| t <= now) {
            self.binding_expires = None;
            tracing::debug!(call_id = %self.call_id, "registration binding expired");
            if self.pending.is_some() {
                self.set_state(RegistrationState::Registering);
            } else {
                let retry_at = self.next_send.unwrap_or(now);
                let reason = self.last_failure.clone().unwrap_or(FailureReason::Timeout);
                self.set_state(RegistrationState::Failed { retry_at, reason });
            }
        }
        if self.pending.is_none() && self.next_send.is_some_and(|t| t <= now) {
            self.next_send = None;
            self.auth_rounds = 0;
            self.send(now, false);
        }
    }

    /// The REGISTER transaction in flight timed out or its transport failed.
    pub fn handle_failure(&mut self, now: Instant) {
        if self.pending.take().is_some() {
            self.fail(now, FailureReason::Timeout, None);
        }
    }

    /// A response to a REGISTER. Responses that do not belong to the request
    /// in flight (other Call-ID or CSeq) and provisional ones are ignored.
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let Some(pending) = &self.pending else {
            return;
        };
        if response.status.is_provisional()
            || !cseq_matches(response, pending.cseq)
            || response.headers.call_id().map(str::trim) != Some(self.call_id.as_str())
        {
            return;
        }
        let Some(pending) = self.pending.take() else {
            return;
        };
        let code = response.status.as_u16();
        if response.status.is_success() {
            self.on_success(now, response, &pending);
        } else if let Some(kind) = ChallengeKind::from_status(code) {
            self.on_challenge(now, response, kind, &pending);
        } else if code == 423 {
            let min = response
                .headers
                .get(&HeaderName::MinExpires)
                .and_then(leading_u32);
            match min {
                Some(m) if m > self.expires && m <= MAX_MIN_EXPIRES && !pending.unregister => {
                    tracing::debug!(call_id = %self.call_id, min_expires = m, "423: raising Expires");
                    self.expires = m;
                    self.auth_rounds += 1;
                    self.send(now, false);
                }
                _ => self.fail(now, FailureReason::Rejected(response.status), None),
            }
        } else {
            let retry_after = response
                .headers
                .get(&HeaderName::RetryAfter)
                .and_then(leading_u32)
                .map(|s| Duration::from_secs(s.into()).min(self.cfg.retry.max_retry_after));
            self.fail(now, FailureReason::Rejected(response.status), retry_after);
        }
    }

    fn on_success(&mut self, now: Instant, response: &Response, pending: &Pending) {
        for c in &mut self.challenges {
            c.used = true;
        }
        if pending.unregister {
            self.binding_expires = None;
            self.last_failure = None;
            self.set_state(RegistrationState::Unregistered);
            return;
        }
        let granted = self.granted_expiry(response);
        if granted == 0 {
            self.fail(now, FailureReason::BindingNotKept, None);
            return;
        }
        let granted = Duration::from_secs(granted.into());
        let expires_at = pending.sent_at + granted;
        let refresh = self.cfg.refresh.delay(granted, &mut self.rng);
        self.binding_expires = Some(expires_at);
        self.next_send = Some(pending.sent_at + refresh);
        self.failures = 0;
        self.auth_rounds = 0;
        self.last_failure = None;
        self.set_state(RegistrationState::Registered { expires_at });
    }

    /// The interval granted: our Contact's `expires` parameter in the 2xx,
    /// else the Expires header, else what we asked (RFC 3261 §10.2.4).
    fn granted_expiry(&self, response: &Response) -> u32 {
        let from_contact = response.headers.contacts().ok().and_then(|list| {
            list.iter()
                .find(|c| same_contact(&c.uri, &self.cfg.contact))
                .and_then(|c| {
                    c.params
                        .0
                        .iter()
                        .find(|p| p.name.eq_ignore_ascii_case("expires"))
                        .and_then(|p| p.value.as_deref())
                        .and_then(leading_u32)
                })
        });
        from_contact
            .or_else(|| response.headers.expires())
            .unwrap_or(self.expires)
    }

    fn on_challenge(
        &mut self,
        now: Instant,
        response: &Response,
        kind: ChallengeKind,
        pending: &Pending,
    ) {
        let good: Vec<_> = response_challenges(response)
            .map(|(_, list)| list.into_iter().filter_map(Result::ok).collect())
            .unwrap_or_default();
        let chosen: Vec<DigestChallenge> = best_challenges(&good).into_iter().cloned().collect();
        if chosen.is_empty() {
            self.fail(now, FailureReason::UnsupportedChallenge, None);
            return;
        }
        if self.cfg.account.is_none() {
            self.fail(now, FailureReason::NoCredentials, None);
            return;
        }
        for c in &chosen {
            let proved = pending
                .answered
                .iter()
                .any(|(k, realm, fresh)| *k == kind && *realm == c.realm && *fresh);
            if proved && !c.stale {
                tracing::debug!(call_id = %self.call_id, realm = %c.realm, "credentials rejected");
                let realm = c.realm.clone();
                self.fail(now, FailureReason::CredentialsRejected { realm }, None);
                return;
            }
        }
        self.auth_rounds += 1;
        if self.auth_rounds > MAX_AUTH_ROUNDS {
            let realm = chosen.first().map(|c| c.realm.clone()).unwrap_or_default();
            self.fail(now, FailureReason::CredentialsRejected { realm }, None);
            return;
        }
        for c in chosen {
            self.challenges
                .retain(|s| !(s.kind == kind && s.challenge.realm == c.realm));
            self.challenges.push(StoredChallenge {
                kind,
                challenge: c,
                used: false,
            });
        }
        self.send(now, pending.unregister);
    }

    fn fail(&mut self, now: Instant, reason: FailureReason, retry_after: Option<Duration>) {
        self.last_failure = Some(reason.clone());
        if !self.active {
            // An unregistration is not retried: the binding will expire.
            self.binding_expires = None;
            self.next_send = None;
            self.set_state(RegistrationState::Unregistered);
            return;
        }
        self.failures = self.failures.saturating_add(1);
        let delay =
            retry_after.unwrap_or_else(|| self.cfg.retry.delay(self.failures, &mut self.rng));
        let retry_at = now + delay;
        self.next_send = Some(retry_at);
        tracing::debug!(call_id = %self.call_id, ?reason, ?delay, "registration attempt failed");
        if self.binding_expires.is_some_and(|t| t > now) {
            // The binding still lives: stay Registered, retry the refresh.
            return;
        }
        self.binding_expires = None;
        self.set_state(RegistrationState::Failed { retry_at, reason });
    }

    fn send(&mut self, now: Instant, unregister: bool) {
        self.cseq = self.cseq.wrapping_add(1) & 0x7fff_ffff;
        let mut req = Request::new(Method::Register, self.cfg.registrar.clone());
        let h = &mut req.headers;
        h.push_value(HeaderName::MaxForwards, 70);
        h.push_value(HeaderName::To, &self.to);
        h.push_value(HeaderName::From, &self.from);
        h.push_value(HeaderName::CallId, &self.call_id);
        h.push_value(HeaderName::CSeq, format!("{} REGISTER", self.cseq));
        h.push_value(HeaderName::Contact, &self.contact);
        h.push_value(
            HeaderName::Expires,
            if unregister { 0 } else { self.expires },
        );
        if let Some(ua) = &self.cfg.user_agent {
            h.push_value(HeaderName::UserAgent, ua);
        }
        let mut answered = Vec::new();
        if let Some(account) = &self.cfg.account {
            for stored in &mut self.challenges {
                match self.digest.respond(
                    &stored.challenge,
                    account,
                    "REGISTER",
                    &self.registrar,
                    b"",
                ) {
                    Ok(creds) => {
                        answered.push((stored.kind, stored.challenge.realm.clone(), !stored.used));
                        stored.used = true;
                        req.headers
                            .push(Header::new(stored.kind.credentials_header(), creds));
                    }
                    Err(e) => {
                        tracing::debug!(realm = %stored.challenge.realm, error = %e, "cannot answer stored challenge");
                    }
                }
            }
        }
        self.pending = Some(Pending {
            cseq: self.cseq,
            sent_at: now,
            unregister,
            answered,
        });
        self.outputs.push_back(RegistrationOutput::Send(req));
        if unregister {
            self.set_state(RegistrationState::Unregistering);
        } else if !matches!(self.state, RegistrationState::Registered { .. }) {
            self.set_state(RegistrationState::Registering);
        }
    }

    fn set_state(&mut self, state: RegistrationState) {
        if self.state != state {
            tracing::debug!(call_id = %self.call_id, ?state, "registration state");
            self.state = state.clone();
            self.outputs
                .push_back(RegistrationOutput::StateChanged(state));
        }
    }
}

fn random_hex(rng: &mut StdRng, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The leading decimal digits of a header value (`120 (maintenance)`,
/// `3600;duration=60`).
fn leading_u32(v: &str) -> Option<u32> {
    let v = v.trim_start();
    let end = v
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(v.len());
    v[..end].parse().ok()
}

/// The response's CSeq is `seq REGISTER`. Read from the raw value so that
/// only the number and method matter.
fn cseq_matches(response: &Response, seq: u32) -> bool {
    let Some(v) = response.headers.get(&HeaderName::CSeq) else {
        return false;
    };
    let mut it = v.split_whitespace();
    it.next().and_then(|n| n.parse::<u32>().ok()) == Some(seq) && it.next() == Some("REGISTER")
}

/// Whether a Contact URI in a 2xx is the one we registered: same scheme,
/// user, host (case-insensitive) and port (absent = the scheme's default);
/// URI parameters are not compared, registrars often rewrite them.
fn same_contact(got: &Uri, ours: &Uri) -> bool {
    match (got, ours) {
        (Uri::Sip(a), Uri::Sip(b)) => {
            let default = |secure: bool| if secure { 5061 } else { 5060 };
            let host_eq = match (&a.host, &b.host) {
                (Host::Domain(x), Host::Domain(y)) => x.eq_ignore_ascii_case(y),
                (x, y) => x == y,
            };
            a.secure == b.secure
                && a.user == b.user
                && host_eq
                && a.port.unwrap_or(default(a.secure)) == b.port.unwrap_or(default(b.secure))
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_digits() {
        assert_eq!(leading_u32("120 (maintenance)"), Some(120));
        assert_eq!(leading_u32(" 3600;duration=60"), Some(3600));
        assert_eq!(leading_u32("soon"), None);
        assert_eq!(leading_u32(""), None);
    }
}
