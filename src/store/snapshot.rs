//! Point-in-time copies of the whole store, taken without stopping it.
//!
//! [`Store::begin_snapshot`] locks every shard at once, marks each one
//! pending and notes the dependency graphs: that instant is the snapshot.
//! From then on, whoever locks a pending shard first (the snapshot's
//! reader, or any command, expiry or eviction pass) copies its live items
//! out before doing anything else, so no change made after the instant can
//! reach the copy. The reader takes the shards in order
//! ([`Store::take_shard`]) and finds each one copied by itself or by an
//! earlier visitor. A command pays for a copy only on its first visit to a
//! pending shard, a thousandth of the keyspace; what Redis gets from
//! fork() and copy-on-write pages, this gets from one flag per shard.
//!
//! The copy is [`Saved`] items: the value and everything ferrocache keeps
//! beside it (version, memcached flags, sliding timeout, priority, access
//! hints, tags, lock). [`Store::restore`] puts one back.

use super::entry::{Priority, Value, LFU_INIT};
use super::item::{Parts, ValueIn};
use super::key_locks::Lock;
use super::shard::{ShardInner, Slot};
use super::{Store, SHARDS};
use std::cell::Cell;
use std::sync::atomic::Ordering;

/// One item as a snapshot holds it.
#[derive(Debug, Clone)]
pub(crate) struct Saved {
    pub(crate) key: Box<[u8]>,
    pub(crate) value: Value,
    /// Unix ms; 0 for none. For a sliding item, its current deadline.
    pub(crate) expire_at: u64,
    /// Sliding expiry's idle time; 0 when the deadline is absolute.
    pub(crate) idle_ms: u32,
    pub(crate) flags: u32,
    pub(crate) version: u64,
    pub(crate) priority: Priority,
    /// Seconds since the last access.
    pub(crate) idle_secs: u32,
    /// The access-frequency counter, decayed to the snapshot's time.
    pub(crate) lfu: u8,
    pub(crate) tags: Vec<Box<[u8]>>,
}

impl Saved {
    /// An item with nothing but a key and a value.
    pub(crate) fn plain(key: &[u8], value: Value) -> Saved {
        Saved {
            key: key.into(),
            value,
            expire_at: 0,
            idle_ms: 0,
            flags: 0,
            version: 0,
            priority: Priority::Normal,
            idle_secs: 0,
            lfu: LFU_INIT,
            tags: Vec::new(),
        }
    }
}

/// A lock held at the snapshot's instant, with or without an item.
#[derive(Debug, Clone)]
pub(crate) struct SavedLock {
    pub(crate) db: usize,
    pub(crate) key: Box<[u8]>,
    pub(crate) handle: u64,
    pub(crate) until: u64,
}

/// One shard's share of a snapshot.
#[derive(Debug, Default)]
pub(crate) struct ShardCopy {
    /// Live items, by database.
    pub(crate) dbs: Vec<Vec<Saved>>,
    pub(crate) locks: Vec<SavedLock>,
}

/// What the snapshot's instant fixed besides the items.
#[derive(Debug, Default)]
pub(crate) struct SnapshotHead {
    /// Items (expired ones not yet reclaimed included) and items with a
    /// deadline, per database: the sizes RDB announces before each one.
    pub(crate) sizes: Vec<(u64, u64)>,
    /// Each database's dependencies: a child and its parents.
    pub(crate) depends: Vec<Vec<super::links::Edges>>,
    /// The version counter and the last lock handle handed out.
    pub(crate) version: u64,
    pub(crate) lock_handle: u64,
}

thread_local! {
    static READING: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread's command, until the guard drops, as one that only
/// reads: the shards it locks during a snapshot are not copied out first,
/// so a GET never pays for a copy. What it may still change in them is
/// not the data: access times and frequencies (the snapshot's IDLE/FREQ
/// hints), a sliding deadline moved on, and an item past its deadline
/// removed (the snapshot would keep it, and a replica gets the removal as
/// a DEL after the snapshot's place in the stream, as it would anyway).
pub(crate) fn reading(on: bool) -> Reading {
    Reading(READING.with(|r| r.replace(on)))
}

/// Restores the previous mark when dropped (commands nest in scripts).
pub(crate) struct Reading(bool);

impl Drop for Reading {
    fn drop(&mut self) {
        READING.with(|r| r.set(self.0));
    }
}

pub(super) fn is_reading() -> bool {
    READING.with(Cell::get)
}

/// Where a shard stands in the snapshot under way.
#[derive(Debug, Default)]
pub(crate) enum SnapState {
    #[default]
    Idle,
    /// Not copied yet.
    Pending,
    /// Copied, waiting for the reader.
    Copied(Box<ShardCopy>),
}

impl ShardInner {
    /// Copies the live items and locks of every database, as of `now`.
    fn copy_out(&self, store: &Store, now: u64) -> ShardCopy {
        let slabs = &*store.slabs;
        let now_secs = store.clock_secs(now);
        let mut copy = ShardCopy::default();
        for (db, t) in self.tables.iter().enumerate() {
            let mut items = Vec::with_capacity(t.len());
            for it in self.items(slabs, db) {
                if !self.alive(db, &it, now) {
                    continue;
                }
                let tags = t.index.as_ref().map_or(Vec::new(), |ix| ix.tags(it.key()).to_vec());
                items.push(Saved {
                    key: it.key().into(),
                    value: it.value().to_value(),
                    expire_at: it.expire_at().unwrap_or(0),
                    idle_ms: it.idle_ms(),
                    flags: it.flags(),
                    version: it.version(),
                    priority: it.priority(),
                    idle_secs: it.idle_secs(now_secs),
                    lfu: it.lfu(now_secs),
                    tags,
                });
            }
            copy.dbs.push(items);
            for (key, l) in t.locks.iter() {
                if l.until > now {
                    copy.locks.push(SavedLock {
                        db,
                        key: key.into(),
                        handle: l.handle,
                        until: l.until,
                    });
                }
            }
        }
        copy
    }

    /// Copies this shard out if the snapshot under way has not yet.
    pub(super) fn copy_if_pending(&mut self, store: &Store) {
        if matches!(self.snap, SnapState::Pending) {
            let now = store.snap_now.load(Ordering::Relaxed);
            self.snap = SnapState::Copied(Box::new(self.copy_out(store, now)));
        }
    }
}

impl Store {
    /// Fixes the snapshot's instant: every shard becomes pending. Only one
    /// snapshot runs at a time; the caller sees to that. `at_instant` runs
    /// while every shard is locked, with the next change's sequence number
    /// (the replication stream's place of the snapshot).
    pub(crate) fn begin_snapshot(&self, now: u64, at_instant: &dyn Fn(u64)) -> SnapshotHead {
        let mut all = self.lock_all();
        at_instant(self.events.next_seq());
        self.snap_now.store(now, Ordering::Relaxed);
        let mut head = SnapshotHead {
            sizes: vec![(0, 0); self.databases],
            depends: Vec::with_capacity(self.databases),
            version: self.ids.last(super::Id::Version),
            lock_handle: self.ids.last(super::Id::Handle),
        };
        for g in all.guards.iter_mut() {
            for (db, t) in g.tables.iter().enumerate() {
                head.sizes[db].0 += t.len() as u64;
                head.sizes[db].1 += t.expires as u64;
            }
            g.snap = SnapState::Pending;
        }
        for db in 0..self.databases {
            head.depends.push(self.graph(db).edges_by_child());
        }
        self.snapshotting.store(true, Ordering::Release);
        head
    }

    /// Shard `i`'s copy, made now if nobody made it yet.
    pub(crate) fn take_shard(&self, i: usize) -> ShardCopy {
        let mut g = self.lock_index(i);
        g.copy_if_pending(self);
        match std::mem::take(&mut g.snap) {
            SnapState::Copied(c) => *c,
            _ => ShardCopy::default(),
        }
    }

    /// Number of shards [`Store::take_shard`] goes over.
    pub(crate) fn shard_count(&self) -> usize {
        SHARDS
    }

    /// Ends the snapshot under way, taken whole or abandoned: copies not
    /// taken are dropped.
    pub(crate) fn end_snapshot(&self) {
        self.snapshotting.store(false, Ordering::Release);
        for i in 0..SHARDS {
            self.lock_index(i).snap = SnapState::Idle;
        }
    }

    /// Sets the version counter and the lock handle counter to at least
    /// these: loading a snapshot carries them over, so versions and handles
    /// handed out afterwards are new.
    pub(crate) fn raise_counters(&self, version: u64, lock_handle: u64) {
        self.ids.raise(super::Id::Version, version);
        self.ids.raise(super::Id::Handle, lock_handle);
    }

    /// Puts a saved item back in database `db`, with its own version (a
    /// version of 0 takes a new one). A key that is there is replaced
    /// when `replace` is given; otherwise nothing changes and the answer
    /// is false.
    pub(crate) fn restore(&self, db: usize, s: Saved, now: u64, replace: bool) -> bool {
        self.raise_counters(s.version, 0);
        self.with_slot(db, &s.key.clone(), now, |slot| {
            if !replace && slot.peek().is_some() {
                return false;
            }
            slot.restore(s);
            true
        })
    }

    /// Locks `key` under `handle` until `until` (Unix ms), as the snapshot
    /// recorded it. Nothing happens when the lock has timed out since.
    pub(crate) fn restore_lock(&self, db: usize, key: &[u8], handle: u64, until: u64, now: u64) {
        if until <= now {
            return;
        }
        self.raise_counters(0, handle);
        self.with_slot(db, key, now, |slot| slot.put_lock(Lock { handle, until }));
    }
}

impl Slot<'_> {
    /// Puts a saved item under this slot's key, replacing what is there,
    /// with its own version (0 takes a new one): the body of
    /// [`Store::restore`], and RESTORE's write once it has checked the key
    /// under the same lock.
    pub(crate) fn restore(&mut self, s: Saved) {
        let version = match s.version {
            0 => self.store.next_version(),
            v => v,
        };
        let access = self.store.clock_secs(self.now).wrapping_sub(s.idle_secs) & super::entry::ACCESS_MASK;
        let value = match s.value {
            Value::Str(v) => ValueIn::Owned(v),
            Value::Agg(a) => ValueIn::Agg(a),
        };
        self.put_parts(Parts {
            key: self.key,
            value,
            version,
            access,
            lfu: s.lfu,
            priority: s.priority,
            fetched: false,
            deadline: s.expire_at,
            idle_ms: s.idle_ms,
            flags: s.flags,
        });
        if !s.tags.is_empty() {
            let tags: Vec<&[u8]> = s.tags.iter().map(|t| &t[..]).collect();
            self.set_tags(&tags);
        }
    }

    /// Locks the key as a snapshot recorded it.
    fn put_lock(&mut self, l: Lock) {
        self.table.locks.insert(self.key, l, self.slabs(), self.arena);
    }
}

#[cfg(test)]
mod tests {
    use super::Saved;
    use crate::store::{Expiry, Priority, Store, Value};

    const NOW: u64 = 1_700_000_000_000;

    fn keys_of(store: &Store) -> Vec<(usize, Vec<u8>, Vec<u8>)> {
        let head = store.begin_snapshot(NOW, &|_| {});
        let mut out = Vec::new();
        for i in 0..store.shard_count() {
            for (db, items) in store.take_shard(i).dbs.into_iter().enumerate() {
                for s in items {
                    let Value::Str(v) = s.value else { panic!("not a string") };
                    out.push((db, s.key.to_vec(), v));
                }
            }
        }
        store.end_snapshot();
        assert!(head.sizes.iter().map(|s| s.0).sum::<u64>() >= out.len() as u64);
        out.sort();
        out
    }

    #[test]
    fn a_snapshot_holds_the_instant_it_began() {
        let store = Store::new(2, NOW);
        for i in 0..200u32 {
            store.with_slot(0, format!("k{i}").as_bytes(), NOW, |s| {
                s.set(Value::Str(b"old".to_vec()), 0, 0)
            });
        }
        store.with_slot(1, b"other", NOW, |s| s.set(Value::Str(b"x".to_vec()), 0, 0));
        let head = store.begin_snapshot(NOW, &|_| {});
        assert_eq!(head.sizes, vec![(200, 0), (1, 0)]);
        // Writes after the instant: each first copies its shard out.
        for i in 0..200u32 {
            store.with_slot(0, format!("k{i}").as_bytes(), NOW, |s| {
                s.set(Value::Str(b"new".to_vec()), 0, 0)
            });
        }
        store.with_slot(0, b"late", NOW, |s| s.set(Value::Str(b"new".to_vec()), 0, 0));
        let mut seen = 0;
        for i in 0..store.shard_count() {
            let copy = store.take_shard(i);
            for s in &copy.dbs[0] {
                assert_ne!(&s.key[..], b"late");
                assert!(matches!(&s.value, Value::Str(v) if v == b"old"));
                seen += 1;
            }
        }
        store.end_snapshot();
        assert_eq!(seen, 200);
        // The next snapshot sees the new values.
        let now = keys_of(&store);
        assert_eq!(now.len(), 202);
        assert!(now.iter().filter(|k| k.0 == 0).all(|(_, _, v)| v == b"new"));
    }

    #[test]
    fn a_read_leaves_its_shard_to_the_saver_and_a_write_copies_it() {
        let store = Store::new(1, NOW);
        store.with_slot(0, b"k", NOW, |s| s.set(Value::Str(b"old".to_vec()), 0, 0));
        let shard = store.hash(b"k").shard;
        // Looks without copying (as a reader).
        let pending = |store: &Store| {
            let _r = super::reading(true);
            matches!(store.lock_index(shard).snap, super::SnapState::Pending)
        };
        store.begin_snapshot(NOW, &|_| {});
        {
            let _r = super::reading(true);
            let got = store.with_slot(0, b"k", NOW, |s| s.read(true).map(|it| it.as_str().unwrap().to_vec()));
            assert_eq!(got.as_deref(), Some(&b"old"[..]));
        }
        assert!(pending(&store), "a read leaves the shard to the saver");
        store.with_slot(0, b"k", NOW, |s| s.set(Value::Str(b"new".to_vec()), 0, 0));
        assert!(!pending(&store), "a write copies it first");
        let copy = store.take_shard(shard);
        store.end_snapshot();
        assert!(matches!(&copy.dbs[0][0].value, Value::Str(v) if v == b"old"));
    }

    #[test]
    fn expired_items_are_left_out_and_attributes_travel() {
        let store = Store::new(1, NOW);
        store.with_slot(0, b"gone", NOW, |s| s.set(Value::Str(b"v".to_vec()), NOW + 10, 0));
        store.with_slot(0, b"kept", NOW, |s| {
            s.set_expiry(Value::Str(b"v".to_vec()), Expiry::sliding(5000), 42);
            s.set_priority(Priority::High);
            s.set_tags(&[b"t1", b"t2"]);
        });
        let version = store
            .with_slot(0, b"kept", NOW, |s| s.peek().map(|i| i.version()))
            .unwrap();
        store.begin_snapshot(NOW + 20, &|_| {});
        let saved: Vec<Saved> = (0..store.shard_count())
            .flat_map(|i| store.take_shard(i).dbs.remove(0))
            .collect();
        store.end_snapshot();
        assert_eq!(saved.len(), 1);
        let s = saved[0].clone();
        assert_eq!(
            (&s.key[..], s.flags, s.idle_ms, s.priority),
            (&b"kept"[..], 42, 5000, Priority::High)
        );
        assert_eq!(s.version, version);
        assert_eq!(s.tags.len(), 2);

        let copy = Store::new(1, NOW);
        assert!(copy.restore(0, s, NOW + 30, false));
        copy.with_slot(0, b"kept", NOW + 30, |slot| {
            let it = slot.peek().unwrap();
            assert_eq!((it.version(), it.flags(), it.idle_ms()), (version, 42, 5000));
            assert_eq!(it.priority(), Priority::High);
            assert_eq!(slot.tags().len(), 2);
        });
        assert!(copy.next_version() > version);
    }

    #[test]
    fn locks_are_saved_and_restored_with_their_handles() {
        let store = Store::new(1, NOW);
        store.with_slot(0, b"k", NOW, |s| s.set(Value::Str(b"v".to_vec()), 0, 0));
        let l = store.with_slot(0, b"k", NOW, |s| s.lock(60_000, false)).unwrap();
        let p = store
            .with_slot(0, b"placeholder", NOW, |s| s.lock(60_000, true))
            .unwrap();
        store.begin_snapshot(NOW, &|_| {});
        let copies: Vec<_> = (0..store.shard_count()).map(|i| store.take_shard(i)).collect();
        store.end_snapshot();
        let locks: Vec<_> = copies.iter().flat_map(|c| c.locks.iter().cloned()).collect();
        assert_eq!(locks.len(), 2);

        let copy = Store::new(1, NOW);
        for c in copies {
            for (db, items) in c.dbs.into_iter().enumerate() {
                for s in items {
                    assert!(copy.restore(db, s, NOW, false));
                }
            }
        }
        for s in locks {
            copy.restore_lock(s.db, &s.key, s.handle, s.until, NOW);
        }
        assert_eq!(
            copy.with_slot(0, b"k", NOW, |s| s.lock_state()).map(|x| x.handle),
            Some(l.handle)
        );
        assert_eq!(
            copy.with_slot(0, b"placeholder", NOW, |s| s.lock_state())
                .map(|x| x.handle),
            Some(p.handle)
        );
        assert!(copy.next_lock_handle() > p.handle);
    }
}
