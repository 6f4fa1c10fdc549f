//! How the B2BUA writes session descriptions on each leg. Relaying media
//! untouched is preferred: the offer toward B leads with the codecs both
//! trunks allow (with A's payload type numbers), and A's answer carries the
//! codec B chose when A offered it. When the legs share no codec (or a
//! trunk's `transcode = "prefer-own-codecs"` says so), each leg gets its own
//! codec and the media engine transcodes between them.
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

use crate::config::{CodecName as ConfigCodec, TranscodePolicy, Trunk};
use crate::media::{AudioCodec, LegCodec, RemoteMedia};

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

/// The media engine's name for a codec.
pub fn audio_codec(c: &Codec) -> AudioCodec {
    match (&c.name, c.clock_rate) {
        (CodecName::Pcmu, 8000) => AudioCodec::Pcmu,
        (CodecName::Pcma, 8000) => AudioCodec::Pcma,
        (CodecName::Opus, 48000) => AudioCodec::Opus,
        _ => AudioCodec::Other,
    }
}

/// Whether the bridge can decode and encode `c`.
fn transcodable(c: &Codec) -> bool {
    audio_codec(c) != AudioCodec::Other
}

/// A trunk's codec rules, as the planner needs them.
#[derive(Debug, Clone)]
pub struct LegRules {
    /// Allowed codecs in preference order.
    pub codecs: Vec<ConfigCodec>,
    /// How this leg's codec is chosen.
    pub policy: TranscodePolicy,
}

impl LegRules {
    /// The rules of `trunk`.
    pub fn of(trunk: &Trunk) -> Self {
        LegRules {
            codecs: trunk.codecs.clone(),
            policy: trunk.transcode,
        }
    }

    fn allows(&self, c: &Codec) -> bool {
        allowed(&self.codecs, c)
    }

    /// Position of `c` in the trunk's preference list.
    fn rank(&self, c: &Codec) -> usize {
        self.codecs
            .iter()
            .position(|x| allowed(std::slice::from_ref(x), c))
            .unwrap_or(usize::MAX)
    }

    /// Our standard codec for a configured name (payload type fixed later).
    fn standard(name: ConfigCodec) -> Option<Codec> {
        match name {
            ConfigCodec::Pcmu => Some(Codec::pcmu()),
            ConfigCodec::Pcma => Some(Codec::pcma()),
            ConfigCodec::Opus => Some(Codec::opus(111)),
            ConfigCodec::TelephoneEvent => None,
        }
    }
}

/// telephone-event at `rate` on the payload type Tandem uses when it picks
/// one: 101 at 8 kHz, 110 otherwise.
fn standard_telephone_event(rate: u32) -> Codec {
    Codec::telephone_event(if rate == 8000 { 101 } else { 110 }, rate)
}

/// Whether a call between legs with these rules may be transcoded.
fn may_transcode(a: &LegRules, b: &LegRules) -> bool {
    a.policy != TranscodePolicy::Never && b.policy != TranscodePolicy::Never
}

/// `c` with a payload type not used in `taken` (its own when free; static
/// types are never moved).
fn with_free_pt(mut c: Codec, taken: &[Codec], dynamic_default: u8) -> Codec {
    let used = |pt: u8| taken.iter().any(|t| t.payload_type == pt);
    if c.payload_type >= 96 {
        c.payload_type = dynamic_default;
        if used(c.payload_type)
            && let Some(pt) = (96..=127).find(|pt| !used(*pt))
        {
            c.payload_type = pt;
        }
    }
    c
}

/// Our offer toward leg B. With an offer from A: first A's audio codecs that
/// both trunks allow (A's payload types, so media can be relayed), then, if
/// the call may be transcoded, the other codecs B's trunk allows. Without an
/// offer from A (late offer): every codec B's trunk allows that A's could
/// take or that the bridge can transcode. telephone-event goes with each
/// clock rate when B's trunk allows it.
pub fn offer_for_b(
    a_offer: Option<&Sdp>,
    a: &LegRules,
    b: &LegRules,
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<Sdp, PlanError> {
    let transcode = may_transcode(a, b);
    let (offered, ptime, direction) = match a_offer {
        Some(offer) => {
            let audio = offer
                .media
                .iter()
                .find(|m| m.kind == tandem_sip::sdp::MediaKind::Audio && m.port != 0)
                .ok_or(PlanError::Negotiation(NegotiationError::NoAudio))?;
            (
                audio.codecs.clone(),
                audio.ptime,
                audio.effective_direction(),
            )
        }
        None => (Vec::new(), None, Direction::SendRecv),
    };
    let a_voice: Vec<&Codec> = offered
        .iter()
        .filter(|c| !c.is_auxiliary() && a.allows(c))
        .collect();
    let mut voice: Vec<Codec> = if a_offer.is_some() {
        a_voice
            .iter()
            .filter(|c| b.allows(c))
            .map(|c| (*c).clone())
            .collect()
    } else {
        Vec::new()
    };
    let a_can_transcode = a_offer.is_none() || a_voice.iter().any(|c| transcodable(c));
    if transcode && a_can_transcode {
        for name in &b.codecs {
            let Some(c) = LegRules::standard(*name) else {
                continue;
            };
            if voice.iter().any(|v| v.same_encoding(&c)) {
                continue;
            }
            let c = with_free_pt(c, &offered, 111);
            let c = with_free_pt(c, &voice, 111);
            voice.push(c);
        }
    } else if a_offer.is_none() {
        for name in &b.codecs {
            if let Some(c) = LegRules::standard(*name)
                && a.allows(&c)
            {
                voice.push(c);
            }
        }
    }
    if voice.is_empty() {
        return Err(PlanError::NoCommonCodec);
    }
    if b.policy == TranscodePolicy::PreferOwnCodecs {
        voice.sort_by_key(|c| b.rank(c));
    }
    let mut codecs = voice.clone();
    if b.codecs.contains(&ConfigCodec::TelephoneEvent) {
        let mut rates: Vec<u32> = voice.iter().map(|c| c.clock_rate).collect();
        rates.dedup();
        for rate in rates {
            if codecs
                .iter()
                .any(|c| c.name == CodecName::TelephoneEvent && c.clock_rate == rate)
            {
                continue;
            }
            let from_a = offered
                .iter()
                .find(|c| c.name == CodecName::TelephoneEvent && c.clock_rate == rate)
                .filter(|_| a.codecs.contains(&ConfigCodec::TelephoneEvent));
            let te = match from_a {
                Some(te) => te.clone(),
                None if transcode => {
                    let te = standard_telephone_event(rate);
                    let pt = te.payload_type;
                    let te = with_free_pt(te, &offered, pt);
                    let pt = te.payload_type;
                    with_free_pt(te, &codecs, pt)
                }
                None => continue,
            };
            codecs.push(te);
        }
    }
    let mut m = LocalMedia::new(local.ip(), local.port(), codecs);
    m.ptime = ptime;
    m.direction = direction;
    m.rtcp_mux = false;
    Ok(m.offer(session)?)
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

/// Answers `offer` from one leg, given what the other leg negotiated
/// (`other`, with our direction on that leg). The codec is the
/// other leg's when the offer has it and the rules prefer relaying; else,
/// if the call may be transcoded, this leg's best offered codec (the one it
/// had before on a re-INVITE, else by its trunk's order with
/// `prefer-own-codecs`, else by the offer's order). The engine then sees
/// different codecs on the two legs and transcodes.
pub fn answer_leg(
    offer: &Sdp,
    other: &Negotiated,
    own: &LegRules,
    other_rules: &LegRules,
    previous: Option<&Codec>,
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<(Sdp, Negotiated), PlanError> {
    let audio = offer
        .first_audio()
        .ok_or(PlanError::Negotiation(NegotiationError::NoAudio))?;
    let candidates: Vec<&Codec> = audio
        .codecs
        .iter()
        .filter(|c| !c.is_auxiliary() && own.allows(c))
        .collect();
    let relay = candidates
        .iter()
        .find(|c| c.same_encoding(&other.codec))
        .copied();
    let transcode = if may_transcode(own, other_rules) && transcodable(&other.codec) {
        let mut t: Vec<&Codec> = candidates
            .iter()
            .copied()
            .filter(|c| transcodable(c))
            .collect();
        if own.policy == TranscodePolicy::PreferOwnCodecs {
            t.sort_by_key(|c| own.rank(c));
        }
        previous
            .and_then(|p| t.iter().find(|c| c.same_encoding(p)).copied())
            .or_else(|| t.first().copied())
    } else {
        None
    };
    let pick = match own.policy {
        TranscodePolicy::PreferOwnCodecs => transcode.or(relay),
        _ => relay.or(transcode),
    }
    .ok_or(PlanError::NoCommonCodec)?;
    let direction = other.direction.reverse();
    if relay.is_some_and(|r| r.same_encoding(pick)) {
        let m = same_codec_media(other, direction, local);
        return Ok(negotiate_answer(offer, &m, session)?);
    }
    let mut codecs = vec![pick.clone()];
    if own.codecs.contains(&ConfigCodec::TelephoneEvent) {
        codecs.push(standard_telephone_event(pick.clock_rate));
    }
    let mut m = LocalMedia::new(local.ip(), local.port(), codecs);
    m.ptime = audio.ptime;
    m.direction = direction;
    Ok(negotiate_answer(offer, &m, session)?)
}

/// Our offer to a leg that sent none (late offer), given what the other leg
/// negotiated (with our direction there): exactly that codec when this leg's trunk allows it (relay),
/// else this leg's transcodable codecs when the call may be transcoded.
pub fn offer_leg(
    other: &Negotiated,
    own: &LegRules,
    other_rules: &LegRules,
    local: SocketAddr,
    session: &mut LegOrigin,
) -> Result<Sdp, PlanError> {
    let direction = other.direction.reverse();
    if own.allows(&other.codec) || !may_transcode(own, other_rules) {
        let m = same_codec_media(other, direction, local);
        return Ok(m.offer(session)?);
    }
    let mut codecs: Vec<Codec> = own
        .codecs
        .iter()
        .filter_map(|n| LegRules::standard(*n))
        .collect();
    if codecs.is_empty() {
        return Err(PlanError::NoCommonCodec);
    }
    if own.codecs.contains(&ConfigCodec::TelephoneEvent) {
        for rate in [8000, 48000] {
            if codecs.iter().any(|c| c.clock_rate == rate) {
                codecs.push(standard_telephone_event(rate));
            }
        }
    }
    let mut m = LocalMedia::new(local.ip(), local.port(), codecs);
    m.direction = direction;
    Ok(m.offer(session)?)
}

/// An offer on one leg with exactly the codec negotiated on that leg before
/// (re-INVITE toward it). `other_direction` is our direction on the other
/// leg.
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
        codec: LegCodec {
            codec: audio_codec(&neg.codec),
            payload_type: neg.codec.payload_type,
            clock_rate: neg.codec.clock_rate,
            ptime: neg.ptime,
            telephone_event: neg.telephone_event.as_ref().map(|t| t.payload_type),
        },
    }
}
