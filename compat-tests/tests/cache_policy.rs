//! CACHE.POLICY (a database's default timeout, its kind, eviction and
//! memory limit) through the `redis` crate and a memcached client against
//! the real binary. Time moves with DEBUG ADVANCE-CLOCK, never by sleeping.

use compat_tests::{query, Server};
use query::{err, guarded, int, q};
use redis::{Connection, FromRedisValue, Value};

fn ok(con: &mut Connection, args: &[&str]) {
    let r: String = q(con, args);
    assert_eq!(r, "OK", "{args:?}");
}

/// A server whose clock the test moves, with DEBUG allowed.
fn start() -> (Server, Connection) {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let c = guarded(&s);
    (s, c)
}

fn advance(con: &mut Connection, ms: u64) {
    ok(con, &["DEBUG", "ADVANCE-CLOCK", &ms.to_string()]);
}

fn mc(s: &Server) -> memcache::Client {
    memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", s.mc_port)).expect("memcached client")
}

/// CACHE.GET's ttl and expiry kind.
fn timeout(con: &mut Connection, key: &str) -> (i64, String) {
    let got: Vec<Value> = q(con, &["CACHE.GET", key]);
    let ttl = i64::from_redis_value(got[2].clone()).expect("ttl");
    let kind = String::from_redis_value(got[3].clone()).expect("kind");
    (ttl, kind)
}

/// A remaining time read back: the server's clock runs on between the
/// write and the read, so an absolute timeout may have lost a little.
fn near(ms: i64, want: i64) -> bool {
    ms <= want && ms > want - 5_000
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn policy_replies_its_fields_as_pairs_in_resp2_and_a_map_in_resp3() {
    let (s, mut c) = start();
    let got: Value = q(&mut c, &["CACHE.POLICY", "5"]);
    assert_eq!(
        got,
        Value::Array(vec![
            bulk("default-ttl"),
            Value::Int(-1),
            bulk("default-expiry"),
            bulk("absolute"),
            bulk("eviction"),
            bulk("lru"),
            bulk("maxmemory"),
            Value::Int(0),
            bulk("used-memory"),
            Value::Int(0),
        ])
    );
    ok(
        &mut c,
        &[
            "CACHE.POLICY",
            "5",
            "DEFAULT-TTL",
            "300",
            "DEFAULT-EXPIRY",
            "sliding",
            "EVICTION",
            "none",
            "MAXMEMORY",
            "1048576",
        ],
    );
    let mut c3 = s.redis_client(true).get_connection().expect("resp3");
    let got: Value = q(&mut c3, &["CACHE.POLICY", "5"]);
    let Value::Map(pairs) = got else {
        panic!("a map in RESP3: {got:?}")
    };
    assert_eq!(
        pairs,
        vec![
            (bulk("default-ttl"), Value::Int(300)),
            (bulk("default-expiry"), bulk("sliding")),
            (bulk("eviction"), bulk("none")),
            (bulk("maxmemory"), Value::Int(1_048_576)),
            (bulk("used-memory"), Value::Int(0)),
        ]
    );
    let fields: std::collections::HashMap<String, Value> = q(&mut c, &["CACHE.POLICY", "5"]);
    assert_eq!(fields["default-ttl"], Value::Int(300));
}

#[test]
fn policy_errors_are_worded_as_redis_words_them() {
    let (_s, mut c) = start();
    let range = "ERR DB index is out of range";
    assert_eq!(err(&mut c, &["CACHE.POLICY", "16"]), range);
    assert_eq!(err(&mut c, &["CACHE.POLICY", "-1"]), range);
    let not_int = "ERR value is not an integer or out of range";
    assert_eq!(err(&mut c, &["CACHE.POLICY", "zero"]), not_int);
    assert_eq!(err(&mut c, &["CACHE.POLICY", "0", "DEFAULT-TTL", "1.5"]), not_int);
    assert_eq!(err(&mut c, &["CACHE.POLICY", "0", "MAXMEMORY", "lots"]), not_int);
    let syntax = "ERR syntax error";
    assert_eq!(err(&mut c, &["CACHE.POLICY", "0", "TTL", "5"]), syntax);
    assert_eq!(err(&mut c, &["CACHE.POLICY", "0", "EVICTION", "lfu"]), syntax);
    assert_eq!(err(&mut c, &["CACHE.POLICY", "0", "DEFAULT-EXPIRY"]), syntax);
    assert_eq!(
        err(&mut c, &["CACHE.POLICY", "0", "DEFAULT-TTL", "-5"]),
        "ERR invalid expire time in 'cache.policy' command"
    );
    assert_eq!(
        err(&mut c, &["CACHE.POLICY"]),
        "ERR wrong number of arguments for 'cache.policy' command"
    );
}

#[test]
fn policy_is_in_command_output_with_no_keys() {
    let (_s, mut c) = start();
    let info: Vec<Value> = q(&mut c, &["COMMAND", "INFO", "cache.policy"]);
    let Value::Array(ref cmd) = info[0] else {
        panic!("{info:?}")
    };
    assert_eq!(cmd[0], bulk("cache.policy"));
    assert_eq!(cmd[1], Value::Int(-2));
    let flags: Vec<String> = FromRedisValue::from_redis_value(cmd[2].clone()).expect("flags");
    assert!(flags.iter().any(|f| f == "admin"), "{flags:?}");
    assert!(!flags.iter().any(|f| f == "write" || f == "denyoom"), "{flags:?}");
    assert_eq!(&cmd[3..6], &[Value::Int(0), Value::Int(0), Value::Int(0)]);
    let keys: Vec<String> = q(&mut c, &["COMMAND", "GETKEYS", "SET", "k", "v"]);
    assert_eq!(keys, ["k"]);
}

#[test]
fn writes_without_a_timeout_take_the_default_from_either_protocol() {
    let (s, mut c) = start();
    ok(&mut c, &["CACHE.POLICY", "0", "DEFAULT-TTL", "60"]);
    let _: () = q(&mut c, &["SET", "s", "v"]);
    let _: i64 = q(&mut c, &["HSET", "h", "f", "v"]);
    let _: i64 = q(&mut c, &["CACHE.PUT", "p", "v"]);
    let m = mc(&s);
    m.set("mc", "v", 0).expect("memcached set");
    for key in ["s", "h", "p", "mc"] {
        let ttl = int(&mut c, &["PTTL", key]);
        assert!(near(ttl, 60_000), "{key}: {ttl}");
    }
    let _: () = q(&mut c, &["SET", "ex", "v", "EX", "5"]);
    let ttl = int(&mut c, &["PTTL", "ex"]);
    assert!(near(ttl, 5_000), "a timeout given is kept: {ttl}");
    assert_eq!(int(&mut c, &["PERSIST", "s"]), 1);
    assert_eq!(int(&mut c, &["PTTL", "s"]), -1, "PERSIST still makes it persistent");
    let (ttl, kind) = timeout(&mut c, "p");
    assert!(near(ttl, 60_000) && kind == "absolute", "{ttl} {kind}");
    // At its default deadline the item goes.
    advance(&mut c, 60_001);
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "p"]), None);
    assert_eq!(m.get::<String>("mc").expect("get"), None);
    // Database 1 has no default.
    let _: () = q(&mut c, &["SELECT", "1"]);
    let _: () = q(&mut c, &["SET", "s", "v"]);
    assert_eq!(int(&mut c, &["PTTL", "s"]), -1);
}

#[test]
fn plain_redis_timeouts_slide_in_a_sliding_database() {
    let (_s, mut c) = start();
    ok(&mut c, &["CACHE.POLICY", "0", "DEFAULT-EXPIRY", "sliding"]);
    let _: () = q(&mut c, &["SET", "read", "v", "EX", "10"]);
    let _: () = q(&mut c, &["SET", "idle", "v", "PX", "10000"]);
    let _: () = q(&mut c, &["SET", "exp", "v"]);
    assert_eq!(int(&mut c, &["EXPIRE", "exp", "10"]), 1);
    let _: i64 = q(&mut c, &["CACHE.PUT", "abs", "v", "EX", "10"]);
    assert_eq!(timeout(&mut c, "read"), (10_000, "sliding".into()));
    assert_eq!(timeout(&mut c, "exp"), (10_000, "sliding".into()));
    let (ttl, kind) = timeout(&mut c, "abs");
    assert!(
        near(ttl, 10_000) && kind == "absolute",
        "CACHE.PUT EX is absolute: {ttl} {kind}"
    );
    for _ in 0..3 {
        advance(&mut c, 9_000);
        assert_eq!(q::<Option<String>>(&mut c, &["GET", "read"]).as_deref(), Some("v"));
        assert_eq!(q::<Option<String>>(&mut c, &["GET", "exp"]).as_deref(), Some("v"));
    }
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "idle"]), None, "not read for 27 s");
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "abs"]),
        None,
        "absolute does not move"
    );
    advance(&mut c, 10_001);
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "read"]),
        None,
        "ten seconds without a read"
    );
}

#[test]
fn memcached_writes_in_a_sliding_database_stay_alive_while_read() {
    let (s, mut c) = start();
    ok(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    ok(&mut c, &["CACHE.POLICY", "0", "DEFAULT-EXPIRY", "sliding"]);
    let m = mc(&s);
    m.set("read", "v", 10).expect("set");
    m.set("idle", "v", 10).expect("set");
    m.set("touched", "v", 0).expect("set");
    assert!(m.touch("touched", 10).expect("touch"));
    assert_eq!(timeout(&mut c, "read"), (10_000, "sliding".into()));
    assert_eq!(timeout(&mut c, "touched"), (10_000, "sliding".into()));
    for _ in 0..3 {
        advance(&mut c, 9_000);
        assert_eq!(m.get::<String>("read").expect("get").as_deref(), Some("v"));
        assert_eq!(m.get::<String>("touched").expect("get").as_deref(), Some("v"));
    }
    assert_eq!(m.get::<String>("idle").expect("get"), None, "not read for 27 s");
    advance(&mut c, 10_001);
    assert_eq!(m.get::<String>("read").expect("get"), None);
    // A database whose policy is absolute (1 here) is untouched: memcached
    // writes live in database 0, so switch 0 back and check.
    ok(&mut c, &["CACHE.POLICY", "0", "DEFAULT-EXPIRY", "absolute"]);
    m.set("abs", "v", 10).expect("set");
    let (ttl, kind) = timeout(&mut c, "abs");
    assert!(near(ttl, 10_000) && kind == "absolute", "{ttl} {kind}");
}

#[test]
fn a_database_over_its_own_limit_refuses_with_eviction_none_and_evicts_with_lru() {
    let (s, mut c) = start();
    let value = "x".repeat(1000);
    ok(&mut c, &["CACHE.POLICY", "0", "MAXMEMORY", "20000", "EVICTION", "none"]);
    let mut stored = 0;
    let refusal = loop {
        match query::cmd(&["SET", &format!("k{stored}"), &value]).query::<Value>(&mut c) {
            Ok(_) => stored += 1,
            Err(e) => break format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
        }
        assert!(stored < 1000, "never refused");
    };
    assert_eq!(refusal, "OOM command not allowed when used memory > 'maxmemory'.");
    let used: std::collections::HashMap<String, Value> = q(&mut c, &["CACHE.POLICY", "0"]);
    let Value::Int(used) = used["used-memory"] else {
        panic!()
    };
    assert!(used > 20_000, "{used}");
    let m = mc(&s);
    let e = m.set("mc", value.as_str(), 0).expect_err("memcached refused too");
    assert!(e.to_string().contains("out of memory"), "{e}");
    assert_eq!(
        q::<Option<String>>(&mut c, &["GET", "k0"]).as_deref(),
        Some(value.as_str())
    );
    // Another database is not held to database 0's limit.
    let _: () = q(&mut c, &["SELECT", "1"]);
    for i in 0..100 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), &value]);
    }
    // With lru, database 0 makes room from its own items.
    let _: () = q(&mut c, &["SELECT", "0"]);
    ok(&mut c, &["CACHE.POLICY", "0", "EVICTION", "lru"]);
    for i in 0..100 {
        let _: () = q(&mut c, &["SET", &format!("n{i}"), &value]);
    }
    m.set("mc", value.as_str(), 0).expect("memcached set evicts too");
    assert!(int(&mut c, &["DBSIZE"]) < 40);
    assert_eq!(int(&mut c, &["EXISTS", "k0"]), 0);
    let _: () = q(&mut c, &["SELECT", "1"]);
    assert_eq!(int(&mut c, &["DBSIZE"]), 100, "database 1 lost nothing");
}

#[test]
fn swapdb_moves_the_items_and_leaves_the_policies() {
    let (_s, mut c) = start();
    ok(&mut c, &["CACHE.POLICY", "1", "DEFAULT-TTL", "100"]);
    let _: () = q(&mut c, &["SELECT", "1"]);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let _: () = q(&mut c, &["SWAPDB", "0", "1"]);
    let fields: std::collections::HashMap<String, Value> = q(&mut c, &["CACHE.POLICY", "1"]);
    assert_eq!(
        fields["default-ttl"],
        Value::Int(100),
        "the policy stayed with the number"
    );
    let _: () = q(&mut c, &["SELECT", "0"]);
    let ttl = int(&mut c, &["PTTL", "k"]);
    assert!(near(ttl, 100_000), "the item kept its own timeout: {ttl}");
    let _: () = q(&mut c, &["SET", "fresh", "v"]);
    assert_eq!(int(&mut c, &["PTTL", "fresh"]), -1, "database 0 still has no default");
}
