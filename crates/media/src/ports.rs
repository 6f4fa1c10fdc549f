//! RTP/RTCP port pairs from a configured range, returned when the call ends.
//!
//! The range holds even RTP ports `p` with RTCP on `p + 1` (RFC 3550 section 11). Free ports
//! wait in a FIFO queue: allocation takes the port that has been free the longest and a
//! returned port goes to the back, so a port is not reused right after a call ended (late
//! packets of the old call would land in the new one). Ports that fail to bind because
//! something else holds them are skipped and put at the back of the queue.
//!
//! The allocator's mutex is held for queue operations and the two `bind` calls only; it is
//! never on the packet path.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, PoisonError};

use socket2::{Domain, Protocol, Socket, Type};

/// Why a port range cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortRangeError {
    /// The range holds no even port `p` with `p + 1` also inside it.
    #[error("port range {min}..={max} holds no even/odd RTP/RTCP pair")]
    NoPair {
        /// Lower bound given.
        min: u16,
        /// Upper bound given.
        max: u16,
    },
    /// Port 0 means "any" to the OS and cannot be part of a range.
    #[error("port range must not include port 0")]
    ZeroPort,
}

/// Why no port pair could be allocated.
#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    /// Every pair is either leased or held by another program.
    #[error("no free RTP port pair in {min}..={max} ({leased} leased, {busy} busy)")]
    Exhausted {
        /// Lower bound of the range.
        min: u16,
        /// Upper bound of the range.
        max: u16,
        /// Pairs currently leased by this allocator.
        leased: usize,
        /// Free pairs that failed to bind because they are in use elsewhere.
        busy: usize,
    },
    /// Binding failed for a reason that no other port would fix (address not local,
    /// permission denied, ...).
    #[error("binding RTP port {port} on {ip}")]
    Bind {
        /// The address.
        ip: IpAddr,
        /// The port that was tried.
        port: u16,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}

#[derive(Debug)]
struct Shared {
    ip: IpAddr,
    min: u16,
    max: u16,
    total: usize,
    /// Free even ports, longest-free first.
    free: Mutex<VecDeque<u16>>,
}

impl Shared {
    fn give_back(&self, port: u16) {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(port);
    }
}

/// Hands out [`PortPair`]s from a configured range on one local IP (v4 or v6).
///
/// Cloning gives another handle to the same pool. Thread-safe.
#[derive(Debug, Clone)]
pub struct PortAllocator {
    shared: Arc<Shared>,
}

impl PortAllocator {
    /// A pool of the pairs `(p, p + 1)` with `p` even and both inside `range`, bound on `ip`.
    pub fn new(ip: IpAddr, range: RangeInclusive<u16>) -> Result<Self, PortRangeError> {
        let (min, max) = (*range.start(), *range.end());
        if min == 0 {
            return Err(PortRangeError::ZeroPort);
        }
        let first = min
            .checked_add(min % 2)
            .ok_or(PortRangeError::NoPair { min, max })?;
        let free: VecDeque<u16> = (u32::from(first)..u32::from(max))
            .step_by(2)
            .filter_map(|p| u16::try_from(p).ok())
            .collect();
        if free.is_empty() {
            return Err(PortRangeError::NoPair { min, max });
        }
        Ok(PortAllocator {
            shared: Arc::new(Shared {
                ip,
                min,
                max,
                total: free.len(),
                free: Mutex::new(free),
            }),
        })
    }

    /// The IP the sockets are bound on.
    pub fn ip(&self) -> IpAddr {
        self.shared.ip
    }

    /// Number of pairs in the range.
    pub fn capacity(&self) -> usize {
        self.shared.total
    }

    /// Number of pairs not leased right now (some may still be busy elsewhere).
    pub fn available(&self) -> usize {
        self.shared
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Binds the next free pair: two non-blocking UDP sockets on `ip:p` and `ip:p+1`.
    ///
    /// Pairs whose ports are in use elsewhere are skipped. Fails with
    /// [`AllocateError::Exhausted`] when every pair is leased or busy.
    pub fn allocate(&self) -> Result<PortPair, AllocateError> {
        let s = &self.shared;
        let mut free = s.free.lock().unwrap_or_else(PoisonError::into_inner);
        let mut busy = 0;
        for _ in 0..free.len() {
            let Some(port) = free.pop_front() else { break };
            match bind_pair(s.ip, port) {
                Ok((rtp, rtcp)) => {
                    return Ok(PortPair {
                        rtp,
                        rtcp,
                        lease: PortLease {
                            port,
                            shared: Arc::clone(s),
                        },
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                    busy += 1;
                    free.push_back(port);
                }
                Err(source) => {
                    free.push_front(port);
                    return Err(AllocateError::Bind {
                        ip: s.ip,
                        port,
                        source,
                    });
                }
            }
        }
        let leased = s.total - free.len();
        Err(AllocateError::Exhausted {
            min: s.min,
            max: s.max,
            leased,
            busy,
        })
    }
}

fn bind_one(ip: IpAddr, port: u16) -> io::Result<UdpSocket> {
    let addr = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if ip.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn bind_pair(ip: IpAddr, port: u16) -> io::Result<(UdpSocket, UdpSocket)> {
    let rtp = bind_one(ip, port)?;
    let rtcp = bind_one(ip, port + 1)?;
    Ok((rtp, rtcp))
}

/// The right to use one port pair; gives it back to the pool when dropped.
#[derive(Debug)]
pub struct PortLease {
    port: u16,
    shared: Arc<Shared>,
}

impl PortLease {
    /// The RTP (even) port.
    pub fn rtp_port(&self) -> u16 {
        self.port
    }

    /// The RTCP (odd) port.
    pub fn rtcp_port(&self) -> u16 {
        self.port + 1
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.shared.give_back(self.port);
    }
}

/// Two bound, non-blocking UDP sockets (RTP on an even port, RTCP on the next) and the lease
/// that returns the ports to the pool when dropped.
#[derive(Debug)]
pub struct PortPair {
    /// The RTP socket.
    pub rtp: UdpSocket,
    /// The RTCP socket.
    pub rtcp: UdpSocket,
    /// Returns the pair to the pool when dropped; drop it after the sockets.
    pub lease: PortLease,
}

impl PortPair {
    /// Local address of the RTP socket.
    pub fn rtp_addr(&self) -> SocketAddr {
        SocketAddr::new(self.lease.shared.ip, self.lease.port)
    }

    /// Local address of the RTCP socket.
    pub fn rtcp_addr(&self) -> SocketAddr {
        SocketAddr::new(self.lease.shared.ip, self.lease.port + 1)
    }
}
