//! The sorted-set type: members ordered by score, then by member bytes.

use super::boxed_len;
use hashbrown::HashMap;
use std::collections::BTreeSet;

/// A score that orders totally (scores are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score(f64);
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Score {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ZSet {
    scores: HashMap<Box<[u8]>, f64>,
    order: BTreeSet<(Score, Box<[u8]>)>,
    /// Heap bytes of the members (each held twice).
    bytes: usize,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, m: &[u8]) -> Option<f64> {
        self.scores.get(m).copied()
    }

    /// Sets a member's score; true when the member is new.
    pub fn insert(&mut self, m: &[u8], score: f64) -> bool {
        match self.scores.get_mut(m) {
            Some(s) => {
                self.order.remove(&(Score(*s), Box::<[u8]>::from(m)));
                *s = score;
                self.order.insert((Score(score), m.into()));
                false
            }
            None => {
                self.bytes += 2 * boxed_len(m);
                self.scores.insert(m.into(), score);
                self.order.insert((Score(score), m.into()));
                true
            }
        }
    }

    /// Removes a member; true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.scores.remove(m) {
            Some(s) => {
                self.order.remove(&(Score(s), Box::<[u8]>::from(m)));
                self.bytes -= 2 * boxed_len(m);
                true
            }
            None => false,
        }
    }

    /// Members with their scores, lowest score first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], f64)> {
        self.order.iter().map(|(s, m)| (&**m, s.0))
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.scores.capacity() * (std::mem::size_of::<(Box<[u8]>, f64)>() + 1)
            + self.order.len() * (std::mem::size_of::<(f64, Box<[u8]>)>() + 8)
            + self.bytes
    }

    /// listpack for up to 128 members of at most 64 bytes, else skiplist.
    pub(crate) fn encoding(&self) -> &'static str {
        if self.len() <= 128 && self.iter().all(|(m, _)| m.len() <= 64) {
            "listpack"
        } else {
            "skiplist"
        }
    }
}
