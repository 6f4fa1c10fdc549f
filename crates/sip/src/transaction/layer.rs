//! The transaction layer of one endpoint: every transaction, message
//! matching, CANCEL handling and the 2xx/ACK exchange around RFC 6026.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tracing::{debug, trace};

use crate::message::{
    Header, HeaderName, Headers, Host, Message, Method, Param, Params, Request, Response,
    StatusCode,
};
use crate::transport::{Peer, TransportKind};

use super::util::{copy_headers, first_list_item, host_is_ip, param, raw_top_via, via_text};
use super::{
    Branch, ClientInvite, ClientInviteState, ClientNonInvite, ClientNonInviteState, RespondError,
    ServerInvite, ServerInviteState, ServerNonInvite, ServerNonInviteState, TimerConfig,
    TransactionKey, TransactionOutput,
};

/// Picks the sent-by of a request leaving over `transport` towards `dest`.
type SentByFn = dyn Fn(TransportKind, SocketAddr) -> Option<(Host, Option<u16>)> + Send + Sync;

/// The sent-by (host, optional port) the layer writes into the Via of the
/// requests it originates: a fixed entry per transport ([`LocalVia::with`]),
/// else a function of transport and destination ([`LocalVia::new`]), so that
/// a dual-stack host can pick its IPv4 or IPv6 address.
#[derive(Clone, Default)]
pub struct LocalVia {
    fixed: Vec<(TransportKind, Host, Option<u16>)>,
    func: Option<Arc<SentByFn>>,
}

impl LocalVia {
    /// Sent-by chosen per request by `f(transport, destination)`.
    pub fn new(
        f: impl Fn(TransportKind, SocketAddr) -> Option<(Host, Option<u16>)> + Send + Sync + 'static,
    ) -> Self {
        Self {
            fixed: Vec::new(),
            func: Some(Arc::new(f)),
        }
    }

    /// Nothing configured: requests must carry their own Via.
    pub fn none() -> Self {
        Self::default()
    }

    /// Sets a fixed sent-by for one transport (replacing an earlier one);
    /// fixed entries win over the function.
    pub fn with(mut self, transport: TransportKind, host: Host, port: Option<u16>) -> Self {
        self.fixed.retain(|(t, _, _)| *t != transport);
        self.fixed.push((transport, host, port));
        self
    }

    /// The sent-by for a request over `transport` to `dest`.
    pub fn sent_by(
        &self,
        transport: TransportKind,
        dest: SocketAddr,
    ) -> Option<(Host, Option<u16>)> {
        if let Some((_, h, p)) = self.fixed.iter().find(|(t, _, _)| *t == transport) {
            return Some((h.clone(), *p));
        }
        self.func.as_ref().and_then(|f| f(transport, dest))
    }
}

impl std::fmt::Debug for LocalVia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalVia")
            .field("fixed", &self.fixed)
            .field("func", &self.func.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// What the layer asks of its shell.
// Events carry a whole message; boxing them would cost an allocation per
// event for no gain (outputs are moved a few times, never stored in bulk).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerOutput {
    /// Send these bytes to `dest`. Retransmissions reuse the bytes
    /// serialised the first time.
    Transmit {
        /// The serialised message.
        bytes: Bytes,
        /// Where to send it.
        dest: Peer,
    },
    /// Something for the transaction user.
    Event(TuEvent),
}

/// What the layer tells the transaction user (the dialog layer / UA core).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TuEvent {
    /// A new server transaction: answer it with
    /// [`TransactionLayer::send_response`]. Retransmissions of the request
    /// are absorbed and never reported again. The top Via already carries
    /// `received`/`rport` (RFC 3261 §18.2.1, RFC 3581).
    Request {
        /// The server transaction.
        key: TransactionKey,
        /// The request.
        request: Request,
        /// Where it came from; responses go back there.
        source: Peer,
    },
    /// A client transaction got a provisional or final response. For an
    /// INVITE this includes every 2xx (retransmissions and forks with other
    /// To tags) while the transaction is `Accepted`: the TU acknowledges
    /// each with [`TransactionLayer::send_stateless`].
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
    },
    /// The ACK for a 2xx this layer sent on a server INVITE transaction
    /// (matched by Call-ID, CSeq number, From tag and To tag, since it has a
    /// branch of its own). It stopped the 2xx retransmissions. Only the first
    /// ACK is reported; later copies are absorbed until Timer L.
    Ack {
        /// The INVITE server transaction the ACK acknowledges.
        key: TransactionKey,
        /// The ACK.
        request: Request,
        /// Where it came from.
        source: Peer,
    },
    /// An ACK that matches no transaction (for example an ACK for a 2xx
    /// after Timer L): for the dialog layer.
    StrayAck {
        /// The ACK.
        request: Request,
        /// Where it came from.
        source: Peer,
    },
    /// A 2xx to an INVITE for which no client transaction exists any more:
    /// the UA re-sends its ACK.
    Stray2xx {
        /// The response.
        response: Response,
        /// Where it came from.
        source: Peer,
    },
    /// A CANCEL arrived for an INVITE server transaction still in
    /// `Proceeding`; the layer already answered the CANCEL with 200. The TU
    /// should now answer the INVITE with 487.
    Cancelled {
        /// The INVITE server transaction.
        invite: TransactionKey,
        /// The CANCEL server transaction (answered by the layer).
        cancel: TransactionKey,
    },
    /// The transaction failed for lack of an answer: Timer B or F (client),
    /// Timer H (no ACK for a 300-699), no ACK for a 2xx within 64*T1 (the TU
    /// should send BYE), or no final response within 64*T1 of a CANCEL.
    Timeout {
        /// The transaction.
        key: TransactionKey,
    },
    /// The transport reported a failure for this transaction's peer.
    TransportError {
        /// The transaction.
        key: TransactionKey,
    },
    /// The transaction ended and was removed. Also reported for a CANCEL
    /// key returned by [`TransactionLayer::send_cancel`] whose CANCEL was
    /// never sent because the INVITE got a final response first.
    Terminated {
        /// The transaction.
        key: TransactionKey,
    },
}

/// The state of one transaction, for inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionState {
    /// An INVITE client transaction.
    ClientInvite(ClientInviteState),
    /// A non-INVITE client transaction.
    ClientNonInvite(ClientNonInviteState),
    /// An INVITE server transaction.
    ServerInvite(ServerInviteState),
    /// A non-INVITE server transaction.
    ServerNonInvite(ServerNonInviteState),
}

/// Why [`TransactionLayer::send_request`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendRequestError {
    /// ACK is not sent through a transaction: the ACK for a non-2xx is built
    /// by the INVITE client transaction, the ACK for a 2xx goes through
    /// `send_stateless`.
    #[error("ACK is not sent through a client transaction")]
    AckNotAllowed,
    /// CANCEL is built by `send_cancel`.
    #[error("CANCEL is sent with send_cancel")]
    CancelNotAllowed,
    /// A mandatory header is missing.
    #[error("the request has no {0} header")]
    MissingHeader(&'static str),
    /// CSeq is missing or malformed.
    #[error("the request has no valid CSeq")]
    InvalidCSeq,
    /// The CSeq method differs from the request method.
    #[error("the CSeq method differs from the request method")]
    CSeqMethodMismatch,
    /// The top Via has no branch parameter.
    #[error("the top Via has no branch")]
    MissingBranch,
    /// No Via was given and no local sent-by is configured for the
    /// transport.
    #[error("no local Via sent-by configured for {0}")]
    NoLocalVia(TransportKind),
    /// A client transaction with the same branch and method exists.
    #[error("a client transaction with this branch and method exists")]
    DuplicateTransaction,
}

/// Why [`TransactionLayer::send_response`] refused a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendResponseError {
    /// No transaction with this key (it may have terminated).
    #[error("no such transaction")]
    UnknownTransaction,
    /// The key names a client transaction.
    #[error("responses are sent on server transactions only")]
    NotServerTransaction,
    /// A final response was already sent on this transaction.
    #[error("a final response was already sent on this transaction")]
    FinalAlreadySent,
}

/// Why [`TransactionLayer::send_cancel`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    /// No transaction with this key (it may have terminated).
    #[error("no such transaction")]
    UnknownTransaction,
    /// The key does not name an INVITE client transaction.
    #[error("only INVITE client transactions can be cancelled")]
    NotClientInvite,
    /// The INVITE already got a final response: nothing to cancel.
    #[error("the INVITE already got a final response")]
    FinalResponseReceived,
    /// A CANCEL was already requested for this INVITE.
    #[error("a CANCEL was already requested for this INVITE")]
    AlreadyCancelled,
}

/// Why [`TransactionLayer::send_stateless`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendStatelessError {
    /// The request has no Via and no local sent-by is configured for the
    /// transport.
    #[error("no local Via sent-by configured for {0}")]
    NoLocalVia(TransportKind),
}

type TxId = u64;

#[derive(Debug)]
#[allow(clippy::enum_variant_names)] // named after the four RFC machines
enum Machine {
    ClientInvite(ClientInvite),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

impl Machine {
    fn poll_output(&mut self) -> Option<TransactionOutput> {
        match self {
            Machine::ClientInvite(m) => m.poll_output(),
            Machine::ClientNonInvite(m) => m.poll_output(),
            Machine::ServerInvite(m) => m.poll_output(),
            Machine::ServerNonInvite(m) => m.poll_output(),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Machine::ClientInvite(m) => m.poll_timeout(),
            Machine::ClientNonInvite(m) => m.poll_timeout(),
            Machine::ServerInvite(m) => m.poll_timeout(),
            Machine::ServerNonInvite(m) => m.poll_timeout(),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Machine::ClientInvite(m) => m.handle_timeout(now),
            Machine::ClientNonInvite(m) => m.handle_timeout(now),
            Machine::ServerInvite(m) => m.handle_timeout(now),
            Machine::ServerNonInvite(m) => m.handle_timeout(now),
        }
    }

    fn handle_transport_error(&mut self) {
        match self {
            Machine::ClientInvite(m) => m.handle_transport_error(),
            Machine::ClientNonInvite(m) => m.handle_transport_error(),
            Machine::ServerInvite(m) => m.handle_transport_error(),
            Machine::ServerNonInvite(m) => m.handle_transport_error(),
        }
    }

    fn state(&self) -> TransactionState {
        match self {
            Machine::ClientInvite(m) => TransactionState::ClientInvite(m.state()),
            Machine::ClientNonInvite(m) => TransactionState::ClientNonInvite(m.state()),
            Machine::ServerInvite(m) => TransactionState::ServerInvite(m.state()),
            Machine::ServerNonInvite(m) => TransactionState::ServerNonInvite(m.state()),
        }
    }
}

/// The CANCEL of an INVITE client transaction.
#[derive(Debug)]
enum CancelState {
    None,
    /// Requested while in Calling: sent on the first provisional response.
    Pending(Box<(TransactionKey, Request)>),
    Sent,
}

/// What identifies the ACK for a 2xx (RFC 3261 §13.2.2.4, §17.1.1.3): it has
/// a branch of its own, so it is matched on the dialog and CSeq number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AckMatch {
    call_id: String,
    cseq: u32,
    from_tag: Option<String>,
    to_tag: Option<String>,
}

impl AckMatch {
    fn of(headers: &Headers) -> Option<Self> {
        Some(Self {
            call_id: headers.call_id()?.trim().to_owned(),
            cseq: headers.cseq()?.seq,
            from_tag: headers.from_tag(),
            to_tag: headers.to_tag(),
        })
    }
}

#[derive(Debug)]
struct Entry {
    key: TransactionKey,
    peer: Peer,
    machine: Machine,
    /// Answered by the layer itself (CANCEL): no TU events.
    internal: bool,
    /// The deadline currently queued in the timer heap.
    scheduled: Option<Instant>,
    /// Client INVITE: its CANCEL.
    cancel: CancelState,
    /// Server INVITE: what the ACK for its 2xx will carry (To tag filled
    /// when the 2xx is sent).
    ack_match: Option<AckMatch>,
    /// Server INVITE: whether `ack_match` is in the `accepted` index.
    ack_indexed: bool,
    /// Server INVITE: the To tag of the latest response the TU sent, reused
    /// in the 200 to a CANCEL (§9.2).
    to_tag: Option<String>,
}

impl Entry {
    fn new(key: TransactionKey, peer: Peer, machine: Machine) -> Self {
        Self {
            key,
            peer,
            machine,
            internal: false,
            scheduled: None,
            cancel: CancelState::None,
            ack_match: None,
            ack_indexed: false,
            to_tag: None,
        }
    }
}

/// The sans-IO transaction layer of one SIP endpoint.
///
/// Feed it every message received ([`handle_received`](Self::handle_received))
/// and the time ([`handle_timeout`](Self::handle_timeout)); send through it
/// ([`send_request`](Self::send_request), [`send_response`](Self::send_response),
/// [`send_cancel`](Self::send_cancel), [`send_stateless`](Self::send_stateless));
/// after each call drain [`poll_output`](Self::poll_output) and sleep until
/// [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct TransactionLayer {
    config: TimerConfig,
    local_via: LocalVia,
    next_id: TxId,
    entries: HashMap<TxId, Entry>,
    by_key: HashMap<TransactionKey, TxId>,
    /// Server INVITE transactions in `Accepted`, by what their ACK carries.
    accepted: HashMap<AckMatch, TxId>,
    /// Deadlines (lazily deleted: an item is live when its entry is
    /// scheduled at that instant).
    timers: BinaryHeap<Reverse<(Instant, TxId)>>,
    outputs: VecDeque<LayerOutput>,
}

impl TransactionLayer {
    /// A layer with these timer values, writing `local_via` into the Via of
    /// requests that come without one.
    pub fn new(config: TimerConfig, local_via: LocalVia) -> Self {
        Self {
            config,
            local_via,
            next_id: 0,
            entries: HashMap::new(),
            by_key: HashMap::new(),
            accepted: HashMap::new(),
            timers: BinaryHeap::new(),
            outputs: VecDeque::new(),
        }
    }

    /// The timer values.
    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// How many transactions are alive.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no transaction is alive.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The state of a transaction, `None` once it is gone.
    pub fn state(&self, key: &TransactionKey) -> Option<TransactionState> {
        let id = self.by_key.get(key)?;
        self.entries.get(id).map(|e| e.machine.state())
    }

    /// A Via header value for a request leaving towards `dest`, with a
    /// fresh branch and `rport`: `None` when no sent-by is configured.
    pub fn new_via(&self, dest: &Peer) -> Option<String> {
        let (host, port) = self.local_via.sent_by(dest.transport, dest.addr)?;
        Some(via_text(
            dest.transport,
            &host,
            port,
            Branch::generate().as_str(),
        ))
    }

    /// A message arrived from `from` (already parsed).
    pub fn handle_received(&mut self, now: Instant, msg: Message, from: Peer) {
        match msg {
            Message::Request(r) => self.on_request(now, r, from),
            Message::Response(r) => self.on_response(now, r, from),
        }
        self.tidy_timers();
    }

    /// Starts a client transaction for `request` towards `dest`.
    ///
    /// Without a Via the layer inserts `Via: SIP/2.0/<transport>
    /// <local sent-by>;branch=<new>;rport`; a Via given by the caller must
    /// carry a branch. Call-ID, From, To and a CSeq naming the request's
    /// method are required (the CANCEL and ACK the layer builds copy them).
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        dest: Peer,
    ) -> Result<TransactionKey, SendRequestError> {
        match request.method {
            Method::Ack => return Err(SendRequestError::AckNotAllowed),
            Method::Cancel => return Err(SendRequestError::CancelNotAllowed),
            _ => {}
        }
        for (name, label) in [
            (HeaderName::CallId, "Call-ID"),
            (HeaderName::From, "From"),
            (HeaderName::To, "To"),
        ] {
            if !request.headers.contains(&name) {
                return Err(SendRequestError::MissingHeader(label));
            }
        }
        let cseq = request
            .headers
            .cseq()
            .ok_or(SendRequestError::InvalidCSeq)?;
        if cseq.method != request.method {
            return Err(SendRequestError::CSeqMethodMismatch);
        }
        if !request.headers.contains(&HeaderName::Via) {
            let via = self
                .new_via(&dest)
                .ok_or(SendRequestError::NoLocalVia(dest.transport))?;
            request
                .headers
                .push_front(Header::new(HeaderName::Via, via));
        }
        let key = TransactionKey::for_outgoing_request(&request)
            .ok_or(SendRequestError::MissingBranch)?;
        if self.by_key.contains_key(&key) {
            return Err(SendRequestError::DuplicateTransaction);
        }
        self.start_client(now, request, dest, key.clone());
        self.tidy_timers();
        Ok(key)
    }

    /// Sends the TU's response on a server transaction. The response goes
    /// to the source of the request. A 2xx to an INVITE moves the
    /// transaction to `Accepted`: it is retransmitted over UDP until the ACK
    /// arrives ([`TuEvent::Ack`]) or 64*T1 passes ([`TuEvent::Timeout`]).
    pub fn send_response(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        response: Response,
    ) -> Result<(), SendResponseError> {
        let id = *self
            .by_key
            .get(key)
            .ok_or(SendResponseError::UnknownTransaction)?;
        let entry = self
            .entries
            .get_mut(&id)
            .ok_or(SendResponseError::UnknownTransaction)?;
        let result = match &mut entry.machine {
            Machine::ServerInvite(m) => {
                let r = m.send_response(now, &response);
                if r.is_ok() {
                    if let Some(tag) = response.headers.to_tag() {
                        entry.to_tag = Some(tag);
                    }
                    if response.status.is_success()
                        && let Some(mut am) = entry.ack_match.take()
                    {
                        am.to_tag = entry.to_tag.clone();
                        self.accepted.insert(am.clone(), id);
                        entry.ack_match = Some(am);
                        entry.ack_indexed = true;
                    }
                }
                r
            }
            Machine::ServerNonInvite(m) => m.send_response(now, &response),
            Machine::ClientInvite(_) | Machine::ClientNonInvite(_) => {
                return Err(SendResponseError::NotServerTransaction);
            }
        };
        match result {
            Ok(()) => {
                debug!(%key, status = %response.status, "response sent");
                self.drain(now, id);
                self.tidy_timers();
                Ok(())
            }
            Err(RespondError::FinalAlreadySent) => Err(SendResponseError::FinalAlreadySent),
        }
    }

    /// Cancels an INVITE client transaction (RFC 3261 §9.1). The CANCEL
    /// copies the INVITE's Request-URI, top Via (same branch), From, To,
    /// Call-ID, CSeq number and Route. It goes out at once if a provisional
    /// response arrived, else as soon as one does; if the INVITE gets a
    /// final response first, no CANCEL is sent and the returned key is
    /// reported [`TuEvent::Terminated`].
    pub fn send_cancel(
        &mut self,
        now: Instant,
        invite: &TransactionKey,
    ) -> Result<TransactionKey, CancelError> {
        let id = *self
            .by_key
            .get(invite)
            .ok_or(CancelError::UnknownTransaction)?;
        let entry = self
            .entries
            .get_mut(&id)
            .ok_or(CancelError::UnknownTransaction)?;
        let Machine::ClientInvite(ci) = &mut entry.machine else {
            return Err(CancelError::NotClientInvite);
        };
        if !matches!(entry.cancel, CancelState::None) {
            return Err(CancelError::AlreadyCancelled);
        }
        let cancel_key = invite.with_method(Method::Cancel);
        match ci.state() {
            ClientInviteState::Calling => {
                debug!(%invite, "CANCEL deferred until a provisional response");
                entry.cancel = CancelState::Pending(Box::new((
                    cancel_key.clone(),
                    build_cancel(ci.request()),
                )));
            }
            ClientInviteState::Proceeding => {
                let request = build_cancel(ci.request());
                ci.handle_cancel_sent(now);
                entry.cancel = CancelState::Sent;
                let peer = entry.peer;
                self.reschedule(id);
                self.start_client(now, request, peer, cancel_key.clone());
            }
            ClientInviteState::Completed
            | ClientInviteState::Accepted
            | ClientInviteState::Terminated => return Err(CancelError::FinalResponseReceived),
        }
        self.tidy_timers();
        Ok(cancel_key)
    }

    /// Sends a message outside any transaction: the ACK for a 2xx, a
    /// stateless response. A request without Via gets one with a fresh
    /// branch.
    pub fn send_stateless(
        &mut self,
        msg: impl Into<Message>,
        dest: Peer,
    ) -> Result<(), SendStatelessError> {
        let mut msg = msg.into();
        if let Message::Request(r) = &mut msg
            && !r.headers.contains(&HeaderName::Via)
        {
            let via = self
                .new_via(&dest)
                .ok_or(SendStatelessError::NoLocalVia(dest.transport))?;
            r.headers.push_front(Header::new(HeaderName::Via, via));
        }
        self.outputs.push_back(LayerOutput::Transmit {
            bytes: msg.to_bytes(),
            dest,
        });
        Ok(())
    }

    /// The transport could not reach `peer` (ICMP error, connection refused
    /// or closed): every transaction with that peer fails with
    /// [`TuEvent::TransportError`]. A peer without connection id matches
    /// every connection to that address.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        let ids: Vec<TxId> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                e.peer.transport == peer.transport
                    && e.peer.addr == peer.addr
                    && (peer.conn.is_none() || e.peer.conn.is_none() || e.peer.conn == peer.conn)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(e) = self.entries.get_mut(&id) {
                e.machine.handle_transport_error();
            }
            self.drain(now, id);
        }
        self.tidy_timers();
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = Vec::new();
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            due.push((at, id));
        }
        for (at, id) in due {
            let Some(e) = self.entries.get_mut(&id) else {
                continue;
            };
            if e.scheduled != Some(at) {
                continue;
            }
            e.scheduled = None;
            e.machine.handle_timeout(now);
            self.drain(now, id);
        }
        self.tidy_timers();
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<LayerOutput> {
        self.outputs.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    // ---- receiving ------------------------------------------------------

    fn on_request(&mut self, now: Instant, mut req: Request, source: Peer) {
        let Some(cseq) = req.headers.cseq() else {
            trace!("request without a valid CSeq dropped");
            return;
        };
        if cseq.method != req.method {
            trace!("request with CSeq method mismatch dropped");
            return;
        }
        if req.headers.call_id().is_none()
            || !req.headers.contains(&HeaderName::From)
            || !req.headers.contains(&HeaderName::To)
        {
            // RFC 3261 §8.1.1 makes them mandatory and RFC 4475 §3.3.1 asks
            // for a 400 when one can be sent: answer statelessly (no
            // transaction can be keyed without them), never an ACK.
            if req.method != Method::Ack && req.headers.contains(&HeaderName::Via) {
                let mut resp = Response::for_request(&req, StatusCode::BAD_REQUEST_400, None);
                resp.reason = "Missing Call-ID, From or To".to_owned();
                debug!("request without Call-ID, From or To: 400");
                self.outputs.push_back(LayerOutput::Transmit {
                    bytes: resp.to_bytes(),
                    dest: source,
                });
            }
            return;
        }
        stamp_via(&mut req.headers, source);
        let Some(key) = TransactionKey::for_request(&req) else {
            trace!("request without a usable top Via dropped");
            return;
        };
        match req.method {
            Method::Ack => self.on_ack(now, req, key, source),
            Method::Cancel => self.on_cancel(now, req, key, source),
            _ => {
                if let Some(&id) = self.by_key.get(&key) {
                    trace!(%key, "request retransmission");
                    if let Some(e) = self.entries.get_mut(&id) {
                        match &mut e.machine {
                            Machine::ServerInvite(m) => m.handle_retransmission(now),
                            Machine::ServerNonInvite(m) => m.handle_retransmission(now),
                            Machine::ClientInvite(_) | Machine::ClientNonInvite(_) => {}
                        }
                    }
                    self.drain(now, id);
                    return;
                }
                let reliable = source.transport.is_reliable();
                let mut entry = if req.method == Method::Invite {
                    let m = ServerInvite::new(now, &req, reliable, &self.config);
                    let mut e = Entry::new(key.clone(), source, Machine::ServerInvite(m));
                    e.ack_match = AckMatch::of(&req.headers);
                    e
                } else {
                    let m = ServerNonInvite::new(now, &req, reliable, &self.config);
                    Entry::new(key.clone(), source, Machine::ServerNonInvite(m))
                };
                entry.internal = false;
                debug!(%key, "new server transaction");
                let id = self.insert(entry);
                self.outputs.push_back(LayerOutput::Event(TuEvent::Request {
                    key,
                    request: req,
                    source,
                }));
                self.drain(now, id);
            }
        }
    }

    fn on_ack(&mut self, now: Instant, ack: Request, key: TransactionKey, source: Peer) {
        // Same branch as the INVITE: the ACK for a 300-699 (or an RFC 2543
        // peer, whose ACK carries the To tag the INVITE lacked).
        let by_key = self.by_key.get(&key).copied().or_else(|| {
            key.without_to_tag()
                .and_then(|k| self.by_key.get(&k).copied())
        });
        // Own branch: the ACK for a 2xx.
        let id = by_key
            .or_else(|| AckMatch::of(&ack.headers).and_then(|am| self.accepted.get(&am).copied()));
        let Some(id) = id else {
            trace!("stray ACK");
            self.outputs
                .push_back(LayerOutput::Event(TuEvent::StrayAck {
                    request: ack,
                    source,
                }));
            return;
        };
        if let Some(e) = self.entries.get_mut(&id)
            && let Machine::ServerInvite(m) = &mut e.machine
        {
            m.handle_ack(now, ack);
        }
        self.drain(now, id);
    }

    fn on_cancel(&mut self, now: Instant, cancel: Request, key: TransactionKey, source: Peer) {
        if let Some(&id) = self.by_key.get(&key) {
            if let Some(e) = self.entries.get_mut(&id)
                && let Machine::ServerNonInvite(m) = &mut e.machine
            {
                m.handle_retransmission(now);
            }
            self.drain(now, id);
            return;
        }
        let invite_key = key.with_method(Method::Invite);
        let invite = self
            .by_key
            .get(&invite_key)
            .and_then(|id| self.entries.get(id))
            .and_then(|e| match &e.machine {
                Machine::ServerInvite(m) => Some((m.state(), e.to_tag.clone())),
                _ => None,
            });
        let (code, cancelled, to_tag) = match invite {
            None => (481, false, None),
            Some((state, tag)) => (200, state == ServerInviteState::Proceeding, tag),
        };
        let to_tag = to_tag.unwrap_or_else(new_tag);
        let reliable = source.transport.is_reliable();
        let m = ServerNonInvite::new(now, &cancel, reliable, &self.config);
        let mut entry = Entry::new(key.clone(), source, Machine::ServerNonInvite(m));
        entry.internal = true;
        let id = self.insert(entry);
        if let Some(status) = StatusCode::new(code) {
            let response = Response::for_request(&cancel, status, Some(&to_tag));
            if let Some(e) = self.entries.get_mut(&id)
                && let Machine::ServerNonInvite(m) = &mut e.machine
            {
                let _ = m.send_response(now, &response);
            }
        }
        debug!(%key, code, "CANCEL answered");
        self.drain(now, id);
        if cancelled {
            self.outputs
                .push_back(LayerOutput::Event(TuEvent::Cancelled {
                    invite: invite_key,
                    cancel: key,
                }));
        }
    }

    fn on_response(&mut self, now: Instant, resp: Response, source: Peer) {
        match resp.headers.vias() {
            Ok(v) if v.len() == 1 => {}
            _ => {
                trace!("response without exactly one valid Via dropped");
                return;
            }
        }
        let Some(key) = TransactionKey::for_response(&resp) else {
            trace!("response without branch or CSeq dropped");
            return;
        };
        if let Some(&id) = self.by_key.get(&key) {
            if let Some(e) = self.entries.get_mut(&id) {
                match &mut e.machine {
                    Machine::ClientInvite(m) => m.handle_response(now, resp),
                    Machine::ClientNonInvite(m) => m.handle_response(now, resp),
                    Machine::ServerInvite(_) | Machine::ServerNonInvite(_) => {}
                }
            }
            self.drain(now, id);
        } else if resp.status.is_success() && key.method() == &Method::Invite {
            trace!(%key, "2xx for a finished INVITE");
            self.outputs
                .push_back(LayerOutput::Event(TuEvent::Stray2xx {
                    response: resp,
                    source,
                }));
        } else {
            trace!(%key, "stray response dropped");
        }
    }

    // ---- bookkeeping ----------------------------------------------------

    fn insert(&mut self, entry: Entry) -> TxId {
        let id = self.next_id;
        self.next_id += 1;
        self.by_key.insert(entry.key.clone(), id);
        self.entries.insert(id, entry);
        id
    }

    fn start_client(&mut self, now: Instant, request: Request, dest: Peer, key: TransactionKey) {
        let reliable = dest.transport.is_reliable();
        let machine = if request.method == Method::Invite {
            Machine::ClientInvite(ClientInvite::new(now, request, reliable, &self.config))
        } else {
            Machine::ClientNonInvite(ClientNonInvite::new(now, &request, reliable, &self.config))
        };
        debug!(%key, "new client transaction");
        let id = self.insert(Entry::new(key, dest, machine));
        self.drain(now, id);
    }

    /// Moves a transaction's outputs to the layer's queue, sends or drops a
    /// pending CANCEL, removes the transaction when it terminated, and
    /// re-queues its timer.
    fn drain(&mut self, now: Instant, id: TxId) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        let mut terminated = false;
        while let Some(out) = entry.machine.poll_output() {
            let event = match out {
                TransactionOutput::Transmit(bytes) => {
                    self.outputs.push_back(LayerOutput::Transmit {
                        bytes,
                        dest: entry.peer,
                    });
                    continue;
                }
                TransactionOutput::Terminated => {
                    terminated = true;
                    continue;
                }
                TransactionOutput::Response(response) => TuEvent::Response {
                    key: entry.key.clone(),
                    response,
                },
                TransactionOutput::Ack(request) => TuEvent::Ack {
                    key: entry.key.clone(),
                    request,
                    source: entry.peer,
                },
                TransactionOutput::Timeout => TuEvent::Timeout {
                    key: entry.key.clone(),
                },
                TransactionOutput::TransportError => TuEvent::TransportError {
                    key: entry.key.clone(),
                },
            };
            if !entry.internal {
                self.outputs.push_back(LayerOutput::Event(event));
            }
        }

        // A CANCEL waiting for the first provisional response.
        let mut send_cancel = None;
        if let Machine::ClientInvite(ci) = &mut entry.machine
            && matches!(entry.cancel, CancelState::Pending(_))
        {
            match ci.state() {
                ClientInviteState::Calling => {}
                ClientInviteState::Proceeding => {
                    ci.handle_cancel_sent(now);
                    if let CancelState::Pending(pending) =
                        std::mem::replace(&mut entry.cancel, CancelState::Sent)
                    {
                        let (key, request) = *pending;
                        send_cancel = Some((key, request, entry.peer));
                    }
                }
                ClientInviteState::Completed
                | ClientInviteState::Accepted
                | ClientInviteState::Terminated => {
                    if let CancelState::Pending(pending) =
                        std::mem::replace(&mut entry.cancel, CancelState::None)
                    {
                        let key = pending.0;
                        debug!(%key, "final response before provisional: CANCEL not sent");
                        self.outputs
                            .push_back(LayerOutput::Event(TuEvent::Terminated { key }));
                    }
                }
            }
        }

        if terminated {
            self.remove(id);
        } else {
            self.reschedule(id);
        }
        if let Some((key, request, peer)) = send_cancel {
            debug!(%key, "deferred CANCEL sent");
            self.start_client(now, request, peer, key);
        }
    }

    fn remove(&mut self, id: TxId) {
        let Some(entry) = self.entries.remove(&id) else {
            return;
        };
        if self.by_key.get(&entry.key) == Some(&id) {
            self.by_key.remove(&entry.key);
        }
        if entry.ack_indexed
            && let Some(am) = &entry.ack_match
            && self.accepted.get(am) == Some(&id)
        {
            self.accepted.remove(am);
        }
        debug!(key = %entry.key, "transaction terminated");
        if !entry.internal {
            self.outputs
                .push_back(LayerOutput::Event(TuEvent::Terminated { key: entry.key }));
        }
    }

    fn reschedule(&mut self, id: TxId) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        let next = entry.machine.poll_timeout();
        if entry.scheduled != next {
            entry.scheduled = next;
            if let Some(at) = next {
                self.timers.push(Reverse((at, id)));
            }
        }
    }

    /// Drops stale items from the top of the timer heap so that
    /// `poll_timeout` is exact.
    fn tidy_timers(&mut self) {
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            let live = self
                .entries
                .get(&id)
                .is_some_and(|e| e.scheduled == Some(at));
            if live {
                break;
            }
            self.timers.pop();
        }
    }
}

/// A fresh To tag.
fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The CANCEL for an INVITE (RFC 3261 §9.1).
fn build_cancel(invite: &Request) -> Request {
    let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
    if let Some(via) = raw_top_via(&invite.headers) {
        cancel.headers.push_value(HeaderName::Via, via);
    }
    cancel.headers.push_value(HeaderName::MaxForwards, 70);
    copy_headers(&invite.headers, &mut cancel.headers, &HeaderName::From);
    copy_headers(&invite.headers, &mut cancel.headers, &HeaderName::To);
    copy_headers(&invite.headers, &mut cancel.headers, &HeaderName::CallId);
    let seq = invite.headers.cseq().map_or(1, |c| c.seq);
    cancel
        .headers
        .push_value(HeaderName::CSeq, format!("{seq} CANCEL"));
    copy_headers(&invite.headers, &mut cancel.headers, &HeaderName::Route);
    cancel
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: add `received` to the top Via when
/// the sent-by host is not the source address (or `rport` asks for it), and
/// fill an empty `rport` with the source port.
fn stamp_via(headers: &mut Headers, source: Peer) {
    let Some(mut via) = headers.top_via() else {
        return;
    };
    let ip = source.addr.ip();
    let rport_requested = param(&via.params, "rport") == Some(None);
    let mut changed = false;
    if !host_is_ip(&via.host, ip) || rport_requested {
        set_param(&mut via.params, "received", Some(ip.to_string()));
        changed = true;
    }
    if rport_requested {
        set_param(
            &mut via.params,
            "rport",
            Some(source.addr.port().to_string()),
        );
        changed = true;
    }
    if !changed {
        return;
    }
    let Some(line) = headers.get(&HeaderName::Via) else {
        return;
    };
    let rest = &line[first_list_item(line).len()..];
    let new_line = format!("{via}{rest}");
    let mut first = true;
    *headers = headers
        .iter()
        .map(|h| {
            if first && h.name == HeaderName::Via {
                first = false;
                Header {
                    name: HeaderName::Via,
                    value: new_line.clone(),
                }
            } else {
                h.clone()
            }
        })
        .collect();
}

fn set_param(params: &mut Params, name: &str, value: Option<String>) {
    match params
        .0
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        Some(p) => p.value = value,
        None => params.0.push(Param {
            name: name.to_owned(),
            value,
        }),
    }
}
