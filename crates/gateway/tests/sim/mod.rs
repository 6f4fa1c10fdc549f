//! A simulated network and clock around the B2BUA [`Controller`].
//!
//! The controller listens at [`CTL`] (127.0.0.1:5060). Simulated user agents
//! sit at other 127.0.0.1 addresses ([`CALLER`], [`FAR`], ...); each owns a
//! real [`TransactionLayer`] (so retransmissions, CANCEL answers and the ACK
//! of non-2xx responses are the real ones) plus a little scripted UA core:
//! it acknowledges every 2xx to its INVITEs, answers BYE with 200 and a
//! cancelled INVITE with 487 (each can be switched off), and otherwise does
//! what the test tells it to.
//!
//! Every message crosses the network as bytes and is parsed again with
//! `Message::parse`, so serialisation is exercised on both sides. Every
//! transmission is logged in [`Sim::wire`] (dropped or not), and the tests
//! assert on that log: what each side put on the wire, when.
//!
//! Time is simulated: one `Instant` taken at start ([`Sim::base`]) plus
//! durations. [`Sim::progress`] jumps to the earliest of the next delivery,
//! the controller's timer and the UAs' timers; nothing ever sleeps.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tandem::config::{Config, parse_str};
use tandem::controller::{Controller, LocalAddrs};
use tandem::media::{LegProfile, MediaEngine, MediaError, MediaSession, RemoteMedia, Side};
use tandem_sip::message::{HeaderName, Host, Message, Method, Request, Response, StatusCode, Uri};
use tandem_sip::sdp::{Direction, MediaSection, Sdp};
use tandem_sip::transaction::{
    LayerOutput, LocalVia, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use tandem_sip::transport::{Peer, TransportKind};

const fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port)
}

/// The controller's SIP address.
pub const CTL: SocketAddr = v4(127, 0, 0, 1, 5060);
/// The calling UA (member of the `callers` trunk by its IP).
pub const CALLER: SocketAddr = v4(127, 0, 0, 1, 5070);
/// A second calling UA.
pub const CALLER2: SocketAddr = v4(127, 0, 0, 1, 5072);
/// The far end: the `far-end` trunk's address.
pub const FAR: SocketAddr = v4(127, 0, 0, 1, 5090);
/// Where the caller receives RTP.
pub const CALLER_RTP: SocketAddr = v4(127, 0, 0, 1, 30000);
/// Where the second caller receives RTP.
pub const CALLER2_RTP: SocketAddr = v4(127, 0, 0, 1, 30010);
/// Where the far end receives RTP.
pub const FAR_RTP: SocketAddr = v4(127, 0, 0, 1, 31000);

/// The number the `callers` trunk may call, forwarded to `far-end`.
pub const NUMBER: &str = "+15550100";
/// What the far end is asked for.
pub const FORWARDED_TO: &str = "+15550199";

/// One-way network delay.
pub const DELAY: Duration = Duration::from_millis(10);

/// The default configuration: callers from 127.0.0.1 (PCMU, PCMA,
/// telephone-event), a far-end trunk at [`FAR`] (PCMU, telephone-event),
/// [`NUMBER`] forwarded to [`FORWARDED_TO`] there, T1 500 ms, ringing for
/// at most 60 s.
pub fn config_text() -> String {
    format!(
        r#"
[sip]
udp = ["{CTL}"]
tcp = []
t1_ms = 500
no_answer_timeout_secs = 60

[media]
address = "127.0.0.1"

[[trunks]]
name = "callers"
inbound_from = ["127.0.0.1"]
codecs = ["PCMU", "PCMA", "telephone-event"]

[[trunks]]
name = "far-end"
address = "{FAR}"
codecs = ["PCMU", "telephone-event"]

[[numbers]]
number = "{NUMBER}"
forward = {{ trunk = "far-end", to = "{FORWARDED_TO}" }}
"#
    )
}

// ----- fake media -------------------------------------------------------

/// Everything the controller asked of the media engine.
#[derive(Debug, Default)]
pub struct MediaLog {
    /// Call numbers sessions were opened for, in order.
    pub opened: Vec<u64>,
    /// Every `set_remote(side, remote)`, with the call number.
    pub remotes: Vec<(u64, Side, RemoteMedia)>,
    /// Call numbers whose session was dropped (ports returned).
    pub dropped: Vec<u64>,
    /// Make `open` fail (ports exhausted).
    pub fail_open: bool,
}

impl MediaLog {
    /// The last `set_remote` of one leg of one call.
    pub fn last_remote(&self, call: u64, side: Side) -> Option<RemoteMedia> {
        self.remotes
            .iter()
            .rev()
            .find(|(c, s, _)| *c == call && *s == side)
            .map(|(_, _, r)| *r)
    }

    /// Every `set_remote` of one leg of one call, in order.
    pub fn remotes_of(&self, call: u64, side: Side) -> Vec<RemoteMedia> {
        self.remotes
            .iter()
            .filter(|(c, s, _)| *c == call && *s == side)
            .map(|(_, _, r)| *r)
            .collect()
    }
}

/// A media engine that opens no socket: call `n` gets leg A at
/// 127.0.0.1:(40000 + 4(n-1)) and leg B two ports above.
#[derive(Debug, Clone)]
pub struct FakeEngine {
    log: Arc<Mutex<MediaLog>>,
}

/// The fake local RTP address of one leg of call `call`.
pub fn fake_local_rtp(call: u64, side: Side) -> SocketAddr {
    let base = 40000 + 4 * (call.saturating_sub(1) as u16);
    v4(127, 0, 0, 1, base + 2 * side.index() as u16)
}

/// A fake session; dropping it records the ports as returned.
#[derive(Debug)]
pub struct FakeSession {
    call: u64,
    log: Arc<Mutex<MediaLog>>,
}

fn lock(log: &Mutex<MediaLog>) -> MutexGuard<'_, MediaLog> {
    log.lock().unwrap_or_else(|e| e.into_inner())
}

impl MediaEngine for FakeEngine {
    type Session = FakeSession;

    fn open(&mut self, call: u64, _profiles: [LegProfile; 2]) -> Result<FakeSession, MediaError> {
        let mut log = lock(&self.log);
        if log.fail_open {
            return Err(MediaError::PortsExhausted);
        }
        log.opened.push(call);
        Ok(FakeSession {
            call,
            log: self.log.clone(),
        })
    }
}

impl MediaSession for FakeSession {
    fn local_rtp(&self, side: Side) -> SocketAddr {
        fake_local_rtp(self.call, side)
    }

    fn set_remote(&mut self, side: Side, remote: RemoteMedia) {
        lock(&self.log).remotes.push((self.call, side, remote));
    }
}

impl Drop for FakeSession {
    fn drop(&mut self) {
        lock(&self.log).dropped.push(self.call);
    }
}

// ----- simulated user agents --------------------------------------------

/// What a UA does by itself.
#[derive(Debug, Clone, Copy)]
pub struct Auto {
    /// ACK every 2xx to its INVITEs (retransmissions too, RFC 3261 §13.2.2.4).
    pub ack_2xx: bool,
    /// Answer an in-dialog BYE with 200.
    pub answer_bye: bool,
    /// Answer an INVITE that the peer cancelled with 487.
    pub answer_cancel_487: bool,
}

impl Default for Auto {
    fn default() -> Self {
        Self {
            ack_2xx: true,
            answer_bye: true,
            answer_cancel_487: true,
        }
    }
}

/// A UA's view of one dialog, kept by hand (independent of
/// `tandem_sip::dialog`, which is under test elsewhere).
#[derive(Debug, Clone)]
pub struct UaDialog {
    /// Call-ID.
    pub call_id: String,
    /// Our From (in requests we send), with our tag, as written.
    pub local: String,
    /// The peer's address with its tag, as written.
    pub remote: String,
    /// Where our in-dialog requests are addressed.
    pub remote_target: Uri,
    /// Our last CSeq number.
    pub local_seq: u32,
}

/// One simulated UA.
#[derive(Debug)]
pub struct Ua {
    /// Its address.
    pub addr: SocketAddr,
    /// The user part of its Contact.
    pub user: String,
    /// Its transaction layer.
    pub layer: TransactionLayer,
    /// Every TU event, with the time.
    pub events: Vec<(Instant, TuEvent)>,
    /// What it does by itself.
    pub auto: Auto,
    /// Drop everything that arrives (a dead host).
    pub silent: bool,
    /// Its dialogs, by Call-ID.
    pub dialogs: HashMap<String, UaDialog>,
    /// The tag it puts into To when answering.
    pub tag: String,
}

impl Ua {
    fn new(addr: SocketAddr, user: &str, config: TimerConfig) -> Self {
        let host = match addr.ip() {
            IpAddr::V4(ip) => Host::V4(ip),
            IpAddr::V6(ip) => Host::V6(ip),
        };
        let via = LocalVia::none().with(TransportKind::Udp, host, Some(addr.port()));
        Self {
            addr,
            user: user.to_owned(),
            layer: TransactionLayer::new(config, via),
            events: Vec::new(),
            auto: Auto::default(),
            silent: false,
            dialogs: HashMap::new(),
            tag: format!("{user}-tag"),
        }
    }

    /// Its Contact value.
    pub fn contact(&self) -> String {
        format!("<sip:{}@{}>", self.user, self.addr)
    }

    /// The request of the server transaction `key`.
    pub fn request_of(&self, key: &TransactionKey) -> Option<Request> {
        self.events.iter().find_map(|(_, e)| match e {
            TuEvent::Request {
                key: k, request, ..
            } if k == key => Some(request.clone()),
            _ => None,
        })
    }

    /// Every request (new server transaction) of `method` it got, in order.
    pub fn requests(&self, method: &Method) -> Vec<(TransactionKey, Request)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                TuEvent::Request { key, request, .. } if &request.method == method => {
                    Some((key.clone(), request.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Responses its TU got on client transaction `key`.
    pub fn responses(&self, key: &TransactionKey) -> Vec<Response> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                TuEvent::Response { key: k, response } if k == key => Some(response.clone()),
                _ => None,
            })
            .collect()
    }

    /// Status codes its TU got on client transaction `key`.
    pub fn codes(&self, key: &TransactionKey) -> Vec<u16> {
        self.responses(key)
            .iter()
            .map(|r| r.status.as_u16())
            .collect()
    }

    /// A response with a To tag to one of our INVITEs: remember the peer's
    /// tag and (from Contact) target.
    fn learn_dialog_from_response(&mut self, resp: &Response) {
        let Some(call_id) = resp.headers.call_id().map(str::to_owned) else {
            return;
        };
        let seq = resp.headers.cseq().map_or(1, |c| c.seq);
        let contact = resp
            .headers
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .map(|c| c.uri);
        let Some(to) = resp.headers.get(&HeaderName::To).map(str::to_owned) else {
            return;
        };
        let from = resp
            .headers
            .get(&HeaderName::From)
            .unwrap_or_default()
            .to_owned();
        let d = self.dialogs.entry(call_id.clone()).or_insert(UaDialog {
            call_id,
            local: from,
            remote: String::new(),
            remote_target: contact
                .clone()
                .unwrap_or_else(|| format!("sip:{CTL}").parse().expect("uri")),
            local_seq: seq,
        });
        d.remote = to;
        if let Some(c) = contact {
            d.remote_target = c;
        }
        d.local_seq = d.local_seq.max(seq);
    }
}

// ----- the network ---------------------------------------------------------

/// One transmission.
#[derive(Debug, Clone)]
pub struct Wire {
    /// When it was sent.
    pub at: Instant,
    /// Sender.
    pub from: SocketAddr,
    /// Destination.
    pub to: SocketAddr,
    /// The message, as parsed from the bytes sent.
    pub msg: Message,
    /// Lost on the way.
    pub dropped: bool,
}

impl Wire {
    /// The request, if it is one of `method`.
    pub fn request(&self, method: &Method) -> Option<&Request> {
        match &self.msg {
            Message::Request(r) if &r.method == method => Some(r),
            _ => None,
        }
    }

    /// The response, if it answers a request of `method` (by CSeq).
    pub fn response(&self, method: &Method) -> Option<&Response> {
        match &self.msg {
            Message::Response(r) if r.headers.cseq().is_some_and(|c| &c.method == method) => {
                Some(r)
            }
            _ => None,
        }
    }
}

struct InFlight {
    deliver_at: Instant,
    from: SocketAddr,
    to: SocketAddr,
    msg: Message,
}

type DropRule = Box<dyn FnMut(&Wire) -> bool>;

/// The controller, the UAs, the network and the clock.
pub struct Sim {
    /// The one `Instant::now()` of the test.
    pub base: Instant,
    /// Simulated now.
    pub now: Instant,
    /// The B2BUA under test.
    pub ctl: Controller<FakeEngine>,
    /// What it did with media.
    pub media: Arc<Mutex<MediaLog>>,
    /// The simulated UAs.
    pub uas: Vec<Ua>,
    /// Every transmission, in order.
    pub wire: Vec<Wire>,
    /// One-way delay.
    pub delay: Duration,
    /// The configuration the controller runs with.
    pub config: Arc<Config>,
    drop_rule: Option<DropRule>,
    in_flight: Vec<InFlight>,
    counter: u32,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &(self.now - self.base))
            .field("ctl", &self.ctl)
            .field("wire", &self.wire.len())
            .finish()
    }
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    /// The default configuration, with UAs at [`CALLER`] and [`FAR`].
    pub fn new() -> Self {
        Self::with_config(&config_text())
    }

    /// A configuration of the test's own, with UAs at [`CALLER`] and [`FAR`].
    pub fn with_config(text: &str) -> Self {
        let config = Arc::new(parse_str(text, "test.toml").expect("test config is valid"));
        let media = Arc::new(Mutex::new(MediaLog::default()));
        let base = Instant::now();
        let local = LocalAddrs {
            udp: vec![CTL],
            tcp: Vec::new(),
            ws: Vec::new(),
            advertised: None,
        };
        let ctl = Controller::new(
            config.clone(),
            local,
            FakeEngine { log: media.clone() },
            base,
        );
        let mut sim = Self {
            base,
            now: base,
            ctl,
            media,
            uas: Vec::new(),
            wire: Vec::new(),
            delay: DELAY,
            config,
            drop_rule: None,
            in_flight: Vec::new(),
            counter: 0,
        };
        sim.add_ua(CALLER, "alice");
        sim.add_ua(FAR, "bob");
        sim.drain();
        sim
    }

    /// Adds a UA.
    pub fn add_ua(&mut self, addr: SocketAddr, user: &str) {
        let timers = TimerConfig {
            t1: self.config.sip.t1,
            t2: self.config.sip.t2,
            t4: self.config.sip.t4,
        };
        self.uas.push(Ua::new(addr, user, timers));
    }

    /// Removes the UA at `addr` (messages to it are then lost).
    pub fn remove_ua(&mut self, addr: SocketAddr) {
        self.uas.retain(|u| u.addr != addr);
    }

    /// The UA at `addr`.
    pub fn ua(&mut self, addr: SocketAddr) -> &mut Ua {
        self.uas
            .iter_mut()
            .find(|u| u.addr == addr)
            .unwrap_or_else(|| panic!("no UA at {addr}"))
    }

    /// The UA at `addr`, read-only.
    pub fn ua_ref(&self, addr: SocketAddr) -> &Ua {
        self.uas
            .iter()
            .find(|u| u.addr == addr)
            .unwrap_or_else(|| panic!("no UA at {addr}"))
    }

    /// The media log.
    pub fn media(&self) -> MutexGuard<'_, MediaLog> {
        lock(&self.media)
    }

    /// Loses every message for which `rule(&wire)` is true.
    pub fn set_drop(&mut self, rule: impl FnMut(&Wire) -> bool + 'static) {
        self.drop_rule = Some(Box::new(rule));
    }

    /// Stops losing messages.
    pub fn clear_drop(&mut self) {
        self.drop_rule = None;
    }

    /// Simulated seconds since the start.
    pub fn secs(&self, t: Instant) -> f64 {
        (t - self.base).as_secs_f64()
    }

    /// The instant `ms` milliseconds after the start.
    pub fn at_ms(&self, ms: u64) -> Instant {
        self.base + Duration::from_millis(ms)
    }

    fn send_on_wire(&mut self, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => panic!(
                "{from} sent unparsable bytes ({e}):\n{}",
                String::from_utf8_lossy(bytes)
            ),
        };
        let mut wire = Wire {
            at: self.now,
            from,
            to,
            msg,
            dropped: false,
        };
        if let Some(rule) = self.drop_rule.as_mut() {
            wire.dropped = rule(&wire);
        }
        if !wire.dropped {
            self.in_flight.push(InFlight {
                deliver_at: self.now + self.delay,
                from,
                to,
                msg: wire.msg.clone(),
            });
        }
        self.wire.push(wire);
    }

    /// Moves every output of the controller and the UAs to the network,
    /// and runs the UAs' automatic behaviour, until nothing is left.
    pub fn drain(&mut self) {
        loop {
            let mut moved = false;
            while let Some((bytes, dest)) = self.ctl.poll_transmit() {
                moved = true;
                assert_eq!(
                    dest.transport,
                    TransportKind::Udp,
                    "controller used {dest:?}"
                );
                self.send_on_wire(CTL, dest.addr, &bytes);
            }
            for i in 0..self.uas.len() {
                while let Some(out) = self.uas[i].layer.poll_output() {
                    moved = true;
                    let from = self.uas[i].addr;
                    match out {
                        LayerOutput::Transmit { bytes, dest } => {
                            self.send_on_wire(from, dest.addr, &bytes)
                        }
                        LayerOutput::Event(ev) => self.ua_event(i, ev),
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// The UA core: record the event, then do what it does by itself.
    fn ua_event(&mut self, i: usize, ev: TuEvent) {
        let now = self.now;
        self.uas[i].events.push((now, ev.clone()));
        match ev {
            TuEvent::Response { response, .. } => {
                let is_invite = response
                    .headers
                    .cseq()
                    .is_some_and(|c| c.method == Method::Invite);
                if is_invite && response.headers.to_tag().is_some() {
                    self.uas[i].learn_dialog_from_response(&response);
                }
                if is_invite && response.status.is_success() && self.uas[i].auto.ack_2xx {
                    self.ua_ack(i, &response);
                }
            }
            TuEvent::Stray2xx { response, .. } if self.uas[i].auto.ack_2xx => {
                self.ua_ack(i, &response);
            }
            TuEvent::Request { key, request, .. } if request.headers.to_tag().is_some() => {
                let contact = request
                    .headers
                    .contacts()
                    .ok()
                    .and_then(|c| c.into_iter().next());
                let dialog = request
                    .headers
                    .call_id()
                    .and_then(|c| self.uas[i].dialogs.get_mut(c));
                // Target refresh (RFC 3261 §12.2.2).
                if let (Some(d), Some(c), true) =
                    (dialog, contact, request.method == Method::Invite)
                {
                    d.remote_target = c.uri;
                }
                if request.method == Method::Bye && self.uas[i].auto.answer_bye {
                    let addr = self.uas[i].addr;
                    self.respond(addr, &key, 200, None);
                }
            }
            TuEvent::Cancelled { invite, .. } if self.uas[i].auto.answer_cancel_487 => {
                let addr = self.uas[i].addr;
                self.respond(addr, &invite, 487, None);
            }
            _ => {}
        }
    }

    /// The ACK for a 2xx, built from the response (no route set here) and
    /// sent statelessly to the controller.
    fn ua_ack(&mut self, i: usize, ok: &Response) {
        let call_id = ok.headers.call_id().unwrap_or_default().to_owned();
        let fallback = self.uas[i]
            .dialogs
            .get(&call_id)
            .map(|d| d.remote_target.clone());
        let ack = ack_for_2xx(ok, fallback);
        self.uas[i]
            .layer
            .send_stateless(ack, Peer::udp(CTL))
            .expect("ACK sent");
    }

    /// Puts `msg` on the wire from `from` to `to`, past any transaction
    /// layer (a forked response, a hand-made retransmission).
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, msg: Message) {
        let bytes = msg.to_bytes();
        self.send_on_wire(from, to, &bytes);
        self.drain();
    }

    /// The UA at `at` sends `ack` (built with [`ack_for_2xx`]) statelessly.
    pub fn send_ack(&mut self, at: SocketAddr, ack: Request) {
        self.ua(at)
            .layer
            .send_stateless(ack, Peer::udp(CTL))
            .expect("ACK sent");
        self.drain();
    }

    // ----- time ----------------------------------------------------------

    /// The next instant something happens, if anything will.
    pub fn next_instant(&self) -> Option<Instant> {
        let uas = self.uas.iter().filter_map(|u| u.layer.poll_timeout()).min();
        [
            self.in_flight.iter().map(|f| f.deliver_at).min(),
            self.ctl.poll_timeout(),
            uas,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn step_to(&mut self, t: Instant) {
        self.now = self.now.max(t);
        let now = self.now;
        // Deliveries due, in the order they were sent.
        let mut due = Vec::new();
        let mut i = 0;
        while i < self.in_flight.len() {
            if self.in_flight[i].deliver_at <= now {
                due.push(self.in_flight.remove(i));
            } else {
                i += 1;
            }
        }
        for f in due {
            if f.to == CTL {
                self.ctl.handle_message(now, f.msg, Peer::udp(f.from));
            } else if let Some(ua) = self.uas.iter_mut().find(|u| u.addr == f.to && !u.silent) {
                ua.layer.handle_received(now, f.msg, Peer::udp(f.from));
            }
            self.drain();
        }
        if self.ctl.poll_timeout().is_some_and(|t| t <= now) {
            self.ctl.handle_timeout(now);
            self.drain();
        }
        for i in 0..self.uas.len() {
            if self.uas[i].layer.poll_timeout().is_some_and(|t| t <= now) {
                self.uas[i].layer.handle_timeout(now);
                self.drain();
            }
        }
    }

    /// Advances to the next instant and handles it. False when nothing is
    /// left to happen.
    pub fn progress(&mut self) -> bool {
        self.drain();
        match self.next_instant() {
            Some(t) => {
                self.step_to(t);
                true
            }
            None => false,
        }
    }

    /// Runs everything due up to and including `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Instant) {
        let mut steps = 0u32;
        loop {
            self.drain();
            match self.next_instant() {
                Some(n) if n <= t => {
                    steps += 1;
                    assert!(
                        steps < 100_000,
                        "simulation does not advance (stuck at {:?})",
                        n - self.base
                    );
                    self.step_to(n);
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
    }

    /// Runs for `d` of simulated time.
    pub fn run_for(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }

    /// Runs `ms` milliseconds: enough for a few round trips at 10 ms.
    pub fn run_ms(&mut self, ms: u64) {
        self.run_for(Duration::from_millis(ms));
    }

    /// Runs everything that happens in the next `limit` (retransmissions,
    /// timers running out), so that leftovers can be asserted on.
    pub fn run_to_end(&mut self, limit: Duration) {
        let end = self.now + limit;
        self.run_until(end);
    }

    // ----- what the UAs do -------------------------------------------------

    /// A new INVITE from the UA at `from` to `number` at the controller,
    /// with a fresh Call-ID and From tag, CSeq 1, Contact, and `sdp` as
    /// body when given.
    pub fn invite_request(&mut self, from: SocketAddr, number: &str, sdp: Option<&str>) -> Request {
        self.counter += 1;
        let n = self.counter;
        let ua = self.ua_ref(from);
        let mut r = Request::new(
            Method::Invite,
            format!("sip:{number}@{CTL}").parse().expect("uri"),
        );
        r.headers.push_value(HeaderName::MaxForwards, 70);
        r.headers.push_value(
            HeaderName::From,
            format!("\"Alice\" <sip:+15551234@{}>;tag=from-{n}", from.ip()),
        );
        r.headers
            .push_value(HeaderName::To, format!("<sip:{number}@{CTL}>"));
        r.headers.push_value(
            HeaderName::CallId,
            format!("call-{n}-{}@{}", from.port(), from.ip()),
        );
        r.headers.push_value(HeaderName::CSeq, "1 INVITE");
        r.headers.push_value(HeaderName::Contact, ua.contact());
        if let Some(sdp) = sdp {
            r.headers
                .push_value(HeaderName::ContentType, "application/sdp");
            r.body = bytes::Bytes::from(sdp.replace("\r\n", "\n").replace('\n', "\r\n"));
        }
        r
    }

    /// The UA at `from` calls `number` with `sdp`.
    pub fn invite(&mut self, from: SocketAddr, number: &str, sdp: Option<&str>) -> TransactionKey {
        let req = self.invite_request(from, number, sdp);
        self.send_request(from, req)
    }

    /// The UA at `from` starts a client transaction for `req` toward the
    /// controller. An INVITE without To tag starts a dialog record.
    pub fn send_request(&mut self, from: SocketAddr, req: Request) -> TransactionKey {
        let now = self.now;
        let ua = self.ua(from);
        if req.method == Method::Invite && req.headers.to_tag().is_none() {
            let call_id = req.headers.call_id().expect("Call-ID").to_owned();
            let seq = req.headers.cseq().expect("CSeq").seq;
            let entry = ua.dialogs.entry(call_id.clone()).or_insert(UaDialog {
                call_id,
                local: req.headers.get(&HeaderName::From).expect("From").to_owned(),
                remote: String::new(),
                remote_target: req.uri.clone(),
                local_seq: seq,
            });
            entry.local_seq = entry.local_seq.max(seq);
        }
        let key = ua
            .layer
            .send_request(now, req, Peer::udp(CTL))
            .expect("UA send_request");
        self.drain();
        key
    }

    /// The UA at `at` answers its server transaction `key` with `code`,
    /// its tag in To (anything but 100), its Contact on 1xx/2xx to INVITE,
    /// and `sdp` as body when given.
    pub fn respond(&mut self, at: SocketAddr, key: &TransactionKey, code: u16, sdp: Option<&str>) {
        let ua = self.ua_ref(at);
        let req = ua.request_of(key).expect("no such request at this UA");
        let status = StatusCode::new(code).expect("status");
        let tag = (code > 100).then(|| ua.tag.clone());
        let mut resp = Response::for_request(&req, status, tag.as_deref());
        if req.method == Method::Invite && code > 100 && code < 300 {
            resp.headers.push_value(HeaderName::Contact, ua.contact());
        }
        if let Some(sdp) = sdp {
            resp.headers
                .push_value(HeaderName::ContentType, "application/sdp");
            resp.body = bytes::Bytes::from(sdp.replace("\r\n", "\n").replace('\n', "\r\n"));
        }
        self.send_response(at, key, resp);
    }

    /// The UA at `at` sends `resp` on server transaction `key`. A 101-299
    /// to an out-of-dialog INVITE makes a dialog record.
    pub fn send_response(&mut self, at: SocketAddr, key: &TransactionKey, resp: Response) {
        let now = self.now;
        let ua = self.ua(at);
        let req = ua.request_of(key).expect("no such request at this UA");
        let code = resp.status.as_u16();
        if req.method == Method::Invite
            && req.headers.to_tag().is_none()
            && code > 100
            && code < 300
        {
            let call_id = req.headers.call_id().expect("Call-ID").to_owned();
            let target = req
                .headers
                .contacts()
                .ok()
                .and_then(|c| c.into_iter().next())
                .map(|c| c.uri)
                .expect("INVITE has Contact");
            ua.dialogs.entry(call_id.clone()).or_insert(UaDialog {
                call_id,
                local: resp.headers.get(&HeaderName::To).expect("To").to_owned(),
                remote: req.headers.get(&HeaderName::From).expect("From").to_owned(),
                remote_target: target,
                local_seq: 100,
            });
        }
        ua.layer
            .send_response(now, key, resp)
            .expect("UA send_response");
        self.drain();
    }

    /// The UA at `at` cancels its INVITE `invite`.
    pub fn cancel(&mut self, at: SocketAddr, invite: &TransactionKey) -> TransactionKey {
        let now = self.now;
        let key = self
            .ua(at)
            .layer
            .send_cancel(now, invite)
            .expect("UA send_cancel");
        self.drain();
        key
    }

    /// An in-dialog request of the UA at `at` in the dialog of `call_id`
    /// (next CSeq, From/To with tags, remote target as request-URI).
    pub fn dialog_request(&mut self, at: SocketAddr, call_id: &str, method: Method) -> Request {
        let ua = self.ua(at);
        let contact = ua.contact();
        let d = ua
            .dialogs
            .get_mut(call_id)
            .unwrap_or_else(|| panic!("no dialog {call_id} at {at}"));
        d.local_seq += 1;
        let mut r = Request::new(method.clone(), d.remote_target.clone());
        r.headers.push_value(HeaderName::MaxForwards, 70);
        r.headers.push_value(HeaderName::From, &d.local);
        r.headers.push_value(HeaderName::To, &d.remote);
        r.headers.push_value(HeaderName::CallId, &d.call_id);
        r.headers.push_value(
            HeaderName::CSeq,
            format!("{} {}", d.local_seq, method.as_str()),
        );
        if method == Method::Invite {
            r.headers.push_value(HeaderName::Contact, contact);
        }
        r
    }

    /// The Call-ID of the only dialog of the UA at `at`.
    pub fn only_call_id(&self, at: SocketAddr) -> String {
        let ua = self.ua_ref(at);
        assert_eq!(ua.dialogs.len(), 1, "{at} has {} dialogs", ua.dialogs.len());
        ua.dialogs.keys().next().cloned().unwrap_or_default()
    }

    /// The UA at `at` sends BYE in its only dialog.
    pub fn bye(&mut self, at: SocketAddr) -> TransactionKey {
        let call_id = self.only_call_id(at);
        let req = self.dialog_request(at, &call_id, Method::Bye);
        self.send_request(at, req)
    }

    /// The UA at `at` sends a re-INVITE with `sdp` in its only dialog.
    pub fn reinvite(&mut self, at: SocketAddr, sdp: &str) -> TransactionKey {
        let call_id = self.only_call_id(at);
        let mut req = self.dialog_request(at, &call_id, Method::Invite);
        req.headers
            .push_value(HeaderName::ContentType, "application/sdp");
        req.body = bytes::Bytes::from(sdp.replace("\r\n", "\n").replace('\n', "\r\n"));
        self.send_request(at, req)
    }

    // ----- what was seen ---------------------------------------------------

    /// Transmissions from `from` to `to` (dropped ones included).
    pub fn wire_between(&self, from: SocketAddr, to: SocketAddr) -> Vec<&Wire> {
        self.wire
            .iter()
            .filter(|w| w.from == from && w.to == to)
            .collect()
    }

    /// Requests of `method` sent to `to` (by anyone), dropped ones included.
    pub fn requests_to(&self, to: SocketAddr, method: &Method) -> Vec<Request> {
        self.wire
            .iter()
            .filter(|w| w.to == to)
            .filter_map(|w| w.request(method).cloned())
            .collect()
    }

    /// Requests of `method` sent by `from`, dropped ones included.
    pub fn requests_from(&self, from: SocketAddr, method: &Method) -> Vec<Request> {
        self.wire
            .iter()
            .filter(|w| w.from == from)
            .filter_map(|w| w.request(method).cloned())
            .collect()
    }

    /// Responses to requests of `method` sent to `to`, dropped ones included.
    pub fn responses_to(&self, to: SocketAddr, method: &Method) -> Vec<Response> {
        self.wire
            .iter()
            .filter(|w| w.to == to)
            .filter_map(|w| w.response(method).cloned())
            .collect()
    }

    /// Status codes of responses to `method` sent to `to`, in order.
    pub fn codes_to(&self, to: SocketAddr, method: &Method) -> Vec<u16> {
        self.responses_to(to, method)
            .iter()
            .map(|r| r.status.as_u16())
            .collect()
    }

    /// Seconds (since start) at which a message matching `f` was sent from
    /// `from` to `to`.
    pub fn sent_times(
        &self,
        from: SocketAddr,
        to: SocketAddr,
        f: impl Fn(&Wire) -> bool,
    ) -> Vec<f64> {
        self.wire
            .iter()
            .filter(|w| w.from == from && w.to == to && f(w))
            .map(|w| self.secs(w.at))
            .collect()
    }

    /// A one-line summary of every transmission, for failure messages.
    pub fn trace(&self) -> String {
        let mut s = String::new();
        for w in &self.wire {
            let what = match &w.msg {
                Message::Request(r) => format!("{} {}", r.method.as_str(), r.uri),
                Message::Response(r) => format!(
                    "{} {} ({})",
                    r.status.as_u16(),
                    r.reason,
                    r.headers
                        .cseq()
                        .map(|c| c.method.as_str().to_owned())
                        .unwrap_or_default()
                ),
            };
            s.push_str(&format!(
                "{:>9.3}s {} -> {} {}{}\n",
                self.secs(w.at),
                w.from.port(),
                w.to.port(),
                what,
                if w.dropped { " [dropped]" } else { "" }
            ));
        }
        s
    }

    /// Sets up an answered call from [`CALLER`] (PCMU + telephone-event
    /// 101) through the controller to [`FAR`] (answers 180, then 200 with
    /// PCMU + telephone-event), ACKed on both legs. Returns the caller's
    /// INVITE key and the far end's INVITE key.
    pub fn answered_call(&mut self) -> (TransactionKey, TransactionKey) {
        let offer = sdp(CALLER_RTP, &[0, 101], "sendrecv", 1);
        let a_key = self.invite(CALLER, NUMBER, Some(&offer));
        self.run_ms(50);
        let (b_key, b_invite) = self
            .ua_ref(FAR)
            .requests(&Method::Invite)
            .last()
            .cloned()
            .expect("far end got the INVITE");
        let answer = answer_for(&b_invite, FAR_RTP, "sendrecv", 1);
        self.respond(FAR, &b_key, 180, None);
        self.run_ms(50);
        self.respond(FAR, &b_key, 200, Some(&answer));
        self.run_ms(100);
        assert_eq!(
            self.ua_ref(CALLER).codes(&a_key).last(),
            Some(&200),
            "call not answered:\n{}",
            self.trace()
        );
        (a_key, b_key)
    }
}

/// The CSeq number of a message's headers.
pub fn seq(h: &tandem_sip::message::Headers) -> u32 {
    h.cseq().expect("message has a CSeq").seq
}

/// The top Via branch of a message's headers.
pub fn branch(h: &tandem_sip::message::Headers) -> String {
    h.top_via()
        .and_then(|v| v.branch().map(str::to_owned))
        .expect("message has a top Via with a branch")
}

/// The ACK for a 2xx (RFC 3261 §13.2.2.4), built from the response: its
/// Contact (else `fallback`) as request-URI, its From, To, Call-ID and CSeq
/// number. No Via: the layer adds one with a new branch.
pub fn ack_for_2xx(ok: &Response, fallback: Option<Uri>) -> Request {
    let target = ok
        .headers
        .contacts()
        .ok()
        .and_then(|c| c.into_iter().next())
        .map(|c| c.uri)
        .or(fallback)
        .expect("2xx without Contact and no dialog");
    let seq = ok.headers.cseq().expect("2xx has CSeq").seq;
    let mut ack = Request::new(Method::Ack, target);
    ack.headers.push_value(HeaderName::MaxForwards, 70);
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
        let v = ok.headers.get(&name).expect("2xx has From, To, Call-ID");
        ack.headers.push_value(name.clone(), v);
    }
    ack.headers
        .push_value(HeaderName::CSeq, format!("{seq} ACK"));
    ack
}

/// `req` with `sdp` as its body (Content-Type application/sdp).
pub fn with_sdp(mut req: Request, sdp: &str) -> Request {
    req.headers.set(HeaderName::ContentType, "application/sdp");
    req.body = bytes::Bytes::from(sdp.replace("\r\n", "\n").replace('\n', "\r\n"));
    req
}

// ----- SDP -----------------------------------------------------------------

fn rtpmap(pt: u8) -> (&'static str, Option<&'static str>) {
    match pt {
        0 => ("PCMU/8000", None),
        8 => ("PCMA/8000", None),
        100 | 101 => ("telephone-event/8000", Some("0-16")),
        111 => ("opus/48000/2", Some("useinbandfec=1")),
        110 => ("telephone-event/48000", Some("0-16")),
        _ => panic!("no rtpmap for payload type {pt} in the test helper"),
    }
}

/// An SDP body with one audio stream at `rtp` carrying payload types `pts`
/// (0 PCMU, 8 PCMA, 100/101 telephone-event/8000, 111 opus), direction
/// `dir`, and `o=` version `version`.
pub fn sdp(rtp: SocketAddr, pts: &[u8], dir: &str, version: u64) -> String {
    let ip = rtp.ip();
    let fmts: Vec<String> = pts.iter().map(u8::to_string).collect();
    let mut s = format!(
        "v=0\r\no=ua {} {version} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
        rtp.port(),
        rtp.port(),
        fmts.join(" ")
    );
    for pt in pts {
        let (map, fmtp) = rtpmap(*pt);
        s.push_str(&format!("a=rtpmap:{pt} {map}\r\n"));
        if let Some(f) = fmtp {
            s.push_str(&format!("a=fmtp:{pt} {f}\r\n"));
        }
    }
    s.push_str(&format!("a={dir}\r\n"));
    s
}

/// An answer to the offer in `req`: the offer's first voice payload type
/// plus telephone-event/8000 if offered, at `rtp`, direction `dir`.
pub fn answer_for(req: &Request, rtp: SocketAddr, dir: &str, version: u64) -> String {
    let offer = body_sdp(&req.body);
    let audio = offer.first_audio().expect("offer has audio");
    let mut pts = Vec::new();
    if let Some(voice) = audio.primary_codec() {
        pts.push(voice.payload_type);
    }
    if let Some(te) = audio.telephone_event(8000) {
        pts.push(te.payload_type);
    }
    sdp(rtp, &pts, dir, version)
}

/// Parses a body as SDP.
pub fn body_sdp(body: &[u8]) -> Sdp {
    Sdp::parse(body)
        .unwrap_or_else(|e| panic!("body is not SDP ({e}):\n{}", String::from_utf8_lossy(body)))
}

/// The first audio section of a message body.
pub fn audio_of(body: &[u8]) -> MediaSection {
    body_sdp(body)
        .first_audio()
        .cloned()
        .expect("SDP has an active audio stream")
}

/// The RTP address and direction of the first audio section of a body.
pub fn media_addr_dir(body: &[u8]) -> (SocketAddr, Direction) {
    let m = audio_of(body);
    (m.rtp_addr().expect("audio has an address"), m.direction)
}

/// The payload types of the first audio section of a body, in order.
pub fn payload_types(body: &[u8]) -> Vec<u8> {
    audio_of(body)
        .codecs
        .iter()
        .map(|c| c.payload_type)
        .collect()
}
