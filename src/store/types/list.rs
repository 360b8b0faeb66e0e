//! The list type: a deque of byte strings.

use super::boxed_len;
use std::collections::VecDeque;

#[derive(Debug, Clone, Default)]
pub struct List {
    items: VecDeque<Box<[u8]>>,
    /// Heap bytes of the elements.
    bytes: usize,
}

impl List {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.bytes += boxed_len(v);
        self.items.push_front(v.into());
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.bytes += boxed_len(v);
        self.items.push_back(v.into());
    }

    pub fn pop_front(&mut self) -> Option<Box<[u8]>> {
        let v = self.items.pop_front()?;
        self.bytes -= boxed_len(&v);
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Box<[u8]>> {
        let v = self.items.pop_back()?;
        self.bytes -= boxed_len(&v);
        Some(v)
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.items.get(i).map(|v| &**v)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.iter().map(|v| &**v)
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Box<[u8]>>() + self.bytes
    }

    /// listpack while small (128 entries of at most 64 bytes), else quicklist.
    pub(crate) fn encoding(&self) -> &'static str {
        if self.len() <= 128 && self.iter().all(|v| v.len() <= 64) {
            "listpack"
        } else {
            "quicklist"
        }
    }
}

impl FromIterator<Box<[u8]>> for List {
    fn from_iter<I: IntoIterator<Item = Box<[u8]>>>(iter: I) -> List {
        let items: VecDeque<Box<[u8]>> = iter.into_iter().collect();
        let bytes = items.iter().map(|v| boxed_len(v)).sum();
        List { items, bytes }
    }
}
