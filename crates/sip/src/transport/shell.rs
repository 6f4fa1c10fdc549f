//! The tokio shell around the transports: UDP sockets and TCP listeners and
//! connections on IPv4 and IPv6, and message-oriented connections (SIP over
//! WebSocket, RFC 7118) attached from outside.
//!
//! Everything that arrives is framed and parsed here and handed to the
//! signalling core as a [`TransportEvent`] over a bounded channel; everything
//! the core wants to send goes out through [`Transports::send`], which never
//! blocks the caller. A connection-oriented transport is "a connection id
//! with a writer" in one table: TCP connections are accepted or opened here;
//! WebSocket connections are accepted by the daemon's HTTP listener (this
//! crate knows no HTTP) and registered with
//! [`Transports::attach_message_connection`].

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Mutex, mpsc, watch};
use tracing::{debug, trace, warn};

use super::{ConnectionId, Peer, TransportKind};
use crate::message::{Frame, MAX_MESSAGE_LEN, Message, ParseError, StreamFramer};

/// Where to listen.
#[derive(Debug, Clone, Default)]
pub struct TransportConfig {
    /// UDP sockets to bind.
    pub udp: Vec<SocketAddr>,
    /// TCP listeners to bind.
    pub tcp: Vec<SocketAddr>,
    /// How long a TCP connection may sit idle (no bytes either way) before it
    /// is closed. Also bounds how long a partial message may wait for the rest.
    pub tcp_idle_timeout: Duration,
}

/// What the transports hand to the signalling core.
#[derive(Debug)]
pub enum TransportEvent {
    /// A message that parsed.
    Message {
        /// The message.
        message: Message,
        /// Who sent it (for streams, with the connection id).
        from: Peer,
    },
    /// A message that did not parse. The core may answer it (400/505/...)
    /// when the error carries the headers to answer with.
    Malformed {
        /// Why it did not parse, and the headers to echo if any.
        error: ParseError,
        /// Who sent it.
        from: Peer,
    },
    /// A connection closed (by either side, or on a framing error).
    Closed {
        /// Its transport (TCP, WS, ...).
        transport: TransportKind,
        /// Which connection (`ConnectionId(0)`: an outbound connect to
        /// `addr` failed before any connection existed).
        conn: ConnectionId,
        /// Its remote address.
        addr: SocketAddr,
    },
}

/// Why a send did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No socket of this transport and address family is bound.
    #[error("no {transport} socket for {addr}")]
    NoSocket {
        /// The transport asked for.
        transport: TransportKind,
        /// The destination.
        addr: SocketAddr,
    },
    /// The connection named is gone.
    #[error("connection {0:?} is closed")]
    ConnectionClosed(ConnectionId),
    /// No connection of this transport to that address, and the transport
    /// cannot open one (WebSocket peers connect to us, never the reverse).
    #[error("no {transport} connection to {addr}")]
    NoConnection {
        /// The transport asked for.
        transport: TransportKind,
        /// The destination.
        addr: SocketAddr,
    },
    /// The connection's write queue is full (the peer does not read).
    #[error("connection {0:?} write queue is full")]
    QueueFull(ConnectionId),
    /// The transport is not built yet (TLS).
    #[error("transport {0} is not available")]
    Unsupported(TransportKind),
    /// The socket refused the datagram.
    #[error("send failed: {0}")]
    Io(#[from] io::Error),
}

/// Why a connection could not be attached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Only WebSocket transports carry one SIP message per transport message.
    #[error("{0} is not a message-oriented transport")]
    NotMessageOriented(TransportKind),
}

struct Connection {
    kind: TransportKind,
    addr: SocketAddr,
    tx: mpsc::Sender<Bytes>,
}

#[derive(Default)]
struct ConnTable {
    by_id: HashMap<ConnectionId, Connection>,
    /// The latest connection of each transport to each remote address.
    by_addr: HashMap<(TransportKind, SocketAddr), ConnectionId>,
}

impl ConnTable {
    /// The writer for `dest`: its named connection (which must be of its
    /// transport), else the latest one to its address. `Err` when a named
    /// connection is gone, `Ok(None)` when there is none to the address.
    fn writer(
        &self,
        dest: &Peer,
    ) -> Result<Option<(ConnectionId, mpsc::Sender<Bytes>)>, SendError> {
        let id = match dest.conn {
            Some(id) => id,
            None => match self.by_addr.get(&(dest.transport, dest.addr)) {
                Some(id) => *id,
                None => return Ok(None),
            },
        };
        match self.by_id.get(&id) {
            Some(c) if c.kind == dest.transport => Ok(Some((id, c.tx.clone()))),
            _ if dest.conn.is_some() => Err(SendError::ConnectionClosed(id)),
            _ => Ok(None),
        }
    }

    fn insert(
        &mut self,
        id: ConnectionId,
        kind: TransportKind,
        addr: SocketAddr,
        tx: mpsc::Sender<Bytes>,
    ) {
        self.by_id.insert(id, Connection { kind, addr, tx });
        self.by_addr.insert((kind, addr), id);
    }
}

/// Queues `bytes` on a connection's writer without waiting.
fn queue(id: ConnectionId, tx: &mpsc::Sender<Bytes>, bytes: Bytes) -> Result<(), SendError> {
    tx.try_send(bytes).map_err(|e| match e {
        mpsc::error::TrySendError::Full(_) => SendError::QueueFull(id),
        mpsc::error::TrySendError::Closed(_) => SendError::ConnectionClosed(id),
    })
}

struct Inner {
    /// UDP sockets with their bound addresses (looked up on every send).
    udp: Vec<(Arc<UdpSocket>, SocketAddr)>,
    tcp_local: Vec<SocketAddr>,
    conns: std::sync::Mutex<ConnTable>,
    /// Serialises outbound connects per destination, so two sends to the same
    /// new destination open one connection.
    connecting: Mutex<()>,
    next_conn: AtomicU64,
    events: mpsc::Sender<TransportEvent>,
    idle_timeout: Duration,
    shutdown: watch::Receiver<bool>,
}

/// The bound transports. Cheap to clone.
#[derive(Clone)]
pub struct Transports {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transports")
            .field("udp", &self.udp_addrs())
            .field("tcp", &self.inner.tcp_local)
            .finish()
    }
}

/// Per-connection write queue depth (messages).
const CONN_QUEUE: usize = 256;

impl Transports {
    /// Binds every configured socket and starts the receive tasks. Events go
    /// to `events`; the tasks stop when `shutdown` turns true.
    pub async fn bind(
        config: &TransportConfig,
        events: mpsc::Sender<TransportEvent>,
        shutdown: watch::Receiver<bool>,
    ) -> io::Result<Self> {
        let mut udp = Vec::new();
        for addr in &config.udp {
            let sock = bind_udp(*addr)?;
            let local = sock.local_addr()?;
            udp.push((Arc::new(sock), local));
        }
        let mut listeners = Vec::new();
        let mut tcp_local = Vec::new();
        for addr in &config.tcp {
            let l = TcpListener::bind(addr).await?;
            tcp_local.push(l.local_addr()?);
            listeners.push(l);
        }
        let idle_timeout = if config.tcp_idle_timeout.is_zero() {
            Duration::from_secs(600)
        } else {
            config.tcp_idle_timeout
        };
        let inner = Arc::new(Inner {
            udp,
            tcp_local,
            conns: std::sync::Mutex::new(ConnTable::default()),
            connecting: Mutex::new(()),
            next_conn: AtomicU64::new(1),
            events,
            idle_timeout,
            shutdown,
        });
        let this = Self { inner };
        for (sock, _) in &this.inner.udp {
            tokio::spawn(udp_receive(sock.clone(), this.clone()));
        }
        for l in listeners {
            tokio::spawn(tcp_accept(l, this.clone()));
        }
        Ok(this)
    }

    /// Local addresses of the UDP sockets.
    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.inner.udp.iter().map(|(_, a)| *a).collect()
    }

    /// Local addresses of the TCP listeners.
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.inner.tcp_local.clone()
    }

    /// Sends serialised bytes to a peer without waiting. UDP goes out at
    /// once; for TCP the bytes are queued on the peer's connection (the one
    /// named, else an existing one to that address, else a new one). For
    /// WebSocket they are queued on the named connection, else the latest
    /// one from that address; none is ever opened.
    pub fn send(&self, bytes: Bytes, dest: &Peer) -> Result<(), SendError> {
        match dest.transport {
            TransportKind::Udp => self.send_udp(bytes, dest.addr),
            TransportKind::Tcp => self.send_tcp(bytes, dest),
            TransportKind::Ws | TransportKind::Wss => self.send_message(bytes, dest),
            TransportKind::Tls => Err(SendError::Unsupported(TransportKind::Tls)),
        }
    }

    /// Registers a message-oriented connection that someone else accepted
    /// (a WebSocket with the `sip` subprotocol): `kind` is
    /// [`TransportKind::Ws`] or [`TransportKind::Wss`], `remote` the peer's
    /// address and `local` ours. The caller moves bytes between the socket
    /// and the returned [`MessageConnection`]: each incoming WebSocket
    /// message goes to [`MessageHandle::deliver`], each item of
    /// [`MessageConnection::outgoing`] becomes one outgoing WebSocket
    /// message. Dropping the handle closes the connection for the core
    /// ([`TransportEvent::Closed`]).
    pub fn attach_message_connection(
        &self,
        kind: TransportKind,
        remote: SocketAddr,
        local: SocketAddr,
    ) -> Result<MessageConnection, AttachError> {
        if !matches!(kind, TransportKind::Ws | TransportKind::Wss) {
            return Err(AttachError::NotMessageOriented(kind));
        }
        let id = self.next_id();
        let (tx, rx) = mpsc::channel(CONN_QUEUE);
        self.conns().insert(id, kind, remote, tx);
        debug!(conn = id.0, %remote, %local, transport = %kind, "message connection up");
        Ok(MessageConnection {
            id,
            outgoing: rx,
            handle: MessageHandle {
                transports: self.clone(),
                peer: Peer {
                    transport: kind,
                    addr: remote,
                    conn: Some(id),
                },
                local,
            },
        })
    }

    fn next_id(&self) -> ConnectionId {
        ConnectionId(self.inner.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    fn send_message(&self, bytes: Bytes, dest: &Peer) -> Result<(), SendError> {
        let writer = self.conns().writer(dest)?;
        let Some((id, tx)) = writer else {
            return Err(SendError::NoConnection {
                transport: dest.transport,
                addr: dest.addr,
            });
        };
        trace!(conn = id.0, len = bytes.len(), "message connection send");
        queue(id, &tx, bytes)
    }

    fn send_udp(&self, bytes: Bytes, addr: SocketAddr) -> Result<(), SendError> {
        let (sock, _) = self
            .inner
            .udp
            .iter()
            .find(|(_, local)| local.is_ipv4() == addr.is_ipv4())
            .ok_or(SendError::NoSocket {
                transport: TransportKind::Udp,
                addr,
            })?;
        trace!(%addr, len = bytes.len(), "udp send");
        match sock.try_send_to(&bytes, addr) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // The socket buffer is full: finish the send in the background
                // rather than block the signalling core.
                let sock = sock.clone();
                tokio::spawn(async move {
                    if let Err(e) = sock.send_to(&bytes, addr).await {
                        warn!(%addr, error = %e, "udp send failed");
                    }
                });
                Ok(())
            }
            Err(e) => Err(SendError::Io(e)),
        }
    }

    fn send_tcp(&self, bytes: Bytes, dest: &Peer) -> Result<(), SendError> {
        let existing = self.conns().writer(dest)?;
        if let Some((id, tx)) = existing {
            return queue(id, &tx, bytes);
        }
        if self.inner.tcp_local.is_empty() {
            return Err(SendError::NoSocket {
                transport: TransportKind::Tcp,
                addr: dest.addr,
            });
        }
        let this = self.clone();
        let addr = dest.addr;
        tokio::spawn(async move {
            if let Err(e) = this.connect_and_send(addr, bytes).await {
                warn!(%addr, error = %e, "tcp connect failed");
                // Reported as a closed connection with id 0: the core treats
                // it as a transport error for whatever waits on that address.
                let _ = this
                    .inner
                    .events
                    .send(TransportEvent::Closed {
                        transport: TransportKind::Tcp,
                        conn: ConnectionId(0),
                        addr,
                    })
                    .await;
            }
        });
        Ok(())
    }

    async fn connect_and_send(&self, addr: SocketAddr, bytes: Bytes) -> io::Result<()> {
        let _guard = self.inner.connecting.lock().await;
        // Someone may have connected while we waited.
        let tx = {
            let table = self.conns();
            table
                .by_addr
                .get(&(TransportKind::Tcp, addr))
                .and_then(|id| table.by_id.get(id))
                .map(|c| c.tx.clone())
        };
        let tx = match tx {
            Some(tx) => tx,
            None => {
                let stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
                self.adopt(stream, addr)
            }
        };
        tx.send(bytes)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "connection closed"))
    }

    fn conns(&self) -> std::sync::MutexGuard<'_, ConnTable> {
        // A poisoned table only means a task panicked while holding it; the
        // table itself is always consistent (single inserts/removes).
        self.inner
            .conns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a connected stream and starts its reader and writer.
    fn adopt(&self, stream: TcpStream, addr: SocketAddr) -> mpsc::Sender<Bytes> {
        let id = self.next_id();
        let (tx, rx) = mpsc::channel(CONN_QUEUE);
        self.conns()
            .insert(id, TransportKind::Tcp, addr, tx.clone());
        let _ = stream.set_nodelay(true);
        debug!(conn = id.0, %addr, "tcp connection up");
        tokio::spawn(tcp_connection(stream, id, addr, rx, self.clone()));
        tx
    }

    fn forget(&self, id: ConnectionId) {
        let mut table = self.conns();
        if let Some(c) = table.by_id.remove(&id)
            && table.by_addr.get(&(c.kind, c.addr)) == Some(&id)
        {
            table.by_addr.remove(&(c.kind, c.addr));
        }
    }

    async fn deliver(&self, buf: &[u8], from: Peer, stream: bool) {
        let parsed = if stream {
            Message::parse_stream_frame(buf)
        } else {
            Message::parse(buf)
        };
        let event = match parsed {
            Ok(message) => TransportEvent::Message { message, from },
            Err(error) => {
                debug!(peer = %from.addr, %error, "malformed SIP message");
                TransportEvent::Malformed { error, from }
            }
        };
        if self.inner.events.send(event).await.is_err() {
            trace!("signalling core gone; dropping message");
        }
    }
}

fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let domain = if addr.is_ipv4() {
        socket2::Domain::IPV4
    } else {
        socket2::Domain::IPV6
    };
    let sock = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    // Generous buffers: a burst of INVITEs at 200 calls/s must not be dropped
    // by the kernel while the core is busy.
    let _ = sock.set_recv_buffer_size(4 << 20);
    let _ = sock.set_send_buffer_size(4 << 20);
    sock.set_nonblocking(true)?;
    sock.bind(&addr.into())?;
    UdpSocket::from_std(sock.into())
}

async fn udp_receive(sock: Arc<UdpSocket>, t: Transports) {
    let mut shutdown = t.inner.shutdown.clone();
    let mut buf = vec![0u8; MAX_MESSAGE_LEN + 1];
    loop {
        let (n, from) = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok(v) => v,
                Err(e) => {
                    // ICMP port unreachable surfaces here on some systems;
                    // it is not fatal for the socket.
                    trace!(error = %e, "udp recv error");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let data = &buf[..n];
        // RFC 5626 keepalives (CRLF) and stray whitespace: ignore quietly.
        if data
            .iter()
            .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0))
        {
            continue;
        }
        if n > MAX_MESSAGE_LEN {
            debug!(%from, "oversized UDP datagram dropped");
            continue;
        }
        trace!(%from, len = n, "udp recv");
        t.deliver(data, Peer::udp(from), false).await;
    }
}

async fn tcp_accept(listener: TcpListener, t: Transports) {
    let mut shutdown = t.inner.shutdown.clone();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, addr)) => {
                    t.adopt(stream, addr);
                }
                Err(e) => {
                    warn!(error = %e, "tcp accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

async fn tcp_connection(
    stream: TcpStream,
    id: ConnectionId,
    addr: SocketAddr,
    mut rx: mpsc::Receiver<Bytes>,
    t: Transports,
) {
    let (mut reader, mut writer) = stream.into_split();
    let mut shutdown = t.inner.shutdown.clone();
    let writer_task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if let Err(e) = writer.write_all(&bytes).await {
                debug!(conn = id.0, error = %e, "tcp write failed");
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    let mut buf = BytesMut::with_capacity(8192);
    let peer = Peer {
        transport: TransportKind::Tcp,
        addr,
        conn: Some(id),
    };
    let mut framer = StreamFramer::new();
    'conn: loop {
        // Check-then-parse: frame whole messages out of what we have.
        loop {
            match framer.next_frame(&buf) {
                Ok(Some(Frame::Keepalive { len })) => {
                    let _ = buf.split_to(len);
                    // RFC 5626 §4.4.1: a double-CRLF ping gets a CRLF pong.
                    if len >= 4
                        && let Some(c) = t.conns().by_id.get(&id)
                    {
                        let _ = c.tx.try_send(Bytes::from_static(b"\r\n"));
                    }
                }
                Ok(Some(Frame::Message { len })) => {
                    let frame = buf.split_to(len);
                    t.deliver(&frame, peer, true).await;
                }
                Ok(None) => break,
                Err(error) => {
                    // Framing is lost (negative or conflicting Content-Length,
                    // oversize): answer if possible, then close (RFC 4475 §3.1.2.3).
                    debug!(conn = id.0, %error, "tcp framing error; closing");
                    let _ = t
                        .inner
                        .events
                        .send(TransportEvent::Malformed { error, from: peer })
                        .await;
                    // Give the core a moment to queue its 400 on this
                    // connection before it closes.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break 'conn;
                }
            }
        }
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(8192);
        }
        let read = tokio::select! {
            r = tokio::time::timeout(t.inner.idle_timeout, reader.read_buf(&mut buf)) => r,
            _ = shutdown.changed() => break,
        };
        match read {
            Ok(Ok(0)) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                debug!(conn = id.0, error = %e, "tcp read failed");
                break;
            }
            Err(_) => {
                debug!(conn = id.0, "tcp connection idle; closing");
                break;
            }
        }
    }
    t.forget(id);
    // The writer ends once the table's sender is gone and its queue is
    // written; give it a bounded time to flush.
    let _ = tokio::time::timeout(Duration::from_millis(500), writer_task).await;
    debug!(conn = id.0, %addr, "tcp connection closed");
    let _ = t
        .inner
        .events
        .send(TransportEvent::Closed {
            transport: TransportKind::Tcp,
            conn: id,
            addr,
        })
        .await;
}

/// A message-oriented connection attached with
/// [`Transports::attach_message_connection`].
#[derive(Debug)]
pub struct MessageConnection {
    /// Its id: the `conn` of every [`Peer`] its messages come from.
    pub id: ConnectionId,
    /// What to write to the socket, one SIP message per item. Ends (`None`)
    /// when the transports forget the connection.
    pub outgoing: mpsc::Receiver<Bytes>,
    /// Where incoming messages go in; dropping it closes the connection.
    pub handle: MessageHandle,
}

/// The inbound side of a message-oriented connection. Dropping it removes
/// the connection and reports [`TransportEvent::Closed`] to the core.
pub struct MessageHandle {
    transports: Transports,
    peer: Peer,
    local: SocketAddr,
}

impl std::fmt::Debug for MessageHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageHandle")
            .field("peer", &self.peer)
            .field("local", &self.local)
            .finish()
    }
}

impl MessageHandle {
    /// The peer as the core sees it (transport, remote address, connection).
    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// Our end of the connection.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// One incoming transport message: exactly one SIP message (RFC 7118
    /// §5: no Content-Length framing needed; a body is the rest of the
    /// message). Empty or whitespace-only messages are ignored (RFC 7118 has
    /// no CRLF keepalives; WebSocket pings do that job); oversized ones are
    /// dropped; one that does not parse becomes [`TransportEvent::Malformed`].
    /// Waits while the core's event queue is full (back-pressure on the
    /// socket's reader).
    pub async fn deliver(&self, data: &[u8]) {
        if data.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if data.len() > MAX_MESSAGE_LEN {
            debug!(conn = ?self.peer.conn, len = data.len(), "oversized message dropped");
            return;
        }
        trace!(conn = ?self.peer.conn, len = data.len(), "message connection recv");
        self.transports.deliver(data, self.peer, false).await;
    }
}

impl Drop for MessageHandle {
    fn drop(&mut self) {
        let Some(conn) = self.peer.conn else { return };
        self.transports.forget(conn);
        debug!(conn = conn.0, addr = %self.peer.addr, "message connection closed");
        let event = TransportEvent::Closed {
            transport: self.peer.transport,
            conn,
            addr: self.peer.addr,
        };
        match self.transports.inner.events.try_send(event) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(event)) => {
                // The core is busy: report the close from a task rather
                // than lose it (its transactions would wait for timers).
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    let events = self.transports.inner.events.clone();
                    rt.spawn(async move {
                        let _ = events.send(event).await;
                    });
                }
            }
        }
    }
}
