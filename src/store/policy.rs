//! Per-database policies (CACHE.POLICY): a named cache's default timeout
//! and its kind, whether its items may be evicted, and its own memory
//! limit.
//!
//! A policy belongs to the database number, not to the items: SWAPDB
//! exchanges the items of two databases and leaves each number's policy
//! where it was.
//!
//! The write path reads a policy without a lock: everything it needs is
//! packed in one word ([`PolicyWord`]), loaded once per [`super::Slot`]
//! with a relaxed load. A database without a policy costs that load and
//! nothing else.
//!
//! Bytes per database: every table counts the bytes of its items (chunk
//! and heap, the same bytes the store counts in its arenas) under its
//! shard's lock, so the figure is exact and free to keep. A database with
//! a memory limit also keeps the sum over its tables in an atomic, updated
//! with each change, so that a write checks the limit with one load rather
//! than a visit of every shard. The sum is started (and dropped) with
//! every shard locked, so it never misses a change.

use super::entry::Expiry;
use super::memory::OutOfMemory;
use super::shard::ShardInner;
use super::{EvictionPolicy, Store};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A database's policy, as CACHE.POLICY shows and sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbPolicy {
    /// Seconds a write without a timeout is given; 0 for none.
    pub default_ttl: u64,
    /// Timeouts of plain writes (and the default one) slide.
    pub sliding: bool,
    /// Items may be evicted (`lru`); false for `none`.
    pub evict: bool,
    /// Bytes the database's items may take; 0 for no limit of its own.
    pub maxmemory: u64,
}

impl Default for DbPolicy {
    fn default() -> DbPolicy {
        DbPolicy {
            default_ttl: 0,
            sliding: false,
            evict: true,
            maxmemory: 0,
        }
    }
}

/// A change to a policy: the fields given, the others kept.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PolicyChange {
    pub default_ttl: Option<u64>,
    pub sliding: Option<bool>,
    pub evict: Option<bool>,
    pub maxmemory: Option<u64>,
}

/// Why a policy change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    /// No such database.
    DbIndex,
    /// A default timeout too long for its kind: a sliding one is kept in
    /// milliseconds in 32 bits (49 days), as CACHE.PUT's SLIDE is; an
    /// absolute one in seconds in 32 bits.
    DefaultTtl,
}

/// The part of a policy the write path reads, in one word: the default
/// timeout in seconds in the high half, flags in the low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PolicyWord(u64);

impl PolicyWord {
    const SLIDING: u64 = 1;
    const NO_EVICT: u64 = 2;
    /// The database has a memory limit: its bytes are summed as they change.
    const LIMITED: u64 = 4;

    fn of(p: &DbPolicy) -> PolicyWord {
        let mut w = p.default_ttl << 32;
        if p.sliding {
            w |= Self::SLIDING;
        }
        if !p.evict {
            w |= Self::NO_EVICT;
        }
        if p.maxmemory != 0 {
            w |= Self::LIMITED;
        }
        PolicyWord(w)
    }

    fn default_ttl(self) -> u64 {
        self.0 >> 32
    }

    fn sliding(self) -> bool {
        self.0 & Self::SLIDING != 0
    }

    pub(crate) fn evictable(self) -> bool {
        self.0 & Self::NO_EVICT == 0
    }

    pub(crate) fn limited(self) -> bool {
        self.0 & Self::LIMITED != 0
    }

    /// The timeout a write that gives none takes, as of `now`.
    pub(crate) fn default_expiry(self, now: u64) -> Expiry {
        match self.default_ttl() {
            0 => Expiry::None,
            s if self.sliding() => Expiry::sliding((s * 1000).min(u32::MAX as u64) as u32),
            s => Expiry::At(now.saturating_add(s * 1000)),
        }
    }

    /// The expiry a plain Redis or memcached timeout (a deadline, Unix ms,
    /// after `now`) takes: absolute as given, or in a sliding database a
    /// sliding one of the same length. A length a sliding timeout cannot
    /// hold (over 49 days) stays absolute rather than being cut short.
    pub(crate) fn plain_expiry(self, deadline: u64, now: u64) -> Expiry {
        if !self.sliding() || deadline <= now {
            return Expiry::from_deadline(deadline);
        }
        match u32::try_from(deadline - now) {
            Ok(idle_ms) => Expiry::sliding(idle_ms),
            Err(_) => Expiry::At(deadline),
        }
    }
}

/// One database's policy and byte count. Aligned so that a limited
/// database's count, written on each of its writes, shares no cache line
/// with another database's word.
#[repr(align(128))]
#[derive(Default)]
struct DbState {
    word: AtomicU64,
    maxmemory: AtomicU64,
    /// The database's item bytes, while it is limited.
    used: AtomicI64,
}

/// The policies of every database.
pub(crate) struct Policies {
    dbs: Box<[DbState]>,
    /// Databases with a memory limit: none, and the paths outside a slot
    /// (sweep, flush) skip looking for them.
    limited: AtomicUsize,
    /// Serialises CACHE.POLICY changes (read, modify, write of a word).
    change: Mutex<()>,
}

impl Policies {
    pub(crate) fn new(databases: usize) -> Policies {
        Policies {
            dbs: (0..databases).map(|_| DbState::default()).collect(),
            limited: AtomicUsize::new(0),
            change: Mutex::new(()),
        }
    }

    /// One relaxed load: what a write reads.
    pub(crate) fn word(&self, db: usize) -> PolicyWord {
        PolicyWord(self.dbs[db].word.load(Ordering::Relaxed))
    }

    /// Adds `delta` to a limited database's count. Called with the shard
    /// whose table changed locked.
    pub(crate) fn count(&self, db: usize, delta: i64) {
        if delta != 0 {
            self.dbs[db].used.fetch_add(delta, Ordering::Relaxed);
        }
    }

    fn any_limited(&self) -> bool {
        self.limited.load(Ordering::Relaxed) != 0
    }
}

/// Item bytes of database `db` in the shards given.
fn table_bytes(guards: &[MutexGuard<'_, ShardInner>], db: usize) -> u64 {
    guards.iter().map(|g| g.table(db).used).sum()
}

impl Store {
    /// Database `db`'s policy.
    pub fn policy(&self, db: usize) -> DbPolicy {
        let d = &self.policies.dbs[db];
        let w = PolicyWord(d.word.load(Ordering::Relaxed));
        DbPolicy {
            default_ttl: w.default_ttl(),
            sliding: w.sliding(),
            evict: w.evictable(),
            maxmemory: d.maxmemory.load(Ordering::Relaxed),
        }
    }

    /// Changes database `db`'s policy: the fields given, the others kept.
    /// Giving or taking away a memory limit locks every shard once, to
    /// start or drop the database's running byte count.
    pub fn set_policy(&self, db: usize, change: PolicyChange) -> Result<DbPolicy, PolicyError> {
        if db >= self.databases {
            return Err(PolicyError::DbIndex);
        }
        let _serial = self.policies.change.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.policy(db);
        let new = DbPolicy {
            default_ttl: change.default_ttl.unwrap_or(old.default_ttl),
            sliding: change.sliding.unwrap_or(old.sliding),
            evict: change.evict.unwrap_or(old.evict),
            maxmemory: change.maxmemory.unwrap_or(old.maxmemory),
        };
        let max_ttl = match new.sliding {
            true => u32::MAX as u64 / 1000,
            false => u32::MAX as u64,
        };
        if new.default_ttl > max_ttl {
            return Err(PolicyError::DefaultTtl);
        }
        let d = &self.policies.dbs[db];
        let word = PolicyWord::of(&new);
        d.maxmemory.store(new.maxmemory, Ordering::Relaxed);
        if (old.maxmemory != 0) == (new.maxmemory != 0) {
            d.word.store(word.0, Ordering::Relaxed);
            return Ok(new);
        }
        // Every shard locked: no slot is open, and every one opened after
        // sees the new word, so the count starts exact.
        let guards = self.lock_all();
        if new.maxmemory != 0 {
            d.used.store(table_bytes(&guards, db) as i64, Ordering::Relaxed);
            self.policies.limited.fetch_add(1, Ordering::Relaxed);
        } else {
            d.used.store(0, Ordering::Relaxed);
            self.policies.limited.fetch_sub(1, Ordering::Relaxed);
        }
        d.word.store(word.0, Ordering::Relaxed);
        drop(guards);
        Ok(new)
    }

    /// Bytes database `db`'s items take (chunks and heap parts, as the
    /// store counts them): one load for a limited database, a visit of
    /// every shard for another.
    pub fn db_used_bytes(&self, db: usize) -> u64 {
        if self.policies.word(db).limited() {
            return self.policies.dbs[db].used.load(Ordering::Relaxed).max(0) as u64;
        }
        (0..super::SHARDS).map(|i| self.lock_index(i).table(db).used).sum()
    }

    /// Makes room before a write into database `db` that may add memory:
    /// first under the store's limit ([`Store::make_room`]), then under the
    /// database's own. Over its own, a database whose policy evicts loses
    /// its own items (lowest priority, then least recently used, as the
    /// store evicts); one whose policy is `none` refuses the write.
    pub fn make_room_in(&self, db: usize, now: u64, policy: EvictionPolicy) -> Result<(), OutOfMemory> {
        self.make_room(now, policy)?;
        let w = self.policies.word(db);
        if !w.limited() {
            return Ok(());
        }
        let d = &self.policies.dbs[db];
        let max = d.maxmemory.load(Ordering::Relaxed);
        let samples = self.limits().samples;
        while d.used.load(Ordering::Relaxed) > max as i64 {
            if !w.evictable() {
                return Err(OutOfMemory);
            }
            let scope = super::evict::Scope::Db(db);
            if self
                .evict_some_in(scope, EvictionPolicy::AllKeysLru, now, samples, super::evict::MAX_BATCH)
                .is_none()
            {
                return Err(OutOfMemory);
            }
        }
        Ok(())
    }

    /// Whether global eviction may take database `db`'s items.
    pub(crate) fn db_evictable(&self, db: usize) -> bool {
        self.policies.word(db).evictable()
    }

    /// Records that evicting from `db` freed `bytes`, with its shard locked.
    pub(crate) fn count_evicted(&self, db: usize, bytes: u64) {
        if self.policies.word(db).limited() {
            self.policies.count(db, -(bytes as i64));
        }
    }

    /// The item bytes of the limited databases in one locked shard, before
    /// a change made outside a slot (the sweep); see [`Store::settle_bytes`].
    pub(crate) fn bytes_before(&self, g: &ShardInner) -> Vec<(usize, u64)> {
        if !self.policies.any_limited() {
            return Vec::new();
        }
        (0..self.databases)
            .filter(|&db| self.policies.word(db).limited())
            .map(|db| (db, g.table(db).used))
            .collect()
    }

    /// Adds to the limited databases' counts what changed in `g` since
    /// [`Store::bytes_before`].
    pub(crate) fn settle_bytes(&self, g: &ShardInner, before: Vec<(usize, u64)>) {
        for (db, was) in before {
            self.policies.count(db, g.table(db).used as i64 - was as i64);
        }
    }

    /// A table of `db` taken out of its shard (FLUSHDB) leaves the count.
    pub(crate) fn count_flushed(&self, db: usize, bytes: u64) {
        if self.policies.any_limited() && self.policies.word(db).limited() {
            self.policies.count(db, -(bytes as i64));
        }
    }

    /// After SWAPDB, with every shard still locked: the limited databases
    /// among `a` and `b` count the items they hold now.
    pub(crate) fn recount_swapped(&self, guards: &[MutexGuard<'_, ShardInner>], a: usize, b: usize) {
        for db in [a, b] {
            if self.policies.word(db).limited() {
                let bytes = table_bytes(guards, db) as i64;
                self.policies.dbs[db].used.store(bytes, Ordering::Relaxed);
            }
        }
    }
}

impl super::Slot<'_> {
    /// `expiry`, or for a write without one the database's default.
    pub(crate) fn or_default(&self, expiry: Expiry) -> Expiry {
        match expiry {
            Expiry::None => self.policy().default_expiry(self.now()),
            e => e,
        }
    }

    /// The expiry a plain Redis or memcached timeout takes in this
    /// database: the deadline (Unix ms) as given, or in a database whose
    /// policy says sliding, a sliding timeout of the same length. The
    /// CACHE.* commands say which kind they want and do not come here.
    pub fn plain_expiry(&self, deadline: u64) -> Expiry {
        self.policy().plain_expiry(deadline, self.now())
    }
}

impl super::EntryMut<'_, '_> {
    /// Gives the item a plain command's timeout, as
    /// [`super::Slot::plain_expiry`] made it: as a write with a new version
    /// (EXPIRE, GETEX), or keeping the version (memcached `touch`, `gat`).
    pub fn set_timeout(&mut self, expiry: Expiry, new_version: bool) {
        match (expiry, new_version) {
            (Expiry::None, true) => self.set_expire(0),
            (Expiry::At(t), true) => self.set_expire(t),
            (Expiry::Sliding { idle_ms, .. }, true) => self.set_sliding(idle_ms),
            (Expiry::At(t), false) => self.retime(t),
            (e, false) => self.retime_expiry(e),
        }
    }
}
