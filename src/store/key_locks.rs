//! Pessimistic locks on keys (CACHE.LOCK): what a lock is, and the locked
//! keys of one table with the bytes they take.
//!
//! A lock is kept beside the items rather than in them (a chunk's header
//! has no spare bits), and in the table of its database, so that FLUSHDB
//! and SWAPDB take a database's locks with its items. A key locked while
//! missing (a placeholder) has an entry here and no item. Every write of a
//! key releases its lock; with no lock in the table, that costs the write
//! one length check ([`KeyLocks::is_empty`]).
//!
//! This file keeps the entries and their accounting. Taking, checking and
//! releasing a lock on behalf of a command is the slot's work
//! ([`super::cache_item`]); the locks that timed out are released by
//! active expiry ([`super::expire`]).

use super::ready::ReadyKeys;
use super::slab::Slabs;
use hashbrown::HashMap;

/// A pessimistic lock on a key (CACHE.LOCK): its handle, and the Unix ms
/// at which it is released by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lock {
    pub(crate) handle: u64,
    pub(crate) until: u64,
}

/// The keys of one table locked by CACHE.LOCK. Every entry's bytes are
/// counted here and in the arena's overhead, in the same step.
#[derive(Default)]
pub(crate) struct KeyLocks {
    map: HashMap<Box<[u8]>, Lock>,
    /// Bytes the entries take, as counted in the store's overhead.
    bytes: usize,
}

impl KeyLocks {
    /// Whether no key of the table is locked: the one check every write
    /// of the table makes before it looks for its key's lock.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Bytes the entries take.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The lock on `key`, whether or not its timeout has passed.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<Lock> {
        self.map.get(key).copied()
    }

    /// Every locked key, timed out or not.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Lock)> {
        self.map.iter().map(|(k, l)| (&k[..], *l))
    }

    /// Whether `key` has a lock, whether or not its timeout has passed.
    #[inline]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }

    /// Locks `key` with `l`, counting the entry in arena `arena`'s overhead.
    pub(crate) fn insert(&mut self, key: &[u8], l: Lock, slabs: &Slabs, arena: usize) {
        self.map.insert(key.into(), l);
        self.count(key, slabs, arena, 1);
    }

    /// Takes the lock on `key` away, if any, and its entry out of arena
    /// `arena`'s overhead.
    pub(crate) fn remove(&mut self, key: &[u8], slabs: &Slabs, arena: usize) -> Option<Lock> {
        let l = self.map.remove(key)?;
        self.count(key, slabs, arena, -1);
        Some(l)
    }

    fn count(&mut self, key: &[u8], slabs: &Slabs, arena: usize, sign: i64) {
        let bytes = lock_bytes(key);
        self.bytes = (self.bytes as i64 + sign * bytes as i64) as usize;
        slabs.arena(arena).add_overhead(sign * bytes as i64);
    }

    /// Releases the locks whose timeout passed, recording their keys as
    /// ready in database `db` for the clients waiting to take them. Returns
    /// the bytes their entries took, which the caller takes off the arena's
    /// overhead: once for all the tables of a shard, not once per lock.
    pub(crate) fn expire(&mut self, ready: &ReadyKeys, db: usize, now: u64) -> usize {
        let before = self.bytes;
        let bytes = &mut self.bytes;
        self.map.retain(|k, l| {
            let keep = l.until > now;
            if !keep {
                ready.signal(db, k);
                *bytes -= lock_bytes(k);
            }
            keep
        });
        before - self.bytes
    }

    /// Records every locked key as ready in database `db`: FLUSHDB drops
    /// the locks and SWAPDB moves them, and the clients waiting for those
    /// keys must look again.
    pub(crate) fn signal_all(&self, ready: &ReadyKeys, db: usize) {
        for k in self.map.keys() {
            ready.signal(db, k);
        }
    }
}

/// What a lock entry takes: its key, the [`Lock`], the boxed key's
/// pointer and length, and the map's slot and control byte, rounded up for
/// the allocator's size classes.
pub(crate) fn lock_bytes(key: &[u8]) -> usize {
    key.len() + 48
}
