//! Framing and parsing (RFC 3261 §7, §18.3). PLACEHOLDER: being written.

use super::Message;
use super::header::Header;

/// The largest message Tandem accepts on any transport.
pub const MAX_MESSAGE_LEN: usize = 65_535;

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// UDP: the datagram ends the message.
    Datagram,
    /// TCP/TLS: Content-Length is mandatory.
    Stream,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Placeholder.
    #[error("malformed")]
    Malformed,
}

/// A message that could not be parsed, with what is needed to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// For a request whose Via, From, To, Call-ID and CSeq could be read:
    /// those raw headers, so that an error response can be built.
    pub echo: Option<Vec<Header>>,
    /// Status to answer with (400, 505, 501 ...); `None` for responses and
    /// for requests that cannot be answered.
    pub status: Option<u16>,
}

/// Stream framing (check before parse): `Ok(None)` when more bytes are
/// needed, `Ok(Some(n))` when `buf[..n]` is one whole message.
pub fn frame_len(_buf: &[u8]) -> Result<Option<usize>, ParseError> {
    todo!()
}

pub(crate) fn parse_message(_buf: &[u8], _framing: Framing) -> Result<Message, ParseError> {
    todo!()
}
