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
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::{Builder, Handle};
use tokio_util::sync::CancellationToken;

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
    server.share();
    crate::command::persist::load_at_start(&server).map_err(io::Error::other)?;
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
    let acceptor = main_rt.handle().clone();
    let (resp, memcache) = {
        let _in_runtime = main_rt.enter();
        (bind_all(&cfg.bind, cfg.port)?, bind_all(&cfg.bind, cfg.memcache_port)?)
    };
    let resp_addr = resp.first().map(|l| l.local_addr()).transpose()?;
    let mc_addr = memcache.first().map(|l| l.local_addr()).transpose()?;
    *lock(&server.bound) = Bound { resp: resp_addr };
    if let (Some(a), true) = (mc_addr, server.acl.auth_required()) {
        // Logged before the readiness lines, so whoever waits for them
        // has seen this.
        tracing::warn!(
            "requirepass is set, but the memcached port has no authentication: \
             any client that reaches {a} reads and writes the data without a password"
        );
    }
    for l in &resp {
        if let Ok(a) = l.local_addr() {
            tracing::info!("RESP listening on {a}");
        }
    }
    for l in &memcache {
        if let Ok(a) = l.local_addr() {
            tracing::info!("memcached listening on {a}");
        }
    }

    let mut listeners = Listeners {
        srv: Arc::downgrade(&server),
        acceptor: acceptor.clone(),
        workers: workers.clone(),
        bind: cfg.bind.clone(),
        port: cfg.port,
        mc_port: cfg.memcache_port,
        resp: Loops::default(),
        memcache: Loops::default(),
    };
    listeners.resp = listeners.start(resp, Proto::Resp);
    listeners.memcache = listeners.start(memcache, Proto::Memcache);
    let listeners = Mutex::new(listeners);
    let _ = server.rebind.set(Box::new(move |bind: &str, port: u16, mc_port: u16| {
        lock(&listeners).rebind(bind, port, mc_port)
    }));

    // The replica's link runs on the workers: it executes the primary's
    // stream as the connections execute their requests.
    crate::command::replication::follow_configured(&server);
    workers.spawn(super::replica::run(server.clone()));

    let srv = server.clone();
    threads.push(std::thread::Builder::new().name("acceptor".into()).spawn(move || {
        main_rt.block_on(async move {
            tokio::spawn(cron(srv.clone()));
            tokio::spawn(signals.run(srv.clone()));
            srv.shutdown.cancelled().await;
            tracing::info!("shutting down");
        });
    })?);

    Ok(Running { threads })
}

/// The accept loops, replaced by CONFIG SET bind / port. Connections
/// already accepted stay where they are, as in Redis.
struct Listeners {
    srv: Weak<Server>,
    /// The runtime the accept loops run on.
    acceptor: Handle,
    /// The runtime accepted connections run on.
    workers: Handle,
    /// What the listeners are bound to now.
    bind: String,
    port: u16,
    mc_port: u16,
    resp: Loops,
    memcache: Loops,
}

/// The accept loops of one protocol.
#[derive(Default)]
struct Loops {
    stop: CancellationToken,
    /// Disconnected once every loop has ended and closed its socket.
    ended: Option<std::sync::mpsc::Receiver<()>>,
}

impl Loops {
    /// Stops the loops and waits (briefly: the acceptor thread only has
    /// to see the cancellation) until their sockets are closed, so their
    /// addresses can be bound again.
    fn stop(&mut self) {
        self.stop.cancel();
        if let Some(rx) = self.ended.take() {
            let _ = rx.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl Listeners {
    /// Spawns an accept loop for each of `listeners`.
    fn start(&self, listeners: Vec<TcpListener>, proto: Proto) -> Loops {
        let stop = CancellationToken::new();
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(srv) = self.srv.upgrade() {
            for l in listeners {
                let (stop, tx) = (stop.clone(), tx.clone());
                let task = accept_loop(srv.clone(), l, proto, self.workers.clone(), stop);
                self.acceptor.spawn(async move {
                    task.await;
                    drop(tx);
                });
            }
        }
        Loops { stop, ended: Some(rx) }
    }

    /// Moves the listeners to the addresses of `bind`, the RESP ones to
    /// `port` and the memcached ones to `mc_port`; a protocol whose
    /// addresses stay the same keeps its listeners. The new sockets are
    /// bound before the old ones close, so a refusal leaves the server as
    /// it was; when the new addresses overlap the old ones on the same
    /// port, the old ones close first and come back if the new ones cannot
    /// be bound, as Redis does.
    fn rebind(&mut self, bind: &str, port: u16, mc_port: u16) -> io::Result<()> {
        let Some(srv) = self.srv.upgrade() else {
            return Err(io::Error::other("shutting down"));
        };
        let _in_runtime = self.acceptor.enter();
        let resp_moves = bind != self.bind || port != self.port;
        let mc_moves = bind != self.bind || mc_port != self.mc_port;
        let new = (resp_moves.then_some(port), mc_moves.then_some(mc_port));
        let (resp, memcache) = match bind_pair(bind, new) {
            Ok(pair) => pair,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                self.stop(resp_moves, mc_moves);
                match bind_pair(bind, new) {
                    Ok(pair) => pair,
                    Err(e) => {
                        let old = (resp_moves.then_some(self.port), mc_moves.then_some(self.mc_port));
                        let (resp, memcache) = bind_pair(&self.bind, old)?;
                        self.start_moved(resp, memcache, resp_moves, mc_moves);
                        return Err(e);
                    }
                }
            }
            Err(e) => return Err(e),
        };
        self.stop(resp_moves, mc_moves);
        if resp_moves {
            lock(&srv.bound).resp = resp.first().and_then(|l| l.local_addr().ok());
        }
        self.start_moved(resp, memcache, resp_moves, mc_moves);
        self.bind = bind.to_string();
        self.port = port;
        self.mc_port = mc_port;
        tracing::info!("listening on '{bind}', port {port}, memcached port {mc_port}");
        Ok(())
    }

    fn stop(&mut self, resp: bool, memcache: bool) {
        if resp {
            self.resp.stop();
        }
        if memcache {
            self.memcache.stop();
        }
    }

    fn start_moved(&mut self, resp: Vec<TcpListener>, memcache: Vec<TcpListener>, resp_moves: bool, mc_moves: bool) {
        if resp_moves {
            self.resp = self.start(resp, Proto::Resp);
        }
        if mc_moves {
            self.memcache = self.start(memcache, Proto::Memcache);
        }
    }
}

/// The RESP and the memcached listeners on the addresses of `bind`, for
/// the protocols given a port; all or none.
fn bind_pair(bind: &str, ports: (Option<u16>, Option<u16>)) -> io::Result<(Vec<TcpListener>, Vec<TcpListener>)> {
    let resp = match ports.0 {
        Some(p) => bind_all(bind, p)?,
        None => Vec::new(),
    };
    let mc = match ports.1 {
        Some(p) => bind_all(bind, p)?,
        None => Vec::new(),
    };
    Ok((resp, mc))
}

/// Listens on `port` at every address of a `bind` value, in Redis's
/// syntax: `*` is every IPv4 address, `::*` every IPv6 one, and a leading
/// `-` makes an address optional, skipped when this host cannot bind it.
/// Port 0 listens nowhere, as in Redis. Runs inside the runtime the
/// listeners will belong to.
fn bind_all(bind: &str, port: u16) -> io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    if port == 0 {
        return Ok(out);
    }
    for word in bind.split_whitespace() {
        let (optional, host) = match word.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, word),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        match listen_on(host, port) {
            Ok(l) => out.push(l),
            Err(e) if optional => tracing::debug!("skipping optional bind address {host}: {e}"),
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no address to listen on",
        ));
    }
    Ok(out)
}

fn listen_on(host: &str, port: u16) -> io::Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let addr = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::AddrNotAvailable, "no such address"))?;
    let socket = match addr {
        std::net::SocketAddr::V4(_) => TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(srv: Arc<Server>, l: TcpListener, proto: Proto, workers: Handle, stop: CancellationToken) {
    loop {
        let (stream, addr) = tokio::select! {
            _ = srv.shutdown.cancelled() => return,
            _ = stop.cancelled() => return,
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
        if srv.active_expire.load(Ordering::Relaxed) && !srv.store.is_replica() {
            let start = Instant::now();
            srv.store.expire_step(now, EXPIRE_SHARDS_PER_RUN);
            crate::command::notify::flush(&srv);
            // Large values are freed on a background thread, so a spike
            // here is rarer than in Redis; it is recorded as Redis does.
            srv.latency
                .sample_if_needed("expire-cycle", start.elapsed().as_millis() as u64, now);
        }
        srv.store.expire_locks(now);
        // Locks the sweep released by their timeout wake their waiters.
        super::blocked::serve_ready(&srv, now);
        srv.store.maintain(now);
        crate::command::notify::flush(&srv);
        if srv.feed.has_backlog() {
            srv.configure_feed();
        }
        if srv.feed.is_on() {
            // Deletions of the expiry and eviction passes, for replicas.
            crate::command::propagate::submit(&srv);
            crate::command::propagate::ping_replicas(&srv, now);
        }
        crate::command::tracking::broadcast(&srv);
        crate::command::tracking::shrink(&srv);
        srv.sample_rates();
        crate::command::persist::cron(&srv, now);
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

    /// Stops the server at the first signal, after the save `save` points
    /// ask for; when that save fails the server goes on, as Redis does.
    async fn run(mut self, srv: Arc<Server>) {
        loop {
            tokio::select! {
                _ = self.int.recv() => tracing::info!("received SIGINT"),
                _ = self.term.recv() => tracing::info!("received SIGTERM"),
                _ = srv.shutdown.cancelled() => return,
            }
            let s = srv.clone();
            let saved =
                tokio::task::spawn_blocking(move || crate::command::persist::save_before_shutdown(&s, None)).await;
            if let Ok(Err(e)) = saved {
                tracing::warn!("errors trying to shut down the server ({e}); it goes on");
                continue;
            }
            srv.stop();
            return;
        }
    }
}
