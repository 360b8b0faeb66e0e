//! Clients parked by blocking commands (BLPOP, BLMOVE, BZPOPMIN ...), and
//! the server-wide registry that serves them.
//!
//! A blocking command that finds nothing calls `Ctx::block` (in `command`);
//! the session then registers a [`Waiter`] here under each of the keys, in
//! one FIFO queue per (database, key), carrying what it takes to run the
//! command again: its arguments, database and protocol. The connection
//! task sleeps until the waiter is notified or the deadline passes.
//!
//! Serving: the store records keys that became lists or sorted sets (or
//! released locks) while anyone waits ([`crate::store::ReadyKeys`]). After
//! every command, transaction or script, before its client's next command,
//! the session that ran it serves the waiters of those keys in the order
//! they blocked, as Redis does: it runs each waiter's command for it
//! ([`Waiter::claim`]), and hands the reply over ([`Waiter::deliver`]);
//! the parked connection writes it when it wakes. A command that finds
//! nothing again leaves its client waiting, in its place. So a pipelined
//! `LPUSH k x` + `LPOP k` never takes the element from a client blocked on
//! `k`, and a key that held a list only in the middle of a transaction
//! serves no one.
//!
//! A waiter leaves by being served, or by its own session (timeout,
//! CLIENT UNBLOCK, disconnect); the two never both happen: the waiter's
//! state is claimed by one side at a time.

use super::client::ClientHandle;
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

/// A waiter's state: who may run its command.
mod st {
    /// Parked; the waker may claim it, its session may leave.
    pub(super) const WAITING: u8 = 0;
    /// A waker runs its command now.
    pub(super) const SERVING: u8 = 1;
    /// As SERVING, and its session wants to leave once the waker is done.
    pub(super) const SERVING_LEAVE: u8 = 2;
    /// Served: its reply waits in `served`.
    pub(super) const SERVED: u8 = 3;
    /// Its session took it back (timeout, unblock, disconnect).
    pub(super) const LEFT: u8 = 4;
}

/// What [`Waiter::leave`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leave {
    /// The session has it back and runs the command itself.
    Left,
    /// A waker is running its command: wait for the notification.
    Busy,
    /// Already served: take the reply.
    Served,
}

/// The command a parked client waits to run again.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) handle: Arc<ClientHandle>,
    pub(crate) db: usize,
    pub(crate) resp3: bool,
    pub(crate) argv: Vec<Box<[u8]>>,
    /// The distinct keys it waits on.
    pub(crate) keys: Vec<Box<[u8]>>,
}

/// One parked client.
#[derive(Debug)]
pub(crate) struct Waiter {
    pub(crate) client_id: u64,
    pub(crate) job: Job,
    notify: Notify,
    /// CLIENT UNBLOCK's request: 0 none, 1 timeout, 2 error.
    unblock: AtomicU8,
    state: AtomicU8,
    /// The reply of the run that served it.
    served: Mutex<Vec<u8>>,
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

    /// For a waker: takes the right to run this waiter's command; false
    /// when it is not waiting.
    pub(crate) fn claim(&self) -> bool {
        self.state
            .compare_exchange(st::WAITING, st::SERVING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// For a waker that claimed it: the command answered; hands over the
    /// reply and wakes the session.
    pub(crate) fn deliver(&self, reply: Vec<u8>) {
        *lock(&self.served) = reply;
        self.state.store(st::SERVED, Ordering::Release);
        self.notify.notify_one();
    }

    /// For a waker that claimed it: the command found nothing; the client
    /// waits on. Wakes the session if it asked to leave meanwhile.
    pub(crate) fn release(&self) {
        if self.state.swap(st::WAITING, Ordering::AcqRel) == st::SERVING_LEAVE {
            self.notify.notify_one();
        }
    }

    /// For its session: takes the waiter back (see [`Leave`]).
    pub(crate) fn leave(&self) -> Leave {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let next = match cur {
                st::WAITING => st::LEFT,
                st::SERVING => st::SERVING_LEAVE,
                st::SERVING_LEAVE => return Leave::Busy,
                st::SERVED => return Leave::Served,
                _ => return Leave::Left,
            };
            match self
                .state
                .compare_exchange(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if next == st::LEFT => return Leave::Left,
                Ok(_) => return Leave::Busy,
                Err(now) => cur = now,
            }
        }
    }

    /// The reply a waker delivered, once it has.
    pub(crate) fn take_served(&self) -> Option<Vec<u8>> {
        (self.state.load(Ordering::Acquire) == st::SERVED).then(|| std::mem::take(&mut *lock(&self.served)))
    }
}

type Queue = VecDeque<Arc<Waiter>>;

#[derive(Debug, Default)]
struct Inner {
    /// Per database, per key: the waiters in the order they blocked.
    queues: HashMap<usize, HashMap<Box<[u8]>, Queue>>,
    by_client: HashMap<u64, Arc<Waiter>>,
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

    /// Queues a new waiter for `job` at the back of each of its keys'
    /// queues, and tells the store to record keys that become ready from
    /// now on.
    pub(crate) fn register(&self, ready: &ReadyKeys, mut job: Job) -> Arc<Waiter> {
        // BLPOP k k 0 waits once on k.
        let mut keys: Vec<Box<[u8]>> = Vec::with_capacity(job.keys.len());
        for k in job.keys.drain(..) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        job.keys = keys;
        let w = Arc::new(Waiter {
            client_id: job.handle.id,
            job,
            notify: Notify::new(),
            unblock: AtomicU8::new(0),
            state: AtomicU8::new(st::WAITING),
            served: Mutex::new(Vec::new()),
        });
        let mut g = self.inner();
        let per_db = g.queues.entry(w.job.db).or_default();
        for k in &w.job.keys {
            per_db.entry(k.clone()).or_default().push_back(w.clone());
        }
        g.by_client.insert(w.client_id, w.clone());
        // Under the registry's lock, so a key made ready after this is
        // recorded and finds the queues above.
        ready.add_waiter();
        w
    }

    /// Takes a waiter out of its queues; doing it twice is harmless.
    pub(crate) fn unregister(&self, ready: &ReadyKeys, w: &Arc<Waiter>) {
        let mut g = self.inner();
        let db = w.job.db;
        if let Some(per_db) = g.queues.get_mut(&db) {
            for k in &w.job.keys {
                if let Some(q) = per_db.get_mut(&**k) {
                    q.retain(|x| !Arc::ptr_eq(x, w));
                    if q.is_empty() {
                        per_db.remove(&**k);
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

    /// The waiters of `key` in database `db`, in the order they blocked.
    pub(crate) fn queue(&self, db: usize, key: &[u8]) -> Vec<Arc<Waiter>> {
        let g = self.inner();
        g.queues
            .get(&db)
            .and_then(|d| d.get(key))
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
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
pub(crate) mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn k(s: &str) -> Box<[u8]> {
        s.as_bytes().into()
    }

    /// A job for client `id`, waiting in `db` on `keys`.
    pub(crate) fn job(id: u64, db: usize, keys: &[&str]) -> Job {
        let addr = "127.0.0.1:1".parse().expect("literal address");
        let handle = ClientHandle::new(
            id,
            crate::state::Proto::Resp,
            addr,
            addr,
            0,
            tokio_util::sync::CancellationToken::new(),
            crate::state::User::detached_default(),
        );
        Job {
            handle: Arc::new(handle),
            db,
            resp3: false,
            argv: vec![k("BLPOP"), k("q"), k("0")],
            keys: keys.iter().map(|s| k(s)).collect(),
        }
    }

    /// Whether a notification is pending, consuming it.
    fn was_notified(w: &Waiter) -> bool {
        let mut f = pin!(w.notified());
        matches!(
            f.as_mut().poll(&mut Context::from_waker(Waker::noop())),
            Poll::Ready(())
        )
    }

    fn ids(q: Vec<Arc<Waiter>>) -> Vec<u64> {
        q.iter().map(|w| w.client_id).collect()
    }

    #[test]
    fn queues_hold_waiters_in_the_order_they_blocked_per_database() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w1 = b.register(&ready, job(1, 0, &["a", "q"]));
        b.register(&ready, job(2, 0, &["q"]));
        b.register(&ready, job(3, 1, &["q"]));
        assert_eq!(ids(b.queue(0, b"q")), [1, 2]);
        assert_eq!(ids(b.queue(1, b"q")), [3]);
        assert_eq!(ids(b.queue(0, b"a")), [1]);
        assert_eq!((b.blocked_clients(), b.blocking_keys()), (3, 3));
        b.unregister(&ready, &w1);
        b.unregister(&ready, &w1);
        assert_eq!(ids(b.queue(0, b"q")), [2]);
        assert!(b.queue(0, b"a").is_empty(), "no empty queue is left behind");
        assert_eq!((b.blocked_clients(), b.blocking_keys()), (2, 2));
        assert!(ready.has_waiters());
    }

    #[test]
    fn a_key_named_twice_is_waited_on_once() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w = b.register(&ready, job(1, 0, &["a", "a"]));
        assert_eq!(ids(b.queue(0, b"a")), [1]);
        b.unregister(&ready, &w);
        assert_eq!(b.blocking_keys(), 0);
        assert!(!ready.has_waiters());
    }

    #[test]
    fn a_waiter_is_served_or_taken_back_never_both() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w = b.register(&ready, job(1, 0, &["q"]));
        // A waker finds nothing for it: it waits on, unnotified.
        assert!(w.claim());
        assert!(!w.claim(), "one waker at a time");
        w.release();
        assert!(!was_notified(&w));
        // Its session wants it back while a waker runs it: it waits for
        // the waker, which wakes it when done.
        assert!(w.claim());
        assert_eq!(w.leave(), Leave::Busy);
        assert_eq!(w.leave(), Leave::Busy);
        w.release();
        assert!(was_notified(&w));
        assert_eq!(w.leave(), Leave::Left);
        assert!(!w.claim(), "taken back: no waker runs it");
        // Served: the reply waits for the session.
        let w = b.register(&ready, job(2, 0, &["q"]));
        assert!(w.claim());
        assert_eq!(w.take_served(), None);
        w.deliver(b"+x\r\n".to_vec());
        assert!(was_notified(&w));
        assert_eq!(w.leave(), Leave::Served);
        assert_eq!(w.take_served().as_deref(), Some(&b"+x\r\n"[..]));
    }

    #[test]
    fn unblock_notifies_and_says_how() {
        let (b, ready) = (Blocking::default(), ReadyKeys::default());
        let w = b.register(&ready, job(7, 0, &["a"]));
        assert!(!b.unblock(8, Unblock::Error));
        assert!(b.unblock(7, Unblock::Error));
        assert!(was_notified(&w));
        assert_eq!(w.unblocked(), Some(Unblock::Error));
        assert!(b.is_blocked(7));
    }
}
