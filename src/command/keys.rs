//! Commands on keys of any type: existence and deletion, renaming and
//! copying (also across databases), expiry, iteration, and OBJECT.
//!
//! Commands that name several keys lock all of their shards at once with
//! [`crate::store::Store::lock_many`], so another client sees either none or
//! all of a DEL, RENAME, COPY or MOVE, never half of one.

use super::args::{self, is};
use super::categories as cat;
use super::flags::*;
use super::key_spec::{flags::*, key};
use super::notify::{self, class};
use super::{dispatch_sub, errors, spec, CommandSpec, Ctx};
use crate::store::{Entry, Item, KeyHash, ValueRef};
use crate::util::glob;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("del", -2, WRITE, "generic", del)
        .key_specs(&[key(1, RM | DELETE).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Deletes one or more keys.",
            "O(N) where N is the number of keys that will be removed.",
            "key [key ...]",
        ),
    spec("unlink", -2, WRITE | FAST, "generic", unlink)
        .key_specs(&[key(1, RM | DELETE).range(-1, 1, 0)])
        .doc(
            "4.0.0",
            "Deletes one or more keys, releasing their memory after the reply.",
            "O(1) for each key removed regardless of its size; the memory is reclaimed later.",
            "key [key ...]",
        ),
    spec("exists", -2, READONLY | FAST, "generic", exists)
        .key_specs(&[key(1, RO).range(-1, 1, 0)])
        .doc(
            "3.0.3",
            "Counts how many of the given keys exist; a key named twice counts twice.",
            "O(N) where N is the number of keys to check.",
            "key [key ...]",
        ),
    spec("type", 2, READONLY | FAST, "generic", type_cmd)
        .key_specs(&[key(1, RO)])
        .doc(
            "1.0.0",
            "Names the type of the value stored at a key, or none.",
            "O(1)",
            "key",
        ),
    spec("keys", 2, READONLY, "generic", keys)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .doc(
            "1.0.0",
            "Lists every key that matches a glob-style pattern.",
            "O(N) with N being the number of keys in the database.",
            "pattern",
        ),
    spec("scan", -2, READONLY, "generic", scan).doc(
        "2.8.0",
        "Iterates over the keys of the database a page at a time, from a cursor.",
        "O(1) for every call. O(N) for a complete iteration.",
        "cursor [MATCH pattern] [COUNT count] [TYPE type]",
    ),
    spec("randomkey", 1, READONLY, "generic", randomkey).doc(
        "1.0.0",
        "Returns a key picked at random from the database.",
        "O(1)",
        "",
    ),
    spec("rename", 3, WRITE, "generic", rename)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, OW | UPDATE)])
        .doc(
            "1.0.0",
            "Gives a key a new name, overwriting any key already holding that name.",
            "O(1)",
            "key newkey",
        ),
    spec("renamenx", 3, WRITE | FAST, "generic", renamenx)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, OW | INSERT)])
        .doc(
            "1.0.0",
            "Gives a key a new name only when no key holds that name yet.",
            "O(1)",
            "key newkey",
        ),
    spec("copy", -3, WRITE | DENYOOM, "generic", copy)
        .key_specs(&[key(1, RO | ACCESS), key(2, OW | UPDATE)])
        .doc(
            "6.2.0",
            "Duplicates a key's value and expiry under another name, possibly in another database.",
            "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
            "source destination [DB destination-db] [REPLACE]",
        ),
    spec("move", 3, WRITE | FAST, "generic", move_cmd)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "1.0.0",
            "Moves a key to another database when the name is free there.",
            "O(1)",
            "key db",
        ),
    spec("touch", -2, READONLY | FAST, "generic", touch)
        .key_specs(&[key(1, RO).range(-1, 1, 0)])
        .doc(
            "3.2.1",
            "Refreshes the last access time of keys and counts those that exist.",
            "O(N) where N is the number of keys that will be touched.",
            "key [key ...]",
        ),
    spec("expire", -3, WRITE | FAST, "generic", expire)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "1.0.0",
            "Sets a key's time to live in seconds.",
            "O(1)",
            "key seconds [NX | XX | GT | LT]",
        ),
    spec("pexpire", -3, WRITE | FAST, "generic", pexpire)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.6.0",
            "Sets a key's time to live in milliseconds.",
            "O(1)",
            "key milliseconds [NX | XX | GT | LT]",
        ),
    spec("expireat", -3, WRITE | FAST, "generic", expireat)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "1.2.0",
            "Sets a key's expiry to a Unix time in seconds.",
            "O(1)",
            "key unix-time-seconds [NX | XX | GT | LT]",
        ),
    spec("pexpireat", -3, WRITE | FAST, "generic", pexpireat)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.6.0",
            "Sets a key's expiry to a Unix time in milliseconds.",
            "O(1)",
            "key unix-time-milliseconds [NX | XX | GT | LT]",
        ),
    spec("persist", 2, WRITE | FAST, "generic", persist)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.2.0",
            "Removes a key's expiry, so it lives until deleted.",
            "O(1)",
            "key",
        ),
    spec("ttl", 2, READONLY | FAST, "generic", ttl)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Returns a key's remaining time to live in seconds.",
            "O(1)",
            "key",
        ),
    spec("pttl", 2, READONLY | FAST, "generic", pttl)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.6.0",
            "Returns a key's remaining time to live in milliseconds.",
            "O(1)",
            "key",
        ),
    spec("expiretime", 2, READONLY | FAST, "generic", expiretime)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "7.0.0",
            "Returns the Unix time in seconds at which a key expires.",
            "O(1)",
            "key",
        ),
    spec("pexpiretime", 2, READONLY | FAST, "generic", pexpiretime)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "7.0.0",
            "Returns the Unix time in milliseconds at which a key expires.",
            "O(1)",
            "key",
        ),
    OBJECT,
];

const OBJECT: CommandSpec = spec("object", -2, 0, "generic", object)
    .acl(0)
    .doc(
        "2.2.3",
        "A container for commands that inspect how a key's value is kept.",
        "Depends on subcommand.",
        "",
    )
    .subs(OBJECT_SUBS);

const OBJECT_SUBS: &[CommandSpec] = &[
    spec("object|encoding", 3, READONLY, "generic", object_encoding)
        .key_specs(&[key(2, RO)])
        .doc(
            "2.2.3",
            "Names the internal representation of a key's value.",
            "O(1)",
            "key",
        ),
    spec("object|freq", 3, READONLY, "generic", object_freq)
        .key_specs(&[key(2, RO)])
        .doc(
            "4.0.0",
            "Returns the logarithmic access frequency counter of a key (LFU policies only).",
            "O(1)",
            "key",
        ),
    spec("object|idletime", 3, READONLY, "generic", object_idletime)
        .key_specs(&[key(2, RO)])
        .doc(
            "2.2.3",
            "Returns the seconds since a key was last accessed.",
            "O(1)",
            "key",
        ),
    spec("object|refcount", 3, READONLY, "generic", object_refcount)
        .key_specs(&[key(2, RO)])
        .doc("2.2.3", "Returns the reference count of a key's value.", "O(1)", "key"),
    spec("object|help", 2, LOADING | STALE, "generic", object_help).doc(
        "6.2.0",
        "Lists the OBJECT subcommands.",
        "O(1)",
        "",
    ),
];

fn hashes(ctx: &Ctx<'_>, keys: &[&[u8]]) -> Vec<KeyHash> {
    keys.iter().map(|k| ctx.hash(k)).collect()
}

/// Removes each key (counted once per argument, as Redis counts) with all
/// their shards locked together, publishing `del` for each; returns the
/// number removed. The removed
/// entries are handed back so the caller frees them after the locks are
/// released, keeping a large value's free out of every other client's way.
pub(crate) fn delete_keys(ctx: &Ctx<'_>, db: usize, keys: &[&[u8]]) -> (i64, Vec<Entry>) {
    let khs = hashes(ctx, keys);
    let mut m = ctx.srv.store.lock_many(&khs);
    let removed: Vec<Entry> = keys
        .iter()
        .zip(&khs)
        .filter_map(|(k, kh)| {
            let e = m.slot(db, k, *kh, ctx.now).remove()?;
            // Key by key, after any `expired` the lookup caused.
            notify::event(ctx.srv, class::GENERIC, "del", db, k);
            Some(e)
        })
        .collect();
    (removed.len() as i64, removed)
}

/// ```text
/// DEL key [key ...]
/// ```
fn del(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (n, removed) = delete_keys(ctx, ctx.db(), &a[1..]);
    drop(removed);
    ctx.out.int(n);
}

/// ```text
/// UNLINK key [key ...]
/// ```
/// The keys disappear at once, like DEL; the memory of large ones is
/// released on a background thread, so unlinking a huge value does not
/// delay the reply.
fn unlink(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (n, removed) = delete_keys(ctx, ctx.db(), &a[1..]);
    crate::store::release(removed);
    ctx.out.int(n);
}

/// Counts the keys found, reading every one with all shards locked.
fn count_live(ctx: &Ctx<'_>, keys: &[&[u8]], touch: bool) -> i64 {
    let khs = hashes(ctx, keys);
    let db = ctx.db();
    let mut m = ctx.srv.store.lock_many(&khs);
    keys.iter()
        .zip(&khs)
        .filter(|(k, kh)| m.slot(db, k, **kh, ctx.now).read(touch).is_some())
        .count() as i64
}

/// ```text
/// EXISTS key [key ...]
/// ```
/// A key named twice counts twice. Counts keyspace hits and misses but
/// leaves access times alone, as Redis does.
fn exists(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = count_live(ctx, &a[1..], false);
    ctx.out.int(n);
}

/// ```text
/// TOUCH key [key ...]
/// ```
/// Touches even on a CLIENT NO-TOUCH connection: touching is its purpose.
fn touch(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = count_live(ctx, &a[1..], true);
    ctx.out.int(n);
}

/// Runs `f` on the live entry of `key` in the client's database, looked up
/// as a read that counts a hit or miss but does not touch.
fn inspect<T>(ctx: &Ctx<'_>, key: &[u8], f: impl FnOnce(&Item<'_>) -> T) -> Option<T> {
    ctx.srv
        .store
        .with_slot(ctx.db(), key, ctx.now, |slot| slot.read(false).map(|e| f(&e)))
}

/// ```text
/// TYPE key
/// ```
fn type_cmd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let t = inspect(ctx, a[1], |e| e.value().type_name()).unwrap_or("none");
    ctx.out.simple(t);
}

/// ```text
/// KEYS pattern
/// ```
fn keys(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let pattern = a[1];
    let all = pattern == b"*";
    let mut found: Vec<Vec<u8>> = Vec::new();
    ctx.srv.store.for_each_key(ctx.db(), ctx.now, |e| {
        if all || glob::matches(pattern, e.key(), false) {
            found.push(e.key().to_vec());
        }
    });
    ctx.out.bulks(found.iter());
}

/// Reads a SCAN cursor the way Redis does, with C's `strtoul`: an optional
/// sign (a minus wraps around), decimal digits, nothing else; the empty
/// string is cursor 0. Leading space and overflow are refused.
pub(crate) fn parse_cursor(b: &[u8]) -> Option<u64> {
    // The argument reaches Redis as a C string: it ends at the first NUL.
    let b = b.split(|&c| c == 0).next().unwrap_or_default();
    if b.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// ```text
/// The options of SCAN, HSCAN, SSCAN and ZSCAN after the cursor.
pub(crate) struct ScanOptions<'a> {
    pub(crate) count: usize,
    /// None for no pattern, or `*`, which matches everything.
    pub(crate) pattern: Option<&'a [u8]>,
    pub(crate) type_name: Option<&'a [u8]>,
}

impl ScanOptions<'_> {
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, name, false))
    }
}

/// Starts a SCAN-family reply: a two-element array, the next cursor first.
pub(crate) fn cursor_reply(out: &mut crate::protocol::resp::Reply<'_>, next: u64) {
    out.array(2);
    let mut num = Vec::with_capacity(20);
    crate::util::number::push_uint(&mut num, next);
    out.bulk(&num);
}

/// Reads `[MATCH pattern] [COUNT count]` (and `[TYPE type]` when
/// `with_type`) in any order, with Redis's errors.
pub(crate) fn scan_options<'a>(opts: &[&'a [u8]], with_type: bool) -> Result<ScanOptions<'a>, &'static str> {
    let mut o = ScanOptions {
        count: 10,
        pattern: None,
        type_name: None,
    };
    for pair in opts.chunks(2) {
        match *pair {
            [name, v] if is(name, "count") => match args::int(v)? {
                c if c < 1 => return Err(errors::SYNTAX),
                c => o.count = c as usize,
            },
            [name, v] if is(name, "match") => o.pattern = Some(v).filter(|p| *p != b"*"),
            [name, v] if with_type && is(name, "type") => o.type_name = Some(v),
            _ => return Err(errors::SYNTAX),
        }
    }
    Ok(o)
}

/// ```text
/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// ```
/// The cursor is a position in the store's hash order, so a key present
/// for the whole iteration is returned exactly once however the tables
/// grow or shrink in between. COUNT bounds the keys examined, not those
/// returned, and an unknown TYPE simply matches nothing.
fn scan(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(cursor) = parse_cursor(a[1]) else {
        return ctx.error(errors::INVALID_CURSOR);
    };
    let opts = match scan_options(&a[2..], true) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let page = ctx.srv.store.scan(ctx.db(), cursor, opts.count, ctx.now, |e| {
        opts.matches(e.key())
            && opts
                .type_name
                .is_none_or(|t| t.eq_ignore_ascii_case(e.value().type_name().as_bytes()))
    });
    cursor_reply(&mut ctx.out, page.cursor);
    ctx.out.bulks(page.keys.iter());
}

/// ```text
/// RANDOMKEY
/// ```
fn randomkey(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    match ctx
        .srv
        .store
        .random_key(ctx.db(), ctx.now, crate::util::rand::rand_u64())
    {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
}

/// What RENAME or RENAMENX did.
enum Renamed {
    NoSuchKey,
    /// RENAMENX found the new name taken.
    Taken,
    Done,
}

fn rename_key(ctx: &Ctx<'_>, src: &[u8], dst: &[u8], nx: bool) -> Renamed {
    let (ks, kd) = (ctx.hash(src), ctx.hash(dst));
    let db = ctx.db();
    let mut m = ctx.srv.store.lock_many(&[ks, kd]);
    if m.slot(db, src, ks, ctx.now).get_mut().is_none() {
        return Renamed::NoSuchKey;
    }
    // Renaming a key onto itself changes nothing, but RENAMENX still
    // reports the name as taken.
    if src == dst {
        return if nx { Renamed::Taken } else { Renamed::Done };
    }
    if nx && m.slot(db, dst, kd, ctx.now).get_mut().is_some() {
        return Renamed::Taken;
    }
    if let Some(e) = m.slot(db, src, ks, ctx.now).remove() {
        m.slot(db, dst, kd, ctx.now).adopt(e);
        drop(m);
        notify::event(ctx.srv, class::GENERIC, "rename_from", db, src);
        notify::event(ctx.srv, class::GENERIC, "rename_to", db, dst);
    }
    Renamed::Done
}

/// ```text
/// RENAME key newkey
/// ```
/// The value keeps its expiry; whatever `newkey` held is dropped.
fn rename(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match rename_key(ctx, a[1], a[2], false) {
        Renamed::NoSuchKey => ctx.error(errors::NO_SUCH_KEY),
        Renamed::Taken | Renamed::Done => ctx.out.ok(),
    }
}

/// ```text
/// RENAMENX key newkey
/// ```
fn renamenx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match rename_key(ctx, a[1], a[2], true) {
        Renamed::NoSuchKey => ctx.error(errors::NO_SUCH_KEY),
        Renamed::Taken => ctx.out.int(0),
        Renamed::Done => ctx.out.int(1),
    }
}

/// A database number argument (COPY ... DB, MOVE): a 32-bit integer, then
/// an existing database, with Redis's error for each step.
fn db_index(ctx: &Ctx<'_>, b: &[u8]) -> Result<usize, &'static str> {
    let v = args::int(b)?;
    let v = i32::try_from(v).map_err(|_| errors::NOT_INT32)?;
    if v < 0 || v as usize >= ctx.srv.store.databases() {
        return Err(errors::DB_INDEX);
    }
    Ok(v as usize)
}

/// ```text
/// COPY source destination [DB destination-db] [REPLACE]
/// ```
/// The copy gets the source's value, expiry and memcached flags, and a
/// fresh access time, as a duplicated object does in Redis.
fn copy(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let db = ctx.db();
    let mut dst_db = db;
    let mut replace = false;
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "replace") {
            replace = true;
        } else if is(a[i], "db") && i + 1 < a.len() {
            match db_index(ctx, a[i + 1]) {
                Ok(d) => dst_db = d,
                Err(e) => return ctx.error(e),
            }
            i += 1;
        } else {
            return ctx.error(errors::SYNTAX);
        }
        i += 1;
    }
    let (src, dst) = (a[1], a[2]);
    if db == dst_db && src == dst {
        return ctx.error(errors::SAME_OBJECT);
    }
    let (ks, kd) = (ctx.hash(src), ctx.hash(dst));
    let touch = !ctx.client.no_touch;
    let mut m = ctx.srv.store.lock_many(&[ks, kd]);
    let Some((value, expiry, flags)) = m
        .slot(db, src, ks, ctx.now)
        .read(touch)
        .map(|e| (e.value().to_value(), e.expiry(), e.flags()))
    else {
        drop(m);
        return ctx.out.int(0);
    };
    let mut slot = m.slot(dst_db, dst, kd, ctx.now);
    if slot.get_mut().is_some() {
        if !replace {
            drop(m);
            return ctx.out.int(0);
        }
        // Replaced as Redis replaces it, deleted then added: the copy is
        // a `new` key.
        slot.delete();
    }
    // The copy keeps the source's expiry, none included, as MOVE does.
    slot.set_expiry_exact(value, expiry, flags);
    drop(m);
    notify::event(ctx.srv, class::GENERIC, "copy_to", dst_db, dst);
    ctx.out.int(1);
}

/// ```text
/// MOVE key db
/// ```
/// Moves the entry itself, expiry and all; refuses when `key` exists in
/// the target database.
fn move_cmd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let dst_db = match db_index(ctx, a[2]) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let db = ctx.db();
    if dst_db == db {
        return ctx.error(errors::SAME_OBJECT);
    }
    let key = a[1];
    let kh = ctx.hash(key);
    // One key, one shard: both databases' tables live under the same lock.
    let mut l = ctx.srv.store.lock(kh);
    let moved = l.slot(db, key, kh, ctx.now).get_mut().is_some()
        && l.slot(dst_db, key, kh, ctx.now).get_mut().is_none()
        && match l.slot(db, key, kh, ctx.now).remove() {
            Some(e) => {
                l.slot(dst_db, key, kh, ctx.now).adopt(e);
                true
            }
            None => false,
        };
    drop(l);
    if moved {
        notify::event(ctx.srv, class::GENERIC, "move_from", db, key);
        notify::event(ctx.srv, class::GENERIC, "move_to", dst_db, key);
    }
    ctx.out.int(moved as i64);
}

/// The NX | XX | GT | LT options of the EXPIRE family.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ExpireCond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCond {
    fn parse(opts: &[&[u8]]) -> Result<ExpireCond, String> {
        let mut c = ExpireCond::default();
        for o in opts {
            if is(o, "nx") {
                c.nx = true;
            } else if is(o, "xx") {
                c.xx = true;
            } else if is(o, "gt") {
                c.gt = true;
            } else if is(o, "lt") {
                c.lt = true;
            } else {
                return Err(errors::unsupported_option(o));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(errors::EXPIRE_NX_AND_OTHERS.into());
        }
        if c.gt && c.lt {
            return Err(errors::EXPIRE_GT_AND_LT.into());
        }
        Ok(c)
    }

    /// Whether a key whose deadline is `current` (None: no expiry) takes
    /// the new deadline `when`. No expiry counts as infinitely far: GT
    /// never beats it and LT always does.
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !(self.xx || self.gt),
            Some(cur) => !(self.nx || (self.gt && when <= cur) || (self.lt && when >= cur)),
        }
    }
}

/// The deadline in Unix ms from an EXPIRE-family argument, refusing any
/// value whose conversion or addition overflows a signed 64-bit integer.
/// Negative and past times are valid: they delete the key.
fn expire_deadline(arg: &[u8], unit_ms: i64, base: i64, cmd: &str) -> Result<i64, String> {
    let v = args::int(arg).map_err(String::from)?;
    v.checked_mul(unit_ms)
        .and_then(|v| v.checked_add(base))
        .ok_or_else(|| errors::invalid_expire(cmd))
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `unit_ms` is 1000 for seconds,
/// `relative` adds the current time.
fn expire_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], cmd: &str, unit_ms: i64, relative: bool) {
    // Redis checks the options before the number.
    let cond = match ExpireCond::parse(&a[3..]) {
        Ok(c) => c,
        Err(e) => return ctx.error(&e),
    };
    let base = if relative { ctx.now as i64 } else { 0 };
    let when = match expire_deadline(a[2], unit_ms, base, cmd) {
        Ok(w) => w,
        Err(e) => return ctx.error(&e),
    };
    let now = ctx.now;
    let done = ctx.srv.store.with_slot(ctx.db(), a[1], now, |slot| {
        let expiry = slot.plain_expiry(when.max(0) as u64);
        // One lookup decides; Some(done), or None for "delete it".
        let decided = match slot.get_mut() {
            None => Some(false),
            Some(mut e) => {
                let current = e.entry().expire_at().map(|t| t as i64);
                if !cond.allows(current, when) {
                    Some(false)
                } else if when <= now as i64 {
                    // A deadline at or before now deletes the key at once.
                    None
                } else {
                    e.set_timeout(expiry, true);
                    Some(true)
                }
            }
        };
        decided
            .map(|set| (set, "expire"))
            .unwrap_or_else(|| (slot.remove().is_some(), "del"))
    });
    let (done, event) = done;
    if done {
        notify::event(ctx.srv, class::GENERIC, event, ctx.client.db, a[1]);
    }
    ctx.out.int(done as i64);
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
fn expire(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    expire_generic(ctx, a, "expire", 1000, true);
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
fn pexpire(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    expire_generic(ctx, a, "pexpire", 1, true);
}

/// ```text
/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
/// ```
fn expireat(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    expire_generic(ctx, a, "expireat", 1000, false);
}

/// ```text
/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
/// ```
fn pexpireat(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    expire_generic(ctx, a, "pexpireat", 1, false);
}

/// ```text
/// PERSIST key
/// ```
fn persist(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let done = ctx
        .srv
        .store
        .with_slot(ctx.db(), a[1], ctx.now, |slot| match slot.get_mut() {
            Some(mut e) if e.entry().expire_at().is_some() => {
                e.set_expire(0);
                true
            }
            _ => false,
        });
    if done {
        notify::event(ctx.srv, class::GENERIC, "persist", ctx.client.db, a[1]);
    }
    ctx.out.int(done as i64);
}

/// A key's expiry for TTL and friends: None when missing, Some(None) when
/// it never expires.
fn deadline(ctx: &Ctx<'_>, key: &[u8]) -> Option<Option<u64>> {
    inspect(ctx, key, |e| e.expire_at())
}

/// ```text
/// TTL key
/// ```
/// -2 for a missing key, -1 for one without expiry; seconds are rounded
/// to the nearest, as Redis rounds them.
fn ttl(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = match deadline(ctx, a[1]) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => (at.saturating_sub(ctx.now).saturating_add(500) / 1000) as i64,
    };
    ctx.out.int(r);
}

/// ```text
/// PTTL key
/// ```
fn pttl(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = match deadline(ctx, a[1]) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => at.saturating_sub(ctx.now) as i64,
    };
    ctx.out.int(r);
}

/// ```text
/// EXPIRETIME key
/// ```
/// Rounded to the nearest second, like TTL.
fn expiretime(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = match deadline(ctx, a[1]) {
        None => -2,
        Some(None) => -1,
        // Deadlines are at most i64::MAX, so adding 500 cannot overflow u64.
        Some(Some(at)) => (at.saturating_add(500) / 1000) as i64,
    };
    ctx.out.int(r);
}

/// ```text
/// PEXPIRETIME key
/// ```
fn pexpiretime(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = match deadline(ctx, a[1]) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => at as i64,
    };
    ctx.out.int(r);
}

/// ```text
/// OBJECT <ENCODING | FREQ | IDLETIME | REFCOUNT> key
/// OBJECT HELP
/// ```
fn object(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &OBJECT);
}

/// ```text
/// OBJECT ENCODING key
/// ```
fn object_encoding(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match inspect(ctx, a[2], |e| e.value().encoding()) {
        Some(enc) => ctx.out.bulk(enc.as_bytes()),
        None => ctx.out.null(),
    }
}

fn lfu_policy(ctx: &Ctx<'_>) -> bool {
    ctx.srv
        .settings
        .get("maxmemory-policy")
        .is_some_and(|p| p.to_ascii_lowercase().ends_with("-lfu"))
}

/// ```text
/// OBJECT FREQ key
/// ```
/// The key's logarithmic access counter, decayed by its idle minutes.
/// Answers Redis's error unless an LFU policy is set.
fn object_freq(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let clock = ctx.srv.store.clock_secs(ctx.now);
    let Some(freq) = inspect(ctx, a[2], |e| e.lfu(clock)) else {
        return ctx.out.null();
    };
    if !lfu_policy(ctx) {
        return ctx.error(errors::LFU_NOT_SELECTED);
    }
    ctx.out.int(freq as i64);
}

/// ```text
/// OBJECT IDLETIME key
/// ```
fn object_idletime(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let clock = ctx.srv.store.clock_secs(ctx.now);
    let Some(idle) = inspect(ctx, a[2], |e| e.idle_secs(clock)) else {
        return ctx.out.null();
    };
    if lfu_policy(ctx) {
        return ctx.error(errors::LFU_SELECTED);
    }
    ctx.out.int(idle as i64);
}

/// What Redis reports as the reference count of a shared integer.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// ```text
/// OBJECT REFCOUNT key
/// ```
/// Redis shares the integers 0..10000 between keys unless maxmemory is set
/// with an LRU or LFU policy (which needs a clock per object); the shared
/// ones report its fixed "shared" count, everything else 1.
fn object_refcount(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let small_int = inspect(ctx, a[2], |e| match e.value() {
        ValueRef::Str(s) => e.value().encoding() == "int" && args::int(s).is_ok_and(|v| (0..10_000).contains(&v)),
        _ => false,
    });
    let Some(small_int) = small_int else {
        return ctx.out.null();
    };
    let maxmemory_set = ctx
        .srv
        .settings
        .get("maxmemory")
        .and_then(|m| crate::config::parse_memory(&m))
        .is_some_and(|m| m > 0);
    let policy = ctx.srv.settings.get("maxmemory-policy").unwrap_or_default();
    let sharing = !maxmemory_set || !(policy.ends_with("-lru") || policy.ends_with("-lfu"));
    ctx.out.int(if small_int && sharing { SHARED_REFCOUNT } else { 1 });
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    How the value of <key> is stored.",
    "FREQ <key>",
    "    The logarithmic access counter of <key> (LFU policies only).",
    "IDLETIME <key>",
    "    Seconds since <key> was last read or written (not under LFU policies).",
    "REFCOUNT <key>",
    "    How many references the value of <key> has.",
    "HELP",
    "    Print this help.",
];

/// ```text
/// OBJECT HELP
/// ```
fn object_help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, OBJECT_HELP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;

    #[test]
    fn ttl_rounds_to_the_nearest_second() {
        let mut h = Harness::new();
        h.at(0, "SET k v");
        assert_eq!(h.at(0, "PEXPIRE k 1499"), ":1\r\n");
        assert_eq!(h.at(0, "TTL k"), ":1\r\n");
        assert_eq!(h.at(0, "PEXPIRE k 1500"), ":1\r\n");
        assert_eq!(h.at(0, "TTL k"), ":2\r\n");
        assert_eq!(h.at(1000, "PTTL k"), ":500\r\n");
        assert_eq!(h.at(1000, "TTL k"), ":1\r\n");
    }

    #[test]
    fn expiretime_rounds_to_the_nearest_second() {
        let mut h = Harness::new();
        h.at(0, "SET k v");
        h.at(0, "PEXPIREAT k 4102444800499");
        assert_eq!(h.at(0, "EXPIRETIME k"), ":4102444800\r\n");
        h.at(0, "PEXPIREAT k 4102444800500");
        assert_eq!(h.at(0, "EXPIRETIME k"), ":4102444801\r\n");
        h.at(0, "PEXPIREAT k 9223372036854775807");
        assert_eq!(h.at(0, "EXPIRETIME k"), ":9223372036854776\r\n");
    }

    #[test]
    fn key_lives_through_its_deadline_and_is_gone_one_ms_later() {
        let mut h = Harness::new();
        h.at(0, "SET k v");
        h.at(0, "PEXPIRE k 100");
        assert_eq!(h.at(100, "EXISTS k"), ":1\r\n");
        assert_eq!(h.at(100, "PTTL k"), ":0\r\n");
        assert_eq!(h.at(101, "EXISTS k"), ":0\r\n");
        assert_eq!(h.at(101, "TTL k"), ":-2\r\n");
    }

    #[test]
    fn expire_to_exactly_now_deletes_the_key() {
        let mut h = Harness::new();
        h.at(0, "SET k v");
        let now = h.srv.start_ms + 50;
        assert_eq!(h.at(50, &format!("PEXPIREAT k {now}")), ":1\r\n");
        assert_eq!(h.at(50, "EXISTS k"), ":0\r\n");
    }

    #[test]
    fn rename_move_and_copy_touch_their_keys_as_redis_does() {
        // Redis looks the source up as a write (RENAME, MOVE) or a read
        // (COPY), which refreshes its access time before it is moved or
        // duplicated: every key involved reports zero idle seconds after.
        let mut h = Harness::new();
        for k in ["a", "c", "m"] {
            h.at(0, &format!("SET {k} v"));
        }
        assert_eq!(h.at(5000, "OBJECT IDLETIME a"), ":5\r\n");
        assert_eq!(h.at(5000, "RENAME a b"), "+OK\r\n");
        assert_eq!(h.at(5000, "OBJECT IDLETIME b"), ":0\r\n");
        assert_eq!(h.at(5000, "MOVE m 1"), ":1\r\n");
        h.at(5000, "SELECT 1");
        assert_eq!(h.at(5000, "OBJECT IDLETIME m"), ":0\r\n");
        h.at(5000, "SELECT 0");
        assert_eq!(h.at(5000, "COPY c d"), ":1\r\n");
        assert_eq!(h.at(5000, "OBJECT IDLETIME c"), ":0\r\n");
        assert_eq!(h.at(5000, "OBJECT IDLETIME d"), ":0\r\n");
        // Inspecting does not touch.
        assert_eq!(h.at(9000, "OBJECT IDLETIME d"), ":4\r\n");
        assert_eq!(h.at(9000, "TTL d"), ":-1\r\n");
        assert_eq!(h.at(9000, "OBJECT IDLETIME d"), ":4\r\n");
        assert_eq!(h.at(9000, "TOUCH d"), ":1\r\n");
        assert_eq!(h.at(9000, "OBJECT IDLETIME d"), ":0\r\n");
    }

    #[test]
    fn rename_across_shards_leaves_one_key_and_its_expiry_count() {
        let mut h = Harness::new();
        // Find two names in different shards so the rename crosses locks.
        let a = "src";
        let b = (0..)
            .map(|i| format!("dst{i}"))
            .find(|k| h.srv.store.hash(k.as_bytes()).shard != h.srv.store.hash(a.as_bytes()).shard)
            .expect("some name lands in another shard");
        h.at(0, "SET src v");
        h.at(0, "PEXPIRE src 100000");
        h.at(0, &format!("SET {b} old"));
        assert_eq!(h.at(0, &format!("RENAME src {b}")), "+OK\r\n");
        assert_eq!(h.srv.store.dbsize(0), 1);
        assert_eq!(h.srv.store.db_info(0).expires, 1);
        assert_eq!(h.at(0, &format!("GET {b}")), "$1\r\nv\r\n");
    }

    #[test]
    fn object_freq_counts_reads_and_decays_per_idle_minute_under_lfu() {
        let mut h = Harness::new();
        h.at(0, "SET k v");
        assert!(h
            .at(0, "OBJECT FREQ k")
            .starts_with("-ERR An LFU maxmemory policy is not selected"));
        h.srv
            .settings
            .set("maxmemory-policy", "allkeys-lfu")
            .expect("known setting");
        assert_eq!(h.at(0, "OBJECT FREQ k"), ":5\r\n");
        assert_eq!(h.at(120_000, "OBJECT FREQ k"), ":3\r\n");
        // Reads raise it: the first step up from the start is certain.
        h.at(120_000, "GET k");
        assert_eq!(h.at(120_000, "OBJECT FREQ k"), ":4\r\n");
        assert_eq!(h.at(3_600_000, "OBJECT FREQ k"), ":0\r\n");
        assert!(h
            .at(0, "OBJECT IDLETIME k")
            .starts_with("-ERR An LFU maxmemory policy is selected"));
    }

    #[test]
    fn refcount_is_one_once_maxmemory_with_an_lru_policy_stops_sharing() {
        let mut h = Harness::new();
        h.at(0, "SET k 42");
        assert_eq!(h.at(0, "OBJECT REFCOUNT k"), ":2147483647\r\n");
        h.srv.settings.set("maxmemory", "100mb").expect("known setting");
        h.srv
            .settings
            .set("maxmemory-policy", "allkeys-lru")
            .expect("known setting");
        assert_eq!(h.at(0, "OBJECT REFCOUNT k"), ":1\r\n");
    }

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-0"), Some(0));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"1 "), None);
        assert_eq!(parse_cursor(b"x"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b"12\x00junk"), Some(12));
    }

    #[test]
    fn expire_options_are_checked_as_redis_checks_them() {
        let p = |o: &[&[u8]]| ExpireCond::parse(o);
        assert_eq!(p(&[b"nx", b"xx"]).unwrap_err(), errors::EXPIRE_NX_AND_OTHERS);
        assert_eq!(p(&[b"NX", b"gt"]).unwrap_err(), errors::EXPIRE_NX_AND_OTHERS);
        assert_eq!(p(&[b"gt", b"lt"]).unwrap_err(), errors::EXPIRE_GT_AND_LT);
        assert_eq!(p(&[b"Foo"]).unwrap_err(), "ERR Unsupported option Foo");
        assert!(p(&[b"xx", b"gt"]).is_ok());
        assert!(p(&[b"nx", b"nx"]).is_ok());
    }

    #[test]
    fn gt_and_lt_treat_no_expiry_as_infinite() {
        let gt = ExpireCond {
            gt: true,
            ..Default::default()
        };
        let lt = ExpireCond {
            lt: true,
            ..Default::default()
        };
        assert!(!gt.allows(None, 10));
        assert!(lt.allows(None, 10));
        assert!(gt.allows(Some(5), 10));
        assert!(!gt.allows(Some(10), 10));
        assert!(lt.allows(Some(11), 10));
        assert!(!lt.allows(Some(10), 10));
        let nx = ExpireCond {
            nx: true,
            ..Default::default()
        };
        assert!(nx.allows(None, 10));
        assert!(!nx.allows(Some(1), 10));
        assert!(ExpireCond::default().allows(Some(1), 10));
    }

    #[test]
    fn expire_deadline_refuses_overflow_in_either_step() {
        let now = 1_700_000_000_000i64;
        assert_eq!(expire_deadline(b"10", 1000, now, "expire"), Ok(now + 10_000));
        assert_eq!(expire_deadline(b"-5", 1000, now, "expire"), Ok(now - 5000));
        let bad = Err(errors::invalid_expire("expire"));
        assert_eq!(expire_deadline(b"9223372036854775807", 1000, now, "expire"), bad);
        assert_eq!(expire_deadline(b"9223372036854774", 1000, now, "expire"), bad);
        assert_eq!(expire_deadline(b"-9223372036854775808", 1000, 0, "expire"), bad);
        assert_eq!(expire_deadline(b"9223372036854775807", 1, 0, "pexpireat"), Ok(i64::MAX));
        assert_eq!(
            expire_deadline(b"-9223372036854775808", 1, now, "pexpire"),
            Ok(i64::MIN + now)
        );
        assert_eq!(
            expire_deadline(b"x", 1, 0, "pexpire"),
            Err(errors::NOT_INTEGER.to_string())
        );
    }

    #[test]
    fn object_is_a_container_with_keyed_subcommands() {
        let o = super::super::lookup(b"OBJECT").expect("object is declared");
        let enc = o.subcommand(b"Encoding").expect("encoding");
        assert_eq!(enc.key_positions(&[b"object", b"encoding", b"k"]), vec![2]);
        assert!(o.subcommand(b"help").is_some());
        let copy = super::super::lookup(b"copy").expect("copy is declared");
        assert_eq!(
            copy.key_positions(&[b"copy", b"a", b"b", b"DB", b"1", b"REPLACE"]),
            vec![1, 2]
        );
    }
}
