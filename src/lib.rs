//! ferrocache: one cache server for Redis and memcached clients.
//!
//! # The map
//!
//! - [`server`]: listeners, worker threads, connections and shutdown. A
//!   connection reads a batch of bytes, lets its protocol session decode and
//!   execute every complete request, and writes all the replies at once.
//! - [`protocol`]: bytes to requests and replies to bytes, for RESP2/RESP3
//!   ([`protocol::resp`]) and memcached ([`protocol::memcache`]). It never
//!   touches the store.
//! - [`command`]: the common command set. Each command is declared once
//!   (arity, flags, keys, docs, handler) in its family's file. memcached
//!   verbs run the same operations as their Redis counterparts: `add` is a
//!   SET with [`command::string::Cond::Nx`].
//! - [`store`]: databases of entries in lock-striped shards, expiry, scan.
//!   It never knows which protocol asked.
//! - [`config`]: flags, the config file and the runtime settings table.
//!
//! # The path of one request
//!
//! `GET k` arrives on a RESP connection ([`server`]'s connection loop reads
//! it into the connection's buffer). The RESP session's decoder finds the
//! request's argument slices in place, without copying; [`command::execute`]
//! looks `get` up, checks its arity and calls its handler with a
//! [`command::Ctx`]. The handler hashes the key once, locks its shard,
//! reads the entry and encodes the bulk reply straight into the output
//! buffer. When every request of the batch has run, the connection writes
//! the output buffer with one call.

pub mod command;
pub mod config;
pub mod protocol;
pub mod server;
pub mod store;
