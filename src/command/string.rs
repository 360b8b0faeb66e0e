//! String commands: the Redis handlers. They parse their arguments and
//! reply; the writes and reads themselves are the typed operations of
//! [`super::string_ops`], which memcached verbs run too.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::notify::{self, class};
use super::string_ops::{
    append_value, get_and_expire, get_value, incr_float_value, incr_value, set_value, take_value, AppendArgs,
    AppendOutcome, Cond, Expire, ExpireChange, FloatError, IncrArgs, IncrOutcome, SetArgs, SetOutcome, Step, WrongType,
};
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::{KeyHash, Value};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("get", 2, READONLY | FAST, "string", get)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc("1.0.0", "Returns the string value of a key.", "O(1)", "key"),
    spec("set", -3, WRITE | DENYOOM, "string", set)
        .key_specs(&[
            key(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS).notes("GET reads the old value; without it the key is only overwritten, as its finder reports"),
        ])
        .key_finder(finders::set)
        .doc(
            "1.0.0",
            "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
            "O(1)",
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
        ),
    spec("setnx", 3, WRITE | DENYOOM | FAST, "string", setnx)
        .key_specs(&[key(1, OW | INSERT)])
        .doc("1.0.0", "Stores a value only when the key is absent.", "O(1)", "key value"),
    spec("setex", 4, WRITE | DENYOOM, "string", setex)
        .key_specs(&[key(1, OW | UPDATE)])
        .doc("2.0.0", "Stores a value with a time to live in seconds.", "O(1)", "key seconds value"),
    spec("psetex", 4, WRITE | DENYOOM, "string", psetex)
        .key_specs(&[key(1, OW | UPDATE)])
        .doc(
            "2.6.0",
            "Stores a value with a time to live in milliseconds.",
            "O(1)",
            "key milliseconds value",
        ),
    spec("getset", 3, WRITE | DENYOOM | FAST, "string", getset)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc("1.0.0", "Stores a value and returns the one it replaced.", "O(1)", "key value"),
    spec("getdel", 2, WRITE | FAST, "string", getdel)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc("6.2.0", "Returns a string value and deletes its key.", "O(1)", "key"),
    spec("getex", -2, WRITE | FAST, "string", getex)
        .key_specs(&[
            key(1, RW | ACCESS | UPDATE).notes("Changing the timeout is an update, so the key is read and written"),
        ])
        .doc(
            "6.2.0",
            "Returns a string value and sets or clears its expiry.",
            "O(1)",
            "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
        ),
    spec("mget", -2, READONLY | FAST, "string", mget)
        .key_specs(&[key(1, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Returns the values of several keys at one instant.",
            "O(N) where N is the number of keys to retrieve.",
            "key [key ...]",
        ),
    spec("mset", -3, WRITE | DENYOOM, "string", mset)
        .key_specs(&[key(1, OW | UPDATE).range(-1, 2, 0)])
        .doc(
            "1.0.1",
            "Stores several key-value pairs at one instant.",
            "O(N) where N is the number of keys to set.",
            "key value [key value ...]",
        ),
    spec("msetnx", -3, WRITE | DENYOOM, "string", msetnx)
        .key_specs(&[key(1, OW | INSERT).range(-1, 2, 0)])
        .doc(
            "1.0.1",
            "Stores several key-value pairs only when none of the keys exists.",
            "O(N) where N is the number of keys to set.",
            "key value [key value ...]",
        ),
    spec("append", 3, WRITE | DENYOOM | FAST, "string", append)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "2.0.0",
            "Adds bytes to the end of a string, creating it when absent.",
            "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
            "key value",
        ),
    spec("strlen", 2, READONLY | FAST, "string", strlen)
        .key_specs(&[key(1, RO)])
        .doc("2.2.0", "Returns the length of a string value.", "O(1)", "key"),
    spec("incr", 2, WRITE | DENYOOM | FAST, "string", incr)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc("1.0.0", "Adds one to the integer held in a string.", "O(1)", "key"),
    spec("decr", 2, WRITE | DENYOOM | FAST, "string", decr)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc("1.0.0", "Subtracts one from the integer held in a string.", "O(1)", "key"),
    spec("incrby", 3, WRITE | DENYOOM | FAST, "string", incrby)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc("1.0.0", "Adds an amount to the integer held in a string.", "O(1)", "key increment"),
    spec("decrby", 3, WRITE | DENYOOM | FAST, "string", decrby)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "1.0.0",
            "Subtracts an amount from the integer held in a string.",
            "O(1)",
            "key decrement",
        ),
    spec("incrbyfloat", 3, WRITE | DENYOOM | FAST, "string", incrbyfloat)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "2.6.0",
            "Adds a decimal amount to the number held in a string.",
            "O(1)",
            "key increment",
        ),
    spec("lcs", -3, READONLY, "string", lcs).key_specs(&[key(1, RO | ACCESS).range(1, 1, 0)]).doc(
        "7.0.0",
        "Finds the longest common substring.",
        "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]",
    ),
    spec("getrange", 4, READONLY, "string", getrange)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.4.0",
            "Returns the bytes of a string between two offsets, both included.",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "key start end",
        ),
    spec("setrange", 4, WRITE | DENYOOM, "string", setrange)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.2.0",
            "Overwrites part of a string from an offset, padding with zero bytes.",
            "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
            "key offset value",
        ),
    spec("substr", 4, READONLY, "string", getrange)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Returns the bytes of a string between two offsets (the old name of GETRANGE).",
            "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
            "key start end",
        ),
];

/// Reads `EX s | PX ms | EXAT ts | PXAT ts` at `a[i]` (the unit word) and
/// `a[i+1]`, turning it into a Unix deadline in milliseconds. Rejects zero,
/// negative and overflowing times with Redis's "invalid expire time" error.
pub(crate) fn parse_expire(unit: &[u8], val: &[u8], now: u64, cmd: &str) -> Result<u64, String> {
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
        // Told key by key, each after its `new`, as Redis tells them.
        notify::event(ctx.srv, class::STRING, "set", db, kv[0]);
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
/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
/// ```
/// The longest common subsequence of two strings (a missing key reads as
/// empty): the string itself, its length (LEN), or (IDX) the matching
/// ranges, last first, as `{matches => [[[a0, a1], [b0, b1], len?] ...],
/// len => n}`. The dynamic programming table takes 4 bytes per pair of
/// positions: a table over `proto-max-bulk-len` is refused, as in Redis.
fn lcs(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    // As Redis: the types first, then the options.
    let mut values: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (k, v) in values.iter_mut().enumerate() {
        match get_value(ctx.srv, ctx.client.db, a[1 + k], ctx.now, true, |s, _| s.to_vec()) {
            Ok(Some(s)) => *v = s,
            Ok(None) => {}
            Err(WrongType) => return ctx.error(errors::LCS_NOT_STRINGS),
        }
    }
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0u64);
    let mut i = 3;
    while i < a.len() {
        let opt = a[i];
        if opt.eq_ignore_ascii_case(b"idx") {
            idx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            len_only = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            with_len = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && i + 1 < a.len() {
            match args::int(a[i + 1]) {
                Ok(n) => min_len = n.max(0) as u64,
                Err(e) => return ctx.error(e),
            }
            i += 1;
        } else {
            return ctx.error(errors::SYNTAX);
        }
        i += 1;
    }
    if len_only && idx {
        return ctx.error(errors::LCS_LEN_AND_IDX);
    }
    let [x, y] = &values;
    if x.len() >= u32::MAX as usize - 1 || y.len() >= u32::MAX as usize - 1 {
        return ctx.error(errors::LCS_TOO_LONG);
    }
    let cells = (x.len() as u128 + 1) * (y.len() as u128 + 1);
    if cells * 4 > ctx.srv.settings.proto_max_bulk_len() as u128 {
        return ctx.error(errors::LCS_OVER_BULK_LEN);
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return ctx.error(errors::LCS_NO_MEMORY);
    }
    let w = y.len() + 1;
    table.resize(cells as usize, 0);
    for i in 1..=x.len() {
        for j in 1..=y.len() {
            table[i * w + j] = if x[i - 1] == y[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let total = table[x.len() * w + y.len()];
    if len_only {
        return ctx.out.int(total as i64);
    }
    // Walk back from the end: the common bytes, and the ranges of
    // consecutive matches, last range first.
    let mut common = vec![0u8; total as usize];
    let mut ranges: Vec<[u64; 5]> = Vec::new();
    let mut open: Option<[usize; 4]> = None; // a_start, a_end, b_start, b_end
    let (mut i, mut j, mut k) = (x.len(), y.len(), total as usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        if x[i - 1] == y[j - 1] {
            common[k - 1] = x[i - 1];
            match &mut open {
                None => open = Some([i - 1, i - 1, j - 1, j - 1]),
                Some(r) if r[0] == i && r[2] == j => {
                    r[0] -= 1;
                    r[2] -= 1;
                }
                Some(_) => emit = true,
            }
            if open.is_some_and(|r| r[0] == 0 || r[2] == 0) {
                emit = true;
            }
            k -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * w + j] > table[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = open.is_some();
        }
        if emit {
            if let Some(r) = open.take() {
                let n = (r[1] - r[0] + 1) as u64;
                if min_len == 0 || n >= min_len {
                    ranges.push([r[0] as u64, r[1] as u64, r[2] as u64, r[3] as u64, n]);
                }
            }
        }
    }
    if !idx {
        return ctx.out.bulk(&common);
    }
    ctx.out.map(2);
    ctx.out.bulk(b"matches");
    ctx.out.array(ranges.len());
    for r in &ranges {
        ctx.out.array(2 + with_len as usize);
        ctx.out.array(2);
        ctx.out.int(r[0] as i64);
        ctx.out.int(r[1] as i64);
        ctx.out.array(2);
        ctx.out.int(r[2] as i64);
        ctx.out.int(r[3] as i64);
        if with_len {
            ctx.out.int(r[4] as i64);
        }
    }
    ctx.out.bulk(b"len");
    ctx.out.int(total as i64);
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
    let reply: Result<usize, &str> = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |slot| {
        let Some(mut e) = slot.get_mut() else {
            if data.is_empty() {
                return Ok(0);
            }
            if too_long {
                return Err(errors::STRING_TOO_LONG);
            }
            let mut v = vec![0u8; offset as usize];
            v.extend_from_slice(data);
            let len = v.len();
            slot.set(Value::Str(v), 0, 0);
            return Ok(len);
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
    });
    match reply {
        Ok(n) => {
            if !data.is_empty() {
                notify::event(ctx.srv, class::STRING, "setrange", ctx.client.db, a[1]);
            }
            ctx.out.int(n as i64)
        }
        Err(e) => ctx.error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcs_replies_as_redis_in_each_shape() {
        let mut h = crate::command::testing::Harness::new();
        h.run("MSET k1 ohmytext k2 mynewtext");
        assert_eq!(h.run("LCS k1 k2"), "$6\r\nmytext\r\n");
        assert_eq!(h.run("LCS k1 k2 LEN"), ":6\r\n");
        assert_eq!(
            h.run("LCS k1 k2 IDX MINMATCHLEN 4 WITHMATCHLEN"),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
        );
        h.client.resp3 = true;
        assert_eq!(
            h.run("LCS k1 k2 IDX"),
            "%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(h.run("LCS k1 nokey"), "$0\r\n\r\n");
    }

    #[test]
    fn lcs_refuses_a_table_over_proto_max_bulk_len_and_bad_options() {
        let mut h = crate::command::testing::Harness::new();
        h.run("CONFIG SET proto-max-bulk-len 1mb");
        h.run("SETRANGE big 999 x");
        assert_eq!(
            h.run("LCS big big"),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
        );
        assert_eq!(
            h.run("LCS big big LEN IDX"),
            "-ERR If you want both the length and indexes, please just use IDX.\r\n"
        );
        assert_eq!(h.run("LCS a b FOO"), "-ERR syntax error\r\n");
        assert_eq!(h.run("LCS a b MINMATCHLEN"), "-ERR syntax error\r\n");
        h.run("RPUSH l x");
        assert_eq!(
            h.run("LCS l b FOO"),
            "-ERR The specified keys must contain string values\r\n"
        );
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
            assert_eq!(c.legacy_keys(), keys, "{name}");
            assert!(!c.doc.summary.is_empty() && !c.doc.syntax.is_empty(), "{name}");
        }
        assert_eq!(
            lookup(b"mset")
                .unwrap()
                .key_positions(&[b"mset", b"a", b"1", b"b", b"2"]),
            vec![1, 3]
        );
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
