//! Choosing what to evict and evicting it: the maxmemory policies over a
//! sample of entries, lowest priority first, and the batch that takes the
//! chosen entries out of their shard ([`ShardInner::evict_batch`]).
//!
//! Recency and frequency are read from each entry (its access clock and
//! LFU counter) rather than kept in per-priority lists: sampling costs a
//! few table probes per eviction and nothing per read, where lists cost two
//! links per item and a list update on every hit. A sample covers every
//! entry of a small store, so there the order is exact.

use super::entry::Priority;
use super::events::kinds as key_events;
use super::item::{free_item, Item};
use super::links::Change;
use super::slab::{prefetch, FreeReason};
use super::{ShardInner, Store, SHARDS};
use crate::util::rand::rand_u64;

/// The `maxmemory-policy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPolicy {
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

impl EvictionPolicy {
    pub(crate) fn parse(name: &str) -> Option<EvictionPolicy> {
        Some(match name.to_ascii_lowercase().as_str() {
            "noeviction" => EvictionPolicy::NoEviction,
            "allkeys-lru" => EvictionPolicy::AllKeysLru,
            "volatile-lru" => EvictionPolicy::VolatileLru,
            "allkeys-lfu" => EvictionPolicy::AllKeysLfu,
            "volatile-lfu" => EvictionPolicy::VolatileLfu,
            "allkeys-random" => EvictionPolicy::AllKeysRandom,
            "volatile-random" => EvictionPolicy::VolatileRandom,
            "volatile-ttl" => EvictionPolicy::VolatileTtl,
            _ => return None,
        })
    }

    /// Volatile policies evict only entries that have an expiry.
    fn volatile(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }

    /// The entry's place in the eviction order, lowest first; None when the
    /// policy may not evict it.
    fn rank(self, e: &Item<'_>, now_secs: u32) -> Option<(Priority, u64)> {
        let prio = e.priority();
        if prio == Priority::NotRemovable || (self.volatile() && e.expire_at().is_none()) {
            return None;
        }
        let score = match self {
            EvictionPolicy::NoEviction => return None,
            // The longer idle, the lower.
            EvictionPolicy::AllKeysLru | EvictionPolicy::VolatileLru => u32::MAX as u64 - e.idle_secs(now_secs) as u64,
            EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => {
                (e.lfu(now_secs) as u64) << 32 | (u32::MAX - e.idle_secs(now_secs)) as u64
            }
            EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom => rand_u64(),
            EvictionPolicy::VolatileTtl => e.expire_at().unwrap_or(0),
        };
        Some((prio, score))
    }
}

/// Where eviction may take items from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every database whose policy (CACHE.POLICY) allows eviction: the
    /// store's own limit.
    Store,
    /// One database, over its own limit.
    Db(usize),
}

impl Scope {
    fn admits(self, store: &Store, db: usize) -> bool {
        match self {
            Scope::Store => store.db_evictable(db),
            Scope::Db(d) => d == db,
        }
    }
}

/// Samples tried when the chosen items keep vanishing before their removal.
const RACE_RETRIES: usize = 16;

enum Pick {
    Nothing,
    /// Items evicted and the bytes they held.
    Evicted(usize, u64),
    Vanished,
}

/// Victims one sampling pass may choose: a pass samples `samples` items per
/// victim and evicts the lowest-ranked of them all, as Redis's eviction
/// pool keeps the best of several samplings. The best 16 of 80 are as
/// old, in expectation, as the best 8 of 40; a larger pass spreads its
/// fixed costs (a shard lock, the table's header and control bytes, the
/// arena lock) over more victims.
pub(crate) const MAX_BATCH: usize = 16;

/// Buckets one pass samples from one shard at most: a default pass
/// (five samples per victim, [`MAX_BATCH`] victims) fits, so it locks a
/// single shard.
const SAMPLE_SPAN: usize = 128;

/// The best candidate seen so far: where it is, so that it is removed
/// without a second lookup by key.
struct Candidate {
    rank: (Priority, u64),
    shard: usize,
    db: usize,
    bucket: usize,
    handle: u32,
}

/// The lowest-ranked candidates seen so far, at most `k`, lowest first.
struct Pool {
    k: usize,
    best: Vec<Candidate>,
}

impl Pool {
    fn consider(&mut self, policy: EvictionPolicy, e: &Item<'_>, now_secs: u32, at: (usize, usize, usize, u32)) {
        let Some(rank) = policy.rank(e, now_secs) else { return };
        if self.best.len() == self.k && self.best.last().is_some_and(|w| rank >= w.rank) {
            return;
        }
        let pos = self.best.partition_point(|c| c.rank <= rank);
        let (shard, db, bucket, handle) = at;
        self.best.insert(
            pos,
            Candidate {
                rank,
                shard,
                db,
                bucket,
                handle,
            },
        );
        self.best.truncate(self.k);
    }
}

impl Store {
    #[cfg(test)]
    /// Evicts one entry, the lowest in `policy`'s order among about
    /// `samples` entries drawn from the whole store (every database).
    /// Returns the bytes it held, or None when nothing may be evicted (the
    /// policy is noeviction, or only notremovable entries, or for a
    /// volatile policy only entries without expiry, were found).
    pub(crate) fn evict_one(&self, policy: EvictionPolicy, now: u64, samples: usize) -> Option<u64> {
        self.evict_some(policy, now, samples, 1).map(|(_, freed)| freed)
    }

    /// Evicts up to `k` entries (at most [`MAX_BATCH`]) chosen from one
    /// sampling of `samples` entries per victim, lowest in `policy`'s order
    /// first. Returns how many went and the bytes they held, or None when
    /// nothing may be evicted.
    pub(crate) fn evict_some(
        &self,
        policy: EvictionPolicy,
        now: u64,
        samples: usize,
        k: usize,
    ) -> Option<(usize, u64)> {
        self.evict_some_in(Scope::Store, policy, now, samples, k)
    }

    /// [`Store::evict_some`] among the items `scope` admits.
    pub(crate) fn evict_some_in(
        &self,
        scope: Scope,
        policy: EvictionPolicy,
        now: u64,
        samples: usize,
        k: usize,
    ) -> Option<(usize, u64)> {
        // The candidates are chosen under one lock and removed under
        // another: a writer on another thread may delete or evict them in
        // between. That is not "nothing to evict", so sample again.
        for _ in 0..RACE_RETRIES {
            match self.pick_victims(scope, policy, now, samples, k.clamp(1, MAX_BATCH)) {
                Pick::Nothing => return None,
                Pick::Evicted(n, freed) => return Some((n, freed)),
                Pick::Vanished => {}
            }
        }
        None
    }

    /// The best of about `samples` candidates of the lowest priority below
    /// `than` that the policy may evict, found by visiting the shards whose
    /// tables count items of it; None when there is none.
    fn find_lower_priority(
        &self,
        scope: Scope,
        policy: EvictionPolicy,
        now_secs: u32,
        samples: usize,
        than: Priority,
    ) -> Option<Candidate> {
        // The common case: the sample found normal items, and nothing is
        // below normal.
        if than <= Priority::Normal && !self.slabs.any_below_normal() {
            return None;
        }
        let totals = self.slabs.priority_totals();
        let start = rand_u64() as usize % SHARDS;
        for prio in Priority::ALL.into_iter().take_while(|&p| p < than) {
            if totals[prio as usize] == 0 {
                continue;
            }
            let mut pool = Pool {
                k: 1,
                best: Vec::with_capacity(2),
            };
            let mut seen = 0;
            for step in 0..SHARDS {
                if seen >= samples {
                    break;
                }
                let shard = (start + step) % SHARDS;
                let guard = self.lock_index(shard);
                for db in 0..self.databases {
                    let t = guard.table(db);
                    if t.by_priority[prio as usize] == 0 || !scope.admits(self, db) {
                        continue;
                    }
                    for i in 0..t.map.num_buckets() {
                        if let Some((h, e)) = guard
                            .at_bucket(&self.slabs, db, i)
                            .filter(|(_, e)| e.priority() == prio)
                        {
                            seen += 1;
                            pool.consider(policy, &e, now_secs, (shard, db, i, h));
                        }
                    }
                }
            }
            if let Some(best) = pool.best.pop() {
                return Some(best);
            }
        }
        None
    }

    fn pick_victims(&self, scope: Scope, policy: EvictionPolicy, now: u64, samples: usize, k: usize) -> Pick {
        let now_secs = self.clock_secs(now);
        let mut pool = Pool {
            k,
            best: Vec::with_capacity(k + 1),
        };
        let per_victim = samples.max(1);
        let samples = per_victim * k;
        let mut seen = 0usize;
        let start = rand_u64() as usize % SHARDS;
        // The last shard that gave samples stays locked: when the whole
        // sample came from it, as it does in all but a small store, its
        // victims go under the same lock instead of a second one. Only one
        // shard is held at a time, so the next is locked after letting go.
        let mut held = None;
        for step in 0..SHARDS {
            if seen >= samples {
                break;
            }
            let shard = (start + step) % SHARDS;
            held = None;
            let guard = self.lock_index(shard);
            let before = seen;
            for db in 0..self.databases {
                // Checked before the table: the sample is usually complete
                // after the first database, and reading the headers of the
                // empty others would cost a cache miss each.
                if seen >= samples {
                    break;
                }
                let t = guard.table(db);
                if t.len() == 0 || !scope.admits(self, db) {
                    continue;
                }
                let want = samples - seen;
                let buckets = t.map.num_buckets();
                if t.len() <= want {
                    for i in 0..buckets {
                        if let Some((h, e)) = guard.at_bucket(&self.slabs, db, i) {
                            seen += 1;
                            pool.consider(policy, &e, now_secs, (shard, db, i, h));
                        }
                    }
                } else {
                    // Consecutive buckets from a random one, as Redis samples
                    // with dictGetSomeKeys: a bucket's place comes from its
                    // key's hash, not its age, so neighbours are as random a
                    // sample as scattered buckets, and their control bytes
                    // share cache lines. The chunks are fetched together
                    // before any is ranked, so their cache misses overlap.
                    let mut picked = [(0usize, 0u32); SAMPLE_SPAN];
                    let want = want.min(picked.len());
                    // hashbrown's bucket counts are powers of two: a mask
                    // steps around the table without a division per bucket.
                    let mask = buckets.next_power_of_two() - 1;
                    let (mut n, mut i) = (0, rand_u64() as usize & mask);
                    for _ in 0..buckets {
                        if n == want {
                            break;
                        }
                        if let Some(&h) = t.map.get_bucket(i) {
                            prefetch(self.slabs.ptr(h));
                            picked[n] = (i, h);
                            n += 1;
                        }
                        i = (i + 1) & mask;
                    }
                    for &(i, h) in &picked[..n] {
                        seen += 1;
                        // SAFETY: a handle in this locked shard's table.
                        let e = unsafe { Item::at(self.slabs.ptr(h)) };
                        pool.consider(policy, &e, now_secs, (shard, db, i, h));
                    }
                }
            }
            if seen > before {
                held = Some((shard, guard));
            }
        }
        // A sample sees the common priorities; a rarer, lower one is looked
        // for where the counts say it is, so eviction takes from the
        // lowest priority first however few items carry it. The counts
        // usually say there is none, and that costs no lock.
        let sampled = pool.best.first().map_or(Priority::NotRemovable, |b| b.rank.0);
        let lower_may_exist = sampled > Priority::Normal || self.slabs.any_below_normal();
        let (mut n, mut freed) = (0, 0);
        match held {
            Some((shard, mut guard))
                if !lower_may_exist && !pool.best.is_empty() && pool.best.iter().all(|c| c.shard == shard) =>
            {
                (n, freed) = self.evict_in(&mut guard, &pool.best, now);
            }
            _ => {
                drop(held);
                if lower_may_exist {
                    if let Some(lower) = self.find_lower_priority(scope, policy, now_secs, per_victim, sampled) {
                        pool.best = vec![lower];
                    }
                }
                if pool.best.is_empty() {
                    return Pick::Nothing;
                }
                // The candidates of one pass mostly share a shard: lock each once.
                pool.best.sort_by_key(|c| c.shard);
                for group in pool.best.chunk_by(|a, b| a.shard == b.shard) {
                    let (gn, gf) = self.evict_in(&mut self.lock_index(group[0].shard), group, now);
                    n += gn;
                    freed += gf;
                }
            }
        }
        // Children of evicted parents go now that no shard is locked.
        self.cascade();
        match n {
            0 => Pick::Vanished,
            _ => Pick::Evicted(n, freed),
        }
    }

    /// Evicts the candidates of one shard, with that shard locked.
    fn evict_in(&self, guard: &mut ShardInner, group: &[Candidate], now: u64) -> (usize, u64) {
        let victims = group.iter().map(|c| (c.db, c.bucket, c.handle));
        guard.evict_batch(self, victims, now, |db, f| self.count_evicted(db, f))
    }
}

impl ShardInner {
    /// Evicts the items `victims` name, (database, bucket, handle), each
    /// only if its bucket still holds that handle and its key is not
    /// locked, and returns how many went and the bytes each database lost.
    /// Eviction picks its victims by bucket, so removing them needs no
    /// second lookup by key; and a batch takes the arena's lock and moves
    /// the shared priority counters once, not once per item: those are the
    /// cache lines every worker writes.
    fn evict_batch(
        &mut self,
        store: &Store,
        victims: impl Iterator<Item = (usize, usize, u32)>,
        now: u64,
        mut freed_in: impl FnMut(usize, u64),
    ) -> (usize, u64) {
        let slabs = &*store.slabs;
        let arena = self.arena();
        let mut gone = [(0usize, 0u32); MAX_BATCH];
        let mut n = 0;
        let mut by_priority = [0i64; 6];
        for (db, i, h) in victims {
            if n == gone.len() {
                break;
            }
            let t = &mut self.tables[db];
            if !t.locks.is_empty() {
                // A locked item is not evicted: its holder is about to write it.
                // SAFETY: a handle of this locked shard's table is a live item.
                let locked = t.map.get_bucket(i).filter(|&&x| x == h).is_some_and(|_| {
                    let key = unsafe { Item::at(slabs.ptr(h)) }.key();
                    t.locks.contains(key)
                });
                if locked {
                    continue;
                }
            }
            match t.map.get_bucket_entry(i) {
                Ok(e) if *e.get() == h => {
                    e.remove();
                }
                _ => continue,
            }
            // SAFETY: just unlinked from this locked shard's table, still allocated.
            let it = unsafe { Item::at(slabs.ptr(h)) };
            by_priority[t.uncount(h, &it, slabs) as usize] -= 1;
            if t.index.is_some() {
                t.changed(store, arena, db, it.key(), Change::Gone, now);
            }
            gone[n] = (db, h);
            n += 1;
        }
        for (p, &d) in by_priority.iter().enumerate() {
            if d != 0 {
                slabs.count_priority(arena, p, d);
            }
        }
        let mut total = 0;
        if n > 0 {
            let mut a = slabs.arena(arena);
            for &(db, h) in &gone[..n] {
                if store.events().wants(key_events::EVICTED) {
                    // SAFETY: unlinked above, still allocated until freed here.
                    let key = unsafe { Item::at(slabs.ptr(h)) }.key();
                    store.events().record(key_events::EVICTED, db, key);
                }
                let (freed, _) = free_item(&mut a, slabs, h, |it| FreeReason::Evicted {
                    fetched: it.fetched(),
                    had_expiry: it.expire_at().is_some(),
                });
                freed_in(db, freed);
                total += freed;
            }
        }
        self.stats.evicted += n as u64;
        (n, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Expiry, Value};

    const T0: u64 = 1_700_000_000_000;
    /// Larger than any test store here, so the sample is the whole store.
    const ALL: usize = 64;

    fn put(st: &Store, k: &str, now: u64, priority: Priority, expiry: Expiry) {
        let kh = st.hash(k.as_bytes());
        let mut l = st.lock(kh);
        let mut slot = l.slot(0, k.as_bytes(), kh, now);
        slot.set_expiry(Value::Str(b"v".to_vec()), expiry, 0);
        slot.get_mut().expect("just set").set_priority(priority);
    }

    fn touch(st: &Store, k: &str, now: u64) {
        let kh = st.hash(k.as_bytes());
        assert!(st.lock(kh).slot(0, k.as_bytes(), kh, now).read(true).is_some());
    }

    fn exists(st: &Store, k: &str) -> bool {
        let kh = st.hash(k.as_bytes());
        st.lock(kh).slot(0, k.as_bytes(), kh, T0).peek().is_some()
    }

    /// Evicts until nothing may go, returning the keys in eviction order.
    fn drain(st: &Store, policy: EvictionPolicy, keys: &[&str], now: u64) -> Vec<String> {
        let mut order = Vec::new();
        while st.evict_one(policy, now, ALL).is_some() {
            let gone: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| !exists(st, k) && !order.iter().any(|o| o == k))
                .collect();
            assert_eq!(gone.len(), 1, "one eviction removes one key: {gone:?}");
            order.push(gone[0].to_string());
        }
        order
    }

    #[test]
    fn lowest_priority_goes_first_then_least_recently_used() {
        let st = Store::new(1, T0);
        put(&st, "high-old", T0, Priority::High, Expiry::None);
        put(&st, "low-new", T0 + 50_000, Priority::Low, Expiry::None);
        put(&st, "normal-a", T0 + 1000, Priority::Normal, Expiry::None);
        put(&st, "normal-b", T0 + 2000, Priority::Normal, Expiry::None);
        put(&st, "pinned", T0, Priority::NotRemovable, Expiry::None);
        // Reading normal-a makes normal-b the least recently used normal.
        touch(&st, "normal-a", T0 + 60_000);
        let keys = ["high-old", "low-new", "normal-a", "normal-b", "pinned"];
        let order = drain(&st, EvictionPolicy::AllKeysLru, &keys, T0 + 61_000);
        assert_eq!(order, ["low-new", "normal-b", "normal-a", "high-old"]);
        assert!(exists(&st, "pinned"), "notremovable is never evicted");
        assert_eq!(st.stats().evicted_keys, 4);
    }

    #[test]
    fn a_few_low_priority_items_in_a_large_store_go_before_any_normal_one() {
        let st = Store::new(2, T0);
        for i in 0..20_000 {
            put(&st, &format!("n{i}"), T0, Priority::Normal, Expiry::None);
        }
        put(&st, "low-1", T0 + 9000, Priority::Low, Expiry::None);
        put(&st, "low-2", T0 + 9000, Priority::Low, Expiry::None);
        put(&st, "below-1", T0 + 9000, Priority::BelowNormal, Expiry::None);
        let order = drain_n(&st, 3, T0 + 10_000);
        assert_eq!(order, 3);
        for k in ["low-1", "low-2", "below-1"] {
            assert!(!exists(&st, k), "{k} went first, with 5 samples of 20,003");
        }
        assert_eq!(st.dbsize(0), 20_000);
        assert_eq!(st.priority_counts(), [0, 0, 20_000, 0, 0, 0]);
    }

    #[test]
    fn a_normal_item_among_many_notremovable_ones_is_found() {
        let st = Store::new(1, T0);
        for i in 0..20_000 {
            put(&st, &format!("p{i}"), T0, Priority::NotRemovable, Expiry::None);
        }
        put(&st, "evictable", T0, Priority::High, Expiry::None);
        assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 5).is_some());
        assert!(!exists(&st, "evictable"));
        assert_eq!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 5), None);
    }

    /// Evicts `n` items with a sample of 5; returns how many went.
    fn drain_n(st: &Store, n: usize, now: u64) -> usize {
        (0..n)
            .filter(|_| st.evict_one(EvictionPolicy::AllKeysLru, now, 5).is_some())
            .count()
    }

    #[test]
    fn a_batch_evicts_the_least_recently_used_of_all_it_sampled() {
        let st = Store::new(1, T0);
        for i in 0..40u64 {
            put(&st, &format!("k{i}"), T0 + i * 1000, Priority::Normal, Expiry::None);
        }
        // Eight victims at five samples each see all forty keys.
        assert_eq!(
            st.evict_some(EvictionPolicy::AllKeysLru, T0 + 50_000, 5, 8)
                .map(|(n, _)| n),
            Some(8)
        );
        for i in 0..40 {
            assert_eq!(exists(&st, &format!("k{i}")), i >= 8, "k{i}");
        }
        assert_eq!(st.stats().evicted_keys, 8);
    }

    #[test]
    fn a_full_pass_evicts_the_sixteen_least_recently_used_of_its_eighty_samples() {
        let st = Store::new(1, T0);
        for i in 0..80u64 {
            put(&st, &format!("k{i}"), T0 + i * 1000, Priority::Normal, Expiry::None);
        }
        let freed = st.evict_some(EvictionPolicy::AllKeysLru, T0 + 90_000, 5, MAX_BATCH);
        assert_eq!(freed.map(|(n, _)| n), Some(16));
        for i in 0..80 {
            assert_eq!(exists(&st, &format!("k{i}")), i >= 16, "k{i}");
        }
        assert_eq!(st.stats().evicted_keys, 16);
        assert_eq!(st.dbsize(0), 64);
    }

    #[test]
    fn a_batch_passes_over_a_locked_item_and_takes_the_others() {
        let st = Store::new(1, T0);
        for i in 0..10u64 {
            put(&st, &format!("k{i}"), T0 + i * 1000, Priority::Normal, Expiry::None);
        }
        let kh = st.hash(b"k0");
        st.lock(kh).slot(0, b"k0", kh, T0).lock(60_000, false).unwrap();
        // The four oldest are chosen; the locked one of them stays.
        let freed = st.evict_some(EvictionPolicy::AllKeysLru, T0 + 20_000, ALL, 4);
        assert_eq!(freed.map(|(n, _)| n), Some(3));
        assert!(exists(&st, "k0"), "locked");
        for i in 1..10 {
            assert_eq!(exists(&st, &format!("k{i}")), i >= 4, "k{i}");
        }
    }

    #[test]
    fn batched_eviction_keeps_the_priority_counts_and_bytes_exact() {
        let st = Store::new(1, T0);
        let prios = [Priority::Normal, Priority::AboveNormal, Priority::High];
        for i in 0..40_000usize {
            put(&st, &format!("k{i}"), T0, prios[i % 3], Expiry::None);
        }
        // One sample per victim: a pass of sixteen takes all it samples,
        // whatever their priority, from consecutive buckets of one shard
        // (or, when all sixteen were above normal, the one normal item the
        // search for a lower priority finds).
        let mut evicted = 0;
        while evicted < 3200 {
            let (n, _) = st.evict_some(EvictionPolicy::AllKeysLru, T0, 1, MAX_BATCH).unwrap();
            assert!(n == MAX_BATCH || n == 1, "{n}");
            evicted += n;
        }
        let (mut by_table, mut used, mut len) = ([0u64; 6], 0, 0);
        for shard in 0..SHARDS {
            let g = st.lock_index(shard);
            let t = g.table(0);
            for (a, b) in by_table.iter_mut().zip(t.by_priority) {
                *a += b;
            }
            used += t.used;
            len += t.len();
            let mut counted = [0u64; 6];
            for it in g.items(&st.slabs, 0) {
                counted[it.priority() as usize] += 1;
            }
            assert_eq!(counted, t.by_priority, "shard {shard}");
        }
        assert_eq!(len, 40_000 - evicted);
        assert_eq!(st.dbsize(0), len as u64);
        assert_eq!(st.priority_counts(), by_table);
        assert_eq!(st.stats().evicted_keys, evicted as u64);
        assert_eq!(used, st.memory().dataset, "the table's bytes are the arenas' dataset");
    }

    #[test]
    fn only_notremovable_left_means_nothing_to_evict() {
        let st = Store::new(1, T0);
        put(&st, "p1", T0, Priority::NotRemovable, Expiry::None);
        put(&st, "p2", T0, Priority::NotRemovable, Expiry::At(T0 + 10));
        for policy in [
            EvictionPolicy::AllKeysLru,
            EvictionPolicy::AllKeysLfu,
            EvictionPolicy::AllKeysRandom,
            EvictionPolicy::VolatileTtl,
        ] {
            assert_eq!(st.evict_one(policy, T0, ALL), None, "{policy:?}");
        }
        assert_eq!(st.evict_one(EvictionPolicy::NoEviction, T0, ALL), None);
    }

    #[test]
    fn volatile_policies_spare_keys_without_expiry() {
        let st = Store::new(1, T0);
        put(&st, "forever", T0, Priority::Low, Expiry::None);
        put(&st, "late", T0, Priority::Normal, Expiry::At(T0 + 900_000));
        put(&st, "soon", T0 + 5000, Priority::Normal, Expiry::At(T0 + 100_000));
        let keys = ["forever", "late", "soon"];
        // volatile-ttl: the nearest deadline first, whatever the recency.
        let order = drain(&st, EvictionPolicy::VolatileTtl, &keys, T0 + 6000);
        assert_eq!(order, ["soon", "late"]);
        assert!(exists(&st, "forever"));
        for policy in [
            EvictionPolicy::VolatileLru,
            EvictionPolicy::VolatileLfu,
            EvictionPolicy::VolatileRandom,
        ] {
            assert_eq!(st.evict_one(policy, T0, ALL), None, "{policy:?}");
        }
    }

    #[test]
    fn lfu_evicts_the_least_frequently_used() {
        let st = Store::new(1, T0);
        put(&st, "hot", T0, Priority::Normal, Expiry::None);
        put(&st, "cold", T0, Priority::Normal, Expiry::None);
        // Hundreds of reads raise the counter by several steps.
        for i in 0..500 {
            touch(&st, "hot", T0 + i);
        }
        let order = drain(&st, EvictionPolicy::AllKeysLfu, &["hot", "cold"], T0 + 1000);
        assert_eq!(order, ["cold", "hot"]);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays_when_idle() {
        let st = Store::new(1, T0);
        put(&st, "k", T0, Priority::Normal, Expiry::None);
        let kh = st.hash(b"k");
        let freq = |now: u64| {
            let mut l = st.lock(kh);
            let mut s = l.slot(0, b"k", kh, now);
            let secs = st.clock_secs(now);
            s.peek().map(|e| e.lfu(secs)).unwrap()
        };
        // A new key starts at LFU_INIT; `put` already made one access.
        let start = freq(T0);
        assert!(
            (crate::store::entry::LFU_INIT..=crate::store::entry::LFU_INIT + 1).contains(&start),
            "{start}"
        );
        for _ in 0..10_000 {
            touch(&st, "k", T0);
        }
        let hot = freq(T0);
        // Logarithmic: ten thousand accesses are tens of steps, not
        // thousands. The steps are coin flips (about 45 expected), so the
        // bound leaves room for the tail: 60 was seen once.
        assert!(hot > start + 5 && hot < 100, "{hot}");
        // Ten idle minutes take ten steps off.
        assert_eq!(freq(T0 + 600_000), hot - 10);
    }

    #[test]
    fn random_policy_evicts_every_removable_key_in_turn() {
        let st = Store::new(1, T0);
        let keys = ["a", "b", "c", "d"];
        for k in keys {
            put(&st, k, T0, Priority::Normal, Expiry::None);
        }
        let mut order = drain(&st, EvictionPolicy::AllKeysRandom, &keys, T0);
        order.sort();
        assert_eq!(order, keys);
    }

    #[test]
    fn eviction_reaches_every_database() {
        let st = Store::new(4, T0);
        let kh = st.hash(b"k");
        st.lock(kh).slot(3, b"k", kh, T0).set(Value::Str(b"v".to_vec()), 0, 0);
        assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, ALL).is_some());
        assert_eq!(st.dbsize(3), 0);
    }

    #[test]
    fn a_large_store_is_sampled_not_scanned() {
        let st = Store::new(1, T0);
        for i in 0..20_000 {
            let k = format!("k{i}");
            let kh = st.hash(k.as_bytes());
            st.lock(kh)
                .slot(0, k.as_bytes(), kh, T0)
                .set(Value::Str(b"v".to_vec()), 0, 0);
        }
        for _ in 0..100 {
            assert!(st.evict_one(EvictionPolicy::AllKeysLru, T0, 16).is_some());
        }
        assert_eq!(st.dbsize(0), 19_900);
        assert_eq!(st.stats().evicted_keys, 100);
    }
}
