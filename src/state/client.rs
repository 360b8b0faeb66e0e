//! Per-connection state, and the registry that CLIENT LIST, CLIENT KILL and
//! INFO clients read.

use crate::util::sync::lock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Which port a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Resp,
    Memcache,
}

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// Set by SKIP for the command that follows it.
    SkipThis,
}

/// The part of a connection's state that other connections may read
/// (CLIENT LIST) or act on (CLIENT KILL).
#[derive(Debug)]
pub struct ClientHandle {
    pub id: u64,
    pub proto: Proto,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    /// Unix ms when the connection was accepted.
    pub created: u64,
    /// Unix ms of the last request batch.
    pub last_active: AtomicU64,
    pub db: AtomicUsize,
    pub name: Mutex<Option<Vec<u8>>>,
    pub lib_name: Mutex<Option<Vec<u8>>>,
    pub lib_ver: Mutex<Option<Vec<u8>>>,
    pub last_cmd: Mutex<&'static str>,
    pub resp: AtomicUsize,
    pub no_evict: AtomicBool,
    pub no_touch: AtomicBool,
    /// Cancelled by CLIENT KILL and by server shutdown (a child token).
    pub cancel: CancellationToken,
    /// The socket's file descriptor, for CLIENT LIST; -1 until the
    /// connection records it with [`ClientHandle::set_fd`].
    pub fd: AtomicI64,
    pub counters: ConnCounters,
}

impl ClientHandle {
    /// A fresh client's handle: database 0, RESP2, no name, nothing counted.
    pub fn new(
        id: u64,
        proto: Proto,
        addr: SocketAddr,
        laddr: SocketAddr,
        now: u64,
        cancel: CancellationToken,
    ) -> ClientHandle {
        ClientHandle {
            id,
            proto,
            addr,
            laddr,
            created: now,
            last_active: AtomicU64::new(now),
            db: AtomicUsize::new(0),
            name: Mutex::new(None),
            lib_name: Mutex::new(None),
            lib_ver: Mutex::new(None),
            last_cmd: Mutex::new("NULL"),
            resp: AtomicUsize::new(2),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            cancel,
            fd: AtomicI64::new(-1),
            counters: ConnCounters::default(),
        }
    }
}

/// What a connection counts as it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Commands,
    NetIn,
    NetOut,
    Reads,
    Writes,
    McGet,
    McSet,
    McGetHits,
    McGetMisses,
    McTotalItems,
    McFlush,
    McTouch,
    McDeleteHits,
    McDeleteMisses,
    McIncrHits,
    McIncrMisses,
    McDecrHits,
    McDecrMisses,
    McCasHits,
    McCasMisses,
    McCasBadval,
    McTouchHits,
    McTouchMisses,
    McTooLarge,
    McNoMemory,
    McBytesRead,
    McBytesWritten,
}

const COUNTERS: usize = Counter::McBytesWritten as usize + 1;

impl Counter {
    /// The counters memcached's `stats reset` clears.
    pub const MEMCACHE: &'static [Counter] = &[
        Counter::McGet,
        Counter::McSet,
        Counter::McGetHits,
        Counter::McGetMisses,
        Counter::McTotalItems,
        Counter::McFlush,
        Counter::McTouch,
        Counter::McDeleteHits,
        Counter::McDeleteMisses,
        Counter::McIncrHits,
        Counter::McIncrMisses,
        Counter::McDecrHits,
        Counter::McDecrMisses,
        Counter::McCasHits,
        Counter::McCasMisses,
        Counter::McCasBadval,
        Counter::McTouchHits,
        Counter::McTouchMisses,
        Counter::McTooLarge,
        Counter::McNoMemory,
        Counter::McBytesRead,
        Counter::McBytesWritten,
    ];
    /// The counters CONFIG RESETSTAT clears.
    pub const RESP: &'static [Counter] = &[
        Counter::Commands,
        Counter::NetIn,
        Counter::NetOut,
        Counter::Reads,
        Counter::Writes,
    ];
}

/// Counters a connection adds to as it works. Only the connection's own
/// thread writes them, with a plain load and store, so worker cores never
/// contend for a shared cache line; readers sum them (see [`Clients::totals`]).
#[derive(Debug, Default)]
pub struct ConnCounters([AtomicU64; COUNTERS]);

impl ConnCounters {
    /// Adds `n`; only the owning connection may call this.
    pub fn bump(&self, c: Counter, n: u64) {
        let a = &self.0[c as usize];
        a.store(a.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.0[c as usize].load(Ordering::Relaxed)
    }

    fn totals(&self) -> Totals {
        Totals(std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed)))
    }
}

/// Sums of [`ConnCounters`] over connections.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals([u64; COUNTERS]);

impl Totals {
    pub fn get(&self, c: Counter) -> u64 {
        self.0[c as usize]
    }
}

impl std::ops::Add for Totals {
    type Output = Totals;
    fn add(self, o: Totals) -> Totals {
        Totals(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
}

impl ClientHandle {
    /// Asks the connection to close; it does so after the batch it is in.
    pub fn kill(&self) {
        self.cancel.cancel();
    }

    pub fn is_killed(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub fn set_fd(&self, fd: i64) {
        self.fd.store(fd, Ordering::Relaxed);
    }

    pub fn fd(&self) -> i64 {
        self.fd.load(Ordering::Relaxed)
    }
}

/// State owned by the connection task.
#[derive(Debug)]
pub struct Client {
    pub id: u64,
    pub db: usize,
    pub resp3: bool,
    pub reply: ReplyMode,
    /// Close once the replies of this batch are written.
    pub close: bool,
    pub no_touch: bool,
    pub handle: Arc<ClientHandle>,
    /// Set by a blocking command that found nothing to pop; the session
    /// parks the client.
    pub block: Option<BlockOn>,
    /// The command runs again because its block's deadline passed.
    pub timed_out: bool,
    /// Between MULTI and EXEC: the commands queued so far.
    pub multi: Option<Queued>,
    /// Keys under WATCH, with what they were when watched.
    pub watched: Vec<Watched>,
    /// The command runs inside EXEC.
    pub in_exec: bool,
    /// The client of a running script (its `redis.call`s): not held back
    /// by the BUSY state its own script causes.
    pub in_script: bool,
}

/// A transaction being queued (MULTI).
#[derive(Debug, Default)]
pub struct Queued {
    pub commands: Vec<Vec<Box<[u8]>>>,
    /// A command was refused while queuing: EXEC answers -EXECABORT.
    pub aborted: bool,
    /// A queued command may add memory: EXEC makes room first.
    pub denyoom: bool,
}

/// A key under WATCH: its version when watched, None when it was missing
/// (then its table's count of created keys tells whether it came and went).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    pub db: usize,
    pub key: Box<[u8]>,
    pub version: Option<u64>,
    pub created: u64,
}

/// What a blocked client waits for: one of `keys` of database `db` to
/// become a list or sorted set, until `deadline` (Unix ms; 0 = forever).
/// The session runs the same command again when that happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOn {
    pub db: usize,
    pub keys: Vec<Box<[u8]>>,
    pub deadline: u64,
}

impl Client {
    pub fn new(handle: Arc<ClientHandle>) -> Client {
        Client {
            id: handle.id,
            db: 0,
            resp3: false,
            reply: ReplyMode::On,
            close: false,
            no_touch: false,
            handle,
            block: None,
            timed_out: false,
            multi: None,
            watched: Vec::new(),
            in_exec: false,
            in_script: false,
        }
    }

    pub fn set_db(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }
}

/// Every open connection, by id.
#[derive(Debug, Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<ClientMap>,
}

#[derive(Debug, Default)]
struct ClientMap {
    live: std::collections::BTreeMap<u64, Arc<ClientHandle>>,
    /// What closed connections counted.
    closed: Totals,
    /// Totals at the last CONFIG RESETSTAT, subtracted from what is reported.
    baseline: Totals,
}

impl Clients {
    pub fn register(
        &self,
        proto: Proto,
        addr: SocketAddr,
        laddr: SocketAddr,
        now: u64,
        shutdown: &CancellationToken,
    ) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let h = Arc::new(ClientHandle::new(id, proto, addr, laddr, now, shutdown.child_token()));
        lock(&self.map).live.insert(id, h.clone());
        h
    }

    pub fn unregister(&self, id: u64) {
        let mut m = lock(&self.map);
        if let Some(h) = m.live.remove(&id) {
            m.closed = m.closed + h.counters.totals();
        }
    }

    /// Counters summed over every connection, open or closed, since start
    /// or the last [`Clients::reset_totals`].
    pub fn totals(&self) -> Totals {
        let m = lock(&self.map);
        let live = m.live.values().fold(Totals::default(), |t, h| t + h.counters.totals());
        let sum = m.closed + live;
        Totals(std::array::from_fn(|i| sum.0[i].saturating_sub(m.baseline.0[i])))
    }

    /// Starts the given counters again from zero (CONFIG RESETSTAT, memcached
    /// `stats reset`): what they count so far becomes the baseline.
    pub fn reset_totals(&self, which: &[Counter]) {
        let mut m = lock(&self.map);
        let live = m.live.values().fold(Totals::default(), |t, h| t + h.counters.totals());
        let sum = m.closed + live;
        for &c in which {
            m.baseline.0[c as usize] = sum.0[c as usize];
        }
    }

    /// A snapshot of the open connections, in id order.
    pub fn list(&self) -> Vec<Arc<ClientHandle>> {
        lock(&self.map).live.values().cloned().collect()
    }

    pub fn count(&self) -> usize {
        lock(&self.map).live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
