//! tandem-media: RTP/RTCP and the zero-copy relay.
//!
//! * [`rtp`], [`rtcp`]: zero-copy views over received datagrams, in-place rewriting, and the
//!   protocol newtypes ([`Ssrc`], [`PayloadType`], [`SeqNo`]).
//! * [`rewrite`]: [`StreamRewriter`], stream continuity across source changes (sans-IO).
//! * [`latch`]: [`Latch`], symmetric RTP learning without RTP bleed (sans-IO).
//! * [`ports`]: [`PortAllocator`], RTP/RTCP port pairs from a range.
//! * [`metrics`]: the per-packet processing-time [`Histogram`] and per-leg counters.
//! * [`relay`]: [`RelaySession`], the tokio task that relays one call.
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
