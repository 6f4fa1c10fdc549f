//! tandem-media: RTP/RTCP and the relay.
