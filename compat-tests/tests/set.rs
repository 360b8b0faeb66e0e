//! Set commands through the `redis` crate against the real binary. Every
//! expected reply and error text was checked against redis-server 7 (the
//! encodings against Redis 7.2's rules: 7.0 has no listpack sets).
//! Members come back in no particular order, so replies are compared as
//! sorted lists or sets.

use compat_tests::query::{err, int, q};
use compat_tests::Server;
use redis::{Connection, Value};
use std::collections::HashSet;

/// The members a command replied, sorted.
fn sorted(con: &mut Connection, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = q(con, args);
    v.sort();
    v
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn start() -> (Server, Connection) {
    let s = Server::start(&[]);
    let c = s.redis();
    (s, c)
}

#[test]
fn sadd_srem_scard_sismember_and_smismember() {
    let (_s, mut c) = start();
    assert_eq!(int(&mut c, &["SADD", "s", "a", "b", "a"]), 2);
    assert_eq!(int(&mut c, &["SADD", "s", "b", "c"]), 1);
    assert_eq!(int(&mut c, &["SCARD", "s"]), 3);
    assert_eq!(int(&mut c, &["SCARD", "nokey"]), 0);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", "zz"]), 0);
    assert_eq!(int(&mut c, &["SISMEMBER", "nokey", "a"]), 0);
    let v: Vec<i64> = q(&mut c, &["SMISMEMBER", "s", "a", "zz", "c"]);
    assert_eq!(v, [1, 0, 1]);
    let v: Vec<i64> = q(&mut c, &["SMISMEMBER", "nokey", "a", "b"]);
    assert_eq!(v, [0, 0]);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "s"]), ["a", "b", "c"]);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "nokey"]), Vec::<String>::new());
    assert_eq!(int(&mut c, &["SREM", "s", "a", "zz"]), 1);
    assert_eq!(int(&mut c, &["SREM", "nokey", "a"]), 0);
    assert_eq!(int(&mut c, &["SREM", "s", "b", "c"]), 2);
    assert_eq!(int(&mut c, &["EXISTS", "s"]), 0, "an emptied set is deleted");
    assert_eq!(
        err(&mut c, &["SADD", "s"]),
        "ERR wrong number of arguments for 'sadd' command"
    );
}

#[test]
fn spop_pops_one_or_count_and_deletes_the_emptied_set() {
    let (_s, mut c) = start();
    let none: Option<String> = q(&mut c, &["SPOP", "nokey"]);
    assert_eq!(none, None);
    assert_eq!(sorted(&mut c, &["SPOP", "nokey", "3"]), Vec::<String>::new());
    int(&mut c, &["SADD", "s", "a", "b", "c", "d", "e"]);
    let one: String = q(&mut c, &["SPOP", "s"]);
    assert_eq!(int(&mut c, &["SISMEMBER", "s", &one]), 0);
    let two = sorted(&mut c, &["SPOP", "s", "2"]);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    assert_eq!(int(&mut c, &["SCARD", "s"]), 2);
    assert_eq!(sorted(&mut c, &["SPOP", "s", "0"]), Vec::<String>::new());
    let rest = sorted(&mut c, &["SPOP", "s", "100"]);
    assert_eq!(rest.len(), 2);
    let all: HashSet<String> = rest.into_iter().chain(two).chain([one]).collect();
    assert_eq!(all.len(), 5, "every member popped once");
    assert_eq!(int(&mut c, &["EXISTS", "s"]), 0);
    assert_eq!(
        err(&mut c, &["SPOP", "s", "-1"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(
        err(&mut c, &["SPOP", "s", "abc"]),
        "ERR value is out of range, must be positive"
    );
    assert_eq!(err(&mut c, &["SPOP", "s", "1", "2"]), "ERR syntax error");
}

#[test]
fn spop_with_count_on_a_large_set_pops_distinct_members() {
    let (_s, mut c) = start();
    let members: Vec<String> = (0..5000).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "big"];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(int(&mut c, &args), 5000);
    let mut seen = HashSet::new();
    for _ in 0..49 {
        for m in sorted(&mut c, &["SPOP", "big", "100"]) {
            assert!(seen.insert(m));
        }
    }
    assert_eq!(int(&mut c, &["SCARD", "big"]), 100);
    let last = sorted(&mut c, &["SPOP", "big", "100"]);
    seen.extend(last);
    assert_eq!(seen.len(), 5000);
    assert_eq!(int(&mut c, &["EXISTS", "big"]), 0);
}

#[test]
fn srandmember_positive_count_is_distinct_and_negative_may_repeat() {
    let (_s, mut c) = start();
    let none: Option<String> = q(&mut c, &["SRANDMEMBER", "nokey"]);
    assert_eq!(none, None);
    assert_eq!(sorted(&mut c, &["SRANDMEMBER", "nokey", "5"]), Vec::<String>::new());
    int(&mut c, &["SADD", "s", "a", "b", "c"]);
    let one: String = q(&mut c, &["SRANDMEMBER", "s"]);
    assert!(["a", "b", "c"].contains(&one.as_str()));
    assert_eq!(sorted(&mut c, &["SRANDMEMBER", "s", "10"]), ["a", "b", "c"]);
    let two = sorted(&mut c, &["SRANDMEMBER", "s", "2"]);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    let many = sorted(&mut c, &["SRANDMEMBER", "s", "-20"]);
    assert_eq!(many.len(), 20);
    assert!(many.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
    assert_eq!(sorted(&mut c, &["SRANDMEMBER", "s", "0"]), Vec::<String>::new());
    assert_eq!(int(&mut c, &["SCARD", "s"]), 3, "nothing removed");
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(err(&mut c, &["SRANDMEMBER", "s", "1", "2"]), "ERR syntax error");
}

#[test]
fn srandmember_distinct_sample_of_a_large_set() {
    let (_s, mut c) = start();
    let members: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "big"];
    args.extend(members.iter().map(String::as_str));
    int(&mut c, &args);
    for count in ["10", "999", "2500"] {
        let got = sorted(&mut c, &["SRANDMEMBER", "big", count]);
        let uniq: HashSet<&String> = got.iter().collect();
        assert_eq!(got.len().to_string(), count);
        assert_eq!(uniq.len(), got.len());
    }
}

#[test]
fn smove_moves_a_member_between_sets() {
    let (_s, mut c) = start();
    int(&mut c, &["SADD", "a", "1", "2"]);
    let _: () = q(&mut c, &["SET", "str", "x"]);
    assert_eq!(int(&mut c, &["SMOVE", "nokey", "str", "1"]), 0, "source checked first");
    assert_eq!(err(&mut c, &["SMOVE", "str", "a", "1"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["SMOVE", "a", "str", "zz"]), WRONGTYPE);
    assert_eq!(int(&mut c, &["SMOVE", "a", "b", "1"]), 1);
    assert_eq!(int(&mut c, &["SMOVE", "a", "b", "1"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "a", "a", "2"]), 1);
    assert_eq!(int(&mut c, &["SMOVE", "a", "a", "9"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", "a", "b", "2"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", "a"]), 0);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "b"]), ["1", "2"]);
}

#[test]
fn sinter_sunion_sdiff_and_sintercard() {
    let (_s, mut c) = start();
    int(&mut c, &["SADD", "a", "1", "2", "3", "4"]);
    int(&mut c, &["SADD", "b", "3", "4", "5"]);
    int(&mut c, &["SADD", "c", "x", "4"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a", "b"]), ["3", "4"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a", "b", "c"]), ["4"]);
    assert_eq!(sorted(&mut c, &["SINTER", "a", "nokey"]), Vec::<String>::new());
    assert_eq!(
        sorted(&mut c, &["SUNION", "a", "b", "c"]),
        ["1", "2", "3", "4", "5", "x"]
    );
    assert_eq!(sorted(&mut c, &["SUNION", "nokey"]), Vec::<String>::new());
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b"]), ["1", "2"]);
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b", "c"]), ["1", "2"]);
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "a"]), Vec::<String>::new());
    assert_eq!(sorted(&mut c, &["SDIFF", "nokey", "a"]), Vec::<String>::new());
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "nokey"]), ["1", "2", "3", "4"]);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b"]), 2);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]), 1);
    assert_eq!(int(&mut c, &["SINTERCARD", "2", "a", "b", "limit", "0"]), 2);
    assert_eq!(int(&mut c, &["SINTERCARD", "1", "nokey"]), 0);
    assert_eq!(
        err(&mut c, &["SINTERCARD", "0", "a"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "abc", "a"]),
        "ERR numkeys should be greater than 0"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "3", "a", "b"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "-1"]),
        "ERR LIMIT can't be negative"
    );
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "bogus"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SINTERCARD", "1", "a", "LIMIT"]), "ERR syntax error");
}

#[test]
fn store_forms_overwrite_any_type_and_delete_on_an_empty_result() {
    let (_s, mut c) = start();
    int(&mut c, &["SADD", "a", "1", "2", "3"]);
    int(&mut c, &["SADD", "b", "2", "3", "x"]);
    let _: () = q(&mut c, &["SET", "d", "string"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "b"]), 2);
    let t: String = q(&mut c, &["TYPE", "d"]);
    assert_eq!(t, "set");
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), ["2", "3"]);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "a", "b"]), 4);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), ["1", "2", "3", "x"]);
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "a", "b"]), 1);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), ["1"]);
    assert_eq!(int(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
    int(&mut c, &["SADD", "d", "z"]);
    assert_eq!(int(&mut c, &["SUNIONSTORE", "d", "nokey"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
    int(&mut c, &["SADD", "d", "z"]);
    assert_eq!(int(&mut c, &["SDIFFSTORE", "d", "a", "a"]), 0);
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
    assert_eq!(
        int(&mut c, &["SUNIONSTORE", "a", "a", "b"]),
        4,
        "a source may be the destination"
    );
}

#[test]
fn every_set_command_against_a_string_is_wrongtype() {
    let (_s, mut c) = start();
    let _: () = q(&mut c, &["SET", "str", "x"]);
    int(&mut c, &["SADD", "s", "a"]);
    let cases: &[&[&str]] = &[
        &["SADD", "str", "a"],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "-2"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "s", "str"],
        &["SUNION", "s", "str"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNIONSTORE", "d", "s", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ];
    for args in cases {
        assert_eq!(err(&mut c, args), WRONGTYPE, "{args:?}");
    }
    let v: String = q(&mut c, &["GET", "str"]);
    assert_eq!(v, "x");
    assert_eq!(int(&mut c, &["EXISTS", "d"]), 0);
}

#[test]
fn object_encoding_follows_redis_7_2() {
    let (_s, mut c) = start();
    let enc = |c: &mut Connection, k: &str| -> String { q(c, &["OBJECT", "ENCODING", k]) };
    int(&mut c, &["SADD", "i", "1", "2", "3"]);
    assert_eq!(enc(&mut c, "i"), "intset");
    int(&mut c, &["SADD", "i", "a"]);
    assert_eq!(enc(&mut c, "i"), "listpack");
    int(&mut c, &["SADD", "i", &"x".repeat(65)]);
    assert_eq!(enc(&mut c, "i"), "hashtable");
    int(&mut c, &["SREM", "i", &"x".repeat(65)]);
    assert_eq!(enc(&mut c, "i"), "hashtable", "never converted back");
    let many: Vec<String> = (0..129).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "big"];
    args.extend(many.iter().map(String::as_str));
    int(&mut c, &args);
    assert_eq!(enc(&mut c, "big"), "hashtable");
}

/// Pages through a set with SSCAN and returns every member seen, calling
/// `between` after each call.
fn sscan_all(c: &mut Connection, key: &str, extra: &[&str], mut between: impl FnMut(&mut Connection)) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let mut args = vec!["SSCAN", key, &cursor];
        args.extend_from_slice(extra);
        let (next, page): (String, Vec<String>) = q(c, &args);
        seen.extend(page);
        between(c);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
}

#[test]
fn sscan_returns_every_member_present_throughout_once_while_the_set_grows_and_shrinks() {
    let (_s, mut c) = start();
    let stay: Vec<String> = (0..1000).map(|i| format!("stay{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(stay.iter().map(String::as_str));
    int(&mut c, &args);
    let mut round = 0;
    let seen = sscan_all(&mut c, "s", &["COUNT", "15"], |c| {
        // Grow the set tenfold, then shrink it back, between calls.
        if round < 20 {
            let extra: Vec<String> = (0..500).map(|j| format!("grow{round}-{j}")).collect();
            let mut args = vec!["SADD", "s"];
            args.extend(extra.iter().map(String::as_str));
            int(c, &args);
        } else if round < 40 {
            let extra: Vec<String> = (0..500).map(|j| format!("grow{}-{j}", round - 20)).collect();
            let mut args = vec!["SREM", "s"];
            args.extend(extra.iter().map(String::as_str));
            int(c, &args);
        }
        round += 1;
    });
    assert!(round > 40, "the scan outlived the churn: {round} calls");
    let stays: Vec<&String> = seen.iter().filter(|m| m.starts_with("stay")).collect();
    let uniq: HashSet<&&String> = stays.iter().collect();
    assert_eq!(uniq.len(), 1000, "no member missed");
    assert_eq!(stays.len(), 1000, "none returned twice");
}

#[test]
fn sscan_match_count_and_errors() {
    let (_s, mut c) = start();
    let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(members.iter().map(String::as_str));
    int(&mut c, &args);
    let mut got = sscan_all(&mut c, "s", &["MATCH", "m1*", "COUNT", "7"], |_| {});
    got.sort();
    assert_eq!(got.len(), 111, "m1, m10-m19, m100-m199");
    // A small set comes whole in one call, whatever COUNT says.
    int(&mut c, &["SADD", "small", "1", "2", "3"]);
    let (cur, page): (String, Vec<String>) = q(&mut c, &["SSCAN", "small", "0", "COUNT", "1"]);
    assert_eq!(cur, "0");
    assert_eq!(page.len(), 3);
    let (cur, page): (String, Vec<String>) = q(&mut c, &["SSCAN", "nokey", "0", "COUNT", "0"]);
    assert_eq!((cur.as_str(), page.len()), ("0", 0));
    assert_eq!(err(&mut c, &["SSCAN", "s", "abc"]), "ERR invalid cursor");
    assert_eq!(err(&mut c, &["SSCAN", "s", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &["SSCAN", "s", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut c, &["SSCAN", "s", "0", "MATCH"]), "ERR syntax error");
    assert_eq!(err(&mut c, &["SSCAN", "s", "0", "TYPE", "string"]), "ERR syntax error");
}

#[test]
fn resp3_set_replies_decode_as_sets() {
    let srv = Server::start(&[]);
    let mut c = srv.redis_client(true).get_connection().expect("RESP3 connection");
    int(&mut c, &["SADD", "s", "a", "b"]);
    for args in [
        &["SMEMBERS", "s"][..],
        &["SUNION", "s"],
        &["SINTER", "s"],
        &["SDIFF", "s"],
    ] {
        let v: Value = q(&mut c, args);
        assert!(matches!(&v, Value::Set(m) if m.len() == 2), "{args:?}: {v:?}");
    }
    let v: Value = q(&mut c, &["SPOP", "s", "1"]);
    assert!(matches!(&v, Value::Set(m) if m.len() == 1), "{v:?}");
    let v: Value = q(&mut c, &["SRANDMEMBER", "s", "1"]);
    assert!(matches!(&v, Value::Array(m) if m.len() == 1), "{v:?}");
}
