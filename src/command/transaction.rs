//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC, [`super::execute`] queues each command after
//! the checks Redis makes before queuing (unknown command, arity, memory)
//! and answers `+QUEUED`; a refused command makes EXEC answer
//! `-EXECABORT`. EXEC runs the queue inside [`crate::store::Store::atomically`],
//! so no other client sees the database between two of its commands, and
//! clients working on other shards go on meanwhile.
//!
//! WATCH notes each key's version (every write of an item, from either
//! protocol, gives it a new one) or its absence; EXEC, inside the same
//! atomic scope, compares them again and answers nil when one moved: a
//! write, a removal, an expiry, an eviction, FLUSHDB or SWAPDB of a key
//! that existed. (A key missing at WATCH that is created and removed again
//! before EXEC is caught by its table's count of created keys, which
//! may also abort EXEC for another key created in the same shard: a
//! spurious abort the client retries, never a missed one.)

use super::flags::*;
use super::key_spec::{flags::*, key};
use super::{errors, make_room, spec, CommandSpec, Ctx};
use crate::state::{Client, Queued};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        "transactions",
        multi,
    )
    .doc("1.2.0", "Starts a transaction.", "O(1)", ""),
    spec(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        "transactions",
        exec,
    )
    .doc(
        "1.2.0",
        "Executes all commands in a transaction.",
        "Depends on commands in the transaction",
        "",
    ),
    spec(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        "transactions",
        discard,
    )
    .doc(
        "2.0.0",
        "Discards a transaction.",
        "O(N), when N is the number of queued commands",
        "",
    ),
    spec(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        "transactions",
        watch,
    )
    .key_specs(&[key(1, RO).range(-1, 1, 0)])
    .doc(
        "2.2.0",
        "Monitors changes to keys to determine the execution of a transaction.",
        "O(1) for every key.",
        "key [key ...]",
    ),
    spec(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        "transactions",
        unwatch,
    )
    .doc("2.2.0", "Forgets about watched keys of a transaction.", "O(1)", ""),
];

/// The commands that run at once between MULTI and EXEC instead of
/// being queued, as in Redis.
pub(crate) fn runs_in_multi(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// What WATCH notes of `key` in database `db` now: its version, or None
/// and its table's count of created keys when it is missing.
fn watch_token(ctx: &Ctx<'_>, db: usize, key: &[u8]) -> (Option<u64>, u64) {
    ctx.srv.store.with_slot(db, key, ctx.now, |slot| slot.watch_token())
}

/// Whether a watched key moved since WATCH: another version, or, missing
/// then and now, keys created in its table meanwhile.
fn moved(ctx: &Ctx<'_>, w: &crate::state::Watched) -> bool {
    match (w.version, watch_token(ctx, w.db, &w.key)) {
        (None, (None, created)) => created != w.created,
        (then, (now, _)) => then != now,
    }
}

/// ```text
/// MULTI
/// ```
fn multi(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    if ctx.client.multi.is_some() {
        return ctx.error(errors::MULTI_NESTED);
    }
    ctx.client.multi = Some(Queued::default());
    ctx.out.ok();
}

/// ```text
/// DISCARD
/// ```
fn discard(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    if ctx.client.multi.take().is_none() {
        return ctx.error(errors::DISCARD_WITHOUT_MULTI);
    }
    ctx.client.watched.clear();
    ctx.out.ok();
}

/// ```text
/// WATCH key [key ...]
/// ```
fn watch(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if ctx.client.multi.is_some() {
        return ctx.error(errors::WATCH_IN_MULTI);
    }
    let db = ctx.db();
    for &key in &a[1..] {
        if ctx.client.watched.iter().any(|w| w.db == db && *w.key == *key) {
            continue;
        }
        let (version, created) = watch_token(ctx, db, key);
        ctx.client.watched.push(crate::state::Watched {
            db,
            key: key.into(),
            version,
            created,
        });
    }
    ctx.out.ok();
}

/// ```text
/// UNWATCH
/// ```
fn unwatch(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.client.watched.clear();
    ctx.out.ok();
}

/// ```text
/// EXEC
/// ```
/// The replies of the queued commands, in an array; nil when a watched key
/// changed; -EXECABORT when a command was refused while queuing.
fn exec(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let Some(queued) = ctx.client.multi.take() else {
        return ctx.error(errors::EXEC_WITHOUT_MULTI);
    };
    let watched = std::mem::take(&mut ctx.client.watched);
    if queued.aborted {
        return ctx.error(errors::EXECABORT);
    }
    // The server may have become a replica, or lost its primary, since
    // the commands were queued: what they may do is checked again now.
    if ctx.srv.store.is_replica() && !ctx.client.master {
        let stale_ok = queued
            .commands
            .iter()
            .all(|argv| super::lookup(&argv[0]).is_some_and(|s| s.has(super::flags::STALE)));
        if let Some(e) = super::replication::refusal(ctx.srv, queued.may_write, stale_ok) {
            return ctx.error(&errors::exec_refused(e));
        }
    }
    // Memory is made before the scope, as Redis checks it before EXEC
    // runs: eviction inside would hold every shard it sampled.
    if queued.denyoom {
        let policy = ctx.srv.store.limits().policy;
        if make_room(ctx.srv, ctx.db(), ctx.now, policy).is_err() {
            return ctx.error(&errors::exec_refused(errors::OOM));
        }
    }
    let srv = ctx.srv;
    srv.store.atomically(|| {
        if watched.iter().any(|w| moved(ctx, w)) {
            ctx.out.null_array();
            return;
        }
        ctx.out.array(queued.commands.len());
        run_queued(ctx, &queued.commands);
    });
}

/// Runs the queued commands, each as if sent alone, except that none
/// blocks (a blocking command with nothing to take answers as timed out)
/// and none makes room in memory (EXEC did, once).
fn run_queued(ctx: &mut Ctx<'_>, commands: &[Vec<Box<[u8]>>]) {
    let saved = (ctx.client.timed_out, ctx.client.in_exec);
    ctx.client.timed_out = true;
    ctx.client.in_exec = true;
    for argv in commands {
        let args: Vec<&[u8]> = argv.iter().map(|a| &**a).collect();
        super::execute(ctx, &args);
        ctx.client.block = None;
    }
    (ctx.client.timed_out, ctx.client.in_exec) = saved;
}

/// Queues a command between MULTI and EXEC (after [`super::execute`]'s
/// checks), answering +QUEUED.
pub(crate) fn queue(ctx: &mut Ctx<'_>, args: &[&[u8]], denyoom: bool) {
    if let Some(q) = ctx.client.multi.as_mut() {
        q.commands.push(args.iter().map(|a| Box::from(*a)).collect());
        q.denyoom |= denyoom;
        ctx.out.simple("QUEUED");
    }
}

/// Marks the open transaction, if any, as refused at EXEC.
/// Refuses a request before it runs, as Redis's `rejectCommand` does: a
/// transaction being queued is marked to abort at EXEC, and a refused EXEC
/// ends its transaction at once, answering EXECABORT with the reason
/// (`msg` without an `ERR ` prefix, as Redis words it there).
pub(crate) fn reject(ctx: &mut Ctx<'_>, name: &str, msg: &str) {
    if name == "exec" {
        ctx.client.multi = None;
        ctx.client.watched.clear();
        let reason = msg.strip_prefix("ERR ").unwrap_or(msg);
        ctx.error(&errors::exec_refused(reason));
    } else {
        abort(ctx.client);
        ctx.error(msg);
    }
}

pub(crate) fn abort(client: &mut Client) {
    if let Some(q) = client.multi.as_mut() {
        q.aborted = true;
    }
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn queued_commands_run_at_exec_with_their_own_replies() {
        let mut h = Harness::new();
        assert_eq!(h.run("MULTI"), "+OK\r\n");
        assert_eq!(h.run("SET a 1"), "+QUEUED\r\n");
        assert_eq!(h.run("INCR a"), "+QUEUED\r\n");
        assert_eq!(h.run("LPUSH a x"), "+QUEUED\r\n");
        assert_eq!(h.run("GET a"), "+QUEUED\r\n");
        assert_eq!(h.run("GET b"), "+QUEUED\r\n");
        assert_eq!(
            h.run("EXEC"),
            "*5\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n2\r\n$-1\r\n"
        );
        assert_eq!(h.run("EXEC"), "-ERR EXEC without MULTI\r\n");
    }

    #[test]
    fn a_command_refused_while_queuing_aborts_exec() {
        let mut h = Harness::new();
        h.run("MULTI");
        assert_eq!(h.run("SET a"), "-ERR wrong number of arguments for 'set' command\r\n");
        assert_eq!(h.run("SET b 1"), "+QUEUED\r\n");
        assert_eq!(
            h.run("EXEC"),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert_eq!(h.run("EXISTS b"), ":0\r\n");
        h.run("MULTI");
        assert!(h.run("NOSUCH x").starts_with("-ERR unknown command 'NOSUCH'"));
        assert!(h.run("EXEC").starts_with("-EXECABORT"));
    }

    #[test]
    fn nested_multi_and_watch_inside_multi_are_errors_that_do_not_abort() {
        let mut h = Harness::new();
        h.run("MULTI");
        assert_eq!(h.run("MULTI"), "-ERR MULTI calls can not be nested\r\n");
        assert_eq!(h.run("WATCH a"), "-ERR WATCH inside MULTI is not allowed\r\n");
        h.run("SET a 1");
        assert_eq!(h.run("EXEC"), "*1\r\n+OK\r\n");
    }

    /// A refused EXEC ends its transaction with EXECABORT, as Redis's
    /// rejectCommand answers it.
    #[test]
    fn a_refused_exec_ends_the_transaction() {
        let mut h = Harness::new();
        assert_eq!(h.run("MULTI"), "+OK\r\n");
        assert_eq!(h.run("SET a 1"), "+QUEUED\r\n");
        assert_eq!(
            h.run("EXEC x"),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
        );
        assert_eq!(h.run("EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(h.run("GET a"), "$-1\r\n");
    }

    #[test]
    fn discard_drops_the_queue_and_the_watches() {
        let mut h = Harness::new();
        assert_eq!(h.run("DISCARD"), "-ERR DISCARD without MULTI\r\n");
        h.run("WATCH a");
        h.run("MULTI");
        h.run("SET b 1");
        assert_eq!(h.run("DISCARD"), "+OK\r\n");
        assert_eq!(h.run("EXISTS b"), ":0\r\n");
        assert!(h.client.watched.is_empty());
    }

    #[test]
    fn a_write_to_a_watched_key_makes_exec_answer_nil() {
        let mut h = Harness::new();
        h.run("SET a 1");
        h.run("WATCH a missing");
        h.run("SET a 2");
        h.run("MULTI");
        h.run("SET c 1");
        assert_eq!(h.run("EXEC"), "*-1\r\n");
        assert_eq!(h.run("EXISTS c"), ":0\r\n");
        h.run("WATCH a missing");
        h.run("SET missing now");
        h.run("MULTI");
        h.run("SET c 1");
        assert_eq!(h.run("EXEC"), "*-1\r\n", "a key created counts");
        h.run("WATCH a");
        h.run("MULTI");
        h.run("SET c 1");
        assert_eq!(h.run("EXEC"), "*1\r\n+OK\r\n", "nothing moved");
        h.run("WATCH ghost");
        h.run("SET ghost 1");
        h.run("DEL ghost");
        h.run("MULTI");
        h.run("SET c 2");
        assert_eq!(h.run("EXEC"), "*-1\r\n", "created and removed again counts");
        assert_eq!(h.run("GET c"), "$1\r\n1\r\n");
    }

    #[test]
    fn expiry_and_flushdb_of_a_watched_key_make_exec_answer_nil() {
        let mut h = Harness::new();
        h.run("SET a 1 PX 100");
        h.run("WATCH a");
        h.run("MULTI");
        h.run("SET c 1");
        assert_eq!(h.at(200, "EXEC"), "*-1\r\n");
        h.run("SET b 1");
        h.run("WATCH b");
        h.run("FLUSHDB");
        h.run("MULTI");
        assert_eq!(h.run("EXEC"), "*-1\r\n");
    }

    #[test]
    fn blocking_commands_inside_exec_answer_at_once() {
        let mut h = Harness::new();
        h.run("MULTI");
        h.run("BLPOP nolist 0");
        h.run("CACHE.LOCK k 1000 CREATE");
        assert!(h.run("EXEC").starts_with("*2\r\n*-1\r\n*3\r\n"));
        assert!(h.client.block.is_none());
    }

    #[test]
    fn select_inside_exec_moves_the_client() {
        let mut h = Harness::new();
        h.run("MULTI");
        h.run("SELECT 2");
        h.run("SET z 1");
        assert_eq!(h.run("EXEC"), "*2\r\n+OK\r\n+OK\r\n");
        assert_eq!(h.run("GET z"), "$1\r\n1\r\n");
        h.run("SELECT 0");
        assert_eq!(h.run("GET z"), "$-1\r\n");
    }

    #[test]
    fn over_the_memory_limit_queuing_is_refused_and_exec_aborts() {
        let mut h = Harness::new();
        h.run("SET x 1");
        h.srv.set_config(&[("maxmemory", "1")]).expect("setting");
        h.run("MULTI");
        assert_eq!(h.run("GET x"), format!("-{}\r\n", crate::command::errors::OOM));
        assert!(h.run("EXEC").starts_with("-EXECABORT"));
    }
}
