//! Where snapshots to disk stand: the save under way, the last one's
//! time and outcome, and what the last load found. INFO's persistence
//! section and the `save` points read these; `command::persist` changes
//! them.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub(crate) struct Persistence {
    /// Held by whoever takes a snapshot of the store: one at a time.
    pub(crate) snapshot: Mutex<()>,
    /// A background save is running.
    pub(crate) bgsave_running: AtomicBool,
    /// Unix ms the running background save began.
    pub(crate) bgsave_started: AtomicU64,
    /// A BGSAVE asked for while another snapshot ran (SCHEDULE, or inside
    /// MULTI): the cron starts it when it can.
    pub(crate) bgsave_scheduled: AtomicBool,
    /// Unix ms of the last successful save (or of the start).
    pub(crate) last_save: AtomicU64,
    /// Unix ms of the last background save tried, for the retry delay.
    pub(crate) last_try: AtomicU64,
    pub(crate) last_bgsave_ok: AtomicBool,
    /// Seconds the last background save took; -1 before the first.
    pub(crate) last_bgsave_secs: AtomicI64,
    /// Saves that succeeded since start.
    pub(crate) saves: AtomicU64,
    /// The store's change count when the last save began.
    pub(crate) changes_at_save: AtomicU64,
    pub(crate) last_load_keys: AtomicU64,
    pub(crate) last_load_expired: AtomicU64,
    /// Keys of types ferrocache does not have, left out by the last load.
    pub(crate) last_load_skipped: AtomicU64,
}

impl Persistence {
    pub(crate) fn new(now: u64) -> Persistence {
        let p = Persistence::default();
        p.last_save.store(now, Ordering::Relaxed);
        p.last_bgsave_ok.store(true, Ordering::Relaxed);
        p.last_bgsave_secs.store(-1, Ordering::Relaxed);
        p
    }
}

/// The `save` setting's points: after `secs` seconds if at least `changes`
/// changes were made. Redis's syntax, checked when set.
pub(crate) fn save_points(setting: &str) -> Vec<(u64, u64)> {
    let nums: Vec<u64> = setting.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    nums.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn save_points_pair_seconds_with_changes() {
        assert_eq!(super::save_points("3600 1 300 100"), vec![(3600, 1), (300, 100)]);
        assert!(super::save_points("").is_empty());
    }
}
