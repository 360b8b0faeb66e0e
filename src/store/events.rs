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

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

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
    /// The kinds that change what a key holds, or whether it is there:
    /// what invalidates a key a client tracks.
    pub(crate) const INVALIDATING: u8 = CHANGED | EXPIRED | EVICTED | DEPENDANT | TAGGED;
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
}

/// Which kinds of events the store records.
#[derive(Debug, Default)]
pub(crate) struct KeyEvents {
    wanted: AtomicU8,
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

    /// Records an event, when its kind is wanted.
    #[inline]
    pub(crate) fn record(&self, kind: u8, db: usize, key: &[u8]) {
        if self.wants(kind) {
            push(kind, db, key);
        }
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
