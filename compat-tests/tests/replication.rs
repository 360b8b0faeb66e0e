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

/// Each key's value digest and deadline.
fn per_key(c: &mut Connection) -> std::collections::BTreeMap<String, (String, i64)> {
    let keys: Vec<String> = cmd("KEYS").arg("*").query(c).unwrap();
    keys.into_iter()
        .map(|k| {
            let d: Vec<String> = cmd("DEBUG").arg("DIGEST-VALUE").arg(&k).query(c).unwrap();
            let t: i64 = cmd("PEXPIRETIME").arg(&k).query(c).unwrap();
            (k, (d.concat(), t))
        })
        .collect()
}

/// The replica holds what the primary holds (DEBUG DIGEST); when not,
/// the keys that differ.
fn assert_same_data(primary: &mut Connection, replica: &mut Connection) {
    if digest(primary) == digest(replica) {
        return;
    }
    let (p, r) = (per_key(primary), per_key(replica));
    let differ: Vec<_> = p
        .iter()
        .filter(|(k, v)| r.get(*k) != Some(v))
        .map(|(k, v)| (k, v, r.get(k)))
        .chain(r.iter().filter(|(k, _)| !p.contains_key(*k)).map(|(k, v)| (k, v, None)))
        .collect();
    panic!("the replica differs from the primary: {differ:?}");
}

fn info_field(c: &mut Connection, name: &str) -> Option<String> {
    let info: String = cmd("INFO").arg("replication").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// Waits until the replica has applied all the primary has written.
fn caught_up(primary: &mut Connection, replica: &mut Connection) {
    caught_up_logged(primary, replica, None)
}

/// [`caught_up`], with the replica's log in the failure message.
fn caught_up_logged(primary: &mut Connection, replica: &mut Connection, server: Option<&Server>) {
    let start = Instant::now();
    let (mut want, mut got, mut link) = (None, None, None);
    while start.elapsed() < Duration::from_secs(60) {
        want = info_field(primary, "master_repl_offset");
        link = info_field(replica, "master_link_status");
        got = info_field(replica, "slave_repl_offset");
        if link.as_deref() == Some("up") && got == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = server.map(|s| s.log_lines().join("\n")).unwrap_or_default();
    panic!("the replica did not catch up: primary at {want:?}, replica at {got:?}, link {link:?}\n{log}");
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
        &[
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            "--requirepass",
            "s3cret",
        ],
    );
    let mut rc = r.redis();
    let _: () = cmd("AUTH").arg("s3cret").query(&mut rc).unwrap();
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
    // The old server wants a password: the replica gives masterauth.
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("masterauth")
        .arg("s3cret")
        .query(&mut c)
        .unwrap();
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

fn start_with(dir: &TempDir, extra: &[&str]) -> Server {
    let d = dir.arg();
    let mut args = vec!["--dir", &d, "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Options::new().args(&args).start()
}

/// A bounded mixed write load over RESP: `n` pipelines of writes of every
/// kind, over a small key range so that keys collide across threads.
fn resp_load(port: u16, seed: u64, n: usize) {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    for i in 0..n {
        let k = |p: &str| format!("{p}:{}", (seed as usize * 7 + i) % 50);
        let mut p = redis::pipe();
        p.cmd("SET").arg(k("s")).arg(i).ignore();
        p.cmd("INCR").arg(k("n")).ignore();
        p.cmd("SET").arg(k("t")).arg("v").arg("EX").arg(100).ignore();
        p.cmd("LPUSH").arg(k("l")).arg(i).ignore();
        p.cmd("SADD").arg(k("set")).arg(i % 13).ignore();
        p.cmd("SPOP").arg(k("set")).ignore();
        p.cmd("HSET").arg(k("h")).arg(i % 7).arg(i).ignore();
        p.cmd("ZADD").arg(k("z")).arg(i).arg(i % 11).ignore();
        p.cmd("EXPIRE").arg(k("s")).arg(1000).ignore();
        // Goes as SET ... KEEPTTL of its result, HINCRBYFLOAT as HSET.
        p.cmd("SET").arg(k("f")).arg("1.5").arg("EX").arg(300).ignore();
        p.cmd("INCRBYFLOAT").arg(k("f")).arg("0.1").ignore();
        p.cmd("HINCRBYFLOAT").arg(k("h")).arg("float").arg("2.5e-3").ignore();
        if i % 10 == 0 {
            p.cmd("DEL").arg(k("l")).ignore();
        }
        let _: () = p.query(&mut c).unwrap();
    }
}

/// memcached writes of every kind over the same small key range.
fn memcache_load(port: u16, n: usize) {
    let mut w = compat_tests::Wire::connect(port);
    for i in 0..n {
        let key = format!("mc:{}", i % 30);
        let data = format!("{i}");
        w.send(format!("set {key} {} 0 {}\r\n{data}\r\n", i % 3, data.len()).as_bytes());
        w.send(format!("append {key} 0 0 1\r\nx\r\n").as_bytes());
        w.send(format!("set n:{} 0 0 1\r\n5\r\nincr n:{} 2\r\n", i % 20, i % 20).as_bytes());
        if i % 7 == 0 {
            w.send(format!("delete {key}\r\n").as_bytes());
        }
        // touch and gat keep the item's CAS unique; a replica must too.
        if i % 4 == 0 {
            w.send(format!("touch {key} 900\r\ngat 800 n:{}\r\n", i % 20).as_bytes());
        }
        // Every reply read before the next round.
        w.send(b"version\r\n");
        while !w.read_line().starts_with(b"VERSION") {}
    }
}

/// CACHE.* writes that take versions and lock handles, with timeouts.
/// Returns the handles of the locks it left held.
fn cache_load(port: u16, n: usize) -> Vec<(String, i64)> {
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let mut held = Vec::new();
    for i in 0..n {
        let k = format!("c:{}", i % 20 + 2);
        let _: Value = cmd("CACHE.PUT")
            .arg(&k)
            .arg(i)
            .arg("EX")
            .arg(500)
            .query(&mut c)
            .unwrap();
        if i % 3 == 0 {
            let locked: redis::RedisResult<Vec<Value>> = cmd("CACHE.LOCK").arg(&k).arg(600_000).query(&mut c);
            if let Ok(r) = locked {
                let Value::Int(h) = r[0] else { panic!("{r:?}") };
                if i % 2 == 0 {
                    let _: i64 = cmd("CACHE.PUTUNLOCK")
                        .arg(&k)
                        .arg("u")
                        .arg(h)
                        .arg("PX")
                        .arg(400_000)
                        .query(&mut c)
                        .unwrap();
                } else {
                    held.push((k.clone(), h));
                }
            }
        }
        if i % 5 == 0 {
            let _: Value = cmd("CACHE.RESETTTL").arg(&k).arg("EX").arg(700).query(&mut c).unwrap();
        }
    }
    // Those a later PUT did not release are released now (timeouts kept).
    for (k, h) in held {
        let _: redis::RedisResult<Value> = cmd("CACHE.UNLOCK").arg(k).arg(h).arg("EX").arg(900).query(&mut c);
    }
    let mut keep = Vec::new();
    for k in ["c:0", "c:1"] {
        let r: Vec<Value> = cmd("CACHE.LOCK")
            .arg(k)
            .arg(600_000)
            .arg("CREATE")
            .query(&mut c)
            .unwrap();
        let Value::Int(h) = r[0] else { panic!("{r:?}") };
        keep.push((k.to_string(), h));
    }
    keep
}

/// Every string key's version (CACHE.GET) and deadline (PEXPIRETIME).
fn versions_and_deadlines(c: &mut Connection) -> std::collections::BTreeMap<String, (i64, i64)> {
    let keys: Vec<String> = cmd("KEYS").arg("*").query(c).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for k in keys {
        let t: String = cmd("TYPE").arg(&k).query(c).unwrap();
        if t != "string" {
            continue;
        }
        let item: Vec<Value> = cmd("CACHE.GET").arg(&k).query(c).unwrap();
        let Value::Int(version) = item[1] else {
            panic!("{item:?}")
        };
        let deadline: i64 = cmd("PEXPIRETIME").arg(&k).query(c).unwrap();
        out.insert(k, (version, deadline));
    }
    out
}

fn log_has(s: &Server, needle: &str) -> bool {
    s.log_lines().iter().any(|l| l.contains(needle))
}

#[test]
fn a_primary_and_two_replicas_end_equal_under_writes_from_both_protocols() {
    let dirs: Vec<TempDir> = (0..3).map(|i| TempDir::new(&format!("repl-load-{i}"))).collect();
    let primary = start_with(&dirs[0], &[]);
    let port = primary.port.to_string();
    let mut pc = primary.redis();
    let r1 = start_with(&dirs[1], &["--replicaof", "127.0.0.1", &port]);
    let mut c1 = r1.redis();
    caught_up(&mut pc, &mut c1);

    // Writes from three clients at once; the second replica starts empty
    // while they run (a full resynchronisation under load).
    let loads: Vec<_> = (0..2u64)
        .map(|seed| {
            let p = primary.port;
            std::thread::spawn(move || resp_load(p, seed, 300))
        })
        .chain(std::iter::once({
            let p = primary.mc_port;
            std::thread::spawn(move || memcache_load(p, 300))
        }))
        .collect();
    let cache = {
        let p = primary.port;
        std::thread::spawn(move || cache_load(p, 300))
    };
    let r2 = start_with(&dirs[2], &[]);
    let mut c2 = r2.redis();
    let _: () = cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(primary.port)
        .query(&mut c2)
        .unwrap();
    // The first replica saves its place, then is killed while writes go on.
    let _: () = cmd("SAVE").query(&mut c1).unwrap();
    let pid = r1.pid();
    compat_tests::run_command("kill", &["-9", &pid.to_string()], b"");
    drop(c1);
    drop(r1);
    for l in loads {
        l.join().unwrap();
    }
    let held = cache.join().unwrap();
    // Restarted from its snapshot, it goes on from where it was.
    let r1 = start_with(&dirs[1], &["--replicaof", "127.0.0.1", &port]);
    let mut c1 = r1.redis();
    caught_up_logged(&mut pc, &mut c1, Some(&r1));
    caught_up_logged(&mut pc, &mut c2, Some(&r2));
    assert!(log_has(&r1, "partial resynchronisation"), "{:?}", r1.log_lines());
    assert_same_data(&mut pc, &mut c2);
    assert_same_data(&mut pc, &mut c1);
    // memcached items carry their flags to the replicas.
    let mut m = compat_tests::Wire::connect(primary.mc_port);
    m.send(b"set flagged 77 0 2\r\nok\r\n");
    assert_eq!(m.read_line(), b"STORED\r\n");
    caught_up(&mut pc, &mut c2);
    let item: Vec<Value> = cmd("CACHE.GET").arg("flagged").query(&mut c2).unwrap();
    assert_eq!(item[0], Value::BulkString(b"ok".to_vec()));
    assert_eq!(digest(&mut c2), digest(&mut pc));
    // Every item has the same version (memcached's CAS unique) and the
    // same deadline on the replicas as on the primary.
    let want = versions_and_deadlines(&mut pc);
    assert!(want.len() > 40, "{want:?}");
    assert_eq!(versions_and_deadlines(&mut c1), want);
    assert_eq!(versions_and_deadlines(&mut c2), want);
    let gets = |port| {
        let mut w = compat_tests::Wire::connect(port);
        w.send(b"gets mc:1 mc:2 n:3 flagged\r\n");
        let mut lines = Vec::new();
        loop {
            let l = w.read_line();
            if l == b"END\r\n" {
                return lines;
            }
            lines.push(l);
        }
    };
    assert_eq!(gets(r2.mc_port), gets(primary.mc_port));
    // Dependencies, tags, locks released by force and database policies
    // reach the replicas.
    for line in [
        "CACHE.PUT parent 1",
        "CACHE.PUT child 2 TAGS 1 x",
        "CACHE.PUT tagged 3 TAGS 1 gone",
        "CACHE.DEPEND child parent",
        "CACHE.POLICY 3 DEFAULT-TTL 77",
        "CACHE.DELTAGGED ANY 1 gone",
        "CACHE.LOCK free 60000 CREATE",
        "CACHE.FORCEUNLOCK free",
    ] {
        let words: Vec<&str> = line.split(' ').collect();
        let _: Value = cmd(words[0]).arg(&words[1..]).query(&mut pc).unwrap();
    }
    caught_up(&mut pc, &mut c1);
    let policy: Vec<String> = cmd("CACHE.POLICY").arg(3).query(&mut c1).unwrap();
    assert_eq!(policy[..2], ["default-ttl", "77"]);
    let n: i64 = cmd("EXISTS").arg("tagged").query(&mut c1).unwrap();
    assert_eq!(n, 0);
    let _: () = cmd("SET").arg("parent").arg(9).query(&mut pc).unwrap();
    caught_up(&mut pc, &mut c1);
    let n: i64 = cmd("EXISTS").arg("child").arg("parent").query(&mut c1).unwrap();
    assert_eq!(n, 1, "the child went with its parent's write");
    // A timeout from the database's DEFAULT-TTL is the primary's.
    let _: () = redis::pipe()
        .cmd("SELECT")
        .arg(3)
        .cmd("SET")
        .arg("defaulted")
        .arg(1)
        .cmd("SELECT")
        .arg(0)
        .query(&mut pc)
        .unwrap();
    // A sliding item kept alive by reads on the primary (which are not
    // replicated) stays alive on the replica, and after its promotion.
    let _: Value = cmd("CACHE.PUT")
        .arg("slid")
        .arg(1)
        .arg("SLIDE")
        .arg(2)
        .query(&mut pc)
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let _: Value = cmd("GET").arg("slid").query(&mut pc).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    caught_up(&mut pc, &mut c1);
    let t = |c: &mut Connection| -> i64 {
        redis::pipe()
            .cmd("SELECT")
            .arg(3)
            .cmd("PEXPIRETIME")
            .arg("defaulted")
            .cmd("SELECT")
            .arg(0)
            .query::<((), i64, ())>(c)
            .unwrap()
            .1
    };
    assert_eq!(t(&mut c1), t(&mut pc));
    let got: Option<String> = cmd("GET").arg("slid").query(&mut c1).unwrap();
    assert_eq!(got.as_deref(), Some("1"));
    let _: () = cmd("REPLICAOF").arg("NO").arg("ONE").query(&mut c1).unwrap();
    let got: Option<String> = cmd("GET").arg("slid").query(&mut c1).unwrap();
    assert_eq!(got.as_deref(), Some("1"), "promoted, it restarts sliding windows");
    let r: Vec<Value> = cmd("CACHE.LOCK")
        .arg("free")
        .arg(1000)
        .arg("CREATE")
        .query(&mut c1)
        .unwrap();
    assert!(matches!(r[0], Value::Int(_)), "the lock was released: {r:?}");
    // A promoted replica honours the handles of locks taken on the
    // primary; a new lock there gets a handle above them.
    let _: () = cmd("REPLICAOF").arg("NO").arg("ONE").query(&mut c2).unwrap();
    for (k, h) in &held {
        let v: i64 = cmd("CACHE.PUTUNLOCK")
            .arg(k)
            .arg("after")
            .arg(*h)
            .query(&mut c2)
            .unwrap();
        assert!(v > 0);
    }
    let r: Vec<Value> = cmd("CACHE.LOCK")
        .arg("c:5")
        .arg(1000)
        .arg("CREATE")
        .query(&mut c2)
        .unwrap();
    let Value::Int(h) = r[0] else { panic!("{r:?}") };
    assert!(held.iter().all(|(_, old)| h > *old), "{h} {held:?}");
}

#[test]
fn a_replica_of_a_replica_holds_the_primarys_data_and_offsets() {
    let dirs: Vec<TempDir> = (0..4).map(|i| TempDir::new(&format!("repl-chain-{i}"))).collect();
    // No PING of the primary's comes between the promotion below and the
    // end's move, which would put the end ahead of the promoted middle.
    let primary = start_with(&dirs[0], &["--repl-ping-replica-period", "3600"]);
    let mut pc = primary.redis();
    let middle = start_with(&dirs[1], &["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut mc = middle.redis();
    caught_up(&mut pc, &mut mc);
    let of_middle = ["--replicaof", "127.0.0.1", &middle.port.to_string()];
    let (end, other) = (start_with(&dirs[2], &of_middle), start_with(&dirs[3], &of_middle));
    let (mut ec, mut oc) = (end.redis(), other.redis());
    caught_up(&mut mc, &mut ec);
    let loads: Vec<_> = (0..2u64)
        .map(|seed| {
            let p = primary.port;
            std::thread::spawn(move || resp_load(p, seed, 200))
        })
        .chain(std::iter::once({
            let p = primary.mc_port;
            std::thread::spawn(move || memcache_load(p, 200))
        }))
        .collect();
    let _held = cache_load(primary.port, 200);
    for l in loads {
        l.join().unwrap();
    }
    caught_up_logged(&mut pc, &mut mc, Some(&middle));
    caught_up_logged(&mut mc, &mut ec, Some(&end));
    caught_up_logged(&mut mc, &mut oc, Some(&other));
    // The same bytes at the same offsets: the end's offset is the
    // primary's, and so is the stream's name.
    let offset = |c: &mut Connection| info_field(c, "master_repl_offset");
    assert_eq!(offset(&mut ec), offset(&mut pc));
    let id = |c: &mut Connection| info_field(c, "master_replid");
    assert_eq!(id(&mut ec), id(&mut pc));
    assert_same_data(&mut pc, &mut ec);
    let want = versions_and_deadlines(&mut pc);
    assert!(want.len() > 40, "{want:?}");
    assert_eq!(versions_and_deadlines(&mut ec), want);
    // Moved to the primary, the end goes on from where it was.
    let _: () = cmd("SET").arg("after").arg("chain").query(&mut pc).unwrap();
    let _: () = cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(primary.port)
        .query(&mut ec)
        .unwrap();
    caught_up_logged(&mut pc, &mut ec, Some(&end));
    assert!(log_has(&end, "partial resynchronisation"), "{:?}", end.log_lines());
    assert_same_data(&mut pc, &mut ec);
    // The middle promoted: its replica goes on from it, under its new id.
    caught_up_logged(&mut pc, &mut mc, Some(&middle));
    let _: () = cmd("REPLICAOF").arg("NO").arg("ONE").query(&mut mc).unwrap();
    let _: () = cmd("SET").arg("after").arg("promotion").query(&mut mc).unwrap();
    let _: Value = cmd("CACHE.PUT").arg("versioned").arg(1).query(&mut mc).unwrap();
    caught_up_logged(&mut mc, &mut oc, Some(&other));
    assert!(log_has(&other, "partial resynchronisation"), "{:?}", other.log_lines());
    assert_eq!(id(&mut oc), id(&mut mc));
    assert_same_data(&mut mc, &mut oc);
    assert_eq!(versions_and_deadlines(&mut oc), versions_and_deadlines(&mut mc));
    // A replica of the old primary goes on from the promoted middle too.
    let _: () = cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(middle.port)
        .query(&mut ec)
        .unwrap();
    caught_up_logged(&mut mc, &mut ec, Some(&end));
    // (The log's lines since the last look.)
    assert!(log_has(&end, "partial resynchronisation"), "{:?}", middle.log_lines());
    assert_same_data(&mut mc, &mut ec);
}

#[test]
fn a_replica_syncing_under_writes_keeps_its_place_past_the_backlogs_size() {
    let dirs: Vec<TempDir> = (0..2).map(|i| TempDir::new(&format!("repl-small-{i}"))).collect();
    // A backlog far smaller than what is written while the snapshot goes.
    let primary = start_with(&dirs[0], &["--repl-backlog-size", "16kb"]);
    let mut pc = primary.redis();
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(200_000)
        .arg("k")
        .arg(100)
        .query(&mut pc)
        .unwrap();
    let replica = start_with(&dirs[1], &["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = replica.redis();
    // Stopped while its snapshot is on the way (20 MB, more than the
    // sockets hold), the replica lets the writes below pile up behind it.
    let attached = Instant::now();
    while info_field(&mut pc, "slave0").is_none() {
        assert!(attached.elapsed() < Duration::from_secs(30), "the replica never asked");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = replica.pid().to_string();
    compat_tests::run_command("kill", &["-STOP", &pid], b"");
    resp_load(primary.port, 0, 400);
    compat_tests::run_command("kill", &["-CONT", &pid], b"");
    caught_up_logged(&mut pc, &mut rc, Some(&replica));
    assert_same_data(&mut pc, &mut rc);
    let log = primary.log_lines();
    let full = log.iter().filter(|l| l.contains("full resynchronization")).count();
    assert_eq!(full, 1, "{log:?}");
    assert!(!log.iter().any(|l| l.contains("fell behind")), "{log:?}");
}

#[test]
fn redis_server_replicates_ferrocache() {
    let dir = TempDir::new("repl-to-redis");
    let primary = start_with(&dir, &[]);
    let mut pc = primary.redis();
    let _: () = cmd("DEBUG")
        .arg("POPULATE")
        .arg(1000)
        .arg("k")
        .arg(20)
        .query(&mut pc)
        .unwrap();
    let _: () = cmd("RPUSH").arg("list").arg(&["a", "b"]).query(&mut pc).unwrap();
    let _: () = cmd("HSET").arg("hash").arg(&["f", "v"]).query(&mut pc).unwrap();
    let _: () = cmd("ZADD").arg("zset").arg(&["1.5", "a"]).query(&mut pc).unwrap();
    let _: () = cmd("SADD").arg("set").arg(&[1, 2, 3]).query(&mut pc).unwrap();
    let lib = "#!lua name=mirrored\nredis.register_function('f1', function(keys, args) return 1 end)";
    let _: String = cmd("FUNCTION").arg("LOAD").arg(lib).query(&mut pc).unwrap();
    let rdir = TempDir::new("repl-redis-side");
    let r = RedisServer::start(
        rdir.path(),
        &[
            "--enable-debug-command",
            "yes",
            "--replicaof",
            "127.0.0.1",
            &primary.port.to_string(),
        ],
    );
    let mut rc = r.redis();
    caught_up(&mut pc, &mut rc);
    assert_eq!(digest(&mut rc), digest(&mut pc));
    // The stream: every kind of write, a script's effects, a transaction.
    resp_load(primary.port, 3, 50);
    let _: i64 = cmd("EVAL")
        .arg("redis.call('set', KEYS[1], 'x') return redis.call('incr', KEYS[2])")
        .arg(2)
        .arg("sx")
        .arg("sn")
        .query(&mut pc)
        .unwrap();
    // Libraries restored from a payload reach the replica too.
    let payload: Vec<u8> = cmd("FUNCTION").arg("DUMP").query(&mut pc).unwrap();
    let _: () = cmd("FUNCTION").arg("DELETE").arg("mirrored").query(&mut pc).unwrap();
    let _: () = cmd("FUNCTION").arg("RESTORE").arg(&payload).query(&mut pc).unwrap();
    caught_up(&mut pc, &mut rc);
    assert_eq!(digest(&mut rc), digest(&mut pc));
    let list = |c: &mut Connection| -> Value { cmd("FUNCTION").arg("LIST").arg("WITHCODE").query(c).unwrap() };
    assert_eq!(list(&mut rc), list(&mut pc));
    let role: Vec<Value> = cmd("ROLE").query(&mut pc).unwrap();
    assert_eq!(role[0], Value::BulkString(b"master".to_vec()));
    let Value::Array(replicas) = &role[2] else {
        panic!("{role:?}")
    };
    assert_eq!(replicas.len(), 1);
}

#[test]
fn wait_and_sync_replicas_count_only_acknowledging_replicas() {
    let dirs: Vec<TempDir> = (0..2).map(|i| TempDir::new(&format!("repl-wait-{i}"))).collect();
    let primary = start_with(&dirs[0], &[]);
    let mut pc = primary.redis();
    let n: i64 = cmd("WAIT").arg(1).arg(10).query(&mut pc).unwrap();
    assert_eq!(n, 0, "no replica yet");
    let r = start_with(&dirs[1], &["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let mut rc = r.redis();
    caught_up(&mut pc, &mut rc);
    let _: () = cmd("SET").arg("a").arg("1").query(&mut pc).unwrap();
    let n: i64 = cmd("WAIT").arg(1).arg(0).query(&mut pc).unwrap();
    assert_eq!(n, 1);
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("sync-replicas")
        .arg(1)
        .query(&mut pc)
        .unwrap();
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("sync-replicas-timeout")
        .arg(300)
        .query(&mut pc)
        .unwrap();
    let _: () = cmd("SET").arg("b").arg("2").query(&mut pc).unwrap();
    assert_eq!(
        cmd("GET").arg("b").query::<String>(&mut rc).unwrap(),
        "2",
        "acknowledged, so there"
    );
    // A replica that stops answering: writes time out with the error,
    // and WAIT counts no one.
    let pid = r.pid().to_string();
    compat_tests::run_command("kill", &["-STOP", &pid], b"");
    // kill returns before the process has stopped: wait until it has.
    let stopped = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('T'))
    };
    let start = Instant::now();
    while !stopped() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(stopped(), "the replica did not stop");
    let err = cmd("SET").arg("c").arg("3").query::<()>(&mut pc).unwrap_err();
    assert!(err.to_string().contains("may not be replicated"), "{err}");
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("sync-replicas")
        .arg(0)
        .query(&mut pc)
        .unwrap();
    let _: () = cmd("SET").arg("d").arg("4").query(&mut pc).unwrap();
    let n: i64 = cmd("WAIT").arg(1).arg(200).query(&mut pc).unwrap();
    assert_eq!(n, 0);
    compat_tests::run_command("kill", &["-CONT", &pid], b"");
    let n: i64 = cmd("WAIT").arg(1).arg(0).query(&mut pc).unwrap();
    assert_eq!(n, 1);
    assert_eq!(cmd("GET").arg("d").query::<String>(&mut rc).unwrap(), "4");
    // min-replicas-to-write: two are asked, one is there.
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg(2)
        .query(&mut pc)
        .unwrap();
    let err = cmd("SET").arg("e").arg("5").query::<()>(&mut pc).unwrap_err();
    assert!(err.to_string().contains("Not enough good replicas"), "{err}");
}
