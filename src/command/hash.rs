//! Hash commands: fields and values under one key.
//!
//! Each handler hashes its key once, locks the shard and answers straight
//! from the stored [`Hash`] into the output buffer, so a read copies no
//! field. Writes go through `Slot::write`, which creates a missing hash,
//! deletes one left empty and re-counts its memory. A write that changed
//! the hash then publishes Redis's keyspace event for it (see [`notify`]),
//! with the shard unlocked.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{flags::*, key};
use super::keys::parse_cursor;
use super::notify::{self, class};
use super::string_ops::{add_long_double, FloatError};
use super::{errors, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::store::{Hash, WrongType};
use crate::util::number::{parse_i64_exact, push_int};
use crate::util::rand::rand_below;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("hset", -4, WRITE | DENYOOM | FAST, "hash", hset)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.0.0",
            "Creates or modifies the value of a field in a hash.",
            "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
            "key field value [field value ...]",
        ),
    spec("hsetnx", 4, WRITE | DENYOOM | FAST, "hash", hsetnx)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "2.0.0",
            "Sets the value of a field in a hash only when the field doesn't exist.",
            "O(1)",
            "key field value",
        ),
    spec("hmset", -4, WRITE | DENYOOM | FAST, "hash", hmset)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "2.0.0",
            "Sets the values of multiple fields.",
            "O(N) where N is the number of fields being set.",
            "key field value [field value ...]",
        ),
    spec("hget", 3, READONLY | FAST, "hash", hget)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc("2.0.0", "Returns the value of a field in a hash.", "O(1)", "key field"),
    spec("hmget", -3, READONLY | FAST, "hash", hmget)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns the values of all fields in a hash.",
            "O(N) where N is the number of fields being requested.",
            "key field [field ...]",
        ),
    spec("hgetall", 2, READONLY, "hash", hgetall)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns all fields and values in a hash.",
            "O(N) where N is the size of the hash.",
            "key",
        ),
    spec("hkeys", 2, READONLY, "hash", hkeys)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns all fields in a hash.",
            "O(N) where N is the size of the hash.",
            "key",
        ),
    spec("hvals", 2, READONLY, "hash", hvals)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns all values in a hash.",
            "O(N) where N is the size of the hash.",
            "key",
        ),
    spec("hdel", -3, WRITE | FAST, "hash", hdel)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "2.0.0",
            "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
            "O(N) where N is the number of fields to be removed.",
            "key field [field ...]",
        ),
    spec("hexists", 3, READONLY | FAST, "hash", hexists)
        .key_specs(&[key(1, RO)])
        .doc("2.0.0", "Determines whether a field exists in a hash.", "O(1)", "key field"),
    spec("hlen", 2, READONLY | FAST, "hash", hlen)
        .key_specs(&[key(1, RO)])
        .doc("2.0.0", "Returns the number of fields in a hash.", "O(1)", "key"),
    spec("hstrlen", 3, READONLY | FAST, "hash", hstrlen)
        .key_specs(&[key(1, RO)])
        .doc("3.2.0", "Returns the length of the value of a field.", "O(1)", "key field"),
    spec("hincrby", 4, WRITE | DENYOOM | FAST, "hash", hincrby)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "2.0.0",
            "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
            "O(1)",
            "key field increment",
        ),
    spec("hincrbyfloat", 4, WRITE | DENYOOM | FAST, "hash", hincrbyfloat)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "2.6.0",
            "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
            "O(1)",
            "key field increment",
        ),
    spec("hrandfield", -2, READONLY, "hash", hrandfield)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.2.0",
            "Returns one or more random fields from a hash.",
            "O(N) where N is the number of fields returned",
            "key [count [WITHVALUES]]",
        ),
    spec("hscan", -3, READONLY, "hash", hscan)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.0",
            "Iterates over fields and values of a hash.",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            "key cursor [MATCH pattern] [COUNT count]",
        ),
];

/// Runs `f` on the hash under `key` (`None` when the key is missing) with
/// its shard locked, replying WRONGTYPE for a key of another type. The read
/// counts a keyspace hit or miss.
fn read(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&mut Reply<'_>, Option<&Hash>)) {
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    srv.store.with_slot(db, key, now, |slot| match slot.view::<Hash>() {
        Ok(h) => f(&mut ctx.out, h),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    })
}

/// Changes the hash under `key` with `f` (see `Slot::write`), the shard
/// unlocked again before the caller replies.
fn write<R>(
    ctx: &Ctx<'_>,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut Hash) -> (R, bool),
) -> Result<Option<R>, WrongType> {
    ctx.srv
        .store
        .with_slot(ctx.db(), key, ctx.now, |slot| slot.write::<Hash, R>(create, f))
}

/// Publishes a hash event on `key`, with the shard unlocked.
fn publish(ctx: &Ctx<'_>, event: &str, key: &[u8]) {
    notify::event(ctx.srv, class::HASH, event, ctx.db(), key);
}

/// HSET and HMSET: sets every pair, returns how many fields are new. The
/// arity check of Redis's own handler: the pairs must be whole. Publishes
/// `hset` even when every value was already there, as Redis does.
fn set_pairs(ctx: &mut Ctx<'_>, a: &[&[u8]], name: &str) -> Option<i64> {
    if !a.len().is_multiple_of(2) {
        ctx.error(&errors::wrong_arity(name));
        return None;
    }
    let r = write(ctx, a[1], true, |h| {
        let added = a[2..].chunks_exact(2).filter(|p| h.insert(p[0], p[1])).count();
        // Redis counts every HSET as a change, even one that rewrites the
        // same values.
        (added as i64, true)
    });
    match r {
        Ok(n) => {
            publish(ctx, "hset", a[1]);
            Some(n.unwrap_or(0))
        }
        Err(WrongType) => {
            ctx.error(errors::WRONGTYPE);
            None
        }
    }
}

/// ```text
/// HSET key field value [field value ...]
/// ```
fn hset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if let Some(n) = set_pairs(ctx, a, "hset") {
        ctx.out.int(n);
    }
}

/// ```text
/// HMSET key field value [field value ...]
/// ```
/// HSET's older name, replying OK.
fn hmset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if set_pairs(ctx, a, "hmset").is_some() {
        ctx.out.ok();
    }
}

/// ```text
/// HSETNX key field value
/// ```
/// Publishes `hset` when it set the field.
fn hsetnx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = write(ctx, a[1], true, |h| match h.contains(a[2]) {
        true => (0, false),
        false => (h.insert(a[2], a[3]) as i64, true),
    });
    match r {
        Ok(n) => {
            let n = n.unwrap_or(0);
            if n > 0 {
                publish(ctx, "hset", a[1]);
            }
            ctx.out.int(n)
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// HGET key field
/// ```
fn hget(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| match h.and_then(|h| h.get(a[2])) {
        Some(v) => out.bulk(v),
        None => out.null(),
    });
}

/// ```text
/// HMGET key field [field ...]
/// ```
/// A missing key answers a nil for every field.
fn hmget(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| {
        out.array(a.len() - 2);
        for f in &a[2..] {
            match h.and_then(|h| h.get(f)) {
                Some(v) => out.bulk(v),
                None => out.null(),
            }
        }
    });
}

/// ```text
/// HGETALL key
/// ```
/// A map in RESP3, a flat field-value array in RESP2.
fn hgetall(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| {
        let Some(h) = h else {
            return out.map(0);
        };
        out.map(h.len());
        for (f, v) in h.iter() {
            out.bulk(f);
            out.bulk(v);
        }
    });
}

/// ```text
/// HKEYS key
/// ```
fn hkeys(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| match h {
        Some(h) => out.bulks(h.iter().map(|(f, _)| f)),
        None => out.array(0),
    });
}

/// ```text
/// HVALS key
/// ```
fn hvals(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| match h {
        Some(h) => out.bulks(h.iter().map(|(_, v)| v)),
        None => out.array(0),
    });
}

/// ```text
/// HDEL key field [field ...]
/// ```
/// Deletes the key with its last field. Publishes `hdel` when a field
/// went, then `del` when the last one did.
fn hdel(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = write(ctx, a[1], false, |h| {
        let n = a[2..].iter().filter(|f| h.remove(f)).count();
        ((n as i64, h.is_empty()), n > 0)
    });
    match r {
        Ok(Some((n, emptied))) => {
            if n > 0 {
                publish(ctx, "hdel", a[1]);
                if emptied {
                    notify::event(ctx.srv, class::GENERIC, "del", ctx.db(), a[1]);
                }
            }
            ctx.out.int(n)
        }
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// HEXISTS key field
/// ```
fn hexists(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| out.int(h.is_some_and(|h| h.contains(a[2])) as i64));
}

/// ```text
/// HLEN key
/// ```
fn hlen(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| out.int(h.map_or(0, Hash::len) as i64));
}

/// ```text
/// HSTRLEN key field
/// ```
fn hstrlen(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, h| {
        out.int(h.and_then(|h| h.get(a[2])).map_or(0, <[u8]>::len) as i64)
    });
}

/// ```text
/// HINCRBY key field increment
/// ```
/// A missing field counts as 0; the value must be a 64-bit integer in
/// canonical form and the sum must fit.
fn hincrby(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let by = match args::int(a[3]) {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let r = write(ctx, a[1], true, |h| {
        let old = match h.get(a[2]) {
            None => 0,
            Some(v) => match parse_i64_exact(v) {
                Some(n) => n,
                None => return (Err(errors::HASH_NOT_INTEGER), false),
            },
        };
        let Some(new) = old.checked_add(by) else {
            return (Err(errors::OVERFLOW), false);
        };
        let mut text = Vec::with_capacity(20);
        push_int(&mut text, new);
        h.insert(a[2], &text);
        (Ok(new), true)
    });
    match r {
        Ok(Some(Ok(n))) => {
            publish(ctx, "hincrby", a[1]);
            ctx.out.int(n)
        }
        Ok(Some(Err(e))) => ctx.error(e),
        Ok(None) => unreachable!("a write that creates always runs"),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// HINCRBYFLOAT key field increment
/// ```
/// Computed and printed as INCRBYFLOAT does (C `long double`, `%.17Lf`
/// without trailing zeros). The increment is checked before the key, as
/// Redis does: an infinite one is refused even on a missing key.
fn hincrbyfloat(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match add_long_double(None, a[3]) {
        Ok(_) => {}
        Err(FloatError::NanOrInf) => return ctx.error(errors::NAN_OR_INF),
        Err(_) => return ctx.error(errors::NOT_FLOAT),
    }
    let r = write(ctx, a[1], true, |h| match add_long_double(h.get(a[2]), a[3]) {
        Ok(sum) => {
            h.insert(a[2], &sum);
            (Ok(sum), true)
        }
        // The increment parsed above, so it is the stored value that did not.
        Err(FloatError::NanOrInf) => (Err(errors::INCR_NAN_OR_INF), false),
        Err(_) => (Err(errors::HASH_NOT_FLOAT), false),
    });
    match r {
        Ok(Some(Ok(sum))) => {
            publish(ctx, "hincrbyfloat", a[1]);
            ctx.out.bulk(&sum)
        }
        Ok(Some(Err(e))) => ctx.error(e),
        Ok(None) => unreachable!("a write that creates always runs"),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// Writes one HRANDFIELD pick: the field, or with values the field and its
/// value, as a pair in RESP3.
fn rand_pick(out: &mut Reply<'_>, (f, v): (&[u8], &[u8]), withvalues: bool) {
    if withvalues && out.resp3 {
        out.array(2);
    }
    out.bulk(f);
    if withvalues {
        out.bulk(v);
    }
}

/// The array header of an HRANDFIELD reply of `n` picks.
fn rand_header(out: &mut Reply<'_>, n: usize, withvalues: bool) {
    out.array(if withvalues && !out.resp3 { n * 2 } else { n });
}

/// ```text
/// HRANDFIELD key [count [WITHVALUES]]
/// ```
/// Without a count, one field or nil. A positive count gives distinct
/// fields (the whole hash when it is not larger); a negative one gives
/// that many picks, repeats allowed. WITHVALUES pairs each field with its
/// value: flat in RESP2, two-element arrays in RESP3.
fn hrandfield(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() == 2 {
        return read(ctx, a[1], |out, h| match h {
            Some(h) => out.bulk(h.at(rand_below(h.len())).0),
            None => out.null(),
        });
    }
    let l = match args::int(a[2]) {
        Err(e) => return ctx.error(e),
        Ok(i64::MIN) => return ctx.error(errors::NEGATABLE_RANGE),
        Ok(l) => l,
    };
    if a.len() > 4 || (a.len() == 4 && !is(a[3], "withvalues")) {
        return ctx.error(errors::SYNTAX);
    }
    let withvalues = a.len() == 4;
    // Redis's guard against a reply length that would overflow.
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return ctx.error(errors::OUT_OF_RANGE);
    }
    let ceiling = ctx.picks_ceiling();
    let mut complete = true;
    read(ctx, a[1], |out, h| {
        let Some(h) = h else {
            return out.array(0);
        };
        let count = l.unsigned_abs() as usize;
        if count == 0 {
            return out.array(0);
        }
        if l < 0 || count == 1 {
            rand_header(out, count, withvalues);
            complete = super::picks_within(out, count as u64, ceiling, |out| {
                rand_pick(out, h.at(rand_below(h.len())), withvalues)
            });
        } else if count >= h.len() {
            rand_header(out, h.len(), withvalues);
            for p in h.iter() {
                rand_pick(out, p, withvalues);
            }
        } else {
            rand_header(out, count, withvalues);
            for i in distinct_picks(h.len(), count) {
                rand_pick(out, h.at(i), withvalues);
            }
        }
    });
    if !complete {
        ctx.close_over_limit("HRANDFIELD");
    }
}

/// `count` distinct indexes below `n` (count < n), in random order.
fn distinct_picks(n: usize, count: usize) -> Vec<usize> {
    if count * 3 > n {
        // Many of them: the first `count` of a partial shuffle.
        let mut idx: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + rand_below(n - i);
            idx.swap(i, j);
        }
        idx.truncate(count);
        idx
    } else {
        // Few of them: draw until enough are distinct.
        let mut seen = hashbrown::HashSet::with_capacity(count);
        let mut picks = Vec::with_capacity(count);
        while picks.len() < count {
            let i = rand_below(n);
            if seen.insert(i) {
                picks.push(i);
            }
        }
        picks
    }
}

/// ```text
/// HSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// The cursor is a position in the hash's own hash order, so a field
/// present for the whole iteration is returned exactly once however the
/// hash grows or shrinks in between. A small hash comes whole in one reply
/// with cursor 0, as Redis's listpack does. As in Redis, a missing key
/// answers an empty page before the options are read.
fn hscan(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(cursor) = parse_cursor(a[2]) else {
        return ctx.error(errors::INVALID_CURSOR);
    };
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    srv.store.with_slot(db, a[1], now, |slot| {
        let h = match slot.view::<Hash>() {
            Err(WrongType) => return ctx.error(errors::WRONGTYPE),
            Ok(None) => {
                super::keys::cursor_reply(&mut ctx.out, 0);
                return ctx.out.array(0);
            }
            Ok(Some(h)) => h,
        };
        let opts = match super::keys::scan_options(&a[3..], false) {
            Ok(o) => o,
            Err(e) => return ctx.error(e),
        };
        let mut page: Vec<(&[u8], &[u8])> = Vec::new();
        let next = h.scan(cursor, opts.count, |f, v| {
            if opts.matches(f) {
                page.push((f, v));
            }
        });
        let out = &mut ctx.out;
        super::keys::cursor_reply(out, next);
        out.array(page.len() * 2);
        for (f, v) in page {
            out.bulk(f);
            out.bulk(v);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::lookup;

    use crate::command::notify::testing::Events;
    use crate::command::testing::Harness;

    /// This family's helpers on the shared harness.
    trait Local {
        fn run3(&mut self, line: &str) -> String;
    }

    impl Local for Harness {
        fn run3(&mut self, line: &str) -> String {
            self.client.resp3 = true;
            let reply = self.run(line);
            self.client.resp3 = false;
            reply
        }
    }

    fn err(msg: &str) -> String {
        format!("-{msg}\r\n")
    }

    #[test]
    fn specs_match_redis_arity_flags_and_keys() {
        let table: &[(&str, i32, u32)] = &[
            ("hset", -4, WRITE | DENYOOM | FAST),
            ("hsetnx", 4, WRITE | DENYOOM | FAST),
            ("hmset", -4, WRITE | DENYOOM | FAST),
            ("hget", 3, READONLY | FAST),
            ("hmget", -3, READONLY | FAST),
            ("hgetall", 2, READONLY),
            ("hkeys", 2, READONLY),
            ("hvals", 2, READONLY),
            ("hdel", -3, WRITE | FAST),
            ("hexists", 3, READONLY | FAST),
            ("hlen", 2, READONLY | FAST),
            ("hstrlen", 3, READONLY | FAST),
            ("hincrby", 4, WRITE | DENYOOM | FAST),
            ("hincrbyfloat", 4, WRITE | DENYOOM | FAST),
            ("hrandfield", -2, READONLY),
            ("hscan", -3, READONLY),
        ];
        assert_eq!(COMMANDS.len(), table.len());
        for &(name, arity, flags) in table {
            let c = lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!((c.arity, c.flags), (arity, flags), "{name}");
            assert_eq!(c.legacy_keys(), (1, 1, 1), "{name}");
            assert_eq!(c.group, "hash");
            assert!(!c.doc.summary.is_empty() && !c.doc.syntax.is_empty(), "{name}");
        }
    }

    #[test]
    fn hset_counts_new_fields_and_hget_reads_them() {
        let mut h = Harness::new();
        assert_eq!(h.run("HSET h a 1 b 2"), ":2\r\n");
        assert_eq!(h.run("HSET h a 3 c 4"), ":1\r\n");
        assert_eq!(h.run("HGET h a"), "$1\r\n3\r\n");
        assert_eq!(h.run("HGET h nope"), "$-1\r\n");
        assert_eq!(h.run("HGET nokey a"), "$-1\r\n");
        assert_eq!(h.run("HMSET h d 5"), "+OK\r\n");
        assert_eq!(h.run("HLEN h"), ":4\r\n");
    }

    #[test]
    fn hset_with_a_field_missing_its_value_is_an_arity_error() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("HSET h a 1 b"),
            err("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(
            h.run("HMSET h a 1 b"),
            err("ERR wrong number of arguments for 'hmset' command")
        );
        assert_eq!(
            h.run("HSET h a"),
            err("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(h.run("EXISTS h"), ":0\r\n");
    }

    #[test]
    fn hsetnx_sets_only_a_missing_field() {
        let mut h = Harness::new();
        assert_eq!(h.run("HSETNX h a 1"), ":1\r\n");
        assert_eq!(h.run("HSETNX h a 2"), ":0\r\n");
        assert_eq!(h.run("HGET h a"), "$1\r\n1\r\n");
    }

    #[test]
    fn hmget_answers_nil_for_missing_fields_and_keys() {
        let mut h = Harness::new();
        h.run("HSET h a 1");
        assert_eq!(h.run("HMGET h a x"), "*2\r\n$1\r\n1\r\n$-1\r\n");
        assert_eq!(h.run("HMGET nokey a x"), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(h.run3("HMGET nokey a"), "*1\r\n_\r\n");
    }

    #[test]
    fn hgetall_is_a_flat_array_in_resp2_and_a_map_in_resp3() {
        let mut h = Harness::new();
        h.run("HSET h a 1");
        assert_eq!(h.run("HGETALL h"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(h.run3("HGETALL h"), "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(h.run("HGETALL nokey"), "*0\r\n");
        assert_eq!(h.run3("HGETALL nokey"), "%0\r\n");
        assert_eq!(h.run("HKEYS h"), "*1\r\n$1\r\na\r\n");
        assert_eq!(h.run("HVALS h"), "*1\r\n$1\r\n1\r\n");
        assert_eq!(h.run("HKEYS nokey"), "*0\r\n");
    }

    #[test]
    fn hdel_removes_fields_and_the_key_with_the_last() {
        let mut h = Harness::new();
        h.run("HSET h a 1 b 2");
        assert_eq!(h.run("HDEL h a a x"), ":1\r\n");
        assert_eq!(h.run("HEXISTS h a"), ":0\r\n");
        assert_eq!(h.run("HEXISTS h b"), ":1\r\n");
        assert_eq!(h.run("HDEL h b"), ":1\r\n");
        assert_eq!(h.run("EXISTS h"), ":0\r\n");
        assert_eq!(h.run("HDEL h b"), ":0\r\n");
    }

    #[test]
    fn hstrlen_is_the_value_length_or_zero() {
        let mut h = Harness::new();
        h.run("HSET h a hello");
        assert_eq!(h.run("HSTRLEN h a"), ":5\r\n");
        assert_eq!(h.run("HSTRLEN h b"), ":0\r\n");
        assert_eq!(h.run("HSTRLEN nokey b"), ":0\r\n");
    }

    #[test]
    fn hincrby_adds_and_refuses_non_integers_and_overflow() {
        let mut h = Harness::new();
        assert_eq!(h.run("HINCRBY h n 5"), ":5\r\n");
        assert_eq!(h.run("HINCRBY h n -7"), ":-2\r\n");
        assert_eq!(h.run("HGET h n"), "$2\r\n-2\r\n");
        assert_eq!(h.run("HINCRBY h n x"), err(errors::NOT_INTEGER));
        h.run("HSET h s abc big 9223372036854775807");
        assert_eq!(h.run("HINCRBY h s 1"), err("ERR hash value is not an integer"));
        assert_eq!(
            h.run("HINCRBY h big 1"),
            err("ERR increment or decrement would overflow")
        );
        assert_eq!(h.run("HGET h big"), "$19\r\n9223372036854775807\r\n");
        assert_eq!(h.run("HINCRBY new n x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("EXISTS new"), ":0\r\n");
    }

    #[test]
    fn hincrbyfloat_formats_as_redis_and_refuses_bad_values() {
        let mut h = Harness::new();
        assert_eq!(h.run("HINCRBYFLOAT h f 0.1"), "$3\r\n0.1\r\n");
        assert_eq!(h.run("HINCRBYFLOAT h f 0.2"), "$3\r\n0.3\r\n");
        assert_eq!(h.run("HINCRBYFLOAT h f 1e3"), "$22\r\n1000.29999999999999999\r\n");
        assert_eq!(h.run("HINCRBYFLOAT h f abc"), err("ERR value is not a valid float"));
        assert_eq!(h.run("HINCRBYFLOAT h f inf"), err("ERR value is NaN or Infinity"));
        assert_eq!(h.run("HINCRBYFLOAT nokey f inf"), err("ERR value is NaN or Infinity"));
        h.run("HSET h s abc i inf");
        assert_eq!(h.run("HINCRBYFLOAT h s 1"), err("ERR hash value is not a float"));
        assert_eq!(
            h.run("HINCRBYFLOAT h i 1"),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(h.run("EXISTS nokey"), ":0\r\n");
    }

    #[test]
    fn every_command_on_a_string_key_is_wrongtype() {
        let mut h = Harness::new();
        h.run("SET s v");
        let wt = err(errors::WRONGTYPE);
        for cmd in [
            "HSET s a 1",
            "HSETNX s a 1",
            "HMSET s a 1",
            "HGET s a",
            "HMGET s a",
            "HGETALL s",
            "HKEYS s",
            "HVALS s",
            "HDEL s a",
            "HEXISTS s a",
            "HLEN s",
            "HSTRLEN s a",
            "HINCRBY s a 1",
            "HINCRBYFLOAT s a 1",
            "HRANDFIELD s",
            "HRANDFIELD s 0",
            "HRANDFIELD s -3 WITHVALUES",
            "HSCAN s 0",
            "HSCAN s 0 BAD option",
        ] {
            assert_eq!(h.run(cmd), wt, "{cmd}");
        }
        assert_eq!(h.run("GET s"), "$1\r\nv\r\n");
    }

    #[test]
    fn hrandfield_argument_errors_match_redis() {
        let mut h = Harness::new();
        h.run("HSET h a 1");
        assert_eq!(h.run("HRANDFIELD h x"), err(errors::NOT_INTEGER));
        assert_eq!(
            h.run("HRANDFIELD h -9223372036854775808"),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            h.run("HRANDFIELD h -4611686018427387904 WITHVALUES"),
            err("ERR value is out of range")
        );
        assert_eq!(
            h.run("HRANDFIELD h 4611686018427387904 WITHVALUES"),
            err("ERR value is out of range")
        );
        assert_eq!(h.run("HRANDFIELD h 1 foo"), err(errors::SYNTAX));
        assert_eq!(h.run("HRANDFIELD h 1 WITHVALUES x"), err(errors::SYNTAX));
    }

    #[test]
    fn hrandfield_shapes_in_resp2_and_resp3() {
        let mut h = Harness::new();
        assert_eq!(h.run("HRANDFIELD nokey"), "$-1\r\n");
        assert_eq!(h.run3("HRANDFIELD nokey"), "_\r\n");
        assert_eq!(h.run("HRANDFIELD nokey 3 WITHVALUES"), "*0\r\n");
        h.run("HSET h a 1");
        assert_eq!(h.run("HRANDFIELD h"), "$1\r\na\r\n");
        assert_eq!(h.run("HRANDFIELD h 0"), "*0\r\n");
        assert_eq!(h.run("HRANDFIELD h 5"), "*1\r\n$1\r\na\r\n");
        assert_eq!(h.run("HRANDFIELD h -2"), "*2\r\n$1\r\na\r\n$1\r\na\r\n");
        assert_eq!(
            h.run("HRANDFIELD h -2 withvalues"),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            h.run3("HRANDFIELD h -2 WITHVALUES"),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            h.run3("HRANDFIELD h 1 WITHVALUES"),
            "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
    }

    #[test]
    fn hrandfield_positive_count_gives_distinct_fields() {
        let mut h = Harness::new();
        for i in 0..300 {
            h.run(&format!("HSET h f{i} v{i}"));
        }
        // Both ways of drawing: most of the hash, and a few of it.
        for count in [250, 20] {
            let reply = h.run(&format!("HRANDFIELD h {count}"));
            let fields: Vec<&str> = reply.split("\r\n").filter(|l| l.starts_with('f')).collect();
            let uniq: std::collections::HashSet<_> = fields.iter().collect();
            assert_eq!(fields.len(), count);
            assert_eq!(uniq.len(), count, "repeats in a positive count");
        }
    }

    #[test]
    fn distinct_picks_are_distinct_and_in_range() {
        for (n, count) in [(10, 9), (10, 1), (1000, 5), (1000, 400)] {
            let picks = distinct_picks(n, count);
            let uniq: std::collections::HashSet<_> = picks.iter().collect();
            assert_eq!(uniq.len(), count);
            assert!(picks.iter().all(|&i| i < n));
        }
    }

    #[test]
    fn hscan_of_a_small_hash_returns_it_whole_with_cursor_zero() {
        let mut h = Harness::new();
        h.run("HSET h a 1 b 2");
        let all = h.run("HSCAN h 0");
        assert!(all.starts_with("*2\r\n$1\r\n0\r\n*4\r\n"), "{all}");
        assert_eq!(
            h.run("HSCAN h 0 MATCH a*"),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(h.run("HSCAN nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(h.run("HSCAN nokey 0 bad"), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    #[test]
    fn hscan_argument_errors_match_redis() {
        let mut h = Harness::new();
        h.run("HSET h a 1");
        assert_eq!(h.run("HSCAN h x"), err(errors::INVALID_CURSOR));
        assert_eq!(h.run("HSCAN h 0 COUNT 0"), err(errors::SYNTAX));
        assert_eq!(h.run("HSCAN h 0 COUNT x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("HSCAN h 0 MATCH"), err(errors::SYNTAX));
        assert_eq!(h.run("HSCAN h 0 NOVALUES"), err(errors::SYNTAX));
        assert_eq!(h.run("HSCAN h 0 TYPE hash"), err(errors::SYNTAX));
    }

    /// Parses an HSCAN reply in RESP2: the next cursor and the fields.
    fn scan_page(reply: &str) -> (u64, Vec<String>) {
        let lines: Vec<&str> = reply.split("\r\n").collect();
        let cursor = lines[2].parse().expect("cursor");
        let fields = lines[4..]
            .chunks(4)
            .filter(|c| c.len() == 4)
            .map(|c| c[1].to_string())
            .collect();
        (cursor, fields)
    }

    #[test]
    fn hscan_of_a_big_hash_pages_and_returns_every_field() {
        let mut h = Harness::new();
        for i in 0..500 {
            h.run(&format!("HSET h f{i} v"));
        }
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut calls) = (0, 0);
        loop {
            let (next, fields) = scan_page(&h.run(&format!("HSCAN h {cursor} COUNT 20")));
            for f in fields {
                assert!(seen.insert(f), "a field came twice");
            }
            calls += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 500);
        assert!(calls > 10, "{calls} calls");
    }

    /// `key event` pairs as their keyspace channels carry them in db 0.
    fn keyspace(events: &[&str]) -> Vec<String> {
        events.iter().map(|e| format!("__keyspace@0__:{e}")).collect()
    }

    #[test]
    fn hset_forms_publish_hset_even_unchanged_and_hsetnx_only_when_it_sets() {
        let mut ev = Events::new("Kghn");
        ev.run("HSET h a 1");
        ev.run("HSET h a 1");
        ev.run("HMSET h b 2");
        ev.run("HSETNX h a 9");
        ev.run("HSETNX h c 3");
        ev.run("HSETNX nh c 3");
        assert_eq!(
            ev.take(),
            keyspace(&["h new", "h hset", "h hset", "h hset", "h hset", "nh new", "nh hset"])
        );
    }

    #[test]
    fn increments_publish_only_when_they_stored_a_number() {
        let mut ev = Events::new("Kghn");
        ev.run("HSET h a 1 s abc");
        ev.take();
        ev.run("HINCRBY h a 5");
        ev.run("HINCRBY h s 1");
        ev.run("HINCRBY h zz 0");
        ev.run("HINCRBY h a 9223372036854775807");
        ev.run("HINCRBYFLOAT h a 1.5");
        ev.run("HINCRBYFLOAT h s 1");
        ev.run("HINCRBYFLOAT nh f inf");
        assert_eq!(ev.take(), keyspace(&["h hincrby", "h hincrby", "h hincrbyfloat"]));
    }

    #[test]
    fn hdel_publishes_when_a_field_went_and_del_with_the_last() {
        let mut ev = Events::new("Kgh");
        ev.run("HSET h a 1 b 2 c 3");
        ev.take();
        ev.run("HDEL h zz");
        ev.run("HDEL nh zz");
        ev.run("HDEL h a b");
        ev.run("HDEL h c zz");
        assert_eq!(ev.take(), keyspace(&["h hdel", "h hdel", "h del"]));
    }
}
