//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SUNION, SDIFF, their STORE
//! forms and SSCAN.
//!
//! Commands over several keys lock all their shards at once
//! ([`crate::store::Store::lock_many`]), so they read and write one
//! instant of the keyspace. A locked shard hands out one slot at a time,
//! so an intersection or difference copies the members of its first set
//! into one flat buffer ([`Members`]) and filters that against each other
//! set in turn; member hashes are computed once and reused for every
//! lookup (every set hashes alike, see `member_hash` in `store::types`).
//!
//! A change publishes the keyspace events Redis 7.0 publishes for it, in
//! its order, once the shards are unlocked (see [`notify`]).

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::{Aggregate, KeyHash, Set, WrongType};
use crate::util::rand::rand_u64;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("sadd", -3, WRITE | DENYOOM | FAST, "set", sadd)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "1.0.0",
            "Adds one or more members to a set. Creates the key if it doesn't exist.",
            "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            "key member [member ...]",
        ),
    spec("srem", -3, WRITE | FAST, "set", srem)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "1.0.0",
            "Removes one or more members from a set. Deletes the set if the last member was removed.",
            "O(N) where N is the number of members to be removed.",
            "key member [member ...]",
        ),
    spec("smembers", 2, READONLY, "set", smembers)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Returns all members of a set.",
            "O(N) where N is the set cardinality.",
            "key",
        ),
    spec("sismember", 3, READONLY | FAST, "set", sismember)
        .key_specs(&[key(1, RO)])
        .doc(
            "1.0.0",
            "Determines whether a member belongs to a set.",
            "O(1)",
            "key member",
        ),
    spec("smismember", -3, READONLY | FAST, "set", smismember)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.2.0",
            "Determines whether multiple members belong to a set.",
            "O(N) where N is the number of elements being checked for membership",
            "key member [member ...]",
        ),
    spec("scard", 2, READONLY | FAST, "set", scard)
        .key_specs(&[key(1, RO)])
        .doc(
            "1.0.0",
            "Returns the number of members in a set.",
            "O(1)",
            "key",
        ),
    spec("spop", -2, WRITE | FAST, "set", spop)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc(
            "1.0.0",
            "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
            "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
            "key [count]",
        ),
    spec("srandmember", -2, READONLY, "set", srandmember)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Get one or multiple random members from a set",
            "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
            "key [count]",
        ),
    spec("smove", 4, WRITE | FAST, "set", smove)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)])
        .doc(
            "1.0.0",
            "Moves a member from one set to another.",
            "O(1)",
            "source destination member",
        ),
    spec("sinter", -2, READONLY, "set", sinter)
        .key_specs(&[key(1, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Returns the intersect of multiple sets.",
            "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
            "key [key ...]",
        ),
    spec("sintercard", -3, READONLY, "set", sintercard)
        .key_specs(&[key(1, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "7.0.0",
            "Returns the number of members of the intersect of multiple sets.",
            "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
            "numkeys key [key ...] [LIMIT limit]",
        ),
    spec("sunion", -2, READONLY, "set", sunion)
        .key_specs(&[key(1, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Returns the union of multiple sets.",
            "O(N) where N is the total number of elements in all given sets.",
            "key [key ...]",
        ),
    spec("sdiff", -2, READONLY, "set", sdiff)
        .key_specs(&[key(1, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Returns the difference of multiple sets.",
            "O(N) where N is the total number of elements in all given sets.",
            "key [key ...]",
        ),
    spec("sinterstore", -3, WRITE | DENYOOM, "set", sinterstore)
        .key_specs(&[key(1, RW | UPDATE), key(2, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Stores the intersect of multiple sets in a key.",
            "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
            "destination key [key ...]",
        ),
    spec("sunionstore", -3, WRITE | DENYOOM, "set", sunionstore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Stores the union of multiple sets in a key.",
            "O(N) where N is the total number of elements in all given sets.",
            "destination key [key ...]",
        ),
    spec("sdiffstore", -3, WRITE | DENYOOM, "set", sdiffstore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "1.0.0",
            "Stores the difference of multiple sets in a key.",
            "O(N) where N is the total number of elements in all given sets.",
            "destination key [key ...]",
        ),
    spec("sscan", -3, READONLY, "set", sscan)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.0",
            "Iterates over members of a set.",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            "key cursor [MATCH pattern] [COUNT count]",
        ),
];

/// The members of one set copied into one buffer, with their hashes: the
/// working copy of an intersection or difference.
#[derive(Default)]
struct Members {
    bytes: Vec<u8>,
    /// (hash, start, end) in `bytes`.
    spans: Vec<(u64, usize, usize)>,
}

impl Members {
    fn of(s: &Set) -> Members {
        let mut m = Members {
            bytes: Vec::with_capacity(s.iter().map(<[u8]>::len).sum()),
            spans: Vec::with_capacity(s.len()),
        };
        for (h, member) in s.iter_hashed() {
            let start = m.bytes.len();
            m.bytes.extend_from_slice(member);
            m.spans.push((h, start, m.bytes.len()));
        }
        m
    }

    /// Keeps the members for which `keep(hash, member)` holds.
    fn retain(&mut self, mut keep: impl FnMut(u64, &[u8]) -> bool) {
        let bytes = &self.bytes;
        self.spans.retain(|&(h, s, e)| keep(h, &bytes[s..e]));
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn iter(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.spans.iter().map(|&(h, s, e)| (h, &self.bytes[s..e]))
    }

    fn to_set(&self) -> Set {
        let mut out = Set::default();
        for (h, m) in self.iter() {
            out.insert_hashed(h, m);
        }
        out
    }
}

/// Publishes a set event on `key`, then `del` when the command left the
/// set empty (and the store deleted it). Call with the shards unlocked.
fn publish(ctx: &Ctx<'_>, event: &str, key: &[u8], emptied: bool) {
    notify::event(ctx.srv, class::SET, event, ctx.db(), key);
    if emptied {
        notify::event(ctx.srv, class::GENERIC, "del", ctx.db(), key);
    }
}

/// Writes a set reply (`~n` in RESP3, an array in RESP2).
fn reply_set<'m>(ctx: &mut Ctx<'_>, n: usize, members: impl Iterator<Item = &'m [u8]>) {
    ctx.out.set(n);
    for m in members {
        ctx.out.bulk(m);
    }
}

/// ```text
/// SADD key member [member ...]
/// ```
/// Publishes `sadd` when a member was new.
fn sadd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (key, members) = (a[1], &a[2..]);
    let r = ctx.srv.store.with_slot(ctx.db(), key, ctx.now, |slot| {
        slot.write::<Set, _>(true, |s| {
            s.expect(members[0], members.len());
            let added = members.iter().filter(|m| s.insert(m)).count();
            (added, added > 0)
        })
    });
    match r {
        Ok(n) => {
            let n = n.unwrap_or(0);
            if n > 0 {
                publish(ctx, "sadd", key, false);
            }
            ctx.out.int(n as i64)
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// SREM key member [member ...]
/// ```
/// Publishes `srem` when a member went, then `del` when the last one did.
fn srem(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (key, members) = (a[1], &a[2..]);
    let r = ctx.srv.store.with_slot(ctx.db(), key, ctx.now, |slot| {
        slot.write::<Set, _>(false, |s| {
            let removed = members.iter().filter(|m| s.remove(m)).count();
            ((removed, s.is_empty()), removed > 0)
        })
    });
    match r {
        Ok(Some((n, emptied))) => {
            if n > 0 {
                publish(ctx, "srem", key, emptied);
            }
            ctx.out.int(n as i64)
        }
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// Runs `f` on the set under `key` as a read (a keyspace hit or miss).
fn with_set<R>(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&mut Ctx<'_>, Option<&Set>) -> R) -> Option<R> {
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    srv.store.with_slot(db, key, now, |slot| match slot.view::<Set>() {
        Ok(s) => Some(f(ctx, s)),
        Err(WrongType) => {
            ctx.error(errors::WRONGTYPE);
            None
        }
    })
}

/// ```text
/// SMEMBERS key
/// ```
fn smembers(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    with_set(ctx, a[1], |ctx, s| match s {
        Some(s) => reply_set(ctx, s.len(), s.iter()),
        None => ctx.out.set(0),
    });
}

/// ```text
/// SISMEMBER key member
/// ```
fn sismember(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    with_set(ctx, a[1], |ctx, s| {
        ctx.out.int(s.is_some_and(|s| s.contains(a[2])) as i64)
    });
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
fn smismember(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    with_set(ctx, a[1], |ctx, s| {
        ctx.out.array(a.len() - 2);
        for m in &a[2..] {
            ctx.out.int(s.is_some_and(|s| s.contains(m)) as i64);
        }
    });
}

/// ```text
/// SCARD key
/// ```
fn scard(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    with_set(ctx, a[1], |ctx, s| ctx.out.int(s.map_or(0, Set::len) as i64));
}

/// ```text
/// SPOP key [count]
/// ```
/// With a count the reply is a set, empty for a missing key; popping at
/// least every member takes the whole set and deletes the key. Publishes
/// `spop` when something was popped (not for a count of 0), then `del`
/// when the set was emptied.
fn spop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 3 {
        return ctx.error(errors::SYNTAX);
    }
    let count = match a.get(2) {
        None => None,
        Some(c) => match crate::util::number::parse_i64_exact(c) {
            Some(n) if n >= 0 => Some(n as u64),
            _ => return ctx.error(errors::NOT_POSITIVE_COUNT),
        },
    };
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    // Whether it popped, and then whether it emptied the set.
    let popped: Option<bool> = srv.store.with_slot(db, a[1], now, |slot| {
        let mut rng = rand_u64;
        let Some(count) = count else {
            return match slot.write::<Set, _>(false, |s| ((s.pop_random(&mut rng), s.is_empty()), true)) {
                Ok(Some((Some(m), emptied))) => {
                    ctx.out.bulk(&m);
                    Some(emptied)
                }
                Ok(_) => {
                    ctx.out.null();
                    None
                }
                Err(WrongType) => {
                    ctx.error(errors::WRONGTYPE);
                    None
                }
            };
        };
        let popped = slot.write::<Set, _>(false, |s| {
            if count == 0 {
                return ((Vec::new(), false), false);
            }
            if count as usize >= s.len() {
                let all = std::mem::take(s);
                return ((all.iter().map(Box::<[u8]>::from).collect(), true), true);
            }
            let out: Vec<Box<[u8]>> = (0..count).map_while(|_| s.pop_random(&mut rng)).collect();
            ((out, false), true)
        });
        match popped {
            Ok(Some((ms, emptied))) => {
                reply_set(ctx, ms.len(), ms.iter().map(|m| &**m));
                (!ms.is_empty()).then_some(emptied)
            }
            Ok(None) => {
                ctx.out.set(0);
                None
            }
            Err(WrongType) => {
                ctx.error(errors::WRONGTYPE);
                None
            }
        }
    });
    if let Some(emptied) = popped {
        publish(ctx, "spop", a[1], emptied);
    }
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
/// A positive count gives distinct members (at most the whole set); a
/// negative one gives exactly |count| members, which may repeat.
fn srandmember(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 3 {
        return ctx.error(errors::SYNTAX);
    }
    let count = match a.get(2) {
        None => None,
        Some(c) => match args::int(c) {
            Ok(i64::MIN) => return ctx.error(errors::NEGATABLE_RANGE),
            Ok(n) => Some(n),
            Err(e) => return ctx.error(e),
        },
    };
    let mut rng = rand_u64;
    let ceiling = ctx.picks_ceiling();
    let mut complete = true;
    with_set(ctx, a[1], |ctx, s| match (s, count) {
        (None, None) => ctx.out.null(),
        (None, Some(_)) | (Some(_), Some(0)) => ctx.out.array(0),
        (Some(s), None) => match s.random(&mut rng) {
            Some(m) => ctx.out.bulk(m),
            None => ctx.out.null(),
        },
        (Some(s), Some(n)) if n < 0 => {
            let n = n.unsigned_abs();
            ctx.out.array(n as usize);
            complete = super::picks_within(&mut ctx.out, n, ceiling, |out| {
                if let Some(m) = s.random(&mut rng) {
                    out.bulk(m);
                }
            });
        }
        (Some(s), Some(n)) => {
            let picked = s.sample_distinct(n as usize, &mut rng);
            ctx.out.bulks(picked.iter());
        }
    });
    if !complete {
        ctx.close_over_limit("SRANDMEMBER");
    }
}

/// ```text
/// SMOVE source destination member
/// ```
/// A missing source answers 0 before the destination's type is looked at,
/// as in Redis. A move publishes `srem` on the source (then `del` when it
/// took the last member), then `sadd` on the destination unless the
/// member was already there; nothing when the two keys are one.
fn smove(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (src, dst, member) = (a[1], a[2], a[3]);
    let (db, now, srv) = (ctx.db(), ctx.now, ctx.srv);
    let (ks, kd) = (ctx.hash(src), ctx.hash(dst));
    let mut m = srv.store.lock_many(&[ks, kd]);
    match m.slot(db, src, ks, now).peek_as::<Set>() {
        Ok(None) => return ctx.out.int(0),
        Err(WrongType) => return ctx.error(errors::WRONGTYPE),
        Ok(Some(_)) => {}
    }
    if m.slot(db, dst, kd, now).peek_as::<Set>().is_err() {
        return ctx.error(errors::WRONGTYPE);
    }
    if src == dst {
        let there = matches!(m.slot(db, src, ks, now).peek_as::<Set>(), Ok(Some(s)) if s.contains(member));
        return ctx.out.int(there as i64);
    }
    let removed = m
        .slot(db, src, ks, now)
        .write::<Set, _>(false, |s| {
            let r = s.remove(member);
            (r.then_some(s.is_empty()), r)
        })
        .ok()
        .flatten()
        .flatten();
    let Some(src_emptied) = removed else {
        return ctx.out.int(0);
    };
    // Redis makes a missing destination after it told of the source, so
    // the store's `new` for it must follow `srem`: what the store records
    // up to here and from here on are held apart, and recorded again in
    // their places once the shards are unlocked.
    let events = srv.store.events();
    let earlier = if events.any() { events.take() } else { Vec::new() };
    // The destination was checked above, so this cannot be WRONGTYPE.
    let added = m
        .slot(db, dst, kd, now)
        .write::<Set, _>(true, |s| {
            let r = s.insert(member);
            (r, r)
        })
        .ok()
        .flatten()
        .unwrap_or(false);
    let later = if events.any() { events.take() } else { Vec::new() };
    drop(m);
    for e in earlier {
        events.record(e.kind, e.db, &e.key);
    }
    publish(ctx, "srem", src, src_emptied);
    for e in later {
        events.record(e.kind, e.db, &e.key);
    }
    if added {
        publish(ctx, "sadd", dst, false);
    }
    ctx.out.int(1);
}

/// What a multi-set command does with its result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Out<'k> {
    Reply,
    /// SINTERCARD: the size only, counting up to the limit (0 = none).
    Card(usize),
    Store(&'k [u8]),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

impl Op {
    /// The event of the STORE form.
    fn store_event(self) -> &'static str {
        match self {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        }
    }
}

/// SINTER, SUNION, SDIFF and their CARD and STORE forms over `keys`.
fn set_op(ctx: &mut Ctx<'_>, op: Op, keys: &[&[u8]], out: Out<'_>) {
    let (db, now, srv) = (ctx.db(), ctx.now, ctx.srv);
    let mut khs: Vec<KeyHash> = keys.iter().map(|k| ctx.hash(k)).collect();
    let dst = match out {
        Out::Store(d) => {
            let kd = ctx.hash(d);
            khs.push(kd);
            Some((d, kd))
        }
        _ => None,
    };
    let mut m = srv.store.lock_many(&khs);
    // Every source is read once, as Redis looks each up once: a missing
    // key is an empty set, another type fails the whole command.
    let mut sizes = Vec::with_capacity(keys.len());
    for (k, kh) in keys.iter().zip(&khs) {
        match m.slot(db, k, *kh, now).view::<Set>() {
            Ok(s) => sizes.push(s.map_or(0, Set::len)),
            Err(WrongType) => return ctx.error(errors::WRONGTYPE),
        }
    }
    let result: Result<Members, Set> = match op {
        Op::Inter | Op::Diff => {
            // Filter a copy of the first set (for an intersection, the
            // smallest) through the others.
            let first = match op {
                Op::Inter => (0..keys.len()).min_by_key(|&i| sizes[i]).unwrap_or(0),
                _ => 0,
            };
            let mut work = match m.slot(db, keys[first], khs[first], now).peek_as::<Set>() {
                Ok(Some(s)) if !(op == Op::Inter && sizes.contains(&0)) => Members::of(s),
                _ => Members::default(),
            };
            // The others, largest first for a difference (more likely to
            // empty the result soon), smallest first for an intersection.
            let mut order: Vec<usize> = (0..keys.len()).filter(|&i| keys[i] != keys[first]).collect();
            order.sort_by_key(|&i| sizes[i]);
            if op == Op::Diff {
                order.reverse();
                if keys[1..].contains(&keys[0]) {
                    work = Members::default();
                }
            }
            for i in order {
                if work.len() == 0 {
                    break;
                }
                if let Ok(Some(s)) = m.slot(db, keys[i], khs[i], now).peek_as::<Set>() {
                    work.retain(|h, x| s.contains_hashed(h, x) == (op == Op::Inter));
                }
            }
            Ok(work)
        }
        Op::Union => {
            let mut all = Set::default();
            for (k, kh) in keys.iter().zip(&khs) {
                if let Ok(Some(s)) = m.slot(db, k, *kh, now).peek_as::<Set>() {
                    for (h, x) in s.iter_hashed() {
                        all.insert_hashed(h, x);
                    }
                }
            }
            Err(all)
        }
    };
    match (out, result) {
        (Out::Reply, Ok(w)) => reply_set(ctx, w.len(), w.iter().map(|(_, x)| x)),
        (Out::Reply, Err(s)) => reply_set(ctx, s.len(), s.iter()),
        (Out::Card(limit), Ok(w)) => {
            let n = if limit > 0 { w.len().min(limit) } else { w.len() };
            ctx.out.int(n as i64);
        }
        (Out::Card(_), Err(s)) => ctx.out.int(s.len() as i64),
        (Out::Store(_), r) => {
            let set = match r {
                Ok(w) => w.to_set(),
                Err(s) => s,
            };
            let n = set.len();
            let Some((d, kd)) = dst else { return };
            let mut slot = m.slot(db, d, kd, now);
            let stored = n > 0;
            // An empty result deletes the destination; Redis tells of that
            // only when there was one to delete.
            let changed = match stored {
                true => slot.put_aggregate(Aggregate::Set(set)),
                false => slot.delete(),
            };
            drop(m);
            match (stored, changed) {
                (true, _) => notify::event(srv, class::SET, op.store_event(), db, d),
                (false, true) => notify::event(srv, class::GENERIC, "del", db, d),
                (false, false) => {}
            }
            ctx.out.int(n as i64);
        }
    }
}

/// ```text
/// SINTER key [key ...]
/// ```
fn sinter(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Inter, &a[1..], Out::Reply);
}

/// ```text
/// SINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
fn sintercard(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let numkeys = match crate::util::number::parse_i64_exact(a[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return ctx.error(errors::NUMKEYS_POSITIVE),
    };
    if numkeys > a.len() - 2 {
        return ctx.error(errors::NUMKEYS_TOO_MANY);
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < a.len() {
        if is(a[i], "limit") && i + 1 < a.len() {
            match crate::util::number::parse_i64_exact(a[i + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return ctx.error(errors::LIMIT_NEGATIVE),
            }
            i += 2;
        } else {
            return ctx.error(errors::SYNTAX);
        }
    }
    set_op(ctx, Op::Inter, &a[2..2 + numkeys], Out::Card(limit));
}

/// ```text
/// SUNION key [key ...]
/// ```
fn sunion(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Union, &a[1..], Out::Reply);
}

/// ```text
/// SDIFF key [key ...]
/// ```
/// The members of the first set that are in none of the others.
fn sdiff(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Diff, &a[1..], Out::Reply);
}

/// ```text
/// SINTERSTORE destination key [key ...]
/// ```
/// Replaces the destination whatever its type; an empty result deletes it.
fn sinterstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Inter, &a[2..], Out::Store(a[1]));
}

/// ```text
/// SUNIONSTORE destination key [key ...]
/// ```
fn sunionstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Union, &a[2..], Out::Store(a[1]));
}

/// ```text
/// SDIFFSTORE destination key [key ...]
/// ```
fn sdiffstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    set_op(ctx, Op::Diff, &a[2..], Out::Store(a[1]));
}

/// ```text
/// SSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// The cursor is a position in the set's hash order (see
/// [`Set::scan`]): a member present for the whole iteration is returned
/// exactly once however the set grows or shrinks in between. A set Redis
/// would keep as an intset or listpack comes whole in one call. As in
/// Redis, the cursor is checked before the key and the options after it.
fn sscan(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(cursor) = super::keys::parse_cursor(a[2]) else {
        return ctx.error(errors::INVALID_CURSOR);
    };
    with_set(ctx, a[1], |ctx, s| {
        let Some(s) = s else {
            super::keys::cursor_reply(&mut ctx.out, 0);
            return ctx.out.array(0);
        };
        let opts = match super::keys::scan_options(&a[3..], false) {
            Ok(o) => o,
            Err(e) => return ctx.error(e),
        };
        let mut found: Vec<&[u8]> = Vec::new();
        let next = s.scan(cursor, opts.count, |m| {
            if opts.matches(m) {
                found.push(m);
            }
        });
        super::keys::cursor_reply(&mut ctx.out, next);
        ctx.out.bulks(found.iter());
    });
}

#[cfg(test)]
mod tests {

    use crate::command::notify::testing::Events;
    use crate::command::testing::Harness;

    /// This family's helpers on the shared harness.
    trait Local {
        fn members(&mut self, line: &str) -> Vec<String>;
    }

    impl Local for Harness {
        /// The bulk strings of an array or set reply, sorted.
        fn members(&mut self, line: &str) -> Vec<String> {
            let reply = self.run(line);
            let mut out: Vec<String> = reply
                .split("\r\n")
                .skip(1)
                .filter(|l| !l.is_empty() && !l.starts_with('$'))
                .map(str::to_owned)
                .collect();
            out.sort();
            out
        }
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn sadd_counts_new_members_and_srem_deletes_the_emptied_key() {
        let mut h = Harness::new();
        assert_eq!(h.run("SADD s a b a"), ":2\r\n");
        assert_eq!(h.run("SADD s b c"), ":1\r\n");
        assert_eq!(h.run("SCARD s"), ":3\r\n");
        assert_eq!(h.run("SREM s a zz"), ":1\r\n");
        assert_eq!(h.run("SREM nokey a"), ":0\r\n");
        assert_eq!(h.run("SREM s b c"), ":2\r\n");
        assert_eq!(h.run("EXISTS s"), ":0\r\n");
    }

    #[test]
    fn every_set_command_on_a_string_is_wrongtype() {
        let mut h = Harness::new();
        h.run("SET str x");
        h.run("SADD s a");
        for c in [
            "SADD str a",
            "SREM str a",
            "SMEMBERS str",
            "SISMEMBER str a",
            "SMISMEMBER str a",
            "SCARD str",
            "SPOP str",
            "SPOP str 2",
            "SRANDMEMBER str",
            "SRANDMEMBER str 2",
            "SMOVE str s a",
            "SMOVE s str a",
            "SINTER s str",
            "SINTERCARD 2 s str",
            "SUNION s str",
            "SDIFF nokey str",
            "SINTERSTORE d s str",
            "SUNIONSTORE d s str",
            "SDIFFSTORE d s str",
            "SSCAN str 0",
        ] {
            assert_eq!(h.run(c), WRONGTYPE, "{c}");
        }
        assert_eq!(h.run("GET str"), "$1\r\nx\r\n");
    }

    #[test]
    fn spop_with_count_pops_distinct_members_and_all_of_them_deletes_the_key() {
        let mut h = Harness::new();
        h.run("SADD s a b c d e");
        let two = h.members("SPOP s 2");
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1]);
        assert_eq!(h.run("SCARD s"), ":3\r\n");
        assert_eq!(h.members("SPOP s 10").len(), 3);
        assert_eq!(h.run("EXISTS s"), ":0\r\n");
        assert_eq!(h.run("SPOP s"), "$-1\r\n");
        assert_eq!(h.run("SPOP s 3"), "*0\r\n");
        assert_eq!(h.run("SPOP s -1"), "-ERR value is out of range, must be positive\r\n");
        assert_eq!(h.run("SPOP s 1 2"), "-ERR syntax error\r\n");
    }

    #[test]
    fn srandmember_negative_count_may_repeat_and_positive_is_distinct() {
        let mut h = Harness::new();
        h.run("SADD s a b");
        let many = h.members("SRANDMEMBER s -10");
        assert_eq!(many.len(), 10);
        assert!(many.iter().all(|m| m == "a" || m == "b"));
        assert_eq!(h.members("SRANDMEMBER s 10"), ["a", "b"]);
        assert_eq!(h.members("SRANDMEMBER s 1").len(), 1);
        assert_eq!(h.run("SRANDMEMBER s 0"), "*0\r\n");
        assert_eq!(h.run("SCARD s"), ":2\r\n", "nothing removed");
        assert_eq!(
            h.run("SRANDMEMBER s -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
    }

    #[test]
    fn sinter_sunion_sdiff_combine_and_treat_missing_keys_as_empty() {
        let mut h = Harness::new();
        h.run("SADD a 1 2 3 4");
        h.run("SADD b 3 4 5");
        h.run("SADD c x 4");
        assert_eq!(h.members("SINTER a b c"), ["4"]);
        assert_eq!(h.members("SINTER a nokey"), Vec::<String>::new());
        assert_eq!(h.members("SUNION a b nokey"), ["1", "2", "3", "4", "5"]);
        assert_eq!(h.members("SDIFF a b"), ["1", "2"]);
        assert_eq!(h.members("SDIFF a c b"), ["1", "2"]);
        assert_eq!(h.members("SDIFF a b a"), Vec::<String>::new());
        assert_eq!(h.run("SINTERCARD 2 a b"), ":2\r\n");
        assert_eq!(h.run("SINTERCARD 2 a b LIMIT 1"), ":1\r\n");
        assert_eq!(h.run("SINTERCARD 1 nokey"), ":0\r\n");
        assert_eq!(h.run("SINTERCARD 0 a"), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(
            h.run("SINTERCARD 3 a b"),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        assert_eq!(h.run("SINTERCARD 1 a LIMIT -1"), "-ERR LIMIT can't be negative\r\n");
        assert_eq!(h.run("SINTERCARD 1 a LIMIT"), "-ERR syntax error\r\n");
    }

    #[test]
    fn store_forms_replace_the_destination_and_an_empty_result_deletes_it() {
        let mut h = Harness::new();
        h.run("SADD a 1 2 3");
        h.run("SADD b 2 3 x");
        h.run("SET d string");
        assert_eq!(h.run("SINTERSTORE d a b"), ":2\r\n");
        assert_eq!(h.run("TYPE d"), "+set\r\n");
        assert_eq!(h.run("OBJECT ENCODING d"), "$6\r\nintset\r\n");
        assert_eq!(h.run("SUNIONSTORE d a b"), ":4\r\n");
        assert_eq!(h.run("OBJECT ENCODING d"), "$8\r\nlistpack\r\n");
        assert_eq!(h.members("SMEMBERS d"), ["1", "2", "3", "x"]);
        assert_eq!(h.run("SDIFFSTORE d a b"), ":1\r\n");
        assert_eq!(h.members("SMEMBERS d"), ["1"]);
        assert_eq!(h.run("SDIFFSTORE d nokey a"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
        // A source that is also the destination is read before it is replaced.
        assert_eq!(h.run("SUNIONSTORE a a b"), ":4\r\n");
    }

    #[test]
    fn smove_moves_once_and_a_missing_source_answers_zero_before_the_type_check() {
        let mut h = Harness::new();
        h.run("SADD a 1 2");
        h.run("SET str x");
        assert_eq!(h.run("SMOVE nokey str 1"), ":0\r\n");
        assert_eq!(h.run("SMOVE a str 1"), WRONGTYPE);
        assert_eq!(h.run("SMOVE a b 1"), ":1\r\n");
        assert_eq!(h.run("SMOVE a b 1"), ":0\r\n");
        assert_eq!(h.run("SMOVE a a 2"), ":1\r\n");
        assert_eq!(h.run("SMOVE a a 9"), ":0\r\n");
        assert_eq!(h.run("SMOVE a b 2"), ":1\r\n");
        assert_eq!(h.run("EXISTS a"), ":0\r\n");
        assert_eq!(h.members("SMEMBERS b"), ["1", "2"]);
    }

    #[test]
    fn resp3_clients_get_sets_where_redis_replies_with_sets() {
        let mut h = Harness::new();
        h.client.resp3 = true;
        h.run("SADD s a");
        assert_eq!(h.run("SMEMBERS s"), "~1\r\n$1\r\na\r\n");
        assert_eq!(h.run("SINTER s"), "~1\r\n$1\r\na\r\n");
        assert_eq!(h.run("SUNION s"), "~1\r\n$1\r\na\r\n");
        assert_eq!(h.run("SDIFF s"), "~1\r\n$1\r\na\r\n");
        assert_eq!(h.run("SMEMBERS nokey"), "~0\r\n");
        assert_eq!(h.run("SPOP nokey 1"), "~0\r\n");
        assert_eq!(h.run("SRANDMEMBER s 1"), "*1\r\n$1\r\na\r\n");
        assert_eq!(h.run("SRANDMEMBER nokey"), "_\r\n");
    }

    #[test]
    fn sscan_pages_a_large_set_by_count_and_filters_by_match() {
        let mut h = Harness::new();
        for i in 0..300 {
            h.run(&format!("SADD s m{i}"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let reply = h.run(&format!("SSCAN s {cursor} COUNT 20 MATCH m1*"));
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            for m in lines[4..].iter().filter(|l| l.starts_with('m')) {
                assert!(seen.insert(m.to_string()), "{m} twice");
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 10, "paged: {calls} calls");
        // m1, m10..m19, m100..m199
        assert_eq!(seen.len(), 1 + 10 + 100);
        assert_eq!(h.run("SSCAN s x"), "-ERR invalid cursor\r\n");
        assert_eq!(h.run("SSCAN s 0 COUNT 0"), "-ERR syntax error\r\n");
        assert_eq!(h.run("SSCAN nokey 0 COUNT 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    }

    /// `key event` pairs as their keyspace channels carry them in db 0.
    fn keyspace(events: &[&str]) -> Vec<String> {
        events.iter().map(|e| format!("__keyspace@0__:{e}")).collect()
    }

    #[test]
    fn sadd_and_srem_publish_only_when_they_change_the_set() {
        let mut ev = Events::new("Kgsn");
        ev.run("SADD s a b");
        ev.run("SADD s a");
        ev.run("SREM s zz");
        ev.run("SREM s a");
        ev.run("SREM nos a");
        ev.run("SREM s b");
        assert_eq!(ev.take(), keyspace(&["s new", "s sadd", "s srem", "s srem", "s del"]));
    }

    #[test]
    fn spop_publishes_once_per_call_and_del_when_it_took_the_last() {
        let mut ev = Events::new("Kgs");
        ev.run("SADD s a b c d");
        ev.take();
        ev.run("SPOP s 0");
        ev.run("SPOP nos 2");
        ev.run("SPOP nos");
        ev.run("SPOP s");
        ev.run("SPOP s 2");
        ev.run("SPOP s");
        assert_eq!(ev.take(), keyspace(&["s spop", "s spop", "s spop", "s del"]));
        ev.run("SADD s a b");
        ev.take();
        ev.run("SPOP s 5");
        assert_eq!(ev.take(), keyspace(&["s spop", "s del"]));
    }

    #[test]
    fn smove_publishes_srem_and_del_on_the_source_before_new_and_sadd_on_the_destination() {
        let mut ev = Events::new("Kgsn");
        ev.run("SADD s a b");
        ev.take();
        ev.run("SMOVE s t zz");
        ev.run("SMOVE s s a");
        ev.run("SMOVE nos t a");
        ev.run("SMOVE s t a");
        assert_eq!(ev.take(), keyspace(&["s srem", "t new", "t sadd"]));
        ev.run("SADD t b");
        ev.take();
        // Already in the destination: it only leaves the source.
        ev.run("SMOVE s t b");
        assert_eq!(ev.take(), keyspace(&["s srem", "s del"]));
    }

    #[test]
    fn store_forms_publish_their_event_or_del_of_a_destination_that_was_there() {
        let mut ev = Events::new("Kgs$n");
        ev.run("SADD x 1 2");
        ev.run("SADD y 2 3");
        ev.take();
        ev.run("SINTERSTORE d x y");
        ev.run("SINTERSTORE d x nos");
        ev.run("SINTERSTORE d x nos");
        ev.run("SUNIONSTORE d x y");
        ev.run("SDIFFSTORE d x y");
        ev.run("SDIFFSTORE d x x");
        ev.run("SET str v");
        ev.run("SINTERSTORE d str x");
        assert_eq!(
            ev.take(),
            keyspace(&[
                "d new",
                "d sinterstore",
                "d del",
                "d new",
                "d sunionstore",
                "d sdiffstore",
                "d del",
                "str new",
                "str set",
            ])
        );
    }
}
