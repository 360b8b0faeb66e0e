//! The server's clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The server's clock: the system's, plus an offset that tests can move.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub(crate) fn now_us(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        sys.saturating_add_signed(self.offset_ms.load(Ordering::Relaxed).saturating_mul(1000))
    }

    /// Unix time in milliseconds.
    pub(crate) fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    /// Moves the clock by `ms` (DEBUG ADVANCE-CLOCK), saturating rather
    /// than wrapping on absurd offsets.
    pub(crate) fn advance(&self, ms: i64) {
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| Some(o.saturating_add(ms)));
    }
}
