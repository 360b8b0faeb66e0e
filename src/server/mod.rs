//! The server: listeners, connections and shutdown. It creates the shared
//! state ([`crate::state::Server`]) and hands each connection to the
//! session of its protocol; nothing but `main` imports it.

mod blocked;
mod connection;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod listener;
mod memcache_session;
mod primary;
mod replica;
mod resp_session;

pub use listener::{run, Running};
