//! The list type: a deque of byte strings.
//!
//! A `VecDeque` of boxed slices: both ends push and pop in O(1), and an
//! index is O(1) too, so LINDEX and LRANGE cost what they return (a
//! quicklist walks its nodes to find the start of a range). Inserting or
//! removing in the middle moves the shorter side, as Redis's own O(N)
//! complexity for LINSERT and LREM allows.
//!
//! The encoding OBJECT ENCODING reports follows Redis 7.2 with its default
//! `list-max-listpack-size -2`: a listpack until its packed size would
//! pass 8 KB, then a quicklist until it shrinks to half of that. The packed
//! size is kept as a running estimate of what each element takes in a
//! listpack.

use super::boxed_len;
use std::collections::VecDeque;

/// `list-max-listpack-size -2`: 8 KB per listpack.
const LISTPACK_MAX_BYTES: usize = 8192;
/// A listpack's header (total bytes, count) and its end byte.
const LISTPACK_OVERHEAD: usize = 7;

#[derive(Debug, Clone, Default)]
pub(crate) struct List {
    items: VecDeque<Box<[u8]>>,
    /// Heap bytes of the elements.
    bytes: usize,
    /// What the elements would take in a listpack.
    packed: usize,
    /// Reported as a quicklist (see the module docs for when it switches).
    quick: bool,
}

/// Bytes one element takes in a listpack: the encoding byte(s), the data,
/// and the back-length that lets a listpack be walked backwards.
fn packed_len(v: &[u8]) -> usize {
    let enc_data = match crate::util::number::parse_i64_exact(v) {
        Some(n) if (0..128).contains(&n) => 1,
        Some(n) if (-4096..4096).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if v.len() < 64 => 1 + v.len(),
        None if v.len() < 4096 => 2 + v.len(),
        None => 5 + v.len(),
    };
    let back = match enc_data {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2097151 => 3,
        2097152..=268435455 => 4,
        _ => 5,
    };
    enc_data + back
}

impl List {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn added(&mut self, v: &[u8]) {
        self.bytes += boxed_len(v);
        self.packed += packed_len(v);
        if !self.quick && self.packed + LISTPACK_OVERHEAD > LISTPACK_MAX_BYTES {
            self.quick = true;
        }
    }

    fn removed(&mut self, v: &[u8]) {
        self.bytes -= boxed_len(v);
        self.packed -= packed_len(v);
        if self.quick && (self.packed + LISTPACK_OVERHEAD) * 2 <= LISTPACK_MAX_BYTES {
            self.quick = false;
        }
    }

    pub(crate) fn push_front(&mut self, v: &[u8]) {
        self.added(v);
        self.items.push_front(v.into());
    }

    pub(crate) fn push_back(&mut self, v: &[u8]) {
        self.added(v);
        self.items.push_back(v.into());
    }

    /// Pushes an element already boxed (LMOVE's element moves, not copies).
    pub(crate) fn push_boxed(&mut self, v: Box<[u8]>, front: bool) {
        self.added(&v);
        if front {
            self.items.push_front(v);
        } else {
            self.items.push_back(v);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<Box<[u8]>> {
        let v = self.items.pop_front()?;
        self.removed(&v);
        Some(v)
    }

    pub(crate) fn pop_back(&mut self) -> Option<Box<[u8]>> {
        let v = self.items.pop_back()?;
        self.removed(&v);
        Some(v)
    }

    /// Pops from the front (`front`) or the back.
    pub(crate) fn pop(&mut self, front: bool) -> Option<Box<[u8]>> {
        if front {
            self.pop_front()
        } else {
            self.pop_back()
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        self.items.get(i).map(|v| &**v)
    }

    /// Replaces element `i`; false when there is none.
    pub(crate) fn set(&mut self, i: usize, v: &[u8]) -> bool {
        let Some(old) = self.items.get(i) else { return false };
        let (old_bytes, old_packed) = (boxed_len(old), packed_len(old));
        self.bytes -= old_bytes;
        self.packed -= old_packed;
        self.items[i] = v.into();
        self.added(v);
        // `added` may have switched to a quicklist; shrinking back is
        // checked as on removal.
        if self.quick && (self.packed + LISTPACK_OVERHEAD) * 2 <= LISTPACK_MAX_BYTES {
            self.quick = false;
        }
        true
    }

    /// Inserts `v` so that it becomes element `i` (`i <= len`).
    pub(crate) fn insert(&mut self, i: usize, v: &[u8]) {
        self.added(v);
        self.items.insert(i, v.into());
    }

    /// Removes up to `count` elements equal to `v` (all when 0), from the
    /// front when `from_front`, else from the back; returns how many.
    pub(crate) fn remove_eq(&mut self, v: &[u8], count: usize, from_front: bool) -> usize {
        let limit = if count == 0 { usize::MAX } else { count };
        let mut removed = 0;
        let mut bytes = 0;
        let mut packed = 0;
        // One pass that keeps the rest in order: `retain` visits front to
        // back, so removal from the back first marks which to drop.
        if from_front {
            self.items.retain(|x| {
                if removed < limit && **x == *v {
                    removed += 1;
                    bytes += boxed_len(x);
                    packed += packed_len(x);
                    false
                } else {
                    true
                }
            });
        } else {
            let total = self.items.iter().filter(|x| ***x == *v).count();
            let skip = total.saturating_sub(limit);
            let mut seen = 0;
            self.items.retain(|x| {
                if **x == *v {
                    seen += 1;
                    if seen > skip {
                        removed += 1;
                        bytes += boxed_len(x);
                        packed += packed_len(x);
                        return false;
                    }
                }
                true
            });
        }
        self.bytes -= bytes;
        self.packed -= packed;
        if self.quick && (self.packed + LISTPACK_OVERHEAD) * 2 <= LISTPACK_MAX_BYTES {
            self.quick = false;
        }
        removed
    }

    /// Keeps elements `start..end` only (`start <= end <= len`).
    pub(crate) fn keep(&mut self, start: usize, end: usize) {
        let end = end.min(self.items.len());
        let start = start.min(end);
        let (mut bytes, mut packed) = (0, 0);
        let mut count = |v: Box<[u8]>| {
            bytes += boxed_len(&v);
            packed += packed_len(&v);
        };
        self.items.drain(end..).for_each(&mut count);
        self.items.drain(..start).for_each(&mut count);
        self.bytes -= bytes;
        self.packed -= packed;
        if self.quick && (self.packed + LISTPACK_OVERHEAD) * 2 <= LISTPACK_MAX_BYTES {
            self.quick = false;
        }
        if self.items.capacity() > 64 && self.items.len() < self.items.capacity() / 4 {
            self.items.shrink_to(self.items.len() * 2);
        }
    }

    /// Elements `start..end`, front to back (`start <= end <= len`).
    pub(crate) fn range(&self, start: usize, end: usize) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.range(start..end).map(|v| &**v)
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.iter().map(|v| &**v)
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Box<[u8]>>() + self.bytes
    }

    /// listpack while small, else quicklist (see the module docs).
    pub(crate) fn encoding(&self) -> &'static str {
        if self.quick {
            "quicklist"
        } else {
            "listpack"
        }
    }
}

impl FromIterator<Box<[u8]>> for List {
    fn from_iter<I: IntoIterator<Item = Box<[u8]>>>(iter: I) -> List {
        let mut l = List::default();
        for v in iter {
            l.push_boxed(v, false);
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| Box::<[u8]>::from(s.as_bytes())).collect()
    }

    fn contents(l: &List) -> Vec<String> {
        l.iter().map(|v| String::from_utf8_lossy(v).into_owned()).collect()
    }

    /// The byte counts a list built afresh from the same elements has.
    fn assert_counts_exact(l: &List) {
        let fresh: List = l.iter().map(Box::<[u8]>::from).collect();
        assert_eq!(l.bytes, fresh.bytes);
        assert_eq!(l.packed, fresh.packed);
    }

    #[test]
    fn remove_eq_from_either_end_keeps_order_and_counts() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_eq(b"a", 2, false), 2);
        assert_eq!(contents(&l), ["a", "b", "c"]);
        assert_counts_exact(&l);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_eq(b"a", 2, true), 2);
        assert_eq!(contents(&l), ["b", "c", "a"]);
        assert_eq!(l.remove_eq(b"a", 0, true), 1);
        assert_eq!(l.remove_eq(b"zz", 0, true), 0);
        assert_counts_exact(&l);
    }

    #[test]
    fn keep_trims_both_ends_and_counts() {
        let mut l = list(&["0", "1", "2", "3", "4"]);
        l.keep(1, 3);
        assert_eq!(contents(&l), ["1", "2"]);
        assert_counts_exact(&l);
        l.keep(0, 0);
        assert!(l.is_empty());
        assert_eq!(l.bytes, 0);
        assert_eq!(l.packed, 0);
    }

    #[test]
    fn set_and_insert_keep_the_counts_exact() {
        let mut l = list(&["a", "b"]);
        assert!(l.set(1, b"longer value"));
        assert!(!l.set(2, b"x"));
        l.insert(1, b"mid");
        assert_eq!(contents(&l), ["a", "mid", "longer value"]);
        assert_counts_exact(&l);
    }

    #[test]
    fn encoding_turns_quicklist_past_8kb_and_back_at_half() {
        let mut l = List::default();
        let v = [b'x'; 100];
        while l.encoding() == "listpack" {
            l.push_back(&v);
        }
        // 100-byte strings take 103 bytes packed: about 80 fit.
        assert!((75..=85).contains(&l.len()), "{}", l.len());
        l.pop_back();
        assert_eq!(l.encoding(), "quicklist", "no flapping at the limit");
        while l.len() > 40 {
            l.pop_front();
        }
        assert_eq!(l.encoding(), "quicklist");
        while l.encoding() == "quicklist" {
            l.pop_front();
        }
        assert_eq!(l.len(), 39, "converted back at half the limit");
    }

    #[test]
    fn packed_length_follows_the_listpack_encodings() {
        assert_eq!(packed_len(b"5"), 2);
        assert_eq!(packed_len(b"1000"), 3);
        assert_eq!(packed_len(b"-70000"), 5);
        assert_eq!(packed_len(b"12345678901"), 10);
        assert_eq!(packed_len(b"abc"), 5);
        assert_eq!(packed_len(&[b'a'; 100]), 103);
    }
}
