//! DUMP, RESTORE and MIGRATE: one value as Redis serializes it (its RDB
//! encoding, the RDB version, a CRC-64; [`crate::repl::rdb::dump`]), read
//! back into a key, and moved to another server that speaks RESP.
//!
//! RESTORE decodes its payload before it locks the key's shard, then
//! checks the key and writes it under that one lock, so the check and the
//! write are one step to other clients.
//!
//! MIGRATE serializes its keys under their shards' locks, one key at a
//! time, then talks to the target with no lock held: connect, `AUTH`,
//! `SELECT`, one `RESTORE` per key, all written at once, then the replies
//! read in order. The connection's worker thread waits on the socket
//! (handing its other connections to another thread); Redis's whole server
//! waits. A key the target accepted is deleted unless COPY, and only if it
//! still holds the value sent: a key written meanwhile by another client
//! keeps that newer value. Each MIGRATE opens its own connection, where
//! Redis keeps one per target for 10 seconds and skips `SELECT` on it when
//! the database is the same.

use super::args::{self, is};
use super::categories as cat;
use super::flags::*;
use super::key_spec::{after, finders, flags::*, key};
use super::notify::{self, class};
use super::{errors, spec, CommandSpec, Ctx};
use crate::repl::rdb::dump::{parse_payload, payload, PayloadError};
use crate::store::{Saved, Value};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("dump", 2, READONLY, "generic", dump)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.6.0",
            "Returns a serialized representation of the value stored at a key.",
            "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
            "key",
        ),
    spec("restore", -4, WRITE | DENYOOM, "generic", restore)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .key_specs(&[key(1, OW | UPDATE)])
        .doc(
            "2.6.0",
            "Creates a key from the serialized representation of a value.",
            "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
            "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
        ),
    spec("migrate", -6, WRITE, "generic", migrate)
        .acl(cat::KEYSPACE | cat::DANGEROUS)
        .key_specs(&[
            key(3, RW | ACCESS | DELETE),
            after("KEYS", -2, RW | ACCESS | DELETE | INCOMPLETE).range(-1, 1, 0),
        ])
        .key_finder(finders::migrate)
        .doc(
            "2.6.0",
            "Atomically transfers a key from one Redis instance to another.",
            "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
            "host port <key | \"\"> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]",
        ),
];

/// Payloads are compressed as snapshots are: with `rdbcompression`.
pub(crate) fn compress(ctx: &Ctx<'_>) -> bool {
    ctx.srv.settings.get("rdbcompression").is_none_or(|v| v == "yes")
}

/// ```text
/// DUMP key
/// ```
/// The payload, or nil when the key is missing. A read of the key: it
/// counts a hit or miss and refreshes the access time.
fn dump(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let compress = compress(ctx);
    let touch = !ctx.client.no_touch;
    let p = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |slot| {
        slot.read(touch).map(|it| payload(it.value(), compress))
    });
    match p {
        Some(p) => ctx.out.bulk(&p),
        None => ctx.out.null(),
    }
}

/// RESTORE's options after the payload.
#[derive(Debug, Default, PartialEq, Eq)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds.
    idle: Option<i64>,
    /// FREQ frequency, 0..=255.
    freq: Option<u8>,
}

impl RestoreOptions {
    /// Reads `[REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]` in
    /// any order, as Redis reads them: IDLETIME after FREQ (or FREQ after
    /// IDLETIME) is a syntax error, and a bad value is reported where it
    /// is met.
    fn parse(opts: &[&[u8]]) -> Result<RestoreOptions, &'static str> {
        let mut o = RestoreOptions::default();
        let mut j = 0;
        while j < opts.len() {
            let more = j + 1 < opts.len();
            if is(opts[j], "replace") {
                o.replace = true;
            } else if is(opts[j], "absttl") {
                o.absttl = true;
            } else if is(opts[j], "idletime") && more && o.freq.is_none() {
                let v = args::int(opts[j + 1])?;
                if v < 0 {
                    return Err(errors::INVALID_IDLETIME);
                }
                o.idle = Some(v);
                j += 1;
            } else if is(opts[j], "freq") && more && o.idle.is_none() {
                let v = args::int(opts[j + 1])?;
                o.freq = Some(u8::try_from(v).map_err(|_| errors::INVALID_FREQ)?);
                j += 1;
            } else {
                return Err(errors::SYNTAX);
            }
            j += 1;
        }
        Ok(o)
    }
}

/// What RESTORE did under the key's lock.
enum Restored {
    Done,
    /// The key exists and REPLACE was not given.
    Busy,
    /// The TTL or the payload was refused.
    Refused(&'static str),
    /// The deadline has passed: nothing was written; `true` when REPLACE
    /// deleted the key that was there.
    Expired(bool),
}

/// ```text
/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// ```
/// `ttl` is milliseconds from now, or a Unix time in milliseconds with
/// ABSTTL; 0 is no expiry. A deadline already past writes nothing (with
/// REPLACE, the old key is deleted) and still answers OK. IDLETIME sets
/// the access time under an LRU or no policy, FREQ the access counter
/// under an LFU policy; each is ignored under the other. Errors come in
/// Redis's order: options, BUSYKEY, the TTL, the payload.
fn restore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let opts = match RestoreOptions::parse(&a[4..]) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    // Decoded before the lock is taken, reported after BUSYKEY.
    let parsed: Result<(i64, Value), &'static str> = args::int(a[2]).and_then(|ttl| {
        if ttl < 0 {
            return Err(errors::INVALID_TTL);
        }
        match parse_payload(a[3]) {
            Ok(v) => Ok((ttl, v)),
            Err(PayloadError::VersionOrChecksum) => Err(errors::DUMP_PAYLOAD),
            Err(PayloadError::BadFormat) => Err(errors::BAD_DATA_FORMAT),
        }
    });
    let now = ctx.now;
    let lfu = ctx
        .srv
        .settings
        .maxmemory_policy()
        .to_ascii_lowercase()
        .ends_with("-lfu");
    let (db, key) = (ctx.db(), a[1]);
    let done = ctx.srv.store.with_slot(db, key, now, |slot| {
        if !opts.replace && slot.peek().is_some() {
            return Restored::Busy;
        }
        let (ttl, value) = match parsed {
            Ok(p) => p,
            Err(e) => return Restored::Refused(e),
        };
        let deadline = match ttl {
            0 => 0,
            t if opts.absttl => t as u64,
            // Past the largest deadline the store keeps, it never comes.
            t => (t as u64).saturating_add(now).min(i64::MAX as u64),
        };
        if deadline != 0 && deadline <= now {
            return Restored::Expired(opts.replace && slot.delete());
        }
        let mut saved = Saved::plain(key, value);
        saved.expire_at = deadline;
        if lfu {
            if let Some(f) = opts.freq {
                saved.lfu = f;
            }
        } else if let Some(idle) = opts.idle {
            saved.idle_secs = u32::try_from(idle).unwrap_or(u32::MAX);
        }
        slot.restore(saved);
        Restored::Done
    });
    match done {
        Restored::Busy => ctx.error(errors::BUSYKEY),
        Restored::Refused(e) => ctx.error(e),
        Restored::Expired(deleted) => {
            if deleted {
                notify::event(ctx.srv, class::GENERIC, "del", db, key);
            }
            ctx.out.ok();
        }
        Restored::Done => {
            notify::event(ctx.srv, class::GENERIC, "restore", db, key);
            ctx.out.ok();
        }
    }
}

/// A parsed MIGRATE request.
#[derive(Debug, PartialEq, Eq)]
struct MigrateArgs<'a> {
    copy: bool,
    replace: bool,
    /// AUTH password, or AUTH2's username and password.
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    keys: &'a [&'a [u8]],
    db: i64,
    /// Milliseconds for the connect and for each read and write.
    timeout: u64,
}

impl<'a> MigrateArgs<'a> {
    /// Reads a MIGRATE request with Redis's errors in Redis's order: the
    /// options (everything after KEYS is a key), then the timeout, then
    /// the database. A timeout of 0 or less is one second.
    fn parse(a: &'a [&'a [u8]]) -> Result<MigrateArgs<'a>, &'static str> {
        let mut m = MigrateArgs {
            copy: false,
            replace: false,
            auth: None,
            keys: &a[3..4],
            db: 0,
            timeout: 0,
        };
        let mut j = 6;
        while j < a.len() {
            let more = a.len() - 1 - j;
            if is(a[j], "copy") {
                m.copy = true;
            } else if is(a[j], "replace") {
                m.replace = true;
            } else if is(a[j], "auth") {
                if more < 1 {
                    return Err(errors::SYNTAX);
                }
                m.auth = Some((None, a[j + 1]));
                j += 1;
            } else if is(a[j], "auth2") {
                if more < 2 {
                    return Err(errors::SYNTAX);
                }
                m.auth = Some((Some(a[j + 1]), a[j + 2]));
                j += 2;
            } else if is(a[j], "keys") {
                if !a[3].is_empty() {
                    return Err(errors::MIGRATE_KEYS_NEED_EMPTY_KEY);
                }
                m.keys = &a[j + 1..];
                break;
            } else {
                return Err(errors::SYNTAX);
            }
            j += 1;
        }
        let timeout = args::int(a[5])?;
        m.db = args::int(a[4])?;
        m.timeout = if timeout <= 0 { 1000 } else { timeout as u64 };
        Ok(m)
    }
}

/// One key as MIGRATE sends it.
struct Outgoing<'a> {
    key: &'a [u8],
    /// The version serialized: the key is deleted only if it still has it.
    version: u64,
}

/// Appends one request in RESP to `out`.
fn put_request(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// ```text
/// MIGRATE host port <key | ""> destination-db timeout [COPY] [REPLACE]
///     [AUTH password | AUTH2 username password] [KEYS key [key ...]]
/// ```
/// `+NOKEY` when none of the keys exists. Each key goes as `RESTORE key
/// ttl payload [REPLACE]` with its remaining time (at least 1 ms; 0 for
/// none). The first error the target answers (to AUTH, SELECT or a
/// RESTORE) is the reply, `ERR Target instance replied with error: ...`;
/// keys it accepted are deleted all the same unless COPY.
fn migrate(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let m = match MigrateArgs::parse(a) {
        Ok(m) => m,
        Err(e) => return ctx.error(e),
    };
    let compress = compress(ctx);
    let touch = !ctx.client.no_touch;
    let (db, now) = (ctx.db(), ctx.now);
    let mut request = Vec::new();
    if let Some((user, password)) = m.auth {
        match user {
            Some(u) => put_request(&mut request, &[b"AUTH", u, password]),
            None => put_request(&mut request, &[b"AUTH", password]),
        }
    }
    put_request(&mut request, &[b"SELECT", m.db.to_string().as_bytes()]);
    let mut sent: Vec<Outgoing<'_>> = Vec::new();
    for &k in m.keys {
        let found = ctx.srv.store.with_slot(db, k, now, |slot| {
            slot.read(touch).map(|it| {
                let ttl = it.expire_at().map_or(0, |at| at.saturating_sub(now).max(1));
                (it.version(), ttl, payload(it.value(), compress))
            })
        });
        let Some((version, ttl, p)) = found else { continue };
        let ttl = ttl.to_string();
        let mut args: Vec<&[u8]> = vec![b"RESTORE", k, ttl.as_bytes(), &p];
        if m.replace {
            args.push(b"REPLACE");
        }
        put_request(&mut request, &args);
        sent.push(Outgoing { key: k, version });
    }
    if sent.is_empty() {
        return ctx.out.simple("NOKEY");
    }
    let host = a[1];
    let port = a[2];
    let timeout = Duration::from_millis(m.timeout);
    let replies = off_worker(|| exchange(host, port, timeout, &request, m.auth.is_some(), sent.len()));
    let replies = match replies {
        Ok(r) => r,
        Err(Failed::Connect) => return ctx.error(errors::MIGRATE_CONNECT),
        Err(Failed::Write) => return ctx.error(errors::MIGRATE_WRITE),
        Err(Failed::Read) => return ctx.error(errors::MIGRATE_READ),
    };
    // An error to AUTH or SELECT is reported before any RESTORE's, and
    // means no RESTORE took effect.
    let refused = replies.before.iter().find(|l| l.first() == Some(&b'-'));
    let mut error = refused.map(|l| errors::migrate_target_error(&l[1..]));
    for (out, line) in sent.iter().zip(&replies.restores) {
        if refused.is_some() || line.first() == Some(&b'-') {
            if error.is_none() {
                error = Some(errors::migrate_target_error(&line[1..]));
            }
        } else if !m.copy {
            let deleted = ctx.srv.store.with_slot(db, out.key, ctx.now, |slot| {
                slot.peek().is_some_and(|it| it.version() == out.version) && slot.delete()
            });
            if deleted {
                notify::event(ctx.srv, class::GENERIC, "del", db, out.key);
            }
        }
    }
    match error {
        Some(e) => ctx.error(&e),
        None if replies.restores.len() < sent.len() => ctx.error(errors::MIGRATE_READ),
        None => ctx.out.ok(),
    }
}

/// Runs blocking network I/O from a handler. On a worker of the
/// multi-thread runtime the worker's other connections move to another
/// thread meanwhile, so only this connection waits; elsewhere (tests, a
/// thread that left its worker already) it just runs.
fn off_worker<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// Where MIGRATE's exchange with the target failed, named as Redis names
/// it: a target that refuses the connection or does not answer it in
/// time shows up as a failed write, as with Redis's non-blocking connect;
/// only an address that cannot be resolved or reached at all fails the
/// connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failed {
    Connect,
    Write,
    Read,
}

/// The target's reply lines, without their `\r\n`.
#[derive(Debug, Default)]
struct Replies {
    /// To AUTH (when sent) and SELECT.
    before: Vec<Vec<u8>>,
    /// To the RESTOREs, in order; fewer than sent when the connection
    /// failed or timed out on the way.
    restores: Vec<Vec<u8>>,
}

/// The most of one reply line kept; the rest of a longer line is read as
/// the next one, as Redis reads it.
const MAX_LINE: u64 = 1023;

/// Connects to `host`:`port`, writes `request` and reads the replies to
/// AUTH (with `auth`), SELECT and `n` RESTOREs, each step bounded by
/// `timeout`.
fn exchange(
    host: &[u8],
    port: &[u8],
    timeout: Duration,
    request: &[u8],
    auth: bool,
    n: usize,
) -> Result<Replies, Failed> {
    let stream = connect(host, port, timeout)?;
    let _ = stream.set_nodelay(true);
    if stream.set_write_timeout(Some(timeout)).is_err() || stream.set_read_timeout(Some(timeout)).is_err() {
        return Err(Failed::Write);
    }
    (&stream).write_all(request).map_err(|_| Failed::Write)?;
    let mut reader = BufReader::new(&stream);
    let mut replies = Replies::default();
    for _ in 0..1 + auth as usize {
        replies.before.push(read_line(&mut reader).map_err(|_| Failed::Read)?);
    }
    for _ in 0..n {
        match read_line(&mut reader) {
            Ok(line) => replies.restores.push(line),
            Err(_) => break,
        }
    }
    Ok(replies)
}

/// Opens the connection to the target, trying each address `host`
/// resolves to. The port is read as C's `atoi` reads it.
fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Result<TcpStream, Failed> {
    let host = std::str::from_utf8(host).map_err(|_| Failed::Connect)?;
    let port = u16::try_from(crate::util::number::atoi(port)).map_err(|_| Failed::Connect)?;
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|_| Failed::Connect)?.collect();
    let mut last = Failed::Connect;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => {
                last = match e.kind() {
                    io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::WouldBlock => Failed::Write,
                    _ => Failed::Connect,
                }
            }
        }
    }
    Err(last)
}

/// One reply line, its `\r\n` removed. The end of the stream, or a line
/// that is nothing but `\n`, is a failure, as in Redis's reader.
fn read_line(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let n = r.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)?;
    if n == 0 || line == b"\n" {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::notify::testing::Events;
    use crate::command::testing::Harness;
    use crate::command::{execute, Ctx};
    use crate::protocol::resp::Reply;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// Runs a request and returns the raw reply bytes (a payload is binary).
    fn raw(h: &mut Harness, args: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut ctx = Ctx {
            srv: &h.srv,
            client: &mut h.client,
            out: Reply::new(&mut buf, false),
            now: h.now,
        };
        execute(&mut ctx, args);
        buf
    }

    /// The payload of `key`, from DUMP's bulk reply.
    fn dumped(h: &mut Harness, key: &str) -> Vec<u8> {
        let r = raw(h, &[b"DUMP", key.as_bytes()]);
        let start = r.iter().position(|&c| c == b'\n').expect("a bulk header") + 1;
        assert_eq!(r[0], b'$', "{}", String::from_utf8_lossy(&r));
        r[start..r.len() - 2].to_vec()
    }

    fn restore_raw(h: &mut Harness, key: &str, ttl: &str, p: &[u8], opts: &[&str]) -> String {
        let mut args: Vec<&[u8]> = vec![b"RESTORE", key.as_bytes(), ttl.as_bytes(), p];
        args.extend(opts.iter().map(|o| o.as_bytes()));
        String::from_utf8_lossy(&raw(h, &args)).into_owned()
    }

    fn fill(h: &mut Harness) {
        for line in [
            "SET str hello",
            "SET int 12345",
            "RPUSH list a b 1 2",
            "SADD iset 1 2 3 70000",
            "SADD sset x y z",
            "HSET hash f1 v1 f2 2",
            "ZADD zset 1.5 a -inf b 3 c",
        ] {
            assert!(!h.run(line).starts_with('-'), "{line}");
        }
        let long = "abc".repeat(400);
        h.run(&format!("SET long {long}"));
        let many: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
        h.run(&format!("RPUSH biglist {}", many.join(" ")));
        h.run(&format!("SADD bigset {}", many.join(" ")));
        let pairs: Vec<String> = many.iter().enumerate().map(|(i, m)| format!("{i} {m}")).collect();
        h.run(&format!("ZADD bigzset {}", pairs.join(" ")));
        let fields: Vec<String> = many.iter().map(|m| format!("{m} {}", "v".repeat(80))).collect();
        h.run(&format!("HSET bighash {}", fields.join(" ")));
    }

    const KEYS: &[&str] = &[
        "str", "int", "long", "list", "biglist", "iset", "sset", "bigset", "hash", "bighash", "zset", "bigzset",
    ];

    #[test]
    fn every_type_round_trips_through_dump_and_restore() {
        for compression in ["yes", "no"] {
            let mut h = Harness::new();
            h.srv
                .settings
                .set("rdbcompression", compression)
                .expect("known setting");
            fill(&mut h);
            for k in KEYS {
                let p = dumped(&mut h, k);
                let copy = format!("{k}:copy");
                assert_eq!(restore_raw(&mut h, &copy, "0", &p, &[]), "+OK\r\n", "{k}");
                assert_eq!(dumped(&mut h, &copy), p, "{k} dumps the same after its restore");
                assert_eq!(h.run(&format!("TYPE {k}")), h.run(&format!("TYPE {copy}")));
                assert_eq!(h.run(&format!("TTL {copy}")), ":-1\r\n");
            }
            assert_eq!(h.run("LRANGE list:copy 0 -1"), h.run("LRANGE list 0 -1"));
            assert_eq!(
                h.run("ZRANGE zset:copy 0 -1 WITHSCORES"),
                h.run("ZRANGE zset 0 -1 WITHSCORES")
            );
            assert_eq!(h.run("HGET hash:copy f2"), "$1\r\n2\r\n");
            assert_eq!(h.run("GET long:copy"), h.run("GET long"));
        }
    }

    #[test]
    fn dump_of_a_missing_key_is_nil() {
        let mut h = Harness::new();
        assert_eq!(h.run("DUMP nosuch"), "$-1\r\n");
    }

    #[test]
    fn restore_refuses_an_existing_key_unless_replace() {
        let mut h = Harness::new();
        h.run("SET foo bar1");
        let p1 = dumped(&mut h, "foo");
        h.run("SET foo bar2");
        let p2 = dumped(&mut h, "foo");
        assert_eq!(
            restore_raw(&mut h, "foo", "0", &p1, &[]),
            "-BUSYKEY Target key name already exists.\r\n"
        );
        // BUSYKEY comes before the TTL's and the payload's errors.
        assert!(h.run("RESTORE foo -1 junk").starts_with("-BUSYKEY"));
        assert!(h.run("RESTORE foo x junk").starts_with("-BUSYKEY"));
        assert_eq!(restore_raw(&mut h, "foo", "0", &p1, &["REPLACE"]), "+OK\r\n");
        assert_eq!(h.run("GET foo"), "$4\r\nbar1\r\n");
        assert_eq!(restore_raw(&mut h, "foo", "0", &p2, &["replace"]), "+OK\r\n");
        assert_eq!(h.run("GET foo"), "$4\r\nbar2\r\n");
    }

    #[test]
    fn restore_gives_a_new_version() {
        let mut h = Harness::new();
        h.run("SET foo bar");
        let p = dumped(&mut h, "foo");
        let before = h
            .srv
            .store
            .with_slot(0, b"foo", h.now, |s| s.peek().map(|it| it.version()));
        restore_raw(&mut h, "foo", "0", &p, &["REPLACE"]);
        let after = h
            .srv
            .store
            .with_slot(0, b"foo", h.now, |s| s.peek().map(|it| it.version()));
        assert!(after > before, "{before:?} then {after:?}");
    }

    #[test]
    fn restore_errors_are_redis_texts_in_redis_order() {
        let mut h = Harness::new();
        h.run("SET foo bar");
        let p = dumped(&mut h, "foo");
        let cases: &[(&str, &[&str], &str)] = &[
            ("x", &[], "-ERR value is not an integer or out of range\r\n"),
            ("-1", &[], "-ERR Invalid TTL value, must be >= 0\r\n"),
            (
                "0",
                &["IDLETIME", "-1"],
                "-ERR Invalid IDLETIME value, must be >= 0\r\n",
            ),
            (
                "0",
                &["IDLETIME", "x"],
                "-ERR value is not an integer or out of range\r\n",
            ),
            (
                "0",
                &["FREQ", "256"],
                "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n",
            ),
            (
                "0",
                &["FREQ", "-1"],
                "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n",
            ),
            ("0", &["FREQ", "1", "IDLETIME", "1"], "-ERR syntax error\r\n"),
            ("0", &["IDLETIME", "1", "FREQ", "1"], "-ERR syntax error\r\n"),
            ("0", &["IDLETIME"], "-ERR syntax error\r\n"),
            ("0", &["invalid-option"], "-ERR syntax error\r\n"),
            // Options are read before the TTL.
            ("x", &["nope"], "-ERR syntax error\r\n"),
        ];
        for (ttl, opts, want) in cases {
            assert_eq!(restore_raw(&mut h, "new", ttl, &p, opts), *want, "{ttl} {opts:?}");
        }
        assert_eq!(
            h.run("RESTORE new 0 short"),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        let mut bad = p.clone();
        bad[1] ^= 0xff;
        assert_eq!(
            restore_raw(&mut h, "new", "0", &bad, &[]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        let mut newer = p.clone();
        let v = newer.len() - 10;
        newer[v] = 99;
        assert_eq!(
            restore_raw(&mut h, "new", "0", &newer, &[]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        // A well-signed payload whose body is not a value.
        let body = crate::repl::rdb::dump::tests::sign(vec![0, 5, b'a'], 10);
        assert_eq!(restore_raw(&mut h, "new", "0", &body, &[]), "-ERR Bad data format\r\n");
        assert_eq!(h.run("EXISTS new"), ":0\r\n");
        assert_eq!(
            h.run("RESTORE new 0"),
            "-ERR wrong number of arguments for 'restore' command\r\n"
        );
    }

    #[test]
    fn restore_sets_a_relative_or_absolute_ttl() {
        let mut h = Harness::new();
        h.run("SET foo bar");
        let p = dumped(&mut h, "foo");
        assert_eq!(restore_raw(&mut h, "rel", "5000", &p, &[]), "+OK\r\n");
        assert_eq!(h.run("PTTL rel"), ":5000\r\n");
        assert_eq!(restore_raw(&mut h, "big", "2569591501", &p, &[]), "+OK\r\n");
        assert_eq!(h.run("PTTL big"), ":2569591501\r\n");
        let at = (h.now + 3000).to_string();
        assert_eq!(restore_raw(&mut h, "abs", &at, &p, &["ABSTTL"]), "+OK\r\n");
        assert_eq!(h.run("PTTL abs"), ":3000\r\n");
        let huge = i64::MAX.to_string();
        assert_eq!(restore_raw(&mut h, "far", &huge, &p, &[]), "+OK\r\n");
        assert_eq!(h.run("GET far"), "$3\r\nbar\r\n");
    }

    #[test]
    fn restore_in_the_past_writes_nothing_and_replace_deletes() {
        let mut h = Harness::new();
        h.run("SET foo bar");
        let p = dumped(&mut h, "foo");
        let past = (h.now - 3000).to_string();
        assert_eq!(restore_raw(&mut h, "gone", &past, &p, &["ABSTTL"]), "+OK\r\n");
        assert_eq!(h.run("EXISTS gone"), ":0\r\n");
        assert_eq!(restore_raw(&mut h, "foo", &past, &p, &["ABSTTL", "REPLACE"]), "+OK\r\n");
        assert_eq!(h.run("EXISTS foo"), ":0\r\n");
        // Exactly now is past too.
        h.run("SET foo bar");
        let now = h.now.to_string();
        assert_eq!(restore_raw(&mut h, "foo", &now, &p, &["ABSTTL", "REPLACE"]), "+OK\r\n");
        assert_eq!(h.run("EXISTS foo"), ":0\r\n");
    }

    #[test]
    fn restore_publishes_restore_or_del() {
        let mut ev = Events::new("KEg");
        let p = payload(crate::store::ValueRef::Str(b"bar"), false);
        assert_eq!(ev.run_args(&[b"RESTORE", b"k", b"0", &p]), "+OK\r\n");
        assert_eq!(ev.take(), ["__keyspace@0__:k restore", "__keyevent@0__:restore k"]);
        let past = (ev.h.now - 1).to_string();
        let replace: &[&[u8]] = &[b"RESTORE", b"k", past.as_bytes(), &p, b"ABSTTL", b"REPLACE"];
        assert_eq!(ev.run_args(replace), "+OK\r\n");
        assert_eq!(ev.take(), ["__keyspace@0__:k del", "__keyevent@0__:del k"]);
        // Nothing there, nothing deleted, nothing told.
        assert_eq!(ev.run_args(replace), "+OK\r\n");
        assert!(ev.take().is_empty());
    }

    #[test]
    fn restore_sets_idle_time_or_frequency_by_policy() {
        let mut h = Harness::new();
        h.run("SET foo bar");
        let p = dumped(&mut h, "foo");
        h.srv
            .settings
            .set("maxmemory-policy", "allkeys-lru")
            .expect("known setting");
        assert_eq!(restore_raw(&mut h, "lru", "0", &p, &["IDLETIME", "1000"]), "+OK\r\n");
        assert_eq!(h.run("OBJECT IDLETIME lru"), ":1000\r\n");
        // FREQ is ignored under an LRU policy.
        assert_eq!(restore_raw(&mut h, "f", "0", &p, &["FREQ", "100"]), "+OK\r\n");
        assert_eq!(h.run("OBJECT IDLETIME f"), ":0\r\n");
        h.srv
            .settings
            .set("maxmemory-policy", "allkeys-lfu")
            .expect("known setting");
        assert_eq!(restore_raw(&mut h, "lfu", "0", &p, &["FREQ", "100"]), "+OK\r\n");
        assert_eq!(h.run("OBJECT FREQ lfu"), ":100\r\n");
        assert_eq!(restore_raw(&mut h, "i", "0", &p, &["IDLETIME", "1000"]), "+OK\r\n");
        assert_eq!(h.run("OBJECT FREQ i"), ":5\r\n");
    }

    #[test]
    fn migrate_options_are_read_as_redis_reads_them() {
        let a = |line: &str| -> Vec<Vec<u8>> { line.split(' ').map(|w| w.as_bytes().to_vec()).collect() };
        let parse = |line: &str| {
            let owned = a(line);
            let args: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            MigrateArgs::parse(&args).map(|m| {
                (
                    m.copy,
                    m.replace,
                    m.auth.map(|(u, p)| (u.map(<[u8]>::to_vec), p.to_vec())),
                    m.keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>(),
                    m.db,
                    m.timeout,
                )
            })
        };
        assert_eq!(
            parse("migrate h 1 k 3 0"),
            Ok((false, false, None, vec![b"k".to_vec()], 3, 1000))
        );
        assert_eq!(parse("migrate h 1 k 3 -5").map(|m| m.5), Ok(1000));
        assert_eq!(
            parse("migrate h 1 k 3 250 COPY replace").map(|m| (m.0, m.1, m.5)),
            Ok((true, true, 250))
        );
        assert_eq!(
            parse("migrate h 1  3 250 AUTH keys KEYS a b").map(|m| (m.2, m.3)),
            Ok((Some((None, b"keys".to_vec())), vec![b"a".to_vec(), b"b".to_vec()]))
        );
        assert_eq!(
            parse("migrate h 1 k 3 250 AUTH2 u p").map(|m| m.2),
            Ok(Some((Some(b"u".to_vec()), b"p".to_vec())))
        );
        assert_eq!(parse("migrate h 1  3 250 KEYS").map(|m| m.3.len()), Ok(0));
        assert_eq!(
            parse("migrate h 1 k 3 250 KEYS a"),
            Err(errors::MIGRATE_KEYS_NEED_EMPTY_KEY)
        );
        assert_eq!(parse("migrate h 1 k 3 250 AUTH"), Err(errors::SYNTAX));
        assert_eq!(parse("migrate h 1 k 3 250 AUTH2 u"), Err(errors::SYNTAX));
        assert_eq!(parse("migrate h 1 k 3 250 bogus"), Err(errors::SYNTAX));
        // Options first, then the timeout, then the database.
        assert_eq!(parse("migrate h 1 k x y bogus"), Err(errors::SYNTAX));
        assert_eq!(parse("migrate h 1 k x 5"), Err(errors::NOT_INTEGER));
        assert_eq!(parse("migrate h 1 k 0 y"), Err(errors::NOT_INTEGER));
    }

    /// A fake target: accepts one connection, reads what MIGRATE writes
    /// until `requests` requests came, answers `replies`, and hands back
    /// what it read.
    fn fake_target(requests: usize, replies: &'static str) -> (u16, mpsc::Receiver<Vec<u8>>) {
        fake_target_gated(requests, replies, None)
    }

    /// [`fake_target`] that, with a `gate`, waits for it between handing
    /// back the requests and answering.
    fn fake_target_gated(
        requests: usize,
        replies: &'static str,
        gate: Option<mpsc::Receiver<()>>,
    ) -> (u16, mpsc::Receiver<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = l.accept() else { return };
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while count_requests(&got) < requests {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(got);
            if let Some(g) = gate {
                let _ = g.recv();
            }
            let _ = s.write_all(replies.as_bytes());
            // Keep the socket open until MIGRATE has read everything.
            let _ = s.read(&mut buf);
        });
        (port, rx)
    }

    /// Complete requests (arrays of bulks) in `b`.
    fn count_requests(b: &[u8]) -> usize {
        let mut n = 0;
        let mut i = 0;
        let line = |i: usize| -> Option<(usize, usize)> {
            let end = b[i..].windows(2).position(|w| w == b"\r\n")? + i;
            let v = std::str::from_utf8(&b[i + 1..end]).ok()?.parse().ok()?;
            Some((v, end + 2))
        };
        while i < b.len() {
            let Some((parts, mut j)) = line(i) else { break };
            for _ in 0..parts {
                let Some((len, k)) = (if j < b.len() { line(j) } else { None }) else {
                    return n;
                };
                j = k + len + 2;
            }
            if j > b.len() {
                break;
            }
            n += 1;
            i = j;
        }
        n
    }

    #[test]
    fn migrate_sends_auth_select_and_restores_then_deletes_what_was_accepted() {
        let mut h = Harness::new();
        h.run("SET a 1");
        h.run("SET b 2");
        h.run("SET c 3");
        h.run("PEXPIRE b 5000");
        let (port, rx) = fake_target(
            5,
            "+OK\r\n+OK\r\n+OK\r\n-BUSYKEY Target key name already exists.\r\n+OK\r\n",
        );
        let cmd = format!("MIGRATE 127.0.0.1 {port}  7 1000 REPLACE AUTH2 u pw KEYS a nosuch b c");
        assert_eq!(
            h.run(&cmd),
            "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
        );
        let sent = String::from_utf8_lossy(&rx.recv().expect("request")).into_owned();
        assert!(sent.starts_with("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n7\r\n*5\r\n$7\r\nRESTORE\r\n$1\r\na\r\n$1\r\n0\r\n"), "{sent}");
        assert!(sent.contains("$1\r\nb\r\n$4\r\n5000\r\n"), "{sent}");
        assert_eq!(sent.matches("REPLACE").count(), 3);
        // a and c were accepted and leave; b was refused and stays.
        assert_eq!(h.run("EXISTS a"), ":0\r\n");
        assert_eq!(h.run("EXISTS b"), ":1\r\n");
        assert_eq!(h.run("EXISTS c"), ":0\r\n");
    }

    #[test]
    fn migrate_copy_keeps_the_keys() {
        let mut h = Harness::new();
        h.run("RPUSH l a b c");
        let (port, rx) = fake_target(2, "+OK\r\n+OK\r\n");
        assert_eq!(h.run(&format!("MIGRATE 127.0.0.1 {port} l 0 1000 COPY")), "+OK\r\n");
        let sent = rx.recv().expect("request");
        let p = dumped(&mut h, "l");
        assert!(sent.windows(p.len()).any(|w| w == p), "the payload is DUMP's");
        assert_eq!(h.run("LLEN l"), ":3\r\n");
    }

    #[test]
    fn migrate_reports_an_auth_error_and_deletes_nothing() {
        let mut h = Harness::new();
        h.run("SET a 1");
        let (port, _rx) = fake_target(
            3,
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n-NOAUTH Authentication required.\r\n",
        );
        assert_eq!(
            h.run(&format!("MIGRATE 127.0.0.1 {port} a 0 1000 AUTH bad")),
            "-ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(h.run("EXISTS a"), ":1\r\n");
    }

    #[test]
    fn migrate_of_missing_keys_is_nokey_without_connecting() {
        let mut h = Harness::new();
        assert_eq!(h.run("MIGRATE 127.0.0.1 1 nosuch 0 1000"), "+NOKEY\r\n");
        assert_eq!(h.run("MIGRATE 127.0.0.1 1  0 1000 KEYS x y"), "+NOKEY\r\n");
    }

    #[test]
    fn migrate_to_a_closed_port_or_a_bad_host_is_an_ioerr() {
        let mut h = Harness::new();
        h.run("SET a 1");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        assert_eq!(
            h.run(&format!("MIGRATE 127.0.0.1 {port} a 0 1000")),
            "-IOERR error or timeout writing to target instance\r\n"
        );
        assert_eq!(
            h.run("MIGRATE  1 a 0 1000"),
            "-IOERR error or timeout connecting to the client\r\n"
        );
        assert_eq!(
            h.run("MIGRATE 127.0.0.1 -5 a 0 1000"),
            "-IOERR error or timeout connecting to the client\r\n"
        );
        assert_eq!(h.run("EXISTS a"), ":1\r\n");
    }

    #[test]
    fn migrate_times_out_reading_a_silent_target() {
        let mut h = Harness::new();
        h.run("SET a 1");
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        assert_eq!(
            h.run(&format!("MIGRATE 127.0.0.1 {port} a 0 100")),
            "-IOERR error or timeout reading to target instance\r\n"
        );
        assert_eq!(h.run("EXISTS a"), ":1\r\n");
    }

    #[test]
    fn migrate_keeps_a_key_that_changed_while_it_was_sent() {
        let mut h = Harness::new();
        h.run("SET a 1");
        h.run("SET b 2");
        let (go, gate) = mpsc::channel();
        let (port, rx) = fake_target_gated(3, "+OK\r\n+OK\r\n+OK\r\n", Some(gate));
        let Harness { srv, client, now } = &mut h;
        let (srv, now) = (&*srv, *now);
        let line = format!("MIGRATE 127.0.0.1 {port}  0 2000 KEYS a b");
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let reply = std::thread::scope(|s| {
            let t = s.spawn(|| {
                let mut buf = Vec::new();
                let mut ctx = Ctx {
                    srv,
                    client,
                    out: Reply::new(&mut buf, false),
                    now,
                };
                execute(&mut ctx, &args);
                buf
            });
            // The requests are out; another client writes a before the
            // target answers.
            let _ = rx.recv();
            srv.store
                .with_slot(0, b"a", now, |slot| slot.set(Value::Str(b"new".to_vec()), 0, 0));
            let _ = go.send(());
            t.join().expect("migrate")
        });
        assert_eq!(reply, b"+OK\r\n");
        assert_eq!(h.run("GET a"), "$3\r\nnew\r\n");
        assert_eq!(h.run("EXISTS b"), ":0\r\n");
    }

    #[test]
    fn reply_lines_are_bounded_and_stripped() {
        let mut r = io::Cursor::new(b"+OK\r\n-ERR x\n\n".to_vec());
        assert_eq!(read_line(&mut r).expect("line"), b"+OK");
        assert_eq!(read_line(&mut r).expect("line"), b"-ERR x");
        assert!(read_line(&mut r).is_err());
        assert!(read_line(&mut r).is_err());
        let long = vec![b'x'; 5000];
        let mut r = io::Cursor::new(long);
        assert_eq!(read_line(&mut r).expect("line").len(), MAX_LINE as usize);
    }
}
