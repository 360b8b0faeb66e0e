//! The typed string operations that Redis commands and memcached verbs
//! run alike: SET-family and APPEND-family writes, increments, reads with
//! or without a new expiry, removal.
//!
//! A protocol difference is a field of the operation, never a check of
//! the protocol: memcached `add` is [`set_value`] with [`Cond::Nx`],
//! `append` is [`append_value`] with `create_missing: false`, `incr` is
//! [`incr_value`] with [`Step::Unsigned`]. The callers turn outcomes into
//! their protocol's replies.

use super::notify::{self, class};
use crate::state::Server;
use crate::store::{Expiry, Item, Slot, Store, Value};
use crate::util::number::parse_i64_exact;

pub(crate) use crate::store::WrongType;

/// When a SET-family write takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
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
pub(crate) enum Expire {
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
pub(crate) struct SetArgs<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
    pub(crate) cond: Cond,
    pub(crate) expire: Expire,
    pub(crate) flags: u32,
    /// Return the old value (SET ... GET).
    pub(crate) get: bool,
}

impl<'a> SetArgs<'a> {
    /// An unconditional write with no expiry and flags 0.
    pub(crate) fn new(key: &'a [u8], value: &'a [u8]) -> SetArgs<'a> {
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
pub(crate) enum SetOutcome {
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
/// A stored write publishes `set`, then `expire` when it gave a deadline.
pub(crate) fn set_value(srv: &Server, db: usize, now: u64, s: &SetArgs<'_>) -> SetOutcome {
    let outcome = srv.store.with_slot(db, s.key, now, |slot| set_in(&srv.store, slot, s));
    if matches!(outcome, SetOutcome::Stored { .. }) {
        notify::event(srv, class::STRING, "set", db, s.key);
        if let Expire::At(_) = s.expire {
            notify::event(srv, class::GENERIC, "expire", db, s.key);
        }
    }
    outcome
}

fn set_in(store: &Store, slot: &mut Slot<'_>, s: &SetArgs<'_>) -> SetOutcome {
    let now = slot.now();
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
                version: store.next_version(),
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
pub(crate) fn get_value<R>(
    srv: &Server,
    db: usize,
    key: &[u8],
    now: u64,
    touch: bool,
    f: impl FnOnce(&[u8], &Item<'_>) -> R,
) -> Result<Option<R>, WrongType> {
    srv.store.with_slot(db, key, now, |slot| match slot.read(touch) {
        None => Ok(None),
        Some(e) => match e.as_str() {
            Some(v) => Ok(Some(f(v, &e))),
            None => Err(WrongType),
        },
    })
}

/// How GETEX, memcached `gat` and `touch` change a key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpireChange {
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
///
/// Publishes `expire`, `persist` (when there was a deadline to remove) or
/// `del` (a time already past), as GETEX does.
pub(crate) fn get_and_expire<R>(
    srv: &Server,
    db: usize,
    key: &[u8],
    now: u64,
    change: ExpireChange,
    new_version: bool,
    f: impl FnOnce(&[u8], &Item<'_>) -> R,
) -> Result<Option<R>, WrongType> {
    let mut event = None;
    let r = srv
        .store
        .with_slot(db, key, now, |slot| expire_in(slot, change, new_version, f, &mut event));
    if let Some(event) = event {
        notify::event(srv, class::GENERIC, event, db, key);
    }
    r
}

fn expire_in<R>(
    slot: &mut Slot<'_>,
    change: ExpireChange,
    new_version: bool,
    f: impl FnOnce(&[u8], &Item<'_>) -> R,
    event: &mut Option<&'static str>,
) -> Result<Option<R>, WrongType> {
    let now = slot.now();
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
            *event = Some("del");
        }
        ExpireChange::At(t) => {
            let expiry = slot.plain_expiry(t);
            if let Some(mut e) = slot.get_mut() {
                e.set_timeout(expiry, new_version);
                *event = Some("expire");
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
                    *event = Some("persist");
                }
            }
        }
    }
    Ok(Some(r))
}

/// Removes a string key and returns its value (GETDEL). A key of another
/// type is left in place.
pub(crate) fn take_value(srv: &Server, db: usize, key: &[u8], now: u64) -> Result<Option<Vec<u8>>, WrongType> {
    let taken = srv.store.with_slot(db, key, now, |slot| {
        match slot.read(true).map(|e| e.as_str().is_some()) {
            None => Ok(None),
            Some(false) => Err(WrongType),
            Some(true) => Ok(slot.remove().and_then(|e| e.as_str().map(<[u8]>::to_vec))),
        }
    });
    if let Ok(Some(_)) = taken {
        notify::event(srv, class::GENERIC, "del", db, key);
    }
    taken
}

/// Removes a key of any type (memcached `delete`); true when it existed.
/// Publishes `del`.
pub(crate) fn remove_key(srv: &Server, db: usize, key: &[u8], now: u64) -> bool {
    let gone = srv.store.with_slot(db, key, now, |slot| slot.remove().is_some());
    if gone {
        notify::event(srv, class::GENERIC, "del", db, key);
    }
    gone
}

/// An APPEND-family write: Redis `APPEND`, memcached `append` and `prepend`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AppendArgs<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) data: &'a [u8],
    /// Put the data before the value (memcached `prepend`).
    pub(crate) front: bool,
    /// Store the data as a new value when the key is absent (Redis), or
    /// refuse (memcached).
    pub(crate) create_missing: bool,
    /// Longest value the result may be.
    pub(crate) max_len: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AppendOutcome {
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
/// Publishes `append` (memcached `prepend` too).
pub(crate) fn append_value(srv: &Server, db: usize, now: u64, a: &AppendArgs<'_>) -> AppendOutcome {
    let outcome = srv.store.with_slot(db, a.key, now, |slot| append_in(slot, a));
    if let AppendOutcome::Done { .. } = outcome {
        notify::event(srv, class::STRING, "append", db, a.key);
    }
    outcome
}

fn append_in(slot: &mut Slot<'_>, a: &AppendArgs<'_>) -> AppendOutcome {
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
pub(crate) enum Step {
    /// Redis: signed 64-bit; a result out of range is an error.
    Signed(i64),
    /// memcached: unsigned 64-bit; `incr` wraps around, `decr` stops at 0.
    Unsigned { delta: u64, decr: bool },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct IncrArgs<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) step: Step,
    /// Start an absent key from 0 (Redis), or report it missing (memcached).
    pub(crate) create_missing: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IncrOutcome {
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
/// Publishes `incrby`, for every step of either protocol.
pub(crate) fn incr_value(srv: &Server, db: usize, now: u64, a: &IncrArgs<'_>) -> IncrOutcome {
    let outcome = srv.store.with_slot(db, a.key, now, |slot| incr_in(slot, a));
    if let IncrOutcome::Done(_) = outcome {
        notify::event(srv, class::STRING, "incrby", db, a.key);
    }
    outcome
}

fn incr_in(slot: &mut Slot<'_>, a: &IncrArgs<'_>) -> IncrOutcome {
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
pub(crate) enum FloatError {
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
pub(crate) fn add_long_double(cur: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, FloatError> {
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
pub(crate) fn incr_float_value(
    srv: &Server,
    db: usize,
    now: u64,
    key: &[u8],
    incr: &[u8],
) -> Result<Vec<u8>, FloatError> {
    let sum = srv.store.with_slot(db, key, now, |slot| incr_float_in(slot, incr));
    if sum.is_ok() {
        notify::event(srv, class::STRING, "incrbyfloat", db, key);
    }
    sum
}

fn incr_float_in(slot: &mut Slot<'_>, incr: &[u8]) -> Result<Vec<u8>, FloatError> {
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
        assert_eq!(add(Some(b"1\x002"), b"1"), Err(FloatError::NotFloat));
        assert_eq!(add(Some(b"1"), b"1\x00"), Err(FloatError::NotFloat));
        let big = add(Some(b"10.5"), b"1e400").unwrap();
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("1000000000000000000028188"));
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
}
