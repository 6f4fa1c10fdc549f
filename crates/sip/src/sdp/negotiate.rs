//! RFC 3264 offer/answer for the audio stream Tandem relays.

use std::net::{IpAddr, SocketAddr};

use super::model::{Codec, Direction, MediaKind, MediaSection, Origin, Protocol, Sdp};
use super::session::LocalSession;

/// Packet time assumed when neither side writes `a=ptime`.
pub const DEFAULT_PTIME: u32 = 20;

/// What Tandem can do on one leg: where it receives, which codecs, how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our RTP address (written as `IN IP4` or `IN IP6`).
    pub address: IpAddr,
    /// Our RTP port.
    pub rtp_port: u16,
    /// Transport protocol we offer and accept.
    pub protocol: Protocol,
    /// Codecs in our preference order, including telephone-event at each
    /// clock rate we accept it. Payload types are used when offering; when
    /// answering, the offer's numbers are kept. `fmtp` is what we declare.
    pub codecs: Vec<Codec>,
    /// `a=ptime` to offer, and to answer when the offer has none.
    pub ptime: Option<u32>,
    /// `a=maxptime` to offer.
    pub maxptime: Option<u32>,
    /// The directions we are willing to use (mirrors the other leg on hold).
    pub direction: Direction,
    /// Offer rtcp-mux, and accept it when offered.
    pub rtcp_mux: bool,
    /// When answering, pick the codec by our order instead of the offerer's.
    pub prefer_local_order: bool,
}

impl LocalMedia {
    /// RTP/AVP, sendrecv, no ptime, no rtcp-mux, offerer's codec order.
    pub fn new(address: IpAddr, rtp_port: u16, codecs: Vec<Codec>) -> Self {
        Self {
            address,
            rtp_port,
            protocol: Protocol::RtpAvp,
            codecs,
            ptime: None,
            maxptime: None,
            direction: Direction::SendRecv,
            rtcp_mux: false,
            prefer_local_order: false,
        }
    }

    /// Builds an offer with one audio section, stamped with `session`'s
    /// origin (version +1 when it differs from the last one sent).
    pub fn offer(&self, session: &mut LocalSession) -> Result<Sdp, OfferError> {
        if self.codecs.is_empty() {
            return Err(OfferError::NoCodecs);
        }
        for (i, c) in self.codecs.iter().enumerate() {
            if c.payload_type > 127 {
                return Err(OfferError::InvalidPayloadType(c.payload_type));
            }
            if self.codecs[..i]
                .iter()
                .any(|o| o.payload_type == c.payload_type)
            {
                return Err(OfferError::DuplicatePayloadType(c.payload_type));
            }
        }
        let mut m = MediaSection::new(MediaKind::Audio, self.rtp_port, self.protocol.clone());
        m.codecs = self.codecs.clone();
        m.connection = Some(self.address);
        m.ptime = self.ptime;
        m.maxptime = self.maxptime;
        m.direction = self.direction;
        m.rtcp_mux = self.rtcp_mux;
        let mut sdp = Sdp::new(
            Origin::new("tandem", session.session_id(), 0, self.address),
            Some(self.address),
        );
        sdp.media.push(m);
        session.stamp(&mut sdp);
        Ok(sdp)
    }
}

/// Why an offer could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// [`LocalMedia::codecs`] is empty.
    #[error("no codecs to offer")]
    NoCodecs,
    /// Two codecs share a payload type.
    #[error("payload type {0} listed twice")]
    DuplicatePayloadType(u8),
    /// A payload type above 127.
    #[error("payload type {0} is not in 0..=127")]
    InvalidPayloadType(u8),
}

/// The outcome of offer/answer for the audio stream, from our side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Index of the audio section in both descriptions.
    pub media_index: usize,
    /// The voice codec, with the payload type and fmtp of the remote description.
    pub codec: Codec,
    /// telephone-event at the codec's clock rate, if both sides have it.
    pub telephone_event: Option<Codec>,
    /// The remote's `a=ptime`, else ours, else 20 ms: the packet time to send.
    pub ptime: u32,
    /// Our direction: whether we send to and receive from the remote.
    pub direction: Direction,
    /// Where to send RTP (`None` on legacy hold or port 0).
    pub remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP.
    pub remote_rtcp: Option<SocketAddr>,
    /// Whether RTP and RTCP share a port (RFC 5761).
    pub rtcp_mux: bool,
}

/// Why an offer could not be answered (the daemon replies 488).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// No audio section with a non-zero port.
    #[error("offer has no active audio stream")]
    NoAudio,
    /// Audio is offered only over a transport protocol we do not use.
    #[error("audio offered over {0}, which is not accepted here")]
    UnsupportedProtocol(Protocol),
    /// None of the offered voice codecs is in our list.
    #[error("no codec in common")]
    NoCommonCodec,
}

/// Why an answer to our offer is unusable (the daemon sends ACK then BYE).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The answer does not have one `m=` line per offered one.
    #[error("answer has {answered} m= lines for {offered} offered")]
    MediaCountMismatch {
        /// `m=` lines in our offer.
        offered: usize,
        /// `m=` lines in the answer.
        answered: usize,
    },
    /// The `m=` line at `index` changed its media type.
    #[error("answer m= line {index} has a different media type")]
    MediaKindMismatch {
        /// Index of the section.
        index: usize,
    },
    /// Our offer has no active audio stream.
    #[error("our offer has no active audio stream")]
    NoAudioOffered,
    /// Every audio stream we offered was answered with port 0.
    #[error("audio stream rejected")]
    Rejected,
    /// The answer lists no voice codec.
    #[error("answer has no voice codec")]
    NoCommonCodec,
    /// The answer's voice codecs are not among those we offered.
    #[error("answered payload type {payload_type} was not offered")]
    CodecNotOffered {
        /// The first answered voice payload type.
        payload_type: u8,
    },
}

fn positive(ptime: Option<u32>) -> Option<u32> {
    ptime.filter(|&p| p > 0)
}

/// Answers `offer` (RFC 3264 §6) with our `local` media: the first audio
/// stream over `local.protocol` gets one voice codec (the offerer's first
/// one we support, or ours when `prefer_local_order`) with the offer's
/// payload type, plus telephone-event at the same clock rate if both have
/// it; every other `m=` line is answered with port 0. The answer is stamped
/// with `session`'s origin.
pub fn negotiate_answer(
    offer: &Sdp,
    local: &LocalMedia,
    session: &mut LocalSession,
) -> Result<(Sdp, Negotiated), NegotiationError> {
    let index = offer
        .media
        .iter()
        .position(|m| m.kind == MediaKind::Audio && m.port != 0 && m.protocol == local.protocol)
        .ok_or_else(|| match offer.first_audio() {
            Some(m) => NegotiationError::UnsupportedProtocol(m.protocol.clone()),
            None => NegotiationError::NoAudio,
        })?;
    let offered = offer.media.get(index).ok_or(NegotiationError::NoAudio)?;

    let supported =
        |c: &&Codec| !c.is_auxiliary() && local.codecs.iter().any(|l| l.same_encoding(c));
    let chosen = if local.prefer_local_order {
        local
            .codecs
            .iter()
            .filter(|l| !l.is_auxiliary())
            .find_map(|l| {
                offered
                    .codecs
                    .iter()
                    .find(|o| !o.is_auxiliary() && o.same_encoding(l))
            })
    } else {
        offered.codecs.iter().find(supported)
    }
    .ok_or(NegotiationError::NoCommonCodec)?;
    let local_of = |c: &Codec| local.codecs.iter().find(|l| l.same_encoding(c));
    let telephone_event = offered
        .telephone_event(chosen.clock_rate)
        .filter(|te| local_of(te).is_some());

    let rtcp_mux = offered.rtcp_mux && local.rtcp_mux;
    let ptime = positive(offered.ptime).or(positive(local.ptime));
    let direction = offered
        .effective_direction()
        .reverse()
        .intersect(local.direction);

    let mut answer = Sdp::new(
        Origin::new("tandem", session.session_id(), 0, local.address),
        Some(local.address),
    );
    for (i, m) in offer.media.iter().enumerate() {
        let mut section = MediaSection::new(m.kind.clone(), 0, m.protocol.clone());
        section.mid = m.mid.clone();
        section.connection = Some(local.address);
        if i == index {
            section.port = local.rtp_port;
            section.codecs = [Some(chosen), telephone_event]
                .into_iter()
                .flatten()
                .map(|c| Codec {
                    fmtp: local_of(c).and_then(|l| l.fmtp.clone()),
                    rtcp_fb: Vec::new(),
                    ..c.clone()
                })
                .collect();
            section.ptime = ptime;
            section.direction = direction;
            section.rtcp_mux = rtcp_mux;
        } else {
            // RFC 3264 §6: a rejected stream keeps its formats, port 0.
            section.codecs = m
                .codecs
                .iter()
                .map(|c| Codec {
                    fmtp: None,
                    rtcp_fb: Vec::new(),
                    ..c.clone()
                })
                .collect();
            section.formats = m.formats.clone();
            section.direction = Direction::Inactive;
        }
        answer.media.push(section);
    }
    session.stamp(&mut answer);

    let negotiated = Negotiated {
        media_index: index,
        codec: chosen.clone(),
        telephone_event: telephone_event.cloned(),
        ptime: ptime.unwrap_or(DEFAULT_PTIME),
        direction,
        remote_rtp: offered.rtp_addr(),
        remote_rtcp: offered.rtcp_addr_with_mux(rtcp_mux),
        rtcp_mux,
    };
    Ok((answer, negotiated))
}

/// Reads the answer to an offer we sent (RFC 3264 §7): the first audio
/// stream the answer accepted, its voice codec (which must be one we
/// offered), telephone-event, direction and remote addresses.
pub fn process_answer(offer_sent: &Sdp, answer: &Sdp) -> Result<Negotiated, AnswerError> {
    if offer_sent.media.len() != answer.media.len() {
        return Err(AnswerError::MediaCountMismatch {
            offered: offer_sent.media.len(),
            answered: answer.media.len(),
        });
    }
    if let Some(index) = offer_sent
        .media
        .iter()
        .zip(&answer.media)
        .position(|(o, a)| o.kind != a.kind)
    {
        return Err(AnswerError::MediaKindMismatch { index });
    }
    if offer_sent.first_audio().is_none() {
        return Err(AnswerError::NoAudioOffered);
    }
    let (index, (offered, answered)) = offer_sent
        .media
        .iter()
        .zip(&answer.media)
        .enumerate()
        .find(|(_, (o, a))| o.kind == MediaKind::Audio && o.port != 0 && a.port != 0)
        .ok_or(AnswerError::Rejected)?;

    let find_offered = |a: &Codec| {
        offered
            .codecs
            .iter()
            .find(|o| o.payload_type == a.payload_type && o.name.same_as(&a.name))
            .or_else(|| offered.codecs.iter().find(|o| o.same_encoding(a)))
    };
    let mut voice = answered
        .codecs
        .iter()
        .filter(|c| !c.is_auxiliary())
        .peekable();
    let first_voice = voice.peek().map(|c| c.payload_type);
    let codec = voice
        .find(|a| find_offered(a).is_some())
        .ok_or(match first_voice {
            Some(payload_type) => AnswerError::CodecNotOffered { payload_type },
            None => AnswerError::NoCommonCodec,
        })?;
    let telephone_event = answered
        .telephone_event(codec.clock_rate)
        .filter(|te| find_offered(te).is_some());

    let rtcp_mux = offered.rtcp_mux && answered.rtcp_mux;
    Ok(Negotiated {
        media_index: index,
        codec: codec.clone(),
        telephone_event: telephone_event.cloned(),
        ptime: positive(answered.ptime)
            .or(positive(offered.ptime))
            .unwrap_or(DEFAULT_PTIME),
        direction: offered
            .direction
            .intersect(answered.effective_direction().reverse()),
        remote_rtp: answered.rtp_addr(),
        remote_rtcp: answered.rtcp_addr_with_mux(rtcp_mux),
        rtcp_mux,
    })
}
