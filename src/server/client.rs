//! Per-connection state, and the registry that CLIENT LIST, CLIENT KILL and
//! INFO clients read.

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
    map: Mutex<std::collections::BTreeMap<u64, Arc<ClientHandle>>>,
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
        let h = Arc::new(ClientHandle {
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
            cancel: shutdown.child_token(),
            fd: AtomicI64::new(-1),
        });
        lock(&self.map).insert(id, h.clone());
        h
    }

    pub fn unregister(&self, id: u64) {
        lock(&self.map).remove(&id);
    }

    /// A snapshot of the open connections, in id order.
    pub fn list(&self) -> Vec<Arc<ClientHandle>> {
        lock(&self.map).values().cloned().collect()
    }

    pub fn count(&self) -> usize {
        lock(&self.map).len()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        lock(&self.map).get(&id).cloned()
    }
}

/// Locks a mutex whose data stays valid even if a holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
