//! The non-INVITE client transaction (RFC 3261 §17.1.2).

use std::time::Instant;

use bytes::Bytes;

use crate::message::{Method, Request, Response};

use super::util::{Backoff, Outputs, earliest};
use super::{TimerConfig, TransactionOutput};

/// The state of a [`ClientNonInvite`], as reported by
/// [`ClientNonInvite::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientNonInviteState {
    /// The request was sent; no response yet (Timers E and F run).
    Trying,
    /// A provisional response arrived (Timer E at T2, Timer F).
    Proceeding,
    /// A final response arrived; absorbing its retransmissions (Timer K).
    Completed,
    /// Done.
    Terminated,
}

#[derive(Debug, Clone)]
enum State {
    Trying {
        /// Timer E: retransmit, T1 doubling up to T2 (unreliable only).
        timer_e: Option<Backoff>,
        /// Timer F: give up (64*T1).
        timer_f: Instant,
    },
    Proceeding {
        /// Timer E: retransmit every T2 (unreliable only).
        timer_e: Option<Backoff>,
        /// Timer F: give up (64*T1).
        timer_f: Instant,
    },
    Completed {
        /// Timer K: absorb retransmitted responses (T4; zero if reliable).
        timer_k: Instant,
    },
    Terminated,
}

/// A non-INVITE client transaction (BYE, OPTIONS, REGISTER, CANCEL, ...).
#[derive(Debug, Clone)]
pub struct ClientNonInvite {
    state: State,
    config: TimerConfig,
    reliable: bool,
    request_bytes: Bytes,
    outputs: Outputs,
}

impl ClientNonInvite {
    /// Starts the transaction at `now`: the request is the first output.
    /// The request must not be an INVITE or ACK and must carry its top Via.
    pub fn new(now: Instant, request: &Request, reliable: bool, config: &TimerConfig) -> Self {
        debug_assert!(!matches!(request.method, Method::Invite | Method::Ack));
        let request_bytes = request.to_bytes();
        let mut outputs = Outputs::new();
        outputs.push_back(TransactionOutput::Transmit(request_bytes.clone()));
        let timer_e = (!reliable).then(|| Backoff::start(now, config.t1, Some(config.t2)));
        Self {
            state: State::Trying {
                timer_e,
                timer_f: now + config.t1_x64(),
            },
            config: *config,
            reliable,
            request_bytes,
            outputs,
        }
    }

    /// The current state.
    pub fn state(&self) -> ClientNonInviteState {
        match self.state {
            State::Trying { .. } => ClientNonInviteState::Trying,
            State::Proceeding { .. } => ClientNonInviteState::Proceeding,
            State::Completed { .. } => ClientNonInviteState::Completed,
            State::Terminated => ClientNonInviteState::Terminated,
        }
    }

    /// Feeds a response that matched this transaction.
    pub fn handle_response(&mut self, now: Instant, response: Response) {
        match &mut self.state {
            State::Trying { timer_e, timer_f } | State::Proceeding { timer_e, timer_f } => {
                if response.status.is_provisional() {
                    self.state = State::Proceeding {
                        timer_e: *timer_e,
                        timer_f: *timer_f,
                    };
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                } else {
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                    if self.reliable {
                        self.terminate();
                    } else {
                        self.state = State::Completed {
                            timer_k: now + self.config.timer_i_k(false),
                        };
                    }
                }
            }
            // Retransmitted responses are absorbed.
            State::Completed { .. } | State::Terminated => {}
        }
    }

    /// The transport failed to deliver the request.
    pub fn handle_transport_error(&mut self) {
        if !matches!(self.state, State::Terminated) {
            self.outputs.push_back(TransactionOutput::TransportError);
            self.terminate();
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let t2 = self.config.t2;
        match &mut self.state {
            State::Trying { timer_f, .. } | State::Proceeding { timer_f, .. }
                if *timer_f <= now =>
            {
                self.outputs.push_back(TransactionOutput::Timeout);
                self.terminate();
            }
            State::Trying {
                timer_e: Some(e), ..
            } if e.due(now) => {
                e.next(now);
                self.outputs
                    .push_back(TransactionOutput::Transmit(self.request_bytes.clone()));
            }
            State::Proceeding {
                timer_e: Some(e), ..
            } if e.due(now) => {
                // §17.1.2.2: in Proceeding, Timer E is reset to T2.
                e.interval = t2;
                e.at = now + t2;
                self.outputs
                    .push_back(TransactionOutput::Transmit(self.request_bytes.clone()));
            }
            State::Completed { timer_k } if *timer_k <= now => self.terminate(),
            _ => {}
        }
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Trying { timer_e, timer_f } | State::Proceeding { timer_e, timer_f } => {
                earliest([timer_e.map(|e| e.at), Some(*timer_f)])
            }
            State::Completed { timer_k } => Some(*timer_k),
            State::Terminated => None,
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

    fn drain(m: &mut ClientNonInvite) -> Vec<TransactionOutput> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn final_response_then_timer_k() {
        let t0 = Instant::now();
        let req = request(Method::Options, "z9hG4bKc1");
        let mut m = ClientNonInvite::new(t0, &req, false, &TimerConfig::default());
        drain(&mut m);
        m.handle_response(t0, response(&req, 200));
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Response(_)]
        ));
        m.handle_response(t0, response(&req, 200));
        assert!(drain(&mut m).is_empty(), "retransmission absorbed");
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(5)));
        m.handle_timeout(t0 + Duration::from_secs(5));
        assert_eq!(drain(&mut m), vec![TransactionOutput::Terminated]);
    }
}
