//! Whole RDB files and streams: a snapshot of the store written out, and
//! an RDB read back into the store.
//!
//! What ferrocache keeps beside Redis's data travels in auxiliary fields,
//! which Redis's loader skips by the format's contract, so redis-server
//! loads ferrocache's files and simply drops those attributes:
//! - `fc-attrs` before each run of keys: for each key of the run, in
//!   order, its version, memcached flags, priority, sliding timeout and
//!   tags;
//! - `fc-counters` at the start: the version counter and the last lock
//!   handle;
//! - `fc-policies`, `fc-locks` and `fc-depends` after the databases:
//!   CACHE.POLICY of each database that has one, the locks held (with or
//!   without an item) and the dependencies.

use super::io::{put_len, put_millis, put_string, RdbError, Reader};
use super::value::{put_value, read_value, type_of, Loaded};
use super::{opcodes, CRC64, RDB_VERSION, RDB_VERSION_MAX};
use crate::store::{DbPolicy, PolicyChange, Priority, Saved, SavedLock, Store};
use std::collections::VecDeque;
use std::io::{self, Read, Write};

/// The access hint each key carries, as the eviction policy wants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hints {
    None,
    /// Seconds idle (LRU policies).
    Idle,
    /// The frequency counter (LFU policies).
    Freq,
}

pub(crate) struct SaveOptions<'a> {
    pub(crate) compress: bool,
    /// Write the CRC-64 at the end (0 when not).
    pub(crate) checksum: bool,
    pub(crate) hints: Hints,
    /// Auxiliary fields to write after the header.
    pub(crate) aux: &'a [(&'a str, String)],
    /// The function libraries' code.
    pub(crate) functions: &'a [Vec<u8>],
}

/// What a save wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SaveReport {
    pub(crate) keys: u64,
    pub(crate) bytes: u64,
}

/// A writer that counts and checksums what goes through it.
struct Counting<W: Write> {
    inner: W,
    crc: crc::Digest<'static, u64>,
    bytes: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.bytes += b.len() as u64;
        self.inner.write_all(b)
    }
}

/// Bytes gathered before they are handed to the writer.
const FLUSH_AT: usize = 256 * 1024;

/// Writes the snapshot the caller began (`Store::begin_snapshot`) to
/// `out`, and ends it. Other clients go on meanwhile; the snapshot is the
/// instant it began.
pub(crate) fn save_begun<W: Write>(
    store: &Store,
    head: &crate::store::SnapshotHead,
    opts: &SaveOptions<'_>,
    out: W,
) -> io::Result<SaveReport> {
    let r = write_all(store, head, opts, out);
    store.end_snapshot();
    r
}

fn write_all<W: Write>(
    store: &Store,
    head: &crate::store::SnapshotHead,
    opts: &SaveOptions<'_>,
    out: W,
) -> io::Result<SaveReport> {
    let mut w = Counting {
        inner: out,
        crc: CRC64.digest(),
        bytes: 0,
    };
    let mut keys = 0u64;
    let mut buf = Vec::with_capacity(FLUSH_AT * 2);
    buf.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    for (k, v) in opts.aux {
        put_aux(&mut buf, k.as_bytes(), v.as_bytes());
    }
    put_aux(
        &mut buf,
        b"fc-counters",
        format!("{} {}", head.version, head.lock_handle).as_bytes(),
    );
    let dbs = head.sizes.len();
    // Databases past the first one found wait here, encoded, while the
    // shards are walked for the first.
    let mut later: Vec<Vec<u8>> = vec![Vec::new(); dbs];
    let mut locks: Vec<SavedLock> = Vec::new();
    let first = head.sizes.iter().position(|s| s.0 > 0);
    if let Some(db) = first {
        put_db_head(&mut buf, db, head.sizes[db]);
    }
    for i in 0..store.shard_count() {
        let copy = store.take_shard(i);
        locks.extend(copy.locks);
        for (db, items) in copy.dbs.iter().enumerate() {
            if items.is_empty() {
                continue;
            }
            keys += items.len() as u64;
            if Some(db) == first {
                put_run(&mut buf, items, opts);
            } else {
                put_run(&mut later[db], items, opts);
            }
        }
        if buf.len() >= FLUSH_AT {
            w.put(&buf)?;
            buf.clear();
        }
    }
    for (db, body) in later.iter().enumerate() {
        if !body.is_empty() {
            put_db_head(&mut buf, db, head.sizes[db]);
            w.put(&buf)?;
            buf.clear();
            w.put(body)?;
        }
    }
    drop(later);
    put_extras(&mut buf, store, head, &locks);
    for code in opts.functions {
        buf.push(opcodes::FUNCTION2);
        put_string(&mut buf, code, opts.compress);
    }
    buf.push(opcodes::EOF);
    w.put(&buf)?;
    let crc = if opts.checksum { w.crc.clone().finalize() } else { 0 };
    w.inner.write_all(&crc.to_le_bytes())?;
    w.inner.flush()?;
    Ok(SaveReport {
        keys,
        bytes: w.bytes + 8,
    })
}

fn put_aux(out: &mut Vec<u8>, k: &[u8], v: &[u8]) {
    out.push(opcodes::AUX);
    put_string(out, k, false);
    put_string(out, v, false);
}

fn put_db_head(out: &mut Vec<u8>, db: usize, (size, expires): (u64, u64)) {
    out.push(opcodes::SELECTDB);
    put_len(out, db as u64);
    out.push(opcodes::RESIZEDB);
    put_len(out, size);
    put_len(out, expires);
}

/// One run of keys: their attributes, then the keys themselves.
fn put_run(out: &mut Vec<u8>, items: &[Saved], opts: &SaveOptions<'_>) {
    let mut attrs = Vec::with_capacity(items.len() * 4);
    put_varint(&mut attrs, items.len() as u64);
    for s in items {
        put_attrs(&mut attrs, s);
    }
    put_aux(out, b"fc-attrs", &attrs);
    for s in items {
        if s.expire_at != 0 {
            out.push(opcodes::EXPIRETIME_MS);
            put_millis(out, s.expire_at);
        }
        match opts.hints {
            Hints::None => {}
            Hints::Idle => {
                out.push(opcodes::IDLE);
                put_len(out, s.idle_secs as u64);
            }
            Hints::Freq => {
                out.push(opcodes::FREQ);
                out.push(s.lfu);
            }
        }
        let v = s.value.as_ref();
        out.push(type_of(v));
        put_string(out, &s.key, opts.compress);
        put_value(out, v, opts.compress);
    }
}

// Which optional attributes follow a key's version in `fc-attrs`.
const A_FLAGS: u8 = 1;
const A_PRIORITY: u8 = 2;
const A_SLIDING: u8 = 4;
const A_TAGS: u8 = 8;

fn put_attrs(out: &mut Vec<u8>, s: &Saved) {
    put_varint(out, s.version);
    let mut bits = 0;
    if s.flags != 0 {
        bits |= A_FLAGS;
    }
    if s.priority != Priority::Normal {
        bits |= A_PRIORITY;
    }
    if s.idle_ms != 0 {
        bits |= A_SLIDING;
    }
    if !s.tags.is_empty() {
        bits |= A_TAGS;
    }
    out.push(bits);
    if s.flags != 0 {
        put_varint(out, s.flags as u64);
    }
    if s.priority != Priority::Normal {
        out.push(s.priority as u8);
    }
    if s.idle_ms != 0 {
        put_varint(out, s.idle_ms as u64);
    }
    if !s.tags.is_empty() {
        put_varint(out, s.tags.len() as u64);
        for t in &s.tags {
            put_bytes(out, t);
        }
    }
}

/// Policies, locks and dependencies, after the databases.
fn put_extras(out: &mut Vec<u8>, store: &Store, head: &crate::store::SnapshotHead, locks: &[SavedLock]) {
    let mut p = Vec::new();
    for db in 0..head.sizes.len() {
        let pol = store.policy(db);
        if pol != DbPolicy::default() {
            put_varint(&mut p, db as u64);
            put_varint(&mut p, pol.default_ttl);
            p.push(pol.sliding as u8 | (pol.evict as u8) << 1);
            put_varint(&mut p, pol.maxmemory);
        }
    }
    if !p.is_empty() {
        put_aux(out, b"fc-policies", &p);
    }
    if !locks.is_empty() {
        let mut l = Vec::new();
        for s in locks {
            put_varint(&mut l, s.db as u64);
            put_bytes(&mut l, &s.key);
            put_varint(&mut l, s.handle);
            put_varint(&mut l, s.until);
        }
        put_aux(out, b"fc-locks", &l);
    }
    let mut d = Vec::new();
    for (db, edges) in head.depends.iter().enumerate() {
        for (child, parents) in edges {
            put_varint(&mut d, db as u64);
            put_bytes(&mut d, child);
            put_varint(&mut d, parents.len() as u64);
            for p in parents {
                put_bytes(&mut d, p);
            }
        }
    }
    if !d.is_empty() {
        put_aux(out, b"fc-depends", &d);
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Reads the fields put by `put_varint` and `put_bytes` from a blob.
struct Blob<'a>(&'a [u8]);

impl<'a> Blob<'a> {
    fn varint(&mut self) -> Result<u64, RdbError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self
                .0
                .split_first()
                .ok_or_else(|| corrupt("attribute field cut short"))?;
            self.0 = rest;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("attribute number too long"))
    }

    fn byte(&mut self) -> Result<u8, RdbError> {
        let (&b, rest) = self
            .0
            .split_first()
            .ok_or_else(|| corrupt("attribute field cut short"))?;
        self.0 = rest;
        Ok(b)
    }

    fn bytes(&mut self) -> Result<&'a [u8], RdbError> {
        let n = self.varint()?;
        if n > self.0.len() as u64 {
            return Err(corrupt("attribute field cut short"));
        }
        let (b, rest) = self.0.split_at(n as usize);
        self.0 = rest;
        Ok(b)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(what.to_string())
}

/// What a key's `fc-attrs` entry gives it.
#[derive(Debug, Default)]
struct Attrs {
    version: u64,
    flags: u32,
    priority: Option<Priority>,
    idle_ms: u32,
    tags: Vec<Box<[u8]>>,
}

fn read_attrs(blob: &[u8], out: &mut VecDeque<Attrs>) -> Result<(), RdbError> {
    let mut b = Blob(blob);
    let n = b.varint()?;
    for _ in 0..n {
        let mut a = Attrs {
            version: b.varint()?,
            ..Attrs::default()
        };
        let bits = b.byte()?;
        if bits & A_FLAGS != 0 {
            a.flags = b.varint()? as u32;
        }
        if bits & A_PRIORITY != 0 {
            a.priority = Some(Priority::from_index(b.byte()?));
        }
        if bits & A_SLIDING != 0 {
            a.idle_ms = b.varint()? as u32;
        }
        if bits & A_TAGS != 0 {
            let n = b.varint()?;
            for _ in 0..n {
                a.tags.push(b.bytes()?.into());
            }
        }
        out.push_back(a);
    }
    Ok(())
}

pub(crate) struct LoadOptions {
    /// Unix ms of the load.
    pub(crate) now: u64,
    /// Keep keys whose deadline has passed (a replica does: its primary
    /// will send their deletion).
    pub(crate) keep_expired: bool,
    /// A key already in the store is replaced (DEBUG RELOAD MERGE);
    /// otherwise it ends the load with an error, as do libraries the
    /// caller finds already loaded.
    pub(crate) merge: bool,
}

/// What a load found.
#[derive(Debug, Default)]
pub(crate) struct LoadReport {
    pub(crate) version: u16,
    pub(crate) keys: u64,
    /// Keys past their deadline, left out.
    pub(crate) expired: u64,
    /// Keys of types ferrocache does not have, left out, by type name.
    pub(crate) skipped: Vec<(&'static str, u64)>,
    /// The function libraries' code, for the caller to load.
    pub(crate) functions: Vec<Vec<u8>>,
    /// Auxiliary fields other than ferrocache's own.
    pub(crate) aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) bytes: u64,
}

impl LoadReport {
    fn skip(&mut self, what: &'static str) {
        match self.skipped.iter_mut().find(|s| s.0 == what) {
            Some(s) => s.1 += 1,
            None => self.skipped.push((what, 1)),
        }
    }
}

/// Reads an RDB from `input` into the store. Keys already there are
/// replaced with [`LoadOptions::merge`], and an error otherwise; the
/// caller flushes first when the file is to be the whole dataset.
pub(crate) fn load<R: Read>(store: &Store, input: R, opts: &LoadOptions) -> Result<LoadReport, RdbError> {
    let mut r = Reader::new(input);
    let mut report = LoadReport::default();
    let mut magic = [0u8; 9];
    r.read_exact(&mut magic)?;
    if &magic[..5] != b"REDIS" {
        return Err(corrupt("Wrong signature trying to load DB from file"));
    }
    let version: u16 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt("Wrong signature trying to load DB from file"))?;
    if version == 0 || version > RDB_VERSION_MAX {
        return Err(RdbError::Corrupt(format!("Can't handle RDB format version {version}")));
    }
    report.version = version;
    let mut db = 0usize;
    let mut expire_at: u64 = 0;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    let mut attrs: VecDeque<Attrs> = VecDeque::new();
    let mut locks: Vec<SavedLock> = Vec::new();
    let mut depends: Vec<Depends> = Vec::new();
    let mut counters = (0u64, 0u64);
    loop {
        let t = r.read_u8()?;
        match t {
            opcodes::EXPIRETIME => expire_at = r.read_u32_le()? as u64 * 1000,
            opcodes::EXPIRETIME_MS => expire_at = r.read_u64_le()?,
            opcodes::FREQ => freq = Some(r.read_u8()?),
            opcodes::IDLE => idle = Some(r.read_len()?),
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let n = r.read_len()?;
                if n >= store.databases() as u64 {
                    return Err(RdbError::Corrupt(format!(
                        "Data file was created with a server configured to handle more than {} databases",
                        store.databases()
                    )));
                }
                db = n as usize;
            }
            opcodes::RESIZEDB => {
                r.read_len()?;
                r.read_len()?;
            }
            opcodes::AUX => {
                let k = r.read_string()?;
                let v = r.read_string()?;
                match &k[..] {
                    b"fc-attrs" => read_attrs(&v, &mut attrs)?,
                    b"fc-counters" => {
                        let s = String::from_utf8_lossy(&v);
                        let mut it = s.split(' ').map(|x| x.parse::<u64>().unwrap_or(0));
                        counters = (it.next().unwrap_or(0), it.next().unwrap_or(0));
                    }
                    b"fc-policies" => read_policies(store, &v)?,
                    b"fc-locks" => read_locks(store, &v, &mut locks)?,
                    b"fc-depends" => read_depends(store, &v, &mut depends)?,
                    _ => report.aux.push((k, v)),
                }
            }
            opcodes::MODULE_AUX => {
                return Err(corrupt(
                    "The RDB file contains AUX module data I can't load: no matching module",
                ))
            }
            opcodes::FUNCTION2 | opcodes::FUNCTION_PRE_GA => match super::dump::read_library(&mut r, t) {
                Ok(code) => report.functions.push(code),
                Err(field) => return Err(corrupt(&format!("Failed loading {field}"))),
            },
            ty => {
                let key = r.read_string()?;
                let loaded = read_value(&mut r, ty)?;
                let a = attrs.pop_front().unwrap_or_default();
                let (deadline, hint_idle, hint_freq) = (expire_at, idle, freq);
                expire_at = 0;
                idle = None;
                freq = None;
                let value = match loaded {
                    Loaded::Value(v) => v,
                    Loaded::Empty => continue,
                    Loaded::Skipped(what) => {
                        report.skip(what);
                        continue;
                    }
                };
                if deadline != 0 && deadline <= opts.now && !opts.keep_expired {
                    report.expired += 1;
                    continue;
                }
                let mut s = Saved::plain(&key, value);
                s.expire_at = deadline;
                s.version = a.version;
                s.flags = a.flags;
                s.priority = a.priority.unwrap_or_default();
                s.idle_ms = if deadline != 0 { a.idle_ms } else { 0 };
                s.tags = a.tags;
                if let Some(i) = hint_idle {
                    s.idle_secs = i.min(u32::MAX as u64) as u32;
                }
                if let Some(f) = hint_freq {
                    s.lfu = f;
                }
                if !store.restore(db, s, opts.now, opts.merge) {
                    return Err(RdbError::Corrupt(format!(
                        "RDB has duplicated key '{}' in DB {db}",
                        String::from_utf8_lossy(&key)
                    )));
                }
                report.keys += 1;
            }
        }
    }
    if version >= 5 {
        let expected = r.checksum();
        let stored = r.read_u64_le()?;
        if stored != 0 && stored != expected {
            return Err(corrupt("Wrong RDB checksum"));
        }
    }
    store.raise_counters(counters.0, counters.1);
    for l in locks {
        store.restore_lock(l.db, &l.key, l.handle, l.until, opts.now);
    }
    for (db, child, parents) in depends {
        let ps: Vec<&[u8]> = parents.iter().map(|p| &p[..]).collect();
        // A key that did not survive the load has no dependencies left.
        let _ = store.depend(db, &child, &ps, opts.now);
    }
    report.bytes = r.bytes_read();
    Ok(report)
}

fn db_of(store: &Store, n: u64) -> Result<usize, RdbError> {
    if n >= store.databases() as u64 {
        return Err(corrupt("attribute names a database out of range"));
    }
    Ok(n as usize)
}

fn read_policies(store: &Store, blob: &[u8]) -> Result<(), RdbError> {
    let mut b = Blob(blob);
    while !b.is_empty() {
        let db = db_of(store, b.varint()?)?;
        let default_ttl = b.varint()?;
        let bits = b.byte()?;
        let maxmemory = b.varint()?;
        let change = PolicyChange {
            default_ttl: Some(default_ttl),
            sliding: Some(bits & 1 != 0),
            evict: Some(bits & 2 != 0),
            maxmemory: Some(maxmemory),
        };
        store
            .set_policy(db, change)
            .map_err(|_| corrupt("a database policy out of range"))?;
    }
    Ok(())
}

/// A database, a child and its parents, read from `fc-depends`.
type Depends = (usize, Vec<u8>, Vec<Vec<u8>>);

fn read_locks(store: &Store, blob: &[u8], out: &mut Vec<SavedLock>) -> Result<(), RdbError> {
    let mut b = Blob(blob);
    while !b.is_empty() {
        let db = db_of(store, b.varint()?)?;
        let key = b.bytes()?.into();
        out.push(SavedLock {
            db,
            key,
            handle: b.varint()?,
            until: b.varint()?,
        });
    }
    Ok(())
}

fn read_depends(store: &Store, blob: &[u8], out: &mut Vec<Depends>) -> Result<(), RdbError> {
    let mut b = Blob(blob);
    while !b.is_empty() {
        let db = db_of(store, b.varint()?)?;
        let child = b.bytes()?.to_vec();
        let n = b.varint()?;
        let mut parents = Vec::new();
        for _ in 0..n {
            parents.push(b.bytes()?.to_vec());
        }
        out.push((db, child, parents));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Expiry, Value};

    const NOW: u64 = 1_700_000_000_000;

    fn opts<'a>() -> SaveOptions<'a> {
        SaveOptions {
            compress: true,
            checksum: true,
            hints: Hints::Idle,
            aux: &[],
            functions: &[],
        }
    }

    fn save_to_vec(store: &Store, o: &SaveOptions<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        let head = store.begin_snapshot(NOW, &|_| {});
        let rep = save_begun(store, &head, o, &mut out).unwrap();
        assert_eq!(rep.bytes, out.len() as u64);
        out
    }

    fn get(store: &Store, db: usize, key: &[u8]) -> Option<Vec<u8>> {
        store.with_slot(db, key, NOW, |s| s.peek().and_then(|i| i.as_str().map(<[u8]>::to_vec)))
    }

    #[test]
    fn a_saved_store_loads_whole_with_every_attribute() {
        let src = Store::new(4, NOW);
        for i in 0..500u32 {
            src.with_slot(0, format!("key:{i}").as_bytes(), NOW, |s| {
                s.set(
                    Value::Str(format!("value {i} {}", "x".repeat(i as usize % 40)).into_bytes()),
                    0,
                    i,
                )
            });
        }
        src.with_slot(2, b"in-two", NOW, |s| s.set(Value::Str(b"2".to_vec()), NOW + 60_000, 0));
        src.with_slot(3, b"slide", NOW, |s| {
            s.set_expiry(Value::Str(b"s".to_vec()), Expiry::sliding(30_000), 7);
            s.set_priority(Priority::NotRemovable);
            s.set_tags(&[b"red", b"blue"]);
        });
        src.with_slot(0, b"parent", NOW, |s| s.set(Value::Str(b"p".to_vec()), 0, 0));
        src.depend(0, b"key:1", &[b"parent"], NOW).unwrap();
        let lock = src.with_slot(0, b"key:2", NOW, |s| s.lock(60_000, false)).unwrap();
        src.set_policy(
            1,
            PolicyChange {
                default_ttl: Some(90),
                sliding: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        let version = src.with_slot(0, b"key:7", NOW, |s| s.peek().unwrap().version());

        let bytes = save_to_vec(&src, &opts());
        assert_eq!(&bytes[..9], b"REDIS0010");
        let dst = Store::new(4, NOW);
        let rep = load(
            &dst,
            &bytes[..],
            &LoadOptions {
                now: NOW,
                keep_expired: false,
                merge: false,
            },
        )
        .unwrap();
        assert_eq!(rep.keys, 503);
        assert_eq!(get(&dst, 0, b"key:499"), get(&src, 0, b"key:499"));
        assert_eq!(get(&dst, 2, b"in-two").as_deref(), Some(&b"2"[..]));
        dst.with_slot(0, b"key:7", NOW, |s| {
            let it = s.peek().unwrap();
            assert_eq!((it.version(), it.flags()), (version, 7));
        });
        dst.with_slot(2, b"in-two", NOW, |s| {
            assert_eq!(s.peek().unwrap().expire_at(), Some(NOW + 60_000))
        });
        dst.with_slot(3, b"slide", NOW, |s| {
            assert_eq!(s.peek().unwrap().idle_ms(), 30_000);
            assert_eq!(s.peek().unwrap().priority(), Priority::NotRemovable);
            assert_eq!(s.tags().len(), 2);
        });
        assert_eq!(
            dst.with_slot(0, b"key:2", NOW, |s| s.lock_state()).map(|l| l.handle),
            Some(lock.handle)
        );
        assert_eq!(dst.policy(1).default_ttl, 90);
        assert!(dst.policy(1).sliding);
        // The dependency came back: changing the parent removes the child.
        dst.with_slot(0, b"parent", NOW, |s| s.set(Value::Str(b"q".to_vec()), 0, 0));
        assert_eq!(get(&dst, 0, b"key:1"), None);
        assert!(dst.next_version() > version);
    }

    #[test]
    fn a_damaged_file_is_refused() {
        let src = Store::new(1, NOW);
        src.with_slot(0, b"k", NOW, |s| s.set(Value::Str(b"v".repeat(100)), 0, 0));
        let bytes = save_to_vec(&src, &opts());
        let lo = LoadOptions {
            now: NOW,
            keep_expired: false,
            merge: false,
        };
        for cut in 0..bytes.len() {
            assert!(load(&Store::new(1, NOW), &bytes[..cut], &lo).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        let n = flipped.len();
        flipped[n - 12] ^= 0x40;
        assert!(load(&Store::new(1, NOW), &flipped[..], &lo).is_err());
        // Without a checksum (rdbchecksum no) the file ends in zeros and loads.
        let o = SaveOptions {
            checksum: false,
            ..opts()
        };
        let plain = save_to_vec(&src, &o);
        assert_eq!(&plain[plain.len() - 8..], &[0; 8]);
        assert_eq!(load(&Store::new(1, NOW), &plain[..], &lo).unwrap().keys, 1);
    }

    #[test]
    fn expired_keys_are_left_out_unless_kept() {
        let src = Store::new(1, NOW);
        src.with_slot(0, b"soon", NOW, |s| s.set(Value::Str(b"v".to_vec()), NOW + 5, 0));
        let bytes = save_to_vec(&src, &opts());
        let later = |keep| LoadOptions {
            now: NOW + 10,
            keep_expired: keep,
            merge: false,
        };
        let rep = load(&Store::new(1, NOW), &bytes[..], &later(false)).unwrap();
        assert_eq!((rep.keys, rep.expired), (0, 1));
        let rep = load(&Store::new(1, NOW), &bytes[..], &later(true)).unwrap();
        assert_eq!((rep.keys, rep.expired), (1, 0));
    }
}
