//! CLIENT PAUSE: holds back every command (ALL), or those that may write
//! (WRITE), until a deadline or CLIENT UNPAUSE. Held-back clients wait;
//! they are not answered with an error.
//!
//! The check before every command is one relaxed load while no pause is on.

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

const OFF: u8 = 0;
const WRITE: u8 = 1;
const ALL: u8 = 2;

/// What a pause holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PauseKind {
    Write,
    All,
}

#[derive(Debug, Default)]
pub(crate) struct Pause {
    kind: AtomicU8,
    /// Unix ms when the pause ends.
    until: AtomicU64,
    /// Serialises changes of the pair.
    change: Mutex<()>,
    /// Woken when a pause ends early (CLIENT UNPAUSE).
    ended: tokio::sync::Notify,
    /// Clients waiting for the pause to end; INFO counts them among the
    /// blocked clients, as Redis does.
    waiting: AtomicUsize,
}

impl Pause {
    /// Starts a pause until `until` (Unix ms), or lengthens and widens the
    /// one on: a pause is never shortened or narrowed but by UNPAUSE.
    pub(crate) fn pause(&self, kind: PauseKind, until: u64) {
        let _g = crate::util::sync::lock(&self.change);
        let k = match kind {
            PauseKind::Write => WRITE,
            PauseKind::All => ALL,
        };
        let on = self.kind.load(Ordering::Relaxed) != OFF;
        let (old_kind, old_until) = if on {
            (self.kind.load(Ordering::Relaxed), self.until.load(Ordering::Relaxed))
        } else {
            (OFF, 0)
        };
        self.until.store(old_until.max(until), Ordering::Relaxed);
        self.kind.store(old_kind.max(k), Ordering::Release);
    }

    pub(crate) fn unpause(&self) {
        let _g = crate::util::sync::lock(&self.change);
        self.kind.store(OFF, Ordering::Release);
        self.ended.notify_waiters();
    }

    /// When a command of this kind (`may_write`) must wait at `now`: the
    /// end of the pause (Unix ms).
    #[inline]
    pub(crate) fn holds(&self, may_write: bool, now: u64) -> Option<u64> {
        let k = self.kind.load(Ordering::Relaxed);
        if k == OFF {
            return None;
        }
        self.holds_slow(k, may_write, now)
    }

    #[cold]
    fn holds_slow(&self, k: u8, may_write: bool, now: u64) -> Option<u64> {
        let until = self.until.load(Ordering::Acquire);
        if until <= now {
            let _g = crate::util::sync::lock(&self.change);
            if self.until.load(Ordering::Relaxed) <= now {
                self.kind.store(OFF, Ordering::Release);
            }
            return None;
        }
        (k == ALL || may_write).then_some(until)
    }

    /// A client starts or stops waiting for the pause to end.
    pub(crate) fn wait(&self, on: bool) {
        if on {
            self.waiting.fetch_add(1, Ordering::Relaxed);
        } else {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Clients waiting for the pause to end.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The pause on now, if any: (kind, end in Unix ms).
    pub(crate) fn current(&self, now: u64) -> Option<(PauseKind, u64)> {
        let until = self.until.load(Ordering::Relaxed);
        match self.kind.load(Ordering::Relaxed) {
            _ if until <= now => None,
            WRITE => Some((PauseKind::Write, until)),
            ALL => Some((PauseKind::All, until)),
            _ => None,
        }
    }

    /// Completes when CLIENT UNPAUSE ends a pause. Create it before
    /// checking [`Pause::holds`] again, so an unpause between the two is
    /// not missed.
    pub(crate) fn ended(&self) -> tokio::sync::futures::Notified<'_> {
        self.ended.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_pause_holds_writes_until_its_end() {
        let p = Pause::default();
        assert_eq!(p.holds(true, 0), None);
        p.pause(PauseKind::Write, 1_000);
        assert_eq!(p.holds(false, 10), None);
        assert_eq!(p.holds(true, 10), Some(1_000));
        assert_eq!(p.holds(true, 1_000), None, "over at its end");
        assert_eq!(p.current(1_000), None);
    }

    #[test]
    fn a_second_pause_only_lengthens_and_widens() {
        let p = Pause::default();
        p.pause(PauseKind::All, 2_000);
        p.pause(PauseKind::Write, 1_000);
        assert_eq!(p.current(0), Some((PauseKind::All, 2_000)));
        assert_eq!(p.holds(false, 1_500), Some(2_000));
        p.unpause();
        assert_eq!(p.holds(true, 0), None);
    }
}
