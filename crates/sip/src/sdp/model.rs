//! The typed SDP model: session, media sections, codecs, direction, and the
//! ICE/DTLS parameters carried for WebRTC legs.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// An RTP codec as a media section describes it (`m=` format plus its
/// `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// Encoding name.
    pub name: CodecName,
    /// RTP payload type number.
    pub payload_type: u8,
    /// RTP clock rate in Hz (0 when a dynamic payload type has no rtpmap).
    pub clock_rate: u32,
    /// Audio channels (1 unless the rtpmap says otherwise; Opus is 2).
    pub channels: u16,
    /// `a=fmtp` parameters, verbatim.
    pub fmtp: Option<String>,
    /// `a=rtcp-fb` values for this payload type (without the payload type).
    pub rtcp_fb: Vec<String>,
}

impl Codec {
    /// A codec with no fmtp and no RTCP feedback.
    pub fn new(name: CodecName, payload_type: u8, clock_rate: u32, channels: u16) -> Self {
        Self {
            name,
            payload_type,
            clock_rate,
            channels,
            fmtp: None,
            rtcp_fb: Vec::new(),
        }
    }

    /// G.711 µ-law, static payload type 0.
    pub fn pcmu() -> Self {
        Self::new(CodecName::Pcmu, 0, 8000, 1)
    }

    /// G.711 A-law, static payload type 8.
    pub fn pcma() -> Self {
        Self::new(CodecName::Pcma, 8, 8000, 1)
    }

    /// Opus, written `opus/48000/2` in SDP (RFC 7587), on a dynamic payload type.
    pub fn opus(payload_type: u8) -> Self {
        Self::new(CodecName::Opus, payload_type, 48000, 2)
    }

    /// RFC 4733 telephone-event at `clock_rate`, events 0-16.
    pub fn telephone_event(payload_type: u8, clock_rate: u32) -> Self {
        Self {
            fmtp: Some("0-16".to_owned()),
            ..Self::new(CodecName::TelephoneEvent, payload_type, clock_rate, 1)
        }
    }

    /// The RFC 3551 static audio payload types, understood without rtpmap.
    pub fn from_static_payload_type(payload_type: u8) -> Option<Self> {
        let (name, clock_rate, channels) = match payload_type {
            0 => (CodecName::Pcmu, 8000, 1),
            3 => (CodecName::Other("GSM".to_owned()), 8000, 1),
            4 => (CodecName::Other("G723".to_owned()), 8000, 1),
            5 => (CodecName::Other("DVI4".to_owned()), 8000, 1),
            6 => (CodecName::Other("DVI4".to_owned()), 16000, 1),
            7 => (CodecName::Other("LPC".to_owned()), 8000, 1),
            8 => (CodecName::Pcma, 8000, 1),
            9 => (CodecName::Other("G722".to_owned()), 8000, 1),
            10 => (CodecName::Other("L16".to_owned()), 44100, 2),
            11 => (CodecName::Other("L16".to_owned()), 44100, 1),
            12 => (CodecName::Other("QCELP".to_owned()), 8000, 1),
            13 => (CodecName::Other("CN".to_owned()), 8000, 1),
            15 => (CodecName::Other("G728".to_owned()), 8000, 1),
            18 => (CodecName::Other("G729".to_owned()), 8000, 1),
            _ => return None,
        };
        Some(Self::new(name, payload_type, clock_rate, channels))
    }

    /// Same encoding: name (case-insensitive), clock rate and channels.
    /// Payload type and fmtp are not compared.
    pub fn same_encoding(&self, other: &Codec) -> bool {
        self.name.same_as(&other.name)
            && self.clock_rate == other.clock_rate
            && self.channels == other.channels
    }

    /// True for telephone-event and comfort noise: formats that ride along
    /// with a voice codec but are never chosen as one.
    pub fn is_auxiliary(&self) -> bool {
        match &self.name {
            CodecName::TelephoneEvent => true,
            CodecName::Other(n) => n.eq_ignore_ascii_case("CN"),
            _ => false,
        }
    }

    /// A dynamic payload type without rtpmap: nothing is known but the number.
    pub(crate) fn is_unmapped(&self) -> bool {
        matches!(&self.name, CodecName::Other(n) if n.is_empty())
    }
}

/// Encoding names Tandem handles itself; anything else is carried.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CodecName {
    /// G.711 µ-law (`PCMU`).
    Pcmu,
    /// G.711 A-law (`PCMA`).
    Pcma,
    /// Opus (`opus`).
    Opus,
    /// RFC 4733 DTMF events (`telephone-event`).
    TelephoneEvent,
    /// Any other encoding name, as written (empty for an unmapped dynamic type).
    Other(String),
}

impl CodecName {
    /// Parses an rtpmap encoding name, case-insensitively.
    pub fn parse(name: &str) -> Self {
        if name.eq_ignore_ascii_case("PCMU") {
            Self::Pcmu
        } else if name.eq_ignore_ascii_case("PCMA") {
            Self::Pcma
        } else if name.eq_ignore_ascii_case("opus") {
            Self::Opus
        } else if name.eq_ignore_ascii_case("telephone-event") {
            Self::TelephoneEvent
        } else {
            Self::Other(name.to_owned())
        }
    }

    /// The encoding name as written in an rtpmap.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::Opus => "opus",
            Self::TelephoneEvent => "telephone-event",
            Self::Other(name) => name,
        }
    }

    /// Equality with encoding names compared case-insensitively (RFC 4855).
    pub fn same_as(&self, other: &CodecName) -> bool {
        self.as_str().eq_ignore_ascii_case(other.as_str())
    }
}

impl fmt::Display for CodecName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Media direction attribute (RFC 3264 §5.1), always from the point of view
/// of the side that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv` (the default when none is written).
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The direction that sends when `send` and receives when `recv`.
    pub fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// Whether this side sends media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether this side receives media.
    pub fn recvs(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same stream seen from the other end: sendonly <-> recvonly.
    pub fn reverse(self) -> Self {
        Self::from_flags(self.recvs(), self.sends())
    }

    /// Both sides' wishes merged: sends only if both allow sending, receives
    /// only if both allow receiving.
    pub fn intersect(self, other: Direction) -> Self {
        Self::from_flags(self.sends() && other.sends(), self.recvs() && other.recvs())
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Parses an attribute name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media type of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `audio`: the only kind Tandem negotiates.
    Audio,
    /// `video`.
    Video,
    /// `text`.
    Text,
    /// `application` (WebRTC data channels).
    Application,
    /// `message`.
    Message,
    /// `image` (T.38).
    Image,
    /// Anything else, as written.
    Other(String),
}

impl MediaKind {
    /// Parses the media token of an `m=` line.
    pub fn parse(s: &str) -> Self {
        match s {
            "audio" => Self::Audio,
            "video" => Self::Video,
            "text" => Self::Text,
            "application" => Self::Application,
            "message" => Self::Message,
            "image" => Self::Image,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The media token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Text => "text",
            Self::Application => "application",
            Self::Message => "message",
            Self::Image => "image",
            Self::Other(s) => s,
        }
    }
}

/// The transport protocol of an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `RTP/AVP` (RFC 3551): SIP trunks.
    RtpAvp,
    /// `RTP/AVPF` (RFC 4585).
    RtpAvpf,
    /// `RTP/SAVP` (RFC 3711, SDES keys).
    RtpSavp,
    /// `RTP/SAVPF` (RFC 5124).
    RtpSavpf,
    /// `UDP/TLS/RTP/SAVPF` (RFC 5764): WebRTC.
    UdpTlsRtpSavpf,
    /// Anything else, as written (`UDP/DTLS/SCTP`, `udptl`, ...).
    Other(String),
}

impl Protocol {
    /// Parses the proto token of an `m=` line (case-sensitive, as RFC 8866 defines the tokens).
    pub fn parse(s: &str) -> Self {
        match s {
            "RTP/AVP" => Self::RtpAvp,
            "RTP/AVPF" => Self::RtpAvpf,
            "RTP/SAVP" => Self::RtpSavp,
            "RTP/SAVPF" => Self::RtpSavpf,
            "UDP/TLS/RTP/SAVPF" => Self::UdpTlsRtpSavpf,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The proto token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::RtpAvp => "RTP/AVP",
            Self::RtpAvpf => "RTP/AVPF",
            Self::RtpSavp => "RTP/SAVP",
            Self::RtpSavpf => "RTP/SAVPF",
            Self::UdpTlsRtpSavpf => "UDP/TLS/RTP/SAVPF",
            Self::Other(s) => s,
        }
    }

    /// Whether the formats of the `m=` line are RTP payload types.
    pub fn is_rtp(&self) -> bool {
        match self {
            Self::Other(s) => s.split('/').any(|part| part == "RTP"),
            _ => true,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 3605 `a=rtcp:<port> [IN IP4|IP6 <address>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtcpAttr {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, when it differs from the connection address.
    pub address: Option<IpAddr>,
}

/// ICE parameters of a media section (RFC 8839). Session-level ufrag, pwd,
/// options and ice-lite are inherited into every media section.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IceParams {
    /// `a=ice-ufrag`.
    pub ufrag: Option<String>,
    /// `a=ice-pwd`.
    pub pwd: Option<String>,
    /// `a=ice-lite` (session level).
    pub lite: bool,
    /// `a=ice-options`, verbatim (`trickle`, `renomination`, ...).
    pub options: Option<String>,
    /// The values of the `a=candidate` lines, verbatim, without `candidate:`.
    pub candidates: Vec<String>,
    /// `a=end-of-candidates`.
    pub end_of_candidates: bool,
}

/// DTLS-SRTP parameters of a media section (RFC 8122, RFC 5763); session-level
/// values are inherited.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DtlsParams {
    /// Hash function of `a=fingerprint`, such as `sha-256`.
    pub fingerprint_hash: String,
    /// The fingerprint itself, colon-separated hex, verbatim.
    pub fingerprint: String,
    /// `a=setup`.
    pub setup: Option<Setup>,
}

/// `a=setup` roles (RFC 4145).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: will connect.
    Active,
    /// `passive`: will accept.
    Passive,
    /// `actpass`: either.
    ActPass,
    /// `holdconn`: not now.
    HoldConn,
}

impl Setup {
    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "passive" => Some(Self::Passive),
            "actpass" => Some(Self::ActPass),
            "holdconn" => Some(Self::HoldConn),
            _ => None,
        }
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }
}

/// A `b=<type>:<kbps>` line; experimental types keep their `X-` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// `AS`, `CT`, `TIAS`, `X-...`.
    pub kind: String,
    /// The value (kilobits per second, or bits per second for TIAS).
    pub value: u64,
}

/// Address type of the `o=` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddrType {
    /// `IN IP4`.
    #[default]
    Ip4,
    /// `IN IP6`.
    Ip6,
}

impl AddrType {
    /// The address type of an IP address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self::Ip4,
            IpAddr::V6(_) => Self::Ip6,
        }
    }

    /// `IP4` or `IP6`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip4 => "IP4",
            Self::Ip6 => "IP6",
        }
    }
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// User name, `-` when none.
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version: +1 whenever a re-offer changes the description.
    pub session_version: u64,
    /// `IP4` or `IP6`.
    pub address_type: AddrType,
    /// Unicast address, verbatim (an IP literal or a host name).
    pub address: String,
}

impl Origin {
    /// An origin for our own descriptions.
    pub fn new(username: &str, session_id: u64, session_version: u64, address: IpAddr) -> Self {
        Self {
            username: username.to_owned(),
            session_id,
            session_version,
            address_type: AddrType::of(address),
            address: address.to_string(),
        }
    }
}

/// One `m=` section. Session-level connection, direction, ICE and DTLS values
/// are already folded in, so every field is the effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    /// Media type.
    pub kind: MediaKind,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// `<port>/<count>` form.
    pub port_count: Option<u16>,
    /// Transport protocol.
    pub protocol: Protocol,
    /// RTP payload formats in preference order (empty for non-RTP protocols).
    pub codecs: Vec<Codec>,
    /// Formats of a non-RTP `m=` line, verbatim (empty for RTP protocols).
    pub formats: Vec<String>,
    /// Media-level `c=` address, or the session-level one.
    pub connection: Option<IpAddr>,
    /// Media-level `b=` lines.
    pub bandwidth: Vec<Bandwidth>,
    /// `a=ptime` in milliseconds.
    pub ptime: Option<u32>,
    /// `a=maxptime` in milliseconds.
    pub maxptime: Option<u32>,
    /// Effective direction (media level, else session level, else sendrecv).
    pub direction: Direction,
    /// RFC 3605 `a=rtcp`.
    pub rtcp: Option<RtcpAttr>,
    /// RFC 5761 `a=rtcp-mux`.
    pub rtcp_mux: bool,
    /// ICE parameters, if any ICE attribute applies to this section.
    pub ice: Option<IceParams>,
    /// DTLS parameters, if a fingerprint applies to this section.
    pub dtls: Option<DtlsParams>,
    /// RFC 5888 `a=mid`.
    pub mid: Option<String>,
    /// `a=ssrc` values, verbatim.
    pub ssrc: Vec<String>,
    /// Every other attribute, verbatim and in order: `(name, value)`.
    pub extra: Vec<(String, Option<String>)>,
}

impl MediaSection {
    /// A section with no codecs and every optional field empty.
    pub fn new(kind: MediaKind, port: u16, protocol: Protocol) -> Self {
        Self {
            kind,
            port,
            port_count: None,
            protocol,
            codecs: Vec::new(),
            formats: Vec::new(),
            connection: None,
            bandwidth: Vec::new(),
            ptime: None,
            maxptime: None,
            direction: Direction::SendRecv,
            rtcp: None,
            rtcp_mux: false,
            ice: None,
            dtls: None,
            mid: None,
            ssrc: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Where to send RTP: connection address and port. `None` when the port
    /// is 0, there is no connection address, or it is unspecified
    /// (`0.0.0.0`/`::`, legacy hold).
    pub fn rtp_addr(&self) -> Option<SocketAddr> {
        let ip = self.connection?;
        if self.port == 0 || ip.is_unspecified() {
            return None;
        }
        Some(SocketAddr::new(ip, self.port))
    }

    /// Where to send RTCP if this section's own rtcp-mux offer/answer stands:
    /// the RTP address when muxed, else `a=rtcp`, else RTP port + 1.
    pub fn rtcp_addr(&self) -> Option<SocketAddr> {
        self.rtcp_addr_with_mux(self.rtcp_mux)
    }

    /// [`rtcp_addr`](Self::rtcp_addr) with the negotiated rtcp-mux outcome.
    pub fn rtcp_addr_with_mux(&self, muxed: bool) -> Option<SocketAddr> {
        let rtp = self.rtp_addr()?;
        if muxed {
            return Some(rtp);
        }
        match self.rtcp {
            Some(RtcpAttr { port, address }) => {
                let ip = address.unwrap_or(rtp.ip());
                (port != 0 && !ip.is_unspecified()).then_some(SocketAddr::new(ip, port))
            }
            None => rtp
                .port()
                .checked_add(1)
                .map(|p| SocketAddr::new(rtp.ip(), p)),
        }
    }

    /// Whether the writer of this section puts the stream on hold:
    /// sendonly, inactive, or the RFC 2543 `c=0.0.0.0` form.
    pub fn is_hold(&self) -> bool {
        matches!(self.direction, Direction::SendOnly | Direction::Inactive) || self.is_legacy_hold()
    }

    /// RFC 2543 hold: an unspecified connection address (`0.0.0.0` or `::`)
    /// in a section without ICE. WebRTC writes `c=IN IP4 0.0.0.0` as a
    /// placeholder and sends its addresses as ICE candidates, which is not hold.
    pub fn is_legacy_hold(&self) -> bool {
        self.ice.is_none() && self.connection.is_some_and(|ip| ip.is_unspecified())
    }

    /// The direction with legacy hold folded in: an unspecified connection
    /// address means "do not send to me", so receiving is removed.
    pub fn effective_direction(&self) -> Direction {
        if self.is_legacy_hold() {
            self.direction.intersect(Direction::SendOnly)
        } else {
            self.direction
        }
    }

    /// The first codec that is not telephone-event or comfort noise.
    pub fn primary_codec(&self) -> Option<&Codec> {
        self.codecs.iter().find(|c| !c.is_auxiliary())
    }

    /// The telephone-event format at `clock_rate`, if listed.
    pub fn telephone_event(&self, clock_rate: u32) -> Option<&Codec> {
        self.codecs
            .iter()
            .find(|c| c.name == CodecName::TelephoneEvent && c.clock_rate == clock_rate)
    }
}

/// A session description. Parse with [`Sdp::parse`], write with
/// [`Sdp::to_bytes`] or `to_string()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// `o=`.
    pub origin: Origin,
    /// `s=` (`-` when empty).
    pub session_name: String,
    /// Session-level `c=` address.
    pub connection: Option<IpAddr>,
    /// Session-level `b=` lines.
    pub bandwidth: Vec<Bandwidth>,
    /// The first `t=` line (start, stop).
    pub timing: (u64, u64),
    /// Session-level direction attribute, if written.
    pub direction: Option<Direction>,
    /// RFC 8843 `a=group:BUNDLE` mids.
    pub bundle: Option<Vec<String>>,
    /// Session-level `a=ice-lite`.
    pub ice_lite: bool,
    /// Session-level `a=ice-ufrag`.
    pub ice_ufrag: Option<String>,
    /// Session-level `a=ice-pwd`.
    pub ice_pwd: Option<String>,
    /// Session-level `a=ice-options`.
    pub ice_options: Option<String>,
    /// Session-level `a=fingerprint` as (hash function, fingerprint).
    pub fingerprint: Option<(String, String)>,
    /// Session-level `a=setup`.
    pub setup: Option<Setup>,
    /// Other session-level attributes, verbatim and in order.
    pub extra: Vec<(String, Option<String>)>,
    /// The `m=` sections in order.
    pub media: Vec<MediaSection>,
}

impl Sdp {
    /// A description with the given origin and session-level connection,
    /// `s=-`, `t=0 0` and no media.
    pub fn new(origin: Origin, connection: Option<IpAddr>) -> Self {
        Self {
            origin,
            session_name: "-".to_owned(),
            connection,
            bandwidth: Vec::new(),
            timing: (0, 0),
            direction: None,
            bundle: None,
            ice_lite: false,
            ice_ufrag: None,
            ice_pwd: None,
            ice_options: None,
            fingerprint: None,
            setup: None,
            extra: Vec::new(),
            media: Vec::new(),
        }
    }

    /// Index of the first audio section with a non-zero port.
    pub fn first_audio_index(&self) -> Option<usize> {
        self.media
            .iter()
            .position(|m| m.kind == MediaKind::Audio && m.port != 0)
    }

    /// The first audio section with a non-zero port.
    pub fn first_audio(&self) -> Option<&MediaSection> {
        self.first_audio_index().and_then(|i| self.media.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Direction; 4] = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ];

    #[test]
    fn reverse_swaps_send_and_receive() {
        assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
        assert_eq!(Direction::RecvOnly.reverse(), Direction::SendOnly);
        assert_eq!(Direction::SendRecv.reverse(), Direction::SendRecv);
        assert_eq!(Direction::Inactive.reverse(), Direction::Inactive);
        for d in ALL {
            assert_eq!(d.reverse().reverse(), d);
        }
    }

    #[test]
    fn intersect_is_per_flag_and() {
        for a in ALL {
            for b in ALL {
                let i = a.intersect(b);
                assert_eq!(i.sends(), a.sends() && b.sends());
                assert_eq!(i.recvs(), a.recvs() && b.recvs());
                assert_eq!(i, b.intersect(a));
            }
            assert_eq!(a.intersect(Direction::SendRecv), a);
            assert_eq!(a.intersect(Direction::Inactive), Direction::Inactive);
        }
    }

    #[test]
    fn codec_names_are_case_insensitive() {
        assert_eq!(CodecName::parse("pcmu"), CodecName::Pcmu);
        assert_eq!(CodecName::parse("OPUS"), CodecName::Opus);
        assert_eq!(
            CodecName::parse("Telephone-Event"),
            CodecName::TelephoneEvent
        );
        assert!(CodecName::Other("g722".into()).same_as(&CodecName::Other("G722".into())));
        assert_eq!(Codec::from_static_payload_type(8), Some(Codec::pcma()));
        assert_eq!(Codec::from_static_payload_type(96), None);
    }
}
