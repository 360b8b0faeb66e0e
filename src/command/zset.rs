//! Sorted-set commands.
//!
//! Every range command turns its arguments into a window of ranks on the
//! [`ZSet`] (score and lex bounds become positions in O(log n)), applies
//! REV and LIMIT to the window, and writes the members straight into the
//! reply. Scores print as Redis 7.0's replies print them, `%.17g` (see
//! [`crate::util::number::push_double`]). Arguments are parsed
//! and refused before the key is looked up, as Redis does.
//!
//! A change publishes the keyspace events Redis 7.0 publishes for it, in
//! its order, once the shards are unlocked (see [`notify`]); a blocked pop
//! that is served runs through the same handler and publishes the same.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::store::{Aggregate, KeyHash, LexBound, MultiLocked, Set, WrongType, ZSet};
use crate::util::number::push_double;
use crate::util::rand::rand_below;
use hashbrown::HashMap;

const G: &str = "sorted-set";

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("zadd", -4, WRITE | DENYOOM | FAST, G, zadd)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "1.2.0",
            "Adds members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
            "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
            "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
        ),
    spec("zincrby", 4, WRITE | DENYOOM | FAST, G, zincrby)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "1.2.0",
            "Increments the score of a member in a sorted set.",
            "O(log(N)) where N is the number of elements in the sorted set.",
            "key increment member",
        ),
    spec("zrem", -3, WRITE | FAST, G, zrem)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "1.2.0",
            "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
            "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
            "key member [member ...]",
        ),
    spec("zcard", 2, READONLY | FAST, G, zcard)
        .key_specs(&[key(1, RO)])
        .doc(
            "1.2.0",
            "Returns the number of members in a sorted set.",
            "O(1)",
            "key",
        ),
    spec("zcount", 4, READONLY | FAST, G, zcount)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns the count of members in a sorted set that have scores within a range.",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "key min max",
        ),
    spec("zlexcount", 4, READONLY | FAST, G, zlexcount)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.9",
            "Returns the number of members in a sorted set within a lexicographical range.",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "key min max",
        ),
    spec("zscore", 3, READONLY | FAST, G, zscore)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.2.0",
            "Returns the score of a member in a sorted set.",
            "O(1)",
            "key member",
        ),
    spec("zmscore", -3, READONLY | FAST, G, zmscore)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.2.0",
            "Returns the score of one or more members in a sorted set.",
            "O(N) where N is the number of members being requested.",
            "key member [member ...]",
        ),
    spec("zrank", -3, READONLY | FAST, G, zrank)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns the index of a member in a sorted set ordered by ascending scores.",
            "O(log(N))",
            "key member [WITHSCORE]",
        ),
    spec("zrevrank", -3, READONLY | FAST, G, zrevrank)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.0.0",
            "Returns the index of a member in a sorted set ordered by descending scores.",
            "O(log(N))",
            "key member [WITHSCORE]",
        ),
    spec("zrange", -4, READONLY, G, zrange)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.2.0",
            "Returns members in a sorted set within a range of indexes, scores or lexicographical order.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
            "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]",
        ),
    spec("zrangestore", -5, WRITE | DENYOOM, G, zrangestore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS)])
        .doc(
            "6.2.0",
            "Stores a range of members from sorted set in a key.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
            "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]",
        ),
    spec("zrangebyscore", -4, READONLY, G, zrangebyscore)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.5",
            "Returns members in a sorted set within a range of scores.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.",
            "key min max [WITHSCORES] [LIMIT offset count]",
        ),
    spec("zrevrangebyscore", -4, READONLY, G, zrevrangebyscore)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.2.0",
            "Returns members in a sorted set within a range of scores in reverse order.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.",
            "key max min [WITHSCORES] [LIMIT offset count]",
        ),
    spec("zrangebylex", -4, READONLY, G, zrangebylex)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.9",
            "Returns members in a sorted set within a lexicographical range.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.",
            "key min max [LIMIT offset count]",
        ),
    spec("zrevrangebylex", -4, READONLY, G, zrevrangebylex)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.9",
            "Returns members in a sorted set within a lexicographical range in reverse order.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned.",
            "key max min [LIMIT offset count]",
        ),
    spec("zrevrange", -4, READONLY, G, zrevrange)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.2.0",
            "Returns members in a sorted set within a range of indexes in reverse order.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
            "key start stop [WITHSCORES]",
        ),
    spec("zpopmin", -2, WRITE | FAST, G, zpopmin)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc(
            "5.0.0",
            "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
            "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
            "key [count]",
        ),
    spec("zpopmax", -2, WRITE | FAST, G, zpopmax)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc(
            "5.0.0",
            "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
            "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
            "key [count]",
        ),
    spec("zmpop", -4, WRITE, G, zmpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "7.0.0",
            "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
            "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
            "numkeys key [key ...] MIN | MAX [COUNT count]",
        ),
    spec("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, G, bzpopmin)
        .key_specs(&[key(1, RW | ACCESS | DELETE).range(-2, 1, 0)])
        .doc(
            "5.0.0",
            "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "key [key ...] timeout",
        ),
    spec("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, G, bzpopmax)
        .key_specs(&[key(1, RW | ACCESS | DELETE).range(-2, 1, 0)])
        .doc(
            "5.0.0",
            "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.",
            "O(log(N)) with N being the number of elements in the sorted set.",
            "key [key ...] timeout",
        ),
    spec("bzmpop", -5, WRITE | BLOCKING, G, bzmpop)
        .key_specs(&[key(2, RW | ACCESS | DELETE).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
            "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
            "timeout numkeys key [key ...] MIN | MAX [COUNT count]",
        ),
    spec("zremrangebyrank", 4, WRITE, G, zremrangebyrank)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "2.0.0",
            "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
            "key start stop",
        ),
    spec("zremrangebyscore", 4, WRITE, G, zremrangebyscore)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "1.2.0",
            "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
            "key min max",
        ),
    spec("zremrangebylex", 4, WRITE, G, zremrangebylex)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "2.8.9",
            "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
            "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
            "key min max",
        ),
    spec("zunionstore", -4, WRITE | DENYOOM, G, zunionstore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::store_then_numkeys)
        .doc(
            "2.0.0",
            "Stores the union of multiple sorted sets in a key.",
            "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
            "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
        ),
    spec("zinterstore", -4, WRITE | DENYOOM, G, zinterstore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::store_then_numkeys)
        .doc(
            "2.0.0",
            "Stores the intersect of multiple sorted sets in a key.",
            "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
            "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]",
        ),
    spec("zdiffstore", -4, WRITE | DENYOOM, G, zdiffstore)
        .key_specs(&[key(1, OW | UPDATE), key(2, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::store_then_numkeys)
        .doc(
            "6.2.0",
            "Stores the difference of multiple sorted sets in a key.",
            "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
            "destination numkeys key [key ...]",
        ),
    spec("zunion", -3, READONLY, G, zunion)
        .key_specs(&[key(1, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "6.2.0",
            "Returns the union of multiple sorted sets.",
            "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
            "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
        ),
    spec("zinter", -3, READONLY, G, zinter)
        .key_specs(&[key(1, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "6.2.0",
            "Returns the intersect of multiple sorted sets.",
            "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
            "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]",
        ),
    spec("zdiff", -3, READONLY, G, zdiff)
        .key_specs(&[key(1, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "6.2.0",
            "Returns the difference between multiple sorted sets.",
            "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
            "numkeys key [key ...] [WITHSCORES]",
        ),
    spec("zintercard", -3, READONLY, G, zintercard)
        .key_specs(&[key(1, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "7.0.0",
            "Returns the number of members of the intersect of multiple sorted sets.",
            "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
            "numkeys key [key ...] [LIMIT limit]",
        ),
    spec("zrandmember", -2, READONLY, G, zrandmember)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.2.0",
            "Returns one or more random members from a sorted set.",
            "O(N) where N is the number of members returned",
            "key [count [WITHSCORES]]",
        ),
    spec("zscan", -3, READONLY, G, zscan)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.0",
            "Iterates over members and scores of a sorted set.",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            "key cursor [MATCH pattern] [COUNT count]",
        ),
];

// ---- reading and writing one key ------------------------------------------

/// Runs `f` on the sorted set under `key` (None when missing), counting a
/// keyspace hit or miss; replies WRONGTYPE itself and returns None then.
fn read<R>(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&mut Reply<'_>, Option<&ZSet>) -> R) -> Option<R> {
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    srv.store.with_slot(db, key, now, |slot| match slot.view::<ZSet>() {
        Ok(z) => Some(f(&mut ctx.out, z)),
        Err(WrongType) => {
            ctx.error(errors::WRONGTYPE);
            None
        }
    })
}

/// Runs `f` on the sorted set under `key`, created empty when missing and
/// `create`; `f` returns its result and whether it changed the set.
/// Replies WRONGTYPE itself and returns None then; `Some(None)` is a
/// missing key without `create`.
fn write<R>(ctx: &mut Ctx<'_>, key: &[u8], create: bool, f: impl FnOnce(&mut ZSet) -> (R, bool)) -> Option<Option<R>> {
    match ctx
        .srv
        .store
        .with_slot(ctx.db(), key, ctx.now, |slot| slot.write::<ZSet, R>(create, f))
    {
        Ok(r) => Some(r),
        Err(WrongType) => {
            ctx.error(errors::WRONGTYPE);
            None
        }
    }
}

/// Publishes a sorted-set event on `key`, then `del` when the command
/// left the set empty (and the store deleted it). Call with the shards
/// unlocked.
fn publish(ctx: &Ctx<'_>, event: &str, key: &[u8], emptied: bool) {
    notify::event(ctx.srv, class::ZSET, event, ctx.db(), key);
    if emptied {
        notify::event(ctx.srv, class::GENERIC, "del", ctx.db(), key);
    }
}

/// Stores `result` under `dst` for a STORE form, or deletes `dst` when the
/// result is empty, with the shard of `dst` locked in `locked`, which it
/// unlocks; then publishes `event`, or `del` when it deleted a `dst` that
/// was there, as Redis does. Returns the size stored.
fn store_result(
    ctx: &Ctx<'_>,
    mut locked: MultiLocked<'_>,
    dst: &[u8],
    kh: KeyHash,
    result: ZSet,
    event: &str,
) -> usize {
    let (db, now) = (ctx.db(), ctx.now);
    let n = result.len();
    let mut slot = locked.slot(db, dst, kh, now);
    let changed = match n {
        0 => slot.delete(),
        _ => slot.put_aggregate(Aggregate::ZSet(result)),
    };
    drop(locked);
    match (n, changed) {
        (0, true) => notify::event(ctx.srv, class::GENERIC, "del", db, dst),
        (0, false) => {}
        _ => notify::event(ctx.srv, class::ZSET, event, db, dst),
    }
    n
}

// ---- reply shapes ---------------------------------------------------------

/// The header of `n` members, with their scores or not: a flat array in
/// RESP2, an array of `[member, score]` pairs in RESP3.
fn pairs_header(out: &mut Reply<'_>, n: usize, withscores: bool) {
    out.array(if withscores && !out.resp3 { 2 * n } else { n });
}

fn pair(out: &mut Reply<'_>, m: &[u8], s: f64, withscores: bool) {
    if withscores {
        if out.resp3 {
            out.array(2);
        }
        out.bulk(m);
        out.double(s);
    } else {
        out.bulk(m);
    }
}

fn pairs<'z>(out: &mut Reply<'_>, items: impl ExactSizeIterator<Item = (&'z [u8], f64)>, withscores: bool) {
    pairs_header(out, items.len(), withscores);
    for (m, s) in items {
        pair(out, m, s, withscores);
    }
}

/// A score as a bulk string, whatever the protocol (ZSCAN's form).
fn bulk_score(out: &mut Reply<'_>, s: f64) {
    let mut tmp = Vec::with_capacity(24);
    push_double(&mut tmp, s);
    out.bulk(&tmp);
}

// ---- ranges ---------------------------------------------------------------

/// `min`/`max` of a score range: a float, `(` for exclusive.
fn score_bound(b: &[u8]) -> Result<(f64, bool), &'static str> {
    let (excl, rest) = match b.first() {
        Some(b'(') => (true, &b[1..]),
        _ => (false, b),
    };
    args::float(rest)
        .map(|v| (v, excl))
        .map_err(|_| errors::MIN_MAX_NOT_FLOAT)
}

/// `min`/`max` of a lex range: `-`, `+`, `[member`, `(member`.
fn lex_bound(b: &[u8]) -> Result<LexBound<'_>, &'static str> {
    match b {
        b"-" => Ok(LexBound::NegInf),
        b"+" => Ok(LexBound::PosInf),
        [b'[', rest @ ..] => Ok(LexBound::Incl(rest)),
        [b'(', rest @ ..] => Ok(LexBound::Excl(rest)),
        _ => Err(errors::MIN_MAX_NOT_LEX),
    }
}

/// A parsed range, before the set is known.
#[derive(Debug, Clone, Copy)]
enum Range<'a> {
    Rank(i64, i64),
    Score((f64, bool), (f64, bool)),
    Lex(LexBound<'a>, LexBound<'a>),
}

impl Range<'_> {
    /// The ranks `start..end` the range selects, in ascending order; REV
    /// turns a rank range around first, as Redis counts REV ranks from the
    /// end.
    fn ranks(&self, z: &ZSet, rev: bool) -> (usize, usize) {
        match *self {
            Range::Rank(s, e) => match rank_window(s, e, z.len()) {
                None => (0, 0),
                Some((s, e)) if rev => (z.len() - e, z.len() - s),
                Some(w) => w,
            },
            Range::Score((min, minex), (max, maxex)) => (z.score_pos(min, minex, false), z.score_pos(max, maxex, true)),
            Range::Lex(min, max) => (z.lex_pos(min, false), z.lex_pos(max, true)),
        }
    }
}

/// Redis's rank range `start..=stop` (negatives from the end) as
/// `start..end` within `len`, or None when empty.
fn rank_window(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { start.saturating_add(len) } else { start };
    let mut e = if stop < 0 { stop.saturating_add(len) } else { stop };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize + 1))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// A ZRANGE-family request: what to select, which way, how many.
#[derive(Debug, Clone, Copy)]
struct RangeReq<'a> {
    range: Range<'a>,
    rev: bool,
    /// LIMIT offset count; a negative count means all.
    limit: Option<(i64, i64)>,
    withscores: bool,
}

impl RangeReq<'_> {
    /// The final window `lo..hi` of ranks, walked downwards when `rev`.
    fn window(&self, z: &ZSet) -> (usize, usize) {
        let (start, end) = self.range.ranks(z, self.rev);
        if start >= end {
            return (0, 0);
        }
        let Some((off, count)) = self.limit else {
            return (start, end);
        };
        if off < 0 {
            return (0, 0);
        }
        let avail = end - start;
        let off = (off as u64).min(avail as u64) as usize;
        let n = if count < 0 {
            avail - off
        } else {
            (count as u64).min((avail - off) as u64) as usize
        };
        if self.rev {
            (end - off - n, end - off)
        } else {
            (start + off, start + off + n)
        }
    }
}

/// Parses `min max [options]` from `a[at]`. `by` is None for ZRANGE and
/// ZRANGESTORE, which take BYSCORE/BYLEX/REV; `store` refuses WITHSCORES.
fn parse_range<'a>(
    a: &[&'a [u8]],
    at: usize,
    by: Option<By>,
    rev: bool,
    store: bool,
) -> Result<RangeReq<'a>, &'static str> {
    let (mut kind, mut rev, mut limit, mut withscores) = (by.unwrap_or(By::Rank), rev, None, false);
    let mut i = at + 2;
    while i < a.len() {
        let left = a.len() - i - 1;
        if !store && is(a[i], "withscores") {
            withscores = true;
        } else if is(a[i], "limit") && left >= 2 {
            limit = Some((args::int(a[i + 1])?, args::int(a[i + 2])?));
            i += 2;
        } else if by.is_none() && is(a[i], "byscore") {
            kind = By::Score;
        } else if by.is_none() && is(a[i], "bylex") {
            kind = By::Lex;
        } else if by.is_none() && is(a[i], "rev") {
            rev = true;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    if limit.is_some() && kind == By::Rank {
        return Err(errors::LIMIT_NEEDS_BY);
    }
    if withscores && kind == By::Lex {
        return Err(errors::WITHSCORES_BYLEX);
    }
    // Reversed score and lex ranges are written max first.
    let (lo, hi) = if rev && kind != By::Rank {
        (a[at + 1], a[at])
    } else {
        (a[at], a[at + 1])
    };
    let range = match kind {
        By::Rank => Range::Rank(args::int(lo)?, args::int(hi)?),
        By::Score => Range::Score(score_bound(lo)?, score_bound(hi)?),
        By::Lex => Range::Lex(lex_bound(lo)?, lex_bound(hi)?),
    };
    Ok(RangeReq {
        range,
        rev,
        limit,
        withscores,
    })
}

fn range_reply(ctx: &mut Ctx<'_>, a: &[&[u8]], by: Option<By>, rev: bool) {
    let req = match parse_range(a, 2, by, rev, false) {
        Ok(r) => r,
        Err(e) => return ctx.error(e),
    };
    read(ctx, a[1], |out, z| match z {
        None => out.array(0),
        Some(z) => {
            let (lo, hi) = req.window(z);
            if req.rev {
                pairs(out, z.range(lo, hi).rev(), req.withscores);
            } else {
                pairs(out, z.range(lo, hi), req.withscores);
            }
        }
    });
}

/// ```text
/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// ```
fn zrange(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, None, false);
}

/// ```text
/// ZREVRANGE key start stop [WITHSCORES]
/// ```
fn zrevrange(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, Some(By::Rank), true);
}

/// ```text
/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
/// ```
fn zrangebyscore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, Some(By::Score), false);
}

/// ```text
/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
/// ```
fn zrevrangebyscore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, Some(By::Score), true);
}

/// ```text
/// ZRANGEBYLEX key min max [LIMIT offset count]
/// ```
fn zrangebylex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, Some(By::Lex), false);
}

/// ```text
/// ZREVRANGEBYLEX key max min [LIMIT offset count]
/// ```
fn zrevrangebylex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    range_reply(ctx, a, Some(By::Lex), true);
}

/// ```text
/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// ```
/// Replies with the number of members stored; an empty result deletes dst.
/// Publishes `zrangestore`, or `del` when it deleted a dst that was there.
fn zrangestore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let req = match parse_range(a, 3, None, false, true) {
        Ok(r) => r,
        Err(e) => return ctx.error(e),
    };
    let (dst, src) = (a[1], a[2]);
    let khs = [ctx.hash(dst), ctx.hash(src)];
    let (db, now) = (ctx.db(), ctx.now);
    let mut locked = ctx.srv.store.lock_many(&khs);
    let result = match locked.slot(db, src, khs[1], now).view::<ZSet>() {
        Err(WrongType) => return ctx.error(errors::WRONGTYPE),
        Ok(None) => ZSet::default(),
        Ok(Some(z)) => {
            let (lo, hi) = req.window(z);
            z.range(lo, hi).collect()
        }
    };
    let n = store_result(ctx, locked, dst, khs[0], result, "zrangestore");
    ctx.out.int(n as i64);
}

// ---- single-member commands ----------------------------------------------

/// ZADD's options.
#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// Adds or updates one member under ZADD's conditions: the new score,
/// or None when a condition kept it out; counts into `added`/`updated`.
fn add_one(
    z: &mut ZSet,
    f: AddFlags,
    m: &[u8],
    score: f64,
    added: &mut usize,
    updated: &mut usize,
) -> Result<Option<f64>, &'static str> {
    match z.score(m) {
        Some(cur) => {
            if f.nx {
                return Ok(None);
            }
            let new = if f.incr { cur + score } else { score };
            if new.is_nan() {
                return Err(errors::SCORE_NAN);
            }
            if (f.lt && new >= cur) || (f.gt && new <= cur) {
                return Ok(None);
            }
            if new != cur {
                z.insert(m, new);
                *updated += 1;
            }
            Ok(Some(new))
        }
        None if f.xx => Ok(None),
        None => {
            z.insert(m, score);
            *added += 1;
            Ok(Some(score))
        }
    }
}

/// ```text
/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
/// ```
/// Replies with the members added (CH: added or changed), or with INCR the
/// new score (nil when a condition kept it out). Publishes `zadd` (`zincr`
/// with INCR) when a member was added or its score changed; an increment
/// of 0 changes nothing and tells nothing, as in Redis.
fn zadd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut f = AddFlags::default();
    let mut i = 2;
    while i < a.len() {
        let o = a[i];
        match o.len() {
            2 if is(o, "nx") => f.nx = true,
            2 if is(o, "xx") => f.xx = true,
            2 if is(o, "gt") => f.gt = true,
            2 if is(o, "lt") => f.lt = true,
            2 if is(o, "ch") => f.ch = true,
            4 if is(o, "incr") => f.incr = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &a[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return ctx.error(errors::SYNTAX);
    }
    if f.nx && f.xx {
        return ctx.error(errors::ZADD_XX_NX);
    }
    if (f.gt || f.lt) && (f.nx || (f.gt && f.lt)) {
        return ctx.error(errors::ZADD_GT_LT_NX);
    }
    if f.incr && pairs.len() > 2 {
        return ctx.error(errors::ZADD_INCR_PAIR);
    }
    // Every score is checked before anything is added.
    for p in pairs.chunks_exact(2) {
        if let Err(e) = args::float(p[0]) {
            return ctx.error(e);
        }
    }
    let r = write(ctx, a[1], true, |z| {
        let (mut added, mut updated) = (0, 0);
        let mut last = Ok(None);
        for p in pairs.chunks_exact(2) {
            let score = args::float(p[0]).unwrap_or(0.0);
            last = add_one(z, f, p[1], score, &mut added, &mut updated);
            if last.is_err() {
                break;
            }
        }
        let changed = added + updated > 0;
        ((last, added, updated), changed)
    });
    let Some(r) = r else { return };
    let (last, added, updated) = r.unwrap_or((Ok(None), 0, 0));
    if added + updated > 0 {
        publish(ctx, if f.incr { "zincr" } else { "zadd" }, a[1], false);
    }
    match last {
        Err(e) => ctx.error(e),
        Ok(s) if f.incr => match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        },
        Ok(_) => ctx.out.int((if f.ch { added + updated } else { added }) as i64),
    }
}

/// ```text
/// ZINCRBY key increment member
/// ```
/// Publishes `zincr` when the score changed (ZADD INCR's event).
fn zincrby(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let by = match args::float(a[2]) {
        Ok(v) => v,
        Err(e) => return ctx.error(e),
    };
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    let r = write(ctx, a[1], true, |z| {
        let (mut added, mut updated) = (0, 0);
        let r = add_one(z, f, a[3], by, &mut added, &mut updated);
        let changed = added + updated > 0;
        ((r, changed), changed)
    });
    // None: WRONGTYPE, already replied.
    let Some(r) = r else { return };
    let (r, changed) = r.unwrap_or((Ok(None), false));
    if changed {
        publish(ctx, "zincr", a[1], false);
    }
    match r {
        Ok(Some(s)) => ctx.out.double(s),
        Err(e) => ctx.error(e),
        Ok(None) => ctx.out.null(),
    }
}

/// ```text
/// ZREM key member [member ...]
/// ```
/// Publishes `zrem` when a member went, then `del` when the last one did.
fn zrem(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = write(ctx, a[1], false, |z| {
        let n = a[2..].iter().filter(|m| z.remove(m)).count();
        ((n, z.is_empty()), n > 0)
    });
    if let Some(r) = r {
        let (n, emptied) = r.unwrap_or((0, false));
        if n > 0 {
            publish(ctx, "zrem", a[1], emptied);
        }
        ctx.out.int(n as i64);
    }
}

/// ```text
/// ZCARD key
/// ```
fn zcard(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, z| out.int(z.map_or(0, ZSet::len) as i64));
}

/// ```text
/// ZCOUNT key min max
/// ```
fn zcount(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let range = match (score_bound(a[2]), score_bound(a[3])) {
        (Ok(min), Ok(max)) => Range::Score(min, max),
        (Err(e), _) | (_, Err(e)) => return ctx.error(e),
    };
    count_in(ctx, a[1], range);
}

/// ```text
/// ZLEXCOUNT key min max
/// ```
fn zlexcount(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let range = match (lex_bound(a[2]), lex_bound(a[3])) {
        (Ok(min), Ok(max)) => Range::Lex(min, max),
        (Err(e), _) | (_, Err(e)) => return ctx.error(e),
    };
    count_in(ctx, a[1], range);
}

fn count_in(ctx: &mut Ctx<'_>, key: &[u8], range: Range<'_>) {
    read(ctx, key, |out, z| {
        let n = z.map_or(0, |z| {
            let (s, e) = range.ranks(z, false);
            e.saturating_sub(s)
        });
        out.int(n as i64)
    });
}

/// ```text
/// ZSCORE key member
/// ```
fn zscore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, z| match z.and_then(|z| z.score(a[2])) {
        Some(s) => out.double(s),
        None => out.null(),
    });
}

/// ```text
/// ZMSCORE key member [member ...]
/// ```
fn zmscore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    read(ctx, a[1], |out, z| {
        out.array(a.len() - 2);
        for m in &a[2..] {
            match z.and_then(|z| z.score(m)) {
                Some(s) => out.double(s),
                None => out.null(),
            }
        }
    });
}

fn rank_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], rev: bool) {
    let withscore = match a.len() {
        3 => false,
        4 if is(a[3], "withscore") => true,
        _ => return ctx.error(errors::SYNTAX),
    };
    read(ctx, a[1], |out, z| {
        let found = z.and_then(|z| Some((z.rank(a[2])?, z.score(a[2])?, z.len())));
        match found {
            None if withscore => out.null_array(),
            None => out.null(),
            Some((r, s, len)) => {
                let r = if rev { len - 1 - r } else { r };
                if withscore {
                    out.array(2);
                    out.int(r as i64);
                    out.double(s);
                } else {
                    out.int(r as i64);
                }
            }
        }
    });
}

/// ```text
/// ZRANK key member [WITHSCORE]
/// ```
fn zrank(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    rank_generic(ctx, a, false);
}

/// ```text
/// ZREVRANK key member [WITHSCORE]
/// ```
fn zrevrank(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    rank_generic(ctx, a, true);
}

// ---- removal by range -----------------------------------------------------

/// ZREMRANGEBY*: removes the members in `range` and replies how many.
/// Publishes `event` when a member went, then `del` when the last one did.
fn remove_in(ctx: &mut Ctx<'_>, key: &[u8], range: Range<'_>, event: &str) {
    let r = write(ctx, key, false, |z| {
        let (s, e) = range.ranks(z, false);
        let n = z.remove_range(s, e);
        ((n, z.is_empty()), n > 0)
    });
    if let Some(r) = r {
        let (n, emptied) = r.unwrap_or((0, false));
        if n > 0 {
            publish(ctx, event, key, emptied);
        }
        ctx.out.int(n as i64);
    }
}

/// ```text
/// ZREMRANGEBYRANK key start stop
/// ```
fn zremrangebyrank(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match (args::int(a[2]), args::int(a[3])) {
        (Ok(s), Ok(e)) => remove_in(ctx, a[1], Range::Rank(s, e), "zremrangebyrank"),
        (Err(e), _) | (_, Err(e)) => ctx.error(e),
    }
}

/// ```text
/// ZREMRANGEBYSCORE key min max
/// ```
fn zremrangebyscore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match (score_bound(a[2]), score_bound(a[3])) {
        (Ok(min), Ok(max)) => remove_in(ctx, a[1], Range::Score(min, max), "zremrangebyscore"),
        (Err(e), _) | (_, Err(e)) => ctx.error(e),
    }
}

/// ```text
/// ZREMRANGEBYLEX key min max
/// ```
fn zremrangebylex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match (lex_bound(a[2]), lex_bound(a[3])) {
        (Ok(min), Ok(max)) => remove_in(ctx, a[1], Range::Lex(min, max), "zremrangebylex"),
        (Err(e), _) | (_, Err(e)) => ctx.error(e),
    }
}

// ---- pops -----------------------------------------------------------------

/// The event of a pop of the lowest (`zpopmin`) or highest (`zpopmax`).
fn pop_event(max: bool) -> &'static str {
    if max {
        "zpopmax"
    } else {
        "zpopmin"
    }
}

/// ZPOPMIN and ZPOPMAX. Publishes their event once when something was
/// popped (not for a count of 0), then `del` when the set was emptied.
fn pop_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], max: bool) {
    let count = match a.len() {
        2 => None,
        3 => match args::int(a[2]) {
            Ok(c) if c < 0 => return ctx.error(errors::NOT_POSITIVE_COUNT),
            Ok(c) => Some(c as usize),
            Err(e) => return ctx.error(e),
        },
        _ => return ctx.error(errors::SYNTAX),
    };
    let resp3 = ctx.out.resp3;
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    let out_buf = &mut ctx.out;
    let r = srv.store.with_slot(db, a[1], now, |slot| {
        slot.write::<ZSet, _>(false, |z| {
            let n = count.unwrap_or(1).min(z.len());
            // Without a count the reply is one flat pair in both protocols.
            let nested = count.is_some() && resp3;
            out_buf.array(if nested { n } else { 2 * n });
            for _ in 0..n {
                if let Some((m, s)) = z.pop(max) {
                    if nested {
                        out_buf.array(2);
                    }
                    out_buf.bulk(&m);
                    out_buf.double(s);
                }
            }
            ((n > 0, z.is_empty()), n > 0)
        })
    });
    match r {
        Ok(Some((popped, emptied))) => {
            if popped {
                publish(ctx, pop_event(max), a[1], emptied);
            }
        }
        Ok(None) => ctx.out.array(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// ZPOPMIN key [count]
/// ```
fn zpopmin(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    pop_generic(ctx, a, false);
}

/// ```text
/// ZPOPMAX key [count]
/// ```
fn zpopmax(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    pop_generic(ctx, a, true);
}

/// Pops from the first of `keys` holding a sorted set and replies, as
/// `reply(out, key, popped)`; false when all were empty (nothing written).
/// `reply` pops at least one member from the `max` end: the pop publishes
/// `zpopmax` or `zpopmin` on its key, then `del` when it emptied it, the
/// same whether the command ran at once or served a client that waited.
fn pop_first_of(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    max: bool,
    mut reply: impl FnMut(&mut Reply<'_>, &[u8], &mut ZSet),
) -> bool {
    let (srv, db, now) = (ctx.srv, ctx.db(), ctx.now);
    for key in keys {
        let out = &mut ctx.out;
        let r = srv.store.with_slot(db, key, now, |slot| {
            slot.write::<ZSet, bool>(false, |z| {
                reply(out, key, z);
                (z.is_empty(), true)
            })
        });
        match r {
            Ok(Some(emptied)) => {
                publish(ctx, pop_event(max), key, emptied);
                return true;
            }
            Ok(None) => {}
            // A blocked client's later run passes over keys that became
            // another type while it waited ([`Ctx::resumed`]).
            Err(WrongType) if ctx.resumed() => {}
            Err(WrongType) => {
                ctx.error(errors::WRONGTYPE);
                return true;
            }
        }
    }
    false
}

/// ZMPOP's reply: `[key, [[member, score] ...]]`.
fn mpop_reply(out: &mut Reply<'_>, key: &[u8], z: &mut ZSet, max: bool, count: usize) {
    let n = count.min(z.len());
    out.array(2);
    out.bulk(key);
    out.array(n);
    for _ in 0..n {
        if let Some((m, s)) = z.pop(max) {
            out.array(2);
            out.bulk(&m);
            out.double(s);
        }
    }
}

/// Parses `numkeys key [key ...] MIN | MAX [COUNT count]` from `a[at]`:
/// the keys, MAX or not, and the count.
fn parse_mpop<'a>(a: &[&'a [u8]], at: usize) -> Result<(Vec<&'a [u8]>, bool, usize), &'static str> {
    let numkeys = match args::int(a[at]) {
        Ok(n) if n > 0 => n as usize,
        _ => return Err(errors::NUMKEYS_POSITIVE),
    };
    if numkeys > a.len() - at - 1 {
        return Err(errors::SYNTAX);
    }
    let keys = a[at + 1..at + 1 + numkeys].to_vec();
    let mut i = at + 1 + numkeys;
    let max = match a.get(i) {
        Some(w) if is(w, "min") => false,
        Some(w) if is(w, "max") => true,
        _ => return Err(errors::SYNTAX),
    };
    i += 1;
    let mut count = None;
    while i < a.len() {
        if count.is_none() && is(a[i], "count") && i + 1 < a.len() {
            match args::int(a[i + 1]) {
                Ok(c) if c > 0 => count = Some(c as usize),
                _ => return Err(errors::COUNT_POSITIVE),
            }
            i += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok((keys, max, count.unwrap_or(1)))
}

/// ```text
/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
fn zmpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (keys, max, count) = match parse_mpop(a, 1) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    if !pop_first_of(ctx, &keys, max, |out, k, z| mpop_reply(out, k, z, max, count)) {
        ctx.out.null_array();
    }
}

fn bpop_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], max: bool) {
    let deadline = match args::parse_timeout(a[a.len() - 1], ctx.now) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let keys = &a[1..a.len() - 1];
    let found = pop_first_of(ctx, keys, max, |out, key, z| {
        if let Some((m, s)) = z.pop(max) {
            out.array(3);
            out.bulk(key);
            out.bulk(&m);
            out.double(s);
        }
    });
    if !found {
        if ctx.timed_out() {
            ctx.out.null_array();
        } else {
            ctx.block(keys, deadline);
        }
    }
}

/// ```text
/// BZPOPMIN key [key ...] timeout
/// ```
/// Replies `[key, member, score]`, or blocks until a key holds a sorted
/// set; nil after the timeout.
fn bzpopmin(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bpop_generic(ctx, a, false);
}

/// ```text
/// BZPOPMAX key [key ...] timeout
/// ```
fn bzpopmax(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bpop_generic(ctx, a, true);
}

/// ```text
/// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
fn bzmpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let deadline = match args::parse_timeout(a[1], ctx.now) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let (keys, max, count) = match parse_mpop(a, 2) {
        Ok(p) => p,
        Err(e) => return ctx.error(e),
    };
    if !pop_first_of(ctx, &keys, max, |out, k, z| mpop_reply(out, k, z, max, count)) {
        if ctx.timed_out() {
            ctx.out.null_array();
        } else {
            ctx.block(&keys, deadline);
        }
    }
}

// ---- set operations -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agg {
    Sum,
    Min,
    Max,
}

impl Agg {
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            // inf + -inf is NaN; Redis makes it 0.
            Agg::Sum => {
                let s = a + b;
                if s.is_nan() {
                    0.0
                } else {
                    s
                }
            }
            Agg::Min => a.min(b),
            Agg::Max => a.max(b),
        }
    }
}

/// A source of a set operation: a sorted set, or a set whose members
/// score 1.
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Src::S(s) => s.iter().for_each(|m| f(m, 1.0)),
        }
    }
}

/// A parsed set operation.
struct SetOp<'a> {
    keys: Vec<&'a [u8]>,
    weights: Vec<f64>,
    agg: Agg,
    withscores: bool,
    limit: usize,
}

/// Parses `numkeys key [key ...] [options]` from `a[at]`. Which options
/// apply depends on the command, as in Redis.
fn parse_setop<'a>(
    a: &[&'a [u8]],
    at: usize,
    op: Op,
    store: bool,
    card: bool,
    name: &str,
) -> Result<SetOp<'a>, String> {
    let n = args::int(a[at]).map_err(String::from)?;
    if n < 1 {
        return Err(errors::at_least_one_key(name));
    }
    let n = n as usize;
    if n > a.len() - at - 1 {
        return Err(errors::SYNTAX.into());
    }
    let mut o = SetOp {
        keys: a[at + 1..at + 1 + n].to_vec(),
        weights: vec![1.0; n],
        agg: Agg::Sum,
        withscores: false,
        limit: 0,
    };
    let mut i = at + 1 + n;
    while i < a.len() {
        let left = a.len() - i;
        if op != Op::Diff && !card && left > n && is(a[i], "weights") {
            for k in 0..n {
                o.weights[k] = args::float(a[i + 1 + k]).map_err(|_| errors::WEIGHT_NOT_FLOAT)?;
            }
            i += 1 + n;
        } else if op != Op::Diff && !card && left >= 2 && is(a[i], "aggregate") {
            o.agg = match a[i + 1] {
                w if is(w, "sum") => Agg::Sum,
                w if is(w, "min") => Agg::Min,
                w if is(w, "max") => Agg::Max,
                _ => return Err(errors::SYNTAX.into()),
            };
            i += 2;
        } else if !store && !card && is(a[i], "withscores") {
            o.withscores = true;
            i += 1;
        } else if card && left >= 2 && is(a[i], "limit") {
            o.limit = args::uint(a[i + 1]).map_err(|_| errors::LIMIT_NEGATIVE)?;
            i += 2;
        } else {
            return Err(errors::SYNTAX.into());
        }
    }
    Ok(o)
}

/// Computes a set operation over locked sources. WRONGTYPE when a source
/// is neither a set nor a sorted set. `limit` stops an intersection early
/// (ZINTERCARD), 0 for none.
fn compute(
    locked: &mut crate::store::MultiLocked<'_>,
    khs: &[KeyHash],
    db: usize,
    now: u64,
    op: Op,
    o: &SetOp<'_>,
) -> Result<ZSet, WrongType> {
    // Type checks and sizes first, in argument order.
    let mut sizes = Vec::with_capacity(o.keys.len());
    for (k, kh) in o.keys.iter().zip(khs) {
        let mut slot = locked.slot(db, k, *kh, now);
        sizes.push(match slot.peek() {
            None => 0,
            Some(it) => match it.aggregate() {
                Some(Aggregate::ZSet(z)) => z.len(),
                Some(Aggregate::Set(s)) => s.len(),
                _ => return Err(WrongType),
            },
        });
    }
    let with = |locked: &mut crate::store::MultiLocked<'_>, i: usize, f: &mut dyn FnMut(&Src<'_>)| {
        let mut slot = locked.slot(db, o.keys[i], khs[i], now);
        if let Some(it) = slot.peek() {
            match it.aggregate() {
                Some(Aggregate::ZSet(z)) => f(&Src::Z(z)),
                Some(Aggregate::Set(s)) => f(&Src::S(s)),
                _ => {}
            }
        }
    };
    let weigh = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut acc: HashMap<Box<[u8]>, f64> = HashMap::new();
    match op {
        Op::Union => {
            let mut order: Vec<usize> = (0..o.keys.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
            for i in order {
                let w = o.weights[i];
                with(locked, i, &mut |src| {
                    src.for_each(|m, s| {
                        let v = weigh(s, w);
                        match acc.get_mut(m) {
                            Some(cur) => *cur = o.agg.apply(*cur, v),
                            None => {
                                acc.insert(m.into(), v);
                            }
                        }
                    })
                });
            }
        }
        Op::Inter => {
            if sizes.contains(&0) {
                return Ok(ZSet::default());
            }
            let mut order: Vec<usize> = (0..o.keys.len()).collect();
            order.sort_by_key(|&i| sizes[i]);
            let w0 = o.weights[order[0]];
            with(locked, order[0], &mut |src| {
                src.for_each(|m, s| {
                    acc.insert(m.into(), weigh(s, w0));
                })
            });
            for &i in &order[1..] {
                let w = o.weights[i];
                with(locked, i, &mut |src| {
                    acc.retain(|m, cur| match src.score(m) {
                        Some(s) => {
                            *cur = o.agg.apply(*cur, weigh(s, w));
                            true
                        }
                        None => false,
                    })
                });
            }
        }
        Op::Diff => {
            with(locked, 0, &mut |src| {
                src.for_each(|m, s| {
                    acc.insert(m.into(), s);
                })
            });
            for i in 1..o.keys.len() {
                if acc.is_empty() {
                    break;
                }
                with(locked, i, &mut |src| acc.retain(|m, _| src.score(m).is_none()));
            }
        }
    }
    Ok(acc.iter().map(|(m, s)| (&**m, *s)).collect())
}

fn setop_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], op: Op, store: bool) {
    let name = a[0].to_ascii_lowercase();
    let name = String::from_utf8_lossy(&name);
    let at = if store { 2 } else { 1 };
    let o = match parse_setop(a, at, op, store, false, &name) {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let mut khs: Vec<KeyHash> = o.keys.iter().map(|k| ctx.hash(k)).collect();
    let dst = store.then(|| (a[1], ctx.hash(a[1])));
    if let Some((_, kh)) = dst {
        khs.push(kh);
    }
    let (db, now) = (ctx.db(), ctx.now);
    let mut locked = ctx.srv.store.lock_many(&khs);
    let result = match compute(&mut locked, &khs, db, now, op, &o) {
        Ok(z) => z,
        Err(WrongType) => return ctx.error(errors::WRONGTYPE),
    };
    match dst {
        Some((dst, kh)) => {
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            let n = store_result(ctx, locked, dst, kh, result, event);
            ctx.out.int(n as i64);
        }
        None => pairs(&mut ctx.out, result.iter(), o.withscores),
    }
}

/// ```text
/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
/// ```
fn zunionstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Union, true);
}

/// ```text
/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]
/// ```
fn zinterstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Inter, true);
}

/// ```text
/// ZDIFFSTORE destination numkeys key [key ...]
/// ```
fn zdiffstore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Diff, true);
}

/// ```text
/// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
/// ```
fn zunion(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Union, false);
}

/// ```text
/// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
/// ```
fn zinter(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Inter, false);
}

/// ```text
/// ZDIFF numkeys key [key ...] [WITHSCORES]
/// ```
fn zdiff(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    setop_generic(ctx, a, Op::Diff, false);
}

/// ```text
/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
fn zintercard(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let o = match parse_setop(a, 1, Op::Inter, false, true, "zintercard") {
        Ok(o) => o,
        Err(e) => return ctx.error(&e),
    };
    let khs: Vec<KeyHash> = o.keys.iter().map(|k| ctx.hash(k)).collect();
    let (db, now) = (ctx.db(), ctx.now);
    let mut locked = ctx.srv.store.lock_many(&khs);
    match compute(&mut locked, &khs, db, now, Op::Inter, &o) {
        Ok(z) => {
            let n = if o.limit > 0 { z.len().min(o.limit) } else { z.len() };
            ctx.out.int(n as i64);
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

// ---- random members and scanning -------------------------------------------

/// ```text
/// ZRANDMEMBER key [count [WITHSCORES]]
/// ```
/// A positive count gives distinct members, a negative one may repeat.
fn zrandmember(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (count, withscores) = match a.len() {
        2 => (None, false),
        3 | 4 => {
            if a.len() == 4 && !is(a[3], "withscores") {
                return ctx.error(errors::SYNTAX);
            }
            match args::int(a[2]) {
                Ok(i64::MIN) => return ctx.error(errors::NEGATABLE_RANGE),
                // Redis's guard against a reply length that would overflow.
                Ok(c) if a.len() == 4 && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&c) => {
                    return ctx.error(errors::OUT_OF_RANGE)
                }
                Ok(c) => (Some(c), a.len() == 4),
                Err(e) => return ctx.error(e),
            }
        }
        _ => return ctx.error(errors::SYNTAX),
    };
    let ceiling = ctx.picks_ceiling();
    let mut complete = true;
    read(ctx, a[1], |out, z| {
        let Some(c) = count else {
            match z.filter(|z| !z.is_empty()) {
                Some(z) => out.bulk(z.nth(rand_below(z.len())).map_or(&[][..], |(m, _)| m)),
                None => out.null(),
            }
            return;
        };
        let Some(z) = z.filter(|z| !z.is_empty() && c != 0) else {
            return out.array(0);
        };
        if c < 0 {
            let n = c.unsigned_abs();
            pairs_header(out, n as usize, withscores);
            complete = super::picks_within(out, n, ceiling, |out| {
                if let Some((m, s)) = z.nth(rand_below(z.len())) {
                    pair(out, m, s, withscores);
                }
            });
            return;
        }
        let n = c as usize;
        if n >= z.len() {
            return pairs(out, z.iter(), withscores);
        }
        // Distinct ranks by a partial Fisher-Yates over a sparse map.
        let mut swapped: HashMap<usize, usize> = HashMap::new();
        pairs_header(out, n, withscores);
        for i in 0..n {
            let j = i + rand_below(z.len() - i);
            let vj = *swapped.get(&j).unwrap_or(&j);
            let vi = *swapped.get(&i).unwrap_or(&i);
            swapped.insert(j, vi);
            if let Some((m, s)) = z.nth(vj) {
                pair(out, m, s, withscores);
            }
        }
    });
    if !complete {
        ctx.close_over_limit("ZRANDMEMBER");
    }
}

/// ```text
/// ZSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// The cursor is a rank. A listpack-sized set comes back whole in one
/// call with cursor 0, as Redis returns it.
fn zscan(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(cursor) = super::keys::parse_cursor(a[2]) else {
        return ctx.error(errors::INVALID_CURSOR);
    };
    let opts = match super::keys::scan_options(&a[3..], false) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    read(ctx, a[1], |out, z| {
        let Some(z) = z else {
            super::keys::cursor_reply(out, 0);
            return out.array(0);
        };
        // A small set (listpack in Redis) comes back whole, as Redis returns it.
        let keep = |m: &[u8]| opts.matches(m);
        let mut found = Vec::new();
        let next = if z.encoding() == "listpack" {
            found.extend(z.iter().filter(|(m, _)| keep(m)));
            0
        } else {
            z.scan(cursor, opts.count, |(m, s)| {
                if keep(m) {
                    found.push((m, s));
                }
            })
        };
        super::keys::cursor_reply(out, next);
        out.array(2 * found.len());
        for (m, s) in found {
            out.bulk(m);
            bulk_score(out, s);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::notify::testing::Events;
    use crate::command::testing::Harness as H;

    #[test]
    fn zadd_flags_and_their_errors() {
        let mut h = H::new();
        assert_eq!(h.run("ZADD z 1 a 2 b"), ":2\r\n");
        assert_eq!(h.run("ZADD z NX 5 a 3 c"), ":1\r\n");
        assert_eq!(h.run("ZSCORE z a"), "$1\r\n1\r\n");
        assert_eq!(h.run("ZADD z XX CH 5 a 9 d"), ":1\r\n");
        assert_eq!(h.run("ZADD z GT CH 4 a 6 b"), ":1\r\n");
        assert_eq!(h.run("ZADD z INCR 0.5 a"), "$3\r\n5.5\r\n");
        assert_eq!(h.run("ZADD z LT INCR 1 a"), "$-1\r\n");
        assert_eq!(
            h.run("ZADD z NX XX 1 a"),
            "-ERR XX and NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run("ZADD z GT LT 1 a"),
            "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            h.run("ZADD z INCR 1 a 2 b"),
            "-ERR INCR option supports a single increment-element pair\r\n"
        );
        assert_eq!(h.run("ZADD z 1 a x b"), "-ERR value is not a valid float\r\n");
        assert_eq!(h.run("ZCARD z"), ":3\r\n", "a bad score adds nothing");
        assert_eq!(h.run("ZADD z 1 a 2"), "-ERR syntax error\r\n");
        assert_eq!(h.run("ZADD z inf a"), ":0\r\n");
        assert_eq!(
            h.run("ZADD z INCR -inf a"),
            "-ERR resulting score is not a number (NaN)\r\n"
        );
        assert_eq!(h.run("ZADD nokey XX 1 a"), ":0\r\n");
        assert_eq!(h.run("EXISTS nokey"), ":0\r\n");
    }

    #[test]
    fn ranges_by_rank_score_and_lex_with_rev_and_limit() {
        let mut h = H::new();
        h.run("ZADD z 1 a 2 b 3 c 4 d");
        assert_eq!(h.run("ZRANGE z 1 -2"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZRANGE z 0 0 REV WITHSCORES"), "*2\r\n$1\r\nd\r\n$1\r\n4\r\n");
        assert_eq!(h.run("ZRANGE z (1 3 BYSCORE"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZRANGE z 3 (1 BYSCORE REV LIMIT 1 5"), "*1\r\n$1\r\nb\r\n");
        assert_eq!(
            h.run("ZREVRANGEBYSCORE z +inf -inf LIMIT 0 2"),
            "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run("ZRANGEBYLEX z [b (d"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZREVRANGEBYLEX z + - LIMIT 1 1"), "*1\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZREVRANGE z 0 1"), "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZRANGEBYSCORE z -inf +inf LIMIT -1 2"), "*0\r\n");
        assert_eq!(h.run("ZCOUNT z (1 3"), ":2\r\n");
        assert_eq!(h.run("ZLEXCOUNT z - +"), ":4\r\n");
        assert_eq!(h.run("ZRANGEBYSCORE z a 1"), "-ERR min or max is not a float\r\n");
        assert_eq!(
            h.run("ZRANGEBYLEX z a b"),
            "-ERR min or max not valid string range item\r\n"
        );
        assert_eq!(
            h.run("ZRANGE z 0 1 LIMIT 0 1"),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
        );
        assert_eq!(
            h.run("ZRANGE z - + BYLEX WITHSCORES"),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
        );
        assert_eq!(h.run("ZRANGESTORE d z 1 2"), ":2\r\n");
        assert_eq!(h.run("ZRANGE d 0 -1"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(h.run("ZRANGESTORE d z 5 9"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
    }

    #[test]
    fn ranks_scores_and_removal() {
        let mut h = H::new();
        h.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(h.run("ZRANK z c"), ":2\r\n");
        assert_eq!(h.run("ZREVRANK z c WITHSCORE"), "*2\r\n:0\r\n$1\r\n3\r\n");
        assert_eq!(h.run("ZRANK z x WITHSCORE"), "*-1\r\n");
        assert_eq!(h.run("ZRANK z x"), "$-1\r\n");
        assert_eq!(h.run("ZMSCORE z a x"), "*2\r\n$1\r\n1\r\n$-1\r\n");
        assert_eq!(h.run("ZINCRBY z 0.1 a"), "$18\r\n1.1000000000000001\r\n");
        assert_eq!(h.run("ZREM z a x"), ":1\r\n");
        assert_eq!(h.run("ZREMRANGEBYSCORE z 3 3"), ":1\r\n");
        assert_eq!(h.run("ZREMRANGEBYRANK z 0 -1"), ":1\r\n");
        assert_eq!(h.run("EXISTS z"), ":0\r\n");
        h.run("ZADD z 0 a 0 b 0 c");
        assert_eq!(h.run("ZREMRANGEBYLEX z (a +"), ":2\r\n");
    }

    #[test]
    fn pops_reply_flat_in_resp2_and_as_pairs_with_a_count_in_resp3() {
        let mut h = H::new();
        h.run("ZADD z 1 a 2 b 3 c 4 d");
        assert_eq!(h.run("ZPOPMIN z"), "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(h.run("ZPOPMAX z 1"), "*2\r\n$1\r\nd\r\n$1\r\n4\r\n");
        h.client.resp3 = true;
        assert_eq!(h.run("ZPOPMIN z 1"), "*1\r\n*2\r\n$1\r\nb\r\n,2\r\n");
        assert_eq!(h.run("ZPOPMIN z"), "*2\r\n$1\r\nc\r\n,3\r\n");
        assert_eq!(h.run("ZPOPMIN z"), "*0\r\n");
        assert_eq!(
            h.run("ZPOPMIN z -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
    }

    #[test]
    fn mpop_and_the_nonblocking_path_of_blocking_pops() {
        let mut h = H::new();
        h.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(
            h.run("ZMPOP 2 nokey z MAX COUNT 2"),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run("ZMPOP 1 nokey MIN"), "*-1\r\n");
        assert_eq!(h.run("ZMPOP 0 z MIN"), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(
            h.run("ZMPOP 1 z MIN COUNT 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(h.run("BZPOPMIN nokey z 0"), "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(h.run("BZPOPMIN z x"), "-ERR timeout is not a float or out of range\r\n");
        assert_eq!(h.run("BZPOPMIN z -1"), "-ERR timeout is negative\r\n");
        assert!(h.client.block.is_none());
    }

    #[test]
    fn a_blocking_pop_with_nothing_blocks_then_times_out_with_a_null_array() {
        let mut h = H::new();
        assert_eq!(h.run("BZPOPMAX a b 1.5"), "", "no reply while blocked");
        let block = h.client.block.take().expect("asked to block");
        assert_eq!(block.keys, vec![Box::from(&b"a"[..]), Box::from(&b"b"[..])]);
        assert_eq!(block.deadline, h.srv.start_ms + 1500);
        h.client.timed_out = true;
        assert_eq!(h.run("BZPOPMAX a b 1.5"), "*-1\r\n");
        assert_eq!(h.run("BZMPOP 0 1 a MIN"), "*-1\r\n");
        assert!(h.client.block.is_none());
        h.client.timed_out = false;
        assert_eq!(h.run("BZMPOP 0 1 a MIN"), "");
        assert_eq!(h.client.block.take().map(|b| b.deadline), Some(0));
    }

    #[test]
    fn union_inter_diff_weights_aggregates_and_sets_as_sources() {
        let mut h = H::new();
        h.run("ZADD a 1 x 2 y");
        h.run("ZADD b 10 y 20 z");
        let kh = h.srv.store.hash(b"s");
        h.srv
            .store
            .lock(kh)
            .slot(0, b"s", kh, h.srv.start_ms)
            .write::<Set, _>(true, |s| {
                s.insert(b"z");
                ((), true)
            })
            .expect("a new set");
        assert_eq!(
            h.run("ZUNION 2 a b WITHSCORES"),
            "*6\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n20\r\n"
        );
        assert_eq!(
            h.run("ZINTER 2 a b AGGREGATE MAX WITHSCORES"),
            "*2\r\n$1\r\ny\r\n$2\r\n10\r\n"
        );
        assert_eq!(h.run("ZINTERSTORE d 2 b s WEIGHTS 1 5"), ":1\r\n");
        assert_eq!(h.run("ZSCORE d z"), "$2\r\n25\r\n");
        assert_eq!(h.run("ZDIFF 2 a b"), "*1\r\n$1\r\nx\r\n");
        assert_eq!(h.run("ZDIFFSTORE d 1 a WEIGHTS 1"), "-ERR syntax error\r\n");
        assert_eq!(h.run("ZINTERCARD 2 a b LIMIT 5"), ":1\r\n");
        assert_eq!(h.run("ZINTERCARD 1 a LIMIT -1"), "-ERR LIMIT can't be negative\r\n");
        assert_eq!(
            h.run("ZUNIONSTORE d 0 a"),
            "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"
        );
        assert_eq!(h.run("ZUNION 1 a WEIGHTS x"), "-ERR weight value is not a float\r\n");
        h.run("SET str v");
        assert_eq!(
            h.run("ZUNION 2 a str"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
    }

    #[test]
    fn randmember_and_scan() {
        let mut h = H::new();
        h.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(h.run("ZRANDMEMBER z 0"), "*0\r\n");
        assert!(h.run("ZRANDMEMBER z -5").starts_with("*5\r\n"));
        assert_eq!(h.run("ZRANDMEMBER z 5").matches('$').count(), 3);
        let two = h.run("ZRANDMEMBER z 2");
        let members: std::collections::HashSet<&str> = two.split("\r\n").filter(|l| l.len() == 1).collect();
        assert_eq!(members.len(), 2, "{two}");
        assert_eq!(h.run("ZRANDMEMBER nokey"), "$-1\r\n");
        assert_eq!(
            h.run("ZRANDMEMBER z -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(
            h.run("ZSCAN z 0 MATCH [ab]"),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run("ZSCAN z x"), "-ERR invalid cursor\r\n");
    }

    #[test]
    fn scan_of_a_skiplist_walks_by_cursor_and_returns_each_member_once() {
        let mut h = H::new();
        for i in 0..300 {
            h.run(&format!("ZADD big {i} m{i}"));
        }
        let mut cursor = "0".to_string();
        let mut seen = 0;
        loop {
            let r = h.run(&format!("ZSCAN big {cursor} COUNT 7"));
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            seen += lines.iter().filter(|l| l.starts_with('m')).count();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen, 300);
    }

    #[test]
    fn wrongtype_on_every_read_and_write() {
        let mut h = H::new();
        h.run("SET s v");
        for cmd in [
            "ZADD s 1 a",
            "ZCARD s",
            "ZSCORE s a",
            "ZRANGE s 0 -1",
            "ZPOPMIN s",
            "ZREM s a",
            "ZRANK s a",
            "ZSCAN s 0",
            "BZPOPMIN s 0",
            "ZRANGESTORE d s 0 -1",
        ] {
            assert_eq!(
                h.run(cmd),
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                "{cmd}"
            );
        }
    }

    #[test]
    fn specs_match_redis_arity_flags_and_keys() {
        use crate::command::lookup;
        type Keys = (i32, i32, i32);
        let table: &[(&str, i32, u32, Keys)] = &[
            ("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1)),
            ("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1)),
            ("zrem", -3, WRITE | FAST, (1, 1, 1)),
            ("zrank", -3, READONLY | FAST, (1, 1, 1)),
            ("zrange", -4, READONLY, (1, 1, 1)),
            ("zrangestore", -5, WRITE | DENYOOM, (1, 2, 1)),
            ("zpopmin", -2, WRITE | FAST, (1, 1, 1)),
            ("zmpop", -4, WRITE, (0, 0, 0)),
            ("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1)),
            ("bzmpop", -5, WRITE | BLOCKING, (0, 0, 0)),
            ("zunionstore", -4, WRITE | DENYOOM, (1, 1, 1)),
            ("zinter", -3, READONLY, (0, 0, 0)),
            ("zintercard", -3, READONLY, (0, 0, 0)),
            ("zrandmember", -2, READONLY, (1, 1, 1)),
            ("zscan", -3, READONLY, (1, 1, 1)),
        ];
        for &(name, arity, flags, keys) in table {
            let c = lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!((c.arity, c.flags), (arity, flags), "{name}");
            assert_eq!(c.legacy_keys(), keys, "{name}");
        }
        assert_eq!(COMMANDS.len(), 35);
    }

    /// `key event` pairs as their keyspace channels carry them in db 0.
    fn keyspace(events: &[&str]) -> Vec<String> {
        events.iter().map(|e| format!("__keyspace@0__:{e}")).collect()
    }

    #[test]
    fn zadd_and_zincrby_publish_only_when_a_member_is_added_or_its_score_moves() {
        let mut ev = Events::new("Kgzn");
        for line in [
            "ZADD z 1 a 2 b",
            "ZADD z 1 a",
            "ZADD z XX 5 zz",
            "ZADD noz XX 1 a",
            "ZADD z NX 5 a",
            "ZADD z GT 0 a",
            "ZADD z CH 3 a",
            "ZADD z INCR 0 a",
            "ZADD z INCR 1 a",
            "ZINCRBY z 0 a",
            "ZINCRBY z 2 a",
            "ZINCRBY z 1 new",
            "ZADD z INCR inf a",
            "ZADD z INCR -inf a",
        ] {
            ev.run(line);
        }
        assert_eq!(
            ev.take(),
            keyspace(&["z new", "z zadd", "z zadd", "z zincr", "z zincr", "z zincr", "z zincr"])
        );
    }

    #[test]
    fn removals_publish_their_event_when_they_removed_and_del_for_the_last() {
        let mut ev = Events::new("Kgz");
        ev.run("ZADD z 1 a 2 b");
        ev.take();
        ev.run("ZREM z nope");
        ev.run("ZREM z a new");
        ev.run("ZREM noz a");
        ev.run("ZREM z b");
        assert_eq!(ev.take(), keyspace(&["z zrem", "z zrem", "z del"]));
        ev.run("ZADD z 1 a 2 b 3 c 4 d 5 e");
        ev.take();
        for line in [
            "ZREMRANGEBYRANK z 10 20",
            "ZREMRANGEBYRANK z 0 0",
            "ZREMRANGEBYSCORE z 100 200",
            "ZREMRANGEBYSCORE z 2 2",
            "ZREMRANGEBYLEX z [x [y",
            "ZREMRANGEBYLEX z [d [d",
            "ZREMRANGEBYRANK z 0 -1",
        ] {
            ev.run(line);
        }
        assert_eq!(
            ev.take(),
            keyspace(&[
                "z zremrangebyrank",
                "z zremrangebyscore",
                "z zremrangebylex",
                "z zremrangebyrank",
                "z del",
            ])
        );
    }

    #[test]
    fn pops_publish_once_per_call_and_del_when_they_emptied_the_set() {
        let mut ev = Events::new("Kgz");
        ev.run("ZADD z 1 a 2 b 3 c");
        ev.take();
        ev.run("ZPOPMIN z 0");
        ev.run("ZPOPMIN noz");
        ev.run("ZPOPMIN z");
        ev.run("ZPOPMAX z 5");
        ev.run("ZADD z 1 a 2 b 3 c");
        ev.run("ZMPOP 2 noz z MIN COUNT 2");
        ev.run("BZPOPMAX z 0");
        ev.run("BZMPOP 0 1 z MIN");
        assert_eq!(
            ev.take(),
            keyspace(&[
                "z zpopmin",
                "z zpopmax",
                "z del",
                "z zadd",
                "z zpopmin",
                "z zpopmax",
                "z del",
            ])
        );
    }

    #[test]
    fn blocked_pops_served_later_publish_as_redis_serves_them() {
        let mut ev = Events::new("Kgzn");
        ev.run("ZADD z1 1 a");
        ev.run_resumed("BZPOPMIN z1 0");
        ev.run("ZADD z2 1 a 2 b");
        ev.run_resumed("BZMPOP 0 1 z2 MAX COUNT 1");
        assert_eq!(
            ev.take(),
            keyspace(&[
                "z1 new",
                "z1 zadd",
                "z1 zpopmin",
                "z1 del",
                "z2 new",
                "z2 zadd",
                "z2 zpopmax"
            ])
        );
    }

    #[test]
    fn store_forms_publish_their_event_or_del_of_a_destination_that_was_there() {
        let mut ev = Events::new("Kgzn");
        ev.run("ZADD x 1 a 2 b");
        ev.run("ZADD y 2 b 3 c");
        ev.take();
        for line in [
            "ZUNIONSTORE d 2 x y",
            "ZINTERSTORE d 2 x y",
            "ZDIFFSTORE d 2 x y",
            "ZINTERSTORE d 2 x noz",
            "ZINTERSTORE d 2 x noz",
            "ZRANGESTORE d x 0 -1",
            "ZRANGESTORE d x 5 6",
            "ZRANGESTORE d noz 0 -1",
            "ZRANGESTORE d x 0 0",
            "ZRANGESTORE d noz 0 -1",
            "ZDIFFSTORE d 1 noz",
        ] {
            ev.run(line);
        }
        assert_eq!(
            ev.take(),
            keyspace(&[
                "d new",
                "d zunionstore",
                "d zinterstore",
                "d zdiffstore",
                "d del",
                "d new",
                "d zrangestore",
                "d del",
                "d new",
                "d zrangestore",
                "d del",
            ])
        );
    }
}
