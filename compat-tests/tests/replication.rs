//! Replication with Redis's protocol. A ferrocache replica of a real
//! redis-server 7.0 (the live migration path: follow the old server
//! until the offsets match, then REPLICAOF NO ONE). Digests compared are
//! DEBUG DIGEST, which both servers compute the same way.

use compat_tests::{Options, RedisServer, Server, TempDir};
use redis::{cmd, Connection, Value};
use std::time::{Duration, Instant};

fn digest(c: &mut Connection) -> String {
    cmd("DEBUG").arg("DIGEST").query(c).unwrap()
}

fn info_field(c: &mut Connection, name: &str) -> Option<String> {
    let info: String = cmd("INFO").arg("replication").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// Waits (bounded) until `f` is true.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Waits until the replica has applied all the primary has written.
fn caught_up(primary: &mut Connection, replica: &mut Connection) {
    eventually("the replica to catch up", || {
        let want = info_field(primary, "master_repl_offset");
        info_field(replica, "master_link_status").as_deref() == Some("up")
            && info_field(replica, "slave_repl_offset") == want
    });
}

fn start_ferrocache(dir: &TempDir) -> Server {
    let d = dir.arg();
    Options::new()
        .args(&["--dir", &d, "--enable-debug-command", "yes"])
        .start()
}

#[test]
fn a_ferrocache_replica_follows_redis_server_then_takes_over() {
    let dir = TempDir::new("repl-from-redis");
    let r = RedisServer::start(
        dir.path(),
        &["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"],
    );
    let mut rc = r.redis();
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(2000)
        .arg("k")
        .arg(40)
        .query(&mut rc)
        .unwrap();
    let _: () = cmd("RPUSH").arg("list").arg(&["a", "b", "c"]).query(&mut rc).unwrap();
    let _: () = cmd("SADD").arg("set").arg(&[1, 2, 3]).query(&mut rc).unwrap();
    let _: () = cmd("HSET").arg("hash").arg(&["f", "v"]).query(&mut rc).unwrap();
    let _: () = cmd("ZADD")
        .arg("zset")
        .arg(&["1", "a", "2", "b"])
        .query(&mut rc)
        .unwrap();
    let _: () = cmd("SET")
        .arg("ttl")
        .arg("v")
        .arg("EX")
        .arg(1000)
        .query(&mut rc)
        .unwrap();
    let lib = "#!lua name=replicated\nredis.register_function{function_name='echo1', \
               callback=function(keys, args) return args[1] end, flags={'no-writes'}}";
    let _: String = cmd("FUNCTION").arg("LOAD").arg(lib).query(&mut rc).unwrap();

    let s = start_ferrocache(&dir);
    let mut c = s.redis();
    let _: () = cmd("REPLICAOF").arg("127.0.0.1").arg(r.port).query(&mut c).unwrap();
    let again: String = cmd("REPLICAOF").arg("127.0.0.1").arg(r.port).query(&mut c).unwrap();
    assert_eq!(again, "OK Already connected to specified master");
    caught_up(&mut rc, &mut c);
    assert_eq!(digest(&mut c), digest(&mut rc));

    // The stream: plain writes, expiries, a script's effects, a
    // transaction, deletions, another database.
    let _: () = cmd("SET").arg("new").arg("value").query(&mut rc).unwrap();
    let _: i64 = cmd("INCRBY").arg("counter").arg(5).query(&mut rc).unwrap();
    let _: i64 = cmd("EXPIRE").arg("k:1").arg(500).query(&mut rc).unwrap();
    let _: i64 = cmd("DEL").arg("k:2").query(&mut rc).unwrap();
    let _: i64 = cmd("EVAL")
        .arg("redis.call('lpush', KEYS[1], 'x') return redis.call('llen', KEYS[1])")
        .arg(1)
        .arg("list")
        .query(&mut rc)
        .unwrap();
    let _: Value = redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg("set")
        .arg(9)
        .cmd("HDEL")
        .arg("hash")
        .arg("f")
        .query(&mut rc)
        .unwrap();
    let _: () = cmd("SELECT").arg(4).query(&mut rc).unwrap();
    let _: () = cmd("SET").arg("in-four").arg("4").query(&mut rc).unwrap();
    caught_up(&mut rc, &mut c);
    assert_eq!(digest(&mut c), digest(&mut rc));
    let ttl: i64 = cmd("TTL").arg("k:1").query(&mut c).unwrap();
    assert!(ttl > 400, "{ttl}");
    let echoed: String = cmd("FCALL").arg("echo1").arg(0).arg("hi").query(&mut c).unwrap();
    assert_eq!(echoed, "hi");

    // A replica refuses writes, a script's too, and says where it stands.
    let err = cmd("SET").arg("x").arg("y").query::<()>(&mut c).unwrap_err();
    assert!(
        err.to_string().contains("You can't write against a read only replica"),
        "{err}"
    );
    let err = cmd("EVAL")
        .arg("return redis.call('set', KEYS[1], 'v')")
        .arg(1)
        .arg("x")
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(
        err.to_string().contains("You can't write against a read only replica"),
        "{err}"
    );
    let read: i64 = cmd("EVAL")
        .arg("return redis.call('exists', KEYS[1])")
        .arg(1)
        .arg("new")
        .query(&mut c)
        .unwrap();
    assert_eq!(read, 1);
    let role: Vec<Value> = cmd("ROLE").query(&mut c).unwrap();
    assert_eq!(role[0], Value::BulkString(b"slave".to_vec()));
    assert_eq!(role[3], Value::BulkString(b"connected".to_vec()));

    // The switch: the replica takes writes, with a history of its own.
    let old_id = info_field(&mut c, "master_replid").unwrap();
    let _: () = cmd("REPLICAOF").arg("NO").arg("ONE").query(&mut c).unwrap();
    let _: () = cmd("SET").arg("x").arg("y").query(&mut c).unwrap();
    assert_eq!(info_field(&mut c, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&mut c, "master_replid2"), Some(old_id));
    let role: Vec<Value> = cmd("ROLE").query(&mut c).unwrap();
    assert_eq!(role[0], Value::BulkString(b"master".to_vec()));
}

#[test]
fn replicaof_checks_its_port_and_a_down_link_shows() {
    let dir = TempDir::new("repl-down");
    let s = start_ferrocache(&dir);
    let mut c = s.redis();
    let err = cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg("99999")
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(err.to_string().contains("Invalid master port"), "{err}");
    // Nothing listens there: the link stays down and the data is served.
    let port = compat_tests::free_port();
    let _: () = cmd("SLAVEOF").arg("127.0.0.1").arg(port).query(&mut c).unwrap();
    assert_eq!(info_field(&mut c, "master_link_status").as_deref(), Some("down"));
    let got: Option<String> = cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(got, None);
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("replica-serve-stale-data")
        .arg("no")
        .query(&mut c)
        .unwrap();
    let err = cmd("GET").arg("k").query::<()>(&mut c).unwrap_err();
    assert!(err.to_string().contains("Link with MASTER is down"), "{err}");
    let _: () = cmd("REPLICAOF").arg("NO").arg("ONE").query(&mut c).unwrap();
    let _: () = cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
}
