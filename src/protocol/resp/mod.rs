//! RESP2 and RESP3: request decoding and reply encoding.

pub(crate) mod decode;
pub(crate) mod encode;

pub use decode::{Decoded, RespDecoder};
pub use encode::Reply;
