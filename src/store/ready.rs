//! Keys that became lists or sorted sets, or whose CACHE.LOCK lock was
//! released, while a client waits for one.
//!
//! A blocking pop (BLPOP, BZPOPMIN ...) that finds nothing, or a
//! `CACHE.LOCK ... WAIT` that finds the key locked, registers as a waiter;
//! from then on every list or sorted set created under a key, and every
//! lock released, is recorded here, and the server drains the record after each command to
//! wake the clients blocked on those keys. With no waiter, the cost of a
//! creation is one relaxed load.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub(crate) struct ReadyKeys {
    waiters: AtomicUsize,
    keys: Mutex<Vec<(usize, Box<[u8]>)>>,
}

impl ReadyKeys {
    /// A client starts waiting for keys.
    pub(crate) fn add_waiter(&self) {
        self.waiters.fetch_add(1, Ordering::SeqCst);
    }

    /// A client stops waiting.
    pub(crate) fn remove_waiter(&self) {
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Ordering::Relaxed) > 0
    }

    /// Records that `key` of `db` now holds a list or sorted set, or that
    /// its lock was released.
    pub(crate) fn signal(&self, db: usize, key: &[u8]) {
        if self.has_waiters() {
            self.keys
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((db, key.into()));
        }
    }

    /// The keys recorded since the last call, oldest first.
    pub(crate) fn take(&self) -> Vec<(usize, Box<[u8]>)> {
        if !self.has_waiters() {
            return Vec::new();
        }
        std::mem::take(&mut *self.keys.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
