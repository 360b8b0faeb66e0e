//! Lists and their blocking pops through the `redis` crate against the
//! real binary. Replies and error texts were checked against redis-server
//! 7. Blocking tests wait for INFO's blocked_clients to show each client
//! parked instead of sleeping, and assert order, never timing; reads have
//! the harness's generous limit as a hang guard.

use compat_tests::query::{clients_field, err, guarded, int, q, strs, wait_blocked};
use compat_tests::{Frame, Server, Wire};
use redis::{Connection, Value};
use std::thread;

fn range(con: &mut Connection, key: &str) -> Vec<String> {
    strs(con, &["LRANGE", key, "0", "-1"])
}

fn start() -> (Server, Connection) {
    let s = Server::start(&[]);
    let c = s.redis();
    (s, c)
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn push_and_pop_from_both_ends_with_counts() {
    let (_s, mut c) = start();
    assert_eq!(int(&mut c, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(int(&mut c, &["LPUSH", "l", "y", "z"]), 5);
    assert_eq!(range(&mut c, "l"), ["z", "y", "a", "b", "c"]);
    assert_eq!(int(&mut c, &["LPUSHX", "nokey", "a"]), 0);
    assert_eq!(int(&mut c, &["RPUSHX", "l", "d"]), 6);
    assert_eq!(int(&mut c, &["LLEN", "l"]), 6);
    assert_eq!(int(&mut c, &["LLEN", "nokey"]), 0);
    let v: Option<String> = q(&mut c, &["LPOP", "l"]);
    assert_eq!(v.as_deref(), Some("z"));
    assert_eq!(strs(&mut c, &["RPOP", "l", "2"]), ["d", "c"]);
    assert_eq!(strs(&mut c, &["LPOP", "l", "0"]), Vec::<String>::new());
    assert_eq!(q::<Value>(&mut c, &["LPOP", "nokey", "2"]), Value::Nil);
    assert_eq!(q::<Option<String>>(&mut c, &["RPOP", "nokey"]), None);
    assert_eq!(
        err(&mut c, &["LPOP", "l", "-1"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(strs(&mut c, &["LPOP", "l", "10"]), ["y", "a", "b"]);
    assert_eq!(int(&mut c, &["EXISTS", "l"]), 0, "an emptied list is deleted");
}

#[test]
fn lrange_and_lindex_resolve_negative_and_out_of_range_indexes() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "l", "0", "1", "2", "3", "4"]);
    assert_eq!(strs(&mut c, &["LRANGE", "l", "-2", "100"]), ["3", "4"]);
    assert_eq!(strs(&mut c, &["LRANGE", "l", "-100", "1"]), ["0", "1"]);
    assert!(strs(&mut c, &["LRANGE", "l", "3", "2"]).is_empty());
    assert!(strs(&mut c, &["LRANGE", "nokey", "0", "-1"]).is_empty());
    assert_eq!(
        q::<Option<String>>(&mut c, &["LINDEX", "l", "-1"]).as_deref(),
        Some("4")
    );
    assert_eq!(q::<Option<String>>(&mut c, &["LINDEX", "l", "5"]), None);
    assert_eq!(
        err(&mut c, &["LRANGE", "l", "x", "1"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["LINDEX", "l", "1.5"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn lset_linsert_lrem_ltrim_change_the_list_in_place() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "l", "a", "b", "a", "c", "a"]);
    let _: () = q(&mut c, &["LSET", "l", "-4", "B"]);
    assert_eq!(err(&mut c, &["LSET", "l", "9", "x"]), "ERR index out of range");
    assert_eq!(err(&mut c, &["LSET", "nokey", "0", "x"]), "ERR no such key");
    assert_eq!(int(&mut c, &["LINSERT", "l", "BEFORE", "c", "x"]), 6);
    assert_eq!(int(&mut c, &["LINSERT", "l", "after", "nope", "x"]), -1);
    assert_eq!(int(&mut c, &["LINSERT", "nokey", "AFTER", "a", "x"]), 0);
    assert_eq!(err(&mut c, &["LINSERT", "l", "MIDDLE", "a", "x"]), "ERR syntax error");
    assert_eq!(range(&mut c, "l"), ["a", "B", "a", "x", "c", "a"]);
    assert_eq!(int(&mut c, &["LREM", "l", "-1", "a"]), 1);
    assert_eq!(int(&mut c, &["LREM", "l", "0", "a"]), 2);
    assert_eq!(range(&mut c, "l"), ["B", "x", "c"]);
    let _: () = q(&mut c, &["LTRIM", "l", "1", "-1"]);
    assert_eq!(range(&mut c, "l"), ["x", "c"]);
    let _: () = q(&mut c, &["LTRIM", "l", "5", "9"]);
    assert_eq!(int(&mut c, &["EXISTS", "l"]), 0);
}

#[test]
fn lpos_finds_by_rank_count_and_maxlen() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(int(&mut c, &["LPOS", "l", "c"]), 2);
    assert_eq!(int(&mut c, &["LPOS", "l", "c", "RANK", "-1"]), 7);
    let all: Vec<i64> = q(&mut c, &["LPOS", "l", "c", "COUNT", "0"]);
    assert_eq!(all, [2, 6, 7]);
    let some: Vec<i64> = q(&mut c, &["LPOS", "l", "c", "RANK", "2", "COUNT", "0", "MAXLEN", "7"]);
    assert_eq!(some, [6]);
    assert_eq!(q::<Option<i64>>(&mut c, &["LPOS", "l", "zz"]), None);
    assert!(q::<Vec<i64>>(&mut c, &["LPOS", "nokey", "a", "COUNT", "1"]).is_empty());
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "COUNT", "-1"]),
        "ERR COUNT can't be negative"
    );
    assert_eq!(
        err(&mut c, &["LPOS", "l", "c", "MAXLEN", "-1"]),
        "ERR MAXLEN can't be negative"
    );
    assert_eq!(err(&mut c, &["LPOS", "l", "c", "FOO", "1"]), "ERR syntax error");
}

#[test]
fn lmove_rpoplpush_and_lmpop() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "s", "a", "b", "c"]);
    assert_eq!(q::<String>(&mut c, &["LMOVE", "s", "d", "LEFT", "RIGHT"]), "a");
    assert_eq!(q::<String>(&mut c, &["RPOPLPUSH", "s", "d"]), "c");
    assert_eq!(range(&mut c, "d"), ["c", "a"]);
    assert_eq!(q::<String>(&mut c, &["LMOVE", "d", "d", "RIGHT", "LEFT"]), "a");
    assert_eq!(range(&mut c, "d"), ["a", "c"]);
    assert_eq!(
        q::<Option<String>>(&mut c, &["LMOVE", "nokey", "d", "LEFT", "LEFT"]),
        None
    );
    assert_eq!(err(&mut c, &["LMOVE", "s", "d", "UP", "LEFT"]), "ERR syntax error");
    let (k, v): (String, Vec<String>) = q(&mut c, &["LMPOP", "3", "nokey", "d", "s", "RIGHT", "COUNT", "5"]);
    assert_eq!((k.as_str(), v), ("d", vec!["c".to_string(), "a".to_string()]));
    assert_eq!(q::<Value>(&mut c, &["LMPOP", "1", "nokey", "LEFT"]), Value::Nil);
    assert_eq!(
        err(&mut c, &["LMPOP", "0", "s", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(err(&mut c, &["LMPOP", "2", "s", "LEFT"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["LMPOP", "1", "s", "LEFT", "COUNT", "0"]),
        "ERR count should be greater than 0"
    );
}

#[test]
fn every_list_command_on_a_string_is_wrongtype() {
    let (_s, mut c) = start();
    let _: () = q(&mut c, &["SET", "str", "v"]);
    int(&mut c, &["RPUSH", "l", "a"]);
    for args in [
        &["LPUSH", "str", "a"][..],
        &["RPUSH", "str", "a"],
        &["LPUSHX", "str", "a"],
        &["RPUSHX", "str", "a"],
        &["LPOP", "str"],
        &["RPOP", "str", "2"],
        &["LLEN", "str"],
        &["LRANGE", "str", "0", "-1"],
        &["LINDEX", "str", "0"],
        &["LSET", "str", "0", "a"],
        &["LINSERT", "str", "BEFORE", "a", "b"],
        &["LREM", "str", "0", "a"],
        &["LTRIM", "str", "0", "1"],
        &["LPOS", "str", "a"],
        &["LMOVE", "str", "l", "LEFT", "LEFT"],
        &["LMOVE", "l", "str", "LEFT", "LEFT"],
        &["RPOPLPUSH", "l", "str"],
        &["LMPOP", "2", "str", "l", "LEFT"],
        &["BLPOP", "str", "l", "0"],
        &["BRPOP", "str", "0"],
        &["BLMOVE", "str", "l", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "l", "str", "0"],
        &["BLMPOP", "0", "1", "str", "LEFT"],
    ] {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{}", args.join(" "));
    }
    assert_eq!(range(&mut c, "l"), ["a"], "nothing moved onto the string");
}

#[test]
fn object_encoding_is_listpack_until_large() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "l", "a"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "l"]), "listpack");
    let big = "x".repeat(10_000);
    int(&mut c, &["RPUSH", "l", &big]);
    assert_eq!(q::<String>(&mut c, &["TYPE", "l"]), "list");
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "l"]), "quicklist");
}

#[test]
fn blocking_timeouts_parse_as_redis() {
    let (_s, mut c) = start();
    assert_eq!(
        err(&mut c, &["BLPOP", "k", "x"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(err(&mut c, &["BRPOP", "k", "-1"]), "ERR timeout is negative");
    assert_eq!(
        err(&mut c, &["BLMPOP", "nan", "1", "k", "LEFT"]),
        "ERR timeout is not a float or out of range"
    );
    assert_eq!(
        err(&mut c, &["BLMOVE", "a", "b", "UP", "LEFT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["BLMPOP", "0", "0", "k", "LEFT"]),
        "ERR numkeys should be greater than 0"
    );
}

#[test]
fn a_blocking_pop_on_a_non_empty_list_answers_at_once() {
    let (_s, mut c) = start();
    int(&mut c, &["RPUSH", "b", "1", "2"]);
    let (k, v): (String, String) = q(&mut c, &["BLPOP", "a", "b", "0"]);
    assert_eq!((k.as_str(), v.as_str()), ("b", "1"));
    let (k, v): (String, String) = q(&mut c, &["BRPOP", "b", "0"]);
    assert_eq!((k.as_str(), v.as_str()), ("b", "2"));
}

#[test]
fn a_timeout_gives_a_nil_array_for_every_blocking_pop() {
    let (_s, mut c) = start();
    for args in [
        &["BLPOP", "a", "b", "0.05"][..],
        &["BRPOP", "a", "0.01"],
        &["BLMOVE", "a", "b", "LEFT", "LEFT", "0.02"],
        &["BRPOPLPUSH", "a", "b", "1e-2"],
        &["BLMPOP", "0.001", "2", "a", "b", "RIGHT", "COUNT", "2"],
    ] {
        assert_eq!(q::<Value>(&mut c, args), Value::Nil, "{}", args.join(" "));
    }
    assert_eq!(clients_field(&mut c, "blocked_clients"), 0);
}

#[test]
fn blocked_clients_are_served_first_come_first_served() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut waiters = Vec::new();
    for i in 0..3 {
        let mut w = guarded(&s);
        waiters.push(thread::spawn(move || {
            let r: (String, String) = q(&mut w, &["BLPOP", "q", "0"]);
            (i, r.1)
        }));
        wait_blocked(&mut c, i + 1);
    }
    assert_eq!(int(&mut c, &["RPUSH", "q", "first", "second", "third"]), 3);
    let mut got: Vec<(i64, String)> = waiters.into_iter().map(|t| t.join().expect("waiter")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (0, "first".to_string()),
            (1, "second".to_string()),
            (2, "third".to_string())
        ]
    );
    assert_eq!(int(&mut c, &["EXISTS", "q"]), 0);
}

#[test]
fn a_push_by_another_client_wakes_a_pop_blocked_on_several_keys() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut w = guarded(&s);
    let t = thread::spawn(move || q::<(String, String)>(&mut w, &["BRPOP", "a", "b", "c", "0"]));
    wait_blocked(&mut c, 1);
    assert_eq!(clients_field(&mut c, "total_blocking_keys"), 3);
    int(&mut c, &["LPUSH", "b", "x", "y"]);
    assert_eq!(t.join().expect("waiter"), ("b".to_string(), "x".to_string()));
    assert_eq!(range(&mut c, "b"), ["y"]);
    assert_eq!(clients_field(&mut c, "blocked_clients"), 0);
}

#[test]
fn lmove_into_the_key_wakes_blmove_which_moves_on() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut w = guarded(&s);
    let t = thread::spawn(move || q::<String>(&mut w, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]));
    wait_blocked(&mut c, 1);
    int(&mut c, &["RPUSH", "other", "v"]);
    assert_eq!(q::<String>(&mut c, &["LMOVE", "other", "src", "LEFT", "LEFT"]), "v");
    assert_eq!(t.join().expect("waiter"), "v");
    assert_eq!(range(&mut c, "dst"), ["v"]);
    assert_eq!(int(&mut c, &["EXISTS", "src", "other"]), 0);
}

#[test]
fn rename_onto_the_key_wakes_blmpop() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut w = guarded(&s);
    let t = thread::spawn(move || q::<(String, Vec<String>)>(&mut w, &["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5"]));
    wait_blocked(&mut c, 1);
    int(&mut c, &["RPUSH", "tmp", "1", "2"]);
    let _: () = q(&mut c, &["RENAME", "tmp", "k"]);
    assert_eq!(
        t.join().expect("waiter"),
        ("k".to_string(), vec!["1".to_string(), "2".to_string()])
    );
}

#[test]
fn a_fractional_timeout_ends_the_wait_and_the_connection_goes_on() {
    let s = Server::start(&[]);
    let mut w = guarded(&s);
    assert_eq!(q::<Value>(&mut w, &["BRPOPLPUSH", "a", "b", "0.25"]), Value::Nil);
    assert_eq!(q::<String>(&mut w, &["PING"]), "PONG");
}

#[test]
fn commands_pipelined_after_a_blocked_one_wait_for_it() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut wire = s.wire();
    wire.send(b"BLPOP q 0\r\nPING\r\nLLEN q\r\n");
    wait_blocked(&mut c, 1);
    int(&mut c, &["RPUSH", "q", "x", "y"]);
    assert_eq!(
        wire.read_frame(),
        Frame::Array(vec![Frame::bulk("q"), Frame::bulk("x")])
    );
    assert_eq!(wire.read_frame(), Frame::simple("PONG"));
    assert_eq!(wire.read_frame(), Frame::Integer(1));
}

#[test]
fn a_client_that_disconnects_while_blocked_leaves_no_waiter_behind() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    {
        let mut wire: Wire = s.wire();
        wire.send(b"BLPOP gone 0\r\n");
        wait_blocked(&mut c, 1);
    }
    wait_blocked(&mut c, 0);
    assert_eq!(clients_field(&mut c, "total_blocking_keys"), 0);
    int(&mut c, &["RPUSH", "gone", "kept"]);
    assert_eq!(range(&mut c, "gone"), ["kept"], "nobody took the element");
    assert_eq!(q::<String>(&mut c, &["PING"]), "PONG");
}

#[test]
fn client_unblock_ends_a_wait_as_a_timeout_or_an_error() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    for (how, want) in [
        ("TIMEOUT", Frame::Null),
        ("ERROR", Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")),
    ] {
        let mut wire = s.wire();
        let id = match wire.cmd(&[b"CLIENT", b"ID"]) {
            Frame::Integer(id) => id,
            other => panic!("CLIENT ID: {other:?}"),
        };
        wire.send(b"BLPOP k 0\r\n");
        wait_blocked(&mut c, 1);
        assert_eq!(int(&mut c, &["CLIENT", "UNBLOCK", &id.to_string(), how]), 1);
        assert_eq!(wire.read_frame(), want);
        wait_blocked(&mut c, 0);
    }
    assert_eq!(int(&mut c, &["CLIENT", "UNBLOCK", "99999"]), 0);
    assert_eq!(
        err(&mut c, &["CLIENT", "UNBLOCK", "1", "MAYBE"]),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
}

#[test]
fn client_list_flags_a_client_parked_in_blpop_with_b() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let mut w = guarded(&s);
    let id = int(&mut w, &["CLIENT", "ID"]);
    // The waiter hands its connection back, so the client is still listed
    // once served.
    let t = thread::spawn(move || {
        let popped = q::<(String, String)>(&mut w, &["BLPOP", "q", "0"]);
        (popped, w)
    });
    wait_blocked(&mut c, 1);
    let flags_of = |c: &mut Connection, id: i64| -> String {
        let list: String = q(c, &["CLIENT", "LIST"]);
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("id={id} ")))
            .unwrap_or_else(|| panic!("no client {id} in {list}"))
            .to_string();
        line.split(' ')
            .find_map(|kv| kv.strip_prefix("flags="))
            .unwrap_or_else(|| panic!("no flags in {line}"))
            .to_string()
    };
    assert_eq!(flags_of(&mut c, id), "b");
    int(&mut c, &["RPUSH", "q", "x"]);
    let (popped, _w) = t.join().expect("waiter");
    assert_eq!(popped, ("q".to_string(), "x".to_string()));
    wait_blocked(&mut c, 0);
    assert_eq!(flags_of(&mut c, id), "N");
}

/// A transaction or script that makes the awaited key a list and then
/// something else wakes no one: Redis serves blocked clients only after
/// the whole command, from a key of the type they wait for, and the
/// client waits on. Each blocking pop, then a later push that serves it.
#[test]
fn blocked_clients_are_not_woken_by_a_key_that_changed_type_in_a_transaction() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["BLPOP", "k", "0"], "RPUSH", "*2\r\n$1\r\nk\r\n$1\r\nb\r\n"),
        (&["BRPOP", "k", "0"], "RPUSH", "*2\r\n$1\r\nk\r\n$1\r\nb\r\n"),
        (
            &["BLMPOP", "0", "1", "k", "LEFT"],
            "RPUSH",
            "*2\r\n$1\r\nk\r\n*1\r\n$1\r\nb\r\n",
        ),
        (&["BLMOVE", "k", "dst", "LEFT", "LEFT", "0"], "RPUSH", "$1\r\nb\r\n"),
        (&["BRPOPLPUSH", "k", "dst", "0"], "RPUSH", "$1\r\nb\r\n"),
        (
            &["BZPOPMIN", "k", "0"],
            "ZADD",
            "*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n1\r\n",
        ),
        (
            &["BZPOPMAX", "k", "0"],
            "ZADD",
            "*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n1\r\n",
        ),
        (
            &["BZMPOP", "0", "1", "k", "MIN"],
            "ZADD",
            "*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n1\r\n",
        ),
    ];
    for (by_script, (cmd, push, want)) in [false, true]
        .into_iter()
        .flat_map(|b| cases.iter().map(move |c| (b, c)))
    {
        let _: () = q(&mut c, &["DEL", "k", "dst"]);
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        let mut w = s.wire();
        w.send_cmd(&args);
        wait_blocked(&mut c, 1);
        let add: &[&str] = if *push == "ZADD" {
            &["ZADD", "k", "1", "a"]
        } else {
            &["RPUSH", "k", "a"]
        };
        if by_script {
            let script = format!(
                "redis.call('{}', KEYS[1], {}) redis.call('DEL', KEYS[1]) redis.call('SET', KEYS[1], 'x')",
                add[0],
                add[2..].iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")
            );
            let _: Value = q(&mut c, &["EVAL", &script, "1", "k"]);
        } else {
            let mut pipe = redis::pipe();
            pipe.atomic();
            pipe.cmd(add[0]).arg(&add[1..]);
            pipe.cmd("DEL").arg("k");
            pipe.cmd("SET").arg("k").arg("x");
            let _: Value = pipe.query(&mut c).expect("transaction");
        }
        // Still waiting, on a key that is now a string.
        assert_eq!(
            clients_field(&mut c, "blocked_clients"),
            1,
            "{cmd:?} script={by_script}"
        );
        let _: () = q(&mut c, &["DEL", "k"]);
        let again: &[&str] = if *push == "ZADD" {
            &["ZADD", "k", "1", "b"]
        } else {
            &["RPUSH", "k", "b"]
        };
        let _: i64 = q(&mut c, again);
        w.exchange(b"", want.as_bytes());
    }
}

/// Redis serves blocked clients after each command and before the next
/// one runs: an element pushed and popped by one pipeline goes to the
/// client that was waiting, and the pipeline's own pop finds nothing.
/// Likewise for a transaction that pushes and pops, and for sorted sets.
#[test]
fn a_pipelined_push_and_pop_serves_the_blocked_client_first() {
    let s = Server::start(&[]);
    let mut c = s.redis();
    let cases: &[(&str, &[u8], &str)] = &[
        ("BLPOP k 0", b"RPUSH k x\r\nLPOP k\r\n", "*2\r\n$1\r\nk\r\n$1\r\nx\r\n"),
        (
            "BZPOPMIN k 0",
            b"ZADD k 1 x\r\nZPOPMIN k\r\n",
            "*3\r\n$1\r\nk\r\n$1\r\nx\r\n$1\r\n1\r\n",
        ),
        (
            "BLMOVE k d LEFT LEFT 0",
            b"RPUSH k x\r\nLPOP k\r\nLPOP d\r\n",
            "$1\r\nx\r\n",
        ),
    ];
    for (block, pipeline, want) in cases {
        let _: () = q(&mut c, &["DEL", "k", "d"]);
        let mut waiter = s.wire();
        waiter.send(format!("{block}\r\n").as_bytes());
        wait_blocked(&mut c, 1);
        let mut pusher = s.wire();
        pusher.send(pipeline);
        waiter.exchange(b"", want.as_bytes());
        let replies: Vec<Frame> = (0..pipeline.split(|&b| b == b'\n').count() - 1)
            .map(|_| pusher.read_frame())
            .collect();
        // The push counted one element and the pipeline's own pop found
        // nothing; BLMOVE's move came first, so LPOP d finds x there.
        assert_eq!(replies[0], Frame::Integer(1), "{block}");
        match *block {
            "BLMOVE k d LEFT LEFT 0" => {
                assert_eq!(replies[1], Frame::Null, "{block}");
                assert_eq!(replies[2], Frame::bulk("x"), "{block}");
            }
            "BZPOPMIN k 0" => assert_eq!(replies[1], Frame::Array(vec![]), "{block}"),
            _ => assert_eq!(replies[1], Frame::Null, "{block}"),
        }
    }
}
