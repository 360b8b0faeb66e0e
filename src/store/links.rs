//! Tags and dependencies: the indexes of CACHE.TAGGED and CACHE.DEPEND,
//! kept exact through every path that removes or replaces an item.
//!
//! - Tags are per table (one shard, one database), beside the items they
//!   name and under the same lock: removing an item drops its tags in the
//!   same step, and a tag query visits the shards one by one, as SCAN does.
//! - Dependencies cross shards (a child and its parent hash anywhere), so
//!   the edges live in one graph per database behind its own mutex. That
//!   mutex is only ever taken with at most one shard lock held and never
//!   the other way round, so it adds no lock cycle. Each table marks the
//!   keys of its shard that the graph knows ([`Index::linked`]), so an item
//!   with no dependency is never looked up in the graph.
//! - Removing a child because its parent changed takes the child's shard
//!   lock, which cannot be taken under the parent's. The children are
//!   queued on the thread instead and removed as soon as the thread holds
//!   no shard lock ([`Store::cascade`], called when a [`super::Locked`]
//!   guard drops and after eviction and expiry passes); their removal
//!   queues their own children in turn, which walks chains to their end.
//!   Cycles are refused when a dependency is declared.
//!
//! A table without tags or dependencies has no index: the hooks on the
//! write and removal paths cost one pointer check.

use super::{Item, KeyHash, Slot, Store};
use hashbrown::{HashMap, HashSet};
use std::cell::{Cell, RefCell};
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard};

/// A key, a tag: bytes owned by the index.
type Bytes = Box<[u8]>;

/// Bytes counted for each entry of the maps here besides the key and tag
/// bytes themselves: a boxed slice's pointer and length, the map's slot
/// and control byte, rounded up for the allocator's size classes.
const ENTRY_BYTES: usize = 48;

/// The tags and dependency marks of one table.
#[derive(Default)]
pub(crate) struct Index {
    /// Each tagged key's tags.
    tags_of: HashMap<Bytes, Box<[Bytes]>>,
    /// Each tag's keys in this table.
    keys_of: HashMap<Box<[u8]>, HashSet<Box<[u8]>>>,
    /// Keys of this table that the database's dependency graph knows, as
    /// a parent or a child.
    linked: HashSet<Box<[u8]>>,
    /// Bytes the index takes, as counted in the store's overhead.
    bytes: usize,
}

impl Index {
    pub(crate) fn is_empty(&self) -> bool {
        self.tags_of.is_empty() && self.linked.is_empty()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The key's tags, empty when it has none.
    pub(crate) fn tags(&self, key: &[u8]) -> &[Box<[u8]>] {
        self.tags_of.get(key).map_or(&[], |t| &t[..])
    }

    /// Gives `key` these tags, replacing any it had. Returns the change in
    /// bytes.
    pub(crate) fn set_tags(&mut self, key: &[u8], tags: &[&[u8]]) -> i64 {
        let before = self.bytes;
        self.drop_tags(key);
        let mut own: Vec<Box<[u8]>> = Vec::with_capacity(tags.len());
        for &t in tags {
            if own.iter().any(|o| &o[..] == t) {
                continue;
            }
            own.push(t.into());
            let keys = self.keys_of.entry(t.into()).or_insert_with(|| {
                self.bytes += t.len() + ENTRY_BYTES;
                HashSet::new()
            });
            keys.insert(key.into());
            self.bytes += key.len() + ENTRY_BYTES + t.len();
        }
        if !own.is_empty() {
            self.bytes += key.len() + ENTRY_BYTES;
            self.tags_of.insert(key.into(), own.into_boxed_slice());
        }
        self.bytes as i64 - before as i64
    }

    /// Takes the key's tags away.
    fn drop_tags(&mut self, key: &[u8]) {
        let Some(tags) = self.tags_of.remove(key) else { return };
        self.bytes -= key.len() + ENTRY_BYTES;
        for t in tags.iter() {
            self.bytes -= key.len() + ENTRY_BYTES + t.len();
            if let Some(keys) = self.keys_of.get_mut(t) {
                keys.remove(key);
                if keys.is_empty() {
                    self.keys_of.remove(t);
                    self.bytes -= t.len() + ENTRY_BYTES;
                }
            }
        }
    }

    /// The keys of this table carrying tag `t`.
    pub(crate) fn tagged(&self, t: &[u8]) -> impl Iterator<Item = &[u8]> {
        self.keys_of.get(t).into_iter().flat_map(|ks| ks.iter().map(|k| &k[..]))
    }

    /// Marks `key` as known to the dependency graph.
    pub(crate) fn link(&mut self, key: &[u8]) -> i64 {
        if self.linked.insert(key.into()) {
            self.bytes += key.len() + ENTRY_BYTES;
            return (key.len() + ENTRY_BYTES) as i64;
        }
        0
    }

    fn unlink(&mut self, key: &[u8]) {
        if self.linked.remove(key) {
            self.bytes -= key.len() + ENTRY_BYTES;
        }
    }
}

/// What happened to an item, for [`on_change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Changed in place (APPEND, INCR, HSET ...): it keeps its tags and
    /// the dependencies it has on parents; its children go.
    Written,
    /// Removed, or replaced by a new item (SET, CACHE.PUT, memcached
    /// `set`): its tags and all of its dependencies go, and its children.
    Gone,
}

/// Keeps a table's index exact when the item under `key` changes. Returns
/// the change in the index's bytes. The caller holds the table's shard lock.
pub(crate) fn on_change(ix: &mut Index, store: &Store, db: usize, key: &[u8], change: Change, now: u64) -> i64 {
    let before = ix.bytes;
    if change == Change::Gone {
        ix.drop_tags(key);
    }
    if ix.linked.contains(key) {
        let mut g = store.graph(db);
        let children = g.children.remove(key);
        for c in children.iter().flatten() {
            g.forget_edge(key, c);
            queue(db, c, now);
        }
        if change == Change::Gone {
            for p in g.parents.remove(key).iter().flatten() {
                if let Some(cs) = g.children.get_mut(p) {
                    cs.remove(key);
                    if cs.is_empty() {
                        g.children.remove(p);
                    }
                }
            }
        }
        if !g.parents.contains_key(key) {
            ix.unlink(key);
        }
    }
    ix.bytes as i64 - before as i64
}

/// The dependency edges of one database: parent to children and back.
#[derive(Default)]
pub(crate) struct Graph {
    children: HashMap<Box<[u8]>, HashSet<Box<[u8]>>>,
    parents: HashMap<Box<[u8]>, HashSet<Box<[u8]>>>,
}

impl Graph {
    /// True when `to` can be reached from `from` by following children.
    fn reaches(&self, from: &[u8], to: &[u8]) -> bool {
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let mut stack = vec![from];
        while let Some(k) = stack.pop() {
            if k == to {
                return true;
            }
            if seen.insert(k) {
                stack.extend(self.children.get(k).into_iter().flatten().map(|c| &c[..]));
            }
        }
        false
    }

    /// Whether making `child` depend on every one of `parents` would close
    /// a cycle: a parent that is the child or one of its descendants.
    pub(crate) fn would_cycle(&self, child: &[u8], parents: &[&[u8]]) -> bool {
        parents.iter().any(|p| self.reaches(child, p))
    }

    pub(crate) fn add(&mut self, child: &[u8], parent: &[u8]) {
        self.children.entry(parent.into()).or_default().insert(child.into());
        self.parents.entry(child.into()).or_default().insert(parent.into());
    }

    /// Drops the edge parent -> child from the child's side (the caller
    /// takes the parent's side away whole).
    fn forget_edge(&mut self, parent: &[u8], child: &[u8]) {
        if let Some(ps) = self.parents.get_mut(child) {
            ps.remove(parent);
            if ps.is_empty() {
                self.parents.remove(child);
            }
        }
    }

    /// The parents `key` depends on (CACHE.GET has no field for them; the
    /// tests read them).
    #[cfg(test)]
    pub(crate) fn parents_of(&self, key: &[u8]) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self
            .parents
            .get(key)
            .into_iter()
            .flatten()
            .map(|k| k.to_vec())
            .collect();
        v.sort();
        v
    }

    #[cfg(test)]
    pub(crate) fn edges(&self) -> usize {
        self.children.values().map(HashSet::len).sum()
    }

    /// Every child with its parents (a snapshot's copy of the graph).
    pub(crate) fn edges_by_child(&self) -> Vec<Edges> {
        self.parents
            .iter()
            .map(|(c, ps)| (c.clone(), ps.iter().cloned().collect()))
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        *self = Graph::default();
    }
}

/// A child and the parents it depends on.
pub(crate) type Edges = (Box<[u8]>, Vec<Box<[u8]>>);

/// The dependency graphs of every database.
pub(crate) struct Graphs(Box<[Mutex<Graph>]>);

impl Graphs {
    pub(crate) fn new(databases: usize) -> Graphs {
        Graphs((0..databases).map(|_| Mutex::default()).collect())
    }

    pub(crate) fn get(&self, db: usize) -> MutexGuard<'_, Graph> {
        // Every change to a graph is a few map calls that leave it whole.
        self.0[db].lock().unwrap_or_else(|p| p.into_inner())
    }
}

thread_local! {
    /// Children to remove once this thread holds no shard lock: database,
    /// key and the time of the change that doomed them.
    static DOOMED: RefCell<Vec<(usize, Bytes, u64)>> = const { RefCell::new(Vec::new()) };
    /// Shard locks this thread holds through [`super::Locked`] guards.
    static HELD: Cell<usize> = const { Cell::new(0) };
    /// A cascade is running on this thread: removals it makes queue more
    /// children for the same loop instead of starting another.
    static CASCADING: Cell<bool> = const { Cell::new(false) };
}

fn queue(db: usize, key: &[u8], now: u64) {
    DOOMED.with(|d| d.borrow_mut().push((db, key.into(), now)));
}

pub(crate) fn hold() {
    HELD.with(|h| h.set(h.get() + 1));
}

/// Counts a guard released; true when the thread holds no shard lock now
/// and children are waiting to be removed.
pub(crate) fn release() -> bool {
    HELD.with(|h| {
        let n = h.get().saturating_sub(1);
        h.set(n);
        n == 0
    }) && DOOMED.with(|d| !d.borrow().is_empty())
}

/// Why CACHE.DEPEND refused a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DependError {
    /// The child or a parent is missing.
    NoKey,
    /// A parent is the child or depends on it already.
    Cycle,
}

/// Which tags a tag query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagMatch {
    /// Items carrying at least one of the tags.
    Any,
    /// Items carrying every one of the tags.
    All,
}

impl Index {
    /// The keys of this table that match, each once.
    fn matching(&self, tags: &[&[u8]], how: TagMatch) -> Vec<Box<[u8]>> {
        match how {
            TagMatch::Any => {
                let mut out = Vec::new();
                for (i, t) in tags.iter().enumerate() {
                    // A key carrying an earlier tag of the query is listed there.
                    let earlier = &tags[..i];
                    out.extend(
                        self.tagged(t)
                            .filter(|k| !self.tags(k).iter().any(|own| earlier.contains(&&own[..])))
                            .map(Box::from),
                    );
                }
                out
            }
            TagMatch::All => {
                let Some(rarest) = tags
                    .iter()
                    .min_by_key(|t| self.keys_of.get(**t).map_or(0, HashSet::len))
                else {
                    return Vec::new();
                };
                self.tagged(rarest)
                    .filter(|k| {
                        let own = self.tags(k);
                        tags.iter().all(|t| own.iter().any(|o| &o[..] == *t))
                    })
                    .map(Box::from)
                    .collect()
            }
        }
    }
}

impl Store {
    /// Calls `f` with every live item of database `db` whose tags match,
    /// shard by shard (one shard locked at a time, as SCAN visits them).
    /// With `read`, each is read as GET reads it (a hit, and a sliding
    /// timeout restarts); without, only looked at.
    pub(crate) fn tagged(
        &self,
        db: usize,
        tags: &[&[u8]],
        how: TagMatch,
        read: bool,
        now: u64,
        mut f: impl FnMut(&[u8], &Item<'_>),
    ) {
        self.each_tagged(db, tags, how, now, |key, slot| {
            let it = if read { slot.read(true) } else { slot.peek() };
            if let Some(it) = it {
                f(key, &it);
            }
        });
    }

    /// Removes every item of database `db` whose tags match; returns how
    /// many went.
    pub(crate) fn delete_tagged(&self, db: usize, tags: &[&[u8]], how: TagMatch, now: u64) -> u64 {
        let mut n = 0;
        let events = &self.events;
        self.each_tagged(db, tags, how, now, |key, slot| {
            if slot.delete() {
                n += 1;
                events.record(super::key_events::TAGGED, db, key);
            }
        });
        n
    }

    /// Calls `f` with the slot of every key of database `db` whose tags
    /// match, one shard locked at a time; then removes the children that
    /// removals on the way doomed (a lazily expired parent among them).
    fn each_tagged(&self, db: usize, tags: &[&[u8]], how: TagMatch, now: u64, mut f: impl FnMut(&[u8], &mut Slot<'_>)) {
        let mut tags = tags.to_vec();
        tags.sort_unstable();
        tags.dedup();
        for i in 0..super::SHARDS {
            let mut g = self.lock_index(i);
            let Some(ix) = g.table(db).index.as_deref() else {
                continue;
            };
            for key in ix.matching(&tags, how) {
                f(&key, &mut g.slot(self, db, &key, self.hasher.hash_one(&key[..]), now));
            }
        }
        self.cascade();
    }

    /// Makes `child` depend on each of `parents`: when a parent is written
    /// or removed, the child is removed. Every key must hold an item, and
    /// no parent may be the child or depend on it (a cycle). Dependencies
    /// add up over calls.
    pub(crate) fn depend(&self, db: usize, child: &[u8], parents: &[&[u8]], now: u64) -> Result<(), DependError> {
        let keys: Vec<&[u8]> = std::iter::once(child).chain(parents.iter().copied()).collect();
        let khs: Vec<KeyHash> = keys.iter().map(|k| self.hash(k)).collect();
        let mut locked = self.lock_many(&khs);
        for (k, kh) in keys.iter().zip(&khs) {
            if locked.slot(db, k, *kh, now).peek().is_none() {
                return Err(DependError::NoKey);
            }
        }
        {
            let mut g = self.graph(db);
            if g.would_cycle(child, parents) {
                return Err(DependError::Cycle);
            }
            for p in parents {
                g.add(child, p);
            }
        }
        for (k, kh) in keys.iter().zip(&khs) {
            let mut slot = locked.slot(db, k, *kh, now);
            slot.link();
            slot.meta_changed();
        }
        Ok(())
    }

    #[cfg(test)]
    /// Dependency edges of database `db` (INFO keyspace-like counts, tests).
    pub(crate) fn dependencies(&self, db: usize) -> usize {
        self.graph(db).edges()
    }

    pub(crate) fn graph(&self, db: usize) -> MutexGuard<'_, Graph> {
        self.graphs.get(db)
    }

    /// Removes the children doomed by changes to their parents on this
    /// thread, and theirs in turn. Runs only when the thread holds no shard
    /// lock.
    pub(crate) fn cascade(&self) {
        if HELD.with(Cell::get) != 0 || CASCADING.with(Cell::get) {
            return;
        }
        CASCADING.with(|c| c.set(true));
        while let Some((db, key, now)) = DOOMED.with(|d| d.borrow_mut().pop()) {
            let kh = self.hash(&key);
            if self.lock(kh).slot(db, &key, kh, now).delete() {
                self.events.record(super::key_events::DEPENDANT, db, &key);
            }
        }
        CASCADING.with(|c| c.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EvictionPolicy, Expiry};

    const T0: u64 = 1_700_000_000_000;

    fn put(st: &Store, db: usize, k: &str, tags: &[&str], expiry: Expiry) {
        let kh = st.hash(k.as_bytes());
        let mut l = st.lock(kh);
        let mut s = l.slot(db, k.as_bytes(), kh, T0);
        s.set_bytes(b"v", expiry, 0);
        let tags: Vec<&[u8]> = tags.iter().map(|t| t.as_bytes()).collect();
        assert!(s.set_tags(&tags));
    }

    fn tagged(st: &Store, db: usize, tag: &str, now: u64) -> Vec<String> {
        let mut v = Vec::new();
        st.tagged(db, &[tag.as_bytes()], TagMatch::Any, false, now, |k, _| {
            v.push(String::from_utf8_lossy(k).into_owned())
        });
        v.sort();
        v
    }

    fn exists(st: &Store, db: usize, k: &str, now: u64) -> bool {
        let kh = st.hash(k.as_bytes());
        st.lock(kh).slot(db, k.as_bytes(), kh, now).peek().is_some()
    }

    #[test]
    fn the_index_is_counted_in_memory_and_given_back_when_its_items_go() {
        let st = Store::new(1, T0);
        let empty = st.used_bytes();
        for i in 0..100 {
            put(&st, 0, &format!("k{i}"), &["tag-one", "tag-two"], Expiry::None);
        }
        let with_tags = st.used_bytes();
        let st2 = Store::new(1, T0);
        for i in 0..100 {
            put(&st2, 0, &format!("k{i}"), &[], Expiry::None);
        }
        let index = with_tags - st2.used_bytes();
        // Per item: the key twice in the tag sets and once as the tags' owner.
        assert!(index >= 100 * (3 * 2 + 2 * 7), "{index}");
        st.flush_db(0, false);
        assert_eq!(st.used_bytes(), empty);
        for i in 0..100 {
            put(&st, 0, &format!("k{i}"), &["t"], Expiry::None);
        }
        assert_eq!(st.delete_tagged(0, &[b"t"], TagMatch::Any, T0), 100);
        // The tables keep their buckets after deletes; nothing else is left.
        let mut buckets = 0;
        for i in 0..crate::store::SHARDS {
            let g = st.lock_index(i);
            assert!(g.table(0).index.is_none(), "shard {i}");
            buckets += g.table(0).bytes();
        }
        assert_eq!(st.used_bytes(), empty + buckets, "DELTAGGED leaves no index behind");
    }

    #[test]
    fn the_sweep_and_eviction_drop_tags_and_doom_children() {
        let st = Store::new(1, T0);
        put(&st, 0, "short", &["t"], Expiry::At(T0 + 10));
        put(&st, 0, "child", &["t"], Expiry::None);
        st.depend(0, b"child", &[b"short"], T0).unwrap();
        assert_eq!(st.expire_step(T0 + 20, crate::store::SHARDS), 1);
        assert!(
            !exists(&st, 0, "child", T0 + 20),
            "the parent's expiry removed the child"
        );
        assert_eq!(tagged(&st, 0, "t", T0 + 20), Vec::<String>::new());
        assert_eq!(st.dependencies(0), 0);

        put(&st, 0, "parent", &[], Expiry::None);
        put(&st, 0, "child", &["t"], Expiry::None);
        st.depend(0, b"child", &[b"parent"], T0).unwrap();
        while st.evict_one(EvictionPolicy::AllKeysRandom, T0, 5).is_some() {}
        assert_eq!(st.dbsize(0), 0);
        assert_eq!(tagged(&st, 0, "t", T0), Vec::<String>::new());
        assert_eq!(st.dependencies(0), 0);
    }

    #[test]
    fn swapdb_moves_tags_and_dependencies_with_their_database() {
        let st = Store::new(2, T0);
        put(&st, 0, "p", &["t"], Expiry::None);
        put(&st, 0, "c", &[], Expiry::None);
        st.depend(0, b"c", &[b"p"], T0).unwrap();
        st.swap_db(0, 1);
        assert_eq!(tagged(&st, 1, "t", T0), ["p"]);
        assert_eq!(tagged(&st, 0, "t", T0), Vec::<String>::new());
        assert_eq!((st.dependencies(0), st.dependencies(1)), (0, 1));
        put(&st, 1, "p", &[], Expiry::None);
        assert!(
            !exists(&st, 1, "c", T0),
            "overwriting the parent in its new database removed the child"
        );
    }

    #[test]
    fn a_child_of_two_parents_goes_with_either_and_leaves_no_edge() {
        let st = Store::new(1, T0);
        for k in ["a", "b", "c"] {
            put(&st, 0, k, &[], Expiry::None);
        }
        st.depend(0, b"c", &[b"a", b"b"], T0).unwrap();
        assert_eq!(st.dependencies(0), 2);
        assert_eq!(st.graph(0).parents_of(b"c"), [b"a".to_vec(), b"b".to_vec()]);
        let kh = st.hash(b"b");
        st.lock(kh).slot(0, b"b", kh, T0).delete();
        assert!(!exists(&st, 0, "c", T0));
        assert!(exists(&st, 0, "a", T0));
        assert_eq!(st.dependencies(0), 0, "the edge from a went with c");
    }
}
