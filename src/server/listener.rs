//! Threads, runtimes and listeners.
//!
//! The connections run on one multi-thread tokio runtime of `--threads`
//! workers; the accept loops, the cron and the signal handlers on a small
//! runtime of their own. The store's lock striping is what lets the
//! workers share data.
//!
//! Per-worker current-thread runtimes, each keeping its connections for
//! life, were the other way, and cost the same per request in our
//! measurements; but a worker that runs a long script holds every
//! connection it has, so clients that shared the script's worker could
//! neither get -BUSY nor send SCRIPT KILL. With work stealing, a script
//! past `busy-reply-threshold` gives its worker's other connections to
//! another thread ([`crate::state::leave_worker`]) and keeps its own.

use super::connection::serve;
use super::memcache_session::MemcacheSession;
use super::resp_session::RespSession;
use crate::config::Config;
use crate::state::{Bound, Client, Proto, Server};
use crate::util::sync::lock;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Builder, Handle};

/// How often the active expiry cycle runs, and how many shards each run visits.
const EXPIRE_PERIOD: Duration = Duration::from_millis(100);
const EXPIRE_SHARDS_PER_RUN: usize = 128;

/// A started server.
pub struct Running {
    threads: Vec<JoinHandle<()>>,
}

impl Running {
    /// Blocks until the server has shut down and its threads have ended.
    pub fn wait(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Binds the listeners and starts the worker threads; returns once the
/// server accepts connections.
pub fn run(config: Config) -> io::Result<Running> {
    let server = Arc::new(Server::new(config));
    let cfg = &server.config;
    let mut threads = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let srv = server.clone();
    let workers = cfg.threads.max(1);
    threads.push(std::thread::Builder::new().name("runtime".into()).spawn(move || {
        let rt = match Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("worker")
            .on_thread_park(collect_heap_now_and_then)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("worker runtime: {e}");
                return;
            }
        };
        let _ = tx.send(rt.handle().clone());
        rt.block_on(srv.shutdown.cancelled());
        // Let connections see the cancellation and close.
        rt.shutdown_timeout(Duration::from_secs(1));
    })?);
    let workers = rx
        .recv()
        .map_err(|_| io::Error::other("worker runtime failed to start"))?;

    let main_rt = Builder::new_current_thread().enable_all().build()?;
    let signals = {
        let _in_runtime = main_rt.enter();
        Signals::install()?
    };
    let (resp, memcache) = main_rt.block_on(async {
        let resp = bind(&cfg.bind, cfg.port).await?;
        let memcache = bind(&cfg.bind, cfg.memcache_port).await?;
        io::Result::Ok((resp, memcache))
    })?;
    let resp_addr = resp.as_ref().map(|l| l.local_addr()).transpose()?;
    let mc_addr = memcache.as_ref().map(|l| l.local_addr()).transpose()?;
    *lock(&server.bound) = Bound { resp: resp_addr };
    if let (Some(a), true) = (mc_addr, server.acl.auth_required()) {
        // Logged before the readiness lines, so whoever waits for them
        // has seen this.
        tracing::warn!(
            "requirepass is set, but the memcached port has no authentication: \
             any client that reaches {a} reads and writes the data without a password"
        );
    }
    if let Some(a) = resp_addr {
        tracing::info!("RESP listening on {a}");
    }
    if let Some(a) = mc_addr {
        tracing::info!("memcached listening on {a}");
    }

    let srv = server.clone();
    threads.push(std::thread::Builder::new().name("acceptor".into()).spawn(move || {
        main_rt.block_on(async move {
            if let Some(l) = resp {
                tokio::spawn(accept_loop(srv.clone(), l, Proto::Resp, workers.clone()));
            }
            if let Some(l) = memcache {
                tokio::spawn(accept_loop(srv.clone(), l, Proto::Memcache, workers.clone()));
            }
            tokio::spawn(cron(srv.clone()));
            tokio::spawn(signals.run(srv.clone()));
            srv.shutdown.cancelled().await;
            tracing::info!("shutting down");
        });
    })?);

    Ok(Running { threads })
}

async fn bind(host: &str, port: u16) -> io::Result<Option<TcpListener>> {
    if port == 0 {
        return Ok(None);
    }
    let l = TcpListener::bind((host, port)).await?;
    Ok(Some(l))
}

async fn accept_loop(srv: Arc<Server>, l: TcpListener, proto: Proto, workers: Handle) {
    loop {
        let (stream, addr) = tokio::select! {
            _ = srv.shutdown.cancelled() => return,
            r = l.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Ok(std_stream) = stream.into_std() else { continue };
        let srv = srv.clone();
        workers.spawn(async move {
            let Ok(stream) = TcpStream::from_std(std_stream) else {
                return;
            };
            let laddr = stream.local_addr().unwrap_or(addr);
            let now = srv.clock.now_ms();
            let max = srv.settings.int("maxclients").unwrap_or(10_000).max(1) as usize;
            let Some(handle) = srv.clients.try_register(proto, addr, laddr, now, &srv.shutdown, max) else {
                refuse(&srv, stream, proto);
                return;
            };
            srv.stats.total_connections.fetch_add(1, Ordering::Relaxed);
            let client = Client::new(handle.clone());
            match proto {
                Proto::Resp => {
                    let s = RespSession::new(srv.clone(), client);
                    serve(srv, handle, stream, s).await
                }
                Proto::Memcache => {
                    let s = MemcacheSession::new(srv.clone(), client);
                    serve(srv, handle, stream, s).await
                }
            }
        });
    }
}

/// Turns a connection away past `maxclients`, in its protocol's words
/// (redis-server's and memcached's), counted in INFO's
/// `rejected_connections`. The reply is best effort: one write that
/// does not wait.
fn refuse(srv: &Server, stream: TcpStream, proto: Proto) {
    srv.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
    let msg: &[u8] = match proto {
        Proto::Resp => b"-ERR max number of clients reached\r\n",
        Proto::Memcache => b"ERROR Too many open connections\r\n",
    };
    if let Ok(std) = stream.into_std() {
        use std::io::Write;
        let _ = (&std).write(msg);
    }
}

/// The server's cron, every 100 ms. Active expiry: a slice of the shards
/// every period, so the whole keyspace is swept about once a second with no
/// pause longer than one shard's sweep; the memory limit's background half
/// ([`crate::store::Store::maintain`]: early purging above the low
/// watermark, eviction above the high one), so usage falls back even when
/// no write comes to evict inline; and the samples behind INFO's
/// instantaneous rates. Once a second, `timeout`: idle clients are closed.
async fn cron(srv: Arc<Server>) {
    let mut tick = tokio::time::interval(EXPIRE_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            _ = srv.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = srv.clock.now_ms();
        if srv.active_expire.load(Ordering::Relaxed) {
            let start = Instant::now();
            srv.store.expire_step(now, EXPIRE_SHARDS_PER_RUN);
            // Large values are freed on a background thread, so a spike
            // here is rarer than in Redis; it is recorded as Redis does.
            srv.latency
                .sample_if_needed("expire-cycle", start.elapsed().as_millis() as u64, now);
        }
        srv.store.expire_locks(now);
        // Locks the sweep released by their timeout wake their waiters.
        super::blocked::serve_ready(&srv, now);
        srv.store.maintain(now);
        srv.sample_rates();
        ticks += 1;
        if ticks.is_multiple_of(10) {
            close_idle_clients(&srv, now);
        }
        give_back_memory();
    }
}

/// Redis's `timeout`: closes clients idle for more than that many
/// seconds (0: never), except those blocked in BLPOP and the like.
fn close_idle_clients(srv: &Server, now: u64) {
    let secs = srv.settings.int("timeout").unwrap_or(0);
    if secs > 0 {
        let ms = (secs as u64).saturating_mul(1000);
        srv.clients.close_idle(now, ms, |id| srv.blocking.is_blocked(id));
    }
}

/// A worker's share of [`give_back_memory`], when it goes idle and has
/// not collected for [`WORKER_COLLECT_PERIOD`]. mimalloc heaps are per
/// thread: a block freed by another thread waits in its owner's list until
/// the owner allocates from that size class again, which a worker may
/// never do (the buckets a hash table left when it grew), so each worker
/// collects its own heap now and then.
fn collect_heap_now_and_then() {
    thread_local! {
        static LAST: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
    }
    let now = Instant::now();
    if LAST
        .with(|l| l.get())
        .is_none_or(|t| now.duration_since(t) >= WORKER_COLLECT_PERIOD)
    {
        LAST.with(|l| l.set(Some(now)));
        give_back_memory();
    }
}

const WORKER_COLLECT_PERIOD: Duration = Duration::from_millis(250);

/// Lets the allocator return freed memory to the system now. mimalloc
/// purges freed segments only when the heap that owns them is used again,
/// so a large value deleted on a quiet server, or the buffer of a client
/// that left mid-value, would stay resident until the next large
/// allocation. A non-forced collect from the cron purges what has been free
/// longer than mimalloc's purge delay, which costs little when nothing is.
fn give_back_memory() {
    // SAFETY: mi_collect takes no pointers and may be called from any
    // thread at any time; with `false` it only frees what is already unused.
    unsafe { libmimalloc_sys::mi_collect(false) }
}

/// SIGINT and SIGTERM handlers. They are installed before the server says
/// it listens: a signal that arrives after that line must shut it down
/// cleanly, not kill it with the default action.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn run(mut self, srv: Arc<Server>) {
        tokio::select! {
            _ = self.int.recv() => tracing::info!("received SIGINT"),
            _ = self.term.recv() => tracing::info!("received SIGTERM"),
            _ = srv.shutdown.cancelled() => return,
        }
        srv.shutdown.cancel();
    }
}
