//! RESP2 and RESP3: request decoding and reply encoding.

pub mod decode;
pub mod encode;

pub use decode::{Decoded, ProtocolError, RespDecoder};
pub use encode::Reply;
