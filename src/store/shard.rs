//! A shard: one hash table per database, guarded by the shard's lock.
//! Everything here runs with that lock held.

use super::entry::{Entry, Expiry, Priority, Value, LFU_INIT};
use super::Store;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ShardStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
    pub evicted: u64,
}

#[derive(Default)]
pub(crate) struct Table {
    pub map: HashTable<Entry>,
    /// Entries that carry an expiry.
    pub expires: usize,
    /// Bytes the entries hold (`Entry::mem_size` summed), so a table taken
    /// out whole (FLUSHDB) is accounted without walking it.
    pub used: u64,
    /// Remaining TTLs seen by the last sweep, for INFO's avg_ttl.
    pub ttl_sample_sum: u64,
    pub ttl_sample_n: u64,
}

impl Table {
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.map.iter()
    }
}

pub struct ShardInner {
    tables: Box<[Table]>,
    pub(crate) stats: ShardStats,
}

impl ShardInner {
    pub(crate) fn new(databases: usize) -> ShardInner {
        ShardInner {
            tables: (0..databases).map(|_| Table::default()).collect(),
            stats: ShardStats::default(),
        }
    }

    pub(crate) fn used_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.used).sum()
    }

    pub(crate) fn table(&self, db: usize) -> &Table {
        &self.tables[db]
    }

    pub(crate) fn slot<'a>(&'a mut self, store: &'a Store, db: usize, key: &'a [u8], hash: u64, now: u64) -> Slot<'a> {
        Slot {
            table: &mut self.tables[db],
            stats: &mut self.stats,
            store,
            key,
            hash,
            now,
        }
    }

    pub(crate) fn take_table(&mut self, db: usize) -> Table {
        std::mem::take(&mut self.tables[db])
    }

    pub(crate) fn swap_tables(&mut self, a: usize, b: usize) {
        self.tables.swap(a, b);
    }

    pub(crate) fn sweep_expired(&mut self, now: u64) -> u64 {
        let mut removed = 0u64;
        for t in self.tables.iter_mut() {
            if t.expires == 0 {
                t.ttl_sample_sum = 0;
                t.ttl_sample_n = 0;
                continue;
            }
            let (mut sum, mut n, mut freed) = (0u64, 0u64, 0u64);
            t.map.retain(|e| {
                if e.is_expired(now) {
                    removed += 1;
                    freed += e.mem_size() as u64;
                    false
                } else {
                    if e.expire_at != 0 {
                        sum = sum.saturating_add(e.expire_at - now);
                        n += 1;
                    }
                    true
                }
            });
            t.expires = n as usize;
            t.used -= freed;
            t.ttl_sample_sum = sum;
            t.ttl_sample_n = n;
        }
        self.stats.expired += removed;
        removed
    }

    pub(crate) fn random_key(&mut self, db: usize, now: u64, seed: u64) -> Option<Vec<u8>> {
        let t = &self.tables[db];
        let live = t.map.iter().filter(|e| !e.is_expired(now)).count();
        if live == 0 {
            return None;
        }
        let pick = (seed as usize / 1024) % live;
        t.map
            .iter()
            .filter(|e| !e.is_expired(now))
            .nth(pick)
            .map(|e| e.key.to_vec())
    }
}

/// The place of one key in one database, with its shard locked.
pub struct Slot<'a> {
    table: &'a mut Table,
    stats: &'a mut ShardStats,
    store: &'a Store,
    key: &'a [u8],
    hash: u64,
    now: u64,
}

impl<'a> Slot<'a> {
    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn key(&self) -> &[u8] {
        self.key
    }

    fn forget(&mut self, e: &Entry) {
        self.table.used -= e.mem_size() as u64;
        if e.expire_at != 0 {
            self.table.expires -= 1;
        }
    }

    /// One probe of the table for the live entry: an entry past its
    /// deadline is removed on the way (lazy expiry) and counted as expired.
    /// The fields are passed apart so the entry returned borrows the map alone.
    #[allow(clippy::too_many_arguments)]
    fn lookup<'t>(
        map: &'t mut HashTable<Entry>,
        expires: &mut usize,
        used: &mut u64,
        stats: &mut ShardStats,
        hash: u64,
        key: &[u8],
        now: u64,
    ) -> Option<&'t mut Entry> {
        match map.find_entry(hash, |e| &*e.key == key) {
            Ok(occ) if !occ.get().is_expired(now) => Some(occ.into_mut()),
            Ok(occ) => {
                let (e, _) = occ.remove();
                *used -= e.mem_size() as u64;
                *expires -= 1;
                stats.expired += 1;
                None
            }
            Err(_) => None,
        }
    }

    /// A read lookup: counts a keyspace hit or miss and, with `touch`,
    /// refreshes the access time. The hot path of GET.
    pub fn read(&mut self, touch: bool) -> Option<&Entry> {
        let Table { map, expires, used, .. } = &mut *self.table;
        match Self::lookup(map, expires, used, self.stats, self.hash, self.key, self.now) {
            Some(e) => {
                self.stats.hits += 1;
                if touch {
                    e.count_access(self.store.clock_secs(self.now), super::rand_unit());
                }
                e.slide(self.now);
                Some(&*e)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// A lookup that neither counts nor touches (EXISTS, TYPE, TTL ...).
    pub fn peek(&mut self) -> Option<&Entry> {
        let Table { map, expires, used, .. } = &mut *self.table;
        Self::lookup(map, expires, used, self.stats, self.hash, self.key, self.now).map(|e| &*e)
    }

    /// A write lookup. Changing the entry through the returned handle gives
    /// it a new version and keeps the shard's accounting exact.
    pub fn get_mut(&mut self) -> Option<EntryMut<'_>> {
        let secs = self.store.clock_secs(self.now);
        let Table { map, expires, used, .. } = &mut *self.table;
        let entry = Self::lookup(map, expires, used, self.stats, self.hash, self.key, self.now)?;
        entry.count_access(secs, super::rand_unit());
        entry.slide(self.now);
        let size_before = entry.mem_size();
        Some(EntryMut {
            entry,
            expires,
            used,
            store: self.store,
            size_before,
            now: self.now,
        })
    }

    /// Stores `value` under the key, replacing whatever was there, and
    /// returns the new version. `expire_at` is Unix ms, 0 for none.
    pub fn set(&mut self, value: Value, expire_at: u64, flags: u32) -> u64 {
        self.set_expiry(value, Expiry::from_deadline(expire_at), flags)
    }

    /// Stores `value` with any kind of expiry; a sliding one starts from
    /// this write.
    pub fn set_expiry(&mut self, value: Value, expiry: Expiry, flags: u32) -> u64 {
        let (expire_at, idle_ms) = match expiry {
            Expiry::None => (0, 0),
            Expiry::At(t) => (t, 0),
            Expiry::Sliding { idle_ms, .. } => (self.now + idle_ms as u64, idle_ms),
        };
        let version = self.store.next_version();
        let access = self.store.clock_secs(self.now);
        let key = self.key;
        if let Some(e) = self.table.map.find_mut(self.hash, |e| &*e.key == key) {
            let before = e.mem_size() as u64;
            let had_expire = e.expire_at != 0;
            e.value = value;
            e.expire_at = expire_at;
            e.idle_ms = idle_ms;
            e.flags = flags;
            e.version = version;
            e.count_access(access, super::rand_unit());
            self.table.used = self.table.used - before + e.mem_size() as u64;
            match (had_expire, expire_at != 0) {
                (false, true) => self.table.expires += 1,
                (true, false) => self.table.expires -= 1,
                _ => {}
            }
            return version;
        }
        let e = Entry {
            key: key.into(),
            value,
            expire_at,
            version,
            flags,
            idle_ms,
            access,
            priority: Priority::Normal,
            lfu: LFU_INIT,
        };
        self.table.used += e.mem_size() as u64;
        if expire_at != 0 {
            self.table.expires += 1;
        }
        let hasher = &self.store.hasher;
        self.table.map.insert_unique(self.hash, e, |e| hasher.hash_one(&*e.key));
        version
    }

    /// Puts an entry taken out of another slot (RENAME, MOVE) under this
    /// slot's key, replacing whatever is here, live or expired. The value,
    /// expiry, flags and access time travel with it, as Redis moves the
    /// object itself and so keeps its idle time; only the version is new,
    /// because a memcached `cas` against the old name must not succeed on
    /// the new one.
    pub fn adopt(&mut self, mut e: Entry) -> u64 {
        let key = self.key;
        if let Ok(occ) = self.table.map.find_entry(self.hash, |x| &*x.key == key) {
            let (old, _) = occ.remove();
            self.forget(&old);
        }
        if *e.key != *key {
            e.key = key.into();
        }
        e.version = self.store.next_version();
        let version = e.version;
        self.table.used += e.mem_size() as u64;
        if e.expire_at != 0 {
            self.table.expires += 1;
        }
        let hasher = &self.store.hasher;
        self.table.map.insert_unique(self.hash, e, |x| hasher.hash_one(&*x.key));
        version
    }

    /// Counts an eviction (the entry was taken by [`Slot::remove`]).
    pub(crate) fn count_eviction(&mut self) {
        self.stats.evicted += 1;
    }

    /// Removes the live entry, if any.
    pub fn remove(&mut self) -> Option<Entry> {
        let key = self.key;
        let occ = self.table.map.find_entry(self.hash, |e| &*e.key == key).ok()?;
        let (e, _) = occ.remove();
        self.forget(&e);
        if e.is_expired(self.now) {
            self.stats.expired += 1;
            return None;
        }
        Some(e)
    }
}

/// A live entry opened for writing. Dropping it settles the shard's byte
/// count against the entry's new size.
pub struct EntryMut<'a> {
    entry: &'a mut Entry,
    expires: &'a mut usize,
    used: &'a mut u64,
    store: &'a Store,
    size_before: usize,
    now: u64,
}

impl EntryMut<'_> {
    pub fn entry(&self) -> &Entry {
        self.entry
    }

    pub fn value(&self) -> &Value {
        &self.entry.value
    }

    /// The value, to be changed: the entry gets a new version.
    pub fn value_mut(&mut self) -> &mut Value {
        self.entry.version = self.store.next_version();
        &mut self.entry.value
    }

    /// Replaces the value and the flags, keeping the expiry.
    pub fn replace(&mut self, value: Value, flags: u32) -> u64 {
        self.entry.value = value;
        self.entry.flags = flags;
        self.entry.version = self.store.next_version();
        self.entry.version
    }

    /// Sets the deadline (Unix ms, 0 for none): a write, with a new version.
    pub fn set_expire(&mut self, expire_at: u64) {
        self.retime(expire_at);
        self.entry.version = self.store.next_version();
    }

    /// Sets the deadline and keeps the version: memcached's `touch` and
    /// `gat` leave an item's CAS unique as it was.
    pub fn retime(&mut self, expire_at: u64) {
        match (self.entry.expire_at != 0, expire_at != 0) {
            (false, true) => *self.expires += 1,
            (true, false) => *self.expires -= 1,
            _ => {}
        }
        self.entry.expire_at = expire_at;
        self.entry.idle_ms = 0;
    }

    /// Sets the eviction priority. Not a change of the item's data, so the
    /// version stays.
    pub fn set_priority(&mut self, p: Priority) {
        self.entry.priority = p;
    }

    /// Makes the expiry sliding, `idle_ms` from now: a write, with a new version.
    pub fn set_sliding(&mut self, idle_ms: u32) {
        self.retime(self.now + idle_ms as u64);
        self.entry.idle_ms = idle_ms;
        self.entry.version = self.store.next_version();
    }

    pub fn now(&self) -> u64 {
        self.now
    }
}

impl Drop for EntryMut<'_> {
    fn drop(&mut self) {
        let after = self.entry.mem_size();
        *self.used = *self.used + after as u64 - self.size_before as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    fn put(st: &Store, db: usize, k: &[u8], v: &[u8], expire_at: u64) {
        let kh = st.hash(k);
        st.lock(kh)
            .slot(db, k, kh, T0)
            .set(Value::Str(v.to_vec()), expire_at, 7);
    }

    /// The expiry of `k` as seen at `now` without touching it.
    fn expiry_at(st: &Store, k: &[u8], now: u64) -> Option<Expiry> {
        let kh = st.hash(k);
        st.lock(kh).slot(0, k, kh, now).peek().map(|e| e.expiry())
    }

    fn read_at(st: &Store, k: &[u8], now: u64) -> bool {
        let kh = st.hash(k);
        st.lock(kh).slot(0, k, kh, now).read(true).is_some()
    }

    fn put_sliding(st: &Store, k: &[u8], idle_ms: u32, now: u64) {
        let kh = st.hash(k);
        st.lock(kh)
            .slot(0, k, kh, now)
            .set_expiry(Value::Str(b"v".to_vec()), Expiry::sliding(idle_ms), 0);
    }

    #[test]
    fn sliding_deadline_restarts_on_every_read_and_write() {
        let st = Store::new(1, T0);
        put_sliding(&st, b"s", 1000, T0);
        let sliding = |deadline| {
            Some(Expiry::Sliding {
                idle_ms: 1000,
                deadline,
            })
        };
        assert_eq!(expiry_at(&st, b"s", T0), sliding(T0 + 1000));
        // A look that is not an access (TTL, EXISTS) leaves the deadline.
        assert_eq!(expiry_at(&st, b"s", T0 + 900), sliding(T0 + 1000));
        assert!(read_at(&st, b"s", T0 + 900));
        assert_eq!(expiry_at(&st, b"s", T0 + 900), sliding(T0 + 1900));
        // A write through EntryMut restarts it too.
        let kh = st.hash(b"s");
        {
            let mut l = st.lock(kh);
            let mut slot = l.slot(0, b"s", kh, T0 + 1800);
            let mut e = slot.get_mut().expect("live");
            e.replace(Value::Str(b"w".to_vec()), 0);
        }
        assert_eq!(expiry_at(&st, b"s", T0 + 1800), sliding(T0 + 2800));
        // Idle past the deadline: gone, and counted as expired.
        assert!(!read_at(&st, b"s", T0 + 2801));
        assert_eq!(st.stats().expired_keys, 1);
    }

    #[test]
    fn absolute_deadline_does_not_move_on_access() {
        let st = Store::new(1, T0);
        put(&st, 0, b"a", b"v", T0 + 1000);
        assert!(read_at(&st, b"a", T0 + 900));
        assert_eq!(expiry_at(&st, b"a", T0 + 900), Some(Expiry::At(T0 + 1000)));
        assert!(!read_at(&st, b"a", T0 + 1001));
    }

    #[test]
    fn sweep_takes_an_idle_sliding_item_but_not_a_used_one() {
        let st = Store::new(1, T0);
        put_sliding(&st, b"idle", 1000, T0);
        put_sliding(&st, b"used", 1000, T0);
        assert!(read_at(&st, b"used", T0 + 800));
        assert_eq!(st.expire_step(T0 + 1500, super::super::SHARDS), 1);
        assert!(expiry_at(&st, b"idle", T0 + 1500).is_none());
        assert!(expiry_at(&st, b"used", T0 + 1500).is_some());
    }

    #[test]
    fn explicit_expiry_changes_replace_sliding() {
        let st = Store::new(1, T0);
        put_sliding(&st, b"s", 1000, T0);
        let kh = st.hash(b"s");
        st.lock(kh)
            .slot(0, b"s", kh, T0)
            .get_mut()
            .expect("live")
            .set_expire(T0 + 5000);
        assert_eq!(expiry_at(&st, b"s", T0), Some(Expiry::At(T0 + 5000)));
        st.lock(kh)
            .slot(0, b"s", kh, T0)
            .get_mut()
            .expect("live")
            .set_sliding(200);
        assert_eq!(
            expiry_at(&st, b"s", T0 + 100),
            Some(Expiry::Sliding {
                idle_ms: 200,
                deadline: T0 + 200
            })
        );
        st.lock(kh).slot(0, b"s", kh, T0).get_mut().expect("live").set_expire(0);
        assert_eq!(expiry_at(&st, b"s", T0 + 10_000), Some(Expiry::None));
        assert_eq!(st.db_info(0).expires, 0);
    }

    #[test]
    fn adopt_moves_value_expiry_flags_and_access_under_a_new_key() {
        let st = Store::new(2, T0);
        put(&st, 0, b"src", b"v", T0 + 5000);
        let (ks, kd) = (st.hash(b"src"), st.hash(b"dst"));
        let mut m = st.lock_many(&[ks, kd]);
        let e = m.slot(0, b"src", ks, T0).remove().expect("src is live");
        let old_version = e.version();
        let v = m.slot(1, b"dst", kd, T0 + 3000).adopt(e);
        assert!(v > old_version);
        let mut s = m.slot(1, b"dst", kd, T0 + 3000);
        let e = s.peek().expect("dst is live");
        assert_eq!(e.key(), b"dst");
        assert_eq!(e.as_str(), Some(&b"v"[..]));
        assert_eq!(e.expire_at(), Some(T0 + 5000));
        assert_eq!(e.flags(), 7);
        // The access time came along: three seconds idle, not zero.
        assert_eq!(e.idle_secs(st.clock_secs(T0 + 3000)), 3);
        assert!(m.slot(0, b"src", ks, T0).peek().is_none());
        drop(m);
        assert_eq!(st.db_info(1).expires, 1);
        assert_eq!(st.db_info(0).expires, 0);
    }

    #[test]
    fn adopt_replaces_an_existing_entry_and_keeps_byte_count_exact() {
        let st = Store::new(1, T0);
        put(&st, 0, b"a", b"short", 0);
        put(&st, 0, b"b", &[b'x'; 1000], T0 + 10);
        let (ka, kb) = (st.hash(b"a"), st.hash(b"b"));
        let mut m = st.lock_many(&[ka, kb]);
        let e = m.slot(0, b"a", ka, T0).remove().expect("a is live");
        m.slot(0, b"b", kb, T0).adopt(e);
        drop(m);
        assert_eq!(st.dbsize(0), 1);
        assert_eq!(st.db_info(0).expires, 0);
        let expected = (std::mem::size_of::<Entry>() + 1 + 5) as u64;
        assert!(st.used_bytes() >= expected && st.used_bytes() < expected + 64);
    }

    #[test]
    fn adopt_onto_an_expired_entry_does_not_count_it_twice() {
        let st = Store::new(1, T0);
        put(&st, 0, b"a", b"1", 0);
        put(&st, 0, b"b", b"2", T0 + 1);
        let (ka, kb) = (st.hash(b"a"), st.hash(b"b"));
        let mut m = st.lock_many(&[ka, kb]);
        let e = m.slot(0, b"a", ka, T0 + 10).remove().expect("a is live");
        m.slot(0, b"b", kb, T0 + 10).adopt(e);
        drop(m);
        assert_eq!(st.dbsize(0), 1);
        assert_eq!(st.db_info(0).expires, 0);
    }
}
