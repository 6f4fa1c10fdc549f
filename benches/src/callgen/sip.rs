//! The signalling side of callgen: a caller (UAC) and a far end (UAS), each
//! a `tandem-sip` transaction layer on its own UDP socket, driven from one
//! tokio task.
//!
//! The caller places call `i` with `From: <sip:cg<i>@...>`; the gateway keeps
//! the caller's user part on the leg it places, so the far end knows which
//! call an INVITE belongs to and the caller can stop both media streams of a
//! call before it hangs up (otherwise packets the far end sends while the
//! gateway tears the call down would look like loss).
//!
//! Per call: INVITE with an SDP offer (the caller's codec only, our RTP
//! socket) -> the far end answers with its own codec, 200 at once (or 180,
//! then 200 after `answer_delay`), or 488 when the gateway's offer lacks
//! that codec (the call fails with that reason) -> ACK ->
//! both streams run for `duration` -> both stop -> `drain` later the caller
//! sends BYE -> 200. Setup time is from handing the INVITE to the socket to
//! reading its 200 OK off the socket.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tandem_sip::dialog::{Dialog, DialogId};
use tandem_sip::message::{
    CSeq, HeaderName, Host, Message, Method, NameAddr, Request, Response, StatusCode, Uri,
};
use tandem_sip::sdp::{LocalMedia, LocalSession, Sdp, negotiate_answer, process_answer};
use tandem_sip::transaction::{
    LayerOutput, LocalVia, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use tandem_sip::transport::{Peer, TransportKind};
use tokio::net::UdpSocket;

use super::codec::CodecKind;
use super::media::{Phase, StreamCodecs, Streams};
use super::procfs::{CpuSample, Proc};
use super::stats::{Histogram, LossTally};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The gateway's SIP address.
    pub target: SocketAddr,
    /// The number to call (user part of the request-URI).
    pub number: String,
    /// Calls to place in total.
    pub calls: u32,
    /// Most calls in flight at once.
    pub concurrent: u32,
    /// New calls per second.
    pub rate: f64,
    /// How long each call is held after its answer.
    pub duration: Duration,
    /// Ringing time at the far end (0: answer with 200 at once).
    pub answer_delay: Duration,
    /// Time between stopping a call's media and sending its BYE, so that
    /// packets in flight are counted before the gateway drops the call.
    pub drain: Duration,
    /// Our RTP address, written into every SDP.
    pub rtp_addr: SocketAddr,
    /// The codec the caller offers and sends.
    pub caller_codec: CodecKind,
    /// The codec the far end answers with and sends.
    pub callee_codec: CodecKind,
    /// The gateway process, for CPU and memory.
    pub gateway: Option<Proc>,
    /// Print progress lines to stderr.
    pub progress: bool,
    /// Give up on the calls still in progress this long after the start
    /// (they count as failed, "unfinished").
    pub max_run: Duration,
}

/// A CPU/memory snapshot of the gateway and of callgen.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// Gateway CPU ticks.
    pub gateway: Option<CpuSample>,
    /// Gateway RSS in KiB.
    pub gateway_rss_kib: Option<u64>,
    /// callgen CPU ticks.
    pub own: Option<CpuSample>,
    /// Calls up at that moment.
    pub calls_up: u32,
}

/// What the run measured on the signalling side.
#[derive(Debug, Default)]
pub struct SipResults {
    /// INVITEs sent.
    pub attempted: u64,
    /// INVITEs answered with 2xx.
    pub answered: u64,
    /// Calls that went through to a 200 for their BYE.
    pub completed: u64,
    /// Failed calls by reason (status code, "timeout", "bye-...").
    pub failed: BTreeMap<String, u64>,
    /// INVITE to 200 OK, ns.
    pub setup: Histogram,
    /// Most calls up at once.
    pub peak_up: u32,
    /// INVITEs the far end received.
    pub far_invites: u64,
    /// BYEs the far end received.
    pub far_byes: u64,
    /// Far-end calls still without a BYE at the end.
    pub far_without_bye: u64,
    /// INVITEs the far end refused with 488 (no usable codec in the
    /// gateway's offer).
    pub far_rejected: u64,
    /// Media totals over finished streams.
    pub loss: LossTally,
    /// Duplicate packets over finished streams.
    pub duplicates: u64,
    /// Reordered packets over finished streams.
    pub late: u64,
    /// Calls that had no free stream slot (media skipped).
    pub no_slot: u64,
    /// Wall time of the whole run (first INVITE to last call done).
    pub wall: Duration,
    /// From the first INVITE to the last one.
    pub launch_span: Duration,
    /// Before the first call.
    pub idle: Option<Snapshot>,
    /// At the first INVITE.
    pub start: Option<Snapshot>,
    /// When every call was up.
    pub steady_start: Option<Snapshot>,
    /// At the first hang-up after that.
    pub steady_end: Option<Snapshot>,
    /// After the last call.
    pub end: Option<Snapshot>,
    /// Gateway RSS, highest sample (KiB; sampled every second).
    pub gateway_rss_max_kib: Option<u64>,
    /// Gateway VmHWM at the end (KiB; peak over the process's life).
    pub gateway_hwm_kib: Option<u64>,
}

impl SipResults {
    /// Failed calls in total.
    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    fn fail(&mut self, why: impl Into<String>) {
        *self.failed.entry(why.into()).or_default() += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Launch,
    Hangup(u32),
    SendBye(u32),
    Answer(u64),
    FinishSlot(u32),
    Tick,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Uac,
    Uas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Invite,
    Bye,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Inviting,
    Up,
    Draining,
    Byeing,
}

#[derive(Debug)]
struct UacCall {
    invite: Request,
    offer: Sdp,
    sent_at: Instant,
    state: CallState,
    dialog: Option<Dialog>,
    slot: Option<u32>,
    /// The far-end call of the same call, once its INVITE arrived.
    far: Option<u64>,
    /// Why the far end refused this call's INVITE, if it did.
    far_refused: Option<String>,
}

#[derive(Debug)]
struct UasCall {
    key: TransactionKey,
    request: Request,
    dialog: Dialog,
    answer: Bytes,
    remote_rtp: Option<SocketAddr>,
    /// The payload type the far end sends its codec on.
    payload_type: u8,
    slot: Option<u32>,
    answered: bool,
}

/// The signalling engine (sans sockets: the run loop moves its bytes).
struct Engine {
    cfg: RunConfig,
    streams: Option<Arc<Streams>>,
    uac: TransactionLayer,
    uas: TransactionLayer,
    uac_addr: SocketAddr,
    uas_addr: SocketAddr,
    nonce: u64,
    tag_seq: u64,
    timers: BinaryHeap<Reverse<(Instant, u64, Action)>>,
    timer_seq: u64,
    outbox: Vec<(Side, Bytes, SocketAddr)>,

    started: Instant,
    launch_base: (Instant, u32),
    launch_blocked: bool,
    launched: u32,
    in_flight: u32,
    up: u32,
    hangups: u32,
    calls: HashMap<u32, UacCall>,
    uac_tx: HashMap<TransactionKey, (u32, Purpose)>,
    uac_dialogs: HashMap<DialogId, u32>,

    next_far: u64,
    far: HashMap<u64, UasCall>,
    far_tx: HashMap<TransactionKey, u64>,
    far_dialogs: HashMap<DialogId, u64>,

    free_slots: Vec<u32>,
    next_stream: u32,
    last_progress: Instant,
    aborted: bool,
    results: SipResults,
}

fn snapshot(gateway: Option<Proc>, calls_up: u32) -> Snapshot {
    Snapshot {
        gateway: gateway.and_then(Proc::sample),
        gateway_rss_kib: gateway.and_then(Proc::memory_kib).map(|m| m.0),
        own: Proc::Myself.sample(),
        calls_up,
    }
}

impl Engine {
    fn new(
        cfg: RunConfig,
        streams: Option<Arc<Streams>>,
        uac_addr: SocketAddr,
        uas_addr: SocketAddr,
        now: Instant,
    ) -> Self {
        let layer = |addr: SocketAddr| {
            TransactionLayer::new(
                TimerConfig::default(),
                LocalVia::none().with(TransportKind::Udp, Host::from(addr.ip()), Some(addr.port())),
            )
        };
        let free_slots = streams
            .as_ref()
            .map(|s| (0..s.len() as u32).rev().collect())
            .unwrap_or_default();
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()) << 40;
        Self {
            uac: layer(uac_addr),
            uas: layer(uas_addr),
            cfg,
            streams,
            uac_addr,
            uas_addr,
            nonce,
            tag_seq: 0,
            timers: BinaryHeap::new(),
            timer_seq: 0,
            outbox: Vec::new(),
            started: now,
            launch_base: (now, 0),
            launch_blocked: false,
            launched: 0,
            in_flight: 0,
            up: 0,
            hangups: 0,
            calls: HashMap::new(),
            uac_tx: HashMap::new(),
            uac_dialogs: HashMap::new(),
            next_far: 1,
            far: HashMap::new(),
            far_tx: HashMap::new(),
            far_dialogs: HashMap::new(),
            free_slots,
            next_stream: 1,
            last_progress: now,
            aborted: false,
            results: SipResults::default(),
        }
    }

    fn schedule(&mut self, at: Instant, action: Action) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, action)));
    }

    fn next_deadline(&self) -> Option<Instant> {
        [
            self.uac.poll_timeout(),
            self.uas.poll_timeout(),
            self.timers.peek().map(|Reverse((at, _, _))| *at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn done(&self) -> bool {
        (self.launched >= self.cfg.calls || self.aborted) && self.calls.is_empty()
    }

    /// Out of time: no more calls; those in progress fail as "unfinished".
    fn abort(&mut self) {
        self.aborted = true;
        let left: Vec<u32> = self.calls.keys().copied().collect();
        for idx in left {
            if let Some(slot) = self.calls.get(&idx).and_then(|c| c.slot)
                && let Some(s) = &self.streams
            {
                s.stop_sending(slot);
            }
            self.call_done(idx, Some("unfinished".to_owned()));
        }
    }

    fn new_tag(&mut self) -> String {
        self.tag_seq += 1;
        format!("{:x}{:x}", self.nonce & 0xffff_ffff, self.tag_seq)
    }

    /// Drains both layers: transmits go to the outbox, events are handled
    /// (which may queue more output).
    fn pump(&mut self, now: Instant) {
        loop {
            let mut any = false;
            while let Some(out) = self.uac.poll_output() {
                any = true;
                match out {
                    LayerOutput::Transmit { bytes, dest } => {
                        self.outbox.push((Side::Uac, bytes, dest.addr));
                    }
                    LayerOutput::Event(ev) => self.on_uac_event(now, ev),
                }
            }
            while let Some(out) = self.uas.poll_output() {
                any = true;
                match out {
                    LayerOutput::Transmit { bytes, dest } => {
                        self.outbox.push((Side::Uas, bytes, dest.addr));
                    }
                    LayerOutput::Event(ev) => self.on_uas_event(now, ev),
                }
            }
            if !any {
                break;
            }
        }
    }

    fn handle_datagram(&mut self, now: Instant, side: Side, data: &[u8], from: SocketAddr) {
        let Ok(msg) = Message::parse(data) else {
            return;
        };
        match side {
            Side::Uac => self.uac.handle_received(now, msg, Peer::udp(from)),
            Side::Uas => self.uas.handle_received(now, msg, Peer::udp(from)),
        }
        self.pump(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.uac.poll_timeout().is_some_and(|t| t <= now) {
            self.uac.handle_timeout(now);
        }
        if self.uas.poll_timeout().is_some_and(|t| t <= now) {
            self.uas.handle_timeout(now);
        }
        while let Some(Reverse((at, _, action))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.run_action(now, action);
        }
        self.pump(now);
    }

    fn run_action(&mut self, now: Instant, action: Action) {
        match action {
            Action::Launch => self.launch(now),
            Action::Hangup(i) => self.hang_up(now, i),
            Action::SendBye(i) => self.send_bye(now, i),
            Action::Answer(f) => self.far_answer(now, f),
            Action::FinishSlot(s) => self.finish_slot(s),
            Action::Tick => self.tick(now),
        }
    }

    // ----- caller side ------------------------------------------------------

    fn launch(&mut self, now: Instant) {
        if self.launched >= self.cfg.calls || self.aborted {
            return;
        }
        if self.in_flight >= self.cfg.concurrent {
            self.launch_blocked = true;
            return;
        }
        if self.launched == 0 {
            self.results.start = Some(snapshot(self.cfg.gateway, 0));
            self.started = now;
        }
        let idx = self.launched;
        self.launched += 1;
        self.results.launch_span = now.saturating_duration_since(self.started);
        self.in_flight += 1;
        self.results.attempted += 1;
        match self.build_invite(idx) {
            Some((invite, offer)) => {
                let sent_at = Instant::now();
                match self
                    .uac
                    .send_request(sent_at, invite.clone(), Peer::udp(self.cfg.target))
                {
                    Ok(key) => {
                        self.uac_tx.insert(key, (idx, Purpose::Invite));
                        self.calls.insert(
                            idx,
                            UacCall {
                                invite,
                                offer,
                                sent_at,
                                state: CallState::Inviting,
                                dialog: None,
                                slot: None,
                                far: None,
                                far_refused: None,
                            },
                        );
                    }
                    Err(_) => self.call_failed_early("invite-not-sent"),
                }
            }
            None => self.call_failed_early("invite-not-built"),
        }
        if self.launched < self.cfg.calls {
            let (base, base_n) = self.launch_base;
            let next =
                base + Duration::from_secs_f64(f64::from(self.launched - base_n) / self.cfg.rate);
            self.schedule(next, Action::Launch);
        }
    }

    fn call_failed_early(&mut self, why: &str) {
        self.in_flight -= 1;
        self.results.fail(why);
    }

    fn build_invite(&mut self, idx: u32) -> Option<(Request, Sdp)> {
        let target = self.cfg.target;
        let uri: Uri = format!("sip:{}@{}", self.cfg.number, target).parse().ok()?;
        let rtp = self.cfg.rtp_addr;
        let mut local = LocalMedia::new(rtp.ip(), rtp.port(), self.cfg.caller_codec.sdp_codecs());
        local.ptime = Some(20);
        let mut session = LocalSession::new(u64::from(idx) + 1, rtp.ip());
        let offer = local.offer(&mut session).ok()?;
        let tag = self.new_tag();
        let from: NameAddr = format!("<sip:cg{idx}@{}>;tag={tag}", self.uac_addr.ip())
            .parse()
            .ok()?;
        let to: NameAddr = format!("<sip:{}@{}>", self.cfg.number, target)
            .parse()
            .ok()?;
        let mut req = Request::new(Method::Invite, uri);
        req.headers.push_value(HeaderName::MaxForwards, 70);
        req.headers.push_value(HeaderName::From, from);
        req.headers.push_value(HeaderName::To, to);
        req.headers.push_value(
            HeaderName::CallId,
            format!("{:x}-{idx}@callgen", self.nonce),
        );
        req.headers
            .push_value(HeaderName::CSeq, CSeq::new(1, Method::Invite));
        req.headers.push_value(
            HeaderName::Contact,
            format!("<sip:cg{idx}@{}>", self.uac_addr),
        );
        req.headers.push_value(HeaderName::UserAgent, "callgen");
        req.headers
            .push_value(HeaderName::ContentType, "application/sdp");
        req.body = offer.to_bytes();
        Some((req, offer))
    }

    fn on_uac_event(&mut self, now: Instant, ev: TuEvent) {
        match ev {
            TuEvent::Response { key, response } => {
                let Some(&(idx, purpose)) = self.uac_tx.get(&key) else {
                    return;
                };
                match purpose {
                    Purpose::Invite => self.on_invite_response(now, idx, response),
                    Purpose::Bye if response.status.is_final() => {
                        if response.status.is_success() {
                            self.results.completed += 1;
                            self.call_done(idx, None);
                        } else {
                            self.call_done(idx, Some(format!("bye-{}", response.status)));
                        }
                    }
                    Purpose::Bye => {}
                }
            }
            TuEvent::Timeout { key } | TuEvent::TransportError { key } => {
                let Some(&(idx, purpose)) = self.uac_tx.get(&key) else {
                    return;
                };
                if !self.calls.contains_key(&idx) {
                    return;
                }
                match purpose {
                    Purpose::Invite => {
                        let Some(call) = self.calls.get(&idx) else {
                            return;
                        };
                        if call.state == CallState::Inviting {
                            self.call_done(idx, Some("timeout".to_owned()));
                        }
                    }
                    Purpose::Bye => self.call_done(idx, Some("bye-timeout".to_owned())),
                }
            }
            TuEvent::Terminated { key } => {
                self.uac_tx.remove(&key);
            }
            TuEvent::Request {
                key,
                request,
                source: _,
            } => self.on_uac_request(now, key, request),
            TuEvent::Ack { .. }
            | TuEvent::StrayAck { .. }
            | TuEvent::Stray2xx { .. }
            | TuEvent::Cancelled { .. } => {}
        }
    }

    fn on_invite_response(&mut self, now: Instant, idx: u32, resp: Response) {
        let status = resp.status;
        if status.is_provisional() {
            return;
        }
        let Some(call) = self.calls.get_mut(&idx) else {
            return;
        };
        if !status.is_success() {
            if call.state == CallState::Inviting {
                let why = match (&call.far_refused, call.far) {
                    (Some(far), _) => format!("{status} ({far})"),
                    (None, None) if status.as_u16() == 488 => format!(
                        "{status} (from the gateway, which refused the caller's {} offer; the far end saw no INVITE)",
                        self.cfg.caller_codec.name()
                    ),
                    _ => status.to_string(),
                };
                self.call_done(idx, Some(why));
            }
            return;
        }
        let target = Peer::udp(self.cfg.target);
        if let Some(d) = &call.dialog {
            // A retransmitted 2xx: ACK it again.
            let ack = d.ack_for_2xx(d.invite_seq());
            let _ = self.uac.send_stateless(ack, target);
            return;
        }
        if call.state != CallState::Inviting {
            return;
        }
        self.results
            .setup
            .record_duration(now.saturating_duration_since(call.sent_at));
        self.results.answered += 1;
        let contact: NameAddr = match format!("<sip:cg{idx}@{}>", self.uac_addr).parse() {
            Ok(c) => c,
            Err(_) => return,
        };
        let dialog = match Dialog::new_uac(&call.invite, &resp, contact) {
            Ok(d) => d,
            Err(_) => {
                self.call_done(idx, Some("2xx-without-dialog".to_owned()));
                return;
            }
        };
        let caller_codec = self.cfg.caller_codec;
        let negotiated = Sdp::parse(&resp.body)
            .ok()
            .and_then(|answer| process_answer(&call.offer, &answer).ok())
            .filter(|n| caller_codec.matches(&n.codec));
        let payload_type = negotiated
            .as_ref()
            .map_or(caller_codec.offer_payload_type(), |n| n.codec.payload_type);
        let remote_rtp = negotiated.and_then(|n| n.remote_rtp);
        let ack = dialog.ack_for_2xx(dialog.invite_seq());
        let _ = self.uac.send_stateless(ack, target);
        self.uac_dialogs.insert(dialog.id().clone(), idx);
        call.dialog = Some(dialog);
        call.state = CallState::Up;
        self.up += 1;
        self.results.peak_up = self.results.peak_up.max(self.up);
        let Some(remote_rtp) = remote_rtp else {
            // Unusable answer: hang up at once.
            self.results.fail("bad-answer-sdp");
            self.hang_up(now, idx);
            return;
        };
        if self.streams.is_some() {
            let codecs = StreamCodecs {
                send: caller_codec,
                payload_type,
                receive: self.cfg.callee_codec,
            };
            let slot = self.start_stream(remote_rtp, codecs);
            if let Some(call) = self.calls.get_mut(&idx) {
                call.slot = slot;
            }
        }
        self.schedule(now + self.cfg.duration, Action::Hangup(idx));
        self.check_steady_start();
    }

    /// Every call that will ever be up is up, and none has hung up yet: the
    /// steady state begins.
    fn check_steady_start(&mut self) {
        if self.results.steady_start.is_some()
            || self.hangups > 0
            || self.launched < self.cfg.calls
            || self.up < self.in_flight
            || self.up == 0
        {
            return;
        }
        self.results.steady_start = Some(snapshot(self.cfg.gateway, self.up));
        if let Some(s) = &self.streams {
            s.set_phase(Phase::Steady);
        }
    }

    fn hang_up(&mut self, now: Instant, idx: u32) {
        let Some(call) = self.calls.get_mut(&idx) else {
            return;
        };
        if call.state != CallState::Up {
            return;
        }
        call.state = CallState::Draining;
        let (slot, far) = (call.slot, call.far);
        self.hangups += 1;
        if self.hangups == 1 && self.results.steady_start.is_some() {
            self.results.steady_end = Some(snapshot(self.cfg.gateway, self.up));
            if let Some(s) = &self.streams {
                s.set_phase(Phase::Teardown);
            }
        }
        let mut media = false;
        if let Some(s) = &self.streams {
            if let Some(slot) = slot {
                s.stop_sending(slot);
                media = true;
            }
            if let Some(f) = far.and_then(|f| self.far.get(&f))
                && let Some(slot) = f.slot
            {
                s.stop_sending(slot);
                media = true;
            }
        }
        if media {
            self.schedule(now + self.cfg.drain, Action::SendBye(idx));
        } else {
            self.send_bye(now, idx);
        }
    }

    fn send_bye(&mut self, now: Instant, idx: u32) {
        let Some(call) = self.calls.get_mut(&idx) else {
            return;
        };
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        call.state = CallState::Byeing;
        let bye = dialog.new_request(Method::Bye);
        match self.uac.send_request(now, bye, Peer::udp(self.cfg.target)) {
            Ok(key) => {
                self.uac_tx.insert(key, (idx, Purpose::Bye));
            }
            Err(_) => self.call_done(idx, Some("bye-not-sent".to_owned())),
        }
    }

    /// A request to the caller: a BYE from the gateway ends the call early.
    fn on_uac_request(&mut self, now: Instant, key: TransactionKey, req: Request) {
        let status = match req.method {
            Method::Bye => {
                let idx = DialogId::for_incoming_request(&req)
                    .and_then(|id| self.uac_dialogs.get(&id).copied());
                match idx {
                    Some(idx) => {
                        if let Some(slot) = self.calls.get(&idx).and_then(|c| c.slot)
                            && let Some(s) = &self.streams
                        {
                            s.stop_sending(slot);
                        }
                        self.call_done(idx, Some("ended-by-gateway".to_owned()));
                        200
                    }
                    None => 481,
                }
            }
            Method::Options => 200,
            _ => 501,
        };
        self.respond(now, Side::Uac, &key, &req, status);
    }

    fn respond(
        &mut self,
        now: Instant,
        side: Side,
        key: &TransactionKey,
        req: &Request,
        code: u16,
    ) {
        let status = StatusCode::new(code).unwrap_or(StatusCode::SERVER_ERROR_500);
        let resp = Response::for_request(req, status, None);
        let layer = match side {
            Side::Uac => &mut self.uac,
            Side::Uas => &mut self.uas,
        };
        let _ = layer.send_response(now, key, resp);
    }

    /// The call ended (`failure` says why when it did not complete).
    fn call_done(&mut self, idx: u32, failure: Option<String>) {
        let Some(call) = self.calls.remove(&idx) else {
            return;
        };
        if let Some(d) = &call.dialog {
            self.uac_dialogs.remove(d.id());
        }
        if call.state != CallState::Inviting {
            self.up -= 1;
        }
        if let Some(why) = failure {
            self.results.fail(why);
        }
        if let Some(slot) = call.slot {
            self.finish_slot(slot);
        }
        self.in_flight -= 1;
        if self.launch_blocked {
            self.launch_blocked = false;
            let now = Instant::now();
            self.launch_base = (now, self.launched);
            self.schedule(now, Action::Launch);
        }
    }

    // ----- media slots ------------------------------------------------------

    fn start_stream(&mut self, dest: SocketAddr, codecs: StreamCodecs) -> Option<u32> {
        let streams = self.streams.as_ref()?;
        let Some(slot) = self.free_slots.pop() else {
            self.results.no_slot += 1;
            return None;
        };
        let id = self.next_stream;
        self.next_stream = self.next_stream.wrapping_add(1).max(1);
        if self.next_stream == u32::MAX {
            self.next_stream = 1;
        }
        streams.claim(slot, id, codecs);
        streams.start(slot, dest);
        Some(slot)
    }

    fn finish_slot(&mut self, slot: u32) {
        let Some(streams) = &self.streams else {
            return;
        };
        let r = streams.finish(slot);
        self.results.loss.add_stream(r.sent, r.received);
        self.results.duplicates += r.duplicates;
        self.results.late += r.late;
        self.free_slots.push(slot);
    }

    // ----- far end --------------------------------------------------------

    fn on_uas_event(&mut self, now: Instant, ev: TuEvent) {
        match ev {
            TuEvent::Request {
                key,
                request,
                source: _,
            } => match request.method {
                Method::Invite if request.headers.to_tag().is_none() => {
                    self.far_invite(now, key, request);
                }
                Method::Invite => {
                    // A re-INVITE: answer with the same description.
                    let far = DialogId::for_incoming_request(&request)
                        .and_then(|id| self.far_dialogs.get(&id).copied());
                    match far.and_then(|f| self.far.get(&f)) {
                        Some(f) => {
                            let body = f.answer.clone();
                            let tag = f.dialog.id().local_tag.clone();
                            let resp = self.far_ok(&request, &tag, body);
                            let _ = self.uas.send_response(now, &key, resp);
                        }
                        None => self.respond(now, Side::Uas, &key, &request, 481),
                    }
                }
                Method::Bye => self.far_bye(now, key, request),
                Method::Options => self.respond(now, Side::Uas, &key, &request, 200),
                _ => self.respond(now, Side::Uas, &key, &request, 501),
            },
            TuEvent::Ack { key, .. } => {
                let Some(&f) = self.far_tx.get(&key) else {
                    return;
                };
                let dest = self.far.get(&f).and_then(|c| c.remote_rtp);
                if let Some(dest) = dest
                    && let Some(payload_type) = self
                        .far
                        .get(&f)
                        .filter(|c| c.slot.is_none())
                        .map(|c| c.payload_type)
                {
                    let codecs = StreamCodecs {
                        send: self.cfg.callee_codec,
                        payload_type,
                        receive: self.cfg.caller_codec,
                    };
                    let slot = self.start_stream(dest, codecs);
                    if let Some(c) = self.far.get_mut(&f) {
                        c.slot = slot;
                    }
                }
            }
            TuEvent::Cancelled { invite, .. } => {
                if let Some(f) = self.far_tx.get(&invite).copied()
                    && let Some(c) = self.far.remove(&f)
                {
                    self.far_dialogs.remove(c.dialog.id());
                    let resp = Response::for_request(
                        &c.request,
                        StatusCode::new(487).unwrap_or(StatusCode::SERVER_ERROR_500),
                        Some(&c.dialog.id().local_tag),
                    );
                    let _ = self.uas.send_response(now, &invite, resp);
                }
            }
            TuEvent::Terminated { key } => {
                self.far_tx.remove(&key);
            }
            TuEvent::Response { .. }
            | TuEvent::StrayAck { .. }
            | TuEvent::Stray2xx { .. }
            | TuEvent::Timeout { .. }
            | TuEvent::TransportError { .. } => {}
        }
    }

    fn far_ok(&self, req: &Request, tag: &str, body: Bytes) -> Response {
        let mut resp = Response::for_request(req, StatusCode::OK_200, Some(tag));
        resp.headers
            .push_value(HeaderName::Contact, format!("<sip:far@{}>", self.uas_addr));
        resp.headers
            .push_value(HeaderName::ContentType, "application/sdp");
        resp.body = body;
        resp
    }

    fn far_invite(&mut self, now: Instant, key: TransactionKey, req: Request) {
        self.results.far_invites += 1;
        let rtp = self.cfg.rtp_addr;
        let callee = self.cfg.callee_codec;
        let mut local = LocalMedia::new(rtp.ip(), rtp.port(), callee.sdp_codecs());
        local.ptime = Some(20);
        let id = self.next_far;
        self.next_far += 1;
        let mut session = LocalSession::new(id, rtp.ip());
        // Which call is this? The caller's user part "cg<i>" came through.
        let idx = req
            .headers
            .from_addr()
            .and_then(|f| f.uri.as_sip().and_then(|u| u.user.clone()))
            .and_then(|u| u.strip_prefix("cg").and_then(|n| n.parse::<u32>().ok()));
        let offer = Sdp::parse(&req.body).ok();
        let negotiated = offer
            .as_ref()
            .and_then(|offer| negotiate_answer(offer, &local, &mut session).ok());
        let Some((answer, negotiated)) = negotiated else {
            self.results.far_rejected += 1;
            let why = far_refusal(offer.as_ref(), callee);
            if let Some(call) = idx.and_then(|i| self.calls.get_mut(&i)) {
                call.far_refused = Some(why);
            }
            self.respond(now, Side::Uas, &key, &req, 488);
            return;
        };
        let tag = self.new_tag();
        let contact: Option<NameAddr> = format!("<sip:far@{}>", self.uas_addr).parse().ok();
        let Some(dialog) = contact.and_then(|c| Dialog::new_uas(&req, &tag, c, 1).ok()) else {
            self.respond(now, Side::Uas, &key, &req, 400);
            return;
        };
        if let Some(call) = idx.and_then(|i| self.calls.get_mut(&i)) {
            call.far = Some(id);
        }
        self.far_dialogs.insert(dialog.id().clone(), id);
        self.far_tx.insert(key.clone(), id);
        self.far.insert(
            id,
            UasCall {
                key: key.clone(),
                request: req,
                dialog,
                answer: answer.to_bytes(),
                remote_rtp: negotiated.remote_rtp,
                payload_type: negotiated.codec.payload_type,
                slot: None,
                answered: false,
            },
        );
        if self.cfg.answer_delay.is_zero() {
            self.far_answer(now, id);
        } else {
            if let Some(c) = self.far.get(&id) {
                let ringing = Response::for_request(
                    &c.request,
                    StatusCode::new(180).unwrap_or(StatusCode::TRYING_100),
                    Some(&tag),
                );
                let key = c.key.clone();
                let _ = self.uas.send_response(now, &key, ringing);
            }
            self.schedule(now + self.cfg.answer_delay, Action::Answer(id));
        }
    }

    fn far_answer(&mut self, now: Instant, id: u64) {
        let Some(c) = self.far.get(&id) else {
            return;
        };
        if c.answered {
            return;
        }
        let resp = self.far_ok(&c.request, &c.dialog.id().local_tag, c.answer.clone());
        let key = c.key.clone();
        if let Some(c) = self.far.get_mut(&id) {
            c.answered = true;
            c.dialog.confirm();
        }
        let _ = self.uas.send_response(now, &key, resp);
    }

    fn far_bye(&mut self, now: Instant, key: TransactionKey, req: Request) {
        let id = DialogId::for_incoming_request(&req).and_then(|d| self.far_dialogs.remove(&d));
        let Some(c) = id.and_then(|id| self.far.remove(&id)) else {
            self.respond(now, Side::Uas, &key, &req, 481);
            return;
        };
        self.results.far_byes += 1;
        self.respond(now, Side::Uas, &key, &req, 200);
        if let (Some(slot), Some(s)) = (c.slot, &self.streams) {
            // Normally the caller stopped this stream `drain` ago; if the
            // call was not linked, stop now and count after a drain.
            s.stop_sending(slot);
            self.schedule(now + self.cfg.drain, Action::FinishSlot(slot));
        }
    }

    /// Far-end calls the gateway never sent a BYE for: count and free them.
    fn sweep_far(&mut self) {
        let left: Vec<u64> = self.far.keys().copied().collect();
        for id in left {
            if let Some(c) = self.far.remove(&id) {
                self.results.far_without_bye += 1;
                if let Some(slot) = c.slot {
                    self.finish_slot(slot);
                }
            }
        }
    }

    // ----- progress ---------------------------------------------------------

    fn tick(&mut self, now: Instant) {
        if let Some((rss, _)) = self.cfg.gateway.and_then(Proc::memory_kib) {
            let m = self.results.gateway_rss_max_kib.get_or_insert(0);
            *m = (*m).max(rss);
        }
        if self.cfg.progress && now.duration_since(self.last_progress) >= Duration::from_secs(5) {
            self.last_progress = now;
            let (tx, rx) = self
                .streams
                .as_ref()
                .map(|s| s.live_counts())
                .unwrap_or((0, 0));
            eprintln!(
                "callgen: t={:>4.0}s launched={} up={} completed={} failed={} rtp live sent={} received={}",
                now.duration_since(self.started).as_secs_f64(),
                self.launched,
                self.up,
                self.results.completed,
                self.results.failed_total(),
                tx,
                rx,
            );
        }
        self.schedule(now + Duration::from_secs(1), Action::Tick);
    }
}

/// Why the far end refused an offer (with 488), for the failure reason.
fn far_refusal(offer: Option<&Sdp>, callee: CodecKind) -> String {
    let Some(offer) = offer else {
        return "far end refused: no readable SDP offer".to_owned();
    };
    let offered: Vec<String> = offer
        .first_audio()
        .map(|m| {
            m.codecs
                .iter()
                .filter(|c| !c.is_auxiliary())
                .map(|c| c.name.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    if offered.is_empty() {
        "far end refused: the gateway's offer has no audio codec".to_owned()
    } else {
        format!(
            "far end refused: the gateway offered {} and no {}",
            offered.join(" "),
            callee.name()
        )
    }
}

/// Runs the calls and returns what the signalling side measured. `streams`
/// is `None` for a signalling-only run.
pub async fn run(
    cfg: RunConfig,
    uac_sock: UdpSocket,
    uas_sock: UdpSocket,
    streams: Option<Arc<Streams>>,
) -> anyhow::Result<SipResults> {
    let uac_addr = uac_sock.local_addr()?;
    let uas_addr = uas_sock.local_addr()?;
    let now = Instant::now();
    let mut e = Engine::new(cfg, streams, uac_addr, uas_addr, now);
    e.results.idle = Some(snapshot(e.cfg.gateway, 0));
    e.schedule(now, Action::Launch);
    e.schedule(now, Action::Tick);

    let give_up = now + e.cfg.max_run;
    let mut buf_a = vec![0u8; 65_536];
    let mut buf_b = vec![0u8; 65_536];
    loop {
        for (side, bytes, dest) in e.outbox.drain(..) {
            let sock = match side {
                Side::Uac => &uac_sock,
                Side::Uas => &uas_sock,
            };
            // A failed send is a lost datagram; SIP retransmits.
            let _ = sock.send_to(&bytes, dest).await;
        }
        if e.done() {
            break;
        }
        if Instant::now() >= give_up {
            eprintln!(
                "callgen: --max-run-s passed with {} calls in progress; counting them as failed",
                e.calls.len()
            );
            e.abort();
            continue;
        }
        let deadline = e.next_deadline().map_or(give_up, |d| d.min(give_up));
        tokio::select! {
            r = uac_sock.recv_from(&mut buf_a) => {
                if let Ok((n, from)) = r {
                    e.handle_datagram(Instant::now(), Side::Uac, &buf_a[..n], from);
                }
                while let Ok((n, from)) = uac_sock.try_recv_from(&mut buf_a) {
                    e.handle_datagram(Instant::now(), Side::Uac, &buf_a[..n], from);
                }
            }
            r = uas_sock.recv_from(&mut buf_b) => {
                if let Ok((n, from)) = r {
                    e.handle_datagram(Instant::now(), Side::Uas, &buf_b[..n], from);
                }
                while let Ok((n, from)) = uas_sock.try_recv_from(&mut buf_b) {
                    e.handle_datagram(Instant::now(), Side::Uas, &buf_b[..n], from);
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {}
        }
        e.handle_timeout(Instant::now());
    }
    e.results.wall = Instant::now().saturating_duration_since(e.started);
    e.results.end = Some(snapshot(e.cfg.gateway, 0));

    // Let the far end see its last BYEs, and the last drains finish.
    let until = Instant::now() + e.cfg.drain + Duration::from_millis(200);
    while Instant::now() < until && !(e.far.is_empty() && e.pending_finish() == 0) {
        for (side, bytes, dest) in e.outbox.drain(..) {
            let sock = match side {
                Side::Uac => &uac_sock,
                Side::Uas => &uas_sock,
            };
            let _ = sock.send_to(&bytes, dest).await;
        }
        let deadline = e.next_deadline().map_or(until, |d| d.min(until));
        tokio::select! {
            r = uas_sock.recv_from(&mut buf_b) => {
                if let Ok((n, from)) = r {
                    e.handle_datagram(Instant::now(), Side::Uas, &buf_b[..n], from);
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {}
        }
        e.handle_timeout(Instant::now());
    }
    // Responses queued by the last events.
    for (side, bytes, dest) in e.outbox.drain(..) {
        let sock = match side {
            Side::Uac => &uac_sock,
            Side::Uas => &uas_sock,
        };
        let _ = sock.send_to(&bytes, dest).await;
    }
    // Slots still waiting for their drain are counted now.
    let pending: Vec<u32> = e
        .timers
        .iter()
        .filter_map(|Reverse((_, _, a))| match a {
            Action::FinishSlot(s) => Some(*s),
            _ => None,
        })
        .collect();
    for s in pending {
        e.finish_slot(s);
    }
    e.sweep_far();
    if e.results.steady_start.is_some() && e.results.steady_end.is_none() {
        e.results.steady_end = e.results.end;
    }
    if let Some((_, hwm)) = e.cfg.gateway.and_then(Proc::memory_kib) {
        e.results.gateway_hwm_kib = Some(hwm);
    }
    Ok(e.results)
}

impl Engine {
    fn pending_finish(&self) -> usize {
        self.timers
            .iter()
            .filter(|Reverse((_, _, a))| matches!(a, Action::FinishSlot(_)))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY: &str = "127.0.0.1:5999";

    fn engine(caller: CodecKind, callee: CodecKind) -> Engine {
        let cfg = RunConfig {
            target: GATEWAY.parse().unwrap(),
            number: "+15550100".to_owned(),
            calls: 1,
            concurrent: 1,
            rate: 1.0,
            duration: Duration::from_secs(1),
            answer_delay: Duration::ZERO,
            drain: Duration::from_millis(200),
            rtp_addr: "127.0.0.1:40000".parse().unwrap(),
            caller_codec: caller,
            callee_codec: callee,
            gateway: None,
            progress: false,
            max_run: Duration::from_secs(60),
        };
        Engine::new(
            cfg,
            None,
            "127.0.0.1:5001".parse().unwrap(),
            "127.0.0.1:5002".parse().unwrap(),
            Instant::now(),
        )
    }

    /// Places call 0; returns its INVITE.
    fn launch(e: &mut Engine) -> Request {
        e.run_action(Instant::now(), Action::Launch);
        e.pump(Instant::now());
        let (side, bytes, dest) = e.outbox.remove(0);
        assert_eq!((side, dest), (Side::Uac, GATEWAY.parse().unwrap()));
        match Message::parse(&bytes).unwrap() {
            Message::Request(r) => r,
            Message::Response(r) => panic!("sent a response {r:?}"),
        }
    }

    /// An INVITE from the gateway to the far end for call 0, offering `m`
    /// (the formats of the m= line and their attributes).
    fn gateway_invite(call_id: &str, m: &str) -> Vec<u8> {
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n{m}a=ptime:20\r\n"
        );
        format!(
            "INVITE sip:+15550199@127.0.0.1:5002 SIP/2.0\r\n\
             Via: SIP/2.0/UDP {GATEWAY};branch=z9hG4bK{call_id}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:cg0@127.0.0.1>;tag=gw\r\n\
             To: <sip:+15550199@127.0.0.1>\r\n\
             Call-ID: {call_id}@test\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:gw@{GATEWAY}>\r\n\
             Content-Type: application/sdp\r\n\
             Content-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        )
        .into_bytes()
    }

    /// The far end's reply to `invite`: status and body.
    fn far_reply(e: &mut Engine, invite: &[u8]) -> (u16, String) {
        e.handle_datagram(Instant::now(), Side::Uas, invite, GATEWAY.parse().unwrap());
        let i = e
            .outbox
            .iter()
            .position(|(side, b, _)| *side == Side::Uas && !b.starts_with(b"SIP/2.0 100"))
            .unwrap();
        let (_, bytes, _) = e.outbox.remove(i);
        match Message::parse(&bytes).unwrap() {
            Message::Response(r) => (
                r.status.as_u16(),
                String::from_utf8_lossy(&r.body).into_owned(),
            ),
            Message::Request(r) => panic!("sent a request {r:?}"),
        }
    }

    #[test]
    fn the_caller_offers_only_its_codec() {
        let mut e = engine(CodecKind::Opus, CodecKind::Pcmu);
        let sdp = String::from_utf8(launch(&mut e).body.to_vec()).unwrap();
        assert!(sdp.contains("m=audio 40000 RTP/AVP 111\r\n"), "{sdp}");
        assert!(sdp.contains("a=rtpmap:111 opus/48000/2\r\n"), "{sdp}");
        assert!(sdp.contains("a=fmtp:111 useinbandfec=1\r\n"), "{sdp}");
        assert!(sdp.contains("a=ptime:20\r\n"), "{sdp}");
        assert!(!sdp.contains("PCMU"), "{sdp}");

        let mut e = engine(CodecKind::Pcma, CodecKind::Opus);
        let sdp = String::from_utf8(launch(&mut e).body.to_vec()).unwrap();
        assert!(sdp.contains("m=audio 40000 RTP/AVP 8 101\r\n"), "{sdp}");
        assert!(!sdp.contains("PCMU") && !sdp.contains("opus"), "{sdp}");

        // The default: what callgen always offered.
        let mut e = engine(CodecKind::Pcmu, CodecKind::Pcmu);
        let sdp = String::from_utf8(launch(&mut e).body.to_vec()).unwrap();
        assert!(sdp.contains("m=audio 40000 RTP/AVP 0 101\r\n"), "{sdp}");
        assert!(
            sdp.contains("a=rtpmap:101 telephone-event/8000\r\n"),
            "{sdp}"
        );
    }

    #[test]
    fn the_far_end_answers_with_its_codec_on_the_offered_payload_type() {
        let mut e = engine(CodecKind::Pcmu, CodecKind::Opus);
        launch(&mut e);
        let (status, sdp) = far_reply(
            &mut e,
            &gateway_invite(
                "a",
                "m=audio 30000 RTP/AVP 0 96\r\na=rtpmap:96 opus/48000/2\r\n",
            ),
        );
        assert_eq!(status, 200);
        assert!(sdp.contains("m=audio 40000 RTP/AVP 96\r\n"), "{sdp}");
        assert!(sdp.contains("a=rtpmap:96 opus/48000/2\r\n"), "{sdp}");
        assert!(sdp.contains("a=fmtp:96 useinbandfec=1\r\n"), "{sdp}");
        let far = e.far.values().next().unwrap();
        assert_eq!(far.payload_type, 96);
        assert_eq!(far.remote_rtp, Some("127.0.0.1:30000".parse().unwrap()));
        assert_eq!(e.results.far_rejected, 0);
    }

    #[test]
    fn the_far_end_refuses_an_offer_without_its_codec_and_the_call_fails_saying_why() {
        let mut e = engine(CodecKind::Opus, CodecKind::Pcmu);
        let invite = launch(&mut e);
        let (status, _) = far_reply(
            &mut e,
            &gateway_invite(
                "b",
                "m=audio 30000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n",
            ),
        );
        assert_eq!(status, 488);
        assert_eq!(e.results.far_rejected, 1);
        // The gateway passes the refusal back to the caller.
        let resp = Response::for_request(&invite, StatusCode::new(488).unwrap(), Some("gw"));
        e.handle_datagram(
            Instant::now(),
            Side::Uac,
            &resp.to_bytes(),
            GATEWAY.parse().unwrap(),
        );
        assert!(e.calls.is_empty());
        assert_eq!(
            e.results.failed.keys().collect::<Vec<_>>(),
            ["488 (far end refused: the gateway offered opus and no PCMU)"]
        );
    }

    #[test]
    fn a_488_from_the_gateway_itself_says_the_far_end_saw_nothing() {
        let mut e = engine(CodecKind::Opus, CodecKind::Pcmu);
        let invite = launch(&mut e);
        let resp = Response::for_request(&invite, StatusCode::new(488).unwrap(), Some("gw"));
        e.handle_datagram(
            Instant::now(),
            Side::Uac,
            &resp.to_bytes(),
            GATEWAY.parse().unwrap(),
        );
        assert_eq!(
            e.results.failed.keys().collect::<Vec<_>>(),
            [
                "488 (from the gateway, which refused the caller's opus offer; the far end saw no INVITE)"
            ]
        );
    }
}
