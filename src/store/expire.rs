//! Active expiry: the sweep that removes the expired items nobody reads,
//! and the release of the CACHE.LOCK locks whose timeout passed.
//!
//! The server's cron runs [`Store::expire_step`], which visits a few shards
//! from where the previous step stopped, locking each on its own so that no
//! client waits on more than one shard's sweep; above the memory limit's
//! low watermark the background visits them all ([`super::memory`]).
//! Lazy expiry is not here: a lookup that finds its item past its deadline
//! removes it on the way ([`super::Slot::read`] and the other lookups).
//!
//! A locked item never expires, here as on a lookup: the sweep keeps it
//! however late its deadline, until its lock is released or times out.
//! Timed-out locks are released here too, by every sweep of a shard and,
//! once the server has seen a lock, by [`Store::expire_locks`] for every
//! shard each cron tick, so that a waiting client is served when the lock
//! times out rather than at the sweep's next visit of its shard.

use super::events::kinds as key_events;
use super::item::{expired_reason, free_item, item_bytes, Item, ItemMut};
use super::links::Change;
use super::ready::ReadyKeys;
use super::shard::ShardInner;
use super::slab::Slabs;
use super::{Store, SHARDS};
use std::sync::atomic::Ordering;

impl Store {
    /// One step of active expiry: sweeps up to `max_shards` shards that
    /// have something due, from where the previous step stopped, and
    /// removes their expired entries; shards with nothing due are passed
    /// over, so a step goes round all of them when few keys are due. Each
    /// shard is locked on its own, so no client waits on more than one
    /// shard's sweep. Returns the number of entries removed.
    pub(crate) fn expire_step(&self, now: u64, max_shards: usize) -> u64 {
        let mut removed = 0;
        if self.keeps_expired(now) {
            return removed;
        }
        // Shards with nothing due are passed over (a lock and a look);
        // only those swept count against `max_shards`.
        let mut swept = 0;
        for _ in 0..SHARDS {
            if swept == max_shards {
                break;
            }
            let i = self.sweep_cursor.fetch_add(1, Ordering::Relaxed) % SHARDS;
            // A look does not copy the shard for a snapshot under way; a
            // sweep, which writes, does.
            let mut g = {
                let _look = super::snapshot::reading(true);
                self.lock_index(i)
            };
            if !g.expiry_due(now) {
                continue;
            }
            if self.snapshotting.load(Ordering::Acquire) {
                g.copy_if_pending(self);
            }
            swept += 1;
            let before = self.bytes_before(&g);
            removed += g.sweep_expired(self, now);
            self.settle_bytes(&g, before);
        }
        self.cascade();
        removed
    }

    /// Releases the locks whose timeout passed, in every shard, so that
    /// the clients waiting for them are served when they time out rather
    /// than at the active expiry's next visit of their shard (a second).
    /// Nothing to do on a server that never saw a lock.
    pub(crate) fn expire_locks(&self, now: u64) {
        if !self.locks_used.load(Ordering::Relaxed) {
            return;
        }
        for i in 0..SHARDS {
            self.lock_index(i).expire_locks(&self.slabs, &self.ready, now);
        }
    }
}

impl Store {
    /// Restarts every sliding timeout from `now`: a promoted replica's
    /// sliding items were kept alive by its primary's reads, which it did
    /// not see, so each gets its whole window again.
    pub(crate) fn restart_sliding(&self, now: u64) {
        for i in 0..SHARDS {
            let mut g = self.lock_index(i);
            let slabs = &self.slabs;
            for t in g.tables_mut() {
                if t.expires == 0 {
                    continue;
                }
                for &h in t.map.iter() {
                    // SAFETY: a live item of this locked shard.
                    unsafe { ItemMut::at(slabs.ptr(h)) }.slide(now);
                }
            }
        }
    }
}

impl ShardInner {
    /// Some table may hold an item past its deadline, or a lock past its
    /// timeout.
    fn expiry_due(&self, now: u64) -> bool {
        self.tables
            .iter()
            .any(|t| (t.expires != 0 && t.next_deadline <= now) || !t.locks.is_empty())
    }

    /// Removes the expired items of every database, and releases the locks
    /// whose timeout passed (waking the clients waiting for them). A locked
    /// item is kept however late its deadline.
    fn sweep_expired(&mut self, store: &Store, now: u64) -> u64 {
        let slabs = &*store.slabs;
        self.expire_locks(slabs, &store.ready, now);
        let arena = self.arena();
        let mut gone = Vec::new();
        for (db, t) in self.tables.iter_mut().enumerate() {
            if t.expires == 0 {
                t.ttl_sample_sum = 0;
                t.ttl_sample_n = 0;
                t.next_deadline = u64::MAX;
                continue;
            }
            if t.next_deadline > now {
                continue;
            }
            let mut earliest = u64::MAX;
            let (mut sum, mut n) = (0u64, 0u64);
            let removed = gone.len();
            let mut by_priority = t.by_priority;
            let mut used = t.used;
            let locks = &t.locks;
            t.map.retain(|&mut h| {
                // SAFETY: a live item of this locked shard.
                let it = unsafe { Item::at(slabs.ptr(h)) };
                match it.expire_at() {
                    Some(_) if it.is_expired(now) && (locks.is_empty() || !locks.contains(it.key())) => {
                        by_priority[it.priority() as usize] -= 1;
                        used -= item_bytes(slabs, h, &it);
                        gone.push((db, h));
                        false
                    }
                    Some(at) => {
                        earliest = earliest.min(at);
                        sum = sum.saturating_add(at.saturating_sub(now));
                        n += 1;
                        true
                    }
                    None => true,
                }
            });
            for (p, (&before, &after)) in t.by_priority.iter().zip(&by_priority).enumerate() {
                if before != after {
                    slabs.count_priority(arena, p, after as i64 - before as i64);
                }
            }
            t.by_priority = by_priority;
            t.used = used;
            t.expires = n as usize;
            t.next_deadline = earliest;
            t.ttl_sample_sum = sum;
            t.ttl_sample_n = n;
            if t.index.is_some() {
                for &(_, h) in &gone[removed..] {
                    // SAFETY: unlinked above, freed below.
                    let key = unsafe { Item::at(slabs.ptr(h)) }.key();
                    t.changed(store, arena, db, key, Change::Gone, now);
                }
            }
        }
        if !gone.is_empty() {
            let mut a = slabs.arena(self.arena());
            for &(db, h) in &gone {
                if store.events().wants(key_events::EXPIRED) {
                    // SAFETY: unlinked above, still allocated until freed here.
                    let key = unsafe { Item::at(slabs.ptr(h)) }.key();
                    store.events().record(key_events::EXPIRED, db, key);
                }
                free_item(&mut a, slabs, h, expired_reason);
            }
        }
        self.stats.expired += gone.len() as u64;
        gone.len() as u64
    }

    /// Releases the locks whose timeout passed, recording their keys as
    /// ready for the clients waiting to take them.
    fn expire_locks(&mut self, slabs: &Slabs, ready: &ReadyKeys, now: u64) {
        let mut freed = 0;
        for (db, t) in self.tables.iter_mut().enumerate() {
            if !t.locks.is_empty() {
                freed += t.locks.expire(ready, db, now);
            }
        }
        if freed != 0 {
            slabs.arena(self.arena()).add_overhead(-(freed as i64));
        }
    }
}
