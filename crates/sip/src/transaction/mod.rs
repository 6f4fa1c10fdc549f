//! The RFC 3261 §17 transaction layer, sans-IO, with the RFC 6026 `Accepted`
//! states.
//!
//! Four machines, one type each, every one with a private state enum and its
//! timers named as the RFC names them:
//!
//! | type                 | states                                                  | timers        |
//! |----------------------|---------------------------------------------------------|---------------|
//! | [`ClientInvite`]     | Calling, Proceeding, Completed, Accepted, Terminated    | A, B, D, M    |
//! | [`ClientNonInvite`]  | Trying, Proceeding, Completed, Terminated               | E, F, K       |
//! | [`ServerInvite`]     | Proceeding, Completed, Confirmed, Accepted, Terminated  | G, H, I, L    |
//! | [`ServerNonInvite`]  | Trying, Proceeding, Completed, Terminated               | J             |
//!
//! [`TransactionLayer`] owns every transaction of one endpoint: it matches
//! incoming messages to transactions ([`TransactionKey`], RFC 3261 §17.1.3 and
//! §17.2.3, with the RFC 2543 fallback), answers CANCEL (§9.2), retransmits
//! 2xx responses to INVITE until the ACK arrives (§13.3.1.4) and reports
//! everything the transaction user needs as [`TuEvent`]s.
//!
//! Every machine and the layer use the same verbs: `handle_*(now, ..)`,
//! `handle_timeout(now)`, `poll_output()`, `poll_timeout()`. None of them reads
//! the clock or owns a socket. After any `handle_*` call, drain `poll_output()`
//! until it returns `None`, then sleep until `poll_timeout()`.
//!
//! Retransmissions happen over unreliable transports (UDP) only; over
//! reliable transports Timers A, E and G never run and Timers D, I, J and K
//! are zero (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2).

use std::time::Duration;

use bytes::Bytes;

use crate::message::{Request, Response};

mod client_invite;
mod client_non_invite;
#[doc(hidden)]
pub mod fuzzing;
mod key;
mod layer;
mod server_invite;
mod server_non_invite;
mod util;

pub use client_invite::{ClientInvite, ClientInviteState};
pub use client_non_invite::{ClientNonInvite, ClientNonInviteState};
#[doc(hidden)]
pub use fuzzing::fuzz_transaction;
pub use key::{Branch, TransactionKey};
pub use layer::{
    CancelError, LayerOutput, LocalVia, SendRequestError, SendResponseError, SendStatelessError,
    TransactionLayer, TransactionState, TuEvent,
};
pub use server_invite::{ServerInvite, ServerInviteState};
pub use server_non_invite::{ServerNonInvite, ServerNonInviteState};

/// The RFC 3261 timer base values (§17.1.1.1, Table 4 of Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip time estimate: 500 ms by default.
    pub t1: Duration,
    /// T2, the longest interval between retransmissions of non-INVITE
    /// requests and INVITE responses: 4 s by default.
    pub t2: Duration,
    /// T4, the longest time a message stays in the network: 5 s by default.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64*T1: Timers B, F, H, J (unreliable), L and M, and the wait for the
    /// ACK of a 2xx (§13.3.1.4).
    pub fn t1_x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D: at least 32 s over unreliable transports (we take the larger
    /// of 32 s and 64*T1, so that it still covers the server's Timer H when
    /// T1 is raised), zero over reliable ones.
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1_x64().max(Duration::from_secs(32))
        }
    }

    /// Timers I and K: T4 over unreliable transports, zero over reliable ones.
    pub fn timer_i_k(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t4 }
    }

    /// Timer J: 64*T1 over unreliable transports, zero over reliable ones.
    pub fn timer_j(&self, reliable: bool) -> Duration {
        if reliable {
            Duration::ZERO
        } else {
            self.t1_x64()
        }
    }
}

/// What a single transaction machine asks of its owner. The owner (usually
/// the [`TransactionLayer`]) knows the peer and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionOutput {
    /// Send these bytes to the transaction's peer. Retransmissions reuse the
    /// bytes serialised the first time.
    Transmit(Bytes),
    /// Client transactions: pass this response to the transaction user.
    Response(Response),
    /// Server INVITE transaction in `Accepted`: the ACK for the 2xx arrived;
    /// pass it to the transaction user (the dialog layer).
    Ack(Request),
    /// The transaction failed for lack of an answer: Timer B, F or H fired,
    /// no ACK came for a 2xx within 64*T1, or no final response came within
    /// 64*T1 of a CANCEL.
    Timeout,
    /// The transport reported a failure (see `handle_transport_error`).
    TransportError,
    /// The machine reached `Terminated`; it emits nothing after this.
    Terminated,
}

/// Why a server transaction refused a response from the transaction user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RespondError {
    /// A final response was already sent (or the transaction ended).
    #[error("a final response was already sent on this transaction")]
    FinalAlreadySent,
}
