//! The aggregate types: hashes, lists, sets and sorted sets.
//!
//! An aggregate lives on the heap; its item's chunk holds a pointer to it
//! and the bytes it was last counted at (see [`super::item`]). Each type
//! keeps its own running byte count, so [`Aggregate::mem_size`] is O(1)
//! and the store can re-account an aggregate after every write.
//!
//! Commands reach a type through [`AggKind`]: `slot.write::<Hash, _>(..)`
//! opens (or creates) the hash under a key, `slot.view::<Hash>()` reads it,
//! and both answer [`WrongType`] when the key holds something else.

mod hash;
mod list;
mod set;
mod zset;

pub(crate) use hash::Hash;
pub(crate) use list::List;
pub(crate) use set::Set;
pub(crate) use zset::{LexBound, ZSet};

/// The key holds a value of another type: the WRONGTYPE error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrongType;

/// A value that is not a string.
#[derive(Debug, Clone)]
pub(crate) enum Aggregate {
    Hash(Hash),
    List(List),
    Set(Set),
    ZSet(ZSet),
}

impl Aggregate {
    /// Bytes the aggregate holds on the heap, itself included. O(1).
    pub(crate) fn mem_size(&self) -> usize {
        std::mem::size_of::<Aggregate>()
            + match self {
                Aggregate::Hash(h) => h.mem_size(),
                Aggregate::List(l) => l.mem_size(),
                Aggregate::Set(s) => s.mem_size(),
                Aggregate::ZSet(z) => z.mem_size(),
            }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Aggregate::Hash(h) => h.len(),
            Aggregate::List(l) => l.len(),
            Aggregate::Set(s) => s.len(),
            Aggregate::ZSet(z) => z.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[cfg(test)]
    /// The name TYPE answers.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Aggregate::Hash(_) => "hash",
            Aggregate::List(_) => "list",
            Aggregate::Set(_) => "set",
            Aggregate::ZSet(_) => "zset",
        }
    }
}

/// One aggregate type, as commands name it in `slot.write::<T, _>` and
/// `slot.view::<T>`.
pub(crate) trait AggKind: Sized + Default {
    fn of(a: &Aggregate) -> Option<&Self>;
    fn of_mut(a: &mut Aggregate) -> Option<&mut Self>;
    fn wrap(self) -> Aggregate;
}

macro_rules! agg_kind {
    ($t:ident) => {
        impl AggKind for $t {
            fn of(a: &Aggregate) -> Option<&Self> {
                match a {
                    Aggregate::$t(x) => Some(x),
                    _ => None,
                }
            }
            fn of_mut(a: &mut Aggregate) -> Option<&mut Self> {
                match a {
                    Aggregate::$t(x) => Some(x),
                    _ => None,
                }
            }
            fn wrap(self) -> Aggregate {
                Aggregate::$t(self)
            }
        }
    };
}
agg_kind!(Hash);
agg_kind!(List);
agg_kind!(Set);
agg_kind!(ZSet);

/// One step of a scan in hash order (HSCAN, ZSCAN): calls `f` for the
/// `count` or so elements of `items` (pairs of a hash and an element) whose
/// hash is `cursor` or more, and returns the cursor to continue from (0
/// when done). An element's hash never changes, so one present for the
/// whole scan is visited exactly once whatever is added or removed between
/// steps. Takes O(n log count) time and O(count) memory: the `count`
/// smallest hashes from the cursor on are kept in a bounded max-heap, and
/// every element at the largest of them is visited, so equal hashes never
/// straddle two steps.
pub(crate) fn scan_by_hash<T>(
    items: impl Iterator<Item = (u64, T)> + Clone,
    cursor: u64,
    count: usize,
    mut f: impl FnMut(T),
) -> u64 {
    let count = count.max(1);
    // The client picks `count`: the heap grows with what it holds, never
    // to a size it asked for up front.
    let mut heap = std::collections::BinaryHeap::with_capacity(count.min(1024));
    for (h, _) in items.clone() {
        if h < cursor {
            continue;
        }
        if heap.len() < count {
            heap.push(h);
        } else if heap.peek().is_some_and(|&top| h < top) {
            heap.pop();
            heap.push(h);
        }
    }
    let edge = match heap.len() < count {
        true => u64::MAX,
        false => heap.peek().copied().unwrap_or(u64::MAX),
    };
    let mut more = false;
    for (h, t) in items {
        if h >= cursor && h <= edge {
            f(t);
        } else if h > edge {
            more = true;
        }
    }
    match more {
        true => edge.wrapping_add(1),
        false => 0,
    }
}

/// Heap bytes of a boxed byte string held in a container: its block plus
/// the container's pointer and length.
pub(crate) fn boxed_len(b: &[u8]) -> usize {
    b.len() + std::mem::size_of::<Box<[u8]>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Expiry, Store, Value};

    const T0: u64 = 1_700_000_000_000;

    fn hset(st: &Store, key: &[u8], field: &[u8], value: &[u8]) -> Result<Option<bool>, WrongType> {
        let kh = st.hash(key);
        st.lock(kh).slot(0, key, kh, T0).write::<Hash, _>(true, |h| {
            let new = h.insert(field, value);
            (new, true)
        })
    }

    #[test]
    fn an_aggregate_is_created_read_and_counted_by_its_size() {
        let st = Store::new(1, T0);
        let before = st.memory().dataset;
        for i in 0..1000 {
            assert_eq!(hset(&st, b"h", format!("f{i}").as_bytes(), &[b'v'; 50]), Ok(Some(true)));
        }
        let kh = st.hash(b"h");
        let mut l = st.lock(kh);
        let mut slot = l.slot(0, b"h", kh, T0);
        let h = slot.view::<Hash>().unwrap().unwrap();
        assert_eq!(h.len(), 1000);
        assert_eq!(h.get(b"f7"), Some(&[b'v'; 50][..]));
        let agg_bytes = Aggregate::Hash(h.clone()).mem_size() as u64;
        let grown = st.memory().dataset - before;
        // The chunk with the pointer, plus the hash counted at its size.
        assert!(grown >= agg_bytes && grown < agg_bytes + 128, "{grown} vs {agg_bytes}");
        assert_eq!(slot.peek().unwrap().value().type_name(), "hash");
    }

    #[test]
    fn another_type_under_the_key_is_wrongtype_and_unchanged() {
        let st = Store::new(1, T0);
        let kh = st.hash(b"s");
        st.lock(kh).slot(0, b"s", kh, T0).set_bytes(b"str", Expiry::None, 0);
        assert_eq!(hset(&st, b"s", b"f", b"v"), Err(WrongType));
        hset(&st, b"h", b"f", b"v").unwrap();
        let kh = st.hash(b"h");
        let mut l = st.lock(kh);
        assert!(matches!(l.slot(0, b"h", kh, T0).view::<List>(), Err(WrongType)));
        assert!(l.slot(0, b"h", kh, T0).read(false).unwrap().as_str().is_none());
    }

    #[test]
    fn an_aggregate_left_empty_is_deleted_and_its_bytes_returned() {
        let st = Store::new(1, T0);
        let before = st.memory().dataset;
        hset(&st, b"h", b"f", b"v").unwrap();
        let kh = st.hash(b"h");
        let mut l = st.lock(kh);
        let mut slot = l.slot(0, b"h", kh, T0);
        let v0 = slot.peek().unwrap().version();
        assert_eq!(
            slot.write::<Hash, _>(false, |h| (h.remove(b"nope"), false)),
            Ok(Some(false))
        );
        assert_eq!(slot.peek().unwrap().version(), v0, "no change, no new version");
        assert_eq!(slot.write::<Hash, _>(false, |h| (h.remove(b"f"), true)), Ok(Some(true)));
        assert!(slot.peek().is_none());
        assert_eq!(st.memory().dataset, before);
        // A write that creates nothing stores nothing.
        assert_eq!(slot.write::<Set, _>(true, |s| (s.len(), false)), Ok(Some(0)));
        assert!(slot.peek().is_none());
        assert_eq!(slot.write::<Set, _>(false, |s| (s.len(), true)), Ok(None));
    }

    #[test]
    fn an_aggregate_moves_with_remove_and_adopt_and_copies_with_to_value() {
        let st = Store::new(2, T0);
        hset(&st, b"a", b"f", b"v").unwrap();
        let kh = st.hash(b"a");
        let e = st.lock(kh).slot(0, b"a", kh, T0).remove().unwrap();
        assert!(matches!(e.value(), Value::Agg(_)));
        let kb = st.hash(b"b");
        st.lock(kb).slot(1, b"b", kb, T0).adopt(e);
        let mut l = st.lock(kb);
        let mut slot = l.slot(1, b"b", kb, T0);
        let copy = slot.peek().unwrap().value().to_value();
        let Value::Agg(copy) = copy else {
            panic!("a hash copies as an aggregate")
        };
        assert_eq!(copy.type_name(), "hash");
        assert_eq!(slot.view::<Hash>().unwrap().unwrap().get(b"f"), Some(&b"v"[..]));
    }

    #[test]
    fn creating_a_list_signals_waiters_only() {
        let st = Store::new(1, T0);
        let kh = st.hash(b"q");
        let push = |st: &Store| {
            st.lock(kh)
                .slot(0, b"q", kh, T0)
                .write::<List, _>(true, |l| {
                    l.push_back(b"x");
                    ((), true)
                })
                .unwrap();
        };
        push(&st);
        st.ready_keys().add_waiter();
        assert!(st.ready_keys().take().is_empty(), "nothing recorded without a waiter");
        push(&st);
        assert!(
            st.ready_keys().take().is_empty(),
            "a push to an existing list creates nothing"
        );
        st.lock(kh).slot(0, b"q", kh, T0).delete();
        push(&st);
        assert_eq!(st.ready_keys().take(), vec![(0, Box::<[u8]>::from(&b"q"[..]))]);
        st.ready_keys().remove_waiter();
    }
}
