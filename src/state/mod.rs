//! What commands read and change besides the store: the state shared by
//! every connection ([`Server`]), each connection's own ([`Client`], and
//! the [`ClientHandle`] others may see), the ACL users and log, the
//! registry of clients parked by blocking commands, the BUSY state of a
//! long script, the script cache and function libraries, the counters, and
//! the clock.
//!
//! It sits below the commands and above the store: `command/` and
//! `script/` read and change it, `server/` creates it and hands it to the
//! connections, and nothing here knows a socket or spells a wire reply.

pub(crate) mod acl;
pub(crate) mod blocking;
mod busy;
mod client;
mod clock;
mod cmdstats;
mod latency;
mod monitor;
mod pause;
pub(crate) mod persist;
pub(crate) mod pubsub;
pub(crate) mod replication;
mod scripts;
mod slowlog;
mod stats;
pub(crate) mod tracking;

pub(crate) use acl::{Acl, User};
pub(crate) use blocking::{Blocking, Job, Leave, Unblock, Waiter};
pub(crate) use busy::{leave_worker, Busy, BusyKind, KillRefused, RunningFunction};
pub(crate) use client::{
    BlockOn, Client, ClientHandle, Clients, ConnCounters, Counter, Proto, Queued, ReplyMode, Watched,
};
pub(crate) use clock::Clock;
pub(crate) use cmdstats::{CommandStats, Latencies, MAX_COMMANDS};
pub(crate) use latency::LatencyMonitor;
pub(crate) use monitor::{MonitorFeed, Monitors};
pub(crate) use pause::{Pause, PauseKind};
pub(crate) use pubsub::{PubSub, Subscriptions};
pub(crate) use scripts::{
    lua_memory_changed, parse_sha, script_flags, sha1_hex, FunctionMeta, Join, JsonInvalid, JsonSettings, Library,
    LibraryConflict, Scripts, Sha,
};
pub(crate) use slowlog::{SlowCall, SlowLog};
pub(crate) use stats::Stats;

use crate::config::{Config, SetError, Settings};
use crate::store::Store;
use crate::util::sync::lock;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the listeners actually bound, for INFO and tests.
#[derive(Debug, Default, Clone)]
pub(crate) struct Bound {
    pub(crate) resp: Option<std::net::SocketAddr>,
}

/// Replaces the listeners with ones on a `bind` value, a RESP port and a
/// memcached port (CONFIG SET bind / port / memcache-port); the server
/// installs it once it listens.
pub(crate) type Rebind = Box<dyn Fn(&str, u16, u16) -> std::io::Result<()> + Send + Sync>;

/// State shared by every connection.
pub(crate) struct Server {
    pub(crate) store: Store,
    pub(crate) config: Config,
    pub(crate) settings: Settings,
    pub(crate) stats: Stats,
    /// INFO commandstats, errorstats and latencystats; LATENCY HISTOGRAM.
    pub(crate) cmdstats: CommandStats,
    /// Per-command latency histograms are kept (`latency-tracking`).
    pub(crate) latency_tracking: AtomicBool,
    pub(crate) slowlog: SlowLog,
    pub(crate) latency: LatencyMonitor,
    pub(crate) monitors: Monitors,
    /// Channels, patterns and shard channels, and their subscribers.
    pub(crate) pubsub: PubSub,
    /// Clients tracking keys, and the keys they read (CLIENT TRACKING).
    pub(crate) tracking: tracking::Tracking,
    pub(crate) pause: Pause,
    /// The ACL users, the default one among them, and the ACL log.
    pub(crate) acl: Acl,
    pub(crate) clients: Clients,
    /// Clients parked by blocking commands.
    pub(crate) blocking: Blocking,
    /// The Lua script cache and the function libraries.
    pub(crate) scripts: Scripts,
    pub(crate) clock: Clock,
    /// The cron's sweep of expired keys runs (DEBUG SET-ACTIVE-EXPIRE).
    pub(crate) active_expire: AtomicBool,
    /// Scripts may call commands flagged `noscript` (DEBUG
    /// SET-DISABLE-DENY-SCRIPTS, for Redis's tests).
    pub(crate) scripts_may_call_noscript: AtomicBool,
    /// A script running past `busy-reply-threshold`.
    pub(crate) busy: Busy,
    pub(crate) shutdown: CancellationToken,
    /// Set by [`Server::stop`] before `shutdown` is cancelled.
    stopping: AtomicBool,
    pub(crate) started: Instant,
    /// Unix ms at start: the `now` of test harnesses and fuzz targets.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) start_ms: u64,
    pub(crate) bound: std::sync::Mutex<Bound>,
    pub(crate) rebind: std::sync::OnceLock<Rebind>,
    pub(crate) run_id: String,
    /// Snapshots to disk: the save under way and the last one's outcome.
    pub(crate) persist: persist::Persistence,
    /// The role, the primary followed and the link to it.
    pub(crate) repl: replication::Replication,
    /// The replication stream this server keeps for its replicas.
    pub(crate) feed: crate::repl::feed::Feed,
    /// The server itself, for work that outlives a request (a background
    /// save); set by the listener once the server is shared.
    me: std::sync::OnceLock<std::sync::Weak<Server>>,
    /// Held while the limits are read from the settings and pushed to the
    /// store, so two CONFIG SETs push in the order they read.
    limits_push: Mutex<()>,
}

impl Server {
    pub(crate) fn new(config: Config) -> Server {
        let clock = Clock::default();
        let now = clock.now_ms();
        let settings = Settings::new(&config);
        let acl = Acl::default();
        if let Some(password) = settings.get("requirepass") {
            acl.set_default_password(password.as_bytes());
        }
        let srv = Server {
            store: Store::new(config.databases, now),
            settings,
            config,
            stats: Stats::default(),
            cmdstats: CommandStats::default(),
            latency_tracking: AtomicBool::new(true),
            slowlog: SlowLog::default(),
            latency: LatencyMonitor::default(),
            monitors: Monitors::default(),
            pubsub: PubSub::default(),
            tracking: Default::default(),
            pause: Pause::default(),
            clients: Clients::new(acl.default_user()),
            acl,
            blocking: Blocking::default(),
            scripts: Default::default(),
            clock,
            active_expire: AtomicBool::new(true),
            scripts_may_call_noscript: AtomicBool::new(false),
            busy: Busy::default(),
            shutdown: CancellationToken::new(),
            stopping: AtomicBool::new(false),
            started: Instant::now(),
            #[cfg(any(test, feature = "fuzzing"))]
            start_ms: now,
            bound: Default::default(),
            rebind: Default::default(),
            run_id: run_id(now),
            persist: persist::Persistence::new(now),
            repl: replication::Replication::new(),
            feed: crate::repl::feed::Feed::new(1 << 20),
            me: Default::default(),
            limits_push: Mutex::new(()),
        };
        // The file's and the flags' values are in the settings now.
        srv.push_limits();
        srv.push_observability();
        srv.push_key_events();
        srv
    }

    /// Changes settings at run time (CONFIG SET): all of `pairs` or none,
    /// and a change to the memory limit reaches the store before this
    /// returns. The one way settings change after start-up.
    pub(crate) fn set_config(&self, pairs: &[(&str, &str)]) -> Result<(), SetError> {
        match self.rebind.get() {
            Some(rebind) => self.settings.set_many_listening(pairs, &**rebind)?,
            // No listeners to move (the server is not running them).
            None => self.settings.set_many(pairs)?,
        }
        if pairs.iter().any(|(name, _)| Settings::affects_limits(name)) {
            self.push_limits();
        }
        // As in Redis, requirepass replaces the default user's passwords
        // (none: any password); CONFIG GET still gives what was set, even
        // after ACL SETUSER changes the user.
        if pairs.iter().any(|(name, _)| name.eq_ignore_ascii_case("requirepass")) {
            let password = self.settings.get("requirepass").unwrap_or_default();
            self.acl.set_default_password(password.as_bytes());
            if self.acl.auth_required() && self.settings.int("memcache-port").unwrap_or(0) != 0 {
                tracing::warn!("requirepass is set, but the memcached port has no authentication");
            }
        }
        if pairs.iter().any(|(name, _)| Settings::affects_observability(name)) {
            self.push_observability();
        }
        if pairs
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("notify-keyspace-events"))
        {
            self.push_key_events();
        }
        Ok(())
    }

    /// Hands the slow log's, the latency monitor's and latency tracking's
    /// parameters to the atomics the command path reads.
    fn push_observability(&self) {
        let int = |name: &str, default: i64| self.settings.int(name).unwrap_or(default);
        self.slowlog.configure(
            int("slowlog-log-slower-than", 10_000),
            int("slowlog-max-len", 128).max(0) as u64,
        );
        self.latency
            .set_threshold(int("latency-monitor-threshold", 0).max(0) as u64);
        self.latency_tracking
            .store(int("latency-tracking", 1) != 0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Tells the store which key events `notify-keyspace-events` and
    /// client tracking need; again whenever either changes.
    /// Hands the feed its settings: `repl-backlog-size`, and how far a
    /// replica may fall behind (`client-output-buffer-limit`).
    pub(crate) fn configure_feed(&self) {
        let size = self.settings.int("repl-backlog-size").unwrap_or(1 << 20).max(1) as usize;
        self.feed.resize(size);
        self.feed.set_limit(self.settings.replica_output_limit());
    }

    /// Turns the replication stream on at the first replica (or at a
    /// replica's promotion); it stays on.
    pub(crate) fn start_feed(&self) {
        if self.feed.is_on() {
            return;
        }
        self.configure_feed();
        // A replica's stream starts where it has applied its primary's.
        let _applying = lock(&self.repl.applying);
        self.feed.start(
            self.store.events().next_seq(),
            self.repl.offset.load(std::sync::atomic::Ordering::Relaxed),
        );
        self.store.events().start_numbering();
        self.push_key_events();
    }

    pub(crate) fn push_key_events(&self) {
        let flags = self.settings.notify_flags();
        let mut kinds = store_wants(flags);
        if self.tracking.active() {
            kinds |= crate::store::key_events::INVALIDATING;
        }
        if self.feed.is_on() {
            // Replicas get DEL for what expires or is evicted here.
            kinds |= crate::store::key_events::EXPIRED | crate::store::key_events::EVICTED;
        }
        self.store.events().set_wanted(kinds);
    }

    /// Hands the memory limit in the settings to the store.
    fn push_limits(&self) {
        let _order = lock(&self.limits_push);
        self.store.set_limits(self.settings.limits());
    }

    /// Samples the counters behind INFO's instantaneous_* fields.
    pub(crate) fn sample_rates(&self) {
        let t = self.clients.totals();
        let now = self.clock.now_ms();
        let mut r = lock(&self.stats.rates);
        r.ops.sample(t.get(Counter::Commands), now);
        r.net_in.sample(t.get(Counter::NetIn), now);
        r.net_out.sample(t.get(Counter::NetOut), now);
    }

    /// Stops the server: listeners and connections end.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        self.shutdown.cancel();
    }

    /// Notes the shared handle of this server, for [`Server::arc`].
    pub(crate) fn share(self: &std::sync::Arc<Server>) {
        let _ = self.me.set(std::sync::Arc::downgrade(self));
    }

    /// The shared handle, once [`Server::share`] was called.
    pub(crate) fn arc(&self) -> Option<std::sync::Arc<Server>> {
        self.me.get().and_then(std::sync::Weak::upgrade)
    }

    /// True once [`Server::stop`] was called; one relaxed load.
    #[inline]
    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The store's key events that the keyspace-notification classes in
/// `flags` publish: none without K or E.
fn store_wants(flags: u32) -> u8 {
    use crate::config::notify as class;
    use crate::store::key_events;
    if flags & (class::KEYSPACE | class::KEYEVENT) == 0 {
        return 0;
    }
    [
        (class::NEW, key_events::NEW),
        (class::EXPIRED, key_events::EXPIRED),
        (class::EVICTED, key_events::EVICTED),
        (class::KEY_MISS, key_events::MISS),
        (class::CACHE, key_events::DEPENDANT | key_events::TAGGED),
    ]
    .iter()
    .filter(|(c, _)| flags & c != 0)
    .fold(0, |k, (_, kind)| k | kind)
}

/// 40 hex characters that differ from run to run.
fn run_id(now: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..3u64 {
        let mut h = hashbrown::DefaultHashBuilder::default().build_hasher();
        h.write_u64(now ^ (std::process::id() as u64) << 32 ^ i);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(40);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_records_only_what_the_notification_classes_publish() {
        use crate::config::notify as class;
        use crate::store::key_events;
        assert_eq!(store_wants(class::ALL), 0, "neither K nor E");
        assert_eq!(
            store_wants(class::KEYEVENT | class::EXPIRED | class::EVICTED),
            key_events::EXPIRED | key_events::EVICTED
        );
        assert_eq!(
            store_wants(class::KEYSPACE | class::NEW | class::KEY_MISS | class::STRING),
            key_events::NEW | key_events::MISS
        );
    }

    #[test]
    fn start_up_settings_reach_the_store_limits() {
        let config = Config {
            overrides: vec![
                ("maxmemory".into(), "1mb".into()),
                ("maxmemory-policy".into(), "allkeys-lru".into()),
            ],
            ..Config::default()
        };
        let srv = Server::new(config);
        let l = srv.store.limits();
        assert_eq!(l.maxmemory, 1 << 20);
        assert_eq!(l.policy, crate::store::EvictionPolicy::AllKeysLru);
    }

    #[test]
    fn set_config_pushes_limit_changes_to_the_store() {
        let srv = Server::new(Config::default());
        srv.set_config(&[("maxmemory", "2mb"), ("maxmemory-low-watermark", "80")])
            .unwrap();
        srv.set_config(&[("MAXMEMORY-SAMPLES", "9"), ("maxmemory-policy", "volatile-ttl")])
            .unwrap();
        let l = srv.store.limits();
        assert_eq!((l.maxmemory, l.low_watermark, l.samples), (2 << 20, 80, 9));
        assert_eq!(l.policy, crate::store::EvictionPolicy::VolatileTtl);
        // A refused change leaves the store as it was.
        assert!(srv.set_config(&[("maxmemory", "1mb"), ("hz", "x")]).is_err());
        assert_eq!(srv.store.limits().maxmemory, 2 << 20);
    }
}
