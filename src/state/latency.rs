//! The latency monitor: for each event class (`command`, `fast-command`,
//! `expire-cycle` ...), the worst latency of each second it went over
//! `latency-monitor-threshold` milliseconds, for the last 160 such seconds,
//! and the worst of all time.
//!
//! The threshold is mirrored in an atomic: with the monitor off (0), the
//! check after a command is one relaxed load.

use crate::util::sync::lock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Samples kept per event.
const HISTORY: usize = 160;

/// One second's worst latency: (Unix seconds, ms).
pub(crate) type Sample = (u64, u64);

#[derive(Debug, Clone)]
pub(crate) struct Series {
    samples: Vec<Sample>,
    /// Worst latency of all time, ms.
    pub(crate) max: u64,
}

impl Series {
    /// Samples, oldest first.
    pub(crate) fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub(crate) fn latest(&self) -> Sample {
        self.samples.last().copied().unwrap_or_default()
    }
}

#[derive(Debug, Default)]
pub(crate) struct LatencyMonitor {
    /// ms; 0 turns the monitor off.
    threshold: AtomicU64,
    events: Mutex<BTreeMap<String, Series>>,
}

impl LatencyMonitor {
    pub(crate) fn set_threshold(&self, ms: u64) {
        self.threshold.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn threshold(&self) -> u64 {
        self.threshold.load(Ordering::Relaxed)
    }

    /// Records `ms` for `event` when the monitor is on and it reaches the
    /// threshold.
    #[inline]
    pub(crate) fn sample_if_needed(&self, event: &str, ms: u64, now_ms: u64) {
        let t = self.threshold.load(Ordering::Relaxed);
        if t != 0 && ms >= t {
            self.add(event, ms, now_ms / 1000);
        }
    }

    fn add(&self, event: &str, ms: u64, now: u64) {
        let mut events = lock(&self.events);
        let s = events.entry(event.to_string()).or_insert_with(|| Series {
            samples: Vec::new(),
            max: 0,
        });
        s.max = s.max.max(ms);
        // One sample per second: the worst.
        if let Some(last) = s.samples.last_mut().filter(|l| l.0 == now) {
            last.1 = last.1.max(ms);
            return;
        }
        if s.samples.len() == HISTORY {
            s.samples.remove(0);
        }
        s.samples.push((now, ms));
    }

    /// Every event with its series, by name.
    pub(crate) fn events(&self) -> Vec<(String, Series)> {
        lock(&self.events).iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub(crate) fn event(&self, name: &str) -> Option<Series> {
        lock(&self.events).get(name).cloned()
    }

    /// Forgets the events named (any letter case), or all when `names` is
    /// empty; returns how many went.
    pub(crate) fn reset(&self, names: &[&[u8]]) -> usize {
        let mut events = lock(&self.events);
        let before = events.len();
        if names.is_empty() {
            events.clear();
        } else {
            events.retain(|k, _| !names.iter().any(|n| n.eq_ignore_ascii_case(k.as_bytes())));
        }
        before - events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_the_worst() {
        let m = LatencyMonitor::default();
        m.sample_if_needed("command", 500, 1_000);
        assert!(m.events().is_empty(), "off at 0");
        m.set_threshold(100);
        m.sample_if_needed("command", 50, 1_000);
        m.sample_if_needed("command", 200, 1_000);
        m.sample_if_needed("command", 300, 1_500);
        m.sample_if_needed("command", 150, 2_000);
        let s = m.event("command").unwrap();
        assert_eq!(s.samples(), &[(1, 300), (2, 150)]);
        assert_eq!(s.max, 300);
        assert_eq!(m.reset(&[b"nosuch"]), 0);
        assert_eq!(m.reset(&[b"COMMAND"]), 1);
        assert!(m.events().is_empty());
    }
}
