//! How the B2BUA writes session descriptions on each leg so that media can
//! be relayed without transcoding: the offer toward B carries only codecs
//! both trunks allow (with A's payload type numbers), and A's answer carries
//! exactly the codec B chose.
//!
//! Directions: media flows A -> us -> B and back, so we send to one leg
//! exactly when we receive from the other. "Our direction" on a leg is the
//! reverse of our direction on the other leg.

use std::net::SocketAddr;

use bytes::Bytes;
use tandem_sip::message::{HeaderName, Headers};
use tandem_sip::sdp::{
    AnswerError, Codec, CodecName, Direction, LocalMedia, LocalSession, Negotiated,
    NegotiationError, OfferError, Sdp, SdpError, negotiate_answer, process_answer,
};

use crate::config::CodecName as ConfigCodec;
use crate::media::RemoteMedia;

/// Our `o=` line on one leg.
pub type LegOrigin = LocalSession;

/// A fresh origin for a leg whose media address is `local`.
pub fn origin(local: SocketAddr) -> LegOrigin {
    LocalSession::new(rand::random::<u64>() >> 1, local.ip())
}

/// Why a leg's session description could not be built or used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The body is not valid SDP.
    #[error("bad SDP: {0}")]
    Sdp(#[from] SdpError),
    /// The body is not SDP at all.
    #[error("body of type {0} is not SDP")]
    NotSdp(String),
    /// No codec both legs may use.
    #[error("no codec both trunks allow")]
    NoCommonCodec,
    /// Answering an offer failed.
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    /// An answer to our offer is unusable.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// Building an offer failed.
    #[error(transparent)]
    Offer(#[from] OfferError),
    /// The call has no media session any more.
    #[error("media session closed")]
    NoMedia,
}

/// The SDP in a message body: `Ok(None)` when there is no body.
pub fn body_sdp(headers: &Headers, body: &Bytes) -> Result<Option<Sdp>, PlanError> {
    if body.is_empty() {
        return Ok(None);
    }
    match headers.content_type() {
        Some(ct) if ct == "application/sdp" => Ok(Some(Sdp::parse(body)?)),
        // RFC 3261 §7.4.1: without Content-Type the body is SDP by default
        // for session methods; be liberal and try.
        None if headers.get(&HeaderName::ContentType).is_none() => Ok(Some(Sdp::parse(body)?)),
        Some(ct) => Err(PlanError::NotSdp(ct)),
        None => Err(PlanError::NotSdp(String::new())),
    }
}

fn allowed(list: &[ConfigCodec], c: &Codec) -> bool {
    let want = match c.name {
        CodecName::Pcmu => ConfigCodec::Pcmu,
        CodecName::Pcma => ConfigCodec::Pcma,
        CodecName::Opus => ConfigCodec::Opus,
        CodecName::TelephoneEvent => ConfigCodec::TelephoneEvent,
        CodecName::Other(_) => return false,
    };
    list.contains(&want)
}

/// Our offer toward leg B: A's audio codecs that both trunks allow, A's
/// payload types, ptime and direction; or, when A made no offer, every codec
/// both trunks allow on standard payload types.
pub fn offer_for_b(
    a_offer: Option<&Sdp>,
    a_codecs: &[ConfigCodec],
    b_codecs: &[ConfigCodec],
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<Sdp, PlanError> {
    let both = |c: &Codec| allowed(a_codecs, c) && allowed(b_codecs, c);
    let mut media = match a_offer {
        Some(offer) => {
            let audio = offer
                .media
                .iter()
                .find(|m| m.kind == tandem_sip::sdp::MediaKind::Audio && m.port != 0)
                .ok_or(PlanError::Negotiation(NegotiationError::NoAudio))?;
            let voice: Vec<Codec> = audio
                .codecs
                .iter()
                .filter(|c| !c.is_auxiliary() && both(c))
                .cloned()
                .collect();
            let mut codecs = voice.clone();
            codecs.extend(
                audio
                    .codecs
                    .iter()
                    .filter(|c| {
                        c.name == CodecName::TelephoneEvent
                            && both(c)
                            && voice.iter().any(|v| v.clock_rate == c.clock_rate)
                    })
                    .cloned(),
            );
            let mut m = LocalMedia::new(local.ip(), local.port(), codecs);
            m.ptime = audio.ptime;
            m.direction = audio.effective_direction();
            if voice.is_empty() {
                return Err(PlanError::NoCommonCodec);
            }
            m
        }
        None => {
            let mut codecs: Vec<Codec> = [Codec::pcmu(), Codec::pcma(), Codec::opus(111)]
                .into_iter()
                .filter(|c| both(c))
                .collect();
            if codecs.is_empty() {
                return Err(PlanError::NoCommonCodec);
            }
            let te = Codec::telephone_event(101, 8000);
            if both(&te) {
                if codecs.iter().any(|c| c.clock_rate == 8000) {
                    codecs.push(te);
                }
                if codecs.iter().any(|c| c.clock_rate == 48000) {
                    codecs.push(Codec::telephone_event(110, 48000));
                }
            }
            LocalMedia::new(local.ip(), local.port(), codecs)
        }
    };
    media.rtcp_mux = false;
    Ok(media.offer(session)?)
}

/// Reads the answer to an offer we sent.
pub fn read_answer(offer_sent: &Sdp, answer: &Sdp) -> Result<Negotiated, PlanError> {
    Ok(process_answer(offer_sent, answer)?)
}

fn same_codec_media(other: &Negotiated, direction: Direction, local: SocketAddr) -> LocalMedia {
    let mut codecs = vec![other.codec.clone()];
    if let Some(te) = &other.telephone_event {
        codecs.push(te.clone());
    }
    let mut m = LocalMedia::new(local.ip(), local.port(), codecs);
    m.ptime = Some(other.ptime);
    m.direction = direction;
    m
}

/// Answers `offer` on one leg with exactly the codec negotiated on the other
/// leg (relay needs the same codec on both). `other_direction` is our
/// direction on the other leg.
pub fn answer_matching(
    offer: &Sdp,
    other: &Negotiated,
    other_direction: Direction,
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<(Sdp, Negotiated), PlanError> {
    let m = same_codec_media(other, other_direction.reverse(), local);
    Ok(negotiate_answer(offer, &m, session)?)
}

/// An offer on one leg with exactly the codec negotiated on the other leg.
/// `other_direction` is our direction on the other leg.
pub fn offer_matching(
    other: &Negotiated,
    other_direction: Direction,
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<Sdp, PlanError> {
    let m = same_codec_media(other, other_direction.reverse(), local);
    Ok(m.offer(session)?)
}

/// The direction an offer asks for, from the offerer's point of view.
pub fn offered_direction(offer: &Sdp) -> Direction {
    offer
        .first_audio()
        .map_or(Direction::SendRecv, |m| m.effective_direction())
}

/// What the media session needs to know about a leg's peer.
pub fn remote_media(neg: &Negotiated) -> RemoteMedia {
    RemoteMedia {
        rtp: neg.remote_rtp,
        rtcp: neg.remote_rtcp,
        rtcp_mux: neg.rtcp_mux,
        peer_sends: neg.direction.recvs(),
        peer_receives: neg.direction.sends(),
        clock_rate: neg.codec.clock_rate,
    }
}
