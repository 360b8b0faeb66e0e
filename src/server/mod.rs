//! The server: shared state, listeners, connections and shutdown.

mod client;
mod connection;
mod listener;
mod memcache_session;
mod resp_session;

pub use client::{lock, Client, ClientHandle, Clients, Proto, ReplyMode};
pub use listener::{run, Running};

use crate::config::{Config, Settings};
use crate::store::Store;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
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
        sys.saturating_add_signed(self.offset_ms.load(Ordering::Relaxed) * 1000)
    }

    /// Unix time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Server-wide counters. Connections add to them once per batch, not per
/// command, to keep the cache lines quiet.
#[derive(Debug, Default)]
pub struct Stats {
    pub total_connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub total_commands: AtomicU64,
    pub error_replies: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    /// memcached protocol counters.
    pub mc_cmd_get: AtomicU64,
    pub mc_cmd_set: AtomicU64,
    pub mc_get_hits: AtomicU64,
    pub mc_get_misses: AtomicU64,
    pub mc_total_items: AtomicU64,
    pub mc_total_connections: AtomicU64,
    pub mc_cmd_flush: AtomicU64,
    pub mc_cmd_touch: AtomicU64,
    pub mc_delete_hits: AtomicU64,
    pub mc_delete_misses: AtomicU64,
    pub mc_incr_hits: AtomicU64,
    pub mc_incr_misses: AtomicU64,
    pub mc_decr_hits: AtomicU64,
    pub mc_decr_misses: AtomicU64,
    pub mc_cas_hits: AtomicU64,
    pub mc_cas_misses: AtomicU64,
    pub mc_cas_badval: AtomicU64,
    pub mc_touch_hits: AtomicU64,
    pub mc_touch_misses: AtomicU64,
    pub mc_store_too_large: AtomicU64,
    pub mc_bytes_read: AtomicU64,
    pub mc_bytes_written: AtomicU64,
}

impl Stats {
    pub fn error_reply(&self) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        if n != 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn reset(&self) {
        for c in [
            &self.total_connections,
            &self.rejected_connections,
            &self.total_commands,
            &self.error_replies,
            &self.net_input_bytes,
            &self.net_output_bytes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
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
    pub clock: Clock,
    pub shutdown: CancellationToken,
    pub started: Instant,
    /// Unix ms at start.
    pub start_ms: u64,
    pub bound: std::sync::Mutex<Bound>,
    pub run_id: String,
}

impl Server {
    pub fn new(config: Config) -> Server {
        let clock = Clock::default();
        let now = clock.now_ms();
        let settings = Settings::new(&config);
        Server {
            store: Store::new(config.databases, now),
            settings,
            config,
            stats: Stats::default(),
            clients: Clients::default(),
            clock,
            shutdown: CancellationToken::new(),
            started: Instant::now(),
            start_ms: now,
            bound: Default::default(),
            run_id: run_id(now),
        }
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
