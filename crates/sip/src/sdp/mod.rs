//! SDP offer/answer (RFC 8866 syntax, RFC 3264 offer/answer).
//!
//! [`Sdp`] is a typed session description: parsed with [`Sdp::parse`]
//! (rtc-sdp does the line grammar) and written with [`Sdp::to_bytes`].
//! Media sections carry codecs, ptime, direction, RTCP address and rtcp-mux
//! typed; ICE and DTLS attributes typed but unused for now (WebRTC legs);
//! anything else verbatim in `extra`.
//!
//! Offer/answer for the relayed audio stream: [`LocalMedia::offer`],
//! [`negotiate_answer`] (we answer) and [`process_answer`] (we offered).
//! [`LocalSession`] owns our `o=` line and bumps its version on change.

mod fuzzing;
mod model;
mod negotiate;
mod parse;
mod session;
mod write;

#[doc(hidden)]
pub use fuzzing::fuzz_sdp;
pub use model::{
    AddrType, Bandwidth, Codec, CodecName, Direction, DtlsParams, IceParams, MediaKind,
    MediaSection, Origin, Protocol, RtcpAttr, Sdp, Setup,
};
pub use negotiate::{
    AnswerError, DEFAULT_PTIME, LocalMedia, Negotiated, NegotiationError, OfferError,
    negotiate_answer, process_answer,
};
pub use parse::{MAX_SDP_LEN, SdpError};
pub use session::LocalSession;
