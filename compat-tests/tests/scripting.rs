//! Lua scripting and functions through the `redis` crate and raw RESP
//! transcripts, against the real binary: EVAL, EVALSHA (with the crate's
//! Script, which falls back to EVAL on NOSCRIPT), the read-only forms,
//! SCRIPT, FUNCTION and FCALL, the scripts real libraries send, and the
//! error replies byte for byte as Redis 7.0 words them.

use compat_tests::{multibulk, Frame, Server, Wire};
use redis::Value;

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn cmd(w: &mut Wire, args: &[&str]) -> Frame {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    w.cmd(&args)
}

/// The error a command answers, as the server worded it.
fn err(w: &mut Wire, args: &[&str]) -> String {
    match cmd(w, args) {
        Frame::Error(e) => e,
        f => panic!("{args:?} succeeded: {f:?}"),
    }
}

/// The raw bytes of the reply to `args`, which must be `expect` long.
fn raw(w: &mut Wire, args: &[&str], expect: &str) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    w.exchange(&multibulk(&args), expect.as_bytes());
}

fn sha1(body: &str) -> String {
    redis::Script::new(body).get_hash().to_string()
}

const RELEASE: &str =
    r#"if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end"#;
const EXTEND: &str =
    r#"if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("pexpire",KEYS[1],ARGV[2]) else return 0 end"#;

#[test]
fn lock_release_deletes_only_with_the_owners_token() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let release = redis::Script::new(RELEASE);
    let _: () = q(&mut con, &["SET", "lock", "token-a", "PX", "30000"]);
    let n: i64 = release.key("lock").arg("token-b").invoke(&mut con).unwrap();
    assert_eq!(n, 0);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "lock"]), Some("token-a".into()));
    let n: i64 = release.key("lock").arg("token-a").invoke(&mut con).unwrap();
    assert_eq!(n, 1);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "lock"]), None);
    // After SCRIPT FLUSH, the crate's EVALSHA gets NOSCRIPT and falls back to EVAL.
    let _: () = q(&mut con, &["SCRIPT", "FLUSH"]);
    let n: i64 = release.key("lock").arg("token-a").invoke(&mut con).unwrap();
    assert_eq!(n, 0);
    let exists: Vec<i64> = q(&mut con, &["SCRIPT", "EXISTS", &sha1(RELEASE)]);
    assert_eq!(exists, [1]);
}

#[test]
fn lock_extend_moves_the_expiry_only_for_the_owner() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let extend = redis::Script::new(EXTEND);
    let _: () = q(&mut con, &["SET", "lock", "me", "PX", "1000"]);
    let n: i64 = extend.key("lock").arg("other").arg("600000").invoke(&mut con).unwrap();
    assert_eq!(n, 0);
    assert!(q::<i64>(&mut con, &["PTTL", "lock"]) <= 1000);
    let n: i64 = extend.key("lock").arg("me").arg("600000").invoke(&mut con).unwrap();
    assert_eq!(n, 1);
    assert!(q::<i64>(&mut con, &["PTTL", "lock"]) > 500_000);
}

/// A queue pop as job libraries write it: take the due jobs from a sorted
/// set, move them to a list, and answer them as JSON. (Arrays, so the
/// JSON's order does not depend on Lua's table order.)
const QUEUE_POP: &str = r#"
local due = redis.call("zrangebyscore", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
local out = {}
for i, id in ipairs(due) do
    redis.call("zrem", KEYS[1], id)
    redis.call("rpush", KEYS[2], id)
    out[#out + 1] = {id, i, tonumber(ARGV[1]), {name = "job:" .. id}}
end
if #out == 0 then return cjson.encode({}) end
return cjson.encode({out, redis.call("zcard", KEYS[1]), redis.call("llen", KEYS[2]), 0.5})
"#;

#[test]
fn cjson_queue_pop_moves_due_jobs_and_encodes_them() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let _: i64 = q(&mut con, &["ZADD", "delayed", "10", "a", "20", "b", "30", "c"]);
    let pop = redis::Script::new(QUEUE_POP);
    let json: String = pop
        .key("delayed")
        .key("active")
        .arg(25)
        .arg(10)
        .invoke(&mut con)
        .unwrap();
    assert_eq!(
        json,
        r#"[[["a",1,25,{"name":"job:a"}],["b",2,25,{"name":"job:b"}]],1,2,0.5]"#
    );
    let active: Vec<String> = q(&mut con, &["LRANGE", "active", "0", "-1"]);
    assert_eq!(active, ["a", "b"]);
    let json: String = pop
        .key("delayed")
        .key("active")
        .arg(25)
        .arg(10)
        .invoke(&mut con)
        .unwrap();
    assert_eq!(json, "{}");
}

#[test]
fn a_mixed_table_converts_as_redis_converts_it() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    // numbers (truncated), strings, nested tables, true/false, {ok=},
    // {err=} inside, and the array stops at the nil hole.
    raw(
        &mut w,
        &[
            "EVAL",
            r#"return {1, 2.9, -3.5, "s", {"n", {7}}, true, false, {ok="fine"}, {err="ERR inner"}, nil, "after"}"#,
            "0",
        ],
        "*9\r\n:1\r\n:2\r\n:-3\r\n$1\r\ns\r\n*2\r\n$1\r\nn\r\n*1\r\n:7\r\n:1\r\n$-1\r\n+fine\r\n-ERR inner\r\n",
    );
    raw(&mut w, &["EVAL", "return {err='MY error'}", "0"], "-MY error\r\n");
    raw(&mut w, &["EVAL", "return redis.status_reply('DONE')", "0"], "+DONE\r\n");
    raw(
        &mut w,
        &["EVAL", "return redis.error_reply('nocode')", "0"],
        "-ERR nocode\r\n",
    );
    raw(&mut w, &["EVAL", "return {a=1}", "0"], "*0\r\n");
    raw(&mut w, &["EVAL", "return 1e20", "0"], ":-9223372036854775808\r\n");
}

#[test]
fn a_script_may_touch_keys_it_did_not_declare() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let n: i64 = redis::cmd("EVAL")
        .arg("redis.call('set', 'undeclared:' .. ARGV[1], KEYS[1]) return redis.call('incr', 'counter')")
        .arg(1)
        .arg("declared")
        .arg("x")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(q::<String>(&mut con, &["GET", "undeclared:x"]), "declared");
}

#[test]
fn eval_keys_argv_and_the_script_cache() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let v: Vec<String> = q(
        &mut con,
        &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1]}", "2", "a", "b", "c"],
    );
    assert_eq!(v, ["a", "b", "c"]);
    // EVAL caches the body under its SHA1; EVALSHA accepts it in any case.
    let sha = sha1("return {KEYS[1], KEYS[2], ARGV[1]}");
    // One key: KEYS[2] is nil, where the array stops.
    let v: Vec<String> = q(&mut con, &["EVALSHA", &sha.to_uppercase(), "1", "k", "x"]);
    assert_eq!(v, ["k"]);
    let loaded: String = q(&mut con, &["SCRIPT", "LOAD", "return 'loaded'"]);
    assert_eq!(loaded, sha1("return 'loaded'"));
    assert_eq!(q::<String>(&mut con, &["EVALSHA_RO", &loaded, "0"]), "loaded");
    let e: Vec<i64> = q(
        &mut con,
        &["SCRIPT", "EXISTS", &loaded, "ffffffffffffffffffffffffffffffffffffffff"],
    );
    assert_eq!(e, [1, 0]);
    assert_eq!(q::<String>(&mut con, &["SCRIPT", "FLUSH", "ASYNC"]), "OK");
    let e: Vec<i64> = q(&mut con, &["SCRIPT", "EXISTS", &loaded]);
    assert_eq!(e, [0]);
}

#[test]
fn eval_errors_are_worded_as_redis_7() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["SET", "str", "abc"]);
    assert_eq!(
        err(&mut w, &["EVAL", "return 1", "-1"]),
        "ERR Number of keys can't be negative"
    );
    assert_eq!(
        err(&mut w, &["EVAL", "return 1", "2", "a"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err(&mut w, &["EVAL", "return 1", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut w, &["EVAL", "return 1"]),
        "ERR wrong number of arguments for 'eval' command"
    );
    assert_eq!(
        err(&mut w, &["EVALSHA", "abc", "0"]),
        "NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(
        err(&mut w, &["EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0"]),
        "NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(
        err(&mut w, &["EVAL", "return syntax error here", "0"]),
        "ERR Error compiling script (new function): user_script:1: '<eof>' expected near 'error'"
    );
    let body = "return x";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        format!(
            "ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: {}, on @user_script:1.",
            sha1(body)
        )
    );
    let body = "x = 1";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        format!(
            "ERR user_script:1: Attempt to modify a readonly table script: {}, on @user_script:1.",
            sha1(body)
        )
    );
    let body = "local a = 1\nreturn redis.call('incr', 'str')";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        format!(
            "ERR value is not an integer or out of range script: {}, on @user_script:2.",
            sha1(body)
        )
    );
    let body = "return redis.call('hset', 'str', 'f', 'v')";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        format!(
            "WRONGTYPE Operation against a key holding the wrong kind of value script: {}, on @user_script:1.",
            sha1(body)
        )
    );
    let body = "return redis.pcall('incr', 'str')";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        "ERR value is not an integer or out of range"
    );
    for (body, msg) in [
        (
            "return redis.call('nosuch')",
            "ERR Unknown Redis command called from script",
        ),
        (
            "return redis.call()",
            "ERR Please specify at least one argument for this redis lib call",
        ),
        (
            "return redis.call('get', {})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('get')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call('eval', 'return 1', '0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('blpop', 'l', '0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('config', 'get', 'x')",
            "ERR This Redis command is not allowed from script",
        ),
        ("error({err='MYERR custom'})", "MYERR custom"),
        ("return error('boom')", "ERR user_script:1: boom"),
        (
            "return cjson.decode('x')",
            "ERR user_script:1: Expected value but found invalid token at character 1",
        ),
        ("redis.setresp(4)", "ERR RESP version must be 2 or 3."),
    ] {
        assert_eq!(
            err(&mut w, &["EVAL", body, "0"]),
            format!("{msg} script: {}, on @user_script:1.", sha1(body)),
            "{body}"
        );
    }
}

#[test]
fn read_only_scripts_refuse_writes() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let body = "return redis.call('set', 'a', '1')";
    assert_eq!(
        err(&mut w, &["EVAL_RO", body, "0"]),
        format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:1.",
            sha1(body)
        )
    );
    assert_eq!(
        cmd(&mut w, &["EVAL_RO", "return redis.call('get', 'a')", "0"]),
        Frame::Null
    );
    let body = "#!lua flags=no-writes\nreturn redis.call('set', 'a', '1')";
    assert_eq!(
        err(&mut w, &["EVAL", body, "0"]),
        format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.",
            sha1(body)
        )
    );
    assert_eq!(
        err(&mut w, &["EVAL_RO", "#!lua\nreturn 1", "0"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(cmd(&mut w, &["GET", "a"]), Frame::Null);
}

/// The error counters after a command: the errorstat lines, the total
/// of error replies, and the commandstats row of each command named.
fn error_counts(con: &mut redis::Connection, commands: &[&str]) -> (Vec<String>, String, Vec<String>) {
    let mut lines = |section: &str, prefix: &str| -> Vec<String> {
        let info: String = q(con, &["INFO", section]);
        info.lines()
            .filter(|l| l.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    let errors = lines("errorstats", "errorstat_");
    let total = lines("stats", "total_error_replies:").concat();
    let rows = lines("commandstats", "cmdstat_");
    let rows = commands
        .iter()
        .map(|c| {
            let row = rows
                .iter()
                .find(|l| l.starts_with(&format!("cmdstat_{c}:")))
                .unwrap_or_else(|| panic!("no row for {c} in {rows:?}"));
            // calls=N and the rejected and failed counts, without the times.
            let calls = row.split(',').next().unwrap_or_default();
            let tail: Vec<&str> = row.rsplit(',').take(2).collect();
            format!("{calls},{},{}", tail[1], tail[0])
        })
        .collect();
    (errors, total, rows)
}

/// Regression: an error a command answered inside a script was counted
/// twice (by the command and by the script's reply), and a call the
/// script refused (OOM, a write from a read-only script) was not counted
/// at all. As in Redis, an error counts once where it arises, and the
/// script counts as failed when it answers one.
#[test]
fn script_errors_count_once_where_they_arise() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let oom = "OOM command not allowed when used memory > 'maxmemory'.";
    let pad = "x".repeat(4096);
    let _: () = q(&mut con, &["SET", "pad", &pad]);
    let _: () = q(&mut con, &["CONFIG", "SET", "maxmemory", "1"]);
    let reset = |con: &mut redis::Connection| {
        let _: () = q(con, &["CONFIG", "RESETSTAT"]);
    };
    let mut w = srv.wire();

    // A write refused for memory: the refused SET is counted as rejected,
    // its error once, and EVAL as failed.
    reset(&mut con);
    let e = err(&mut w, &["EVAL", "return redis.call('set','x','y')", "1", "x"]);
    assert!(e.starts_with(&format!("{oom} script: ")), "{e}");
    let counts = error_counts(&mut con, &["set", "eval"]);
    assert_eq!(counts.0, ["errorstat_OOM:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(
        counts.2,
        [
            "cmdstat_set:calls=0,rejected_calls=1,failed_calls=0",
            "cmdstat_eval:calls=1,rejected_calls=0,failed_calls=1"
        ]
    );

    // Caught with redis.pcall: the same error, and EVAL succeeds.
    reset(&mut con);
    let body = "local t = redis.pcall('set','x','y') return t['err']";
    assert_eq!(q::<String>(&mut con, &["EVAL", body, "1", "x"]), oom);
    let counts = error_counts(&mut con, &["set", "eval"]);
    assert_eq!(counts.0, ["errorstat_OOM:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(counts.2[1], "cmdstat_eval:calls=1,rejected_calls=0,failed_calls=0");

    // The error table returned as the reply: counted once, EVAL failed.
    reset(&mut con);
    let e = err(&mut w, &["EVAL", "return redis.pcall('set','x','y')", "1", "x"]);
    assert_eq!(e, oom);
    let counts = error_counts(&mut con, &["set", "eval"]);
    assert_eq!(counts.0, ["errorstat_OOM:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(counts.2[1], "cmdstat_eval:calls=1,rejected_calls=0,failed_calls=1");
    let _: () = q(&mut con, &["CONFIG", "SET", "maxmemory", "0"]);

    // A command's own error reply, raised: counted once, by the command.
    reset(&mut con);
    let e = err(&mut w, &["EVAL", "return redis.call('select',99)", "0"]);
    assert!(e.starts_with("ERR DB index is out of range script: "), "{e}");
    let counts = error_counts(&mut con, &["select", "eval"]);
    assert_eq!(counts.0, ["errorstat_ERR:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(
        counts.2,
        [
            "cmdstat_select:calls=1,rejected_calls=0,failed_calls=1",
            "cmdstat_eval:calls=1,rejected_calls=0,failed_calls=1"
        ]
    );

    // A write from EVAL_RO, caught: the refused SET counts, EVAL_RO succeeds.
    reset(&mut con);
    let body = "return redis.pcall('set','x','y')['err']";
    assert_eq!(
        q::<String>(&mut con, &["EVAL_RO", body, "1", "x"]),
        "ERR Write commands are not allowed from read-only scripts."
    );
    let counts = error_counts(&mut con, &["set", "eval_ro"]);
    assert_eq!(counts.0, ["errorstat_ERR:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(
        counts.2,
        [
            "cmdstat_set:calls=0,rejected_calls=1,failed_calls=0",
            "cmdstat_eval_ro:calls=1,rejected_calls=0,failed_calls=0"
        ]
    );

    // An error the script makes itself is counted by the script's reply.
    reset(&mut con);
    let e = err(&mut w, &["EVAL", "return redis.error_reply('MY own')", "0"]);
    assert_eq!(e, "MY own");
    let counts = error_counts(&mut con, &["eval"]);
    assert_eq!(counts.0, ["errorstat_MY:count=1"]);
    assert_eq!(counts.1, "total_error_replies:1");
    assert_eq!(counts.2[0], "cmdstat_eval:calls=1,rejected_calls=0,failed_calls=1");
}

/// Regression: with `maxmemory 1` and an empty store, writes went
/// through, and a script's SET with them. Redis refuses every write then
/// (its usage never falls below its baseline): the limit leaves no room
/// for an item.
#[test]
fn maxmemory_smaller_than_any_item_refuses_writes_in_scripts_too() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let oom = "OOM command not allowed when used memory > 'maxmemory'.";
    raw(&mut w, &["CONFIG", "SET", "maxmemory", "1"], "+OK\r\n");
    assert_eq!(err(&mut w, &["SET", "x", "y"]), oom);
    let e = err(&mut w, &["EVAL", "return redis.call('set','x','y')", "1", "x"]);
    assert!(e.starts_with(&format!("{oom} script: ")), "{e}");
    raw(&mut w, &["EVAL", "return redis.call('get','x')", "1", "x"], "$-1\r\n");
    raw(&mut w, &["CONFIG", "SET", "maxmemory", "0"], "+OK\r\n");
    raw(
        &mut w,
        &["EVAL", "return redis.call('set','x','y')", "1", "x"],
        "+OK\r\n",
    );
}

#[test]
fn sandbox_hides_os_io_and_file_loading() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for name in ["os", "io", "loadfile", "dofile", "require", "print"] {
        let body = format!("return {name}");
        assert_eq!(
            err(&mut w, &["EVAL", &body, "0"]),
            format!(
                "ERR user_script:1: Script attempted to access nonexistent global variable '{name}' script: {}, on @user_script:1.",
                sha1(&body)
            )
        );
    }
    raw(&mut w, &["EVAL", "return {type(cjson), type(cmsgpack), type(bit), type(struct), type(string.format), type(table.concat), type(math.floor)}", "0"],
        "*7\r\n$5\r\ntable\r\n$5\r\ntable\r\n$5\r\ntable\r\n$5\r\ntable\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n");
}

#[test]
fn libraries_behave_as_redis_ships_them() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    raw(
        &mut w,
        &["EVAL", "return cjson.encode({1, 2, {a = 1.5}})", "0"],
        "$15\r\n[1,2,{\"a\":1.5}]\r\n",
    );
    raw(&mut w, &["EVAL", "return cjson.encode({})", "0"], "$2\r\n{}\r\n");
    raw(
        &mut w,
        &["EVAL", "return cjson.decode('[1,2,null]')[3] == cjson.null", "0"],
        ":1\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return bit.tohex(bit.bor(0xf0, 0x0f))", "0"],
        "$8\r\n000000ff\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return bit.band(bit.lshift(1, 33), 7)", "0"],
        ":2\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return struct.pack('>I2', 258)", "0"],
        "$2\r\n\x01\x02\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return {struct.unpack('>I2', '\\1\\2')}", "0"],
        "*2\r\n:258\r\n:3\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return cmsgpack.pack({1, 2, 3}) == '\\147\\1\\2\\3'", "0"],
        ":1\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', true))}", "0"],
        "*3\r\n:1\r\n$1\r\na\r\n:1\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return redis.sha1hex('')", "0"],
        "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n",
    );
    raw(
        &mut w,
        &[
            "EVAL",
            "redis.log(redis.LOG_WARNING, 'hi') redis.set_repl(redis.REPL_ALL) return redis.replicate_commands()",
            "0",
        ],
        ":1\r\n",
    );
}

/// Regression: cjson's setting functions were accepted and ignored, so a
/// depth limit never refused anything.
#[test]
fn cjson_settings_take_effect_and_stay_until_changed() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let body = "local doc = {name = 'x', tags = {'a', 'b'}} \
                cjson.encode_max_depth(1) \
                local enc_ok = pcall(cjson.encode, doc) \
                cjson.decode_max_depth(1) \
                local dec_ok = pcall(cjson.decode, '{\"a\": [1]}') \
                local flat_ok = pcall(cjson.decode, '[1, 2]') \
                cjson.encode_max_depth(1000) \
                cjson.decode_max_depth(1000) \
                local keep = cjson.encode_keep_buffer(false) \
                return {enc_ok, dec_ok, flat_ok, keep, cjson.decode(cjson.encode(doc)).tags[2]}";
    // false answers as a null.
    raw(
        &mut w,
        &["EVAL", body, "0"],
        "*5\r\n$-1\r\n$-1\r\n:1\r\n$-1\r\n$1\r\nb\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return {cjson.encode_sparse_array(true, 3, 5)}", "0"],
        "*3\r\n:1\r\n:3\r\n:5\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return cjson.encode({[1] = 1, [20] = 2})", "0"],
        "$14\r\n{\"1\":1,\"20\":2}\r\n",
    );
}

#[test]
fn numbers_passed_to_redis_call_print_as_redis_prints_them() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    raw(
        &mut w,
        &["EVAL", "redis.call('set', 'k', 0.1) return redis.call('get', 'k')", "0"],
        "$19\r\n0.10000000000000001\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "redis.call('set', 'k', 3) return redis.call('get', 'k')", "0"],
        "$1\r\n3\r\n",
    );
    raw(
        &mut w,
        &[
            "EVAL",
            "redis.call('set', 'k', 1e20) return redis.call('get', 'k')",
            "0",
        ],
        "$5\r\n1e+20\r\n",
    );
}

/// Regression: with `unpack` of 7999 values the call's arguments filled
/// the Lua C stack, and the reply had no room: "ERR malformed reply".
#[test]
fn redis_call_takes_every_value_unpack_gives() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let body = "local a = {} for i = 1, 7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))";
    raw(&mut w, &["EVAL", body, "0"], ":7999\r\n");
    raw(
        &mut w,
        &["EVAL", "return #redis.call('lrange', 'l', 0, -1)", "0"],
        ":7999\r\n",
    );
}

#[test]
fn select_inside_a_script_leaves_the_callers_database() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let _: String = q(
        &mut con,
        &[
            "EVAL",
            "redis.call('select', '1') return redis.call('set', 'k', 'in1')",
            "0",
        ],
    );
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "k"]), None);
    let _: () = q(&mut con, &["SELECT", "1"]);
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "k"]), Some("in1".into()));
}

#[test]
fn blocking_commands_in_scripts_do_not_block() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    raw(&mut w, &["EVAL", "return redis.call('lpop', 'nolist')", "0"], "$-1\r\n");
    raw(
        &mut w,
        &["EVAL", "return redis.call('lmpop', '1', 'nolist', 'LEFT')", "0"],
        "$-1\r\n",
    );
}

#[test]
fn resp3_callers_get_resp3_types_from_setresp_3() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["HSET", "h", "a", "1"]);
    cmd(&mut w, &["ZADD", "z", "1.5", "m"]);
    w.resp3 = true;
    cmd(&mut w, &["HELLO", "3"]);
    raw(
        &mut w,
        &["EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"],
        "%1\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "redis.setresp(3) return redis.call('zscore', 'z', 'm')", "0"],
        ",1.5\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "redis.setresp(3) return type(redis.call('get', 'nokey'))", "0"],
        "$3\r\nnil\r\n",
    );
    raw(
        &mut w,
        &["EVAL", "return type(redis.call('get', 'nokey'))", "0"],
        "$7\r\nboolean\r\n",
    );
    raw(&mut w, &["EVAL", "return {double = 2.5}", "0"], ",2.5\r\n");
    raw(
        &mut w,
        &["EVAL", "return {map = {k = 1}}", "0"],
        "%1\r\n$1\r\nk\r\n:1\r\n",
    );
    raw(&mut w, &["EVAL", "return {set = {k = true}}", "0"], "~1\r\n$1\r\nk\r\n");
    raw(
        &mut w,
        &["EVAL", "return {big_number = '12345678901234567890'}", "0"],
        "(12345678901234567890\r\n",
    );
    raw(&mut w, &["EVAL", "return false", "0"], "_\r\n");
    raw(&mut w, &["EVAL", "return true", "0"], ":1\r\n");
    // The same script for a RESP2 caller: the RESP2 forms.
    let mut w2 = srv.wire();
    raw(
        &mut w2,
        &["EVAL", "redis.setresp(3) return redis.call('hgetall', 'h')", "0"],
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n",
    );
    raw(&mut w2, &["EVAL", "return {double = 2.5}", "0"], "$3\r\n2.5\r\n");
}

#[tokio::test]
async fn resp3_client_runs_scripts_through_the_crate() {
    let srv = Server::start(&[]);
    let mut con = srv.redis_async(true).await.unwrap();
    let v: Value = redis::cmd("EVAL")
        .arg("return {map = {a = 1}}")
        .arg(0)
        .query_async(&mut con)
        .await
        .unwrap();
    assert_eq!(v, Value::Map(vec![(Value::BulkString(b"a".to_vec()), Value::Int(1))]));
    let n: i64 = redis::Script::new(RELEASE)
        .key("nolock")
        .arg("t")
        .invoke_async(&mut con)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn scripts_run_in_a_pipeline_in_order() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let mut batch = Vec::new();
    for i in 0..3 {
        let n = i.to_string();
        batch.extend(multibulk(&[
            b"EVAL",
            b"return redis.call('incr', KEYS[1]) * 10 + ARGV[1]",
            b"1",
            b"c",
            n.as_bytes(),
        ]));
    }
    batch.extend(multibulk(&[b"GET", b"c"]));
    assert_eq!(
        w.transcript(&batch, 4),
        [
            Frame::Integer(10),
            Frame::Integer(21),
            Frame::Integer(32),
            Frame::bulk("3")
        ]
    );
}

#[test]
fn script_subcommands_and_their_errors() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(
        err(&mut w, &["SCRIPT", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    assert_eq!(
        err(&mut w, &["SCRIPT", "FLUSH", "bad"]),
        "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    );
    assert_eq!(
        err(&mut w, &["SCRIPT", "nosuch"]),
        "ERR unknown subcommand 'nosuch'. Try SCRIPT HELP."
    );
    assert_eq!(
        err(&mut w, &["SCRIPT", "LOAD"]),
        "ERR wrong number of arguments for 'script|load' command"
    );
    assert_eq!(
        err(&mut w, &["SCRIPT", "EXISTS"]),
        "ERR wrong number of arguments for 'script|exists' command"
    );
    assert_eq!(
        err(&mut w, &["SCRIPT", "LOAD", "return syntax error"]),
        "ERR Error compiling script (new function): user_script:1: '<eof>' expected near 'error'"
    );
    match cmd(&mut w, &["SCRIPT", "HELP"]) {
        Frame::Array(lines) => assert_eq!(
            lines[0],
            Frame::simple("SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        ),
        f => panic!("{f:?}"),
    }
}

#[test]
fn command_getkeys_reads_numkeys_for_eval_and_fcall() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let keys: Vec<String> = q(
        &mut con,
        &["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "x"],
    );
    assert_eq!(keys, ["a", "b"]);
    let keys: Vec<String> = q(&mut con, &["COMMAND", "GETKEYS", "FCALL", "f", "1", "a", "x"]);
    assert_eq!(keys, ["a"]);
    let keys: Vec<String> = q(&mut con, &["COMMAND", "GETKEYS", "EVALSHA_RO", "abc", "0", "x"]);
    assert!(keys.is_empty());
}

const LIB: &str = "#!lua name=mylib
local function get(keys, args) return redis.call('get', keys[1]) end
redis.register_function('myget', get)
redis.register_function{function_name='myset', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, description='sets'}
redis.register_function{function_name='echo_ro', callback=function(keys, args) return args[1] end, flags={'no-writes'}}";

#[test]
fn function_load_then_fcall_and_fcall_ro() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<String>(&mut con, &["FUNCTION", "LOAD", LIB]), "mylib");
    assert_eq!(q::<String>(&mut con, &["FCALL", "myset", "1", "k", "v"]), "OK");
    assert_eq!(q::<String>(&mut con, &["FCALL", "MYGET", "1", "k"]), "v");
    assert_eq!(q::<String>(&mut con, &["FCALL_RO", "echo_ro", "0", "hi"]), "hi");
    let mut w = srv.wire();
    assert_eq!(
        err(&mut w, &["FCALL_RO", "myget", "1", "k"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(err(&mut w, &["FCALL", "nosuch", "0"]), "ERR Function not found");
    assert_eq!(
        err(&mut w, &["FCALL", "myget", "2", "k"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err(&mut w, &["FUNCTION", "LOAD", LIB]),
        "ERR Library 'mylib' already exists"
    );
    assert_eq!(q::<String>(&mut con, &["FUNCTION", "LOAD", "REPLACE", LIB]), "mylib");
    // A function's runtime error names the function and its line.
    let code = "#!lua name=bad\nredis.register_function('boom', function() return redis.call('incr', KEYS) end)\nredis.register_function('glob', function() return x end)";
    assert_eq!(q::<String>(&mut con, &["FUNCTION", "LOAD", code]), "bad");
    assert_eq!(
        err(&mut w, &["FCALL", "glob", "0"]),
        "ERR user_function:3: Script attempted to access nonexistent global variable 'x' script: glob, on @user_function:3."
    );
}

#[test]
fn function_load_errors_as_redis_7() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for (code, msg) in [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!lua\nredis.register_function('a', function() end)", "ERR Library name was not given"),
        ("#!js name=x\n", "ERR Engine 'js' not found"),
        ("#!lua name=x foo=1\n", "ERR Invalid metadata value given: foo=1"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x\nsyntax error", "ERR Error compiling function: user_function:2: '=' expected near 'error'"),
        (
            "#!lua name=x\nredis.register_function('a', 5)",
            "ERR Error registering functions: ERR second argument to redis.register_function must be a function",
        ),
        (
            "#!lua name=x\nredis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'bogus'}}",
            "ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=x\nredis.register_function('a', function() end)\nredis.register_function('a', function() end)",
            "ERR Error registering functions: ERR Function already exists in the library",
        ),
    ] {
        assert_eq!(err(&mut w, &["FUNCTION", "LOAD", code]), msg, "{code}");
    }
    assert_eq!(
        err(&mut w, &["FUNCTION", "LOAD", "bad", "x"]),
        "ERR Unknown option given: bad"
    );
}

#[test]
fn function_list_delete_flush_and_stats() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let _: String = q(&mut con, &["FUNCTION", "LOAD", LIB]);
    let list: Value = q(&mut con, &["FUNCTION", "LIST", "LIBRARYNAME", "my*", "WITHCODE"]);
    let Value::Array(libs) = list else { panic!("{list:?}") };
    assert_eq!(libs.len(), 1);
    let Value::Array(fields) = &libs[0] else { panic!() };
    assert_eq!(fields[0], Value::BulkString(b"library_name".to_vec()));
    assert_eq!(fields[1], Value::BulkString(b"mylib".to_vec()));
    assert_eq!(fields[3], Value::BulkString(b"LUA".to_vec()));
    let Value::Array(funcs) = &fields[5] else { panic!() };
    assert_eq!(funcs.len(), 3);
    assert_eq!(fields[7], Value::BulkString(LIB.as_bytes().to_vec()));
    let none: Value = q(&mut con, &["FUNCTION", "LIST", "LIBRARYNAME", "other"]);
    assert_eq!(none, Value::Array(vec![]));
    let stats: Value = q(&mut con, &["FUNCTION", "STATS"]);
    assert_eq!(
        stats,
        Value::Array(vec![
            Value::BulkString(b"running_script".to_vec()),
            Value::Nil,
            Value::BulkString(b"engines".to_vec()),
            Value::Array(vec![
                Value::BulkString(b"LUA".to_vec()),
                Value::Array(vec![
                    Value::BulkString(b"libraries_count".to_vec()),
                    Value::Int(1),
                    Value::BulkString(b"functions_count".to_vec()),
                    Value::Int(3),
                ]),
            ]),
        ])
    );
    let mut w = srv.wire();
    assert_eq!(err(&mut w, &["FUNCTION", "DELETE", "nosuch"]), "ERR Library not found");
    assert_eq!(q::<String>(&mut con, &["FUNCTION", "DELETE", "mylib"]), "OK");
    assert_eq!(err(&mut w, &["FCALL", "myget", "1", "k"]), "ERR Function not found");
    let _: String = q(&mut con, &["FUNCTION", "LOAD", LIB]);
    assert_eq!(
        err(&mut w, &["FUNCTION", "FLUSH", "bad"]),
        "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
    );
    assert_eq!(q::<String>(&mut con, &["FUNCTION", "FLUSH"]), "OK");
    assert_eq!(err(&mut w, &["FCALL", "myget", "1", "k"]), "ERR Function not found");
    assert_eq!(
        err(&mut w, &["FUNCTION", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
}

#[test]
fn functions_run_from_connections_on_every_worker() {
    // Each worker thread compiles the library on first use.
    let srv = Server::start(&["--threads", "2"]);
    let mut con = srv.redis();
    let _: String = q(&mut con, &["FUNCTION", "LOAD", LIB]);
    for i in 0..8 {
        let mut c = srv.redis();
        let v = format!("v{i}");
        assert_eq!(q::<String>(&mut c, &["FCALL", "myset", "1", "k", &v]), "OK");
        assert_eq!(q::<String>(&mut c, &["FCALL", "myget", "1", "k"]), v);
    }
}

fn lua_memory(con: &mut redis::Connection) -> u64 {
    let info: String = q(con, &["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory_lua:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no used_memory_lua in {info}"))
}

/// Regression: each worker thread kept a Lua state of its own, with its
/// compiled scripts and its garbage, and SCRIPT FLUSH freed none of it:
/// two threads' states came to 360 KB after a run of scripts, and stayed
/// there. One state now serves the process, SCRIPT FLUSH starts a new
/// one, and garbage is collected at rest.
#[test]
fn lua_memory_is_one_small_state_and_script_flush_renews_it() {
    let srv = Server::start(&["--threads", "2"]);
    let mut con = srv.redis();
    // Scripts from several connections, using every library, and a
    // function library.
    for i in 0..120 {
        let mut c = srv.redis();
        let body = format!(
            "local t = {{}} for j = 1, 10 do t[j] = j * {i} end \
             return cjson.encode(t) .. bit.tohex({i}) .. struct.pack('>I2', 1) .. cmsgpack.pack(t)"
        );
        let _: Vec<u8> = q(&mut c, &["EVAL", &body, "0"]);
    }
    let lib =
        "#!lua name=counter\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)";
    let _: String = q(&mut con, &["FUNCTION", "LOAD", lib]);
    let _: i64 = q(&mut con, &["FCALL", "bump", "1", "f"]);
    let warm = lua_memory(&mut con);
    assert!(warm > 100 << 10, "120 compiled scripts: {warm}");
    let _: () = q(&mut con, &["SCRIPT", "FLUSH"]);
    // No state until the next script: Redis's figure for an empty one.
    assert_eq!(lua_memory(&mut con), 31744);
    // Many runs on a pipelined connection, as a busy client sends them.
    let _: () = q(&mut con, &["SET", "x", "0"]);
    let mut w = srv.wire();
    let eval = ["EVAL", "return redis.call('incr', KEYS[1])", "1", "x"].map(str::as_bytes);
    for _ in 0..10 {
        for _ in 0..1000 {
            w.send_cmd(&eval);
        }
        for _ in 0..1000 {
            w.read_frame();
        }
    }
    assert_eq!(q::<i64>(&mut con, &["GET", "x"]), 10_000);
    let after = lua_memory(&mut con);
    assert!(after < 100 << 10, "after 10,000 runs: {after}");
    // The function library compiles again in the new state.
    assert_eq!(q::<i64>(&mut con, &["FCALL", "bump", "1", "f"]), 2);
}
