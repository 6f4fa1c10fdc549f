//! The INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2).

use std::time::Instant;

use bytes::Bytes;

use crate::message::{HeaderName, Method, Request, Response};

use super::util::{Backoff, Outputs, copy_headers, earliest, raw_top_via};
use super::{TimerConfig, TransactionOutput};

/// The state of a [`ClientInvite`], as reported by [`ClientInvite::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientInviteState {
    /// The INVITE was sent; no response yet (Timers A and B run).
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// A 300-699 arrived and was ACKed; absorbing its retransmissions (Timer D).
    Completed,
    /// A 2xx arrived (RFC 6026); further 2xx go to the TU (Timer M).
    Accepted,
    /// Done.
    Terminated,
}

#[derive(Debug, Clone)]
enum State {
    Calling {
        /// Timer A: retransmit the INVITE (unreliable transports only).
        timer_a: Option<Backoff>,
        /// Timer B: give up (64*T1).
        timer_b: Instant,
    },
    Proceeding {
        /// Not an RFC letter: 64*T1 after a CANCEL went out without a final
        /// response, the transaction is destroyed (RFC 3261 §9.1).
        cancel_guard: Option<Instant>,
    },
    Completed {
        /// Timer D: absorb retransmitted final responses.
        timer_d: Instant,
    },
    Accepted {
        /// Timer M (RFC 6026): keep passing 2xx retransmissions and forks up.
        timer_m: Instant,
    },
    Terminated,
}

/// An INVITE client transaction.
///
/// It sends the INVITE (retransmitting it over UDP with Timer A), passes
/// every provisional and 2xx response to the TU, and for a 300-699 response
/// builds and sends the ACK itself (same branch, §17.1.1.3). A 2xx moves it
/// to `Accepted` (RFC 6026), where every further 2xx (retransmissions and
/// forks) is passed up; the TU acknowledges 2xx responses itself.
#[derive(Debug, Clone)]
pub struct ClientInvite {
    state: State,
    config: TimerConfig,
    reliable: bool,
    request: Request,
    request_bytes: Bytes,
    ack_bytes: Option<Bytes>,
    outputs: Outputs,
}

impl ClientInvite {
    /// Starts the transaction at `now`: the INVITE is the first output.
    /// The request must be an INVITE with its top Via (and branch) in place.
    pub fn new(now: Instant, request: Request, reliable: bool, config: &TimerConfig) -> Self {
        debug_assert_eq!(request.method, Method::Invite);
        let request_bytes = request.to_bytes();
        let mut outputs = Outputs::new();
        outputs.push_back(TransactionOutput::Transmit(request_bytes.clone()));
        let timer_a = (!reliable).then(|| Backoff::start(now, config.t1, None));
        Self {
            state: State::Calling {
                timer_a,
                timer_b: now + config.t1_x64(),
            },
            config: *config,
            reliable,
            request,
            request_bytes,
            ack_bytes: None,
            outputs,
        }
    }

    /// The INVITE this transaction sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The current state.
    pub fn state(&self) -> ClientInviteState {
        match self.state {
            State::Calling { .. } => ClientInviteState::Calling,
            State::Proceeding { .. } => ClientInviteState::Proceeding,
            State::Completed { .. } => ClientInviteState::Completed,
            State::Accepted { .. } => ClientInviteState::Accepted,
            State::Terminated => ClientInviteState::Terminated,
        }
    }

    /// Feeds a response that matched this transaction.
    pub fn handle_response(&mut self, now: Instant, response: Response) {
        let status = response.status;
        match &self.state {
            State::Calling { .. } | State::Proceeding { .. } => {
                if status.is_provisional() {
                    if matches!(self.state, State::Calling { .. }) {
                        self.state = State::Proceeding { cancel_guard: None };
                    }
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                } else if status.is_success() {
                    self.state = State::Accepted {
                        timer_m: now + self.config.t1_x64(),
                    };
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                } else {
                    let ack = self.build_ack(&response).to_bytes();
                    self.outputs
                        .push_back(TransactionOutput::Transmit(ack.clone()));
                    self.ack_bytes = Some(ack);
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                    if self.reliable {
                        self.terminate();
                    } else {
                        self.state = State::Completed {
                            timer_d: now + self.config.timer_d(false),
                        };
                    }
                }
            }
            State::Completed { .. } => {
                // A retransmitted final response: ACK it again, tell nobody.
                if status.is_final()
                    && !status.is_success()
                    && let Some(ack) = &self.ack_bytes
                {
                    self.outputs
                        .push_back(TransactionOutput::Transmit(ack.clone()));
                }
            }
            State::Accepted { .. } => {
                // RFC 6026 §7.2: 2xx retransmissions and forks go up; anything
                // else is discarded.
                if status.is_success() {
                    self.outputs
                        .push_back(TransactionOutput::Response(response));
                }
            }
            State::Terminated => {}
        }
    }

    /// Tells the transaction a CANCEL for it was sent at `now`: if no final
    /// response arrives within 64*T1, it times out (RFC 3261 §9.1).
    pub fn handle_cancel_sent(&mut self, now: Instant) {
        if let State::Proceeding { cancel_guard } = &mut self.state
            && cancel_guard.is_none()
        {
            *cancel_guard = Some(now + self.config.t1_x64());
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
        match &mut self.state {
            State::Calling { timer_a, timer_b } => {
                if *timer_b <= now {
                    self.outputs.push_back(TransactionOutput::Timeout);
                    self.terminate();
                } else if let Some(a) = timer_a
                    && a.due(now)
                {
                    a.next(now);
                    self.outputs
                        .push_back(TransactionOutput::Transmit(self.request_bytes.clone()));
                }
            }
            State::Proceeding {
                cancel_guard: Some(at),
            } if *at <= now => {
                self.outputs.push_back(TransactionOutput::Timeout);
                self.terminate();
            }
            State::Completed { timer_d: at } | State::Accepted { timer_m: at } if *at <= now => {
                self.terminate();
            }
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
            State::Calling { timer_a, timer_b } => {
                earliest([timer_a.map(|a| a.at), Some(*timer_b)])
            }
            State::Proceeding { cancel_guard } => *cancel_guard,
            State::Completed { timer_d } => Some(*timer_d),
            State::Accepted { timer_m } => Some(*timer_m),
            State::Terminated => None,
        }
    }

    fn terminate(&mut self) {
        self.state = State::Terminated;
        self.outputs.push_back(TransactionOutput::Terminated);
    }

    /// The ACK for a 300-699 response (RFC 3261 §17.1.1.3): Request-URI,
    /// Call-ID, From, CSeq number and Route of the INVITE, its top Via only,
    /// the To of the response.
    fn build_ack(&self, response: &Response) -> Request {
        let inv = &self.request;
        let mut ack = Request::new(Method::Ack, inv.uri.clone());
        if let Some(via) = raw_top_via(&inv.headers) {
            ack.headers.push_value(HeaderName::Via, via);
        }
        ack.headers.push_value(HeaderName::MaxForwards, 70);
        copy_headers(&inv.headers, &mut ack.headers, &HeaderName::From);
        copy_headers(&response.headers, &mut ack.headers, &HeaderName::To);
        copy_headers(&inv.headers, &mut ack.headers, &HeaderName::CallId);
        let seq = inv.headers.cseq().map_or(1, |c| c.seq);
        ack.headers
            .push_value(HeaderName::CSeq, format!("{seq} ACK"));
        copy_headers(&inv.headers, &mut ack.headers, &HeaderName::Route);
        ack
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::message::Message;
    use crate::transaction::util::test_support::{request, response};

    fn drain(m: &mut ClientInvite) -> Vec<TransactionOutput> {
        std::iter::from_fn(|| m.poll_output()).collect()
    }

    #[test]
    fn timer_a_doubles_and_timer_b_ends_it() {
        let t0 = Instant::now();
        let cfg = TimerConfig::default();
        let mut m = ClientInvite::new(t0, request(Method::Invite, "z9hG4bKu1"), false, &cfg);
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
        let mut sends = Vec::new();
        while let Some(t) = m.poll_timeout() {
            m.handle_timeout(t);
            for o in drain(&mut m) {
                match o {
                    TransactionOutput::Transmit(_) => sends.push(t - t0),
                    TransactionOutput::Timeout => assert_eq!(t - t0, Duration::from_secs(32)),
                    _ => {}
                }
            }
        }
        let ms: Vec<u128> = sends.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(m.state(), ClientInviteState::Terminated);
    }

    #[test]
    fn non_2xx_is_acked_with_the_same_branch() {
        let t0 = Instant::now();
        let inv = request(Method::Invite, "z9hG4bKu2");
        let mut m = ClientInvite::new(t0, inv.clone(), false, &TimerConfig::default());
        drain(&mut m);
        m.handle_response(t0, response(&inv, 486));
        let out = drain(&mut m);
        let [
            TransactionOutput::Transmit(ack),
            TransactionOutput::Response(r),
        ] = &out[..]
        else {
            panic!("{out:?}");
        };
        assert_eq!(r.status.as_u16(), 486);
        let Ok(Message::Request(ack)) = Message::parse(ack) else {
            panic!("ack parses");
        };
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(ack.headers.top_via(), inv.headers.top_via());
        assert_eq!(ack.headers.to_tag().as_deref(), Some("b"));
        assert_eq!(m.state(), ClientInviteState::Completed);
        // A retransmitted 486: ACK again, nothing for the TU.
        m.handle_response(t0, response(&inv, 486));
        assert!(matches!(
            drain(&mut m)[..],
            [TransactionOutput::Transmit(_)]
        ));
        m.handle_timeout(t0 + Duration::from_secs(32));
        assert_eq!(drain(&mut m), vec![TransactionOutput::Terminated]);
    }

    #[test]
    fn accepted_passes_every_2xx_and_drops_the_rest() {
        let t0 = Instant::now();
        let inv = request(Method::Invite, "z9hG4bKu3");
        let mut m = ClientInvite::new(t0, inv.clone(), true, &TimerConfig::default());
        drain(&mut m);
        assert_eq!(
            m.poll_timeout(),
            Some(t0 + Duration::from_secs(32)),
            "no Timer A on TCP"
        );
        m.handle_response(t0, response(&inv, 200));
        m.handle_response(t0, response(&inv, 200));
        m.handle_response(t0, response(&inv, 486));
        m.handle_response(t0, response(&inv, 180));
        let n = drain(&mut m)
            .iter()
            .filter(|o| matches!(o, TransactionOutput::Response(_)))
            .count();
        assert_eq!(n, 2);
        assert_eq!(m.state(), ClientInviteState::Accepted);
    }
}
