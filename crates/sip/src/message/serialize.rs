//! Serialisation. PLACEHOLDER: being written.

use bytes::Bytes;

use super::{Request, Response};

pub(crate) fn request_to_bytes(_r: &Request) -> Bytes {
    todo!()
}

pub(crate) fn response_to_bytes(_r: &Response) -> Bytes {
    todo!()
}
