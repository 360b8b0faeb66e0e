//! Connection and server commands.

use super::args;
use super::categories as cat;
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::state::ReplyMode;
use crate::util::sync::lock;
use std::sync::atomic::Ordering;

/// The Redis version ferrocache answers as, in HELLO and INFO.
pub(crate) const REDIS_VERSION: &str = "7.2.4";

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("ping", -1, FAST, "connection", ping).doc(
        "1.0.0",
        "Returns the server's liveliness response.",
        "O(1)",
        "[message]",
    ),
    spec("echo", 2, FAST, "connection", echo).doc("1.0.0", "Returns the given string.", "O(1)", "message"),
    spec("lolwut", -1, READONLY | FAST, "server", lolwut).doc(
        "5.0.0",
        "Displays computer art and the server version.",
        "",
        "[VERSION version]",
    ),
    spec("role", 1, NOSCRIPT | LOADING | STALE | FAST, "server", role)
        .acl(cat::ADMIN | cat::DANGEROUS)
        .doc("2.8.12", "Returns the replication role.", "O(1)", ""),
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
    spec("dbsize", 1, READONLY | FAST, "server", dbsize)
        .acl(cat::KEYSPACE)
        .doc("1.0.0", "Returns the number of keys in the database.", "O(1)", ""),
    spec("flushdb", -1, WRITE, "server", flushdb)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .doc(
            "1.0.0",
            "Removes all keys from the current database.",
            "O(N) where N is the number of keys in the selected database",
            "[ASYNC | SYNC]",
        ),
    spec("flushall", -1, WRITE, "server", flushall)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .doc(
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
    spec(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        "connection",
        hello,
    )
    .doc(
        "6.0.0",
        "Chooses the protocol version (RESP2 or RESP3) and describes the server.",
        "O(1)",
        "[protover [AUTH username password] [SETNAME clientname]]",
    ),
    spec(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        "connection",
        auth,
    )
    .doc(
        "1.0.0",
        "Logs the connection in as a user.",
        "O(N) where N is the number of passwords defined for the user",
        "[username] password",
    ),
    spec(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        "connection",
        reset,
    )
    .doc(
        "6.2.0",
        "Returns the connection to its state right after connecting.",
        "O(1)",
        "",
    ),
    spec("swapdb", 3, WRITE | FAST, "server", swapdb)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .doc(
            "4.0.0",
            "Exchanges the contents of two databases.",
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
            "index1 index2",
        ),
];

/// Logs the connection in as `user`: true when the user exists, is on,
/// and takes the password (one of its passwords, or any with `nopass`).
/// A failure is logged in ACL LOG, counts in INFO's
/// `acl_access_denied_auth`, and leaves the connection as it was. `a` is
/// the request, whose name the log records.
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], pass: &[u8], a: &[&[u8]]) -> bool {
    match ctx.srv.acl.authenticate(user, pass) {
        Some(u) => {
            ctx.client.set_user(u);
            ctx.client.authenticated = true;
            true
        }
        None => {
            super::acl::record_failed_login(ctx, user, a);
            false
        }
    }
}

/// ```text
/// HELLO [protover [AUTH username password] [SETNAME clientname]]
/// ```
/// Switches the connection to RESP2 or RESP3 and describes the server.
/// Nothing changes unless every option is valid; the reply itself is
/// already in the new protocol.
fn hello(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut resp3 = ctx.client.resp3;
    if a.len() > 1 {
        match args::int(a[1]) {
            Ok(2) => resp3 = false,
            Ok(3) => resp3 = true,
            Ok(_) => return ctx.error(errors::NOPROTO),
            Err(_) => return ctx.error(errors::PROTO_NOT_INTEGER),
        }
    }
    let mut name = None;
    let mut auth = None;
    let mut i = 2;
    while i < a.len() {
        let more = a.len() - i - 1;
        if args::is(a[i], "auth") && more >= 2 {
            auth = Some((a[i + 1], a[i + 2]));
            i += 3;
        } else if args::is(a[i], "setname") && more >= 1 {
            name = Some(a[i + 1]);
            i += 2;
        } else {
            return ctx.error(&errors::hello_option(a[i]));
        }
    }
    if let Some((user, pass)) = auth {
        if !authenticate(ctx, user, pass, a) {
            return ctx.error(errors::WRONGPASS);
        }
    }
    if !ctx.client.authenticated && ctx.srv.acl.auth_required() {
        return ctx.error(errors::NOAUTH_HELLO);
    }
    if let Some(n) = name {
        if !super::client::valid_name(n) {
            return ctx.error(errors::CLIENT_NAME);
        }
        *lock(&ctx.client.handle.name) = (!n.is_empty()).then(|| n.to_vec());
    }
    ctx.client.resp3 = resp3;
    ctx.out.resp3 = resp3;
    ctx.client
        .handle
        .resp
        .store(if resp3 { 3 } else { 2 }, Ordering::Relaxed);
    ctx.out.map(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(REDIS_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(if resp3 { 3 } else { 2 });
    ctx.out.bulk(b"id");
    ctx.out.int(ctx.client.id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array(0);
}

/// ```text
/// AUTH [username] password
/// ```
/// The one-argument form logs in as the default user; while that user
/// takes any password (`nopass`, no `requirepass`) it is refused in
/// Redis's words, and `AUTH default <anything>` succeeds.
fn auth(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (user, pass) = match a.len() {
        2 => (&b"default"[..], a[1]),
        3 => (a[1], a[2]),
        _ => return ctx.error(errors::SYNTAX),
    };
    if a.len() == 2 && ctx.srv.acl.default_user().rules().nopass {
        return ctx.error(errors::AUTH_NO_PASSWORD);
    }
    if authenticate(ctx, user, pass, a) {
        ctx.out.ok();
    } else {
        ctx.error(errors::WRONGPASS);
    }
}

/// ```text
/// RESET
/// ```
/// Puts the connection back as it was when it connected: RESP2, database
/// 0, no name, replies on, NO-EVICT and NO-TOUCH off, the default user,
/// no subscriptions, no tracking, and logged out when that user needs a password.
fn reset(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let auth_required = ctx.srv.acl.auth_required();
    let c = &mut *ctx.client;
    c.set_user(ctx.srv.acl.default_user());
    c.authenticated = !auth_required;
    c.resp3 = false;
    c.set_db(0);
    c.reply = ReplyMode::On;
    c.no_touch = false;
    c.multi = None;
    c.watched.clear();
    c.handle.resp.store(2, Ordering::Relaxed);
    c.handle.no_touch.store(false, Ordering::Relaxed);
    c.handle.no_evict.store(false, Ordering::Relaxed);
    *lock(&c.handle.name) = None;
    // A monitor stops monitoring, as in Redis.
    if c.monitor.take().is_some() {
        ctx.srv.monitors.remove(c.id);
    }
    let handle = c.handle.clone();
    c.subs.leave_all(&ctx.srv.pubsub, &handle);
    super::tracking::disable(ctx.srv, c);
    ctx.out.resp3 = false;
    ctx.out.simple("RESET");
}

/// ```text
/// SWAPDB index1 index2
/// ```
/// Connections that selected either database see the other's keys from
/// their next command on.
fn swapdb(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Ok(x) = args::int(a[1]) else {
        return ctx.error(errors::INVALID_FIRST_DB);
    };
    let Ok(y) = args::int(a[2]) else {
        return ctx.error(errors::INVALID_SECOND_DB);
    };
    let n = ctx.srv.store.databases() as i64;
    if !(0..n).contains(&x) || !(0..n).contains(&y) {
        return ctx.error(errors::DB_INDEX);
    }
    if x != y {
        ctx.srv.store.swap_db(x as usize, y as usize);
    }
    ctx.out.ok();
}

/// ```text
/// PING [message]
/// ```
fn ping(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    // A RESP2 subscriber reads only arrays: `[pong, message or ""]`.
    if !ctx.client.resp3 && ctx.client.subs.total() != 0 && a.len() <= 2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        return ctx.out.bulk(a.get(1).copied().unwrap_or_default());
    }
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
/// LOLWUT [VERSION version] [arg ...]
/// ```
/// The version line Redis 7 prints for its own versions, with
/// ferrocache's name and version: `ferrocache ver. 0.1.0`. Redis draws
/// art for VERSION 5 and 6; every version gets the line here.
fn lolwut(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() >= 3 && a[1].eq_ignore_ascii_case(b"version") {
        if let Err(e) = args::int(a[2]) {
            return ctx.error(e);
        }
    }
    let line = format!("ferrocache ver. {}\n", env!("CARGO_PKG_VERSION"));
    ctx.out.verbatim(line.as_bytes());
}

/// ```text
/// ROLE
/// ```
/// A primary with no replicas: `[master, 0, []]`.
fn role(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::replication::role(ctx);
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

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
fn flushdb(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(lazy) = args::flush_mode(a) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.srv.store.flush_db(ctx.client.db, lazy);
    super::tracking::flushed(ctx.srv);
    ctx.out.ok();
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
fn flushall(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(lazy) = args::flush_mode(a) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.srv.store.flush_all(lazy);
    super::tracking::flushed(ctx.srv);
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
/// Saves first with SAVE, or without NOSAVE when `save` points are set;
/// a failed save keeps the server up unless FORCE. The connection closes
/// without a reply, as with Redis.
fn shutdown(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (mut abort, mut save, mut force) = (false, None, false);
    for o in &a[1..] {
        if args::is(o, "abort") {
            abort = true;
        } else if args::is(o, "save") {
            save = Some(true);
        } else if args::is(o, "nosave") {
            save = Some(false);
        } else if args::is(o, "force") {
            force = true;
        } else if !args::is(o, "now") {
            return ctx.error(errors::SYNTAX);
        }
    }
    let both = a[1..].iter().any(|o| args::is(o, "save")) && a[1..].iter().any(|o| args::is(o, "nosave"));
    if both {
        return ctx.error(errors::SYNTAX);
    }
    if abort {
        return ctx.error("ERR No shutdown in progress.");
    }
    if super::persist::save_before_shutdown(ctx.srv, save).is_err() && !force {
        return ctx.error(errors::SHUTDOWN_FAILED);
    }
    tracing::info!("SHUTDOWN asked by client {}; stopping", ctx.client.id);
    ctx.srv.stop();
    ctx.client.close = true;
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    /// A harness whose client connected after `requirepass secret`.
    fn passworded() -> Harness {
        let mut h = Harness::new();
        h.srv.set_config(&[("requirepass", "secret")]).unwrap();
        h.client.authenticated = false;
        h
    }

    #[test]
    fn requirepass_is_enforced_before_auth() {
        let mut h = passworded();
        assert_eq!(h.run("GET k"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(
            h.run("EXEC"),
            "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"
        );
        // Name and arity come first, as in Redis.
        assert!(h.run("NOSUCH").starts_with("-ERR unknown command"));
        assert!(h.run("GET").starts_with("-ERR wrong number of arguments"));
        assert_eq!(h.run("QUIT"), "+OK\r\n");
        assert_eq!(
            h.run("AUTH wrong"),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(h.run("AUTH nobody secret"), h.run("AUTH wrong"));
        assert_eq!(h.run("GET k"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(h.run("AUTH secret"), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$-1\r\n");
        // RESET logs out.
        assert_eq!(h.run("RESET"), "+RESET\r\n");
        assert_eq!(h.run("GET k"), "-NOAUTH Authentication required.\r\n");
        assert_eq!(h.run("AUTH default secret"), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$-1\r\n");
    }

    #[test]
    fn hello_needs_auth_or_authenticates() {
        let mut h = passworded();
        assert!(h
            .run("HELLO 3")
            .starts_with("-NOAUTH HELLO must be called with the client already authenticated"));
        assert!(h.run("HELLO 3 AUTH default wrong").starts_with("-WRONGPASS"));
        assert!(!h.client.resp3);
        assert!(h.run("HELLO 3 AUTH default secret SETNAME me").starts_with("%7\r\n"));
        assert!(h.client.authenticated);
        assert_eq!(h.run("CLIENT GETNAME"), "$2\r\nme\r\n");
    }

    #[test]
    fn auth_without_a_password_set() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("AUTH x"),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
        );
        assert_eq!(h.run("AUTH default anything"), "+OK\r\n");
        assert_eq!(h.run("AUTH a b c"), "-ERR syntax error\r\n");
    }

    #[test]
    fn empty_requirepass_turns_auth_off() {
        let mut h = passworded();
        h.srv.set_config(&[("requirepass", "")]).unwrap();
        assert_eq!(h.run("GET k"), "$-1\r\n");
        assert!(h.run("AUTH x").starts_with("-ERR AUTH <password> called without"));
    }

    #[test]
    fn failed_auth_is_counted_in_info() {
        let mut h = passworded();
        h.run("AUTH wrong");
        h.run("HELLO 2 AUTH default wrong");
        h.run("AUTH secret");
        assert!(h.run("INFO stats").contains("acl_access_denied_auth:2\r\n"));
    }

    #[test]
    fn lolwut_prints_the_version_line_and_role_a_lone_primary() {
        let mut h = crate::command::testing::Harness::new();
        let line = format!("ferrocache ver. {}\n", env!("CARGO_PKG_VERSION"));
        assert_eq!(h.run("LOLWUT"), format!("${}\r\n{line}\r\n", line.len()));
        assert_eq!(h.run("LOLWUT VERSION 5 1 1"), format!("${}\r\n{line}\r\n", line.len()));
        assert_eq!(
            h.run("LOLWUT VERSION x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run("ROLE"), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    }
}
