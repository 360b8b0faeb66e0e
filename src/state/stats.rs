//! Server-wide counters, and the rates INFO derives from them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Server-wide counters. Connections add to them once per batch, not per
/// command, to keep the cache lines quiet.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Highest `used_memory` INFO has reported.
    pub(crate) used_memory_peak: AtomicU64,
    pub(crate) total_connections: AtomicU64,
    pub(crate) rejected_connections: AtomicU64,
    pub(crate) error_replies: AtomicU64,
    /// AUTH and HELLO AUTH refused (INFO `acl_access_denied_auth`).
    pub(crate) acl_denied_auth: AtomicU64,
    /// Clients closed for a query buffer over `client-query-buffer-limit`.
    pub(crate) qbuf_limit_disconnections: AtomicU64,
    /// Clients closed for output over `client-output-buffer-limit`.
    pub(crate) obuf_limit_disconnections: AtomicU64,
    /// Rates sampled by the server's 100 ms cron, for INFO's instantaneous_* fields.
    pub(crate) rates: Mutex<Rates>,
    /// memcached protocol counters.
    pub(crate) mc_total_connections: AtomicU64,
}

impl Stats {
    pub(crate) fn error_reply(&self) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.total_connections,
            &self.rejected_connections,
            &self.error_replies,
            &self.acl_denied_auth,
            &self.qbuf_limit_disconnections,
            &self.obuf_limit_disconnections,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Samples of a growing counter, turned into a per-second rate averaged
/// over the last 16 samples (1.6 s at the cron's 100 ms), as Redis does.
#[derive(Debug, Default)]
pub(crate) struct Rate {
    samples: [f64; 16],
    next: usize,
    last_value: u64,
    last_ms: u64,
}

impl Rate {
    pub(crate) fn sample(&mut self, value: u64, now_ms: u64) {
        if self.last_ms != 0 && now_ms > self.last_ms {
            let per_sec = value.saturating_sub(self.last_value) as f64 * 1000.0 / (now_ms - self.last_ms) as f64;
            self.samples[self.next] = per_sec;
            self.next = (self.next + 1) % self.samples.len();
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    pub(crate) fn per_sec(&self) -> f64 {
        self.samples.iter().sum::<f64>() / self.samples.len() as f64
    }
}

#[derive(Debug, Default)]
pub(crate) struct Rates {
    pub(crate) ops: Rate,
    pub(crate) net_in: Rate,
    pub(crate) net_out: Rate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_averages_per_second_over_samples() {
        let mut r = Rate::default();
        r.sample(0, 1_000);
        for i in 1..=16u64 {
            r.sample(i * 100, 1_000 + i * 100);
        }
        assert_eq!(r.per_sec().round() as u64, 1000);
    }
}
