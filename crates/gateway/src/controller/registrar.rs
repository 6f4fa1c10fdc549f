//! REGISTER from agents (browsers over WebSocket, or any SIP phone): digest
//! authentication against the configured agents, then the sans-IO
//! [`Registrar`] of tandem-sip keeps the bindings.
//!
//! The address-of-record is `sip:<username>@<anything>`: the To URI's user
//! part names the agent, and the digest user must be that same agent (an
//! agent cannot register bindings for another one: 403). Every REGISTER is
//! challenged before its AOR is looked at, so answers do not reveal which
//! agents exist.

use std::time::Instant;

use tandem_sip::auth::{ChallengeKind, UserSecret};
use tandem_sip::message::Request;
use tandem_sip::registrar::aor_user;
use tandem_sip::transaction::TransactionKey;
use tandem_sip::transport::Peer;
use tracing::{debug, info};

use super::Controller;
use super::call::{new_tag, now_unix};
use crate::logging::Pii;
use crate::media::MediaEngine;

/// The digest realm agents authenticate in.
pub const AGENT_REALM: &str = "tandem";

impl<M: MediaEngine> Controller<M> {
    /// A REGISTER outside a dialog.
    pub(super) fn handle_register(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        req: &Request,
        source: Peer,
    ) {
        // RFC 3261 10.3: the To URI is the address-of-record; it must be a
        // SIP URI naming an agent. A non-SIP AOR is a bad request.
        let Some(aor) = aor_user(req) else {
            self.respond(now, key, req, 400, Some("Bad Address-of-Record"));
            return;
        };
        // Authenticate first, whoever the AOR names, so that the answer does
        // not tell which agents exist: unknown users and wrong passwords get
        // the same challenge.
        let config = self.config.clone();
        let verdict = self.auth.verify_request(
            now_unix(),
            req,
            AGENT_REALM,
            ChallengeKind::Www,
            |user, _realm, _alg| {
                config
                    .agents
                    .get(user)
                    .map(|a| UserSecret::Password(a.password.clone()))
            },
        );
        let user = match verdict {
            Ok(ok) => ok.username,
            Err(failure) => {
                debug!(aor = %Pii(&aor), %failure, "challenging REGISTER");
                let resp = self.auth.challenge_response(
                    now_unix(),
                    req,
                    AGENT_REALM,
                    ChallengeKind::Www,
                    failure.is_stale(),
                    Some(&new_tag()),
                );
                self.send_response(now, key, resp);
                return;
            }
        };
        if user != aor || config.agents.get(&aor).is_none() {
            info!(aor = %Pii(&aor), user = %Pii(&user), "REGISTER for another agent refused");
            self.respond(now, key, req, 403, Some("Forbidden"));
            return;
        }
        let outcome = self.registrar.handle_register(now, &aor, req, source);
        match &outcome {
            Ok(r) => info!(
                agent = %aor,
                bindings = r.bindings.len(),
                added = r.added,
                refreshed = r.refreshed,
                removed = r.removed,
                "registration"
            ),
            Err(e) => info!(agent = %aor, error = %e, "registration refused"),
        }
        let resp = self.registrar.response_for(req, &outcome, now);
        self.send_response(now, key, resp);
    }

    /// Whether an agent can be rung now: registered and not marked unavailable.
    pub fn agent_reachable(&self, now: Instant, username: &str) -> bool {
        let registered = self.registrar.is_registered(now, username);
        self.config.agents.is_reachable(username, registered)
    }
}
