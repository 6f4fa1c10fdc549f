//! The call controller: a back-to-back user agent (B2BUA), sans-IO.
//!
//! It owns the SIP transaction layer and every call's state, and is driven
//! with the same verbs as the protocol cores: [`Controller::handle_message`],
//! [`Controller::handle_malformed`], [`Controller::handle_timeout`],
//! [`Controller::handle_media_timeout`], then [`Controller::poll_transmit`]
//! until it returns `None`, and [`Controller::poll_timeout`] for when to call
//! again. Media sessions are opened through the [`MediaEngine`] it is given,
//! so tests drive it with a fake engine in simulated time and the daemon with
//! the real relay.
//!
//! A call has two legs: A called us (we are its UAS), B is the leg we place
//! toward the destination trunk (we are its UAC). Provisional responses,
//! answer, failures, CANCEL, BYE and re-INVITEs are mapped across.

mod call;
mod registrar;
mod sdp;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tandem_sip::auth::DigestServer;
use tandem_sip::dialog::DialogId;
use tandem_sip::message::{
    HeaderName, Host, Message, Method, ParseError, Request, Response, StatusCode, UasPolicy,
    check_request,
};
use tandem_sip::register::{Registration, RegistrationOutput};
use tandem_sip::transaction::{
    LayerOutput, LocalVia, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use tandem_sip::transport::{Peer, TransportKind};
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::media::MediaEngine;
use call::{Call, CallNo};

/// Methods Tandem accepts outside a dialog today.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER";

/// Local addresses the controller writes into Via and Contact.
#[derive(Debug, Clone, Default)]
pub struct LocalAddrs {
    /// UDP sockets, v4 and/or v6.
    pub udp: Vec<SocketAddr>,
    /// TCP listeners.
    pub tcp: Vec<SocketAddr>,
    /// HTTP listeners that take SIP over WebSocket (RFC 7118).
    pub ws: Vec<SocketAddr>,
    /// Address to advertise instead of the bound one.
    pub advertised: Option<IpAddr>,
}

impl LocalAddrs {
    /// The address messages to `dest` over `transport` leave from: what our
    /// Via sent-by and Contact say. For WebSocket it is the HTTP listener the
    /// browser connected to (of the same address family if there are
    /// several); the browser routes nothing by it (RFC 7118 §5: requests and
    /// responses follow the connection).
    pub fn for_dest(&self, transport: TransportKind, dest: SocketAddr) -> Option<SocketAddr> {
        let list = match transport {
            TransportKind::Udp => &self.udp,
            TransportKind::Tcp => &self.tcp,
            TransportKind::Ws => &self.ws,
            TransportKind::Tls | TransportKind::Wss => return None,
        };
        let mut a = list
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == dest.is_ipv4())?;
        if let Some(ip) = self.advertised
            && ip.is_ipv4() == a.is_ipv4()
        {
            a.set_ip(ip);
        }
        Some(a)
    }
}

/// What a transaction we started is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The INVITE toward leg B.
    Invite,
    /// A BYE on a leg.
    Bye,
    /// A re-INVITE on a leg.
    ReInvite,
    /// Another in-dialog request relayed to a leg (INFO, ...).
    Relay,
    /// An outbound registration.
    Register(usize),
}

/// Counters for tests and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls accepted for routing.
    pub calls_started: u64,
    /// Calls answered end to end.
    pub calls_answered: u64,
    /// Calls that ended (any outcome).
    pub calls_ended: u64,
    /// Requests refused before routing (auth, checks, unknown number ...).
    pub rejected: u64,
}

/// The B2BUA.
pub struct Controller<M: MediaEngine> {
    config: Arc<Config>,
    layer: TransactionLayer,
    media: M,
    local: LocalAddrs,
    policy: UasPolicy,
    auth: DigestServer,
    /// Bindings of agents registered with us.
    registrar: tandem_sip::registrar::Registrar,
    calls: HashMap<CallNo, Call<M::Session>>,
    next_call: CallNo,
    /// Server INVITE transaction of leg A -> call.
    by_server_tx: HashMap<TransactionKey, CallNo>,
    /// Our client transactions -> (call, leg, purpose).
    by_client_tx: HashMap<TransactionKey, (CallNo, crate::media::Side, Purpose)>,
    /// Dialog id (from our side) -> (call, leg).
    by_dialog: HashMap<DialogId, (CallNo, crate::media::Side)>,
    registrations: Vec<(String, Registration)>,
    out: VecDeque<(Bytes, Peer)>,
    /// A call is out of `calls` while `with_call` works on it.
    in_call: bool,
    /// Layer events that arrived meanwhile.
    deferred: VecDeque<TuEvent>,
    draining: bool,
    stats: Stats,
}

impl<M: MediaEngine> std::fmt::Debug for Controller<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("calls", &self.calls.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl<M: MediaEngine> Controller<M> {
    /// A controller for `config`, sending from `local`, opening media with
    /// `media`. `now` starts outbound registrations.
    pub fn new(config: Arc<Config>, local: LocalAddrs, media: M, now: Instant) -> Self {
        let timers = TimerConfig {
            t1: config.sip.t1,
            t2: config.sip.t2,
            t4: config.sip.t4,
        };
        let via_local = local.clone();
        let layer = TransactionLayer::new(
            timers,
            LocalVia::new(move |transport, dest| {
                via_local
                    .for_dest(transport, dest)
                    .map(|a| (Host::from(a.ip()), Some(a.port())))
            }),
        );
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        let mut this = Self {
            config: config.clone(),
            layer,
            media,
            local,
            policy: {
                let mut p = UasPolicy::b2bua();
                if !p.allowed_methods.contains(&Method::Register) {
                    p.allowed_methods.push(Method::Register);
                }
                p
            },
            auth: DigestServer::new(secret),
            registrar: tandem_sip::registrar::Registrar::new(Default::default()),
            calls: HashMap::new(),
            next_call: CallNo(1),
            by_server_tx: HashMap::new(),
            by_client_tx: HashMap::new(),
            by_dialog: HashMap::new(),
            registrations: Vec::new(),
            out: VecDeque::new(),
            in_call: false,
            deferred: VecDeque::new(),
            draining: false,
            stats: Stats::default(),
        };
        this.start_registrations(now);
        this
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// A message arrived.
    pub fn handle_message(&mut self, now: Instant, message: Message, from: Peer) {
        self.layer.handle_received(now, message, from);
        self.drain_layer(now);
    }

    /// A message arrived that did not parse: answer it when the error says
    /// how (400, 505, 501 ...) and the headers to answer with were readable.
    pub fn handle_malformed(&mut self, now: Instant, error: &ParseError, from: Peer) {
        let (Some(status), Some(echo)) = (error.status, error.echo.as_ref()) else {
            debug!(peer = %crate::logging::Pii(from.addr), %error, "malformed message dropped");
            return;
        };
        let Some(status) = StatusCode::new(status) else {
            return;
        };
        let mut resp = Response::new(status);
        resp.reason = format!("{} ({})", status.default_reason(), error.kind);
        for h in echo {
            resp.headers.push(h.clone());
        }
        self.stats.rejected += 1;
        // Stateless: a malformed request never creates a transaction.
        if let Err(e) = self.layer.send_stateless(Message::Response(resp), from) {
            debug!(error = %e, "cannot answer malformed request");
        }
        self.drain_layer(now);
    }

    /// Time passed: fire due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.layer.handle_timeout(now);
        for aor in self.registrar.handle_timeout(now) {
            debug!(agent = %aor, "registration expired");
        }
        self.drain_layer(now);
        let due: Vec<CallNo> = self
            .calls
            .iter()
            .filter(|(_, c)| c.poll_timeout().is_some_and(|t| t <= now))
            .map(|(n, _)| *n)
            .collect();
        for no in due {
            self.with_call(now, no, |ctl, call, now| call.handle_timeout(ctl, now));
        }
        for i in 0..self.registrations.len() {
            if self.registrations[i]
                .1
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.registrations[i].1.handle_timeout(now);
            }
        }
        self.drain_registrations(now);
        self.drain_layer(now);
    }

    /// The transport to `peer` failed (connection refused or closed).
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        // Bindings reached over a connection die with it (connection ids are
        // unique across transports).
        if let Some(conn) = peer.conn {
            for aor in self.registrar.remove_flow(conn) {
                info!(agent = %aor, "registration dropped: its connection closed");
            }
        }
        self.layer.handle_transport_error(now, peer);
        self.drain_layer(now);
    }

    /// Whether any SIP transaction is still running.
    pub fn has_pending_transactions(&self) -> bool {
        !self.layer.is_empty()
    }

    /// The media of a call saw nothing for too long: end the call.
    pub fn handle_media_timeout(&mut self, now: Instant, call: u64) {
        let no = CallNo(call);
        self.with_call(now, no, |ctl, call, now| {
            call.hang_up(ctl, now, "media timeout");
        });
    }

    /// Stop taking calls and end the ones in progress (BYE or CANCEL).
    pub fn shutdown(&mut self, now: Instant) {
        self.draining = true;
        for i in 0..self.registrations.len() {
            self.registrations[i].1.unregister(now);
        }
        self.drain_registrations(now);
        let nos: Vec<CallNo> = self.calls.keys().copied().collect();
        for no in nos {
            self.with_call(now, no, |ctl, call, now| call.hang_up(ctl, now, "shutdown"));
        }
    }

    /// The next datagram or stream write to send.
    pub fn poll_transmit(&mut self) -> Option<(Bytes, Peer)> {
        self.out.pop_front()
    }

    /// When to call [`Controller::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.values().filter_map(|c| c.poll_timeout()).min();
        let regs = self
            .registrations
            .iter()
            .filter_map(|(_, r)| r.poll_timeout())
            .min();
        [
            self.layer.poll_timeout(),
            calls,
            regs,
            self.registrar.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- internals -----

    fn start_registrations(&mut self, now: Instant) {
        let trunks: Vec<_> = self
            .config
            .trunks
            .iter()
            .filter(|t| t.register.is_some())
            .cloned()
            .collect();
        for t in trunks {
            if let Some(reg) = call::registration_for(&t, &self.local, now) {
                info!(trunk = %t.name, "starting outbound registration");
                self.registrations.push((t.name.clone(), reg));
            }
        }
        self.drain_registrations(now);
    }

    fn drain_registrations(&mut self, now: Instant) {
        for i in 0..self.registrations.len() {
            while let Some(out) = self.registrations[i].1.poll_output() {
                match out {
                    RegistrationOutput::Send(req) => {
                        let name = self.registrations[i].0.clone();
                        let Some(trunk) = self.config.trunk(&name) else {
                            continue;
                        };
                        let Some(reg) = trunk.register.as_ref() else {
                            continue;
                        };
                        let dest = call::trunk_peer(trunk, reg.registrar);
                        match self.layer.send_request(now, req, dest) {
                            Ok(key) => {
                                self.by_client_tx.insert(
                                    key,
                                    (CallNo(0), crate::media::Side::B, Purpose::Register(i)),
                                );
                            }
                            Err(e) => {
                                warn!(trunk = %name, error = %e, "cannot send REGISTER");
                                self.registrations[i].1.handle_failure(now);
                            }
                        }
                    }
                    RegistrationOutput::StateChanged(state) => {
                        info!(trunk = %self.registrations[i].0, ?state, "registration");
                    }
                }
            }
        }
        self.drain_layer(now);
    }

    fn drain_layer(&mut self, now: Instant) {
        while let Some(out) = self.layer.poll_output() {
            match out {
                LayerOutput::Transmit { bytes, dest } => self.out.push_back((bytes, dest)),
                // While a call is being worked on it is out of the map: hold
                // its events until it is back (see `with_call`).
                LayerOutput::Event(ev) if self.in_call => self.deferred.push_back(ev),
                LayerOutput::Event(ev) => self.handle_event(now, ev),
            }
        }
    }

    fn handle_event(&mut self, now: Instant, ev: TuEvent) {
        let timeout = matches!(ev, TuEvent::Timeout { .. });
        match ev {
            TuEvent::Request {
                key,
                request,
                source,
            } => self.handle_request(now, key, request, source),
            TuEvent::Response { key, response } => {
                let Some((no, side, purpose)) = self.by_client_tx.get(&key).copied() else {
                    return;
                };
                if response.status.is_final()
                    && !(purpose == Purpose::Invite && response.status.is_success())
                {
                    self.by_client_tx.remove(&key);
                }
                if let Purpose::Register(i) = purpose {
                    if let Some((_, reg)) = self.registrations.get_mut(i) {
                        reg.handle_response(now, &response);
                    }
                    self.drain_registrations(now);
                    return;
                }
                self.with_call(now, no, |ctl, call, now| {
                    call.handle_response(ctl, now, side, purpose, &key, response)
                });
            }
            TuEvent::Ack { request, .. } | TuEvent::StrayAck { request, .. } => {
                let Some(id) = DialogId::for_incoming_request(&request) else {
                    return;
                };
                if let Some((no, side)) = self.by_dialog.get(&id).copied() {
                    self.with_call(now, no, |ctl, call, now| {
                        call.handle_ack(ctl, now, side, &request)
                    });
                }
            }
            TuEvent::Stray2xx { response, source } => {
                // Our ACK was lost: the peer retransmits its 2xx. ACK again.
                let Some(id) = DialogId::for_response(&response) else {
                    return;
                };
                if let Some((no, side)) = self.by_dialog.get(&id).copied() {
                    self.with_call(now, no, |ctl, call, now| {
                        call.handle_stray_2xx(ctl, now, side, &response, source)
                    });
                }
            }
            TuEvent::Cancelled { invite, .. } => {
                if let Some(no) = self.by_server_tx.get(&invite).copied() {
                    self.with_call(now, no, |ctl, call, now| {
                        call.handle_cancel(ctl, now, &invite)
                    });
                }
            }
            TuEvent::Timeout { key } | TuEvent::TransportError { key } => {
                if let Some((no, side, purpose)) = self.by_client_tx.remove(&key) {
                    if let Purpose::Register(i) = purpose {
                        if let Some((_, reg)) = self.registrations.get_mut(i) {
                            reg.handle_failure(now);
                        }
                        self.drain_registrations(now);
                        return;
                    }
                    self.with_call(now, no, |ctl, call, now| {
                        call.handle_client_failure(ctl, now, side, purpose, &key, timeout)
                    });
                } else if let Some(no) = self.by_server_tx.get(&key).copied() {
                    // The ACK for our 2xx never came (or the peer's transport
                    // failed): the call cannot be trusted; end it.
                    self.with_call(now, no, |ctl, call, now| {
                        call.hang_up(ctl, now, "no ACK from caller")
                    });
                }
            }
            TuEvent::Terminated { key } => {
                self.by_server_tx.remove(&key);
                self.by_client_tx.remove(&key);
            }
        }
    }

    fn handle_request(&mut self, now: Instant, key: TransactionKey, req: Request, source: Peer) {
        // In-dialog?
        if req.headers.to_tag().is_some() {
            let id = DialogId::for_incoming_request(&req);
            if let Some((no, side)) = id.and_then(|id| self.by_dialog.get(&id).copied()) {
                self.with_call(now, no, |ctl, call, now| {
                    call.handle_in_dialog(ctl, now, side, key, req, source)
                });
                return;
            }
            if req.method != Method::Ack {
                self.respond(now, &key, &req, 481, None);
            }
            return;
        }
        if let Err(rej) = check_request(&req, &self.policy) {
            self.stats.rejected += 1;
            let resp = rej.into_response(&req);
            self.send_response(now, &key, resp);
            return;
        }
        match req.method {
            Method::Options => {
                let mut resp =
                    Response::for_request(&req, StatusCode::OK_200, Some(&call::new_tag()));
                resp.headers.push_value(HeaderName::Allow, ALLOW);
                resp.headers
                    .push_value(HeaderName::Accept, "application/sdp");
                resp.headers
                    .push_value(HeaderName::Server, &self.config.sip.user_agent);
                self.send_response(now, &key, resp);
            }
            Method::Invite => {
                if self.draining {
                    self.respond(now, &key, &req, 503, Some("Shutting down"));
                    return;
                }
                let no = self.next_call;
                self.next_call = CallNo(no.0 + 1);
                let nested = std::mem::replace(&mut self.in_call, true);
                let started = Call::start(self, now, no, key.clone(), req, source);
                self.in_call = nested;
                match started {
                    Ok(call) => {
                        self.stats.calls_started += 1;
                        self.by_server_tx.insert(key, no);
                        self.calls.insert(no, call);
                    }
                    Err(()) => {
                        self.stats.rejected += 1;
                    }
                }
                if !self.in_call {
                    while let Some(ev) = self.deferred.pop_front() {
                        self.handle_event(now, ev);
                    }
                }
            }
            Method::Register => self.handle_register(now, &key, &req, source),
            Method::Bye | Method::Cancel => self.respond(now, &key, &req, 481, None),
            _ => {
                let mut resp = call::response(&req, 405, None);
                resp.headers.push_value(HeaderName::Allow, ALLOW);
                self.send_response(now, &key, resp);
            }
        }
    }

    /// Runs `f` on a call, then removes it if it ended.
    fn with_call(
        &mut self,
        now: Instant,
        no: CallNo,
        f: impl FnOnce(&mut Self, &mut Call<M::Session>, Instant),
    ) {
        let Some(mut call) = self.calls.remove(&no) else {
            return;
        };
        let nested = std::mem::replace(&mut self.in_call, true);
        {
            let _span = call.span().clone().entered();
            f(self, &mut call, now);
        }
        self.in_call = nested;
        if call.is_over() {
            self.forget_call(&call);
            self.stats.calls_ended += 1;
            let _span = call.span().clone().entered();
            info!(outcome = %call.outcome(), "call ended");
        } else {
            self.calls.insert(no, call);
        }
        if !self.in_call {
            while let Some(ev) = self.deferred.pop_front() {
                self.handle_event(now, ev);
            }
        }
    }

    fn forget_call(&mut self, call: &Call<M::Session>) {
        let no = call.no();
        self.by_dialog.retain(|_, (n, _)| *n != no);
        self.by_server_tx.retain(|_, n| *n != no);
        // Client transactions of an ended call (a BYE in flight) stay mapped
        // to a call number that no longer exists: their responses are
        // ignored, and Terminated removes them.
    }

    fn respond(
        &mut self,
        now: Instant,
        key: &TransactionKey,
        req: &Request,
        code: u16,
        reason: Option<&str>,
    ) {
        let resp = call::response(req, code, reason);
        self.send_response(now, key, resp);
    }

    fn send_response(&mut self, now: Instant, key: &TransactionKey, mut resp: Response) {
        if !resp.headers.contains(&HeaderName::Server) {
            resp.headers
                .push_value(HeaderName::Server, &self.config.sip.user_agent);
        }
        if let Err(e) = self.layer.send_response(now, key, resp) {
            debug!(error = %e, "response not sent");
        }
        self.drain_layer(now);
    }
}

#[cfg(test)]
mod local_addrs_tests {
    use super::*;

    fn addrs() -> LocalAddrs {
        LocalAddrs {
            udp: vec!["127.0.0.1:5060".parse().unwrap()],
            tcp: vec!["127.0.0.1:5060".parse().unwrap()],
            ws: vec![
                "127.0.0.1:8080".parse().unwrap(),
                "[::1]:8080".parse().unwrap(),
            ],
            advertised: None,
        }
    }

    #[test]
    fn websocket_peers_get_the_http_listener() {
        let local = addrs();
        let browser: SocketAddr = "127.0.0.1:41234".parse().unwrap();
        assert_eq!(
            local.for_dest(TransportKind::Ws, browser),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            local.for_dest(TransportKind::Ws, "[::1]:41234".parse().unwrap()),
            Some("[::1]:8080".parse().unwrap())
        );
        // No secure WebSocket listener yet.
        assert_eq!(local.for_dest(TransportKind::Wss, browser), None);
        let no_http = LocalAddrs {
            ws: Vec::new(),
            ..addrs()
        };
        assert_eq!(no_http.for_dest(TransportKind::Ws, browser), None);
    }

    #[test]
    fn via_toward_a_websocket_peer_says_ws_and_the_listener() {
        let local = addrs();
        let layer = TransactionLayer::new(
            TimerConfig::default(),
            LocalVia::new(move |transport, dest| {
                local
                    .for_dest(transport, dest)
                    .map(|a| (Host::from(a.ip()), Some(a.port())))
            }),
        );
        let browser = Peer {
            transport: TransportKind::Ws,
            addr: "127.0.0.1:41234".parse().unwrap(),
            conn: Some(tandem_sip::transport::ConnectionId(7)),
        };
        let via = layer.new_via(&browser).unwrap();
        assert!(
            via.starts_with("SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bK"),
            "{via}"
        );
    }
}
