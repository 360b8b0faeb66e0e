//! Wire protocols: bytes to requests and replies to bytes. Nothing here
//! touches the store.

pub(crate) mod memcache;
pub(crate) mod resp;
