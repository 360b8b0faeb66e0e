//! Connection and server commands.

use super::args;
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};

pub const COMMANDS: &[CommandSpec] = &[
    spec("ping", -1, FAST, "connection", ping).doc(
        "1.0.0",
        "Returns the server's liveliness response.",
        "O(1)",
        "[message]",
    ),
    spec("echo", 2, FAST, "connection", echo).doc("1.0.0", "Returns the given string.", "O(1)", "message"),
    spec("quit", -1, ALLOW_BUSY | NO_AUTH | FAST, "connection", quit).doc(
        "1.0.0",
        "Closes the connection.",
        "O(1)",
        "",
    ),
    spec("select", 2, LOADING | STALE | FAST, "connection", select).doc(
        "1.0.0",
        "Changes the selected database.",
        "O(1)",
        "index",
    ),
    spec("dbsize", 1, READONLY | FAST, "server", dbsize).doc(
        "1.0.0",
        "Returns the number of keys in the database.",
        "O(1)",
        "",
    ),
    spec("flushdb", -1, WRITE, "server", flushdb).doc(
        "1.0.0",
        "Removes all keys from the current database.",
        "O(N) where N is the number of keys in the selected database",
        "[ASYNC | SYNC]",
    ),
    spec("flushall", -1, WRITE, "server", flushall).doc(
        "1.0.0",
        "Removes all keys from all databases.",
        "O(N) where N is the total number of keys in all databases",
        "[ASYNC | SYNC]",
    ),
    spec("time", 1, LOADING | STALE | FAST, "server", time).doc("2.6.0", "Returns the server time.", "O(1)", ""),
    spec(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        "server",
        shutdown,
    )
    .doc(
        "1.0.0",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
    ),
];

/// ```text
/// PING [message]
/// ```
fn ping(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match a.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(a[1]),
        _ => ctx.error(&errors::wrong_arity("ping")),
    }
}

/// ```text
/// ECHO message
/// ```
fn echo(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    ctx.out.bulk(a[1]);
}

/// ```text
/// QUIT
/// ```
/// Replies OK, then the connection closes once the reply is written.
fn quit(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.ok();
    ctx.client.close = true;
}

/// ```text
/// SELECT index
/// ```
fn select(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Ok(db) = args::int(a[1]) else {
        return ctx.error(errors::NOT_INTEGER);
    };
    if db < 0 || db as usize >= ctx.srv.store.databases() {
        return ctx.error(errors::DB_INDEX);
    }
    ctx.client.set_db(db as usize);
    ctx.out.ok();
}

fn dbsize(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let n = ctx.srv.store.dbsize(ctx.client.db);
    ctx.out.int(n as i64);
}

/// `[ASYNC | SYNC]` of FLUSHDB and FLUSHALL; None on a syntax error.
fn flush_mode(a: &[&[u8]]) -> Option<bool> {
    match a.len() {
        1 => Some(false),
        2 if args::is(a[1], "async") => Some(true),
        2 if args::is(a[1], "sync") => Some(false),
        _ => None,
    }
}

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
fn flushdb(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(lazy) = flush_mode(a) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.srv.store.flush_db(ctx.client.db, lazy);
    ctx.out.ok();
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
fn flushall(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(lazy) = flush_mode(a) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.srv.store.flush_all(lazy);
    ctx.out.ok();
}

/// ```text
/// TIME
/// ```
fn time(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let us = ctx.srv.clock.now_us();
    ctx.out.array(2);
    ctx.out.bulk_int((us / 1_000_000) as i64);
    ctx.out.bulk_int((us % 1_000_000) as i64);
}

/// ```text
/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
/// ```
/// Nothing is persisted, so every form but ABORT stops the server; the
/// connection closes without a reply, as with Redis.
fn shutdown(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut abort = false;
    for o in &a[1..] {
        if args::is(o, "abort") {
            abort = true;
        } else if !["nosave", "save", "now", "force"].iter().any(|w| args::is(o, w)) {
            return ctx.error(errors::SYNTAX);
        }
    }
    if abort {
        return ctx.error("ERR No shutdown in progress.");
    }
    tracing::info!("SHUTDOWN asked by client {}; stopping", ctx.client.id);
    ctx.srv.shutdown.cancel();
    ctx.client.close = true;
}
