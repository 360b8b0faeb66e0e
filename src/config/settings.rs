//! The runtime settings table behind CONFIG GET and CONFIG SET.
//!
//! It knows every parameter Redis 7.2 knows, with Redis's type, default,
//! bounds, aliases and mutability, so that clients and tools that read or
//! tune a Redis server get the answers they expect. Most parameters are
//! knobs with nothing behind them here; they are still validated, stored and
//! reported. The few ferrocache acts on are the memory limit (`maxmemory`,
//! `maxmemory-policy`, `maxmemory-samples` and the additions
//! `maxmemory-low-watermark` and `maxmemory-high-watermark`, gathered by
//! [`Settings::limits`] for the store), `memcache-evictions` (an addition:
//! memcached's `-M`), `proto-max-bulk-len` and `client-query-buffer-limit`;
//! those read on hot paths are also kept in atomics. `port`, `bind` and
//! the addition `memcache-port` start from the flags and move the
//! listeners when set (through the server's hook, see
//! [`Settings::set_many_listening`]); `databases` is fixed at start.

use super::Config;
use crate::store::{EvictionPolicy, Limits};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// How a parameter's value is read and checked.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `yes` or `no`.
    Bool,
    /// A decimal integer within bounds.
    Int(i128, i128),
    /// A byte count with an optional unit (`1gb`), within bounds.
    Mem(i128, i128),
    /// One word of a fixed set.
    Enum(&'static [&'static str]),
    /// Several words of a fixed set (`shutdown-on-sigint save now`).
    Flags(&'static [&'static str]),
    /// Any text.
    Str,
    /// Parameters with their own syntax, checked by [`check_special`].
    Special,
}

/// Set only at start-up (from the file or flags).
const IMMUTABLE: u8 = 1;
/// Refused by CONFIG SET unless `enable-protected-configs` allows it.
const PROTECTED: u8 = 2;
/// Left out of CONFIG GET patterns; named alone, given as any other
/// (Redis's testing knobs).
const HIDDEN: u8 = 4;

/// Binds the listeners to a `bind` value, the RESP port and the memcached
/// port, for CONFIG SET.
pub(crate) type Listen<'a> = dyn Fn(&str, u16, u16) -> std::io::Result<()> + 'a;

/// A parameter's declaration.
#[derive(Debug, Clone, Copy)]
struct Param {
    name: &'static str,
    /// The older name that reads and writes the same value, or "".
    alias: &'static str,
    kind: Kind,
    default: &'static str,
    flags: u8,
}

const fn p(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: "",
        kind,
        default,
        flags: 0,
    }
}

impl Param {
    const fn alias(mut self, alias: &'static str) -> Param {
        self.alias = alias;
        self
    }

    const fn immutable(mut self) -> Param {
        self.flags |= IMMUTABLE;
        self
    }

    const fn protected(mut self) -> Param {
        self.flags |= PROTECTED;
        self
    }

    const fn hidden(mut self) -> Param {
        self.flags |= HIDDEN;
        self
    }
}

use Kind::*;

const YES_NO_LOCAL: &[&str] = &["no", "yes", "local"];
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
/// The `maxmemory-policy` word for a policy, as CONFIG GET and INFO spell it.
pub(crate) fn policy_name(policy: EvictionPolicy) -> &'static str {
    match policy {
        EvictionPolicy::NoEviction => "noeviction",
        EvictionPolicy::AllKeysLru => "allkeys-lru",
        EvictionPolicy::VolatileLru => "volatile-lru",
        EvictionPolicy::AllKeysLfu => "allkeys-lfu",
        EvictionPolicy::VolatileLfu => "volatile-lfu",
        EvictionPolicy::AllKeysRandom => "allkeys-random",
        EvictionPolicy::VolatileRandom => "volatile-random",
        EvictionPolicy::VolatileTtl => "volatile-ttl",
    }
}

const SHUTDOWN: &[&str] = &["default", "save", "nosave", "now", "force"];
const B: Kind = Bool;
const STR: Kind = Str;

/// Every parameter, in name order. Defaults are Redis 7.2's.
const PARAMS: &[Param] = &[
    p(
        "acl-pubsub-default",
        Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
    ),
    p("aclfile", STR, "").immutable(),
    p("acllog-max-len", Int(0, LONG_MAX), "128"),
    p("active-defrag-cycle-max", Int(1, 99), "25"),
    p("active-defrag-cycle-min", Int(1, 99), "1"),
    p("active-defrag-ignore-bytes", Mem(1, LONG_MAX), "104857600"),
    p("active-defrag-max-scan-fields", Int(1, LONG_MAX), "1000"),
    p("active-defrag-threshold-lower", Int(0, 1000), "10"),
    p("active-defrag-threshold-upper", Int(0, 1000), "100"),
    p("active-expire-effort", Int(1, 10), "1"),
    p("activedefrag", B, "no"),
    p("activerehashing", B, "yes"),
    p("always-show-logo", B, "no").immutable(),
    p("aof-disable-auto-gc", B, "no"),
    p("aof-load-truncated", B, "yes"),
    p("aof-rewrite-incremental-fsync", B, "yes"),
    p("aof-timestamp-enabled", B, "no"),
    p("aof-use-rdb-preamble", B, "yes"),
    p("aof_rewrite_cpulist", STR, "").immutable(),
    p("appenddirname", STR, "appendonlydir").immutable(),
    p("appendfilename", STR, "appendonly.aof").immutable(),
    p("appendfsync", Enum(&["always", "everysec", "no"]), "everysec"),
    p("appendonly", B, "no"),
    p("auto-aof-rewrite-min-size", Mem(0, LONG_MAX), "67108864"),
    p("auto-aof-rewrite-percentage", Int(0, INT_MAX), "100"),
    p("bgsave_cpulist", STR, "").immutable(),
    p("bind", Special, "* -::*"),
    p("bind-source-addr", STR, ""),
    p("bio_cpulist", STR, "").immutable(),
    p("busy-reply-threshold", Int(0, LONG_MAX), "5000").alias("lua-time-limit"),
    p("client-output-buffer-limit", Special, DEFAULT_COBL),
    p("client-query-buffer-limit", Mem(1024 * 1024, LONG_MAX), "1073741824"),
    p("cluster-allow-pubsubshard-when-down", B, "yes"),
    p("cluster-allow-reads-when-down", B, "no"),
    p("cluster-allow-replica-migration", B, "yes"),
    p("cluster-announce-bus-port", Int(0, 65535), "0"),
    p("cluster-announce-hostname", STR, ""),
    p("cluster-announce-human-nodename", STR, ""),
    p("cluster-announce-ip", STR, ""),
    p("cluster-announce-port", Int(0, 65535), "0"),
    p("cluster-announce-tls-port", Int(0, 65535), "0"),
    p("cluster-config-file", STR, "nodes.conf").immutable(),
    p("cluster-enabled", B, "no").immutable(),
    p("cluster-link-sendbuf-limit", Mem(0, LONG_MAX), "0"),
    p("cluster-migration-barrier", Int(0, INT_MAX), "1"),
    p("cluster-node-timeout", Int(0, LONG_MAX), "15000"),
    p("cluster-port", Int(0, 65535), "0").immutable(),
    p(
        "cluster-preferred-endpoint-type",
        Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip",
    ),
    p("cluster-replica-no-failover", B, "no").alias("cluster-slave-no-failover"),
    p("cluster-replica-validity-factor", Int(0, INT_MAX), "10").alias("cluster-slave-validity-factor"),
    p("cluster-require-full-coverage", B, "yes"),
    p("crash-log-enabled", B, "yes"),
    p("crash-memcheck-enabled", B, "yes"),
    p("daemonize", B, "no").immutable(),
    p("databases", Int(1, INT_MAX), "16").immutable(),
    p("dbfilename", STR, "dump.rdb").protected(),
    p("dir", Special, ".").protected(),
    p("disable-thp", B, "yes").immutable(),
    p("dynamic-hz", B, "yes"),
    p("enable-debug-command", Enum(YES_NO_LOCAL), "no").immutable(),
    p("enable-module-command", Enum(YES_NO_LOCAL), "no").immutable(),
    p("enable-protected-configs", Enum(YES_NO_LOCAL), "no").immutable(),
    p("hash-max-listpack-entries", Int(0, LONG_MAX), "512").alias("hash-max-ziplist-entries"),
    p("hash-max-listpack-value", Mem(0, LONG_MAX), "64").alias("hash-max-ziplist-value"),
    p("hll-sparse-max-bytes", Mem(0, LONG_MAX), "3000"),
    p("hz", Int(0, INT_MAX), "10"),
    p("ignore-warnings", STR, ""),
    p("io-threads", Int(1, 128), "1").immutable(),
    p("io-threads-do-reads", B, "no").immutable(),
    p("jemalloc-bg-thread", B, "yes"),
    p("key-load-delay", Int(-INT_MAX - 1, INT_MAX), "0").hidden(),
    p("latency-monitor-threshold", Int(0, LONG_MAX), "0"),
    p("latency-tracking", B, "yes"),
    p("latency-tracking-info-percentiles", Special, "50 99 99.9"),
    p("lazyfree-lazy-eviction", B, "no"),
    p("lazyfree-lazy-expire", B, "no"),
    p("lazyfree-lazy-server-del", B, "no"),
    p("lazyfree-lazy-user-del", B, "no"),
    p("lazyfree-lazy-user-flush", B, "no"),
    p("lfu-decay-time", Int(0, INT_MAX), "1"),
    p("lfu-log-factor", Int(0, INT_MAX), "10"),
    p("list-compress-depth", Int(0, INT_MAX), "0"),
    p("list-max-listpack-size", Int(i32::MIN as i128, INT_MAX), "-2").alias("list-max-ziplist-size"),
    p("loading-process-events-interval-bytes", Int(1024, INT_MAX), "2097152").hidden(),
    p("locale-collate", STR, ""),
    // ferrocache's: seconds a CACHE.LOCK holds when its lock-ms is 0
    // (the default: 90 s).
    p("lock-timeout", Int(1, INT_MAX), "90"),
    p("logfile", STR, "").immutable(),
    p(
        "loglevel",
        Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
    ),
    p("masterauth", STR, ""),
    p("masteruser", STR, ""),
    p("max-item-size", Mem(1, LONG_MAX), "1048576"),
    p("maxclients", Int(1, UINT_MAX), "10000"),
    p("maxmemory", Mem(0, ULLONG_MAX), "0"),
    p("maxmemory-clients", Special, "0"),
    p("maxmemory-eviction-tenacity", Int(0, 100), "10"),
    // ferrocache's: percentages of maxmemory. Above the high watermark
    // eviction runs, down to the low one; above the low one expired items
    // are purged ahead of their turn. 100/100 is Redis's behaviour.
    p("maxmemory-high-watermark", Int(1, 100), "100"),
    p("maxmemory-low-watermark", Int(1, 100), "95"),
    p("maxmemory-policy", Enum(POLICIES), "noeviction"),
    p("maxmemory-samples", Int(1, INT_MAX), "5"),
    // ferrocache's: whether memcached writes evict when memory is full
    // (memcached's default) or fail (`-M`).
    p("memcache-evictions", B, "yes"),
    p("memcache-port", Int(0, 65535), "11211"),
    p("min-replicas-max-lag", Int(0, INT_MAX), "10").alias("min-slaves-max-lag"),
    p("min-replicas-to-write", Int(0, INT_MAX), "0").alias("min-slaves-to-write"),
    p("no-appendfsync-on-rewrite", B, "no"),
    p("notify-keyspace-events", Special, ""),
    p("oom-score-adj", Enum(&["no", "yes", "relative", "absolute"]), "no"),
    p("oom-score-adj-values", Special, "0 200 800"),
    p("pidfile", STR, "").immutable(),
    // CONFIG SET port and bind rebind the listeners (the `listen` hook of
    // Settings::set_many_listening).
    p("port", Int(0, 65535), "6379"),
    p("proc-title-template", STR, "{title} {listen-addr} {server-mode}"),
    p(
        "propagation-error-behavior",
        Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
    ),
    p("protected-mode", B, "yes"),
    p("proto-max-bulk-len", Mem(1024 * 1024, LONG_MAX), "536870912"),
    p("rdb-del-sync-files", B, "no"),
    p("rdb-key-save-delay", Int(-INT_MAX - 1, INT_MAX), "0").hidden(),
    p("rdb-save-incremental-fsync", B, "yes"),
    p("rdbchecksum", B, "yes").immutable(),
    p("rdbcompression", B, "yes"),
    p("repl-backlog-size", Mem(1, LONG_MAX), "1048576"),
    p("repl-backlog-ttl", Int(0, INT_MAX), "3600"),
    p("repl-disable-tcp-nodelay", B, "no"),
    p(
        "repl-diskless-load",
        Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
    ),
    p("repl-diskless-sync", B, "yes"),
    p("repl-diskless-sync-delay", Int(0, INT_MAX), "5"),
    p("repl-diskless-sync-max-replicas", Int(0, INT_MAX), "0"),
    p("repl-ping-replica-period", Int(1, INT_MAX), "10").alias("repl-ping-slave-period"),
    p("repl-timeout", Int(1, INT_MAX), "60"),
    p("replica-announce-ip", STR, "").alias("slave-announce-ip"),
    p("replica-announce-port", Int(0, 65535), "0").alias("slave-announce-port"),
    p("replica-announced", B, "yes"),
    p("replica-ignore-disk-write-errors", B, "no"),
    p("replica-ignore-maxmemory", B, "yes").alias("slave-ignore-maxmemory"),
    p("replica-lazy-flush", B, "no").alias("slave-lazy-flush"),
    p("replica-priority", Int(0, INT_MAX), "100").alias("slave-priority"),
    p("replica-read-only", B, "yes").alias("slave-read-only"),
    p("replica-serve-stale-data", B, "yes").alias("slave-serve-stale-data"),
    p("replicaof", Special, "").alias("slaveof").immutable(),
    p("requirepass", STR, ""),
    p("sanitize-dump-payload", Enum(&["no", "yes", "clients"]), "no"),
    // Nothing is ever saved, so the schedule reads as empty (Redis's own
    // default is "3600 1 300 100 60 10000"); tools that check it see no
    // snapshots coming.
    p("save", Special, ""),
    p("server_cpulist", STR, "").immutable(),
    p("set-max-intset-entries", Int(0, LONG_MAX), "512"),
    p("set-max-listpack-entries", Int(0, LONG_MAX), "128"),
    p("set-max-listpack-value", Mem(0, LONG_MAX), "64"),
    p("set-proc-title", B, "yes").immutable(),
    p("shutdown-on-sigint", Flags(SHUTDOWN), "default"),
    p("shutdown-on-sigterm", Flags(SHUTDOWN), "default"),
    p("shutdown-timeout", Int(0, INT_MAX), "10"),
    p("slowlog-log-slower-than", Int(-1, LONG_MAX), "10000"),
    p("slowlog-max-len", Int(0, LONG_MAX), "128"),
    p("socket-mark-id", Int(0, UINT_MAX), "0").immutable(),
    p("stop-writes-on-bgsave-error", B, "yes"),
    p("stream-node-max-bytes", Mem(0, LONG_MAX), "4096"),
    p("stream-node-max-entries", Int(0, LONG_MAX), "100"),
    p("supervised", Enum(&["upstart", "systemd", "auto", "no"]), "no").immutable(),
    // ferrocache's: the replicas that must acknowledge a write before its
    // reply goes out, and the milliseconds they have.
    p("sync-replicas", Int(0, INT_MAX), "0"),
    p("sync-replicas-timeout", Int(1, INT_MAX), "1000"),
    p("syslog-enabled", B, "no").immutable(),
    p(
        "syslog-facility",
        Enum(&[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ]),
        "local0",
    )
    .immutable(),
    p("syslog-ident", STR, "redis").immutable(),
    p("tcp-backlog", Int(0, INT_MAX), "511").immutable(),
    p("tcp-keepalive", Int(0, INT_MAX), "300"),
    p("timeout", Int(0, LONG_MAX), "0"),
    p("tls-auth-clients", Enum(&["no", "yes", "optional"]), "yes"),
    p("tls-ca-cert-dir", STR, ""),
    p("tls-ca-cert-file", STR, ""),
    p("tls-cert-file", STR, ""),
    p("tls-ciphers", STR, ""),
    p("tls-ciphersuites", STR, ""),
    p("tls-client-cert-file", STR, ""),
    p("tls-client-key-file", STR, ""),
    p("tls-client-key-file-pass", STR, ""),
    p("tls-cluster", B, "no"),
    p("tls-dh-params-file", STR, ""),
    p("tls-key-file", STR, ""),
    p("tls-key-file-pass", STR, ""),
    p("tls-port", Int(0, 65535), "0"),
    p("tls-prefer-server-ciphers", B, "no"),
    p("tls-protocols", STR, ""),
    p("tls-replication", B, "no"),
    p("tls-session-cache-size", Int(0, INT_MAX), "20480"),
    p("tls-session-cache-timeout", Int(0, INT_MAX), "300"),
    p("tls-session-caching", B, "yes"),
    p("tracking-table-max-keys", Int(0, LONG_MAX), "1000000"),
    p("unixsocket", STR, "").immutable(),
    p("unixsocketperm", Special, "0").immutable(),
    p("use-exit-on-panic", B, "no").hidden(),
    p("watchdog-period", Int(0, INT_MAX), "0").hidden(),
    p("zset-max-listpack-entries", Int(0, LONG_MAX), "128").alias("zset-max-ziplist-entries"),
    p("zset-max-listpack-value", Mem(0, LONG_MAX), "64").alias("zset-max-ziplist-value"),
];

const DEFAULT_COBL: &str = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/// Why a CONFIG SET was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SetError {
    /// No such parameter (or an odd argument count): Redis's own wording.
    Unknown(String),
    /// The named parameter refused its value, for `reason`.
    Failed { name: String, reason: String },
}

/// For logs (a config file's line refused at start-up); CONFIG SET
/// replies in Redis's words, which `command::errors` spells.
impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetError::Unknown(name) => write!(f, "unknown parameter '{name}'"),
            SetError::Failed { name, reason } => write!(f, "'{name}': {reason}"),
        }
    }
}

pub(crate) struct Settings {
    values: RwLock<BTreeMap<&'static str, String>>,
    proto_max_bulk_len: AtomicU64,
    max_item_size: AtomicU64,
    query_buffer_limit: AtomicU64,
    maxmemory: AtomicU64,
    memcache_evictions: AtomicBool,
    lock_timeout_ms: AtomicU64,
    /// `min-replicas-to-write` and `sync-replicas`: read by every write,
    /// so kept where one load finds them.
    min_replicas: AtomicU64,
    sync_replicas: AtomicU64,
    /// `notify-keyspace-events` as class bits ([`notify`]).
    notify: std::sync::atomic::AtomicU32,
    /// `client-output-buffer-limit` of the normal and pubsub classes:
    /// hard bytes, soft bytes, soft seconds.
    normal_output_limit: [AtomicU64; 3],
    pubsub_output_limit: [AtomicU64; 3],
    replica_output_limit: [AtomicU64; 3],
}

/// One class's `client-output-buffer-limit`: a client whose unsent
/// output reaches `hard` bytes is closed at once, one that stays at or
/// above `soft` bytes for more than `soft_secs` seconds too; 0 turns a
/// limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct OutputLimit {
    pub(crate) hard: u64,
    pub(crate) soft: u64,
    pub(crate) soft_secs: u64,
}

/// The parameters [`Settings::limits`] reads: a change to one of them
/// must reach the store.
const LIMIT_PARAMS: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "maxmemory-low-watermark",
    "maxmemory-high-watermark",
];

/// The parameters the command path mirrors in atomics
/// (`Server::push_observability`).
const OBSERVABILITY_PARAMS: &[&str] = &[
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
    "latency-tracking",
];

/// Refuses a low watermark above the high one: eviction would stop above
/// where it starts. The reason is in the words of CONFIG SET's other
/// refusals.
pub(crate) fn check_watermarks(low: i64, high: i64) -> Result<(), String> {
    if low > high {
        Err(format!(
            "maxmemory-low-watermark ({low}) can't be greater than maxmemory-high-watermark ({high})"
        ))
    } else {
        Ok(())
    }
}

fn find(name: &str) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name) || (!p.alias.is_empty() && p.alias.eq_ignore_ascii_case(name)))
}

impl Settings {
    pub(crate) fn new(config: &Config) -> Settings {
        let mut values: BTreeMap<&'static str, String> =
            PARAMS.iter().map(|p| (p.name, p.default.to_string())).collect();
        values.insert("port", config.port.to_string());
        values.insert("memcache-port", config.memcache_port.to_string());
        values.insert("bind", config.bind.clone());
        values.insert("databases", config.databases.to_string());
        values.insert("max-item-size", config.max_item_size.to_string());
        let dir = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        values.insert("dir", dir);
        let s = Settings {
            values: RwLock::new(values),
            proto_max_bulk_len: AtomicU64::new(512 * 1024 * 1024),
            max_item_size: AtomicU64::new(config.max_item_size),
            query_buffer_limit: AtomicU64::new(1024 * 1024 * 1024),
            maxmemory: AtomicU64::new(0),
            memcache_evictions: AtomicBool::new(true),
            lock_timeout_ms: AtomicU64::new(90_000),
            min_replicas: AtomicU64::new(0),
            sync_replicas: AtomicU64::new(0),
            notify: Default::default(),
            normal_output_limit: Default::default(),
            pubsub_output_limit: Default::default(),
            replica_output_limit: Default::default(),
        };
        s.store_output_limits(DEFAULT_COBL);
        for (k, v) in &config.overrides {
            if let Err(e) = s.apply(&[(k.as_str(), v.as_str())], true, None) {
                tracing::warn!("config file: {e}");
            }
        }
        s
    }

    /// Checks a value given for `name` at start-up (config file), with the
    /// reason in CONFIG SET's words when it is refused.
    pub(crate) fn check_startup(name: &str, value: &str) -> Result<(), String> {
        let p = find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        check(p, value, p.default).map(|_| ())
    }

    /// True for every parameter name (or alias) the table knows.
    pub(crate) fn knows(name: &str) -> bool {
        find(name).is_some()
    }

    /// True when `name` is one of the parameters behind [`Settings::limits`].
    pub(crate) fn affects_limits(name: &str) -> bool {
        find(name).is_some_and(|p| LIMIT_PARAMS.contains(&p.name))
    }

    /// True when `name` is one of the slow log's, the latency monitor's or
    /// latency tracking's parameters.
    pub(crate) fn affects_observability(name: &str) -> bool {
        find(name).is_some_and(|p| OBSERVABILITY_PARAMS.contains(&p.name))
    }

    /// The value of one parameter, by name or alias in any letter case.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let p = find(name)?;
        let v = self.values.read().unwrap_or_else(|p| p.into_inner());
        v.get(p.name).cloned()
    }

    /// The parameters a CONFIG GET pattern selects, as (name, value). A
    /// pattern without glob characters names one parameter and is echoed
    /// as given, as Redis does; a glob matches names and aliases alike.
    pub(crate) fn matching(&self, pattern: &str) -> Vec<(String, String)> {
        let v = self.values.read().unwrap_or_else(|p| p.into_inner());
        if !pattern.contains(['*', '?', '[']) {
            return find(pattern)
                .and_then(|p| v.get(p.name))
                .map(|val| vec![(pattern.to_string(), val.clone())])
                .unwrap_or_default();
        }
        let mut out = Vec::new();
        for p in PARAMS.iter().filter(|p| p.flags & HIDDEN == 0) {
            for name in [p.name, p.alias] {
                if !name.is_empty() && crate::util::glob::matches(pattern.as_bytes(), name.as_bytes(), true) {
                    out.push((name.to_string(), v.get(p.name).cloned().unwrap_or_default()));
                }
            }
        }
        out
    }

    #[cfg(test)]
    /// Sets one parameter, as `CONFIG SET name value`.
    pub(crate) fn set(&self, name: &str, value: &str) -> Result<(), SetError> {
        self.set_many(&[(name, value)])
    }

    /// Sets several parameters at once: either all take their new values
    /// or, when one is refused, none changes.
    pub(crate) fn set_many(&self, pairs: &[(&str, &str)]) -> Result<(), SetError> {
        self.apply(pairs, false, None)
    }

    /// As [`Settings::set_many`], and when `bind`, `port` or
    /// `memcache-port` changes, calls `listen(bind, port, memcache_port)`
    /// with the new values before anything changes; when
    /// it fails (the port is taken, an address is not this host's), nothing
    /// changes and the parameter named first among the changed ones is
    /// blamed, in Redis's words.
    pub(crate) fn set_many_listening(&self, pairs: &[(&str, &str)], listen: &Listen<'_>) -> Result<(), SetError> {
        self.apply(pairs, false, Some(listen))
    }

    fn apply(&self, pairs: &[(&str, &str)], startup: bool, listen: Option<&Listen<'_>>) -> Result<(), SetError> {
        let mut staged: Vec<(&'static Param, String)> = Vec::with_capacity(pairs.len());
        let protected_ok = !startup
            && self
                .get("enable-protected-configs")
                .is_some_and(|v| v == "yes" || v == "local");
        for &(name, value) in pairs {
            let Some(p) = find(name) else {
                return Err(SetError::Unknown(name.to_string()));
            };
            let fail = |reason: &str| SetError::Failed {
                name: name.to_string(),
                reason: reason.to_string(),
            };
            if !startup && p.flags & IMMUTABLE != 0 {
                return Err(fail("can't set immutable config"));
            }
            if !startup && p.flags & PROTECTED != 0 && !protected_ok {
                return Err(fail("can't set protected config"));
            }
            if staged.iter().any(|(q, _)| q.name == p.name) {
                return Err(fail("duplicate parameter"));
            }
            let current = self.get(p.name).unwrap_or_default();
            let v = check(p, value, &current).map_err(|r| fail(&r))?;
            staged.push((p, v));
        }
        let mut values = self.values.write().unwrap_or_else(|p| p.into_inner());
        // Under the write lock, so two CONFIG SETs cannot each pass and
        // together cross the watermarks. At start-up the file's lines come
        // one at a time, so the pair is checked once all are in
        // (Config::from_args).
        if !startup {
            check_staged_watermarks(&values, pairs, &staged)?;
        }
        if let Some(listen) = listen {
            listen_staged(&values, &staged, listen)?;
        }
        for (p, v) in staged {
            let num = || parse_memory_value(&v).unwrap_or(0) as u64;
            match p.name {
                "proto-max-bulk-len" => self.proto_max_bulk_len.store(num(), Ordering::Relaxed),
                "max-item-size" => self.max_item_size.store(num(), Ordering::Relaxed),
                "client-query-buffer-limit" => self.query_buffer_limit.store(num(), Ordering::Relaxed),
                "maxmemory" => self.maxmemory.store(num(), Ordering::Relaxed),
                "memcache-evictions" => self.memcache_evictions.store(v == "yes", Ordering::Relaxed),
                "client-output-buffer-limit" => self.store_output_limits(&v),
                "notify-keyspace-events" => self.notify.store(notify_flags(&v).unwrap_or(0), Ordering::Relaxed),
                "lock-timeout" => self
                    .lock_timeout_ms
                    .store(num().saturating_mul(1000), Ordering::Relaxed),
                "min-replicas-to-write" => self.min_replicas.store(num(), Ordering::Relaxed),
                "sync-replicas" => self.sync_replicas.store(num(), Ordering::Relaxed),
                _ => {}
            }
            values.insert(p.name, v);
        }
        Ok(())
    }

    /// `min-replicas-to-write`: one relaxed load.
    pub(crate) fn min_replicas(&self) -> u64 {
        self.min_replicas.load(Ordering::Relaxed)
    }

    /// `sync-replicas`: one relaxed load.
    pub(crate) fn sync_replicas(&self) -> u64 {
        self.sync_replicas.load(Ordering::Relaxed)
    }

    /// The memory limit the store enforces, from `maxmemory`,
    /// `maxmemory-policy`, `maxmemory-samples` and the two watermarks.
    pub(crate) fn limits(&self) -> Limits {
        let d = Limits::default();
        let int = |name: &str, default: i64| self.int(name).unwrap_or(default);
        Limits {
            maxmemory: self.maxmemory(),
            policy: EvictionPolicy::parse(&self.maxmemory_policy()).unwrap_or(d.policy),
            low_watermark: int("maxmemory-low-watermark", d.low_watermark as i64).clamp(1, 100) as u8,
            high_watermark: int("maxmemory-high-watermark", d.high_watermark as i64).clamp(1, 100) as u8,
            samples: int("maxmemory-samples", d.samples as i64).max(1) as usize,
        }
    }

    /// False when memcached writes must fail rather than evict when
    /// memory is full (`memcache-evictions no`, memcached's `-M`).
    pub(crate) fn memcache_evictions(&self) -> bool {
        self.memcache_evictions.load(Ordering::Relaxed)
    }

    /// The classes of keyspace events published ([`notify`] bits).
    #[inline]
    pub(crate) fn notify_flags(&self) -> u32 {
        self.notify.load(Ordering::Relaxed)
    }

    /// How long a CACHE.LOCK that gives no time holds, in ms
    /// (`lock-timeout`, in seconds).
    pub(crate) fn lock_timeout_ms(&self) -> u64 {
        self.lock_timeout_ms.load(Ordering::Relaxed)
    }

    /// Keeps the normal and pubsub classes of a canonical
    /// `client-output-buffer-limit` value where connections read them.
    fn store_output_limits(&self, v: &str) {
        let words: Vec<&str> = v.split(' ').collect();
        for g in words.chunks(4).filter(|g| g.len() == 4) {
            let slot = match g[0] {
                "normal" => &self.normal_output_limit,
                "pubsub" => &self.pubsub_output_limit,
                "slave" => &self.replica_output_limit,
                _ => continue,
            };
            for (a, w) in slot.iter().zip(&g[1..]) {
                a.store(w.parse().unwrap_or(0), Ordering::Relaxed);
            }
        }
    }

    /// The output limit of normal clients (`pubsub` false) or of clients
    /// subscribed to channels.
    pub(crate) fn output_limit(&self, pubsub: bool) -> OutputLimit {
        let a = match pubsub {
            false => &self.normal_output_limit,
            true => &self.pubsub_output_limit,
        };
        OutputLimit {
            hard: a[0].load(Ordering::Relaxed),
            soft: a[1].load(Ordering::Relaxed),
            soft_secs: a[2].load(Ordering::Relaxed),
        }
    }

    /// How far a replica may fall behind the replication stream: the
    /// replica class of `client-output-buffer-limit`.
    pub(crate) fn replica_output_limit(&self) -> OutputLimit {
        let a = &self.replica_output_limit;
        OutputLimit {
            hard: a[0].load(Ordering::Relaxed),
            soft: a[1].load(Ordering::Relaxed),
            soft_secs: a[2].load(Ordering::Relaxed),
        }
    }

    /// The largest memcached value (`max-item-size`, memcached's `-I`);
    /// a connection reads it when it opens.
    pub(crate) fn max_item_size(&self) -> usize {
        self.max_item_size.load(Ordering::Relaxed) as usize
    }

    pub(crate) fn proto_max_bulk_len(&self) -> usize {
        self.proto_max_bulk_len.load(Ordering::Relaxed) as usize
    }

    pub(crate) fn client_query_buffer_limit(&self) -> usize {
        self.query_buffer_limit.load(Ordering::Relaxed) as usize
    }

    /// Bytes of data the server may hold; 0 for no limit.
    pub(crate) fn maxmemory(&self) -> u64 {
        self.maxmemory.load(Ordering::Relaxed)
    }

    /// The eviction policy's name (`noeviction`, `allkeys-lru` ...).
    pub(crate) fn maxmemory_policy(&self) -> String {
        self.get("maxmemory-policy").unwrap_or_else(|| "noeviction".into())
    }

    /// An integer parameter's value (bool as 0/1); None for other kinds.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        match v.as_str() {
            "yes" => Some(1),
            "no" => Some(0),
            _ => v.parse().ok(),
        }
    }

    /// A config file's text with the current values written in: lines
    /// that set a known parameter take its value (once; repeats are
    /// dropped), comments and unknown lines stay, and parameters that
    /// differ from their defaults but were absent are appended.
    pub(crate) fn rewrite(&self, old: &str) -> String {
        let mut out = String::new();
        let mut written: Vec<&'static str> = Vec::new();
        for line in old.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            match find(name) {
                Some(p) if !line.trim_start().starts_with('#') => {
                    if !written.contains(&p.name) {
                        written.push(p.name);
                        out.push_str(&self.directive(p));
                    }
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for p in PARAMS {
            let changed = self.get(p.name).is_some_and(|v| v != p.default);
            if changed && !written.contains(&p.name) {
                if !header {
                    out.push_str("# Generated by CONFIG REWRITE\n");
                    header = true;
                }
                out.push_str(&self.directive(p));
            }
        }
        out
    }

    /// One `name value` line; free text is quoted so it reads back as one word.
    fn directive(&self, p: &Param) -> String {
        let v = self.get(p.name).unwrap_or_default();
        match p.kind {
            Str if v.is_empty() || v.contains([' ', '"', '\'']) => {
                format!("{} \"{}\"\n", p.name, v.replace('\\', "\\\\").replace('"', "\\\""))
            }
            _ => format!("{} {v}\n", p.name),
        }
    }

    /// Puts every mutable parameter back to its default (for tests and
    /// CONFIG RESETSTAT's siblings); start-up values stay.
    #[cfg(test)]
    fn reset_mutable(&self) {
        for p in PARAMS.iter().filter(|p| p.flags == 0) {
            let _ = self.set(p.name, p.default);
        }
    }
}

/// Checks the watermarks as they would be once `staged` is applied over
/// `values`; a refusal names the first watermark `pairs` set.
/// Rebinds the listeners when `staged` changes `bind` or a port; see
/// [`Settings::set_many_listening`].
fn listen_staged(
    values: &BTreeMap<&'static str, String>,
    staged: &[(&'static Param, String)],
    listen: &Listen<'_>,
) -> Result<(), SetError> {
    let current = |name: &str| values.get(name).cloned().unwrap_or_default();
    let new = |name: &str| staged.iter().find(|(p, _)| p.name == name).map(|(_, v)| v.clone());
    let changed: Vec<&'static str> = staged
        .iter()
        .filter(|(p, v)| matches!(p.name, "bind" | "port" | "memcache-port") && *v != current(p.name))
        .map(|(p, _)| p.name)
        .collect();
    let Some(&first) = changed.first() else {
        return Ok(());
    };
    let bind = new("bind").unwrap_or_else(|| current("bind"));
    let port = |name: &str| new(name).unwrap_or_else(|| current(name)).parse().unwrap_or(0);
    listen(&bind, port("port"), port("memcache-port")).map_err(|e| SetError::Failed {
        name: first.to_string(),
        reason: if first != "bind" {
            format!("Unable to listen on this port: {}", strerror(&e))
        } else {
            "Failed to bind to specified addresses.".to_string()
        },
    })
}

/// The C library's words for an OS error, without Rust's " (os error N)".
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn check_staged_watermarks(
    values: &BTreeMap<&'static str, String>,
    pairs: &[(&str, &str)],
    staged: &[(&'static Param, String)],
) -> Result<(), SetError> {
    const LOW: &str = "maxmemory-low-watermark";
    const HIGH: &str = "maxmemory-high-watermark";
    let Some(&(named, _)) = pairs
        .iter()
        .find(|(n, _)| LOW.eq_ignore_ascii_case(n) || HIGH.eq_ignore_ascii_case(n))
    else {
        return Ok(());
    };
    let after = |name: &str| -> i64 {
        staged
            .iter()
            .find(|(p, _)| p.name == name)
            .map(|(_, v)| v)
            .or_else(|| values.get(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    check_watermarks(after(LOW), after(HIGH)).map_err(|reason| SetError::Failed {
        name: named.to_string(),
        reason,
    })
}

/// Reads a memory value (`1024`, `1k`, `1kb`, `1gb` ...) strictly, as
/// redis.conf does: digits, then an optional unit.
fn parse_memory_value(s: &str) -> Option<i128> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if split == 0 {
        return None;
    }
    super::parse_memory(s).map(|v| v as i128)
}

/// Validates `value` for `p`, returning the form CONFIG GET will report.
/// `current` is the value before the change, for parameters that merge.
fn check(p: &Param, value: &str, current: &str) -> Result<String, String> {
    let range = |v: i128, lo: i128, hi: i128| {
        if v < lo || v > hi {
            Err(format!("argument must be between {lo} and {hi} inclusive"))
        } else {
            Ok(v)
        }
    };
    match p.kind {
        // Taking `yes` silently would let a user believe writes are logged.
        Bool if p.name == "appendonly" && value.eq_ignore_ascii_case("yes") => {
            Err("ferrocache keeps no append-only file: appendonly can only be 'no'".into())
        }
        Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Int(lo, hi) => {
            let v = crate::util::number::parse_i64_exact(value.as_bytes())
                .ok_or("argument couldn't be parsed into an integer")?;
            let v = range(v as i128, lo, hi)?;
            // Redis clamps hz to what its timer can serve.
            let v = if p.name == "hz" { v.clamp(1, 500) } else { v };
            Ok(v.to_string())
        }
        Mem(lo, hi) => {
            let v = parse_memory_value(value).ok_or("argument must be a memory value")?;
            Ok(range(v, lo, hi)?.to_string())
        }
        Enum(words) => {
            let l = value.to_ascii_lowercase();
            if words.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(one_of(words))
            }
        }
        Flags(words) => {
            let picked: Vec<String> = value.split(' ').map(|w| w.to_ascii_lowercase()).collect();
            if picked.iter().any(|w| !words.contains(&w.as_str())) {
                return Err(one_of(words));
            }
            if picked.iter().any(|w| w == "save") && picked.iter().any(|w| w == "nosave") {
                return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
            }
            Ok(picked.join(" "))
        }
        Str => Ok(value.to_string()),
        Special => check_special(p.name, value, current),
    }
}

/// An I/O error in the C library's words (strerror), as Redis reports it.
fn io_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    // Rust adds " (os error N)" to the system's message.
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn one_of(words: &[&str]) -> String {
    format!("argument(s) must be one of the following: {}", words.join(", "))
}

/// The parameters with a syntax of their own, in Redis's words.
fn check_special(name: &str, value: &str, current: &str) -> Result<String, String> {
    let words: Vec<&str> = value.split(' ').filter(|w| !w.is_empty()).collect();
    match name {
        "save" => {
            let nums: Option<Vec<u64>> = words.iter().map(|w| w.parse().ok()).collect();
            match nums {
                Some(n) if n.len().is_multiple_of(2) => Ok(words.join(" ")),
                _ => Err("Invalid save parameters".into()),
            }
        }
        "bind" => {
            if words.is_empty() || words.len() > 16 {
                Err("Too many bind addresses specified.".into())
            } else {
                Ok(words.join(" "))
            }
        }
        // Redis changes its working directory to it; here saves and loads
        // name it. Either way it must be a directory, and it is kept
        // absolute, as Redis's CONFIG GET shows its working directory.
        "dir" => match std::fs::canonicalize(value) {
            Ok(p) if p.is_dir() => Ok(p.display().to_string()),
            Ok(_) => Err("Not a directory".into()),
            Err(e) => Err(io_error_text(&e)),
        },
        "replicaof" => Ok(value.to_string()),
        "unixsocketperm" => match u32::from_str_radix(value, 8) {
            Ok(v) if v <= 0o777 => Ok(format!("{v:o}")),
            _ => Err("argument must be between 0 and 777 inclusive".into()),
        },
        "maxmemory-clients" => {
            if let Some(pct) = value.strip_suffix('%') {
                let v: u64 = pct.parse().map_err(|_| "argument must be a memory or percent value")?;
                if v > 100 {
                    return Err("percentage argument must be less or equal to 100".into());
                }
                Ok(format!("{v}%"))
            } else {
                let v = parse_memory_value(value).ok_or("argument must be a memory or percent value")?;
                Ok(v.to_string())
            }
        }
        "notify-keyspace-events" => notify_flags(value).map(notify_string),
        "oom-score-adj-values" => {
            if words.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut out = Vec::new();
            for w in &words {
                match w.parse::<i32>() {
                    Ok(v) if (-2000..=2000).contains(&v) => out.push(v.to_string()),
                    _ => return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into()),
                }
            }
            Ok(out.join(" "))
        }
        "latency-tracking-info-percentiles" => {
            let mut out = Vec::new();
            for w in &words {
                let v: f64 = w
                    .parse()
                    .map_err(|_| "Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                out.push(v.to_string());
            }
            Ok(out.join(" "))
        }
        "client-output-buffer-limit" => merge_cobl(&words, current),
        _ => Ok(value.to_string()),
    }
}

/// The bits of `notify-keyspace-events`: Redis's, and ferrocache's own
/// class for the CACHE.* commands.
pub(crate) mod notify {
    /// `K`: events on `__keyspace@<db>__:<key>`.
    pub(crate) const KEYSPACE: u32 = 1;
    /// `E`: events on `__keyevent@<db>__:<event>`.
    pub(crate) const KEYEVENT: u32 = 1 << 1;
    pub(crate) const GENERIC: u32 = 1 << 2;
    pub(crate) const STRING: u32 = 1 << 3;
    pub(crate) const LIST: u32 = 1 << 4;
    pub(crate) const SET: u32 = 1 << 5;
    pub(crate) const HASH: u32 = 1 << 6;
    pub(crate) const ZSET: u32 = 1 << 7;
    pub(crate) const EXPIRED: u32 = 1 << 8;
    pub(crate) const EVICTED: u32 = 1 << 9;
    pub(crate) const STREAM: u32 = 1 << 10;
    pub(crate) const KEY_MISS: u32 = 1 << 11;
    pub(crate) const MODULE: u32 = 1 << 13;
    pub(crate) const NEW: u32 = 1 << 14;
    /// `c`: what the CACHE.* commands do to items (locks, puts, cascades).
    pub(crate) const CACHE: u32 = 1 << 15;
    /// `A`: Redis's alias, `g$lshzxetd`; the cache class is apart.
    pub(crate) const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// The classes `A` stands for, in the order Redis prints them.
const NOTIFY_CLASSES: &[(char, u32)] = &[
    ('g', notify::GENERIC),
    ('$', notify::STRING),
    ('l', notify::LIST),
    ('s', notify::SET),
    ('h', notify::HASH),
    ('z', notify::ZSET),
    ('x', notify::EXPIRED),
    ('e', notify::EVICTED),
    ('t', notify::STREAM),
    ('d', notify::MODULE),
];
/// The letters outside `A`, printed after the classes.
const NOTIFY_OTHERS: &[(char, u32)] = &[
    ('K', notify::KEYSPACE),
    ('E', notify::KEYEVENT),
    ('m', notify::KEY_MISS),
    ('n', notify::NEW),
    ('c', notify::CACHE),
];

fn notify_flags(s: &str) -> Result<u32, String> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => notify::ALL,
            c => NOTIFY_CLASSES
                .iter()
                .chain(NOTIFY_OTHERS)
                .find(|(k, _)| *k == c)
                .map(|(_, b)| *b)
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?,
        };
    }
    Ok(f)
}

fn notify_string(f: u32) -> String {
    let mut s = String::new();
    if f & notify::ALL == notify::ALL {
        s.push('A');
    } else {
        s.extend(NOTIFY_CLASSES.iter().filter(|(_, b)| f & b != 0).map(|(c, _)| *c));
    }
    s.extend(NOTIFY_OTHERS.iter().filter(|(_, b)| f & b != 0).map(|(c, _)| *c));
    s
}

/// Applies `class hard soft seconds` groups over the current limits;
/// classes not named keep theirs. `replica` is stored as `slave`, as Redis
/// reports it.
fn merge_cobl(words: &[&str], current: &str) -> Result<String, String> {
    if words.is_empty() || !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let cur: Vec<&str> = current.split(' ').collect();
    let mut classes: Vec<[String; 4]> = cur
        .chunks(4)
        .filter(|c| c.len() == 4)
        .map(|c| [c[0].into(), c[1].into(), c[2].into(), c[3].into()])
        .collect();
    for g in words.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => "normal",
            "slave" | "replica" => "slave",
            "pubsub" => "pubsub",
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let hard = parse_memory_value(g[1]);
        let soft = parse_memory_value(g[2]);
        let secs = crate::util::number::parse_i64_exact(g[3].as_bytes()).filter(|&s| s >= 0);
        let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
            return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
        };
        if let Some(c) = classes.iter_mut().find(|c| c[0] == class) {
            *c = [class.into(), hard.to_string(), soft.to_string(), secs.to_string()];
        }
    }
    Ok(classes.iter().map(|c| c.join(" ")).collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::new(&Config::default())
    }

    /// The refusal of `pairs`, as logged; CONFIG SET's wire text is the
    /// command layer's (tested there).
    fn err(s: &Settings, pairs: &[(&str, &str)]) -> String {
        s.set_many(pairs).unwrap_err().to_string()
    }

    fn failed(name: &str, reason: &str) -> SetError {
        SetError::Failed {
            name: name.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn table_is_sorted_and_names_are_unique() {
        let mut names: Vec<&str> = PARAMS
            .iter()
            .flat_map(|p| [p.name, p.alias])
            .filter(|n| !n.is_empty())
            .collect();
        assert!(PARAMS.windows(2).all(|w| w[0].name < w[1].name));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(PARAMS.len() >= 170, "{}", PARAMS.len());
    }

    /// Redis's testing knobs answer when named, and no pattern lists them.
    #[test]
    fn hidden_parameters_are_given_only_when_named() {
        let s = Settings::new(&crate::config::Config::default());
        assert_eq!(
            s.matching("key-load-delay"),
            [("key-load-delay".to_string(), "0".to_string())]
        );
        assert!(s.matching("*").iter().all(|(n, _)| n != "key-load-delay"));
        assert!(s.matching("key-*").is_empty());
        s.set("key-load-delay", "-5").unwrap();
        assert_eq!(s.get("key-load-delay").as_deref(), Some("-5"));
    }

    #[test]
    fn defaults_validate_against_their_own_kind() {
        for p in PARAMS {
            let got = check(p, p.default, p.default);
            assert!(got.is_ok(), "{}: {:?}", p.name, got);
        }
    }

    #[test]
    fn validation_errors_use_redis_wording() {
        let s = settings();
        assert_eq!(
            s.set_many(&[("maxmemory", "abc")]),
            Err(failed("maxmemory", "argument must be a memory value"))
        );
        assert!(err(&s, &[("hz", "+5")]).ends_with("argument couldn't be parsed into an integer"));
        assert!(err(&s, &[("active-defrag-cycle-max", "100")]).ends_with("argument must be between 1 and 99 inclusive"));
        assert!(err(&s, &[("activedefrag", "maybe")]).ends_with("argument must be 'yes' or 'no'"));
        assert!(err(&s, &[("maxmemory-policy", "x")]).ends_with(
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        ));
        assert!(err(&s, &[("daemonize", "yes")]).ends_with("can't set immutable config"));
        assert!(err(&s, &[("dir", "/")]).ends_with("can't set protected config"));
        assert!(err(&s, &[("hz", "1"), ("HZ", "2")]).ends_with("duplicate parameter"));
        assert_eq!(s.set_many(&[("nosuch", "1")]), Err(SetError::Unknown("nosuch".into())));
        assert!(err(&s, &[("save", "1 2 3")]).ends_with("Invalid save parameters"));
        assert!(err(&s, &[("proto-max-bulk-len", "100")])
            .ends_with("argument must be between 1048576 and 9223372036854775807 inclusive"));
    }

    #[test]
    fn set_many_is_all_or_nothing() {
        let s = settings();
        assert!(s.set_many(&[("hz", "20"), ("maxmemory", "abc")]).is_err());
        assert_eq!(s.get("hz").as_deref(), Some("10"));
        s.set_many(&[("hz", "20"), ("maxmemory", "1gb")]).unwrap();
        assert_eq!(s.get("hz").as_deref(), Some("20"));
        assert_eq!(s.maxmemory(), 1 << 30);
        assert_eq!(s.get("maxmemory").as_deref(), Some("1073741824"));
    }

    #[test]
    fn aliases_share_one_value() {
        let s = settings();
        s.set("hash-max-ziplist-entries", "7").unwrap();
        assert_eq!(s.get("hash-max-listpack-entries").as_deref(), Some("7"));
        let m = s.matching("hash-max-*-entries");
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|(_, v)| v == "7"));
        assert_eq!(s.matching("SLAVEOF"), vec![("SLAVEOF".to_string(), String::new())]);
    }

    #[test]
    fn values_are_reported_in_canonical_form() {
        let s = settings();
        s.set("hz", "1000").unwrap();
        assert_eq!(s.get("hz").as_deref(), Some("500"));
        s.set("maxmemory-policy", "ALLKEYS-LRU").unwrap();
        assert_eq!(s.maxmemory_policy(), "allkeys-lru");
        s.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(s.get("notify-keyspace-events").as_deref(), Some("AKE"));
        s.set("notify-keyspace-events", "Kgx$").unwrap();
        assert_eq!(s.get("notify-keyspace-events").as_deref(), Some("g$xK"));
        s.set("client-output-buffer-limit", "replica 1mb 2mb 3").unwrap();
        assert_eq!(
            s.get("client-output-buffer-limit").as_deref(),
            Some("normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60")
        );
        s.set("maxmemory-clients", "10%").unwrap();
        assert_eq!(s.get("maxmemory-clients").as_deref(), Some("10%"));
        s.reset_mutable();
        assert_eq!(s.get("hz").as_deref(), Some("10"));
    }

    #[test]
    fn start_up_values_are_real_and_immutable() {
        let c = Config {
            port: 7001,
            databases: 4,
            ..Config::default()
        };
        let s = Settings::new(&c);
        assert_eq!(s.get("port").as_deref(), Some("7001"));
        assert_eq!(s.get("databases").as_deref(), Some("4"));
        assert!(s
            .set("databases", "8")
            .unwrap_err()
            .to_string()
            .ends_with("can't set immutable config"));
    }

    #[test]
    fn a_port_that_cannot_be_bound_changes_nothing() {
        let s = Settings::new(&Config {
            port: 7001,
            ..Config::default()
        });
        let taken = |_: &str, _: u16, _: u16| Err(std::io::Error::from_raw_os_error(98));
        let e = s
            .set_many_listening(&[("maxmemory", "10mb"), ("port", "7002")], &taken)
            .unwrap_err();
        assert_eq!(
            e,
            SetError::Failed {
                name: "port".into(),
                reason: "Unable to listen on this port: Address already in use".into()
            }
        );
        assert_eq!(s.get("port").as_deref(), Some("7001"));
        assert_eq!(s.maxmemory(), 0);
        // The same values again bind nothing.
        s.set_many_listening(&[("port", "7001"), ("bind", "127.0.0.1")], &taken)
            .unwrap();
        let e = s.set_many_listening(&[("bind", "10.9.9.9")], &taken).unwrap_err();
        assert_eq!(e.to_string(), "'bind': Failed to bind to specified addresses.");
        let seen = std::sync::Mutex::new(None);
        let ok = |b: &str, p: u16, m: u16| {
            *seen.lock().unwrap() = Some((b.to_string(), p, m));
            Ok(())
        };
        s.set_many_listening(&[("bind", "127.0.0.1 -::1"), ("port", "7003")], &ok)
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), Some(("127.0.0.1 -::1".to_string(), 7003, 11211)));
        assert_eq!(s.get("port").as_deref(), Some("7003"));
    }

    #[test]
    fn file_overrides_may_set_immutable_parameters() {
        let c = Config {
            overrides: vec![
                ("daemonize".into(), "yes".into()),
                ("proto-max-bulk-len".into(), "2mb".into()),
            ],
            ..Config::default()
        };
        let s = Settings::new(&c);
        assert_eq!(s.get("daemonize").as_deref(), Some("yes"));
        assert_eq!(s.proto_max_bulk_len(), 2 << 20);
    }

    #[test]
    fn watermarks_default_to_95_and_100_and_take_percentages() {
        let s = settings();
        assert_eq!(s.get("maxmemory-low-watermark").as_deref(), Some("95"));
        assert_eq!(s.get("maxmemory-high-watermark").as_deref(), Some("100"));
        s.set_many(&[("maxmemory-low-watermark", "50"), ("maxmemory-high-watermark", "80")])
            .unwrap();
        assert_eq!(s.get("maxmemory-low-watermark").as_deref(), Some("50"));
        assert!(err(&s, &[("maxmemory-high-watermark", "0")]).ends_with("argument must be between 1 and 100 inclusive"));
        assert!(
            err(&s, &[("maxmemory-low-watermark", "101")]).ends_with("argument must be between 1 and 100 inclusive")
        );
    }

    #[test]
    fn low_watermark_above_high_is_refused_and_changes_nothing() {
        let s = settings();
        assert_eq!(
            s.set_many(&[("maxmemory-low-watermark", "100"), ("maxmemory-high-watermark", "90")]),
            Err(failed(
                "maxmemory-low-watermark",
                "maxmemory-low-watermark (100) can't be greater than maxmemory-high-watermark (90)"
            ))
        );
        // Against the current value of the other one.
        assert!(matches!(
            s.set_many(&[("MAXMEMORY-HIGH-WATERMARK", "94")]),
            Err(SetError::Failed { name, .. }) if name == "MAXMEMORY-HIGH-WATERMARK"
        ));
        assert_eq!(s.get("maxmemory-low-watermark").as_deref(), Some("95"));
        assert_eq!(s.get("maxmemory-high-watermark").as_deref(), Some("100"));
        // Lowering both at once passes, whatever the order given.
        s.set_many(&[("maxmemory-high-watermark", "60"), ("maxmemory-low-watermark", "40")])
            .unwrap();
        s.set("maxmemory-low-watermark", "60").unwrap();
    }

    #[test]
    fn appendonly_yes_is_refused_with_a_reason() {
        let s = settings();
        let e = s.set("appendonly", "yes").unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{e:?}");
        assert_eq!(s.get("appendonly").as_deref(), Some("no"));
        s.set("appendonly", "no").unwrap();
    }

    #[test]
    fn output_limits_are_kept_per_class_for_connections() {
        let s = settings();
        assert_eq!(s.output_limit(false), OutputLimit::default());
        assert_eq!(
            s.output_limit(true),
            OutputLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_secs: 60
            }
        );
        s.set("client-output-buffer-limit", "normal 1mb 512kb 10 replica 0 0 0")
            .unwrap();
        assert_eq!(
            s.output_limit(false),
            OutputLimit {
                hard: 1 << 20,
                soft: 512 << 10,
                soft_secs: 10
            }
        );
        assert_eq!(s.output_limit(true).hard, 32 << 20);
        assert!(s.set("client-output-buffer-limit", "normal 1mb").is_err());
        assert_eq!(s.output_limit(false).hard, 1 << 20);
    }

    #[test]
    fn memcache_evictions_is_a_yes_no_parameter_kept_for_the_hot_path() {
        let s = settings();
        assert_eq!(s.get("memcache-evictions").as_deref(), Some("yes"));
        assert!(s.memcache_evictions());
        s.set("memcache-evictions", "NO").unwrap();
        assert_eq!(s.get("memcache-evictions").as_deref(), Some("no"));
        assert!(!s.memcache_evictions());
        assert!(err(&s, &[("memcache-evictions", "off")]).ends_with("argument must be 'yes' or 'no'"));
    }

    #[test]
    fn limits_gather_the_memory_parameters() {
        let s = settings();
        assert_eq!(s.limits(), Limits::default());
        s.set_many(&[
            ("maxmemory", "2mb"),
            ("maxmemory-policy", "allkeys-lfu"),
            ("maxmemory-samples", "10"),
            ("maxmemory-low-watermark", "70"),
            ("maxmemory-high-watermark", "90"),
        ])
        .unwrap();
        assert_eq!(
            s.limits(),
            Limits {
                maxmemory: 2 << 20,
                policy: EvictionPolicy::AllKeysLfu,
                low_watermark: 70,
                high_watermark: 90,
                samples: 10,
            }
        );
        assert!(Settings::affects_limits("MAXMEMORY-samples"));
        for name in POLICIES {
            let policy = EvictionPolicy::parse(name).expect("a policy the store knows");
            assert_eq!(policy_name(policy), *name);
        }
        assert!(!Settings::affects_limits("hz"));
    }

    #[test]
    fn rewrite_keeps_comments_and_writes_current_values() {
        let s = settings();
        s.set_many(&[("maxmemory", "1mb"), ("hz", "20"), ("masterauth", "a b")])
            .unwrap();
        let out = s.rewrite("# top\nhz 10\nhz 11\nunknown-thing 1\n");
        assert!(
            out.starts_with("# top\nhz 20\nunknown-thing 1\n# Generated by CONFIG REWRITE\n"),
            "{out}"
        );
        assert!(out.contains("\nmasterauth \"a b\"\n"), "{out}");
        assert!(out.contains("\nmaxmemory 1048576\n"), "{out}");
        assert!(!out.contains("\nhz 10"), "{out}");
    }
}
