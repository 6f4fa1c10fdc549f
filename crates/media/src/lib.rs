//! tandem-media: RTP/RTCP, the zero-copy relay, and the transcoding bridge.
//!
//! * [`rtp`], [`rtcp`]: zero-copy views over received datagrams, in-place rewriting, and the
//!   protocol newtypes ([`Ssrc`], [`PayloadType`], [`SeqNo`]).
//! * [`rewrite`]: [`StreamRewriter`], stream continuity across source changes (sans-IO).
//! * [`latch`]: [`Latch`], symmetric RTP learning without RTP bleed (sans-IO).
//! * [`ports`]: [`PortAllocator`], RTP/RTCP port pairs from a range.
//! * [`metrics`]: the per-packet processing-time [`Histogram`] and per-leg counters.
//! * [`relay`]: [`RelaySession`], the tokio task that relays one call.
//! * [`codec`]: G.711 and Opus encode/decode with loss concealment.
//! * [`resample`]: 8/16/48 kHz conversion (rubato FFT, fixed chunks, 5 ms delay).
//! * [`jitter`]: the adaptive jitter buffer of the transcoding path (sans-IO).
//! * [`dtmf`]: RFC 4733 events, translation between legs, generation, Goertzel detection.
//! * [`transcode`]: one direction of a transcoded call (sans-IO pipeline).
//! * [`load`]: the Opus complexity policy under load.
//! * [`prompt`]: WAV prompts converted and encoded once, played sans-IO.
//! * [`fuzzing`]: entry points for the fuzz targets.
//!
//! See docs/media.md for the design, the latching rules and the measured costs.

pub mod codec;
pub mod dtmf;
pub mod fuzzing;
pub mod jitter;
pub mod latch;
pub mod load;
pub mod metrics;
pub mod ports;
pub mod prompt;
pub mod relay;
pub mod resample;
pub mod rewrite;
pub mod rtcp;
pub mod rtp;
pub mod transcode;
pub mod webrtc_leg;

pub use latch::{Latch, LatchConfig, Verdict};
pub use metrics::{
    DropReason, Histogram, HistogramSnapshot, StreamCounters, StreamStats, relay_histogram,
};
pub use ports::{AllocateError, PortAllocator, PortLease, PortPair, PortRangeError};
pub use relay::{
    EndReason, Leg, LegSetup, MediaDirection, Peer, RelayConfig, RelayHandle, RelaySession,
    SessionEnded, SessionStats, StartError,
};
pub use rewrite::{RewriteOutcome, RewriterConfig, StreamRewriter};
pub use rtcp::{RtcpCompound, RtcpError, RtcpPacketView};
pub use rtp::{
    PayloadType, RtpError, RtpHeader, RtpHeaderMut, RtpPacket, SeqExtender, SeqNo, Ssrc,
};
