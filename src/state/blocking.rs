//! Clients parked by blocking commands (BLPOP, BLMOVE, BZPOPMIN ...), and
//! the server-wide registry that wakes them.
//!
//! A blocking command that finds nothing calls `Ctx::block` (in `command`);
//! the session then registers a [`Waiter`] here under each of the keys, in
//! one FIFO queue per (database, key), and the connection task sleeps until
//! the waiter is notified or the deadline passes. The command runs again
//! either way, with the same arguments.
//!
//! Wake-ups: the store records keys that became lists or sorted sets while
//! anyone waits ([`crate::store::ReadyKeys`]); after every command, the
//! session that ran it calls [`Blocking::wake_ready`], which notifies the
//! first waiter of each such key. Clients are served in the order they
//! blocked, as Redis serves them:
//!
//! - a woken client whose command finds nothing (another client was faster)
//!   blocks again without leaving its queues, so it keeps its place;
//! - a client that leaves (served, timed out, unblocked, disconnected)
//!   notifies the new first waiter of each of its keys, since the key may
//!   hold more (RPUSH of three elements for three BLPOPs creates the list
//!   once). A waiter woken for nothing runs its command once more and
//!   blocks again; that spare run is the price of not tracking how much
//!   each key holds.
//!
//! Unlike Redis, which serves blocked clients before the next command of
//! any client runs, a woken client here races the other connections: a
//! pipelined `LPUSH k x` + `LPOP k` from one client may take the element
//! before the blocked client runs. The order among blocked clients holds.

use crate::store::ReadyKeys;
use crate::util::sync::lock;
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// How CLIENT UNBLOCK ends a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unblock {
    /// As if the timeout had passed.
    Timeout,
    /// With the UNBLOCKED error.
    Error,
}

/// One parked client.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) client_id: u64,
    notify: Notify,
    /// CLIENT UNBLOCK's request: 0 none, 1 timeout, 2 error.
    unblock: AtomicU8,
}

impl Waiter {
    /// Resolves once the waiter is notified (at once when a notification
    /// came while nobody awaited).
    pub(crate) async fn notified(&self) {
        self.notify.notified().await
    }

    /// What CLIENT UNBLOCK asked for, if it did.
    pub(crate) fn unblocked(&self) -> Option<Unblock> {
        match self.unblock.load(Ordering::Acquire) {
            1 => Some(Unblock::Timeout),
            2 => Some(Unblock::Error),
            _ => None,
        }
    }
}

type Queue = VecDeque<Arc<Waiter>>;

#[derive(Debug, Default)]
struct Inner {
    /// Per database, per key: the waiters in the order they blocked.
    queues: HashMap<usize, HashMap<Box<[u8]>, Queue>>,
    by_client: HashMap<u64, Arc<Waiter>>,
}

impl Inner {
    fn notify_first(&self, db: usize, key: &[u8]) {
        if let Some(w) = self.queues.get(&db).and_then(|d| d.get(key)).and_then(|q| q.front()) {
            w.notify.notify_one();
        }
    }
}

/// The server-wide registry of parked clients.
#[derive(Debug, Default)]
pub(crate) struct Blocking {
    inner: Mutex<Inner>,
}

impl Blocking {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// Queues a new waiter for `client_id` at the back of each key's queue,
    /// and tells the store to record keys that become ready from now on.
    pub(crate) fn register(&self, ready: &ReadyKeys, client_id: u64, db: usize, keys: &[Box<[u8]>]) -> Arc<Waiter> {
        let w = Arc::new(Waiter {
            client_id,
            notify: Notify::new(),
            unblock: AtomicU8::new(0),
        });
        let mut g = self.inner();
        let per_db = g.queues.entry(db).or_default();
        for (i, k) in keys.iter().enumerate() {
            // BLPOP k k 0 waits once on k.
            if keys[..i].contains(k) {
                continue;
            }
            per_db.entry(k.clone()).or_default().push_back(w.clone());
        }
        g.by_client.insert(client_id, w.clone());
        // Under the registry's lock, so a key made ready after this is
        // recorded and finds the queues above.
        ready.add_waiter();
        w
    }

    /// Takes a waiter out of its queues and hands the turn to the next
    /// waiter of each key (see the module docs).
    pub(crate) fn unregister(&self, ready: &ReadyKeys, w: &Arc<Waiter>, db: usize, keys: &[Box<[u8]>]) {
        let mut g = self.inner();
        if let Some(per_db) = g.queues.get_mut(&db) {
            for k in keys {
                if let Some(q) = per_db.get_mut(&**k) {
                    q.retain(|x| !Arc::ptr_eq(x, w));
                    match q.front() {
                        Some(next) => next.notify.notify_one(),
                        None => {
                            per_db.remove(&**k);
                        }
                    }
                }
            }
            if per_db.is_empty() {
                g.queues.remove(&db);
            }
        }
        if g.by_client.get(&w.client_id).is_some_and(|x| Arc::ptr_eq(x, w)) {
            g.by_client.remove(&w.client_id);
            ready.remove_waiter();
        }
    }

    /// Notifies the first waiter of every key that became ready. Cheap
    /// when nobody waits: one relaxed load in [`ReadyKeys::take`].
    pub(crate) fn wake_ready(&self, ready: &ReadyKeys) {
        let keys = ready.take();
        if keys.is_empty() {
            return;
        }
        let g = self.inner();
        for (db, key) in keys {
            g.notify_first(db, &key);
        }
    }

    /// CLIENT UNBLOCK: ends the wait of `client_id`; false when it is not
    /// blocked.
    pub(crate) fn unblock(&self, client_id: u64, how: Unblock) -> bool {
        let g = self.inner();
        let Some(w) = g.by_client.get(&client_id) else {
            return false;
        };
        w.unblock.store(
            match how {
                Unblock::Timeout => 1,
                Unblock::Error => 2,
            },
            Ordering::Release,
        );
        w.notify.notify_one();
        true
    }

    /// Clients blocked now (INFO's blocked_clients).
    pub(crate) fn blocked_clients(&self) -> usize {
        self.inner().by_client.len()
    }

    /// Distinct keys someone is blocked on (INFO's total_blocking_keys).
    pub(crate) fn blocking_keys(&self) -> usize {
        self.inner().queues.values().map(HashMap::len).sum()
    }

    /// True when `client_id` is blocked (CLIENT LIST's `b` flag).
    pub(crate) fn is_blocked(&self, client_id: u64) -> bool {
        self.inner().by_client.contains_key(&client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn k(s: &str) -> Box<[u8]> {
        s.as_bytes().into()
    }

    /// Whether a notification is pending, consuming it.
    fn was_notified(w: &Waiter) -> bool {
        let mut f = pin!(w.notified());
        matches!(
            f.as_mut().poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(())
        )
    }

    #[test]
    fn a_ready_key_wakes_only_its_first_waiter() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w1 = b.register(&ready, 1, 0, &[k("q")]);
        let w2 = b.register(&ready, 2, 0, &[k("q")]);
        let other = b.register(&ready, 3, 1, &[k("q")]);
        ready.signal(0, b"q");
        b.wake_ready(&ready);
        assert!(was_notified(&w1));
        assert!(!was_notified(&w2));
        assert!(!was_notified(&other), "another database");
        assert_eq!(b.blocked_clients(), 3);
        assert_eq!(b.blocking_keys(), 2);
    }

    #[test]
    fn leaving_passes_the_turn_to_the_next_waiter_in_order() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let keys = [k("a"), k("b")];
        let w1 = b.register(&ready, 1, 0, &keys);
        let w2 = b.register(&ready, 2, 0, &[k("b")]);
        let w3 = b.register(&ready, 3, 0, &[k("b")]);
        b.unregister(&ready, &w1, 0, &keys);
        assert!(was_notified(&w2));
        assert!(!was_notified(&w3));
        b.unregister(&ready, &w2, 0, &[k("b")]);
        assert!(was_notified(&w3));
        b.unregister(&ready, &w3, 0, &[k("b")]);
        assert_eq!(b.blocked_clients(), 0);
        assert_eq!(b.blocking_keys(), 0, "no empty queue is left behind");
        assert!(!ready.has_waiters());
    }

    #[test]
    fn a_key_named_twice_is_waited_on_once() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let keys = [k("a"), k("a")];
        let w = b.register(&ready, 1, 0, &keys);
        b.unregister(&ready, &w, 0, &keys);
        assert_eq!(b.blocking_keys(), 0);
    }

    #[test]
    fn unblock_notifies_and_says_how() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w = b.register(&ready, 7, 0, &[k("a")]);
        assert!(!b.unblock(8, Unblock::Error));
        assert!(b.unblock(7, Unblock::Error));
        assert!(was_notified(&w));
        assert_eq!(w.unblocked(), Some(Unblock::Error));
        assert!(b.is_blocked(7));
    }
}
