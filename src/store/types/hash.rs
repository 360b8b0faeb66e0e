//! The hash type: fields and values, both byte strings.

use super::boxed_len;
use hashbrown::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Hash {
    map: HashMap<Box<[u8]>, Box<[u8]>>,
    /// Heap bytes of the fields and values.
    bytes: usize,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.map.get(field).map(|v| &**v)
    }

    /// Sets a field; true when it is new.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.map.get_mut(field) {
            Some(v) => {
                self.bytes = self.bytes - v.len() + value.len();
                *v = value.into();
                false
            }
            None => {
                self.bytes += boxed_len(field) + boxed_len(value);
                self.map.insert(field.into(), value.into());
                true
            }
        }
    }

    /// Removes a field; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.map.remove(field) {
            Some(v) => {
                self.bytes -= boxed_len(field) + boxed_len(&v);
                true
            }
            None => false,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.map.iter().map(|(f, v)| (&**f, &**v))
    }

    pub(crate) fn mem_size(&self) -> usize {
        self.map.capacity() * (2 * std::mem::size_of::<Box<[u8]>>() + 1) + self.bytes
    }

    /// listpack while small (128 entries of at most 64 bytes), as Redis.
    pub(crate) fn encoding(&self) -> &'static str {
        if self.len() <= 128 && self.iter().all(|(f, v)| f.len() <= 64 && v.len() <= 64) {
            "listpack"
        } else {
            "hashtable"
        }
    }
}
