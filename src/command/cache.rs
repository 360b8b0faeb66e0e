//! The legacy cache commands (`CACHE.*`): items with versions, pessimistic
//! locks with handles, sliding timeouts and priorities, for applications
//! written against AppFabric Caching, ScaleOut StateServer or NCache (see
//! `docs/commands.md` for the migration table).
//!
//! Versions are the store's item versions (what memcached `gets` shows);
//! locks live in the store beside the items (`store::key_locks`): a
//! plain write or removal from any command or protocol releases them. A
//! `CACHE.LOCK ... WAIT ms` that finds the key locked parks the client with
//! [`Ctx::block`] on the key; releasing a lock records the key as ready, so
//! the first waiter runs its CACHE.LOCK again.
//!
//! Tags (`TAGS n tag ...`) and dependencies (CACHE.DEPEND) are indexes
//! the store keeps exact through every removal (`crate::store` links):
//! CACHE.TAGGED and CACHE.DELTAGGED read them, and a write or removal of a
//! parent removes its dependants.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{flags::*, key};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::store::{DependError, Expiry, Item, LockError, Priority, Slot, TagMatch, UnlockError, WrongType};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("cache.add", -3, WRITE | DENYOOM, "cache", add)
        .key_specs(&[key(1, OW | INSERT)])
        .doc(
            "0.1.0",
            "Stores an item only when the key is missing; returns its version.",
            "O(1)",
            "key value [EX seconds | PX milliseconds | SLIDE seconds] [PRIORITY priority] [TAGS numtags tag [tag ...]]",
        ),
    spec("cache.put", -3, WRITE | DENYOOM, "cache", put)
        .key_specs(&[key(1, OW | UPDATE)])
        .doc(
            "0.1.0",
            "Stores an item, releasing any lock on it; returns its new version.",
            "O(1)",
            "key value [EX seconds | PX milliseconds | SLIDE seconds | KEEPTTL] [PRIORITY priority] [TAGS numtags tag [tag ...]] [IFVERSION version]",
        ),
    spec("cache.get", 2, READONLY | FAST, "cache", get)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "0.1.0",
            "Returns an item with its version, timeout, priority and lock state.",
            "O(1)",
            "key",
        ),
    spec("cache.getifnewer", 3, READONLY | FAST, "cache", getifnewer)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "0.1.0",
            "Returns an item and its version unless its version is the one given.",
            "O(1)",
            "key version",
        ),
    spec("cache.remove", -2, WRITE | FAST, "cache", remove)
        .key_specs(&[key(1, RM | DELETE)])
        .doc(
            "0.1.0",
            "Removes an item, locked or not, optionally only at a version or by its lock's holder.",
            "O(1)",
            "key [IFVERSION version | HANDLE handle]",
        ),
    spec("cache.lock", -3, WRITE | DENYOOM | BLOCKING, "cache", lock)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "0.1.0",
            "Locks an item and returns a new handle with its value and version, waiting for the lock when asked.",
            "O(1)",
            "key lock-milliseconds [CREATE] [WAIT milliseconds]",
        ),
    spec("cache.putunlock", -4, WRITE | DENYOOM, "cache", putunlock)
        .key_specs(&[key(1, OW | UPDATE)])
        .doc(
            "0.1.0",
            "Stores an item locked under the handle given and releases the lock.",
            "O(1)",
            "key value handle [EX seconds | PX milliseconds | SLIDE seconds] [PRIORITY priority] [TAGS numtags tag [tag ...]]",
        ),
    spec("cache.unlock", -3, WRITE | FAST, "cache", unlock)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "0.1.0",
            "Releases the lock held under the handle given, optionally with a new timeout.",
            "O(1)",
            "key handle [EX seconds | PX milliseconds | SLIDE seconds]",
        ),
    spec("cache.forceunlock", 2, WRITE | FAST, "cache", forceunlock)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc("0.1.0", "Releases a key's lock whoever holds it.", "O(1)", "key"),
    spec("cache.resetttl", -3, WRITE | FAST, "cache", resetttl)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "0.1.0",
            "Gives an item a new timeout, keeping its version and lock.",
            "O(1)",
            "key <EX seconds | PX milliseconds | SLIDE seconds | PERSIST>",
        ),
    spec("cache.flags", 3, WRITE | FAST, "cache", flags)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "0.1.0",
            "Sets the memcached client flags of a string item, keeping its value and timeout.",
            "O(1)",
            "key flags",
        ),
    spec("cache.tagged", -4, READONLY, "cache", tagged).doc(
        "0.1.0",
        "Returns the keys of the items carrying any or all of the tags given, optionally with their values.",
        "O(N) where N is the number of items carrying the tags, plus the number of shards.",
        "<ANY | ALL> numtags tag [tag ...] [WITHVALUES]",
    ),
    spec("cache.deltagged", -4, WRITE, "cache", deltagged).doc(
        "0.1.0",
        "Removes the items carrying any or all of the tags given.",
        "O(N) where N is the number of items carrying the tags, plus the number of shards.",
        "<ANY | ALL> numtags tag [tag ...]",
    ),
    spec("cache.depend", -3, WRITE | DENYOOM, "cache", depend)
        .key_specs(&[
            key(1, RW | UPDATE),
            key(2, RO).range(-1, 1, 0).notes("Parents are only checked to exist; a write to one later removes the child"),
        ])
        .doc(
            "0.1.0",
            "Makes an item depend on others: writing or removing any of them removes it.",
            "O(N) where N is the number of parents, plus the size of the child's dependants when checking for cycles.",
            "child parent [parent ...]",
        ),
];

/// Which options a command accepts.
mod allow {
    pub(crate) const TTL: u8 = 1;
    pub(crate) const KEEPTTL: u8 = 2;
    pub(crate) const PERSIST: u8 = 4;
    pub(crate) const PRIORITY: u8 = 8;
    pub(crate) const TAGS: u8 = 16;
    pub(crate) const IFVERSION: u8 = 32;
    pub(crate) const HANDLE: u8 = 64;
}

/// The options of a CACHE command, as given.
#[derive(Debug, Default, PartialEq, Eq)]
struct Opts<'a> {
    /// EX, PX, SLIDE or PERSIST (as [`Expiry::None`]).
    expiry: Option<Expiry>,
    keepttl: bool,
    priority: Option<Priority>,
    ifversion: Option<u64>,
    handle: Option<u64>,
    /// TAGS: the item's tags replace the ones it had.
    tags: Option<Vec<&'a [u8]>>,
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

/// `numtags tag [tag ...]` at the start of `a`: the tags, and the
/// arguments they took. At least one tag, and no more than are given.
fn parse_tags<'a>(a: &[&'a [u8]]) -> Result<(Vec<&'a [u8]>, usize), String> {
    let n = args::uint(a.first().ok_or(errors::SYNTAX)?).map_err(String::from)?;
    if n == 0 || a.len() - 1 < n {
        return Err(errors::SYNTAX.into());
    }
    Ok((a[1..=n].to_vec(), n + 1))
}

/// Reads the options in `a`, accepting those in `accepted`. Timeouts are
/// mutually exclusive, as are IFVERSION and HANDLE.
fn parse_opts<'a>(a: &[&'a [u8]], accepted: u8, now: u64, cmd: &str) -> Result<Opts<'a>, String> {
    let mut o = Opts::default();
    let mut i = 0;
    let ok = |flag: u8| accepted & flag != 0;
    while i < a.len() {
        let w = a[i];
        let next = a.get(i + 1).copied();
        let has_ttl = o.expiry.is_some() || o.keepttl;
        let timed = is(w, "ex") || is(w, "px") || is(w, "exat") || is(w, "pxat");
        if timed && ok(allow::TTL) && !has_ttl {
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
        } else if is(w, "tags") && ok(allow::TAGS) && o.tags.is_none() {
            let (tags, used) = parse_tags(&a[i + 1..])?;
            o.tags = Some(tags);
            i += 1 + used;
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
    Ok(o)
}

/// Stores a string item the way ADD, PUT and PUTUNLOCK do: the priority,
/// when given, replaces the one the item had; the item is a new one, with
/// the tags given or none. With `keep`, the expiry is the item's own
/// (KEEPTTL), never the database's default timeout.
fn store(s: &mut Slot<'_>, value: &[u8], expiry: Expiry, o: &Opts<'_>, keep: bool) -> u64 {
    let version = match keep {
        true => s.set_bytes_exact(value, expiry, 0),
        false => s.set_bytes(value, expiry, 0),
    };
    finish_store(s, o);
    version
}

/// The PRIORITY and TAGS of a store, applied to the item just written.
fn finish_store(s: &mut Slot<'_>, o: &Opts<'_>) {
    if let Some(p) = o.priority {
        s.set_priority(p);
    }
    if let Some(tags) = &o.tags {
        s.set_tags(tags);
    }
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
    let added = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| {
        if s.lock_state().is_some() || s.peek().is_some() {
            return None;
        }
        Some(store(s, a[2], o.expiry.unwrap_or(Expiry::None), &o, false))
    });
    match added {
        Some(v) => {
            notify::event(ctx.srv, class::CACHE, "cache_add", ctx.client.db, a[1]);
            ctx.out.int(v as i64)
        }
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
    let stored = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| {
        let current = s.peek().map(|e| (e.version(), e.expiry()));
        if o.ifversion.is_some() && o.ifversion != current.map(|c| c.0) {
            return None;
        }
        let (expiry, keep) = match (o.keepttl, current) {
            (true, Some((_, e))) => (e, true),
            _ => (o.expiry.unwrap_or(Expiry::None), false),
        };
        Some(store(s, a[2], expiry, &o, keep))
    });
    match stored {
        Some(v) => {
            notify::event(ctx.srv, class::CACHE, "cache_put", ctx.client.db, a[1]);
            ctx.out.int(v as i64)
        }
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
fn write_item(out: &mut Reply<'_>, value: &[u8], it: &Item<'_>, now: u64, tags: &[Box<[u8]>], locked: bool) {
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
    out.array(tags.len());
    for t in tags {
        out.bulk(t);
    }
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
    let found = srv.store.with_slot(db, a[1], now, |s| {
        let locked = s.lock_state().is_some();
        let tags = s.tags().to_vec();
        let Some(it) = s.read(true) else { return Ok(false) };
        let v = it.as_str().ok_or(WrongType)?;
        write_item(out, v, &it, now, &tags, locked);
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
    let found = srv.store.with_slot(db, a[1], now, |s| {
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
    let removed = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| {
        if o.handle.is_some() && s.lock_state().map(|l| l.handle) != o.handle {
            return false;
        }
        if o.ifversion.is_some() && s.peek().map(|e| e.version()) != o.ifversion {
            return false;
        }
        s.delete()
    });
    if removed {
        notify::event(ctx.srv, class::CACHE, "cache_remove", ctx.client.db, a[1]);
    }
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
    let (mut create, mut wait, mut until) = (false, None, None);
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "create") && !create {
            create = true;
            i += 1;
        } else if is(a[i], "pxat") && until.is_none() && i + 1 < a.len() {
            match args::int(a[i + 1]) {
                Ok(t) if t > 0 => until = Some(t as u64),
                Ok(_) => return ctx.error(&errors::invalid_expire("cache.lock")),
                Err(e) => return ctx.error(e),
            }
            i += 2;
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
    let lock_ms = until.map_or(lock_ms, |t| t.saturating_sub(now));
    let out = &mut ctx.out;
    let r = srv.store.with_slot(db, a[1], now, |s| {
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
        Locking::Done => notify::event(srv, class::CACHE, "cache_lock", db, a[1]),
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
    let r = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| {
        let version = s.put_unlock(handle, a[2], o.expiry.unwrap_or(Expiry::None))?;
        finish_store(s, &o);
        Ok(version)
    });
    match r {
        Ok(v) => {
            notify::event(ctx.srv, class::CACHE, "cache_put", ctx.client.db, a[1]);
            notify::event(ctx.srv, class::CACHE, "cache_unlock", ctx.client.db, a[1]);
            ctx.out.int(v as i64)
        }
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
    match ctx
        .srv
        .store
        .with_slot(ctx.db(), a[1], ctx.now, |s| s.unlock(handle, o.expiry))
    {
        Ok(()) => {
            notify::event(ctx.srv, class::CACHE, "cache_unlock", ctx.client.db, a[1]);
            ctx.out.ok()
        }
        Err(e) => unlock_error(ctx, e),
    }
}

/// ```text
/// CACHE.FORCEUNLOCK key
/// ```
/// 1 when a lock was released, else 0.
fn forceunlock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let released = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| s.force_unlock());
    if released {
        notify::event(ctx.srv, class::CACHE, "cache_unlock", ctx.client.db, a[1]);
    }
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
    let done = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| match s.get_mut() {
        Some(mut e) => {
            e.retime_expiry(expiry);
            true
        }
        None => false,
    });
    if done {
        notify::event(ctx.srv, class::CACHE, "cache_resetttl", ctx.client.db, a[1]);
    }
    ctx.out.int(done as i64);
}

/// ```text
/// CACHE.FLAGS key flags
/// ```
/// Replies 1, or 0 when the key is missing or not a string. The item
/// keeps its value, version, timeout and lock. A primary sends it to its
/// replicas after a memcached write with flags.
fn flags(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let flags = match args::int(a[2]) {
        Ok(f) if (0..=u32::MAX as i64).contains(&f) => f as u32,
        _ => return ctx.error(errors::NOT_INTEGER),
    };
    let done = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |s| match s.get_mut() {
        Some(mut e) if e.entry().as_str().is_some() => {
            e.set_flags(flags);
            true
        }
        _ => false,
    });
    ctx.out.int(done as i64);
}

/// A tag query: how to match, the tags, and the arguments after them.
type TagQuery<'a, 'b> = (TagMatch, Vec<&'a [u8]>, &'b [&'a [u8]]);

/// `ANY | ALL numtags tag ...` of CACHE.TAGGED and CACHE.DELTAGGED.
fn parse_tag_query<'a, 'b>(a: &'b [&'a [u8]]) -> Result<TagQuery<'a, 'b>, String> {
    let how = if is(a[1], "any") {
        TagMatch::Any
    } else if is(a[1], "all") {
        TagMatch::All
    } else {
        return Err(errors::SYNTAX.into());
    };
    let (tags, used) = parse_tags(&a[2..])?;
    Ok((how, tags, &a[2 + used..]))
}

/// ```text
/// CACHE.TAGGED (ANY | ALL) numtags tag [tag ...] [WITHVALUES]
/// ```
/// The keys of the items carrying any (or all) of the tags, in no set
/// order. With WITHVALUES, key and value pairs (a map in RESP3), each item
/// read as GET reads it.
fn tagged(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (how, tags, rest) = match parse_tag_query(a) {
        Ok(q) => q,
        Err(e) => return ctx.error(&e),
    };
    let values = match rest {
        [] => false,
        [w] if is(w, "withvalues") => true,
        _ => return ctx.error(errors::SYNTAX),
    };
    let mut found: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    ctx.srv.store.tagged(ctx.db(), &tags, how, values, ctx.now, |k, it| {
        let v = values.then(|| it.as_str().map(<[u8]>::to_vec)).flatten();
        found.push((k.to_vec(), v));
    });
    let out = &mut ctx.out;
    if !values {
        out.array(found.len());
        for (k, _) in &found {
            out.bulk(k);
        }
        return;
    }
    if out.resp3 {
        out.map(found.len());
    } else {
        out.array(found.len() * 2);
    }
    for (k, v) in &found {
        out.bulk(k);
        match v {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
}

/// ```text
/// CACHE.DELTAGGED (ANY | ALL) numtags tag [tag ...]
/// ```
/// The number of items removed.
fn deltagged(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (how, tags) = match parse_tag_query(a) {
        Ok((how, tags, [])) => (how, tags),
        Ok(_) => return ctx.error(errors::SYNTAX),
        Err(e) => return ctx.error(&e),
    };
    let n = ctx.srv.store.delete_tagged(ctx.db(), &tags, how, ctx.now);
    ctx.out.int(n as i64);
}

/// ```text
/// CACHE.DEPEND child parent [parent ...]
/// ```
/// OK: from now on a write or removal of any parent removes the child,
/// and its own dependants in turn. -NOKEY when a key is missing, -CYCLE
/// when a parent is the child or depends on it.
fn depend(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match ctx.srv.store.depend(ctx.db(), a[1], &a[2..], ctx.now) {
        Ok(()) => {
            notify::event(ctx.srv, class::CACHE, "cache_depend", ctx.client.db, a[1]);
            ctx.out.ok()
        }
        Err(DependError::NoKey) => ctx.error(errors::DEPEND_NOKEY),
        Err(DependError::Cycle) => ctx.error(errors::CYCLE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;

    /// An integer reply's value.
    fn int(h: &mut Harness, line: &str) -> i64 {
        let r = h.run(line);
        r.strip_prefix(':')
            .and_then(|r| r.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{line}: {r}"))
    }

    /// The handle of a CACHE.LOCK reply.
    fn lock(h: &mut Harness, line: &str) -> u64 {
        let r = h.run(line);
        r.strip_prefix("*3\r\n:")
            .and_then(|r| r.split("\r\n").next())
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("{line}: {r}"))
    }

    fn err(e: &str) -> String {
        format!("-{e}\r\n")
    }

    #[test]
    fn add_stores_a_missing_key_and_refuses_an_existing_or_reserved_one() {
        let mut h = Harness::new();
        let v = int(&mut h, "CACHE.ADD k v");
        assert!(v > 0);
        assert_eq!(h.run("CACHE.ADD k w"), err(errors::EXISTS));
        assert_eq!(h.run("GET k"), "$1\r\nv\r\n");
        lock(&mut h, "CACHE.LOCK r 1000 CREATE");
        assert_eq!(
            h.run("CACHE.ADD r w"),
            err(errors::EXISTS),
            "a placeholder reserves the key"
        );
    }

    #[test]
    fn absolute_timeouts_and_flags_as_a_primary_sends_them() {
        let mut h = Harness::new();
        let t = h.now + 50_000;
        let v = int(&mut h, &format!("CACHE.PUT k v PXAT {t}"));
        assert_eq!(int(&mut h, "PEXPIRETIME k"), t as i64);
        assert_eq!(int(&mut h, &format!("CACHE.RESETTTL k EXAT {}", t / 1000 + 10)), 1);
        assert_eq!(int(&mut h, "PEXPIRETIME k"), (t / 1000 + 10) as i64 * 1000);
        // A lock's deadline given as a time: it holds until then.
        let until = h.now + 20_000;
        let handle = lock(&mut h, &format!("CACHE.LOCK k 5 PXAT {until}"));
        assert_eq!(h.at(10_000, "CACHE.LOCK k 5"), err(errors::LOCKED));
        // CACHE.FLAGS keeps the version and the lock.
        assert_eq!(int(&mut h, "CACHE.FLAGS k 42"), 1);
        let r = h.at(10_000, "CACHE.GET k");
        assert!(r.contains(&format!(":{v}\r\n")) && r.ends_with(":1\r\n"), "{r}");
        assert_eq!(h.at(10_000, &format!("CACHE.UNLOCK k {handle}")), "+OK\r\n");
        assert!(h.at(25_000, "CACHE.LOCK k 5").starts_with("*3"));
        assert_eq!(
            h.run("CACHE.LOCK k 5 PXAT 0"),
            err(&errors::invalid_expire("cache.lock"))
        );
    }

    #[test]
    fn every_write_gives_a_new_version_from_any_command() {
        let mut h = Harness::new();
        let v1 = int(&mut h, "CACHE.PUT k 1");
        h.run("INCR k");
        assert_eq!(
            h.run(&format!("CACHE.PUT k 5 IFVERSION {v1}")),
            "$-1\r\n",
            "INCR changed it"
        );
        let r = h.run("CACHE.GETIFNEWER k 0");
        let v3: i64 = r.rsplit(':').next().unwrap().trim_end().parse().unwrap();
        assert!(v3 > v1, "INCR gave a new version");
        let v4 = int(&mut h, &format!("CACHE.PUT k 7 IFVERSION {v3}"));
        assert!(v4 > v3);
    }

    #[test]
    fn put_with_ifversion_answers_nil_when_the_version_differs_or_the_key_is_missing() {
        let mut h = Harness::new();
        assert_eq!(h.run("CACHE.PUT k v IFVERSION 1"), "$-1\r\n");
        let v = int(&mut h, "CACHE.PUT k v");
        assert_eq!(h.run(&format!("CACHE.PUT k w IFVERSION {}", v + 1)), "$-1\r\n");
        assert_eq!(h.run("GET k"), "$1\r\nv\r\n");
        assert!(int(&mut h, &format!("CACHE.PUT k w IFVERSION {v}")) > v);
    }

    #[test]
    fn put_overwrites_a_locked_item_and_the_old_handle_goes_stale() {
        let mut h = Harness::new();
        h.run("CACHE.PUT k v");
        let l = lock(&mut h, "CACHE.LOCK k 10000");
        int(&mut h, "CACHE.PUT k w");
        assert_eq!(h.run(&format!("CACHE.PUTUNLOCK k x {l}")), err(errors::NOTLOCKED));
        assert_eq!(h.run(&format!("CACHE.UNLOCK k {l}")), err(errors::NOTLOCKED));
        assert_eq!(h.run("GET k"), "$1\r\nw\r\n");
    }

    #[test]
    fn plain_set_and_del_release_the_lock() {
        let mut h = Harness::new();
        h.run("SET k v");
        lock(&mut h, "CACHE.LOCK k 10000");
        h.run("SET k w");
        lock(&mut h, "CACHE.LOCK k 10000");
        assert_eq!(h.run("DEL k"), ":1\r\n", "DEL removes a locked item");
        assert_eq!(h.run("CACHE.FORCEUNLOCK k"), ":0\r\n");
    }

    #[test]
    fn get_reports_value_version_timeout_priority_and_lock() {
        let mut h = Harness::new();
        assert_eq!(h.run("CACHE.GET k"), "$-1\r\n");
        let v = int(&mut h, "CACHE.PUT k hello SLIDE 10 PRIORITY High");
        lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(
            h.run("CACHE.GET k"),
            format!("*7\r\n$5\r\nhello\r\n:{v}\r\n:10000\r\n$7\r\nsliding\r\n$4\r\nhigh\r\n*0\r\n:1\r\n")
        );
        h.client.resp3 = true;
        let r = h.run("CACHE.GET k");
        assert!(
            r.starts_with("%7\r\n$5\r\nvalue\r\n$5\r\nhello\r\n$7\r\nversion\r\n"),
            "{r}"
        );
        assert!(r.ends_with("$6\r\nlocked\r\n:1\r\n"), "{r}");
        h.client.resp3 = false;
        int(&mut h, "CACHE.PUT a x EX 100");
        assert!(h
            .run("CACHE.GET a")
            .contains(":100000\r\n$8\r\nabsolute\r\n$6\r\nnormal\r\n*0\r\n:0\r\n"));
        int(&mut h, "CACHE.PUT n x");
        assert!(h.run("CACHE.GET n").contains(":-1\r\n$4\r\nnone\r\n"));
    }

    #[test]
    fn getifnewer_answers_nil_for_the_same_version_and_missing_keys() {
        let mut h = Harness::new();
        assert_eq!(h.run("CACHE.GETIFNEWER k 1"), "*-1\r\n");
        let v = int(&mut h, "CACHE.PUT k v");
        assert_eq!(h.run(&format!("CACHE.GETIFNEWER k {v}")), "*-1\r\n");
        assert_eq!(
            h.run(&format!("CACHE.GETIFNEWER k {}", v - 1)),
            format!("*2\r\n$1\r\nv\r\n:{v}\r\n")
        );
        assert_eq!(h.run("CACHE.GETIFNEWER k x"), err(errors::NOT_INTEGER));
    }

    #[test]
    fn remove_by_version_or_by_handle() {
        let mut h = Harness::new();
        let v = int(&mut h, "CACHE.PUT k v");
        assert_eq!(h.run(&format!("CACHE.REMOVE k IFVERSION {}", v + 1)), ":0\r\n");
        let l = lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(h.run(&format!("CACHE.REMOVE k HANDLE {}", l + 1)), ":0\r\n");
        assert_eq!(h.run(&format!("CACHE.REMOVE k HANDLE {l}")), ":1\r\n");
        assert_eq!(h.run("CACHE.REMOVE k"), ":0\r\n");
        int(&mut h, "CACHE.PUT k v");
        lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(h.run("CACHE.REMOVE k"), ":1\r\n", "a locked item too");
        assert_eq!(h.run("CACHE.REMOVE k IFVERSION 1 HANDLE 1"), err(errors::SYNTAX));
    }

    #[test]
    fn lock_returns_handle_value_and_version_and_refuses_a_second_locker() {
        let mut h = Harness::new();
        let v = int(&mut h, "CACHE.PUT k v");
        let r = h.run("CACHE.LOCK k 1000");
        let l = lock(&mut h, "CACHE.LOCK other 1000 CREATE");
        assert_eq!(r, format!("*3\r\n:{}\r\n$1\r\nv\r\n:{v}\r\n", l - 1));
        assert_eq!(h.run("CACHE.LOCK k 1000"), err(errors::LOCKED));
        assert_eq!(h.run("CACHE.LOCK missing 1000"), err(errors::NOKEY));
        assert_eq!(
            h.run("CACHE.LOCK fresh 1000 CREATE"),
            format!("*3\r\n:{}\r\n$-1\r\n:0\r\n", l + 1),
            "a placeholder: no value"
        );
        assert_eq!(h.run("GET fresh"), "$-1\r\n");
        h.run("HSET hash f v");
        assert_eq!(h.run("CACHE.LOCK hash 1000"), err(errors::WRONGTYPE));
        assert_eq!(h.run("CACHE.GET hash"), err(errors::WRONGTYPE));
        assert_eq!(h.run("CACHE.GETIFNEWER hash 0"), err(errors::WRONGTYPE));
        assert_eq!(h.run("CACHE.LOCK k -1"), err(&errors::invalid_expire("cache.lock")));
        assert_eq!(h.run("CACHE.LOCK k x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("CACHE.LOCK k 1 CREATE CREATE"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.LOCK k 1 WAIT"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.LOCK k 1 WAIT -1"), err(errors::TIMEOUT_NEGATIVE));
    }

    #[test]
    fn lock_with_wait_blocks_on_the_key_then_answers_locked_at_its_deadline() {
        let mut h = Harness::new();
        lock(&mut h, "CACHE.LOCK k 10000 CREATE");
        assert_eq!(h.run("CACHE.LOCK k 1000 WAIT 250"), "");
        let on = h.client.block.take().expect("blocked");
        assert_eq!(on.keys, vec![Box::from(&b"k"[..])]);
        assert_eq!(on.deadline, h.now + 250);
        h.client.timed_out = true;
        assert_eq!(h.run("CACHE.LOCK k 1000 WAIT 250"), err(errors::LOCKED));
        assert!(h.client.block.is_none());
        h.client.timed_out = false;
        h.run("CACHE.FORCEUNLOCK k");
        lock(&mut h, "CACHE.LOCK k 1000 CREATE WAIT 250");
        assert!(h.client.block.is_none(), "a free lock is taken at once");
    }

    #[test]
    fn a_lock_without_a_time_holds_for_the_lock_timeout_setting() {
        let mut h = Harness::new();
        assert_eq!(h.srv.settings.get("lock-timeout").as_deref(), Some("90"));
        h.srv.set_config(&[("lock-timeout", "5")]).expect("known setting");
        let l = lock(&mut h, "CACHE.LOCK k 0 CREATE");
        let t0 = h.now;
        h.now = t0 + 4_999;
        assert_eq!(h.run("CACHE.LOCK k 0"), err(errors::LOCKED));
        h.now = t0 + 5_000;
        assert!(lock(&mut h, "CACHE.LOCK k 0 CREATE") > l, "released by its timeout");
        assert!(h.srv.set_config(&[("lock-timeout", "0")]).is_err());
    }

    #[test]
    fn putunlock_and_unlock_check_the_handle() {
        let mut h = Harness::new();
        h.run("SET k v");
        assert_eq!(h.run("CACHE.PUTUNLOCK k w 1"), err(errors::NOTLOCKED));
        assert_eq!(h.run("CACHE.UNLOCK k 1"), err(errors::NOTLOCKED));
        let l = lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(h.run(&format!("CACHE.PUTUNLOCK k w {}", l + 1)), err(errors::BADHANDLE));
        assert_eq!(h.run(&format!("CACHE.UNLOCK k {}", l + 1)), err(errors::BADHANDLE));
        assert!(int(&mut h, &format!("CACHE.PUTUNLOCK k w {l} PX 5000 PRIORITY low")) > 0);
        assert!(h
            .run("CACHE.GET k")
            .contains(":5000\r\n$8\r\nabsolute\r\n$3\r\nlow\r\n*0\r\n:0\r\n"));
        let l = lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(h.run(&format!("CACHE.UNLOCK k {l} SLIDE 3")), "+OK\r\n");
        assert!(h.run("CACHE.GET k").contains(":3000\r\n$7\r\nsliding\r\n"));
        assert_eq!(h.run("CACHE.UNLOCK k x"), err(errors::NOT_INTEGER));
    }

    #[test]
    fn unlock_after_the_deadline_removes_the_item_unless_given_a_timeout() {
        let mut h = Harness::new();
        let t0 = h.now;
        h.run("CACHE.PUT a v PX 100");
        h.run("CACHE.PUT b v PX 100");
        let la = lock(&mut h, "CACHE.LOCK a 10000");
        let lb = lock(&mut h, "CACHE.LOCK b 10000");
        h.now = t0 + 1_000;
        assert_eq!(h.run("GET a"), "$1\r\nv\r\n", "a locked item never expires");
        assert_eq!(h.run(&format!("CACHE.UNLOCK a {la}")), "+OK\r\n");
        assert_eq!(h.run("EXISTS a"), ":0\r\n");
        assert_eq!(h.run(&format!("CACHE.UNLOCK b {lb} EX 10")), "+OK\r\n");
        assert_eq!(h.run("EXISTS b"), ":1\r\n");
    }

    #[test]
    fn forceunlock_releases_whoever_holds_the_lock() {
        let mut h = Harness::new();
        lock(&mut h, "CACHE.LOCK k 1000 CREATE");
        assert_eq!(h.run("CACHE.FORCEUNLOCK k"), ":1\r\n");
        assert_eq!(h.run("CACHE.FORCEUNLOCK k"), ":0\r\n");
        lock(&mut h, "CACHE.LOCK k 1000 CREATE");
    }

    #[test]
    fn resetttl_changes_the_timeout_and_keeps_version_and_lock() {
        let mut h = Harness::new();
        assert_eq!(h.run("CACHE.RESETTTL k EX 5"), ":0\r\n");
        let v = int(&mut h, "CACHE.PUT k v EX 5");
        lock(&mut h, "CACHE.LOCK k 1000");
        assert_eq!(h.run("CACHE.RESETTTL k SLIDE 7"), ":1\r\n");
        assert!(h.run("CACHE.GET k").contains(&format!(
            ":{v}\r\n:7000\r\n$7\r\nsliding\r\n$6\r\nnormal\r\n*0\r\n:1\r\n"
        )));
        assert_eq!(h.run("CACHE.RESETTTL k PERSIST"), ":1\r\n");
        assert_eq!(h.run("TTL k"), ":-1\r\n");
        assert_eq!(
            h.run("CACHE.RESETTTL k"),
            "-ERR wrong number of arguments for 'cache.resetttl' command\r\n"
        );
        assert_eq!(h.run("CACHE.RESETTTL k EX 1 PERSIST"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.RESETTTL k KEEPTTL"), err(errors::SYNTAX));
    }

    #[test]
    fn put_keepttl_keeps_the_timeout() {
        let mut h = Harness::new();
        h.run("CACHE.PUT k v EX 50");
        h.run("CACHE.PUT k w KEEPTTL");
        assert_eq!(h.run("PTTL k"), ":50000\r\n");
        h.run("CACHE.PUT k x");
        assert_eq!(h.run("PTTL k"), ":-1\r\n");
    }

    #[test]
    fn options_are_checked_as_redis_checks_set_options() {
        let mut h = Harness::new();
        let invalid = err(&errors::invalid_expire("cache.put"));
        assert_eq!(h.run("CACHE.PUT k v EX 0"), invalid);
        assert_eq!(h.run("CACHE.PUT k v SLIDE 0"), invalid);
        assert_eq!(h.run("CACHE.PUT k v SLIDE 4294968"), invalid, "more than u32 ms");
        assert_eq!(h.run("CACHE.PUT k v EX x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("CACHE.PUT k v EX 1 PX 1"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v EX 1 KEEPTTL"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.ADD k v KEEPTTL"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v PRIORITY urgent"), err(errors::BAD_PRIORITY));
        assert_eq!(h.run("CACHE.PUT k v EX"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v BOGUS"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v TAGS 1 a TAGS 1 b"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v TAGS 2 a"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v TAGS 0"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.PUT k v TAGS x a"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("EXISTS k"), ":0\r\n", "nothing refused was stored");
        assert_eq!(
            h.run("CACHE.PUT k"),
            "-ERR wrong number of arguments for 'cache.put' command\r\n"
        );
    }

    #[test]
    fn commands_are_declared_with_their_flags_and_keys() {
        let cmd = |n: &[u8]| super::super::lookup(n).expect("declared");
        for n in ["cache.add", "cache.put", "cache.putunlock", "cache.lock"] {
            assert!(cmd(n.as_bytes()).has(WRITE | DENYOOM), "{n}");
        }
        for n in ["cache.get", "cache.getifnewer"] {
            let c = cmd(n.as_bytes());
            assert!(c.has(READONLY) && !c.has(WRITE), "{n}");
        }
        assert!(cmd(b"CACHE.LOCK").has(BLOCKING));
        for c in COMMANDS {
            let keys = match c.name {
                "cache.tagged" | "cache.deltagged" => vec![],
                "cache.depend" => vec![1, 2, 3],
                _ => vec![1],
            };
            assert_eq!(
                c.key_positions(&[c.name.as_bytes(), b"a", b"b", b"c"]),
                keys,
                "{}",
                c.name
            );
        }
        assert!(cmd(b"cache.tagged").has(READONLY));
        assert!(cmd(b"cache.deltagged").has(WRITE) && cmd(b"cache.depend").has(WRITE | DENYOOM));
    }

    /// The sorted elements of a flat array reply of bulk strings.
    fn sorted_bulks(r: &str) -> Vec<String> {
        let mut v: Vec<String> = r.split("\r\n").skip(2).step_by(2).map(str::to_string).collect();
        v.retain(|x| !x.is_empty());
        v.sort();
        v
    }

    #[test]
    fn tags_are_listed_by_get_and_replaced_by_the_next_put() {
        let mut h = Harness::new();
        int(&mut h, "CACHE.PUT k v TAGS 3 red blue red");
        assert!(h.run("CACHE.GET k").contains("*2\r\n$3\r\nred\r\n$4\r\nblue\r\n"));
        int(&mut h, "CACHE.PUT k w TAGS 1 green");
        assert_eq!(h.run("CACHE.TAGGED ANY 1 red"), "*0\r\n");
        assert_eq!(h.run("CACHE.TAGGED ANY 1 green"), "*1\r\n$1\r\nk\r\n");
        int(&mut h, "CACHE.PUT k x");
        assert!(
            h.run("CACHE.GET k").contains("*0\r\n:0\r\n"),
            "a put without TAGS leaves none"
        );
        assert_eq!(h.run("CACHE.TAGGED ANY 1 green"), "*0\r\n");
    }

    #[test]
    fn tagged_any_and_all_with_and_without_values() {
        let mut h = Harness::new();
        int(&mut h, "CACHE.ADD a 1 TAGS 2 x y");
        int(&mut h, "CACHE.ADD b 2 TAGS 1 x");
        int(&mut h, "CACHE.ADD c 3 TAGS 1 y");
        h.run("SET d 4");
        assert_eq!(
            sorted_bulks(&h.run("CACHE.TAGGED ANY 2 x y")),
            ["a", "b", "c"],
            "each key once"
        );
        assert_eq!(sorted_bulks(&h.run("CACHE.TAGGED ALL 2 x y")), ["a"]);
        assert_eq!(sorted_bulks(&h.run("CACHE.TAGGED ALL 2 x z")), Vec::<String>::new());
        assert_eq!(
            h.run("CACHE.TAGGED ALL 1 x WITHVALUES").len(),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n".len()
        );
        assert_eq!(
            h.run("CACHE.TAGGED ALL 2 x y WITHVALUES"),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(h.run("CACHE.TAGGED SOME 1 x"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.TAGGED ANY 2 x"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.TAGGED ANY 1 x BOGUS"), err(errors::SYNTAX));
        assert_eq!(h.run("CACHE.DELTAGGED ANY 1 x WITHVALUES"), err(errors::SYNTAX));
    }

    #[test]
    fn deltagged_removes_the_matching_items_only() {
        let mut h = Harness::new();
        int(&mut h, "CACHE.ADD a 1 TAGS 2 x y");
        int(&mut h, "CACHE.ADD b 2 TAGS 1 x");
        int(&mut h, "CACHE.ADD c 3 TAGS 1 y");
        assert_eq!(h.run("CACHE.DELTAGGED ALL 2 x y"), ":1\r\n");
        assert_eq!(h.run("EXISTS a b c"), ":2\r\n");
        assert_eq!(h.run("CACHE.DELTAGGED ANY 2 x y"), ":2\r\n");
        assert_eq!(h.run("DBSIZE"), ":0\r\n");
        assert_eq!(h.run("CACHE.DELTAGGED ANY 1 x"), ":0\r\n");
    }

    #[test]
    fn tags_go_with_their_item_on_del_expiry_overwrite_and_flushdb() {
        let mut h = Harness::new();
        int(&mut h, "CACHE.ADD a 1 TAGS 1 t");
        int(&mut h, "CACHE.ADD b 1 PX 100 TAGS 1 t");
        int(&mut h, "CACHE.ADD c 1 TAGS 1 t");
        int(&mut h, "CACHE.ADD d 1 TAGS 1 t");
        h.run("DEL a");
        h.run("SET c plain");
        assert_eq!(h.at(200, "CACHE.TAGGED ANY 1 t"), "*1\r\n$1\r\nd\r\n");
        h.run("FLUSHDB");
        assert_eq!(h.run("CACHE.TAGGED ANY 1 t"), "*0\r\n");
        int(&mut h, "CACHE.ADD d 1");
        assert_eq!(
            h.run("CACHE.TAGGED ANY 1 t"),
            "*0\r\n",
            "a new item under the key has no tags"
        );
    }

    #[test]
    fn a_write_or_removal_of_a_parent_removes_its_children_down_the_chain() {
        let mut h = Harness::new();
        for k in ["p", "c", "g", "other"] {
            h.run(&format!("SET {k} v"));
        }
        assert_eq!(h.run("CACHE.DEPEND c p"), "+OK\r\n");
        assert_eq!(h.run("CACHE.DEPEND g c"), "+OK\r\n");
        h.run("APPEND p more");
        assert_eq!(
            h.run("EXISTS p c g other"),
            ":2\r\n",
            "c and g went with the write of p"
        );
        h.run("SET c v");
        h.run("SET g v");
        h.run("CACHE.DEPEND g c");
        h.run("DEL c");
        assert_eq!(h.run("EXISTS g"), ":0\r\n", "removal cascades too");
    }

    #[test]
    fn a_removed_child_no_longer_depends_on_its_parent() {
        let mut h = Harness::new();
        h.run("SET p v");
        h.run("SET c v");
        h.run("CACHE.DEPEND c p");
        h.run("DEL c");
        h.run("SET c new");
        h.run("SET p w");
        assert_eq!(h.run("GET c"), "$3\r\nnew\r\n", "the new c was never made dependent");
    }

    #[test]
    fn depend_refuses_missing_keys_and_cycles() {
        let mut h = Harness::new();
        h.run("SET a v");
        h.run("SET b v");
        h.run("SET c v");
        assert_eq!(h.run("CACHE.DEPEND a nope"), err(errors::DEPEND_NOKEY));
        assert_eq!(h.run("CACHE.DEPEND nope a"), err(errors::DEPEND_NOKEY));
        assert_eq!(h.run("CACHE.DEPEND a a"), err(errors::CYCLE));
        h.run("CACHE.DEPEND b a");
        h.run("CACHE.DEPEND c b");
        assert_eq!(h.run("CACHE.DEPEND a c"), err(errors::CYCLE));
        assert_eq!(h.run("CACHE.DEPEND a b c"), err(errors::CYCLE));
        assert_eq!(h.srv.store.dependencies(0), 2, "a refused dependency adds no edge");
        assert_eq!(
            h.run("CACHE.DEPEND a"),
            "-ERR wrong number of arguments for 'cache.depend' command\r\n"
        );
    }
}
