//! SCAN over a database whose tables may grow or shrink between calls.
//!
//! Keys are visited in the order of their hash, rotated so that the shard
//! bits come first: the cursor is the next position in that order. A key's
//! position never changes, so a key present for the whole scan is returned
//! exactly once however the tables resize. (Redis's reverse-binary cursor
//! gives the same guarantee for chained buckets; hashbrown probes open
//! addresses, where a bucket cursor would not.)

use super::{shard_of, Item, Store, SHARDS, SHARD_BITS, SHARD_SHIFT};

const ROTATE: u32 = 64 - SHARD_SHIFT - SHARD_BITS;

/// The position of a hash in scan order: the shard index in the top bits.
pub(crate) fn scan_pos(hash: u64) -> u64 {
    hash.rotate_left(ROTATE)
}

fn shard_of_pos(pos: u64) -> usize {
    (pos >> (64 - SHARD_BITS)) as usize
}

/// One page of a scan: the cursor to continue from (0 when done) and the keys.
#[derive(Debug, Default)]
pub struct ScanPage {
    pub cursor: u64,
    pub keys: Vec<Vec<u8>>,
}

impl Store {
    /// Visits about `count` keys from `cursor` on and returns those for which
    /// `keep` holds. Like Redis, `count` bounds the keys examined, not the
    /// keys returned.
    pub fn scan(
        &self,
        db: usize,
        cursor: u64,
        count: usize,
        now: u64,
        mut keep: impl FnMut(&Item<'_>) -> bool,
    ) -> ScanPage {
        let count = count.max(1);
        let mut page = ScanPage::default();
        let mut pos = cursor;
        let mut examined = 0usize;
        loop {
            let shard = shard_of_pos(pos);
            let mut guard = self.lock_index(shard);
            // Items past their deadline are passed over, and removed once
            // the page's keys are out (as Redis's SCAN removes them).
            let mut expired = Vec::new();
            let mut cand: Vec<(u64, Item<'_>)> = guard
                .items(&self.slabs, db)
                .map(|e| (scan_pos(self.hasher_hash(e.key())), e))
                .filter(|(p, _)| *p >= pos)
                .filter(|(p, e)| {
                    let live = guard.alive(db, e, now);
                    if !live {
                        expired.push((*p, e.key().to_vec()));
                    }
                    live
                })
                .collect();
            let want = count - examined;
            let exhausted = cand.len() <= want;
            if !exhausted {
                cand.select_nth_unstable_by_key(want - 1, |(p, _)| *p);
                let edge = cand[want - 1].0;
                // Keep every key at the edge position so none is skipped.
                cand.retain(|(p, _)| *p <= edge);
                pos = edge.wrapping_add(1);
            }
            examined += cand.len();
            for (_, e) in &cand {
                if keep(e) {
                    page.keys.push(e.key().to_vec());
                }
            }
            if !expired.is_empty() {
                let edge = if exhausted { u64::MAX } else { pos.wrapping_sub(1) };
                let keys: Vec<Vec<u8>> = expired
                    .into_iter()
                    .filter(|(p, _)| *p <= edge)
                    .map(|(_, k)| k)
                    .collect();
                drop(cand);
                guard.expire_found(self, db, &keys, now);
            }
            if !exhausted {
                page.cursor = pos;
                if pos == 0 {
                    page.cursor = 0;
                }
                return page;
            }
            if shard + 1 >= SHARDS {
                page.cursor = 0;
                return page;
            }
            pos = ((shard + 1) as u64) << (64 - SHARD_BITS);
            debug_assert_eq!(shard_of(pos.rotate_right(ROTATE)), shard + 1);
            if examined >= count {
                page.cursor = pos;
                return page;
            }
        }
    }

    fn hasher_hash(&self, key: &[u8]) -> u64 {
        self.hash(key).hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Value;
    use std::collections::HashSet;

    const T0: u64 = 1_700_000_000_000;

    fn put(st: &Store, k: &[u8]) {
        let kh = st.hash(k);
        st.lock(kh).slot(0, k, kh, T0).set(Value::Str(b"v".to_vec()), 0, 0);
    }

    fn del(st: &Store, k: &[u8]) {
        let kh = st.hash(k);
        st.lock(kh).slot(0, k, kh, T0).remove();
    }

    #[test]
    fn scan_returns_every_key_once() {
        let st = Store::new(1, T0);
        for i in 0..3000 {
            put(&st, format!("k{i}").as_bytes());
        }
        let mut seen = Vec::new();
        let mut cur = 0;
        loop {
            let p = st.scan(0, cur, 10, T0, |_| true);
            seen.extend(p.keys);
            cur = p.cursor;
            if cur == 0 {
                break;
            }
        }
        let uniq: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), 3000);
        assert_eq!(uniq.len(), 3000);
    }

    #[test]
    fn scan_and_randomkey_remove_the_expired_items_they_pass() {
        let st = Store::new(1, T0);
        for i in 0..40 {
            let k = format!("k{i}");
            let kh = st.hash(k.as_bytes());
            let deadline = if i % 2 == 0 { T0 + 1 } else { 0 };
            st.lock(kh)
                .slot(0, k.as_bytes(), kh, T0)
                .set(Value::Str(b"v".to_vec()), deadline, 0);
        }
        let later = T0 + 10;
        let mut cur = 0;
        let mut seen = 0;
        loop {
            let p = st.scan(0, cur, 7, later, |_| true);
            seen += p.keys.len();
            cur = p.cursor;
            if cur == 0 {
                break;
            }
        }
        assert_eq!(seen, 20);
        assert_eq!(
            st.stats().expired_keys,
            20,
            "each expired item removed as it was passed"
        );
        let st = Store::new(1, T0);
        let kh = st.hash(b"gone");
        st.lock(kh)
            .slot(0, b"gone", kh, T0)
            .set(Value::Str(b"v".to_vec()), T0 + 1, 0);
        assert_eq!(st.random_key(0, later, 1), None);
        assert_eq!(st.stats().expired_keys, 1);
    }

    #[test]
    fn scan_keeps_its_place_while_the_table_grows_and_shrinks() {
        let st = Store::new(1, T0);
        for i in 0..500 {
            put(&st, format!("stay{i}").as_bytes());
        }
        let mut seen = HashSet::new();
        let mut cur = 0;
        let mut round = 0;
        loop {
            let p = st.scan(0, cur, 7, T0, |_| true);
            seen.extend(p.keys);
            // Grow the table a lot, and remove some churn keys, between calls
            // (for a bounded number of calls: an ever-growing set never ends).
            if round < 40 {
                for j in 0..200 {
                    put(&st, format!("grow{round}-{j}").as_bytes());
                }
            }
            if round > 0 && round < 40 {
                for j in 0..100 {
                    del(&st, format!("grow{}-{j}", round - 1).as_bytes());
                }
            }
            round += 1;
            cur = p.cursor;
            if cur == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("stay{i}").as_bytes()), "missed stay{i}");
        }
    }

    #[test]
    fn scan_of_empty_db_finishes_in_one_call() {
        let st = Store::new(1, T0);
        let p = st.scan(0, 0, 10, T0, |_| true);
        assert_eq!(p.cursor, 0);
        assert!(p.keys.is_empty());
    }
}
