//! Per-command counters: INFO commandstats, LATENCY HISTOGRAM, INFO
//! latencystats.
//!
//! Commands are counted in a table indexed by the command's place in the
//! command table (`command::lookup_indexed`), one cache-line-sized row per
//! command or subcommand, and one copy of the table per worker thread: a
//! call adds to its own thread's row with relaxed atomic adds, so no lock
//! is taken and no cache line moves between cores. INFO sums the copies.
//! A row's latency histogram is allocated on its first call.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Rows in the table; the command table asserts it has no more entries
/// (commands and subcommands together).
pub(crate) const MAX_COMMANDS: usize = 1024;

/// Fine buckets of a histogram: 8 per power of two of nanoseconds.
const SUB: usize = 8;
const BUCKETS: usize = SUB + 38 * SUB;

/// Durations below this (ns) count as this, as Redis's histograms floor them.
const MIN_NS: u64 = 1024;
/// And above this, as this (about 1 s).
const MAX_NS: u64 = 1_000_000_000;

/// Latencies of one command, in log-linear nanosecond buckets (within
/// 12.5%): enough for percentiles and for the power-of-two buckets of
/// LATENCY HISTOGRAM.
#[derive(Debug)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
}

/// The bucket of a duration. Buckets hold `ns - 1`, so that a power of
/// two of nanoseconds is the top of its bucket, as the bounds of LATENCY
/// HISTOGRAM include their value.
fn bucket(ns: u64) -> usize {
    let v = ns.clamp(MIN_NS, MAX_NS) - 1;
    let e = 63 - v.leading_zeros() as usize;
    // v >= 1023, so e >= 9 > 3.
    let sub = ((v >> (e - 3)) & 7) as usize;
    (SUB + (e - 3) * SUB + sub).min(BUCKETS - 1)
}

/// The highest duration (ns) that falls in bucket `i >= SUB`.
fn bucket_top(i: usize) -> u64 {
    let e = i / SUB + 2;
    let sub = (i % SUB) as u64;
    (SUB as u64 + sub + 1) << (e - 3)
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn record(&self, ns: u64) {
        self.buckets[bucket(ns)].fetch_add(1, Ordering::Relaxed);
    }

    fn counts(&self) -> Vec<u64> {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect()
    }

    fn clear(&self) {
        for b in &self.buckets {
            b.store(0, Ordering::Relaxed);
        }
    }
}

/// A snapshot of one histogram.
#[derive(Debug, Clone)]
pub(crate) struct Latencies {
    counts: Vec<u64>,
}

impl Latencies {
    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Cumulative counts at power-of-two bounds, as LATENCY HISTOGRAM
    /// prints them: (bound in µs, calls at or below it), skipping bounds
    /// that add nothing.
    pub(crate) fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut sum = 0;
        let mut prev = 0;
        for (c, chunk) in self.counts.chunks(SUB).enumerate().skip(1) {
            sum += chunk.iter().sum::<u64>();
            if sum > prev {
                // Chunk c holds the durations in (2^(c+2), 2^(c+3)] ns.
                out.push(((1u64 << (c + 3)) / 1000, sum));
            }
            prev = sum;
        }
        out
    }

    /// The value (µs) at or below which `p` percent of the calls fall.
    pub(crate) fn percentile_usec(&self, p: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let want = ((p / 100.0) * total as f64).ceil().max(1.0) as u64;
        let mut sum = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            sum += c;
            if sum >= want {
                return bucket_top(i.max(SUB)) as f64 / 1000.0;
            }
        }
        MAX_NS as f64 / 1000.0
    }
}

/// One command's counters, alone on its cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Row {
    calls: AtomicU64,
    usec: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    latency: OnceLock<Box<Histogram>>,
}

/// What INFO commandstats prints for one command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CommandCounts {
    pub(crate) calls: u64,
    pub(crate) usec: u64,
    pub(crate) rejected: u64,
    pub(crate) failed: u64,
}

/// Copies of the table, one per worker thread (modulo): a thread adds to
/// its own copy, so two workers running the same command never pass a
/// cache line back and forth. Readers sum the copies.
const SHARDS: usize = 8;

/// This thread's copy of the table.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    MINE.with(|s| *s)
}

/// The per-command table.
#[derive(Debug)]
pub(crate) struct CommandStats {
    /// `SHARDS` copies of `MAX_COMMANDS` rows, copy after copy.
    rows: Box<[Row]>,
}

impl Default for CommandStats {
    fn default() -> CommandStats {
        CommandStats {
            rows: (0..SHARDS * MAX_COMMANDS).map(|_| Row::default()).collect(),
        }
    }
}

impl CommandStats {
    /// Row `idx` of this thread's copy.
    fn row(&self, idx: usize) -> Option<&Row> {
        if idx >= MAX_COMMANDS {
            return None;
        }
        self.rows.get(shard() * MAX_COMMANDS + idx)
    }

    /// Row `idx` of every copy.
    fn copies(&self, idx: usize) -> impl Iterator<Item = &Row> {
        (0..SHARDS).filter_map(move |s| self.rows.get(s * MAX_COMMANDS + idx).filter(|_| idx < MAX_COMMANDS))
    }

    /// A call of command `idx` that ran for `ns` nanoseconds; `failed`
    /// when it answered an error. `track` records the latency too.
    pub(crate) fn called(&self, idx: usize, ns: u64, failed: bool, track: bool) {
        let Some(r) = self.row(idx) else { return };
        r.calls.fetch_add(1, Ordering::Relaxed);
        r.usec.fetch_add(ns / 1000, Ordering::Relaxed);
        if failed {
            r.failed.fetch_add(1, Ordering::Relaxed);
        }
        if track {
            r.latency.get_or_init(|| Box::new(Histogram::new())).record(ns);
        }
    }

    /// The run that served a command whose client waited (BLPOP ...): its
    /// time and outcome count, the call was counted when it blocked.
    pub(crate) fn unblocked(&self, idx: usize, ns: u64, failed: bool, track: bool) {
        let Some(r) = self.row(idx) else { return };
        r.usec.fetch_add(ns / 1000, Ordering::Relaxed);
        if failed {
            r.failed.fetch_add(1, Ordering::Relaxed);
        }
        if track {
            r.latency.get_or_init(|| Box::new(Histogram::new())).record(ns);
        }
    }

    /// Command `idx` was refused before it ran (arity, OOM, BUSY ...).
    pub(crate) fn rejected(&self, idx: usize) {
        if let Some(r) = self.row(idx) {
            r.rejected.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn counts(&self, idx: usize) -> CommandCounts {
        let mut n = CommandCounts::default();
        for r in self.copies(idx) {
            n.calls += r.calls.load(Ordering::Relaxed);
            n.usec += r.usec.load(Ordering::Relaxed);
            n.rejected += r.rejected.load(Ordering::Relaxed);
            n.failed += r.failed.load(Ordering::Relaxed);
        }
        n
    }

    /// Command `idx`'s latencies, when it has any.
    pub(crate) fn latencies(&self, idx: usize) -> Option<Latencies> {
        let mut counts = vec![0u64; BUCKETS];
        for h in self.copies(idx).filter_map(|r| r.latency.get()) {
            for (sum, n) in counts.iter_mut().zip(h.counts()) {
                *sum += n;
            }
        }
        let l = Latencies { counts };
        (l.total() > 0).then_some(l)
    }

    /// CONFIG RESETSTAT.
    pub(crate) fn reset(&self) {
        for r in self.rows.iter() {
            for c in [&r.calls, &r.usec, &r.rejected, &r.failed] {
                c.store(0, Ordering::Relaxed);
            }
            if let Some(h) = r.latency.get() {
                h.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_tops() {
        for ns in [1024u64, 1025, 1500, 2047, 2048, 2049, 9999, 123_456, 999_999_999] {
            let b = bucket(ns);
            assert!(bucket_top(b) >= ns, "{ns}");
            assert!(bucket_top(b - 1) < ns, "{ns}");
        }
        assert_eq!(bucket_top(bucket(2048)), 2048);
    }

    #[test]
    fn counts_and_errors_reset() {
        let s = CommandStats::default();
        s.called(3, 5_000, false, true);
        s.called(3, 7_000, true, true);
        s.rejected(3);
        assert_eq!(
            s.counts(3),
            CommandCounts {
                calls: 2,
                usec: 12,
                rejected: 1,
                failed: 1
            }
        );
        let l = s.latencies(3).unwrap();
        assert_eq!(l.total(), 2);
        assert_eq!(l.cumulative_usec(), vec![(8, 2)]);
        assert!((5.0..=6.0).contains(&l.percentile_usec(50.0)));
        s.reset();
        assert_eq!(s.counts(3), CommandCounts::default());
        assert!(s.latencies(3).is_none());
    }

    #[test]
    fn fast_calls_land_in_the_first_microsecond() {
        let s = CommandStats::default();
        s.called(0, 10, false, true);
        assert_eq!(s.latencies(0).unwrap().cumulative_usec(), vec![(1, 1)]);
    }
}
