//! The call controller's view of media: a session per call with two legs,
//! behind a trait so the controller can be driven in simulated time with a
//! fake, and in the daemon by `tandem-media`'s relay.

use std::fmt;
use std::net::SocketAddr;

/// One of the two legs of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The leg that called us (we are its UAS).
    A,
    /// The leg we called (we are its UAC).
    B,
}

impl Side {
    /// The other leg.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    /// 0 for A, 1 for B.
    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::A => "a",
            Side::B => "b",
        })
    }
}

/// A voice codec the media engine can relay or transcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 mu-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
    /// Opus, 48 kHz.
    Opus,
    /// Anything else: relayed only, never transcoded.
    Other,
}

/// The codec negotiated on a leg: what the peer sends us and we send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegCodec {
    /// The voice codec.
    pub codec: AudioCodec,
    /// Its payload type on this leg.
    pub payload_type: u8,
    /// Its RTP clock rate.
    pub clock_rate: u32,
    /// Packet time in milliseconds.
    pub ptime: u32,
    /// The telephone-event payload type on this leg (at the codec's clock
    /// rate), when negotiated.
    pub telephone_event: Option<u8>,
}

impl LegCodec {
    /// Whether media can pass between legs on `self` and `other` untouched.
    pub fn relayable_to(&self, other: &LegCodec) -> bool {
        self.codec == other.codec
            && self.clock_rate == other.clock_rate
            && self.ptime == other.ptime
            && self.payload_type == other.payload_type
            && self.telephone_event == other.telephone_event
    }
}

/// What the media engine needs to know about a leg's trunk, fixed for the
/// call: how to encode toward it and whether to listen for in-band DTMF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LegProfile {
    /// Opus encoder settings for media sent on this leg.
    pub opus: crate::config::OpusConfig,
    /// Detect DTMF tones in this leg's audio.
    pub inband_dtmf: bool,
}

/// Where a leg's peer receives media, from its session description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteMedia {
    /// The peer's RTP address (`None`: not known yet, or port 0).
    pub rtp: Option<SocketAddr>,
    /// The peer's RTCP address.
    pub rtcp: Option<SocketAddr>,
    /// RTP and RTCP share the RTP port.
    pub rtcp_mux: bool,
    /// The peer sends media to us.
    pub peer_sends: bool,
    /// The peer wants media from us.
    pub peer_receives: bool,
    /// The negotiated codec (its clock rate also keeps relayed timestamps
    /// continuous).
    pub codec: LegCodec,
}

/// Why a media session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The port range is used up.
    #[error("no free media ports")]
    PortsExhausted,
    /// A socket could not be set up.
    #[error("media socket error: {0}")]
    Io(#[from] std::io::Error),
}

/// The media of one call.
pub trait MediaSession: Send {
    /// The local RTP address of a leg, as written into SDP.
    fn local_rtp(&self, side: Side) -> SocketAddr;
    /// Points a leg at its peer (initial answer, re-INVITE, hold).
    fn set_remote(&mut self, side: Side, remote: RemoteMedia);
}

/// Opens media sessions.
pub trait MediaEngine: Send {
    /// The session type.
    type Session: MediaSession;
    /// Opens a session for call number `call` (ports for both legs), with
    /// the profiles of leg A's and leg B's trunks.
    fn open(&mut self, call: u64, profiles: [LegProfile; 2]) -> Result<Self::Session, MediaError>;
}
