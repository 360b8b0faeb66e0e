//! One stored item: key, value, expiry, version, memcached flags and access time.

use super::types::Aggregate;

/// A value taken out of the store, or to be put in: a string, or one of
/// the aggregate types.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(Vec<u8>),
    Agg(Box<Aggregate>),
}

impl Value {
    /// Bytes the value owns on the heap, for memory accounting.
    pub(crate) fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.capacity(),
            Value::Agg(a) => a.mem_size(),
        }
    }

    /// The value, borrowed as commands read it from an item.
    pub(crate) fn as_ref(&self) -> super::ValueRef<'_> {
        match self {
            Value::Str(s) => super::ValueRef::Str(s),
            Value::Agg(a) => super::ValueRef::of(a),
        }
    }
}

/// When an entry expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Never.
    None,
    /// At this Unix time in milliseconds, wherever the entry is used.
    At(u64),
    /// After `idle_ms` without a read or write: every access from either
    /// protocol moves `deadline` to the access time plus `idle_ms`. When
    /// stored, the deadline is computed from the write's time; the one given
    /// is ignored.
    Sliding { idle_ms: u32, deadline: u64 },
}

impl Expiry {
    /// `At(deadline)`, or `None` for 0, the store's "no deadline".
    pub fn from_deadline(deadline: u64) -> Expiry {
        match deadline {
            0 => Expiry::None,
            t => Expiry::At(t),
        }
    }

    /// A sliding expiry of `idle_ms`, to be stored.
    pub(crate) fn sliding(idle_ms: u32) -> Expiry {
        Expiry::Sliding { idle_ms, deadline: 0 }
    }
}

/// How readily an entry is evicted, lowest first; `NotRemovable` never is.
/// The names are NCache's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub(crate) enum Priority {
    Low,
    BelowNormal,
    #[default]
    Normal,
    AboveNormal,
    High,
    NotRemovable,
}

impl Priority {
    pub(crate) const ALL: [Priority; 6] = [
        Priority::Low,
        Priority::BelowNormal,
        Priority::Normal,
        Priority::AboveNormal,
        Priority::High,
        Priority::NotRemovable,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::BelowNormal => "belownormal",
            Priority::Normal => "normal",
            Priority::AboveNormal => "abovenormal",
            Priority::High => "high",
            Priority::NotRemovable => "notremovable",
        }
    }

    /// The priority stored as `p as u8`.
    pub(crate) fn from_index(i: u8) -> Priority {
        Priority::ALL[(i as usize).min(Priority::ALL.len() - 1)]
    }

    /// Reads a priority name in any letter case.
    pub(crate) fn parse(name: &[u8]) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.name().as_bytes().eq_ignore_ascii_case(name))
    }
}

/// The access-frequency counter a new entry starts with, as Redis's LFU
/// starts it, so a new key is not the first evicted.
pub(crate) const LFU_INIT: u8 = 5;
/// How much harder each step of the counter is to reach (Redis's
/// lfu-log-factor default).
const LFU_LOG_FACTOR: f64 = 10.0;
/// Seconds of idleness that take one step off the counter (lfu-decay-time 1).
const LFU_DECAY_SECS: u32 = 60;

/// Items keep their access clock modulo 2^24 seconds (see [`super::item`]).
pub(crate) const ACCESS_MASK: u32 = (1 << 24) - 1;

/// Seconds from the access clock `access` to `now_secs`, modulo 2^24.
pub(crate) fn idle_since(access: u32, now_secs: u32) -> u32 {
    now_secs.wrapping_sub(access) & ACCESS_MASK
}

/// The counter `lfu`, decayed by `idle_secs` without an access.
pub(crate) fn lfu_decayed(lfu: u8, idle_secs: u32) -> u8 {
    let periods = idle_secs / LFU_DECAY_SECS;
    lfu.saturating_sub(periods.min(255) as u8)
}

/// One access's step of the counter: up by one with a probability that
/// falls as it grows, so 255 stands for about a million accesses. `r` is
/// uniform in [0, 1).
pub(crate) fn lfu_step(c: u8, r: f64) -> u8 {
    let base = c.saturating_sub(LFU_INIT) as f64;
    if c < 255 && r < 1.0 / (base * LFU_LOG_FACTOR + 1.0) {
        c + 1
    } else {
        c
    }
}

/// An item taken out of the store (RENAME, MOVE, UNLINK): it owns its key
/// and value, ready to be stored again under another name or freed.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) key: Box<[u8]>,
    pub(crate) value: Value,
    /// Unix time in milliseconds after which the entry is gone; 0 = never.
    pub(crate) expire_at: u64,
    /// memcached client flags; Redis writes store 0.
    pub(crate) flags: u32,
    /// Sliding expiry's idle time in ms; 0 when the expiry (if any) is
    /// absolute. With it, `expire_at` is the current deadline.
    pub(crate) idle_ms: u32,
    /// Seconds since the store started, at the last access.
    pub(crate) access: u32,
    pub(crate) priority: Priority,
    /// Logarithmic access frequency, decayed by idle time (LFU policies).
    pub(crate) lfu: u8,
    /// Read since it was last written.
    pub(crate) fetched: bool,
}

impl Entry {
    #[cfg(test)]
    pub(crate) fn value(&self) -> &Value {
        &self.value
    }

    /// Bytes this entry holds: the entry itself, the key and the value.
    pub(crate) fn mem_size(&self) -> usize {
        std::mem::size_of::<Entry>() + self.key.len() + self.value.heap_size()
    }
    pub(crate) fn as_str(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Agg(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoding_follows_content() {
        use crate::store::ValueRef;
        assert_eq!(ValueRef::Str(b"123").encoding(), "int");
        assert_eq!(ValueRef::Str(b"abc").encoding(), "embstr");
        assert_eq!(ValueRef::Str(&[b'a'; 45]).encoding(), "raw");
    }
}
