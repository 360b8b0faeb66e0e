//! The server: shared state, listeners, connections and shutdown.

mod blocking;
mod client;
mod connection;
mod listener;
mod memcache_session;
mod resp_session;

pub use blocking::{Blocking, Unblock, Waiter};
pub use client::{
    lock, BlockOn, Client, ClientHandle, Clients, ConnCounters, Counter, Proto, Queued, ReplyMode, Totals, Watched,
};
pub use listener::{leave_worker, run, Running};

use crate::config::{Config, SetError, Settings};
use crate::store::Store;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// The server's clock: the system's, plus an offset that tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_us(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        sys.saturating_add_signed(self.offset_ms.load(Ordering::Relaxed).saturating_mul(1000))
    }

    /// Unix time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    /// Moves the clock by `ms` (DEBUG ADVANCE-CLOCK), saturating rather
    /// than wrapping on absurd offsets.
    pub fn advance(&self, ms: i64) {
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| Some(o.saturating_add(ms)));
    }
}

/// Redis's BUSY state: a script (EVAL) or function (FCALL) that runs
/// longer than `busy-reply-threshold` makes every other client's command
/// answer -BUSY, except those flagged `allow_busy` (SCRIPT KILL, FUNCTION
/// KILL, SHUTDOWN ...). The script's runner sets it from its instruction
/// hook; one relaxed load per command reads it.
#[derive(Debug, Default)]
pub struct Busy {
    /// 0: no busy script; 1: a script; 2: a function.
    kind: std::sync::atomic::AtomicU8,
    /// A KILL asked the busy script to stop.
    kill: AtomicBool,
    /// The busy script has written: it may not be killed.
    wrote: AtomicBool,
}

/// What is busy, for the error texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyKind {
    Script,
    Function,
}

impl Busy {
    /// What runs past the threshold, if anything.
    pub fn current(&self) -> Option<BusyKind> {
        match self.kind.load(Ordering::Relaxed) {
            0 => None,
            1 => Some(BusyKind::Script),
            _ => Some(BusyKind::Function),
        }
    }

    /// The runner's script passed the threshold; `wrote` says whether it
    /// has written yet.
    pub fn enter(&self, kind: BusyKind, wrote: bool) {
        self.wrote.store(wrote, Ordering::Relaxed);
        self.kind.store(
            match kind {
                BusyKind::Script => 1,
                BusyKind::Function => 2,
            },
            Ordering::Release,
        );
    }

    /// The busy script wrote: from now on it cannot be killed.
    pub fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// The script ended.
    pub fn leave(&self) {
        self.kind.store(0, Ordering::Release);
        self.kill.store(false, Ordering::Relaxed);
    }

    /// Asks the busy script to stop (SCRIPT KILL for a script, FUNCTION
    /// KILL for a function); the error to answer when it cannot, checked
    /// in Redis's order.
    pub fn request_kill(&self, by: BusyKind) -> Result<(), &'static str> {
        use crate::command::errors;
        let Some(kind) = self.current() else {
            return Err(errors::NOTBUSY);
        };
        if self.wrote.load(Ordering::Relaxed) {
            return Err(errors::UNKILLABLE);
        }
        match (by, kind) {
            (BusyKind::Script, BusyKind::Function) => return Err(errors::BUSY_FUNCTION),
            (BusyKind::Function, BusyKind::Script) => return Err(errors::BUSY_SCRIPT),
            _ => {}
        }
        self.kill.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// The runner's hook asks whether to stop.
    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }
}

/// Server-wide counters. Connections add to them once per batch, not per
/// command, to keep the cache lines quiet.
#[derive(Debug, Default)]
pub struct Stats {
    /// Highest `used_memory` INFO has reported.
    pub used_memory_peak: AtomicU64,
    pub total_connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub error_replies: AtomicU64,
    /// Rates sampled by the server's 100 ms cron, for INFO's instantaneous_* fields.
    pub rates: Mutex<Rates>,
    /// memcached protocol counters.
    pub mc_total_connections: AtomicU64,
}

impl Stats {
    pub fn error_reply(&self) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        for c in [&self.total_connections, &self.rejected_connections, &self.error_replies] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Samples of a growing counter, turned into a per-second rate averaged
/// over the last 16 samples (1.6 s at the cron's 100 ms), as Redis does.
#[derive(Debug, Default)]
pub struct Rate {
    samples: [f64; 16],
    next: usize,
    last_value: u64,
    last_ms: u64,
}

impl Rate {
    pub fn sample(&mut self, value: u64, now_ms: u64) {
        if self.last_ms != 0 && now_ms > self.last_ms {
            let per_sec = value.saturating_sub(self.last_value) as f64 * 1000.0 / (now_ms - self.last_ms) as f64;
            self.samples[self.next] = per_sec;
            self.next = (self.next + 1) % self.samples.len();
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    pub fn per_sec(&self) -> f64 {
        self.samples.iter().sum::<f64>() / self.samples.len() as f64
    }
}

#[derive(Debug, Default)]
pub struct Rates {
    pub ops: Rate,
    pub net_in: Rate,
    pub net_out: Rate,
}

/// What the listeners actually bound, for INFO and tests.
#[derive(Debug, Default, Clone)]
pub struct Bound {
    pub resp: Option<std::net::SocketAddr>,
    pub memcache: Option<std::net::SocketAddr>,
}

/// State shared by every connection.
pub struct Server {
    pub store: Store,
    pub config: Config,
    pub settings: Settings,
    pub stats: Stats,
    pub clients: Clients,
    /// Clients parked by blocking commands.
    pub blocking: Blocking,
    /// The Lua script cache and the function libraries.
    pub scripts: crate::script::Scripts,
    pub clock: Clock,
    /// The cron's sweep of expired keys runs (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire: AtomicBool,
    /// A script running past `busy-reply-threshold`.
    pub busy: Busy,
    pub shutdown: CancellationToken,
    pub started: Instant,
    /// Unix ms at start.
    pub start_ms: u64,
    pub bound: std::sync::Mutex<Bound>,
    pub run_id: String,
    /// Held while the limits are read from the settings and pushed to the
    /// store, so two CONFIG SETs push in the order they read.
    limits_push: Mutex<()>,
}

impl Server {
    pub fn new(config: Config) -> Server {
        let clock = Clock::default();
        let now = clock.now_ms();
        let settings = Settings::new(&config);
        let srv = Server {
            store: Store::new(config.databases, now),
            settings,
            config,
            stats: Stats::default(),
            clients: Clients::default(),
            blocking: Blocking::default(),
            scripts: Default::default(),
            clock,
            active_expire: AtomicBool::new(true),
            busy: Busy::default(),
            shutdown: CancellationToken::new(),
            started: Instant::now(),
            start_ms: now,
            bound: Default::default(),
            run_id: run_id(now),
            limits_push: Mutex::new(()),
        };
        // The file's and the flags' values are in the settings now.
        srv.push_limits();
        srv
    }

    /// Changes settings at run time (CONFIG SET): all of `pairs` or none,
    /// and a change to the memory limit reaches the store before this
    /// returns. The one way settings change after start-up.
    pub fn set_config(&self, pairs: &[(&str, &str)]) -> Result<(), SetError> {
        self.settings.set_many(pairs)?;
        if pairs.iter().any(|(name, _)| Settings::affects_limits(name)) {
            self.push_limits();
        }
        Ok(())
    }

    /// Hands the memory limit in the settings to the store.
    fn push_limits(&self) {
        let _order = lock(&self.limits_push);
        self.store.set_limits(self.settings.limits());
    }

    /// Samples the counters behind INFO's instantaneous_* fields.
    pub fn sample_rates(&self) {
        let t = self.clients.totals();
        let now = self.clock.now_ms();
        let mut r = lock(&self.stats.rates);
        r.ops.sample(t.get(Counter::Commands), now);
        r.net_in.sample(t.get(Counter::NetIn), now);
        r.net_out.sample(t.get(Counter::NetOut), now);
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
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

    #[test]
    fn rate_averages_per_second_over_samples() {
        let mut r = Rate::default();
        r.sample(0, 1_000);
        for i in 1..=16u64 {
            r.sample(i * 100, 1_000 + i * 100);
        }
        assert_eq!(r.per_sec().round() as u64, 1000);
    }

    #[test]
    fn totals_keep_closed_connections_and_honour_reset() {
        let clients = Clients::default();
        let token = CancellationToken::new();
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let a = clients.register(Proto::Resp, addr, addr, 0, &token);
        let b = clients.register(Proto::Memcache, addr, addr, 0, &token);
        a.counters.bump(Counter::Commands, 3);
        b.counters.bump(Counter::Commands, 4);
        b.counters.bump(Counter::McGet, 2);
        assert_eq!(clients.totals().get(Counter::Commands), 7);
        clients.unregister(a.id);
        assert_eq!(clients.totals().get(Counter::Commands), 7);
        clients.reset_totals(Counter::RESP);
        assert_eq!(clients.totals().get(Counter::Commands), 0);
        assert_eq!(clients.totals().get(Counter::McGet), 2);
        b.counters.bump(Counter::Commands, 1);
        assert_eq!(clients.totals().get(Counter::Commands), 1);
    }
}
