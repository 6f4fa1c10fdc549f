//! The server shell: binds the transports, the HTTP listener (softphone page,
//! SIP over WebSocket) and the media port range, then drives the sans-IO
//! [`Controller`] from one task (network events, media events, timers) until
//! shutdown. Everything protocol-shaped lives in the controller; this file
//! only moves bytes and time. WebSocket connections reach the controller
//! through the same transport events as UDP and TCP (see [`crate::http`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tandem_sip::transport::{ConnectionId, Peer, TransportConfig, TransportEvent, Transports};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::controller::{Controller, LocalAddrs};
use crate::relay_engine::RelayEngine;

/// How long a stopping daemon waits for the BYEs and CANCELs it sent.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Where a running daemon listens (ports given as 0 are resolved).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listening {
    /// SIP over UDP.
    pub udp: Vec<SocketAddr>,
    /// SIP over TCP.
    pub tcp: Vec<SocketAddr>,
    /// HTTP: the softphone page and SIP over WebSocket.
    pub http: Vec<SocketAddr>,
}

/// Runs the daemon until `shutdown` resolves, then ends the calls in
/// progress (BYE/CANCEL), waits briefly for them, and returns.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    run_with(config, shutdown, |_| {}).await
}

/// [`run`], calling `on_listening` once every socket is bound (tests use it
/// to learn the ports when the config asks for port 0).
pub async fn run_with(
    config: Config,
    shutdown: impl Future<Output = ()>,
    on_listening: impl FnOnce(Listening),
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let (events_tx, mut events) = mpsc::channel(8192);
    let (stop_tx, stop_rx) = watch::channel(false);
    let transports = Transports::bind(
        &TransportConfig {
            udp: config.sip.udp.clone(),
            tcp: config.sip.tcp.clone(),
            tcp_idle_timeout: Duration::from_secs(600),
        },
        events_tx,
        stop_rx.clone(),
    )
    .await
    .context("binding SIP transports")?;
    let http_listeners = crate::http::bind(&config.http)
        .await
        .context("binding the HTTP listener")?;
    let http_addrs = http_listeners
        .iter()
        .map(tokio::net::TcpListener::local_addr)
        .collect::<std::io::Result<Vec<_>>>()
        .context("binding the HTTP listener")?;
    let local = LocalAddrs {
        udp: transports.udp_addrs(),
        tcp: transports.tcp_addrs(),
        ws: http_addrs.clone(),
        advertised: config.sip.advertised_address,
    };
    let (media_tx, mut media_events) = mpsc::unbounded_channel();
    let engine = RelayEngine::new(&config.media, media_tx).context("setting up media ports")?;
    let http_tasks = crate::http::spawn(http_listeners, &config.http, &transports, &stop_rx)
        .context("starting the HTTP listener")?;
    info!(
        udp = ?local.udp,
        tcp = ?local.tcp,
        http = ?local.ws,
        media = %config.media.address,
        ports = %format!("{}-{}", config.media.port_min, config.media.port_max),
        trunks = config.trunks.len(),
        numbers = config.numbers.len(),
        "tandem running"
    );
    on_listening(Listening {
        udp: local.udp.clone(),
        tcp: local.tcp.clone(),
        http: http_addrs,
    });
    let mut ctl = Controller::new(config.clone(), local, engine, Instant::now());
    let mut report = tokio::time::interval(Duration::from_secs(60));
    report.tick().await;

    tokio::pin!(shutdown);
    loop {
        flush(&mut ctl, &transports);
        let deadline = ctl
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { break };
                handle_transport_event(&mut ctl, ev);
                // Take whatever else is already queued before flushing.
                for _ in 0..64 {
                    match events.try_recv() {
                        Ok(ev) => handle_transport_event(&mut ctl, ev),
                        Err(_) => break,
                    }
                }
            }
            Some(call) = media_events.recv() => {
                ctl.handle_media_timeout(Instant::now(), call);
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                ctl.handle_timeout(Instant::now());
            }
            _ = report.tick() => {
                let h = tandem_media::relay_histogram().snapshot();
                info!(
                    calls = ctl.active_calls(),
                    stats = ?ctl.stats(),
                    relay_packets = h.count,
                    relay_p50 = ?h.p50,
                    relay_p99 = ?h.p99,
                    calls_relayed = crate::relay_engine::CALLS_RELAYED.load(std::sync::atomic::Ordering::Relaxed),
                    calls_transcoded = crate::relay_engine::CALLS_TRANSCODED.load(std::sync::atomic::Ordering::Relaxed),
                    "status"
                );
            }
            _ = &mut shutdown => break,
        }
    }

    let h = tandem_media::relay_histogram().snapshot();
    info!(
        calls = ctl.active_calls(),
        stats = ?ctl.stats(),
        media_packets = h.count,
        media_p50 = ?h.p50,
        media_p99 = ?h.p99,
        calls_relayed = crate::relay_engine::CALLS_RELAYED.load(std::sync::atomic::Ordering::Relaxed),
        calls_transcoded = crate::relay_engine::CALLS_TRANSCODED.load(std::sync::atomic::Ordering::Relaxed),
        "stopping"
    );
    ctl.shutdown(Instant::now());
    let until = Instant::now() + STOP_GRACE;
    while Instant::now() < until {
        flush(&mut ctl, &transports);
        if ctl.active_calls() == 0 && !ctl.has_pending_transactions() {
            break;
        }
        let next = ctl.poll_timeout().map_or(until, |t| t.min(until));
        tokio::select! {
            Some(ev) = events.recv() => handle_transport_event(&mut ctl, ev),
            _ = tokio::time::sleep_until(next.into()) => ctl.handle_timeout(Instant::now()),
        }
    }
    flush(&mut ctl, &transports);
    // Let the last datagrams leave before the sockets close.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = stop_tx.send(true);
    // The HTTP listeners stop accepting and close their WebSockets.
    for task in http_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    info!(stats = ?ctl.stats(), "stopped");
    Ok(())
}

fn handle_transport_event(ctl: &mut Controller<RelayEngine>, ev: TransportEvent) {
    let now = Instant::now();
    match ev {
        TransportEvent::Message { message, from } => ctl.handle_message(now, message, from),
        TransportEvent::Malformed { error, from } => ctl.handle_malformed(now, &error, from),
        TransportEvent::Closed {
            transport,
            conn,
            addr,
        } => {
            debug!(conn = conn.0, %transport, "connection closed");
            let peer = Peer {
                transport,
                addr,
                conn: (conn != ConnectionId(0)).then_some(conn),
            };
            ctl.handle_transport_error(now, peer);
        }
    }
}

fn flush(ctl: &mut Controller<RelayEngine>, transports: &Transports) {
    while let Some((bytes, dest)) = ctl.poll_transmit() {
        if let Err(e) = transports.send(bytes, &dest) {
            warn!(error = %e, "send failed");
            ctl.handle_transport_error(Instant::now(), dest);
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => info!("SIGINT"),
                    _ = term.recv() => info!("SIGTERM"),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
