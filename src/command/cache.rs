//! The legacy cache commands (`CACHE.*`): items with versions, pessimistic
//! locks with handles, sliding timeouts and priorities, for applications
//! written against AppFabric Caching, ScaleOut StateServer or NCache (see
//! `docs/commands.md` for the migration table).
//!
//! Versions are the store's item versions (what memcached `gets` shows);
//! locks live in the store beside the items ([`crate::store::Lock`]): a
//! plain write or removal from any command or protocol releases them. A
//! `CACHE.LOCK ... WAIT ms` that finds the key locked parks the client with
//! [`Ctx::block`] on the key; releasing a lock records the key as ready, so
//! the first waiter runs its CACHE.LOCK again.
//!
//! Tags (`TAGS n tag ...`) are parsed and refused for now with
//! [`errors::TAGS_PENDING`].

use super::args::{self, is};
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::server::Server;
use crate::store::{Expiry, Item, LockError, Priority, Slot, UnlockError, WrongType};

pub const COMMANDS: &[CommandSpec] = &[
    spec("cache.add", -3, WRITE | DENYOOM, "cache", add)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Stores an item only when the key is missing; returns its version.",
            "O(1)",
            "key value [EX seconds | PX milliseconds | SLIDE seconds] [PRIORITY priority] [TAGS numtags tag [tag ...]]",
        ),
    spec("cache.put", -3, WRITE | DENYOOM, "cache", put)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Stores an item, releasing any lock on it; returns its new version.",
            "O(1)",
            "key value [EX seconds | PX milliseconds | SLIDE seconds | KEEPTTL] [PRIORITY priority] [TAGS numtags tag [tag ...]] [IFVERSION version]",
        ),
    spec("cache.get", 2, READONLY | FAST, "cache", get)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Returns an item with its version, timeout, priority and lock state.",
            "O(1)",
            "key",
        ),
    spec("cache.getifnewer", 3, READONLY | FAST, "cache", getifnewer)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Returns an item and its version unless its version is the one given.",
            "O(1)",
            "key version",
        ),
    spec("cache.remove", -2, WRITE | FAST, "cache", remove)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Removes an item, locked or not, optionally only at a version or by its lock's holder.",
            "O(1)",
            "key [IFVERSION version | HANDLE handle]",
        ),
    spec("cache.lock", -3, WRITE | DENYOOM | BLOCKING, "cache", lock)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Locks an item and returns a new handle with its value and version, waiting for the lock when asked.",
            "O(1)",
            "key lock-milliseconds [CREATE] [WAIT milliseconds]",
        ),
    spec("cache.putunlock", -4, WRITE | DENYOOM, "cache", putunlock)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Stores an item locked under the handle given and releases the lock.",
            "O(1)",
            "key value handle [EX seconds | PX milliseconds | SLIDE seconds] [PRIORITY priority] [TAGS numtags tag [tag ...]]",
        ),
    spec("cache.unlock", -3, WRITE | FAST, "cache", unlock)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Releases the lock held under the handle given, optionally with a new timeout.",
            "O(1)",
            "key handle [EX seconds | PX milliseconds | SLIDE seconds]",
        ),
    spec("cache.forceunlock", 2, WRITE | FAST, "cache", forceunlock)
        .keys(1, 1, 1)
        .doc("0.1.0", "Releases a key's lock whoever holds it.", "O(1)", "key"),
    spec("cache.resetttl", -3, WRITE | FAST, "cache", resetttl)
        .keys(1, 1, 1)
        .doc(
            "0.1.0",
            "Gives an item a new timeout, keeping its version and lock.",
            "O(1)",
            "key <EX seconds | PX milliseconds | SLIDE seconds | PERSIST>",
        ),
];

/// Which options a command accepts.
mod allow {
    pub const TTL: u8 = 1;
    pub const KEEPTTL: u8 = 2;
    pub const PERSIST: u8 = 4;
    pub const PRIORITY: u8 = 8;
    pub const TAGS: u8 = 16;
    pub const IFVERSION: u8 = 32;
    pub const HANDLE: u8 = 64;
}

/// The options of a CACHE command, as given.
#[derive(Debug, Default, PartialEq, Eq)]
struct Opts {
    /// EX, PX, SLIDE or PERSIST (as [`Expiry::None`]).
    expiry: Option<Expiry>,
    keepttl: bool,
    priority: Option<Priority>,
    ifversion: Option<u64>,
    handle: Option<u64>,
}

/// A version or lock handle: a non-negative integer.
fn number(b: &[u8]) -> Result<u64, String> {
    match args::int(b) {
        Ok(v) if v >= 0 => Ok(v as u64),
        _ => Err(errors::NOT_INTEGER.into()),
    }
}

/// `SLIDE s`: an idle time the item's header can hold (u32 ms).
fn parse_slide(val: &[u8], cmd: &str) -> Result<Expiry, String> {
    let s = args::int(val).map_err(String::from)?;
    match s.checked_mul(1000) {
        Some(ms) if s > 0 && ms <= u32::MAX as i64 => Ok(Expiry::sliding(ms as u32)),
        _ => Err(errors::invalid_expire(cmd)),
    }
}

/// Reads the options in `a`, accepting those in `accepted`. Timeouts are
/// mutually exclusive, as are IFVERSION and HANDLE; TAGS is read whole and
/// then refused, since tags are not supported yet.
fn parse_opts(a: &[&[u8]], accepted: u8, now: u64, cmd: &str) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut tags = false;
    let mut i = 0;
    let ok = |flag: u8| accepted & flag != 0;
    while i < a.len() {
        let w = a[i];
        let next = a.get(i + 1).copied();
        let has_ttl = o.expiry.is_some() || o.keepttl;
        if (is(w, "ex") || is(w, "px")) && ok(allow::TTL) && !has_ttl {
            let v = next.ok_or(errors::SYNTAX)?;
            o.expiry = Some(Expiry::At(super::string::parse_expire(w, v, now, cmd)?));
            i += 2;
        } else if is(w, "slide") && ok(allow::TTL) && !has_ttl {
            o.expiry = Some(parse_slide(next.ok_or(errors::SYNTAX)?, cmd)?);
            i += 2;
        } else if is(w, "keepttl") && ok(allow::KEEPTTL) && !has_ttl {
            o.keepttl = true;
            i += 1;
        } else if is(w, "persist") && ok(allow::PERSIST) && !has_ttl {
            o.expiry = Some(Expiry::None);
            i += 1;
        } else if is(w, "priority") && ok(allow::PRIORITY) {
            let v = next.ok_or(errors::SYNTAX)?;
            o.priority = Some(Priority::parse(v).ok_or(errors::BAD_PRIORITY)?);
            i += 2;
        } else if is(w, "tags") && ok(allow::TAGS) && !tags {
            let n = args::uint(next.ok_or(errors::SYNTAX)?).map_err(String::from)?;
            if n == 0 || a.len() - (i + 2) < n {
                return Err(errors::SYNTAX.into());
            }
            tags = true;
            i += 2 + n;
        } else if is(w, "ifversion") && ok(allow::IFVERSION) && o.ifversion.is_none() && o.handle.is_none() {
            o.ifversion = Some(number(next.ok_or(errors::SYNTAX)?)?);
            i += 2;
        } else if is(w, "handle") && ok(allow::HANDLE) && o.ifversion.is_none() && o.handle.is_none() {
            o.handle = Some(number(next.ok_or(errors::SYNTAX)?)?);
            i += 2;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    if tags {
        return Err(errors::TAGS_PENDING.into());
    }
    Ok(o)
}

/// Runs `f` on the slot of `key`, with its shard locked.
fn with_slot<R>(srv: &Server, db: usize, now: u64, key: &[u8], f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
    let kh = srv.store.hash(key);
    let mut l = srv.store.lock(kh);
    let mut slot = l.slot(db, key, kh, now);
    f(&mut slot)
}

/// Stores a string item the way ADD, PUT and PUTUNLOCK do: the priority,
/// when given, replaces the one the item had.
fn store(s: &mut Slot<'_>, value: &[u8], expiry: Expiry, priority: Option<Priority>) -> u64 {
    let version = s.set_bytes(value, expiry, 0);
    if let Some(p) = priority {
        s.set_priority(p);
    }
    version
}

/// ```text
/// CACHE.ADD key value [EX s | PX ms | SLIDE s] [PRIORITY p] [TAGS n tag ...]
/// ```
/// The new version, or -EXISTS when the key holds an item or is locked
/// (a placeholder lock reserves a missing key for its holder).
fn add(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let accepted = allow::TTL | allow::PRIORITY | allow::TAGS;
    let o = match parse_opts(&a[3..], accepted, ctx.now, "cache.add") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let added = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| {
        if s.lock_state().is_some() || s.peek().is_some() {
            return None;
        }
        Some(store(s, a[2], o.expiry.unwrap_or(Expiry::None), o.priority))
    });
    match added {
        Some(v) => ctx.out.int(v as i64),
        None => ctx.error(errors::EXISTS),
    }
}

/// ```text
/// CACHE.PUT key value [EX s | PX ms | SLIDE s | KEEPTTL] [PRIORITY p] [TAGS n tag ...] [IFVERSION v]
/// ```
/// The new version; nil when IFVERSION is given and the item is missing or
/// at another version. Overwrites a locked item and releases its lock.
fn put(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let accepted = allow::TTL | allow::KEEPTTL | allow::PRIORITY | allow::TAGS | allow::IFVERSION;
    let o = match parse_opts(&a[3..], accepted, ctx.now, "cache.put") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let stored = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| {
        let current = s.peek().map(|e| (e.version(), e.expiry()));
        if o.ifversion.is_some() && o.ifversion != current.map(|c| c.0) {
            return None;
        }
        let expiry = match (o.keepttl, current) {
            (true, Some((_, e))) => e,
            _ => o.expiry.unwrap_or(Expiry::None),
        };
        Some(store(s, a[2], expiry, o.priority))
    });
    match stored {
        Some(v) => ctx.out.int(v as i64),
        None => ctx.out.null(),
    }
}

/// In RESP3 the name of the next field of a map; RESP2 has the bare array.
fn field(out: &mut Reply<'_>, name: &str) {
    if out.resp3 {
        out.bulk(name.as_bytes());
    }
}

/// CACHE.GET's reply for a string item.
fn write_item(out: &mut Reply<'_>, value: &[u8], it: &Item<'_>, now: u64, locked: bool) {
    if out.resp3 {
        out.map(7);
    } else {
        out.array(7);
    }
    field(out, "value");
    out.bulk(value);
    field(out, "version");
    out.int(it.version() as i64);
    field(out, "ttl");
    out.int(it.ttl_ms(now).map_or(-1, |t| t as i64));
    field(out, "expiry");
    out.bulk(match it.expiry() {
        Expiry::None => b"none",
        Expiry::At(_) => b"absolute",
        Expiry::Sliding { .. } => b"sliding",
    });
    field(out, "priority");
    out.bulk(it.priority().name().as_bytes());
    field(out, "tags");
    out.array(0);
    field(out, "locked");
    out.int(locked as i64);
}

/// ```text
/// CACHE.GET key
/// ```
/// nil, or [value, version, ttl-ms (-1 when none), "none" | "absolute" |
/// "sliding", priority, [tags], locked] (a map in RESP3). A read: it
/// ignores locks and restarts a sliding timeout.
fn get(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    let out = &mut ctx.out;
    let found = with_slot(srv, db, now, a[1], |s| {
        let locked = s.lock_state().is_some();
        let Some(it) = s.read(true) else { return Ok(false) };
        let v = it.as_str().ok_or(WrongType)?;
        write_item(out, v, &it, now, locked);
        Ok(true)
    });
    match found {
        Ok(true) => {}
        Ok(false) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// CACHE.GETIFNEWER key version
/// ```
/// [value, version], or nil when the item is missing or still at `version`.
fn getifnewer(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let have = match number(a[2]) {
        Ok(v) => v,
        Err(e) => return ctx.error(&e),
    };
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    let out = &mut ctx.out;
    let found = with_slot(srv, db, now, a[1], |s| {
        let Some(it) = s.read(true) else { return Ok(false) };
        let v = it.as_str().ok_or(WrongType)?;
        if it.version() == have {
            return Ok(false);
        }
        out.array(2);
        out.bulk(v);
        out.int(it.version() as i64);
        Ok(true)
    });
    match found {
        Ok(true) => {}
        Ok(false) => ctx.out.null_array(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// CACHE.REMOVE key [IFVERSION v | HANDLE h]
/// ```
/// 1 when removed; 0 when missing, at another version, or not locked under
/// `h`. Without HANDLE a locked item is removed too, and its lock released.
fn remove(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let o = match parse_opts(&a[2..], allow::IFVERSION | allow::HANDLE, ctx.now, "cache.remove") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let removed = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| {
        if o.handle.is_some() && s.lock_state().map(|l| l.handle) != o.handle {
            return false;
        }
        if o.ifversion.is_some() && s.peek().map(|e| e.version()) != o.ifversion {
            return false;
        }
        s.delete()
    });
    ctx.out.int(removed as i64);
}

/// What CACHE.LOCK found.
enum Locking {
    Done,
    Locked,
    NoKey,
    WrongType,
}

/// ```text
/// CACHE.LOCK key lock-ms [CREATE] [WAIT ms]
/// ```
/// [handle, value or nil, version (0 for a placeholder)]. lock-ms 0 takes
/// the `lock-timeout` setting. -LOCKED when another handle holds the lock:
/// at once, or with WAIT after waiting up to `ms` (0: as long as it takes)
/// behind the clients that waited first. -NOKEY when the key is missing and
/// CREATE not given; with it, the missing key is locked as a placeholder.
fn lock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let lock_ms = match args::int(a[2]) {
        Ok(ms) if ms >= 0 => ms as u64,
        Ok(_) => return ctx.error(&errors::invalid_expire("cache.lock")),
        Err(e) => return ctx.error(e),
    };
    let lock_ms = match lock_ms {
        0 => ctx.srv.settings.lock_timeout_ms(),
        ms => ms,
    };
    let (mut create, mut wait) = (false, None);
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "create") && !create {
            create = true;
            i += 1;
        } else if is(a[i], "wait") && wait.is_none() && i + 1 < a.len() {
            match args::int(a[i + 1]) {
                Ok(0) => wait = Some(0),
                Ok(ms) if ms > 0 => wait = Some(ctx.now.saturating_add(ms as u64)),
                Ok(_) => return ctx.error(errors::TIMEOUT_NEGATIVE),
                Err(e) => return ctx.error(e),
            }
            i += 2;
        } else {
            return ctx.error(errors::SYNTAX);
        }
    }
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    let out = &mut ctx.out;
    let r = with_slot(srv, db, now, a[1], |s| {
        if s.peek().is_some_and(|e| e.as_str().is_none()) {
            return Locking::WrongType;
        }
        match s.lock(lock_ms, create) {
            Ok(l) => {
                out.array(3);
                out.int(l.handle as i64);
                match s.read(true) {
                    Some(it) => {
                        out.bulk(it.as_str().unwrap_or_default());
                        out.int(it.version() as i64);
                    }
                    None => {
                        out.null();
                        out.int(0);
                    }
                }
                Locking::Done
            }
            Err(LockError::Locked) => Locking::Locked,
            Err(LockError::NoKey) => Locking::NoKey,
        }
    });
    match r {
        Locking::Done => {}
        Locking::Locked => match wait {
            Some(deadline) if !ctx.timed_out() => ctx.block(&a[1..2], deadline),
            _ => ctx.error(errors::LOCKED),
        },
        Locking::NoKey => ctx.error(errors::NOKEY),
        Locking::WrongType => ctx.error(errors::WRONGTYPE),
    }
}

fn unlock_error(ctx: &mut Ctx<'_>, e: UnlockError) {
    ctx.error(match e {
        UnlockError::BadHandle => errors::BADHANDLE,
        UnlockError::NotLocked => errors::NOTLOCKED,
    })
}

/// ```text
/// CACHE.PUTUNLOCK key value handle [EX s | PX ms | SLIDE s] [PRIORITY p] [TAGS n tag ...]
/// ```
/// Stores the item and releases the lock held under `handle`; the new
/// version. -BADHANDLE when another handle holds the lock, -NOTLOCKED when
/// none does (it timed out, or a plain write released it).
fn putunlock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let handle = match number(a[3]) {
        Ok(h) => h,
        Err(e) => return ctx.error(&e),
    };
    let accepted = allow::TTL | allow::PRIORITY | allow::TAGS;
    let o = match parse_opts(&a[4..], accepted, ctx.now, "cache.putunlock") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let r = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| {
        s.put_unlock(handle, a[2], o.expiry.unwrap_or(Expiry::None), o.priority)
    });
    match r {
        Ok(v) => ctx.out.int(v as i64),
        Err(e) => unlock_error(ctx, e),
    }
}

/// ```text
/// CACHE.UNLOCK key handle [EX s | PX ms | SLIDE s]
/// ```
/// OK, or -BADHANDLE / -NOTLOCKED. With a timeout the item takes it; without,
/// an item whose timeout passed while it was locked is removed now.
fn unlock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let handle = match number(a[2]) {
        Ok(h) => h,
        Err(e) => return ctx.error(&e),
    };
    let o = match parse_opts(&a[3..], allow::TTL, ctx.now, "cache.unlock") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    match with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| s.unlock(handle, o.expiry)) {
        Ok(()) => ctx.out.ok(),
        Err(e) => unlock_error(ctx, e),
    }
}

/// ```text
/// CACHE.FORCEUNLOCK key
/// ```
/// 1 when a lock was released, else 0.
fn forceunlock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let released = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| s.force_unlock());
    ctx.out.int(released as i64);
}

/// ```text
/// CACHE.RESETTTL key (EX s | PX ms | SLIDE s | PERSIST)
/// ```
/// 1, or 0 when the key is missing. The item keeps its version and lock.
fn resetttl(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let expiry = match parse_opts(&a[2..], allow::TTL | allow::PERSIST, ctx.now, "cache.resetttl") {
        Ok(Opts { expiry: Some(e), .. }) => e,
        Ok(_) => return ctx.error(errors::SYNTAX),
        Err(e) => return ctx.error(&e),
    };
    let done = with_slot(ctx.srv, ctx.db(), ctx.now, a[1], |s| match s.get_mut() {
        Some(mut e) => {
            e.retime_expiry(expiry);
            true
        }
        None => false,
    });
    ctx.out.int(done as i64);
}
