//! The daemon's [`MediaEngine`]: `tandem-media`'s relay, one session per
//! call with a port pair per leg from the configured range.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use std::sync::atomic::{AtomicU64, Ordering};
use tandem_media::codec::{CodecKind, OpusSettings};
use tandem_media::load::{ComplexityPolicy, PolicyConfig, ThreadLoad};
use tandem_media::relay::{
    EndReason, Leg, LegSetup, MediaDirection, Peer, RelayConfig, RelayHandle, RelaySession,
    Transcoders,
};
use tandem_media::transcode::{StreamFormat, Transcoder, TranscoderConfig};
use tandem_media::{AllocateError, PortAllocator};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::config::MediaSettings;
use crate::media::{
    AudioCodec, LegCodec, LegProfile, MediaEngine, MediaError, MediaSession, RemoteMedia, Side,
};

/// Calls whose media was relayed untouched (counted when the path is chosen).
pub static CALLS_RELAYED: AtomicU64 = AtomicU64::new(0);
/// Calls whose media was transcoded.
pub static CALLS_TRANSCODED: AtomicU64 = AtomicU64::new(0);

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
    /// The thread's busy time and Opus complexity cap (load policy).
    load: &'static ThreadLoad,
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
        // One per media thread for the life of the process (the threads are
        // never replaced), so leaking gives sessions a lock-free &'static.
        let load: &'static ThreadLoad = Box::leak(Box::new(ThreadLoad::new()));
        Ok(Self {
            handle,
            load,
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
        if settings.adaptive_complexity {
            let watched: Vec<_> = runtimes.iter().map(|t| t.load).collect();
            tokio::spawn(complexity_policy(watched));
        }
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

/// How often the load policy samples the media threads.
const POLICY_PERIOD: std::time::Duration = std::time::Duration::from_millis(500);

/// Samples each media thread's busy time and publishes its complexity cap.
async fn complexity_policy(threads: Vec<&'static ThreadLoad>) {
    let mut policies: Vec<ComplexityPolicy> = threads
        .iter()
        .map(|_| ComplexityPolicy::new(PolicyConfig::default()))
        .collect();
    let mut last: Vec<_> = threads.iter().map(|t| t.busy()).collect();
    let mut tick = tokio::time::interval(POLICY_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_at = std::time::Instant::now();
    loop {
        tick.tick().await;
        let now = std::time::Instant::now();
        let wall = now
            .saturating_duration_since(last_at)
            .as_secs_f64()
            .max(1e-3);
        last_at = now;
        for (i, thread) in threads.iter().enumerate() {
            let b = thread.busy();
            let load = b.saturating_sub(last[i]).as_secs_f64() / wall;
            last[i] = b;
            let before = policies[i].cap();
            let after = policies[i].update(load);
            if after != before {
                info!(
                    thread = i,
                    load = format!("{:.0}%", load * 100.0),
                    cap = after,
                    "media thread load: Opus complexity cap changed"
                );
            }
            thread.set_cap(after);
        }
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

    fn open(&mut self, call: u64, profiles: [LegProfile; 2]) -> Result<RelayMedia, MediaError> {
        let alloc = |e: AllocateError| match e {
            AllocateError::Exhausted { .. } => MediaError::PortsExhausted,
            other => MediaError::Io(std::io::Error::other(other)),
        };
        let a = self.ports.allocate().map_err(alloc)?;
        let b = self.ports.allocate().map_err(alloc)?;
        let thread = &self.runtimes[self.next % self.runtimes.len()];
        self.next = self.next.wrapping_add(1);
        let handle = RelaySession::spawn_on(
            &thread.handle,
            RelayConfig {
                thread_load: Some(thread.load),
                ..self.config
            },
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
            call,
            handle,
            advertised: self.advertised,
            profiles,
            codecs: [None, None],
            path: None,
        })
    }
}

/// The media path chosen for a call, and the codecs it was chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Relay([LegCodec; 2]),
    Transcode([LegCodec; 2]),
}

/// The media of one call.
#[derive(Debug)]
pub struct RelayMedia {
    call: u64,
    handle: RelayHandle,
    advertised: Option<IpAddr>,
    profiles: [LegProfile; 2],
    codecs: [Option<LegCodec>; 2],
    path: Option<Path>,
}

fn codec_kind(c: AudioCodec) -> Option<CodecKind> {
    match c {
        AudioCodec::Pcmu => Some(CodecKind::Pcmu),
        AudioCodec::Pcma => Some(CodecKind::Pcma),
        AudioCodec::Opus => Some(CodecKind::Opus),
        AudioCodec::Other => None,
    }
}

fn format(c: &LegCodec) -> Option<StreamFormat> {
    Some(StreamFormat {
        codec: codec_kind(c.codec)?,
        payload_type: c.payload_type,
        ptime_ms: c.ptime,
        telephone_event: c.telephone_event,
    })
}

fn opus_settings(p: &LegProfile) -> OpusSettings {
    OpusSettings {
        complexity: p.opus.complexity,
        bitrate: p.opus.bitrate,
        fec: p.opus.fec,
        ..OpusSettings::default()
    }
}

fn describe(c: &LegCodec) -> String {
    format!(
        "{:?}/{} pt {} {} ms",
        c.codec, c.clock_rate, c.payload_type, c.ptime
    )
}

impl RelayMedia {
    /// Builds the transcoder taking media from leg `from` to the other leg.
    fn transcoder(&self, from: usize, codecs: &[LegCodec; 2]) -> Option<Box<Transcoder>> {
        let to = 1 - from;
        let mut config = TranscoderConfig::new(format(&codecs[from])?, format(&codecs[to])?);
        config.opus = opus_settings(&self.profiles[to]);
        config.inband_dtmf = self.profiles[from].inband_dtmf;
        match Transcoder::new(&config) {
            Ok(t) => Some(Box::new(t)),
            Err(e) => {
                warn!(call = self.call, error = %e, "cannot build a transcoder");
                None
            }
        }
    }

    /// Chooses relay or transcoding once both legs' codecs are known, and again when a
    /// re-INVITE changes one.
    fn choose_path(&mut self) {
        let [Some(a), Some(b)] = self.codecs else {
            return;
        };
        let codecs = [a, b];
        let wanted = if a.relayable_to(&b) {
            Path::Relay(codecs)
        } else {
            Path::Transcode(codecs)
        };
        if self.path == Some(wanted) {
            return;
        }
        match wanted {
            Path::Relay(_) => {
                info!(call = self.call, path = "relay", codec = %describe(&a), "media path: relay (both legs use the same codec and packet time)");
                if matches!(self.path, Some(Path::Transcode(_))) {
                    let _ = self.handle.set_transcoders([None, None]);
                }
                if !matches!(self.path, Some(Path::Relay(_))) {
                    CALLS_RELAYED.fetch_add(1, Ordering::Relaxed);
                }
            }
            Path::Transcode(_) => {
                let reason = if a.codec != b.codec || a.clock_rate != b.clock_rate {
                    "codecs differ"
                } else if a.ptime != b.ptime {
                    "packet times differ"
                } else {
                    "payload types differ"
                };
                let transcoders: Transcoders =
                    [self.transcoder(0, &codecs), self.transcoder(1, &codecs)];
                if transcoders.iter().any(Option::is_none) {
                    warn!(call = self.call, a = %describe(&a), b = %describe(&b), "cannot transcode between these codecs; relaying as is");
                    return;
                }
                info!(call = self.call, path = "transcode", reason, a = %describe(&a), b = %describe(&b), "media path: transcode");
                let _ = self.handle.set_transcoders(transcoders);
                if !matches!(self.path, Some(Path::Transcode(_))) {
                    CALLS_TRANSCODED.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.path = Some(wanted);
    }
}

impl Drop for RelayMedia {
    fn drop(&mut self) {
        if let [Some(ab), Some(ba)] = self.handle.transcode_stats() {
            info!(
                call = self.call,
                a_to_b_depth_ms = ab.jitter.target_delay_ms,
                a_to_b_lost = ab.jitter.lost,
                a_to_b_late = ab.jitter.late,
                a_to_b_concealed = ab.frames_concealed,
                b_to_a_depth_ms = ba.jitter.target_delay_ms,
                b_to_a_lost = ba.jitter.lost,
                b_to_a_late = ba.jitter.late,
                b_to_a_concealed = ba.frames_concealed,
                "transcoding jitter buffers at call end"
            );
        }
    }
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
            .with_clock_rate(r.codec.clock_rate);
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
        self.codecs[side.index()] = Some(r.codec);
        self.choose_path();
    }
}
