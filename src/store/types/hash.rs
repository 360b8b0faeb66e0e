//! The hash type: fields and values, both byte strings.
//!
//! The fields live in a dense vector, indexed by a hashbrown table of
//! positions (the shape of `indexmap`): a random field is one random index
//! (HRANDFIELD), iteration walks contiguous memory (HGETALL), and a removal
//! swaps the last field into the hole. Each field keeps its hash, so the
//! index rehashes without reading the fields and HSCAN can use the hash as
//! a position: a cursor is "the next hash value to visit", which no resize
//! or removal moves, so a field present for a whole scan is returned
//! exactly once (as the keyspace SCAN of [`crate::store`] does per shard).

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Redis's `hash-max-listpack-entries` and `hash-max-listpack-value`
/// defaults: beyond either, Redis converts a hash to a hashtable for good.
const LISTPACK_MAX_ENTRIES: usize = 128;
const LISTPACK_MAX_VALUE: usize = 64;

/// One hasher for every hash in the process, seeded at random once: a
/// per-hash seed would cost each hash its bytes for no gain, since
/// positions only need to be stable within one hash's life.
fn field_hash(field: &[u8]) -> u64 {
    static HASHER: OnceLock<DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(DefaultHashBuilder::default).hash_one(field)
}

#[derive(Debug)]
struct Field {
    hash: u64,
    name: Box<[u8]>,
    value: Box<[u8]>,
}

#[derive(Debug, Default)]
pub(crate) struct Hash {
    fields: Vec<Field>,
    /// Positions in `fields`, found by the field's hash.
    index: HashTable<u32>,
    /// Heap bytes of the field names and values.
    bytes: usize,
    /// Redis would hold this hash as a hashtable: it once had more than
    /// 128 fields or a name or value longer than 64 bytes. Redis never
    /// converts back, so neither does this flag.
    big: bool,
}

impl Clone for Hash {
    /// A copy with the same capacities, so it is counted at the same size.
    fn clone(&self) -> Hash {
        let mut fields = Vec::with_capacity(self.fields.capacity());
        fields.extend(self.fields.iter().map(|f| Field {
            hash: f.hash,
            name: f.name.clone(),
            value: f.value.clone(),
        }));
        Hash {
            fields,
            index: self.index.clone(),
            bytes: self.bytes,
            big: self.big,
        }
    }
}

impl Hash {
    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn position(&self, hash: u64, field: &[u8]) -> Option<usize> {
        let fields = &self.fields;
        self.index
            .find(hash, |&i| *fields[i as usize].name == *field)
            .map(|&i| i as usize)
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        let i = self.position(field_hash(field), field)?;
        Some(&self.fields[i].value)
    }

    pub(crate) fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets a field; true when it is new.
    pub(crate) fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let hash = field_hash(field);
        if field.len() > LISTPACK_MAX_VALUE || value.len() > LISTPACK_MAX_VALUE {
            self.big = true;
        }
        if let Some(i) = self.position(hash, field) {
            let v = &mut self.fields[i].value;
            if v.len() == value.len() {
                // Same length: overwrite in place, no allocation (the HSET
                // benchmark rewrites one field over and over).
                v.copy_from_slice(value);
            } else {
                self.bytes = self.bytes - v.len() + value.len();
                *v = value.into();
            }
            return false;
        }
        let i = u32::try_from(self.fields.len()).expect("a hash holds fewer than 2^32 fields");
        let fields = &self.fields;
        self.index.insert_unique(hash, i, |&j| fields[j as usize].hash);
        self.fields.push(Field {
            hash,
            name: field.into(),
            value: value.into(),
        });
        self.bytes += field.len() + value.len();
        if self.fields.len() > LISTPACK_MAX_ENTRIES {
            self.big = true;
        }
        true
    }

    /// Removes a field; true when it was there.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        let hash = field_hash(field);
        let fields = &self.fields;
        let Ok(found) = self.index.find_entry(hash, |&i| *fields[i as usize].name == *field) else {
            return false;
        };
        let i = found.remove().0 as usize;
        let last = self.fields.len() - 1;
        if i != last {
            // The last field moves into the hole: point its index there.
            let moved = self.fields[last].hash;
            if let Some(p) = self.index.find_mut(moved, |&j| j as usize == last) {
                *p = i as u32;
            }
        }
        let gone = self.fields.swap_remove(i);
        self.bytes -= gone.name.len() + gone.value.len();
        self.shrink_if_sparse();
        true
    }

    /// Gives memory back when three quarters of it hold nothing, as Redis
    /// shrinks a dict that falls under 10% full. Keeps room to double so
    /// that remove-then-add does not resize every time.
    fn shrink_if_sparse(&mut self) {
        let n = self.fields.len();
        if self.fields.capacity() > 64 && n * 4 < self.fields.capacity() {
            self.fields.shrink_to(n * 2);
            let fields = &self.fields;
            self.index.shrink_to(n * 2, |&j| fields[j as usize].hash);
        }
    }

    /// Fields and values, in no particular order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + DoubleEndedIterator {
        self.fields.iter().map(|f| (&*f.name, &*f.value))
    }

    /// The field at position `i` of [`Hash::iter`]'s order, for random
    /// picks: `i` below [`Hash::len`].
    pub(crate) fn at(&self, i: usize) -> (&[u8], &[u8]) {
        let f = &self.fields[i];
        (&f.name, &f.value)
    }

    /// One HSCAN step: calls `f` for about `count` fields whose position
    /// is `cursor` or after, in no particular order, and returns the cursor
    /// to continue from (0 when done). A field present for the whole scan
    /// is visited exactly once whatever is added or removed between calls.
    /// A small hash (listpack in Redis) is visited whole in one step, as
    /// Redis does whatever the cursor.
    pub(crate) fn scan<'h>(&'h self, cursor: u64, count: usize, mut f: impl FnMut(&'h [u8], &'h [u8])) -> u64 {
        if !self.big {
            self.iter().for_each(|(k, v)| f(k, v));
            return 0;
        }
        let fields = self.fields.iter().map(|fl| (fl.hash, fl));
        super::scan_by_hash(fields, cursor, count, |fl| f(&fl.name, &fl.value))
    }

    pub(crate) fn mem_size(&self) -> usize {
        let index = match self.index.capacity() {
            0 => 0,
            // A 4-byte position and a control byte per bucket, plus one
            // group of control bytes.
            _ => self.index.num_buckets() * 5 + 16,
        };
        self.fields.capacity() * std::mem::size_of::<Field>() + index + self.bytes
    }

    /// listpack while small (128 fields, names and values of at most 64
    /// bytes), then hashtable for good, as Redis converts.
    pub(crate) fn encoding(&self) -> &'static str {
        match self.big {
            false => "listpack",
            true => "hashtable",
        }
    }
}

impl<'a> FromIterator<(&'a [u8], &'a [u8])> for Hash {
    fn from_iter<I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(iter: I) -> Hash {
        let mut h = Hash::default();
        for (f, v) in iter {
            h.insert(f, v);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn field(i: usize) -> Vec<u8> {
        format!("field:{i}").into_bytes()
    }

    /// Scans the whole hash in steps of `count`, calling `between` after
    /// each step; returns the fields seen, with repeats.
    fn scan_all(h: &mut Hash, count: usize, mut between: impl FnMut(&mut Hash, usize)) -> Vec<Vec<u8>> {
        let mut seen = Vec::new();
        let mut cur = 0;
        let mut round = 0;
        loop {
            cur = h.scan(cur, count, |f, _| seen.push(f.to_vec()));
            between(h, round);
            round += 1;
            if cur == 0 {
                return seen;
            }
        }
    }

    #[test]
    fn insert_get_remove_keep_the_byte_count_exact() {
        let mut h = Hash::default();
        assert!(h.insert(b"a", b"1"));
        assert!(!h.insert(b"a", b"22"));
        assert!(h.insert(b"bb", b"x"));
        assert_eq!(h.get(b"a"), Some(&b"22"[..]));
        assert_eq!(h.bytes, 1 + 2 + 2 + 1);
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.get(b"a"), None);
        assert_eq!(h.get(b"bb"), Some(&b"x"[..]));
        assert_eq!(h.bytes, 3);
        assert!(h.remove(b"bb"));
        assert!(h.is_empty());
        assert_eq!(h.bytes, 0);
    }

    #[test]
    fn removal_keeps_every_other_field_reachable() {
        let mut h = Hash::default();
        for i in 0..1000 {
            h.insert(&field(i), &i.to_le_bytes());
        }
        for i in (0..1000).step_by(3) {
            assert!(h.remove(&field(i)));
        }
        for i in 0..1000usize {
            let want = (i % 3 != 0).then(|| i.to_le_bytes().to_vec());
            assert_eq!(h.get(&field(i)).map(<[u8]>::to_vec), want, "field {i}");
        }
        assert_eq!(h.len(), 666);
        let expect: usize = h.iter().map(|(f, v)| f.len() + v.len()).sum();
        assert_eq!(h.bytes, expect);
    }

    #[test]
    fn emptied_hash_shrinks_its_memory() {
        let mut h = Hash::default();
        for i in 0..10_000 {
            h.insert(&field(i), b"v");
        }
        let full = h.mem_size();
        for i in 0..9_990 {
            h.remove(&field(i));
        }
        assert!(h.mem_size() * 20 < full, "{} of {full}", h.mem_size());
        for i in 9_990..10_000 {
            assert_eq!(h.get(&field(i)), Some(&b"v"[..]));
        }
    }

    #[test]
    fn encoding_turns_hashtable_past_the_listpack_limits_and_stays() {
        let mut h = Hash::default();
        for i in 0..128 {
            h.insert(&field(i), b"v");
        }
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"one more", b"v");
        assert_eq!(h.encoding(), "hashtable");
        h.remove(b"one more");
        assert_eq!(h.encoding(), "hashtable", "Redis never converts back");
        let mut h = Hash::default();
        h.insert(b"f", &[b'v'; 64]);
        assert_eq!(h.encoding(), "listpack");
        h.insert(b"g", &[b'v'; 65]);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::default();
        h.insert(&[b'f'; 65], b"v");
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn clone_is_counted_at_the_same_size() {
        let mut h = Hash::default();
        for i in 0..1000 {
            h.insert(&field(i), b"value");
        }
        let c = h.clone();
        assert_eq!(c.mem_size(), h.mem_size());
        assert_eq!(c.get(&field(7)), Some(&b"value"[..]));
    }

    #[test]
    fn small_hash_scans_whole_in_one_step_whatever_the_cursor() {
        let mut h = Hash::default();
        for i in 0..10 {
            h.insert(&field(i), b"v");
        }
        let mut n = 0;
        assert_eq!(h.scan(12345, 2, |_, _| n += 1), 0);
        assert_eq!(n, 10);
    }

    #[test]
    fn scan_returns_every_field_once() {
        let mut h = Hash::default();
        for i in 0..3000 {
            h.insert(&field(i), b"v");
        }
        let seen = scan_all(&mut h, 10, |_, _| {});
        let uniq: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), 3000);
        assert_eq!(uniq.len(), 3000);
    }

    #[test]
    fn scan_never_misses_a_field_while_the_hash_grows_and_shrinks() {
        let mut h = Hash::default();
        for i in 0..500 {
            h.insert(format!("stay{i}").as_bytes(), b"v");
        }
        let seen = scan_all(&mut h, 7, |h, round| {
            // Grow a lot (several resizes), and remove earlier churn; for
            // a bounded number of steps, as an ever-growing hash never ends.
            if round < 40 {
                for j in 0..200 {
                    h.insert(format!("grow{round}-{j}").as_bytes(), b"v");
                }
            }
            if (1..60).contains(&round) {
                for j in 0..200 {
                    h.remove(format!("grow{}-{j}", round - 1).as_bytes());
                }
            }
        });
        let seen: HashSet<_> = seen.into_iter().collect();
        for i in 0..500 {
            assert!(seen.contains(format!("stay{i}").as_bytes()), "missed stay{i}");
        }
    }

    #[test]
    fn scan_does_not_repeat_a_field_across_shrinking() {
        let mut h = Hash::default();
        for i in 0..4000 {
            h.insert(&field(i), b"v");
        }
        let seen = scan_all(&mut h, 50, |h, round| {
            if round == 3 {
                for i in 1000..4000 {
                    h.remove(&field(i));
                }
            }
        });
        let uniq: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), uniq.len(), "a field came back twice");
        for i in 0..1000 {
            assert!(uniq.contains(&field(i)), "missed field {i}");
        }
    }

    #[test]
    fn scan_step_visits_about_count_fields() {
        let mut h = Hash::default();
        for i in 0..1000 {
            h.insert(&field(i), b"v");
        }
        let mut n = 0;
        let cur = h.scan(0, 10, |_, _| n += 1);
        assert_ne!(cur, 0);
        assert_eq!(n, 10);
    }
}
