//! Lua functions: FUNCTION LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE,
//! STATS, KILL and HELP, and FCALL / FCALL_RO. Libraries live in
//! [`crate::state::Scripts`]; each thread's Lua state compiles a library
//! the first time it calls one of its functions.

use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::{args, dispatch_sub, errors, help_reply, spec, CommandSpec, Ctx};
use crate::repl::rdb::{self, dump::FunctionsPayloadError};
use crate::script::{self, Source};
use crate::state::script_flags;
use crate::state::Join;

const FCALL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("fcall", -3, FCALL_FLAGS | MAY_REPLICATE, "scripting", fcall)
        .key_specs(&[key(2, RW | ACCESS | UPDATE).keynum(0, 1, 1).notes(
            "A function's use of its keys is unknown, so the most a function may do is assumed: read and update",
        )])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Invokes a function.",
            "Depends on the function that is executed.",
            "function numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("fcall_ro", -3, READONLY | FCALL_FLAGS, "scripting", fcall_ro)
        .key_specs(&[key(2, RO | ACCESS)
            .keynum(0, 1, 1)
            .notes("A read-only function may only read its keys")])
        .key_finder(finders::numkeys_at_2)
        .doc(
            "7.0.0",
            "Invokes a read-only function.",
            "Depends on the function that is executed.",
            "function numkeys [key [key ...]] [arg [arg ...]]",
        ),
    spec("function", -2, 0, "scripting", function_cmd)
        .acl(0)
        .doc(
            "7.0.0",
            "A container for function commands.",
            "Depends on subcommand.",
            "",
        )
        .subs(SUBCOMMANDS),
];

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("function|load", -3, WRITE | DENYOOM | NOSCRIPT, "scripting", load).doc(
        "7.0.0",
        "Creates a library.",
        "O(1) (considering compilation time is redundant)",
        "[REPLACE] function-code",
    ),
    spec("function|list", -2, NOSCRIPT, "scripting", list).doc(
        "7.0.0",
        "Returns information about all libraries.",
        "O(N) where N is the number of functions",
        "[LIBRARYNAME library-name-pattern] [WITHCODE]",
    ),
    spec("function|delete", 3, WRITE | NOSCRIPT, "scripting", delete).doc(
        "7.0.0",
        "Deletes a library and its functions.",
        "O(1)",
        "library-name",
    ),
    spec("function|flush", -2, WRITE | NOSCRIPT, "scripting", flush).doc(
        "7.0.0",
        "Deletes all libraries and functions.",
        "O(N) where N is the number of functions deleted",
        "[ASYNC | SYNC]",
    ),
    spec("function|dump", 2, NOSCRIPT, "scripting", dump).doc(
        "7.0.0",
        "Dumps all libraries into a serialized binary payload.",
        "O(N) where N is the number of functions",
        "",
    ),
    spec("function|restore", -3, WRITE | DENYOOM | NOSCRIPT, "scripting", restore).doc(
        "7.0.0",
        "Restores all libraries from a payload.",
        "O(N) where N is the number of functions on the payload",
        "serialized-value [FLUSH | APPEND | REPLACE]",
    ),
    spec("function|stats", 2, NOSCRIPT | ALLOW_BUSY, "scripting", stats).doc(
        "7.0.0",
        "Returns information about a function during execution.",
        "O(1)",
        "",
    ),
    spec("function|kill", 2, NOSCRIPT | ALLOW_BUSY, "scripting", kill).doc(
        "7.0.0",
        "Terminates a function during execution.",
        "O(1)",
        "",
    ),
    spec("function|help", 2, LOADING | STALE, "scripting", help).doc(
        "7.0.0",
        "Returns helpful text about the different subcommands.",
        "O(1)",
        "",
    ),
];

/// ```text
/// FCALL function numkeys [key [key ...]] [arg [arg ...]]
/// ```
fn fcall(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if function_call_ok(ctx, a) {
        super::scripting::run(ctx, a, Source::Function(a[1]), false)
    }
}

/// FCALL's checks in Redis's order: the function exists, then its
/// number of keys reads as an integer.
fn function_call_ok(ctx: &mut Ctx<'_>, a: &[&[u8]]) -> bool {
    if ctx.srv.scripts.function(a[1]).is_none() {
        ctx.error(errors::FUNCTION_NOT_FOUND);
        return false;
    }
    if args::int(a[2]).is_err() {
        ctx.error(errors::BAD_NUMBER_OF_KEYS);
        return false;
    }
    true
}

/// ```text
/// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// Only for functions flagged `no-writes`.
fn fcall_ro(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if function_call_ok(ctx, a) {
        super::scripting::run(ctx, a, Source::Function(a[1]), true)
    }
}

fn function_cmd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[2]);
}

/// ```text
/// FUNCTION LOAD [REPLACE] function-code
/// ```
fn load(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let (replace, code) = match a.len() {
        3 => (false, a[2]),
        4 if args::is(a[2], "replace") => (true, a[3]),
        _ => return ctx.error(&errors::unknown_option(a[2])),
    };
    match script::load_library(ctx.srv, code, replace) {
        Ok(name) => ctx.out.bulk(name.as_bytes()),
        Err(e) => ctx.error(&e),
    }
}

/// ```text
/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
/// ```
fn list(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut pattern = None;
    let mut with_code = false;
    let mut i = 2;
    while i < a.len() {
        if !with_code && args::is(a[i], "withcode") {
            with_code = true;
        } else if pattern.is_none() && args::is(a[i], "libraryname") {
            let Some(p) = a.get(i + 1) else {
                return ctx.error(errors::LIBRARY_NAME_MISSING);
            };
            pattern = Some(*p);
            i += 1;
        } else {
            return ctx.error(&errors::unknown_argument(a[i]));
        }
        i += 1;
    }
    let libs = script::list_libraries(ctx.srv, pattern);
    let out = &mut ctx.out;
    out.array(libs.len());
    for lib in &libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in &lib.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = script_flags::NAMES
                .iter()
                .filter(|(bit, _)| f.flags & bit != 0)
                .map(|&(_, n)| n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
}

/// ```text
/// FUNCTION DELETE library-name
/// ```
fn delete(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if ctx.srv.scripts.delete_library(a[2]) {
        ctx.out.ok();
    } else {
        ctx.error(errors::LIBRARY_NOT_FOUND);
    }
}

/// ```text
/// FUNCTION FLUSH [ASYNC | SYNC]
/// ```
fn flush(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 3 {
        return ctx.error(&errors::subcommand_syntax(a[1], a[0]));
    }
    if args::flush_mode(&a[1..]).is_none() {
        return ctx.error(errors::FUNCTION_FLUSH_OPTION);
    }
    ctx.srv.scripts.flush_libraries();
    ctx.out.ok();
}

/// ```text
/// FUNCTION DUMP
/// ```
fn dump(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let libs = ctx.srv.scripts.libraries();
    let compress = super::dump::compress(ctx);
    let payload = rdb::dump::functions_payload(libs.iter().map(|l| &*l.code), compress);
    ctx.out.bulk(&payload);
}

/// ```text
/// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
/// ```
fn restore(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 4 {
        return ctx.error(&errors::subcommand_syntax(a[1], a[0]));
    }
    let policy = match a.get(3) {
        None => Join::Append,
        Some(p) if args::is(p, "append") => Join::Append,
        Some(p) if args::is(p, "replace") => Join::Replace,
        Some(p) if args::is(p, "flush") => Join::Flush,
        Some(_) => return ctx.error(errors::RESTORE_POLICY),
    };
    let codes = match rdb::dump::parse_functions_payload(a[2]) {
        Ok(codes) => codes,
        Err(e) => {
            return ctx.error(&match e {
                FunctionsPayloadError::VersionOrChecksum => errors::DUMP_PAYLOAD.to_string(),
                FunctionsPayloadError::NoType => errors::NO_DATA_TYPE.to_string(),
                FunctionsPayloadError::NotAFunction => errors::NOT_A_FUNCTION.to_string(),
                FunctionsPayloadError::Cut(field) => errors::library_field_cut(field),
            })
        }
    };
    match script::restore_libraries(ctx.srv, &codes, policy) {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.error(&e),
    }
}

/// ```text
/// FUNCTION STATS
/// ```
/// running_script describes a function past `busy-reply-threshold` (the
/// only one other clients can see running, as in Redis); nil otherwise.
fn stats(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let libs = ctx.srv.scripts.libraries().len();
    let funcs = ctx.srv.scripts.function_count();
    let running = ctx.srv.busy.running_function();
    let out = &mut ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match running {
        None => out.null(),
        Some(f) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"command");
            out.bulks(f.command.iter());
            out.bulk(b"duration_ms");
            out.int(f.started.elapsed().as_millis() as i64);
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(libs as i64);
    out.bulk(b"functions_count");
    out.int(funcs as i64);
}

/// ```text
/// FUNCTION KILL
/// ```
fn kill(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::scripting::kill_busy(ctx, crate::state::BusyKind::Function);
}

const HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

/// ```text
/// FUNCTION HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    const LIB: &[u8] = b"#!lua name=lib\nredis.register_function('f', function(keys, args) return redis.call('incr', keys[1]) end)\nredis.register_function{function_name='ro', callback=function() return 'ro' end, flags={'no-writes'}, description='reads'}";

    #[test]
    fn load_call_list_delete() {
        let mut h = Harness::new();
        assert_eq!(h.run_args(&[b"FUNCTION", b"LOAD", LIB]), "$3\r\nlib\r\n");
        assert_eq!(h.run("FCALL f 1 n"), ":1\r\n");
        assert_eq!(h.run("FCALL f 1 n"), ":2\r\n");
        assert_eq!(h.run("FCALL_RO ro 0"), "$2\r\nro\r\n");
        assert_eq!(
            h.run("FCALL_RO f 1 n"),
            "-ERR Can not execute a script with write flag using *_ro command.\r\n"
        );
        assert_eq!(
            h.run("FUNCTION LIST LIBRARYNAME lib"),
            "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*2\r\n\
             *6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n\
             *6\r\n$4\r\nname\r\n$2\r\nro\r\n$11\r\ndescription\r\n$5\r\nreads\r\n$5\r\nflags\r\n*1\r\n+no-writes\r\n"
        );
        assert_eq!(h.run("FUNCTION LIST LIBRARYNAME x*"), "*0\r\n");
        assert_eq!(h.run("FUNCTION LIST BAD"), "-ERR Unknown argument BAD\r\n");
        assert_eq!(h.run("FUNCTION DELETE lib"), "+OK\r\n");
        assert_eq!(h.run("FUNCTION DELETE lib"), "-ERR Library not found\r\n");
        assert_eq!(h.run("FCALL f 1 n"), "-ERR Function not found\r\n");
    }

    /// Argument errors in Redis 7.0's order and words.
    #[test]
    fn argument_errors_match_redis() {
        let mut h = Harness::new();
        assert_eq!(h.run("FCALL nosuch bad_arg"), "-ERR Function not found\r\n");
        h.run_args(&[b"FUNCTION", b"LOAD", LIB]);
        assert_eq!(h.run("FCALL f bad_arg"), "-ERR Bad number of keys provided\r\n");
        assert_eq!(h.run("FCALL_RO f bad_arg"), "-ERR Bad number of keys provided\r\n");
        assert_eq!(
            h.run("FUNCTION FLUSH bad_arg"),
            "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
        );
        assert_eq!(
            h.run("FUNCTION FLUSH sync extra_arg"),
            "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.\r\n"
        );
        assert_eq!(
            h.run("FUNCTION LIST WITHCODE WITHCODE"),
            "-ERR Unknown argument WITHCODE\r\n"
        );
        assert_eq!(
            h.run("FUNCTION LIST LIBRARYNAME a LIBRARYNAME b"),
            "-ERR Unknown argument LIBRARYNAME\r\n"
        );
        let once = b"#!lua name=once\nredis.register_function('f1')";
        assert!(h
            .run_args(&[b"FUNCTION", b"LOAD", once])
            .contains("calling redis.register_function with a single argument is only applicable to Lua table"));
        let late = b"#!lua name=late\nlocal lib = redis\n\
            lib.register_function('f2', function() lib.register_function('f3', function() end) end)";
        assert_eq!(h.run_args(&[b"FUNCTION", b"LOAD", late]), "$4\r\nlate\r\n");
        assert!(h
            .run("FCALL f2 0")
            .contains("redis.register_function can only be called on FUNCTION LOAD command"));
    }

    #[test]
    fn a_function_name_is_owned_by_one_library() {
        let mut h = Harness::new();
        h.run_args(&[b"FUNCTION", b"LOAD", LIB]);
        let other = b"#!lua name=other\nredis.register_function('f', function() return 1 end)";
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"LOAD", other]),
            "-ERR Function f already exists\r\n"
        );
        // REPLACE of the same library may keep its names.
        assert_eq!(h.run_args(&[b"FUNCTION", b"LOAD", b"REPLACE", LIB]), "$3\r\nlib\r\n");
        assert_eq!(h.run("FUNCTION FLUSH"), "+OK\r\n");
        assert_eq!(h.run_args(&[b"FUNCTION", b"LOAD", other]), "$5\r\nother\r\n");
    }

    #[test]
    fn stats_counts_libraries_and_functions() {
        let mut h = Harness::new();
        h.run_args(&[b"FUNCTION", b"LOAD", LIB]);
        assert_eq!(
            h.run("FUNCTION STATS"),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n\
             $15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n"
        );
    }

    /// FUNCTION DUMP's payload for `codes`.
    fn payload(codes: &[&[u8]]) -> Vec<u8> {
        crate::repl::rdb::dump::functions_payload(codes.iter().copied(), true)
    }

    #[test]
    fn dump_replies_with_every_library() {
        let mut h = Harness::new();
        h.run_args(&[b"FUNCTION", b"LOAD", LIB]);
        let p = payload(&[LIB]);
        let body = String::from_utf8_lossy(&p);
        assert_eq!(h.run("FUNCTION DUMP"), format!("${}\r\n{body}\r\n", p.len()));
    }

    #[test]
    fn restore_appends_replaces_or_flushes() {
        let mut h = Harness::new();
        let other: &[u8] = b"#!lua name=other\nredis.register_function('g', function() return 'g' end)";
        let old: &[u8] = b"#!lua name=lib\nredis.register_function('old', function() return 'old' end)";
        let p = payload(&[LIB]);
        h.run_args(&[b"FUNCTION", b"LOAD", other]);
        assert_eq!(h.run_args(&[b"FUNCTION", b"RESTORE", &p]), "+OK\r\n");
        assert_eq!(h.run("FCALL f 1 n"), ":1\r\n");
        assert_eq!(h.run("FCALL g 0"), "$1\r\ng\r\n");
        // APPEND (the default) refuses a library that is there, and
        // changes nothing.
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"RESTORE", &p, b"append"]),
            "-ERR Library lib already exists\r\n"
        );
        h.run_args(&[b"FUNCTION", b"LOAD", b"REPLACE", old]);
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"RESTORE", &p]),
            "-ERR Library lib already exists\r\n"
        );
        assert_eq!(h.run("FCALL old 0"), "$3\r\nold\r\n");
        // REPLACE swaps the library of that name, functions and all.
        assert_eq!(h.run_args(&[b"FUNCTION", b"RESTORE", &p, b"REPLACE"]), "+OK\r\n");
        assert_eq!(h.run("FCALL f 1 n"), ":2\r\n");
        assert!(h.run("FCALL old 0").starts_with("-ERR Function not found"));
        assert_eq!(h.run("FCALL g 0"), "$1\r\ng\r\n");
        // FLUSH leaves only the payload's libraries.
        assert_eq!(h.run_args(&[b"FUNCTION", b"RESTORE", &p, b"Flush"]), "+OK\r\n");
        assert!(h.run("FCALL g 0").starts_with("-ERR Function not found"));
        assert_eq!(h.run("FCALL f 1 n"), ":3\r\n");
    }

    #[test]
    fn restore_of_a_colliding_function_changes_nothing() {
        let mut h = Harness::new();
        let taker: &[u8] = b"#!lua name=taker\nredis.register_function('f', function() return 'taken' end)";
        let p = payload(&[LIB]);
        h.run_args(&[b"FUNCTION", b"LOAD", taker]);
        for policy in [&b"APPEND"[..], b"REPLACE"] {
            assert_eq!(
                h.run_args(&[b"FUNCTION", b"RESTORE", &p, policy]),
                "-ERR Function f already exists\r\n"
            );
        }
        assert!(h.run("FCALL ro 0").starts_with("-ERR Function not found"));
        assert_eq!(h.run("FCALL f 0"), "$5\r\ntaken\r\n");
        // Two libraries of one payload may not share a name.
        let p = payload(&[LIB, LIB]);
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"RESTORE", &p, b"FLUSH"]),
            "-ERR Library 'lib' already exists\r\n"
        );
        assert_eq!(h.run("FCALL f 0"), "$5\r\ntaken\r\n");
    }

    #[test]
    fn restore_refuses_bad_payloads_and_arguments() {
        let mut h = Harness::new();
        h.run_args(&[b"FUNCTION", b"LOAD", LIB]);
        assert_eq!(
            h.run("FUNCTION RESTORE bad_payload"),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        let p = payload(&[LIB]);
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"RESTORE", &p, b"merge"]),
            "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n"
        );
        assert_eq!(
            h.run("FUNCTION RESTORE a b c"),
            "-ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.\r\n"
        );
        // A key's DUMP is not a library.
        h.run("SET k v");
        let value = crate::repl::rdb::dump::payload(crate::store::ValueRef::Str(b"v"), false);
        assert_eq!(
            h.run_args(&[b"FUNCTION", b"RESTORE", &value]),
            "-ERR given type is not a function\r\n"
        );
        // A library that does not compile.
        let broken = payload(&[b"#!lua name=broken\nreturn ("]);
        assert!(h
            .run_args(&[b"FUNCTION", b"RESTORE", &broken])
            .starts_with("-ERR Error compiling function"));
        assert_eq!(h.run("FCALL f 1 n"), ":1\r\n");
    }
}
