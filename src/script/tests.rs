//! Engine tests: scripts run through `run` against a server with no
//! listeners.

use super::*;
use crate::config::Config;

fn eval_on(srv: &Server, body: &str, keys: &[&str], args: &[&str], resp3: bool) -> String {
    let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
    let args: Vec<&[u8]> = args.iter().map(|k| k.as_bytes()).collect();
    let call = Call {
        db: 0,
        now: srv.start_ms,
        read_only: false,
        keys: &keys,
        args: &args,
        caller: None,
        master: false,
    };
    let mut buf = Vec::new();
    run(
        srv,
        Source::Body(body.as_bytes()),
        &call,
        &mut Reply::new(&mut buf, resp3),
    );
    String::from_utf8_lossy(&buf).into_owned()
}

fn eval(body: &str) -> String {
    eval_in(&Server::new(Config::default()), body)
}

/// `body` with no keys or arguments, for a RESP2 caller.
fn eval_in(srv: &Server, body: &str) -> String {
    eval_on(srv, body, &[], &[], false)
}

/// The error text without its " script: <sha>, on @user_script:N." tail.
fn error_line(body: &str) -> String {
    let r = eval(body);
    r.split(" script: ").next().unwrap_or("").trim_end().to_string()
}

#[test]
fn library_errors_name_the_line_of_the_caller() {
    let r = eval("return cjson.decode('x')");
    assert!(
        r.starts_with("-ERR user_script:1: Expected value but found invalid token at character 1 script: "),
        "{r}"
    );
    assert!(r.ends_with(", on @user_script:1.\r\n"), "{r}");
}

#[test]
fn redis_call_errors_name_the_line_even_in_a_tail_call() {
    let srv = Server::new(Config::default());
    eval_in(&srv, "return redis.call('set','s','abc')");
    let r = eval_on(
        &srv,
        "local x = 1\nlocal y = 2\nreturn redis.call('incr','s')",
        &[],
        &[],
        false,
    );
    assert!(
        r.starts_with("-ERR value is not an integer or out of range script: "),
        "{r}"
    );
    assert!(r.ends_with(", on @user_script:3.\r\n"), "{r}");
}

#[test]
fn sandbox_refuses_new_globals_and_unknown_names() {
    assert_eq!(
        error_line("x = 1"),
        "-ERR user_script:1: Attempt to modify a readonly table"
    );
    assert_eq!(
        error_line("return os"),
        "-ERR user_script:1: Script attempted to access nonexistent global variable 'os'"
    );
    for name in [
        "io", "require", "dofile", "loadfile", "print", "setfenv", "getfenv", "debug", "newproxy",
    ] {
        assert!(
            error_line(&format!("return {name}")).ends_with(&format!("nonexistent global variable '{name}'")),
            "{name}"
        );
    }
    assert_eq!(
        error_line("redis.call = 1"),
        "-ERR user_script:1: Attempt to modify a readonly table"
    );
    assert_eq!(
        error_line("string.x = 1"),
        "-ERR user_script:1: Attempt to modify a readonly table"
    );
    assert_eq!(
        error_line("rawset(_G, 'x', 1)"),
        "-ERR Attempt to modify a readonly table"
    );
    assert_eq!(eval("return type(loadstring)"), "$8\r\nfunction\r\n");
    assert_eq!(eval("return loadstring('return KEYS')() ~= nil"), ":1\r\n");
}

#[test]
fn a_script_cannot_leave_state_for_the_next() {
    let srv = Server::new(Config::default());
    eval_in(&srv, "pcall(function() x = 1 end) return 1");
    let r = eval_in(&srv, "return x");
    assert!(r.contains("nonexistent global variable 'x'"), "{r}");
}

#[test]
fn keys_and_argv_are_tables_of_strings() {
    let srv = Server::new(Config::default());
    assert_eq!(
        eval_on(
            &srv,
            "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
            &["k"],
            &["a", "b"],
            false
        ),
        "*4\r\n$1\r\nk\r\n$1\r\na\r\n:1\r\n:2\r\n"
    );
}

/// `unpack` puts up to 7999 values on the stack; with the command name
/// and a key, the call's arguments filled the C stack and its reply had
/// no room ("malformed reply").
#[test]
fn redis_call_with_7999_unpacked_arguments_has_room_for_its_reply() {
    let srv = Server::new(Config::default());
    let body = "local a = {} for i = 1, 7999 do a[i] = i end return redis.call('rpush', 'l', unpack(a))";
    assert_eq!(eval_in(&srv, body), ":7999\r\n");
    let body = "local a = {} for i = 1, 7999 do a[i] = 'f' .. i end \
                local ok = redis.call('hmset', 'h', 'f0', unpack(a)) \
                local got = redis.call('hmget', 'h', unpack(a)) \
                return {ok.ok, #got, got[2], got[7998]}";
    assert_eq!(
        eval_in(&srv, body),
        "*4\r\n$2\r\nOK\r\n:7999\r\n$2\r\nf3\r\n$5\r\nf7999\r\n"
    );
    let body = "local a = {} for i = 1, 7999 do a[i] = 'x' end return redis.pcall('get', unpack(a))";
    let r = eval_in(&srv, body);
    assert!(
        r.starts_with("-ERR Wrong number of args calling Redis command from script"),
        "{r}"
    );
}

#[test]
fn select_inside_a_script_moves_only_the_script_client() {
    let srv = Server::new(Config::default());
    let r = eval_on(
        &srv,
        "redis.call('select','1') redis.call('set','k','v') return 1",
        &[],
        &[],
        false,
    );
    assert_eq!(r, ":1\r\n");
    assert_eq!(eval_in(&srv, "return redis.call('get','k')"), "$-1\r\n");
}

#[test]
fn blocking_commands_answer_as_timed_out() {
    let srv = Server::new(Config::default());
    assert_eq!(eval_in(&srv, "return redis.call('lpop','nolist')"), "$-1\r\n");
}

#[test]
fn setresp_3_turns_replies_into_resp3_tables() {
    let srv = Server::new(Config::default());
    eval_in(&srv, "redis.call('hset','h','a','1')");
    assert_eq!(
        eval_on(
            &srv,
            "redis.setresp(3) return redis.call('hgetall','h')",
            &[],
            &[],
            true
        ),
        "%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        eval_in(&srv, "redis.setresp(3) return redis.call('hgetall','h')"),
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        eval_in(&srv, "redis.setresp(3) return type(redis.call('get','nokey'))"),
        "$3\r\nnil\r\n"
    );
    assert_eq!(
        eval_in(&srv, "return type(redis.call('get','nokey'))"),
        "$7\r\nboolean\r\n"
    );
}

#[test]
fn evalsha_finds_what_eval_cached_until_flush() {
    let srv = Server::new(Config::default());
    eval_in(&srv, "return 1");
    let sha = sha1_hex(b"return 1");
    let call = Call {
        db: 0,
        now: 0,
        read_only: false,
        keys: &[],
        args: &[],
        caller: None,
        master: false,
    };
    let mut buf = Vec::new();
    run(&srv, Source::Sha(&sha), &call, &mut Reply::new(&mut buf, false));
    assert_eq!(buf, b":1\r\n");
    srv.scripts.flush();
    buf.clear();
    run(&srv, Source::Sha(&sha), &call, &mut Reply::new(&mut buf, false));
    assert_eq!(
        String::from_utf8_lossy(&buf),
        "-NOSCRIPT No matching script. Please use EVAL.\r\n"
    );
}

#[test]
fn sha1_is_lower_case_hex() {
    assert_eq!(&sha1_hex(b""), b"da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_eq!(
        parse_sha(b"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
        Some(sha1_hex(b""))
    );
    assert_eq!(parse_sha(b"abc"), None);
}

#[test]
fn library_metadata_errors_as_redis_words_them() {
    assert_eq!(library_name(b"return 1").unwrap_err(), "ERR Missing library metadata");
    assert_eq!(
        library_name(b"#!lua name=x").unwrap_err(),
        "ERR Invalid library metadata"
    );
    assert_eq!(library_name(b"#!lua\n").unwrap_err(), "ERR Library name was not given");
    assert_eq!(library_name(b"#!js name=x\n").unwrap_err(), "ERR Engine 'js' not found");
    assert_eq!(library_name(b"#!LUA name=x\n").as_deref(), Ok("x"));
    assert_eq!(library_name(b"#!lua name=\"foo\"\n").as_deref(), Ok("foo"));
    assert_eq!(library_name(b"#!lua NAME=y\n").as_deref(), Ok("y"));
    assert_eq!(library_name(b"#! name=test\n").unwrap_err(), "ERR Engine '' not found");
    assert_eq!(
        library_name(b"#!lua name=foo name=bar\n").unwrap_err(),
        "ERR Invalid metadata value, name argument was given multiple times"
    );
    assert_eq!(
        library_name(b"#!lua name=x foo=1\n").unwrap_err(),
        "ERR Invalid metadata value given: foo=1"
    );
    assert!(library_name(b"#!lua name=a-b\n")
        .unwrap_err()
        .starts_with("ERR Library names can only"));
    assert_eq!(library_name(b"#!lua  name=w3\n").unwrap(), "w3");
}

#[test]
fn functions_load_and_run_with_the_full_globals() {
    let srv = Server::new(Config::default());
    let code = b"#!lua name=lib\nredis.register_function('f', function(keys, args) return math.max(1, #keys) end)";
    assert_eq!(load_library(&srv, code, false).unwrap(), "lib");
    assert_eq!(
        load_library(&srv, code, false).unwrap_err(),
        "ERR Library 'lib' already exists"
    );
    let call = Call {
        db: 0,
        now: 0,
        read_only: false,
        keys: &[b"a", b"b"],
        args: &[],
        caller: None,
        master: false,
    };
    let mut buf = Vec::new();
    run(&srv, Source::Function(b"F"), &call, &mut Reply::new(&mut buf, false));
    assert_eq!(buf, b":2\r\n");
    let err = load_library(&srv, b"#!lua name=l2\nlocal x = math.max(1, 2)", false).unwrap_err();
    assert_eq!(
        err,
        "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"
    );
}

#[test]
fn loadstring_refuses_bytecode() {
    assert_eq!(
        eval("local f, e = loadstring(string.dump(function() return 1 end)) return {tostring(f), e}"),
        "*2\r\n$3\r\nnil\r\n$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n"
    );
    assert_eq!(eval("return loadstring('return 7')()"), ":7\r\n");
}

#[test]
fn metatables_of_shared_tables_are_read_only() {
    assert_eq!(
        error_line("getmetatable('').__index = {}"),
        "-ERR user_script:1: Attempt to modify a readonly table"
    );
    assert_eq!(
        error_line("setmetatable(string, {})"),
        "-ERR Attempt to modify a readonly table"
    );
    assert_eq!(eval("return getmetatable('').__index == string"), ":1\r\n");
    assert_eq!(eval("return ('a'):upper()"), "$1\r\nA\r\n");
    assert_eq!(eval("return type(getmetatable(redis))"), "$3\r\nnil\r\n");
    assert_eq!(
        error_line("local g = getmetatable(_G) g.__index = {}"),
        "-ERR user_script:1: Attempt to modify a readonly table"
    );
    assert_eq!(
        eval("local t = setmetatable({}, {__index = function() return 5 end}) return t.x"),
        ":5\r\n"
    );
}

#[test]
fn cjson_depth_settings_limit_encode_and_decode() {
    let srv = Server::new(Config::default());
    let body = "cjson.encode_max_depth(2) \
                local a = {pcall(cjson.encode, {{1}})} \
                local b = {pcall(cjson.encode, {{{1}}})} \
                cjson.decode_max_depth(2) \
                local c = {pcall(cjson.decode, '[[1],{\"a\":[2]}]')} \
                local d = {pcall(cjson.decode, '[[1]]')} \
                return {a[2], b[2], c[2], #d[2], cjson.encode_max_depth(), cjson.decode_max_depth()}";
    assert_eq!(
        eval_in(&srv, body),
        "*6\r\n$5\r\n[[1]]\r\n$39\r\nCannot serialise, excessive nesting (3)\r\n\
         $57\r\nFound too many nested data structures (3) at character 11\r\n:1\r\n:2\r\n:2\r\n"
    );
    // The settings stay with the Lua state, as in Redis's one state.
    assert_eq!(eval_in(&srv, "return cjson.encode_max_depth()"), ":2\r\n");
    let r = eval_in(&srv, "return cjson.encode_max_depth(0)");
    assert!(
        r.starts_with(
            "-ERR user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        ),
        "{r}"
    );
    let r = eval_in(&srv, "return cjson.decode_max_depth(1, 2)");
    assert!(
        r.starts_with("-ERR user_script:1: bad argument #2 to 'decode_max_depth' (found too many arguments)"),
        "{r}"
    );
}

#[test]
fn cjson_number_settings_change_what_encode_and_decode_accept() {
    let srv = Server::new(Config::default());
    let body = "cjson.encode_invalid_numbers(true) \
                local a = cjson.encode({0/0, 1/0, -1/0}) \
                cjson.encode_invalid_numbers('null') \
                local b = cjson.encode({0/0, 1/0}) \
                local shown = cjson.encode_invalid_numbers() \
                cjson.encode_invalid_numbers(false) \
                cjson.encode_number_precision(3) \
                local c = cjson.encode({3.14159, 12345, [2.5] = 1}) \
                cjson.encode_number_precision(14) \
                return {a, b, shown, c}";
    assert_eq!(
        eval_in(&srv, body),
        "*4\r\n$14\r\n[nan,inf,-inf]\r\n$11\r\n[null,null]\r\n$4\r\nnull\r\n\
         $31\r\n{\"1\":3.14,\"2\":1.23e+04,\"2.5\":1}\r\n"
    );
    let body = "cjson.decode_invalid_numbers(false) \
                local r = {} \
                for _, s in ipairs({'01', '-inf', '+1', 'nan', '1.5'}) do \
                    local ok, v = pcall(cjson.decode, s) r[#r + 1] = tostring(v) \
                end \
                cjson.decode_invalid_numbers(true) \
                r[#r + 1] = tostring(cjson.decode('0x10')) \
                return r";
    assert_eq!(
        eval_in(&srv, body),
        "*6\r\n$54\r\nExpected value but found invalid number at character 1\r\n\
         $54\r\nExpected value but found invalid number at character 1\r\n\
         $53\r\nExpected value but found invalid token at character 1\r\n\
         $53\r\nExpected value but found invalid token at character 1\r\n\
         $3\r\n1.5\r\n$2\r\n16\r\n"
    );
}

#[test]
fn cjson_settings_reach_every_threads_state_until_script_flush() {
    let srv = Server::new(Config::default());
    assert_eq!(eval_in(&srv, "return cjson.encode_max_depth(7)"), ":7\r\n");
    std::thread::scope(|s| {
        let seen = s.spawn(|| eval_in(&srv, "return cjson.encode_max_depth()"));
        assert_eq!(seen.join().ok().as_deref(), Some(":7\r\n"));
    });
    srv.scripts.flush();
    assert_eq!(eval_in(&srv, "return cjson.encode_max_depth()"), ":1000\r\n");
}

#[test]
fn libraries_built_on_first_use_are_there_for_rawget_and_pairs() {
    let srv = Server::new(Config::default());
    assert_eq!(eval_in(&srv, "return type(rawget(_G, 'struct'))"), "$5\r\ntable\r\n");
    let body = "local seen = {} for k in pairs(_G) do seen[#seen + 1] = k end table.sort(seen) \
                return table.concat(seen, ' ')";
    let r = eval_in(&srv, body);
    for name in ["bit", "cjson", "cmsgpack", "struct", "redis", "string"] {
        assert!(r.contains(name), "{name} in {r}");
    }
    assert_eq!(eval_in(&srv, "return cmsgpack.unpack(cmsgpack.pack(7))"), ":7\r\n");
    let r = eval_in(&srv, "return nosuchlib");
    assert!(
        r.starts_with("-ERR user_script:1: Script attempted to access nonexistent global variable 'nosuchlib'"),
        "{r}"
    );
}

#[test]
fn a_new_lua_state_holds_little_and_collects_its_garbage_at_rest() {
    let vm = Vm::new().expect("a Lua state");
    let fresh = vm.lua.used_memory();
    // Measured at 53 KB: the libraries and FUNCTION LOAD's machinery are
    // built on first use.
    assert!(fresh < 56 << 10, "{fresh}");
    drop(vm);
    let srv = Server::new(Config::default());
    for i in 0..3000 {
        eval_on(
            &srv,
            "return redis.call('incr', KEYS[1])",
            &["n"],
            &[&i.to_string()],
            false,
        );
    }
    // Every use of the state ends settled, whichever test used it last.
    let (used, live) = with_vm(|vm| Ok((vm.lua.used_memory(), vm.live))).expect("the state");
    assert!(used <= live + GARBAGE_AT_REST.max(live / 2), "{used} over {live}");
}
