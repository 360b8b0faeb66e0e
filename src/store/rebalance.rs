//! Slab rebalancing: pages move from classes that no longer need them to
//! the classes that do.
//!
//! When value sizes shift, the old sizes' items are deleted, overwritten or
//! evicted, and their chunks pile up on their class's free lists. A page
//! whose chunks are all free goes back to the pool at once (see
//! [`super::slab`]); one with a few live items left is compacted here:
//! those items move into free chunks of the same class elsewhere, their
//! table entries are pointed at the new chunks, and the emptied page joins
//! the pool, from which any class takes it.
//!
//! Moving an item needs the lock of its stripe. An arena serves the
//! stripes `a, a + ARENAS, a + 2 * ARENAS ...`, so the rebalancer takes
//! exactly those, in ascending order like every multi-stripe lock, and
//! then the arena's lock: with them held nothing else touches the arena's
//! chunks. The stall is one page's worth of copying (at most 64 KB) for a
//! sixteenth of the keyspace.

use super::item::Item;
use super::slab::{FreeReason, ARENAS};
use super::{shard_of, Store, SHARDS};

/// A class is compacted when its free chunks would fill this many pages.
const SLACK_PAGES: usize = 2;

impl Store {
    /// Compacts at most one page in each arena; returns the pages freed.
    pub(crate) fn rebalance_step(&self) -> usize {
        (0..ARENAS).filter(|&a| self.compact_one(a)).count()
    }

    fn compact_one(&self, arena: usize) -> bool {
        let slabs = &self.slabs;
        // A quick look with the arena alone: which class, which page.
        let (class, page) = {
            let a = slabs.arena(arena);
            let Some(class) = (0..slabs.classes()).find(|&c| {
                let (free, per_page) = a.free_chunks(c);
                free >= SLACK_PAGES * per_page
            }) else {
                return false;
            };
            match a
                .pages_of(class)
                .into_iter()
                .filter(|&(_, live)| live > 0)
                .min_by_key(|&(_, live)| live)
            {
                Some((page, _)) => (class, page),
                None => return false,
            }
        };
        let _multi = self.multi_shared();
        let mut guards: Vec<_> = (arena..SHARDS).step_by(ARENAS).map(|i| self.lock_index(i)).collect();
        let mut a = slabs.arena(arena);
        // The page may have changed while no lock was held; re-check.
        let (free, per_page) = a.free_chunks(class);
        if free < SLACK_PAGES * per_page || !a.pages_of(class).iter().any(|&(p, l)| p == page && l > 0) {
            return false;
        }
        a.retire(class, page);
        let chunk = slabs.chunk_size(class);
        let handles: Vec<u32> = a.chunks_in(class, page).collect();
        for h in handles {
            // SAFETY: the chunk lies in a page of this arena, which holds
            // either a live item, a freed one (whose heap parts were taken
            // out, leaving empty ones), or zeros; all read as items.
            let it = unsafe { Item::at(slabs.ptr(h)) };
            let kh = self.hash(it.key());
            let stripe = shard_of(kh.hash);
            if stripe % ARENAS != arena {
                continue;
            }
            let g = &mut guards[stripe / ARENAS];
            let size = it.size();
            for t in g.tables_mut() {
                let Some(slot) = t.map.find_mut(kh.hash, |&x| x == h) else {
                    continue;
                };
                let Some(nh) = a.alloc(size) else { return false };
                // SAFETY: both chunks are of this class and distinct; the
                // item's heap parts change owner with its bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(slabs.ptr(h), slabs.ptr(nh), chunk);
                    super::item::forget_heap(slabs.ptr(h));
                }
                *slot = nh;
                a.free(h, size, FreeReason::Removed);
                break;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::item::HEADER;
    use crate::store::{Expiry, SlabReport};

    const T0: u64 = 1_700_000_000_000;

    fn put(st: &Store, k: &str, v: &[u8]) {
        let kh = st.hash(k.as_bytes());
        st.lock(kh).slot(0, k.as_bytes(), kh, T0).set_bytes(v, Expiry::None, 0);
    }

    fn get(st: &Store, k: &str) -> Option<Vec<u8>> {
        let kh = st.hash(k.as_bytes());
        st.lock(kh)
            .slot(0, k.as_bytes(), kh, T0)
            .peek()
            .and_then(|e| e.as_str().map(<[u8]>::to_vec))
    }

    fn pages_of_size(r: &SlabReport, chunk: u32) -> u64 {
        r.classes
            .iter()
            .find(|(_, c)| c.chunk_size == chunk)
            .map_or(0, |(_, c)| c.pages)
    }

    #[test]
    fn a_shift_of_value_sizes_moves_pages_to_the_new_class() {
        let st = Store::new(1, T0);
        let small = vec![b's'; 100];
        let n = 200_000;
        for i in 0..n {
            put(&st, &format!("k{i}"), &small);
        }
        let chunk = st
            .slabs
            .chunk_size(st.slabs.class_of(small.len() + HEADER + 6).unwrap()) as u32;
        let before = pages_of_size(&st.slab_report(), chunk);
        // Nine keys in ten move to large values, scattered over every page.
        let large = vec![b'L'; 1000];
        for i in (0..n).filter(|i| i % 10 != 0) {
            put(&st, &format!("k{i}"), &large);
        }
        // Every page still holds a live item, so none went back by itself.
        assert_eq!(pages_of_size(&st.slab_report(), chunk), before);
        let mut moved = 0;
        loop {
            match st.rebalance_step() {
                0 => break,
                n => moved += n,
            }
        }
        let after = pages_of_size(&st.slab_report(), chunk);
        // A tenth of the items are left: about a tenth of the pages, plus
        // the slack a class may keep and one partly carved page per arena.
        let bound = before / 10 + 1 + (SLACK_PAGES as u64 + 1) * ARENAS as u64;
        assert!(before > 3 * bound && after <= bound, "{before} -> {after} pages");
        assert_eq!(moved as u64, before - after);
        for i in 0..n {
            let want = if i % 10 == 0 { &small } else { &large };
            assert_eq!(get(&st, &format!("k{i}")).as_ref(), Some(want), "k{i}");
        }
        // The accounting still matches the items.
        let items: u64 = (0..n)
            .map(|i| {
                let len = if i % 10 == 0 { 100 } else { 1000 };
                let key = format!("k{i}").len();
                st.slabs.chunk_size(st.slabs.class_of(HEADER + key + len).unwrap()) as u64
            })
            .sum();
        assert_eq!(st.memory().dataset, items);
    }
}
