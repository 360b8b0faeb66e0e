//! SLOWLOG: read and empty the slow log (`state::SlowLog`), which
//! `execute` fills with the commands that ran at least
//! `slowlog-log-slower-than` microseconds.

use super::flags::*;
use super::{args, dispatch_sub, errors, spec, CommandSpec, Ctx};

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("slowlog|get", -2, ADMIN | LOADING | STALE, "server", get).doc(
        "2.2.12",
        "Returns the slow log's entries.",
        "O(N) where N is the number of entries returned",
        "[count]",
    ),
    spec("slowlog|len", 2, ADMIN | LOADING | STALE, "server", len).doc(
        "2.2.12",
        "Returns the number of entries in the slow log.",
        "O(1)",
        "",
    ),
    spec("slowlog|reset", 2, ADMIN | LOADING | STALE, "server", reset).doc(
        "2.2.12",
        "Clears all entries from the slow log.",
        "O(N) where N is the number of entries in the slowlog",
        "",
    ),
    spec("slowlog|help", 2, LOADING | STALE, "server", help).doc(
        "6.2.0",
        "Show helpful text about the different subcommands",
        "O(1)",
        "",
    ),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("slowlog", -2, 0, "server", slowlog)
    .doc(
        "2.2.12",
        "A container for slow log commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(SUBCOMMANDS)];

const HELP: &[&str] = &[
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
];

fn slowlog(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[0]);
}

/// ```text
/// SLOWLOG GET [count]
/// ```
/// The newest `count` entries (10 by default, all for -1), newest first;
/// each is `[id, unix time, µs, [arg ...], "ip:port", name]`.
fn get(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let count = match a.len() {
        2 => 10,
        3 => match args::int(a[2]) {
            Ok(-1) => usize::MAX,
            Ok(n) if n >= 0 => n as usize,
            Ok(_) => return ctx.error(errors::SLOWLOG_COUNT),
            Err(e) => return ctx.error(e),
        },
        _ => return ctx.error(&errors::subcommand_syntax(a[1], a[0])),
    };
    let entries = ctx.srv.slowlog.newest(count);
    ctx.out.array(entries.len());
    for e in &entries {
        ctx.out.array(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time as i64);
        ctx.out.int(e.usec.min(i64::MAX as u64) as i64);
        ctx.out.bulks(e.argv.iter());
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
}

/// ```text
/// SLOWLOG LEN
/// ```
fn len(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.int(ctx.srv.slowlog.len() as i64);
}

/// ```text
/// SLOWLOG RESET
/// ```
fn reset(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.srv.slowlog.reset();
    ctx.out.ok();
}

fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn with_a_zero_threshold_every_command_is_logged_newest_first() {
        let mut h = Harness::new();
        h.run("CONFIG SET slowlog-log-slower-than 0");
        h.run("SLOWLOG RESET");
        h.run("SET k v");
        h.run("CLIENT SETNAME me");
        let r = h.run("SLOWLOG GET 2");
        assert!(r.starts_with("*2\r\n*6\r\n:"), "{r}");
        assert!(
            r.contains("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$2\r\nme\r\n$11\r\n127.0.0.1:1\r\n$2\r\nme\r\n"),
            "{r}"
        );
        assert!(
            r.contains("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$11\r\n127.0.0.1:1\r\n$0\r\n\r\n"),
            "{r}"
        );
        assert_eq!(h.run("SLOWLOG LEN"), ":4\r\n", "RESET, SET, SETNAME, GET");
    }

    #[test]
    fn a_negative_threshold_turns_the_log_off_and_max_len_bounds_it() {
        let mut h = Harness::new();
        h.run("CONFIG SET slowlog-log-slower-than 0 slowlog-max-len 3");
        for _ in 0..10 {
            h.run("PING");
        }
        assert_eq!(h.run("SLOWLOG LEN"), ":3\r\n");
        h.run("CONFIG SET slowlog-log-slower-than -1");
        h.run("SLOWLOG RESET");
        h.run("PING");
        assert_eq!(h.run("SLOWLOG LEN"), ":0\r\n");
    }

    #[test]
    fn slowlog_errors_use_redis_wording() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("SLOWLOG GET -2"),
            "-ERR count should be greater than or equal to -1\r\n"
        );
        assert_eq!(
            h.run("SLOWLOG GET x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run("SLOWLOG GET 1 2"),
            "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"
        );
        assert_eq!(
            h.run("SLOWLOG LEN 1"),
            "-ERR wrong number of arguments for 'slowlog|len' command\r\n"
        );
        assert!(h.run("SLOWLOG HELP").starts_with("*12\r\n+SLOWLOG <subcommand>"));
    }

    #[test]
    fn passwords_are_redacted_as_redis_redacts_them() {
        let mut h = Harness::new();
        h.run("CONFIG SET slowlog-log-slower-than 0");
        h.run("SLOWLOG RESET");
        h.run("AUTH secret");
        h.run("HELLO 2 AUTH default secret SETNAME x");
        h.run("CONFIG SET masterauth secret hz 10");
        let r = h.run("SLOWLOG GET 3");
        assert!(!r.contains("secret"), "{r}");
        assert!(r.contains("*2\r\n$4\r\nAUTH\r\n$10\r\n(redacted)\r\n"), "{r}");
        assert!(
            r.contains("$4\r\nAUTH\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n$7\r\nSETNAME\r\n$1\r\nx\r\n"),
            "{r}"
        );
        assert!(
            r.contains("$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n$2\r\nhz\r\n$2\r\n10\r\n"),
            "{r}"
        );
        // MIGRATE's passwords, up to KEYS (the target is unreachable).
        h.run("SLOWLOG RESET");
        h.run("MIGRATE 127.0.0.1 1 \"\" 0 10 AUTH secret AUTH2 user secret KEYS k");
        let r = h.run("SLOWLOG GET 1");
        assert!(!r.contains("secret") && !r.contains("user"), "{r}");
        assert!(r.contains("$4\r\nKEYS\r\n$1\r\nk\r\n"), "{r}");
    }

    #[test]
    fn exec_is_not_logged_but_what_it_ran_is() {
        let mut h = Harness::new();
        h.run("CONFIG SET slowlog-log-slower-than 0");
        h.run("SLOWLOG RESET");
        h.run("MULTI");
        h.run("SET k v");
        h.run("EXEC");
        let r = h.run("SLOWLOG GET");
        assert!(r.starts_with("*3\r\n"), "SLOWLOG RESET, MULTI and SET, not EXEC: {r}");
        assert!(!r.contains("EXEC"), "{r}");
    }
}
