//! Client-side caching (CLIENT TRACKING): which clients read which keys,
//! the prefixes broadcasting clients follow, and who must hear that a key
//! changed.
//!
//! The table maps key names (of every database, as Redis's does) to the
//! ids of the clients that read them; a change of a key empties its entry
//! and yields one invalidation per client found. Broadcasting clients
//! (BCAST) are told of every change under their prefixes instead, gathered
//! per prefix and sent in one message ([`Tracking::take_broadcasts`]).
//! This module decides who hears what; the command layer encodes and
//! sends it ([`Invalidation`]).

use super::ClientHandle;
use crate::util::sync::lock;
use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// CLIENT TRACKING's options, as bits.
pub(crate) mod mode {
    pub(crate) const BCAST: u8 = 1;
    pub(crate) const OPTIN: u8 = 1 << 1;
    pub(crate) const OPTOUT: u8 = 1 << 2;
    pub(crate) const NOLOOP: u8 = 1 << 3;
}

/// One invalidation for one tracking client (its redirect is resolved
/// when it is sent): the keys that changed, `None` for all of them
/// (FLUSHDB, FLUSHALL).
#[derive(Debug)]
pub(crate) struct Invalidation {
    pub(crate) to: Arc<ClientHandle>,
    pub(crate) redirect: u64,
    pub(crate) keys: Option<Vec<Bytes>>,
}

/// One tracking client.
#[derive(Debug)]
struct Tracker {
    handle: Arc<ClientHandle>,
    flags: u8,
    redirect: u64,
    prefixes: Vec<Bytes>,
    /// Its redirect target went away (CLIENT TRACKINGINFO's
    /// `broken_redirect`).
    broken: bool,
}

/// The keys changed under one broadcast prefix since the last broadcast,
/// each with the client that changed it last (0: none), and who follows
/// the prefix.
#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    pending: BTreeMap<Bytes, u64>,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<Bytes, HashSet<u64>>,
    /// Client ids across every entry of `keys`.
    items: usize,
    prefixes: BTreeMap<Bytes, Prefix>,
    clients: HashMap<u64, Tracker>,
}

/// The tracking state of the server.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    /// Clients with tracking on: nothing to do while 0.
    count: AtomicUsize,
    inner: Mutex<Inner>,
}

/// The counts INFO reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrackingStats {
    pub(crate) clients: usize,
    pub(crate) keys: usize,
    pub(crate) items: usize,
    pub(crate) prefixes: usize,
}

/// What CLIENT TRACKINGINFO and CLIENT LIST show of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackingInfo {
    pub(crate) flags: u8,
    pub(crate) redirect: u64,
    pub(crate) broken: bool,
    pub(crate) prefixes: Vec<Bytes>,
}

/// Why CLIENT TRACKING ON's prefixes were refused: Redis's words.
pub(crate) fn prefix_overlap(new: &[u8], old: &[u8], with_existing: bool) -> String {
    let (new, old) = (String::from_utf8_lossy(new), String::from_utf8_lossy(old));
    let which = if with_existing {
        "an existing"
    } else {
        "another provided"
    };
    format!("ERR Prefix '{new}' overlaps with {which} prefix '{old}'. Prefixes for a single client must not overlap.")
}

/// One of two prefixes is the start of the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

impl Tracking {
    /// True when some client tracks keys.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Checks BCAST prefixes for `id`: none may overlap one it follows
    /// already, nor another of `prefixes`.
    pub(crate) fn check_prefixes(&self, id: u64, prefixes: &[Bytes]) -> Result<(), String> {
        let inner = lock(&self.inner);
        let existing = inner.clients.get(&id).map(|t| &t.prefixes[..]).unwrap_or_default();
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| overlap(old, p)) {
                return Err(prefix_overlap(p, old, true));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlap(o, p)) {
                return Err(prefix_overlap(p, other, false));
            }
        }
        Ok(())
    }

    /// Turns tracking on for `handle` (or changes its options): BCAST
    /// clients follow `prefixes` (every key without), added to those they
    /// follow already.
    pub(crate) fn enable(&self, handle: &Arc<ClientHandle>, flags: u8, redirect: u64, prefixes: &[Bytes]) {
        let mut inner = lock(&self.inner);
        let id = handle.id;
        let t = inner.clients.entry(id).or_insert_with(|| {
            self.count.fetch_add(1, Ordering::Relaxed);
            Tracker {
                handle: handle.clone(),
                flags: 0,
                redirect: 0,
                prefixes: Vec::new(),
                broken: false,
            }
        });
        t.flags = flags;
        t.redirect = redirect;
        t.broken = false;
        let mut added = Vec::new();
        if flags & mode::BCAST != 0 {
            let wanted: Vec<Bytes> = match prefixes.is_empty() {
                true => vec![Bytes::new()],
                false => prefixes.to_vec(),
            };
            for p in wanted {
                if !t.prefixes.contains(&p) {
                    t.prefixes.push(p.clone());
                    added.push(p);
                }
            }
        }
        for p in added {
            inner.prefixes.entry(p).or_default().clients.push(id);
        }
    }

    /// Turns tracking off for client `id` (CLIENT TRACKING OFF, RESET, or
    /// the connection closing). Its keys stay in the table until they
    /// change, and are passed over then.
    pub(crate) fn disable(&self, id: u64) {
        let mut inner = lock(&self.inner);
        let Some(t) = inner.clients.remove(&id) else { return };
        self.count.fetch_sub(1, Ordering::Relaxed);
        for p in &t.prefixes {
            if let Some(state) = inner.prefixes.get_mut(p) {
                state.clients.retain(|&c| c != id);
                if state.clients.is_empty() {
                    inner.prefixes.remove(p);
                }
            }
        }
    }

    /// Client `id`'s tracking, when on.
    pub(crate) fn info(&self, id: u64) -> Option<TrackingInfo> {
        let inner = lock(&self.inner);
        inner.clients.get(&id).map(|t| TrackingInfo {
            flags: t.flags,
            redirect: t.redirect,
            broken: t.broken,
            prefixes: t.prefixes.clone(),
        })
    }

    /// Marks client `id`'s redirect as gone.
    pub(crate) fn redirect_broken(&self, id: u64) {
        if let Some(t) = lock(&self.inner).clients.get_mut(&id) {
            t.broken = true;
        }
    }

    /// Remembers that client `id` read `keys`; then, past `max_keys` keys
    /// in the table (0: no limit), forgets keys one by one, each with an
    /// invalidation for the clients that read it, as Redis makes room.
    pub(crate) fn remember<'a>(
        &self,
        id: u64,
        keys: impl Iterator<Item = &'a [u8]>,
        max_keys: usize,
        out: &mut Vec<Invalidation>,
    ) {
        let mut inner = lock(&self.inner);
        let inner = &mut *inner;
        for k in keys {
            let ids = match inner.keys.get_mut(k) {
                Some(ids) => ids,
                None => inner.keys.entry(Bytes::copy_from_slice(k)).or_default(),
            };
            if ids.insert(id) {
                inner.items += 1;
            }
        }
        if max_keys != 0 {
            while inner.keys.len() > max_keys {
                let Some(k) = inner.keys.keys().next().cloned() else {
                    break;
                };
                invalidate_key(inner, &k, 0, out);
            }
        }
    }

    /// Forgets keys, each with its invalidations, while the table holds
    /// more than `max_keys` (0: no limit): after `tracking-table-max-keys`
    /// is lowered, and at every cron step.
    pub(crate) fn shrink(&self, max_keys: usize, out: &mut Vec<Invalidation>) {
        if max_keys == 0 {
            return;
        }
        let mut inner = lock(&self.inner);
        let inner = &mut *inner;
        while inner.keys.len() > max_keys {
            let Some(k) = inner.keys.keys().next().cloned() else {
                break;
            };
            invalidate_key(inner, &k, 0, out);
        }
    }

    /// Client `by` (0: none, as for expiry) changed `key`: the clients
    /// that read it are told (except `by` itself in NOLOOP mode) and the
    /// key leaves the table; broadcasting clients following a prefix of it
    /// are told at the next [`Tracking::take_broadcasts`].
    pub(crate) fn invalidate(&self, key: &[u8], by: u64, out: &mut Vec<Invalidation>) {
        let mut inner = lock(&self.inner);
        let inner = &mut *inner;
        for (p, state) in inner.prefixes.iter_mut() {
            if key.starts_with(p) {
                state.pending.insert(Bytes::copy_from_slice(key), by);
            }
        }
        invalidate_key(inner, key, by, out);
    }

    /// The broadcast messages gathered since the last call: per prefix,
    /// the keys changed under it, to each client following it (without
    /// those it changed itself, in NOLOOP mode).
    pub(crate) fn take_broadcasts(&self, out: &mut Vec<Invalidation>) {
        let mut inner = lock(&self.inner);
        let inner = &mut *inner;
        for state in inner.prefixes.values_mut() {
            if state.pending.is_empty() {
                continue;
            }
            let pending = std::mem::take(&mut state.pending);
            for id in &state.clients {
                let Some(t) = inner.clients.get(id) else { continue };
                let keys: Vec<Bytes> = pending
                    .iter()
                    .filter(|(_, by)| t.flags & mode::NOLOOP == 0 || **by != *id)
                    .map(|(k, _)| k.clone())
                    .collect();
                if !keys.is_empty() {
                    out.push(message(t, Some(keys)));
                }
            }
        }
    }

    /// FLUSHDB or FLUSHALL: every tracking client is told that everything
    /// changed, and the table is emptied.
    pub(crate) fn flushed(&self, out: &mut Vec<Invalidation>) {
        let mut inner = lock(&self.inner);
        out.extend(inner.clients.values().map(|t| message(t, None)));
        inner.keys = HashMap::new();
        inner.items = 0;
    }

    /// INFO's counts.
    pub(crate) fn stats(&self) -> TrackingStats {
        let inner = lock(&self.inner);
        TrackingStats {
            clients: inner.clients.len(),
            keys: inner.keys.len(),
            items: inner.items,
            prefixes: inner.prefixes.len(),
        }
    }
}

fn message(t: &Tracker, keys: Option<Vec<Bytes>>) -> Invalidation {
    Invalidation {
        to: t.handle.clone(),
        redirect: t.redirect,
        keys,
    }
}

fn invalidate_key(inner: &mut Inner, key: &[u8], by: u64, out: &mut Vec<Invalidation>) {
    let Some(ids) = inner.keys.remove(key) else { return };
    inner.items -= ids.len();
    for id in ids {
        let Some(t) = inner.clients.get(&id) else { continue };
        if t.flags & mode::BCAST != 0 || (t.flags & mode::NOLOOP != 0 && id == by) {
            continue;
        }
        out.push(message(t, Some(vec![Bytes::copy_from_slice(key)])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    fn handle(id: u64) -> Arc<ClientHandle> {
        let addr = "127.0.0.1:1".parse().unwrap();
        Arc::new(ClientHandle::new(
            id,
            super::super::Proto::Resp,
            addr,
            addr,
            0,
            CancellationToken::new(),
            super::super::User::detached_default(),
        ))
    }

    fn keys(out: &[Invalidation]) -> Vec<(u64, Option<Vec<&str>>)> {
        out.iter()
            .map(|i| {
                let keys = i.keys.as_ref();
                (
                    i.to.id,
                    keys.map(|k| k.iter().map(|k| std::str::from_utf8(k).unwrap()).collect()),
                )
            })
            .collect()
    }

    #[test]
    fn a_read_key_is_invalidated_once_and_leaves_the_table() {
        let t = Tracking::default();
        let (a, b) = (handle(1), handle(2));
        t.enable(&a, 0, 0, &[]);
        t.enable(&b, mode::NOLOOP, 0, &[]);
        let mut out = Vec::new();
        t.remember(1, [&b"k"[..], b"j"].into_iter(), 0, &mut out);
        t.remember(2, [&b"k"[..]].into_iter(), 0, &mut out);
        assert_eq!(
            t.stats(),
            TrackingStats {
                clients: 2,
                keys: 2,
                items: 3,
                prefixes: 0
            }
        );
        t.invalidate(b"k", 2, &mut out);
        assert_eq!(keys(&out), [(1, Some(vec!["k"]))], "NOLOOP spares the writer");
        out.clear();
        t.invalidate(b"k", 0, &mut out);
        assert!(out.is_empty(), "told once, until read again");
        assert_eq!(t.stats().items, 1);
    }

    #[test]
    fn broadcasts_gather_keys_per_prefix() {
        let t = Tracking::default();
        let (a, b) = (handle(1), handle(2));
        let p = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert!(t.check_prefixes(1, &[p("user:"), p("us")]).is_err());
        t.enable(&a, mode::BCAST, 0, &[p("user:"), p("cart:")]);
        t.enable(&b, mode::BCAST | mode::NOLOOP, 0, &[]);
        assert_eq!(
            t.check_prefixes(1, &[p("user:1")]),
            Err("ERR Prefix 'user:1' overlaps with an existing prefix 'user:'. Prefixes for a single client must not overlap.".into())
        );
        let mut out = Vec::new();
        t.invalidate(b"user:2", 2, &mut out);
        t.invalidate(b"user:1", 0, &mut out);
        t.invalidate(b"other", 0, &mut out);
        assert!(out.is_empty());
        t.take_broadcasts(&mut out);
        let mut got = keys(&out);
        got.sort();
        assert_eq!(
            got,
            [(1, Some(vec!["user:1", "user:2"])), (2, Some(vec!["other", "user:1"]))]
        );
        t.disable(1);
        assert_eq!(t.stats().prefixes, 1);
    }

    #[test]
    fn the_key_limit_forgets_keys_with_an_invalidation() {
        let t = Tracking::default();
        let a = handle(1);
        t.enable(&a, 0, 0, &[]);
        let mut out = Vec::new();
        t.remember(1, [&b"a"[..], b"b", b"c"].into_iter(), 1, &mut out);
        assert_eq!(t.stats().keys, 1);
        assert_eq!(out.len(), 2);
        out.clear();
        t.flushed(&mut out);
        assert_eq!(keys(&out), [(1, None)]);
        assert_eq!(t.stats().keys, 0);
    }
}
