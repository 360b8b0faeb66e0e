//! ferrocache: one cache server for Redis and memcached clients.
//!
//! # The map
//!
//! - [`server`]: listeners, worker threads, connections and shutdown.
//!   `listener` runs the connections on one multi-thread runtime of
//!   `--threads` workers; `connection` is the loop both protocols
//!   share (read a batch, let the session decode and execute every complete
//!   request, write all replies at once); `resp_session` and
//!   `memcache_session` are the two protocols' halves; `client` holds the
//!   per-connection state and the registry CLIENT LIST and INFO read;
//!   `blocking` parks clients of blocking commands (BLPOP ...) in FIFO
//!   queues per key and wakes them when a key becomes ready.
//! - [`protocol`]: bytes to requests and replies to bytes, for RESP2/RESP3
//!   ([`protocol::resp`]: a resumable decoder and the reply encoder) and
//!   the memcached text protocol ([`protocol::memcache`]: a resumable
//!   parser and the reply lines). It never touches the store.
//! - [`command`]: the common command set, one file per family (`string`,
//!   `bitmap`, `keys`, `hash`, `list`, `set`, `zset`, `sort`, `memory`,
//!   `server`, `client`, `info`, `config_cmd`, `introspection`, `debug`,
//!   `transaction` (MULTI/EXEC/WATCH: EXEC runs the queue in one atomic
//!   scope of the store), `cache` and `policy`: the CACHE.* commands of
//!   `docs/commands.md`, whose locks, tags and dependencies the store keeps
//!   beside the items).
//!   Each command is declared once (arity, flags, key positions, docs,
//!   handler); that declaration drives arity errors and `COMMAND` output.
//!   Wire error texts live in `errors`. memcached's verbs, its `stats` and
//!   `flush_all` are commands too (`memcache`), run through the same typed
//!   operations as their Redis counterparts: `add` is a SET with
//!   [`command::string_ops::Cond::Nx`], `incr` an increment with
//!   [`command::string_ops::Step::Unsigned`]. A write that may add memory,
//!   from either protocol, first makes room through one `make_room`, each
//!   protocol passing its own eviction policy.
//! - [`script`]: Lua 5.1 as Redis embeds it, behind EVAL, EVALSHA,
//!   SCRIPT, FUNCTION and FCALL (`command::scripting`,
//!   `command::function`): the script cache and function libraries shared
//!   by all threads, one sandboxed Lua state per worker thread, the
//!   libraries scripts see (`cjson`, `cmsgpack`, `bit`, `struct`), and the
//!   conversions between replies and Lua values. `redis.call` runs a
//!   command through [`command::execute`] as a client of its own.
//! - [`store`]: databases of items in lock-striped shards (one hashbrown
//!   table of chunk handles per database in each shard, and the slot that
//!   reads and writes one key: `shard`), slab memory, eviction by priority
//!   and policy (`evict`), lazy and active expiry (`expire`), SCAN. Items
//!   live in slab chunks (`item`, `slab`); hashes, lists, sets and sorted
//!   sets are heap aggregates behind their chunk (`types`). What the
//!   CACHE.* commands do to one item (lock it, tag it, link it, give it a
//!   priority) is the slot's in `cache_item`; each table keeps its locked
//!   keys (`key_locks`) and its tags and dependency marks, indexes kept
//!   exact through every removal (`links`). Per-database defaults and
//!   limits are `policy`; `scope` makes a transaction or a script one
//!   atomic step. It never knows which protocol asked, and never reads the
//!   clock.
//! - [`config`]: flags, the config file and the runtime settings table
//!   behind CONFIG GET/SET.
//!
//! # The path of one request
//!
//! `GET k` arrives on a RESP connection: the connection loop reads it into
//! the connection's buffer and hands the buffer to the RESP session. Its
//! decoder finds the request's arguments in place, without copying;
//! [`command::execute`] looks `get` up, checks its arity and calls its
//! handler with a [`command::Ctx`]. The handler hashes the key once, locks
//! its shard, reads the entry and encodes the bulk reply straight into the
//! connection's output buffer. When every complete request of the batch has
//! run, the connection writes the output buffer with one call.
//!
//! `get k` on the memcached port takes the same way through the memcached
//! session: its parser finds the request in place, and the session hands it
//! to the memcached verbs of the command layer (`command::memcache`), which
//! call the string operation [`command::string_ops::get_value`] and write
//! `VALUE k <flags> <bytes>` lines ([`protocol::memcache::reply`]) into the
//! same output buffer. Both sessions stop decoding once a batch's replies
//! reach 4 MB with requests left, let the connection write them, and go on.

pub mod command;
pub mod config;
pub mod protocol;
pub mod script;
pub mod server;
pub(crate) mod state;
pub mod store;
pub(crate) mod util;
