//! Agents: the people who take and place calls from the browser.
//!
//! An [`Agent`] is a user name (also its SIP address-of-record and digest
//! user name), a password, a display name and, optionally, the trunk its
//! calls to phone numbers go out through. The [`AgentDirectory`] holds them
//! by user name with each one's [`Presence`]. Whether an agent is
//! registered is the registrar's business: callers pass it in, and
//! [`AgentDirectory::is_reachable`] combines the two.

use std::collections::HashMap;
use std::fmt;

use crate::{Destination, E164, E164Error};

/// One agent. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Agent {
    /// The user name: the AOR's user part and the digest user name.
    pub username: String,
    /// The name shown to callees and in the softphone.
    pub display_name: String,
    /// The password for digest authentication.
    pub password: String,
    /// The trunk the agent's calls to phone numbers leave through (`None`:
    /// the agent cannot call out).
    pub outbound_trunk: Option<String>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password", &"<redacted>")
            .field("outbound_trunk", &self.outbound_trunk)
            .finish()
    }
}

/// Why an agent's outbound call could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The dialled string is not a phone number.
    #[error("not a phone number: {0}")]
    NotANumber(#[from] E164Error),
    /// The agent has no outbound trunk.
    #[error("agent has no outbound trunk")]
    NoOutboundTrunk,
}

impl Agent {
    /// Where a call this agent dials to `dialled` (the request-URI user
    /// part, with or without `+`) goes: out through the agent's trunk.
    pub fn route_outbound(&self, dialled: &str) -> Result<Destination, OutboundError> {
        let to = E164::parse_lenient(dialled, false)?;
        let trunk = self
            .outbound_trunk
            .clone()
            .ok_or(OutboundError::NoOutboundTrunk)?;
        Ok(Destination::Forward { trunk, to })
    }
}

/// Whether an agent wants calls, as the agent (or a supervisor) set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Presence {
    /// Takes calls when registered (the default).
    #[default]
    Available,
    /// Takes no calls, registered or not.
    Unavailable,
}

/// No agent by that user name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no agent named {0:?}")]
pub struct UnknownAgent(pub String);

#[derive(Debug, Clone)]
struct Entry {
    agent: Agent,
    presence: Presence,
}

/// Every agent by user name, with its presence.
#[derive(Debug, Clone, Default)]
pub struct AgentDirectory {
    agents: HashMap<String, Entry>,
}

impl AgentDirectory {
    /// No agents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an agent, available; an agent of the same user name is replaced
    /// (keeping its presence) and returned.
    pub fn insert(&mut self, agent: Agent) -> Option<Agent> {
        match self.agents.get_mut(&agent.username) {
            Some(e) => Some(std::mem::replace(&mut e.agent, agent)),
            None => {
                self.agents.insert(
                    agent.username.clone(),
                    Entry {
                        agent,
                        presence: Presence::default(),
                    },
                );
                None
            }
        }
    }

    /// Removes an agent.
    pub fn remove(&mut self, username: &str) -> Option<Agent> {
        self.agents.remove(username).map(|e| e.agent)
    }

    /// The agent with this user name.
    pub fn get(&self, username: &str) -> Option<&Agent> {
        self.agents.get(username).map(|e| &e.agent)
    }

    /// Whether an agent has this user name.
    pub fn contains(&self, username: &str) -> bool {
        self.agents.contains_key(username)
    }

    /// Every agent, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Agent> + '_ {
        self.agents.values().map(|e| &e.agent)
    }

    /// How many agents.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether there is no agent.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// The agent's presence (`None` for an unknown agent).
    pub fn presence(&self, username: &str) -> Option<Presence> {
        self.agents.get(username).map(|e| e.presence)
    }

    /// Sets the agent's presence; returns the previous one.
    pub fn set_presence(
        &mut self,
        username: &str,
        presence: Presence,
    ) -> Result<Presence, UnknownAgent> {
        let e = self
            .agents
            .get_mut(username)
            .ok_or_else(|| UnknownAgent(username.to_owned()))?;
        Ok(std::mem::replace(&mut e.presence, presence))
    }

    /// Marks the agent available (`true`) or unavailable.
    pub fn set_available(&mut self, username: &str, available: bool) -> Result<(), UnknownAgent> {
        let presence = if available {
            Presence::Available
        } else {
            Presence::Unavailable
        };
        self.set_presence(username, presence).map(|_| ())
    }

    /// Whether a call may ring the agent: it exists, is `registered` (the
    /// caller asks the registrar) and is not marked unavailable.
    pub fn is_reachable(&self, username: &str, registered: bool) -> bool {
        registered && self.presence(username) == Some(Presence::Available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Agent {
        Agent {
            username: "alice".into(),
            display_name: "Alice".into(),
            password: "alice-secret".into(),
            outbound_trunk: Some("pstn".into()),
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let s = format!("{:?}", alice());
        assert!(!s.contains("alice-secret"), "{s}");
        assert!(s.contains("redacted"), "{s}");
    }

    #[test]
    fn replacing_keeps_presence() {
        let mut d = AgentDirectory::new();
        assert!(d.insert(alice()).is_none());
        d.set_available("alice", false).unwrap();
        let mut changed = alice();
        changed.display_name = "Alice B.".into();
        assert_eq!(
            d.insert(changed).map(|a| a.display_name),
            Some("Alice".into())
        );
        assert_eq!(d.presence("alice"), Some(Presence::Unavailable));
        assert_eq!(d.get("alice").unwrap().display_name, "Alice B.");
        assert_eq!(d.len(), 1);
        assert_eq!(d.remove("alice").map(|a| a.username), Some("alice".into()));
        assert!(d.is_empty());
    }
}
