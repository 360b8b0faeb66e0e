//! Tags (CACHE.TAGGED, CACHE.DELTAGGED) and dependencies (CACHE.DEPEND)
//! through the `redis` crate and a memcached client against the real
//! binary, with its clock moved by DEBUG ADVANCE-CLOCK where time matters.

use compat_tests::{query, Server};
use query::{err, guarded, int, q};
use redis::{Connection, Value};

fn start() -> (Server, Connection) {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let c = guarded(&s);
    (s, c)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn tagged(c: &mut Connection, how: &str, tags: &[&str]) -> Vec<String> {
    let n = tags.len().to_string();
    let mut args = vec!["CACHE.TAGGED", how, &n];
    args.extend(tags);
    sorted(q(c, &args))
}

fn mc(s: &Server) -> memcache::Client {
    memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", s.mc_port)).unwrap()
}

const NONE: [&str; 0] = [];

#[test]
fn items_are_found_and_removed_by_any_or_all_of_their_tags() {
    let (_s, mut c) = start();
    int(&mut c, &["CACHE.ADD", "a", "1", "TAGS", "2", "x", "y"]);
    int(&mut c, &["CACHE.PUT", "b", "2", "TAGS", "1", "x"]);
    let (h, _, _): (u64, Option<String>, u64) = q(&mut c, &["CACHE.LOCK", "c", "5000", "CREATE"]);
    int(&mut c, &["CACHE.PUTUNLOCK", "c", "3", &h.to_string(), "TAGS", "1", "y"]);
    assert_eq!(tagged(&mut c, "ANY", &["x", "y"]), ["a", "b", "c"]);
    assert_eq!(tagged(&mut c, "ALL", &["y", "x"]), ["a"]);
    assert_eq!(tagged(&mut c, "ANY", &["z"]), NONE);
    let pairs: Vec<(String, String)> = q(&mut c, &["CACHE.TAGGED", "ALL", "1", "y", "WITHVALUES"]);
    assert_eq!(
        sorted(pairs.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        ["a=1", "c=3"]
    );
    let got: Value = q(&mut c, &["CACHE.GET", "a"]);
    let Value::Array(fields) = got else { panic!("{got:?}") };
    assert_eq!(
        fields[5],
        Value::Array(vec![Value::BulkString(b"x".to_vec()), Value::BulkString(b"y".to_vec())])
    );
    assert_eq!(int(&mut c, &["CACHE.DELTAGGED", "ALL", "2", "x", "y"]), 1);
    assert_eq!(int(&mut c, &["CACHE.DELTAGGED", "ANY", "2", "x", "y"]), 2);
    assert_eq!(int(&mut c, &["DBSIZE"]), 0);
    assert_eq!(err(&mut c, &["CACHE.TAGGED", "SOME", "1", "x"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["CACHE.TAGGED", "ANY", "3", "x"]), "ERR syntax error");
}

#[test]
fn tagged_with_values_is_a_map_in_resp3() {
    let s = Server::start(&[]);
    let mut c = s.redis_client(true).get_connection().unwrap();
    int(&mut c, &["CACHE.PUT", "k", "v", "TAGS", "1", "t"]);
    let got: Value = q(&mut c, &["CACHE.TAGGED", "ANY", "1", "t", "WITHVALUES"]);
    assert_eq!(
        got,
        Value::Map(vec![(
            Value::BulkString(b"k".to_vec()),
            Value::BulkString(b"v".to_vec())
        )])
    );
}

#[test]
fn tags_follow_their_item_through_every_removal_and_overwrite() {
    let (s, mut c) = start();
    let mc = mc(&s);
    for k in ["del", "expired", "set", "mcset", "mcdel", "kept"] {
        int(
            &mut c,
            &[
                "CACHE.ADD",
                k,
                "v",
                "PX",
                if k == "expired" { "1000" } else { "600000" },
                "TAGS",
                "1",
                "t",
            ],
        );
    }
    int(&mut c, &["DEL", "del"]);
    q::<()>(&mut c, &["SET", "set", "plain"]);
    mc.set("mcset", "plain", 0).unwrap();
    mc.delete("mcdel").unwrap();
    q::<()>(&mut c, &["DEBUG", "ADVANCE-CLOCK", "2000"]);
    assert_eq!(tagged(&mut c, "ANY", &["t"]), ["kept"]);
    q::<()>(&mut c, &["APPEND", "kept", "more"]);
    assert_eq!(
        tagged(&mut c, "ANY", &["t"]),
        ["kept"],
        "a change in place keeps the tags"
    );
    q::<()>(&mut c, &["FLUSHDB"]);
    assert_eq!(tagged(&mut c, "ANY", &["t"]), NONE);
}

#[test]
fn evicted_items_leave_the_tag_index() {
    let (_s, mut c) = start();
    q::<()>(&mut c, &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    let value = "x".repeat(1000);
    for i in 0..200 {
        int(&mut c, &["CACHE.PUT", &format!("tagged:{i}"), &value, "TAGS", "1", "t"]);
    }
    q::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "2mb"]);
    for i in 0..5000 {
        q::<()>(&mut c, &["SET", &format!("filler:{i}"), &value]);
    }
    let evicted: i64 = q::<redis::InfoDict>(&mut c, &["INFO", "stats"])
        .get("evicted_keys")
        .unwrap();
    assert!(evicted > 0);
    let listed = tagged(&mut c, "ANY", &["t"]);
    let present: Vec<String> = (0..200)
        .map(|i| format!("tagged:{i}"))
        .filter(|k| int(&mut c, &["EXISTS", k]) == 1)
        .collect();
    assert!(present.len() < 200, "some tagged items were evicted");
    assert_eq!(listed, sorted(present));
}

#[test]
fn a_write_or_removal_of_a_parent_from_either_protocol_removes_its_children() {
    let (s, mut c) = start();
    let mc = mc(&s);
    for k in ["p", "c", "g", "q"] {
        q::<()>(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(q::<String>(&mut c, &["CACHE.DEPEND", "c", "p"]), "OK");
    assert_eq!(q::<String>(&mut c, &["CACHE.DEPEND", "g", "c", "q"]), "OK");
    mc.set("p", "new", 0).unwrap();
    assert_eq!(
        int(&mut c, &["EXISTS", "p", "c", "g", "q"]),
        2,
        "c, and g through c, went"
    );
    q::<()>(&mut c, &["SET", "g", "v"]);
    q::<()>(&mut c, &["CACHE.DEPEND", "g", "q"]);
    q::<()>(&mut c, &["HSET", "h", "f", "v"]);
    q::<()>(&mut c, &["CACHE.DEPEND", "q", "h"]);
    q::<()>(&mut c, &["HSET", "h", "f2", "v"]);
    assert_eq!(int(&mut c, &["EXISTS", "q", "g"]), 0, "a write to a hash counts");
    q::<()>(&mut c, &["SET", "a", "v"]);
    q::<()>(&mut c, &["SET", "b", "v"]);
    q::<()>(&mut c, &["CACHE.DEPEND", "b", "a"]);
    mc.delete("a").unwrap();
    assert_eq!(int(&mut c, &["EXISTS", "b"]), 0);
}

#[test]
fn a_parent_that_expires_takes_its_child_with_it() {
    let (_s, mut c) = start();
    q::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    q::<()>(&mut c, &["SET", "p", "v", "PX", "1000"]);
    q::<()>(&mut c, &["SET", "c", "v"]);
    q::<()>(&mut c, &["CACHE.DEPEND", "c", "p"]);
    q::<()>(&mut c, &["DEBUG", "ADVANCE-CLOCK", "2000"]);
    assert_eq!(int(&mut c, &["EXISTS", "c"]), 1, "the parent's expiry is not seen yet");
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "p"]), None);
    assert_eq!(int(&mut c, &["EXISTS", "c"]), 0, "seen now, and the child went with it");
}

#[test]
fn depend_refuses_missing_keys_and_cycles() {
    let (_s, mut c) = start();
    for k in ["a", "b", "c"] {
        q::<()>(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(
        err(&mut c, &["CACHE.DEPEND", "a", "missing"]),
        "NOKEY no such key (a dependency joins existing items)"
    );
    assert_eq!(
        err(&mut c, &["CACHE.DEPEND", "a", "a"]),
        "CYCLE the dependency would make a cycle"
    );
    q::<()>(&mut c, &["CACHE.DEPEND", "b", "a"]);
    q::<()>(&mut c, &["CACHE.DEPEND", "c", "b"]);
    assert_eq!(
        err(&mut c, &["CACHE.DEPEND", "a", "c"]),
        "CYCLE the dependency would make a cycle"
    );
    q::<()>(&mut c, &["SET", "a", "w"]);
    assert_eq!(
        int(&mut c, &["EXISTS", "a", "b", "c"]),
        1,
        "the refused edge changed nothing"
    );
}

#[test]
fn the_tag_and_dependency_commands_are_in_command_info() {
    let (_s, mut c) = start();
    let info: Vec<Value> = q(
        &mut c,
        &["COMMAND", "INFO", "CACHE.TAGGED", "CACHE.DELTAGGED", "CACHE.DEPEND"],
    );
    let head = |v: &Value| -> (String, i64, Vec<String>, i64, i64, i64) {
        let Value::Array(f) = v else { panic!("{v:?}") };
        let name: String = redis::FromRedisValue::from_redis_value(f[0].clone()).unwrap();
        let flags: Vec<String> = redis::FromRedisValue::from_redis_value(f[2].clone()).unwrap();
        let int = |i: usize| -> i64 { redis::FromRedisValue::from_redis_value(f[i].clone()).unwrap() };
        (name, int(1), flags, int(3), int(4), int(5))
    };
    assert_eq!(
        head(&info[0]),
        ("cache.tagged".into(), -4, vec!["readonly".into()], 0, 0, 0)
    );
    assert_eq!(
        head(&info[1]),
        ("cache.deltagged".into(), -4, vec!["write".into()], 0, 0, 0)
    );
    assert_eq!(
        head(&info[2]),
        (
            "cache.depend".into(),
            -3,
            vec!["write".into(), "denyoom".into()],
            1,
            -1,
            1
        )
    );
    let keys: Vec<String> = q(&mut c, &["COMMAND", "GETKEYS", "CACHE.DEPEND", "child", "p1", "p2"]);
    assert_eq!(keys, ["child", "p1", "p2"]);
}
