//! The slow log: the last `slowlog-max-len` commands that ran at least
//! `slowlog-log-slower-than` microseconds, newest first.
//!
//! Both parameters are mirrored in atomics when CONFIG SET changes them,
//! so the check after every command is one relaxed load; only a command
//! slow enough to log takes the lock.

use crate::util::sync::lock;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Arguments kept per entry; the last kept one says how many more there were.
const MAX_ARGC: usize = 32;
/// Bytes kept per argument; the rest is counted.
const MAX_STRING: usize = 128;

/// One logged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlowEntry {
    pub(crate) id: u64,
    /// Unix seconds when it was logged.
    pub(crate) time: u64,
    pub(crate) usec: u64,
    pub(crate) argv: Vec<Vec<u8>>,
    /// `ip:port` of the client.
    pub(crate) peer: String,
    pub(crate) name: Vec<u8>,
}

/// What a logged command looked like when it ran.
pub(crate) struct SlowCall<'a> {
    pub(crate) argv: &'a [&'a [u8]],
    pub(crate) usec: u64,
    pub(crate) now_ms: u64,
    pub(crate) peer: &'a dyn std::fmt::Display,
    pub(crate) name: Option<Vec<u8>>,
}

#[derive(Debug)]
pub(crate) struct SlowLog {
    /// µs; negative turns the log off.
    threshold: AtomicI64,
    max_len: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    entries: VecDeque<SlowEntry>,
}

impl Default for SlowLog {
    fn default() -> SlowLog {
        SlowLog {
            threshold: AtomicI64::new(10_000),
            max_len: AtomicU64::new(128),
            inner: Mutex::default(),
        }
    }
}

/// Keeps an argument vector as Redis keeps it in the log: at most 32
/// arguments, the 32nd saying how many more there were, each argument
/// cut at 128 bytes with the rest counted.
pub(crate) fn trimmed(argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let kept = argv.len().min(MAX_ARGC);
    (0..kept)
        .map(|j| {
            if kept != argv.len() && j == kept - 1 {
                format!("... ({} more arguments)", argv.len() - kept + 1).into_bytes()
            } else if argv[j].len() > MAX_STRING {
                let mut s = argv[j][..MAX_STRING].to_vec();
                s.extend_from_slice(format!("... ({} more bytes)", argv[j].len() - MAX_STRING).as_bytes());
                s
            } else {
                argv[j].to_vec()
            }
        })
        .collect()
}

impl SlowLog {
    pub(crate) fn configure(&self, threshold_usec: i64, max_len: u64) {
        self.threshold.store(threshold_usec, Ordering::Relaxed);
        self.max_len.store(max_len, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        inner.entries.truncate(max_len as usize);
    }

    /// True when a command that took `usec` goes in the log.
    #[inline]
    pub(crate) fn wants(&self, usec: u64) -> bool {
        let t = self.threshold.load(Ordering::Relaxed);
        t >= 0 && usec >= t as u64
    }

    /// Logs a command [`SlowLog::wants`] accepted.
    pub(crate) fn push(&self, call: SlowCall<'_>) {
        let max = self.max_len.load(Ordering::Relaxed) as usize;
        let argv = trimmed(call.argv);
        let peer = call.peer.to_string();
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push_front(SlowEntry {
            id,
            time: call.now_ms / 1000,
            usec: call.usec,
            argv,
            peer,
            name: call.name.unwrap_or_default(),
        });
        inner.entries.truncate(max);
    }

    /// The newest `count` entries, newest first.
    pub(crate) fn newest(&self, count: usize) -> Vec<SlowEntry> {
        lock(&self.inner).entries.iter().take(count).cloned().collect()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    /// Empties the log; ids go on from where they were, as Redis's do.
    pub(crate) fn reset(&self) {
        lock(&self.inner).entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_argument_vectors_keep_31_and_count_the_rest() {
        let args: Vec<Vec<u8>> = (0..40).map(|i| i.to_string().into_bytes()).collect();
        let refs: Vec<&[u8]> = args.iter().map(|a| &a[..]).collect();
        let t = trimmed(&refs);
        assert_eq!(t.len(), 32);
        assert_eq!(t[30], b"30");
        assert_eq!(t[31], b"... (9 more arguments)");
    }

    #[test]
    fn long_arguments_keep_128_bytes_and_count_the_rest() {
        let long = vec![b'A'; 129];
        let t = trimmed(&[b"sadd", &long]);
        assert_eq!(t[1].len(), 128 + "... (1 more bytes)".len());
        assert!(t[1].ends_with(b"A... (1 more bytes)"));
    }

    #[test]
    fn threshold_and_length_bound_the_log() {
        let log = SlowLog::default();
        assert!(!log.wants(9_999));
        assert!(log.wants(10_000));
        log.configure(-1, 2);
        assert!(!log.wants(u64::MAX));
        log.configure(0, 2);
        for i in 0..5u64 {
            let n = i.to_string();
            log.push(SlowCall {
                argv: &[b"ping", n.as_bytes()],
                usec: i,
                now_ms: 5_000,
                peer: &"127.0.0.1:1",
                name: None,
            });
        }
        assert_eq!(log.len(), 2);
        let e = log.newest(10);
        assert_eq!((e[0].id, e[0].time, e[0].usec), (4, 5, 4));
        assert_eq!(e[1].argv, vec![b"ping".to_vec(), b"3".to_vec()]);
        log.reset();
        assert_eq!(log.len(), 0);
    }
}
