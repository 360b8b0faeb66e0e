//! Wire protocols: bytes to requests and replies to bytes. Nothing here
//! touches the store.

pub mod memcache;
pub mod resp;
