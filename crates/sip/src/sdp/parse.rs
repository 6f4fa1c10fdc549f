//! Bytes -> [`Sdp`]: rtc-sdp does the line grammar, this module does the
//! typing (codecs, direction, addresses, ICE/DTLS) and the session-level
//! inheritance.

use std::io::Cursor;
use std::net::IpAddr;

use bytes::Bytes;
use rtc_sdp::description::common::{Attribute, Bandwidth as RtcBandwidth, ConnectionInformation};
use rtc_sdp::description::media::MediaDescription;
use rtc_sdp::description::session::SessionDescription;

use super::model::{
    AddrType, Bandwidth, Codec, CodecName, Direction, DtlsParams, IceParams, MediaKind,
    MediaSection, Origin, Protocol, RtcpAttr, Sdp, Setup,
};

/// Largest SDP body accepted, in bytes.
pub const MAX_SDP_LEN: usize = 64 * 1024;

/// Why an SDP body was refused.
#[derive(Debug, thiserror::Error)]
pub enum SdpError {
    /// The body is larger than [`MAX_SDP_LEN`].
    #[error("SDP body of {len} bytes exceeds the {MAX_SDP_LEN} byte limit")]
    TooLarge {
        /// Body length.
        len: usize,
    },
    /// The body is not UTF-8.
    #[error("SDP body is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A NUL or a CR not followed by LF (RFC 8866 forbids both in values).
    #[error("SDP body has a NUL or bare CR at offset {offset}")]
    ControlCharacter {
        /// Offset of the character.
        offset: usize,
    },
    /// The line grammar was violated (missing v/o/s/t lines, lines out of
    /// order, bad numbers in o=/t=/m=/b= lines...), as reported by rtc-sdp.
    #[error("malformed SDP")]
    Syntax(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A `c=` line whose address is missing or not an IP literal (host names
    /// are not resolved here).
    #[error("c= address {address:?} is not an IP address")]
    InvalidConnectionAddress {
        /// The address as written.
        address: String,
    },
    /// An `m=` port outside 0..=65535 or a port count outside 1..=65535.
    #[error("m= line {index}: invalid port or port count")]
    InvalidPort {
        /// Index of the media section.
        index: usize,
    },
    /// A format of an RTP `m=` line that is not a payload type number 0..=127.
    #[error("m= line {index}: format {format:?} is not an RTP payload type")]
    InvalidPayloadType {
        /// Index of the media section.
        index: usize,
        /// The format token.
        format: String,
    },
}

impl Sdp {
    /// Parses an SDP body (CRLF or LF line endings).
    pub fn parse(body: &[u8]) -> Result<Sdp, SdpError> {
        if body.len() > MAX_SDP_LEN {
            return Err(SdpError::TooLarge { len: body.len() });
        }
        std::str::from_utf8(body).map_err(|e| SdpError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        check_control_characters(body)?;
        let filtered = drop_uri_lines(body);
        let raw = SessionDescription::unmarshal(&mut Cursor::new(filtered.as_ref()))
            .map_err(|e| SdpError::Syntax(Box::new(e)))?;
        from_raw(raw)
    }
}

fn check_control_characters(body: &[u8]) -> Result<(), SdpError> {
    for (offset, &b) in body.iter().enumerate() {
        let bad = match b {
            0 => true,
            b'\r' => body.get(offset + 1) != Some(&b'\n'),
            _ => false,
        };
        if bad {
            return Err(SdpError::ControlCharacter { offset });
        }
    }
    Ok(())
}

/// rtc-sdp refuses a whole description whose `u=` line is not an absolute
/// URL; Tandem does not use `u=`, so those lines are removed before parsing.
fn drop_uri_lines(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let has_uri = body
        .split(|&b| b == b'\n')
        .any(|line| line.starts_with(b"u="));
    if !has_uri {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"u=") {
            out.extend_from_slice(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn connection_address(ci: &ConnectionInformation) -> Result<IpAddr, SdpError> {
    let written = ci
        .address
        .as_ref()
        .map(|a| a.address.as_str())
        .unwrap_or("");
    // Multicast addresses may carry /ttl and /count suffixes.
    let literal = written.split('/').next().unwrap_or("");
    literal
        .parse::<IpAddr>()
        .map_err(|_| SdpError::InvalidConnectionAddress {
            address: written.to_owned(),
        })
}

fn bandwidth(raw: &[RtcBandwidth]) -> Vec<Bandwidth> {
    raw.iter()
        .map(|b| Bandwidth {
            kind: if b.experimental {
                format!("X-{}", b.bandwidth_type)
            } else {
                b.bandwidth_type.clone()
            },
            value: b.bandwidth,
        })
        .collect()
}

/// Splits `<token><whitespace><rest>`; `rest` is trimmed at the start and non-empty.
fn split_token(v: &str) -> Option<(&str, &str)> {
    let (head, rest) = v.split_once(|c: char| c.is_ascii_whitespace())?;
    let rest = rest.trim_start();
    (!head.is_empty() && !rest.is_empty()).then_some((head, rest))
}

/// `<pt> <name>/<clock>[/<channels>]`.
fn parse_rtpmap(v: &str) -> Option<(u8, CodecName, u32, u16)> {
    let (pt, encoding) = split_token(v)?;
    let pt = pt.parse::<u8>().ok()?;
    if encoding.contains(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let mut parts = encoding.split('/');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let clock = parts.next()?.parse::<u32>().ok()?;
    let channels = match parts.next() {
        Some(ch) => ch.parse::<u16>().ok()?,
        None => 1,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((pt, CodecName::parse(name), clock, channels))
}

/// `<port> [IN IP4|IP6 <address>]`.
fn parse_rtcp(v: &str) -> Option<RtcpAttr> {
    let mut tokens = v.split_ascii_whitespace();
    let port = tokens.next()?.parse::<u16>().ok()?;
    let address = match (tokens.next(), tokens.next(), tokens.next()) {
        (None, _, _) => None,
        (Some("IN"), Some("IP4" | "IP6"), Some(addr)) => Some(addr.parse::<IpAddr>().ok()?),
        _ => return None,
    };
    if tokens.next().is_some() {
        return None;
    }
    Some(RtcpAttr { port, address })
}

/// `<hash> <fingerprint>`.
fn parse_fingerprint(v: &str) -> Option<(String, String)> {
    let mut tokens = v.split_ascii_whitespace();
    let hash = tokens.next()?;
    let fingerprint = tokens.next()?;
    if tokens.next().is_some() {
        return None;
    }
    Some((hash.to_owned(), fingerprint.to_owned()))
}

fn parse_ms(v: &str) -> Option<u32> {
    v.trim().parse::<u32>().ok()
}

fn from_raw(raw: SessionDescription) -> Result<Sdp, SdpError> {
    let origin = Origin {
        username: raw.origin.username,
        session_id: raw.origin.session_id,
        session_version: raw.origin.session_version,
        address_type: if raw.origin.address_type == "IP6" {
            AddrType::Ip6
        } else {
            AddrType::Ip4
        },
        address: raw.origin.unicast_address,
    };
    let connection = raw
        .connection_information
        .as_ref()
        .map(connection_address)
        .transpose()?;
    let mut sdp = Sdp::new(origin, connection);
    if !raw.session_name.is_empty() {
        sdp.session_name = raw.session_name;
    }
    sdp.bandwidth = bandwidth(&raw.bandwidth);
    if let Some(t) = raw.time_descriptions.first() {
        sdp.timing = (t.timing.start_time, t.timing.stop_time);
    }

    for Attribute { key, value } in raw.attributes {
        let keep = match (key.as_str(), value.as_deref()) {
            ("group", Some(v)) if sdp.bundle.is_none() => {
                let mut tokens = v.split_ascii_whitespace();
                if tokens.next() == Some("BUNDLE") {
                    sdp.bundle = Some(tokens.map(str::to_owned).collect());
                    false
                } else {
                    true
                }
            }
            ("ice-lite", None) => {
                sdp.ice_lite = true;
                false
            }
            ("ice-ufrag", Some(v)) if sdp.ice_ufrag.is_none() => {
                sdp.ice_ufrag = Some(v.to_owned());
                false
            }
            ("ice-pwd", Some(v)) if sdp.ice_pwd.is_none() => {
                sdp.ice_pwd = Some(v.to_owned());
                false
            }
            ("ice-options", Some(v)) if sdp.ice_options.is_none() => {
                sdp.ice_options = Some(v.to_owned());
                false
            }
            ("fingerprint", Some(v)) if sdp.fingerprint.is_none() => {
                sdp.fingerprint = parse_fingerprint(v);
                sdp.fingerprint.is_none()
            }
            ("setup", Some(v)) if sdp.setup.is_none() => {
                sdp.setup = Setup::parse(v);
                sdp.setup.is_none()
            }
            (k, None) if sdp.direction.is_none() && Direction::parse(k).is_some() => {
                sdp.direction = Direction::parse(k);
                false
            }
            _ => true,
        };
        if keep {
            sdp.extra.push((key, value));
        }
    }

    for (index, md) in raw.media_descriptions.into_iter().enumerate() {
        let section = media_from_raw(index, md, &sdp)?;
        sdp.media.push(section);
    }
    Ok(sdp)
}

fn media_from_raw(
    index: usize,
    md: MediaDescription,
    session: &Sdp,
) -> Result<MediaSection, SdpError> {
    let name = md.media_name;
    let port = u16::try_from(name.port.value).map_err(|_| SdpError::InvalidPort { index })?;
    let protocol = Protocol::parse(&name.protos.join("/"));
    let mut m = MediaSection::new(MediaKind::parse(&name.media), port, protocol);
    m.port_count = name
        .port
        .range
        .map(|r| u16::try_from(r).ok().filter(|&r| r > 0))
        .map(|r| r.ok_or(SdpError::InvalidPort { index }))
        .transpose()?;

    // Codecs in m= order, from the static table until an rtpmap says otherwise.
    let mut mapped: Vec<bool> = Vec::new();
    if m.protocol.is_rtp() {
        for format in name.formats {
            let pt = format
                .parse::<u8>()
                .ok()
                .filter(|&pt| pt < 128)
                .ok_or(SdpError::InvalidPayloadType { index, format })?;
            if m.codecs.iter().any(|c| c.payload_type == pt) {
                continue;
            }
            m.codecs.push(
                Codec::from_static_payload_type(pt)
                    .unwrap_or_else(|| Codec::new(CodecName::Other(String::new()), pt, 0, 1)),
            );
            mapped.push(false);
        }
    } else {
        m.formats = name.formats;
    }

    m.connection = match &md.connection_information {
        Some(ci) => Some(connection_address(ci)?),
        None => session.connection,
    };
    m.bandwidth = bandwidth(&md.bandwidth);

    let mut direction = None;
    let mut ice = IceParams::default();
    let mut fingerprint = None;
    // (setup, raw value, position in extra) so an unused setup can go back in place.
    let mut setup: Option<(Setup, String, usize)> = None;

    for Attribute { key, value } in md.attributes {
        let taken = match (key.as_str(), value.as_deref()) {
            ("rtpmap", Some(v)) => match parse_rtpmap(v) {
                Some((pt, codec_name, clock, channels)) => {
                    match m.codecs.iter().position(|c| c.payload_type == pt) {
                        Some(i) if !mapped.get(i).copied().unwrap_or(true) => {
                            if let Some(c) = m.codecs.get_mut(i) {
                                c.name = codec_name;
                                c.clock_rate = clock;
                                c.channels = channels;
                            }
                            if let Some(flag) = mapped.get_mut(i) {
                                *flag = true;
                            }
                            true
                        }
                        _ => false,
                    }
                }
                None => false,
            },
            ("fmtp", Some(v)) => match split_token(v) {
                Some((pt, params)) => {
                    let codec = pt
                        .parse::<u8>()
                        .ok()
                        .and_then(|pt| m.codecs.iter_mut().find(|c| c.payload_type == pt))
                        .filter(|c| c.fmtp.is_none());
                    match codec {
                        Some(c) => {
                            c.fmtp = Some(params.to_owned());
                            true
                        }
                        None => false,
                    }
                }
                None => false,
            },
            ("rtcp-fb", Some(v)) => match split_token(v) {
                Some((pt, fb)) => {
                    let codec = pt
                        .parse::<u8>()
                        .ok()
                        .and_then(|pt| m.codecs.iter_mut().find(|c| c.payload_type == pt));
                    match codec {
                        Some(c) => {
                            c.rtcp_fb.push(fb.to_owned());
                            true
                        }
                        None => false,
                    }
                }
                None => false,
            },
            ("ptime", Some(v)) if m.ptime.is_none() => {
                m.ptime = parse_ms(v);
                m.ptime.is_some()
            }
            ("maxptime", Some(v)) if m.maxptime.is_none() => {
                m.maxptime = parse_ms(v);
                m.maxptime.is_some()
            }
            (k, None) if direction.is_none() && Direction::parse(k).is_some() => {
                direction = Direction::parse(k);
                true
            }
            ("rtcp", Some(v)) if m.rtcp.is_none() => {
                m.rtcp = parse_rtcp(v);
                m.rtcp.is_some()
            }
            ("rtcp-mux", None) => {
                m.rtcp_mux = true;
                true
            }
            ("ice-ufrag", Some(v)) if ice.ufrag.is_none() => {
                ice.ufrag = Some(v.to_owned());
                true
            }
            ("ice-pwd", Some(v)) if ice.pwd.is_none() => {
                ice.pwd = Some(v.to_owned());
                true
            }
            ("ice-options", Some(v)) if ice.options.is_none() => {
                ice.options = Some(v.to_owned());
                true
            }
            ("ice-lite", None) => {
                ice.lite = true;
                true
            }
            ("candidate", Some(v)) => {
                ice.candidates.push(v.to_owned());
                true
            }
            ("end-of-candidates", None) => {
                ice.end_of_candidates = true;
                true
            }
            ("fingerprint", Some(v)) if fingerprint.is_none() => {
                fingerprint = parse_fingerprint(v);
                fingerprint.is_some()
            }
            ("setup", Some(v)) if setup.is_none() => match Setup::parse(v) {
                Some(s) => {
                    setup = Some((s, v.to_owned(), m.extra.len()));
                    true
                }
                None => false,
            },
            ("mid", Some(v)) if m.mid.is_none() => {
                m.mid = Some(v.to_owned());
                true
            }
            ("ssrc", Some(v)) => {
                m.ssrc.push(v.to_owned());
                true
            }
            _ => false,
        };
        if !taken {
            m.extra.push((key, value));
        }
    }

    m.direction = direction.or(session.direction).unwrap_or_default();

    let ice = IceParams {
        ufrag: ice.ufrag.or_else(|| session.ice_ufrag.clone()),
        pwd: ice.pwd.or_else(|| session.ice_pwd.clone()),
        options: ice.options.or_else(|| session.ice_options.clone()),
        lite: ice.lite || session.ice_lite,
        ..ice
    };
    if ice != IceParams::default() {
        m.ice = Some(ice);
    }

    match fingerprint.or_else(|| session.fingerprint.clone()) {
        Some((fingerprint_hash, fingerprint)) => {
            m.dtls = Some(DtlsParams {
                fingerprint_hash,
                fingerprint,
                setup: setup.map(|(s, _, _)| s).or(session.setup),
            });
        }
        None => {
            if let Some((_, raw, at)) = setup {
                let at = at.min(m.extra.len());
                m.extra.insert(at, ("setup".to_owned(), Some(raw)));
            }
        }
    }
    Ok(m)
}

impl Sdp {
    /// The description as an SDP body (CRLF line endings).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_values() {
        assert_eq!(
            parse_rtpmap("96 opus/48000/2"),
            Some((96, CodecName::Opus, 48000, 2))
        );
        assert_eq!(
            parse_rtpmap("0 PCMU/8000"),
            Some((0, CodecName::Pcmu, 8000, 1))
        );
        for bad in [
            "96",
            "96 opus",
            "x opus/48000",
            "96 opus/x",
            "96 /8000",
            "96 a/1/2/3",
            "300 a/1",
        ] {
            assert_eq!(parse_rtpmap(bad), None, "{bad}");
        }
    }

    #[test]
    fn rtcp_values() {
        assert_eq!(
            parse_rtcp("5001"),
            Some(RtcpAttr {
                port: 5001,
                address: None
            })
        );
        assert_eq!(
            parse_rtcp("5001 IN IP6 ::1"),
            Some(RtcpAttr {
                port: 5001,
                address: Some("::1".parse().unwrap())
            })
        );
        for bad in [
            "",
            "x",
            "70000",
            "5001 IN",
            "5001 IN IP4 host",
            "5001 IN IP4 1.2.3.4 x",
        ] {
            assert_eq!(parse_rtcp(bad), None, "{bad}");
        }
    }

    #[test]
    fn control_characters() {
        assert!(check_control_characters(b"a=x\r\nb=y\n").is_ok());
        assert!(matches!(
            check_control_characters(b"a=x\rb"),
            Err(SdpError::ControlCharacter { offset: 3 })
        ));
        assert!(check_control_characters(b"a\0").is_err());
        assert!(check_control_characters(b"a=x\r").is_err());
    }

    #[test]
    fn uri_lines_are_dropped() {
        assert_eq!(drop_uri_lines(b"v=0\nu=x y\ns=-\n").as_ref(), b"v=0\ns=-\n");
        assert!(matches!(
            drop_uri_lines(b"v=0\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
