//! Per-connection state, and the registry that CLIENT LIST, CLIENT KILL and
//! INFO clients read.

use super::acl::User;
use crate::util::sync::lock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Which port a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Resp,
    Memcache,
}

/// CLIENT REPLY mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyMode {
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
pub(crate) struct ClientHandle {
    pub(crate) id: u64,
    pub(crate) proto: Proto,
    pub(crate) addr: SocketAddr,
    pub(crate) laddr: SocketAddr,
    /// Unix ms when the connection was accepted.
    pub(crate) created: u64,
    /// Unix ms of the last request batch.
    pub(crate) last_active: AtomicU64,
    pub(crate) db: AtomicUsize,
    pub(crate) name: Mutex<Option<Vec<u8>>>,
    pub(crate) lib_name: Mutex<Option<Vec<u8>>>,
    pub(crate) lib_ver: Mutex<Option<Vec<u8>>>,
    pub(crate) last_cmd: Mutex<&'static str>,
    pub(crate) resp: AtomicUsize,
    /// The ACL user the connection is logged in as.
    pub(crate) user: Mutex<Arc<User>>,
    pub(crate) no_evict: AtomicBool,
    pub(crate) no_touch: AtomicBool,
    /// Cancelled by CLIENT KILL and by server shutdown (a child token).
    pub(crate) cancel: CancellationToken,
    /// Set by [`ClientHandle::kill`] (before the token is cancelled) and
    /// by [`ClientHandle::closing`].
    pub(crate) killed: AtomicBool,
    /// The socket's file descriptor, for CLIENT LIST; -1 until the
    /// connection records it with [`ClientHandle::set_fd`].
    pub(crate) fd: AtomicI64,
    pub(crate) counters: ConnCounters,
    pub(crate) buffers: BufferStats,
    /// Channels, patterns and shard channels subscribed to (CLIENT LIST's
    /// sub, psub, ssub).
    pub(crate) subscriptions: [AtomicUsize; 3],
    /// Messages pushed to the client: pub/sub and invalidations.
    pub(crate) mail: super::pubsub::Mailbox,
}

/// What a connection's buffers hold, as the connection last published
/// them (once per batch), for CLIENT LIST and INFO clients.
#[derive(Debug, Default)]
pub(crate) struct BufferStats {
    /// Bytes received and not yet executed, and the room after them.
    pub(crate) qbuf: AtomicUsize,
    pub(crate) qbuf_free: AtomicUsize,
    /// Bytes of the arguments the connection holds between batches (a
    /// blocked command's).
    pub(crate) argv_mem: AtomicUsize,
    /// Bytes of replies the socket has not taken yet: what
    /// `client-output-buffer-limit` is compared with.
    pub(crate) omem: AtomicUsize,
    /// The output buffer's allocation.
    pub(crate) out_cap: AtomicUsize,
}

impl BufferStats {
    pub(crate) fn publish_query(&self, qbuf: usize, qbuf_free: usize) {
        self.qbuf.store(qbuf, Ordering::Relaxed);
        self.qbuf_free.store(qbuf_free, Ordering::Relaxed);
    }

    pub(crate) fn publish(&self, qbuf: usize, qbuf_free: usize, argv_mem: usize, omem: usize, out_cap: usize) {
        self.qbuf.store(qbuf, Ordering::Relaxed);
        self.qbuf_free.store(qbuf_free, Ordering::Relaxed);
        self.argv_mem.store(argv_mem, Ordering::Relaxed);
        self.omem.store(omem, Ordering::Relaxed);
        self.out_cap.store(out_cap, Ordering::Relaxed);
    }
}

impl ClientHandle {
    /// A fresh client's handle: database 0, RESP2, no name, nothing
    /// counted, logged in as `user`.
    pub(crate) fn new(
        id: u64,
        proto: Proto,
        addr: SocketAddr,
        laddr: SocketAddr,
        now: u64,
        cancel: CancellationToken,
        user: Arc<User>,
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
            user: Mutex::new(user),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            cancel,
            killed: AtomicBool::new(false),
            fd: AtomicI64::new(-1),
            counters: ConnCounters::default(),
            buffers: BufferStats::default(),
            subscriptions: Default::default(),
            mail: Default::default(),
        }
    }
}

/// What a connection counts as it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
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
    pub(crate) const MEMCACHE: &'static [Counter] = &[
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
    pub(crate) const RESP: &'static [Counter] = &[
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
pub(crate) struct ConnCounters([AtomicU64; COUNTERS]);

impl ConnCounters {
    /// Adds `n`; only the owning connection may call this.
    pub(crate) fn bump(&self, c: Counter, n: u64) {
        let a = &self.0[c as usize];
        a.store(a.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    fn totals(&self) -> Totals {
        Totals(std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed)))
    }
}

/// Sums of [`ConnCounters`] over connections.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals([u64; COUNTERS]);

impl Totals {
    pub(crate) fn get(&self, c: Counter) -> u64 {
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
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::Relaxed);
        self.cancel.cancel();
    }

    /// The connection is closing on its own (QUIT, a protocol error):
    /// from now on it is gone for the registry's lookups, while its last
    /// replies are written and counted.
    pub(crate) fn closing(&self) {
        self.killed.store(true, Ordering::Relaxed);
    }

    /// True once [`ClientHandle::kill`] was called: one relaxed load,
    /// where the token's own check takes its lock (every batch of every
    /// connection asks, and every message a publisher queues).
    #[inline]
    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    pub(crate) fn set_fd(&self, fd: i64) {
        self.fd.store(fd, Ordering::Relaxed);
    }

    pub(crate) fn fd(&self) -> i64 {
        self.fd.load(Ordering::Relaxed)
    }

    /// The user the connection is logged in as.
    /// True while the client has a subscription of any kind.
    pub(crate) fn subscribed(&self) -> bool {
        self.subscriptions.iter().any(|n| n.load(Ordering::Relaxed) != 0)
    }

    pub(crate) fn user(&self) -> Arc<User> {
        lock(&self.user).clone()
    }
}

/// State owned by the connection task.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) id: u64,
    /// The primary's link on a replica: its writes pass the read-only,
    /// memory and ACL checks, and its replies are dropped.
    pub(crate) master: bool,
    /// What a replica said of itself (REPLCONF), and its SYNC or PSYNC
    /// once sent: the connection then becomes the replica's link.
    pub(crate) replica: crate::state::replication::ReplicaHello,
    /// Replicas' acknowledgements this client waits for before its next
    /// reply (WAIT, sync-replicas); the session holds its input meanwhile.
    pub(crate) ack_wait: Option<crate::state::replication::AckWait>,
    /// The highest sequence number of this client's last write (the
    /// replication feed's order), for WAIT and sync-replicas.
    pub(crate) last_seq: Option<u64>,
    pub(crate) db: usize,
    pub(crate) resp3: bool,
    pub(crate) reply: ReplyMode,
    /// Close once the replies of this batch are written.
    pub(crate) close: bool,
    pub(crate) no_touch: bool,
    pub(crate) handle: Arc<ClientHandle>,
    /// Set by a blocking command that found nothing to pop; the session
    /// parks the client.
    pub(crate) block: Option<BlockOn>,
    /// The command runs again because its block's deadline passed.
    pub(crate) timed_out: bool,
    /// The command runs again because its wait ended (woken or timed out).
    pub(crate) resumed: bool,
    /// Between MULTI and EXEC: the commands queued so far.
    pub(crate) multi: Option<Queued>,
    /// Keys under WATCH, with what they were when watched.
    pub(crate) watched: Vec<Watched>,
    /// The command runs inside EXEC.
    pub(crate) in_exec: bool,
    /// The client of a running script (its `redis.call`s): not held back
    /// by the BUSY state its own script causes.
    pub(crate) in_script: bool,
    /// Logged in (AUTH, HELLO AUTH), or connected while the default user
    /// needed no password. Only consulted while it needs one.
    pub(crate) authenticated: bool,
    /// The ACL user whose rules the client's commands obey (the handle
    /// holds the same, for other connections to read).
    pub(crate) user: Arc<User>,
    /// Error replies this client was given; a command failed when it grew.
    pub(crate) errors: u64,
    /// Set by a command held back by CLIENT PAUSE, with the pause's end
    /// (Unix ms): the session runs it again once the pause is over.
    pub(crate) paused_until: Option<u64>,
    /// The lines of other clients' commands, once this client ran MONITOR.
    pub(crate) monitor: Option<super::MonitorFeed>,
    /// Channels, patterns and shard channels subscribed to.
    pub(crate) subs: super::Subscriptions,
    /// The reply being written is a push (a subscribe confirmation),
    /// which CLIENT REPLY OFF and SKIP do not silence.
    pub(crate) pushing: bool,
    /// CLIENT TRACKING's options while it is on (`state::tracking::mode`).
    pub(crate) tracking: Option<u8>,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next
    /// command.
    pub(crate) caching: bool,
}

/// A transaction being queued (MULTI).
#[derive(Debug, Default)]
pub(crate) struct Queued {
    pub(crate) commands: Vec<Vec<Box<[u8]>>>,
    /// A command was refused while queuing: EXEC answers -EXECABORT.
    pub(crate) aborted: bool,
    /// A queued command may add memory: EXEC makes room first.
    pub(crate) denyoom: bool,
    /// A queued command may write: CLIENT PAUSE WRITE holds EXEC back.
    pub(crate) may_write: bool,
}

/// A key under WATCH: its version when watched, None when it was missing
/// (then its table's count of created keys tells whether it came and went).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watched {
    pub(crate) db: usize,
    pub(crate) key: Box<[u8]>,
    pub(crate) version: Option<u64>,
    pub(crate) created: u64,
}

/// What a blocked client waits for: one of `keys` of database `db` to
/// become a list or sorted set, until `deadline` (Unix ms; 0 = forever).
/// The session runs the same command again when that happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockOn {
    pub(crate) db: usize,
    pub(crate) keys: Vec<Box<[u8]>>,
    pub(crate) deadline: u64,
}

impl Client {
    pub(crate) fn new(handle: Arc<ClientHandle>) -> Client {
        let user = handle.user();
        Client {
            id: handle.id,
            master: false,
            replica: Default::default(),
            ack_wait: None,
            last_seq: None,
            db: 0,
            resp3: false,
            reply: ReplyMode::On,
            close: false,
            no_touch: false,
            handle,
            block: None,
            timed_out: false,
            resumed: false,
            multi: None,
            watched: Vec::new(),
            in_exec: false,
            in_script: false,
            authenticated: true,
            user,
            errors: 0,
            paused_until: None,
            monitor: None,
            subs: Default::default(),
            pushing: false,
            tracking: None,
            caching: false,
        }
    }

    pub(crate) fn set_db(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }

    /// Logs the client in as `user`.
    pub(crate) fn set_user(&mut self, user: Arc<User>) {
        *lock(&self.handle.user) = user.clone();
        self.user = user;
    }
}

/// Every open connection, by id.
#[derive(Debug)]
pub(crate) struct Clients {
    next_id: AtomicU64,
    map: Mutex<ClientMap>,
    /// The user a new connection is logged in as.
    default_user: Arc<User>,
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
    /// No connections yet; new ones start as `default_user`.
    pub(crate) fn new(default_user: Arc<User>) -> Clients {
        Clients {
            next_id: AtomicU64::new(0),
            map: Mutex::default(),
            default_user,
        }
    }

    /// Registers a connection with no limit (tests and the fuzz targets).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn register(
        &self,
        proto: Proto,
        addr: SocketAddr,
        laddr: SocketAddr,
        now: u64,
        shutdown: &CancellationToken,
    ) -> Arc<ClientHandle> {
        self.try_register(proto, addr, laddr, now, shutdown, usize::MAX)
            .unwrap_or_else(|| unreachable!("no limit"))
    }

    /// Registers a new connection unless `max` are open already
    /// (`maxclients`, counting both protocols); None when it is refused.
    /// Counted and checked under one lock, so connections accepted at once
    /// on several threads cannot together pass the limit.
    pub(crate) fn try_register(
        &self,
        proto: Proto,
        addr: SocketAddr,
        laddr: SocketAddr,
        now: u64,
        shutdown: &CancellationToken,
        max: usize,
    ) -> Option<Arc<ClientHandle>> {
        let mut m = lock(&self.map);
        if m.live.len() >= max {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let h = Arc::new(ClientHandle::new(
            id,
            proto,
            addr,
            laddr,
            now,
            shutdown.child_token(),
            self.default_user.clone(),
        ));
        m.live.insert(id, h.clone());
        Some(h)
    }

    /// Closes the RESP clients that have neither sent nor been sent
    /// anything for more than `max_idle_ms`, except those `exempt` says
    /// to spare (clients blocked in BLPOP and the like, which have their
    /// own timeout): Redis's `timeout`. memcached clients are left alone,
    /// as memcached's own idle timeout is off by default. Returns how many
    /// were closed.
    pub(crate) fn close_idle(&self, now: u64, max_idle_ms: u64, exempt: impl Fn(u64) -> bool) -> usize {
        let idle: Vec<Arc<ClientHandle>> = lock(&self.map)
            .live
            .values()
            .filter(|h| {
                h.proto == Proto::Resp
                    && !h.is_killed()
                    && now.saturating_sub(h.last_active.load(Ordering::Relaxed)) > max_idle_ms
            })
            .cloned()
            .collect();
        let mut closed = 0;
        for h in idle.iter().filter(|h| !exempt(h.id)) {
            tracing::debug!(client = h.id, "closing idle client");
            h.kill();
            closed += 1;
        }
        closed
    }

    pub(crate) fn unregister(&self, id: u64) {
        let mut m = lock(&self.map);
        if let Some(h) = m.live.remove(&id) {
            m.closed = m.closed + h.counters.totals();
        }
    }

    /// Counters summed over every connection, open or closed, since start
    /// or the last [`Clients::reset_totals`].
    pub(crate) fn totals(&self) -> Totals {
        let m = lock(&self.map);
        let live = m.live.values().fold(Totals::default(), |t, h| t + h.counters.totals());
        let sum = m.closed + live;
        Totals(std::array::from_fn(|i| sum.0[i].saturating_sub(m.baseline.0[i])))
    }

    /// Starts the given counters again from zero (CONFIG RESETSTAT, memcached
    /// `stats reset`): what they count so far becomes the baseline.
    pub(crate) fn reset_totals(&self, which: &[Counter]) {
        let mut m = lock(&self.map);
        let live = m.live.values().fold(Totals::default(), |t, h| t + h.counters.totals());
        let sum = m.closed + live;
        for &c in which {
            m.baseline.0[c as usize] = sum.0[c as usize];
        }
    }

    /// A snapshot of the open connections, in id order.
    /// The live connection with this id.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        lock(&self.map).live.get(&id).filter(|h| !h.is_killed()).cloned()
    }

    pub(crate) fn list(&self) -> Vec<Arc<ClientHandle>> {
        lock(&self.map).live.values().cloned().collect()
    }

    /// Open connections, not counting those killed and still closing
    /// (CLIENT KILL answers before they are gone; Redis frees them at once).
    pub(crate) fn count(&self) -> usize {
        lock(&self.map).live.values().filter(|h| !h.is_killed()).count()
    }

    /// The largest query buffer and the most unsent output among open
    /// connections (INFO's `client_recent_max_input_buffer` and
    /// `client_recent_max_output_buffer`).
    pub(crate) fn max_buffers(&self) -> (usize, usize) {
        lock(&self.map).live.values().fold((0, 0), |(i, o), h| {
            let b = &h.buffers;
            let qbuf = b.qbuf.load(Ordering::Relaxed) + b.qbuf_free.load(Ordering::Relaxed);
            (i.max(qbuf), o.max(b.omem.load(Ordering::Relaxed)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_keep_closed_connections_and_honour_reset() {
        let clients = Clients::new(User::detached_default());
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

    #[test]
    fn try_register_refuses_past_the_limit_counting_both_protocols() {
        let clients = Clients::new(User::detached_default());
        let token = CancellationToken::new();
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let a = clients.try_register(Proto::Resp, addr, addr, 0, &token, 2).unwrap();
        clients.try_register(Proto::Memcache, addr, addr, 0, &token, 2).unwrap();
        assert!(clients.try_register(Proto::Resp, addr, addr, 0, &token, 2).is_none());
        clients.unregister(a.id);
        assert!(clients.try_register(Proto::Resp, addr, addr, 0, &token, 2).is_some());
    }

    #[test]
    fn close_idle_spares_active_exempt_and_memcached_clients() {
        let clients = Clients::new(User::detached_default());
        let token = CancellationToken::new();
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let idle = clients.register(Proto::Resp, addr, addr, 1_000, &token);
        let blocked = clients.register(Proto::Resp, addr, addr, 1_000, &token);
        let active = clients.register(Proto::Resp, addr, addr, 1_000, &token);
        let mc = clients.register(Proto::Memcache, addr, addr, 1_000, &token);
        active.last_active.store(9_000, Ordering::Relaxed);
        // Idle 10 s against a 10 s timeout: not yet (Redis closes past it).
        assert_eq!(clients.close_idle(11_000, 10_000, |_| false), 0);
        assert_eq!(clients.close_idle(11_001, 10_000, |id| id == blocked.id), 1);
        assert!(idle.is_killed());
        assert_eq!(clients.count(), 3, "a killed client is no longer counted");
        assert!(!blocked.is_killed() && !active.is_killed() && !mc.is_killed());
    }
}
