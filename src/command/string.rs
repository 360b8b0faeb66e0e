//! String commands, and the typed string operations that the Redis
//! handlers here and the memcached session run alike.
//!
//! A protocol difference is a field of the operation: memcached `append`
//! is [`append_value`] with `create_missing: false`, memcached `incr` is
//! [`incr_value`] with [`Step::Unsigned`].

use super::args::{self, is};
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::state::Server;
use crate::store::{Expiry, Item, KeyHash, Value};
use crate::util::number::parse_i64_exact;

pub const COMMANDS: &[CommandSpec] = &[
    spec("get", 2, READONLY | FAST, "string", get)
        .keys(1, 1, 1)
        .doc("1.0.0", "Returns the string value of a key.", "O(1)", "key"),
    spec("set", -3, WRITE | DENYOOM, "string", set)
        .keys(1, 1, 1)
        .doc(
            "1.0.0",
            "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
            "O(1)",
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
        ),
    spec("setnx", 3, WRITE | DENYOOM | FAST, "string", setnx)
        .keys(1, 1, 1)
        .doc("1.0.0", "Stores a value only when the key is absent.", "O(1)", "key value"),
    spec("setex", 4, WRITE | DENYOOM, "string", setex)
        .keys(1, 1, 1)
        .doc("2.0.0", "Stores a value with a time to live in seconds.", "O(1)", "key seconds value"),
    spec("psetex", 4, WRITE | DENYOOM, "string", psetex)
        .keys(1, 1, 1)
        .doc(
            "2.6.0",
            "Stores a value with a time to live in milliseconds.",
            "O(1)",
            "key milliseconds value",
        ),
    spec("getset", 3, WRITE | DENYOOM | FAST, "string", getset)
        .keys(1, 1, 1)
        .doc("1.0.0", "Stores a value and returns the one it replaced.", "O(1)", "key value"),
    spec("getdel", 2, WRITE | FAST, "string", getdel)
        .keys(1, 1, 1)
        .doc("6.2.0", "Returns a string value and deletes its key.", "O(1)", "key"),
    spec("getex", -2, WRITE | FAST, "string", getex)
        .keys(1, 1, 1)
        .doc(
            "6.2.0",
            "Returns a string value and sets or clears its expiry.",
            "O(1)",
            "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
        ),
    spec("mget", -2, READONLY | FAST, "string", mget)
        .keys(1, -1, 1)
        .doc(
            "1.0.0",
            "Returns the values of several keys at one instant.",
            "O(N) where N is the number of keys to retrieve.",
            "key [key ...]",
        ),
    spec("mset", -3, WRITE | DENYOOM, "string", mset)
        .keys(1, -1, 2)
        .doc(
            "1.0.1",
            "Stores several key-value pairs at one instant.",
            "O(N) where N is the number of keys to set.",
            "key value [key value ...]",
        ),
    spec("msetnx", -3, WRITE | DENYOOM, "string", msetnx)
        .keys(1, -1, 2)
        .doc(
            "1.0.1",
            "Stores several key-value pairs only when none of the keys exists.",
            "O(N) where N is the number of keys to set.",
            "key value [key value ...]",
        ),
    spec("append", 3, WRITE | DENYOOM | FAST, "string", append)
        .keys(1, 1, 1)
        .doc(
            "2.0.0",
            "Adds bytes to the end of a string, creating it when absent.",
            "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
            "key value",
        ),
    spec("strlen", 2, READONLY | FAST, "string", strlen)
        .keys(1, 1, 1)
        .doc("2.2.0", "Returns the length of a string value.", "O(1)", "key"),
    spec("incr", 2, WRITE | DENYOOM | FAST, "string", incr)
        .keys(1, 1, 1)
        .doc("1.0.0", "Adds one to the integer held in a string.", "O(1)", "key"),
    spec("decr", 2, WRITE | DENYOOM | FAST, "string", decr)
        .keys(1, 1, 1)
        .doc("1.0.0", "Subtracts one from the integer held in a string.", "O(1)", "key"),
    spec("incrby", 3, WRITE | DENYOOM | FAST, "string", incrby)
        .keys(1, 1, 1)
        .doc("1.0.0", "Adds an amount to the integer held in a string.", "O(1)", "key increment"),
    spec("decrby", 3, WRITE | DENYOOM | FAST, "string", decrby)
        .keys(1, 1, 1)
        .doc(
            "1.0.0",
            "Subtracts an amount from the integer held in a string.",
            "O(1)",
            "key decrement",
        ),
    spec("incrbyfloat", 3, WRITE | DENYOOM | FAST, "string", incrbyfloat)
        .keys(1, 1, 1)
        .doc(
            "2.6.0",
            "Adds a decimal amount to the number held in a string.",
            "O(1)",
            "key increment",
        ),
    spec("getrange", 4, READONLY, "string", getrange)
        .keys(1, 1, 1)
        .doc(
            "2.4.0",
            "Returns the bytes of a string between two offsets, both included.",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "key start end",
        ),
    spec("setrange", 4, WRITE | DENYOOM, "string", setrange)
        .keys(1, 1, 1)
        .doc(
            "2.2.0",
            "Overwrites part of a string from an offset, padding with zero bytes.",
            "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
            "key offset value",
        ),
    spec("substr", 4, READONLY, "string", getrange)
        .keys(1, 1, 1)
        .doc(
            "1.0.0",
            "Returns the bytes of a string between two offsets (the old name of GETRANGE).",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "key start end",
        ),
];

pub use crate::store::WrongType;

/// When a SET-family write takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Always,
    /// Only if the key does not exist (NX, memcached `add`).
    Nx,
    /// Only if the key exists (XX, memcached `replace`).
    Xx,
    /// Only if the item's version is this one (memcached `cas`).
    Version(u64),
}

/// The expiry a write leaves on the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expire {
    /// No expiry.
    None,
    /// Expire at this Unix time in milliseconds. A deadline not after the
    /// write's `now` removes the key (memcached's negative exptime).
    At(u64),
    /// Keep whatever expiry the key had (KEEPTTL).
    Keep,
}

/// A SET-family write, from `SET`, `SETNX`, `SETEX`, memcached `set`,
/// `add`, `replace` and `cas` alike.
#[derive(Debug, Clone, Copy)]
pub struct SetArgs<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
    pub cond: Cond,
    pub expire: Expire,
    pub flags: u32,
    /// Return the old value (SET ... GET).
    pub get: bool,
}

impl<'a> SetArgs<'a> {
    /// An unconditional write with no expiry and flags 0.
    pub fn new(key: &'a [u8], value: &'a [u8]) -> SetArgs<'a> {
        SetArgs {
            key,
            value,
            cond: Cond::Always,
            expire: Expire::None,
            flags: 0,
            get: false,
        }
    }
}

/// What a SET-family write did.
#[derive(Debug, PartialEq, Eq)]
pub enum SetOutcome {
    /// Stored, with the new version and, when asked, the old value.
    Stored { version: u64, old: Option<Vec<u8>> },
    /// The condition failed (NX on an existing key, XX on a missing one).
    NotStored { old: Option<Vec<u8>> },
    /// `Cond::Version` on an item of another version.
    VersionMismatch,
    /// `Cond::Version` on a missing item.
    NotFound,
    /// GET asked for the old value of a key of another type.
    WrongType,
}

/// Executes a SET-family write.
pub fn set_value(srv: &Server, db: usize, now: u64, s: &SetArgs<'_>) -> SetOutcome {
    let kh = srv.store.hash(s.key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, s.key, kh, now);
    let (exists, old_expire, old) = match slot.peek() {
        None => (false, Expiry::None, None),
        Some(e) => {
            let old = match (s.get, e.as_str()) {
                (false, _) => None,
                (true, Some(v)) => Some(v.to_vec()),
                (true, None) => return SetOutcome::WrongType,
            };
            match s.cond {
                Cond::Version(v) if e.version() != v => return SetOutcome::VersionMismatch,
                _ => {}
            }
            (true, e.expiry(), old)
        }
    };
    let go = match s.cond {
        Cond::Always => true,
        Cond::Nx => !exists,
        Cond::Xx => exists,
        Cond::Version(_) => {
            if !exists {
                return SetOutcome::NotFound;
            }
            true
        }
    };
    if !go {
        return SetOutcome::NotStored { old };
    }
    let expiry = match s.expire {
        // An item that keeps its own expiry keeps having none, whatever the
        // database's default.
        Expire::Keep if exists => {
            let version = slot.set_bytes_exact(s.value, old_expire, s.flags);
            return SetOutcome::Stored { version, old };
        }
        Expire::None | Expire::Keep => Expiry::None,
        Expire::At(t) if t <= now => {
            // Already past: the write replaces the value with nothing.
            slot.remove();
            return SetOutcome::Stored {
                version: srv.store.next_version(),
                old,
            };
        }
        Expire::At(t) => slot.plain_expiry(t),
    };
    let version = slot.set_bytes(s.value, expiry, s.flags);
    SetOutcome::Stored { version, old }
}

/// Reads a string value: `f` sees the value and its entry (flags, version)
/// while the shard is locked, so a reply can be encoded without a copy.
/// Counts a keyspace hit or miss.
pub fn get_value<R>(
    srv: &Server,
    db: usize,
    key: &[u8],
    now: u64,
    touch: bool,
    f: impl FnOnce(&[u8], &Item<'_>) -> R,
) -> Result<Option<R>, WrongType> {
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, key, kh, now);
    match slot.read(touch) {
        None => Ok(None),
        Some(e) => match e.as_str() {
            Some(v) => Ok(Some(f(v, &e))),
            None => Err(WrongType),
        },
    }
}

/// How GETEX, memcached `gat` and `touch` change a key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireChange {
    /// Leave it (GETEX without options).
    Keep,
    /// Remove it (PERSIST, memcached exptime 0).
    Persist,
    /// Expire at this Unix time in ms; a time not after `now` deletes the key.
    At(u64),
}

/// Reads a string value and changes its expiry in one step; `f` sees the
/// value as it was read. With `new_version` the change counts as a write
/// (GETEX); without, the version stays (memcached `touch` and `gat`, which
/// keep the CAS unique).
pub fn get_and_expire<R>(
    srv: &Server,
    db: usize,
    key: &[u8],
    now: u64,
    change: ExpireChange,
    new_version: bool,
    f: impl FnOnce(&[u8], &Item<'_>) -> R,
) -> Result<Option<R>, WrongType> {
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, key, kh, now);
    let r = match slot.read(true) {
        None => return Ok(None),
        Some(e) => match e.as_str() {
            Some(v) => f(v, &e),
            None => return Err(WrongType),
        },
    };
    match change {
        ExpireChange::Keep => {}
        ExpireChange::At(t) if t <= now => {
            slot.remove();
        }
        ExpireChange::At(t) => {
            let expiry = slot.plain_expiry(t);
            if let Some(mut e) = slot.get_mut() {
                e.set_timeout(expiry, new_version);
            }
        }
        ExpireChange::Persist => {
            if let Some(mut e) = slot.get_mut() {
                // A key without expiry is left as it is, version and all.
                if e.entry().expire_at().is_some() {
                    match new_version {
                        true => e.set_expire(0),
                        false => e.retime(0),
                    }
                }
            }
        }
    }
    Ok(Some(r))
}

/// Removes a string key and returns its value (GETDEL). A key of another
/// type is left in place.
pub fn take_value(srv: &Server, db: usize, key: &[u8], now: u64) -> Result<Option<Vec<u8>>, WrongType> {
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, key, kh, now);
    match slot.read(true).map(|e| e.as_str().is_some()) {
        None => Ok(None),
        Some(false) => Err(WrongType),
        Some(true) => Ok(slot.remove().and_then(|e| e.as_str().map(<[u8]>::to_vec))),
    }
}

/// Removes a key of any type (memcached `delete`); true when it existed.
pub fn remove_key(srv: &Server, db: usize, key: &[u8], now: u64) -> bool {
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let removed = locked.slot(db, key, kh, now).remove().is_some();
    removed
}

/// An APPEND-family write: Redis `APPEND`, memcached `append` and `prepend`.
#[derive(Debug, Clone, Copy)]
pub struct AppendArgs<'a> {
    pub key: &'a [u8],
    pub data: &'a [u8],
    /// Put the data before the value (memcached `prepend`).
    pub front: bool,
    /// Store the data as a new value when the key is absent (Redis), or
    /// refuse (memcached).
    pub create_missing: bool,
    /// Longest value the result may be.
    pub max_len: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored; the new length and version.
    Done {
        len: usize,
        version: u64,
    },
    NotFound,
    /// The result would be longer than `max_len`.
    TooLarge,
    WrongType,
}

/// Executes an APPEND-family write. The value keeps its flags and expiry.
pub fn append_value(srv: &Server, db: usize, now: u64, a: &AppendArgs<'_>) -> AppendOutcome {
    let kh = srv.store.hash(a.key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, a.key, kh, now);
    let Some(mut e) = slot.get_mut() else {
        if !a.create_missing {
            return AppendOutcome::NotFound;
        }
        // A new value is the argument alone, which already fit the protocol's limit.
        let version = slot.set(Value::Str(a.data.to_vec()), 0, 0);
        return AppendOutcome::Done {
            len: a.data.len(),
            version,
        };
    };
    let Some(old_len) = e.entry().as_str().map(<[u8]>::len) else {
        return AppendOutcome::WrongType;
    };
    match old_len.checked_add(a.data.len()) {
        Some(total) if total <= a.max_len => {}
        _ => return AppendOutcome::TooLarge,
    }
    let mut len = 0;
    let version = e.update_value(|v| {
        if a.front {
            v.splice(0..0, a.data.iter().copied());
        } else {
            v.extend_from_slice(a.data);
        }
        len = v.len();
    });
    AppendOutcome::Done { len, version }
}

/// The arithmetic of an INCR-family write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Redis: signed 64-bit; a result out of range is an error.
    Signed(i64),
    /// memcached: unsigned 64-bit; `incr` wraps around, `decr` stops at 0.
    Unsigned { delta: u64, decr: bool },
}

#[derive(Debug, Clone, Copy)]
pub struct IncrArgs<'a> {
    pub key: &'a [u8],
    pub step: Step,
    /// Start an absent key from 0 (Redis), or report it missing (memcached).
    pub create_missing: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum IncrOutcome {
    /// The new value: an `i64` for `Step::Signed`, a `u64` for `Step::Unsigned`.
    Done(i128),
    NotFound,
    /// The value is not a number the step's protocol accepts.
    NotNumber,
    Overflow,
    WrongType,
}

/// Reads a value as memcached's `safe_strtoull` does: optional leading
/// space and sign, digits, then the end or a space; a negative number is
/// refused unless it wraps to a value below 2^63.
pub(crate) fn parse_u64_memcached(b: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add((b[i] - b'0') as u64)?;
        i += 1;
    }
    if i == start || (i < b.len() && !b[i].is_ascii_whitespace()) {
        return None;
    }
    if neg {
        v = v.wrapping_neg();
        if (v as i64) < 0 {
            return None;
        }
    }
    Some(v)
}

/// Executes an INCR-family write. The value keeps its flags and expiry.
pub fn incr_value(srv: &Server, db: usize, now: u64, a: &IncrArgs<'_>) -> IncrOutcome {
    let kh = srv.store.hash(a.key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, a.key, kh, now);
    let Some(mut e) = slot.get_mut() else {
        if !a.create_missing {
            return IncrOutcome::NotFound;
        }
        let v: i128 = match a.step {
            Step::Signed(d) => d as i128,
            Step::Unsigned { delta, decr } => {
                if decr {
                    0
                } else {
                    delta as i128
                }
            }
        };
        slot.set(Value::Str(v.to_string().into_bytes()), 0, 0);
        return IncrOutcome::Done(v);
    };
    let Some(cur) = e.entry().as_str() else {
        return IncrOutcome::WrongType;
    };
    let new: i128 = match a.step {
        Step::Signed(d) => {
            let Some(old) = parse_i64_exact(cur) else {
                return IncrOutcome::NotNumber;
            };
            match old.checked_add(d) {
                Some(v) => v as i128,
                None => return IncrOutcome::Overflow,
            }
        }
        Step::Unsigned { delta, decr } => {
            let Some(old) = parse_u64_memcached(cur) else {
                return IncrOutcome::NotNumber;
            };
            if decr {
                old.saturating_sub(delta) as i128
            } else {
                old.wrapping_add(delta) as i128
            }
        }
    };
    // The number is written over the old one when it has as many digits,
    // as it has for all but one step in ten or more: no new chunk, no
    // allocation.
    let mut buf = [0u8; 40];
    let digits = format_i128(new, &mut buf);
    if digits.len() != cur.len() || !e.patch_value(|v| v.copy_from_slice(digits)) {
        let flags = e.entry().flags();
        e.replace(Value::Str(digits.to_vec()), flags);
    }
    IncrOutcome::Done(new)
}

/// `v` in decimal, written at the end of `buf` (40 bytes hold any i128).
fn format_i128(v: i128, buf: &mut [u8; 40]) -> &[u8] {
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

extern "C" {
    fn ferro_incrbyfloat(
        cur: *const u8,
        cur_len: usize,
        incr: *const u8,
        incr_len: usize,
        out: *mut u8,
        out_len: usize,
    ) -> std::ffi::c_int;
}

/// Why a float increment failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatError {
    NotFloat,
    NanOrInf,
    WrongType,
}

/// Longest text a long double prints as with `%.17Lf`, with room to spare
/// (Redis's MAX_LONG_DOUBLE_CHARS).
const LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Adds `incr` (the argument's text) to the number held as text in `cur`
/// (absent: 0), in C's `long double` as Redis does, and returns the sum as
/// Redis prints it.
pub fn add_long_double(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, FloatError> {
    let mut out = vec![0u8; LONG_DOUBLE_CHARS + 1];
    let (cp, cl) = match cur {
        Some(c) => (c.as_ptr(), c.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: every pointer comes with its slice's length; the C side reads
    // no further than those lengths and writes at most `out.len()` bytes.
    let n = unsafe { ferro_incrbyfloat(cp, cl, incr.as_ptr(), incr.len(), out.as_mut_ptr(), out.len()) };
    match n {
        -3 => Err(FloatError::NanOrInf),
        n if n > 0 => {
            out.truncate(n as usize);
            Ok(out)
        }
        _ => Err(FloatError::NotFloat),
    }
}

/// INCRBYFLOAT's operation: the sum is stored as text, keeping the expiry.
pub fn incr_float_value(srv: &Server, db: usize, now: u64, key: &[u8], incr: &[u8]) -> Result<Vec<u8>, FloatError> {
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, key, kh, now);
    let Some(mut e) = slot.get_mut() else {
        let sum = add_long_double(None, incr)?;
        slot.set(Value::Str(sum.clone()), 0, 0);
        return Ok(sum);
    };
    let Some(cur) = e.entry().as_str() else {
        return Err(FloatError::WrongType);
    };
    let sum = add_long_double(Some(cur), incr)?;
    let flags = e.entry().flags();
    e.replace(Value::Str(sum.clone()), flags);
    Ok(sum)
}

/// Reads `EX s | PX ms | EXAT ts | PXAT ts` at `a[i]` (the unit word) and
/// `a[i+1]`, turning it into a Unix deadline in milliseconds. Rejects zero,
/// negative and overflowing times with Redis's "invalid expire time" error.
pub fn parse_expire(unit: &[u8], val: &[u8], now: u64, cmd: &str) -> Result<u64, String> {
    let v = args::int(val).map_err(String::from)?;
    if v <= 0 {
        return Err(errors::invalid_expire(cmd));
    }
    let v = v as u64;
    let at = if is(unit, "ex") {
        v.checked_mul(1000).and_then(|ms| ms.checked_add(now))
    } else if is(unit, "px") {
        v.checked_add(now)
    } else if is(unit, "exat") {
        v.checked_mul(1000)
    } else {
        Some(v)
    };
    match at {
        Some(at) if at <= i64::MAX as u64 => Ok(at),
        _ => Err(errors::invalid_expire(cmd)),
    }
}

/// ```text
/// GET key
/// ```
fn get(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let touch = !ctx.client.no_touch;
    let out = &mut ctx.out;
    match get_value(ctx.srv, ctx.client.db, a[1], ctx.now, touch, |v, _| out.bulk(v)) {
        Ok(Some(())) => {}
        Ok(None) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// Replies to a SET-family write that returns OK, or nil when its
/// condition failed.
fn reply_set(ctx: &mut Ctx<'_>, s: &SetArgs<'_>) {
    let db = ctx.client.db;
    match set_value(ctx.srv, db, ctx.now, s) {
        SetOutcome::Stored { old, .. } | SetOutcome::NotStored { old } if s.get => match old {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        },
        SetOutcome::Stored { .. } => ctx.out.ok(),
        SetOutcome::NotStored { .. } => ctx.out.null(),
        SetOutcome::WrongType => ctx.error(errors::WRONGTYPE),
        SetOutcome::VersionMismatch | SetOutcome::NotFound => ctx.out.null(),
    }
}

/// ```text
/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts | KEEPTTL]
/// ```
fn set(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut s = SetArgs::new(a[1], a[2]);
    let mut expire_given = false;
    let mut i = 3;
    while i < a.len() {
        let o = a[i];
        let has_next = i + 1 < a.len();
        if is(o, "nx") && s.cond == Cond::Always {
            s.cond = Cond::Nx;
        } else if is(o, "xx") && s.cond == Cond::Always {
            s.cond = Cond::Xx;
        } else if is(o, "get") {
            s.get = true;
        } else if is(o, "keepttl") && !expire_given {
            s.expire = Expire::Keep;
            expire_given = true;
        } else if (is(o, "ex") || is(o, "px") || is(o, "exat") || is(o, "pxat")) && !expire_given && has_next {
            match parse_expire(o, a[i + 1], ctx.now, "set") {
                Ok(at) => s.expire = Expire::At(at),
                Err(e) => return ctx.error(&e),
            }
            expire_given = true;
            i += 1;
        } else {
            return ctx.error(errors::SYNTAX);
        }
        i += 1;
    }
    reply_set(ctx, &s);
}

/// ```text
/// SETNX key value
/// ```
/// Replies 1 when stored, 0 when the key existed.
fn setnx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let s = SetArgs {
        cond: Cond::Nx,
        ..SetArgs::new(a[1], a[2])
    };
    match set_value(ctx.srv, ctx.client.db, ctx.now, &s) {
        SetOutcome::Stored { .. } => ctx.out.int(1),
        _ => ctx.out.int(0),
    }
}

/// SETEX and PSETEX: the unit word is what `parse_expire` reads.
fn set_with_ttl(ctx: &mut Ctx<'_>, a: &[&[u8]], unit: &[u8], cmd: &str) {
    let at = match parse_expire(unit, a[2], ctx.now, cmd) {
        Ok(at) => at,
        Err(e) => return ctx.error(&e),
    };
    let s = SetArgs {
        expire: Expire::At(at),
        ..SetArgs::new(a[1], a[3])
    };
    reply_set(ctx, &s);
}

/// ```text
/// SETEX key seconds value
/// ```
fn setex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_with_ttl(ctx, a, b"ex", "setex");
}

/// ```text
/// PSETEX key milliseconds value
/// ```
fn psetex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_with_ttl(ctx, a, b"px", "psetex");
}

/// ```text
/// GETSET key value
/// ```
/// The old value, or nil; the new value has no expiry.
fn getset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let s = SetArgs {
        get: true,
        ..SetArgs::new(a[1], a[2])
    };
    reply_set(ctx, &s);
}

/// ```text
/// GETDEL key
/// ```
fn getdel(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match take_value(ctx.srv, ctx.client.db, a[1], ctx.now) {
        Ok(Some(v)) => ctx.out.bulk(&v),
        Ok(None) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// GETEX key [EX s | PX ms | EXAT ts | PXAT ts | PERSIST]
/// ```
/// A deadline already past deletes the key after the value is read.
fn getex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut change = ExpireChange::Keep;
    let mut i = 2;
    while i < a.len() {
        let o = a[i];
        let free = change == ExpireChange::Keep;
        if (is(o, "ex") || is(o, "px") || is(o, "exat") || is(o, "pxat")) && free && i + 1 < a.len() {
            match parse_expire(o, a[i + 1], ctx.now, "getex") {
                Ok(at) => change = ExpireChange::At(at),
                Err(e) => return ctx.error(&e),
            }
            i += 1;
        } else if is(o, "persist") && free {
            change = ExpireChange::Persist;
        } else {
            return ctx.error(errors::SYNTAX);
        }
        i += 1;
    }
    let out = &mut ctx.out;
    match get_and_expire(ctx.srv, ctx.client.db, a[1], ctx.now, change, true, |v, _| out.bulk(v)) {
        Ok(Some(())) => {}
        Ok(None) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// The hashes of every `step`-th argument from `a[1]`: the keys of a
/// multi-key command.
fn key_hashes(ctx: &Ctx<'_>, a: &[&[u8]], step: usize) -> Vec<KeyHash> {
    a[1..].iter().step_by(step).map(|k| ctx.hash(k)).collect()
}

/// ```text
/// MGET key [key ...]
/// ```
/// A missing key or one of another type reads as nil. Every key's shard is
/// locked for the whole read, so the values are of one instant.
fn mget(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let khs = key_hashes(ctx, a, 1);
    let touch = !ctx.client.no_touch;
    let mut locked = ctx.srv.store.lock_many(&khs);
    ctx.out.array(a.len() - 1);
    for (k, kh) in a[1..].iter().zip(&khs) {
        match locked
            .slot(ctx.client.db, k, *kh, ctx.now)
            .read(touch)
            .and_then(|e| e.as_str())
        {
            Some(v) => ctx.out.bulk(v),
            None => ctx.out.null(),
        }
    }
}

/// MSET and MSETNX: with `nx`, nothing is written when any key exists.
fn mset_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], nx: bool, name: &str) -> Option<bool> {
    if a.len().is_multiple_of(2) {
        ctx.error(&errors::wrong_arity(name));
        return None;
    }
    let khs = key_hashes(ctx, a, 2);
    let db = ctx.client.db;
    let mut locked = ctx.srv.store.lock_many(&khs);
    let pairs = || a[1..].chunks_exact(2).zip(&khs);
    if nx && pairs().any(|(kv, kh)| locked.slot(db, kv[0], *kh, ctx.now).peek().is_some()) {
        return Some(false);
    }
    for (kv, kh) in pairs() {
        locked
            .slot(db, kv[0], *kh, ctx.now)
            .set(Value::Str(kv[1].to_vec()), 0, 0);
    }
    Some(true)
}

/// ```text
/// MSET key value [key value ...]
/// ```
fn mset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if mset_generic(ctx, a, false, "mset").is_some() {
        ctx.out.ok();
    }
}

/// ```text
/// MSETNX key value [key value ...]
/// ```
/// Replies 1 when every pair was stored, 0 when none was.
fn msetnx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if let Some(stored) = mset_generic(ctx, a, true, "msetnx") {
        ctx.out.int(stored as i64);
    }
}

/// ```text
/// APPEND key value
/// ```
/// Replies with the new length.
fn append(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let args = AppendArgs {
        key: a[1],
        data: a[2],
        front: false,
        create_missing: true,
        max_len: ctx.srv.settings.proto_max_bulk_len(),
    };
    match append_value(ctx.srv, ctx.client.db, ctx.now, &args) {
        AppendOutcome::Done { len, .. } => ctx.out.int(len as i64),
        AppendOutcome::TooLarge => ctx.error(errors::STRING_TOO_LONG),
        AppendOutcome::WrongType => ctx.error(errors::WRONGTYPE),
        AppendOutcome::NotFound => ctx.out.int(0),
    }
}

/// ```text
/// STRLEN key
/// ```
fn strlen(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match get_value(ctx.srv, ctx.client.db, a[1], ctx.now, true, |v, _| v.len()) {
        Ok(n) => ctx.out.int(n.unwrap_or(0) as i64),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

fn incr_generic(ctx: &mut Ctx<'_>, key: &[u8], by: i64) {
    let args = IncrArgs {
        key,
        step: Step::Signed(by),
        create_missing: true,
    };
    match incr_value(ctx.srv, ctx.client.db, ctx.now, &args) {
        IncrOutcome::Done(v) => ctx.out.int(v as i64),
        IncrOutcome::NotNumber => ctx.error(errors::NOT_INTEGER),
        IncrOutcome::Overflow => ctx.error(errors::OVERFLOW),
        IncrOutcome::WrongType => ctx.error(errors::WRONGTYPE),
        IncrOutcome::NotFound => ctx.out.null(),
    }
}

/// ```text
/// INCR key
/// ```
fn incr(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    incr_generic(ctx, a[1], 1);
}

/// ```text
/// DECR key
/// ```
fn decr(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    incr_generic(ctx, a[1], -1);
}

/// ```text
/// INCRBY key increment
/// ```
fn incrby(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match args::int(a[2]) {
        Ok(by) => incr_generic(ctx, a[1], by),
        Err(e) => ctx.error(e),
    }
}

/// ```text
/// DECRBY key decrement
/// ```
/// The smallest i64 cannot be negated, so Redis refuses it as a decrement
/// before looking at the key.
fn decrby(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match args::int(a[2]) {
        Ok(i64::MIN) => ctx.error(errors::DECREMENT_OVERFLOW),
        Ok(by) => incr_generic(ctx, a[1], -by),
        Err(e) => ctx.error(e),
    }
}

/// ```text
/// INCRBYFLOAT key increment
/// ```
/// Computed in C's `long double` and printed with `%.17Lf`, trailing zeros
/// removed, as Redis does: 0.1 + 0.2 gives "0.3".
fn incrbyfloat(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match incr_float_value(ctx.srv, ctx.client.db, ctx.now, a[1], a[2]) {
        Ok(v) => ctx.out.bulk(&v),
        Err(FloatError::NotFloat) => ctx.error(errors::NOT_FLOAT),
        Err(FloatError::NanOrInf) => ctx.error(errors::INCR_NAN_OR_INF),
        Err(FloatError::WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// The byte range `start..=end` of a string of `len` bytes, with Redis's
/// negative offsets counting from the end; None when the range is empty.
fn byte_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if (start < 0 && end < 0 && start > end) || len == 0 {
        return None;
    }
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { (len + end).max(0) } else { end.min(len - 1) };
    (start <= end).then_some((start as usize, end as usize))
}

/// ```text
/// GETRANGE key start end
/// SUBSTR key start end
/// ```
fn getrange(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (start, end) = match (args::int(a[2]), args::int(a[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return ctx.error(e),
    };
    let out = &mut ctx.out;
    let r = get_value(ctx.srv, ctx.client.db, a[1], ctx.now, true, |v, _| {
        match byte_range(start, end, v.len()) {
            Some((s, e)) => out.bulk(&v[s..=e]),
            None => out.bulk(b""),
        }
    });
    match r {
        Ok(Some(())) => {}
        Ok(None) => ctx.out.bulk(b""),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// SETRANGE key offset value
/// ```
/// Pads with zero bytes up to `offset`; replies with the new length. An
/// empty value changes nothing, not even a missing key.
fn setrange(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let offset = match args::int(a[2]) {
        Ok(o) if o < 0 => return ctx.error(errors::OFFSET_OUT_OF_RANGE),
        Ok(o) => o as u64,
        Err(e) => return ctx.error(e),
    };
    let data = a[3];
    let max = ctx.srv.settings.proto_max_bulk_len() as u64;
    let too_long = offset + data.len() as u64 > max;
    let (srv, db, now, key) = (ctx.srv, ctx.client.db, ctx.now, a[1]);
    let kh = srv.store.hash(key);
    let mut locked = srv.store.lock(kh);
    let mut slot = locked.slot(db, key, kh, now);
    let reply: Result<usize, &str> = 'r: {
        let Some(mut e) = slot.get_mut() else {
            if data.is_empty() {
                break 'r Ok(0);
            }
            if too_long {
                break 'r Err(errors::STRING_TOO_LONG);
            }
            let mut v = vec![0u8; offset as usize];
            v.extend_from_slice(data);
            let len = v.len();
            slot.set(Value::Str(v), 0, 0);
            break 'r Ok(len);
        };
        match e.entry().as_str().map(<[u8]>::len) {
            None => Err(errors::WRONGTYPE),
            Some(len) if data.is_empty() => Ok(len),
            Some(_) if too_long => Err(errors::STRING_TOO_LONG),
            Some(len) => {
                let (o, end) = (offset as usize, offset as usize + data.len());
                // Within the value, the bytes change in place.
                if end <= len && e.patch_value(|v| v[o..end].copy_from_slice(data)) {
                    Ok(len)
                } else {
                    let mut new_len = 0;
                    e.update_value(|v| {
                        if v.len() < end {
                            v.resize(end, 0);
                        }
                        v[o..end].copy_from_slice(data);
                        new_len = v.len();
                    });
                    Ok(new_len)
                }
            }
        }
    };
    drop(locked);
    match reply {
        Ok(n) => ctx.out.int(n as i64),
        Err(e) => ctx.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const NOW: u64 = 1_700_000_000_000;

    fn server() -> Server {
        Server::new(Config::default())
    }

    fn read(srv: &Server, key: &[u8]) -> Option<(Vec<u8>, u32, u64)> {
        get_value(srv, 0, key, NOW, true, |v, e| (v.to_vec(), e.flags(), e.version())).unwrap()
    }

    #[test]
    fn keepttl_write_keeps_a_sliding_expiry_and_restarts_it() {
        let srv = server();
        let kh = srv.store.hash(b"s");
        srv.store
            .lock(kh)
            .slot(0, b"s", kh, NOW)
            .set_expiry(Value::Str(b"v".to_vec()), Expiry::sliding(1000), 0);
        let args = SetArgs {
            expire: Expire::Keep,
            ..SetArgs::new(b"s", b"w")
        };
        assert!(matches!(
            set_value(&srv, 0, NOW + 500, &args),
            SetOutcome::Stored { .. }
        ));
        let e = srv
            .store
            .lock(kh)
            .slot(0, b"s", kh, NOW + 500)
            .peek()
            .map(|e| e.expiry());
        assert_eq!(
            e,
            Some(Expiry::Sliding {
                idle_ms: 1000,
                deadline: NOW + 1500
            })
        );
        // A plain SET drops it, as it drops any expiry.
        set_value(&srv, 0, NOW + 600, &SetArgs::new(b"s", b"x"));
        let e = srv
            .store
            .lock(kh)
            .slot(0, b"s", kh, NOW + 600)
            .peek()
            .map(|e| e.expiry());
        assert_eq!(e, Some(Expiry::None));
    }

    fn put(srv: &Server, key: &[u8], value: &[u8]) -> u64 {
        match set_value(srv, 0, NOW, &SetArgs::new(key, value)) {
            SetOutcome::Stored { version, .. } => version,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn set_conditions_nx_xx_and_version() {
        let srv = server();
        let nx = SetArgs {
            cond: Cond::Nx,
            ..SetArgs::new(b"k", b"1")
        };
        assert!(matches!(set_value(&srv, 0, NOW, &nx), SetOutcome::Stored { .. }));
        assert_eq!(set_value(&srv, 0, NOW, &nx), SetOutcome::NotStored { old: None });
        let xx = SetArgs {
            cond: Cond::Xx,
            ..SetArgs::new(b"missing", b"1")
        };
        assert_eq!(set_value(&srv, 0, NOW, &xx), SetOutcome::NotStored { old: None });
        let v = read(&srv, b"k").unwrap().2;
        let cas = |ver| SetArgs {
            cond: Cond::Version(ver),
            flags: 7,
            ..SetArgs::new(b"k", b"2")
        };
        assert_eq!(set_value(&srv, 0, NOW, &cas(v + 100)), SetOutcome::VersionMismatch);
        assert!(matches!(set_value(&srv, 0, NOW, &cas(v)), SetOutcome::Stored { .. }));
        assert_eq!(read(&srv, b"k").map(|r| (r.0, r.1)), Some((b"2".to_vec(), 7)));
        let missing = SetArgs {
            cond: Cond::Version(1),
            ..SetArgs::new(b"nokey", b"2")
        };
        assert_eq!(set_value(&srv, 0, NOW, &missing), SetOutcome::NotFound);
    }

    #[test]
    fn set_with_a_past_deadline_leaves_no_key() {
        let srv = server();
        put(&srv, b"k", b"old");
        let s = SetArgs {
            expire: Expire::At(NOW - 1),
            ..SetArgs::new(b"k", b"new")
        };
        assert!(matches!(set_value(&srv, 0, NOW, &s), SetOutcome::Stored { .. }));
        assert_eq!(read(&srv, b"k"), None);
    }

    #[test]
    fn append_and_prepend_keep_flags_and_respect_limits() {
        let srv = server();
        let s = SetArgs {
            flags: 3,
            ..SetArgs::new(b"k", b"mid")
        };
        set_value(&srv, 0, NOW, &s);
        let a = |data: &'static [u8], front, max_len| AppendArgs {
            key: b"k",
            data,
            front,
            create_missing: false,
            max_len,
        };
        assert!(matches!(
            append_value(&srv, 0, NOW, &a(b">", false, 100)),
            AppendOutcome::Done { len: 4, .. }
        ));
        assert!(matches!(
            append_value(&srv, 0, NOW, &a(b"<", true, 100)),
            AppendOutcome::Done { len: 5, .. }
        ));
        assert_eq!(read(&srv, b"k").map(|r| (r.0, r.1)), Some((b"<mid>".to_vec(), 3)));
        assert_eq!(append_value(&srv, 0, NOW, &a(b"x", false, 5)), AppendOutcome::TooLarge);
        let missing = AppendArgs {
            key: b"new",
            ..a(b"x", false, 100)
        };
        assert_eq!(append_value(&srv, 0, NOW, &missing), AppendOutcome::NotFound);
        let create = AppendArgs {
            create_missing: true,
            ..missing
        };
        assert!(matches!(
            append_value(&srv, 0, NOW, &create),
            AppendOutcome::Done { len: 1, .. }
        ));
    }

    #[test]
    fn signed_increment_errors_on_overflow_and_non_integers() {
        let srv = server();
        let inc = |key: &'static [u8], by| IncrArgs {
            key,
            step: Step::Signed(by),
            create_missing: true,
        };
        assert_eq!(incr_value(&srv, 0, NOW, &inc(b"n", 5)), IncrOutcome::Done(5));
        assert_eq!(incr_value(&srv, 0, NOW, &inc(b"n", -7)), IncrOutcome::Done(-2));
        put(&srv, b"max", b"9223372036854775807");
        assert_eq!(incr_value(&srv, 0, NOW, &inc(b"max", 1)), IncrOutcome::Overflow);
        put(&srv, b"s", b" 1");
        assert_eq!(incr_value(&srv, 0, NOW, &inc(b"s", 1)), IncrOutcome::NotNumber);
    }

    #[test]
    fn unsigned_increment_wraps_and_decrement_floors_at_zero() {
        let srv = server();
        let step = |key: &'static [u8], delta, decr| IncrArgs {
            key,
            step: Step::Unsigned { delta, decr },
            create_missing: false,
        };
        assert_eq!(incr_value(&srv, 0, NOW, &step(b"n", 1, false)), IncrOutcome::NotFound);
        put(&srv, b"n", b"18446744073709551615");
        assert_eq!(incr_value(&srv, 0, NOW, &step(b"n", 2, false)), IncrOutcome::Done(1));
        assert_eq!(incr_value(&srv, 0, NOW, &step(b"n", 5, true)), IncrOutcome::Done(0));
        put(&srv, b"sp", b" 12");
        assert_eq!(incr_value(&srv, 0, NOW, &step(b"sp", 1, false)), IncrOutcome::Done(13));
        put(&srv, b"neg", b"-12");
        assert_eq!(
            incr_value(&srv, 0, NOW, &step(b"neg", 1, false)),
            IncrOutcome::NotNumber
        );
        assert_eq!(read(&srv, b"sp").map(|r| r.0), Some(b"13".to_vec()));
    }

    #[test]
    fn every_write_gives_a_new_version() {
        let srv = server();
        let v1 = put(&srv, b"k", b"1");
        let inc = IncrArgs {
            key: b"k",
            step: Step::Signed(1),
            create_missing: true,
        };
        incr_value(&srv, 0, NOW, &inc);
        let v2 = read(&srv, b"k").unwrap().2;
        assert!(v2 > v1);
    }

    #[test]
    fn long_double_sums_print_as_redis_prints_them() {
        let add = |cur: Option<&[u8]>, by: &[u8]| add_long_double(cur, by).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(add(Some(b"0.1"), b"0.2").as_deref(), Ok("0.3"));
        assert_eq!(add(Some(b"10.5"), b"0.1").as_deref(), Ok("10.6"));
        assert_eq!(add(None, b"3.0e3").as_deref(), Ok("3000"));
        assert_eq!(add(Some(b"5"), b"-5").as_deref(), Ok("0"));
        assert_eq!(add(Some(b"1"), b"0x10").as_deref(), Ok("17"));
        assert_eq!(add(Some(b"3.0000000000000000000000001"), b"0").as_deref(), Ok("3"));
        assert_eq!(add(Some(b"1"), b"inf"), Err(FloatError::NanOrInf));
        assert_eq!(add(Some(b"1"), b"abc"), Err(FloatError::NotFloat));
        assert_eq!(add(Some(b"1"), b" 1"), Err(FloatError::NotFloat));
        assert_eq!(add(Some(b"x"), b"1"), Err(FloatError::NotFloat));
        assert_eq!(add(Some(b"1"), b"1e5000"), Err(FloatError::NotFloat));
        assert_eq!(add(Some(b"1"), b""), Err(FloatError::NotFloat));
        let big = add(Some(b"10.5"), b"1e400").unwrap();
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("1000000000000000000028188"));
    }

    #[test]
    fn byte_range_follows_redis_offsets() {
        assert_eq!(byte_range(0, -1, 5), Some((0, 4)));
        assert_eq!(byte_range(-3, -1, 5), Some((2, 4)));
        assert_eq!(byte_range(-1, -3, 5), None);
        assert_eq!(byte_range(2, 100, 5), Some((2, 4)));
        assert_eq!(byte_range(-100, 1, 5), Some((0, 1)));
        assert_eq!(byte_range(5, 5, 5), None);
        assert_eq!(byte_range(0, 0, 0), None);
    }

    #[test]
    fn get_and_expire_sets_persists_and_deletes() {
        let srv = server();
        put(&srv, b"k", b"v");
        let ttl = |srv: &Server| {
            let kh = srv.store.hash(b"k");
            let mut l = srv.store.lock(kh);
            let ttl = l.slot(0, b"k", kh, NOW).peek().map(|e| e.expire_at());
            ttl
        };
        let r = get_and_expire(&srv, 0, b"k", NOW, ExpireChange::At(NOW + 5000), true, |v, _| {
            v.to_vec()
        });
        assert_eq!(r, Ok(Some(b"v".to_vec())));
        assert_eq!(ttl(&srv), Some(Some(NOW + 5000)));
        get_and_expire(&srv, 0, b"k", NOW, ExpireChange::Persist, true, |_, _| ()).unwrap();
        assert_eq!(ttl(&srv), Some(None));
        let r = get_and_expire(&srv, 0, b"k", NOW, ExpireChange::At(NOW), true, |v, _| v.to_vec());
        assert_eq!(r, Ok(Some(b"v".to_vec())));
        assert_eq!(ttl(&srv), None);
    }

    #[test]
    fn take_value_removes_and_returns() {
        let srv = server();
        put(&srv, b"k", b"v");
        assert_eq!(take_value(&srv, 0, b"k", NOW), Ok(Some(b"v".to_vec())));
        assert_eq!(take_value(&srv, 0, b"k", NOW), Ok(None));
        assert!(!remove_key(&srv, 0, b"k", NOW));
    }

    #[test]
    fn specs_match_redis_arity_flags_and_keys() {
        use crate::command::lookup;
        type Keys = (i32, i32, i32);
        let table: &[(&str, i32, u32, Keys)] = &[
            ("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1)),
            ("setex", 4, WRITE | DENYOOM, (1, 1, 1)),
            ("getdel", 2, WRITE | FAST, (1, 1, 1)),
            ("getex", -2, WRITE | FAST, (1, 1, 1)),
            ("mget", -2, READONLY | FAST, (1, -1, 1)),
            ("mset", -3, WRITE | DENYOOM, (1, -1, 2)),
            ("msetnx", -3, WRITE | DENYOOM, (1, -1, 2)),
            ("strlen", 2, READONLY | FAST, (1, 1, 1)),
            ("incrbyfloat", 3, WRITE | DENYOOM | FAST, (1, 1, 1)),
            ("getrange", 4, READONLY, (1, 1, 1)),
            ("setrange", 4, WRITE | DENYOOM, (1, 1, 1)),
            ("substr", 4, READONLY, (1, 1, 1)),
        ];
        for &(name, arity, flags, keys) in table {
            let c = lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!((c.arity, c.flags), (arity, flags), "{name}");
            assert_eq!((c.first_key, c.last_key, c.step), keys, "{name}");
            assert!(!c.doc.summary.is_empty() && !c.doc.syntax.is_empty(), "{name}");
        }
        assert_eq!(lookup(b"mset").unwrap().key_positions(5), vec![1, 3]);
    }

    #[test]
    fn format_i128_writes_every_width_and_sign() {
        let mut buf = [0u8; 40];
        for v in [
            0i128,
            7,
            -7,
            10,
            99,
            -100,
            i64::MAX as i128,
            i64::MIN as i128,
            u64::MAX as i128,
            i128::MIN,
        ] {
            assert_eq!(super::format_i128(v, &mut buf), v.to_string().as_bytes());
        }
    }

    #[test]
    fn incr_in_place_and_across_a_digit_boundary_keeps_the_value_right() {
        let mut h = crate::command::testing::Harness::new();
        h.run("SET n 8");
        assert_eq!(h.run("INCR n"), ":9\r\n");
        assert_eq!(h.run("INCR n"), ":10\r\n");
        assert_eq!(h.run("GET n"), "$2\r\n10\r\n");
        assert_eq!(h.run("DECRBY n 20"), ":-10\r\n");
        assert_eq!(h.run("GET n"), "$3\r\n-10\r\n");
        assert_eq!(h.run("INCRBY n 1"), ":-9\r\n");
        assert_eq!(h.run("GET n"), "$2\r\n-9\r\n");
    }
}
