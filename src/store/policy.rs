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
use std::sync::Mutex;

/// A database's policy, as CACHE.POLICY shows and sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbPolicy {
    /// Seconds a write without a timeout is given; 0 for none.
    pub(crate) default_ttl: u64,
    /// Timeouts of plain writes (and the default one) slide.
    pub(crate) sliding: bool,
    /// Items may be evicted (`lru`); false for `none`.
    pub(crate) evict: bool,
    /// Bytes the database's items may take; 0 for no limit of its own.
    pub(crate) maxmemory: u64,
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
pub(crate) struct PolicyChange {
    pub(crate) default_ttl: Option<u64>,
    pub(crate) sliding: Option<bool>,
    pub(crate) evict: Option<bool>,
    pub(crate) maxmemory: Option<u64>,
}

/// Why a policy change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyError {
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
fn table_bytes(guards: &[super::ShardGuard<'_>], db: usize) -> u64 {
    guards.iter().map(|g| g.table(db).used).sum()
}

impl Store {
    /// Database `db`'s policy.
    pub(crate) fn policy(&self, db: usize) -> DbPolicy {
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
    pub(crate) fn set_policy(&self, db: usize, change: PolicyChange) -> Result<DbPolicy, PolicyError> {
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
    pub(crate) fn db_used_bytes(&self, db: usize) -> u64 {
        if self.policies.word(db).limited() {
            return self.policies.dbs[db].used.load(Ordering::Relaxed).max(0) as u64;
        }
        (0..super::SHARDS).map(|i| self.lock_index(i).table(db).used).sum()
    }

    /// Victims of one pass under a database's own limit. That limit has no
    /// low watermark to evict down to, so a pass stays smaller than the
    /// store's [`super::evict::MAX_BATCH`]: it overshoots by fewer items.
    const DB_LIMIT_BATCH: usize = 8;

    /// Makes room before a write into database `db` that may add memory:
    /// first under the store's limit ([`Store::make_room`]), then under the
    /// database's own. Over its own, a database whose policy evicts loses
    /// its own items (lowest priority, then least recently used, as the
    /// store evicts); one whose policy is `none` refuses the write.
    pub(crate) fn make_room_in(&self, db: usize, now: u64, policy: EvictionPolicy) -> Result<(), OutOfMemory> {
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
                .evict_some_in(scope, EvictionPolicy::AllKeysLru, now, samples, Self::DB_LIMIT_BATCH)
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
    pub(crate) fn recount_swapped(&self, guards: &[super::ShardGuard<'_>], a: usize, b: usize) {
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
    pub(crate) fn plain_expiry(&self, deadline: u64) -> Expiry {
        self.policy().plain_expiry(deadline, self.now())
    }
}

impl super::EntryMut<'_, '_> {
    /// Gives the item a plain command's timeout, as
    /// [`super::Slot::plain_expiry`] made it: as a write with a new version
    /// (EXPIRE, GETEX), or keeping the version (memcached `touch`, `gat`).
    pub(crate) fn set_timeout(&mut self, expiry: Expiry, new_version: bool) {
        match (expiry, new_version) {
            (Expiry::None, true) => self.set_expire(0),
            (Expiry::At(t), true) => self.set_expire(t),
            (Expiry::Sliding { idle_ms, .. }, true) => self.set_sliding(idle_ms),
            (Expiry::At(t), false) => self.retime(t),
            (e, false) => self.retime_expiry(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Hash, Priority, Value, SHARDS};

    const T0: u64 = 1_700_000_000_000;

    fn put(st: &Store, db: usize, key: &str, value: &[u8], now: u64) -> u64 {
        let kh = st.hash(key.as_bytes());
        st.lock(kh)
            .slot(db, key.as_bytes(), kh, now)
            .set_bytes(value, Expiry::None, 0)
    }

    fn expiry(st: &Store, db: usize, key: &str, now: u64) -> Option<Expiry> {
        let kh = st.hash(key.as_bytes());
        st.lock(kh).slot(db, key.as_bytes(), kh, now).peek().map(|i| i.expiry())
    }

    fn exists(st: &Store, db: usize, key: &str) -> bool {
        expiry(st, db, key, T0).is_some()
    }

    fn set(st: &Store, db: usize, change: PolicyChange) {
        st.set_policy(db, change).expect("valid policy");
    }

    fn limit(st: &Store, db: usize, maxmemory: u64, evict: bool) {
        let change = PolicyChange {
            maxmemory: Some(maxmemory),
            evict: Some(evict),
            ..Default::default()
        };
        set(st, db, change);
    }

    /// The sum over every table, counted afresh.
    fn table_sum(st: &Store, db: usize) -> u64 {
        (0..SHARDS).map(|i| st.lock_index(i).table(db).used).sum()
    }

    /// The running count of a limited database equals its tables' sum; with
    /// `only`, that is also every byte of the store's dataset.
    fn assert_exact(st: &Store, db: usize, only: bool, what: &str) {
        assert!(st.policies.word(db).limited());
        let running = st.db_used_bytes(db);
        assert_eq!(running, table_sum(st, db), "{what}: running count against the tables");
        if only {
            assert_eq!(running, st.memory().dataset, "{what}: against the arenas");
        }
    }

    #[test]
    fn a_new_database_has_the_default_policy() {
        let st = Store::new(2, T0);
        assert_eq!(st.policy(1), DbPolicy::default());
        assert_eq!(
            DbPolicy::default(),
            DbPolicy {
                default_ttl: 0,
                sliding: false,
                evict: true,
                maxmemory: 0
            }
        );
        put(&st, 1, "k", b"v", T0);
        assert_eq!(expiry(&st, 1, "k", T0), Some(Expiry::None));
    }

    #[test]
    fn a_change_sets_the_fields_given_and_keeps_the_others() {
        let st = Store::new(2, T0);
        set(
            &st,
            1,
            PolicyChange {
                default_ttl: Some(30),
                sliding: Some(true),
                ..Default::default()
            },
        );
        limit(&st, 1, 1000, false);
        let p = st.policy(1);
        assert_eq!(
            p,
            DbPolicy {
                default_ttl: 30,
                sliding: true,
                evict: false,
                maxmemory: 1000
            }
        );
        assert_eq!(st.policy(0), DbPolicy::default(), "another database is untouched");
        assert_eq!(st.set_policy(2, PolicyChange::default()), Err(PolicyError::DbIndex));
    }

    #[test]
    fn a_sliding_default_longer_than_its_idle_time_can_hold_is_refused() {
        let st = Store::new(1, T0);
        let too_long = PolicyChange {
            default_ttl: Some(4_294_968),
            sliding: Some(true),
            ..Default::default()
        };
        assert_eq!(st.set_policy(0, too_long), Err(PolicyError::DefaultTtl));
        assert_eq!(st.policy(0), DbPolicy::default(), "nothing changed");
        set(
            &st,
            0,
            PolicyChange {
                default_ttl: Some(4_294_968),
                ..Default::default()
            },
        );
        let slide = PolicyChange {
            sliding: Some(true),
            ..Default::default()
        };
        assert_eq!(st.set_policy(0, slide), Err(PolicyError::DefaultTtl));
        let huge = PolicyChange {
            default_ttl: Some(u32::MAX as u64 + 1),
            ..Default::default()
        };
        assert_eq!(st.set_policy(0, huge), Err(PolicyError::DefaultTtl));
    }

    #[test]
    fn writes_without_a_timeout_take_the_default_of_its_kind() {
        let st = Store::new(3, T0);
        let ttl = |s, sliding| PolicyChange {
            default_ttl: Some(s),
            sliding: Some(sliding),
            ..Default::default()
        };
        set(&st, 1, ttl(10, false));
        set(&st, 2, ttl(10, true));
        put(&st, 1, "k", b"v", T0);
        assert_eq!(expiry(&st, 1, "k", T0), Some(Expiry::At(T0 + 10_000)));
        put(&st, 2, "k", b"v", T0);
        assert_eq!(
            expiry(&st, 2, "k", T0),
            Some(Expiry::Sliding {
                idle_ms: 10_000,
                deadline: T0 + 10_000
            })
        );
        put(&st, 0, "k", b"v", T0);
        assert_eq!(expiry(&st, 0, "k", T0), Some(Expiry::None), "db 0 has no default");
        // A timeout given is kept; the exact form keeps none.
        let kh = st.hash(b"x");
        st.lock(kh).slot(1, b"x", kh, T0).set_bytes(b"v", Expiry::At(T0 + 5), 0);
        assert_eq!(expiry(&st, 1, "x", T0), Some(Expiry::At(T0 + 5)));
        st.lock(kh).slot(1, b"x", kh, T0).set_bytes_exact(b"v", Expiry::None, 0);
        assert_eq!(expiry(&st, 1, "x", T0), Some(Expiry::None));
        // An aggregate created by a write, and one stored whole.
        let kh = st.hash(b"h");
        st.lock(kh)
            .slot(1, b"h", kh, T0)
            .write::<Hash, _>(true, |h| (h.insert(b"f", b"v"), true))
            .unwrap();
        assert_eq!(expiry(&st, 1, "h", T0), Some(Expiry::At(T0 + 10_000)));
        let kh = st.hash(b"s");
        let mut set_agg = crate::store::Set::default();
        set_agg.insert(b"m");
        st.lock(kh)
            .slot(2, b"s", kh, T0)
            .put_aggregate(crate::store::Aggregate::Set(set_agg));
        assert!(matches!(expiry(&st, 2, "s", T0), Some(Expiry::Sliding { .. })));
        // Clearing the default: later writes have none.
        set(&st, 1, ttl(0, false));
        put(&st, 1, "k", b"w", T0);
        assert_eq!(expiry(&st, 1, "k", T0), Some(Expiry::None));
    }

    #[test]
    fn plain_timeouts_become_sliding_of_the_same_length_in_a_sliding_database() {
        let st = Store::new(2, T0);
        set(
            &st,
            1,
            PolicyChange {
                sliding: Some(true),
                ..Default::default()
            },
        );
        let plain = |db: usize, deadline: u64| {
            let kh = st.hash(b"k");
            st.lock(kh).slot(db, b"k", kh, T0).plain_expiry(deadline)
        };
        assert_eq!(plain(0, T0 + 5_000), Expiry::At(T0 + 5_000));
        assert_eq!(plain(1, T0 + 5_000), Expiry::sliding(5_000));
        let long = T0 + u32::MAX as u64 + 1;
        assert_eq!(plain(1, long), Expiry::At(long), "too long to slide: kept absolute");
        assert_eq!(plain(1, T0), Expiry::At(T0), "a past deadline stays what it is");
        assert_eq!(PolicyWord::default().plain_expiry(T0 + 1, T0), Expiry::At(T0 + 1));
    }

    #[test]
    fn the_running_count_stays_exact_through_every_change() {
        let st = Store::new(2, T0);
        limit(&st, 0, 1 << 40, true);
        assert_exact(&st, 0, true, "empty");
        for i in 0..200 {
            put(&st, 0, &format!("k{i}"), &vec![b'x'; i * 7], T0);
        }
        assert!(st.db_used_bytes(0) > 0);
        assert_exact(&st, 0, true, "inserts");
        for i in 0..200 {
            put(&st, 0, &format!("k{i}"), &vec![b'y'; (200 - i) * 13], T0);
        }
        put(&st, 0, "k0", b"same", T0);
        put(&st, 0, "k0", b"SAME", T0);
        assert_exact(&st, 0, true, "overwrites");
        let kh = st.hash(b"k1");
        st.lock(kh)
            .slot(0, b"k1", kh, T0)
            .get_mut()
            .unwrap()
            .update_value(|v| v.extend_from_slice(&[b'z'; 5000]));
        assert_exact(&st, 0, true, "append");
        // Values too large for a chunk live on the heap; rewriting one
        // moves its heap part into the new item.
        put(&st, 0, "big", &vec![b'b'; 300_000], T0);
        assert_exact(&st, 0, true, "a value on the heap");
        let kh = st.hash(b"big");
        st.lock(kh)
            .slot(0, b"big", kh, T0)
            .get_mut()
            .unwrap()
            .update_value(|v| v.extend_from_slice(&[b'z'; 5000]));
        assert_exact(&st, 0, true, "append on the heap");
        st.lock(kh)
            .slot(0, b"big", kh, T0)
            .get_mut()
            .unwrap()
            .set_expire(T0 + 1_000_000);
        assert_exact(&st, 0, true, "retimed on the heap");
        put(&st, 0, "big", b"small again", T0);
        assert_exact(&st, 0, true, "from the heap back into a chunk");
        let kh = st.hash(b"h");
        for i in 0..300 {
            st.lock(kh)
                .slot(0, b"h", kh, T0)
                .write::<Hash, _>(true, |h| (h.insert(format!("f{i}").as_bytes(), b"value"), true))
                .unwrap();
        }
        assert_exact(&st, 0, true, "an aggregate grows");
        st.lock(kh)
            .slot(0, b"h", kh, T0)
            .get_mut()
            .unwrap()
            .set_sliding(1_000_000);
        assert_exact(&st, 0, true, "an aggregate rebuilt with a new timeout");
        for i in 0..50 {
            let k = format!("k{i}");
            let kh = st.hash(k.as_bytes());
            st.lock(kh).slot(0, k.as_bytes(), kh, T0).delete();
        }
        let kh = st.hash(b"k60");
        drop(st.lock(kh).slot(0, b"k60", kh, T0).remove());
        assert_exact(&st, 0, true, "deletes");
        // Rename (remove + adopt) and expiry, lazy and by the sweep.
        let (ks, kd) = (st.hash(b"k70"), st.hash(b"renamed"));
        let e = st.lock(ks).slot(0, b"k70", ks, T0).remove().unwrap();
        st.lock(kd).slot(0, b"renamed", kd, T0).adopt(e);
        for i in 100..150 {
            let k = format!("k{i}");
            let kh = st.hash(k.as_bytes());
            st.lock(kh)
                .slot(0, k.as_bytes(), kh, T0)
                .get_mut()
                .unwrap()
                .set_expire(T0 + 10);
        }
        let kh = st.hash(b"k100");
        assert!(st.lock(kh).slot(0, b"k100", kh, T0 + 11).peek().is_none());
        st.expire_step(T0 + 11, SHARDS);
        assert_exact(&st, 0, true, "expiry");
        assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 5).is_some());
        assert_exact(&st, 0, true, "eviction");
        st.flush_db(0, false);
        assert_eq!(st.db_used_bytes(0), 0, "flushdb");
        assert_exact(&st, 0, true, "flushdb");
    }

    #[test]
    fn swapdb_moves_the_items_and_their_bytes_and_leaves_the_policies() {
        let st = Store::new(2, T0);
        limit(&st, 0, 1 << 40, false);
        for i in 0..20 {
            put(&st, 0, &format!("a{i}"), b"small", T0);
            put(&st, 1, &format!("b{i}"), &[b'x'; 300], T0);
        }
        let (in0, in1) = (st.db_used_bytes(0), st.db_used_bytes(1));
        assert!(in1 > in0);
        st.swap_db(0, 1);
        assert_eq!(st.db_used_bytes(0), in1, "db 0 counts what it holds now");
        assert_eq!(st.db_used_bytes(1), in0);
        assert_exact(&st, 0, false, "swapdb");
        assert!(!st.policy(0).evict, "the policy stayed with the number");
        assert!(st.policy(1).evict);
        // Both limited: the counts swap too.
        limit(&st, 1, 1 << 40, true);
        st.swap_db(0, 1);
        assert_eq!((st.db_used_bytes(0), st.db_used_bytes(1)), (in0, in1));
        assert_exact(&st, 0, false, "swapdb again");
        assert_exact(&st, 1, false, "swapdb again");
    }

    #[test]
    fn a_limit_given_later_starts_from_what_the_database_holds_and_can_be_removed() {
        let st = Store::new(2, T0);
        for i in 0..100 {
            put(&st, 1, &format!("k{i}"), b"value", T0);
        }
        let before = st.db_used_bytes(1);
        assert_eq!(before, st.memory().dataset);
        limit(&st, 1, 1 << 30, true);
        assert_eq!(st.db_used_bytes(1), before);
        put(&st, 1, "more", b"value", T0);
        assert_exact(&st, 1, true, "after a write");
        limit(&st, 1, 0, true);
        assert!(!st.policies.word(1).limited());
        assert_eq!(st.db_used_bytes(1), st.memory().dataset, "summed on demand again");
        assert_eq!(st.policies.limited.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_database_over_its_limit_evicts_its_own_items_only() {
        let st = Store::new(2, T0);
        for i in 0..100 {
            put(&st, 0, &format!("k{i}"), &[b'x'; 100], T0);
        }
        for i in 0..100 {
            put(&st, 1, &format!("k{i}"), &[b'x'; 100], T0 + i as u64 * 1000);
        }
        let full = st.db_used_bytes(1);
        limit(&st, 1, full / 2, true);
        assert_eq!(st.make_room_in(1, T0 + 200_000, EvictionPolicy::NoEviction), Ok(()));
        assert!(st.db_used_bytes(1) <= full / 2);
        assert!(st.dbsize(1) < 100 && st.dbsize(1) >= 40, "{}", st.dbsize(1));
        assert_eq!(st.dbsize(0), 100, "the other database lost nothing");
        assert!(!exists(&st, 1, "k0"), "the least recently used went");
        assert!(exists(&st, 1, "k99"));
        assert_exact(&st, 1, false, "after evicting");
        // Another database's writes do not look at this limit.
        assert_eq!(st.make_room_in(0, T0, EvictionPolicy::NoEviction), Ok(()));
    }

    #[test]
    fn a_database_over_its_limit_with_eviction_none_refuses() {
        let st = Store::new(1, T0);
        for i in 0..10 {
            put(&st, 0, &format!("k{i}"), &[b'x'; 100], T0);
        }
        limit(&st, 0, 100, false);
        assert_eq!(st.make_room_in(0, T0, EvictionPolicy::AllKeysLru), Err(OutOfMemory));
        assert_eq!(st.dbsize(0), 10, "nothing evicted");
        limit(&st, 0, 1 << 20, false);
        assert_eq!(st.make_room_in(0, T0, EvictionPolicy::AllKeysLru), Ok(()));
    }

    #[test]
    fn only_notremovable_items_over_the_limit_refuse_too() {
        let st = Store::new(1, T0);
        put(&st, 0, "k", &[b'x'; 100], T0);
        let kh = st.hash(b"k");
        st.lock(kh).slot(0, b"k", kh, T0).set_priority(Priority::NotRemovable);
        limit(&st, 0, 10, true);
        assert_eq!(st.make_room_in(0, T0, EvictionPolicy::AllKeysLru), Err(OutOfMemory));
        assert!(exists(&st, 0, "k"));
    }

    #[test]
    fn global_eviction_never_takes_the_items_of_a_database_with_eviction_none() {
        let st = Store::new(2, T0);
        set(
            &st,
            0,
            PolicyChange {
                evict: Some(false),
                ..Default::default()
            },
        );
        put(&st, 0, "kept", b"v", T0);
        let kh = st.hash(b"low");
        st.lock(kh).slot(0, b"low", kh, T0).set(Value::Str(b"v".to_vec()), 0, 0);
        st.lock(kh).slot(0, b"low", kh, T0).set_priority(Priority::Low);
        assert_eq!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 64), None);
        put(&st, 1, "other", b"v", T0);
        assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 64).is_some());
        assert!(!exists(&st, 1, "other"));
        assert!(exists(&st, 0, "kept") && exists(&st, 0, "low"));
    }
}
