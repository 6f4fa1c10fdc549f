//! WebRTC media leg toward a browser: ICE, DTLS-SRTP and audio RTP on one UDP socket.
//!
//! The leg is sans-IO. It owns no socket and reads no clock: the shell that owns the UDP
//! socket feeds every datagram to [`BrowserLeg::handle_datagram`], puts whatever
//! [`BrowserLeg::poll_transmit`] returns on the wire, and wakes the leg at
//! [`BrowserLeg::poll_timeout`]. After any `handle_*` call, drain `poll_transmit`,
//! `poll_event` and `poll_rtp` until they return `None`.
//!
//! [`BrowserLeg`] is the small seam the rest of Tandem uses; [`WebRtcLeg`] implements it on
//! webrtc-rs's sans-IO `rtc` crate. Another implementation (str0m) can be put behind the same
//! trait without touching callers.
//!
//! Choices made here:
//! - Full ICE by default ([`LegConfig::ice_lite`] = false), with our one host candidate (the
//!   leg's UDP socket address) in the SDP, no trickle. ICE-lite works and is kept as an option,
//!   but rtc accepts no DTLS before the browser nominates a pair, and Chromium answering an
//!   ICE-lite offer (phone -> browser calls) nominated ~1.1 s late in 3 of 4 runs, so those
//!   calls connected in ~1.3 s against ~0.2 s with full ICE. The cost of full ICE is a few
//!   STUN checks at setup and a consent check every 2 s.
//! - Audio only: Opus 48000/2 and PCMU 8000, telephone-event (RFC 4733) at the chosen codec's
//!   clock rate, rtcp-mux required, BUNDLE as offered (one audio m-line).
//! - DTLS role: from the offer (`actpass` offer: we answer `active`, the RFC 8842 default);
//!   when we offer, we say `actpass` and take the role the answer leaves us.
//! - Setup deadline: a leg that is not connected [`LegConfig::setup_timeout`] after
//!   negotiation fails with [`FailReason::IceTimeout`] or [`FailReason::DtlsTimeout`]; the
//!   rtc stack alone retransmits DTLS flights without a bound.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::certificate::{CertificateParams, RTCCertificate};
use rtc::peer_connection::configuration::interceptor_registry::{Registry, configure_rtcp_reports};
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_PCMU, MIME_TYPE_TELEPHONE_EVENT, MediaEngine,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::{
    RTCBundlePolicy, RTCConfigurationBuilder, RTCRtcpMuxPolicy,
};
use rtc::peer_connection::event::RTCPeerConnectionEvent;
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::{RTCIceConnectionState, RTCPeerConnectionState};
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::error::Error as RtcError;
use rtc::shared::marshal::{Marshal, Unmarshal};
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use tracing::{debug, trace, warn};

/// Payload type Tandem offers for Opus (the browsers' own choice).
pub const PT_OPUS: u8 = 111;
/// Static payload type of PCMU.
pub const PT_PCMU: u8 = 0;
/// Payload type Tandem offers for telephone-event/48000 (paired with Opus).
pub const PT_TELEPHONE_EVENT_48K: u8 = 110;
/// Payload type Tandem offers for telephone-event/8000 (paired with PCMU).
pub const PT_TELEPHONE_EVENT_8K: u8 = 126;

/// Default packetization time when the SDP carries no `a=ptime`.
const DEFAULT_PTIME_MS: u16 = 20;

/// A media leg toward a browser, independent of the WebRTC stack behind it.
pub trait BrowserLeg: fmt::Debug {
    /// Answers a browser's SDP offer and returns our answer SDP.
    ///
    /// `local` is the address of the UDP socket this leg's datagrams use; it becomes the one
    /// host candidate in the answer.
    fn accept_offer(
        &mut self,
        now: Instant,
        offer_sdp: &str,
        local: SocketAddr,
    ) -> Result<String, NegotiateError>;

    /// Makes an offer toward a browser (phone -> browser calls) and returns the offer SDP.
    fn create_offer(&mut self, now: Instant, local: SocketAddr) -> Result<String, NegotiateError>;

    /// Applies the browser's answer to our [`create_offer`](Self::create_offer).
    fn accept_answer(&mut self, now: Instant, answer_sdp: &str) -> Result<(), NegotiateError>;

    /// A datagram received on the leg's socket: STUN, DTLS or SRTP/SRTCP (RFC 7983 demux
    /// happens inside). Bad or unexpected datagrams are counted and dropped.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]);

    /// Plain RTP to send to the browser, encrypted inside. The SSRC is rewritten to the
    /// leg's own ([`local_ssrc`](Self::local_ssrc)); the payload type must be negotiated.
    fn send_rtp(&mut self, now: Instant, rtp: &[u8]) -> Result<(), SendRtpError>;

    /// Next datagram to put on the wire: destination and bytes.
    fn poll_transmit(&mut self) -> Option<(SocketAddr, Bytes)>;

    /// Next decrypted RTP packet received from the browser (RTCP is consumed inside).
    fn poll_rtp(&mut self) -> Option<Bytes>;

    /// Next state change of the leg.
    fn poll_event(&mut self) -> Option<LegEvent>;

    /// When the leg next wants [`handle_timeout`](Self::handle_timeout); `None` when idle or
    /// finished.
    fn poll_timeout(&mut self) -> Option<Instant>;

    /// Drives retransmissions, keepalives, consent checks and the setup deadline.
    fn handle_timeout(&mut self, now: Instant);

    /// Ends the leg (DTLS close_notify is queued); a [`LegEvent::Closed`] follows.
    fn close(&mut self, now: Instant);

    /// The audio format both sides agreed on, once negotiation is complete.
    fn negotiated(&self) -> Option<Negotiated>;

    /// SSRC of the RTP this leg sends.
    fn local_ssrc(&self) -> u32;
}

/// Audio codecs a browser leg can negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    /// Opus, 48000 Hz, 2 channels in SDP (RFC 7587).
    Opus,
    /// G.711 mu-law, 8000 Hz.
    Pcmu,
}

impl AudioCodec {
    /// MIME type as the WebRTC stack names it.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Opus => MIME_TYPE_OPUS,
            Self::Pcmu => MIME_TYPE_PCMU,
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48_000,
            Self::Pcmu => 8_000,
        }
    }

    fn from_rtpmap(name: &str, clock_rate: u32) -> Option<Self> {
        if name.eq_ignore_ascii_case("opus") && clock_rate == 48_000 {
            Some(Self::Opus)
        } else if name.eq_ignore_ascii_case("PCMU") && clock_rate == 8_000 {
            Some(Self::Pcmu)
        } else {
            None
        }
    }
}

/// What offer/answer settled on for the audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The first common codec in the answer: the one to send.
    pub codec: AudioCodec,
    /// Its payload type.
    pub payload_type: u8,
    /// RFC 4733 telephone-event payload type at the codec's clock rate, if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Packetization time in milliseconds (`a=ptime`, 20 when absent).
    pub ptime_ms: u16,
}

/// State changes reported by a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegEvent {
    /// ICE and DTLS are up; SRTP flows both ways.
    Connected,
    /// The leg failed and is finished; the caller should end the call and free the socket.
    Failed {
        /// Why.
        reason: FailReason,
    },
    /// The leg was closed (by [`BrowserLeg::close`] or by the peer's DTLS close_notify).
    Closed,
}

/// Why a leg failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// No ICE connectivity within the setup deadline.
    IceTimeout,
    /// ICE connected but the DTLS handshake did not finish within the setup deadline.
    DtlsTimeout,
    /// The WebRTC stack reported failure (ICE consent lost, DTLS alert, bad fingerprint).
    ConnectionFailed,
}

/// Errors of offer/answer operations.
#[derive(Debug, thiserror::Error)]
pub enum NegotiateError {
    /// The call does not fit the leg's state (for example a second offer).
    #[error("{operation} is not allowed in state {state:?}")]
    WrongState {
        /// The operation attempted.
        operation: &'static str,
        /// The leg's state at the time.
        state: Phase,
    },
    /// The SDP could not be parsed or applied.
    #[error("invalid remote SDP")]
    InvalidSdp(#[source] RtcError),
    /// The remote SDP has no audio m-line.
    #[error("remote SDP has no audio m-line")]
    NoAudio,
    /// No codec of ours is in the remote SDP (or the audio m-line was rejected).
    #[error("no common audio codec")]
    NoCommonCodec,
    /// The DTLS certificate could not be made.
    #[error("DTLS certificate")]
    Certificate(#[source] RtcError),
    /// The peer connection could not be built or refused a local step.
    #[error("WebRTC stack refused {step}")]
    Stack {
        /// Which step.
        step: &'static str,
        /// The stack's error.
        #[source]
        source: RtcError,
    },
}

/// Errors of [`BrowserLeg::send_rtp`].
#[derive(Debug, thiserror::Error)]
pub enum SendRtpError {
    /// The leg is not (or no longer) connected.
    #[error("leg is not connected")]
    NotConnected,
    /// The bytes are not an RTP packet.
    #[error("malformed RTP packet")]
    Malformed(#[source] RtcError),
    /// The payload type was not negotiated on this leg.
    #[error("payload type {0} is not negotiated")]
    PayloadTypeNotNegotiated(u8),
    /// The stack refused the packet.
    #[error("WebRTC stack refused the packet")]
    Stack(#[source] RtcError),
}

/// Lifecycle of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Created, nothing negotiated.
    Idle,
    /// We sent an offer and wait for the answer.
    OfferSent,
    /// Negotiated, ICE/DTLS under way.
    Connecting,
    /// Media flowing.
    Connected,
    /// Failed or closed; nothing more happens.
    Finished,
}

/// A DTLS certificate to share between legs (making one per leg costs a key generation).
#[derive(Debug, Clone)]
pub struct DtlsIdentity(RTCCertificate);

impl DtlsIdentity {
    /// Generates a self-signed ECDSA P-256 certificate with the default crypto provider.
    ///
    /// Reads the wall clock for the certificate's validity; call it at start-up, not in a
    /// protocol core.
    pub fn generate() -> Result<Self, NegotiateError> {
        let provider = rtc::crypto::default_provider()
            .map_err(|e| NegotiateError::Certificate(RtcError::Crypto(e.to_string())))?;
        let params = CertificateParams::new(vec!["tandem".to_owned()])
            .map_err(|e| NegotiateError::Certificate(RtcError::Other(e.to_string())))?;
        RTCCertificate::generate(
            provider.crypto(),
            rtc::crypto::SignatureScheme::EcdsaP256Sha256,
            params,
        )
        .map(Self)
        .map_err(NegotiateError::Certificate)
    }
}

/// Settings of a [`WebRtcLeg`].
#[derive(Debug, Clone)]
pub struct LegConfig {
    /// Run ICE-lite (answer checks only) instead of full ICE. See the module notes.
    pub ice_lite: bool,
    /// Time from negotiation to [`LegEvent::Connected`] before the leg fails.
    pub setup_timeout: Duration,
    /// Tick of the ICE agent while connecting. rtc's default (200 ms) adds up to one tick
    /// before an ICE-lite agent notices the browser's nomination and starts DTLS; after
    /// connecting the agent ticks at the keepalive interval instead.
    pub ice_check_interval: Duration,
    /// Codecs this leg accepts; the answer keeps the offer's order among them.
    pub codecs: Vec<AudioCodec>,
    /// Certificate to use; `None` makes one per leg.
    pub identity: Option<DtlsIdentity>,
    /// Send RTCP sender and receiver reports.
    pub rtcp_reports: bool,
}

impl Default for LegConfig {
    fn default() -> Self {
        Self {
            ice_lite: false,
            setup_timeout: Duration::from_secs(10),
            ice_check_interval: Duration::from_millis(20),
            codecs: vec![AudioCodec::Opus, AudioCodec::Pcmu],
            identity: None,
            rtcp_reports: true,
        }
    }
}

/// Counters of one leg.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegStats {
    /// Datagrams the stack refused (bad STUN, failed SRTP auth, replays, garbage).
    pub datagrams_dropped: u64,
    /// RTP packets handed out by `poll_rtp`.
    pub rtp_received: u64,
    /// RTP packets accepted by `send_rtp`.
    pub rtp_sent: u64,
    /// RTCP compound packets received (consumed inside).
    pub rtcp_received: u64,
}

/// [`BrowserLeg`] on webrtc-rs `rtc` (sans-IO `RTCPeerConnection`).
pub struct WebRtcLeg {
    pc: RTCPeerConnection,
    config: LegConfig,
    phase: Phase,
    local: Option<SocketAddr>,
    ssrc: u32,
    sender: Option<RTCRtpSenderId>,
    negotiated: Option<Negotiated>,
    setup_deadline: Option<Instant>,
    ice_connected: bool,
    /// DTLS records that arrived before ICE selected a pair (see `handle_datagram`).
    early_dtls: Vec<(Instant, SocketAddr, BytesMut)>,
    events: VecDeque<LegEvent>,
    stats: LegStats,
}

/// At most this many early DTLS records are kept (a ClientHello flight is 1-3 records).
const EARLY_DTLS_MAX: usize = 8;

impl fmt::Debug for WebRtcLeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebRtcLeg")
            .field("phase", &self.phase)
            .field("local", &self.local)
            .field("ssrc", &self.ssrc)
            .field("negotiated", &self.negotiated)
            .field("ice_connected", &self.ice_connected)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn stack(step: &'static str) -> impl FnOnce(RtcError) -> NegotiateError {
    move |source| NegotiateError::Stack { step, source }
}

fn audio_codec(mime: &str, clock_rate: u32, channels: u16, fmtp: &str) -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: mime.to_owned(),
        clock_rate,
        channels,
        sdp_fmtp_line: fmtp.to_owned(),
        rtcp_feedback: vec![],
    }
}

/// Which telephone-event formats a media engine carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DtmfFormats {
    /// One per codec clock rate (answers: the offer is restricted to one before rtc sees it).
    PerCodec,
    /// Only the one at the first codec's clock rate (our offers; see `create_offer`).
    FirstCodecOnly,
}

fn media_engine(codecs: &[AudioCodec], dtmf: DtmfFormats) -> Result<MediaEngine, NegotiateError> {
    let mut me = MediaEngine::default();
    let mut register = |codec: RTCRtpCodec, payload_type: u8| {
        me.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: codec,
                payload_type,
            },
            RtpCodecKind::Audio,
        )
        .map_err(stack("register codec"))
    };
    for (i, codec) in codecs.iter().enumerate() {
        let with_dtmf = i == 0 || dtmf == DtmfFormats::PerCodec;
        match codec {
            AudioCodec::Opus => {
                register(
                    audio_codec(MIME_TYPE_OPUS, 48_000, 2, "minptime=10;useinbandfec=1"),
                    PT_OPUS,
                )?;
                if with_dtmf {
                    register(
                        audio_codec(MIME_TYPE_TELEPHONE_EVENT, 48_000, 0, "0-16"),
                        PT_TELEPHONE_EVENT_48K,
                    )?;
                }
            }
            AudioCodec::Pcmu => {
                register(audio_codec(MIME_TYPE_PCMU, 8_000, 0, ""), PT_PCMU)?;
                if with_dtmf {
                    register(
                        audio_codec(MIME_TYPE_TELEPHONE_EVENT, 8_000, 0, "0-16"),
                        PT_TELEPHONE_EVENT_8K,
                    )?;
                }
            }
        }
    }
    Ok(me)
}

fn build_peer_connection(
    now: Instant,
    config: &LegConfig,
    dtmf: DtmfFormats,
) -> Result<RTCPeerConnection, NegotiateError> {
    let setting_engine = SettingEngineBuilder::new()
        .with_lite(config.ice_lite)
        .with_ice_connection_attempts(Some(config.ice_check_interval), None)
        .build();
    let mut rtc_config = RTCConfigurationBuilder::new()
        .with_bundle_policy(RTCBundlePolicy::MaxBundle)
        .with_rtcp_mux_policy(RTCRtcpMuxPolicy::Require);
    if let Some(identity) = &config.identity {
        rtc_config = rtc_config.with_certificates(vec![identity.0.clone()]);
    }
    let registry = if config.rtcp_reports {
        configure_rtcp_reports(Registry::new())
    } else {
        Registry::new()
    };
    RTCPeerConnectionBuilder::new()
        .with_configuration(rtc_config.build())
        .with_setting_engine(setting_engine)
        .with_media_engine(media_engine(&config.codecs, dtmf)?)
        .with_interceptor_registry(registry)
        .build(now)
        .map_err(stack("build peer connection"))
}

impl WebRtcLeg {
    /// Builds an idle leg. `now` is the current time; nothing is sent yet.
    pub fn new(now: Instant, config: LegConfig) -> Result<Self, NegotiateError> {
        if config.codecs.is_empty() {
            return Err(NegotiateError::NoCommonCodec);
        }
        let pc = build_peer_connection(now, &config, DtmfFormats::PerCodec)?;
        Ok(Self {
            pc,
            config,
            phase: Phase::Idle,
            local: None,
            ssrc: rand_ssrc(),
            sender: None,
            negotiated: None,
            setup_deadline: None,
            ice_connected: false,
            early_dtls: Vec::new(),
            events: VecDeque::new(),
            stats: LegStats::default(),
        })
    }

    /// Current lifecycle phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Counters.
    pub fn stats(&self) -> LegStats {
        self.stats
    }

    fn check_phase(&self, operation: &'static str, want: Phase) -> Result<(), NegotiateError> {
        if self.phase == want {
            Ok(())
        } else {
            Err(NegotiateError::WrongState {
                operation,
                state: self.phase,
            })
        }
    }

    /// Adds our one host candidate and ends gathering, so the SDP carries it.
    fn add_host_candidate(&mut self, local: SocketAddr) -> Result<(), NegotiateError> {
        let candidate = CandidateHostConfig {
            base_config: CandidateConfig {
                network: "udp".to_owned(),
                address: local.ip().to_string(),
                port: local.port(),
                component: 1,
                ..Default::default()
            },
            ..Default::default()
        }
        .new_candidate_host()
        .map_err(stack("host candidate"))?;
        let init = RTCIceCandidate::from(&candidate)
            .to_json()
            .map_err(stack("host candidate"))?;
        self.pc
            .add_local_candidate(init)
            .map_err(stack("add host candidate"))?;
        self.pc
            .add_local_candidate(RTCIceCandidateInit::default())
            .map_err(stack("end of candidates"))?;
        self.local = Some(local);
        Ok(())
    }

    fn add_audio_track(&mut self) -> Result<(), NegotiateError> {
        // No codec in the encoding: that would pin the transceiver to one codec; the media
        // engine's list (and the offer) decide instead.
        let track = MediaStreamTrack::new(
            "tandem".to_owned(),
            "tandem-audio".to_owned(),
            "tandem-audio".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(self.ssrc),
                    ..Default::default()
                },
                ..Default::default()
            }],
        );
        let sender = self.pc.add_track(track).map_err(stack("add audio track"))?;
        self.sender = Some(sender);
        Ok(())
    }

    fn start_setup_clock(&mut self, now: Instant) {
        self.phase = Phase::Connecting;
        self.setup_deadline = Some(now + self.config.setup_timeout);
    }

    /// Takes every pending event from the stack and turns state changes into `LegEvent`s.
    fn pump_events(&mut self) {
        while let Some(event) = self.pc.poll_event() {
            match event {
                RTCPeerConnectionEvent::OnIceConnectionStateChangeEvent(state) => {
                    debug!(%state, "ice connection state");
                    if matches!(
                        state,
                        RTCIceConnectionState::Connected | RTCIceConnectionState::Completed
                    ) {
                        self.ice_connected = true;
                    }
                }
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => {
                    debug!(%state, "peer connection state");
                    match state {
                        RTCPeerConnectionState::Connected if self.phase == Phase::Connecting => {
                            self.phase = Phase::Connected;
                            self.setup_deadline = None;
                            self.events.push_back(LegEvent::Connected);
                        }
                        RTCPeerConnectionState::Failed => {
                            self.finish(LegEvent::Failed {
                                reason: FailReason::ConnectionFailed,
                            });
                        }
                        RTCPeerConnectionState::Closed => self.finish(LegEvent::Closed),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }

    /// Enters `Finished` once, reporting `event`; later terminal reports are swallowed.
    fn finish(&mut self, event: LegEvent) {
        if self.phase == Phase::Finished {
            return;
        }
        self.phase = Phase::Finished;
        self.setup_deadline = None;
        self.events.push_back(event);
        // Closing queues a DTLS close_notify when DTLS is up; the stack's own Closed event
        // is swallowed by the guard above.
        if let Err(error) = self.pc.close() {
            warn!(%error, "closing peer connection");
        }
        self.pump_events();
    }

    /// A failed negotiation may leave rtc half-configured: the leg is finished (no event;
    /// the caller has the error). Build a new leg to try again.
    fn finish_on_error<T>(
        &mut self,
        result: Result<T, NegotiateError>,
    ) -> Result<T, NegotiateError> {
        if result.is_err() {
            self.phase = Phase::Finished;
            self.setup_deadline = None;
        }
        result
    }

    fn answer(
        &mut self,
        now: Instant,
        offer_sdp: &str,
        local: SocketAddr,
    ) -> Result<String, NegotiateError> {
        // rtc 0.21.1 matches codecs by MIME type and fmtp only, not clock rate: given the
        // browsers' telephone-event/48000 and telephone-event/8000 it answers one of them twice
        // and drops the other. So we pick the codec ourselves and hand rtc an offer with that
        // codec and its telephone-event only; the answer then names exactly one of each.
        let offer_sdp = restrict_offer_audio(offer_sdp, &self.config.codecs)?;
        let offer = RTCSessionDescription::offer(offer_sdp).map_err(NegotiateError::InvalidSdp)?;
        self.add_host_candidate(local)?;
        self.pc
            .set_remote_description(now, offer)
            .map_err(NegotiateError::InvalidSdp)?;
        // Attaches to the transceiver the offer created (JSEP addTrack reuse), making it
        // sendrecv.
        self.add_audio_track()?;
        let answer = self
            .pc
            .create_answer(None)
            .map_err(stack("create answer"))?;
        let negotiated = negotiated_from_sdp(&answer.sdp).ok_or(NegotiateError::NoCommonCodec)?;
        let sdp = answer.sdp.clone();
        self.pc
            .set_local_description(now, answer)
            .map_err(stack("set local answer"))?;
        self.negotiated = Some(negotiated);
        self.start_setup_clock(now);
        self.pump_events();
        debug!(?negotiated, "answered browser offer");
        Ok(sdp)
    }

    fn offer(&mut self, now: Instant, local: SocketAddr) -> Result<String, NegotiateError> {
        // Same rtc codec-matching bug as in `accept_offer`: offered both telephone-event
        // rates, rtc keeps only one in its sender, while Chromium may send DTMF on the other
        // (seen: telephone-event/8000 next to Opus). So offer one: the first codec's.
        self.pc = build_peer_connection(now, &self.config, DtmfFormats::FirstCodecOnly)?;
        self.add_host_candidate(local)?;
        self.add_audio_track()?;
        let offer = self.pc.create_offer(None).map_err(stack("create offer"))?;
        let sdp = offer.sdp.clone();
        self.pc
            .set_local_description(now, offer)
            .map_err(stack("set local offer"))?;
        self.phase = Phase::OfferSent;
        self.pump_events();
        Ok(sdp)
    }

    fn apply_answer(&mut self, now: Instant, answer_sdp: &str) -> Result<(), NegotiateError> {
        if !has_audio(answer_sdp) {
            return Err(NegotiateError::NoAudio);
        }
        let negotiated = negotiated_from_sdp(answer_sdp).ok_or(NegotiateError::NoCommonCodec)?;
        let answer = RTCSessionDescription::answer(answer_sdp.to_owned())
            .map_err(NegotiateError::InvalidSdp)?;
        self.pc
            .set_remote_description(now, answer)
            .map_err(NegotiateError::InvalidSdp)?;
        self.negotiated = Some(negotiated);
        self.start_setup_clock(now);
        self.pump_events();
        Ok(())
    }

    fn feed(&mut self, now: Instant, from: SocketAddr, data: BytesMut) {
        let Some(local) = self.local else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        let len = data.len();
        let msg = TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr: local,
                peer_addr: from,
                ecn: None,
                transport_protocol: TransportProtocol::UDP,
            },
            message: data,
        };
        if let Err(error) = self.pc.handle_read(msg) {
            self.stats.datagrams_dropped += 1;
            trace!(%error, len, "datagram dropped");
        }
    }

    /// Feeds the DTLS records kept by `handle_datagram` once ICE is connected.
    fn replay_early_dtls(&mut self) {
        if !self.ice_connected || self.early_dtls.is_empty() || self.phase == Phase::Finished {
            return;
        }
        debug!(records = self.early_dtls.len(), "replaying early DTLS");
        for (at, from, data) in std::mem::take(&mut self.early_dtls) {
            self.feed(at, from, data);
        }
        self.pump_events();
    }

    fn check_deadline(&mut self, now: Instant) {
        if let Some(deadline) = self.setup_deadline
            && now >= deadline
        {
            let reason = if self.ice_connected {
                FailReason::DtlsTimeout
            } else {
                FailReason::IceTimeout
            };
            debug!(?reason, "setup deadline passed");
            self.finish(LegEvent::Failed { reason });
        }
    }
}

fn rand_ssrc() -> u32 {
    // RFC 3550 8.1: random SSRC. Zero is avoided only for readability of captures.
    loop {
        let ssrc = rand::random::<u32>();
        if ssrc != 0 {
            return ssrc;
        }
    }
}

impl BrowserLeg for WebRtcLeg {
    fn accept_offer(
        &mut self,
        now: Instant,
        offer_sdp: &str,
        local: SocketAddr,
    ) -> Result<String, NegotiateError> {
        self.check_phase("accept_offer", Phase::Idle)?;
        let result = self.answer(now, offer_sdp, local);
        self.finish_on_error(result)
    }

    fn create_offer(&mut self, now: Instant, local: SocketAddr) -> Result<String, NegotiateError> {
        self.check_phase("create_offer", Phase::Idle)?;
        let result = self.offer(now, local);
        self.finish_on_error(result)
    }

    fn accept_answer(&mut self, now: Instant, answer_sdp: &str) -> Result<(), NegotiateError> {
        self.check_phase("accept_answer", Phase::OfferSent)?;
        let result = self.apply_answer(now, answer_sdp);
        self.finish_on_error(result)
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if self.local.is_none() || self.phase == Phase::Finished || self.phase == Phase::Idle {
            self.stats.datagrams_dropped += 1;
            return;
        }
        // rtc drops every non-STUN datagram until ICE has a selected pair, which for an
        // ICE-lite agent means until the browser nominates. A browser that is the DTLS client
        // sends its ClientHello as soon as its own checks succeed, possibly before it
        // nominates; dropped, it is only resent after the DTLS retransmission timer (1 s, 2 s..).
        // Keep such records and replay them once ICE is up. RFC 7983: 20..=63 is DTLS.
        if !self.ice_connected && matches!(data.first(), Some(20..=63)) {
            if self.early_dtls.len() < EARLY_DTLS_MAX {
                self.early_dtls.push((now, from, BytesMut::from(data)));
            } else {
                self.stats.datagrams_dropped += 1;
            }
            return;
        }
        self.feed(now, from, BytesMut::from(data));
        self.pump_events();
        self.replay_early_dtls();
        self.check_deadline(now);
    }

    fn send_rtp(&mut self, now: Instant, rtp: &[u8]) -> Result<(), SendRtpError> {
        if self.phase != Phase::Connected {
            return Err(SendRtpError::NotConnected);
        }
        let sender_id = self.sender.ok_or(SendRtpError::NotConnected)?;
        let mut buf = rtp;
        let mut packet = rtc::rtp::Packet::unmarshal(&mut buf).map_err(SendRtpError::Malformed)?;
        packet.header.ssrc = self.ssrc;
        let pt = packet.header.payload_type;
        let mut sender = self
            .pc
            .rtp_sender(sender_id)
            .ok_or(SendRtpError::NotConnected)?;
        match sender.write_rtp(now, packet) {
            Ok(()) => {
                self.stats.rtp_sent += 1;
                Ok(())
            }
            Err(RtcError::ErrRTPTransceiverCodecUnsupported) => {
                Err(SendRtpError::PayloadTypeNotNegotiated(pt))
            }
            Err(error) => Err(SendRtpError::Stack(error)),
        }
    }

    fn poll_transmit(&mut self) -> Option<(SocketAddr, Bytes)> {
        self.pc
            .poll_write()
            .map(|msg| (msg.transport.peer_addr, msg.message.freeze()))
    }

    fn poll_rtp(&mut self) -> Option<Bytes> {
        while let Some(TaggedRTCMessage { message, .. }) = self.pc.poll_read() {
            match message {
                RTCMessage::RtpPacket(_, packet) => match packet.marshal() {
                    Ok(bytes) => {
                        self.stats.rtp_received += 1;
                        return Some(bytes.freeze());
                    }
                    Err(error) => {
                        self.stats.datagrams_dropped += 1;
                        trace!(%error, "received RTP could not be re-serialized");
                    }
                },
                RTCMessage::RtcpPacket(..) => self.stats.rtcp_received += 1,
                _ => {}
            }
        }
        None
    }

    fn poll_event(&mut self) -> Option<LegEvent> {
        self.pump_events();
        self.events.pop_front()
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        if self.phase == Phase::Finished || self.phase == Phase::Idle {
            return None;
        }
        let rtc_timeout = self.pc.poll_timeout();
        match (rtc_timeout, self.setup_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Finished || self.phase == Phase::Idle {
            return;
        }
        if let Err(error) = self.pc.handle_timeout(now) {
            debug!(%error, "stack timeout handling failed");
        }
        self.pump_events();
        self.replay_early_dtls();
        self.check_deadline(now);
    }

    fn close(&mut self, _now: Instant) {
        self.finish(LegEvent::Closed);
    }

    fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated
    }

    fn local_ssrc(&self) -> u32 {
        self.ssrc
    }
}

/// Rewrites the first audio m-line of an offer to carry only the first of `codecs` that the
/// offer lists (in the offer's order) and the telephone-event at that codec's clock rate,
/// dropping the other formats' `rtpmap`, `fmtp` and `rtcp-fb` lines. The rest is untouched.
pub fn restrict_offer_audio(sdp: &str, codecs: &[AudioCodec]) -> Result<String, NegotiateError> {
    // Pass 1: the audio section's formats and rtpmaps.
    let mut audio_index = None;
    let mut section = 0usize;
    let mut formats: Vec<u8> = Vec::new();
    let mut rtpmaps: Vec<(u8, &str, u32)> = Vec::new();
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            section += 1;
            if audio_index.is_none() && m.starts_with("audio ") {
                audio_index = Some(section);
                formats = m
                    .split_ascii_whitespace()
                    .skip(3)
                    .filter_map(|f| f.parse().ok())
                    .collect();
            }
            continue;
        }
        if audio_index == Some(section)
            && let Some((pt, name, rate)) = parse_rtpmap(line)
        {
            rtpmaps.push((pt, name, rate));
        }
    }
    let Some(audio_index) = audio_index else {
        return Err(NegotiateError::NoAudio);
    };
    let lookup = |pt: u8| -> Option<(&str, u32)> {
        rtpmaps
            .iter()
            .find(|(p, ..)| *p == pt)
            .map(|(_, n, r)| (*n, *r))
            .or((pt == PT_PCMU).then_some(("PCMU", 8_000)))
    };
    let (codec, codec_pt) = formats
        .iter()
        .find_map(|&pt| {
            let (name, rate) = lookup(pt)?;
            AudioCodec::from_rtpmap(name, rate)
                .filter(|c| codecs.contains(c))
                .map(|c| (c, pt))
        })
        .ok_or(NegotiateError::NoCommonCodec)?;
    let dtmf_pt = formats.iter().copied().find(|&pt| {
        lookup(pt).is_some_and(|(name, rate)| {
            name.eq_ignore_ascii_case("telephone-event") && rate == codec.clock_rate()
        })
    });
    let keep = |pt: u8| pt == codec_pt || Some(pt) == dtmf_pt;

    // Pass 2: copy, filtering the audio section.
    let mut out = String::with_capacity(sdp.len());
    section = 0;
    for line in sdp.lines().map(str::trim_end) {
        if line.starts_with("m=") {
            section += 1;
            if section == audio_index {
                let mut parts = line.split_ascii_whitespace();
                let head: Vec<&str> = parts.by_ref().take(3).collect();
                out.push_str(&head.join(" "));
                out.push(' ');
                out.push_str(&codec_pt.to_string());
                if let Some(pt) = dtmf_pt {
                    out.push(' ');
                    out.push_str(&pt.to_string());
                }
                out.push_str("\r\n");
                continue;
            }
        } else if section == audio_index
            && let Some(pt) = format_attribute_pt(line)
            && !keep(pt)
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    Ok(out)
}

/// `a=rtpmap:<pt> <name>/<rate>[/<channels>]` -> (pt, name, rate).
fn parse_rtpmap(line: &str) -> Option<(u8, &str, u32)> {
    let (pt, enc) = line.strip_prefix("a=rtpmap:")?.split_once(' ')?;
    let mut enc = enc.split('/');
    let name = enc.next()?;
    let rate = enc.next()?.parse().ok()?;
    Some((pt.parse().ok()?, name, rate))
}

/// The payload type a per-format attribute (`rtpmap`, `fmtp`, `rtcp-fb`) refers to;
/// `None` for other lines and for `a=rtcp-fb:*`.
fn format_attribute_pt(line: &str) -> Option<u8> {
    let rest = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
        .iter()
        .find_map(|p| line.strip_prefix(p))?;
    rest.split_ascii_whitespace().next()?.parse().ok()
}

fn has_audio(sdp: &str) -> bool {
    sdp.lines().any(|l| l.trim_start().starts_with("m=audio "))
}

/// Reads the agreed audio format from an answer SDP: the first codec of ours in the audio
/// m-line's format list, telephone-event at the same clock rate, and `a=ptime`.
///
/// Returns `None` when the audio section is rejected (port 0) or holds no codec of ours.
pub fn negotiated_from_sdp(sdp: &str) -> Option<Negotiated> {
    let mut in_audio = false;
    let mut formats: Vec<u8> = Vec::new();
    let mut rtpmaps: Vec<(u8, &str, u32)> = Vec::new();
    let mut ptime = None;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            if in_audio {
                break; // only the first audio section
            }
            let mut parts = m.split_ascii_whitespace();
            in_audio = parts.next() == Some("audio");
            if in_audio {
                let port = parts.next()?;
                if port == "0" {
                    return None;
                }
                let _proto = parts.next();
                formats = parts.filter_map(|f| f.parse().ok()).collect();
            }
            continue;
        }
        if !in_audio {
            continue;
        }
        if let Some(map) = parse_rtpmap(line) {
            rtpmaps.push(map);
        } else if let Some(p) = line.strip_prefix("a=ptime:") {
            ptime = p.trim().parse::<u16>().ok();
        }
    }
    let lookup = |pt: u8| -> Option<(&str, u32)> {
        rtpmaps
            .iter()
            .find(|(p, ..)| *p == pt)
            .map(|(_, n, r)| (*n, *r))
            .or(match pt {
                PT_PCMU => Some(("PCMU", 8_000)),
                _ => None,
            })
    };
    let (codec, payload_type) = formats.iter().find_map(|&pt| {
        let (name, rate) = lookup(pt)?;
        AudioCodec::from_rtpmap(name, rate).map(|c| (c, pt))
    })?;
    let telephone_event_pt = formats.iter().copied().find(|&pt| {
        lookup(pt).is_some_and(|(name, rate)| {
            name.eq_ignore_ascii_case("telephone-event") && rate == codec.clock_rate()
        })
    });
    Some(Negotiated {
        codec,
        payload_type,
        telephone_event_pt,
        ptime_ms: ptime.unwrap_or(DEFAULT_PTIME_MS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_OFFER_AUDIO: &str = "v=0\r\n\
o=- 1 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtpmap:63 red/48000/2\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:13 CN/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\n\
a=rtpmap:126 telephone-event/8000\r\n";

    #[test]
    fn negotiated_picks_first_known_codec_and_matching_dtmf() {
        let n = negotiated_from_sdp(CHROME_OFFER_AUDIO).unwrap();
        assert_eq!(
            n,
            Negotiated {
                codec: AudioCodec::Opus,
                payload_type: 111,
                telephone_event_pt: Some(110),
                ptime_ms: 20,
            }
        );
    }

    #[test]
    fn negotiated_pcmu_with_static_pt_and_ptime() {
        let sdp = "v=0\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n";
        let n = negotiated_from_sdp(sdp).unwrap();
        assert_eq!(n.codec, AudioCodec::Pcmu);
        assert_eq!(n.payload_type, 0);
        assert_eq!(n.telephone_event_pt, Some(101));
        assert_eq!(n.ptime_ms, 30);
    }

    #[test]
    fn negotiated_none_when_audio_rejected_or_unknown() {
        assert!(negotiated_from_sdp("v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\n").is_none());
        assert!(
            negotiated_from_sdp("v=0\r\nm=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n").is_none()
        );
    }

    #[test]
    fn failed_negotiation_finishes_the_leg() {
        let now = Instant::now();
        let mut leg = WebRtcLeg::new(now, LegConfig::default()).unwrap();
        let local = "127.0.0.1:5000".parse().unwrap();
        assert!(matches!(
            leg.accept_offer(now, "v=0\r\nm=video 9 RTP/AVP 96\r\n", local),
            Err(NegotiateError::NoAudio)
        ));
        assert_eq!(leg.phase(), Phase::Finished);
        assert!(leg.poll_timeout().is_none());
        assert!(matches!(
            leg.accept_offer(now, CHROME_OFFER_AUDIO, local),
            Err(NegotiateError::WrongState { .. })
        ));
    }

    #[test]
    fn second_offer_is_refused() {
        let now = Instant::now();
        let mut leg = WebRtcLeg::new(now, LegConfig::default()).unwrap();
        let err = leg.accept_answer(now, CHROME_OFFER_AUDIO).unwrap_err();
        assert!(matches!(
            err,
            NegotiateError::WrongState {
                state: Phase::Idle,
                ..
            }
        ));
    }
}
