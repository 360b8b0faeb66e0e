//! DEBUG: the testing hooks, refused unless `enable-debug-command` allows
//! them, as Redis refuses them.
//!
//! Besides Redis's `SET-ACTIVE-EXPIRE`, `ADVANCE-CLOCK` moves the server's
//! clock: tests of timeouts (TTLs, sliding expiry, lock timeouts) run on it
//! instead of sleeping. Both protocols and the sweeper read that clock.

use super::args;
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::ValueRef;
use std::sync::atomic::Ordering;

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, "server", debug)
    .doc(
        "1.0.0",
        "A container for debugging commands.",
        "Depends on subcommand.",
        "subcommand [arg ...]",
    )];

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADVANCE-CLOCK <milliseconds>",
    "    Move the server's clock forward (or back, when negative) for every",
    "    client and the sweeper: expiry and lock timeouts follow it.",
    "DIGEST",
    "    The digest of the whole dataset, computed as Redis computes it.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    The digest of each key's value, as Redis computes it.",
    "CHANGE-REPL-ID",
    "    Accepted for Redis's tests; there is no replication to renumber.",
    "ERROR <string>",
    "    Reply with <string> as an error.",
    "LISTPACK <key>",
    "    Answer whether <key> is reported as listpack encoded.",
    "LOADAOF",
    "    Accepted for Redis's tests; there is no AOF: the data stays as it is.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    One line about <key>'s value in Redis's shape: a stable address,",
    "    refcount, encoding, serializedlength (its length in bytes or elements),",
    "    lru and lru_seconds_idle.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "QUICKLIST <key> [<0|1>]",
    "    Answer whether <key> is reported as quicklist encoded.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Checked as Redis checks it (a memory value below 4gb) and accepted;",
    "    lists here have no plain nodes, so it changes nothing.",
    "RELOAD [MERGE|NOFLUSH|NOSAVE ...]",
    "    Save the RDB on disk and reload it back to memory. By default it will",
    "    save the RDB file and load it back.",
    "    * MERGE: Merge the content of the RDB file with the dataset in memory.",
    "    * NOFLUSH: Do not empty the dataset before loading the RDB file.",
    "    * NOSAVE: Do not save the RDB file before loading it.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables the active expiry of keys by the sweeper;",
    "    expired keys are then removed only when accessed.",
    "SET-DISABLE-DENY-SCRIPTS <0|1>",
    "    Setting it to 1 lets scripts call commands flagged noscript.",
    "SLEEP <seconds>",
    "    Sleep <seconds> (decimals allowed) in the calling connection's worker",
    "    thread, stalling the clients that share it (Redis stops the whole",
    "    server). The time counts in the slow log and the latency monitor.",
    "STRINGMATCH-TEST",
    "    Run a fuzz test of the glob matcher on random patterns and strings.",
    "HELP",
    "    Print this help.",
];

/// Whether `enable-debug-command` lets this client run DEBUG: `yes`, or
/// `local` and a loopback peer.
fn allowed(ctx: &Ctx<'_>) -> bool {
    match ctx.srv.settings.get("enable-debug-command").as_deref() {
        Some("yes") => true,
        Some("local") => ctx.client.handle.addr.ip().is_loopback(),
        _ => false,
    }
}

/// ```text
/// DEBUG <subcommand> [arg ...]   (see HELP)
/// ```
fn debug(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if !allowed(ctx) {
        ctx.error(errors::DEBUG_NOT_ALLOWED);
        return;
    }
    let sub = a[1];
    match a.len() {
        2 if sub.eq_ignore_ascii_case(b"help") => super::help_reply(ctx, HELP),
        3 if sub.eq_ignore_ascii_case(b"advance-clock") => match args::int(a[2]) {
            Ok(ms) => {
                ctx.srv.clock.advance(ms);
                ctx.out.ok();
            }
            Err(e) => ctx.error(e),
        },
        3 if sub.eq_ignore_ascii_case(b"sleep") => {
            // Redis reads the seconds with strtod and sleeps the whole
            // server; here the calling connection's worker thread sleeps,
            // which stalls the clients that share that worker, and the
            // command's time counts in the slow log and latency monitor.
            let secs = args::float(a[2]).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(1e9)));
            }
            ctx.out.ok();
        }
        2 if sub.eq_ignore_ascii_case(b"digest") => {
            let d = super::digest::of_dataset(&ctx.srv.store, ctx.now);
            ctx.out.simple(&super::digest::hex(&d));
        }
        _ if sub.eq_ignore_ascii_case(b"digest-value") => {
            ctx.out.array(a.len() - 2);
            for key in &a[2..] {
                let d = ctx.srv.store.with_slot(ctx.client.db, key, ctx.now, |slot| {
                    super::digest::of_value(slot.peek().as_ref())
                });
                ctx.out.simple(&super::digest::hex(&d));
            }
        }
        3..=5 if sub.eq_ignore_ascii_case(b"populate") => populate(ctx, &a[2..]),
        3 if sub.eq_ignore_ascii_case(b"object") => object(ctx, a[2]),
        3 if sub.eq_ignore_ascii_case(b"protocol") => protocol(ctx, a[2]),
        3 if sub.eq_ignore_ascii_case(b"listpack") => {
            encoded_as(ctx, a[2], "listpack", errors::NOT_LISTPACK, "Listpack")
        }
        3 | 4 if sub.eq_ignore_ascii_case(b"quicklist") => {
            encoded_as(ctx, a[2], "quicklist", errors::NOT_QUICKLIST, "Quicklist")
        }
        3 if sub.eq_ignore_ascii_case(b"quicklist-packed-threshold") => {
            let size = std::str::from_utf8(a[2]).ok().and_then(crate::config::parse_memory);
            match size {
                Some(sz) if sz <= (1u64 << 32) - (1 << 20) => ctx.out.ok(),
                _ => ctx.error(errors::PACKED_THRESHOLD),
            }
        }
        3 if sub.eq_ignore_ascii_case(b"error") => {
            let msg = String::from_utf8_lossy(a[2]).into_owned();
            ctx.error(&msg);
        }
        3 if sub.eq_ignore_ascii_case(b"log") => {
            tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(a[2]));
            ctx.out.ok();
        }
        2 if sub.eq_ignore_ascii_case(b"change-repl-id") || sub.eq_ignore_ascii_case(b"loadaof") => ctx.out.ok(),
        _ if sub.eq_ignore_ascii_case(b"reload") => {
            let known = |o: &&[u8]| {
                [&b"merge"[..], b"noflush", b"nosave"]
                    .iter()
                    .any(|k| o.eq_ignore_ascii_case(k))
            };
            if a[2..].iter().all(known) {
                super::persist::debug_reload(ctx, &a[2..]);
            } else {
                ctx.error(errors::RELOAD_OPTIONS);
            }
        }
        2 if sub.eq_ignore_ascii_case(b"stringmatch-test") => {
            stringmatch_test();
            ctx.out.simple("Apparently Redis did not crash: test passed");
        }
        3 if sub.eq_ignore_ascii_case(b"set-disable-deny-scripts") => {
            // atoi, as Redis reads it.
            let on = args::int(a[2]).is_ok_and(|v| v != 0);
            ctx.srv.scripts_may_call_noscript.store(on, Ordering::Relaxed);
            ctx.out.ok();
        }
        3 if sub.eq_ignore_ascii_case(b"set-active-expire") => {
            // Redis reads the flag with atoi: anything but a non-zero
            // number turns active expiry off.
            let on = args::int(a[2]).is_ok_and(|v| v != 0);
            ctx.srv.active_expire.store(on, Ordering::Relaxed);
            ctx.out.ok();
        }
        _ => ctx.error(&errors::debug_unknown_subcommand(sub)),
    }
}

/// ```text
/// DEBUG OBJECT key
/// ```
/// `Value at:0x... refcount:1 encoding:... serializedlength:N lru:N
/// lru_seconds_idle:N`. The address is made from the key's hash, so it
/// stays the same while the key does (Redis's tests compare it across an
/// in-place INCR); serializedlength is the value's length in bytes, or its
/// element count.
fn object(ctx: &mut Ctx<'_>, key: &[u8]) {
    let clock = ctx.srv.store.clock_secs(ctx.now);
    let found = ctx.srv.store.with_slot(ctx.db(), key, ctx.now, |slot| {
        slot.read(false).map(|e| {
            let v = e.value();
            let len = match v {
                ValueRef::Str(s) => s.len(),
                ValueRef::Hash(h) => h.len(),
                ValueRef::List(l) => l.len(),
                ValueRef::Set(s) => s.len(),
                ValueRef::ZSet(z) => z.len(),
            };
            (v.encoding(), len, e.idle_secs(clock))
        })
    });
    let Some((encoding, len, idle)) = found else {
        return ctx.error(errors::NO_SUCH_KEY);
    };
    let addr = 0x7f00_0000_0000 | (ctx.hash(key).hash & 0xff_ffff_fff0);
    let lru = (ctx.now / 1000).saturating_sub(idle as u64) & 0xff_ffff;
    ctx.out.simple(&format!(
        "Value at:0x{addr:x} refcount:1 encoding:{encoding} serializedlength:{len} lru:{lru} lru_seconds_idle:{idle}"
    ));
}

/// ```text
/// DEBUG LISTPACK key | DEBUG QUICKLIST key [0|1]
/// ```
/// Redis prints the structure on its standard output; here only the
/// encoding is checked.
fn encoded_as(ctx: &mut Ctx<'_>, key: &[u8], want: &str, wrong: &str, what: &str) {
    let found = ctx.srv.store.with_slot(ctx.db(), key, ctx.now, |slot| {
        slot.read(false).map(|e| e.value().encoding())
    });
    match found {
        None => ctx.error(errors::NO_SUCH_KEY),
        Some(enc) if enc != want => ctx.error(wrong),
        Some(_) => ctx.out.simple(&format!("{what} structure printed on stdout")),
    }
}

/// ```text
/// DEBUG PROTOCOL string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false
/// ```
/// A test value of each RESP3 type, as Redis sends it (RESP2 clients get
/// the RESP2 forms).
fn protocol(ctx: &mut Ctx<'_>, name: &[u8]) {
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    let out = &mut ctx.out;
    if is("string") {
        out.bulk(b"Hello World");
    } else if is("integer") {
        out.int(12345);
    } else if is("double") {
        // Redis's test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        out.double(3.141);
    } else if is("bignum") {
        out.big_number(b"1234567999999999999999999999999999999");
    } else if is("null") {
        out.null();
    } else if is("array") || is("set") {
        if is("array") {
            out.array(3);
        } else {
            out.set(3);
        }
        for j in 0..3 {
            out.int(j);
        }
    } else if is("map") {
        out.map(3);
        for j in 0..3 {
            out.int(j);
            out.bool(j == 1);
        }
    } else if is("attrib") {
        if out.resp3 {
            out.buf.extend_from_slice(b"|1\r\n");
            out.bulk(b"key-popularity");
            out.array(2);
            out.bulk(b"key:123");
            out.int(90);
        }
        out.bulk(b"Some real reply following the attribute");
    } else if is("push") {
        if !out.resp3 {
            return ctx.error(errors::RESP2_UNSUPPORTED);
        }
        out.push(2);
        out.bulk(b"server-cpu-usage");
        out.int(42);
        out.bulk(b"Some real reply following the push reply");
    } else if is("true") || is("false") {
        out.bool(is("true"));
    } else if is("verbatim") {
        out.verbatim(b"This is a verbatim\nstring");
    } else {
        ctx.error(errors::PROTOCOL_TYPE);
    }
}

/// Matches random patterns against random strings, as Redis's
/// stringmatchlen fuzz test does: the matcher must neither panic nor
/// loop on any input.
fn stringmatch_test() {
    use crate::util::rand::rand_below;
    let mut pat = [0u8; 32];
    let mut s = [0u8; 32];
    for _ in 0..100_000 {
        let (plen, slen) = (rand_below(32), rand_below(32));
        for b in pat.iter_mut().take(plen) {
            const PAT: &[u8] = b"*?[]^-\\abc";
            *b = PAT[rand_below(PAT.len())];
        }
        for b in s.iter_mut().take(slen) {
            const STR: &[u8] = b"ab*?[]";
            *b = STR[rand_below(STR.len())];
        }
        std::hint::black_box(crate::util::glob::matches(&pat[..plen], &s[..slen], rand_below(2) == 0));
    }
}

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:0` .. (prefix
/// `key`) holding `value:N`, cut or padded with zero bytes to `size` when
/// given; keys that exist are left alone.
fn populate(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let positive = |b: &[u8]| match args::int(b) {
        Ok(n) if n >= 0 => Ok(n as u64),
        Ok(_) => Err(errors::NOT_POSITIVE_COUNT),
        Err(e) => Err(e),
    };
    let count = match positive(a[0]) {
        Ok(n) => n,
        Err(e) => return ctx.error(e),
    };
    let size = match a.get(2).map(|b| positive(b)) {
        None => None,
        Some(Ok(n)) => Some(n as usize),
        Some(Err(e)) => return ctx.error(e),
    };
    let prefix = a.get(1).copied().unwrap_or(b"key");
    let (db, now) = (ctx.db(), ctx.now);
    let mut key = Vec::with_capacity(prefix.len() + 21);
    let mut value = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(format!(":{j}").as_bytes());
        value.clear();
        value.extend_from_slice(format!("value:{j}").as_bytes());
        if let Some(n) = size {
            value.resize(n, 0);
        }
        ctx.srv.store.with_slot(db, &key, now, |slot| {
            if slot.peek().is_none() {
                slot.set_bytes(&value, crate::store::Expiry::None, 0);
            }
        });
    }
    ctx.out.ok();
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    fn enabled() -> Harness {
        let mut config = crate::config::Config::default();
        config.overrides.push(("enable-debug-command".into(), "yes".into()));
        Harness::with_config(config)
    }

    #[test]
    fn debug_is_refused_unless_enabled() {
        let mut h = Harness::new();
        assert!(h
            .run("DEBUG ADVANCE-CLOCK 10")
            .starts_with("-ERR DEBUG command not allowed."));
    }

    #[test]
    fn advance_clock_moves_expiry_forward() {
        let mut h = enabled();
        let t0 = h.srv.clock.now_ms();
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 60000"), "+OK\r\n");
        assert!(h.srv.clock.now_ms() >= t0 + 60_000);
        assert_eq!(
            h.run("DEBUG ADVANCE-CLOCK soon"),
            "-ERR value is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn an_absurd_clock_move_saturates_instead_of_overflowing() {
        let mut h = enabled();
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK -9223372036854775808"), "+OK\r\n");
        assert_eq!(h.srv.clock.now_ms(), 0);
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 9223372036854775807"), "+OK\r\n");
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 9223372036854775807"), "+OK\r\n");
        assert!(h.srv.clock.now_ms() > 0);
    }

    #[test]
    fn set_active_expire_switches_the_sweeper() {
        let mut h = enabled();
        assert_eq!(h.run("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
        assert!(!h.srv.active_expire.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(h.run("DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
        assert!(h.srv.active_expire.load(std::sync::atomic::Ordering::Relaxed));
    }

    #[test]
    fn unknown_debug_subcommands_name_the_help() {
        let mut h = enabled();
        assert_eq!(
            h.run("DEBUG FOO"),
            "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n"
        );
        assert!(h.run("DEBUG HELP").starts_with("*55\r\n+DEBUG <subcommand>"));
    }

    #[test]
    fn debug_object_keeps_its_address_across_an_in_place_incr() {
        let mut h = enabled();
        h.run("SET foo 20000");
        let before = h.run("DEBUG OBJECT foo");
        assert!(before.starts_with("+Value at:0x7f"), "{before}");
        assert!(
            before.contains(" refcount:1 encoding:int serializedlength:5 lru:"),
            "{before}"
        );
        assert!(before.contains(" lru_seconds_idle:0"), "{before}");
        h.run("INCR foo");
        let after = h.run("DEBUG OBJECT foo");
        let addr = |s: &str| s.split(' ').nth(1).map(str::to_string);
        assert_eq!(addr(&before), addr(&after));
        assert_eq!(h.run("DEBUG OBJECT nokey"), "-ERR no such key\r\n");
    }

    #[test]
    fn debug_protocol_sends_each_type_in_both_protocols() {
        let mut h = enabled();
        assert_eq!(h.run("DEBUG PROTOCOL double"), "$5\r\n3.141\r\n");
        assert_eq!(
            h.run("DEBUG PROTOCOL map"),
            "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"
        );
        assert_eq!(
            h.run("DEBUG PROTOCOL push"),
            "-ERR RESP2 is not supported by this command\r\n"
        );
        assert!(h
            .run("DEBUG PROTOCOL nosuch")
            .starts_with("-ERR Wrong protocol type name."));
        h.client.resp3 = true;
        assert_eq!(
            h.run("DEBUG PROTOCOL attrib"),
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
        );
        assert_eq!(
            h.run("DEBUG PROTOCOL map"),
            "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"
        );
        assert_eq!(h.run("DEBUG PROTOCOL true"), "#t\r\n");
        assert_eq!(
            h.run("DEBUG PROTOCOL verbatim"),
            "=29\r\ntxt:This is a verbatim\nstring\r\n"
        );
        assert_eq!(
            h.run("DEBUG PROTOCOL bignum"),
            "(1234567999999999999999999999999999999\r\n"
        );
    }

    #[test]
    fn reload_and_the_list_hooks_answer_as_redis() {
        // The reload saves to `dir`: a directory of the test's own.
        let dir = std::env::temp_dir().join(format!("ferrocache-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = crate::config::Config::default();
        config.overrides.push(("enable-debug-command".into(), "yes".into()));
        config.overrides.push(("dir".into(), dir.display().to_string()));
        let mut h = Harness::with_config(config);
        h.run("SET k v");
        assert_eq!(h.run("DEBUG RELOAD"), "+OK\r\n");
        assert!(dir.join("dump.rdb").exists());
        assert_eq!(h.run("GET k"), "$1\r\nv\r\n", "the data stays");
        // NOFLUSH without MERGE: a key still there fails the load; with
        // MERGE the file's value replaces it.
        h.run("SET k changed");
        assert_eq!(
            h.run("DEBUG RELOAD NOSAVE NOFLUSH"),
            "-ERR Error trying to load the RDB dump, check server logs.\r\n"
        );
        assert_eq!(h.run("DEBUG RELOAD NOSAVE NOFLUSH MERGE"), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$1\r\nv\r\n");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            h.run("DEBUG RELOAD foo"),
            "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
        );
        assert_eq!(h.run("DEBUG QUICKLIST-PACKED-THRESHOLD 0"), "+OK\r\n");
        assert_eq!(h.run("DEBUG QUICKLIST-PACKED-THRESHOLD 1b"), "+OK\r\n");
        assert_eq!(
            h.run("DEBUG QUICKLIST-PACKED-THRESHOLD 5gb"),
            "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n"
        );
        h.run("RPUSH l a");
        assert_eq!(h.run("DEBUG LISTPACK l"), "+Listpack structure printed on stdout\r\n");
        assert_eq!(h.run("DEBUG QUICKLIST l"), "-ERR Not a quicklist encoded object.\r\n");
        assert_eq!(h.run("DEBUG LISTPACK nokey"), "-ERR no such key\r\n");
        assert_eq!(h.run_args(&[b"DEBUG", b"ERROR", b"BOOM oops"]), "-BOOM oops\r\n");
        assert!(h.run("DEBUG STRINGMATCH-TEST").starts_with("+Apparently"));
        assert_eq!(h.run("DEBUG SLEEP 0"), "+OK\r\n");
        let list = "return redis.call('client','id')";
        assert!(h
            .run_args(&[b"EVAL", list.as_bytes(), b"0"])
            .starts_with("-ERR This Redis command is not allowed from script"));
        assert_eq!(h.run("DEBUG SET-DISABLE-DENY-SCRIPTS 1"), "+OK\r\n");
        assert!(h.run_args(&[b"EVAL", list.as_bytes(), b"0"]).starts_with(':'));
    }
}
