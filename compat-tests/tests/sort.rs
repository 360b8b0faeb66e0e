//! SORT and SORT_RO through the `redis` crate, against the real binary.
//! Sorting itself is covered by the handler tests in src/command/sort.rs,
//! which build lists, sets and sorted sets in the store; here the wire
//! behaviour that needs no aggregate to start from.

use compat_tests::query::{err, q};
use compat_tests::Server;
use redis::Value;

#[test]
fn sort_of_a_missing_key_is_empty_and_its_store_deletes_the_destination() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert!(q::<Vec<String>>(&mut con, &["SORT", "missing"]).is_empty());
    assert!(q::<Vec<String>>(
        &mut con,
        &["SORT_RO", "missing", "BY", "w_*", "GET", "#", "LIMIT", "0", "10"]
    )
    .is_empty());
    q::<()>(&mut con, &["SET", "dest", "v"]);
    assert_eq!(q::<i64>(&mut con, &["SORT", "missing", "STORE", "dest"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "dest"]), 0);
}

#[test]
fn sort_of_a_string_is_wrongtype() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "s", "1"]);
    assert!(err(&mut con, &["SORT", "s"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["SORT_RO", "s", "ALPHA"]).contains("WRONGTYPE"));
    assert!(err(&mut con, &["SORT", "s", "STORE", "d"]).contains("WRONGTYPE"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "d"]), 0);
}

#[test]
fn sort_option_errors_come_before_the_key_lookup() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "s", "1"]);
    assert!(err(&mut con, &["SORT", "s", "LIMIT", "1"]).contains("syntax error"));
    assert!(err(&mut con, &["SORT", "s", "LIMIT", "a", "1"]).contains("value is not an integer or out of range"));
    assert!(err(&mut con, &["SORT", "s", "BOGUS"]).contains("syntax error"));
    assert!(err(&mut con, &["SORT", "s", "GET"]).contains("syntax error"));
    assert!(err(&mut con, &["SORT_RO", "s", "STORE", "d"]).contains("syntax error"));
    assert!(err(&mut con, &["SORT"]).contains("wrong number of arguments for 'sort' command"));
}

#[test]
fn sort_and_sort_ro_are_declared_as_in_redis_7() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let info: Value = q(&mut con, &["COMMAND", "INFO", "sort", "sort_ro"]);
    let text = format!("{info:?}");
    for flag in ["write", "denyoom", "movablekeys", "readonly"] {
        assert!(text.contains(flag), "{flag} in {text}");
    }
}

/// SORT of a set BY a constant pattern, called from a script, gives the
/// members sorted as strings (GET patterns too), as Redis 7.0 does so that
/// scripts see the same on every server.
#[test]
fn sort_by_constant_of_a_set_is_ordered_inside_scripts() {
    let s = compat_tests::Server::start(&[]);
    let mut c = s.redis();
    let _: i64 = redis::cmd("SADD")
        .arg("myset")
        .arg(&["b", "aa", "c", "a", "azz"])
        .query(&mut c)
        .unwrap();
    let got: Vec<String> = redis::cmd("EVAL")
        .arg("return redis.call('sort', KEYS[1], 'by', '_')")
        .arg(1)
        .arg("myset")
        .query(&mut c)
        .unwrap();
    assert_eq!(got, ["a", "aa", "azz", "b", "c"]);
    let got: Vec<Option<String>> = redis::cmd("EVAL")
        .arg("return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')")
        .arg(1)
        .arg("myset")
        .query(&mut c)
        .unwrap();
    assert_eq!(got[0..4], [Some("a".into()), None, Some("aa".into()), None]);
}
