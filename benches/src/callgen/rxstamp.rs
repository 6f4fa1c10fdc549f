//! Kernel receive timestamps (Linux `SO_TIMESTAMPNS`): the time a datagram
//! reached callgen's socket, not the time callgen's receiver thread got to
//! read it. On a small machine the receiver often waits for a core while the
//! sender or the gateway runs; without these stamps that wait would be
//! counted as latency added by the gateway.
//!
//! The stamps are CLOCK_REALTIME, so the sender writes realtime send times
//! too ([`realtime_ns`]). Elsewhere (or if the option is refused) callgen
//! falls back to the time its thread read the packet.
//!
//! The only `unsafe` in callgen lives here: one `setsockopt` and one
//! `recvmsg`, each with its argument for soundness.

#![allow(unsafe_code)]

use std::io;
use std::net::UdpSocket;

/// Nanoseconds since the Unix epoch on the realtime clock.
pub fn realtime_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod imp {
    use std::io;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    /// `struct cmsghdr` on 64-bit Linux: length (8 octets; musl's 4-octet
    /// length plus 4 of zero padding reads the same on little-endian
    /// machines, and glibc's is a size_t), level (4), type (4), then data.
    const CMSG_HEADER: usize = 16;
    /// `struct timespec` on 64-bit Linux: two 8-octet integers.
    const TIMESPEC: usize = 16;

    /// A control-message buffer aligned as `struct cmsghdr` needs.
    #[repr(C, align(8))]
    struct Control([u8; 64]);

    pub fn enable(sock: &UdpSocket) -> io::Result<()> {
        let on: libc::c_int = 1;
        // SAFETY: `on` is a live c_int for the duration of the call and the
        // length passed is its size; the fd is owned by `sock`, which
        // outlives the call.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&raw const on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    pub fn recv(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, Option<u64>)> {
        let mut control = Control([0; 64]);
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is a plain C struct; all-zero (null pointers, zero
        // lengths) is a valid value, and the fields used are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr().cast();
        msg.msg_controllen = control.0.len() as _;
        // SAFETY: `msg` points at `iov` (which points at `buf`, `buf.len()`
        // writable octets) and at `control` (its stated size), all alive
        // and exclusively borrowed for the call; no address buffer is given
        // (null, length 0). The kernel writes only inside those buffers.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &raw mut msg, 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let used = (msg.msg_controllen as usize).min(control.0.len());
        Ok((n as usize, find_timestamp(&control.0[..used])))
    }

    /// The SCM_TIMESTAMPNS value in a control buffer, in ns since the epoch.
    pub fn find_timestamp(control: &[u8]) -> Option<u64> {
        let mut off = 0;
        while off + CMSG_HEADER <= control.len() {
            let word = |at: usize| -> Option<[u8; 8]> { control.get(at..at + 8)?.try_into().ok() };
            let half = |at: usize| -> Option<[u8; 4]> { control.get(at..at + 4)?.try_into().ok() };
            let len = usize::try_from(u64::from_ne_bytes(word(off)?)).ok()?;
            let level = i32::from_ne_bytes(half(off + 8)?);
            let kind = i32::from_ne_bytes(half(off + 12)?);
            if len < CMSG_HEADER {
                return None;
            }
            if level == libc::SOL_SOCKET
                && kind == libc::SCM_TIMESTAMPNS
                && len >= CMSG_HEADER + TIMESPEC
            {
                let secs = i64::from_ne_bytes(word(off + CMSG_HEADER)?);
                let nanos = i64::from_ne_bytes(word(off + CMSG_HEADER + 8)?);
                let secs = u64::try_from(secs).ok()?;
                let nanos = u64::try_from(nanos).ok()?;
                return secs.checked_mul(1_000_000_000)?.checked_add(nanos);
            }
            off += len.div_ceil(8) * 8;
        }
        None
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
mod imp {
    use std::io;
    use std::net::UdpSocket;

    pub fn enable(_sock: &UdpSocket) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    pub fn recv(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, Option<u64>)> {
        sock.recv_from(buf).map(|(n, _)| (n, None))
    }
}

/// Asks the kernel to stamp every datagram received on `sock`.
pub fn enable(sock: &UdpSocket) -> io::Result<()> {
    imp::enable(sock)
}

/// Receives one datagram into `buf`: its length and, when stamping is on,
/// when it reached the socket (realtime ns).
pub fn recv(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, Option<u64>)> {
    imp::recv(sock, buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn datagrams_carry_the_time_they_arrived() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        enable(&rx).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = realtime_ns();
        tx.send_to(b"hello", rx.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 64];
        let (n, stamp) = recv(&rx, &mut buf).unwrap();
        let after = realtime_ns();
        assert_eq!(&buf[..n], b"hello");
        let stamp = stamp.expect("a kernel timestamp");
        assert!(
            before <= stamp && stamp <= after,
            "{before} <= {stamp} <= {after}"
        );
    }

    #[test]
    fn without_stamping_there_is_no_stamp() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"x", rx.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(recv(&rx, &mut buf).unwrap(), (1, None));
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn control_messages_are_walked_to_the_timestamp() {
        let mut control = Vec::new();
        // An unrelated message first (level IP, type 1, 4 octets of data).
        control.extend_from_slice(&20u64.to_ne_bytes());
        control.extend_from_slice(&0i32.to_ne_bytes());
        control.extend_from_slice(&1i32.to_ne_bytes());
        control.extend_from_slice(&[9, 9, 9, 9, 0, 0, 0, 0]); // data + padding to 24
        control.extend_from_slice(&32u64.to_ne_bytes());
        control.extend_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
        control.extend_from_slice(&libc::SCM_TIMESTAMPNS.to_ne_bytes());
        control.extend_from_slice(&12i64.to_ne_bytes());
        control.extend_from_slice(&345i64.to_ne_bytes());
        assert_eq!(imp::find_timestamp(&control), Some(12_000_000_345));
        assert_eq!(imp::find_timestamp(&control[..24]), None);
        assert_eq!(imp::find_timestamp(&[]), None);
    }
}
