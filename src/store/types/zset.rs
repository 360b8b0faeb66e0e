//! The sorted-set type: members ordered by score, then by member bytes.
//!
//! As in Redis, a skiplist with spans gives the order and the ranks (every
//! forward link knows how many members it skips, so rank and by-rank
//! lookups are O(log n)), and a hash table from member to node gives O(1)
//! scores. The nodes live in one vector and link by index, so the list
//! needs no unsafe code and a removed node's place is reused; the hash
//! table holds 4-byte node indices and compares members by reading them
//! from their nodes, so each member is held once.
//!
//! A balanced tree with subtree counts would do as well; the skiplist is
//! Redis's choice, which keeps ties, spans and the costs of ZADD and
//! ZPOPMIN the same shape as the server we are compared against.
//!
//! Ranges are positions: [`ZSet::score_pos`] and [`ZSet::lex_pos`] turn a
//! score or lex bound into a rank, and [`ZSet::range`] walks ranks
//! `start..end` from either end.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;
const MAX_LEVEL: usize = 32;

/// Redis's listpack thresholds (zset-max-listpack-entries/-value).
const LISTPACK_ENTRIES: usize = 128;
const LISTPACK_VALUE: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Level {
    next: u32,
    /// Members the link skips, the one it lands on included.
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    prev: u32,
    levels: Box<[Level]>,
}

impl Node {
    /// This node sorts before `(score, m)`.
    fn before(&self, score: f64, m: &[u8]) -> bool {
        self.score < score || (self.score == score && *self.member < *m)
    }
}

/// One end of a lex range, as ZRANGEBYLEX reads it: `-`, `+`, `[a`, `(a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexBound<'a> {
    NegInf,
    PosInf,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

#[derive(Clone)]
pub(crate) struct ZSet {
    /// `nodes[0]` is the head, with every level.
    nodes: Vec<Node>,
    /// Indices of removed nodes, for reuse.
    free: Vec<u32>,
    dict: HashTable<u32>,
    hasher: DefaultHashBuilder,
    tail: u32,
    level: usize,
    len: usize,
    /// Heap bytes of the members and of the nodes' level arrays.
    bytes: usize,
    rng: u64,
    /// Redis converts a listpack to a skiplist once it is too big, and
    /// never back while the key lives.
    skiplist: bool,
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

impl Default for ZSet {
    fn default() -> ZSet {
        let head = Node {
            member: Box::default(),
            score: 0.0,
            prev: NIL,
            levels: vec![Level { next: NIL, span: 0 }; MAX_LEVEL].into_boxed_slice(),
        };
        ZSet {
            nodes: vec![head],
            free: Vec::new(),
            dict: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            tail: NIL,
            level: 1,
            len: 0,
            bytes: MAX_LEVEL * std::mem::size_of::<Level>(),
            rng: 0x2545_f491_4f6c_dd1d,
            skiplist: false,
        }
    }
}

impl<'a> FromIterator<(&'a [u8], f64)> for ZSet {
    fn from_iter<I: IntoIterator<Item = (&'a [u8], f64)>>(it: I) -> ZSet {
        let mut z = ZSet::default();
        for (m, s) in it {
            z.insert(m, s);
        }
        z
    }
}

impl ZSet {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn find(&self, m: &[u8]) -> Option<u32> {
        let nodes = &self.nodes;
        self.dict
            .find(self.hasher.hash_one(m), |&i| *nodes[i as usize].member == *m)
            .copied()
    }

    pub(crate) fn score(&self, m: &[u8]) -> Option<f64> {
        self.find(m).map(|i| self.node(i).score)
    }

    /// Sets a member's score; true when the member is new. Scores must
    /// not be NaN; -0 is kept as 0, so ties order by member as Redis's
    /// comparisons do.
    pub(crate) fn insert(&mut self, m: &[u8], score: f64) -> bool {
        debug_assert!(!score.is_nan());
        let score = score + 0.0;
        if let Some(i) = self.find(m) {
            self.rescore(i, score);
            return false;
        }
        let lvl = self.random_level();
        let node = Node {
            member: m.into(),
            score,
            prev: NIL,
            levels: vec![Level { next: NIL, span: 0 }; lvl].into_boxed_slice(),
        };
        self.bytes += m.len() + lvl * std::mem::size_of::<Level>();
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.link(i);
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.dict
            .insert_unique(hasher.hash_one(m), i, |&x| hasher.hash_one(&*nodes[x as usize].member));
        if self.len > LISTPACK_ENTRIES || m.len() > LISTPACK_VALUE {
            self.skiplist = true;
        }
        true
    }

    /// Removes a member; true when it was there.
    pub(crate) fn remove(&mut self, m: &[u8]) -> bool {
        match self.find(m) {
            Some(i) => {
                self.drop_node(i);
                true
            }
            None => false,
        }
    }

    /// Gives node `i` a new score, in place when its neighbours still
    /// order around it (the common ZINCRBY case), else by moving it.
    fn rescore(&mut self, i: u32, score: f64) {
        let n = self.node(i);
        if n.score == score {
            return;
        }
        let (prev, next) = (n.prev, n.levels[0].next);
        let stays = (prev == NIL || self.node(prev).before(score, &n.member))
            && (next == NIL || {
                let nx = self.node(next);
                score < nx.score || (score == nx.score && *n.member < *nx.member)
            });
        if stays {
            self.nodes[i as usize].score = score;
            return;
        }
        self.unlink(i);
        self.nodes[i as usize].score = score;
        self.link(i);
    }

    /// Takes node `i` out of the list and the table, freeing its place.
    fn drop_node(&mut self, i: u32) -> (Box<[u8]>, f64) {
        self.unlink(i);
        let h = self.hasher.hash_one(&*self.node(i).member);
        if let Ok(e) = self.dict.find_entry(h, |&x| x == i) {
            e.remove();
        }
        let n = &mut self.nodes[i as usize];
        let member = std::mem::take(&mut n.member);
        let levels = std::mem::take(&mut n.levels);
        self.bytes -= member.len() + levels.len() * std::mem::size_of::<Level>();
        self.free.push(i);
        (member, n.score)
    }

    fn random_level(&mut self) -> usize {
        let mut lvl = 1;
        loop {
            // xorshift64: the level needs no quality beyond p = 1/4.
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if lvl < MAX_LEVEL && (self.rng & 0xFFFF) < 0xFFFF / 4 {
                lvl += 1;
            } else {
                return lvl;
            }
        }
    }

    /// Links node `i` (with its score, member and levels set) in order.
    fn link(&mut self, i: u32) {
        let (score, lvl) = (self.node(i).score, self.node(i).levels.len());
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for l in (0..self.level).rev() {
            rank[l] = if l == self.level - 1 { 0 } else { rank[l + 1] };
            loop {
                let nx = self.node(x).levels[l];
                if nx.next != NIL && self.node(nx.next).before(score, &self.node(i).member) {
                    rank[l] += nx.span;
                    x = nx.next;
                } else {
                    break;
                }
            }
            update[l] = x;
        }
        if lvl > self.level {
            for l in self.level..lvl {
                rank[l] = 0;
                update[l] = HEAD;
                self.nodes[HEAD as usize].levels[l].span = self.len as u32;
            }
            self.level = lvl;
        }
        for l in 0..lvl {
            let u = self.node(update[l]).levels[l];
            self.nodes[i as usize].levels[l] = Level {
                next: u.next,
                span: u.span - (rank[0] - rank[l]),
            };
            self.nodes[update[l] as usize].levels[l] = Level {
                next: i,
                span: rank[0] - rank[l] + 1,
            };
        }
        for (l, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.nodes[u as usize].levels[l].span += 1;
        }
        let prev = if update[0] == HEAD { NIL } else { update[0] };
        self.nodes[i as usize].prev = prev;
        match self.node(i).levels[0].next {
            NIL => self.tail = i,
            nx => self.nodes[nx as usize].prev = i,
        }
        self.len += 1;
    }

    /// Takes node `i` out of the list; the node keeps its data.
    fn unlink(&mut self, i: u32) {
        let (score, member) = (self.node(i).score, &self.node(i).member);
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for (l, u) in update.iter_mut().enumerate().take(self.level).rev() {
            loop {
                let nx = self.node(x).levels[l].next;
                if nx != NIL && nx != i && self.node(nx).before(score, member) {
                    x = nx;
                } else {
                    break;
                }
            }
            *u = x;
        }
        for (l, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.node(u).levels[l];
            if ul.next == i {
                let nl = self.node(i).levels[l];
                self.nodes[u as usize].levels[l] = Level {
                    next: nl.next,
                    span: ul.span + nl.span - 1,
                };
            } else {
                self.nodes[u as usize].levels[l].span -= 1;
            }
        }
        let (prev, next) = (self.node(i).prev, self.node(i).levels[0].next);
        match next {
            NIL => self.tail = prev,
            nx => self.nodes[nx as usize].prev = prev,
        }
        while self.level > 1 && self.node(HEAD).levels[self.level - 1].next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    /// The 0-based rank of a member, lowest score first.
    pub(crate) fn rank(&self, m: &[u8]) -> Option<usize> {
        let i = self.find(m)?;
        let n = self.node(i);
        Some(self.position(|x| x.before(n.score, &n.member)))
    }

    /// How many members come before the first one for which `before` is
    /// false; `before` must hold for a prefix of the order.
    fn position(&self, before: impl Fn(&Node) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for l in (0..self.level).rev() {
            loop {
                let nx = self.node(x).levels[l];
                if nx.next != NIL && before(self.node(nx.next)) {
                    rank += nx.span as usize;
                    x = nx.next;
                } else {
                    break;
                }
            }
        }
        rank
    }

    /// The node at 0-based rank `r`.
    fn at(&self, r: usize) -> u32 {
        if r >= self.len {
            return NIL;
        }
        let target = r + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for l in (0..self.level).rev() {
            loop {
                let nx = self.node(x).levels[l];
                if nx.next != NIL && traversed + nx.span as usize <= target {
                    traversed += nx.span as usize;
                    x = nx.next;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// The rank where scores stop being below `v` (with `excl`, not above
    /// it): a range's start for its min, its end for its max with
    /// `upper`, so `score_pos(min, minex, false)..score_pos(max, maxex,
    /// true)` are the ranks in `[min, max]`.
    pub(crate) fn score_pos(&self, v: f64, excl: bool, upper: bool) -> usize {
        // A range's start skips scores < min (<= min when exclusive); its
        // end counts scores <= max (< max when exclusive).
        if excl != upper {
            self.position(|n| n.score <= v)
        } else {
            self.position(|n| n.score < v)
        }
    }

    /// As [`ZSet::score_pos`], for a lex bound (all scores assumed equal,
    /// as Redis assumes).
    pub(crate) fn lex_pos(&self, b: LexBound<'_>, upper: bool) -> usize {
        match b {
            LexBound::NegInf => 0,
            LexBound::PosInf => self.len,
            LexBound::Incl(v) if upper => self.position(|n| *n.member <= *v),
            LexBound::Incl(v) => self.position(|n| *n.member < *v),
            LexBound::Excl(v) if upper => self.position(|n| *n.member < *v),
            LexBound::Excl(v) => self.position(|n| *n.member <= *v),
        }
    }

    /// The member at 0-based rank `r`.
    pub(crate) fn nth(&self, r: usize) -> Option<(&[u8], f64)> {
        match self.at(r) {
            NIL => None,
            i => Some((&self.node(i).member, self.node(i).score)),
        }
    }

    /// Members at ranks `start..end`, from either end.
    pub(crate) fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let end = end.min(self.len);
        if start >= end {
            return Iter {
                z: self,
                front: NIL,
                back: NIL,
                left: 0,
            };
        }
        let front = self.at(start);
        let back = if end == self.len { self.tail } else { self.at(end - 1) };
        Iter {
            z: self,
            front,
            back,
            left: end - start,
        }
    }

    /// One ZSCAN step: calls `f` for about `count` members from `cursor`
    /// on in the order of their hashes, and returns the cursor to continue
    /// from (0 when done). A member present for the whole scan is visited
    /// exactly once, whatever is added, removed or rescored between steps
    /// (a cursor in rank order would skip members when lower ones leave).
    pub(crate) fn scan<'z>(&'z self, cursor: u64, count: usize, f: impl FnMut((&'z [u8], f64))) -> u64 {
        let members = self.iter().map(|(m, s)| (self.hasher.hash_one(m), (m, s)));
        super::scan_by_hash(members, cursor, count, f)
    }

    /// Members with their scores, lowest score first.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter {
            z: self,
            front: self.node(HEAD).levels[0].next,
            back: self.tail,
            left: self.len,
        }
    }

    /// Removes and returns the member with the lowest score (`max`: the
    /// highest).
    pub(crate) fn pop(&mut self, max: bool) -> Option<(Box<[u8]>, f64)> {
        let i = if max { self.tail } else { self.node(HEAD).levels[0].next };
        if i == NIL {
            return None;
        }
        Some(self.drop_node(i))
    }

    /// Removes the members at ranks `start..end`; returns how many.
    pub(crate) fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len);
        if start >= end {
            return 0;
        }
        let mut i = self.at(start);
        for _ in start..end {
            let next = self.node(i).levels[0].next;
            self.drop_node(i);
            i = next;
        }
        end - start
    }

    pub(crate) fn mem_size(&self) -> usize {
        let table = if self.dict.capacity() == 0 {
            0
        } else {
            self.dict.num_buckets() * (std::mem::size_of::<u32>() + 1) + 16
        };
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.free.capacity() * std::mem::size_of::<u32>()
            + table
            + self.bytes
    }

    /// listpack while it has held at most 128 members of at most 64
    /// bytes, else skiplist, as Redis 7.2 reports it with the default
    /// zset-max-listpack-* settings.
    pub(crate) fn encoding(&self) -> &'static str {
        if self.skiplist {
            "skiplist"
        } else {
            "listpack"
        }
    }
}

/// Members in order, from either end.
#[derive(Clone)]
pub(crate) struct Iter<'a> {
    z: &'a ZSet,
    front: u32,
    back: u32,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = self.z.node(self.front);
        self.front = n.levels[0].next;
        Some((&n.member, n.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = self.z.node(self.back);
        self.back = n.prev;
        Some((&n.member, n.score))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recomputes the running byte count from scratch.
    fn counted_bytes(z: &ZSet) -> usize {
        z.nodes
            .iter()
            .map(|n| n.member.len() + n.levels.len() * std::mem::size_of::<Level>())
            .sum()
    }

    /// Checks order, back links, spans (through ranks) and the byte count.
    fn check(z: &ZSet) {
        let fwd: Vec<_> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let mut back: Vec<_> = z.iter().rev().map(|(m, s)| (m.to_vec(), s)).collect();
        back.reverse();
        assert_eq!(fwd, back);
        assert_eq!(fwd.len(), z.len());
        for w in fwd.windows(2) {
            assert!((w[0].1, &w[0].0) < (w[1].1, &w[1].0), "{w:?}");
        }
        for (r, (m, s)) in fwd.iter().enumerate() {
            assert_eq!(z.rank(m), Some(r));
            assert_eq!(z.nth(r), Some((&m[..], *s)));
            assert_eq!(z.score(m), Some(*s));
        }
        assert_eq!(z.bytes, counted_bytes(z));
    }

    #[test]
    fn members_order_by_score_then_bytes_with_ranks() {
        let mut z = ZSet::default();
        assert!(z.insert(b"b", 1.0));
        assert!(z.insert(b"a", 1.0));
        assert!(z.insert(b"c", 0.5));
        assert!(!z.insert(b"c", 2.0), "an update is not new");
        let order: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
        assert_eq!(order, [&b"a"[..], b"b", b"c"]);
        assert_eq!(z.rank(b"c"), Some(2));
        assert_eq!(z.rank(b"x"), None);
        check(&z);
    }

    #[test]
    fn negative_zero_is_kept_as_zero() {
        let mut z = ZSet::default();
        z.insert(b"b", -0.0);
        z.insert(b"a", 0.0);
        assert!(z.score(b"b").unwrap().is_sign_positive());
        assert_eq!(z.rank(b"a"), Some(0));
    }

    #[test]
    fn many_inserts_updates_and_removes_keep_ranks_and_bytes_exact() {
        let mut z = ZSet::default();
        let mut model = std::collections::BTreeMap::new();
        let mut x = 7u64;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let m = format!("m{}", (x >> 33) % 3000).into_bytes();
            let s = ((x >> 20) % 100) as f64;
            if (x >> 60) < 4 {
                assert_eq!(z.remove(&m), model.remove(&m).is_some());
            } else {
                assert_eq!(z.insert(&m, s), model.insert(m.clone(), s).is_none());
            }
        }
        check(&z);
        assert_eq!(z.len(), model.len());
        let used = z.mem_size();
        while z.pop(false).is_some() {}
        assert_eq!(z.bytes, MAX_LEVEL * std::mem::size_of::<Level>());
        assert!(z.mem_size() <= used);
    }

    #[test]
    fn score_and_lex_positions_bound_ranges() {
        let mut z = ZSet::default();
        for (i, m) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            z.insert(*m, i as f64);
        }
        assert_eq!((z.score_pos(1.0, false, false), z.score_pos(2.0, false, true)), (1, 3));
        assert_eq!((z.score_pos(1.0, true, false), z.score_pos(2.0, true, true)), (2, 2));
        assert_eq!(z.score_pos(f64::NEG_INFINITY, false, false), 0);
        assert_eq!(z.score_pos(f64::INFINITY, false, true), 4);
        let mut same = ZSet::default();
        for m in [b"a", b"b", b"c", b"d"] {
            same.insert(m, 0.0);
        }
        assert_eq!(same.lex_pos(LexBound::Incl(b"b"), false), 1);
        assert_eq!(same.lex_pos(LexBound::Excl(b"b"), false), 2);
        assert_eq!(same.lex_pos(LexBound::Incl(b"c"), true), 3);
        assert_eq!(same.lex_pos(LexBound::Excl(b"c"), true), 2);
        assert_eq!(same.lex_pos(LexBound::PosInf, true), 4);
        let got: Vec<&[u8]> = same.range(1, 3).rev().map(|(m, _)| m).collect();
        assert_eq!(got, [&b"c"[..], b"b"]);
    }

    #[test]
    fn pops_and_range_removal_take_from_the_ends() {
        let mut z: ZSet = [(&b"a"[..], 1.0), (b"b", 2.0), (b"c", 3.0), (b"d", 4.0)]
            .into_iter()
            .collect();
        assert_eq!(z.pop(true), Some((Box::from(&b"d"[..]), 4.0)));
        assert_eq!(z.pop(false), Some((Box::from(&b"a"[..]), 1.0)));
        z.insert(b"e", 5.0);
        assert_eq!(z.remove_range(0, 2), 2);
        assert_eq!(z.iter().map(|(m, _)| m.to_vec()).collect::<Vec<_>>(), [b"e".to_vec()]);
        check(&z);
    }

    #[test]
    fn encoding_becomes_skiplist_and_stays() {
        let mut z = ZSet::default();
        z.insert(b"a", 1.0);
        assert_eq!(z.encoding(), "listpack");
        z.insert(&[b'x'; 65], 1.0);
        assert_eq!(z.encoding(), "skiplist");
        z.remove(&[b'x'; 65]);
        assert_eq!(z.encoding(), "skiplist");
        let mut big = ZSet::default();
        for i in 0..129 {
            big.insert(format!("{i}").as_bytes(), 0.0);
        }
        assert_eq!(big.encoding(), "skiplist");
    }

    #[test]
    fn a_clone_is_independent() {
        let mut z = ZSet::default();
        z.insert(b"a", 1.0);
        let c = z.clone();
        z.insert(b"b", 0.0);
        assert_eq!(c.len(), 1);
        assert_eq!(z.rank(b"a"), Some(1));
    }

    #[test]
    fn scan_visits_every_member_present_throughout_while_others_come_and_go() {
        let mut z = ZSet::default();
        for i in 0..2000 {
            z.insert(format!("stay{i}").as_bytes(), i as f64);
        }
        let mut seen = std::collections::HashMap::<Vec<u8>, u32>::new();
        let (mut cursor, mut step) = (0, 0);
        loop {
            cursor = z.scan(cursor, 50, |(m, _)| *seen.entry(m.to_vec()).or_default() += 1);
            // Between steps, members of low rank leave and new ones come,
            // and the members present throughout change score.
            for j in 0..40 {
                z.insert(format!("new{step}-{j}").as_bytes(), -1.0 - j as f64);
            }
            for j in 0..20 {
                z.remove(format!("new{}-{j}", step.max(1) - 1).as_bytes());
            }
            z.insert(format!("stay{}", step % 2000).as_bytes(), 1e9 + step as f64);
            step += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..2000 {
            assert_eq!(seen.get(format!("stay{i}").as_bytes()), Some(&1), "stay{i}");
        }
    }
}
