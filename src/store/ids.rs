//! The numbers the store hands out that clients keep: item versions
//! (memcached's CAS unique, the CACHE.* versions) and lock handles. Each
//! comes from a counter, strictly greater than every one before it.
//!
//! A replica must hold the same numbers as its primary, so that a `cas`
//! or a PUTUNLOCK works on either. While a primary feeds replicas, every
//! number a thread takes is noted ([`take_noted`]) and travels with the
//! command's batch; the stream names the numbers where a replica could
//! not take the same ones by counting (`repl::feed`), and the replica
//! applies the next commands with those numbers ([`Ids::preset`]).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Id {
    Version = 0,
    Handle = 1,
}

/// Numbers taken, oldest first: the versions and the lock handles.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Taken {
    pub(crate) versions: Vec<u64>,
    pub(crate) handles: Vec<u64>,
}

impl Taken {
    pub(crate) fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.handles.is_empty()
    }

    fn of(&mut self, id: Id) -> &mut Vec<u64> {
        match id {
            Id::Version => &mut self.versions,
            Id::Handle => &mut self.handles,
        }
    }
}

thread_local! {
    /// Numbers this thread took while noting was on, since the last take.
    static NOTED: RefCell<Taken> = RefCell::new(Taken::default());
}

/// The numbers this thread took since the last call.
#[cfg(test)]
pub(crate) fn take_noted() -> Taken {
    let mut t = Taken::default();
    take_noted_into(&mut t);
    t
}

/// The numbers this thread took since the last call, into `out`
/// (emptied first), keeping the capacity of both.
pub(crate) fn take_noted_into(out: &mut Taken) {
    out.versions.clear();
    out.handles.clear();
    NOTED.with(|n| {
        let mut n = n.borrow_mut();
        out.versions.append(&mut n.versions);
        out.handles.append(&mut n.handles);
    });
}

#[derive(Debug, Default)]
struct Presets {
    versions: VecDeque<u64>,
    handles: VecDeque<u64>,
    /// Where each counter stands when the preset ends.
    after: [u64; 2],
}

#[derive(Debug, Default)]
pub(crate) struct Ids {
    counters: [AtomicU64; 2],
    presetting: AtomicBool,
    presets: Mutex<Presets>,
}

impl Ids {
    /// The next number of `id`: a preset one while there is one, else the
    /// counter's next. Noted for the replication stream when `note`.
    #[inline]
    pub(crate) fn next(&self, id: Id, note: bool) -> u64 {
        let n = match self.presetting.load(Relaxed) {
            true => self.next_preset(id),
            false => None,
        }
        .unwrap_or_else(|| self.counters[id as usize].fetch_add(1, Relaxed) + 1);
        if note {
            NOTED.with(|t| t.borrow_mut().of(id).push(n));
        }
        n
    }

    #[cold]
    fn next_preset(&self, id: Id) -> Option<u64> {
        let mut p = crate::util::sync::lock(&self.presets);
        let n = match id {
            Id::Version => p.versions.pop_front(),
            Id::Handle => p.handles.pop_front(),
        }?;
        self.counters[id as usize].fetch_max(n, Relaxed);
        Some(n)
    }

    /// The last number handed out.
    pub(crate) fn last(&self, id: Id) -> u64 {
        self.counters[id as usize].load(Relaxed)
    }

    /// Moves the counter to at least `to` (a loaded snapshot's).
    pub(crate) fn raise(&self, id: Id, to: u64) {
        self.counters[id as usize].fetch_max(to, Relaxed);
    }

    /// Hands out `taken`'s numbers, in order, until [`Ids::end_preset`];
    /// past them, the counters count on. A replica applies its primary's
    /// commands so.
    pub(crate) fn preset(&self, taken: Taken) {
        let mut p = crate::util::sync::lock(&self.presets);
        let top = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
        p.after = [
            self.last(Id::Version).max(top(&taken.versions)),
            self.last(Id::Handle).max(top(&taken.handles)),
        ];
        p.versions = taken.versions.into();
        p.handles = taken.handles.into();
        self.presetting.store(true, Relaxed);
    }

    /// Ends a preset: each counter stands where the primary's did, above
    /// the preset numbers, whatever the commands took beyond them.
    pub(crate) fn end_preset(&self) {
        if !self.presetting.load(Relaxed) {
            return;
        }
        let mut p = crate::util::sync::lock(&self.presets);
        for id in [Id::Version, Id::Handle] {
            self.counters[id as usize].store(p.after[id as usize], Relaxed);
        }
        p.versions.clear();
        p.handles.clear();
        self.presetting.store(false, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_grow_and_are_noted_only_when_asked() {
        let ids = Ids::default();
        assert_eq!(ids.next(Id::Version, false), 1);
        assert_eq!(ids.next(Id::Version, true), 2);
        assert_eq!(ids.next(Id::Handle, true), 1);
        assert_eq!(
            take_noted(),
            Taken {
                versions: vec![2],
                handles: vec![1]
            }
        );
        assert!(take_noted().is_empty());
    }

    #[test]
    fn presets_are_handed_out_then_the_counter_goes_on_from_the_primarys() {
        let ids = Ids::default();
        ids.raise(Id::Version, 10);
        ids.preset(Taken {
            versions: vec![14, 12],
            handles: vec![],
        });
        assert_eq!(ids.next(Id::Version, false), 14);
        assert_eq!(ids.next(Id::Version, false), 12);
        // Beyond the presets: the counter, which the presets raised.
        assert_eq!(ids.next(Id::Version, false), 15);
        ids.end_preset();
        // The primary stood at 14 after these commands.
        assert_eq!(ids.next(Id::Version, false), 15);
        assert_eq!(ids.next(Id::Handle, false), 1);
    }
}
