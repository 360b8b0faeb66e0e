//! String commands.

use super::args::{self, is};
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::Value;

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
];

/// ```text
/// GET key
/// ```
fn get(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let kh = ctx.hash(a[1]);
    let touch = !ctx.client.no_touch;
    let mut locked = ctx.srv.store.lock(kh);
    let mut slot = locked.slot(ctx.client.db, a[1], kh, ctx.now);
    match slot.read(touch).map(|e| e.value()) {
        None => ctx.out.null(),
        Some(Value::Str(s)) => ctx.out.bulk(s),
        #[allow(unreachable_patterns)]
        Some(_) => {
            drop(locked);
            ctx.error(errors::WRONGTYPE)
        }
    }
}

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
    /// Expire at this Unix time in milliseconds.
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
pub fn set_value(ctx: &Ctx<'_>, db: usize, s: &SetArgs<'_>) -> SetOutcome {
    let kh = ctx.hash(s.key);
    let mut locked = ctx.srv.store.lock(kh);
    let mut slot = locked.slot(db, s.key, kh, ctx.now);
    let (exists, old_expire, old) = match slot.peek() {
        None => (false, 0, None),
        Some(e) => {
            let old = match (s.get, e.value()) {
                (false, _) => None,
                (true, Value::Str(v)) => Some(v.clone()),
                #[allow(unreachable_patterns)]
                (true, _) => return SetOutcome::WrongType,
            };
            match s.cond {
                Cond::Version(v) if e.version() != v => return SetOutcome::VersionMismatch,
                _ => {}
            }
            (true, e.expire_at().unwrap_or(0), old)
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
    let expire_at = match s.expire {
        Expire::None => 0,
        Expire::At(t) => t,
        Expire::Keep => old_expire,
    };
    let version = slot.set(Value::Str(s.value.to_vec()), expire_at, s.flags);
    SetOutcome::Stored { version, old }
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
/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts | KEEPTTL]
/// ```
fn set(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut s = SetArgs {
        key: a[1],
        value: a[2],
        cond: Cond::Always,
        expire: Expire::None,
        flags: 0,
        get: false,
    };
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
    let db = ctx.client.db;
    match set_value(ctx, db, &s) {
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
