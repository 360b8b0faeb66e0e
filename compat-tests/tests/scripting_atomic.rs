//! Scripts as Redis runs them, against the real binary: atomic with
//! respect to every other client (declared keys or not), exact under
//! concurrency alongside transactions, and the BUSY state with SCRIPT KILL.
//! Waits are on conditions, never on a clock.

use compat_tests::{query, Server};
use query::{guarded, int, q};
use redis::{Connection, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// Increments every key of KEYS, and as many undeclared `pair:N` keys as
/// ARGV[1] says: other clients must see all of them move at once.
const INCR_ALL: &str = r#"
for _, k in ipairs(KEYS) do redis.call('INCR', k) end
for i = 0, tonumber(ARGV[1]) - 1 do redis.call('INCR', 'undeclared:' .. i) end
return 1
"#;

#[test]
fn no_client_sees_a_script_half_done_declared_keys_or_not() {
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    let keys: Vec<String> = (0..4).map(|i| format!("declared:{i}")).collect();
    let mut all: Vec<String> = keys.clone();
    all.extend((0..4).map(|i| format!("undeclared:{i}")));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (mut r, all, stop) = (guarded(&s), all.clone(), stop.clone());
        thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut args = vec!["MGET"];
                args.extend(all.iter().map(String::as_str));
                let vals: Vec<Option<i64>> = q(&mut r, &args);
                assert!(vals.iter().all(|v| *v == vals[0]), "half done: {vals:?}");
                reads += 1;
            }
            reads
        })
    };
    let script = redis::Script::new(INCR_ALL);
    for _ in 0..200 {
        let mut inv = script.prepare_invoke();
        for k in &keys {
            inv.key(k);
        }
        inv.arg(4).invoke::<i64>(&mut c).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(int(&mut c, &["GET", "undeclared:3"]), 200);
}

#[test]
fn scripts_and_optimistic_transactions_together_lose_no_increment() {
    let s = Server::start(&[]);
    let (clients, rounds) = (6, 100);
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let mut con = guarded(&s);
            thread::spawn(move || {
                let script = redis::Script::new(
                    "local v = tonumber(redis.call('GET', KEYS[1]) or '0') redis.call('SET', KEYS[1], v + 1) return v + 1",
                );
                for i in 0..rounds {
                    let key = format!("n:{}", i % 2);
                    if t % 2 == 0 {
                        script.key(&key).invoke::<i64>(&mut con).unwrap();
                        continue;
                    }
                    loop {
                        q::<()>(&mut con, &["WATCH", &key]);
                        let v: Option<i64> = q(&mut con, &["GET", &key]);
                        q::<()>(&mut con, &["MULTI"]);
                        q::<()>(&mut con, &["SET", &key, &(v.unwrap_or(0) + 1).to_string()]);
                        if q::<Value>(&mut con, &["EXEC"]) != Value::Nil {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = guarded(&s);
    assert_eq!(
        int(&mut c, &["GET", "n:0"]) + int(&mut c, &["GET", "n:1"]),
        (clients * rounds) as i64
    );
}

#[test]
fn a_script_runs_inside_exec_and_sees_the_transaction() {
    let s = Server::start(&[]);
    let mut c = guarded(&s);
    let (set, got): (String, String) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("k")
        .arg("before")
        .cmd("EVAL")
        .arg("return redis.call('GET', KEYS[1])")
        .arg(1)
        .arg("k")
        .query(&mut c)
        .unwrap();
    assert_eq!((set.as_str(), got.as_str()), ("OK", "before"));
}

/// Sends PING on `c` until the server answers BUSY; returns the error.
fn wait_busy(c: &mut Connection) -> String {
    loop {
        match redis::cmd("PING").query::<String>(c) {
            Ok(_) => thread::yield_now(),
            Err(e) => return format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
        }
    }
}

#[test]
fn a_long_script_makes_others_busy_and_script_kill_stops_it() {
    // One worker, so the two clients share it: once the script is busy,
    // the worker's other connections move to another thread.
    let s = Server::start(&["--threads", "1"]);
    let mut runner = guarded(&s);
    let mut other = guarded(&s);
    q::<()>(&mut other, &["CONFIG", "SET", "busy-reply-threshold", "50"]);
    assert_eq!(
        query::err(&mut other, &["SCRIPT", "KILL"]),
        "NOTBUSY No scripts in execution right now."
    );
    let running = thread::spawn(move || {
        let r: redis::RedisResult<Value> = redis::cmd("EVAL")
            .arg("local i=0 while true do i=i+1 end")
            .arg(0)
            .query(&mut runner);
        r.unwrap_err()
    });
    assert_eq!(
        wait_busy(&mut other),
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(
        query::err(&mut other, &["FUNCTION", "KILL"]),
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(q::<String>(&mut other, &["SCRIPT", "KILL"]), "OK");
    let e = running.join().unwrap();
    assert_eq!(
        format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
        "ERR Script killed by user with SCRIPT KILL... script: 653db1ceb7ef061910af88dc7ebf80737358169d, on @user_script:1."
    );
    assert_eq!(q::<String>(&mut other, &["PING"]), "PONG", "the server is back");
}

/// A script that catches errors (`pcall`, `xpcall`, nested) around a loop
/// cannot catch the kill: SCRIPT KILL and FUNCTION KILL still stop it, and
/// every other client is served again.
#[test]
fn a_script_cannot_catch_script_kill_with_pcall() {
    let s = Server::start(&["--threads", "1"]);
    let mut other = guarded(&s);
    q::<()>(&mut other, &["CONFIG", "SET", "lua-time-limit", "50"]);
    let spin = "local f = function() while true do end end ";
    let scripts = [
        format!("{spin} while true do pcall(f) end"),
        format!("{spin} while true do xpcall(f, function(e) return e end) end"),
        format!("{spin} while true do pcall(pcall, f) end"),
    ];
    for script in scripts {
        let mut runner = guarded(&s);
        let running = thread::spawn(move || {
            let r: redis::RedisResult<Value> = redis::cmd("EVAL").arg(&script).arg(0).query(&mut runner);
            r.unwrap_err()
        });
        wait_busy(&mut other);
        assert_eq!(q::<String>(&mut other, &["SCRIPT", "KILL"]), "OK");
        let e = running.join().unwrap();
        assert_eq!(e.code(), Some("ERR"));
        assert!(
            e.detail()
                .unwrap_or("")
                .starts_with("Script killed by user with SCRIPT KILL..."),
            "{e}"
        );
        assert_eq!(q::<String>(&mut other, &["PING"]), "PONG", "the server is back");
    }
    // A function too, stopped by FUNCTION KILL.
    let lib = "#!lua name=spinlib\nredis.register_function{function_name='spin', callback=function() \
               local f = function() while true do end end while true do pcall(f) end end, flags={'no-writes'}}";
    q::<String>(&mut other, &["FUNCTION", "LOAD", lib]);
    let mut runner = guarded(&s);
    let running = thread::spawn(move || {
        let r: redis::RedisResult<Value> = redis::cmd("FCALL").arg("spin").arg(0).query(&mut runner);
        r.unwrap_err()
    });
    wait_busy(&mut other);
    assert_eq!(q::<String>(&mut other, &["FUNCTION", "KILL"]), "OK");
    let e = running.join().unwrap();
    assert!(
        e.detail()
            .unwrap_or("")
            .starts_with("Script killed by user with FUNCTION KILL..."),
        "{e}"
    );
    assert_eq!(q::<String>(&mut other, &["PING"]), "PONG");
}

/// Commands refused BUSY while a transaction is queued abort it at EXEC,
/// and an EXEC refused BUSY ends the transaction with EXECABORT: nothing
/// of a half-queued transaction runs (Redis's "MULTI and script timeout"
/// and "EXEC and script timeout").
#[test]
fn a_transaction_that_meets_a_busy_script_runs_nothing() {
    let s = Server::start(&["--threads", "1"]);
    let mut other = guarded(&s);
    q::<()>(&mut other, &["CONFIG", "SET", "lua-time-limit", "10"]);
    q::<()>(&mut other, &["SET", "xx", "1"]);
    for exec_while_busy in [false, true] {
        let mut tx = s.wire();
        if exec_while_busy {
            assert_eq!(tx.cmd(&[b"MULTI"]), compat_tests::Frame::ok());
            assert_eq!(tx.cmd(&[b"INCR", b"xx"]), compat_tests::Frame::simple("QUEUED"));
        }
        let mut runner = guarded(&s);
        let running = thread::spawn(move || {
            let _: redis::RedisResult<Value> = redis::cmd("EVAL").arg("while true do end").arg(0).query(&mut runner);
        });
        wait_busy(&mut other);
        if exec_while_busy {
            let compat_tests::Frame::Error(e) = tx.cmd(&[b"EXEC"]) else {
                panic!("EXEC answered")
            };
            assert!(e.starts_with("EXECABORT Transaction discarded because of: BUSY"), "{e}");
        } else {
            assert_eq!(
                tx.cmd(&[b"MULTI"]),
                compat_tests::Frame::ok(),
                "MULTI is allowed while busy"
            );
            assert!(matches!(tx.cmd(&[b"INCR", b"xx"]), compat_tests::Frame::Error(e) if e.starts_with("BUSY")));
        }
        assert_eq!(q::<String>(&mut other, &["SCRIPT", "KILL"]), "OK");
        running.join().unwrap();
        if exec_while_busy {
            assert_eq!(tx.cmd(&[b"EXEC"]), compat_tests::Frame::error("ERR EXEC without MULTI"));
        } else {
            assert_eq!(tx.cmd(&[b"INCR", b"xx"]), compat_tests::Frame::simple("QUEUED"));
            let compat_tests::Frame::Error(e) = tx.cmd(&[b"EXEC"]) else {
                panic!("EXEC ran")
            };
            assert!(
                e.starts_with("EXECABORT Transaction discarded because of previous errors"),
                "{e}"
            );
        }
        assert_eq!(
            q::<String>(&mut other, &["GET", "xx"]),
            "1",
            "nothing of the transaction ran"
        );
    }
}

/// FUNCTION STATS names the busy function, the command that called it
/// and how long it has run, as Redis does; nil once it is gone. A library
/// may name its engine in any case (`#!LUA`).
#[test]
fn function_stats_describes_the_busy_function() {
    let s = Server::start(&["--threads", "1"]);
    let mut other = guarded(&s);
    q::<()>(&mut other, &["CONFIG", "SET", "busy-reply-threshold", "50"]);
    let lib = "#!LUA name=spinner\nredis.register_function{function_name='spin', \
               callback=function() while true do end end, flags={'no-writes'}}";
    q::<String>(&mut other, &["FUNCTION", "LOAD", lib]);
    let mut runner = guarded(&s);
    let running = thread::spawn(move || {
        let r: redis::RedisResult<Value> = redis::cmd("FCALL")
            .arg("spin")
            .arg(1)
            .arg("k")
            .arg("a")
            .query(&mut runner);
        r.unwrap_err()
    });
    wait_busy(&mut other);
    let mut w = s.wire();
    let compat_tests::Frame::Array(stats) = w.cmd(&[b"FUNCTION", b"STATS"]) else {
        panic!("FUNCTION STATS")
    };
    assert_eq!(stats[0], compat_tests::Frame::bulk("running_script"));
    let compat_tests::Frame::Array(r) = &stats[1] else {
        panic!("running_script: {:?}", stats[1])
    };
    assert_eq!(
        r[0..2],
        [compat_tests::Frame::bulk("name"), compat_tests::Frame::bulk("spin")]
    );
    assert_eq!(
        r[2..4],
        [
            compat_tests::Frame::bulk("command"),
            compat_tests::Frame::Array(["fcall", "spin", "1", "k", "a"].map(compat_tests::Frame::bulk).to_vec())
        ]
    );
    assert_eq!(r[4], compat_tests::Frame::bulk("duration_ms"));
    assert!(matches!(r[5], compat_tests::Frame::Integer(ms) if ms >= 0));
    assert_eq!(q::<String>(&mut other, &["FUNCTION", "KILL"]), "OK");
    running.join().unwrap();
    let compat_tests::Frame::Array(stats) = w.cmd(&[b"FUNCTION", b"STATS"]) else {
        panic!("FUNCTION STATS")
    };
    assert_eq!(stats[1], compat_tests::Frame::Null);
}

#[test]
fn a_busy_script_that_wrote_cannot_be_killed() {
    let s = Server::start(&["--threads", "1"]);
    let mut runner = guarded(&s);
    let mut other = guarded(&s);
    q::<()>(&mut other, &["CONFIG", "SET", "busy-reply-threshold", "50"]);
    thread::spawn(move || {
        let _: redis::RedisResult<Value> = redis::cmd("EVAL")
            .arg("redis.call('SET', 'x', '1') while true do end")
            .arg(0)
            .query(&mut runner);
    });
    wait_busy(&mut other);
    assert!(query::err(&mut other, &["SCRIPT", "KILL"])
        .starts_with("UNKILLABLE Sorry the script already executed write commands"));
    // The harness kills the server when `s` drops.
}

#[test]
fn a_library_that_loops_at_load_is_stopped_by_the_load_timeout() {
    let s = Server::start(&["--threads", "1"]);
    let mut c = guarded(&s);
    let lib = "#!lua name=spin\nredis.register_function('f', function() return 1 end)\nwhile true do end";
    assert_eq!(
        query::err(&mut c, &["FUNCTION", "LOAD", lib]),
        "ERR Error registering functions: ERR FUNCTION LOAD timeout"
    );
    // Nothing was registered, and scripts run again.
    assert_eq!(query::err(&mut c, &["FCALL", "f", "0"]), "ERR Function not found");
    assert_eq!(int(&mut c, &["EVAL", "return 7", "0"]), 7);
}

#[test]
fn client_reply_skip_and_off_cover_script_replies() {
    let s = Server::start(&[]);
    let mut w = s.wire();
    let mut batch = Vec::new();
    batch.extend(compat_tests::multibulk(&[b"CLIENT", b"REPLY", b"SKIP"]));
    batch.extend(compat_tests::multibulk(&[
        b"EVAL",
        b"return redis.call('INCR', 'n')",
        b"0",
    ]));
    batch.extend(compat_tests::multibulk(&[
        b"EVAL",
        b"return redis.call('INCR', 'n')",
        b"0",
    ]));
    batch.extend(compat_tests::multibulk(&[b"CLIENT", b"REPLY", b"OFF"]));
    batch.extend(compat_tests::multibulk(&[
        b"EVAL",
        b"return redis.call('INCR', 'n')",
        b"0",
    ]));
    batch.extend(compat_tests::multibulk(&[b"CLIENT", b"REPLY", b"ON"]));
    batch.extend(compat_tests::multibulk(&[b"GET", b"n"]));
    // The skipped EVAL and the one under OFF ran, and only their replies went.
    assert_eq!(
        w.transcript(&batch, 3),
        [
            compat_tests::Frame::Integer(2),
            compat_tests::Frame::ok(),
            compat_tests::Frame::bulk("3")
        ]
    );
}

#[test]
fn a_client_that_leaves_while_its_script_runs_leaves_the_server_serving() {
    let s = Server::start(&["--threads", "1"]);
    let mut c = guarded(&s);
    {
        let mut w = s.wire();
        w.send(&compat_tests::multibulk(&[
            b"EVAL",
            b"for i = 1, 300000 do redis.call('INCR', 'spun') end return redis.call('SET', 'done', '1')",
            b"0",
        ]));
        // The connection closes here, before the script's reply.
    }
    // The script is atomic: a read sees nothing of it or all of it.
    loop {
        let (done, spun): (Option<String>, Option<i64>) = q(&mut c, &["MGET", "done", "spun"]);
        match done {
            Some(_) => {
                assert_eq!(spun, Some(300000));
                break;
            }
            None => assert_eq!(spun, None, "a script seen half done"),
        }
    }
    assert_eq!(int(&mut c, &["EVAL", "return redis.call('INCR', 'spun')", "0"]), 300001);
}
