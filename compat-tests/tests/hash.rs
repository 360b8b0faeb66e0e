//! Redis hash commands through the `redis` crate and raw RESP transcripts,
//! against the real binary.

use compat_tests::{multibulk, Frame, Server, Wire};
use redis::Value;
use std::collections::{HashMap, HashSet};

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&str]) -> T {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// The error a command answers, as the server worded it.
fn err(w: &mut Wire, args: &[&str]) -> String {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    match w.cmd(&args) {
        Frame::Error(e) => e,
        f => panic!("{args:?} succeeded: {f:?}"),
    }
}

fn cmd(w: &mut Wire, args: &[&str]) -> Frame {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    w.cmd(&args)
}

fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(Frame::bulk).collect())
}

#[test]
fn hset_hget_hmget_hlen_hexists_hstrlen() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "22"]), 2);
    assert_eq!(q::<i64>(&mut con, &["HSET", "h", "a", "3", "c", "4"]), 1);
    assert_eq!(q::<String>(&mut con, &["HMSET", "h", "d", "5"]), "OK");
    assert_eq!(q::<Option<String>>(&mut con, &["HGET", "h", "a"]), Some("3".into()));
    assert_eq!(q::<Option<String>>(&mut con, &["HGET", "h", "zz"]), None);
    assert_eq!(q::<Option<String>>(&mut con, &["HGET", "nokey", "a"]), None);
    let v: Vec<Option<String>> = q(&mut con, &["HMGET", "h", "a", "zz", "b"]);
    assert_eq!(v, vec![Some("3".into()), None, Some("22".into())]);
    let v: Vec<Option<String>> = q(&mut con, &["HMGET", "nokey", "a", "b"]);
    assert_eq!(v, vec![None, None]);
    assert_eq!(q::<i64>(&mut con, &["HLEN", "h"]), 4);
    assert_eq!(q::<i64>(&mut con, &["HLEN", "nokey"]), 0);
    assert_eq!(q::<i64>(&mut con, &["HEXISTS", "h", "b"]), 1);
    assert_eq!(q::<i64>(&mut con, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(q::<i64>(&mut con, &["HSTRLEN", "h", "b"]), 2);
    assert_eq!(q::<i64>(&mut con, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(q::<String>(&mut con, &["TYPE", "h"]), "hash");
}

#[test]
fn hsetnx_sets_only_a_missing_field() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["HSETNX", "h", "a", "1"]), 1);
    assert_eq!(q::<i64>(&mut con, &["HSETNX", "h", "a", "2"]), 0);
    assert_eq!(q::<String>(&mut con, &["HGET", "h", "a"]), "1");
}

#[test]
fn hgetall_hkeys_hvals_return_every_pair() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let all: HashMap<String, String> = q(&mut con, &["HGETALL", "h"]);
    let want: HashMap<String, String> = [("a", "1"), ("b", "2"), ("c", "3")]
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    assert_eq!(all, want);
    let mut keys: Vec<String> = q(&mut con, &["HKEYS", "h"]);
    keys.sort();
    assert_eq!(keys, ["a", "b", "c"]);
    let mut vals: Vec<String> = q(&mut con, &["HVALS", "h"]);
    vals.sort();
    assert_eq!(vals, ["1", "2", "3"]);
    assert!(q::<Vec<String>>(&mut con, &["HGETALL", "nokey"]).is_empty());
    assert!(q::<Vec<String>>(&mut con, &["HKEYS", "nokey"]).is_empty());
    assert!(q::<Vec<String>>(&mut con, &["HVALS", "nokey"]).is_empty());
}

#[test]
fn hgetall_is_a_map_in_resp3() {
    let srv = Server::start(&[]);
    let mut con = srv.redis_client(true).get_connection().expect("connect");
    q::<i64>(&mut con, &["HSET", "h", "a", "1"]);
    let v: Value = q(&mut con, &["HGETALL", "h"]);
    assert_eq!(
        v,
        Value::Map(vec![(
            Value::BulkString(b"a".to_vec()),
            Value::BulkString(b"1".to_vec())
        )])
    );
    let v: Value = q(&mut con, &["HGETALL", "nokey"]);
    assert_eq!(v, Value::Map(vec![]));
}

#[test]
fn hdel_removes_fields_and_the_key_with_the_last() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<i64>(&mut con, &["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(q::<i64>(&mut con, &["HDEL", "h", "a", "a", "zz"]), 1);
    assert_eq!(q::<i64>(&mut con, &["HDEL", "h", "b"]), 1);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "h"]), 0);
    assert_eq!(q::<i64>(&mut con, &["HDEL", "h", "b"]), 0);
}

#[test]
fn hincrby_counts_and_refuses_bad_values() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let mut w = srv.wire();
    assert_eq!(q::<i64>(&mut con, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(q::<i64>(&mut con, &["HINCRBY", "h", "n", "-8"]), -3);
    assert_eq!(q::<String>(&mut con, &["HGET", "h", "n"]), "-3");
    q::<i64>(&mut con, &["HSET", "h", "s", "abc", "max", "9223372036854775807"]);
    assert_eq!(
        err(&mut w, &["HINCRBY", "h", "s", "1"]),
        "ERR hash value is not an integer"
    );
    assert_eq!(
        err(&mut w, &["HINCRBY", "h", "max", "1"]),
        "ERR increment or decrement would overflow"
    );
    assert_eq!(
        err(&mut w, &["HINCRBY", "h", "n", "1.5"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(q::<String>(&mut con, &["HGET", "h", "max"]), "9223372036854775807");
}

#[test]
fn hincrbyfloat_prints_as_redis_and_refuses_bad_values() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let mut w = srv.wire();
    assert_eq!(q::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "0.1"]), "0.1");
    assert_eq!(q::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "0.2"]), "0.3");
    assert_eq!(
        q::<String>(&mut con, &["HINCRBYFLOAT", "h", "f", "1e3"]),
        "1000.29999999999999999"
    );
    assert_eq!(q::<String>(&mut con, &["HINCRBYFLOAT", "h", "g", "5.0e3"]), "5000");
    q::<i64>(&mut con, &["HSET", "h", "s", "abc", "i", "inf"]);
    assert_eq!(
        err(&mut w, &["HINCRBYFLOAT", "h", "s", "1"]),
        "ERR hash value is not a float"
    );
    assert_eq!(
        err(&mut w, &["HINCRBYFLOAT", "h", "f", "x"]),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err(&mut w, &["HINCRBYFLOAT", "h", "f", "inf"]),
        "ERR value is NaN or Infinity"
    );
    assert_eq!(
        err(&mut w, &["HINCRBYFLOAT", "h", "i", "1"]),
        "ERR increment would produce NaN or Infinity"
    );
}

#[test]
fn arity_errors_name_the_command() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for (args, name) in [
        (&["HSET", "h", "a"][..], "hset"),
        (&["HSET", "h", "a", "1", "b"][..], "hset"),
        (&["HMSET", "h", "a", "1", "b"][..], "hmset"),
        (&["HSETNX", "h", "a"][..], "hsetnx"),
        (&["HGET", "h"][..], "hget"),
        (&["HMGET", "h"][..], "hmget"),
        (&["HDEL", "h"][..], "hdel"),
        (&["HINCRBY", "h", "a"][..], "hincrby"),
        (&["HRANDFIELD"][..], "hrandfield"),
        (&["HSCAN", "h"][..], "hscan"),
    ] {
        assert_eq!(
            err(&mut w, args),
            format!("ERR wrong number of arguments for '{name}' command"),
            "{args:?}"
        );
    }
    assert_eq!(cmd(&mut w, &["EXISTS", "h"]), Frame::Integer(0));
}

#[test]
fn every_hash_command_on_a_string_is_wrongtype() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(cmd(&mut w, &["SET", "s", "v"]), Frame::ok());
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    for args in [
        &["HSET", "s", "a", "1"][..],
        &["HSETNX", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HGETALL", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HDEL", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "2", "WITHVALUES"],
        &["HSCAN", "s", "0"],
    ] {
        assert_eq!(err(&mut w, args), wrongtype, "{args:?}");
    }
    assert_eq!(cmd(&mut w, &["GET", "s"]), Frame::bulk("v"));
}

#[test]
fn hrandfield_counts_and_errors() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(cmd(&mut w, &["HRANDFIELD", "nokey"]), Frame::Null);
    assert_eq!(cmd(&mut w, &["HRANDFIELD", "nokey", "3"]), bulks(&[]));
    cmd(&mut w, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let one = cmd(&mut w, &["HRANDFIELD", "h"]);
    assert!(
        [Frame::bulk("a"), Frame::bulk("b"), Frame::bulk("c")].contains(&one),
        "{one:?}"
    );
    assert_eq!(cmd(&mut w, &["HRANDFIELD", "h", "0"]), bulks(&[]));
    // A count past the size gives the whole hash, each field once.
    let Frame::Array(all) = cmd(&mut w, &["HRANDFIELD", "h", "10"]) else {
        panic!("not an array")
    };
    let all: HashSet<String> = all.into_iter().map(|f| format!("{f:?}")).collect();
    assert_eq!(all.len(), 3);
    // A negative count repeats.
    let Frame::Array(many) = cmd(&mut w, &["HRANDFIELD", "h", "-20"]) else {
        panic!("not an array")
    };
    assert_eq!(many.len(), 20);
    let Frame::Array(pairs) = cmd(&mut w, &["HRANDFIELD", "h", "-5", "WITHVALUES"]) else {
        panic!("not an array")
    };
    assert_eq!(pairs.len(), 10, "RESP2 pairs are flat");
    for p in pairs.chunks(2) {
        let (Frame::Bulk(f), Frame::Bulk(v)) = (&p[0], &p[1]) else {
            panic!("{p:?}")
        };
        let want = match &f[..] {
            b"a" => "1",
            b"b" => "2",
            _ => "3",
        };
        assert_eq!(v, want.as_bytes());
    }
    assert_eq!(
        err(&mut w, &["HRANDFIELD", "h", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut w, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        err(&mut w, &["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"]),
        "ERR value is out of range"
    );
    assert_eq!(err(&mut w, &["HRANDFIELD", "h", "1", "WITH"]), "ERR syntax error");
    assert_eq!(
        err(&mut w, &["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        "ERR syntax error"
    );
}

#[test]
fn hrandfield_with_values_is_an_array_of_pairs_in_resp3() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["HSET", "h", "a", "1"]);
    w.send(&multibulk(&[b"HELLO", b"3"]));
    w.resp3 = true;
    w.read_frame();
    let pair = Frame::Array(vec![Frame::bulk("a"), Frame::bulk("1")]);
    assert_eq!(
        cmd(&mut w, &["HRANDFIELD", "h", "-2", "WITHVALUES"]),
        Frame::Array(vec![pair.clone(), pair.clone()])
    );
    assert_eq!(
        cmd(&mut w, &["HRANDFIELD", "h", "3", "WITHVALUES"]),
        Frame::Array(vec![pair])
    );
    assert_eq!(cmd(&mut w, &["HRANDFIELD", "nokey"]), Frame::Null);
}

/// Runs an HSCAN to its end with `opts` after the cursor, calling
/// `between` after each step; returns the field-value pairs seen.
fn hscan_all(
    w: &mut Wire,
    key: &str,
    opts: &[&str],
    mut between: impl FnMut(&mut Wire, usize),
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    for step in 0.. {
        let mut args = vec!["HSCAN", key, &cursor];
        args.extend_from_slice(opts);
        let Frame::Array(reply) = cmd(w, &args) else {
            panic!("HSCAN reply is not an array")
        };
        let [Frame::Bulk(next), Frame::Array(items)] = &reply[..] else {
            panic!("HSCAN reply shape: {reply:?}")
        };
        for p in items.chunks(2) {
            let (Frame::Bulk(f), Frame::Bulk(v)) = (&p[0], &p[1]) else {
                panic!("{p:?}")
            };
            seen.push((f.clone(), v.clone()));
        }
        between(w, step);
        cursor = String::from_utf8(next.clone()).expect("cursor text");
        if cursor == "0" {
            break;
        }
    }
    seen
}

#[test]
fn hscan_of_a_small_hash_is_one_page() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["HSET", "h", "a", "1", "b", "2", "x", "3"]);
    let reply = cmd(&mut w, &["HSCAN", "h", "0"]);
    let Frame::Array(parts) = reply else { panic!() };
    assert_eq!(parts[0], Frame::bulk("0"));
    let seen = hscan_all(&mut w, "h", &["MATCH", "[ab]"], |_, _| {});
    let mut fields: Vec<_> = seen.into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, [b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(
        cmd(&mut w, &["HSCAN", "nokey", "0"]),
        Frame::Array(vec![Frame::bulk("0"), bulks(&[])])
    );
}

#[test]
fn hscan_of_a_big_hash_pages_through_every_field_once() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for i in 0..1000 {
        cmd(&mut w, &["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
    }
    assert_eq!(cmd(&mut w, &["OBJECT", "ENCODING", "h"]), Frame::bulk("hashtable"));
    let seen = hscan_all(&mut w, "h", &["COUNT", "25"], |_, _| {});
    assert_eq!(seen.len(), 1000);
    let uniq: HashMap<_, _> = seen.into_iter().collect();
    assert_eq!(uniq.len(), 1000);
    assert_eq!(uniq[&b"f7".to_vec()], b"v7");
    let matched = hscan_all(&mut w, "h", &["MATCH", "f1??", "COUNT", "100"], |_, _| {});
    assert_eq!(matched.len(), 100);
}

#[test]
fn hscan_misses_no_field_while_the_hash_grows_and_shrinks() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for i in 0..300 {
        cmd(&mut w, &["HSET", "h", &format!("stay{i}"), "v"]);
    }
    let seen = hscan_all(&mut w, "h", &["COUNT", "10"], |w, step| {
        if step < 20 {
            let mut args = vec!["HSET".to_string(), "h".into()];
            for j in 0..200 {
                args.push(format!("grow{step}-{j}"));
                args.push("v".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cmd(w, &args);
        }
        if (1..30).contains(&step) {
            let mut args = vec!["HDEL".to_string(), "h".into()];
            args.extend((0..200).map(|j| format!("grow{}-{j}", step - 1)));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cmd(w, &args);
        }
    });
    let fields: HashSet<Vec<u8>> = seen.into_iter().map(|(f, _)| f).collect();
    for i in 0..300 {
        assert!(fields.contains(format!("stay{i}").as_bytes()), "missed stay{i}");
    }
}

#[test]
fn hscan_argument_errors_match_redis() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["HSET", "h", "a", "1"]);
    assert_eq!(err(&mut w, &["HSCAN", "h", "x"]), "ERR invalid cursor");
    assert_eq!(
        err(&mut w, &["HSCAN", "h", "18446744073709551616"]),
        "ERR invalid cursor"
    );
    assert_eq!(err(&mut w, &["HSCAN", "h", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(
        err(&mut w, &["HSCAN", "h", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut w, &["HSCAN", "h", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(err(&mut w, &["HSCAN", "h", "0", "NOVALUES"]), "ERR syntax error");
}

#[test]
fn object_encoding_follows_the_listpack_limits() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    cmd(&mut w, &["HSET", "small", "a", "1"]);
    assert_eq!(cmd(&mut w, &["OBJECT", "ENCODING", "small"]), Frame::bulk("listpack"));
    let long = "x".repeat(65);
    cmd(&mut w, &["HSET", "long", "a", &long]);
    assert_eq!(cmd(&mut w, &["OBJECT", "ENCODING", "long"]), Frame::bulk("hashtable"));
    cmd(&mut w, &["HSET", "long", "a", "1"]);
    assert_eq!(
        cmd(&mut w, &["OBJECT", "ENCODING", "long"]),
        Frame::bulk("hashtable"),
        "Redis does not convert back"
    );
}
