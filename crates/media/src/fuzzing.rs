//! Entry points for the fuzz targets (`fuzz/`), compiled with the library so they stay in
//! step with it. Each takes arbitrary bytes and must never panic; the assertions inside are
//! invariants of our own code, so a failing one is a bug found.
//!
//! Both also feed the bytes to the webrtc-rs parsers (`rtc_rtp`, `rtc_rtcp`) that the rest
//! of the gateway uses, to catch panics there on hostile input.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc_shared::marshal::{Marshal, Unmarshal};

use crate::rewrite::{RewriterConfig, StreamRewriter};
use crate::rtcp::{ReportMap, RtcpCompound, SenderMap, rewrite_compound};
use crate::rtp::{PayloadType, RtpHeader, RtpHeaderMut, RtpPacket, Ssrc};

fn word(data: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    for (i, b) in w.iter_mut().enumerate() {
        *b = data.get(at + i).copied().unwrap_or(0);
    }
    u32::from_be_bytes(w)
}

/// Our RTP view and rewriter, and `rtc_rtp::Packet` unmarshal/marshal, on arbitrary bytes.
pub fn fuzz_rtp(data: &[u8]) {
    // Read-only view.
    let view = RtpHeader::parse(data);
    if let Ok(h) = &view {
        let r = h.payload_range();
        assert!(h.header_len() <= r.end && r.end <= data.len());
        assert_eq!(
            h.payload().len() + h.header_len() + h.padding_len(),
            data.len()
        );
        let _ = (
            h.marker(),
            h.payload_type(),
            h.sequence_number(),
            h.timestamp(),
        );
        let _ = (h.ssrc(), h.extension(), h.csrc(0), h.csrc(15));
    }

    // In-place rewrite keeps the layout; then run the rewriter over a few variants.
    let mut buf = data.to_vec();
    if let Ok(mut h) = RtpHeaderMut::parse(&mut buf) {
        let range = h.payload_range();
        h.set_marker(true);
        h.set_payload_type(PayloadType::new(data.len() as u8 & 0x7f).unwrap_or_default());
        h.set_sequence_number(0xffff);
        h.set_timestamp(u32::MAX);
        h.set_ssrc(Ssrc(word(data, 12)));
        let again = RtpHeader::parse(&buf);
        assert!(again.is_ok(), "rewrite broke a valid packet");
        if let Ok(again) = again {
            assert_eq!(again.payload_range(), range);
        }

        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(RewriterConfig::new(8000));
        let seeds = [word(data, 0), word(data, 4), word(data, 8), word(data, 16)];
        for (i, seed) in seeds.iter().enumerate() {
            let mut b = data.to_vec();
            if let Ok(mut p) = RtpHeaderMut::parse(&mut b) {
                p.set_ssrc(Ssrc(seed & 3));
                p.set_sequence_number((*seed >> 8) as u16);
                p.set_timestamp(seed.rotate_left(7));
                let now = t0 + Duration::from_millis(u64::from(*seed & 0xff) * i as u64);
                let _ = rw.handle_packet(now, &mut p);
                assert!(RtpHeader::parse(&b).is_ok());
            }
        }
        let _ = (rw.sender_map(), rw.report_map());
    }

    // Owned zero-copy form and the conversion to rtc_rtp.
    let bytes = Bytes::copy_from_slice(data);
    if let Ok(p) = RtpPacket::parse(bytes.clone()) {
        assert_eq!(p.payload_bytes().len(), p.header().payload().len());
        let _ = p.to_rtc();
    }

    // rtc_rtp directly, over Bytes (zero-copy path) and over a plain slice.
    let mut b = bytes.clone();
    let parsed = rtc_rtp::Packet::unmarshal(&mut b);
    let mut s: &[u8] = data;
    let _ = rtc_rtp::Packet::unmarshal(&mut s);
    if let Ok(p) = parsed {
        if let Ok(ours) = &view {
            assert_eq!(p.header.sequence_number, ours.sequence_number());
            assert_eq!(p.header.timestamp, ours.timestamp());
            assert_eq!(p.header.ssrc, ours.ssrc().0);
            assert_eq!(p.header.payload_type, ours.payload_type().get());
        }
        let _ = p.marshal();
    }
}

/// Our RTCP compound view and in-place SSRC rewriting, and `rtc_rtcp` unmarshal/marshal, on
/// arbitrary bytes.
pub fn fuzz_rtcp(data: &[u8]) {
    if let Ok(c) = RtcpCompound::parse(data) {
        let total: usize = c.packets().map(|p| p.len()).sum();
        assert_eq!(total, data.len());
        for p in c.packets() {
            assert_eq!(p.version(), 2);
            let _ = (p.count(), p.packet_type(), p.sender_ssrc(), p.has_padding());
        }
    }

    let mut buf = data.to_vec();
    let sender = SenderMap {
        from: Ssrc(word(data, 4)),
        to: Ssrc(0x1234_5678),
        rtp_ts_offset: word(data, 0),
    };
    let report = ReportMap {
        from: Ssrc(word(data, 8)),
        to: Ssrc(0x8765_4321),
        seq_offset: data.len() as u16,
    };
    let valid = RtcpCompound::parse(data).is_ok();
    match rewrite_compound(&mut buf, Some(sender), Some(report)) {
        Ok(_) => {
            assert!(valid);
            assert!(
                RtcpCompound::parse(&buf).is_ok(),
                "rewrite broke a valid compound"
            );
        }
        Err(_) => {
            assert!(!valid);
            assert_eq!(buf, data, "rewrite wrote into an invalid compound");
        }
    }

    let mut b = Bytes::copy_from_slice(data);
    if let Ok(packets) = rtc_rtcp::packet::unmarshal(&mut b) {
        for p in &packets {
            let _ = p.marshal();
            let _ = p.destination_ssrc();
        }
        let _ = rtc_rtcp::packet::marshal(&packets);
    }
}

/// Hostile packets into the transcoding path: a stream of records cut from `data`, each a
/// packet (arrival step, sequence, timestamp, marker, payload type, payload) fed to two
/// transcoders (PCMU -> Opus and Opus -> PCMU, both with telephone-event and in-band DTMF
/// detection), with playout run between packets. Garbage payloads, wild sequence numbers and
/// timestamps, unknown payload types and malformed events must be dropped or concealed, never
/// panic, and every packet written must be a well-formed RTP packet of the output format.
pub fn fuzz_transcode(data: &[u8]) {
    use crate::codec::CodecKind;
    use crate::transcode::{StreamFormat, Transcoder, TranscoderConfig};

    let pcmu = StreamFormat {
        codec: CodecKind::Pcmu,
        payload_type: 0,
        ptime_ms: 20,
        telephone_event: Some(101),
    };
    let opus = StreamFormat {
        codec: CodecKind::Opus,
        payload_type: 111,
        ptime_ms: 20,
        telephone_event: Some(110),
    };
    let mut pair = [(pcmu, opus), (opus, pcmu)].map(|(i, o)| {
        let mut c = TranscoderConfig::new(i, o);
        c.inband_dtmf = true;
        c.opus.complexity = 0;
        Transcoder::new(&c)
    });
    let t0 = Instant::now();
    let mut now = t0;
    let mut rest = data;
    while rest.len() >= 10 {
        let step = Duration::from_micros(u64::from(rest[0]) * 200);
        let seq = u16::from_be_bytes([rest[1], rest[2]]);
        let ts = word(rest, 3);
        let marker = rest[7] & 0x80 != 0;
        let which = usize::from(rest[7] & 1);
        // Mostly the stream's own payload types, sometimes anything.
        let pt = match rest[8] % 4 {
            0 => [0u8, 111][which],
            1 => [101u8, 110][which],
            _ => rest[8] & 0x7f,
        };
        let len = usize::from(rest[9]).min(rest.len() - 10);
        let payload = &rest[10..10 + len];
        rest = &rest[10 + len..];
        now += step;
        for (i, t) in pair.iter_mut().enumerate() {
            let Ok(t) = t else { continue };
            while let Some(due) = t.poll_timeout().filter(|d| *d <= now) {
                t.handle_timeout(due);
            }
            if i == which {
                let _ = t.handle_rtp(now, 0x5eed, seq, ts, marker, pt, payload);
            }
            let expect = if i == 0 { &opus } else { &pcmu };
            while let Some(packet) = t.poll_transmit() {
                let h = RtpHeader::parse(packet).expect("transcoder wrote a bad RTP header");
                let pt = h.payload_type().get();
                assert!(
                    pt == expect.payload_type || Some(pt) == expect.telephone_event,
                    "unexpected payload type {pt}"
                );
            }
        }
    }
}
