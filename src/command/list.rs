//! List commands, the blocking pops among them.
//!
//! A blocking pop (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) first tries
//! what its non-blocking form does. When every key is missing it calls
//! [`Ctx::block`] and writes nothing; the session parks the client (see
//! `server::blocking`) and runs the same command again when one of the keys
//! becomes a list, or when the deadline passes, and then
//! [`Ctx::timed_out`] tells the handler to give the timeout reply.
//!
//! Each change publishes the keyspace events Redis 7.0 publishes for it,
//! in its order, once the shards are unlocked (see [`notify`]). A blocked
//! command that is served runs through the same handler, so it publishes
//! what the same command publishes when it does not wait.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::state::Server;
use crate::store::{List, Slot, WrongType};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("lpush", -3, WRITE | DENYOOM | FAST, "list", lpush)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "1.0.0",
            "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
            "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            "key element [element ...]",
        ),
    spec("rpush", -3, WRITE | DENYOOM | FAST, "list", rpush)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "1.0.0",
            "Appends one or more elements to a list. Creates the key if it doesn't exist.",
            "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            "key element [element ...]",
        ),
    spec("lpushx", -3, WRITE | DENYOOM | FAST, "list", lpushx)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "2.2.0",
            "Prepends one or more elements to a list only when the list exists.",
            "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            "key element [element ...]",
        ),
    spec("rpushx", -3, WRITE | DENYOOM | FAST, "list", rpushx)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "2.2.0",
            "Appends an element to a list only when the list exists.",
            "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
            "key element [element ...]",
        ),
    spec("lpop", -2, WRITE | FAST, "list", lpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc(
            "1.0.0",
            "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
            "O(N) where N is the number of elements returned",
            "key [count]",
        ),
    spec("rpop", -2, WRITE | FAST, "list", rpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE)])
        .doc(
            "1.0.0",
            "Returns and removes the last elements of a list. Deletes the list if the last element was popped.",
            "O(N) where N is the number of elements returned",
            "key [count]",
        ),
    spec("llen", 2, READONLY | FAST, "list", llen)
        .key_specs(&[key(1, RO)])
        .doc("1.0.0", "Returns the length of a list.", "O(1)", "key"),
    spec("lrange", 4, READONLY, "list", lrange)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Returns a range of elements from a list.",
            "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
            "key start stop",
        ),
    spec("lindex", 3, READONLY, "list", lindex)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "1.0.0",
            "Returns an element from a list by its index.",
            "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
            "key index",
        ),
    spec("lset", 4, WRITE | DENYOOM, "list", lset)
        .key_specs(&[key(1, RW | UPDATE)])
        .doc(
            "1.0.0",
            "Sets the value of an element in a list by its index.",
            "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
            "key index element",
        ),
    spec("linsert", 5, WRITE | DENYOOM, "list", linsert)
        .key_specs(&[key(1, RW | INSERT)])
        .doc(
            "2.2.0",
            "Inserts an element before or after another element in a list.",
            "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
            "key <BEFORE | AFTER> pivot element",
        ),
    spec("lrem", 4, WRITE, "list", lrem)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "1.0.0",
            "Removes elements from a list. Deletes the list if the last element was removed.",
            "O(N+M) where N is the length of the list and M is the number of elements removed.",
            "key count element",
        ),
    spec("ltrim", 4, WRITE, "list", ltrim)
        .key_specs(&[key(1, RW | DELETE)])
        .doc(
            "1.0.0",
            "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
            "O(N) where N is the number of elements to be removed by the operation.",
            "key start stop",
        ),
    spec("lpos", -3, READONLY, "list", lpos)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.0.6",
            "Returns the index of matching elements in a list.",
            "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
            "key element [RANK rank] [COUNT num-matches] [MAXLEN len]",
        ),
    spec("lmove", 5, WRITE | DENYOOM, "list", lmove)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)])
        .doc(
            "6.2.0",
            "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
            "O(1)",
            "source destination <LEFT | RIGHT> <LEFT | RIGHT>",
        ),
    spec("rpoplpush", 3, WRITE | DENYOOM, "list", rpoplpush)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)])
        .doc(
            "1.2.0",
            "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
            "O(1)",
            "source destination",
        ),
    spec("lmpop", -4, WRITE, "list", lmpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_1)
        .doc(
            "7.0.0",
            "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
        ),
    spec("blpop", -3, WRITE | NOSCRIPT | BLOCKING, "list", blpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE).range(-2, 1, 0)])
        .doc(
            "2.0.0",
            "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
            "O(N) where N is the number of provided keys.",
            "key [key ...] timeout",
        ),
    spec("brpop", -3, WRITE | NOSCRIPT | BLOCKING, "list", brpop)
        .key_specs(&[key(1, RW | ACCESS | DELETE).range(-2, 1, 0)])
        .doc(
            "2.0.0",
            "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
            "O(N) where N is the number of provided keys.",
            "key [key ...] timeout",
        ),
    spec("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, "list", blmove)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)])
        .doc(
            "6.2.0",
            "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
            "O(1)",
            "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout",
        ),
    spec("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, "list", brpoplpush)
        .key_specs(&[key(1, RW | ACCESS | DELETE), key(2, RW | INSERT)])
        .doc(
            "2.2.0",
            "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
            "O(1)",
            "source destination timeout",
        ),
    spec("blmpop", -5, WRITE | BLOCKING, "list", blmpop)
        .key_specs(&[key(2, RW | ACCESS | DELETE).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
            "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
            "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]",
        ),
];

/// LEFT or RIGHT: true for LEFT (the head).
fn parse_end(arg: &[u8]) -> Result<bool, &'static str> {
    if is(arg, "left") {
        Ok(true)
    } else if is(arg, "right") {
        Ok(false)
    } else {
        Err(errors::SYNTAX)
    }
}

/// Resolves Redis's inclusive `start stop` (negative from the end) into a
/// half-open range of a list of `len`, empty when they select nothing.
fn resolve_range(start: i64, stop: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return (0, 0);
    }
    (start as usize, (stop.min(len - 1) + 1) as usize)
}

/// The database a handler works in, copied out of its context so that the
/// reply sink can be borrowed beside it.
#[derive(Clone, Copy)]
struct Db<'a> {
    srv: &'a Server,
    db: usize,
    now: u64,
}

impl<'a> Db<'a> {
    fn of(ctx: &Ctx<'a>) -> Db<'a> {
        Db {
            srv: ctx.srv,
            db: ctx.client.db,
            now: ctx.now,
        }
    }

    /// Runs `f` on the slot of `key`, with its shard locked.
    fn with<R>(self, key: &[u8], f: impl FnOnce(&mut Slot<'_>) -> R) -> R {
        self.srv.store.with_slot(self.db, key, self.now, f)
    }

    /// Publishes a list event on `key`, and `del` after it when the
    /// command left the list empty (and the store deleted it), as Redis
    /// tells both. Call with the shard unlocked.
    fn notify(self, event: &str, key: &[u8], emptied: bool) {
        notify::event(self.srv, class::LIST, event, self.db, key);
        if emptied {
            notify::event(self.srv, class::GENERIC, "del", self.db, key);
        }
    }
}

/// The event of a pop from the head (`lpop`) or the tail (`rpop`).
fn pop_event(front: bool) -> &'static str {
    if front {
        "lpop"
    } else {
        "rpop"
    }
}

/// The event of a push on the head (`lpush`) or the tail (`rpush`).
fn push_event(front: bool) -> &'static str {
    if front {
        "lpush"
    } else {
        "rpush"
    }
}

/// LPUSH, RPUSH and their X forms. Every push that finds or makes a list
/// publishes `lpush` or `rpush`, once for all its elements.
fn push(ctx: &mut Ctx<'_>, a: &[&[u8]], front: bool, create: bool) {
    let db = Db::of(ctx);
    let r = db.with(a[1], |s| {
        s.write::<List, _>(create, |l| {
            for v in &a[2..] {
                if front {
                    l.push_front(v);
                } else {
                    l.push_back(v);
                }
            }
            (l.len(), true)
        })
    });
    match r {
        Ok(Some(n)) => {
            db.notify(push_event(front), a[1], false);
            ctx.out.int(n as i64);
        }
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LPUSH key element [element ...]
/// ```
fn lpush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    push(ctx, a, true, true)
}

/// ```text
/// RPUSH key element [element ...]
/// ```
fn rpush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    push(ctx, a, false, true)
}

/// ```text
/// LPUSHX key element [element ...]
/// ```
fn lpushx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    push(ctx, a, true, false)
}

/// ```text
/// RPUSHX key element [element ...]
/// ```
fn rpushx(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    push(ctx, a, false, false)
}

/// Pops up to `n` elements from one end and writes them as bulks.
fn pop_into(l: &mut List, out: &mut Reply<'_>, front: bool, n: usize) {
    for _ in 0..n {
        if let Some(v) = l.pop(front) {
            out.bulk(&v);
        }
    }
}

/// ```text
/// LPOP key [count]
/// RPOP key [count]
/// ```
/// Without a count, one element or nil; with one, an array (empty for a
/// count of 0), or a nil array when the key is missing. Publishes `lpop`
/// or `rpop` when something was popped, then `del` when that emptied it.
fn pop(ctx: &mut Ctx<'_>, a: &[&[u8]], front: bool) {
    let count = match a.get(2).map(|c| args::uint(c)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return ctx.error(errors::NOT_POSITIVE_COUNT),
    };
    if a.len() > 3 {
        return ctx.error(&errors::wrong_arity(if front { "lpop" } else { "rpop" }));
    }
    let db = Db::of(ctx);
    let out = &mut ctx.out;
    let r = db.with(a[1], |s| {
        s.write::<List, _>(false, |l| {
            let n = count.unwrap_or(1).min(l.len());
            if count.is_some() {
                out.array(n);
            }
            pop_into(l, out, front, n);
            ((n > 0, l.is_empty()), n > 0)
        })
    });
    match r {
        Ok(Some((popped, emptied))) => {
            if popped {
                db.notify(pop_event(front), a[1], emptied);
            }
        }
        Ok(None) if count.is_some() => ctx.out.null_array(),
        Ok(None) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

fn lpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    pop(ctx, a, true)
}

fn rpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    pop(ctx, a, false)
}

/// ```text
/// LLEN key
/// ```
fn llen(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = Db::of(ctx).with(a[1], |s| s.view::<List>().map(|l| l.map_or(0, List::len)));
    match r {
        Ok(n) => ctx.out.int(n as i64),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LRANGE key start stop
/// ```
/// Written straight from the list into the reply, under the shard lock.
fn lrange(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (start, stop) = match (args::int(a[2]), args::int(a[3])) {
        (Ok(s), Ok(e)) => (s, e),
        _ => return ctx.error(errors::NOT_INTEGER),
    };
    let db = Db::of(ctx);
    let out = &mut ctx.out;
    let r = db.with(a[1], |s| {
        let Some(l) = s.view::<List>()? else {
            out.array(0);
            return Ok(());
        };
        let (from, to) = resolve_range(start, stop, l.len());
        out.array(to - from);
        for v in l.range(from, to) {
            out.bulk(v);
        }
        Ok(())
    });
    if let Err(WrongType) = r {
        ctx.error(errors::WRONGTYPE);
    }
}

/// A Redis index (negative from the end) into a list of `len`.
fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    (i >= 0 && (i as u64) < len as u64).then_some(i as usize)
}

/// ```text
/// LINDEX key index
/// ```
fn lindex(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let i = match args::int(a[2]) {
        Ok(i) => i,
        Err(e) => return ctx.error(e),
    };
    let db = Db::of(ctx);
    let out = &mut ctx.out;
    let r = db.with(a[1], |s| {
        match s
            .view::<List>()?
            .and_then(|l| resolve_index(i, l.len()).and_then(|i| l.get(i)))
        {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
        Ok(())
    });
    if let Err(WrongType) = r {
        ctx.error(errors::WRONGTYPE);
    }
}

/// ```text
/// LSET key index element
/// ```
/// Publishes `lset` when the element was set.
fn lset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let i = match args::int(a[2]) {
        Ok(i) => i,
        Err(e) => return ctx.error(e),
    };
    let db = Db::of(ctx);
    let r = db.with(a[1], |s| {
        s.write::<List, _>(false, |l| match resolve_index(i, l.len()) {
            Some(i) => (l.set(i, a[3]), true),
            None => (false, false),
        })
    });
    match r {
        Ok(Some(true)) => {
            db.notify("lset", a[1], false);
            ctx.out.ok();
        }
        Ok(Some(false)) => ctx.error(errors::INDEX_OUT_OF_RANGE),
        Ok(None) => ctx.error(errors::NO_SUCH_KEY),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LINSERT key <BEFORE | AFTER> pivot element
/// ```
/// The new length, -1 when the pivot is not there, 0 when the key is
/// missing. Publishes `linsert` when the element went in.
fn linsert(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let after = if is(a[2], "after") {
        true
    } else if is(a[2], "before") {
        false
    } else {
        return ctx.error(errors::SYNTAX);
    };
    let db = Db::of(ctx);
    let r = db.with(a[1], |s| {
        s.write::<List, _>(false, |l| {
            let at = l.iter().position(|v| v == a[3]);
            match at {
                Some(p) => {
                    l.insert(p + after as usize, a[4]);
                    (l.len() as i64, true)
                }
                None => (-1, false),
            }
        })
    });
    match r {
        Ok(Some(n)) => {
            if n > 0 {
                db.notify("linsert", a[1], false);
            }
            ctx.out.int(n);
        }
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LREM key count element
/// ```
/// Publishes `lrem` when something was removed, then `del` when that
/// emptied the list.
fn lrem(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let count = match args::int(a[2]) {
        Ok(c) => c,
        Err(e) => return ctx.error(e),
    };
    let db = Db::of(ctx);
    let r = db.with(a[1], |s| {
        s.write::<List, _>(false, |l| {
            let n = l.remove_eq(a[3], count.unsigned_abs().try_into().unwrap_or(usize::MAX), count >= 0);
            ((n, l.is_empty()), n > 0)
        })
    });
    match r {
        Ok(Some((n, emptied))) => {
            if n > 0 {
                db.notify("lrem", a[1], emptied);
            }
            ctx.out.int(n as i64);
        }
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LTRIM key start stop
/// ```
/// Publishes `ltrim` on every list it finds, even when nothing was cut
/// (Redis does not check), then `del` when the list was cut to nothing.
fn ltrim(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (start, stop) = match (args::int(a[2]), args::int(a[3])) {
        (Ok(s), Ok(e)) => (s, e),
        _ => return ctx.error(errors::NOT_INTEGER),
    };
    let db = Db::of(ctx);
    let r = db.with(a[1], |s| {
        s.write::<List, _>(false, |l| {
            let len = l.len();
            let (from, to) = resolve_range(start, stop, len);
            l.keep(from, to);
            (l.is_empty(), l.len() != len)
        })
    });
    match r {
        Ok(r) => {
            if let Some(emptied) = r {
                db.notify("ltrim", a[1], emptied);
            }
            ctx.out.ok();
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// LPOS's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LposArgs {
    rank: i64,
    /// COUNT, when given (0 = every match).
    count: Option<usize>,
    /// Elements compared at most (0 = all).
    maxlen: usize,
}

fn parse_lpos(a: &[&[u8]]) -> Result<LposArgs, &'static str> {
    let mut o = LposArgs {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut i = 3;
    while i < a.len() {
        let more = i + 1 < a.len();
        if is(a[i], "rank") && more {
            o.rank = args::int(a[i + 1])?;
            if o.rank == i64::MIN {
                return Err(errors::NEGATABLE_RANGE);
            }
            if o.rank == 0 {
                return Err(errors::RANK_ZERO);
            }
        } else if is(a[i], "count") && more {
            o.count = Some(args::uint(a[i + 1]).map_err(|_| errors::COUNT_NEGATIVE)?);
        } else if is(a[i], "maxlen") && more {
            o.maxlen = args::uint(a[i + 1]).map_err(|_| errors::MAXLEN_NEGATIVE)?;
        } else {
            return Err(errors::SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

/// The indexes (from the head) of the matches LPOS asks for.
fn lpos_matches(l: &List, elem: &[u8], o: LposArgs) -> Vec<usize> {
    let want = match o.count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let scan = if o.maxlen == 0 { l.len() } else { o.maxlen.min(l.len()) };
    let skip = (o.rank.unsigned_abs() - 1).try_into().unwrap_or(usize::MAX);
    let hits = |(_, v): &(usize, &[u8])| *v == elem;
    if o.rank > 0 {
        l.iter()
            .enumerate()
            .take(scan)
            .filter(hits)
            .skip(skip)
            .take(want)
            .map(|(i, _)| i)
            .collect()
    } else {
        l.iter()
            .enumerate()
            .rev()
            .take(scan)
            .filter(hits)
            .skip(skip)
            .take(want)
            .map(|(i, _)| i)
            .collect()
    }
}

/// ```text
/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
/// ```
fn lpos(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let o = match parse_lpos(a) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let r = Db::of(ctx).with(a[1], |s| Ok(s.view::<List>()?.map(|l| lpos_matches(l, a[2], o))));
    match r {
        Ok(found) => {
            let found = found.unwrap_or_default();
            if o.count.is_some() {
                ctx.out.array(found.len());
                for i in found {
                    ctx.out.int(i as i64);
                }
            } else {
                match found.first() {
                    Some(&i) => ctx.out.int(i as i64),
                    None => ctx.out.null(),
                }
            }
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// Pops one element from an end of `src` and pushes it on an end of
/// `dst`, both shards locked together. `Ok(None)` when `src` is missing;
/// a `dst` of another type fails before anything moves. A list moved
/// onto itself rotates in place and keeps its expiry.
///
/// A move publishes what Redis's LMOVE does, in its order: the push on
/// `dst` (`lpush`/`rpush`, after `new` when it made `dst`), then the pop
/// on `src` (`lpop`/`rpop`), then `del` when `src` was left empty.
fn move_one(
    db: Db<'_>,
    src: &[u8],
    dst: &[u8],
    from_front: bool,
    to_front: bool,
) -> Result<Option<Box<[u8]>>, WrongType> {
    let Some(m) = move_locked(db, src, dst, from_front, to_front)? else {
        return Ok(None);
    };
    db.notify(push_event(to_front), dst, false);
    db.notify(pop_event(from_front), src, m.src_emptied);
    Ok(Some(m.value))
}

/// What [`move_locked`] moved.
struct Moved {
    value: Box<[u8]>,
    /// The source's last element: the store deleted the source.
    src_emptied: bool,
}

/// [`move_one`]'s change, under the locks.
fn move_locked(
    db: Db<'_>,
    src: &[u8],
    dst: &[u8],
    from_front: bool,
    to_front: bool,
) -> Result<Option<Moved>, WrongType> {
    let store = &db.srv.store;
    let (ks, kd) = (store.hash(src), store.hash(dst));
    let mut m = store.lock_many(&[ks, kd]);
    if src == dst {
        let r = m.slot(db.db, src, ks, db.now).write::<List, _>(false, |l| {
            let v = l.pop(from_front);
            if let Some(v) = &v {
                l.push_boxed(v.clone(), to_front);
            }
            (v, true)
        })?;
        return Ok(r.flatten().map(|value| Moved {
            value,
            src_emptied: false,
        }));
    }
    if m.slot(db.db, src, ks, db.now).peek_as::<List>()?.is_none() {
        return Ok(None);
    }
    m.slot(db.db, dst, kd, db.now).peek_as::<List>()?;
    let v = m
        .slot(db.db, src, ks, db.now)
        .write::<List, _>(false, |l| {
            let v = l.pop(from_front);
            let changed = v.is_some();
            (v.map(|v| (v, l.is_empty())), changed)
        })?
        .flatten();
    let Some((v, src_emptied)) = v else { return Ok(None) };
    let value = v.clone();
    m.slot(db.db, dst, kd, db.now).write::<List, _>(true, |l| {
        l.push_boxed(v, to_front);
        ((), true)
    })?;
    Ok(Some(Moved { value, src_emptied }))
}

fn reply_moved(ctx: &mut Ctx<'_>, r: Result<Option<Box<[u8]>>, WrongType>) {
    match r {
        Ok(Some(v)) => ctx.out.bulk(&v),
        Ok(None) => ctx.out.null(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
/// ```
fn lmove(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (from, to) = match (parse_end(a[3]), parse_end(a[4])) {
        (Ok(f), Ok(t)) => (f, t),
        _ => return ctx.error(errors::SYNTAX),
    };
    let r = move_one(Db::of(ctx), a[1], a[2], from, to);
    reply_moved(ctx, r)
}

/// ```text
/// RPOPLPUSH source destination
/// ```
fn rpoplpush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = move_one(Db::of(ctx), a[1], a[2], false, true);
    reply_moved(ctx, r)
}

/// How a pop from several keys answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// BLPOP, BRPOP: `[key, element]`.
    Pair,
    /// LMPOP, BLMPOP: `[key, [element ...]]`.
    Nested,
}

/// Pops up to `count` elements from the first of `keys` that holds a
/// list, and writes the reply; false (and nothing written) when none does.
/// Publishes `lpop` or `rpop` on that key, then `del` when it was emptied:
/// the same events whether the command ran at once or served a client
/// that waited.
/// A key of another type met on the way is WRONGTYPE, as Redis checks the
/// keys in order, unless `pass_other_types` (a blocked client's later
/// run, [`Ctx::resumed`]).
fn pop_first(
    db: Db<'_>,
    out: &mut Reply<'_>,
    keys: &[&[u8]],
    front: bool,
    count: usize,
    shape: Shape,
    pass_other_types: bool,
) -> Result<bool, WrongType> {
    for &key in keys {
        let r = db.with(key, |s| {
            s.write::<List, _>(false, |l| {
                let n = count.min(l.len());
                out.array(2);
                out.bulk(key);
                if shape == Shape::Nested {
                    out.array(n);
                }
                pop_into(l, out, front, n);
                (l.is_empty(), n > 0)
            })
        });
        match r {
            Ok(Some(emptied)) => {
                db.notify(pop_event(front), key, emptied);
                return Ok(true);
            }
            Ok(None) => {}
            Err(WrongType) if pass_other_types => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// LMPOP's and BLMPOP's arguments from `numkeys` on.
#[derive(Debug, PartialEq, Eq)]
struct Mpop<'a> {
    keys: &'a [&'a [u8]],
    front: bool,
    count: usize,
}

fn parse_mpop<'a>(a: &'a [&'a [u8]], at: usize) -> Result<Mpop<'a>, &'static str> {
    let numkeys = match args::int(a[at]) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(errors::NUMKEYS_POSITIVE),
    };
    let dir_at = at as u64 + numkeys + 1;
    if dir_at >= a.len() as u64 {
        return Err(errors::SYNTAX);
    }
    let dir_at = dir_at as usize;
    let front = parse_end(a[dir_at])?;
    let mut count = None;
    let mut i = dir_at + 1;
    while i < a.len() {
        if count.is_none() && is(a[i], "count") && i + 1 < a.len() {
            match args::int(a[i + 1]) {
                Ok(n) if n >= 1 => count = Some(n as usize),
                _ => return Err(errors::COUNT_POSITIVE),
            }
            i += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok(Mpop {
        keys: &a[at + 1..dir_at],
        front,
        count: count.unwrap_or(1),
    })
}

/// ```text
/// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
fn lmpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let m = match parse_mpop(a, 1) {
        Ok(m) => m,
        Err(e) => return ctx.error(e),
    };
    let db = Db::of(ctx);
    match pop_first(db, &mut ctx.out, m.keys, m.front, m.count, Shape::Nested, false) {
        Ok(true) => {}
        Ok(false) => ctx.out.null_array(),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// Blocks on `keys` until `deadline`, or gives the timeout reply when
/// this run comes after it.
fn block_or_time_out(ctx: &mut Ctx<'_>, keys: &[&[u8]], deadline: u64) {
    if ctx.timed_out() {
        ctx.out.null_array();
    } else {
        ctx.block(keys, deadline);
    }
}

fn bpop(ctx: &mut Ctx<'_>, a: &[&[u8]], front: bool) {
    let deadline = match args::parse_timeout(a[a.len() - 1], ctx.now) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let keys = &a[1..a.len() - 1];
    let (db, resumed) = (Db::of(ctx), ctx.resumed());
    match pop_first(db, &mut ctx.out, keys, front, 1, Shape::Pair, resumed) {
        Ok(true) => {}
        Ok(false) => block_or_time_out(ctx, keys, deadline),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// BLPOP key [key ...] timeout
/// ```
fn blpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bpop(ctx, a, true)
}

/// ```text
/// BRPOP key [key ...] timeout
/// ```
fn brpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bpop(ctx, a, false)
}

/// Whether `key` holds a value that is not a list.
fn holds_other_type(ctx: &Ctx<'_>, key: &[u8]) -> bool {
    Db::of(ctx).with(key, |s| s.peek_as::<List>().is_err())
}

fn bmove(ctx: &mut Ctx<'_>, a: &[&[u8]], from: bool, to: bool, timeout: &[u8]) {
    let deadline = match args::parse_timeout(timeout, ctx.now) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    match move_one(Db::of(ctx), a[1], a[2], from, to) {
        Ok(None) => block_or_time_out(ctx, &a[1..2], deadline),
        // The source became another type while the client waited: it waits on.
        Err(WrongType) if ctx.resumed() && holds_other_type(ctx, a[1]) => block_or_time_out(ctx, &a[1..2], deadline),
        r => reply_moved(ctx, r),
    }
}

/// ```text
/// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
/// ```
fn blmove(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match (parse_end(a[3]), parse_end(a[4])) {
        (Ok(f), Ok(t)) => bmove(ctx, a, f, t, a[5]),
        _ => ctx.error(errors::SYNTAX),
    }
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
fn brpoplpush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bmove(ctx, a, false, true, a[3])
}

/// ```text
/// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
/// ```
fn blmpop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let m = match parse_mpop(a, 2) {
        Ok(m) => m,
        Err(e) => return ctx.error(e),
    };
    let deadline = match args::parse_timeout(a[1], ctx.now) {
        Ok(d) => d,
        Err(e) => return ctx.error(e),
    };
    let (db, resumed) = (Db::of(ctx), ctx.resumed());
    match pop_first(db, &mut ctx.out, m.keys, m.front, m.count, Shape::Nested, resumed) {
        Ok(true) => {}
        Ok(false) => block_or_time_out(ctx, m.keys, deadline),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::notify::testing::Events;
    use crate::command::testing::Harness;

    #[test]
    fn push_pop_and_range_follow_redis() {
        let mut h = Harness::new();
        assert_eq!(h.run("RPUSH l a b c"), ":3\r\n");
        assert_eq!(h.run("LPUSH l z"), ":4\r\n");
        assert_eq!(
            h.run("LRANGE l 0 -1"),
            "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run("LRANGE l -2 100"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!(h.run("LRANGE l 3 1"), "*0\r\n");
        assert_eq!(h.run("LPOP l 0"), "*0\r\n");
        assert_eq!(h.run("LPOP l 2"), "*2\r\n$1\r\nz\r\n$1\r\na\r\n");
        assert_eq!(h.run("RPOP l"), "$1\r\nc\r\n");
        assert_eq!(h.run("RPOP l 5"), "*1\r\n$1\r\nb\r\n");
        assert_eq!(h.run("EXISTS l"), ":0\r\n", "the emptied list is deleted");
        assert_eq!(h.run("LPOP l"), "$-1\r\n");
        assert_eq!(h.run("LPOP l 1"), "*-1\r\n");
        assert_eq!(h.run("LPOP l -1"), "-ERR value is out of range, must be positive\r\n");
        assert_eq!(h.run("LPUSHX l a"), ":0\r\n");
        assert_eq!(h.run("EXISTS l"), ":0\r\n");
    }

    #[test]
    fn index_set_insert_rem_trim() {
        let mut h = Harness::new();
        h.run("RPUSH l a b a c a");
        assert_eq!(h.run("LINDEX l -1"), "$1\r\na\r\n");
        assert_eq!(h.run("LINDEX l 5"), "$-1\r\n");
        assert_eq!(h.run("LSET l 1 B"), "+OK\r\n");
        assert_eq!(h.run("LSET l 9 B"), "-ERR index out of range\r\n");
        assert_eq!(h.run("LSET nokey 0 B"), "-ERR no such key\r\n");
        assert_eq!(h.run("LINSERT l AFTER c d"), ":6\r\n");
        assert_eq!(h.run("LINSERT l BEFORE zz d"), ":-1\r\n");
        assert_eq!(h.run("LINSERT l MIDDLE c d"), "-ERR syntax error\r\n");
        assert_eq!(h.run("LREM l -2 a"), ":2\r\n");
        assert_eq!(
            h.run("LRANGE l 0 -1"),
            "*4\r\n$1\r\na\r\n$1\r\nB\r\n$1\r\nc\r\n$1\r\nd\r\n"
        );
        assert_eq!(h.run("LTRIM l 1 -2"), "+OK\r\n");
        assert_eq!(h.run("LRANGE l 0 -1"), "*2\r\n$1\r\nB\r\n$1\r\nc\r\n");
        assert_eq!(h.run("LTRIM l 5 10"), "+OK\r\n");
        assert_eq!(h.run("EXISTS l"), ":0\r\n");
    }

    #[test]
    fn lpos_ranks_counts_and_maxlen() {
        let mut h = Harness::new();
        h.run("RPUSH l a b c 1 2 3 c c");
        assert_eq!(h.run("LPOS l c"), ":2\r\n");
        assert_eq!(h.run("LPOS l c RANK 2"), ":6\r\n");
        assert_eq!(h.run("LPOS l c RANK -1"), ":7\r\n");
        assert_eq!(h.run("LPOS l c COUNT 0"), "*3\r\n:2\r\n:6\r\n:7\r\n");
        assert_eq!(h.run("LPOS l c RANK -1 COUNT 2"), "*2\r\n:7\r\n:6\r\n");
        assert_eq!(h.run("LPOS l c COUNT 0 MAXLEN 3"), "*1\r\n:2\r\n");
        assert_eq!(h.run("LPOS l zz"), "$-1\r\n");
        assert_eq!(h.run("LPOS nokey a COUNT 1"), "*0\r\n");
        assert!(h.run("LPOS l c RANK 0").starts_with("-ERR RANK can't be zero"));
        assert_eq!(
            h.run("LPOS l c RANK -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(h.run("LPOS l c COUNT -1"), "-ERR COUNT can't be negative\r\n");
        assert_eq!(h.run("LPOS l c MAXLEN x"), "-ERR MAXLEN can't be negative\r\n");
        assert_eq!(h.run("LPOS l c RANK"), "-ERR syntax error\r\n");
    }

    #[test]
    fn lmove_between_lists_and_onto_itself() {
        let mut h = Harness::new();
        h.run("RPUSH s a b c");
        assert_eq!(h.run("LMOVE s d LEFT RIGHT"), "$1\r\na\r\n");
        assert_eq!(h.run("RPOPLPUSH s d"), "$1\r\nc\r\n");
        assert_eq!(h.run("LRANGE d 0 -1"), "*2\r\n$1\r\nc\r\n$1\r\na\r\n");
        assert_eq!(h.run("LMOVE d d LEFT RIGHT"), "$1\r\nc\r\n");
        assert_eq!(h.run("LRANGE d 0 -1"), "*2\r\n$1\r\na\r\n$1\r\nc\r\n");
        assert_eq!(h.run("LMOVE nokey d LEFT RIGHT"), "$-1\r\n");
        assert_eq!(h.run("LMOVE s d UP RIGHT"), "-ERR syntax error\r\n");
        h.run("SET str v");
        assert_eq!(h.run("LMOVE s str LEFT LEFT"), format!("-{}\r\n", errors::WRONGTYPE));
        assert_eq!(h.run("LLEN s"), ":1\r\n", "nothing moved into a key of another type");
        assert_eq!(h.run("LMOVE nokey str LEFT LEFT"), "$-1\r\n");
    }

    #[test]
    fn lmpop_parses_as_redis_and_pops_from_the_first_list() {
        let mut h = Harness::new();
        h.run("RPUSH b 1 2 3");
        assert_eq!(
            h.run("LMPOP 2 a b RIGHT COUNT 2"),
            "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run("LMPOP 1 a LEFT"), "*-1\r\n");
        assert_eq!(h.run("LMPOP 0 a LEFT"), "-ERR numkeys should be greater than 0\r\n");
        assert_eq!(h.run("LMPOP 2 a LEFT"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("LMPOP 1 a LEFT COUNT 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(h.run("LMPOP 1 a LEFT COUNT 1 COUNT 1"), "-ERR syntax error\r\n");
    }

    #[test]
    fn a_blocking_pop_with_nothing_blocks_then_times_out_with_a_nil_array() {
        let mut h = Harness::new();
        assert_eq!(h.run("BLPOP a b 1.5"), "");
        let on = h.client.block.take().expect("blocked");
        assert_eq!(on.keys, vec![Box::from(&b"a"[..]), Box::from(&b"b"[..])]);
        assert_eq!(on.deadline, h.srv.start_ms + 1500);
        h.client.timed_out = true;
        assert_eq!(h.run("BLPOP a b 1.5"), "*-1\r\n");
        assert!(h.client.block.is_none());
        h.client.timed_out = false;
        assert_eq!(h.run("BLMOVE a b LEFT LEFT 0"), "");
        assert_eq!(h.client.block.take().map(|b| b.deadline), Some(0));
        h.run("RPUSH b x");
        assert_eq!(h.run("BRPOP a b 0"), "*2\r\n$1\r\nb\r\n$1\r\nx\r\n");
        assert!(h.client.block.is_none());
    }

    /// `key event` pairs as their keyspace channels carry them in db 0.
    fn keyspace(events: &[&str]) -> Vec<String> {
        events.iter().map(|e| format!("__keyspace@0__:{e}")).collect()
    }

    #[test]
    fn pushes_publish_their_end_and_pushx_on_a_missing_key_publishes_nothing() {
        let mut ev = Events::new("Kgln");
        ev.run("LPUSH l a b");
        ev.run("RPUSH l c");
        ev.run("LPUSHX nol a");
        ev.run("RPUSHX l d");
        assert_eq!(ev.take(), keyspace(&["l new", "l lpush", "l rpush", "l rpush"]));
    }

    #[test]
    fn linsert_and_lset_publish_only_what_they_changed() {
        let mut ev = Events::new("Kgl");
        ev.run("RPUSH l a b");
        ev.take();
        assert_eq!(ev.run("LINSERT l BEFORE zz x"), ":-1\r\n");
        assert_eq!(ev.run("LINSERT nol BEFORE a x"), ":0\r\n");
        ev.run("LINSERT l AFTER a y");
        ev.run("LSET l 0 q");
        ev.run("LSET l 99 q");
        ev.run("LSET nol 0 q");
        assert_eq!(ev.take(), keyspace(&["l linsert", "l lset"]));
    }

    #[test]
    fn pops_publish_their_end_then_del_for_the_last_element() {
        let mut ev = Events::new("Kgl");
        ev.run("RPUSH l a b c d");
        ev.take();
        ev.run("LPOP l 0");
        ev.run("LPOP nol");
        ev.run("LPOP l");
        ev.run("RPOP l 2");
        ev.run("RPOP l 5");
        assert_eq!(ev.take(), keyspace(&["l lpop", "l rpop", "l rpop", "l del"]));
    }

    #[test]
    fn ltrim_publishes_even_when_it_cuts_nothing() {
        let mut ev = Events::new("Kgl");
        ev.run("RPUSH l a b");
        ev.take();
        ev.run("LTRIM l 0 -1");
        ev.run("LTRIM nol 0 -1");
        ev.run("LTRIM l 5 10");
        assert_eq!(ev.take(), keyspace(&["l ltrim", "l ltrim", "l del"]));
    }

    #[test]
    fn lrem_publishes_only_when_it_removed_and_del_for_the_last() {
        let mut ev = Events::new("Kgl");
        ev.run("RPUSH l a b a");
        ev.take();
        ev.run("LREM l 0 zz");
        ev.run("LREM l 0 a");
        ev.run("LREM l 0 b");
        assert_eq!(ev.take(), keyspace(&["l lrem", "l lrem", "l del"]));
    }

    #[test]
    fn lmove_publishes_the_push_on_the_destination_before_the_pop_on_the_source() {
        let mut ev = Events::new("Kgln$");
        ev.run("RPUSH s 1 2");
        ev.take();
        ev.run("LMOVE s d RIGHT LEFT");
        ev.run("RPOPLPUSH s d");
        ev.run("LMOVE d d LEFT RIGHT");
        ev.run("LMOVE nol d LEFT RIGHT");
        ev.run("SET str v");
        ev.run("LMOVE d str LEFT LEFT");
        assert_eq!(
            ev.take(),
            keyspace(&[
                "d new", "d lpush", "s rpop", "d lpush", "s rpop", "s del", "d rpush", "d lpop", "str new", "str set",
            ])
        );
    }

    #[test]
    fn lmpop_and_blocking_pops_served_at_once_publish_as_pops() {
        let mut ev = Events::new("Kgl");
        ev.run("RPUSH l a b c d e");
        ev.take();
        ev.run("LMPOP 2 nol l LEFT COUNT 2");
        ev.run("BLPOP nol l 0");
        ev.run("BRPOP l 0");
        ev.run("BLMPOP 0 1 l RIGHT COUNT 5");
        ev.run("BLMOVE l2 d LEFT LEFT 0");
        assert_eq!(ev.take(), keyspace(&["l lpop", "l lpop", "l rpop", "l rpop", "l del"]));
    }

    #[test]
    fn blocked_pops_served_later_publish_as_redis_serves_them() {
        let mut ev = Events::new("Kgln");
        ev.run("RPUSH l1 a");
        assert_eq!(ev.run_resumed("BLPOP l1 0"), "*2\r\n$2\r\nl1\r\n$1\r\na\r\n");
        ev.run("RPUSH l2 a");
        ev.run_resumed("BLMOVE l2 d LEFT RIGHT 0");
        ev.run("LPUSH l3 a b");
        ev.run_resumed("BRPOPLPUSH l3 d 0");
        ev.run("RPUSH l4 a b");
        ev.run_resumed("BLMPOP 0 2 x l4 RIGHT COUNT 3");
        assert_eq!(
            ev.take(),
            keyspace(&[
                "l1 new", "l1 rpush", "l1 lpop", "l1 del", // BLPOP
                "l2 new", "l2 rpush", "d new", "d rpush", "l2 lpop", "l2 del", // BLMOVE
                "l3 new", "l3 lpush", "d lpush", "l3 rpop", // BRPOPLPUSH
                "l4 new", "l4 rpush", "l4 rpop", "l4 del", // BLMPOP
            ])
        );
    }

    #[test]
    fn wrongtype_everywhere() {
        let mut h = Harness::new();
        h.run("SET s v");
        let wt = format!("-{}\r\n", errors::WRONGTYPE);
        for c in [
            "LPUSH s a",
            "RPUSHX s a",
            "LPOP s",
            "LLEN s",
            "LRANGE s 0 1",
            "LINDEX s 0",
            "LSET s 0 a",
            "LINSERT s BEFORE a b",
            "LREM s 0 a",
            "LTRIM s 0 1",
            "LPOS s a",
            "RPOPLPUSH s d",
            "LMPOP 1 s LEFT",
            "BLPOP s 0",
            "BLMPOP 0 1 s LEFT",
        ] {
            assert_eq!(h.run(c), wt, "{c}");
        }
    }
}
