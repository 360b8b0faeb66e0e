//! The memory limit: `maxmemory`, the eviction policy and the two
//! watermarks, and the accounting they are checked against.
//!
//! Above the low watermark the sweeper purges expired items ahead of their
//! turn; above the high watermark eviction runs, inline on writes and in the
//! background, until usage is back under the low watermark. Both are
//! percentages of `maxmemory`. The slabs keep the watermarks in bytes and
//! tell where usage stands ([`Pressure`]), since they count the bytes.

use super::slab::{Pressure, MIN_CHUNK};
use super::{EvictionPolicy, Store};
use std::sync::atomic::{AtomicU64, Ordering};

/// The limits the store keeps memory within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes; 0 for no limit.
    pub maxmemory: u64,
    /// The policy of the Redis side (`maxmemory-policy`).
    pub policy: EvictionPolicy,
    /// Percent of `maxmemory` above which expired items are purged early.
    pub low_watermark: u8,
    /// Percent of `maxmemory` above which eviction runs.
    pub high_watermark: u8,
    /// Items examined per eviction (`maxmemory-samples`).
    pub samples: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            maxmemory: 0,
            policy: EvictionPolicy::NoEviction,
            low_watermark: 95,
            high_watermark: 100,
            samples: 5,
        }
    }
}

impl Limits {
    fn low_bytes(&self) -> u64 {
        (self.maxmemory as u128 * self.low_watermark as u128 / 100) as u64
    }
    fn high_bytes(&self) -> u64 {
        (self.maxmemory as u128 * self.high_watermark as u128 / 100) as u64
    }
}

/// [`Limits`] in atomics, read on every write without a lock.
#[derive(Default)]
pub(crate) struct SharedLimits {
    maxmemory: AtomicU64,
    /// Policy, watermarks and samples: see [`pack`].
    packed: AtomicU64,
}

impl SharedLimits {
    pub(crate) fn new() -> SharedLimits {
        let l = Limits::default();
        SharedLimits {
            maxmemory: AtomicU64::new(l.maxmemory),
            packed: AtomicU64::new(pack(&l)),
        }
    }
}

const POLICIES: [EvictionPolicy; 8] = [
    EvictionPolicy::NoEviction,
    EvictionPolicy::AllKeysLru,
    EvictionPolicy::VolatileLru,
    EvictionPolicy::AllKeysLfu,
    EvictionPolicy::VolatileLfu,
    EvictionPolicy::AllKeysRandom,
    EvictionPolicy::VolatileRandom,
    EvictionPolicy::VolatileTtl,
];

fn pack(l: &Limits) -> u64 {
    let policy = POLICIES.iter().position(|p| *p == l.policy).unwrap_or(0) as u64;
    policy
        | (l.low_watermark as u64) << 8
        | (l.high_watermark as u64) << 16
        | (l.samples.min(u32::MAX as usize) as u64) << 32
}

fn unpack(maxmemory: u64, v: u64) -> Limits {
    Limits {
        maxmemory,
        policy: POLICIES[(v & 0xff) as usize % POLICIES.len()],
        low_watermark: (v >> 8) as u8,
        high_watermark: (v >> 16) as u8,
        samples: (v >> 32) as usize,
    }
}

/// Memory is over the limit and nothing may be evicted to make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// Where the bytes are, for INFO memory and memcached `stats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryReport {
    /// Everything the store accounts: `dataset` plus `overhead`.
    pub(crate) used: u64,
    /// Bytes of the items themselves (their chunks and heap parts).
    pub(crate) dataset: u64,
    /// Bytes of the structures that find items (hash tables).
    pub(crate) overhead: u64,
}

/// Evictions one write performs at most before going on: the rest is left
/// to the background, so one write never stalls on a long eviction run.
const INLINE_EVICTIONS: usize = 32;

impl Store {
    pub fn set_limits(&self, limits: Limits) {
        self.limits.maxmemory.store(limits.maxmemory, Ordering::Relaxed);
        self.limits.packed.store(pack(&limits), Ordering::Relaxed);
        self.slabs.set_watermarks(limits.low_bytes(), limits.high_bytes());
    }

    /// The limits in force; two relaxed loads, cheap enough for every write.
    pub(crate) fn limits(&self) -> Limits {
        unpack(
            self.limits.maxmemory.load(Ordering::Relaxed),
            self.limits.packed.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn memory(&self) -> MemoryReport {
        let (dataset, overhead) = self.slabs.totals();
        MemoryReport {
            used: dataset + overhead,
            dataset,
            overhead,
        }
    }

    /// Makes room before a write that may add memory: above the high
    /// watermark it evicts by `policy` (a few items inline, the rest left to
    /// `Store::maintain`). Fails when usage leaves no room under
    /// `maxmemory` for the smallest item and nothing may be evicted: the
    /// policy is noeviction, or only notremovable items (or, for a
    /// volatile policy, items without expiry) are left.
    pub fn make_room(&self, now: u64, policy: EvictionPolicy) -> Result<(), OutOfMemory> {
        // The common case: one relaxed load.
        if self.slabs.pressure() != Pressure::High {
            return Ok(());
        }
        let l = self.limits();
        if l.maxmemory == 0 {
            return Ok(());
        }
        let mut used = self.slabs.check();
        // Full: the write's item, at its smallest, would pass the limit.
        let full = |used: u64| used + MIN_CHUNK as u64 > l.maxmemory;
        // Over the limit itself, the write waits until it is back under (or
        // nothing may go); between the limit and the low watermark it helps
        // the background with a few evictions and goes on.
        let mut extra = 0;
        while used > l.low_bytes() && (full(used) || extra < INLINE_EVICTIONS) {
            match self.evict_some(policy, now, l.samples, super::evict::MAX_BATCH) {
                Some((n, freed)) => {
                    used = used.saturating_sub(freed);
                    if !full(used) {
                        extra += n;
                    }
                }
                None => break,
            }
        }
        self.slabs.check();
        if full(used) {
            Err(OutOfMemory)
        } else {
            Ok(())
        }
    }

    /// The background half of the limit, run by the server's cron: above
    /// the low watermark expired items are purged; above the high one items
    /// are evicted by the configured policy until usage is under the low
    /// watermark.
    pub(crate) fn maintain(&self, now: u64) {
        self.rebalance_step();
        let l = self.limits();
        if l.maxmemory == 0 {
            return;
        }
        let mut used = self.slabs.check();
        if used > l.low_bytes() {
            self.expire_step(now, super::SHARDS);
            used = self.slabs.check();
        }
        if self.slabs.pressure() == Pressure::High {
            while used > l.low_bytes() {
                match self.evict_some(l.policy, now, l.samples, super::evict::MAX_BATCH) {
                    Some((_, freed)) => used = used.saturating_sub(freed),
                    None => break,
                }
            }
            self.slabs.check();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: with `maxmemory 1` an empty store took writes, where
    /// Redis, whose usage never falls below its own baseline, refuses
    /// every one.
    #[test]
    fn a_limit_smaller_than_one_item_is_full_even_when_empty() {
        let st = Store::new(1, 0);
        let limit = |maxmemory| Limits {
            maxmemory,
            ..Limits::default()
        };
        st.set_limits(limit(1));
        assert_eq!(st.make_room(0, EvictionPolicy::NoEviction), Err(OutOfMemory));
        assert_eq!(st.make_room(0, EvictionPolicy::AllKeysLru), Err(OutOfMemory));
        st.set_limits(limit(MIN_CHUNK as u64));
        assert_eq!(st.make_room(0, EvictionPolicy::NoEviction), Ok(()));
        st.set_limits(limit(1 << 20));
        assert_eq!(st.make_room(0, EvictionPolicy::NoEviction), Ok(()));
    }
}
