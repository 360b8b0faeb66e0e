//! The set type: distinct byte strings.

use super::boxed_len;
use hashbrown::HashSet;

#[derive(Debug, Clone, Default)]
pub struct Set {
    members: HashSet<Box<[u8]>>,
    /// Heap bytes of the members.
    bytes: usize,
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.members.contains(m)
    }

    /// Adds a member; true when it is new.
    pub fn insert(&mut self, m: &[u8]) -> bool {
        if self.members.contains(m) {
            return false;
        }
        self.bytes += boxed_len(m);
        self.members.insert(m.into())
    }

    /// Removes a member; true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let gone = self.members.remove(m);
        if gone {
            self.bytes -= boxed_len(m);
        }
        gone
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.members.iter().map(|m| &**m)
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.members.capacity() * (std::mem::size_of::<Box<[u8]>>() + 1) + self.bytes
    }

    /// intset for up to 512 integers, listpack for up to 128 short
    /// members, else hashtable, as Redis chooses.
    pub(crate) fn encoding(&self) -> &'static str {
        if self.len() <= 512 && self.iter().all(|m| crate::store::parse_i64_exact(m).is_some()) {
            "intset"
        } else if self.len() <= 128 && self.iter().all(|m| m.len() <= 64) {
            "listpack"
        } else {
            "hashtable"
        }
    }
}
