//! A shard: one hash table per database, guarded by the shard's lock, and
//! the [`Slot`] through which a command reads and writes one key of one
//! table. Everything here runs with that lock held.
//!
//! The tables hold 4-byte chunk handles; the items live in slab chunks
//! (see [`super::slab`] and [`super::item`]). A key is compared by reading
//! it from the chunk, and a table that grows rehashes its keys from their
//! chunks, so the table stores no hash.
//!
//! Beside its items a table keeps what the CACHE.* commands add to them:
//! the locked keys ([`super::key_locks`]) and the tag and dependency index
//! ([`super::links`]). The general path here does what every command must
//! about them: a write or removal releases the key's lock and keeps the
//! index exact, and a lookup lets a locked item outlive its deadline. Each
//! costs one check while the table has no lock or no index. The methods
//! only the CACHE.* commands call are the slot's too, in
//! [`super::cache_item`].
//!
//! The passes over whole tables that no key asked for have files of their
//! own, as further `impl ShardInner` blocks: the expiry sweep
//! ([`super::expire`]) and the eviction batch ([`super::evict`]).

use super::entry::{Entry, Expiry, Priority, Value, LFU_INIT};
use super::events::kinds as key_events;
use super::item::{expired_reason, free_item, item_bytes, take_heap, Item, ItemMut, Parts, Taken, ValueIn};
use super::key_locks::{KeyLocks, Lock};
use super::links::{self, Change, Index};
use super::policy::PolicyWord;
use super::slab::{ArenaGuard, FreeReason, Slabs, ARENAS};
use super::snapshot::SnapState;
use super::types::{AggKind, Aggregate, WrongType};
use super::ReadyKeys;
use super::Store;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ShardStats {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) expired: u64,
    pub(crate) evicted: u64,
}

#[derive(Default)]
pub(crate) struct Table {
    pub(crate) map: HashTable<u32>,
    /// Items that carry an expiry.
    pub(crate) expires: usize,
    /// No item's deadline is earlier (Unix ms; 0 when unknown): the active
    /// expiry passes over a table whose earliest deadline is to come, so
    /// that a few keys due soon among many shards are found within a
    /// cron period rather than a whole round of the shards. Lowered by
    /// every deadline set, made exact again by each sweep.
    pub(crate) next_deadline: u64,
    /// Items of each priority.
    pub(crate) by_priority: [u64; 6],
    /// Remaining TTLs seen by the last sweep, for INFO's avg_ttl.
    pub(crate) ttl_sample_sum: u64,
    pub(crate) ttl_sample_n: u64,
    /// The keys locked by CACHE.LOCK ([`super::key_locks`]), here so that
    /// FLUSHDB and SWAPDB take a database's locks with its items.
    pub(crate) locks: KeyLocks,
    /// Tags and dependency marks of this table's keys ([`super::links`]);
    /// none until the first tag or dependency.
    pub(crate) index: Option<Box<Index>>,
    /// Bytes of the items (chunks and heap parts, as the arenas count
    /// them): a database's usage for its own memory limit (CACHE.POLICY).
    pub(crate) used: u64,
    /// Keys created in this table so far (it goes on across FLUSHDB): WATCH
    /// of a missing key notes it, and EXEC aborts if it moved, since the
    /// key may have been created and removed again in between.
    pub(crate) created: u64,
}

impl Table {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Never used since it was made or last flushed: no buckets, no locks,
    /// no index. Flushing it would change nothing.
    pub(crate) fn is_pristine(&self) -> bool {
        self.map.capacity() == 0 && self.index.is_none() && self.locks.is_empty()
    }

    /// Bytes the table's buckets take (a 4-byte handle and a control byte
    /// each, and one extra group of control bytes), its index's and its
    /// locks'.
    pub(crate) fn bytes(&self) -> u64 {
        let index = (self.index.as_ref().map_or(0, |ix| ix.bytes()) + self.locks.bytes()) as u64;
        // An empty table shares one static group and owns nothing.
        if self.map.capacity() == 0 {
            return index;
        }
        (self.map.num_buckets() * 5 + 16) as u64 + index
    }

    /// Keeps the tag and dependency index exact when the item under `key`
    /// is written in place or goes (removed, or replaced by a new item).
    pub(super) fn changed(&mut self, store: &Store, arena: usize, db: usize, key: &[u8], change: Change, now: u64) {
        let Some(ix) = self.index.as_deref_mut() else { return };
        let delta = links::on_change(ix, store, db, key, change, now);
        if ix.is_empty() {
            self.index = None;
        }
        if delta != 0 {
            store.slabs.arena(arena).add_overhead(delta);
        }
    }

    fn count_in(&mut self, h: u32, it: &Item<'_>, slabs: &Slabs, arena: usize) {
        self.created = self.created.wrapping_add(1);
        self.used += item_bytes(slabs, h, it);
        if let Some(at) = it.expire_at() {
            self.expires += 1;
            self.next_deadline = self.next_deadline.min(at);
        }
        self.shift_priority(None, Some(it.priority()), slabs, arena);
    }

    fn count_out(&mut self, h: u32, it: &Item<'_>, slabs: &Slabs, arena: usize) {
        let p = self.uncount(h, it, slabs);
        slabs.count_priority(arena, p as usize, -1);
    }

    /// [`Table::count_out`] in this table only, returning the priority the
    /// arena's counts must lose: a batch moves those once for all its items.
    pub(super) fn uncount(&mut self, h: u32, it: &Item<'_>, slabs: &Slabs) -> Priority {
        self.used -= item_bytes(slabs, h, it);
        self.expires -= it.expire_at().is_some() as usize;
        let p = it.priority();
        self.by_priority[p as usize] -= 1;
        p
    }

    /// An item leaves priority `from` and joins `to` (None: leaves or joins
    /// the table), in this table's counts and the arena's.
    pub(super) fn shift_priority(&mut self, from: Option<Priority>, to: Option<Priority>, slabs: &Slabs, arena: usize) {
        if from == to {
            return;
        }
        if let Some(p) = from {
            self.by_priority[p as usize] -= 1;
            slabs.count_priority(arena, p as usize, -1);
        }
        if let Some(p) = to {
            self.by_priority[p as usize] += 1;
            slabs.count_priority(arena, p as usize, 1);
        }
    }
}

/// One shard's tables and counters; the store keeps it behind the
/// shard's mutex.
pub(crate) struct ShardInner {
    index: usize,
    pub(super) tables: Box<[Table]>,
    pub(crate) stats: ShardStats,
    /// This shard's part in the snapshot under way ([`super::snapshot`]).
    pub(super) snap: SnapState,
}

/// Frees every item of a table taken out of its shard (FLUSHDB).
pub(crate) fn free_table(slabs: &Slabs, arena: usize, t: Table) {
    let mut a = slabs.arena(arena);
    for &h in t.map.iter() {
        free_item(&mut a, slabs, h, |_| FreeReason::Removed);
    }
}

impl ShardInner {
    pub(crate) fn new(index: usize, databases: usize) -> ShardInner {
        ShardInner {
            index,
            tables: (0..databases).map(|_| Table::default()).collect(),
            stats: ShardStats::default(),
            snap: SnapState::Idle,
        }
    }

    pub(crate) fn arena(&self) -> usize {
        self.index % ARENAS
    }

    pub(crate) fn table(&self, db: usize) -> &Table {
        &self.tables[db]
    }

    pub(crate) fn tables_mut(&mut self) -> &mut [Table] {
        &mut self.tables
    }

    /// Whether an item of database `db` is live at `now`: before its
    /// deadline, or locked (a locked item never expires). What KEYS, SCAN
    /// and RANDOMKEY list, as reads find it.
    pub(crate) fn alive(&self, db: usize, it: &Item<'_>, now: u64) -> bool {
        if !it.is_expired(now) {
            return true;
        }
        let locks = &self.tables[db].locks;
        !locks.is_empty() && locks.get(it.key()).is_some_and(|l| l.until > now)
    }

    /// The live and expired items of one database, in table order.
    pub(crate) fn items<'s>(&'s self, slabs: &'s Slabs, db: usize) -> impl Iterator<Item = Item<'s>> + 's {
        self.tables[db].map.iter().map(move |&h| {
            // SAFETY: handles in a table name live items; the shard's lock
            // is held for as long as `self` is borrowed.
            unsafe { Item::at(slabs.ptr(h)) }
        })
    }

    /// The item in bucket `i` of database `db`'s table, with its handle.
    pub(crate) fn at_bucket(&self, slabs: &Slabs, db: usize, i: usize) -> Option<(u32, Item<'_>)> {
        let &h = self.tables[db].map.get_bucket(i)?;
        // SAFETY: as in `items`.
        Some((h, unsafe { Item::at(slabs.ptr(h)) }))
    }

    pub(crate) fn slot<'a>(&'a mut self, store: &'a Store, db: usize, key: &'a [u8], hash: u64, now: u64) -> Slot<'a> {
        let arena = self.arena();
        Slot {
            table: &mut self.tables[db],
            stats: &mut self.stats,
            policy: store.policies.word(db),
            store,
            arena,
            db,
            key,
            hash,
            now,
        }
    }

    /// Takes a database's table out; its bytes leave the accounting, its
    /// items are freed by [`free_table`].
    /// Whether database `db`'s table here is pristine ([`Table::is_pristine`]).
    pub(crate) fn table_is_pristine(&self, db: usize) -> bool {
        self.tables[db].is_pristine()
    }

    pub(crate) fn take_table(&mut self, slabs: &Slabs, db: usize) -> Table {
        let t = std::mem::take(&mut self.tables[db]);
        self.tables[db].created = t.created;
        slabs.arena(self.arena()).add_overhead(-(t.bytes() as i64));
        for (p, &n) in t.by_priority.iter().enumerate() {
            if n != 0 {
                slabs.count_priority(self.arena(), p, -(n as i64));
            }
        }
        t
    }

    /// Exchanges two databases' tables. The counts of keys created stay
    /// with the database numbers: a key WATCHed while missing is touched by
    /// SWAPDB only when it exists (is live) on the other side, as in Redis,
    /// which the versions and the existence check in WATCH already see.
    pub(crate) fn swap_tables(&mut self, a: usize, b: usize) {
        self.tables.swap(a, b);
        if a != b {
            let (ca, cb) = (self.tables[a].created, self.tables[b].created);
            self.tables[a].created = cb;
            self.tables[b].created = ca;
        }
    }

    /// Records every locked key of database `db` as ready: FLUSHDB drops
    /// the locks and SWAPDB moves them, and the clients waiting for those
    /// keys must look again.
    pub(crate) fn signal_locks(&self, ready: &ReadyKeys, db: usize) {
        self.tables[db].locks.signal_all(ready, db);
    }

    /// Removes the items among `keys` that are past their deadline, as a
    /// read that found them would (SCAN and RANDOMKEY, as Redis's do):
    /// counted as expired, and sent to replicas as DEL.
    pub(crate) fn expire_found(&mut self, store: &Store, db: usize, keys: &[Vec<u8>], now: u64) {
        for k in keys {
            let hash = store.hash(k).hash;
            self.slot(store, db, k, hash, now).peek();
        }
    }

    /// A random live key of the shard's database `db`; the items past
    /// their deadline it passes are removed on the way.
    pub(crate) fn random_key(&mut self, store: &Store, db: usize, now: u64, seed: u64) -> Option<Vec<u8>> {
        let slabs = &*store.slabs;
        let expired: Vec<Vec<u8>> = self
            .items(slabs, db)
            .filter(|e| !self.alive(db, e, now))
            .map(|e| e.key().to_vec())
            .collect();
        if !expired.is_empty() {
            self.expire_found(store, db, &expired, now);
        }
        let live = self.items(slabs, db).filter(|e| self.alive(db, e, now)).count();
        if live == 0 {
            return None;
        }
        let pick = (seed as usize / 1024) % live;
        self.items(slabs, db)
            .filter(|e| self.alive(db, e, now))
            .nth(pick)
            .map(|e| e.key().to_vec())
    }
}

/// The place of one key in one database, with its shard locked.
pub struct Slot<'a> {
    pub(super) table: &'a mut Table,
    stats: &'a mut ShardStats,
    /// The database's policy, read once when the slot is opened.
    policy: PolicyWord,
    pub(super) store: &'a Store,
    pub(super) arena: usize,
    db: usize,
    pub(super) key: &'a [u8],
    hash: u64,
    pub(super) now: u64,
}

impl<'a> Slot<'a> {
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    pub(super) fn slabs(&self) -> &'a Slabs {
        &self.store.slabs
    }

    fn item(&self, h: u32) -> Item<'_> {
        // SAFETY: `h` is in this slot's table and the shard lock is held
        // while `self` is borrowed.
        unsafe { Item::at(self.slabs().ptr(h)) }
    }

    /// The key's handle, live or expired.
    fn find(&self) -> Option<u32> {
        let slabs = self.slabs();
        let key = self.key;
        self.table
            .map
            .find(self.hash, |&h| {
                // SAFETY: as in `item`.
                unsafe { Item::at(slabs.ptr(h)) }.key() == key
            })
            .copied()
    }

    /// Takes `h` out of the table, its counts and its index; the chunk
    /// stays.
    fn unlink(&mut self, h: u32) {
        if let Ok(occ) = self.table.map.find_entry(self.hash, |&x| x == h) {
            occ.remove();
        }
        // SAFETY: as in `item`; the chunk is still allocated.
        let it = unsafe { Item::at(self.slabs().ptr(h)) };
        let before = self.table.used;
        self.table.count_out(h, &it, self.store.slabs.as_ref(), self.arena);
        self.track(before);
        self.changed(Change::Gone);
    }

    /// Keeps the index exact for a change of this slot's item.
    fn changed(&mut self, change: Change) {
        if self.table.index.is_some() {
            self.table
                .changed(self.store, self.arena, self.db, self.key, change, self.now);
        }
    }

    /// A write of the live item: releases its lock, drops its dependants
    /// and returns its new version.
    fn written(&mut self) -> u64 {
        self.release_lock();
        self.changed(Change::Written);
        self.store.events.record(key_events::CHANGED, self.db, self.key);
        self.store.next_version()
    }

    /// Adds the change of the table's bytes since `before` to the
    /// database's running count, when it has a memory limit.
    fn track(&self, before: u64) {
        if self.policy.limited() {
            self.store
                .policies
                .count(self.db, self.table.used as i64 - before as i64);
        }
    }

    /// The database's policy as this slot read it.
    pub(crate) fn policy(&self) -> PolicyWord {
        self.policy
    }

    fn free(&mut self, h: u32, why: impl FnOnce(&Item<'_>) -> FreeReason) -> (u64, Taken) {
        let slabs = self.slabs();
        free_item(&mut slabs.arena(self.arena), slabs, h, why)
    }

    /// The live item's handle: an item past its deadline is removed on the
    /// way (lazy expiry) and counted as expired.
    pub(super) fn lookup(&mut self) -> Option<u32> {
        let h = self.find()?;
        // A locked item never expires; the lock is looked up only for an
        // item past its deadline. On a replica a sliding item does not
        // either: reads on the primary move its deadline and are not in
        // the stream, so it lives until the primary's DEL.
        if !self.item(h).is_expired(self.now)
            || self.held_lock().is_some()
            || (self.item(h).idle_ms() != 0 && self.store.is_replica())
        {
            return Some(h);
        }
        if self.store.keeps_expired(self.now) {
            return None;
        }
        self.unlink(h);
        self.free(h, expired_reason);
        self.stats.expired += 1;
        self.store.events.record(key_events::EXPIRED, self.db, self.key);
        None
    }

    pub(super) fn item_mut(&mut self, h: u32) -> ItemMut {
        // SAFETY: as in `item`, and `&mut self` makes the access exclusive.
        unsafe { ItemMut::at(self.slabs().ptr(h)) }
    }

    /// A read lookup: counts a keyspace hit or miss and, with `touch`,
    /// refreshes the access time and marks the item fetched. The hot path
    /// of GET.
    pub fn read(&mut self, touch: bool) -> Option<Item<'_>> {
        match self.lookup() {
            Some(h) => {
                self.stats.hits += 1;
                let (secs, now) = (self.store.clock_secs(self.now), self.now);
                let mut m = self.item_mut(h);
                if touch {
                    m.count_access(secs, crate::util::rand::rand_unit(), true);
                }
                m.slide(now);
                Some(self.item(h))
            }
            None => {
                self.stats.misses += 1;
                self.store.events.record(key_events::MISS, self.db, self.key);
                None
            }
        }
    }

    /// A lookup that neither counts nor touches (EXISTS, TYPE, TTL ...).
    pub(crate) fn peek(&mut self) -> Option<Item<'_>> {
        let h = self.lookup()?;
        Some(self.item(h))
    }

    /// A write lookup. Changes through the returned handle give the item a
    /// new version (except where a method says otherwise) and keep the
    /// accounting exact.
    pub(crate) fn get_mut(&mut self) -> Option<EntryMut<'_, 'a>> {
        let h = self.lookup()?;
        let (secs, now) = (self.store.clock_secs(self.now), self.now);
        let mut m = self.item_mut(h);
        m.count_access(secs, crate::util::rand::rand_unit(), false);
        m.slide(now);
        Some(EntryMut { slot: self, h })
    }

    /// Stores `value` under the key, replacing whatever was there, and
    /// returns the new version. `expire_at` is Unix ms, 0 for none (the
    /// database's default timeout, if its policy has one).
    pub(crate) fn set(&mut self, value: Value, expire_at: u64, flags: u32) -> u64 {
        self.set_expiry(value, Expiry::from_deadline(expire_at), flags)
    }

    /// Stores `value` with any kind of expiry; a sliding one starts from
    /// this write. An item replaced keeps its priority and access counter.
    /// A write without one ([`Expiry::None`]) takes the database's default
    /// timeout, if its policy has one.
    pub(crate) fn set_expiry(&mut self, value: Value, expiry: Expiry, flags: u32) -> u64 {
        let expiry = self.or_default(expiry);
        self.store_bytes(value_in(value), expiry, flags)
    }

    /// [`Slot::set_expiry`] from borrowed bytes, copied straight into the
    /// chunk: the path of SET and memcached `set`.
    pub fn set_bytes(&mut self, value: &[u8], expiry: Expiry, flags: u32) -> u64 {
        let expiry = self.or_default(expiry);
        self.store_bytes(ValueIn::Bytes(value), expiry, flags)
    }

    /// [`Slot::set_expiry`] with the expiry exactly as given, never the
    /// database's default: an item that keeps its own (KEEPTTL, COPY).
    pub(crate) fn set_expiry_exact(&mut self, value: Value, expiry: Expiry, flags: u32) -> u64 {
        self.store_bytes(value_in(value), expiry, flags)
    }

    /// [`Slot::set_bytes`] with the expiry exactly as given.
    pub(crate) fn set_bytes_exact(&mut self, value: &[u8], expiry: Expiry, flags: u32) -> u64 {
        self.store_bytes(ValueIn::Bytes(value), expiry, flags)
    }

    /// Stores an item made whole elsewhere (a snapshot's, RESTORE's),
    /// replacing whatever is under the key.
    pub(super) fn put_parts(&mut self, parts: Parts<'_>) {
        self.release_lock();
        match self.find() {
            Some(h) => {
                self.changed(Change::Gone);
                self.replace_item(h, parts, true, 0);
            }
            None => {
                self.insert(parts);
            }
        }
        self.store.events.record(key_events::CHANGED, self.db, self.key);
    }

    fn store_bytes(&mut self, value: ValueIn<'_>, expiry: Expiry, flags: u32) -> u64 {
        self.release_lock();
        let (deadline, idle_ms) = match expiry {
            Expiry::None => (0, 0),
            Expiry::At(t) => (t, 0),
            Expiry::Sliding { idle_ms, .. } => (self.now + idle_ms as u64, idle_ms),
        };
        let version = self.store.next_version();
        let access = self.store.clock_secs(self.now);
        let mut parts = Parts {
            key: self.key,
            value,
            version,
            access,
            lfu: LFU_INIT,
            priority: Priority::Normal,
            fetched: false,
            deadline,
            idle_ms,
            flags,
        };
        match self.find() {
            Some(h) => {
                self.changed(Change::Gone);
                let old = self.item(h);
                parts.priority = old.priority();
                parts.lfu = super::entry::lfu_step(old.lfu(access), crate::util::rand::rand_unit());
                self.replace_item(h, parts, true, 0);
            }
            None => {
                self.insert(parts);
            }
        }
        self.store.events.record(key_events::CHANGED, self.db, self.key);
        version
    }

    /// Allocates and fills a chunk for `parts` and adds it to the table.
    fn insert(&mut self, parts: Parts<'_>) -> u32 {
        if let ValueIn::Agg(a) = &parts.value {
            if matches!(**a, Aggregate::List(_) | Aggregate::ZSet(_)) {
                self.store.ready.signal(self.db, self.key);
            }
        }
        let slabs = self.slabs();
        let plan = parts.plan();
        let mut arena = slabs.arena(self.arena);
        let h = alloc(&mut arena, plan.size);
        // SAFETY: the chunk has room for `plan.size` bytes.
        let heap = unsafe { parts.write(slabs.ptr(h), plan) };
        if heap > 0 {
            arena.add_heap(heap as i64);
        }
        let before = self.table.bytes();
        let hasher = &self.store.hasher;
        self.table.map.insert_unique(self.hash, h, |&x| {
            // SAFETY: every handle in the table is a live item.
            hasher.hash_one(unsafe { Item::at(slabs.ptr(x)) }.key())
        });
        let after = self.table.bytes();
        if after != before {
            arena.add_overhead(after as i64 - before as i64);
        }
        drop(arena);
        // SAFETY: the item just written.
        let it = unsafe { Item::at(slabs.ptr(h)) };
        let before = self.table.used;
        self.table.count_in(h, &it, slabs, self.arena);
        self.track(before);
        self.store.events.record(key_events::NEW, self.db, self.key);
        h
    }

    /// Puts `parts` in place of the item `h`, and returns its handle. With
    /// `reuse`, the item stays in its own chunk when the size is the same and
    /// nothing is on the heap; `parts` must not borrow from `h`'s chunk then.
    /// Without, it always moves to a new chunk, written before the old one is
    /// freed. `moved_heap` counts heap bytes already moved from `h` into
    /// `parts`, which leave `h`'s account here.
    fn replace_item(&mut self, h: u32, parts: Parts<'_>, reuse: bool, moved_heap: usize) -> u32 {
        let slabs = self.slabs();
        let plan = parts.plan();
        let old = self.item(h);
        let (old_size, old_heap) = (old.size(), old.heap());
        let (old_exp, old_prio) = (old.expire_at().is_some(), old.priority());
        let (new_exp, new_prio) = (parts.deadline != 0, parts.priority);
        let new_deadline = parts.deadline;
        let (nh, delta) = if reuse && old_size == plan.size && old_heap == 0 && !plan.heap() {
            // SAFETY: same size, so the chunk has room; nothing of the old
            // item is on the heap, so overwriting it leaks nothing.
            let heap = unsafe { parts.write(slabs.ptr(h), plan) };
            debug_assert_eq!(heap, 0);
            (h, 0)
        } else {
            // The heap bytes moved out of `h` were its own too.
            let old_bytes = slabs.chunk_size(slabs.class_of_handle(h)) + old_heap + moved_heap;
            let mut arena = slabs.arena(self.arena);
            let nh = alloc(&mut arena, plan.size);
            // SAFETY: the new chunk has room for `plan.size` bytes.
            let heap = unsafe { parts.write(slabs.ptr(nh), plan) };
            free_item(&mut arena, slabs, h, |_| FreeReason::Removed);
            if heap != moved_heap {
                arena.add_heap(heap as i64 - moved_heap as i64);
            }
            drop(arena);
            if let Some(x) = self.table.map.find_mut(self.hash, |&x| x == h) {
                *x = nh;
            }
            (nh, item_bytes(slabs, nh, &self.item(nh)) as i64 - old_bytes as i64)
        };
        let t = &mut *self.table;
        t.expires = t.expires + new_exp as usize - old_exp as usize;
        if new_exp {
            t.next_deadline = t.next_deadline.min(new_deadline);
        }
        t.shift_priority(Some(old_prio), Some(new_prio), slabs, self.arena);
        if delta != 0 {
            let before = t.used;
            t.used = (before as i64 + delta) as u64;
            self.track(before);
        }
        nh
    }

    /// Rewrites the live item `h` with `f` applied to its parts; the value
    /// moves rather than copies when it is on the heap.
    fn rebuild(&mut self, h: u32, f: impl FnOnce(&mut Parts<'_>)) -> u32 {
        let p = self.slabs().ptr(h);
        // SAFETY: `h` is live and this shard is locked; the bytes read here
        // stay allocated until `replace_item` frees the chunk, after the
        // new item is written.
        let it: Item<'static> = unsafe { Item::at(p) };
        let heap = it.heap();
        let mut parts = Parts {
            key: self.key,
            value: ValueIn::Bytes(it.as_str().unwrap_or_default()),
            version: it.version(),
            access: it.access(),
            lfu: it.lfu_raw(),
            priority: it.priority(),
            fetched: it.fetched(),
            deadline: it.expire_at().unwrap_or(0),
            idle_ms: it.idle_ms(),
            flags: it.flags(),
        };
        if heap > 0 {
            // SAFETY: the key is taken from the slot, the value moved out;
            // neither is read through the chunk again.
            if let Some(v) = unsafe { take_heap(p) }.into_value() {
                parts.value = value_in(v);
            }
        }
        f(&mut parts);
        self.replace_item(h, parts, false, heap)
    }

    /// Puts an entry taken out of another slot (RENAME, MOVE) under this
    /// slot's key, replacing whatever is here, live or expired. The value,
    /// expiry, flags and access time travel with it, as Redis moves the
    /// object itself and so keeps its idle time; only the version is new,
    /// because a memcached `cas` against the old name must not succeed on
    /// the new one.
    pub(crate) fn adopt(&mut self, e: Entry) -> u64 {
        self.release_lock();
        if let Some(h) = self.find() {
            self.unlink(h);
            self.free(h, |_| FreeReason::Removed);
        }
        let version = self.store.next_version();
        self.insert(Parts {
            key: self.key,
            value: value_in(e.value),
            version,
            access: e.access,
            lfu: e.lfu,
            priority: e.priority,
            fetched: e.fetched,
            deadline: e.expire_at,
            idle_ms: e.idle_ms,
            flags: e.flags,
        });
        self.store.events.record(key_events::CHANGED, self.db, self.key);
        version
    }

    /// Removes the live item, if any, and hands it over as an [`Entry`].
    pub(crate) fn remove(&mut self) -> Option<Entry> {
        // A locked item past its deadline is live until this removal.
        let locked = self.release_lock().is_some_and(|l| l.until > self.now);
        let h = self.find()?;
        self.unlink(h);
        if !locked && self.item(h).is_expired(self.now) {
            self.free(h, expired_reason);
            self.stats.expired += 1;
            self.store.events.record(key_events::EXPIRED, self.db, self.key);
            return None;
        }
        let p = self.slabs().ptr(h);
        // SAFETY: unlinked but still allocated; freed below.
        let it = unsafe { Item::at(p) };
        let mut e = Entry {
            key: self.key.into(),
            value: Value::Str(Vec::new()),
            expire_at: it.expire_at().unwrap_or(0),
            flags: it.flags(),
            idle_ms: it.idle_ms(),
            access: it.access(),
            priority: it.priority(),
            lfu: it.lfu_raw(),
            fetched: it.fetched(),
        };
        // An inline value is copied out before the chunk goes; one on the
        // heap moves out with it.
        let inline = it.as_str().filter(|_| it.heap() == 0).map(<[u8]>::to_vec);
        let (_, taken) = self.free(h, |_| FreeReason::Removed);
        self.store.note_removed(1);
        self.store.events.record(key_events::CHANGED, self.db, self.key);
        e.value = match inline {
            Some(v) => Value::Str(v),
            None => taken.into_value().unwrap_or(Value::Str(Vec::new())),
        };
        Some(e)
    }

    /// Removes the live item, if any, without handing it over.
    pub(crate) fn delete(&mut self) -> bool {
        let locked = self.release_lock().is_some_and(|l| l.until > self.now);
        let Some(h) = self.find() else { return false };
        self.unlink(h);
        if !locked && self.item(h).is_expired(self.now) {
            self.free(h, expired_reason);
            self.stats.expired += 1;
            self.store.events.record(key_events::EXPIRED, self.db, self.key);
            return false;
        }
        self.free(h, |_| FreeReason::Removed);
        self.store.note_removed(1);
        self.store.events.record(key_events::CHANGED, self.db, self.key);
        true
    }

    /// The aggregate of type `T` under the key, read: a keyspace hit or
    /// miss, an access that slides a sliding expiry. `Ok(None)` when the
    /// key is missing, [`WrongType`] when it holds another type.
    pub(crate) fn view<T: AggKind>(&mut self) -> Result<Option<&T>, WrongType> {
        match self.read(true) {
            None => Ok(None),
            Some(it) => it.aggregate().and_then(T::of).map(Some).ok_or(WrongType),
        }
    }

    /// As [`Slot::view`], without counting a hit or touching the item
    /// (the sources of SINTER, SORT, ZUNIONSTORE ... read this way too in
    /// Redis when they only inspect).
    pub(crate) fn peek_as<T: AggKind>(&mut self) -> Result<Option<&T>, WrongType> {
        match self.peek() {
            None => Ok(None),
            Some(it) => it.aggregate().and_then(T::of).map(Some).ok_or(WrongType),
        }
    }

    /// Bytes the live item takes, as the store counts them: its chunk,
    /// plus what it owns on the heap (a long key or value, an aggregate at
    /// the size it was last counted at). What MEMORY USAGE answers.
    pub(crate) fn mem_usage(&mut self) -> Option<usize> {
        let h = self.lookup()?;
        let slabs = self.slabs();
        Some(slabs.chunk_size(slabs.class_of_handle(h)) + self.item(h).heap())
    }

    /// Changes the aggregate of type `T` under the key with `f`, which
    /// returns its reply and whether it changed anything. With `create`, a
    /// missing key starts as an empty `T` (and is not stored when `f` leaves
    /// it empty); without, a missing key gives `Ok(None)` and `f` does not
    /// run. A change gives the item a new version and re-counts its bytes;
    /// an aggregate left empty is deleted, as Redis deletes empty ones.
    pub(crate) fn write<T: AggKind, R>(
        &mut self,
        create: bool,
        f: impl FnOnce(&mut T) -> (R, bool),
    ) -> Result<Option<R>, WrongType> {
        let Some(h) = self.lookup() else {
            if !create {
                return Ok(None);
            }
            let mut t = T::default();
            let (r, _) = f(&mut t);
            let agg = t.wrap();
            if !agg.is_empty() {
                let expiry = self.or_default(Expiry::None);
                self.store_bytes(ValueIn::Agg(Box::new(agg)), expiry, 0);
            }
            return Ok(Some(r));
        };
        let (secs, now) = (self.store.clock_secs(self.now), self.now);
        let mut m = self.item_mut(h);
        let Some(t) = m.aggregate_mut().and_then(T::of_mut) else {
            return Err(WrongType);
        };
        let (r, changed) = f(t);
        m.count_access(secs, crate::util::rand::rand_unit(), false);
        m.slide(now);
        if !changed {
            return Ok(Some(r));
        }
        if self.item_mut(h).aggregate_mut().is_some_and(|a| a.is_empty()) {
            self.release_lock();
            self.unlink(h);
            self.free(h, |_| FreeReason::Removed);
            self.store.note_removed(1);
            self.store.events.record(key_events::CHANGED, self.db, self.key);
            return Ok(Some(r));
        }
        let version = self.written();
        let mut m = self.item_mut(h);
        m.set_version(version);
        let delta = m.recount();
        if delta != 0 {
            self.slabs().arena(self.arena).add_heap(delta);
            let before = self.table.used;
            self.table.used = (before as i64 + delta) as u64;
            self.track(before);
        }
        Ok(Some(r))
    }

    /// Stores an aggregate under the key, replacing whatever was there
    /// (the STORE forms: SINTERSTORE, ZUNIONSTORE, SORT ... STORE). An
    /// empty one deletes the key instead. Returns whether a value is stored.
    pub(crate) fn put_aggregate(&mut self, agg: Aggregate) -> bool {
        if agg.is_empty() {
            self.delete();
            return false;
        }
        let expiry = self.or_default(Expiry::None);
        self.store_bytes(ValueIn::Agg(Box::new(agg)), expiry, 0);
        true
    }

    /// Releases the key's lock, if any, and wakes the first client waiting
    /// to take it. Every write and removal of the key calls this: a plain
    /// write overwrites a locked item and its holder's handle goes stale.
    pub(super) fn release_lock(&mut self) -> Option<Lock> {
        // The length check is all a write pays in a table without locks;
        // it stays here, beside the writes, rather than with the lock
        // commands in cache_item.rs.
        if self.table.locks.is_empty() {
            return None;
        }
        let l = self.table.locks.remove(self.key, self.slabs(), self.arena)?;
        self.store.ready.signal(self.db, self.key);
        Some(l)
    }

    /// A command took or released the key's lock, or linked it to others:
    /// a change for replicas.
    pub(super) fn meta_changed(&self) {
        self.store.events.record(key_events::META, self.db, self.key);
    }

    /// The key's lock if it is held now: a lock whose timeout passed is
    /// released on the way (the sweeper releases the ones nobody asks about).
    pub(super) fn held_lock(&mut self) -> Option<Lock> {
        if self.table.locks.is_empty() {
            return None;
        }
        let l = self.table.locks.get(self.key)?;
        if l.until > self.now {
            return Some(l);
        }
        self.release_lock();
        None
    }

    /// What WATCH notes of the key: its live item's version, or, when it
    /// is missing, how many keys its table has created so far.
    pub(crate) fn watch_token(&mut self) -> (Option<u64>, u64) {
        let version = self.peek().map(|it| it.version());
        (version, self.table.created)
    }
}

fn value_in(v: Value) -> ValueIn<'static> {
    match v {
        Value::Str(s) => ValueIn::Owned(s),
        Value::Agg(a) => ValueIn::Agg(a),
    }
}

/// A chunk, or an abort when the reserved range is used up: the store's
/// equivalent of the allocator failing.
fn alloc(arena: &mut ArenaGuard<'_>, size: usize) -> u32 {
    match arena.alloc(size) {
        Some(h) => h,
        None => {
            arena.count_outofmemory(size);
            tracing::error!("item memory exhausted: the reserved address range is full");
            std::process::abort()
        }
    }
}

/// A live item opened for writing.
pub(crate) struct EntryMut<'s, 'a> {
    pub(super) slot: &'s mut Slot<'a>,
    pub(super) h: u32,
}

impl EntryMut<'_, '_> {
    pub(crate) fn entry(&self) -> Item<'_> {
        self.slot.item(self.h)
    }

    /// Changes the value with `f`: the item gets a new version. A value on
    /// the heap is changed where it is, so repeated appends to a large value
    /// cost what they add.
    pub(crate) fn update_value(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> u64 {
        let version = self.slot.written();
        self.h = self.slot.rebuild(self.h, |p| {
            let mut v = match std::mem::replace(&mut p.value, ValueIn::Bytes(&[])) {
                ValueIn::Bytes(b) => b.to_vec(),
                ValueIn::Owned(v) => v,
                // Callers check for a string first; an aggregate stays as is.
                agg @ ValueIn::Agg(_) => {
                    p.value = agg;
                    return;
                }
            };
            f(&mut v);
            p.value = ValueIn::Owned(v);
            p.version = version;
        });
        version
    }

    /// Overwrites bytes of the value in place when `f` keeps its length:
    /// the item gets a new version. Returns false (and changes nothing)
    /// when the value is on the heap; use [`EntryMut::update_value`] then.
    pub(crate) fn patch_value(&mut self, f: impl FnOnce(&mut [u8])) -> bool {
        let mut m = self.slot.item_mut(self.h);
        let Some(v) = m.value_in_place() else { return false };
        f(v);
        let version = self.slot.written();
        let mut m = self.slot.item_mut(self.h);
        m.set_version(version);
        true
    }

    /// Replaces the value and the flags, keeping the expiry.
    pub(crate) fn replace(&mut self, value: Value, flags: u32) -> u64 {
        let version = self.slot.written();
        self.h = self.slot.rebuild(self.h, |p| {
            p.value = value_in(value);
            p.flags = flags;
            p.version = version;
        });
        version
    }

    /// Sets the deadline (Unix ms, 0 for none): a write, with a new version.
    pub(crate) fn set_expire(&mut self, expire_at: u64) {
        let version = self.slot.written();
        self.retime(expire_at);
        self.slot.item_mut(self.h).set_version(version);
    }

    /// Sets the deadline and keeps the version: memcached's `touch` and
    /// `gat` leave an item's CAS unique as it was.
    pub(crate) fn retime(&mut self, expire_at: u64) {
        let slot = &*self.slot;
        slot.store.events.record(key_events::CHANGED, slot.db, slot.key);
        if matches!(self.entry().expiry(), Expiry::At(_)) && self.slot.item_mut(self.h).set_deadline_in_place(expire_at)
        {
            if expire_at != 0 {
                let t = &mut *self.slot.table;
                t.next_deadline = t.next_deadline.min(expire_at);
            }
            return;
        }
        self.h = self.slot.rebuild(self.h, |p| {
            p.deadline = expire_at;
            p.idle_ms = 0;
        });
    }

    /// Sets the memcached flags and keeps the version, the timeout and
    /// the lock (CACHE.FLAGS).
    pub(crate) fn set_flags(&mut self, flags: u32) {
        let slot = &*self.slot;
        slot.store.events.record(key_events::CHANGED, slot.db, slot.key);
        self.h = self.slot.rebuild(self.h, |p| p.flags = flags);
    }

    /// Makes the expiry sliding, `idle_ms` from now: a write, with a new version.
    pub(crate) fn set_sliding(&mut self, idle_ms: u32) {
        let version = self.slot.written();
        let now = self.slot.now;
        self.h = self.slot.rebuild(self.h, |p| {
            p.deadline = now + idle_ms as u64;
            p.idle_ms = idle_ms;
            p.version = version;
        });
    }

    /// Gives the item a new timeout of any kind and keeps its version, as
    /// [`EntryMut::retime`] does: CACHE.RESETTTL and CACHE.UNLOCK with a
    /// timeout, which change when the item goes, not what it holds. A
    /// sliding timeout starts from now.
    pub(crate) fn retime_expiry(&mut self, expiry: Expiry) {
        let now = self.slot.now;
        let (deadline, idle_ms) = match expiry {
            Expiry::None => (0, 0),
            Expiry::At(t) => (t, 0),
            Expiry::Sliding { idle_ms, .. } => (now.saturating_add(idle_ms as u64), idle_ms),
        };
        let slot = &*self.slot;
        slot.store.events.record(key_events::CHANGED, slot.db, slot.key);
        self.h = self.slot.rebuild(self.h, |p| {
            p.deadline = deadline;
            p.idle_ms = idle_ms;
        });
    }
}
