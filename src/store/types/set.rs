//! The set type: distinct byte strings, kept in hash order.
//!
//! Members live in an open-addressing table with linear probing whose
//! slots stay sorted by the members' 64-bit hashes: a member's home slot is
//! the top bits of its hash, and an insert shifts the rest of its run one
//! slot right so the order holds (Robin Hood ordering, ties by hash). Past
//! the last home slot the table grows a short overflow tail instead of
//! wrapping, so the whole slot array reads in hash order.
//!
//! That order is what SSCAN needs: the cursor is a hash, "continue from the
//! first member whose hash is at least this", which means the same thing
//! before and after the table grows or shrinks, so a member present for the
//! whole scan is returned, and returned once. (hashbrown's SwissTable
//! probes in groups and hides its buckets; a bucket cursor there would
//! miss members when it resizes.) Random members for SPOP and SRANDMEMBER
//! are found by probing random slots: the table is never less than an
//! eighth full, so that takes a few probes, not a walk over the set.
//!
//! Hashes come from one process-wide, randomly seeded hasher, so every
//! set hashes a member alike and the set operations hash each member once.

use super::boxed_len;
use hashbrown::DefaultHashBuilder;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Redis 7.2's default `set-max-intset-entries`.
const MAX_INTSET_ENTRIES: usize = 512;
/// Redis 7.2's default `set-max-listpack-entries`.
const MAX_LISTPACK_ENTRIES: usize = 128;
/// Redis 7.2's default `set-max-listpack-value`.
const MAX_LISTPACK_VALUE: usize = 64;

/// Fewest home slots a table that holds anything has.
const MIN_BITS: u32 = 2;

/// The hash of a member, the same for every set in the process.
pub(crate) fn member_hash(m: &[u8]) -> u64 {
    static HASHER: OnceLock<DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(DefaultHashBuilder::default).hash_one(m)
}

/// The encoding Redis would report. Redis never converts a set back to a
/// smaller encoding, so neither does this: it only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Enc {
    #[default]
    Intset,
    Listpack,
    Hashtable,
}

#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    member: Box<[u8]>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Set {
    /// `1 << bits` home slots, then the overflow tail; empty when nothing
    /// was ever stored.
    slots: Vec<Option<Entry>>,
    bits: u32,
    len: usize,
    /// Heap bytes of the members.
    bytes: usize,
    enc: Enc,
}

impl Set {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn home(&self, hash: u64) -> usize {
        if self.bits == 0 {
            0
        } else {
            (hash >> (64 - self.bits)) as usize
        }
    }

    fn cap(&self) -> usize {
        if self.slots.is_empty() {
            0
        } else {
            1 << self.bits
        }
    }

    /// The slot holding `m`, whose hash is `hash`.
    fn find(&self, hash: u64, m: &[u8]) -> Option<usize> {
        let mut i = self.home(hash);
        while let Some(Some(e)) = self.slots.get(i) {
            if e.hash == hash && *e.member == *m {
                return Some(i);
            }
            if e.hash > hash {
                return None;
            }
            i += 1;
        }
        None
    }

    pub(crate) fn contains(&self, m: &[u8]) -> bool {
        self.contains_hashed(member_hash(m), m)
    }

    /// As [`Set::contains`], with the hash from [`member_hash`] or
    /// [`Set::iter_hashed`].
    pub(crate) fn contains_hashed(&self, hash: u64, m: &[u8]) -> bool {
        self.len > 0 && self.find(hash, m).is_some()
    }

    /// Adds a member; true when it is new.
    pub(crate) fn insert(&mut self, m: &[u8]) -> bool {
        self.insert_hashed(member_hash(m), m)
    }

    pub(crate) fn insert_hashed(&mut self, hash: u64, m: &[u8]) -> bool {
        if self.contains_hashed(hash, m) {
            return false;
        }
        self.note_new_member(m);
        if (self.len + 1) * 4 > self.cap() * 3 {
            self.resize(if self.bits == 0 { MIN_BITS } else { self.bits + 1 });
        }
        let mut i = self.home(hash);
        while let Some(Some(e)) = self.slots.get(i) {
            if e.hash > hash {
                break;
            }
            i += 1;
        }
        let mut j = i;
        while matches!(self.slots.get(j), Some(Some(_))) {
            j += 1;
        }
        if j == self.slots.len() {
            self.slots.push(None);
        }
        // slots[j] is free: shift the run [i, j) one slot right.
        self.slots[i..=j].rotate_right(1);
        self.slots[i] = Some(Entry { hash, member: m.into() });
        self.len += 1;
        self.bytes += boxed_len(m);
        true
    }

    /// Removes a member; true when it was there.
    pub(crate) fn remove(&mut self, m: &[u8]) -> bool {
        self.remove_hashed(member_hash(m), m)
    }

    pub(crate) fn remove_hashed(&mut self, hash: u64, m: &[u8]) -> bool {
        if self.len == 0 {
            return false;
        }
        match self.find(hash, m) {
            Some(i) => {
                self.take_at(i);
                true
            }
            None => false,
        }
    }

    /// Takes the member out of slot `i` (which must be full), closes the
    /// gap and shrinks the table when it got sparse.
    fn take_at(&mut self, i: usize) -> Box<[u8]> {
        let Some(e) = self.slots[i].take() else {
            unreachable!("take_at on an empty slot")
        };
        // Backward shift: members after the gap that are not at home move
        // one slot back, so every run stays unbroken.
        let mut j = i;
        while let Some(Some(next)) = self.slots.get(j + 1) {
            if self.home(next.hash) > j {
                break;
            }
            self.slots[j] = self.slots[j + 1].take();
            j += 1;
        }
        let cap = self.cap();
        while self.slots.len() > cap && matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        self.len -= 1;
        self.bytes -= boxed_len(&e.member);
        if self.len == 0 {
            self.slots = Vec::new();
            self.bits = 0;
        } else if self.bits > MIN_BITS && self.len * 8 < cap {
            self.resize(self.bits - 1);
        }
        e.member
    }

    /// Re-lays the members over `1 << bits` home slots. They are read in
    /// hash order, so each goes to its home or just after the one before.
    fn resize(&mut self, bits: u32) {
        let old = std::mem::take(&mut self.slots);
        self.bits = bits;
        let cap = 1usize << bits;
        let mut slots: Vec<Option<Entry>> = Vec::with_capacity(cap + cap / 16 + 4);
        slots.resize_with(cap, || None);
        self.slots = slots;
        let mut next = 0;
        for e in old.into_iter().flatten() {
            let pos = self.home(e.hash).max(next);
            if pos == self.slots.len() {
                self.slots.push(None);
            }
            self.slots[pos] = Some(e);
            next = pos + 1;
        }
    }

    /// The members, in hash order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.slots.iter().flatten().map(|e| &*e.member)
    }

    /// The members with their hashes, for set operations that look them up
    /// in other sets.
    pub(crate) fn iter_hashed(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.slots.iter().flatten().map(|e| (e.hash, &*e.member))
    }

    /// A random full slot, chosen uniformly: random slots are probed until
    /// one holds a member. The table is at least an eighth full, so a few
    /// probes do; a bounded number of misses falls back to the next full
    /// slot after a random one.
    fn random_slot(&self, rng: &mut impl FnMut() -> u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let n = self.slots.len();
        let pick = |r: u64| ((r as u128 * n as u128) >> 64) as usize;
        for _ in 0..64 {
            let i = pick(rng());
            if self.slots[i].is_some() {
                return Some(i);
            }
        }
        let start = pick(rng());
        (start..n).chain(0..start).find(|&i| self.slots[i].is_some())
    }

    /// A member chosen at random.
    pub(crate) fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<&[u8]> {
        let i = self.random_slot(rng)?;
        self.slots[i].as_ref().map(|e| &*e.member)
    }

    /// Removes and returns a member chosen at random.
    pub(crate) fn pop_random(&mut self, rng: &mut impl FnMut() -> u64) -> Option<Box<[u8]>> {
        let i = self.random_slot(rng)?;
        Some(self.take_at(i))
    }

    /// `count` distinct members chosen at random (all of them when the set
    /// has no more). O(count) when count is small next to the set, by
    /// probing; otherwise a partial shuffle of every member.
    pub(crate) fn sample_distinct(&self, count: usize, rng: &mut impl FnMut() -> u64) -> Vec<&[u8]> {
        if count >= self.len {
            return self.iter().collect();
        }
        if count * 3 <= self.len {
            let mut seen = hashbrown::HashSet::with_capacity(count);
            let mut out = Vec::with_capacity(count);
            while out.len() < count {
                let Some(i) = self.random_slot(rng) else { break };
                if seen.insert(i) {
                    out.extend(self.slots[i].as_ref().map(|e| &*e.member));
                }
            }
            return out;
        }
        let mut all: Vec<&[u8]> = self.iter().collect();
        for k in 0..count {
            let rest = (all.len() - k) as u128;
            let j = k + ((rng() as u128 * rest) >> 64) as usize;
            all.swap(k, j);
        }
        all.truncate(count);
        all
    }

    /// One SSCAN step: calls `f` for about `count` members from position
    /// `cursor` on, in hash order, and returns the cursor to continue from
    /// (0 when done). Members sharing a hash are never split across calls.
    /// A set Redis would keep as an intset or listpack is returned whole,
    /// with cursor 0, as Redis does.
    pub(crate) fn scan<'s>(&'s self, cursor: u64, count: usize, mut f: impl FnMut(&'s [u8])) -> u64 {
        if self.enc != Enc::Hashtable {
            self.iter().for_each(f);
            return 0;
        }
        let mut seen = 0usize;
        let mut last = None;
        let start = self.home(cursor);
        for e in self.slots.get(start..).unwrap_or_default().iter().flatten() {
            if e.hash < cursor {
                continue;
            }
            if seen >= count && last != Some(e.hash) {
                return e.hash;
            }
            f(&e.member);
            seen += 1;
            last = Some(e.hash);
        }
        0
    }

    /// SADD's encoding step before it adds `n` members, `first` the first
    /// of them: a new set starts as Redis's `setTypeCreate` would choose,
    /// an existing one goes straight to hashtable when `n` alone would
    /// overflow its encoding.
    pub(crate) fn expect(&mut self, first: &[u8], n: usize) {
        if self.is_empty() {
            self.enc = if crate::util::number::parse_i64_exact(first).is_some() && n <= MAX_INTSET_ENTRIES {
                Enc::Intset
            } else if n <= MAX_LISTPACK_ENTRIES {
                Enc::Listpack
            } else {
                Enc::Hashtable
            };
        } else if (self.enc == Enc::Listpack && n > MAX_LISTPACK_ENTRIES)
            || (self.enc == Enc::Intset && n > MAX_INTSET_ENTRIES)
        {
            self.enc = Enc::Hashtable;
        }
    }

    /// The encoding change Redis makes when `m` is added as a new member.
    fn note_new_member(&mut self, m: &[u8]) {
        match self.enc {
            Enc::Intset => {
                if crate::util::number::parse_i64_exact(m).is_some() {
                    if self.len + 1 > MAX_INTSET_ENTRIES {
                        self.enc = Enc::Hashtable;
                    }
                } else if self.len < MAX_LISTPACK_ENTRIES && m.len() <= MAX_LISTPACK_VALUE {
                    self.enc = Enc::Listpack;
                } else {
                    self.enc = Enc::Hashtable;
                }
            }
            Enc::Listpack => {
                if self.len >= MAX_LISTPACK_ENTRIES || m.len() > MAX_LISTPACK_VALUE {
                    self.enc = Enc::Hashtable;
                }
            }
            Enc::Hashtable => {}
        }
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<Entry>>() + self.bytes
    }

    /// intset, listpack or hashtable, as Redis 7.2 with its default
    /// thresholds would encode a set built by the same writes. Like Redis,
    /// a set never returns to a smaller encoding when members leave.
    pub(crate) fn encoding(&self) -> &'static str {
        match self.enc {
            Enc::Intset => "intset",
            Enc::Listpack => "listpack",
            Enc::Hashtable => "hashtable",
        }
    }
}

impl<'a> FromIterator<&'a [u8]> for Set {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Set {
        let mut s = Set::default();
        for m in iter {
            s.insert(m);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Every member is reachable, the slots are in hash order and each
    /// sits at or after its home with no gap between.
    fn check(s: &Set) {
        let mut prev = 0u64;
        let mut n = 0;
        for (i, slot) in s.slots.iter().enumerate() {
            if let Some(e) = slot {
                assert!(e.hash >= prev, "hash order broken at {i}");
                prev = e.hash;
                let home = s.home(e.hash);
                assert!(home <= i);
                assert!(s.slots[home..i].iter().all(Option::is_some), "gap before {i}");
                assert!(s.contains(&e.member));
                n += 1;
            }
        }
        assert_eq!(n, s.len());
        let bytes: usize = s.iter().map(boxed_len).sum();
        assert_eq!(bytes, s.bytes);
    }

    #[test]
    fn members_are_added_found_and_removed_with_the_table_kept_in_order() {
        let mut s = Set::default();
        for i in 0..5000 {
            assert!(s.insert(format!("m{i}").as_bytes()));
            assert!(!s.insert(format!("m{i}").as_bytes()));
        }
        check(&s);
        assert_eq!(s.len(), 5000);
        for i in (0..5000).step_by(2) {
            assert!(s.remove(format!("m{i}").as_bytes()));
            assert!(!s.remove(format!("m{i}").as_bytes()));
        }
        check(&s);
        for i in 0..5000 {
            assert_eq!(s.contains(format!("m{i}").as_bytes()), i % 2 == 1);
        }
        for i in (1..5000).step_by(2) {
            assert!(s.remove(format!("m{i}").as_bytes()));
        }
        assert!(s.is_empty());
        assert_eq!(s.mem_size(), 0);
    }

    #[test]
    fn the_table_shrinks_as_members_leave() {
        let mut s: Set = (0..10_000)
            .map(|i| format!("m{i}"))
            .collect::<Vec<_>>()
            .iter()
            .map(|m| m.as_bytes())
            .collect();
        let full = s.mem_size();
        for i in 0..9_990 {
            s.remove(format!("m{i}").as_bytes());
        }
        check(&s);
        assert!(s.mem_size() * 50 < full, "{} vs {full}", s.mem_size());
    }

    #[test]
    fn pop_random_takes_every_member_once() {
        let mut s = Set::default();
        for i in 0..1000 {
            s.insert(format!("m{i}").as_bytes());
        }
        let mut r = rng(7);
        let mut got = HashSet::new();
        while let Some(m) = s.pop_random(&mut r) {
            assert!(got.insert(m));
            if got.len() % 97 == 0 {
                check(&s);
            }
        }
        assert_eq!(got.len(), 1000);
    }

    #[test]
    fn random_reaches_every_member() {
        let s: Set = [&b"a"[..], b"b", b"c", b"d"].into_iter().collect();
        let mut r = rng(3);
        let seen: HashSet<&[u8]> = (0..400).filter_map(|_| s.random(&mut r)).collect();
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn sample_distinct_gives_distinct_members_for_small_and_large_counts() {
        let mut s = Set::default();
        for i in 0..300 {
            s.insert(format!("m{i}").as_bytes());
        }
        let mut r = rng(11);
        for count in [1, 10, 99, 100, 250, 299, 300, 1000] {
            let got = s.sample_distinct(count, &mut r);
            let uniq: HashSet<&[u8]> = got.iter().copied().collect();
            assert_eq!(got.len(), count.min(300));
            assert_eq!(uniq.len(), got.len());
            assert!(got.iter().all(|m| s.contains(m)));
        }
    }

    fn scan_all(s: &Set, count: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur = 0;
        loop {
            cur = s.scan(cur, count, |m| out.push(m.to_vec()));
            if cur == 0 {
                return out;
            }
        }
    }

    #[test]
    fn scan_returns_every_member_once() {
        let mut s = Set::default();
        for i in 0..3000 {
            s.insert(format!("m{i}").as_bytes());
        }
        let got = scan_all(&s, 10);
        let uniq: HashSet<_> = got.iter().cloned().collect();
        assert_eq!(got.len(), 3000);
        assert_eq!(uniq.len(), 3000);
    }

    #[test]
    fn scan_keeps_its_place_while_the_set_grows_and_shrinks() {
        let mut s = Set::default();
        for i in 0..500 {
            s.insert(format!("stay{i}").as_bytes());
        }
        let mut seen = Vec::new();
        let mut cur = 0;
        let mut round = 0;
        loop {
            cur = s.scan(cur, 7, |m| seen.push(m.to_vec()));
            // Grow the table a lot, then shrink it, between calls.
            if round < 30 {
                for j in 0..300 {
                    s.insert(format!("grow{round}-{j}").as_bytes());
                }
            } else if round < 60 {
                for j in 0..300 {
                    s.remove(format!("grow{}-{j}", round - 30).as_bytes());
                }
            }
            round += 1;
            if cur == 0 {
                break;
            }
        }
        let stays: Vec<_> = seen.iter().filter(|m| m.starts_with(b"stay")).collect();
        let uniq: HashSet<_> = stays.iter().collect();
        assert_eq!(uniq.len(), 500, "every member present throughout is returned");
        assert_eq!(stays.len(), 500, "and returned once");
    }

    #[test]
    fn small_sets_scan_whole_in_one_call() {
        let s: Set = [&b"1"[..], b"2", b"3"].into_iter().collect();
        let mut n = 0;
        assert_eq!(s.scan(0, 1, |_| n += 1), 0);
        assert_eq!(n, 3);
    }

    #[test]
    fn encoding_follows_redis_7_2_conversions() {
        let mut s = Set::default();
        s.expect(b"1", 1);
        s.insert(b"1");
        assert_eq!(s.encoding(), "intset");
        s.insert(b"abc");
        assert_eq!(s.encoding(), "listpack");
        s.remove(b"abc");
        assert_eq!(s.encoding(), "listpack", "no way back");
        s.insert(&[b'x'; 65]);
        assert_eq!(s.encoding(), "hashtable");

        let mut ints = Set::default();
        for i in 0..512 {
            ints.insert(i.to_string().as_bytes());
        }
        assert_eq!(ints.encoding(), "intset");
        ints.insert(b"512");
        assert_eq!(ints.encoding(), "hashtable");

        let mut many = Set::default();
        for i in 0..200 {
            many.insert(i.to_string().as_bytes());
        }
        many.insert(b"a");
        assert_eq!(many.encoding(), "hashtable", "an intset past 128 skips listpack");

        let mut lp = Set::default();
        for i in 0..128 {
            lp.insert(format!("m{i}").as_bytes());
        }
        assert_eq!(lp.encoding(), "listpack");
        lp.insert(b"one more");
        assert_eq!(lp.encoding(), "hashtable");

        let mut hinted = Set::default();
        hinted.expect(b"a", 129);
        assert_eq!(hinted.encoding(), "hashtable");
        let mut hinted = Set::default();
        hinted.expect(b"1", 2);
        hinted.insert(b"1");
        hinted.expect(b"2", 600);
        assert_eq!(hinted.encoding(), "hashtable");
    }

    #[test]
    fn members_sharing_a_hash_are_kept_apart() {
        let mut s = Set::default();
        // Force equal hashes through the hashed entry points.
        assert!(s.insert_hashed(42, b"a"));
        assert!(s.insert_hashed(42, b"b"));
        assert!(!s.insert_hashed(42, b"a"));
        assert!(s.contains_hashed(42, b"b"));
        assert!(s.remove_hashed(42, b"a"));
        assert!(s.contains_hashed(42, b"b"));
        assert!(!s.contains_hashed(42, b"a"));
    }
}
