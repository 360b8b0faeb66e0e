//! Slab memory: every string item is one chunk of a size class, carved from
//! fixed-size pages of one reserved address range.
//!
//! - **Handles.** A chunk is named by a `u32`: its offset in the range in
//!   8-byte units. The hash tables hold these handles (4 bytes a key)
//!   instead of the items, and a handle becomes a pointer with one add.
//!   The range is reserved once and never moves, so a handle stays valid
//!   for as long as its item lives.
//! - **Classes.** Chunk sizes step by 8 bytes up to 256, then grow by an
//!   eighth, up to the page size; an item wastes at most 7 bytes up to 256
//!   and at most an eighth above.
//! - **Arenas.** The lock stripes are grouped onto [`ARENAS`] arenas
//!   (stripe `s` uses arena `s % ARENAS`), each with its own lock, free
//!   lists and partly carved pages. A stripe's lock is always taken before
//!   its arena's, so the two never deadlock; sixteen arenas keep both the
//!   lock contention and the memory stranded in partly carved pages small.
//! - **Pages** come from one pool and return to it when their last chunk
//!   is freed or when the rebalancer empties them (see
//!   [`super::rebalance`]); a returned page is given back to the kernel,
//!   so a class that shrinks gives its memory to the classes that grow.
//! - **Accounting.** Each arena counts the bytes of its live chunks and of
//!   the heap blocks items own (values too large for a page); the sum is
//!   the store's dataset size. Every 64 KB of change an arena re-checks the
//!   total against the watermarks and publishes where it stands
//!   ([`Pressure`]), so a write learns whether to evict from one atomic
//!   load.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};

pub(crate) const PAGE_SIZE: usize = 64 * 1024;
const UNIT: usize = 4;
const PAGE_SHIFT: u32 = (PAGE_SIZE / UNIT).trailing_zeros();
/// Chunk sizes step by this much up to [`STEP_LIMIT`].
const STEP_LIMIT: usize = 256;
/// The smallest chunk: what the next item takes at least.
pub(crate) const MIN_CHUNK: usize = 24;
/// The largest address range reserved: what a `u32` handle in 4-byte
/// units can name (16 GB of chunks; values too large for a page live on
/// the heap and do not count against it).
const MAX_RANGE: usize = (u32::MAX as usize + 1) * UNIT;
const MIN_RANGE: usize = 256 << 20;
pub(crate) const ARENAS: usize = 16;
/// Bytes an arena's count may move before the total is checked again, at
/// most; a small limit checks more often (see [`Slabs::set_watermarks`]).
const CHECK_EVERY: i64 = 64 * 1024;
const CHECK_EVERY_MIN: i64 = 1024;

/// The largest chunk: an item that does not fit keeps its value on the heap.
pub(crate) const MAX_CHUNK: usize = PAGE_SIZE;
/// A page being emptied by the rebalancer: its freed chunks are not reused.
const RETIRED: u32 = 1 << 8;

/// Asks the CPU to start loading the cache line at `p`.
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Bytes of a reused chunk fetched ahead of its write: larger values are
/// copied in a stream that the hardware prefetcher follows by itself.
const PREFETCH_AHEAD: usize = 256;

/// The chunk sizes, smallest first.
fn class_sizes() -> Vec<u32> {
    let mut v = Vec::new();
    let mut s = MIN_CHUNK;
    while s <= STEP_LIMIT {
        v.push(s as u32);
        s += UNIT;
    }
    let mut s = STEP_LIMIT;
    loop {
        s = (s + s / 8).div_ceil(UNIT) * UNIT;
        if s >= MAX_CHUNK {
            v.push(MAX_CHUNK as u32);
            return v;
        }
        v.push(s as u32);
    }
}

/// Why a chunk is freed, for memcached's per-class counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FreeReason {
    /// Deleted or overwritten.
    Removed,
    /// Past its deadline.
    Expired { fetched: bool },
    /// Evicted for room.
    Evicted { fetched: bool, had_expiry: bool },
}

/// Per-class counters, as `stats items` and `stats slabs` report them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ClassCounters {
    pub(crate) evicted: u64,
    pub(crate) evicted_nonzero: u64,
    pub(crate) evicted_unfetched: u64,
    pub(crate) reclaimed: u64,
    pub(crate) expired_unfetched: u64,
    pub(crate) outofmemory: u64,
}

/// One class's state in one arena.
#[derive(Default)]
struct ClassState {
    /// Freed chunks, reused before carving.
    free: Vec<u32>,
    /// The next chunk to carve from the newest page, and the end of it.
    carve: u32,
    carve_end: u32,
    /// Pages this arena holds for the class.
    pages: Vec<u32>,
    /// Live chunks.
    used: u64,
    /// Bytes the live items asked for (before rounding to the chunk size).
    requested: u64,
    counters: ClassCounters,
}

struct Arena {
    classes: Box<[ClassState]>,
    /// Bytes of live chunks plus heap blocks owned by items.
    dataset: u64,
    /// Bytes of the hash tables of this arena's stripes.
    overhead: u64,
    /// Change since the total was last checked against the watermarks.
    unchecked: i64,
}

#[repr(align(128))]
struct ArenaSlot {
    lock: Mutex<Arena>,
    /// `dataset + overhead`, published for the total without the lock.
    total: AtomicU64,
    /// Items of each priority in this arena's stripes, changed under their
    /// shard locks: eviction reads them to know whether a lower priority
    /// than the ones its sample found exists anywhere.
    priorities: [AtomicI64; 6],
}

struct Pool {
    /// Pages never handed out start here.
    next: u32,
    /// Pages given back, ready for any class.
    free: Vec<u32>,
}

/// How far usage is into the limit: the watermarks are kept here, and
/// the arenas publish the result as they count (see [`Slabs::check`]).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Pressure {
    /// Below the low watermark, or no limit.
    None,
    /// Above the low watermark: purge expired items early.
    Low,
    /// Above the high watermark: evict.
    High,
}

pub(crate) struct Slabs {
    base: *mut u8,
    pages_max: u32,
    sizes: Vec<u32>,
    /// Per page: class in bits 0..8, [`RETIRED`], live chunks in bits 16..32.
    meta: *const AtomicU32,
    pool: Mutex<Pool>,
    arenas: Box<[ArenaSlot]>,
    /// The watermarks in bytes (0 for none), and where usage stands.
    low: AtomicU64,
    high: AtomicU64,
    /// Items of priority low and belownormal, store-wide.
    below_normal: [AtomicI64; 2],
    pressure: AtomicU8,
    /// Bytes of change after which an arena re-checks the total: small
    /// enough that sixteen arenas' unchecked change stays under 1/256 of
    /// the high watermark.
    check_every: AtomicI64,
}

// SAFETY: the range and the page table are plain memory owned by `Slabs`
// for the life of the process; chunks are written only under the lock of
// the stripe that owns the item, page state only under the arena's lock.
unsafe impl Send for Slabs {}
unsafe impl Sync for Slabs {}

/// Reserves `len` bytes of address space, committed by the kernel page by
/// page on first touch, or null.
fn reserve(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping with no address hint.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    // Huge pages would commit 2 MB for a 64 KB page; ask for small ones.
    // SAFETY: the range was just mapped.
    unsafe { libc::madvise(p, len, libc::MADV_NOHUGEPAGE) };
    p as *mut u8
}

impl Slabs {
    pub(crate) fn new() -> Slabs {
        let mut len = MAX_RANGE;
        let mut base = reserve(len);
        while base.is_null() && len > MIN_RANGE {
            len /= 2;
            base = reserve(len);
        }
        assert!(!base.is_null(), "cannot reserve address space for item memory");
        let pages_max = (len / PAGE_SIZE) as u32;
        let meta = reserve(pages_max as usize * 4) as *const AtomicU32;
        assert!(!meta.is_null(), "cannot reserve address space for the page table");
        let sizes = class_sizes();
        let arenas = (0..ARENAS)
            .map(|_| ArenaSlot {
                lock: Mutex::new(Arena {
                    classes: (0..sizes.len()).map(|_| ClassState::default()).collect(),
                    dataset: 0,
                    overhead: 0,
                    unchecked: 0,
                }),
                total: AtomicU64::new(0),
                priorities: Default::default(),
            })
            .collect();
        Slabs {
            base,
            pages_max,
            sizes,
            meta,
            pool: Mutex::new(Pool {
                next: 0,
                free: Vec::new(),
            }),
            arenas,
            low: AtomicU64::new(0),
            high: AtomicU64::new(0),
            below_normal: Default::default(),
            pressure: AtomicU8::new(Pressure::None as u8),
            check_every: AtomicI64::new(CHECK_EVERY),
        }
    }

    /// The chunk's memory. The handle must name a chunk handed out by
    /// [`Slabs::alloc`] and not yet freed.
    #[inline]
    pub(crate) fn ptr(&self, h: u32) -> *mut u8 {
        // SAFETY: every handle is an offset inside the reserved range.
        unsafe { self.base.add(h as usize * UNIT) }
    }

    /// The class index for an item of `size` bytes, or None when it is
    /// larger than a page.
    pub(crate) fn class_of(&self, size: usize) -> Option<usize> {
        if size <= STEP_LIMIT {
            return Some(size.max(MIN_CHUNK).div_ceil(UNIT) - MIN_CHUNK / UNIT);
        }
        let i = self.sizes.partition_point(|&s| (s as usize) < size);
        (i < self.sizes.len()).then_some(i)
    }

    pub(crate) fn chunk_size(&self, class: usize) -> usize {
        self.sizes[class] as usize
    }

    pub(crate) fn classes(&self) -> usize {
        self.sizes.len()
    }

    fn page_meta(&self, page: u32) -> &AtomicU32 {
        // SAFETY: `page < pages_max`, the length of the page table.
        unsafe { &*self.meta.add(page as usize) }
    }

    /// The class of the page holding `h`.
    pub(crate) fn class_of_handle(&self, h: u32) -> usize {
        (self.page_meta(h >> PAGE_SHIFT).load(Ordering::Relaxed) & 0xff) as usize
    }

    /// Counts `delta` items of priority index `p` in arena `i`.
    pub(crate) fn count_priority(&self, i: usize, p: usize, delta: i64) {
        self.arenas[i].priorities[p].fetch_add(delta, Ordering::Relaxed);
        if let Some(c) = self.below_normal.get(p) {
            c.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// Whether any item has a priority below normal: two loads of a line
    /// that only such rare items write, for eviction's common case.
    pub(crate) fn any_below_normal(&self) -> bool {
        self.below_normal.iter().any(|c| c.load(Ordering::Relaxed) > 0)
    }

    /// Items of each priority, store-wide.
    pub(crate) fn priority_totals(&self) -> [u64; 6] {
        let mut n = [0u64; 6];
        for a in self.arenas.iter() {
            for (t, c) in n.iter_mut().zip(&a.priorities) {
                *t = t.wrapping_add(c.load(Ordering::Relaxed) as u64);
            }
        }
        n
    }

    pub(crate) fn arena(&self, i: usize) -> ArenaGuard<'_> {
        ArenaGuard {
            slabs: self,
            index: i,
            a: self.arenas[i].lock.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Where usage stands against the watermarks: one relaxed load.
    pub(crate) fn pressure(&self) -> Pressure {
        match self.pressure.load(Ordering::Relaxed) {
            2 => Pressure::High,
            1 => Pressure::Low,
            _ => Pressure::None,
        }
    }

    pub(crate) fn set_watermarks(&self, low: u64, high: u64) {
        self.low.store(low, Ordering::Relaxed);
        self.high.store(high, Ordering::Relaxed);
        let every = match high {
            0 => CHECK_EVERY,
            h => (h / (ARENAS as u64 * 256)).clamp(CHECK_EVERY_MIN as u64, CHECK_EVERY as u64) as i64,
        };
        self.check_every.store(every, Ordering::Relaxed);
        self.check();
    }

    /// Bytes accounted over all arenas: (dataset, overhead).
    pub(crate) fn totals(&self) -> (u64, u64) {
        let (mut d, mut o) = (0, 0);
        for a in self.arenas.iter() {
            let g = a.lock.lock().unwrap_or_else(|p| p.into_inner());
            d += g.dataset;
            o += g.overhead;
        }
        (d, o)
    }

    /// The total without taking any lock, as last published by each arena.
    pub(crate) fn used_estimate(&self) -> u64 {
        self.arenas.iter().map(|a| a.total.load(Ordering::Relaxed)).sum()
    }

    /// Compares the total with the watermarks and publishes the result.
    /// Pressure that reached the high watermark stays high until usage is
    /// back under the low one, so eviction, once started, runs to the low
    /// watermark instead of hovering at the high one.
    pub(crate) fn check(&self) -> u64 {
        let used = self.used_estimate();
        let (low, high) = (self.low.load(Ordering::Relaxed), self.high.load(Ordering::Relaxed));
        let evicting = self.pressure() == Pressure::High;
        // The high watermark counts as reached once the next item, at its
        // smallest, would pass it: a limit below one chunk (`maxmemory 1`)
        // is full even when the store is empty, as Redis's is whenever it
        // is below the server's own baseline.
        let p = if high == 0 {
            Pressure::None
        } else if used + MIN_CHUNK as u64 > high || (evicting && used > low) {
            Pressure::High
        } else if used > low {
            Pressure::Low
        } else {
            Pressure::None
        };
        self.pressure.store(p as u8, Ordering::Relaxed);
        used
    }

    fn take_page(&self) -> Option<u32> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = pool.free.pop() {
            return Some(p);
        }
        if pool.next < self.pages_max {
            pool.next += 1;
            return Some(pool.next - 1);
        }
        None
    }

    /// Gives a page back to the pool, and its memory to the kernel.
    fn give_page(&self, page: u32) {
        let p = self.ptr(page << PAGE_SHIFT);
        // SAFETY: the page lies inside the reserved range and holds no live
        // chunk; its next user finds it zeroed, which nothing relies on.
        unsafe { libc::madvise(p as *mut libc::c_void, PAGE_SIZE, libc::MADV_DONTNEED) };
        self.page_meta(page).store(0, Ordering::Relaxed);
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).free.push(page);
    }

    /// Pages handed out and pages ever touched.
    pub(crate) fn page_counts(&self) -> (u32, u32) {
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        (pool.next - pool.free.len() as u32, pool.next)
    }
}

/// Per-class figures summed over the arenas, for `stats slabs` and `stats items`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ClassStats {
    pub(crate) chunk_size: u32,
    pub(crate) chunks_per_page: u32,
    pub(crate) pages: u64,
    pub(crate) used_chunks: u64,
    pub(crate) free_chunks: u64,
    /// Chunks of the newest pages never carved yet.
    pub(crate) free_chunks_end: u64,
    pub(crate) requested: u64,
    pub(crate) counters: ClassCounters,
}

impl Slabs {
    /// Figures for every class that holds a page or has counted anything.
    pub(crate) fn class_stats(&self) -> Vec<(usize, ClassStats)> {
        let mut out: Vec<ClassStats> = self
            .sizes
            .iter()
            .map(|&s| ClassStats {
                chunk_size: s,
                chunks_per_page: (PAGE_SIZE as u32) / s,
                ..Default::default()
            })
            .collect();
        for a in self.arenas.iter() {
            let g = a.lock.lock().unwrap_or_else(|p| p.into_inner());
            for (c, st) in g.classes.iter().enumerate() {
                let o = &mut out[c];
                o.pages += st.pages.len() as u64;
                o.used_chunks += st.used;
                o.free_chunks += st.free.len() as u64;
                o.free_chunks_end += ((st.carve_end - st.carve) as u64 * UNIT as u64) / o.chunk_size as u64;
                o.requested += st.requested;
                let (x, y) = (&mut o.counters, &st.counters);
                x.evicted += y.evicted;
                x.evicted_nonzero += y.evicted_nonzero;
                x.evicted_unfetched += y.evicted_unfetched;
                x.reclaimed += y.reclaimed;
                x.expired_unfetched += y.expired_unfetched;
                x.outofmemory += y.outofmemory;
            }
        }
        out.into_iter()
            .enumerate()
            .filter(|(_, s)| s.pages > 0 || s.counters.evicted > 0 || s.counters.reclaimed > 0)
            .collect()
    }

    pub(crate) fn reset_counters(&self) {
        for a in self.arenas.iter() {
            let mut g = a.lock.lock().unwrap_or_else(|p| p.into_inner());
            for st in g.classes.iter_mut() {
                st.counters = ClassCounters::default();
            }
        }
    }
}

/// One arena, locked.
pub(crate) struct ArenaGuard<'s> {
    slabs: &'s Slabs,
    index: usize,
    a: MutexGuard<'s, Arena>,
}

impl ArenaGuard<'_> {
    /// A chunk for an item of `size` bytes (at most [`MAX_CHUNK`]), or None
    /// when the address range is used up.
    pub(crate) fn alloc(&mut self, size: usize) -> Option<u32> {
        let class = self.slabs.class_of(size)?;
        let chunk = self.slabs.sizes[class];
        let units = chunk / UNIT as u32;
        let st = &mut self.a.classes[class];
        let h = if let Some(h) = st.free.pop() {
            // The next write of this class in this arena takes the next
            // free chunk; its lines are fetched now so that write does not
            // wait for them. A freed chunk was last touched when its item
            // was evicted or deleted, often long before: under eviction,
            // writing into cold reused chunks cost about as much as
            // choosing the victims, where a freshly carved page is warm
            // from being zeroed.
            if let Some(&next) = st.free.last() {
                let p = self.slabs.ptr(next) as usize;
                let end = p + (chunk as usize).min(PREFETCH_AHEAD);
                for line in (p & !63..end).step_by(64) {
                    prefetch(line as *const u8);
                }
            }
            h
        } else {
            if st.carve + units > st.carve_end {
                let page = self.slabs.take_page()?;
                self.slabs.page_meta(page).store(class as u32, Ordering::Relaxed);
                st.pages.push(page);
                st.carve = page << PAGE_SHIFT;
                st.carve_end = st.carve + (PAGE_SIZE / UNIT) as u32;
            }
            st.carve += units;
            st.carve - units
        };
        st.used += 1;
        st.requested += size as u64;
        let meta = self.slabs.page_meta(h >> PAGE_SHIFT);
        meta.store(meta.load(Ordering::Relaxed) + (1 << 16), Ordering::Relaxed);
        self.account(chunk as i64, 0);
        Some(h)
    }

    /// Frees a chunk of `requested` bytes (the size it was allocated for).
    pub(crate) fn free(&mut self, h: u32, requested: usize, why: FreeReason) {
        let class = self.slabs.class_of_handle(h);
        let chunk = self.slabs.sizes[class];
        let st = &mut self.a.classes[class];
        st.used -= 1;
        st.requested -= requested as u64;
        let c = &mut st.counters;
        match why {
            FreeReason::Removed => {}
            FreeReason::Expired { fetched } => {
                c.reclaimed += 1;
                c.expired_unfetched += !fetched as u64;
            }
            FreeReason::Evicted { fetched, had_expiry } => {
                c.evicted += 1;
                c.evicted_nonzero += had_expiry as u64;
                c.evicted_unfetched += !fetched as u64;
            }
        }
        let page = h >> PAGE_SHIFT;
        let meta = self.slabs.page_meta(page);
        let m = meta.load(Ordering::Relaxed) - (1 << 16);
        meta.store(m, Ordering::Relaxed);
        if m & RETIRED == 0 {
            st.free.push(h);
        }
        self.account(-(chunk as i64), 0);
        // A page whose last chunk went, and that is not the one being
        // carved, goes back to the pool for any class.
        let st = &mut self.a.classes[class];
        let carving = st.carve < st.carve_end && st.carve >> PAGE_SHIFT == page;
        if m >> 16 == 0 && !carving {
            st.free.retain(|&f| f >> PAGE_SHIFT != page);
            st.pages.retain(|&p| p != page);
            self.slabs.give_page(page);
        }
    }

    /// Counts bytes items own outside their chunks (large values).
    pub(crate) fn add_heap(&mut self, delta: i64) {
        self.account(delta, 0);
    }

    /// Counts bytes of hash tables.
    pub(crate) fn add_overhead(&mut self, delta: i64) {
        self.account(0, delta);
    }

    /// Counts an item refused for want of memory.
    pub(crate) fn count_outofmemory(&mut self, size: usize) {
        if let Some(c) = self.slabs.class_of(size) {
            self.a.classes[c].counters.outofmemory += 1;
        }
    }

    fn account(&mut self, dataset: i64, overhead: i64) {
        let a = &mut *self.a;
        a.dataset = a.dataset.wrapping_add_signed(dataset);
        a.overhead = a.overhead.wrapping_add_signed(overhead);
        self.slabs.arenas[self.index]
            .total
            .store(a.dataset + a.overhead, Ordering::Relaxed);
        a.unchecked += dataset + overhead;
        if a.unchecked.abs() >= self.slabs.check_every.load(Ordering::Relaxed) {
            a.unchecked = 0;
            self.slabs.check();
        }
    }

    /// The pages of a class in this arena with their live chunk counts.
    pub(crate) fn pages_of(&self, class: usize) -> Vec<(u32, u32)> {
        self.a.classes[class]
            .pages
            .iter()
            .map(|&p| (p, self.slabs.page_meta(p).load(Ordering::Relaxed) >> 16))
            .collect()
    }

    /// Free chunks of a class, and the chunks a page holds.
    pub(crate) fn free_chunks(&self, class: usize) -> (usize, usize) {
        let st = &self.a.classes[class];
        let per_page = PAGE_SIZE / self.slabs.sizes[class] as usize;
        (st.free.len(), per_page)
    }

    /// Takes `page` out of service for the rebalancer: its free chunks leave
    /// the free list and, if it is being carved, carving stops. Live chunks
    /// in it must then be moved with [`ArenaGuard::alloc`] (which will not
    /// return chunks of this page) and freed with [`ArenaGuard::free`].
    pub(crate) fn retire(&mut self, class: usize, page: u32) {
        let meta = self.slabs.page_meta(page);
        meta.store(meta.load(Ordering::Relaxed) | RETIRED, Ordering::Relaxed);
        let st = &mut self.a.classes[class];
        st.free.retain(|&f| f >> PAGE_SHIFT != page);
        if st.carve < st.carve_end && st.carve >> PAGE_SHIFT == page {
            st.carve = 0;
            st.carve_end = 0;
        }
    }

    /// The handles of the chunks in `page`, for a walk over its items.
    pub(crate) fn chunks_in(&self, class: usize, page: u32) -> impl Iterator<Item = u32> {
        let units = self.slabs.sizes[class] / UNIT as u32;
        let first = page << PAGE_SHIFT;
        let n = (PAGE_SIZE as u32 / UNIT as u32) / units;
        (0..n).map(move |i| first + i * units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_step_by_four_then_grow_to_a_page() {
        let s = Slabs::new();
        assert_eq!(s.chunk_size(s.class_of(1).unwrap()), 24);
        assert_eq!(s.chunk_size(s.class_of(133).unwrap()), 136);
        assert_eq!(s.chunk_size(s.class_of(130).unwrap()), 132);
        assert_eq!(s.chunk_size(s.class_of(256).unwrap()), 256);
        assert_eq!(s.chunk_size(s.class_of(257).unwrap()), 288);
        assert_eq!(s.chunk_size(s.class_of(PAGE_SIZE).unwrap()), PAGE_SIZE);
        assert_eq!(s.class_of(PAGE_SIZE + 1), None);
        for w in s.sizes.windows(2) {
            assert!(w[0] < w[1] && w[1] % 4 == 0);
            assert!(w[1] as usize <= (w[0] as usize + w[0] as usize / 8).div_ceil(4) * 4 || w[1] as usize == PAGE_SIZE);
        }
    }

    #[test]
    fn freed_chunks_are_reused_and_an_empty_page_goes_back() {
        let s = Slabs::new();
        let mut a = s.arena(0);
        let hs: Vec<u32> = (0..10).map(|_| a.alloc(100).unwrap()).collect();
        assert_eq!(a.a.dataset, 10 * 100);
        let last = hs[9];
        a.free(last, 100, FreeReason::Removed);
        assert_eq!(a.alloc(100), Some(last));
        for &h in &hs {
            a.free(h, 100, FreeReason::Removed);
        }
        assert_eq!(a.a.dataset, 0);
        drop(a);
        let stats = s.class_stats();
        let (_, c) = stats.iter().find(|(_, c)| c.chunk_size == 100).unwrap();
        // The page being carved stays with the class.
        assert_eq!((c.pages, c.used_chunks), (1, 0));
    }

    #[test]
    fn a_page_emptied_behind_the_carving_one_returns_to_the_pool() {
        let s = Slabs::new();
        let mut a = s.arena(3);
        let chunk = s.chunk_size(s.class_of(1000).unwrap());
        let per_page = PAGE_SIZE / chunk;
        let first: Vec<u32> = (0..per_page).map(|_| a.alloc(1000).unwrap()).collect();
        let next = a.alloc(1000).unwrap();
        assert_ne!(first[0] >> PAGE_SHIFT, next >> PAGE_SHIFT);
        for &h in &first {
            a.free(
                h,
                1000,
                FreeReason::Evicted {
                    fetched: false,
                    had_expiry: true,
                },
            );
        }
        drop(a);
        assert_eq!(s.page_counts(), (1, 2));
        let stats = s.class_stats();
        let (_, c) = stats.iter().find(|(_, c)| c.chunk_size as usize == chunk).unwrap();
        assert_eq!(c.counters.evicted, per_page as u64);
        assert_eq!(c.counters.evicted_nonzero, per_page as u64);
        assert_eq!(c.counters.evicted_unfetched, per_page as u64);
    }

    #[test]
    fn the_watermarks_set_the_pressure() {
        let s = Slabs::new();
        s.set_watermarks(150_000, 200_000);
        let mut a = s.arena(1);
        let mut hs = Vec::new();
        while s.used_estimate() <= 200_000 + CHECK_EVERY as u64 {
            hs.push(a.alloc(1000).unwrap());
        }
        assert_eq!(s.pressure(), Pressure::High);
        // Between the watermarks, eviction goes on toward the low one.
        while s.used_estimate() > 180_000 {
            a.free(hs.pop().unwrap(), 1000, FreeReason::Removed);
        }
        s.check();
        assert_eq!(s.pressure(), Pressure::High);
        while s.used_estimate() > 100_000 {
            a.free(hs.pop().unwrap(), 1000, FreeReason::Removed);
        }
        drop(a);
        s.check();
        assert_eq!(s.pressure(), Pressure::None);
    }
}
