//! ferrocache: one cache server for Redis and memcached clients.
//!
//! # The map
//!
//! The rooms, from the top floor down. Imports run one way, downward:
//! `server` is imported by `main` alone; `util`, `store` and `protocol`
//! sit at the bottom and `store` and `protocol` never import each other;
//! `command` and `script` are the one pair that call each other
//! (`redis.call`).
//!
//! - `server`: listeners, worker threads, connections and shutdown.
//!   `listener` runs the connections on one multi-thread runtime of
//!   `--threads` workers; `connection` is the loop both protocols share
//!   (read a batch, let the session decode and execute every complete
//!   request, write all replies at once, keep what the socket does not
//!   take and read on, up to `client-output-buffer-limit`; a subscriber's
//!   connection also writes what its mailbox received); `resp_session`
//!   and `memcache_session` are the two protocols' halves: decoding,
//!   parking clients of blocking commands, the output budget per pass;
//!   `blocked` serves parked clients after the command that made their
//!   key ready; `fuzzing` (the `fuzzing` feature) is the fuzz targets'
//!   way in.
//! - `script`: Lua 5.1 as Redis embeds it, behind EVAL, EVALSHA, SCRIPT,
//!   FUNCTION and FCALL (`command::scripting`, `command::function`): one
//!   sandboxed Lua state for the process, the libraries scripts see
//!   (`cjson`, `cmsgpack`, `bit`, `struct`), and the conversions between
//!   replies and Lua values. `redis.call` runs a command through
//!   `command::execute` as a client of its own, under the caller's ACL
//!   user.
//! - `command`: the common command set, Redis commands and memcached verbs
//!   alike, one file per family (`string`, `bitmap`, `keys`, `dump`
//!   (DUMP, RESTORE, MIGRATE), `hash`, `list`, `set`, `zset`, `sort`,
//!   `memory`, `server`, `client`, `info`, `config_cmd`, `introspection`,
//!   `slowlog`, `latency`, `monitor`, `pubsub`, `notify` (keyspace
//!   events), `tracking` (client-side caching), `debug`, `acl` (ACL
//!   users' rules, and the check a request passes before it runs),
//!   `transaction` (MULTI/EXEC/WATCH:
//!   EXEC runs the queue in one atomic scope of the store), `cache` and
//!   `policy`: the CACHE.* commands of `docs/commands.md`; `memcache`:
//!   memcached's verbs, `stats` and `flush_all`). Each Redis command is
//!   declared once (arity, flags, key specifications, ACL categories,
//!   docs, handler); that declaration drives arity errors, `COMMAND`
//!   output, ACL rules and the keys of a request (`key_spec`: where keys
//!   sit and how each is used, as Redis 7 declares them). The typed string
//!   operations both protocols run are `string_ops`: memcached `add` is a
//!   SET with `Cond::Nx`, `incr` an increment with `Step::Unsigned`. A
//!   write that may add memory, from either protocol, first makes room
//!   through one `make_room`, each protocol passing its own eviction
//!   policy. Redis's wire error texts live in `errors`, argument parsing in
//!   `args`. Before a handler runs, `execute` checks the rules of the
//!   client's ACL user (one load for a user that may do everything).
//!   Around every handler, it does what Redis's `call()` does: it counts
//!   the command in its row of the per-command counters, logs it when
//!   slow, samples the latency monitor, shows it to MONITOR clients, and
//!   holds it back during CLIENT PAUSE; each of these costs one relaxed
//!   atomic load while it is off.
//! - `state`: what commands read and change besides the store: the state
//!   every connection shares (`Server`: store, settings, stats, the client
//!   registry, the blocked-client registry, the BUSY state of a long
//!   script, the script cache and function libraries, the per-command
//!   counters, the slow log, the latency monitor, the MONITOR clients, the
//!   pub/sub registry and each client's mailbox of pushed messages
//!   (`pubsub`), the keys tracking clients read (`tracking`), the
//!   CLIENT PAUSE state, the ACL users and log (`acl`), the clock) and
//!   each connection's own (`Client`, with the ACL user it is logged in
//!   as, and the `ClientHandle` that CLIENT LIST and CLIENT KILL reach).
//!   It knows no socket and spells no wire reply.
//! - `config`: flags, the config file and the runtime settings table
//!   behind CONFIG GET/SET.
//! - `protocol`: bytes to requests and replies to bytes, for RESP2/RESP3
//!   (`protocol::resp`: a resumable decoder and the reply encoder) and the
//!   memcached text protocol (`protocol::memcache`: a resumable parser and
//!   the reply lines). It never touches the store.
//! - `store`: databases of items in lock-striped shards (one hashbrown
//!   table of chunk handles per database in each shard, and the slot that
//!   reads and writes one key: `shard`; `Store::with_slot` hashes a key
//!   once, locks its shard and hands its slot to the caller), slab memory,
//!   eviction by priority and policy (`evict`), lazy and active expiry
//!   (`expire`), SCAN, and the key events (created, expired, evicted,
//!   changed) notifications and tracking need (`events`). Items live in slab chunks (`item`, `slab`); hashes,
//!   lists, sets and sorted sets are heap aggregates behind their chunk
//!   (`types`). What the CACHE.* commands do to one item (lock it, tag it,
//!   link it, give it a priority) is the slot's in `cache_item`; each table
//!   keeps its locked keys (`key_locks`) and its tags and dependency marks,
//!   indexes kept exact through every removal (`links`). Per-database
//!   defaults and limits are `policy`; `scope` makes a transaction or a
//!   script one atomic step. It never knows which protocol asked, and never
//!   reads the clock.
//! - `util`: leaf helpers that use nothing of the crate: exact number
//!   parsing and formatting, glob matching, argument splitting, cheap
//!   random numbers and the kernel's secure ones, SHA-256 (ACL password
//!   hashes), a raw monotonic clock, the lock helper.
//!
//! # The path of one request
//!
//! `GET k` arrives on a RESP connection: the connection loop reads it into
//! the connection's buffer and hands the buffer to the RESP session. Its
//! decoder finds the request's arguments in place, without copying;
//! `command::execute` looks `get` up, checks its arity (and, for a user
//! whose ACL rules limit it, that it may run GET on `k`) and calls its
//! handler with a `command::Ctx`. The handler runs the string operation
//! `string_ops::get_value`, which hashes the key once, locks its shard,
//! reads the entry and lets the handler encode the bulk reply straight into
//! the connection's output buffer. When every complete request of the batch
//! has run, the connection writes the output buffer with one call.
//!
//! `get k` on the memcached port takes the same way through the memcached
//! session: its parser finds the request in place, and the session hands it
//! to the memcached verbs of the command layer (`command::memcache`), which
//! call the same `string_ops::get_value` and write `VALUE k <flags> <bytes>`
//! lines (`protocol::memcache::reply`) into the same output buffer. Both
//! sessions stop decoding once a pass's replies reach 4 MB with requests
//! left, let the connection write them, and go on. What the socket does
//! not take waits in the output buffer while the connection reads and
//! executes on: up to 4 MB with no `client-output-buffer-limit` (then it
//! waits for the client to read), or until the limit closes the client.
//!
//! # What the crate exports
//!
//! The binary's entry points ([`Args`], [`Config`], [`run`], [`Running`])
//! and, for the criterion benches, the RESP codec ([`RespDecoder`],
//! [`Decoded`], [`Reply`]) and the store ([`Store`], [`Limits`],
//! [`EvictionPolicy`], [`Expiry`]). Everything else is `pub(crate)`.

mod command;
mod config;
mod protocol;
mod repl;
mod script;
mod server;
mod state;
mod store;
mod util;

pub use config::{Args, Config};
pub use protocol::resp::{Decoded, Reply, RespDecoder};
/// Entry points of the fuzz targets in `fuzz/`.
#[cfg(feature = "fuzzing")]
pub use server::fuzzing;
pub use server::{run, Running};
pub use store::{EvictionPolicy, Expiry, Limits, Store};
