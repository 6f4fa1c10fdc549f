//! The daemon's [`MediaEngine`]: `tandem-media`'s relay, one session per
//! call with a port pair per leg from the configured range.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tandem_media::relay::{
    EndReason, Leg, LegSetup, MediaDirection, Peer, RelayConfig, RelayHandle, RelaySession,
};
use tandem_media::{AllocateError, PortAllocator};
use tokio::sync::mpsc;
use tracing::debug;

use crate::config::MediaSettings;
use crate::media::{LegProfile, MediaEngine, MediaError, MediaSession, RemoteMedia, Side};

/// Opens relay sessions, each on one of the media threads (round robin).
#[derive(Debug)]
pub struct RelayEngine {
    ports: Arc<PortAllocator>,
    advertised: Option<IpAddr>,
    config: RelayConfig,
    timeouts: mpsc::UnboundedSender<u64>,
    runtimes: Vec<MediaThread>,
    next: usize,
}

/// A thread running a single-threaded tokio runtime for relay sessions.
/// One thread owning many sockets gets many readiness events per
/// `epoll_wait` under load, instead of two worker threads parking and
/// waking for every packet (measured in docs/benchmarks.md).
#[derive(Debug)]
struct MediaThread {
    handle: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl MediaThread {
    fn start(index: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("tandem-media-{index}"))
            .spawn(move || {
                // Runs until the engine (and so `stop`) is dropped.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }
}

impl RelayEngine {
    /// An engine over the configured port range; calls whose media times out
    /// are reported on `timeouts` by call number.
    pub fn new(
        settings: &MediaSettings,
        timeouts: mpsc::UnboundedSender<u64>,
    ) -> anyhow::Result<Self> {
        let ports = PortAllocator::new(settings.address, settings.port_min..=settings.port_max)?;
        let config = RelayConfig {
            media_timeout: settings.timeout,
            ..RelayConfig::default()
        };
        let threads = settings.threads.max(1);
        let runtimes = (0..threads)
            .map(MediaThread::start)
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            ports: Arc::new(ports),
            advertised: settings.advertised_address,
            config,
            timeouts,
            runtimes,
            next: 0,
        })
    }
}

fn leg(side: Side) -> Leg {
    match side {
        Side::A => Leg::A,
        Side::B => Leg::B,
    }
}

impl MediaEngine for RelayEngine {
    type Session = RelayMedia;

    fn open(&mut self, call: u64, _profiles: [LegProfile; 2]) -> Result<RelayMedia, MediaError> {
        let alloc = |e: AllocateError| match e {
            AllocateError::Exhausted { .. } => MediaError::PortsExhausted,
            other => MediaError::Io(std::io::Error::other(other)),
        };
        let a = self.ports.allocate().map_err(alloc)?;
        let b = self.ports.allocate().map_err(alloc)?;
        let runtime = &self.runtimes[self.next % self.runtimes.len()].handle;
        self.next = self.next.wrapping_add(1);
        let handle = RelaySession::spawn_on(
            runtime,
            self.config,
            LegSetup {
                ports: a,
                peer: Peer::new(None),
            },
            LegSetup {
                ports: b,
                peer: Peer::new(None),
            },
        )
        .map_err(|e| MediaError::Io(std::io::Error::other(e)))?;
        let mut ended = handle.subscribe_end();
        let tx = self.timeouts.clone();
        tokio::spawn(async move {
            if let Ok(r) = ended.wait_for(Option::is_some).await
                && *r == Some(EndReason::MediaTimeout)
            {
                debug!(call, "media timeout");
                let _ = tx.send(call);
            }
        });
        Ok(RelayMedia {
            handle,
            advertised: self.advertised,
        })
    }
}

/// The media of one call.
#[derive(Debug)]
pub struct RelayMedia {
    handle: RelayHandle,
    advertised: Option<IpAddr>,
}

impl MediaSession for RelayMedia {
    fn local_rtp(&self, side: Side) -> SocketAddr {
        let mut a = self.handle.local_addr(leg(side));
        if let Some(ip) = self.advertised {
            a.set_ip(ip);
        }
        a
    }

    fn set_remote(&mut self, side: Side, r: RemoteMedia) {
        let peer = Peer::new(r.rtp)
            .with_rtcp(r.rtcp)
            .with_rtcp_mux(r.rtcp_mux)
            .with_clock_rate(r.clock_rate);
        let direction = match (r.peer_sends, r.peer_receives) {
            (true, true) => MediaDirection::SendRecv,
            (true, false) => MediaDirection::SendOnly,
            (false, true) => MediaDirection::RecvOnly,
            (false, false) => MediaDirection::Inactive,
        };
        // An error means the session already ended (media timeout); the
        // controller hears of that separately.
        let _ = self.handle.update_peer(leg(side), peer);
        let _ = self.handle.set_direction(leg(side), direction);
    }
}
