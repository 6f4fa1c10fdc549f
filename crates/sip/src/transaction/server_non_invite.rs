//! The non-INVITE server transaction (RFC 3261 §17.2.2).

use std::time::Instant;

use bytes::Bytes;

use crate::message::{Method, Request, Response};

use super::util::Outputs;
use super::{RespondError, TimerConfig, TransactionOutput};

/// The state of a [`ServerNonInvite`], as reported by
/// [`ServerNonInvite::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerNonInviteState {
    /// The request arrived; the TU has not answered.
    Trying,
    /// The TU sent a provisional response.
    Proceeding,
    /// The TU sent a final response; answering retransmissions with it
    /// (Timer J).
    Completed,
    /// Done.
    Terminated,
}

#[derive(Debug, Clone)]
enum State {
    Trying,
    Proceeding,
    Completed {
        /// Timer J: answer request retransmissions (64*T1; zero if reliable).
        timer_j: Instant,
    },
    Terminated,
}

/// A non-INVITE server transaction.
#[derive(Debug, Clone)]
pub struct ServerNonInvite {
    state: State,
    config: TimerConfig,
    reliable: bool,
    /// The most recent response sent, for retransmissions.
    last_response: Option<Bytes>,
    outputs: Outputs,
}

impl ServerNonInvite {
    /// Starts the transaction at `now` for a received non-INVITE request.
    pub fn new(_now: Instant, request: &Request, reliable: bool, config: &TimerConfig) -> Self {
        debug_assert!(!matches!(request.method, Method::Invite | Method::Ack));
        Self {
            state: State::Trying,
            config: *config,
            reliable,
            last_response: None,
            outputs: Outputs::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> ServerNonInviteState {
        match self.state {
            State::Trying => ServerNonInviteState::Trying,
            State::Proceeding => ServerNonInviteState::Proceeding,
            State::Completed { .. } => ServerNonInviteState::Completed,
            State::Terminated => ServerNonInviteState::Terminated,
        }
    }

    /// Sends a response from the TU.
    pub fn send_response(&mut self, now: Instant, response: &Response) -> Result<(), RespondError> {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Err(RespondError::FinalAlreadySent);
        }
        let bytes = response.to_bytes();
        self.outputs
            .push_back(TransactionOutput::Transmit(bytes.clone()));
        self.last_response = Some(bytes);
        if response.status.is_provisional() {
            self.state = State::Proceeding;
        } else if self.reliable {
            self.terminate();
        } else {
            self.state = State::Completed {
                timer_j: now + self.config.timer_j(false),
            };
        }
        Ok(())
    }

    /// A retransmission of the request arrived: absorbed in `Trying`,
    /// answered with the most recent response otherwise.
    pub fn handle_retransmission(&mut self, _now: Instant) {
        match self.state {
            State::Proceeding | State::Completed { .. } => {
                if let Some(b) = &self.last_response {
                    self.outputs
                        .push_back(TransactionOutput::Transmit(b.clone()));
                }
            }
            State::Trying | State::Terminated => {}
        }
    }

    /// The transport failed to deliver a response.
    pub fn handle_transport_error(&mut self) {
        if !matches!(self.state, State::Terminated) {
            self.outputs.push_back(TransactionOutput::TransportError);
            self.terminate();
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Completed { timer_j } = self.state
            && timer_j <= now
        {
            self.terminate();
        }
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Completed { timer_j } => Some(timer_j),
            _ => None,
        }
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.outputs.push_back(TransactionOutput::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::transaction::util::test_support::{request, response};

    fn drain(m: &mut ServerNonInvite) -> Vec<TransactionOutput> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn final_response_repeated_until_timer_j() {
        let t0 = Instant::now();
        let req = request(Method::Bye, "z9hG4bKn1");
        let mut m = ServerNonInvite::new(t0, &req, false, &TimerConfig::default());
        m.handle_retransmission(t0);
        assert!(drain(&mut m).is_empty(), "absorbed in Trying");
        m.send_response(t0, &response(&req, 200)).expect("200");
        drain(&mut m);
        m.handle_retransmission(t0 + Duration::from_secs(1));
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        m.handle_timeout(t0 + Duration::from_secs(32));
        assert_eq!(drain(&mut m), vec![TransactionOutput::Terminated]);
        assert_eq!(m.state(), ServerNonInviteState::Terminated);
    }
}
