//! MULTI / EXEC / DISCARD / WATCH / UNWATCH through the `redis` crate (and
//! a memcached client for the cross-protocol WATCH) against the real
//! binary. Time moves with DEBUG ADVANCE-CLOCK; nothing sleeps.

use compat_tests::{query, Server};
use query::{err, guarded, int, q};
use redis::{Connection, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

fn start() -> (Server, Connection) {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let c = guarded(&s);
    (s, c)
}

/// WATCH `key`, let `meddle` run, then MULTI / SET witness / EXEC: true
/// when EXEC ran, false when it answered nil.
fn exec_after(c: &mut Connection, key: &str, meddle: impl FnOnce(&mut Connection)) -> bool {
    q::<()>(c, &["WATCH", key]);
    meddle(c);
    q::<()>(c, &["MULTI"]);
    q::<()>(c, &["SET", "witness", "1"]);
    let r: Value = q(c, &["EXEC"]);
    !matches!(r, Value::Nil)
}

#[test]
fn a_pipeline_in_a_transaction_runs_whole_with_each_reply() {
    let (_s, mut c) = start();
    let (a, b, len): (String, i64, i64) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("k")
        .arg("1")
        .cmd("INCR")
        .arg("k")
        .cmd("RPUSH")
        .arg("l")
        .arg("x")
        .query(&mut c)
        .unwrap();
    assert_eq!((a.as_str(), b, len), ("OK", 2, 1));
    let r: redis::RedisResult<(i64, i64)> = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("l")
        .cmd("INCR")
        .arg("k")
        .query(&mut c);
    let e = r.unwrap_err();
    assert!(
        e.to_string().contains("WRONGTYPE"),
        "a runtime error is reported for its command: {e}"
    );
    assert_eq!(int(&mut c, &["GET", "k"]), 3, "the command after the error ran");
}

#[test]
fn refused_commands_abort_exec_and_errors_are_redis_words() {
    let (_s, mut c) = start();
    assert_eq!(err(&mut c, &["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(err(&mut c, &["DISCARD"]), "ERR DISCARD without MULTI");
    q::<()>(&mut c, &["MULTI"]);
    assert_eq!(err(&mut c, &["MULTI"]), "ERR MULTI calls can not be nested");
    assert_eq!(err(&mut c, &["WATCH", "x"]), "ERR WATCH inside MULTI is not allowed");
    assert_eq!(
        err(&mut c, &["SET", "a"]),
        "ERR wrong number of arguments for 'set' command"
    );
    assert_eq!(q::<String>(&mut c, &["SET", "b", "1"]), "QUEUED");
    assert_eq!(
        err(&mut c, &["EXEC"]),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(int(&mut c, &["EXISTS", "b"]), 0);
    q::<()>(&mut c, &["MULTI"]);
    q::<()>(&mut c, &["SET", "b", "1"]);
    assert_eq!(q::<String>(&mut c, &["DISCARD"]), "OK");
    assert_eq!(int(&mut c, &["EXISTS", "b"]), 0);
}

#[test]
fn watch_sees_writes_from_other_clients_and_from_memcached() {
    let (s, mut c) = start();
    let mut other = guarded(&s);
    let mc = memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", s.mc_port)).unwrap();
    q::<()>(&mut c, &["SET", "k", "v"]);
    assert!(exec_after(&mut c, "k", |_| {}), "nothing moved");
    assert!(!exec_after(&mut c, "k", |_| q::<()>(&mut other, &["APPEND", "k", "x"])));
    assert!(!exec_after(&mut c, "k", |_| mc.set("k", "mc", 0).unwrap()));
    assert!(!exec_after(&mut c, "k", |_| {
        int(&mut other, &["DEL", "k"]);
    }));
    assert!(
        !exec_after(&mut c, "k", |_| q::<()>(&mut other, &["HSET", "k", "f", "v"])),
        "created again"
    );
    assert!(exec_after(&mut c, "k", |c| q::<()>(c, &["UNWATCH"])), "UNWATCH forgets");
}

#[test]
fn watch_sees_expiry_eviction_flushdb_and_swapdb() {
    let (s, mut c) = start();
    q::<()>(&mut c, &["SET", "k", "v", "PX", "1000"]);
    assert!(!exec_after(&mut c, "k", |c| q::<()>(
        c,
        &["DEBUG", "ADVANCE-CLOCK", "2000"]
    )));
    q::<()>(&mut c, &["SET", "k", "v"]);
    assert!(!exec_after(&mut c, "k", |c| q::<()>(c, &["FLUSHDB"])));
    q::<()>(&mut c, &["SET", "k", "v"]);
    assert!(!exec_after(&mut c, "k", |c| q::<()>(c, &["SWAPDB", "0", "1"])));
    assert!(
        exec_after(&mut c, "nothing", |c| q::<()>(c, &["FLUSHALL"])),
        "a missing key stays missing"
    );
    // SWAPDB touches a missing watched key only when the other database
    // has it live, however busy that database's table was.
    q::<()>(&mut c, &["SELECT", "1"]);
    q::<()>(&mut c, &["SET", "gone", "v"]);
    q::<()>(&mut c, &["DEL", "gone"]);
    q::<()>(&mut c, &["SET", "stale", "v", "PX", "1000"]);
    q::<()>(&mut c, &["DEBUG", "ADVANCE-CLOCK", "2000"]);
    q::<()>(&mut c, &["SELECT", "0"]);
    assert!(
        exec_after(&mut c, "gone", |c| q::<()>(c, &["SWAPDB", "0", "1"])),
        "missing on both sides: no change"
    );
    assert!(
        exec_after(&mut c, "stale", |c| q::<()>(c, &["SWAPDB", "0", "1"])),
        "missing here, expired there: no change"
    );
    q::<()>(&mut c, &["SELECT", "1"]);
    q::<()>(&mut c, &["SET", "here", "v"]);
    q::<()>(&mut c, &["SELECT", "0"]);
    assert!(
        !exec_after(&mut c, "here", |c| q::<()>(c, &["SWAPDB", "0", "1"])),
        "live on the other side: touched"
    );
    q::<()>(&mut c, &["FLUSHALL"]);

    let mut filler = guarded(&s);
    q::<()>(&mut c, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    q::<()>(&mut c, &["SET", "k", "v"]);
    let gone = exec_after(&mut c, "k", |_| {
        q::<()>(&mut filler, &["CONFIG", "SET", "maxmemory", "2mb"]);
        let value = "x".repeat(1000);
        let mut i = 0;
        while int(&mut filler, &["EXISTS", "k"]) == 1 {
            q::<()>(&mut filler, &["SET", &format!("fill:{i}"), &value]);
            i += 1;
        }
    });
    assert!(!gone, "an evicted watched key makes EXEC answer nil");
}

#[test]
fn aborted_exec_is_a_null_in_resp3() {
    let s = Server::start(&[]);
    let mut c = s.redis_client(true).get_connection().unwrap();
    let mut other = guarded(&s);
    q::<()>(&mut c, &["WATCH", "k"]);
    q::<()>(&mut other, &["SET", "k", "v"]);
    q::<()>(&mut c, &["MULTI"]);
    q::<()>(&mut c, &["GET", "k"]);
    let r: Value = q(&mut c, &["EXEC"]);
    assert_eq!(r, Value::Nil);
}

#[test]
fn optimistic_increments_from_many_clients_lose_nothing() {
    let (s, mut c) = start();
    let (clients, rounds, counters) = (8, 100, 3);
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let mut con = guarded(&s);
            thread::spawn(move || {
                let mut retries = 0;
                for i in 0..rounds {
                    let key = format!("counter:{}", (t + i) % counters);
                    loop {
                        q::<()>(&mut con, &["WATCH", &key]);
                        let v: Option<i64> = q(&mut con, &["GET", &key]);
                        q::<()>(&mut con, &["MULTI"]);
                        q::<()>(&mut con, &["SET", &key, &(v.unwrap_or(0) + 1).to_string()]);
                        let r: Value = q(&mut con, &["EXEC"]);
                        if r != Value::Nil {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    let retries: i64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let total: i64 = (0..counters)
        .map(|i| q::<Option<i64>>(&mut c, &["GET", &format!("counter:{i}")]).unwrap_or(0))
        .sum();
    assert_eq!(total, (clients * rounds) as i64, "after {retries} retries");
}

#[test]
fn no_client_sees_a_transaction_half_done() {
    let (s, mut c) = start();
    let keys: Vec<String> = (0..8).map(|i| format!("pair:{i}")).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (mut r, keys, stop) = (guarded(&s), keys.clone(), stop.clone());
        thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut args = vec!["MGET"];
                args.extend(keys.iter().map(String::as_str));
                let vals: Vec<Option<i64>> = q(&mut r, &args);
                let first = vals[0];
                assert!(vals.iter().all(|v| *v == first), "half done: {vals:?}");
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..200 {
        let mut p = redis::pipe();
        p.atomic();
        for k in &keys {
            p.cmd("INCR").arg(k).ignore();
        }
        p.query::<()>(&mut c).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(int(&mut c, &["GET", "pair:7"]), 200);
}
