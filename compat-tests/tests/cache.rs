//! The CACHE.* item and lock commands through the `redis` crate (and a
//! memcached client for the cross-protocol lines) against the real binary.
//! Waits are on conditions (INFO's blocked_clients), never on a clock;
//! reads have the harness's generous limit as a hang guard.

use compat_tests::{query, Server};
use query::{clients_field, cmd, guarded, wait_blocked};
use redis::{Connection, FromRedisValue, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

// The shared helpers, at `&[&str]` so that arguments built with
// `to_string()` mix with literals.
fn q<T: FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    query::q(con, args)
}

fn int(con: &mut Connection, args: &[&str]) -> i64 {
    query::int(con, args)
}

fn err(con: &mut Connection, args: &[&str]) -> String {
    query::err(con, args)
}

/// CACHE.LOCK's reply: handle, value, version.
fn lock(con: &mut Connection, args: &[&str]) -> (u64, Option<String>, u64) {
    q(con, args)
}

fn start() -> (Server, Connection) {
    let s = Server::start(&[]);
    let c = guarded(&s);
    (s, c)
}

const LOCKED: &str = "LOCKED the key is locked under another handle";
const BADHANDLE: &str = "BADHANDLE the handle given does not hold the lock";
const NOTLOCKED: &str = "NOTLOCKED the key is not locked";
const NOKEY: &str = "NOKEY no such key (CREATE locks a missing key)";
const EXISTS: &str = "EXISTS the key already exists";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn add_stores_once_and_put_overwrites_each_with_a_new_version() {
    let (_s, mut c) = start();
    let v1 = int(&mut c, &["CACHE.ADD", "k", "a"]);
    assert_eq!(err(&mut c, &["CACHE.ADD", "k", "b"]), EXISTS);
    let v2 = int(&mut c, &["CACHE.PUT", "k", "b"]);
    assert!(v2 > v1);
    let _: () = q(&mut c, &["SET", "k", "c"]);
    let v3 = int(&mut c, &["CACHE.PUT", "k", "d"]);
    assert!(v3 > v2 + 1, "SET in between took a version too");
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "d");
    let stale: Option<i64> = q(&mut c, &["CACHE.PUT", "k", "e", "IFVERSION", &v2.to_string()]);
    assert_eq!(stale, None);
    let missing: Option<i64> = q(&mut c, &["CACHE.PUT", "nokey", "e", "IFVERSION", "1"]);
    assert_eq!(missing, None);
    assert!(int(&mut c, &["CACHE.PUT", "k", "e", "IFVERSION", &v3.to_string()]) > v3);
}

#[test]
fn cache_get_is_an_array_in_resp2_and_a_map_in_resp3() {
    let (s, mut c) = start();
    let v = int(
        &mut c,
        &["CACHE.PUT", "k", "hello", "SLIDE", "60", "PRIORITY", "abovenormal"],
    );
    let got: Value = q(&mut c, &["CACHE.GET", "k"]);
    assert_eq!(
        got,
        Value::Array(vec![
            Value::BulkString(b"hello".to_vec()),
            Value::Int(v),
            Value::Int(60_000),
            Value::BulkString(b"sliding".to_vec()),
            Value::BulkString(b"abovenormal".to_vec()),
            Value::Array(vec![]),
            Value::Int(0),
        ])
    );
    assert_eq!(q::<Value>(&mut c, &["CACHE.GET", "nokey"]), Value::Nil);
    let mut c3 = s.redis_client(true).get_connection().expect("connect");
    let _: Value = q(&mut c3, &["CACHE.LOCK", "k", "10000"]);
    let Value::Map(fields) = q::<Value>(&mut c3, &["CACHE.GET", "k"]) else {
        panic!("not a map")
    };
    let names: Vec<String> = fields
        .iter()
        .map(|(k, _)| String::from_redis_value(k.clone()).expect("name"))
        .collect();
    assert_eq!(
        names,
        ["value", "version", "ttl", "expiry", "priority", "tags", "locked"]
    );
    assert_eq!(fields[6].1, Value::Int(1));
}

#[test]
fn getifnewer_returns_the_item_only_when_its_version_moved() {
    let (_s, mut c) = start();
    let v = int(&mut c, &["CACHE.PUT", "k", "a"]);
    let same: Option<(String, i64)> = q(&mut c, &["CACHE.GETIFNEWER", "k", &v.to_string()]);
    assert_eq!(same, None);
    let _: () = q(&mut c, &["SET", "k", "b"]);
    let newer: (String, i64) = q(&mut c, &["CACHE.GETIFNEWER", "k", &v.to_string()]);
    assert_eq!(newer.0, "b");
    assert!(newer.1 > v);
    let missing: Option<(String, i64)> = q(&mut c, &["CACHE.GETIFNEWER", "nokey", "1"]);
    assert_eq!(missing, None);
}

#[test]
fn lock_putunlock_round_trip_and_handle_errors() {
    let (_s, mut c) = start();
    let v = int(&mut c, &["CACHE.PUT", "k", "1"]);
    let (h, value, version) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!((value.as_deref(), version), (Some("1"), v as u64));
    assert_eq!(err(&mut c, &["CACHE.LOCK", "k", "10000"]), LOCKED);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "1", "reads ignore locks");
    let wrong = (h + 1).to_string();
    assert_eq!(err(&mut c, &["CACHE.PUTUNLOCK", "k", "2", &wrong]), BADHANDLE);
    assert_eq!(err(&mut c, &["CACHE.UNLOCK", "k", &wrong]), BADHANDLE);
    let v2 = int(&mut c, &["CACHE.PUTUNLOCK", "k", "2", &h.to_string()]);
    assert!(v2 > v);
    assert_eq!(err(&mut c, &["CACHE.PUTUNLOCK", "k", "3", &h.to_string()]), NOTLOCKED);
    assert_eq!(err(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]), NOTLOCKED);
    let (h2, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert!(h2 > h, "handles only grow");
    assert_eq!(
        q::<String>(&mut c, &["CACHE.UNLOCK", "k", &h2.to_string(), "EX", "100"]),
        "OK"
    );
    assert_eq!(int(&mut c, &["TTL", "k"]), 100);
    let _ = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!(int(&mut c, &["CACHE.FORCEUNLOCK", "k"]), 1);
    assert_eq!(int(&mut c, &["CACHE.FORCEUNLOCK", "k"]), 0);
}

#[test]
fn a_missing_key_is_locked_only_with_create_as_a_placeholder() {
    let (_s, mut c) = start();
    assert_eq!(err(&mut c, &["CACHE.LOCK", "k", "10000"]), NOKEY);
    let (h, value, version) = lock(&mut c, &["CACHE.LOCK", "k", "10000", "CREATE"]);
    assert_eq!((value, version), (None, 0));
    assert_eq!(q::<Option<String>>(&mut c, &["GET", "k"]), None);
    assert_eq!(q::<Value>(&mut c, &["CACHE.GET", "k"]), Value::Nil);
    assert_eq!(err(&mut c, &["CACHE.LOCK", "k", "10000", "CREATE"]), LOCKED);
    assert_eq!(err(&mut c, &["CACHE.ADD", "k", "x"]), EXISTS);
    int(&mut c, &["CACHE.PUTUNLOCK", "k", "filled", &h.to_string()]);
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "filled");
}

#[test]
fn plain_writes_release_the_lock_and_del_removes_a_locked_item() {
    let (_s, mut c) = start();
    int(&mut c, &["CACHE.PUT", "k", "1"]);
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!(int(&mut c, &["INCR", "k"]), 2);
    assert_eq!(err(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]), NOTLOCKED);
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    int(&mut c, &["CACHE.PUT", "k", "x"]);
    assert_eq!(err(&mut c, &["CACHE.PUTUNLOCK", "k", "y", &h.to_string()]), NOTLOCKED);
    let _ = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!(int(&mut c, &["DEL", "k"]), 1);
    assert_eq!(err(&mut c, &["CACHE.LOCK", "k", "10000"]), NOKEY);
}

#[test]
fn memcached_set_releases_a_lock_and_gets_shows_the_version() {
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    let mc = memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", s.mc_port)).unwrap();
    let v = int(&mut c, &["CACHE.PUT", "k", "a"]);
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    assert_eq!(got["k"].2, Some(v as u64), "the CAS unique is the version");
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!(
        mc.get::<String>("k").unwrap().as_deref(),
        Some("a"),
        "get ignores the lock"
    );
    mc.set("k", "b", 0).unwrap();
    assert_eq!(err(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]), NOTLOCKED);
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    let (value, version): (String, i64) = q(&mut c, &["CACHE.GETIFNEWER", "k", "0"]);
    assert_eq!(value, "b");
    assert_eq!(got["k"].2, Some(version as u64));
    assert!(version > v);
}

#[test]
fn remove_by_version_or_handle() {
    let (_s, mut c) = start();
    let v = int(&mut c, &["CACHE.PUT", "k", "a"]);
    assert_eq!(
        int(&mut c, &["CACHE.REMOVE", "k", "IFVERSION", &(v + 1).to_string()]),
        0
    );
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "10000"]);
    assert_eq!(int(&mut c, &["CACHE.REMOVE", "k", "HANDLE", &(h + 1).to_string()]), 0);
    assert_eq!(int(&mut c, &["CACHE.REMOVE", "k", "HANDLE", &h.to_string()]), 1);
    assert_eq!(int(&mut c, &["CACHE.REMOVE", "k"]), 0);
    let v = int(&mut c, &["CACHE.PUT", "k", "a"]);
    assert_eq!(int(&mut c, &["CACHE.REMOVE", "k", "IFVERSION", &v.to_string()]), 1);
}

#[test]
fn resetttl_sets_each_kind_of_timeout_and_keeps_the_version() {
    let (_s, mut c) = start();
    assert_eq!(int(&mut c, &["CACHE.RESETTTL", "k", "EX", "10"]), 0);
    let v = int(&mut c, &["CACHE.PUT", "k", "a", "EX", "10"]);
    assert_eq!(int(&mut c, &["CACHE.RESETTTL", "k", "PX", "50000"]), 1);
    assert_eq!(int(&mut c, &["TTL", "k"]), 50);
    assert_eq!(int(&mut c, &["CACHE.RESETTTL", "k", "SLIDE", "20"]), 1);
    let got: Value = q(&mut c, &["CACHE.GET", "k"]);
    let Value::Array(f) = got else { panic!("{got:?}") };
    assert_eq!(f[1], Value::Int(v), "the version stays");
    assert_eq!(f[3], Value::BulkString(b"sliding".to_vec()));
    assert_eq!(int(&mut c, &["CACHE.RESETTTL", "k", "PERSIST"]), 1);
    assert_eq!(int(&mut c, &["TTL", "k"]), -1);
    assert_eq!(
        err(&mut c, &["CACHE.RESETTTL", "k", "EX", "0"]),
        "ERR invalid expire time in 'cache.resetttl' command"
    );
}

#[test]
fn errors_and_wrongtype() {
    let (_s, mut c) = start();
    int(&mut c, &["HSET", "h", "f", "v"]);
    assert_eq!(err(&mut c, &["CACHE.GET", "h"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["CACHE.GETIFNEWER", "h", "1"]), WRONGTYPE);
    assert_eq!(err(&mut c, &["CACHE.LOCK", "h", "1000"]), WRONGTYPE);
    assert_eq!(
        err(&mut c, &["CACHE.PUT", "k", "v", "TAGS", "2", "t"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["CACHE.PUT", "k", "v", "PRIORITY", "urgent"]),
        "ERR priority must be one of low, belownormal, normal, abovenormal, high, notremovable"
    );
    assert_eq!(
        err(&mut c, &["CACHE.PUT", "k", "v", "EX", "1", "SLIDE", "1"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["CACHE.LOCK", "k"]),
        "ERR wrong number of arguments for 'cache.lock' command"
    );
    assert_eq!(
        err(&mut c, &["CACHE.LOCK", "k", "x"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn commands_are_in_command_info_with_arity_flags_and_keys() {
    let (_s, mut c) = start();
    let info: Vec<Value> = q(&mut c, &["COMMAND", "INFO", "CACHE.LOCK", "CACHE.GET"]);
    let Value::Array(lock) = &info[0] else {
        panic!("{info:?}")
    };
    assert_eq!(lock[0], Value::BulkString(b"cache.lock".to_vec()));
    assert_eq!(lock[1], Value::Int(-3));
    let flags: Vec<String> = FromRedisValue::from_redis_value(lock[2].clone()).expect("flags");
    assert_eq!(flags, ["write", "denyoom", "blocking"]);
    assert_eq!(&lock[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)]);
    let Value::Array(get) = &info[1] else {
        panic!("{info:?}")
    };
    let flags: Vec<String> = FromRedisValue::from_redis_value(get[2].clone()).expect("flags");
    assert_eq!(flags, ["readonly", "fast"]);
}

#[test]
fn lock_timeout_is_a_setting() {
    let (_s, mut c) = start();
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "lock-timeout"]);
    assert_eq!(got, ["lock-timeout", "90"]);
    let _: () = q(&mut c, &["CONFIG", "SET", "lock-timeout", "30"]);
    let got: Vec<String> = q(&mut c, &["CONFIG", "GET", "lock-timeout"]);
    assert_eq!(got, ["lock-timeout", "30"]);
    assert!(err(&mut c, &["CONFIG", "SET", "lock-timeout", "x"]).starts_with("ERR CONFIG SET failed"));
}

#[test]
fn lock_with_wait_is_served_in_arrival_order_when_the_holder_releases() {
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "60000", "CREATE"]);
    let mut waiters = Vec::new();
    for i in 0..3 {
        let mut w = guarded(&s);
        waiters.push(thread::spawn(move || {
            let (h, value, _) = lock(&mut w, &["CACHE.LOCK", "k", "60000", "WAIT", "0"]);
            let next = format!("{}{i}", value.unwrap_or_default());
            int(&mut w, &["CACHE.PUTUNLOCK", "k", &next, &h.to_string()]);
        }));
        wait_blocked(&mut c, i + 1);
    }
    int(&mut c, &["CACHE.PUTUNLOCK", "k", "start:", &h.to_string()]);
    for t in waiters {
        t.join().expect("waiter");
    }
    assert_eq!(q::<String>(&mut c, &["GET", "k"]), "start:012");
}

#[test]
fn lock_with_wait_answers_locked_when_its_wait_ends_first() {
    let (s, mut c) = start();
    let _ = lock(&mut c, &["CACHE.LOCK", "k", "60000", "CREATE"]);
    let mut w = guarded(&s);
    assert_eq!(err(&mut w, &["CACHE.LOCK", "k", "1000", "WAIT", "20"]), LOCKED);
    assert_eq!(clients_field(&mut c, "blocked_clients"), 0);
}

#[test]
fn a_waiter_takes_a_lock_that_times_out() {
    let (s, mut c) = start();
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "200", "CREATE"]);
    let mut w = guarded(&s);
    let (h2, value, _) = lock(&mut w, &["CACHE.LOCK", "k", "60000", "CREATE", "WAIT", "0"]);
    assert!(h2 > h);
    assert_eq!(value, None);
    assert_eq!(
        err(&mut c, &["CACHE.PUTUNLOCK", "k", "late", &h.to_string()]),
        BADHANDLE
    );
}

/// Many clients loop lock / read / put-and-unlock on a few counters: no
/// increment is lost and no two clients hold one key's lock at once.
#[test]
fn concurrent_lock_read_putunlock_loses_no_update() {
    const CLIENTS: usize = 12;
    const ROUNDS: usize = 60;
    const KEYS: usize = 3;
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    for k in 0..KEYS {
        int(&mut c, &["CACHE.PUT", &format!("n{k}"), "0"]);
    }
    let held: Arc<Vec<AtomicBool>> = Arc::new((0..KEYS).map(|_| AtomicBool::new(false)).collect());
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let mut w = guarded(&s);
            let held = held.clone();
            thread::spawn(move || {
                for r in 0..ROUNDS {
                    let k = (t + r) % KEYS;
                    let key = format!("n{k}");
                    let (h, value, _) = lock(&mut w, &["CACHE.LOCK", &key, "60000", "WAIT", "0"]);
                    assert!(!held[k].swap(true, Ordering::SeqCst), "two holders of {key}");
                    let n: u64 = value.expect("a counter").parse().expect("a number");
                    held[k].store(false, Ordering::SeqCst);
                    int(&mut w, &["CACHE.PUTUNLOCK", &key, &(n + 1).to_string(), &h.to_string()]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    let total: u64 = (0..KEYS)
        .map(|k| q::<String>(&mut c, &["GET", &format!("n{k}")]).parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, (CLIENTS * ROUNDS) as u64);
}

/// As above with locks that time out mid-run: a holder that is too slow
/// loses its lock, its put-and-unlock is refused and it starts over, so
/// the counters still count exactly the increments that were accepted.
#[test]
fn concurrent_increments_stay_exact_when_lock_timeouts_expire_mid_run() {
    const CLIENTS: usize = 8;
    const ROUNDS: usize = 30;
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    int(&mut c, &["CACHE.PUT", "n", "0"]);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let mut w = guarded(&s);
            thread::spawn(move || {
                let (mut accepted, mut refused) = (0u64, 0u64);
                for r in 0..ROUNDS {
                    // Every third round of some clients holds past its lock.
                    let slow = t % 2 == 0 && r % 3 == 0;
                    let ms = if slow { "2" } else { "60000" };
                    let (h, value, _) = lock(&mut w, &["CACHE.LOCK", "n", ms, "WAIT", "0"]);
                    let n: u64 = value.expect("a counter").parse().expect("a number");
                    if slow {
                        thread::sleep(Duration::from_millis(10));
                    }
                    let put = cmd(&["CACHE.PUTUNLOCK", "n", &(n + 1).to_string(), &h.to_string()]);
                    match put.query::<i64>(&mut w) {
                        Ok(_) => accepted += 1,
                        Err(e) => {
                            let code = e.code().unwrap_or("?").to_string();
                            assert!(code == "NOTLOCKED" || code == "BADHANDLE", "{e}");
                            refused += 1;
                        }
                    }
                }
                (accepted, refused)
            })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for t in threads {
        let (a, r) = t.join().expect("client");
        accepted += a;
        refused += r;
    }
    let n: u64 = q::<String>(&mut c, &["GET", "n"]).parse().unwrap();
    assert_eq!(n, accepted, "{refused} refused");
    assert!(refused > 0, "some locks timed out mid-run");
}

#[test]
fn flushdb_drops_locks_and_serves_their_waiters() {
    let (s, mut c) = start();
    let (h, _, _) = lock(&mut c, &["CACHE.LOCK", "k", "60000", "CREATE"]);
    let mut w = guarded(&s);
    let t = thread::spawn(move || lock(&mut w, &["CACHE.LOCK", "k", "60000", "CREATE", "WAIT", "0"]));
    wait_blocked(&mut c, 1);
    let _: () = q(&mut c, &["FLUSHDB"]);
    let (h2, value, _) = t.join().expect("waiter");
    assert!(h2 > h);
    assert_eq!(value, None);
    assert_eq!(err(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]), BADHANDLE);
}
