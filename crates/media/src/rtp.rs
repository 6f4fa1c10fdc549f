//! Zero-copy RTP header views (RFC 3550 section 5.1).
//!
//! [`RtpHeader`] reads a received datagram in place; [`RtpHeaderMut`] rewrites the
//! sequence number, timestamp, SSRC, marker and payload type in place, so the relay never
//! copies a payload. [`RtpPacket`] is the owned form over [`bytes::Bytes`] whose payload is a
//! slice of the receive buffer. Conversion to and from `rtc_rtp::Packet` is offered for the
//! code that needs a fully parsed packet (codecs, tests); it is not used on the relay path.
//!
//! Validation (done once by `parse`): version 2, the fixed header plus the CSRC list fit,
//! a header extension (if flagged) fits, and a padding count (if flagged) is at least one and
//! no longer than the bytes after the header.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use rtc_shared::marshal::{Marshal, Unmarshal};

/// The only RTP version there is.
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header, without CSRCs or extension.
pub const FIXED_HEADER_LEN: usize = 12;

const SEQ_OFFSET: usize = 2;
const TS_OFFSET: usize = 4;
const SSRC_OFFSET: usize = 8;

/// A synchronization source identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ssrc(pub u32);

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl From<u32> for Ssrc {
    fn from(v: u32) -> Self {
        Ssrc(v)
    }
}

/// A 7-bit RTP payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PayloadType(u8);

impl PayloadType {
    /// PCMU (G.711 mu-law), static payload type 0.
    pub const PCMU: PayloadType = PayloadType(0);
    /// PCMA (G.711 A-law), static payload type 8.
    pub const PCMA: PayloadType = PayloadType(8);

    /// A payload type, or `None` when `value` does not fit in 7 bits.
    pub const fn new(value: u8) -> Option<Self> {
        if value <= 0x7f {
            Some(PayloadType(value))
        } else {
            None
        }
    }

    /// The numeric value, 0..=127.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Whether this value collides with RTCP packet types when RTP and RTCP share a port
    /// (RFC 5761 section 4: 64..=95 must not be used for RTP).
    pub const fn is_rtcp_range(self) -> bool {
        self.0 >= 64 && self.0 <= 95
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A sequence number extended past the 16-bit wrap (see [`SeqExtender`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SeqNo(pub u64);

impl SeqNo {
    /// The 16 bits that go on the wire.
    pub const fn wire(self) -> u16 {
        self.0 as u16
    }

    /// How many times the 16-bit counter has wrapped (the RFC 3550 "cycles").
    pub const fn rollover(self) -> u64 {
        self.0 >> 16
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Extends 16-bit sequence numbers of one stream to [`SeqNo`] (sans-IO, no clock needed).
///
/// Each wire value is placed in the 64 Ki window closest to the highest number seen so far,
/// so wraps (65535 -> 0) count up and late packets from before a wrap count down. The first
/// value is placed in rollover 1, so a late packet from just before the first one (for example
/// 65535 after a first packet 2) still lands below it instead of looking like a jump forward.
#[derive(Debug, Clone, Default)]
pub struct SeqExtender {
    max: Option<u64>,
}

impl SeqExtender {
    /// An extender that has seen nothing.
    pub const fn new() -> Self {
        SeqExtender { max: None }
    }

    /// Extends `seq` and remembers it when it is the highest so far.
    pub fn extend(&mut self, seq: u16) -> SeqNo {
        let ext = match self.max {
            None => (1u64 << 16) | u64::from(seq),
            Some(max) => {
                let base = max & !0xffff;
                let candidate = base | u64::from(seq);
                // Pick, among the three windows around `max`, the value closest to it.
                let mut best = candidate;
                let mut best_dist = candidate.abs_diff(max);
                if let Some(lower) = candidate.checked_sub(1 << 16) {
                    let d = lower.abs_diff(max);
                    if d < best_dist {
                        best = lower;
                        best_dist = d;
                    }
                }
                let upper = candidate.saturating_add(1 << 16);
                if upper.abs_diff(max) < best_dist {
                    best = upper;
                }
                best
            }
        };
        if self.max.is_none_or(|m| ext > m) {
            self.max = Some(ext);
        }
        SeqNo(ext)
    }

    /// The highest extended number seen, if any.
    pub fn max(&self) -> Option<SeqNo> {
        self.max.map(SeqNo)
    }
}

/// Why a buffer is not a valid RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("RTP packet of {len} bytes is shorter than the 12-byte fixed header")]
    TooShort {
        /// Length of the buffer.
        len: usize,
    },
    /// The version field is not 2.
    #[error("RTP version {version}, expected 2")]
    BadVersion {
        /// The version found.
        version: u8,
    },
    /// The CSRC list runs past the end of the buffer.
    #[error("{csrc_count} CSRCs do not fit in {len} bytes")]
    CsrcOverrun {
        /// The CC field.
        csrc_count: u8,
        /// Length of the buffer.
        len: usize,
    },
    /// The header extension (flagged by X) runs past the end of the buffer.
    #[error("header extension needs {needed} bytes, packet has {len}")]
    ExtensionOverrun {
        /// Bytes needed up to the end of the extension.
        needed: usize,
        /// Length of the buffer.
        len: usize,
    },
    /// The padding count (flagged by P) is zero or longer than what follows the header.
    #[error("padding count {padding} invalid with {available} bytes after the header")]
    BadPadding {
        /// The last octet of the packet.
        padding: u8,
        /// Bytes after the header (payload plus padding).
        available: usize,
    },
}

/// Where the header ends and the payload ends inside a validated buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    header_len: usize,
    payload_end: usize,
}

fn validate(buf: &[u8]) -> Result<Layout, RtpError> {
    let len = buf.len();
    if len < FIXED_HEADER_LEN {
        return Err(RtpError::TooShort { len });
    }
    let b0 = buf[0];
    let version = b0 >> 6;
    if version != RTP_VERSION {
        return Err(RtpError::BadVersion { version });
    }
    let csrc_count = b0 & 0x0f;
    let mut header_len = FIXED_HEADER_LEN + 4 * usize::from(csrc_count);
    if header_len > len {
        return Err(RtpError::CsrcOverrun { csrc_count, len });
    }
    if b0 & 0x10 != 0 {
        let needed = header_len + 4;
        if needed > len {
            return Err(RtpError::ExtensionOverrun { needed, len });
        }
        let words = usize::from(u16::from_be_bytes([
            buf[header_len + 2],
            buf[header_len + 3],
        ]));
        let needed = needed + 4 * words;
        if needed > len {
            return Err(RtpError::ExtensionOverrun { needed, len });
        }
        header_len = needed;
    }
    let mut payload_end = len;
    if b0 & 0x20 != 0 {
        let available = len - header_len;
        let padding = buf[len - 1];
        if padding == 0 || usize::from(padding) > available {
            return Err(RtpError::BadPadding { padding, available });
        }
        payload_end = len - usize::from(padding);
    }
    Ok(Layout {
        header_len,
        payload_end,
    })
}

/// Whether a datagram received on an rtcp-mux port is RTCP rather than RTP
/// (RFC 5761 section 4: second octet with the marker bit masked is in 64..=95).
///
/// Only the first two octets are looked at; the packet is validated afterwards.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    match datagram.get(1) {
        Some(b1) => matches!(b1 & 0x7f, 64..=95),
        None => false,
    }
}

macro_rules! header_getters {
    () => {
        /// The version field (always 2 after `parse`).
        pub fn version(&self) -> u8 {
            self.buf[0] >> 6
        }

        /// The P bit.
        pub fn has_padding(&self) -> bool {
            self.buf[0] & 0x20 != 0
        }

        /// The X bit.
        pub fn has_extension(&self) -> bool {
            self.buf[0] & 0x10 != 0
        }

        /// The CC field.
        pub fn csrc_count(&self) -> u8 {
            self.buf[0] & 0x0f
        }

        /// The M bit.
        pub fn marker(&self) -> bool {
            self.buf[1] & 0x80 != 0
        }

        /// The PT field.
        pub fn payload_type(&self) -> PayloadType {
            PayloadType(self.buf[1] & 0x7f)
        }

        /// The 16-bit sequence number.
        pub fn sequence_number(&self) -> u16 {
            u16::from_be_bytes([self.buf[SEQ_OFFSET], self.buf[SEQ_OFFSET + 1]])
        }

        /// The 32-bit media timestamp.
        pub fn timestamp(&self) -> u32 {
            read_u32(&self.buf[..], TS_OFFSET)
        }

        /// The synchronization source.
        pub fn ssrc(&self) -> Ssrc {
            Ssrc(read_u32(&self.buf[..], SSRC_OFFSET))
        }

        /// The `i`-th contributing source, if there is one.
        pub fn csrc(&self, i: usize) -> Option<Ssrc> {
            if i < usize::from(self.csrc_count()) {
                Some(Ssrc(read_u32(&self.buf[..], FIXED_HEADER_LEN + 4 * i)))
            } else {
                None
            }
        }

        /// The header extension's profile (e.g. 0xBEDE) and data, without its 4-byte head.
        pub fn extension(&self) -> Option<(u16, &[u8])> {
            if !self.has_extension() {
                return None;
            }
            let start = FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count());
            let profile = u16::from_be_bytes([self.buf[start], self.buf[start + 1]]);
            Some((profile, &self.buf[start + 4..self.layout.header_len]))
        }

        /// Length of the whole header: fixed part, CSRCs and extension.
        pub fn header_len(&self) -> usize {
            self.layout.header_len
        }

        /// Number of padding octets at the end (0 without the P bit).
        pub fn padding_len(&self) -> usize {
            self.buf.len() - self.layout.payload_end
        }

        /// Byte range of the payload inside the packet, padding excluded.
        pub fn payload_range(&self) -> Range<usize> {
            self.layout.header_len..self.layout.payload_end
        }

        /// The payload, padding excluded.
        pub fn payload(&self) -> &[u8] {
            &self.buf[self.layout.header_len..self.layout.payload_end]
        }

        /// Length of the whole packet.
        pub fn packet_len(&self) -> usize {
            self.buf.len()
        }
    };
}

fn read_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// A validated, read-only view of an RTP packet in a borrowed buffer.
#[derive(Debug, Clone, Copy)]
pub struct RtpHeader<'a> {
    buf: &'a [u8],
    layout: Layout,
}

impl<'a> RtpHeader<'a> {
    /// Validates `buf` as one RTP packet (see the module docs for the checks).
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let layout = validate(buf)?;
        Ok(RtpHeader { buf, layout })
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    header_getters!();
}

/// A validated view of an RTP packet in a mutable buffer; setters rewrite in place.
#[derive(Debug)]
pub struct RtpHeaderMut<'a> {
    buf: &'a mut [u8],
    layout: Layout,
}

impl<'a> RtpHeaderMut<'a> {
    /// Validates `buf` as one RTP packet (see the module docs for the checks).
    pub fn parse(buf: &'a mut [u8]) -> Result<Self, RtpError> {
        let layout = validate(buf)?;
        Ok(RtpHeaderMut { buf, layout })
    }

    /// A read-only view of the same packet.
    pub fn as_view(&self) -> RtpHeader<'_> {
        RtpHeader {
            buf: self.buf,
            layout: self.layout,
        }
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf
    }

    header_getters!();

    /// Sets or clears the M bit.
    pub fn set_marker(&mut self, marker: bool) {
        if marker {
            self.buf[1] |= 0x80;
        } else {
            self.buf[1] &= 0x7f;
        }
    }

    /// Rewrites the PT field, keeping the M bit.
    pub fn set_payload_type(&mut self, pt: PayloadType) {
        self.buf[1] = (self.buf[1] & 0x80) | pt.0;
    }

    /// Rewrites the sequence number.
    pub fn set_sequence_number(&mut self, seq: u16) {
        self.buf[SEQ_OFFSET..SEQ_OFFSET + 2].copy_from_slice(&seq.to_be_bytes());
    }

    /// Rewrites the timestamp.
    pub fn set_timestamp(&mut self, ts: u32) {
        self.buf[TS_OFFSET..TS_OFFSET + 4].copy_from_slice(&ts.to_be_bytes());
    }

    /// Rewrites the SSRC.
    pub fn set_ssrc(&mut self, ssrc: Ssrc) {
        self.buf[SSRC_OFFSET..SSRC_OFFSET + 4].copy_from_slice(&ssrc.0.to_be_bytes());
    }

    /// The payload, mutable (for in-place transforms such as gain).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.layout.header_len..self.layout.payload_end]
    }
}

/// Why a conversion between [`RtpPacket`] and `rtc_rtp::Packet` failed.
#[derive(Debug, thiserror::Error)]
pub enum RtcConvertError {
    /// Our own validation rejected the bytes.
    #[error(transparent)]
    Invalid(#[from] RtpError),
    /// `rtc_rtp` could not parse or encode the packet.
    #[error("rtc-rtp: {0}")]
    Rtc(#[source] rtc_shared::error::Error),
}

/// An owned, validated RTP packet over [`Bytes`]: header fields are read in place and
/// [`RtpPacket::payload_bytes`] is a zero-copy slice of the same buffer.
#[derive(Debug, Clone)]
pub struct RtpPacket {
    buf: Bytes,
    layout: Layout,
}

impl RtpPacket {
    /// Validates `buf` as one RTP packet; no copy is made.
    pub fn parse(buf: Bytes) -> Result<Self, RtpError> {
        let layout = validate(&buf)?;
        Ok(RtpPacket { buf, layout })
    }

    /// A read-only header view.
    pub fn header(&self) -> RtpHeader<'_> {
        RtpHeader {
            buf: &self.buf,
            layout: self.layout,
        }
    }

    /// The payload as a slice of the packet's buffer (no copy).
    pub fn payload_bytes(&self) -> Bytes {
        self.buf
            .slice(self.layout.header_len..self.layout.payload_end)
    }

    /// The whole packet.
    pub fn bytes(&self) -> &Bytes {
        &self.buf
    }

    /// Gives back the whole packet.
    pub fn into_bytes(self) -> Bytes {
        self.buf
    }

    /// Parses the packet into `rtc_rtp`'s owned form. The payload stays a slice of this
    /// packet's buffer; header extensions and CSRCs are allocated by `rtc_rtp`.
    ///
    /// The bytes were validated first, so only packets that pass our own checks reach
    /// `rtc_rtp`'s parser. The payload is then set from our own layout: `rtc_rtp` 0.21.1 ends
    /// a one-byte extension block early at an id-15 element, or runs past the block when an
    /// element's length overshoots it, and would return part of the header as payload.
    pub fn to_rtc(&self) -> Result<rtc_rtp::Packet, RtcConvertError> {
        let mut b = self.buf.clone();
        let mut packet = rtc_rtp::Packet::unmarshal(&mut b).map_err(RtcConvertError::Rtc)?;
        packet.payload = self.payload_bytes();
        Ok(packet)
    }

    /// Encodes an `rtc_rtp` packet (allocates) and validates the result.
    pub fn from_rtc(packet: &rtc_rtp::Packet) -> Result<Self, RtcConvertError> {
        let bytes = packet.marshal().map_err(RtcConvertError::Rtc)?.freeze();
        Ok(RtpPacket::parse(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80, 0x00];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&ts.to_be_bytes());
        v.extend_from_slice(&ssrc.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn reads_fixed_fields() {
        let p = packet(7, 160, 0xdead_beef, &[1, 2, 3]);
        let h = RtpHeader::parse(&p).unwrap();
        assert_eq!(h.sequence_number(), 7);
        assert_eq!(h.timestamp(), 160);
        assert_eq!(h.ssrc(), Ssrc(0xdead_beef));
        assert_eq!(h.payload(), &[1, 2, 3]);
        assert_eq!(h.payload_range(), 12..15);
        assert!(!h.marker());
        assert_eq!(h.payload_type(), PayloadType::PCMU);
    }

    #[test]
    fn extender_counts_wraps_and_late_packets() {
        let mut e = SeqExtender::new();
        let a = e.extend(65534).0;
        assert_eq!(e.extend(65535).0, a + 1);
        assert_eq!(e.extend(0).0, a + 2);
        assert_eq!(e.extend(65533).0, a - 1); // late, from before the wrap
        assert_eq!(e.extend(1).0, a + 3);
        assert_eq!(e.max().unwrap().0, a + 3);
    }

    #[test]
    fn extender_first_packet_leaves_room_below() {
        let mut e = SeqExtender::new();
        let first = e.extend(2).0;
        assert_eq!(e.extend(65535).0, first - 3);
        assert_eq!(e.extend(3).0, first + 1);
    }

    #[test]
    fn rtcp_demux_by_second_octet() {
        assert!(is_rtcp(&[0x80, 200]));
        assert!(is_rtcp(&[0x80, 201]));
        assert!(!is_rtcp(&[0x80, 0]));
        assert!(!is_rtcp(&[0x80, 0x80 | 8]));
        assert!(!is_rtcp(&[0x80, 96]));
        assert!(!is_rtcp(&[0x80]));
    }
}
