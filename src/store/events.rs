//! What the store tells of keys, for those above who listen: a key
//! created, removed for its deadline, evicted, missed by a read, or
//! removed by a dependency cascade or a tag.
//!
//! Keyspace notifications need these where they happen, deep in the
//! store, and in the order they happen. While nobody wants a kind, the
//! check costs one relaxed load. A wanted event is recorded in a buffer of
//! the thread that caused it; the command layer takes the buffer before it
//! emits a command's own events and after every command, so the events
//! come out in the order the store saw them (`expired`, then `new`, then
//! the `set` of the command that wrote the key).

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

/// The kinds of key events, as bits.
pub(crate) mod kinds {
    /// A key was added to its database.
    pub(crate) const NEW: u8 = 1;
    /// A key past its deadline was removed (on access or by the sweeper).
    pub(crate) const EXPIRED: u8 = 1 << 1;
    /// A key was evicted for memory.
    pub(crate) const EVICTED: u8 = 1 << 2;
    /// A read looked for a key that is not there.
    pub(crate) const MISS: u8 = 1 << 3;
    /// A key was removed because a key it depends on changed (CACHE.DEPEND).
    pub(crate) const DEPENDANT: u8 = 1 << 4;
    /// A key was removed by CACHE.DELTAGGED.
    pub(crate) const TAGGED: u8 = 1 << 5;
    /// A key was written or removed: any change of its value, expiry or
    /// existence (client tracking invalidates on it).
    pub(crate) const CHANGED: u8 = 1 << 6;
    /// A command took or released a key's lock (CACHE.LOCK), or made it
    /// depend on others (CACHE.DEPEND): a change replicas get, though not
    /// of what the key holds.
    pub(crate) const META: u8 = 1 << 7;
    /// The kinds that change what a key holds, or whether it is there:
    /// what invalidates a key a client tracks.
    pub(crate) const INVALIDATING: u8 = CHANGED | EXPIRED | EVICTED | DEPENDANT | TAGGED;
    /// The kinds the replication stream carries, in their order.
    pub(crate) const REPLICATED: u8 = INVALIDATING | META;
    /// The kinds a command makes by writing (the removals of CACHE.DELTAGGED
    /// included).
    pub(crate) const WRITES: u8 = CHANGED | NEW | META | TAGGED;
}

/// One event: its kind (one of [`kinds`]), database and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyEvent {
    pub(crate) kind: u8,
    pub(crate) db: usize,
    pub(crate) key: Box<[u8]>,
}

thread_local! {
    static PENDING: RefCell<Vec<KeyEvent>> = const { RefCell::new(Vec::new()) };
    /// Sequence numbers this thread took since the last take.
    static SEQS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Writes (not expiry or eviction) this thread made, ever.
    static WRITES: Cell<u64> = const { Cell::new(0) };
}

/// Which kinds of events the store records; and, for the replication
/// stream, the sequence numbers of changes: each change of a key takes
/// the next number under the lock of the key's shard, so numbers order
/// the changes of one key as they happened.
#[derive(Debug, Default)]
pub(crate) struct KeyEvents {
    wanted: AtomicU8,
    numbering: AtomicBool,
    seq: AtomicU64,
}

impl KeyEvents {
    /// True when events of `kind` are recorded.
    #[inline]
    pub(crate) fn wants(&self, kind: u8) -> bool {
        self.wanted.load(Ordering::Relaxed) & kind != 0
    }

    /// True when events of any kind are recorded.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.wanted.load(Ordering::Relaxed) != 0
    }

    /// Records the kinds in `kinds` from now on, and only those.
    pub(crate) fn set_wanted(&self, kinds: u8) {
        self.wanted.store(kinds, Ordering::Relaxed);
    }

    /// Records an event, when its kind is wanted; numbers a change while
    /// numbering is on.
    #[inline]
    pub(crate) fn record(&self, kind: u8, db: usize, key: &[u8]) {
        if kind & kinds::REPLICATED != 0 && self.numbering.load(Ordering::Relaxed) {
            self.number(kind);
        }
        if self.wants(kind) {
            push(kind, db, key);
        }
    }

    #[cold]
    fn number(&self, kind: u8) {
        let s = self.seq.fetch_add(1, Ordering::Relaxed);
        SEQS.with(|v| v.borrow_mut().push(s));
        if kind & kinds::WRITES != 0 {
            WRITES.with(|w| w.set(w.get() + 1));
        }
    }

    /// A change of many keys at once (FLUSHDB, SWAPDB), numbered as one
    /// and called with the shards locked; or a change outside the store
    /// (PUBLISH, FUNCTION LOAD) that the replication stream carries.
    pub(crate) fn record_bulk(&self) {
        if self.numbering.load(Ordering::Relaxed) {
            self.number(kinds::CHANGED);
        }
    }

    /// Numbers changes from now on (a replica asked for the stream).
    pub(crate) fn start_numbering(&self) {
        self.numbering.store(true, Ordering::Relaxed);
    }

    pub(crate) fn numbering(&self) -> bool {
        self.numbering.load(Ordering::Relaxed)
    }

    /// The next number to be taken.
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    /// The numbers this thread took since the last call, into `out`
    /// (emptied first), keeping the capacity of both.
    pub(crate) fn take_seqs_into(&self, out: &mut Vec<u64>) {
        out.clear();
        SEQS.with(|v| out.append(&mut v.borrow_mut()));
    }

    /// Writes this thread made so far: a command wrote when this moved.
    pub(crate) fn writes(&self) -> u64 {
        WRITES.with(Cell::get)
    }

    /// The events this thread recorded since the last take, oldest first.
    pub(crate) fn take(&self) -> Vec<KeyEvent> {
        PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
    }
}

#[cold]
fn push(kind: u8, db: usize, key: &[u8]) {
    PENDING.with(|p| {
        p.borrow_mut().push(KeyEvent {
            kind,
            db,
            key: key.into(),
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wanted_kinds_are_recorded_in_order() {
        let ev = KeyEvents::default();
        ev.record(kinds::NEW, 0, b"a");
        assert!(ev.take().is_empty(), "nothing wanted");
        ev.set_wanted(kinds::NEW | kinds::EXPIRED);
        ev.record(kinds::EXPIRED, 1, b"a");
        ev.record(kinds::MISS, 1, b"b");
        ev.record(kinds::NEW, 1, b"a");
        let event = |kind, key: &[u8]| KeyEvent {
            kind,
            db: 1,
            key: key.into(),
        };
        assert_eq!(ev.take(), [event(kinds::EXPIRED, b"a"), event(kinds::NEW, b"a")]);
        assert!(ev.take().is_empty());
    }
}
