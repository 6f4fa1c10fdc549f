//! Zero-copy RTCP views and in-place SSRC rewriting (RFC 3550 section 6, RFC 5761).
//!
//! [`RtcpCompound::parse`] walks a compound packet by its length fields and validates it
//! (RFC 3550 appendix A.2, minus the "first packet is SR/RR" rule so that reduced-size RTCP
//! of RFC 5506 passes): every packet has version 2 and a packet type in 192..=223, the lengths
//! add up exactly to the datagram, and only the last packet may carry padding, whose count
//! must be between 1 and the packet's body length.
//!
//! [`rewrite_compound`] masks a source change for the far end: when the relay has rewritten
//! the SSRC (and timestamp, sequence offsets) of an RTP stream, the RTCP of that stream and
//! the RTCP about it must follow, or the far end sees reports for an SSRC it never received.
//! See docs/media.md for the exact fields touched.

use crate::rtp::Ssrc;

/// Sender report.
pub const PT_SR: u8 = 200;
/// Receiver report.
pub const PT_RR: u8 = 201;
/// Source description.
pub const PT_SDES: u8 = 202;
/// Goodbye.
pub const PT_BYE: u8 = 203;
/// Application-defined.
pub const PT_APP: u8 = 204;
/// Transport-layer feedback (RFC 4585).
pub const PT_RTPFB: u8 = 205;
/// Payload-specific feedback (RFC 4585).
pub const PT_PSFB: u8 = 206;
/// Extended report (RFC 3611).
pub const PT_XR: u8 = 207;

const HEADER_LEN: usize = 4;
const REPORT_BLOCK_LEN: usize = 24;

/// Why a buffer is not a valid (compound) RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// No bytes at all.
    #[error("empty RTCP datagram")]
    Empty,
    /// Fewer than 4 bytes left for a packet header.
    #[error("RTCP header at offset {offset} truncated ({available} bytes left)")]
    TooShort {
        /// Offset of the packet inside the datagram.
        offset: usize,
        /// Bytes left from that offset.
        available: usize,
    },
    /// Version field not 2.
    #[error("RTCP version {version} at offset {offset}, expected 2")]
    BadVersion {
        /// Offset of the packet.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// Packet type outside 192..=223, so not RTCP (RFC 5761 section 4).
    #[error("packet type {packet_type} at offset {offset} is not RTCP")]
    NotRtcp {
        /// Offset of the packet.
        offset: usize,
        /// The packet type found.
        packet_type: u8,
    },
    /// The length field points past the end of the datagram.
    #[error("RTCP packet at offset {offset} declares {declared} bytes, {available} left")]
    LengthOverrun {
        /// Offset of the packet.
        offset: usize,
        /// Length declared, in bytes.
        declared: usize,
        /// Bytes left from that offset.
        available: usize,
    },
    /// The P bit is set on a packet that is not the last of the compound.
    #[error("RTCP packet at offset {offset} has padding but is not last")]
    PaddingNotLast {
        /// Offset of the packet.
        offset: usize,
    },
    /// The padding count is zero or longer than the packet body.
    #[error("RTCP padding count {padding} invalid for packet at offset {offset}")]
    BadPadding {
        /// Offset of the packet.
        offset: usize,
        /// The padding count found.
        padding: u8,
    },
}

/// One RTCP packet (header and body, padding included) inside a validated compound.
#[derive(Debug, Clone, Copy)]
pub struct RtcpPacketView<'a> {
    buf: &'a [u8],
}

impl<'a> RtcpPacketView<'a> {
    /// The version field (2).
    pub fn version(&self) -> u8 {
        self.buf[0] >> 6
    }

    /// The P bit.
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// The 5-bit count field (report count, source count or feedback format).
    pub fn count(&self) -> u8 {
        self.buf[0] & 0x1f
    }

    /// The packet type (200 = SR, 201 = RR, ...).
    pub fn packet_type(&self) -> u8 {
        self.buf[1]
    }

    /// The length field: the packet's length in 32-bit words minus one.
    pub fn length_words(&self) -> u16 {
        u16::from_be_bytes([self.buf[2], self.buf[3]])
    }

    /// The packet's length in bytes, header and padding included.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Always false: a packet has at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The SSRC right after the header (the sender's for SR, RR, RTPFB, PSFB, XR, the first
    /// chunk's or source's for SDES and BYE), if the packet has a body.
    pub fn sender_ssrc(&self) -> Option<Ssrc> {
        if self.buf.len() >= 8 {
            Some(Ssrc(read_u32(self.buf, 4)))
        } else {
            None
        }
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// A validated compound RTCP datagram.
#[derive(Debug, Clone, Copy)]
pub struct RtcpCompound<'a> {
    buf: &'a [u8],
}

impl<'a> RtcpCompound<'a> {
    /// Validates `buf` (see the module docs for the checks). No allocation.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtcpError> {
        validate(buf)?;
        Ok(RtcpCompound { buf })
    }

    /// The packets, in order.
    pub fn packets(&self) -> RtcpPackets<'a> {
        RtcpPackets { rest: self.buf }
    }

    /// The first packet.
    pub fn first(&self) -> RtcpPacketView<'a> {
        let len = packet_len(self.buf);
        RtcpPacketView {
            buf: &self.buf[..len],
        }
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// Iterator over the packets of a validated compound.
#[derive(Debug, Clone)]
pub struct RtcpPackets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = RtcpPacketView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < HEADER_LEN {
            return None;
        }
        let len = packet_len(self.rest).min(self.rest.len());
        let (p, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(RtcpPacketView { buf: p })
    }
}

fn packet_len(buf: &[u8]) -> usize {
    (usize::from(u16::from_be_bytes([buf[2], buf[3]])) + 1) * 4
}

fn read_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

fn write_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn validate(buf: &[u8]) -> Result<(), RtcpError> {
    if buf.is_empty() {
        return Err(RtcpError::Empty);
    }
    let mut offset = 0;
    while offset < buf.len() {
        let available = buf.len() - offset;
        if available < HEADER_LEN {
            return Err(RtcpError::TooShort { offset, available });
        }
        let p = &buf[offset..];
        let version = p[0] >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { offset, version });
        }
        let packet_type = p[1];
        if !(192..=223).contains(&packet_type) {
            return Err(RtcpError::NotRtcp {
                offset,
                packet_type,
            });
        }
        let declared = packet_len(p);
        if declared > available {
            return Err(RtcpError::LengthOverrun {
                offset,
                declared,
                available,
            });
        }
        if p[0] & 0x20 != 0 {
            if declared != available {
                return Err(RtcpError::PaddingNotLast { offset });
            }
            let padding = p[declared - 1];
            if padding == 0 || usize::from(padding) > declared - HEADER_LEN {
                return Err(RtcpError::BadPadding { offset, padding });
            }
        }
        offset += declared;
    }
    Ok(())
}

/// Masks a source change in RTCP sent by the stream's sender: SSRC `from` (the source the
/// relay now receives) becomes `to` (the SSRC the far end knows), and the RTP timestamp of
/// sender reports moves by the same offset the relay adds to RTP timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderMap {
    /// The sender's real SSRC.
    pub from: Ssrc,
    /// The SSRC the far end sees.
    pub to: Ssrc,
    /// Added (wrapping) to the RTP timestamp of an SR from `from`.
    pub rtp_ts_offset: u32,
}

/// Masks a source change in RTCP about the stream, sent back by its receiver: report blocks
/// and feedback about `from` (the SSRC the receiver knows) are turned into reports about `to`
/// (the sender's real SSRC), and the extended highest sequence number is moved back by the
/// offset the relay added to sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportMap {
    /// The SSRC the receiver reports about.
    pub from: Ssrc,
    /// The sender's real SSRC.
    pub to: Ssrc,
    /// Subtracted (wrapping) from the low 16 bits of the extended highest sequence number.
    pub seq_offset: u16,
}

/// Rewrites SSRCs in a compound RTCP datagram in place, and returns how many SSRC fields were
/// changed. The datagram is validated first; on error nothing is written.
///
/// With `sender`: the sender SSRC of SR, RR, RTPFB, PSFB and XR, the chunk SSRCs of SDES,
/// the source list of BYE, and the RTP timestamp of an SR. With `report`: the source SSRC of
/// SR/RR report blocks (and their highest sequence number) and the media-source SSRC of
/// RTPFB/PSFB. Anything else (APP, XR blocks, NACK sequence numbers) is left as is.
pub fn rewrite_compound(
    buf: &mut [u8],
    sender: Option<SenderMap>,
    report: Option<ReportMap>,
) -> Result<u32, RtcpError> {
    validate(buf)?;
    let mut changed = 0;
    let mut offset = 0;
    while offset + HEADER_LEN <= buf.len() {
        let len = packet_len(&buf[offset..]);
        let p = &mut buf[offset..offset + len];
        let padding = if p[0] & 0x20 != 0 {
            usize::from(p[len - 1])
        } else {
            0
        };
        // The body without padding; validation guarantees padding <= len - 4.
        let end = len - padding;
        let count = usize::from(p[0] & 0x1f);
        match p[1] {
            PT_SR | PT_RR => {
                let is_sr = p[1] == PT_SR;
                if end >= 8
                    && let Some(m) = sender
                    && read_u32(p, 4) == m.from.0
                {
                    write_u32(p, 4, m.to.0);
                    changed += 1;
                    if is_sr && end >= 20 {
                        let ts = read_u32(p, 16).wrapping_add(m.rtp_ts_offset);
                        write_u32(p, 16, ts);
                    }
                }
                if let Some(m) = report {
                    let first = if is_sr { 28 } else { 8 };
                    for i in 0..count {
                        let at = first + i * REPORT_BLOCK_LEN;
                        if at + REPORT_BLOCK_LEN > end {
                            break;
                        }
                        if read_u32(p, at) == m.from.0 {
                            write_u32(p, at, m.to.0);
                            changed += 1;
                            let seq_at = at + 10;
                            let seq = u16::from_be_bytes([p[seq_at], p[seq_at + 1]])
                                .wrapping_sub(m.seq_offset);
                            p[seq_at..seq_at + 2].copy_from_slice(&seq.to_be_bytes());
                        }
                    }
                }
            }
            PT_RTPFB | PT_PSFB => {
                if end >= 8
                    && let Some(m) = sender
                    && read_u32(p, 4) == m.from.0
                {
                    write_u32(p, 4, m.to.0);
                    changed += 1;
                }
                if end >= 12
                    && let Some(m) = report
                    && read_u32(p, 8) == m.from.0
                {
                    write_u32(p, 8, m.to.0);
                    changed += 1;
                }
            }
            PT_XR => {
                if end >= 8
                    && let Some(m) = sender
                    && read_u32(p, 4) == m.from.0
                {
                    write_u32(p, 4, m.to.0);
                    changed += 1;
                }
            }
            PT_BYE => {
                if let Some(m) = sender {
                    for i in 0..count {
                        let at = HEADER_LEN + 4 * i;
                        if at + 4 > end {
                            break;
                        }
                        if read_u32(p, at) == m.from.0 {
                            write_u32(p, at, m.to.0);
                            changed += 1;
                        }
                    }
                }
            }
            PT_SDES => {
                if let Some(m) = sender {
                    changed += rewrite_sdes(&mut p[..end], count, m);
                }
            }
            _ => {}
        }
        offset += len;
    }
    Ok(changed)
}

/// Walks `count` SDES chunks (SSRC, items, null terminator, pad to 32 bits) and rewrites the
/// chunk SSRCs equal to `m.from`. Stops quietly at the first chunk that does not fit.
fn rewrite_sdes(p: &mut [u8], count: usize, m: SenderMap) -> u32 {
    let mut changed = 0;
    let mut at = HEADER_LEN;
    for _ in 0..count {
        if at + 4 > p.len() {
            break;
        }
        if read_u32(p, at) == m.from.0 {
            write_u32(p, at, m.to.0);
            changed += 1;
        }
        at += 4;
        // Items until a zero type octet.
        loop {
            match p.get(at) {
                None => return changed,
                Some(0) => {
                    at += 1;
                    break;
                }
                Some(_) => match p.get(at + 1) {
                    None => return changed,
                    Some(&len) => at += 2 + usize::from(len),
                },
            }
        }
        // Chunks start on a 32-bit boundary.
        at = at.div_ceil(4) * 4;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(sender: u32, about: u32, ext_seq: u32) -> Vec<u8> {
        let mut v = vec![0x81, PT_RR, 0, 7];
        v.extend_from_slice(&sender.to_be_bytes());
        v.extend_from_slice(&about.to_be_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&ext_seq.to_be_bytes());
        v.extend_from_slice(&[0; 12]);
        v
    }

    #[test]
    fn walks_compound() {
        let mut d = rr(1, 2, 3);
        d.extend_from_slice(&[0x81, PT_BYE, 0, 1, 0, 0, 0, 1]);
        let c = RtcpCompound::parse(&d).unwrap();
        let types: Vec<u8> = c.packets().map(|p| p.packet_type()).collect();
        assert_eq!(types, vec![PT_RR, PT_BYE]);
        assert_eq!(c.first().sender_ssrc(), Some(Ssrc(1)));
    }

    #[test]
    fn rejects_length_overrun_and_trailing_bytes() {
        let mut d = rr(1, 2, 3);
        d[3] = 8;
        assert!(matches!(
            RtcpCompound::parse(&d),
            Err(RtcpError::LengthOverrun { offset: 0, .. })
        ));
        let mut d = rr(1, 2, 3);
        d.extend_from_slice(&[0x80]);
        assert!(matches!(
            RtcpCompound::parse(&d),
            Err(RtcpError::TooShort { offset: 32, .. })
        ));
    }

    #[test]
    fn report_map_rewrites_block_and_seq() {
        let mut d = rr(1, 0xaaaa, 0x0001_0010);
        let n = rewrite_compound(
            &mut d,
            None,
            Some(ReportMap {
                from: Ssrc(0xaaaa),
                to: Ssrc(0xbbbb),
                seq_offset: 0x20,
            }),
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(read_u32(&d, 8), 0xbbbb);
        assert_eq!(read_u32(&d, 16), 0x0001_fff0);
    }

    #[test]
    fn sdes_chunks_rewritten() {
        // SDES, 2 chunks: (ssrc 5, CNAME "ab") (ssrc 6, no items)
        let mut d = vec![0x82, PT_SDES, 0, 4];
        d.extend_from_slice(&5u32.to_be_bytes());
        d.extend_from_slice(&[1, 2, b'a', b'b', 0, 0, 0, 0]);
        d.extend_from_slice(&6u32.to_be_bytes());
        assert_eq!(d.len(), 20);
        let m = SenderMap {
            from: Ssrc(6),
            to: Ssrc(9),
            rtp_ts_offset: 0,
        };
        // The second chunk has no terminator inside the packet: it is still rewritten.
        assert_eq!(rewrite_compound(&mut d, Some(m), None).unwrap(), 1);
        assert_eq!(read_u32(&d, 16), 9);
    }
}
