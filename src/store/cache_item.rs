//! The CACHE.* state of one item beyond its value and expiry, as a slot
//! changes it: its pessimistic lock (CACHE.LOCK, CACHE.UNLOCK,
//! CACHE.PUTUNLOCK, CACHE.FORCEUNLOCK, and CACHE.GET's `locked`), its tags
//! and dependency mark (CACHE.PUT ... TAGS, CACHE.DEPEND), and its eviction
//! priority (CACHE.PUT ... PRIORITY).
//!
//! Only those commands come here (CACHE.DEPEND by way of
//! [`super::Store::depend`]). What every write and lookup does about this
//! state stays on the general path in [`super::shard`]: a write releases
//! the key's lock and keeps the tag index exact, a lookup lets a locked
//! item outlive its deadline, and each costs one check while a table has
//! no lock or no index. The state itself is kept per table, beside the
//! items: the locks in [`super::key_locks`], the tags and dependency marks
//! in [`super::links`], the priority in the item's header with a count per
//! priority in the table.

use super::entry::{Expiry, Priority};
use super::key_locks::Lock;
use super::shard::{EntryMut, Slot};

/// Why a lock could not be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockError {
    /// Another handle holds it.
    Locked,
    /// The key is missing and the caller did not ask to create it.
    NoKey,
}

/// Why an unlock (or a put-and-unlock) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnlockError {
    /// The key is locked under another handle.
    BadHandle,
    /// The key is not locked (never was, released, or its lock timed out).
    NotLocked,
}

impl Slot<'_> {
    /// The lock held on the key now, if any (CACHE.GET's `locked`).
    pub(crate) fn lock_state(&mut self) -> Option<Lock> {
        self.held_lock()
    }

    /// Locks the key for `lock_ms` under a new handle. A missing key fails
    /// with [`LockError::NoKey`] unless `create`: then the key is locked as
    /// a placeholder with no item, which reads see as missing. A key locked
    /// by anyone fails with [`LockError::Locked`].
    pub(crate) fn lock(&mut self, lock_ms: u64, create: bool) -> Result<Lock, LockError> {
        if self.held_lock().is_some() {
            return Err(LockError::Locked);
        }
        if self.lookup().is_none() && !create {
            return Err(LockError::NoKey);
        }
        let l = Lock {
            handle: self.store.next_lock_handle(),
            until: self.now.saturating_add(lock_ms),
        };
        self.table.locks.insert(self.key, l, self.slabs(), self.arena);
        self.meta_changed();
        Ok(l)
    }

    fn check_handle(&mut self, handle: u64) -> Result<Lock, UnlockError> {
        match self.held_lock() {
            None => Err(UnlockError::NotLocked),
            Some(l) if l.handle != handle => Err(UnlockError::BadHandle),
            Some(l) => Ok(l),
        }
    }

    /// Releases the lock `handle` holds. With `expiry`, the item takes it
    /// as its new timeout (keeping its version); without, an item whose
    /// deadline passed while it was locked is removed at once.
    pub(crate) fn unlock(&mut self, handle: u64, expiry: Option<Expiry>) -> Result<(), UnlockError> {
        self.check_handle(handle)?;
        // Found while still locked, so an item past its deadline is found.
        let h = self.lookup();
        self.release_lock();
        self.meta_changed();
        match (h, expiry) {
            (Some(h), Some(e)) => EntryMut { slot: self, h }.retime_expiry(e),
            // Lazy expiry removes it if its deadline passed.
            _ => drop(self.lookup()),
        }
        Ok(())
    }

    /// Stores `value` under the key and releases the lock `handle` holds,
    /// in one step; returns the new version.
    pub(crate) fn put_unlock(&mut self, handle: u64, value: &[u8], expiry: Expiry) -> Result<u64, UnlockError> {
        self.check_handle(handle)?;
        Ok(self.set_bytes(value, expiry, 0))
    }

    /// Releases the lock whoever holds it; false when the key was not
    /// locked. An item whose deadline passed while it was locked goes.
    pub(crate) fn force_unlock(&mut self) -> bool {
        if self.held_lock().is_none() {
            return false;
        }
        self.release_lock();
        self.meta_changed();
        self.lookup();
        true
    }

    /// Gives the live item these tags, replacing any it had (a write that
    /// replaces an item has already dropped the old one's). False when the
    /// item is missing.
    pub(crate) fn set_tags(&mut self, tags: &[&[u8]]) -> bool {
        if self.lookup().is_none() {
            return false;
        }
        if tags.is_empty() && self.table.index.is_none() {
            return true;
        }
        let ix = self.table.index.get_or_insert_with(Default::default);
        let delta = ix.set_tags(self.key, tags);
        if ix.is_empty() {
            self.table.index = None;
        }
        self.slabs().arena(self.arena).add_overhead(delta);
        true
    }

    /// The tags of the key's item, empty when it has none.
    pub(crate) fn tags(&self) -> &[Box<[u8]>] {
        self.table.index.as_ref().map_or(&[], |ix| ix.tags(self.key))
    }

    /// Marks the key as known to its database's dependency graph, so that
    /// writes and removals of it look there.
    pub(crate) fn link(&mut self) {
        let ix = self.table.index.get_or_insert_with(Default::default);
        let delta = ix.link(self.key);
        if delta != 0 {
            self.slabs().arena(self.arena).add_overhead(delta);
        }
    }

    /// Sets the live item's eviction priority; false when it is missing.
    pub(crate) fn set_priority(&mut self, p: Priority) -> bool {
        let Some(h) = self.lookup() else { return false };
        EntryMut { slot: self, h }.set_priority(p);
        true
    }
}

impl EntryMut<'_, '_> {
    /// Sets the eviction priority. Not a change of the item's data, so the
    /// version stays.
    pub(crate) fn set_priority(&mut self, prio: Priority) {
        let old = self.entry().priority();
        self.slot.item_mut(self.h).set_priority(prio);
        let (slabs, arena) = (self.slot.slabs(), self.slot.arena);
        self.slot.table.shift_priority(Some(old), Some(prio), slabs, arena);
    }
}

/// Locks (CACHE.LOCK and friends) at the level of the store, with a manual
/// clock: every test sets `now` by hand, none sleeps.
#[cfg(test)]
mod lock_tests {
    use super::*;
    use crate::store::key_locks::lock_bytes;
    use crate::store::{EvictionPolicy, Hash, KeyHash, Store};

    const T0: u64 = 1_700_000_000_000;

    struct At<'s> {
        st: &'s Store,
        key: &'static [u8],
        kh: KeyHash,
    }

    fn at<'s>(st: &'s Store, key: &'static [u8]) -> At<'s> {
        At {
            st,
            key,
            kh: st.hash(key),
        }
    }

    impl At<'_> {
        fn run<R>(&self, db: usize, now: u64, f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
            let mut l = self.st.lock(self.kh);
            let mut s = l.slot(db, self.key, self.kh, now);
            f(&mut s)
        }
        fn with<R>(&self, now: u64, f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
            self.run(0, now, f)
        }
        fn set(&self, now: u64, v: &[u8], e: Expiry) -> u64 {
            self.with(now, |s| s.set_bytes(v, e, 0))
        }
        fn value(&self, now: u64) -> Option<Vec<u8>> {
            self.with(now, |s| s.read(true).and_then(|i| i.as_str().map(<[u8]>::to_vec)))
        }
        fn lock(&self, now: u64, ms: u64, create: bool) -> Result<Lock, LockError> {
            self.with(now, |s| s.lock(ms, create))
        }
        fn state(&self, now: u64) -> Option<Lock> {
            self.with(now, |s| s.lock_state())
        }
    }

    fn store() -> Store {
        Store::new(2, T0)
    }

    #[test]
    fn a_second_lock_fails_while_the_first_is_held() {
        let st = store();
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::None);
        let l = k.lock(T0, 1000, false).unwrap();
        assert_eq!(l.until, T0 + 1000);
        assert_eq!(k.lock(T0 + 1, 1000, false), Err(LockError::Locked));
        assert_eq!(k.lock(T0 + 1, 1000, true), Err(LockError::Locked));
        assert_eq!(k.state(T0 + 999), Some(l));
    }

    #[test]
    fn lock_handles_strictly_increase_across_keys() {
        let st = store();
        let (a, b) = (at(&st, b"a"), at(&st, b"b"));
        let h1 = a.lock(T0, 10, true).unwrap().handle;
        let h2 = b.lock(T0, 10, true).unwrap().handle;
        let h3 = a.lock(T0 + 10, 10, true).unwrap().handle;
        assert!(h1 < h2 && h2 < h3, "{h1} {h2} {h3}");
    }

    #[test]
    fn locking_a_missing_key_needs_create_and_makes_a_placeholder_reads_do_not_see() {
        let st = store();
        let k = at(&st, b"k");
        assert_eq!(k.lock(T0, 1000, false), Err(LockError::NoKey));
        let l = k.lock(T0, 1000, true).unwrap();
        assert_eq!(k.value(T0), None, "a placeholder has no value");
        assert_eq!(st.dbsize(0), 0, "nor an item");
        assert_eq!(k.state(T0), Some(l));
        assert_eq!(k.lock(T0, 1000, true), Err(LockError::Locked));
        let v = k.with(T0, |s| s.put_unlock(l.handle, b"filled", Expiry::None)).unwrap();
        assert_eq!(k.value(T0).as_deref(), Some(&b"filled"[..]));
        assert_eq!(k.with(T0, |s| s.peek().map(|i| i.version())), Some(v));
        assert_eq!(k.state(T0), None);
    }

    #[test]
    fn a_lock_is_released_by_itself_when_its_timeout_passes() {
        let st = store();
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::None);
        let l = k.lock(T0, 500, false).unwrap();
        assert_eq!(k.state(T0 + 499), Some(l));
        assert_eq!(k.state(T0 + 500), None);
        assert_eq!(
            k.with(T0 + 500, |s| s.unlock(l.handle, None)),
            Err(UnlockError::NotLocked)
        );
        assert!(k.lock(T0 + 500, 500, false).is_ok());
    }

    #[test]
    fn put_unlock_checks_the_handle_then_stores_a_new_version_and_releases() {
        let st = store();
        let k = at(&st, b"k");
        let v0 = k.set(T0, b"v", Expiry::None);
        let put = |h| k.with(T0, |s| s.put_unlock(h, b"w", Expiry::None));
        assert_eq!(put(1), Err(UnlockError::NotLocked));
        let l = k.lock(T0, 1000, false).unwrap();
        assert_eq!(put(l.handle + 1), Err(UnlockError::BadHandle));
        assert_eq!(k.value(T0).as_deref(), Some(&b"v"[..]), "nothing stored");
        let v1 = put(l.handle).unwrap();
        assert!(v1 > v0);
        assert_eq!(k.value(T0).as_deref(), Some(&b"w"[..]));
        assert_eq!(k.state(T0), None);
        assert_eq!(put(l.handle), Err(UnlockError::NotLocked), "the handle is spent");
    }

    #[test]
    fn unlock_and_force_unlock_release_and_check_the_handle() {
        let st = store();
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::None);
        let l = k.lock(T0, 1000, false).unwrap();
        assert_eq!(
            k.with(T0, |s| s.unlock(l.handle + 1, None)),
            Err(UnlockError::BadHandle)
        );
        assert_eq!(k.with(T0, |s| s.unlock(l.handle, None)), Ok(()));
        assert_eq!(k.state(T0), None);
        assert_eq!(k.value(T0).as_deref(), Some(&b"v"[..]));
        assert!(!k.with(T0, |s| s.force_unlock()));
        k.lock(T0, 1000, false).unwrap();
        assert!(k.with(T0, |s| s.force_unlock()));
        assert_eq!(k.state(T0), None);
    }

    #[test]
    fn plain_writes_and_removals_release_the_lock() {
        let st = store();
        let k = at(&st, b"k");
        let relock = || {
            k.with(T0, |s| s.force_unlock());
            k.lock(T0, 1000, true).unwrap()
        };
        let l = relock();
        k.set(T0, b"x", Expiry::None);
        assert_eq!(k.state(T0), None, "SET");
        relock();
        k.with(T0, |s| s.get_mut().unwrap().update_value(|v| v.push(b'y')));
        assert_eq!(k.state(T0), None, "APPEND");
        relock();
        k.with(T0, |s| s.get_mut().unwrap().patch_value(|v| v[0] = b'z'));
        assert_eq!(k.state(T0), None, "SETRANGE in place");
        relock();
        k.with(T0, |s| s.get_mut().unwrap().set_expire(T0 + 50_000));
        assert_eq!(k.state(T0), None, "EXPIRE");
        relock();
        assert!(k.with(T0, |s| s.delete()));
        assert_eq!(k.state(T0), None, "DEL");
        relock();
        assert!(!k.with(T0, |s| s.delete()), "a placeholder has no item to delete");
        assert_eq!(k.state(T0), None, "DEL of a placeholder");
        let h = at(&st, b"h");
        h.with(T0, |s| s.write::<Hash, _>(true, |x| (x.insert(b"f", b"1"), true)))
            .unwrap();
        h.lock(T0, 1000, false).unwrap();
        h.with(T0, |s| s.write::<Hash, _>(false, |x| (x.insert(b"g", b"2"), true)))
            .unwrap();
        assert_eq!(h.state(T0), None, "HSET");
        assert!(l.handle > 0);
    }

    #[test]
    fn a_locked_item_never_expires_and_goes_when_unlocked_after_its_deadline() {
        let st = store();
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::At(T0 + 100));
        let l = k.lock(T0, 10_000, false).unwrap();
        assert_eq!(k.value(T0 + 5_000).as_deref(), Some(&b"v"[..]));
        assert_eq!(st.expire_step(T0 + 5_000, crate::store::SHARDS), 0);
        assert_eq!(st.dbsize(0), 1, "the sweep keeps a locked item");
        k.with(T0 + 5_000, |s| s.unlock(l.handle, None)).unwrap();
        assert_eq!(st.dbsize(0), 0, "removed at once on unlock");
        assert_eq!(k.value(T0 + 5_000), None);
    }

    #[test]
    fn an_unlock_with_a_timeout_keeps_an_item_past_its_deadline_and_its_version() {
        let st = store();
        let k = at(&st, b"k");
        let v = k.set(T0, b"v", Expiry::At(T0 + 100));
        let l = k.lock(T0, 10_000, false).unwrap();
        k.with(T0 + 5_000, |s| s.unlock(l.handle, Some(Expiry::sliding(1_000))))
            .unwrap();
        let got = k.with(T0 + 5_000, |s| s.peek().map(|i| (i.version(), i.expiry())));
        assert_eq!(
            got,
            Some((
                v,
                Expiry::Sliding {
                    idle_ms: 1_000,
                    deadline: T0 + 6_000
                }
            ))
        );
    }

    #[test]
    fn an_item_whose_lock_timed_out_expires_as_usual() {
        let st = store();
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::At(T0 + 100));
        k.lock(T0, 1_000, false).unwrap();
        assert!(k.value(T0 + 999).is_some(), "locked past its deadline");
        assert_eq!(k.value(T0 + 1_000), None, "the lock timed out: the item goes");
    }

    #[test]
    fn the_sweep_releases_timed_out_locks_and_records_them_for_waiters() {
        let st = store();
        let k = at(&st, b"k");
        k.lock(T0, 100, true).unwrap();
        st.ready_keys().add_waiter();
        st.expire_locks(T0 + 99);
        assert!(st.ready_keys().take().is_empty());
        st.expire_locks(T0 + 100);
        assert_eq!(st.ready_keys().take(), vec![(0, Box::from(&b"k"[..]))]);
        assert_eq!(k.state(T0), None, "released, even for a clock read earlier");
    }

    #[test]
    fn releasing_a_lock_records_the_key_for_waiters() {
        let st = store();
        let k = at(&st, b"k");
        st.ready_keys().add_waiter();
        let l = k.lock(T0, 100, true).unwrap();
        assert!(st.ready_keys().take().is_empty(), "taking a lock wakes nobody");
        k.with(T0, |s| s.unlock(l.handle, None)).unwrap();
        assert_eq!(st.ready_keys().take(), vec![(0, Box::from(&b"k"[..]))]);
    }

    #[test]
    fn eviction_passes_over_a_locked_item() {
        let st = Store::new(1, T0);
        let k = at(&st, b"k");
        k.set(T0, b"v", Expiry::None);
        k.lock(T0, 1_000, false).unwrap();
        assert_eq!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 5), None);
        assert_eq!(st.dbsize(0), 1);
        k.with(T0, |s| s.force_unlock());
        assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 5).is_some());
    }

    #[test]
    fn lock_entries_are_counted_in_memory_until_released() {
        let st = store();
        let empty = st.used_bytes();
        let keys: Vec<Vec<u8>> = (0..50).map(|i| format!("lock:{i}").into_bytes()).collect();
        for k in &keys {
            let kh = st.hash(k);
            st.lock(kh).slot(0, k, kh, T0).lock(1000, true).unwrap();
        }
        let held = st.used_bytes() - empty;
        let expected: usize = keys.iter().map(|k| lock_bytes(k)).sum();
        assert_eq!(held, expected as u64, "placeholders: no items, only lock entries");
        for k in &keys[..25] {
            let kh = st.hash(k);
            assert!(st.lock(kh).slot(0, k, kh, T0).force_unlock());
        }
        st.expire_locks(T0 + 1000);
        assert_eq!(
            st.used_bytes(),
            empty,
            "released and timed out locks give their bytes back"
        );
    }

    #[test]
    fn locks_follow_their_database_through_flushdb_and_swapdb() {
        let st = store();
        let k = at(&st, b"k");
        let l = k.lock(T0, 1_000, true).unwrap();
        st.ready_keys().add_waiter();
        st.swap_db(0, 1);
        assert_eq!(k.state(T0), None);
        assert_eq!(k.run(1, T0, |s| s.lock_state()), Some(l));
        st.flush_db(1, false);
        assert_eq!(k.run(1, T0, |s| s.lock_state()), None);
        assert_eq!(
            st.ready_keys().take(),
            vec![(0, Box::from(&b"k"[..])), (1, Box::from(&b"k"[..]))],
            "SWAPDB and FLUSHDB wake the waiters of locked keys"
        );
    }

    #[test]
    fn a_sliding_timeout_restarts_on_reads_and_an_absolute_one_does_not() {
        let st = store();
        let (s, a) = (at(&st, b"s"), at(&st, b"a"));
        s.set(T0, b"v", Expiry::sliding(1_000));
        a.set(T0, b"v", Expiry::At(T0 + 1_000));
        for t in [900, 1_800, 2_700] {
            assert!(s.value(T0 + t).is_some(), "read at +{t}");
        }
        assert!(a.value(T0 + 1_000).is_some(), "gone strictly after its deadline");
        assert_eq!(a.value(T0 + 1_001), None);
        assert_eq!(s.value(T0 + 3_701), None, "a second without a read");
    }
}
