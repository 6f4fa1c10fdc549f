//! The INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1), with the
//! UAS core's 2xx retransmission (RFC 3261 §13.3.1.4) folded into its
//! `Accepted` state.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::message::{HeaderName, Method, Request, Response, StatusCode};

use super::util::{Backoff, Outputs, copy_headers, earliest};
use super::{RespondError, TimerConfig, TransactionOutput};

/// How long the TU may take before the transaction sends 100 Trying itself
/// (RFC 3261 §17.2.1).
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

/// The state of a [`ServerInvite`], as reported by [`ServerInvite::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerInviteState {
    /// The INVITE arrived; no final response yet.
    Proceeding,
    /// A 300-699 was sent; waiting for the ACK (Timers G and H).
    Completed,
    /// The ACK for the 300-699 arrived; absorbing ACK retransmissions (Timer I).
    Confirmed,
    /// A 2xx was sent (RFC 6026): retransmitting it until the ACK arrives,
    /// absorbing INVITE retransmissions (Timer L).
    Accepted,
    /// Done.
    Terminated,
}

#[derive(Debug, Clone)]
enum State {
    Proceeding {
        /// Not an RFC letter: send 100 Trying when the TU is silent for 200 ms.
        trying_at: Option<Instant>,
    },
    Completed {
        /// Timer G: retransmit the final response, T1 doubling up to T2
        /// (unreliable only).
        timer_g: Option<Backoff>,
        /// Timer H: give up waiting for the ACK (64*T1).
        timer_h: Instant,
    },
    Confirmed {
        /// Timer I: absorb ACK retransmissions (T4; zero if reliable).
        timer_i: Instant,
    },
    Accepted {
        /// RFC 3261 §13.3.1.4: retransmit the 2xx, T1 doubling up to T2,
        /// until the ACK arrives (unreliable only).
        retransmit_2xx: Option<Backoff>,
        /// RFC 3261 §13.3.1.4: 64*T1 without ACK ends the wait with a
        /// timeout (the TU then sends BYE). `None` once the ACK arrived.
        ack_wait: Option<Instant>,
        /// Timer L (RFC 6026): leave `Accepted` (64*T1).
        timer_l: Instant,
    },
    Terminated,
}

/// An INVITE server transaction.
///
/// Created when an INVITE arrives; the TU answers with
/// [`send_response`](Self::send_response). A 2xx moves it to `Accepted`
/// (RFC 6026): it retransmits the 2xx over UDP until the ACK (which has its
/// own branch and is matched by the layer) is fed with
/// [`handle_ack`](Self::handle_ack).
#[derive(Debug, Clone)]
pub struct ServerInvite {
    state: State,
    config: TimerConfig,
    reliable: bool,
    /// The 100 Trying to send if the TU is slow; built on creation.
    trying: Option<Response>,
    /// The most recent response sent, for retransmissions.
    last_response: Option<Bytes>,
    outputs: Outputs,
}

impl ServerInvite {
    /// Starts the transaction at `now` for a received INVITE (with its top
    /// Via already carrying `received`/`rport`).
    pub fn new(now: Instant, request: &Request, reliable: bool, config: &TimerConfig) -> Self {
        debug_assert_eq!(request.method, Method::Invite);
        let trying = StatusCode::new(100).map(|code| {
            let mut trying = Response::for_request(request, code, None);
            // §8.2.6.1: a 100 copies the Timestamp header.
            copy_headers(
                &request.headers,
                &mut trying.headers,
                &HeaderName::Timestamp,
            );
            trying
        });
        Self {
            state: State::Proceeding {
                trying_at: Some(now + TRYING_DELAY),
            },
            config: *config,
            reliable,
            trying,
            last_response: None,
            outputs: Outputs::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> ServerInviteState {
        match self.state {
            State::Proceeding { .. } => ServerInviteState::Proceeding,
            State::Completed { .. } => ServerInviteState::Completed,
            State::Confirmed { .. } => ServerInviteState::Confirmed,
            State::Accepted { .. } => ServerInviteState::Accepted,
            State::Terminated => ServerInviteState::Terminated,
        }
    }

    /// Sends a response from the TU. A provisional keeps the transaction in
    /// `Proceeding`; a 2xx moves it to `Accepted`, a 300-699 to `Completed`.
    pub fn send_response(&mut self, now: Instant, response: &Response) -> Result<(), RespondError> {
        if !matches!(self.state, State::Proceeding { .. }) {
            return Err(RespondError::FinalAlreadySent);
        }
        let bytes = response.to_bytes();
        self.outputs
            .push_back(TransactionOutput::Transmit(bytes.clone()));
        self.last_response = Some(bytes);
        self.trying = None;
        let status = response.status;
        if status.is_provisional() {
            self.state = State::Proceeding { trying_at: None };
        } else if status.is_success() {
            let t1_64 = self.config.t1_x64();
            self.state = State::Accepted {
                retransmit_2xx: (!self.reliable)
                    .then(|| Backoff::start(now, self.config.t1, Some(self.config.t2))),
                ack_wait: Some(now + t1_64),
                timer_l: now + t1_64,
            };
        } else {
            self.state = State::Completed {
                timer_g: (!self.reliable)
                    .then(|| Backoff::start(now, self.config.t1, Some(self.config.t2))),
                timer_h: now + self.config.t1_x64(),
            };
        }
        Ok(())
    }

    /// A retransmission of the INVITE arrived: resend the most recent
    /// response (Proceeding, Completed); absorb it otherwise (RFC 6026 for
    /// `Accepted`).
    pub fn handle_retransmission(&mut self, _now: Instant) {
        match self.state {
            State::Proceeding { .. } | State::Completed { .. } => {
                if let Some(b) = &self.last_response {
                    self.outputs
                        .push_back(TransactionOutput::Transmit(b.clone()));
                }
            }
            State::Confirmed { .. } | State::Accepted { .. } | State::Terminated => {}
        }
    }

    /// An ACK arrived for this transaction: in `Completed` (ACK for a
    /// 300-699, same branch) it moves to `Confirmed`; in `Accepted` (ACK for
    /// the 2xx) the first one stops the 2xx retransmissions and is passed up
    /// as [`TransactionOutput::Ack`]; any other is absorbed.
    pub fn handle_ack(&mut self, now: Instant, ack: Request) {
        match &mut self.state {
            State::Completed { .. } => {
                if self.reliable {
                    self.terminate();
                } else {
                    self.state = State::Confirmed {
                        timer_i: now + self.config.timer_i_k(false),
                    };
                }
            }
            State::Accepted {
                retransmit_2xx,
                ack_wait,
                ..
            } => {
                if ack_wait.take().is_some() {
                    *retransmit_2xx = None;
                    self.outputs.push_back(TransactionOutput::Ack(ack));
                }
            }
            State::Proceeding { .. } | State::Confirmed { .. } | State::Terminated => {}
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
        match &mut self.state {
            State::Proceeding { trying_at } => {
                if trying_at.is_some_and(|t| t <= now) {
                    *trying_at = None;
                    if let Some(trying) = self.trying.take() {
                        let bytes = trying.to_bytes();
                        self.outputs
                            .push_back(TransactionOutput::Transmit(bytes.clone()));
                        self.last_response = Some(bytes);
                    }
                }
            }
            State::Completed { timer_g, timer_h } => {
                if *timer_h <= now {
                    self.outputs.push_back(TransactionOutput::Timeout);
                    self.terminate();
                } else if let Some(g) = timer_g
                    && g.due(now)
                {
                    g.next(now);
                    self.retransmit();
                }
            }
            State::Confirmed { timer_i } => {
                if *timer_i <= now {
                    self.terminate();
                }
            }
            State::Accepted {
                retransmit_2xx,
                ack_wait,
                timer_l,
            } => {
                let mut resend = false;
                if ack_wait.is_some_and(|t| t <= now) {
                    *ack_wait = None;
                    *retransmit_2xx = None;
                    self.outputs.push_back(TransactionOutput::Timeout);
                }
                if let Some(r) = retransmit_2xx
                    && r.due(now)
                {
                    r.next(now);
                    resend = true;
                }
                let end = *timer_l <= now;
                if resend {
                    self.retransmit();
                }
                if end {
                    self.terminate();
                }
            }
            State::Terminated => {}
        }
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<TransactionOutput> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Proceeding { trying_at } => *trying_at,
            State::Completed { timer_g, timer_h } => {
                earliest([timer_g.map(|g| g.at), Some(*timer_h)])
            }
            State::Confirmed { timer_i } => Some(*timer_i),
            State::Accepted {
                retransmit_2xx,
                ack_wait,
                timer_l,
            } => earliest([retransmit_2xx.map(|r| r.at), *ack_wait, Some(*timer_l)]),
            State::Terminated => None,
        }
    }

    fn retransmit(&mut self) {
        if let Some(b) = &self.last_response {
            self.outputs
                .push_back(TransactionOutput::Transmit(b.clone()));
        }
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.outputs.push_back(TransactionOutput::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::util::test_support::{request, response};

    fn drain(m: &mut ServerInvite) -> Vec<TransactionOutput> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn ack_in_accepted_stops_2xx_retransmission() {
        let t0 = Instant::now();
        let inv = request(Method::Invite, "z9hG4bKs1");
        let mut m = ServerInvite::new(t0, &inv, false, &TimerConfig::default());
        m.send_response(t0, &response(&inv, 200)).expect("2xx");
        assert_eq!(m.state(), ServerInviteState::Accepted);
        assert_eq!(
            m.send_response(t0, &response(&inv, 486)),
            Err(RespondError::FinalAlreadySent)
        );
        drain(&mut m);
        m.handle_timeout(t0 + Duration::from_millis(500));
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
        m.handle_retransmission(t0 + Duration::from_millis(600));
        assert!(drain(&mut m).is_empty(), "INVITE copies are absorbed");
        let ack = request(Method::Ack, "z9hG4bKother");
        m.handle_ack(t0 + Duration::from_millis(700), ack.clone());
        assert_eq!(drain(&mut m), vec![TransactionOutput::Ack(ack.clone())]);
        m.handle_ack(t0 + Duration::from_millis(800), ack);
        assert!(drain(&mut m).is_empty(), "a second ACK is absorbed");
        // Only Timer L is left.
        assert_eq!(m.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        m.handle_timeout(t0 + Duration::from_secs(32));
        assert_eq!(drain(&mut m), vec![TransactionOutput::Terminated]);
    }

    #[test]
    fn trying_is_sent_once_and_repeated_for_retransmissions() {
        let t0 = Instant::now();
        let inv = request(Method::Invite, "z9hG4bKs2");
        let mut m = ServerInvite::new(t0, &inv, false, &TimerConfig::default());
        m.handle_retransmission(t0 + Duration::from_millis(100));
        assert!(drain(&mut m).is_empty(), "nothing to repeat yet");
        assert_eq!(m.poll_timeout(), Some(t0 + TRYING_DELAY));
        m.handle_timeout(t0 + TRYING_DELAY);
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
        assert_eq!(m.poll_timeout(), None);
        m.handle_retransmission(t0 + Duration::from_millis(500));
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
    }
}
