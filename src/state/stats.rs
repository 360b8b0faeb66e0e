//! Server-wide counters, and the rates INFO derives from them.

use crate::util::sync::lock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Error codes counted before new ones are left out, as Redis caps them.
const MAX_ERROR_CODES: usize = 128;

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
    /// Requests refused by ACL rules, for their command, a key or a
    /// channel (INFO `acl_access_denied_cmd`, `_key`, `_channel`).
    pub(crate) acl_denied_cmd: AtomicU64,
    pub(crate) acl_denied_key: AtomicU64,
    pub(crate) acl_denied_channel: AtomicU64,
    /// Clients closed for a query buffer over `client-query-buffer-limit`.
    pub(crate) qbuf_limit_disconnections: AtomicU64,
    /// Clients closed for output over `client-output-buffer-limit`.
    pub(crate) obuf_limit_disconnections: AtomicU64,
    /// Error replies by code, the error's first word (INFO errorstats).
    errors: Mutex<BTreeMap<String, u64>>,
    /// Rates sampled by the server's 100 ms cron, for INFO's instantaneous_* fields.
    pub(crate) rates: Mutex<Rates>,
    /// memcached protocol counters.
    pub(crate) mc_total_connections: AtomicU64,
}

impl Stats {
    /// Counts one error reply, `msg` being its text without the `-`.
    pub(crate) fn error_reply(&self, msg: &[u8]) {
        self.error_replies.fetch_add(1, Ordering::Relaxed);
        let code = msg.split(|&b| b == b' ').next().unwrap_or_default();
        let code = String::from_utf8_lossy(code);
        let mut m = lock(&self.errors);
        if let Some(n) = m.get_mut(code.as_ref()) {
            *n += 1;
        } else if m.len() < MAX_ERROR_CODES {
            m.insert(code.into_owned(), 1);
        }
    }

    /// Error codes and their counts, sorted by code.
    pub(crate) fn errors(&self) -> Vec<(String, u64)> {
        lock(&self.errors).iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.total_connections,
            &self.rejected_connections,
            &self.error_replies,
            &self.acl_denied_auth,
            &self.acl_denied_cmd,
            &self.acl_denied_key,
            &self.acl_denied_channel,
            &self.qbuf_limit_disconnections,
            &self.obuf_limit_disconnections,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        lock(&self.errors).clear();
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
    fn errors_count_by_their_first_word() {
        let s = Stats::default();
        s.error_reply(b"ERR wrong");
        s.error_reply(b"ERR other");
        s.error_reply(b"WRONGTYPE x");
        assert_eq!(s.errors(), vec![("ERR".into(), 2), ("WRONGTYPE".into(), 1)]);
        assert_eq!(s.error_replies.load(Ordering::Relaxed), 3);
        s.reset();
        assert!(s.errors().is_empty());
    }

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
