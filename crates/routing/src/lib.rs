//! tandem-routing: pure call policy. No I/O, no clock of its own.
//!
//! It knows phone numbers ([`E164`]), where a call to one of our numbers goes
//! ([`NumberPlan`]: forward to a number on a trunk, or ring an agent) and the
//! agents themselves ([`agents`]: credentials, outbound trunk, presence).
//! Later issues add working hours, holidays, ring strategies and voicemail as
//! further [`Destination`] kinds and plan steps.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

pub mod agents;

pub use agents::{Agent, AgentDirectory, OutboundError, Presence, UnknownAgent};

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum E164Error {
    /// Nothing but separators.
    #[error("empty phone number")]
    Empty,
    /// A character that is neither a digit nor a visual separator.
    #[error("invalid character {0:?} in phone number")]
    InvalidChar(char),
    /// E.164 allows at most 15 digits.
    #[error("phone number has {0} digits; E.164 allows 1 to 15")]
    Length(usize),
    /// The leading `+` is required in configuration.
    #[error("phone number must start with '+' and the country code")]
    MissingPlus,
    /// A country code never starts with 0.
    #[error("country code cannot start with 0")]
    LeadingZero,
}

/// A phone number in E.164 form: `+` then 1 to 15 digits, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164(String);

impl E164 {
    /// Parses a number written for people or found in a SIP URI user part:
    /// visual separators (space, `-`, `.`, `(`, `)`) are dropped. With
    /// `require_plus` the leading `+` is mandatory (configuration); without
    /// it, a number of digits only is read as already international (what
    /// many carriers send in the request-URI).
    pub fn parse_lenient(s: &str, require_plus: bool) -> Result<Self, E164Error> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, s),
        };
        if require_plus && !plus {
            return Err(E164Error::MissingPlus);
        }
        let mut digits = String::with_capacity(16);
        digits.push('+');
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                other => return Err(E164Error::InvalidChar(other)),
            }
        }
        let n = digits.len() - 1;
        if n == 0 {
            return Err(E164Error::Empty);
        }
        if n > 15 {
            return Err(E164Error::Length(n));
        }
        if digits.as_bytes()[1] == b'0' {
            return Err(E164Error::LeadingZero);
        }
        Ok(Self(digits))
    }

    /// The number with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl FromStr for E164 {
    type Err = E164Error;
    /// Strict form, as configuration must write it: `+` required.
    fn from_str(s: &str) -> Result<Self, E164Error> {
        Self::parse_lenient(s, true)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a call to one of our numbers goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Out through a trunk to a phone number.
    Forward {
        /// The trunk's name.
        trunk: String,
        /// The number dialled on that trunk.
        to: E164,
    },
    /// Ring an agent: every registration of the agent in the browser.
    Agent {
        /// The agent's user name.
        agent: String,
    },
}

/// Why a call could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The dialled string is not a phone number.
    #[error("not a phone number: {0}")]
    NotANumber(#[from] E164Error),
    /// The number is not one of ours.
    #[error("number not served here")]
    UnknownNumber,
}

/// Our numbers and where each sends its calls.
#[derive(Debug, Clone, Default)]
pub struct NumberPlan {
    numbers: HashMap<E164, Destination>,
}

impl NumberPlan {
    /// An empty plan: every call is refused as unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a number. Returns the destination it replaced.
    pub fn insert(&mut self, number: E164, destination: Destination) -> Option<Destination> {
        self.numbers.insert(number, destination)
    }

    /// How many numbers the plan serves.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// Whether the plan serves no number.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// Routes a call dialled to `dialled` (the request-URI user part, with
    /// or without `+`).
    pub fn route(&self, dialled: &str) -> Result<&Destination, RouteError> {
        let number = E164::parse_lenient(dialled, false)?;
        self.numbers.get(&number).ok_or(RouteError::UnknownNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_forms() {
        assert_eq!(
            "+1 (555) 010-0".parse::<E164>().unwrap().as_str(),
            "+15550100"
        );
        assert_eq!(
            E164::parse_lenient("15550100", false).unwrap().as_str(),
            "+15550100"
        );
        assert_eq!("15550100".parse::<E164>(), Err(E164Error::MissingPlus));
        assert_eq!("+0123".parse::<E164>(), Err(E164Error::LeadingZero));
        assert_eq!("+".parse::<E164>(), Err(E164Error::Empty));
        assert_eq!(
            "+1234567890123456".parse::<E164>(),
            Err(E164Error::Length(16))
        );
        assert_eq!("+1555x".parse::<E164>(), Err(E164Error::InvalidChar('x')));
    }

    #[test]
    fn plan_routes_with_or_without_plus() {
        let mut plan = NumberPlan::new();
        let dest = Destination::Forward {
            trunk: "far".into(),
            to: "+15550199".parse().unwrap(),
        };
        plan.insert("+15550100".parse().unwrap(), dest.clone());
        assert_eq!(plan.route("+15550100"), Ok(&dest));
        assert_eq!(plan.route("15550100"), Ok(&dest));
        assert_eq!(plan.route("+15550101"), Err(RouteError::UnknownNumber));
        assert!(matches!(
            plan.route("alice"),
            Err(RouteError::NotANumber(_))
        ));
    }
}
