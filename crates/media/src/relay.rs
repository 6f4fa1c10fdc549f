//! The tokio shell of the RTP/RTCP relay: one task per call, two legs, four sockets.
//!
//! [`RelaySession`] is a hand-written future that owns both legs' sockets (from
//! [`PortPair`]s) and polls all four with `poll_recv_from`. Per datagram it: receives into the
//! session's one buffer, validates (RTP header view or RTCP compound walk), asks the leg's
//! [`Latch`] whether the source is acceptable, applies the hold direction, rewrites in place
//! ([`StreamRewriter`] for RTP, SSRC masking for RTCP), sends with `try_send_to` out of the
//! other leg's socket (dropping and counting on `WouldBlock`), and records the time from the
//! start of the receive to the end of the send in a [`Histogram`]. No allocation, no lock and
//! no payload copy happen per packet.
//!
//! With rtcp-mux on a leg, RTCP from that leg arrives on its RTP port (told apart by the
//! second octet, RFC 5761) and RTCP to that leg leaves from its RTP port. RTCP is always
//! relayed, also on hold (RFC 3264 section 5.1).
//!
//! [`RelayHandle`] controls the session: re-INVITE ([`RelayHandle::update_peer`]), hold
//! ([`RelayHandle::set_direction`]), statistics, and [`RelayHandle::stop`], which ends the task
//! and returns the ports. Dropping the handle also ends the session. A session ends itself
//! after `media_timeout` without an accepted packet and reports it through
//! [`RelayHandle::ended`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::Sleep;
use tracing::debug;

use crate::latch::{Latch, LatchConfig, Verdict};
use crate::load::ThreadLoad;
use crate::metrics::{DropReason, Histogram, StreamCounters, StreamStats, relay_histogram};
use crate::ports::{PortLease, PortPair};
use crate::rewrite::{RewriterConfig, StreamRewriter};
use crate::rtcp::{RtcpCompound, rewrite_compound};
use crate::rtp::{RtpHeaderMut, is_rtcp};
use crate::transcode::{RtpOutcome as TranscodeOutcome, TranscodeStats, Transcoder};

/// Size of the session's receive buffer. A datagram that fills it entirely may have been
/// truncated by the kernel and is dropped as malformed.
pub const RECV_BUF_LEN: usize = 2048;

/// Datagrams handled per socket per wake-up before yielding to other tasks.
const SOCKET_BUDGET: usize = 64;

/// One of the two legs of a relayed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The first leg (by convention the one the call came in on).
    A,
    /// The second leg.
    B,
}

impl Leg {
    fn index(self) -> usize {
        match self {
            Leg::A => 0,
            Leg::B => 1,
        }
    }
}

/// The media direction a leg's peer declared in its SDP (RFC 3264).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MediaDirection {
    /// The peer sends and receives.
    #[default]
    SendRecv,
    /// The peer only sends (it put the call on hold): nothing is relayed to it.
    SendOnly,
    /// The peer only receives: nothing is relayed from it.
    RecvOnly,
    /// Neither way.
    Inactive,
}

impl MediaDirection {
    fn sends(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::SendOnly)
    }

    fn receives(self) -> bool {
        matches!(self, MediaDirection::SendRecv | MediaDirection::RecvOnly)
    }
}

/// What a leg's SDP says about its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// RTP address from `c=`/`m=`, if usable.
    pub rtp: Option<SocketAddr>,
    /// RTCP address from `a=rtcp` (RFC 3605); when None, RTP port + 1.
    pub rtcp: Option<SocketAddr>,
    /// Whether the leg negotiated `a=rtcp-mux` (RFC 5761).
    pub rtcp_mux: bool,
    /// Clock rate of the media this peer sends, for timestamp continuity (default 8000).
    pub clock_rate: u32,
}

impl Peer {
    /// A peer at `rtp`, RTCP on the next port, no mux, 8 kHz clock.
    pub fn new(rtp: Option<SocketAddr>) -> Self {
        Peer {
            rtp,
            rtcp: None,
            rtcp_mux: false,
            clock_rate: 8000,
        }
    }

    /// With an explicit RTCP address.
    pub fn with_rtcp(mut self, rtcp: Option<SocketAddr>) -> Self {
        self.rtcp = rtcp;
        self
    }

    /// With rtcp-mux on or off.
    pub fn with_rtcp_mux(mut self, rtcp_mux: bool) -> Self {
        self.rtcp_mux = rtcp_mux;
        self
    }

    /// With a clock rate.
    pub fn with_clock_rate(mut self, clock_rate: u32) -> Self {
        self.clock_rate = clock_rate;
        self
    }

    /// Where RTCP goes when the peer does not mux: `rtcp`, else RTP port + 1, else RTP port
    /// when that is 65535.
    pub fn rtcp_target(&self) -> Option<SocketAddr> {
        self.rtcp.or_else(|| {
            self.rtp.map(|mut a| {
                a.set_port(a.port().saturating_add(1));
                a
            })
        })
    }
}

/// Settings shared by every leg of a session.
#[derive(Debug, Clone, Copy)]
pub struct RelayConfig {
    /// Latching rules for every socket.
    pub latch: LatchConfig,
    /// Rewriter tuning; the clock rate is taken from each leg's [`Peer`].
    pub rewriter: RewriterConfig,
    /// End the session after this long without an accepted packet from either leg.
    /// None (the default) never ends it; the daemon typically sets 60 s.
    pub media_timeout: Option<Duration>,
    /// Where per-packet processing times go (default: [`relay_histogram`]).
    pub histogram: &'static Histogram,
    /// The media thread's load: the session adds its busy time and applies the thread's Opus
    /// complexity cap to its transcoders (see [`crate::load`]). None: neither.
    pub thread_load: Option<&'static ThreadLoad>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            latch: LatchConfig::default(),
            rewriter: RewriterConfig::default(),
            media_timeout: None,
            histogram: relay_histogram(),
            thread_load: None,
        }
    }
}

/// One leg's ports and peer, to start a session.
#[derive(Debug)]
pub struct LegSetup {
    /// The bound sockets and their lease.
    pub ports: PortPair,
    /// What the leg's SDP says.
    pub peer: Peer,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Not called from within a tokio runtime.
    #[error("relay sessions must be started inside a tokio runtime")]
    NoRuntime,
    /// A socket could not be registered with the runtime.
    #[error("registering a relay socket of leg {leg:?}")]
    Register {
        /// The leg.
        leg: Leg,
        /// What failed.
        #[source]
        source: io::Error,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// [`RelayHandle::stop`] was called.
    Stopped,
    /// The [`RelayHandle`] was dropped.
    HandleDropped,
    /// No packet was accepted for the configured media timeout; the daemon should end the
    /// call.
    MediaTimeout,
    /// The session future was dropped before it finished (runtime shut down).
    Aborted,
}

/// The control handle reports that the session is already over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the relay session has ended")]
pub struct SessionEnded;

/// Counters of both legs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// What was received from leg A and what became of it.
    pub a: StreamStats,
    /// What was received from leg B and what became of it.
    pub b: StreamStats,
}

impl SessionStats {
    /// The stats of one leg.
    pub fn leg(&self, leg: Leg) -> &StreamStats {
        match leg {
            Leg::A => &self.a,
            Leg::B => &self.b,
        }
    }
}

/// The transcoders of a call, indexed by the leg whose media each takes in: `[A->B, B->A]`.
/// `[None, None]` is the relay.
pub type Transcoders = [Option<Box<Transcoder>>; 2];

#[derive(Debug)]
enum Control {
    UpdatePeer(Leg, Peer),
    SetDirection(Leg, MediaDirection),
    SetTranscoders(Box<Transcoders>),
    Stop,
}

#[derive(Debug, Default)]
struct Shared {
    counters: [StreamCounters; 2],
    /// The transcoders' counters, copied after each playout round (`try_lock`: never waits).
    transcode: std::sync::Mutex<[Option<TranscodeStats>; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SockKind {
    Rtp,
    Rtcp,
}

#[derive(Debug)]
struct LegIo {
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

/// Sockets and leases; field order makes the sockets close before the ports go back.
#[derive(Debug)]
struct SessionIo {
    legs: [LegIo; 2],
    _leases: [PortLease; 2],
}

#[derive(Debug)]
struct LegState {
    rtp_latch: Latch,
    rtcp_latch: Latch,
    rtcp_mux: bool,
    direction: MediaDirection,
}

/// The relay task of one call; see the module docs. Drive it with [`RelaySession::spawn`] or
/// poll it yourself (it resolves to the [`EndReason`]).
#[must_use = "a relay session does nothing unless polled"]
pub struct RelaySession {
    io: Option<SessionIo>,
    legs: [LegState; 2],
    /// Indexed by the leg the stream comes from.
    rewriters: [StreamRewriter; 2],
    control: mpsc::UnboundedReceiver<Control>,
    shared: Arc<Shared>,
    histogram: &'static Histogram,
    thread_load: Option<&'static ThreadLoad>,
    media_timeout: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
    last_activity: Instant,
    ended: watch::Sender<Option<EndReason>>,
    buf: [u8; RECV_BUF_LEN],
    /// Per source leg: the transcoder of that direction, when the legs do not share a codec.
    transcoders: Transcoders,
    /// Wakes the session when a transcoder's next frame is due.
    playout: Option<Pin<Box<Sleep>>>,
}

impl fmt::Debug for RelaySession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelaySession")
            .field("io", &self.io)
            .field("legs", &self.legs)
            .field("rewriters", &self.rewriters)
            .field("media_timeout", &self.media_timeout)
            .field("last_activity", &self.last_activity)
            .finish_non_exhaustive()
    }
}

impl RelaySession {
    /// Builds a session and its handle. Must be called inside a tokio runtime (the sockets
    /// are registered with its reactor).
    pub fn new(
        config: RelayConfig,
        a: LegSetup,
        b: LegSetup,
    ) -> Result<(RelaySession, RelayHandle), StartError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StartError::NoRuntime);
        }
        let local = [
            (a.ports.rtp_addr(), a.ports.rtcp_addr()),
            (b.ports.rtp_addr(), b.ports.rtcp_addr()),
        ];
        let local = [
            (
                a.ports.rtp.local_addr().unwrap_or(local[0].0),
                a.ports.rtcp.local_addr().unwrap_or(local[0].1),
            ),
            (
                b.ports.rtp.local_addr().unwrap_or(local[1].0),
                b.ports.rtcp.local_addr().unwrap_or(local[1].1),
            ),
        ];
        let register = |leg: Leg, s: std::net::UdpSocket| {
            UdpSocket::from_std(s).map_err(|source| StartError::Register { leg, source })
        };
        let (a_io, a_lease) = (
            LegIo {
                rtp: register(Leg::A, a.ports.rtp)?,
                rtcp: register(Leg::A, a.ports.rtcp)?,
            },
            a.ports.lease,
        );
        let (b_io, b_lease) = (
            LegIo {
                rtp: register(Leg::B, b.ports.rtp)?,
                rtcp: register(Leg::B, b.ports.rtcp)?,
            },
            b.ports.lease,
        );
        let leg_state = |peer: &Peer| LegState {
            rtp_latch: Latch::new(peer.rtp, config.latch),
            rtcp_latch: Latch::new(peer.rtcp_target(), config.latch),
            rtcp_mux: peer.rtcp_mux,
            direction: MediaDirection::SendRecv,
        };
        let rewriter = |peer: &Peer| {
            StreamRewriter::new(RewriterConfig {
                clock_rate: peer.clock_rate,
                ..config.rewriter
            })
        };
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let (ended_tx, ended_rx) = watch::channel(None);
        let shared = Arc::new(Shared::default());
        let now = Instant::now();
        let timer = config.media_timeout.map(|t| {
            Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
                now + t,
            )))
        });
        let session = RelaySession {
            io: Some(SessionIo {
                legs: [a_io, b_io],
                _leases: [a_lease, b_lease],
            }),
            legs: [leg_state(&a.peer), leg_state(&b.peer)],
            rewriters: [rewriter(&a.peer), rewriter(&b.peer)],
            control: control_rx,
            shared: Arc::clone(&shared),
            histogram: config.histogram,
            thread_load: config.thread_load,
            media_timeout: config.media_timeout,
            timer,
            last_activity: now,
            ended: ended_tx,
            buf: [0; RECV_BUF_LEN],
            transcoders: [None, None],
            playout: None,
        };
        let handle = RelayHandle {
            control: control_tx,
            shared,
            ended: ended_rx,
            local,
        };
        Ok((session, handle))
    }

    /// Builds a session and spawns it on the current tokio runtime.
    pub fn spawn(config: RelayConfig, a: LegSetup, b: LegSetup) -> Result<RelayHandle, StartError> {
        let (session, handle) = RelaySession::new(config, a, b)?;
        tokio::spawn(session);
        Ok(handle)
    }

    /// Builds a session whose sockets belong to `runtime` and spawns it
    /// there: the daemon runs media on runtimes of its own (one thread
    /// each), apart from signalling.
    pub fn spawn_on(
        runtime: &tokio::runtime::Handle,
        config: RelayConfig,
        a: LegSetup,
        b: LegSetup,
    ) -> Result<RelayHandle, StartError> {
        let _in_runtime = runtime.enter();
        let (session, handle) = RelaySession::new(config, a, b)?;
        runtime.spawn(session);
        Ok(handle)
    }

    /// Closes the sockets, returns the ports and publishes the end reason.
    fn finish(&mut self, reason: EndReason) -> EndReason {
        self.io = None;
        self.timer = None;
        debug!(?reason, "relay session ended");
        self.ended.send_replace(Some(reason));
        reason
    }

    fn apply(&mut self, c: Control) {
        match c {
            Control::UpdatePeer(leg, peer) => {
                let l = &mut self.legs[leg.index()];
                l.rtp_latch.update_signaled(peer.rtp);
                l.rtcp_latch.update_signaled(peer.rtcp_target());
                l.rtcp_mux = peer.rtcp_mux;
                self.rewriters[leg.index()].set_clock_rate(peer.clock_rate);
                debug!(?leg, rtcp_mux = peer.rtcp_mux, "relay peer updated");
            }
            Control::SetDirection(leg, direction) => {
                self.legs[leg.index()].direction = direction;
                debug!(?leg, ?direction, "relay direction changed");
            }
            Control::SetTranscoders(t) => {
                let [a, b] = *t;
                debug!(
                    transcoding = a.is_some() || b.is_some(),
                    "media path changed"
                );
                if let Ok(mut s) = self.shared.transcode.try_lock() {
                    *s = [None, None];
                }
                self.transcoders = [a, b];
                self.playout = None;
            }

            Control::Stop => {}
        }
    }

    /// Receives and handles datagrams from one socket until it would block or the budget is
    /// spent; returns true when the budget ran out (more may be waiting).
    fn drain(&mut self, cx: &mut Context<'_>, leg: usize, kind: SockKind) -> bool {
        let mut t = Instant::now();
        for _ in 0..SOCKET_BUDGET {
            let Some(io) = self.io.as_ref() else {
                return false;
            };
            let sock = match kind {
                SockKind::Rtp => &io.legs[leg].rtp,
                SockKind::Rtcp => &io.legs[leg].rtcp,
            };
            let mut rb = ReadBuf::new(&mut self.buf);
            let from = match sock.poll_recv_from(cx, &mut rb) {
                Poll::Pending => return false,
                // Errors on an unconnected UDP socket are transient (ICMP reports); go on.
                Poll::Ready(Err(_)) => continue,
                Poll::Ready(Ok(from)) => from,
            };
            let n = rb.filled().len();
            let relayed = self.handle_datagram(t, leg, kind, from, n);
            let done = Instant::now();
            if relayed {
                self.histogram.record(done.saturating_duration_since(t));
            }
            t = done;
        }
        true
    }

    /// The per-packet path. Returns whether the datagram was sent on.
    fn handle_datagram(
        &mut self,
        now: Instant,
        x: usize,
        kind: SockKind,
        from: SocketAddr,
        n: usize,
    ) -> bool {
        let y = 1 - x;
        let Some(io) = self.io.as_ref() else {
            return false;
        };
        let counters = &self.shared.counters[x];
        let data = &mut self.buf[..n];
        let rtcp = kind == SockKind::Rtcp || is_rtcp(data);
        counters.received(rtcp, n);
        if n == RECV_BUF_LEN {
            counters.dropped(DropReason::Malformed);
            return false;
        }

        let (sock, target) = if rtcp {
            if RtcpCompound::parse(data).is_err() {
                counters.dropped(DropReason::Malformed);
                return false;
            }
            let src = &mut self.legs[x];
            let latch = match kind {
                SockKind::Rtp => &mut src.rtp_latch,
                SockKind::Rtcp => &mut src.rtcp_latch,
            };
            if let Verdict::Drop(reason) = latch.on_packet(now, from) {
                counters.dropped(reason);
                return false;
            }
            self.last_activity = now;
            if self.transcoders[x].is_some() || self.transcoders[y].is_some() {
                counters.dropped(DropReason::Terminated);
                return false;
            }
            let sender = self.rewriters[x].sender_map();
            let report = self.rewriters[y].report_map();
            if (sender.is_some() || report.is_some())
                && rewrite_compound(data, sender, report).is_err()
            {
                counters.dropped(DropReason::Malformed);
                return false;
            }
            let dst = &self.legs[y];
            if dst.rtcp_mux {
                (&io.legs[y].rtp, dst.rtp_latch.send_target())
            } else {
                (&io.legs[y].rtcp, dst.rtcp_latch.send_target())
            }
        } else {
            let Ok(mut pkt) = RtpHeaderMut::parse(data) else {
                counters.dropped(DropReason::Malformed);
                return false;
            };
            let src = &mut self.legs[x];
            let was_learning = src.rtp_latch.is_learning();
            if let Verdict::Drop(reason) = src.rtp_latch.on_packet(now, from) {
                counters.dropped(reason);
                return false;
            }
            if was_learning && !src.rtp_latch.is_learning() {
                debug!(leg = x, "RTP source latched");
            }
            self.last_activity = now;
            if !src.direction.sends() || !self.legs[y].direction.receives() {
                counters.dropped(DropReason::Direction);
                return false;
            }
            if let Some(t) = self.transcoders[x].as_mut() {
                let v = pkt.as_view();
                let outcome = t.handle_rtp(
                    now,
                    v.ssrc().0,
                    v.sequence_number(),
                    v.timestamp(),
                    v.marker(),
                    v.payload_type().get(),
                    v.payload(),
                );
                match outcome {
                    TranscodeOutcome::Queued
                    | TranscodeOutcome::Restarted
                    | TranscodeOutcome::Event => counters.forwarded(n),
                    TranscodeOutcome::Late => counters.dropped(DropReason::StaleSource),
                    TranscodeOutcome::EventDropped | TranscodeOutcome::Dropped => {
                        counters.dropped(DropReason::Malformed)
                    }
                }
                // Telephone events go out at once.
                return self.flush_transcoder(x) > 0;
            }
            if !self.rewriters[x].handle_packet(now, &mut pkt).forward() {
                counters.dropped(DropReason::StaleSource);
                return false;
            }
            (&io.legs[y].rtp, self.legs[y].rtp_latch.send_target())
        };

        let Some(target) = target else {
            counters.dropped(DropReason::NoTarget);
            return false;
        };
        match sock.try_send_to(&self.buf[..n], target) {
            Ok(_) => {
                counters.forwarded(n);
                true
            }
            Err(_) => {
                counters.dropped(DropReason::SendError);
                false
            }
        }
    }

    /// Sends what the transcoder taking media from leg `x` has queued, out of leg `y`'s RTP
    /// socket; returns how many packets went.
    fn flush_transcoder(&mut self, x: usize) -> usize {
        let y = 1 - x;
        let (Some(io), Some(t)) = (self.io.as_ref(), self.transcoders[x].as_mut()) else {
            return 0;
        };
        let target = self.legs[y].rtp_latch.send_target();
        let counters = &self.shared.counters[x];
        let mut sent = 0;
        while let Some(packet) = t.poll_transmit() {
            let Some(target) = target else {
                counters.dropped(DropReason::NoTarget);
                continue;
            };
            match io.legs[y].rtp.try_send_to(packet, target) {
                Ok(_) => sent += 1,
                Err(_) => counters.dropped(DropReason::SendError),
            }
        }
        sent
    }

    /// Plays out the transcoders' due frames and arms the playout timer for the next one.
    fn run_transcoders(&mut self, cx: &mut Context<'_>) {
        if self.transcoders.iter().all(Option::is_none) {
            return;
        }
        if let Some(load) = self.thread_load {
            let cap = load.cap();
            for t in self.transcoders.iter_mut().flatten() {
                t.apply_complexity_cap(cap);
            }
        }
        // A few rounds at most: a timer that is already due is handled at once.
        for _ in 0..4 {
            let mut next: Option<Instant> = None;
            for x in 0..2 {
                let now = Instant::now();
                let Some(t) = self.transcoders[x].as_mut() else {
                    continue;
                };
                if t.poll_timeout().is_some_and(|d| d <= now) {
                    t.handle_timeout(now);
                    let stats = t.stats();
                    if let Ok(mut s) = self.shared.transcode.try_lock() {
                        s[x] = Some(stats);
                    }
                    let sent = self.flush_transcoder(x);
                    if sent > 0 {
                        // Decode, resample, encode and send: shared out per packet.
                        let each = Instant::now().saturating_duration_since(now) / sent as u32;
                        for _ in 0..sent {
                            self.histogram.record(each);
                        }
                    }
                }
                if let Some(d) = self.transcoders[x].as_ref().and_then(|t| t.poll_timeout()) {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
            }
            let Some(deadline) = next else {
                self.playout = None;
                return;
            };
            let deadline = tokio::time::Instant::from_std(deadline);
            let timer = self
                .playout
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            timer.as_mut().reset(deadline);
            if timer.as_mut().poll(cx).is_pending() {
                return;
            }
        }
        // Still due after several rounds: come back on the next poll.
        cx.waker().wake_by_ref();
    }

    /// Checks the media timeout; returns true when it has expired.
    fn poll_timeout(&mut self, cx: &mut Context<'_>) -> bool {
        let (Some(timeout), Some(timer)) = (self.media_timeout, self.timer.as_mut()) else {
            return false;
        };
        // At most two rounds: the timer fired, activity moved the deadline, re-arm and poll
        // once more so the waker is registered for the new deadline.
        for _ in 0..2 {
            if timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            let deadline = self.last_activity + timeout;
            if now >= deadline {
                return true;
            }
            // Never re-arm in the past (or the present), so the next poll is Pending.
            let next = deadline.max(now + Duration::from_millis(1));
            timer.as_mut().reset(tokio::time::Instant::from_std(next));
        }
        false
    }
}

impl Future for RelaySession {
    type Output = EndReason;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<EndReason> {
        let this = self.get_mut();
        let started = this.thread_load.map(|_| Instant::now());
        let out = this.poll_inner(cx);
        if let (Some(load), Some(started)) = (this.thread_load, started) {
            load.add_busy(started.elapsed());
        }
        out
    }
}

impl RelaySession {
    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<EndReason> {
        let this = self;
        if let Some(reason) = *this.ended.borrow() {
            return Poll::Ready(reason);
        }
        loop {
            match this.control.poll_recv(cx) {
                Poll::Ready(Some(Control::Stop)) => {
                    return Poll::Ready(this.finish(EndReason::Stopped));
                }
                Poll::Ready(Some(c)) => this.apply(c),
                Poll::Ready(None) => return Poll::Ready(this.finish(EndReason::HandleDropped)),
                Poll::Pending => break,
            }
        }
        let mut more = false;
        for leg in 0..2 {
            more |= this.drain(cx, leg, SockKind::Rtp);
            more |= this.drain(cx, leg, SockKind::Rtcp);
        }
        this.run_transcoders(cx);
        if this.poll_timeout(cx) {
            return Poll::Ready(this.finish(EndReason::MediaTimeout));
        }
        if more {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Controls a running [`RelaySession`]. Dropping it ends the session.
#[derive(Debug)]
pub struct RelayHandle {
    control: mpsc::UnboundedSender<Control>,
    shared: Arc<Shared>,
    ended: watch::Receiver<Option<EndReason>>,
    local: [(SocketAddr, SocketAddr); 2],
}

impl RelayHandle {
    /// The local RTP address of `leg`, for its SDP.
    pub fn local_addr(&self, leg: Leg) -> SocketAddr {
        self.local[leg.index()].0
    }

    /// The local RTCP address of `leg` (RTP port + 1), for `a=rtcp` when not muxing.
    pub fn local_rtcp_addr(&self, leg: Leg) -> SocketAddr {
        self.local[leg.index()].1
    }

    /// New SDP from `leg`'s peer (re-INVITE): addresses, rtcp-mux, clock rate. A changed
    /// address restarts latching on that leg; stream continuity is kept by the rewriter.
    pub fn update_peer(&self, leg: Leg, peer: Peer) -> Result<(), SessionEnded> {
        self.control
            .send(Control::UpdatePeer(leg, peer))
            .map_err(|_| SessionEnded)
    }

    /// The direction `leg`'s peer declared (hold and resume).
    pub fn set_direction(&self, leg: Leg, direction: MediaDirection) -> Result<(), SessionEnded> {
        self.control
            .send(Control::SetDirection(leg, direction))
            .map_err(|_| SessionEnded)
    }

    /// Switches the media path: transcoders per source leg (`[A->B, B->A]`), or `[None, None]`
    /// to relay untouched. Built by the caller (off the media thread) and moved in.
    pub fn set_transcoders(&self, transcoders: Transcoders) -> Result<(), SessionEnded> {
        self.control
            .send(Control::SetTranscoders(Box::new(transcoders)))
            .map_err(|_| SessionEnded)
    }

    /// The transcoders' counters (jitter buffer depth, late, lost, concealed ...) per source
    /// leg `[A->B, B->A]`; `None` for a relayed direction or before the first frame.
    pub fn transcode_stats(&self) -> [Option<TranscodeStats>; 2] {
        match self.shared.transcode.lock() {
            Ok(s) => *s,
            Err(e) => *e.into_inner(),
        }
    }

    /// Packet counters of both legs.
    pub fn stats(&self) -> SessionStats {
        SessionStats {
            a: self.shared.counters[0].snapshot(),
            b: self.shared.counters[1].snapshot(),
        }
    }

    /// Why the session ended, if it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        *self.ended.borrow()
    }

    /// A receiver that turns `Some` when the session ends, for watching from
    /// another task without holding the handle (the daemon uses it to hear
    /// of media timeouts).
    pub fn subscribe_end(&self) -> watch::Receiver<Option<EndReason>> {
        self.ended.clone()
    }

    /// Waits until the session ends (for instance by media timeout) and says why.
    pub async fn ended(&self) -> EndReason {
        let mut rx = self.ended.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(r) => r.unwrap_or(EndReason::Aborted),
            Err(_) => EndReason::Aborted,
        }
    }

    /// Ends the session and waits until its sockets are closed and its ports are back in the
    /// pool; returns the final counters.
    pub async fn stop(self) -> SessionStats {
        // An error means the session already ended; waiting below returns at once.
        let _ = self.control.send(Control::Stop);
        self.ended().await;
        self.stats()
    }
}
