//! Lua scripts: EVAL, EVALSHA, their read-only forms, and SCRIPT. The
//! engine is [`crate::script`]; these handlers parse the arguments and
//! hand it plain values.

use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::{args, dispatch_sub, errors, help_reply, spec, CommandSpec, Ctx};
use crate::script::{self, Call, Outcome, Source};

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("eval", -3, EVAL_FLAGS | MAY_REPLICATE, "scripting", eval)
        .key_specs(&[key(2, RW | ACCESS | UPDATE)
            .keynum(0, 1, 1)
            .notes("A script's use of its keys is unknown, so the most a script may do is assumed: read and update")])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "2.6.0",
            "Executes a server-side Lua script.",
            "Depends on the script that is executed.",
            "script numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("evalsha", -3, EVAL_FLAGS | MAY_REPLICATE, "scripting", evalsha)
        .key_specs(&[key(2, RW | ACCESS | UPDATE).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "2.6.0",
            "Executes a server-side Lua script by SHA1 digest.",
            "Depends on the script that is executed.",
            "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("eval_ro", -3, READONLY | EVAL_FLAGS, "scripting", eval_ro)
        .key_specs(&[key(2, RO | ACCESS)
            .keynum(0, 1, 1)
            .notes("A read-only script may only read its keys")])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Executes a read-only server-side Lua script.",
            "Depends on the script that is executed.",
            "script numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("evalsha_ro", -3, READONLY | EVAL_FLAGS, "scripting", evalsha_ro)
        .key_specs(&[key(2, RO | ACCESS).keynum(0, 1, 1)])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Executes a read-only server-side Lua script by SHA1 digest.",
            "Depends on the script that is executed.",
            "sha1 numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("script", -2, 0, "scripting", script_cmd)
        .acl(0)
        .doc(
            "2.6.0",
            "A container for Lua scripts management commands.",
            "Depends on subcommand.",
            "",
        )
        .subs(SCRIPT_SUBCOMMANDS),
];

const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    spec("script|load", 3, NOSCRIPT | STALE, "scripting", load).doc(
        "2.6.0",
        "Loads a server-side Lua script to the script cache.",
        "O(N) with N being the length in bytes of the script body.",
        "script",
    ),
    spec("script|exists", -3, NOSCRIPT, "scripting", exists).doc(
        "2.6.0",
        "Determines whether server-side Lua scripts exist in the script cache.",
        "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
        "sha1 [sha1 ...]",
    ),
    spec("script|flush", -2, NOSCRIPT, "scripting", flush).doc(
        "2.6.0",
        "Removes all server-side Lua scripts from the script cache.",
        "O(N) with N being the number of scripts in cache",
        "[ASYNC | SYNC]",
    ),
    spec("script|kill", 2, NOSCRIPT | ALLOW_BUSY, "scripting", kill).doc(
        "2.6.0",
        "Terminates a server-side Lua script during execution.",
        "O(1)",
        "",
    ),
    spec("script|help", 2, LOADING | STALE, "scripting", help).doc(
        "5.0.0",
        "Returns helpful text about the different subcommands.",
        "O(1)",
        "",
    ),
];

type Args<'a> = &'a [&'a [u8]];

/// The keys and arguments after `numkeys` at `a[2]`, with Redis's errors.
pub(crate) fn split_keys<'a>(a: Args<'a>) -> Result<(Args<'a>, Args<'a>), &'static str> {
    let n = args::int(a[2])?;
    if n < 0 {
        return Err(errors::NUMKEYS_NEGATIVE);
    }
    let rest = &a[3..];
    if n as u64 > rest.len() as u64 {
        return Err(errors::NUMKEYS_TOO_MANY);
    }
    Ok(rest.split_at(n as usize))
}

/// Runs a script or function for a handler: the reply goes straight to
/// the connection's output.
pub(crate) fn run(ctx: &mut Ctx<'_>, a: &[&[u8]], src: Source<'_>, read_only: bool) {
    // Shown to monitors before the commands the script runs.
    super::monitor::feed_now(ctx, a);
    let (keys, argv) = match split_keys(a) {
        Ok(k) => k,
        Err(e) => return ctx.error(e),
    };
    let call = Call {
        db: ctx.client.db,
        now: ctx.now,
        read_only,
        keys,
        args: argv,
        caller: Some((&ctx.client.user, &ctx.client.handle)),
        master: ctx.client.master,
    };
    let mark = ctx.out.buf.len();
    match script::run(ctx.srv, src, &call, &mut ctx.out) {
        Outcome::Done => {}
        // The error of a command the script called: counted as that
        // command answered it, so here only as this call's failure.
        Outcome::Failed { counted: true } => ctx.count_failure(),
        Outcome::Failed { counted: false } => {
            // The error the script answered, without its `-` and line end.
            let reply = &ctx.out.buf[mark..];
            let end = reply.iter().position(|&b| b == b'\r').unwrap_or(reply.len());
            let msg = reply.get(1..end).unwrap_or_default().to_vec();
            ctx.count_error(&msg);
        }
    }
}

/// Whether EVAL, EVALSHA or FCALL (`args`) may write, for CLIENT PAUSE
/// WRITE: a script that declared its flags writes unless it declared
/// `no-writes`; one that declared none may write.
pub(crate) fn may_write(srv: &crate::state::Server, args: &[&[u8]]) -> bool {
    script::declared_flags(srv, source_of(args)).is_none_or(|f| f & crate::state::script_flags::NO_WRITES == 0)
}

/// The script EVAL, EVALSHA or FCALL names.
fn source_of<'a>(args: &[&'a [u8]]) -> Source<'a> {
    if args[0].eq_ignore_ascii_case(b"fcall") {
        Source::Function(args[1])
    } else if args[0].eq_ignore_ascii_case(b"evalsha") {
        Source::Sha(args[1])
    } else {
        Source::Body(args[1])
    }
}

/// Whether the script of EVAL, EVALSHA or FCALL declares flags without
/// `no-writes` (one without a shebang declares nothing).
pub(crate) fn declares_writes(srv: &crate::state::Server, args: &[&[u8]]) -> bool {
    script::declared_flags(srv, source_of(args)).is_some_and(|f| f & crate::state::script_flags::NO_WRITES == 0)
}

/// ```text
/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
/// ```
fn eval(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    run(ctx, a, Source::Body(a[1]), false)
}

/// ```text
/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
fn evalsha(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    run(ctx, a, Source::Sha(a[1]), false)
}

/// ```text
/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// Write commands inside answer an error.
fn eval_ro(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    run(ctx, a, Source::Body(a[1]), true)
}

/// ```text
/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
fn evalsha_ro(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    run(ctx, a, Source::Sha(a[1]), true)
}

fn script_cmd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[4]);
}

/// ```text
/// SCRIPT LOAD script
/// ```
fn load(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match script::load_script(ctx.srv, a[2]) {
        Ok(sha) => ctx.out.bulk(&sha),
        Err(e) => ctx.error(&e),
    }
}

/// ```text
/// SCRIPT EXISTS sha1 [sha1 ...]
/// ```
fn exists(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    ctx.out.array(a.len() - 2);
    for sha in &a[2..] {
        let found = crate::state::parse_sha(sha).is_some_and(|s| ctx.srv.scripts.contains(&s));
        ctx.out.int(found as i64);
    }
}

/// ```text
/// SCRIPT FLUSH [ASYNC | SYNC]
/// ```
fn flush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if args::flush_mode(&a[1..]).is_none() {
        return ctx.error(errors::SCRIPT_FLUSH_OPTION);
    }
    script::flush(ctx.srv);
    ctx.out.ok();
}

/// ```text
/// SCRIPT KILL
/// ```
/// Stops a script past `busy-reply-threshold` that has not written
/// (-UNKILLABLE when it has, -NOTBUSY when none is busy).
fn kill(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    kill_busy(ctx, crate::state::BusyKind::Script);
}

/// SCRIPT KILL and FUNCTION KILL: stops the busy run if it is of kind
/// `by`, or answers why not.
pub(super) fn kill_busy(ctx: &mut Ctx<'_>, by: crate::state::BusyKind) {
    match ctx.srv.busy.request_kill(by) {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.error(errors::kill_refused(e)),
    }
}

const HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];

/// ```text
/// SCRIPT HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn eval_passes_keys_and_args_and_checks_numkeys() {
        let mut h = Harness::new();
        assert_eq!(
            h.run_args(&[b"EVAL", b"return {KEYS[1], ARGV[1]}", b"1", b"k", b"a"]),
            "*2\r\n$1\r\nk\r\n$1\r\na\r\n"
        );
        assert_eq!(
            h.run_args(&[b"EVAL", b"return 1", b"-1"]),
            "-ERR Number of keys can't be negative\r\n"
        );
        assert_eq!(
            h.run_args(&[b"EVAL", b"return 1", b"3", b"a"]),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        assert_eq!(
            h.run_args(&[b"EVAL", b"return 1", b"1.5"]),
            "-ERR value is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn script_load_then_evalsha_and_exists_until_flush() {
        let mut h = Harness::new();
        let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
        assert_eq!(
            h.run_args(&[b"SCRIPT", b"LOAD", b"return 1"]),
            format!("$40\r\n{sha}\r\n")
        );
        assert_eq!(h.run(&format!("EVALSHA {sha} 0")), ":1\r\n");
        assert_eq!(h.run(&format!("SCRIPT EXISTS {sha} nosuch")), "*2\r\n:1\r\n:0\r\n");
        assert_eq!(h.run("SCRIPT FLUSH SYNC"), "+OK\r\n");
        assert_eq!(
            h.run(&format!("EVALSHA {sha} 0")),
            "-NOSCRIPT No matching script. Please use EVAL.\r\n"
        );
        assert_eq!(
            h.run("SCRIPT FLUSH LATER"),
            "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
        );
        assert_eq!(h.run("SCRIPT KILL"), "-NOTBUSY No scripts in execution right now.\r\n");
    }

    #[test]
    fn eval_ro_refuses_writes_and_counts_the_error() {
        let mut h = Harness::new();
        let body = b"return redis.call('set', 'k', 'v')";
        let r = h.run_args(&[b"EVAL_RO", body, b"0"]);
        assert!(
            r.starts_with("-ERR Write commands are not allowed from read-only scripts. script: "),
            "{r}"
        );
        assert_eq!(h.run("GET k"), "$-1\r\n");
        assert!(h.srv.stats.error_replies.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    }

    #[test]
    fn scripts_run_in_the_callers_database() {
        let mut h = Harness::new();
        h.run("SELECT 2");
        h.run_args(&[b"EVAL", b"return redis.call('set', 'k', 'in2')", b"0"]);
        assert_eq!(h.run("GET k"), "$3\r\nin2\r\n");
        h.run("SELECT 0");
        assert_eq!(h.run("GET k"), "$-1\r\n");
    }

    #[test]
    fn info_memory_counts_cached_scripts() {
        let mut h = Harness::new();
        h.run_args(&[b"SCRIPT", b"LOAD", b"return 1"]);
        h.run_args(&[b"EVAL", b"return 2", b"0"]);
        let info = h.run("INFO memory");
        assert!(info.contains("number_of_cached_scripts:2\r\n"), "{info}");
        assert!(info.contains("used_memory_scripts_eval:16\r\n"), "{info}");
    }

    #[test]
    fn getkeys_counts_keys_by_numkeys() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("COMMAND GETKEYS EVAL body 2 a b x"),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(h.run("COMMAND GETKEYS FCALL_RO f 1 a x"), "*1\r\n$1\r\na\r\n");
        assert_eq!(h.run("COMMAND GETKEYS EVAL body 0 x"), "*0\r\n");
    }

    #[test]
    fn wrongtype_from_redis_call_names_the_script() {
        let mut h = Harness::new();
        h.run("SET s abc");
        let r = h.run_args(&[b"EVAL", b"return redis.call('lpush', 's', 'x')", b"0"]);
        assert!(
            r.starts_with("-WRONGTYPE Operation against a key holding the wrong kind of value script: "),
            "{r}"
        );
        assert!(r.ends_with(", on @user_script:1.\r\n"), "{r}");
    }
}
