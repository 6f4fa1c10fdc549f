//! The RTP side of callgen: one UDP socket for every stream, a paced sender
//! thread and a receiver thread, and a table of stream slots they share with
//! the SIP task through atomics (no lock, no allocation per packet).
//!
//! Every stream is one direction of one call. All SDPs callgen writes carry
//! the same RTP address, so the gateway sends both legs of every call to
//! this one socket. How packets are told apart and timed depends on the
//! [`Mode`]:
//!
//! - Relay (both sides use the same codec; the gateway passes SSRC and
//!   payload through unchanged): packets are matched by their SSRC and by a
//!   header in the payload. PCMU packet: a 12-octet RTP header (version 2,
//!   PCMU, marker on the first packet, SSRC = stream id, 160 timestamp
//!   units per packet) and 160 octets of PCMU whose first
//!   [`PAYLOAD_HEADER_LEN`] octets are a [`PayloadHeader`] (send time,
//!   stream id, slot, sequence) and whose rest is 0xFF (silence). PCMA is
//!   the same on payload type 8 with 0xD5 (A-law silence); Opus carries one
//!   frame of the test signal with the header in the packet's padding (see
//!   [`super::codec`]).
//! - Transcoding (the sides use different codecs; the gateway decodes,
//!   resamples and re-encodes, so the payload is not preserved): packets
//!   carry real audio from the codec's [`PayloadCycle`], no header. The
//!   gateway keeps the input's SSRC, starts the output sequence numbers at
//!   the input's first one ([`first_seq`], derived from the stream id) and
//!   counts up by one per 20 ms, so output packet `n` is matched to input
//!   packet `n` = output seq - first seq ([`packet_number`]). The sender
//!   keeps each stream's send times in a small ring ([`SEND_RING`] packets),
//!   written just before `sendto`; the receiver maps the SSRC to the slot,
//!   counts `n` in the stream's window (loss, duplicates, late) and records
//!   arrival(n) - send(n): the transcoding one-way latency, which includes
//!   the gateway's jitter buffer, decoding, resampling and encoding.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::codec::{CodecKind, PayloadCycle};
use super::rxstamp::{self, realtime_ns};
use super::stats::{Arrival, Histogram, SeqWindow};

/// RTP header length without CSRCs or extensions.
pub const RTP_HEADER_LEN: usize = 12;
/// 20 ms of G.711 at 8 kHz.
pub const PCMU_PAYLOAD_LEN: usize = 160;
/// The packet callgen sends.
pub const PACKET_LEN: usize = RTP_HEADER_LEN + PCMU_PAYLOAD_LEN;
/// Length of [`PayloadHeader`] on the wire.
pub const PAYLOAD_HEADER_LEN: usize = 20;
/// Packet time in microseconds.
pub const PTIME_US: u32 = 20_000;
/// Largest packet the sender builds (RTP header and an Opus frame with a
/// padded payload header fit easily).
pub const MAX_PACKET_LEN: usize = 1500;
/// Send times kept per stream in transcoding mode: output packets more
/// than this many packets (2.56 s) behind their input cannot be timed.
pub const SEND_RING: usize = 128;

/// `stream_id` of a free slot.
const FREE: u32 = u32::MAX;

/// What callgen writes at the start of every RTP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadHeader {
    /// Send time in nanoseconds since the Unix epoch on the realtime clock,
    /// the clock of the kernel's receive timestamps (same machine, so the
    /// sender's and the receiver's clocks are the same one).
    pub sent_ns: u64,
    /// The stream (also the RTP SSRC).
    pub stream_id: u32,
    /// The slot the stream occupies in the table.
    pub slot: u32,
    /// Packet number in the stream, from 0 (not the 16-bit RTP one).
    pub seq: u32,
}

impl PayloadHeader {
    /// Writes the header into the first [`PAYLOAD_HEADER_LEN`] octets.
    pub fn write(&self, out: &mut [u8; PAYLOAD_HEADER_LEN]) {
        out[0..8].copy_from_slice(&self.sent_ns.to_be_bytes());
        out[8..12].copy_from_slice(&self.stream_id.to_be_bytes());
        out[12..16].copy_from_slice(&self.slot.to_be_bytes());
        out[16..20].copy_from_slice(&self.seq.to_be_bytes());
    }

    /// Reads the header from a whole RTP packet, at the start of the
    /// payload (G.711) or else at its end (Opus, in the padding); `None` if
    /// it is not one of ours (too short, not RTP version 2, SSRC differs
    /// from the stream id).
    pub fn read_packet(packet: &[u8]) -> Option<Self> {
        if packet.len() < RTP_HEADER_LEN + PAYLOAD_HEADER_LEN || packet[0] >> 6 != 2 {
            return None;
        }
        let csrc = usize::from(packet[0] & 0x0f) * 4;
        let start = RTP_HEADER_LEN + csrc;
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let ssrc = be32(&packet[8..12]);
        let read = |p: &[u8]| PayloadHeader {
            sent_ns: u64::from_be_bytes([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]]),
            stream_id: be32(&p[8..12]),
            slot: be32(&p[12..16]),
            seq: be32(&p[16..20]),
        };
        let front = read(packet.get(start..start + PAYLOAD_HEADER_LEN)?);
        if front.stream_id == ssrc {
            return Some(front);
        }
        let end = packet.len().checked_sub(PAYLOAD_HEADER_LEN)?;
        if end < start {
            return None;
        }
        let back = read(&packet[end..]);
        (back.stream_id == ssrc).then_some(back)
    }
}

/// How callgen tells streams apart and times them (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Same codec on both sides: payload header.
    Relay,
    /// Different codecs: SSRC, sequence numbers and the send-time ring.
    Transcoding,
}

impl Mode {
    /// The mode for a caller and a callee codec.
    pub fn of(caller: CodecKind, callee: CodecKind) -> Self {
        if caller == callee {
            Mode::Relay
        } else {
            Mode::Transcoding
        }
    }

    /// `relay` or `transcoding`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Relay => "relay",
            Mode::Transcoding => "transcoding",
        }
    }
}

/// What one stream sends, and what the gateway should deliver of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamCodecs {
    /// The codec callgen sends.
    pub send: CodecKind,
    /// The payload type it sends on (as negotiated).
    pub payload_type: u8,
    /// The codec the packets should come out of the gateway in.
    pub receive: CodecKind,
}

impl StreamCodecs {
    /// Callgen's own PCMU stream, received as sent.
    pub const PCMU: StreamCodecs = StreamCodecs {
        send: CodecKind::Pcmu,
        payload_type: 0,
        receive: CodecKind::Pcmu,
    };

    fn pack(self) -> u32 {
        u32::from(self.send.as_u8())
            | u32::from(self.payload_type) << 8
            | u32::from(self.receive.as_u8()) << 16
    }

    fn unpack(v: u32) -> Self {
        let kind = |b: u32| CodecKind::from_u8(b as u8).unwrap_or(CodecKind::Pcmu);
        StreamCodecs {
            send: kind(v & 0xff),
            payload_type: (v >> 8) as u8 & 0x7f,
            receive: kind((v >> 16) & 0xff),
        }
    }
}

/// The RTP sequence number of a stream's first packet in transcoding mode:
/// spread over the 16-bit space by the stream id (known to sender and
/// receiver alike), so that wrapping is exercised.
pub fn first_seq(stream_id: u32) -> u16 {
    (stream_id.wrapping_mul(0x9e37_79b1) >> 16) as u16
}

/// The packet number (from 0) of an output packet with sequence number
/// `seq` in a stream whose first sequence number is `first`: the 16-bit
/// distance extended to the 32-bit value nearest to `reference` (the input
/// packets sent so far). `None` before the first packet.
pub fn packet_number(seq: u16, first: u16, reference: u64) -> Option<u32> {
    let d = seq.wrapping_sub(first);
    let delta = d.wrapping_sub(reference as u16) as i16;
    let n = i64::try_from(reference).ok()? + i64::from(delta);
    u32::try_from(n).ok()
}

/// An RTP packet's fields that transcoding mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpView<'a> {
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub seq: u16,
    /// SSRC.
    pub ssrc: u32,
    /// The payload (after CSRCs and any header extension, without padding).
    pub payload: &'a [u8],
}

impl<'a> RtpView<'a> {
    /// Reads an RTP packet; `None` for anything else (RTCP included).
    pub fn parse(p: &'a [u8]) -> Option<Self> {
        if p.len() < RTP_HEADER_LEN || p[0] >> 6 != 2 {
            return None;
        }
        let payload_type = p[1] & 0x7f;
        if (72..=76).contains(&payload_type) {
            return None; // RTCP (RFC 5761)
        }
        let mut start = RTP_HEADER_LEN + usize::from(p[0] & 0x0f) * 4;
        if p[0] & 0x10 != 0 {
            let ext = p.get(start + 2..start + 4)?;
            start += 4 + usize::from(u16::from_be_bytes([ext[0], ext[1]])) * 4;
        }
        let mut end = p.len();
        if p[0] & 0x20 != 0 {
            end = end.checked_sub(usize::from(*p.last()?))?;
        }
        Some(RtpView {
            payload_type,
            seq: u16::from_be_bytes([p[2], p[3]]),
            ssrc: u32::from_be_bytes([p[8], p[9], p[10], p[11]]),
            payload: p.get(start..end)?,
        })
    }
}

/// The payload cycles of the codecs in use, by [`CodecKind::as_u8`].
#[derive(Debug, Clone, Default)]
pub struct Payloads {
    cycles: [Option<PayloadCycle>; 3],
}

impl Payloads {
    /// Encodes the cycles of `kinds` (each once).
    pub fn new(kinds: &[CodecKind]) -> Result<Self, super::codec::CycleError> {
        let mut p = Payloads::default();
        for &k in kinds {
            if p.cycles[usize::from(k.as_u8())].is_none() {
                p.cycles[usize::from(k.as_u8())] = Some(PayloadCycle::new(k, PAYLOAD_HEADER_LEN)?);
            }
        }
        Ok(p)
    }

    /// The cycle of `kind`, if it was encoded.
    pub fn get(&self, kind: CodecKind) -> Option<&PayloadCycle> {
        self.cycles[usize::from(kind.as_u8())].as_ref()
    }
}

/// Writes a 12-octet RTP header.
fn write_rtp_header(buf: &mut [u8], pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32) {
    buf[0] = 0x80;
    buf[1] = pt & 0x7f | if marker { 0x80 } else { 0 };
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&ts.to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
}

/// Builds the packet a stream sends; returns its length. Relay mode: the
/// payload header in the payload (PCMU exactly as [`build_packet`]);
/// transcoding mode: frame `header.seq` of the codec's cycle, sequence
/// numbers from [`first_seq`]. A codec without a cycle in `payloads` sends
/// silence of its kind (G.711) or nothing (Opus: returns 0).
pub fn build_stream_packet(
    buf: &mut [u8; MAX_PACKET_LEN],
    mode: Mode,
    codecs: StreamCodecs,
    payloads: &Payloads,
    header: &PayloadHeader,
) -> usize {
    let n = header.seq;
    let kind = codecs.send;
    let ts = n.wrapping_mul(kind.timestamp_step());
    let cycle = payloads.get(kind);
    match mode {
        Mode::Relay => match kind {
            CodecKind::Pcmu | CodecKind::Pcma => {
                let Some(b) = buf.first_chunk_mut::<PACKET_LEN>() else {
                    return 0;
                };
                build_packet(b, header);
                if kind == CodecKind::Pcma {
                    b[1] = (b[1] & 0x80) | (codecs.payload_type & 0x7f);
                    b[RTP_HEADER_LEN + PAYLOAD_HEADER_LEN..].fill(0xd5);
                }
                PACKET_LEN
            }
            CodecKind::Opus => {
                let Some(frame) = cycle.and_then(|c| c.padded(n)) else {
                    return 0;
                };
                let len = RTP_HEADER_LEN + frame.len();
                if len > MAX_PACKET_LEN {
                    return 0;
                }
                write_rtp_header(
                    buf,
                    codecs.payload_type,
                    n == 0,
                    n as u16,
                    ts,
                    header.stream_id,
                );
                buf[RTP_HEADER_LEN..len].copy_from_slice(frame);
                let mut ph = [0u8; PAYLOAD_HEADER_LEN];
                header.write(&mut ph);
                buf[len - PAYLOAD_HEADER_LEN..len].copy_from_slice(&ph);
                len
            }
        },
        Mode::Transcoding => {
            let seq = first_seq(header.stream_id).wrapping_add(n as u16);
            write_rtp_header(buf, codecs.payload_type, n == 0, seq, ts, header.stream_id);
            let frame: &[u8] = match (cycle, kind) {
                (Some(c), _) => c.frame(n),
                (None, CodecKind::Pcmu) => &[0xff; PCMU_PAYLOAD_LEN],
                (None, CodecKind::Pcma) => &[0xd5; PCMU_PAYLOAD_LEN],
                (None, CodecKind::Opus) => return 0,
            };
            let len = RTP_HEADER_LEN + frame.len();
            if len > MAX_PACKET_LEN {
                return 0;
            }
            buf[RTP_HEADER_LEN..len].copy_from_slice(frame);
            len
        }
    }
}

/// Fills `buf` with packet number `seq` of a stream.
pub fn build_packet(buf: &mut [u8; PACKET_LEN], header: &PayloadHeader) {
    let rtp_seq = header.seq as u16; // wraps, as RTP's does
    let ts = header.seq.wrapping_mul(PCMU_PAYLOAD_LEN as u32);
    buf[0] = 0x80;
    buf[1] = if header.seq == 0 { 0x80 } else { 0x00 }; // marker, PT 0 (PCMU)
    buf[2..4].copy_from_slice(&rtp_seq.to_be_bytes());
    buf[4..8].copy_from_slice(&ts.to_be_bytes());
    buf[8..12].copy_from_slice(&header.stream_id.to_be_bytes());
    let mut ph = [0u8; PAYLOAD_HEADER_LEN];
    header.write(&mut ph);
    buf[RTP_HEADER_LEN..RTP_HEADER_LEN + PAYLOAD_HEADER_LEN].copy_from_slice(&ph);
    buf[RTP_HEADER_LEN + PAYLOAD_HEADER_LEN..].fill(0xFF);
}

/// Packs an IPv4 destination into a u64 with a "sending" flag (0 = stopped).
fn pack(addr: SocketAddrV4) -> u64 {
    (1 << 48) | (u64::from(u32::from(*addr.ip())) << 16) | u64::from(addr.port())
}

fn unpack(v: u64) -> Option<SocketAddrV4> {
    (v >> 48 == 1).then(|| {
        SocketAddrV4::new(
            Ipv4Addr::from(((v >> 16) & 0xffff_ffff) as u32),
            (v & 0xffff) as u16,
        )
    })
}

/// One stream slot, shared by the SIP task (start, stop, finish), the
/// sender (reads `dest` and `stream_id`, counts `sent`) and the receiver
/// (counts `received`, `duplicates`, `late`).
#[derive(Debug, Default)]
struct Slot {
    stream_id: AtomicU32,
    /// [`StreamCodecs`], packed; set before `stream_id`.
    codecs: AtomicU32,
    dest: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    late: AtomicU64,
    /// Transcoding mode: send time of packet `n` at `n % SEND_RING`, packed
    /// by [`pack_send_time`]; written by the sender only.
    send_times: Box<[AtomicU64]>,
}

/// A send-time ring entry: a valid bit, 15 bits of the packet number, and
/// 48 bits of ns since the table's base time (78 hours).
fn pack_send_time(n: u32, rel_ns: u64) -> u64 {
    1 << 63 | (u64::from(n) & 0x7fff) << 48 | (rel_ns & ((1 << 48) - 1))
}

/// The ns of a ring entry if it holds packet `n`.
fn unpack_send_time(v: u64, n: u32) -> Option<u64> {
    (v >> 63 == 1 && (v >> 48) & 0x7fff == u64::from(n) & 0x7fff).then_some(v & ((1 << 48) - 1))
}

/// Which part of the run the receiver is in, for the steady-state histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Calls being set up.
    Ramp = 0,
    /// Every call is up.
    Steady = 1,
    /// Calls being torn down.
    Teardown = 2,
}

/// What a finished stream did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamResult {
    /// Packets sent.
    pub sent: u64,
    /// Distinct packets received.
    pub received: u64,
    /// Copies of packets already received.
    pub duplicates: u64,
    /// Packets that arrived after a later one.
    pub late: u64,
}

/// The table of stream slots, shared by the SIP task and the RTP threads.
#[derive(Debug)]
pub struct Streams {
    slots: Box<[Slot]>,
    mode: Mode,
    payloads: Payloads,
    /// Realtime ns the send-time ring entries count from.
    base_ns: u64,
    phase: AtomicU8,
    stop: AtomicBool,
    /// Packets that matched no live stream (late after the stream ended,
    /// before it started, or not ours).
    stray: AtomicU64,
    /// Sends that failed.
    send_errors: AtomicU64,
    /// Ticks the sender ran more than 2 ms late.
    sender_late_ticks: AtomicU64,
    /// The sender's worst lateness in ns.
    sender_max_lag_ns: AtomicU64,
}

impl Streams {
    /// A table of `n` free slots for `mode`, sending the cycles in
    /// `payloads`.
    pub fn new(n: usize, mode: Mode, payloads: Payloads) -> Arc<Self> {
        let ring = if mode == Mode::Transcoding {
            SEND_RING
        } else {
            0
        };
        let slots: Box<[Slot]> = (0..n)
            .map(|_| Slot {
                stream_id: AtomicU32::new(FREE),
                codecs: AtomicU32::new(StreamCodecs::PCMU.pack()),
                send_times: (0..ring).map(|_| AtomicU64::new(0)).collect(),
                ..Slot::default()
            })
            .collect();
        Arc::new(Self {
            slots,
            mode,
            payloads,
            base_ns: realtime_ns(),
            phase: AtomicU8::new(Phase::Ramp as u8),
            stop: AtomicBool::new(false),
            stray: AtomicU64::new(0),
            send_errors: AtomicU64::new(0),
            sender_late_ticks: AtomicU64::new(0),
            sender_max_lag_ns: AtomicU64::new(0),
        })
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Claims `slot` for `stream_id`, sending `codecs` (counters reset, not
    /// sending yet).
    pub fn claim(&self, slot: u32, stream_id: u32, codecs: StreamCodecs) {
        if let Some(s) = self.slots.get(slot as usize) {
            s.codecs.store(codecs.pack(), Ordering::Relaxed);
            s.dest.store(0, Ordering::Relaxed);
            s.sent.store(0, Ordering::Relaxed);
            s.received.store(0, Ordering::Relaxed);
            s.duplicates.store(0, Ordering::Relaxed);
            s.late.store(0, Ordering::Relaxed);
            s.stream_id.store(stream_id, Ordering::Release);
        }
    }

    /// Starts sending on `slot` to `dest`. Only IPv4 destinations are
    /// supported; `false` for anything else.
    pub fn start(&self, slot: u32, dest: SocketAddr) -> bool {
        let (SocketAddr::V4(d), Some(s)) = (dest, self.slots.get(slot as usize)) else {
            return false;
        };
        s.dest.store(pack(d), Ordering::Release);
        true
    }

    /// Stops sending on `slot` (packets in flight may still arrive).
    pub fn stop_sending(&self, slot: u32) {
        if let Some(s) = self.slots.get(slot as usize) {
            s.dest.store(0, Ordering::Release);
        }
    }

    /// Ends the stream on `slot` and frees it: later packets of it count as
    /// stray.
    pub fn finish(&self, slot: u32) -> StreamResult {
        let Some(s) = self.slots.get(slot as usize) else {
            return StreamResult {
                sent: 0,
                received: 0,
                duplicates: 0,
                late: 0,
            };
        };
        s.dest.store(0, Ordering::Release);
        s.stream_id.store(FREE, Ordering::Release);
        StreamResult {
            sent: s.sent.load(Ordering::Acquire),
            received: s.received.load(Ordering::Acquire),
            duplicates: s.duplicates.load(Ordering::Acquire),
            late: s.late.load(Ordering::Acquire),
        }
    }

    /// Sets the phase of the run.
    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// Tells both threads to end.
    pub fn shut_down(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Packets sent and received so far over all live slots (for progress).
    pub fn live_counts(&self) -> (u64, u64) {
        self.slots.iter().fold((0, 0), |(s, r), slot| {
            (
                s + slot.sent.load(Ordering::Relaxed),
                r + slot.received.load(Ordering::Relaxed),
            )
        })
    }

    /// Packets matching no live stream.
    pub fn stray(&self) -> u64 {
        self.stray.load(Ordering::Relaxed)
    }

    /// Sends that failed.
    pub fn send_errors(&self) -> u64 {
        self.send_errors.load(Ordering::Relaxed)
    }

    /// Sender ticks more than 2 ms late, and the worst lag.
    pub fn sender_lateness(&self) -> (u64, Duration) {
        (
            self.sender_late_ticks.load(Ordering::Relaxed),
            Duration::from_nanos(self.sender_max_lag_ns.load(Ordering::Relaxed)),
        )
    }
}

/// Creates the RTP socket with large kernel buffers (bursts of a thousand
/// streams must not overflow them).
pub fn bind_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // The kernel caps these at net.core.{r,w}mem_max; a smaller buffer is
    // not an error, just reported.
    let _ = sock.set_recv_buffer_size(8 << 20);
    let _ = sock.set_send_buffer_size(8 << 20);
    sock.bind(&addr.into())?;
    Ok(sock.into())
}

/// Sends every live stream's packet when due: the 20 ms period is cut in
/// ticks of `tick_us` (a divisor of 20,000) and slot `i` sends on the ticks
/// where `tick mod (20,000 / tick_us) == i mod (20,000 / tick_us)`, so a
/// thousand streams are spread over the period instead of bursting (a
/// 100-packet burst every millisecond would queue up in the gateway and
/// show as latency that a real trunk's independent streams do not cause).
/// One `sendto` per packet, with the send time written just before it
/// (batching with sendmmsg saved about a tenth of callgen's CPU but stamped
/// packets up to a few hundred microseconds before they left). Runs until
/// [`Streams::shut_down`].
pub fn spawn_sender(
    sock: UdpSocket,
    streams: Arc<Streams>,
    tick_us: u32,
) -> io::Result<JoinHandle<()>> {
    if tick_us == 0 || !PTIME_US.is_multiple_of(tick_us) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the sender tick must divide 20,000 us",
        ));
    }
    std::thread::Builder::new()
        .name("callgen-rtp-tx".to_owned())
        .spawn(move || sender_loop(&sock, &streams, tick_us))
}

fn count_sent(streams: &Streams, slot: u32) {
    if let Some(s) = streams.slots.get(slot as usize) {
        // Only the sender thread writes `sent`.
        let sent = s.sent.load(Ordering::Relaxed);
        s.sent.store(sent + 1, Ordering::Release);
    }
}

fn sender_loop(sock: &UdpSocket, streams: &Streams, tick_us: u32) {
    let phases = (PTIME_US / tick_us) as usize;
    let tick_len = Duration::from_micros(u64::from(tick_us));
    let n = streams.len();
    // Per slot, owned by this thread: (stream id, next packet number, codecs).
    let mut local: Vec<(u32, u32, StreamCodecs)> = vec![(FREE, 0, StreamCodecs::PCMU); n];
    let mut buf = [0u8; MAX_PACKET_LEN];
    let start = Instant::now();
    let mut tick: u64 = 0;
    let mut due = start;
    while !streams.stop.load(Ordering::Acquire) {
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        } else {
            let lag = now - due;
            if lag > Duration::from_millis(2) {
                streams.sender_late_ticks.fetch_add(1, Ordering::Relaxed);
            }
            let lag_ns = u64::try_from(lag.as_nanos()).unwrap_or(u64::MAX);
            streams
                .sender_max_lag_ns
                .fetch_max(lag_ns, Ordering::Relaxed);
        }
        let phase = (tick % phases as u64) as usize;
        for i in (phase..n).step_by(phases) {
            let slot = &streams.slots[i];
            let Some(dest) = unpack(slot.dest.load(Ordering::Acquire)) else {
                continue;
            };
            let id = slot.stream_id.load(Ordering::Acquire);
            if id == FREE {
                continue;
            }
            let state = &mut local[i];
            if state.0 != id {
                let codecs = StreamCodecs::unpack(slot.codecs.load(Ordering::Relaxed));
                *state = (id, 0, codecs);
            }
            let header = PayloadHeader {
                sent_ns: realtime_ns(),
                stream_id: id,
                slot: i as u32,
                seq: state.1,
            };
            state.1 = state.1.wrapping_add(1);
            let len =
                build_stream_packet(&mut buf, streams.mode, state.2, &streams.payloads, &header);
            if len == 0 {
                streams.send_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if let Some(e) = slot.send_times.get(header.seq as usize % SEND_RING.max(1)) {
                let rel = header.sent_ns.saturating_sub(streams.base_ns);
                e.store(pack_send_time(header.seq, rel), Ordering::Release);
            }
            match sock.send_to(&buf[..len], dest) {
                Ok(_) => count_sent(streams, i as u32),
                Err(_) => {
                    streams.send_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        tick = tick.wrapping_add(1);
        due += tick_len;
    }
}

/// What the receiver measured.
#[derive(Debug, Clone, Default)]
pub struct ReceiverReport {
    /// One-way latency of every packet of a live stream, in ns, to its
    /// arrival at callgen's socket (kernel timestamp; when the kernel gave
    /// none, to when callgen read it).
    pub latency: Histogram,
    /// The same, only while every call was up.
    pub latency_steady: Histogram,
    /// One-way latency to when callgen's receiver thread read the packet
    /// (includes the receiver's own wait for a core).
    pub latency_read: Histogram,
    /// The same, only while every call was up.
    pub latency_read_steady: Histogram,
    /// Packets that carried a kernel timestamp.
    pub kernel_stamped: u64,
    /// Datagrams received (ours or not).
    pub datagrams: u64,
    /// Transcoding mode: output packets of a live stream whose number
    /// matches no input packet sent (before the first one, or beyond the
    /// last: e.g. concealment the gateway sends after the input stopped).
    /// Not counted as received.
    pub extra: u64,
    /// Transcoding mode: output packets whose payload is not a 20 ms frame
    /// of the expected codec on its payload type (counted as received).
    pub bad_payload: u64,
    /// Transcoding mode: received packets whose send time had left the ring
    /// (more than [`SEND_RING`] packets late): no latency recorded.
    pub untimed: u64,
}

/// Receives every RTP packet, matches it to its stream and records its
/// latency, with the kernel's receive timestamps where the platform gives
/// them. Runs until [`Streams::shut_down`]; returns its histograms.
pub fn spawn_receiver(
    sock: UdpSocket,
    streams: Arc<Streams>,
) -> io::Result<JoinHandle<ReceiverReport>> {
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    // Without stamps the read time stands in (reported as such).
    let _ = rxstamp::enable(&sock);
    std::thread::Builder::new()
        .name("callgen-rtp-rx".to_owned())
        .spawn(move || {
            let mut rx = Receiver::new(&streams);
            let mut buf = [0u8; 2048];
            while !streams.stop.load(Ordering::Acquire) {
                // Errors: the read timeout (to look at the stop flag), or
                // an ICMP error from an earlier send.
                let Ok((len, arrived)) = rxstamp::recv(&sock, &mut buf) else {
                    continue;
                };
                let read = realtime_ns();
                rx.on_datagram(&buf[..len], arrived, read);
            }
            rx.report
        })
}

struct Receiver<'a> {
    streams: &'a Streams,
    windows: Vec<(u32, SeqWindow)>,
    report: ReceiverReport,
    /// Transcoding mode: SSRC -> slot, filled when a stream's first packet
    /// arrives (at most one entry per slot, so it never grows past its
    /// initial capacity).
    slot_of: HashMap<u32, u32>,
}

impl<'a> Receiver<'a> {
    fn new(streams: &'a Streams) -> Self {
        let n = streams.len();
        let map = if streams.mode == Mode::Transcoding {
            2 * n
        } else {
            0
        };
        Receiver {
            streams,
            windows: vec![(FREE, SeqWindow::default()); n],
            report: ReceiverReport::default(),
            slot_of: HashMap::with_capacity(map),
        }
    }

    fn on_datagram(&mut self, data: &[u8], arrived_ns: Option<u64>, read_ns: u64) {
        match self.streams.mode {
            Mode::Relay => self.on_relayed(data, arrived_ns, read_ns),
            Mode::Transcoding => self.on_transcoded(data, arrived_ns, read_ns),
        }
    }

    /// The slot of a live stream with id `ssrc`: from the map when it is
    /// still right, else by a scan of the table (once per stream).
    fn find_slot(&mut self, ssrc: u32) -> Option<u32> {
        if ssrc == FREE {
            return None;
        }
        let live = |i: u32| {
            self.streams
                .slots
                .get(i as usize)
                .is_some_and(|s| s.stream_id.load(Ordering::Acquire) == ssrc)
        };
        if let Some(&i) = self.slot_of.get(&ssrc) {
            if live(i) {
                return Some(i);
            }
            self.slot_of.remove(&ssrc);
        }
        let i = self
            .streams
            .slots
            .iter()
            .position(|s| s.stream_id.load(Ordering::Acquire) == ssrc)? as u32;
        // The slot's previous stream is over: forget its entry.
        let old = self.windows[i as usize].0;
        if old != FREE && old != ssrc && self.slot_of.get(&old) == Some(&i) {
            self.slot_of.remove(&old);
        }
        self.slot_of.insert(ssrc, i);
        Some(i)
    }

    fn on_transcoded(&mut self, data: &[u8], arrived_ns: Option<u64>, read_ns: u64) {
        let streams = self.streams;
        self.report.datagrams += 1;
        let Some(rtp) = RtpView::parse(data) else {
            streams.stray.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(i) = self.find_slot(rtp.ssrc) else {
            streams.stray.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let slot = &streams.slots[i as usize];
        let codecs = StreamCodecs::unpack(slot.codecs.load(Ordering::Relaxed));
        if !codecs.receive.is_frame(rtp.payload_type, rtp.payload) {
            self.report.bad_payload += 1;
        }
        let sent = slot.sent.load(Ordering::Acquire);
        let Some(n) = packet_number(rtp.seq, first_seq(rtp.ssrc), sent) else {
            self.report.extra += 1;
            return;
        };
        let sent_ns = slot
            .send_times
            .get(n as usize % SEND_RING)
            .and_then(|e| unpack_send_time(e.load(Ordering::Acquire), n))
            .map(|rel| rel + streams.base_ns);
        if sent_ns.is_none() && u64::from(n) >= sent {
            self.report.extra += 1;
            return;
        }
        if !self.count(i, rtp.ssrc, n) {
            return;
        }
        match sent_ns {
            Some(t) => self.record_latency(t, arrived_ns, read_ns),
            None => self.report.untimed += 1,
        }
    }

    /// Counts packet `n` of stream `id` on slot `i`; `false` for a
    /// duplicate (not timed).
    fn count(&mut self, i: u32, id: u32, n: u32) -> bool {
        let slot = &self.streams.slots[i as usize];
        let w = &mut self.windows[i as usize];
        if w.0 != id {
            *w = (id, SeqWindow::default());
        }
        // Only this thread writes these three counters.
        let bump = |c: &AtomicU64| c.store(c.load(Ordering::Relaxed) + 1, Ordering::Release);
        match w.1.observe(n) {
            Arrival::InOrder => bump(&slot.received),
            Arrival::Late | Arrival::TooOld => {
                bump(&slot.received);
                bump(&slot.late);
            }
            Arrival::Duplicate => {
                bump(&slot.duplicates);
                return false;
            }
        }
        true
    }

    fn record_latency(&mut self, sent_ns: u64, arrived_ns: Option<u64>, read_ns: u64) {
        if arrived_ns.is_some() {
            self.report.kernel_stamped += 1;
        }
        let arrival = arrived_ns.unwrap_or(read_ns).saturating_sub(sent_ns);
        let read = read_ns.saturating_sub(sent_ns);
        let r = &mut self.report;
        r.latency.record(arrival);
        r.latency_read.record(read);
        if self.streams.phase.load(Ordering::Relaxed) == Phase::Steady as u8 {
            r.latency_steady.record(arrival);
            r.latency_read_steady.record(read);
        }
    }

    fn on_relayed(&mut self, data: &[u8], arrived_ns: Option<u64>, read_ns: u64) {
        let streams = self.streams;
        self.report.datagrams += 1;
        let Some(h) = PayloadHeader::read_packet(data) else {
            streams.stray.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(slot) = streams.slots.get(h.slot as usize) else {
            streams.stray.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if slot.stream_id.load(Ordering::Acquire) != h.stream_id {
            streams.stray.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.count(h.slot, h.stream_id, h.seq) {
            self.record_latency(h.sent_ns, arrived_ns, read_ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_header_round_trips_through_a_packet() {
        let h = PayloadHeader {
            sent_ns: 0x0102_0304_0506_0708,
            stream_id: 77,
            slot: 5,
            seq: 70_000,
        };
        let mut buf = [0u8; PACKET_LEN];
        build_packet(&mut buf, &h);
        assert_eq!(buf[0], 0x80, "RTP version 2, no CSRC");
        assert_eq!(buf[1], 0x00, "PCMU, no marker after the first packet");
        assert_eq!(&buf[2..4], &(70_000u32 as u16).to_be_bytes());
        assert_eq!(&buf[4..8], &(70_000u32 * 160).to_be_bytes());
        assert_eq!(&buf[8..12], &77u32.to_be_bytes(), "SSRC is the stream id");
        assert_eq!(&buf[12..20], &0x0102_0304_0506_0708u64.to_be_bytes());
        assert!(
            buf[RTP_HEADER_LEN + PAYLOAD_HEADER_LEN..]
                .iter()
                .all(|&b| b == 0xFF)
        );
        assert_eq!(PayloadHeader::read_packet(&buf), Some(h));

        let first = PayloadHeader { seq: 0, ..h };
        build_packet(&mut buf, &first);
        assert_eq!(buf[1], 0x80, "marker on the first packet");
    }

    #[test]
    fn foreign_packets_are_refused() {
        let h = PayloadHeader {
            sent_ns: 1,
            stream_id: 9,
            slot: 0,
            seq: 1,
        };
        let mut buf = [0u8; PACKET_LEN];
        build_packet(&mut buf, &h);
        let mut other_ssrc = buf;
        other_ssrc[11] ^= 1;
        assert_eq!(PayloadHeader::read_packet(&other_ssrc), None);
        let mut rtcp_ish = buf;
        rtcp_ish[0] = 0x40; // version 1
        assert_eq!(PayloadHeader::read_packet(&rtcp_ish), None);
        assert_eq!(PayloadHeader::read_packet(&buf[..30]), None);
    }

    #[test]
    fn destinations_pack_and_unpack() {
        let a = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 30_002);
        assert_eq!(unpack(pack(a)), Some(a));
        assert_eq!(unpack(0), None);
    }

    #[test]
    fn loopback_streams_are_counted_and_timed() {
        let streams = Streams::new(4, Mode::Relay, Payloads::default());
        let sock = bind_socket("127.0.0.1:0".parse().unwrap()).unwrap();
        let me = sock.local_addr().unwrap();
        let rx = spawn_receiver(sock.try_clone().unwrap(), streams.clone()).unwrap();
        let tx = spawn_sender(sock, streams.clone(), 1000).unwrap();
        streams.claim(0, 1000, StreamCodecs::PCMU);
        streams.claim(1, 1001, StreamCodecs::PCMU);
        assert!(streams.start(0, me));
        assert!(streams.start(1, me));
        // Real time: the sender paces itself on the wall clock.
        std::thread::sleep(Duration::from_millis(250));
        streams.stop_sending(0);
        streams.stop_sending(1);
        std::thread::sleep(Duration::from_millis(50));
        let a = streams.finish(0);
        let b = streams.finish(1);
        streams.shut_down();
        tx.join().unwrap();
        let report = rx.join().unwrap();
        for r in [a, b] {
            // 250 ms at one packet per 20 ms.
            assert!((10..=15).contains(&r.sent), "sent {}", r.sent);
            assert_eq!(r.received, r.sent);
            assert_eq!(r.duplicates, 0);
        }
        assert_eq!(report.latency.count(), a.received + b.received);
        assert_eq!(report.latency_read.count(), a.received + b.received);
        assert_eq!(report.kernel_stamped, a.received + b.received);
        // Arrival at the socket comes before the read.
        assert!(report.latency.mean() <= report.latency_read.mean());
        assert!(report.latency.max() < 1_000_000_000);
        assert_eq!(streams.stray(), 0);
    }

    fn header(stream_id: u32, seq: u32) -> PayloadHeader {
        PayloadHeader {
            sent_ns: 0x0102_0304_0506_0708,
            stream_id,
            slot: 3,
            seq,
        }
    }

    fn codecs(send: CodecKind, receive: CodecKind) -> StreamCodecs {
        StreamCodecs {
            send,
            payload_type: send.offer_payload_type(),
            receive,
        }
    }

    #[test]
    fn relay_packets_carry_the_header_in_every_codec() {
        let payloads = Payloads::new(&CodecKind::ALL).unwrap();
        let mut buf = [0u8; MAX_PACKET_LEN];
        // PCMU: byte for byte the packet callgen always sent.
        let h = header(77, 70_000);
        let mut old = [0u8; PACKET_LEN];
        build_packet(&mut old, &h);
        let pcmu = codecs(CodecKind::Pcmu, CodecKind::Pcmu);
        let len = build_stream_packet(&mut buf, Mode::Relay, pcmu, &payloads, &h);
        assert_eq!(&buf[..len], &old[..]);
        let len = build_stream_packet(&mut buf, Mode::Relay, pcmu, &Payloads::default(), &h);
        assert_eq!(&buf[..len], &old[..], "PCMU relay needs no cycle");
        // PCMA: payload type 8, A-law silence after the header.
        let pcma = codecs(CodecKind::Pcma, CodecKind::Pcma);
        let len = build_stream_packet(&mut buf, Mode::Relay, pcma, &payloads, &header(5, 0));
        assert_eq!(len, PACKET_LEN);
        assert_eq!(buf[1], 0x80 | 8, "marker, PCMA");
        assert!(
            buf[RTP_HEADER_LEN + PAYLOAD_HEADER_LEN..len]
                .iter()
                .all(|&b| b == 0xd5)
        );
        assert_eq!(PayloadHeader::read_packet(&buf[..len]), Some(header(5, 0)));
        // Opus: a real frame, the header in its padding.
        let opus = codecs(CodecKind::Opus, CodecKind::Opus);
        let h = header(9, 51);
        let len = build_stream_packet(&mut buf, Mode::Relay, opus, &payloads, &h);
        let frame = payloads.get(CodecKind::Opus).unwrap().padded(51).unwrap();
        assert_eq!(len, RTP_HEADER_LEN + frame.len());
        assert_eq!(buf[1], 111);
        assert_eq!(&buf[4..8], &(51u32 * 960).to_be_bytes());
        assert_eq!(PayloadHeader::read_packet(&buf[..len]), Some(h));
        let rtp = RtpView::parse(&buf[..len]).unwrap();
        assert!(CodecKind::Opus.is_frame(111, rtp.payload));
        let mut dec = opus::Decoder::new(48_000, opus::Channels::Mono).unwrap();
        let mut pcm = [0i16; 960];
        assert_eq!(dec.decode(rtp.payload, &mut pcm, false).unwrap(), 960);
    }

    #[test]
    fn transcoding_packets_carry_the_cycle_from_the_first_sequence_number() {
        let payloads = Payloads::new(&[CodecKind::Opus, CodecKind::Pcma]).unwrap();
        let mut buf = [0u8; MAX_PACKET_LEN];
        let opus = StreamCodecs {
            payload_type: 96,
            ..codecs(CodecKind::Opus, CodecKind::Pcma)
        };
        let cycle = payloads.get(CodecKind::Opus).unwrap();
        for n in [0u32, 1, 49, 50, 70_000] {
            let len =
                build_stream_packet(&mut buf, Mode::Transcoding, opus, &payloads, &header(42, n));
            let rtp = RtpView::parse(&buf[..len]).unwrap();
            assert_eq!(rtp.payload_type, 96);
            assert_eq!(
                buf[1] & 0x80 != 0,
                n == 0,
                "marker on the first packet only"
            );
            assert_eq!(rtp.seq, first_seq(42).wrapping_add(n as u16));
            assert_eq!(rtp.ssrc, 42);
            assert_eq!(&buf[4..8], &n.wrapping_mul(960).to_be_bytes());
            assert_eq!(rtp.payload, cycle.frame(n), "no payload header");
            assert_eq!(packet_number(rtp.seq, first_seq(42), u64::from(n)), Some(n));
        }
        let pcma = codecs(CodecKind::Pcma, CodecKind::Opus);
        let len = build_stream_packet(&mut buf, Mode::Transcoding, pcma, &payloads, &header(1, 3));
        assert_eq!(len, PACKET_LEN);
        assert_eq!(buf[1], 8);
        assert_eq!(&buf[4..8], &480u32.to_be_bytes());
        assert_eq!(
            &buf[RTP_HEADER_LEN..len],
            payloads.get(CodecKind::Pcma).unwrap().frame(3)
        );
        // No Opus cycle: nothing to send.
        let none = build_stream_packet(
            &mut buf,
            Mode::Transcoding,
            opus,
            &Payloads::default(),
            &header(1, 0),
        );
        assert_eq!(none, 0);
    }

    #[test]
    fn packet_numbers_extend_across_the_sequence_wrap() {
        assert_eq!(packet_number(65_535, 65_535, 0), Some(0));
        assert_eq!(packet_number(0, 65_535, 1), Some(1));
        assert_eq!(packet_number(4, 65_530, 12), Some(10));
        // Far into the stream: 70,000 packets sent, this one 3 behind.
        let first = 1234u16;
        let seq = first.wrapping_add((69_997u32 % 65_536) as u16);
        assert_eq!(packet_number(seq, first, 70_000), Some(69_997));
        // A little ahead of what was sent (concealment after the end).
        assert_eq!(packet_number(first.wrapping_add(5), first, 3), Some(5));
        // Before the first packet.
        assert_eq!(packet_number(first.wrapping_sub(2), first, 1), None);
    }

    #[test]
    fn rtp_view_skips_csrcs_extensions_and_padding_and_refuses_rtcp() {
        let mut p = vec![0xb1, 0x00, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 9];
        p.extend([0xaa; 4]); // one CSRC
        p.extend([0xbe, 0xde, 0x00, 0x01, 1, 2, 3, 4]); // one-word extension
        p.extend([7, 8, 9]); // payload
        p.extend([0, 0, 3]); // three octets of padding
        let v = RtpView::parse(&p).unwrap();
        assert_eq!((v.payload_type, v.seq, v.ssrc), (0, 0x1234, 9));
        assert_eq!(v.payload, &[7, 8, 9]);
        let mut rtcp = p.clone();
        rtcp[1] = 200; // SR
        assert_eq!(RtpView::parse(&rtcp), None);
        let mut bad_pad = p.clone();
        *bad_pad.last_mut().unwrap() = 60;
        assert_eq!(RtpView::parse(&bad_pad), None);
        assert_eq!(RtpView::parse(&p[..11]), None);
    }

    /// What a transcoding gateway would send back for input packet `n`.
    fn output_packet(id: u32, n: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; RTP_HEADER_LEN];
        write_rtp_header(
            &mut p,
            0,
            n == 0,
            first_seq(id).wrapping_add(n as u16),
            n * 160,
            id,
        );
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn transcoded_output_is_matched_by_ssrc_and_sequence_and_timed_against_its_input() {
        let streams = Streams::new(4, Mode::Transcoding, Payloads::default());
        // A stream whose sequence numbers wrap after a few packets.
        let id = (1..).find(|&i| first_seq(i) > 65_530).unwrap();
        streams.claim(2, id, codecs(CodecKind::Opus, CodecKind::Pcmu));
        let slot = &streams.slots[2];
        // The sender's side: 10 packets, 20 ms apart, from 1 s after the base.
        let t0 = 1_000_000_000u64;
        for n in 0..10u32 {
            let e = &slot.send_times[n as usize % SEND_RING];
            e.store(
                pack_send_time(n, t0 + u64::from(n) * 20_000_000),
                Ordering::Release,
            );
        }
        slot.sent.store(10, Ordering::Release);
        let mut rx = Receiver::new(&streams);
        let pcmu = [0x55u8; 160];
        // Each output packet arrives 45 ms after its input; packet 3 comes
        // last, packet 5 twice; then one packet past the input (PLC) and one
        // of a stream that does not exist.
        let arrive = |n: u32| Some(streams.base_ns + t0 + u64::from(n) * 20_000_000 + 45_000_000);
        for n in [0, 1, 2, 4, 5, 5, 6, 7, 8, 9, 3, 10] {
            let pkt = output_packet(id, n, &pcmu);
            rx.on_datagram(&pkt, arrive(n), arrive(n).unwrap() + 1000);
        }
        rx.on_datagram(&output_packet(id + 1, 0, &pcmu), arrive(0), 0);
        // A wrong payload (not 160 octets) is counted, and still received.
        slot.send_times[10].store(pack_send_time(10, t0 + 200_000_000), Ordering::Release);
        slot.sent.store(11, Ordering::Release);
        rx.on_datagram(
            &output_packet(id, 10, &pcmu[..100]),
            arrive(10),
            arrive(10).unwrap() + 1000,
        );

        let r = streams.finish(2);
        assert_eq!(r.sent, 11);
        assert_eq!(r.received, 11, "0..=10, once each");
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.late, 1);
        assert_eq!(rx.report.extra, 1, "packet 10 before its input was sent");
        assert_eq!(rx.report.bad_payload, 1);
        assert_eq!(rx.report.untimed, 0);
        assert_eq!(streams.stray(), 1);
        let h = &rx.report.latency;
        assert_eq!(h.count(), 11);
        assert_eq!(h.min(), 45_000_000);
        assert_eq!(h.max(), 45_000_000);
        assert_eq!(rx.report.latency_read.min(), 45_001_000);
        assert_eq!(rx.report.latency_read.max(), 45_001_000);
        assert_eq!(rx.report.kernel_stamped, 11);
        // The slot is free: its packets are stray now.
        rx.on_datagram(&output_packet(id, 4, &pcmu), arrive(4), 0);
        assert_eq!(streams.stray(), 2);
    }

    #[test]
    fn a_reused_slot_maps_its_new_stream() {
        let streams = Streams::new(2, Mode::Transcoding, Payloads::default());
        let pcmu = codecs(CodecKind::Pcmu, CodecKind::Pcmu);
        let mut rx = Receiver::new(&streams);
        for id in [7u32, 8, 9] {
            streams.claim(1, id, pcmu);
            let slot = &streams.slots[1];
            slot.send_times[0].store(pack_send_time(0, 5), Ordering::Release);
            slot.sent.store(1, Ordering::Release);
            rx.on_datagram(
                &output_packet(id, 0, &[0xff; 160]),
                Some(streams.base_ns + 10),
                0,
            );
            assert_eq!(streams.finish(1).received, 1, "stream {id}");
        }
        assert_eq!(rx.slot_of.len(), 1, "old streams are forgotten");
        assert_eq!(rx.report.latency.count(), 3);
        assert_eq!(rx.report.latency.max(), 5);
    }

    #[test]
    fn transcoding_mode_loops_real_payloads_through_a_socket() {
        let payloads = Payloads::new(&[CodecKind::Opus, CodecKind::Pcmu]).unwrap();
        let streams = Streams::new(4, Mode::Transcoding, payloads);
        let sock = bind_socket("127.0.0.1:0".parse().unwrap()).unwrap();
        let me = sock.local_addr().unwrap();
        let rx = spawn_receiver(sock.try_clone().unwrap(), streams.clone()).unwrap();
        let tx = spawn_sender(sock, streams.clone(), 1000).unwrap();
        // Looped back unchanged, so each is received in its own codec.
        streams.claim(0, 500, codecs(CodecKind::Opus, CodecKind::Opus));
        streams.claim(1, 501, codecs(CodecKind::Pcmu, CodecKind::Pcmu));
        assert!(streams.start(0, me));
        assert!(streams.start(1, me));
        std::thread::sleep(Duration::from_millis(250));
        streams.stop_sending(0);
        streams.stop_sending(1);
        std::thread::sleep(Duration::from_millis(50));
        let a = streams.finish(0);
        let b = streams.finish(1);
        streams.shut_down();
        tx.join().unwrap();
        let report = rx.join().unwrap();
        for r in [a, b] {
            assert!((10..=15).contains(&r.sent), "sent {}", r.sent);
            assert_eq!(r.received, r.sent);
            assert_eq!(r.duplicates + r.late, 0);
        }
        assert_eq!(report.bad_payload, 0);
        assert_eq!(report.extra, 0);
        assert_eq!(report.untimed, 0);
        assert_eq!(report.latency.count(), a.received + b.received);
        assert!(report.latency.max() < 1_000_000_000);
        assert_eq!(streams.stray(), 0);
        assert_eq!(streams.send_errors(), 0);
    }
}
