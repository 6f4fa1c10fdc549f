//! UAS request checks (RFC 3261 §8.2). PLACEHOLDER: being written.

use super::Request;

/// What this element supports, for the checks.
#[derive(Debug, Clone, Default)]
pub struct UasPolicy {}

/// A request refused by the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Status code.
    pub status: u16,
}

/// Runs the checks.
pub fn check_request(_req: &Request, _policy: &UasPolicy) -> Result<(), Rejection> {
    todo!()
}
