//! The store: databases of keyed entries, split into lock-striped shards.
//!
//! A key is hashed once ([`Store::hash`]); the hash picks the shard and is
//! passed down to the shard's hash tables. Every shard holds one table per
//! database, so operations that span databases (SWAPDB, MOVE, COPY ... DB)
//! lock shards, never databases. Locks are always taken in ascending shard
//! order, which keeps multi-key operations deadlock free.
//!
//! The store never reads the clock: every operation takes `now` (Unix
//! milliseconds), so tests drive time by hand.

mod cache_item;
mod entry;
mod events;
mod evict;
mod expire;
mod ids;
mod item;
mod key_locks;
mod links;
mod memory;
mod policy;
mod ready;
mod rebalance;
mod scan;
mod scope;
mod shard;
mod slab;
mod snapshot;
mod types;

pub(crate) use cache_item::{LockError, UnlockError};
pub use entry::Expiry;
pub(crate) use entry::{Entry, Priority, Value};
pub(crate) use events::{kinds as key_events, KeyEvents};
pub use evict::EvictionPolicy;
pub(crate) use ids::{take_noted_into, Id, Taken};
pub(crate) use item::{Item, ValueRef};
pub(crate) use links::{DependError, TagMatch};
pub use memory::Limits;
pub(crate) use memory::OutOfMemory;
pub(crate) use policy::{DbPolicy, PolicyChange, PolicyError};
pub(crate) use ready::ReadyKeys;
pub(crate) use scope::ShardGuard;
pub(crate) use shard::{EntryMut, ShardInner, Slot};
pub(crate) use slab::{ClassCounters, ClassStats};
pub(crate) use snapshot::{reading, Saved, SavedLock, SnapshotHead};
pub(crate) use types::{Aggregate, Hash, LexBound, List, Set, WrongType, ZSet};

use hashbrown::DefaultHashBuilder;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

/// Number of lock stripes. A power of two; the shard index is taken from
/// bits 40.. of the hash, away from the low bits hashbrown uses for bucket
/// positions and the top seven it keeps as control bytes.
const SHARD_BITS: u32 = 10;
const SHARDS: usize = 1 << SHARD_BITS;
const SHARD_SHIFT: u32 = 40;

/// A key's hash and the shard it lives in, computed once per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyHash {
    pub(crate) hash: u64,
    pub(crate) shard: usize,
}

/// Counters summed over all shards.
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
}

/// The slab classes and pages.
#[derive(Debug, Default, Clone)]
pub(crate) struct SlabReport {
    /// (class number from 0, figures) for the classes that hold pages.
    pub(crate) classes: Vec<(usize, ClassStats)>,
    pub(crate) page_size: u64,
    /// Pages holding chunks now.
    pub(crate) pages_in_use: u64,
}

/// Per-database key counts, as INFO keyspace reports them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DbInfo {
    pub(crate) keys: u64,
    pub(crate) expires: u64,
    pub(crate) avg_ttl: u64,
}

#[repr(align(128))]
struct Shard {
    inner: Mutex<ShardInner>,
}

pub struct Store {
    shards: Box<[Shard]>,
    hasher: DefaultHashBuilder,
    databases: usize,
    /// Item versions and lock handles.
    ids: ids::Ids,
    /// Items deleted by a command (not expired or evicted), for
    /// [`Store::changes`].
    removals: AtomicU64,
    /// Until this Unix ms, items past their deadline read as missing but
    /// stay in place and are not counted as expired (CLIENT PAUSE).
    keep_expired_until: AtomicU64,
    /// Set by the first CACHE.LOCK: from then on the cron looks for timed
    /// out locks in every shard ([`Store::expire_locks`]).
    locks_used: AtomicBool,
    /// Next shard the active expiry cycle visits.
    sweep_cursor: AtomicUsize,
    /// Unix seconds when the store was made; access times count from here.
    epoch_secs: u64,
    limits: memory::SharedLimits,
    /// Each database's CACHE.POLICY.
    policies: policy::Policies,
    slabs: Arc<slab::Slabs>,
    ready: ReadyKeys,
    /// Keys created, expired, evicted, missed or removed by a cascade or a
    /// tag, for notifications.
    events: KeyEvents,
    /// Each database's dependency graph (CACHE.DEPEND).
    graphs: links::Graphs,
    /// Held shared by every holder of several shards at once, exclusively
    /// by an atomic scope ([`scope`]).
    multi: RwLock<()>,
    /// A snapshot is under way: a shard locked may have to be copied out
    /// first ([`snapshot`]).
    snapshotting: AtomicBool,
    /// The snapshot's instant, Unix ms.
    snap_now: AtomicU64,
    /// A replica's store: expiry is the primary's to do.
    replica: AtomicBool,
}

impl Store {
    pub fn new(databases: usize, now: u64) -> Store {
        let databases = databases.max(1);
        let shards = (0..SHARDS)
            .map(|i| Shard {
                inner: Mutex::new(ShardInner::new(i, databases)),
            })
            .collect();
        Store {
            shards,
            hasher: DefaultHashBuilder::default(),
            databases,
            ids: ids::Ids::default(),
            removals: AtomicU64::new(0),
            keep_expired_until: AtomicU64::new(0),
            locks_used: AtomicBool::new(false),
            sweep_cursor: AtomicUsize::new(0),
            epoch_secs: now / 1000,
            limits: memory::SharedLimits::new(),
            policies: policy::Policies::new(databases),
            slabs: Arc::new(slab::Slabs::new()),
            ready: ReadyKeys::default(),
            events: KeyEvents::default(),
            graphs: links::Graphs::new(databases),
            multi: RwLock::new(()),
            snapshotting: AtomicBool::new(false),
            snap_now: AtomicU64::new(0),
            replica: AtomicBool::new(false),
        }
    }

    /// What the store records of keys for keyspace notifications.
    pub(crate) fn events(&self) -> &KeyEvents {
        &self.events
    }

    /// Keys that became lists or sorted sets, or whose lock was released,
    /// for blocked clients.
    pub(crate) fn ready_keys(&self) -> &ReadyKeys {
        &self.ready
    }

    pub(crate) fn databases(&self) -> usize {
        self.databases
    }

    pub(crate) fn hash(&self, key: &[u8]) -> KeyHash {
        let hash = self.hasher.hash_one(key);
        KeyHash {
            hash,
            shard: shard_of(hash),
        }
    }

    /// A new version, strictly greater than every one handed out before.
    pub(crate) fn next_version(&self) -> u64 {
        self.ids.next(Id::Version, self.events.numbering())
    }

    /// The counters of versions and lock handles, and a replica's presets.
    pub(crate) fn ids(&self) -> &ids::Ids {
        &self.ids
    }

    /// How many changes commands have made to the data since start: one
    /// per write of an item (each takes a new version) and one per item
    /// deleted, flushed included. A command that leaves a value as it was
    /// (SETBIT of the bit it holds) makes none. Redis's "dirty" counter,
    /// INFO's `rdb_changes_since_last_save`; Redis counts a few commands
    /// finer (SADD of three members is three there, one here).
    pub(crate) fn changes(&self) -> u64 {
        self.ids.last(Id::Version) + self.removals.load(Ordering::Relaxed)
    }

    /// Holds back expiry until `until` (Unix ms; 0 ends it now): items
    /// past their deadline read as missing, but neither the lookups nor the
    /// active expiry remove them, as Redis does during CLIENT PAUSE, so
    /// that a paused server changes no data at all.
    pub(crate) fn keep_expired_until(&self, until: u64) {
        self.keep_expired_until.store(until, Ordering::Relaxed);
    }

    pub(super) fn keeps_expired(&self, now: u64) -> bool {
        now < self.keep_expired_until.load(Ordering::Relaxed) || self.replica.load(Ordering::Relaxed)
    }

    /// As a replica, the store keeps items past their deadline (they read
    /// as missing) until the primary's deletion comes.
    pub(crate) fn set_replica(&self, on: bool) {
        self.replica.store(on, Ordering::Relaxed);
    }

    pub(crate) fn is_replica(&self) -> bool {
        self.replica.load(Ordering::Relaxed)
    }

    pub(super) fn note_removed(&self, items: u64) {
        self.removals.fetch_add(items, Ordering::Relaxed);
    }

    /// A new lock handle, strictly greater than every one handed out
    /// before, so that a handle also serves as a fencing token.
    pub(crate) fn next_lock_handle(&self) -> u64 {
        if !self.locks_used.load(Ordering::Relaxed) {
            self.locks_used.store(true, Ordering::Relaxed);
        }
        self.ids.next(Id::Handle, self.events.numbering())
    }

    /// Seconds on the store's access clock for a Unix time in milliseconds.
    pub(crate) fn clock_secs(&self, now: u64) -> u32 {
        (now / 1000).saturating_sub(self.epoch_secs) as u32
    }

    /// Locks the shard of one key.
    pub(crate) fn lock(&self, kh: KeyHash) -> Locked<'_> {
        Locked::new(self, kh.shard)
    }

    /// Runs `f` on the slot of `key` in database `db`, with the key's
    /// shard locked for the length of the call: the opening of every
    /// single-key operation (hash the key once, lock its shard, find it).
    #[inline]
    pub fn with_slot<R>(&self, db: usize, key: &[u8], now: u64, f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        let kh = self.hash(key);
        let mut locked = self.lock(kh);
        let mut slot = locked.slot(db, key, kh, now);
        f(&mut slot)
    }

    /// Locks the shards of several keys at once, in ascending order.
    pub(crate) fn lock_many(&self, khs: &[KeyHash]) -> MultiLocked<'_> {
        let mut idx: Vec<usize> = khs.iter().map(|k| k.shard).collect();
        idx.sort_unstable();
        idx.dedup();
        let multi = if idx.len() > 1 { self.multi_shared() } else { None };
        let guards = idx.into_iter().map(|i| (i, Locked::new(self, i))).collect();
        MultiLocked { guards, _multi: multi }
    }

    /// Locks every shard, in order: for operations that must see or change
    /// all of the keyspace at one instant (SWAPDB, FLUSHALL).
    pub(crate) fn lock_all(&self) -> AllShards<'_> {
        let multi = self.multi_shared();
        AllShards {
            guards: (0..SHARDS).map(|i| self.lock_index(i)).collect(),
            _multi: multi,
        }
    }

    /// Number of keys in a database, including expired keys not yet reclaimed.
    pub(crate) fn dbsize(&self, db: usize) -> u64 {
        (0..SHARDS).map(|i| self.lock_index(i).table(db).len() as u64).sum()
    }

    pub(crate) fn db_info(&self, db: usize) -> DbInfo {
        let mut info = DbInfo::default();
        let mut ttl_sum = 0u128;
        let mut ttl_n = 0u64;
        for i in 0..SHARDS {
            let g = self.lock_index(i);
            let t = g.table(db);
            info.keys += t.len() as u64;
            info.expires += t.expires as u64;
            ttl_sum += t.ttl_sample_sum as u128;
            ttl_n += t.ttl_sample_n;
        }
        if ttl_n > 0 {
            info.avg_ttl = (ttl_sum / ttl_n as u128) as u64;
        }
        info
    }

    pub fn stats(&self) -> StoreStats {
        let mut s = StoreStats::default();
        for i in 0..SHARDS {
            let g = self.lock_index(i);
            s.keyspace_hits += g.stats.hits;
            s.keyspace_misses += g.stats.misses;
            s.expired_keys += g.stats.expired;
            s.evicted_keys += g.stats.evicted;
        }
        s
    }

    pub(crate) fn reset_stats(&self) {
        for i in 0..SHARDS {
            self.lock_index(i).stats = Default::default();
        }
        self.slabs.reset_counters();
    }

    /// Items of each priority in every database, lowest priority first.
    pub(crate) fn priority_counts(&self) -> [u64; 6] {
        self.slabs.priority_totals()
    }

    /// The slab classes in use and the page pool, for `stats slabs` and
    /// `stats items`.
    pub(crate) fn slab_report(&self) -> SlabReport {
        let (pages_in_use, _) = self.slabs.page_counts();
        SlabReport {
            classes: self.slabs.class_stats(),
            page_size: slab::PAGE_SIZE as u64,
            pages_in_use: pages_in_use as u64,
        }
    }

    #[cfg(test)]
    /// Bytes the store accounts: item chunks, the heap blocks items own and
    /// the hash tables.
    pub(crate) fn used_bytes(&self) -> u64 {
        let (dataset, overhead) = self.slabs.totals();
        dataset + overhead
    }

    /// Empties one database. With `lazy`, the old items are freed on a
    /// background thread so a large database does not stall the caller.
    pub fn flush_db(&self, db: usize, lazy: bool) {
        let mut old = Vec::new();
        let mut take = |g: &mut ShardInner| {
            // Tables never used since the last flush are left as they are:
            // a flush of a nearly empty server stays cheap.
            if g.table_is_pristine(db) {
                return;
            }
            g.signal_locks(&self.ready, db);
            let t = g.take_table(&self.slabs, db);
            self.count_flushed(db, t.used);
            self.note_removed(t.map.len() as u64);
            old.push((g.arena(), t));
        };
        if self.events.numbering() {
            // For the replication stream the flush is one change at one
            // instant: every shard locked at once.
            let mut guards = self.lock_all();
            self.events.record_bulk();
            guards.iter_mut().for_each(|g| take(g));
        } else {
            (0..SHARDS).for_each(|i| take(&mut self.lock_index(i)));
        }
        self.graph(db).clear();
        self.free_tables(old, lazy);
    }

    pub(crate) fn flush_all(&self, lazy: bool) {
        let mut old = Vec::new();
        let mut guards = self.lock_all();
        self.events.record_bulk();
        for g in guards.iter_mut() {
            for db in 0..self.databases {
                if g.table_is_pristine(db) {
                    continue;
                }
                g.signal_locks(&self.ready, db);
                let t = g.take_table(&self.slabs, db);
                self.count_flushed(db, t.used);
                self.note_removed(t.map.len() as u64);
                old.push((g.arena(), t));
            }
        }
        for db in 0..self.databases {
            self.graph(db).clear();
        }
        self.free_tables(old, lazy);
    }

    fn free_tables(&self, tables: Vec<(usize, shard::Table)>, lazy: bool) {
        let slabs = self.slabs.clone();
        let free = move || {
            for (arena, t) in tables {
                shard::free_table(&slabs, arena, t);
            }
            slabs.check();
        };
        if lazy {
            free_in_background(Box::new(free));
        } else {
            free();
        }
    }

    /// Swaps two databases atomically: every shard is locked first. The
    /// items move; each number keeps its policy (CACHE.POLICY).
    pub(crate) fn swap_db(&self, a: usize, b: usize) {
        let mut guards = self.lock_all();
        self.events.record_bulk();
        // The graphs move with the tables that mark their keys, while no
        // shard can change either.
        if a != b {
            let (mut ga, mut gb) = (self.graph(a), self.graph(b));
            std::mem::swap(&mut *ga, &mut *gb);
        }
        for g in guards.iter_mut() {
            // A key locked in one database may be free in the other now.
            g.signal_locks(&self.ready, a);
            g.signal_locks(&self.ready, b);
            g.swap_tables(a, b);
        }
        self.recount_swapped(&guards, a, b);
    }

    /// A random live key of a database, or None when it is empty.
    pub(crate) fn random_key(&self, db: usize, now: u64, seed: u64) -> Option<Vec<u8>> {
        let start = (seed as usize) % SHARDS;
        for step in 0..SHARDS {
            let i = (start + step) % SHARDS;
            let mut g = self.lock_index(i);
            if let Some(k) = g.random_key(self, db, now, seed) {
                return Some(k);
            }
        }
        None
    }

    /// Calls `f` for every live key of a database, shard by shard.
    pub(crate) fn for_each_key(&self, db: usize, now: u64, mut f: impl FnMut(&Item<'_>)) {
        for i in 0..SHARDS {
            let g = self.lock_index(i);
            for e in g.items(&self.slabs, db) {
                if g.alive(db, &e, now) {
                    f(&e);
                }
            }
        }
    }
}

fn shard_of(hash: u64) -> usize {
    ((hash >> SHARD_SHIFT) as usize) & (SHARDS - 1)
}

fn drop_maybe_lazily<T: Send + 'static>(v: T, lazy: bool) {
    if lazy {
        free_in_background(Box::new(move || drop(v)));
    } else {
        drop(v);
    }
}

/// Frees an aggregate taken out of the store: on the background thread
/// when it holds [`LAZY_FREE_MIN`] or more, so that freeing a big one does
/// not stall the shard it came from.
pub(crate) fn drop_large_lazily(a: Box<Aggregate>) {
    let big = a.mem_size() >= LAZY_FREE_MIN;
    drop_maybe_lazily(a, big);
}

/// Entries removed together that hold less than this are freed where they
/// were removed: handing them over would cost more than freeing them.
const LAZY_FREE_MIN: usize = 64 * 1024;

/// Frees removed entries (UNLINK): large ones on the background thread,
/// small ones at once.
pub(crate) fn release(entries: Vec<Entry>) {
    let bytes: usize = entries.iter().map(Entry::mem_size).sum();
    drop_maybe_lazily(entries, bytes >= LAZY_FREE_MIN);
}

type FreeJob = Box<dyn FnOnce() + Send>;

/// Hands a freeing job to the one long-lived freeing thread, started on
/// first use. A thread per call would cost more than most frees; the
/// channel costs an allocation and a wake-up.
fn free_in_background(job: FreeJob) {
    use std::sync::mpsc::{channel, Sender};
    use std::sync::OnceLock;
    static FREER: OnceLock<Option<Sender<FreeJob>>> = OnceLock::new();
    let tx = FREER.get_or_init(|| {
        let (tx, rx) = channel::<FreeJob>();
        let spawned = std::thread::Builder::new()
            .name("lazy-free".into())
            .spawn(move || rx.into_iter().for_each(|job| job()));
        spawned.ok().map(|_| tx)
    });
    match tx {
        // The thread lives as long as the process; if it could not be
        // started the job runs here.
        Some(tx) => {
            if let Err(e) = tx.send(job) {
                (e.0)();
            }
        }
        None => job(),
    }
}

/// One locked shard, with the store at hand for hashing and versions.
/// When the thread's last such guard is released, the children that its
/// writes doomed are removed ([`Store::cascade`]).
pub(crate) struct Locked<'s> {
    store: &'s Store,
    guard: std::mem::ManuallyDrop<ShardGuard<'s>>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, and not used again.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.guard) };
        if links::release() {
            self.store.cascade();
        }
    }
}

impl<'s> Locked<'s> {
    fn new(store: &'s Store, shard: usize) -> Locked<'s> {
        let guard = std::mem::ManuallyDrop::new(store.lock_index(shard));
        links::hold();
        Locked { store, guard }
    }

    /// The slot of `key` in database `db`; `kh` must be `store.hash(key)`.
    pub(crate) fn slot<'a>(&'a mut self, db: usize, key: &'a [u8], kh: KeyHash, now: u64) -> Slot<'a> {
        debug_assert_eq!(kh.shard, shard_of(kh.hash));
        let store = self.store;
        self.guard.slot(store, db, key, kh.hash, now)
    }
}

/// Several shards locked together, for multi-key commands.
pub(crate) struct MultiLocked<'s> {
    guards: Vec<(usize, Locked<'s>)>,
    /// Dropped after the guards.
    _multi: Option<RwLockReadGuard<'s, ()>>,
}

/// Every shard locked, in order (FLUSHALL, SWAPDB).
pub(crate) struct AllShards<'s> {
    pub(super) guards: Vec<ShardGuard<'s>>,
    /// Dropped after the guards.
    _multi: Option<RwLockReadGuard<'s, ()>>,
}

impl<'s> std::ops::Deref for AllShards<'s> {
    type Target = [ShardGuard<'s>];
    fn deref(&self) -> &Self::Target {
        &self.guards
    }
}

impl std::ops::DerefMut for AllShards<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.guards
    }
}

impl<'s> MultiLocked<'s> {
    /// The slot of `key`; its shard must be among those locked.
    pub(crate) fn slot<'a>(&'a mut self, db: usize, key: &'a [u8], kh: KeyHash, now: u64) -> Slot<'a> {
        let pos = self
            .guards
            .binary_search_by_key(&kh.shard, |(i, _)| *i)
            .expect("shard of key was locked");
        self.guards[pos].1.slot(db, key, kh, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn set(store: &Store, db: usize, key: &[u8], val: &[u8], expire_at: u64) -> u64 {
        let kh = store.hash(key);
        let mut l = store.lock(kh);
        let mut s = l.slot(db, key, kh, T0);
        s.set(Value::Str(val.to_vec()), expire_at, 0)
    }

    fn get(store: &Store, db: usize, key: &[u8], now: u64) -> Option<Vec<u8>> {
        let kh = store.hash(key);
        let mut l = store.lock(kh);
        let mut s = l.slot(db, key, kh, now);
        s.read(true).and_then(|e| e.as_str().map(|v| v.to_vec()))
    }

    #[test]
    fn set_then_get_returns_value_and_versions_increase() {
        let st = Store::new(16, T0);
        let v1 = set(&st, 0, b"k", b"v1", 0);
        let v2 = set(&st, 0, b"k", b"v2", 0);
        assert!(v2 > v1);
        assert_eq!(get(&st, 0, b"k", T0).as_deref(), Some(&b"v2"[..]));
        assert_eq!(get(&st, 1, b"k", T0), None);
        assert_eq!(st.dbsize(0), 1);
    }

    #[test]
    fn expired_key_is_gone_on_read_after_its_deadline() {
        let st = Store::new(1, T0);
        set(&st, 0, b"k", b"v", T0 + 100);
        assert!(get(&st, 0, b"k", T0 + 100).is_some());
        assert!(get(&st, 0, b"k", T0 + 101).is_none());
        assert_eq!(st.dbsize(0), 0);
        assert_eq!(st.stats().expired_keys, 1);
    }

    #[test]
    fn expire_step_reclaims_without_reads() {
        let st = Store::new(1, T0);
        for i in 0..5000u32 {
            set(&st, 0, format!("k{i}").as_bytes(), b"v", T0 + 10);
        }
        set(&st, 0, b"keep", b"v", 0);
        assert_eq!(st.db_info(0).expires, 5000);
        let removed = st.expire_step(T0 + 11, SHARDS);
        assert_eq!(removed, 5000);
        assert_eq!(st.dbsize(0), 1);
        assert_eq!(st.db_info(0).expires, 0);
    }

    #[test]
    fn one_due_key_is_swept_by_the_next_step_wherever_it_is() {
        let st = Store::new(1, T0);
        for i in 0..5000u32 {
            set(&st, 0, format!("k{i}").as_bytes(), b"v", 0);
        }
        for round in 0..3u64 {
            let key = format!("due{round}");
            set(&st, 0, key.as_bytes(), b"v", T0 + 10 + round);
            // One step that may sweep a single shard finds it, however far
            // the cursor is from its shard.
            assert_eq!(st.expire_step(T0 + 10 + round, 1), 0, "not due yet");
            assert_eq!(st.expire_step(T0 + 11 + round, 1), 1);
            assert_eq!(st.dbsize(0), 5000);
        }
    }

    #[test]
    fn swap_db_exchanges_contents() {
        let st = Store::new(2, T0);
        set(&st, 0, b"a", b"0", 0);
        set(&st, 1, b"b", b"1", 0);
        st.swap_db(0, 1);
        assert_eq!(get(&st, 0, b"b", T0).as_deref(), Some(&b"1"[..]));
        assert_eq!(get(&st, 1, b"a", T0).as_deref(), Some(&b"0"[..]));
    }

    #[test]
    fn flush_db_leaves_other_databases() {
        let st = Store::new(2, T0);
        set(&st, 0, b"a", b"0", 0);
        set(&st, 1, b"a", b"1", 0);
        st.flush_db(0, false);
        assert_eq!(st.dbsize(0), 0);
        assert_eq!(st.dbsize(1), 1);
        assert!(st.used_bytes() > 0);
        st.flush_all(false);
        assert_eq!(st.dbsize(1), 0);
        assert_eq!(st.used_bytes(), 0);
    }

    #[test]
    fn multi_lock_reaches_every_key() {
        let st = Store::new(1, T0);
        let keys: Vec<Vec<u8>> = (0..100).map(|i| format!("key{i}").into_bytes()).collect();
        let khs: Vec<KeyHash> = keys.iter().map(|k| st.hash(k)).collect();
        let mut m = st.lock_many(&khs);
        for (k, kh) in keys.iter().zip(&khs) {
            m.slot(0, k, *kh, T0).set(Value::Str(k.clone()), 0, 0);
        }
        drop(m);
        for k in &keys {
            assert_eq!(get(&st, 0, k, T0).as_ref(), Some(k));
        }
    }
}
