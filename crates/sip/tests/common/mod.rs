//! Two transaction layers, L and R, linked by an in-memory network with
//! delay and chosen losses, driven in simulated time.
//!
//! `progress()` advances the shared clock to the earliest of: the next
//! delivery, L's timer, R's timer; then delivers/fires and drains both
//! layers. Every transmission is parsed and logged in `wire`, dropped or not.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tandem_sip::message::{HeaderName, Host, Message, Method, Request, Response, StatusCode, Uri};
use tandem_sip::transaction::{
    LayerOutput, LocalVia, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use tandem_sip::transport::{Peer, TransportKind};

/// Which side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    L,
    R,
}

impl Who {
    pub fn other(self) -> Who {
        match self {
            Who::L => Who::R,
            Who::R => Who::L,
        }
    }
}

/// One transmission seen on the network.
#[derive(Debug, Clone)]
pub struct Wire {
    pub at: Instant,
    pub from: Who,
    pub msg: Message,
    pub dropped: bool,
}

impl Wire {
    pub fn is_request(&self, m: &Method) -> bool {
        matches!(&self.msg, Message::Request(r) if &r.method == m)
    }

    /// A response with this status code whose CSeq names this method.
    pub fn is_response(&self, code: u16, m: &Method) -> bool {
        matches!(&self.msg, Message::Response(r)
            if r.status.as_u16() == code && r.headers.cseq().is_some_and(|c| &c.method == m))
    }
}

/// One endpoint.
#[derive(Debug)]
pub struct Side {
    pub layer: TransactionLayer,
    pub addr: SocketAddr,
    /// Every TU event, with the time it was emitted.
    pub events: Vec<(Instant, TuEvent)>,
}

struct InFlight {
    deliver_at: Instant,
    to: Who,
    msg: Message,
}

type DropRule = Box<dyn FnMut(Who, &Message) -> bool>;

/// The two endpoints and the network.
pub struct Pair {
    pub base: Instant,
    pub now: Instant,
    pub transport: TransportKind,
    pub l: Side,
    pub r: Side,
    /// One-way delay of every message.
    pub delay: Duration,
    /// Every transmission, in order.
    pub wire: Vec<Wire>,
    drop_rule: Option<DropRule>,
    in_flight: Vec<InFlight>,
    cseq: u32,
}

pub const L_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5060);
pub const R_ADDR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5080);

fn side(addr: SocketAddr, config: TimerConfig) -> Side {
    let local = LocalVia::none()
        .with(
            TransportKind::Udp,
            Host::V4(Ipv4Addr::LOCALHOST),
            Some(addr.port()),
        )
        .with(
            TransportKind::Tcp,
            Host::V4(Ipv4Addr::LOCALHOST),
            Some(addr.port()),
        );
    Side {
        layer: TransactionLayer::new(config, local),
        addr,
        events: Vec::new(),
    }
}

impl Pair {
    /// Default timers (T1 500 ms, T2 4 s, T4 5 s), 10 ms one-way delay.
    pub fn new(transport: TransportKind) -> Self {
        Self::with_config(transport, TimerConfig::default())
    }

    pub fn with_config(transport: TransportKind, config: TimerConfig) -> Self {
        let base = Instant::now();
        Self {
            base,
            now: base,
            transport,
            l: side(L_ADDR, config),
            r: side(R_ADDR, config),
            delay: Duration::from_millis(10),
            wire: Vec::new(),
            drop_rule: None,
            in_flight: Vec::new(),
            cseq: 0,
        }
    }

    /// Drops every message for which `rule(sender, message)` is true.
    pub fn set_drop(&mut self, rule: impl FnMut(Who, &Message) -> bool + 'static) {
        self.drop_rule = Some(Box::new(rule));
    }

    /// Stops dropping.
    pub fn clear_drop(&mut self) {
        self.drop_rule = None;
    }

    pub fn side(&mut self, who: Who) -> &mut Side {
        match who {
            Who::L => &mut self.l,
            Who::R => &mut self.r,
        }
    }

    /// The address of `who` as its peer sees it.
    pub fn peer(&self, who: Who) -> Peer {
        Peer {
            transport: self.transport,
            addr: match who {
                Who::L => L_ADDR,
                Who::R => R_ADDR,
            },
            conn: None,
        }
    }

    /// Seconds since the start, for readable assertions.
    pub fn secs(&self, t: Instant) -> f64 {
        (t - self.base).as_secs_f64()
    }

    /// Moves every output of both layers to the network or the event lists.
    pub fn drain(&mut self) {
        for who in [Who::L, Who::R] {
            let now = self.now;
            while let Some(out) = self.side(who).layer.poll_output() {
                match out {
                    LayerOutput::Transmit { bytes, dest } => {
                        let to = if dest.addr == L_ADDR { Who::L } else { Who::R };
                        assert_eq!(to, who.other(), "{who:?} sent to itself");
                        assert_eq!(dest.transport, self.transport);
                        let msg = Message::parse(&bytes).expect("layer sent unparsable bytes");
                        let dropped = self.drop_rule.as_mut().is_some_and(|rule| rule(who, &msg));
                        self.wire.push(Wire {
                            at: now,
                            from: who,
                            msg: msg.clone(),
                            dropped,
                        });
                        if !dropped {
                            self.in_flight.push(InFlight {
                                deliver_at: now + self.delay,
                                to,
                                msg,
                            });
                        }
                    }
                    LayerOutput::Event(e) => self.side(who).events.push((now, e)),
                }
            }
        }
    }

    /// The next instant something happens, if anything will.
    pub fn next_instant(&self) -> Option<Instant> {
        [
            self.l.layer.poll_timeout(),
            self.r.layer.poll_timeout(),
            self.in_flight.iter().map(|f| f.deliver_at).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Advances to the next instant and handles it. False when nothing is
    /// left to happen.
    pub fn progress(&mut self) -> bool {
        self.drain();
        let Some(next) = self.next_instant() else {
            return false;
        };
        self.step_to(next);
        true
    }

    fn step_to(&mut self, t: Instant) {
        self.now = self.now.max(t);
        let now = self.now;
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
            let from = self.peer(f.to.other());
            self.side(f.to).layer.handle_received(now, f.msg, from);
            self.drain();
        }
        for who in [Who::L, Who::R] {
            if self
                .side(who)
                .layer
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.side(who).layer.handle_timeout(now);
                let after = self.side(who).layer.poll_timeout();
                assert!(
                    after.is_none_or(|t| t > now),
                    "{who:?} timer did not move on"
                );
            }
        }
        self.drain();
    }

    /// Runs everything due up to and including `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Instant) {
        loop {
            self.drain();
            match self.next_instant() {
                Some(n) if n <= t => self.step_to(n),
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

    /// Runs until nothing is left to happen (at most `limit` of simulated time).
    pub fn run_to_end(&mut self, limit: Duration) {
        let end = self.now + limit;
        while self.next_instant().is_some_and(|n| n <= end) {
            self.progress();
        }
        self.drain();
    }

    /// A new request from `who` to the other side, with Call-ID, tags and
    /// a fresh CSeq number, no Via (the layer adds it).
    pub fn new_request(&mut self, who: Who, method: Method) -> Request {
        self.cseq += 1;
        let target = self.peer(who.other()).addr;
        let uri: Uri = format!("sip:bob@{target}").parse().expect("uri");
        let mut r = Request::new(method.clone(), uri);
        r.headers.push_value(HeaderName::MaxForwards, 70);
        r.headers.push_value(
            HeaderName::From,
            format!("<sip:alice@{}>;tag=from{}", self.peer(who).addr, self.cseq),
        );
        r.headers
            .push_value(HeaderName::To, format!("<sip:bob@{target}>"));
        r.headers
            .push_value(HeaderName::CallId, format!("call-{}@test", self.cseq));
        r.headers.push_value(
            HeaderName::CSeq,
            format!("{} {}", self.cseq, method.as_str()),
        );
        r
    }

    /// `who` starts a client transaction for a new request of `method`.
    pub fn send(&mut self, who: Who, method: Method) -> TransactionKey {
        let req = self.new_request(who, method);
        let now = self.now;
        let dest = self.peer(who.other());
        let key = self
            .side(who)
            .layer
            .send_request(now, req, dest)
            .expect("send_request");
        self.drain();
        key
    }

    /// The request of the most recent `TuEvent::Request` at `who`.
    pub fn last_request(&self, who: Who) -> (TransactionKey, Request) {
        let side = match who {
            Who::L => &self.l,
            Who::R => &self.r,
        };
        side.events
            .iter()
            .rev()
            .find_map(|(_, e)| match e {
                TuEvent::Request { key, request, .. } => Some((key.clone(), request.clone())),
                _ => None,
            })
            .expect("no request event")
    }

    /// `who` answers the server transaction `key` (whose request it got)
    /// with `code`, To tag `tag-<who>` on anything but 100.
    pub fn respond(&mut self, who: Who, key: &TransactionKey, code: u16) {
        let req = self.request_of(who, key);
        let status = StatusCode::new(code).expect("status");
        let tag = (code != 100).then_some("totag");
        let resp = Response::for_request(&req, status, tag);
        let now = self.now;
        self.side(who)
            .layer
            .send_response(now, key, resp)
            .expect("send_response");
        self.drain();
    }

    /// The request of the server transaction `key` at `who`.
    pub fn request_of(&self, who: Who, key: &TransactionKey) -> Request {
        let side = match who {
            Who::L => &self.l,
            Who::R => &self.r,
        };
        side.events
            .iter()
            .find_map(|(_, e)| match e {
                TuEvent::Request {
                    key: k, request, ..
                } if k == key => Some(request.clone()),
                _ => None,
            })
            .expect("no such request event")
    }

    /// `who` sends the ACK for a 2xx statelessly (a new branch, as RFC 3261
    /// §13.2.2.4 wants).
    pub fn ack_2xx(&mut self, who: Who, invite: &Request, ok: &Response) {
        let ack = ack_for_2xx(invite, ok);
        let dest = self.peer(who.other());
        self.side(who)
            .layer
            .send_stateless(ack, dest)
            .expect("send_stateless");
        self.drain();
    }

    /// Events of `who`, without the time.
    pub fn events(&self, who: Who) -> Vec<TuEvent> {
        let side = match who {
            Who::L => &self.l,
            Who::R => &self.r,
        };
        side.events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Times (seconds since start) at which `who` put a message matching
    /// `f` on the wire.
    pub fn sent_times(&self, who: Who, f: impl Fn(&Wire) -> bool) -> Vec<f64> {
        self.wire
            .iter()
            .filter(|w| w.from == who && f(w))
            .map(|w| self.secs(w.at))
            .collect()
    }

    /// Responses `who`'s TU got on client transaction `key`.
    pub fn responses(&self, who: Who, key: &TransactionKey) -> Vec<(f64, u16)> {
        let side = match who {
            Who::L => &self.l,
            Who::R => &self.r,
        };
        side.events
            .iter()
            .filter_map(|(t, e)| match e {
                TuEvent::Response { key: k, response } if k == key => {
                    Some((self.secs(*t), response.status.as_u16()))
                }
                _ => None,
            })
            .collect()
    }

    /// When `who` got an event matching `f`, in seconds since start.
    pub fn event_times(&self, who: Who, f: impl Fn(&TuEvent) -> bool) -> Vec<f64> {
        let side = match who {
            Who::L => &self.l,
            Who::R => &self.r,
        };
        side.events
            .iter()
            .filter(|(_, e)| f(e))
            .map(|(t, _)| self.secs(*t))
            .collect()
    }
}

/// The ACK for a 2xx, built the way a UA core would (Via left to the layer).
pub fn ack_for_2xx(invite: &Request, ok: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    ack.headers.push_value(HeaderName::MaxForwards, 70);
    for name in [HeaderName::From, HeaderName::CallId] {
        if let Some(v) = invite.headers.get(&name) {
            ack.headers.push_value(name.clone(), v);
        }
    }
    if let Some(v) = ok.headers.get(&HeaderName::To) {
        ack.headers.push_value(HeaderName::To, v);
    }
    let seq = invite.headers.cseq().expect("cseq").seq;
    ack.headers
        .push_value(HeaderName::CSeq, format!("{seq} ACK"));
    ack
}

/// Asserts two lists of seconds are equal within a microsecond.
pub fn assert_times(actual: &[f64], expected: &[f64]) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "times {actual:?} != expected {expected:?}"
    );
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() < 1e-6,
            "times {actual:?} != expected {expected:?}"
        );
    }
}

/// Parses a message written with `\n` line ends (converted to CRLF).
pub fn msg(text: &str) -> Message {
    let crlf = text.replace('\n', "\r\n");
    Message::parse(crlf.as_bytes()).expect("test message parses")
}
