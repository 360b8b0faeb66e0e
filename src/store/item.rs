//! An item's bytes in its chunk: a 16-byte header, the optional parts, the
//! key and the value, laid out so that an item without expiry or flags
//! pays for neither.
//!
//! ```text
//! offset  field     size
//! 0       version   8     the CAS unique, new on every write
//! 8       access    3     store-clock seconds at the last access, modulo 2^24
//! 11      lfu       1     logarithmic access counter (LFU policies)
//! 12      vlen      2     inline value length; for a value on the heap,
//!                         0 for a string and 1 for an aggregate
//! 14      klen      1     key length, 255 for a key on the heap
//! 15      state     1     priority (bits 0..3), fetched since written (bit 3),
//!                         DEADLINE, IDLE, FLAGS and HEAP (bits 4..8)
//! 16      deadline  8     [DEADLINE] Unix ms, absolute or the sliding one
//!         idle_ms   4     [IDLE] sliding expiry's idle time
//!         flags     4     [FLAGS] memcached client flags
//!         key       klen inline, or 16: a heap block (pointer, length)
//!         value     vlen inline, or 16 [HEAP]: a string's heap block
//!                   (pointer, length u32, capacity u32), or a boxed
//!                   aggregate (pointer, bytes counted u64)
//! ```
//!
//! Keys longer than 254 bytes and values that would make the item larger
//! than the largest chunk live on the heap, and are counted by their
//! allocated size. Hashes, lists, sets and sorted sets live on the heap
//! too; the chunk keeps the bytes they were last counted at, so a write
//! that grows one moves the account by the difference.
//!
//! The access clock wraps after 2^24 seconds (194 days), as Redis's LRU
//! clock does: idle times are taken modulo that, so an item idle for longer
//! looks recent again. Three bytes instead of four keep the header at 16.
//! Fields are read and written unaligned: chunks start on 4 bytes.
//!
//! An item leaves memory through [`free_item`]: its heap parts are taken
//! out of the chunk and handed to the caller, and the chunk goes back to
//! its arena, counted by why it went (memcached's per-class counters). The
//! hash tables, the expiry sweep and eviction all free items this way.

use super::entry::{idle_since, Expiry, Priority, Value, ACCESS_MASK};
use super::slab::{ArenaGuard, FreeReason, Slabs, MAX_CHUNK};
use super::types::{Aggregate, Hash, List, Set, ZSet};
use std::marker::PhantomData;
use std::ptr::{read_unaligned as rd, write_unaligned as wr};

pub(crate) const HEADER: usize = 16;
const VERSION: usize = 0;
/// The access clock (low 24 bits) and the LFU counter (high 8), one u32.
const ACCESS: usize = 8;
const LFU: usize = 11;
const VLEN: usize = 12;
const KLEN: usize = 14;
const STATE: usize = 15;

const PRIORITY_MASK: u8 = 0x07;
const FETCHED: u8 = 0x08;
// Bits of the state byte, and of the layout [`Item::layout`] derives.
const DEADLINE: u8 = 0x10;
const IDLE: u8 = 0x20;
const FLAGS: u8 = 0x40;
const HEAP: u8 = 0x80;
// Layout bits derived from the lengths (in the priority's place, which
// the layout does not carry).
const EXT_KEY: u8 = 1;
const EXT_VAL: u8 = 2;
const AGG: u8 = 4;
const PARTS: u8 = DEADLINE | IDLE | FLAGS;

/// A klen that says the key is on the heap.
const KEY_ON_HEAP: u8 = 255;
const INLINE_KEY_MAX: usize = 254;
/// vlen of a value on the heap: a string, or an aggregate.
const HEAP_STR: u16 = 0;
const HEAP_AGG: u16 = 1;
const EXT: usize = 16;

/// A live item, read in place. Valid while the shard lock that found it is
/// held, which the borrow of the slot guarantees.
#[derive(Clone, Copy)]
pub struct Item<'a> {
    p: *const u8,
    _life: PhantomData<&'a [u8]>,
}

/// A value as stored, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ValueRef<'a> {
    Str(&'a [u8]),
    Hash(&'a Hash),
    List(&'a List),
    Set(&'a Set),
    ZSet(&'a ZSet),
}

impl<'a> ValueRef<'a> {
    pub(crate) fn of(a: &'a Aggregate) -> ValueRef<'a> {
        match a {
            Aggregate::Hash(h) => ValueRef::Hash(h),
            Aggregate::List(l) => ValueRef::List(l),
            Aggregate::Set(s) => ValueRef::Set(s),
            Aggregate::ZSet(z) => ValueRef::ZSet(z),
        }
    }

    /// The aggregate, cloned into an owned one; None for a string.
    fn to_aggregate(self) -> Option<Aggregate> {
        Some(match self {
            ValueRef::Str(_) => return None,
            ValueRef::Hash(h) => Aggregate::Hash(h.clone()),
            ValueRef::List(l) => Aggregate::List(l.clone()),
            ValueRef::Set(s) => Aggregate::Set(s.clone()),
            ValueRef::ZSet(z) => Aggregate::ZSet(z.clone()),
        })
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Str(_) => "string",
            ValueRef::Hash(_) => "hash",
            ValueRef::List(_) => "list",
            ValueRef::Set(_) => "set",
            ValueRef::ZSet(_) => "zset",
        }
    }

    /// The encoding `OBJECT ENCODING` reports, derived from the content the
    /// way Redis chooses it for a freshly written value.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            ValueRef::Str(s) => {
                if s.len() <= 20 && crate::util::number::parse_i64_exact(s).is_some() {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            ValueRef::Hash(h) => h.encoding(),
            ValueRef::List(l) => l.encoding(),
            ValueRef::Set(s) => s.encoding(),
            ValueRef::ZSet(z) => z.encoding(),
        }
    }

    /// An owned copy (COPY, and the moves of RENAME and MOVE).
    pub(crate) fn to_value(self) -> Value {
        match self {
            ValueRef::Str(s) => Value::Str(s.to_vec()),
            v => Value::Agg(Box::new(v.to_aggregate().unwrap_or(Aggregate::Hash(Hash::default())))),
        }
    }
}

fn ext_len(layout: u8) -> usize {
    (if layout & DEADLINE != 0 { 8 } else { 0 })
        + (if layout & IDLE != 0 { 4 } else { 0 })
        + (if layout & FLAGS != 0 { 4 } else { 0 })
}

impl<'a> Item<'a> {
    /// # Safety
    /// `p` points at a live item's chunk that outlives `'a` unchanged.
    pub(crate) unsafe fn at(p: *const u8) -> Item<'a> {
        Item { p, _life: PhantomData }
    }

    fn u8_at(&self, off: usize) -> u8 {
        // SAFETY: the header is inside the chunk.
        unsafe { *self.p.add(off) }
    }
    fn u32_at(&self, off: usize) -> u32 {
        // SAFETY: offsets come from the layout, inside the chunk.
        unsafe { rd(self.p.add(off) as *const u32) }
    }
    fn u16_at(&self, off: usize) -> u16 {
        // SAFETY: as above.
        unsafe { rd(self.p.add(off) as *const u16) }
    }
    fn u64_at(&self, off: usize) -> u64 {
        // SAFETY: as above.
        unsafe { rd(self.p.add(off) as *const u64) }
    }
    /// The optional parts present, and where the key and value are.
    fn layout(&self) -> u8 {
        let state = self.u8_at(STATE);
        let mut l = state & PARTS;
        if self.u8_at(KLEN) == KEY_ON_HEAP {
            l |= EXT_KEY;
        }
        if state & HEAP != 0 {
            l |= if self.u16_at(VLEN) == HEAP_AGG { AGG } else { EXT_VAL };
        }
        l
    }
    fn key_off(&self) -> usize {
        HEADER + ext_len(self.layout())
    }
    fn value_off(&self) -> usize {
        self.key_off()
            + if self.layout() & EXT_KEY != 0 {
                EXT
            } else {
                self.u8_at(KLEN) as usize
            }
    }

    pub(crate) fn key(&self) -> &'a [u8] {
        let off = self.key_off();
        // SAFETY: an inline key follows the optional parts; a heap key is a
        // (pointer, length) pair made by `write`.
        unsafe {
            if self.layout() & EXT_KEY != 0 {
                let ptr = rd(self.p.add(off) as *const *const u8);
                let len = rd(self.p.add(off + 8) as *const usize);
                std::slice::from_raw_parts(ptr, len)
            } else {
                std::slice::from_raw_parts(self.p.add(off), self.u8_at(KLEN) as usize)
            }
        }
    }

    pub fn as_str(&self) -> Option<&'a [u8]> {
        if self.layout() & AGG != 0 {
            return None;
        }
        let off = self.value_off();
        // SAFETY: as for the key; a heap value is a Vec's (pointer, length,
        // capacity).
        unsafe {
            Some(if self.layout() & EXT_VAL != 0 {
                let ptr = rd(self.p.add(off) as *const *const u8);
                std::slice::from_raw_parts(ptr, self.u32_at(off + 8) as usize)
            } else {
                std::slice::from_raw_parts(self.p.add(off), self.u16_at(VLEN) as usize)
            })
        }
    }

    /// The aggregate, when the value is one.
    pub(crate) fn aggregate(&self) -> Option<&'a Aggregate> {
        if self.layout() & AGG == 0 {
            return None;
        }
        // SAFETY: an aggregate's part holds the pointer of a live box made
        // by `write`.
        Some(unsafe { &*rd(self.p.add(self.value_off()) as *const *const Aggregate) })
    }

    pub(crate) fn value(&self) -> ValueRef<'a> {
        match self.aggregate() {
            Some(a) => ValueRef::of(a),
            None => ValueRef::Str(self.as_str().unwrap_or_default()),
        }
    }

    pub(crate) fn version(&self) -> u64 {
        self.u64_at(VERSION)
    }

    pub(crate) fn flags(&self) -> u32 {
        let l = self.layout();
        if l & FLAGS == 0 {
            return 0;
        }
        self.u32_at(HEADER + ext_len(l & (DEADLINE | IDLE)))
    }

    fn deadline(&self) -> u64 {
        if self.layout() & DEADLINE == 0 {
            0
        } else {
            self.u64_at(HEADER)
        }
    }

    /// A sliding expiry's idle time; 0 for none or an absolute one.
    pub(crate) fn idle_ms(&self) -> u32 {
        let l = self.layout();
        if l & IDLE == 0 {
            0
        } else {
            self.u32_at(HEADER + ext_len(l & DEADLINE))
        }
    }

    /// The deadline, absolute or the current sliding one.
    pub(crate) fn expire_at(&self) -> Option<u64> {
        match self.deadline() {
            0 => None,
            t => Some(t),
        }
    }

    pub(crate) fn expiry(&self) -> Expiry {
        match (self.deadline(), self.idle_ms()) {
            (0, _) => Expiry::None,
            (t, 0) => Expiry::At(t),
            (t, idle_ms) => Expiry::Sliding { idle_ms, deadline: t },
        }
    }

    pub(crate) fn priority(&self) -> Priority {
        Priority::from_index(self.u8_at(STATE) & PRIORITY_MASK)
    }

    /// Read since it was last written.
    pub(crate) fn fetched(&self) -> bool {
        self.u8_at(STATE) & FETCHED != 0
    }

    pub(crate) fn lfu_raw(&self) -> u8 {
        self.u8_at(LFU)
    }

    /// The access clock, modulo 2^24.
    pub(crate) fn access(&self) -> u32 {
        self.u32_at(ACCESS) & ACCESS_MASK
    }

    /// The access-frequency counter as of `now_secs` (store clock), decayed
    /// by the idle minutes since the last access; what OBJECT FREQ reports.
    pub(crate) fn lfu(&self, now_secs: u32) -> u8 {
        super::entry::lfu_decayed(self.u8_at(LFU), self.idle_secs(now_secs))
    }

    /// Redis reports a key as expired strictly after its deadline.
    pub(crate) fn is_expired(&self, now: u64) -> bool {
        let t = self.deadline();
        t != 0 && now > t
    }

    /// Milliseconds left, or None when the item does not expire.
    pub(crate) fn ttl_ms(&self, now: u64) -> Option<u64> {
        self.expire_at().map(|at| at.saturating_sub(now))
    }

    /// Seconds since the last access, given the store's clock in seconds.
    pub(crate) fn idle_secs(&self, now_secs: u32) -> u32 {
        idle_since(self.access(), now_secs)
    }

    /// Bytes the item asked for in its chunk.
    pub(crate) fn size(&self) -> usize {
        let vpart = if self.layout() & (EXT_VAL | AGG) != 0 {
            EXT
        } else {
            self.u16_at(VLEN) as usize
        };
        self.value_off() + vpart
    }

    /// Bytes the item owns on the heap.
    pub(crate) fn heap(&self) -> usize {
        let l = self.layout();
        let mut n = 0;
        if l & EXT_KEY != 0 {
            n += self.key().len();
        }
        if l & EXT_VAL != 0 {
            n += self.u32_at(self.value_off() + 12) as usize;
        }
        if l & AGG != 0 {
            n += self.u64_at(self.value_off() + 8) as usize;
        }
        n
    }
}

/// Where a new item's value comes from.
pub(crate) enum ValueIn<'a> {
    Bytes(&'a [u8]),
    /// Kept as the heap block when the item is too large for a chunk.
    Owned(Vec<u8>),
    Agg(Box<Aggregate>),
}

impl ValueIn<'_> {
    /// Bytes of the value inline: an aggregate takes its pointer part.
    fn len(&self) -> usize {
        match self {
            ValueIn::Bytes(b) => b.len(),
            ValueIn::Owned(v) => v.len(),
            ValueIn::Agg(_) => EXT,
        }
    }
}

/// Everything a new item is made of.
pub(crate) struct Parts<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) value: ValueIn<'a>,
    pub(crate) version: u64,
    pub(crate) access: u32,
    pub(crate) lfu: u8,
    pub(crate) priority: Priority,
    pub(crate) fetched: bool,
    /// Unix ms; 0 for none.
    pub(crate) deadline: u64,
    /// Sliding idle time; 0 when the deadline (if any) is absolute.
    pub(crate) idle_ms: u32,
    pub(crate) flags: u32,
}

/// The layout and size a set of parts takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    layout: u8,
    /// Bytes in the chunk.
    pub(crate) size: usize,
}

impl Plan {
    /// Some of the item lives on the heap.
    pub(crate) fn heap(&self) -> bool {
        self.layout & (EXT_KEY | EXT_VAL | AGG) != 0
    }
}

impl Parts<'_> {
    pub(crate) fn plan(&self) -> Plan {
        let mut layout = 0;
        if self.deadline != 0 {
            layout |= DEADLINE;
            if self.idle_ms != 0 {
                layout |= IDLE;
            }
        }
        if self.flags != 0 {
            layout |= FLAGS;
        }
        let kpart = if self.key.len() > INLINE_KEY_MAX {
            layout |= EXT_KEY;
            EXT
        } else {
            self.key.len()
        };
        if matches!(self.value, ValueIn::Agg(_)) {
            layout |= AGG;
        }
        let mut size = HEADER + ext_len(layout) + kpart + self.value.len();
        if size > MAX_CHUNK && layout & AGG == 0 {
            layout |= EXT_VAL;
            size = size - self.value.len() + EXT;
        }
        Plan { layout, size }
    }

    /// Writes the item into the chunk at `p`, and returns the bytes it
    /// put on the heap (0 when all of it is inline).
    ///
    /// # Safety
    /// `p` has room for `plan.size` bytes and `plan` is `self.plan()`.
    pub(crate) unsafe fn write(self, p: *mut u8, plan: Plan) -> usize {
        let l = plan.layout;
        let mut heap = 0;
        wr(p.add(VERSION) as *mut u64, self.version);
        wr(
            p.add(ACCESS) as *mut u32,
            (self.access & ACCESS_MASK) | (self.lfu as u32) << 24,
        );
        let heap_bit = if l & (EXT_VAL | AGG) != 0 { HEAP } else { 0 };
        *p.add(STATE) = self.priority as u8 | if self.fetched { FETCHED } else { 0 } | (l & PARTS) | heap_bit;
        let vlen = match () {
            _ if l & AGG != 0 => HEAP_AGG,
            _ if l & EXT_VAL != 0 => HEAP_STR,
            _ => self.value.len() as u16,
        };
        wr(p.add(VLEN) as *mut u16, vlen);
        let mut off = HEADER;
        if l & DEADLINE != 0 {
            wr(p.add(off) as *mut u64, self.deadline);
            off += 8;
        }
        if l & IDLE != 0 {
            wr(p.add(off) as *mut u32, self.idle_ms);
            off += 4;
        }
        if l & FLAGS != 0 {
            wr(p.add(off) as *mut u32, self.flags);
            off += 4;
        }
        if l & EXT_KEY != 0 {
            let b: Box<[u8]> = self.key.into();
            heap += b.len();
            let len = b.len();
            wr(p.add(off) as *mut *mut u8, Box::into_raw(b) as *mut u8);
            wr(p.add(off + 8) as *mut usize, len);
            *p.add(KLEN) = KEY_ON_HEAP;
            off += EXT;
        } else {
            std::ptr::copy_nonoverlapping(self.key.as_ptr(), p.add(off), self.key.len());
            *p.add(KLEN) = self.key.len() as u8;
            off += self.key.len();
        }
        if let ValueIn::Agg(a) = self.value {
            let bytes = a.mem_size();
            heap += bytes;
            wr(p.add(off) as *mut *mut Aggregate, Box::into_raw(a));
            wr(p.add(off + 8) as *mut u64, bytes as u64);
        } else if l & EXT_VAL != 0 {
            let mut v = match self.value {
                ValueIn::Bytes(b) => b.to_vec(),
                ValueIn::Owned(v) => v,
                ValueIn::Agg(_) => unreachable!("handled above"),
            };
            // Lengths and capacities are kept in 32 bits: string commands
            // refuse values over proto-max-bulk-len, at most 4 GB.
            if v.capacity() > u32::MAX as usize {
                v.shrink_to_fit();
            }
            heap += v.capacity();
            let mut v = std::mem::ManuallyDrop::new(v);
            wr(p.add(off) as *mut *mut u8, v.as_mut_ptr());
            wr(p.add(off + 8) as *mut u32, v.len() as u32);
            wr(p.add(off + 12) as *mut u32, v.capacity() as u32);
        } else {
            let b: &[u8] = match &self.value {
                ValueIn::Bytes(b) => b,
                ValueIn::Owned(v) => v,
                ValueIn::Agg(_) => &[],
            };
            std::ptr::copy_nonoverlapping(b.as_ptr(), p.add(off), b.len());
        }
        heap
    }
}

/// Header fields changed in place, under the shard lock.
pub(crate) struct ItemMut {
    p: *mut u8,
}

impl ItemMut {
    /// # Safety
    /// `p` points at a live item's chunk, and the caller holds its shard lock.
    pub(crate) unsafe fn at(p: *mut u8) -> ItemMut {
        ItemMut { p }
    }

    fn view(&self) -> Item<'_> {
        // SAFETY: same chunk, borrowed for as long as `self`.
        unsafe { Item::at(self.p) }
    }

    pub(crate) fn set_version(&mut self, v: u64) {
        // SAFETY: the header is inside the chunk.
        unsafe { wr(self.p.add(VERSION) as *mut u64, v) }
    }

    pub(crate) fn set_priority(&mut self, prio: Priority) {
        // SAFETY: as above.
        unsafe { *self.p.add(STATE) = (*self.p.add(STATE) & !PRIORITY_MASK) | prio as u8 }
    }

    /// Counts an access at `now_secs` (see [`super::entry::lfu_step`]), and
    /// with `fetch`, marks the item read.
    pub(crate) fn count_access(&mut self, now_secs: u32, r: f64, fetch: bool) {
        let it = self.view();
        let lfu = super::entry::lfu_step(it.lfu(now_secs), r);
        // SAFETY: the header is inside the chunk.
        unsafe {
            wr(
                self.p.add(ACCESS) as *mut u32,
                (now_secs & ACCESS_MASK) | (lfu as u32) << 24,
            );
            if fetch {
                *self.p.add(STATE) |= FETCHED;
            }
        }
    }

    /// An access: a sliding deadline starts again from `now`.
    pub(crate) fn slide(&mut self, now: u64) {
        let idle = self.view().idle_ms();
        if idle != 0 {
            // SAFETY: a sliding item has a deadline right after the header.
            unsafe { wr(self.p.add(HEADER) as *mut u64, now + idle as u64) }
        }
    }

    /// Moves the deadline of an item that has one, keeping its kind.
    pub(crate) fn set_deadline_in_place(&mut self, deadline: u64) -> bool {
        if self.view().layout() & DEADLINE == 0 || deadline == 0 {
            return false;
        }
        // SAFETY: as in `slide`.
        unsafe { wr(self.p.add(HEADER) as *mut u64, deadline) };
        true
    }

    /// The aggregate, open for a change; [`ItemMut::recount`] must follow
    /// a change of its size.
    pub(crate) fn aggregate_mut(&mut self) -> Option<&mut Aggregate> {
        let it = self.view();
        if it.layout() & AGG == 0 {
            return None;
        }
        // SAFETY: as in `Item::aggregate`; `&mut self` makes it exclusive.
        Some(unsafe { &mut *rd(self.p.add(it.value_off()) as *const *mut Aggregate) })
    }

    /// Counts the aggregate at its size now, and returns the change.
    pub(crate) fn recount(&mut self) -> i64 {
        let off = self.view().value_off() + 8;
        let Some(bytes) = self.aggregate_mut().map(|a| a.mem_size() as u64) else {
            return 0;
        };
        // SAFETY: the aggregate's part is inside the chunk.
        unsafe {
            let old = rd(self.p.add(off) as *const u64);
            wr(self.p.add(off) as *mut u64, bytes);
            bytes as i64 - old as i64
        }
    }

    /// Overwrites the value when its length is unchanged and it is inline:
    /// the cheap path of SETRANGE and INCR.
    pub(crate) fn value_in_place(&mut self) -> Option<&mut [u8]> {
        let it = self.view();
        if it.layout() & (EXT_VAL | AGG) != 0 {
            return None;
        }
        let (off, len) = (it.value_off(), it.u16_at(VLEN) as usize);
        // SAFETY: the inline value lies inside the chunk; `&mut self` is the
        // only access to it while the borrow lasts.
        Some(unsafe { std::slice::from_raw_parts_mut(self.p.add(off), len) })
    }
}

/// The heap parts of an item, taken out of its chunk.
pub(crate) struct Taken {
    pub(crate) key: Option<Box<[u8]>>,
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) agg: Option<Box<Aggregate>>,
}

impl Taken {
    /// The value taken, as an owned one.
    pub(crate) fn into_value(mut self) -> Option<Value> {
        match self.agg.take() {
            Some(a) => Some(Value::Agg(a)),
            None => self.value.take().map(Value::Str),
        }
    }
}

impl Drop for Taken {
    /// A large aggregate is freed on the background thread, so a DEL,
    /// an eviction or an expiry of a big hash does not stall the shard.
    fn drop(&mut self) {
        if let Some(a) = self.agg.take() {
            super::drop_large_lazily(a);
        }
    }
}

/// Takes the heap parts out of the chunk at `p`: afterwards the chunk may be
/// freed without leaking them. The layout stays, so the item's size is
/// unchanged; the parts left behind are empty.
///
/// # Safety
/// `p` points at a live item's chunk; its key and value must not be read
/// through the chunk afterwards.
pub(crate) unsafe fn take_heap(p: *mut u8) -> Taken {
    let it = Item::at(p);
    let l = it.layout();
    let mut t = Taken {
        key: None,
        value: None,
        agg: None,
    };
    if l & EXT_KEY != 0 {
        let off = it.key_off();
        let ptr = rd(p.add(off) as *const *mut u8);
        let len = rd(p.add(off + 8) as *const usize);
        t.key = Some(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
        wr(p.add(off) as *mut *mut u8, std::ptr::NonNull::dangling().as_ptr());
        wr(p.add(off + 8) as *mut usize, 0);
    }
    if l & EXT_VAL != 0 {
        let off = it.value_off();
        let ptr = rd(p.add(off) as *const *mut u8);
        let len = it.u32_at(off + 8) as usize;
        let cap = it.u32_at(off + 12) as usize;
        t.value = Some(Vec::from_raw_parts(ptr, len, cap));
    }
    if l & AGG != 0 {
        let off = it.value_off();
        t.agg = Some(Box::from_raw(rd(p.add(off) as *const *mut Aggregate)));
    }
    if l & (EXT_VAL | AGG) != 0 {
        // What is left reads as an empty string on the heap.
        let off = it.value_off();
        wr(p.add(off) as *mut *mut u8, std::ptr::NonNull::dangling().as_ptr());
        wr(p.add(off + 8) as *mut u64, 0);
        wr(p.add(VLEN) as *mut u16, HEAP_STR);
    }
    t
}

/// Frees an item's chunk, counting why, and hands over its heap parts
/// (dropping them frees them). Returns the bytes freed as well.
pub(crate) fn free_item(
    arena: &mut ArenaGuard<'_>,
    slabs: &Slabs,
    h: u32,
    why: impl FnOnce(&Item<'_>) -> FreeReason,
) -> (u64, Taken) {
    let p = slabs.ptr(h);
    // SAFETY: `h` is a live item of a table whose shard lock is held, or
    // one just taken out of such a table.
    let it = unsafe { Item::at(p) };
    let (size, heap, reason) = (it.size(), it.heap(), why(&it));
    let chunk = slabs.chunk_size(slabs.class_of_handle(h));
    // SAFETY: the chunk is not read again.
    let taken = unsafe { take_heap(p) };
    if heap > 0 {
        arena.add_heap(-(heap as i64));
    }
    arena.free(h, size, reason);
    ((chunk + heap) as u64, taken)
}

/// Bytes the item `h` takes: its chunk and what it owns on the heap.
#[inline]
pub(crate) fn item_bytes(slabs: &Slabs, h: u32, it: &Item<'_>) -> u64 {
    (slabs.chunk_size(slabs.class_of_handle(h)) + it.heap()) as u64
}

/// Why an item past its deadline is freed, as [`free_item`] takes it.
#[inline]
pub(crate) fn expired_reason(it: &Item<'_>) -> FreeReason {
    FreeReason::Expired { fetched: it.fetched() }
}

/// Makes a chunk whose bytes were copied elsewhere inert: the heap parts
/// belong to the copy now, so the chunk no longer names them.
///
/// # Safety
/// `p` points at an item's chunk that no table refers to.
pub(crate) unsafe fn forget_heap(p: *mut u8) {
    *p.add(STATE) &= !HEAP;
    *p.add(KLEN) = 0;
    wr(p.add(VLEN) as *mut u16, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(key: &'a [u8], value: &'a [u8]) -> Parts<'a> {
        Parts {
            key,
            value: ValueIn::Bytes(value),
            version: 42,
            access: 7,
            lfu: 5,
            priority: Priority::High,
            fetched: false,
            deadline: 0,
            idle_ms: 0,
            flags: 0,
        }
    }

    fn round_trip(p: Parts<'_>, f: impl FnOnce(Item<'_>)) {
        let plan = p.plan();
        let mut buf = vec![0u64; plan.size.div_ceil(8)];
        let ptr = buf.as_mut_ptr() as *mut u8;
        // SAFETY: the buffer has `plan.size` bytes.
        unsafe {
            p.write(ptr, plan);
            f(Item::at(ptr));
            let size = Item::at(ptr).size();
            drop(take_heap(ptr));
            assert_eq!(Item::at(ptr).size(), size);
            assert_eq!(Item::at(ptr).heap(), 0);
        }
    }

    #[test]
    fn a_plain_item_is_header_key_and_value() {
        let p = parts(b"key:0000000001", &[b'x'; 100]);
        assert_eq!(p.plan().size, HEADER + 14 + 100);
        round_trip(p, |it| {
            assert_eq!(it.key(), b"key:0000000001");
            assert_eq!(it.as_str().unwrap(), &[b'x'; 100][..]);
            assert_eq!((it.version(), it.flags(), it.expiry()), (42, 0, Expiry::None));
            assert_eq!(it.priority(), Priority::High);
            assert_eq!(it.heap(), 0);
        });
    }

    #[test]
    fn optional_parts_read_back() {
        let mut p = parts(b"k", b"v");
        p.deadline = 1_700_000_000_123;
        p.idle_ms = 500;
        p.flags = 0xdead_beef;
        assert_eq!(p.plan().size, HEADER + 16 + 2);
        round_trip(p, |it| {
            assert_eq!(
                it.expiry(),
                Expiry::Sliding {
                    idle_ms: 500,
                    deadline: 1_700_000_000_123
                }
            );
            assert_eq!(it.flags(), 0xdead_beef);
            assert_eq!((it.key(), it.as_str().unwrap()), (&b"k"[..], &b"v"[..]));
        });
        let mut p = parts(b"k", b"v");
        p.flags = 3;
        round_trip(p, |it| {
            assert_eq!((it.flags(), it.expire_at()), (3, None));
        });
    }

    #[test]
    fn long_keys_and_large_values_go_to_the_heap() {
        let key = vec![b'k'; 300];
        let value = vec![b'v'; MAX_CHUNK];
        let p = parts(&key, &value);
        assert_eq!(p.plan().size, HEADER + EXT + EXT);
        round_trip(p, |it| {
            assert_eq!(it.key(), &key[..]);
            assert_eq!(it.as_str().unwrap(), &value[..]);
            assert!(it.heap() >= 300 + MAX_CHUNK);
        });
    }

    #[test]
    fn a_key_of_254_bytes_is_inline_and_one_of_255_on_the_heap() {
        let key = vec![b'k'; 254];
        assert_eq!(parts(&key, b"v").plan().size, HEADER + 254 + 1);
        round_trip(parts(&key, b"v"), |it| assert_eq!((it.key(), it.heap()), (&key[..], 0)));
        let key = vec![b'k'; 255];
        assert_eq!(parts(&key, b"v").plan().size, HEADER + EXT + 1);
        round_trip(parts(&key, b"v"), |it| {
            assert_eq!((it.key(), it.as_str().unwrap()), (&key[..], &b"v"[..]));
            assert_eq!(it.heap(), 255);
        });
    }

    #[test]
    fn header_fields_do_not_spill_into_each_other() {
        let mut p = parts(b"k", &[7; 65000]);
        p.lfu = 255;
        p.access = u32::MAX;
        p.priority = Priority::NotRemovable;
        p.fetched = true;
        p.flags = 1;
        round_trip(p, |it| {
            assert_eq!((it.lfu_raw(), it.access()), (255, ACCESS_MASK));
            assert_eq!(
                (it.priority(), it.fetched(), it.flags()),
                (Priority::NotRemovable, true, 1)
            );
            assert_eq!(it.as_str().map(<[u8]>::len), Some(65000));
            assert_eq!(it.expiry(), Expiry::None);
        });
    }

    #[test]
    fn idle_time_survives_the_access_clock_wrapping() {
        let mut p = parts(b"k", b"v");
        p.access = ACCESS_MASK - 10;
        round_trip(p, |it| {
            // 2^24 seconds on, the clock has wrapped: 30 seconds idle.
            assert_eq!(it.idle_secs(ACCESS_MASK + 20), 30);
            assert_eq!(it.idle_secs(ACCESS_MASK - 10), 0);
        });
    }
}
