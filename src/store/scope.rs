//! Atomic scopes: a transaction (EXEC) or a script runs as one step that
//! no other client can see half done.
//!
//! Inside [`Store::atomically`] every shard the thread locks stays locked
//! until the scope ends (two-phase locking), and locking it again inside
//! the scope hands out the held shard instead of waiting for it. The scope
//! does not need to know its keys in advance: a script may touch keys it
//! did not declare, and FLUSHDB inside EXEC ends up holding every shard.
//!
//! Locking shards in any order is deadlock free because a scope is
//! exclusive of every other holder of more than one shard: those
//! ([`Store::lock_many`], [`Store::lock_all`], slab compaction) take
//! [`Store::multi`] shared, a scope takes it exclusively, and a holder of a
//! single shard never waits for another lock while it holds it. So scopes
//! run one at a time, alongside any number of single-key commands on other
//! shards; the cost for other traffic is one shared lock per multi-key
//! command.

use super::{ShardInner, Store, SHARDS};
use std::cell::RefCell;
use std::sync::MutexGuard;

/// The shards a scope holds. Kept on the thread between scopes, emptied,
/// so that a scope allocates nothing and releases only what it locked.
struct Held {
    /// The store of the scope in progress; null between scopes.
    store: *const Store,
    /// By shard index: the guard, once the scope locked the shard.
    guards: Vec<Option<MutexGuard<'static, ShardInner>>>,
    /// The indices locked in this scope.
    locked: Vec<usize>,
}

thread_local! {
    static SCOPE: RefCell<Held> = const {
        RefCell::new(Held {
            store: std::ptr::null(),
            guards: Vec::new(),
            locked: Vec::new(),
        })
    };
}

/// A shard locked by this thread: its own guard, or one a scope holds.
pub(crate) enum ShardGuard<'s> {
    Own(MutexGuard<'s, ShardInner>),
    Scoped(&'s mut ShardInner),
}

impl std::ops::Deref for ShardGuard<'_> {
    type Target = ShardInner;
    fn deref(&self) -> &ShardInner {
        match self {
            ShardGuard::Own(g) => g,
            ShardGuard::Scoped(s) => s,
        }
    }
}

impl std::ops::DerefMut for ShardGuard<'_> {
    fn deref_mut(&mut self) -> &mut ShardInner {
        match self {
            ShardGuard::Own(g) => g,
            ShardGuard::Scoped(s) => s,
        }
    }
}

/// Ends the scope when dropped, on return or unwind: the shards go back.
struct Exit;

impl Drop for Exit {
    fn drop(&mut self) {
        SCOPE.with(|s| {
            let mut held = s.borrow_mut();
            let Held { store, guards, locked } = &mut *held;
            for i in locked.drain(..) {
                guards[i] = None;
            }
            *store = std::ptr::null();
        });
    }
}

impl Store {
    /// Runs `f` as one atomic step: every shard it locks stays locked until
    /// it returns. Inside a scope of the same store, `f` just runs.
    pub(crate) fn atomically<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.in_scope() {
            return f();
        }
        let exclusive = self.multi.write().unwrap_or_else(|p| p.into_inner());
        SCOPE.with(|s| {
            let mut held = s.borrow_mut();
            if held.guards.is_empty() {
                held.guards = (0..SHARDS).map(|_| None).collect();
            }
            held.store = self;
        });
        // Children doomed inside the scope are removed after it.
        super::links::hold();
        let r = {
            let _exit = Exit;
            f()
        };
        drop(exclusive);
        if super::links::release() {
            self.cascade();
        }
        r
    }

    /// True inside a scope of this store on this thread.
    pub(crate) fn in_scope(&self) -> bool {
        SCOPE.with(|s| std::ptr::eq(s.borrow().store, self))
    }

    /// Locks shard `i`: inside a scope, the held guard (locked now if it
    /// was not yet, and kept); outside, a guard of its own.
    pub(crate) fn lock_index(&self, i: usize) -> ShardGuard<'_> {
        let scoped = SCOPE.with(|s| {
            let mut s = s.borrow_mut();
            if !std::ptr::eq(s.store, self) {
                return None;
            }
            let Held { guards, locked, .. } = &mut *s;
            let g = guards[i].get_or_insert_with(|| {
                locked.push(i);
                let g = self.shards[i].inner.lock().unwrap_or_else(|p| p.into_inner());
                // SAFETY: the guard is dropped when the scope ends, inside
                // `atomically`, while `self` is still borrowed there.
                unsafe { std::mem::transmute::<MutexGuard<'_, ShardInner>, MutexGuard<'static, ShardInner>>(g) }
            });
            Some(&mut **g as *mut ShardInner)
        });
        let mut g = match scoped {
            // SAFETY: the shard stays locked until the scope ends, which is
            // after this borrow of `self`; code holding a shard never locks
            // it again, so no two of these borrows overlap.
            Some(p) => ShardGuard::Scoped(unsafe { &mut *p }),
            None => ShardGuard::Own(self.shards[i].inner.lock().unwrap_or_else(|p| p.into_inner())),
        };
        // The first to lock a shard during a snapshot copies it out,
        // unless it only reads (see `reading`).
        if self.snapshotting.load(std::sync::atomic::Ordering::Acquire) && !super::snapshot::is_reading() {
            g.copy_if_pending(self);
        }
        g
    }

    /// For a holder of several shards at once: shared hold of
    /// [`Store::multi`], unless inside a scope (which holds it exclusively).
    pub(crate) fn multi_shared(&self) -> Option<std::sync::RwLockReadGuard<'_, ()>> {
        if self.in_scope() {
            return None;
        }
        Some(self.multi.read().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Expiry, Store};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const T0: u64 = 1_700_000_000_000;

    fn get(st: &Store, k: &str) -> u64 {
        let kh = st.hash(k.as_bytes());
        let mut l = st.lock(kh);
        let mut s = l.slot(0, k.as_bytes(), kh, T0);
        s.peek()
            .and_then(|it| it.as_str().and_then(|v| std::str::from_utf8(v).ok()?.parse().ok()))
            .unwrap_or(0)
    }

    fn set(st: &Store, k: &str, v: u64) {
        let kh = st.hash(k.as_bytes());
        st.lock(kh)
            .slot(0, k.as_bytes(), kh, T0)
            .set_bytes(v.to_string().as_bytes(), Expiry::None, 0);
    }

    /// Keys spread over different shards, visited in an order that is not
    /// the shards' order.
    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("key:{}", (i * 7919) % 1000)).collect()
    }

    #[test]
    fn nobody_sees_a_scope_half_done_and_scopes_in_any_order_do_not_deadlock() {
        let st = Arc::new(Store::new(1, T0));
        let ks = keys(6);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..3)
            .map(|w| {
                let (st, ks) = (st.clone(), ks.clone());
                std::thread::spawn(move || {
                    for i in 0..300 {
                        // Each scope walks the keys from another start:
                        // shards are locked in every order.
                        let start = (w + i) % ks.len();
                        st.atomically(|| {
                            for j in 0..ks.len() {
                                let k = &ks[(start + j) % ks.len()];
                                set(&st, k, get(&st, k) + 1);
                            }
                        });
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (st, ks, stop) = (st.clone(), ks.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut seen = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let khs: Vec<_> = ks.iter().map(|k| st.hash(k.as_bytes())).collect();
                        let mut l = st.lock_many(&khs);
                        let vals: Vec<u64> = ks
                            .iter()
                            .zip(&khs)
                            .map(|(k, kh)| {
                                let mut s = l.slot(0, k.as_bytes(), *kh, T0);
                                let v = s.peek().map(|it| it.as_str().unwrap_or_default().to_vec());
                                v.and_then(|v| String::from_utf8(v).ok()?.parse().ok()).unwrap_or(0)
                            })
                            .collect();
                        assert!(vals.iter().all(|v| *v == vals[0]), "a scope seen half done: {vals:?}");
                        seen += 1;
                    }
                    seen
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
        for k in &ks {
            assert_eq!(get(&st, k), 900, "{k}: no increment lost");
        }
    }

    #[test]
    fn a_scope_inside_a_scope_just_runs_and_flushall_inside_holds_every_shard() {
        let st = Store::new(1, T0);
        set(&st, "a", 1);
        let n = st.atomically(|| {
            st.atomically(|| set(&st, "b", 2));
            st.flush_all(false);
            set(&st, "c", 3);
            st.dbsize(0)
        });
        assert_eq!(n, 1);
        assert_eq!((get(&st, "a"), get(&st, "b"), get(&st, "c")), (0, 0, 3));
    }
}
