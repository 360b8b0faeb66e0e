//! Snapshots on disk in Redis's RDB format: SAVE, BGSAVE, save points,
//! SHUTDOWN and SIGTERM, DEBUG RELOAD, the load at start; files that
//! redis-server 7.0 loads and redis-check-rdb passes, and redis-server's
//! own files loaded here. Digests compared are DEBUG DIGEST, which both
//! servers compute the same way.

use compat_tests::{run_command, Options, RedisServer, Server, TempDir};
use redis::{cmd, Connection, Value};
use std::time::{Duration, Instant};

fn start_in(dir: &TempDir, extra: &[&str]) -> Server {
    let d = dir.arg();
    let mut args = vec!["--dir", &d, "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Options::new().args(&args).start()
}

fn digest(c: &mut Connection) -> String {
    cmd("DEBUG").arg("DIGEST").query(c).unwrap()
}

fn info_field(c: &mut Connection, name: &str) -> String {
    let info: String = cmd("INFO").arg("persistence").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
        .trim()
        .to_string()
}

/// Waits (bounded) until `f` is true.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Data of every type both servers have, in the encodings Redis picks by
/// size: small and large lists, integer and string sets, small and large
/// hashes and sorted sets, strings that are integers, long and binary.
fn fill_every_type(c: &mut Connection) {
    let _: () = cmd("SET").arg("str").arg("hello").query(c).unwrap();
    let _: () = cmd("SET").arg("int").arg("12345").query(c).unwrap();
    let _: () = cmd("SET").arg("long").arg("abc".repeat(400)).query(c).unwrap();
    let _: () = cmd("SET")
        .arg(&b"bin\x00\xff"[..])
        .arg(&b"\x00\x01\x02\xfe"[..])
        .query(c)
        .unwrap();
    let _: () = cmd("SET").arg("ttl").arg("v").arg("EX").arg(3600).query(c).unwrap();
    let _: () = cmd("RPUSH")
        .arg("list:small")
        .arg(&["a", "b", "1", "2"])
        .query(c)
        .unwrap();
    let big: Vec<String> = (0..1000).map(|i| format!("element-{i}")).collect();
    let _: () = cmd("RPUSH").arg("list:big").arg(&big).query(c).unwrap();
    let _: () = cmd("SADD")
        .arg("set:int")
        .arg(&[1, 2, 3, 70000, -5, 5_000_000_000i64])
        .query(c)
        .unwrap();
    let _: () = cmd("SADD").arg("set:str").arg(&["x", "y", "z"]).query(c).unwrap();
    let _: () = cmd("SADD").arg("set:big").arg(&big).query(c).unwrap();
    let _: () = cmd("HSET")
        .arg("hash:small")
        .arg(&["f1", "v1", "f2", "2"])
        .query(c)
        .unwrap();
    let fields: Vec<String> = (0..600)
        .flat_map(|i| [format!("field{i}"), "v".repeat(i % 70)])
        .collect();
    let _: () = cmd("HSET").arg("hash:big").arg(&fields).query(c).unwrap();
    let _: () = cmd("ZADD")
        .arg("zset:small")
        .arg(&["1.5", "a", "-inf", "b", "3", "c"])
        .query(c)
        .unwrap();
    let members: Vec<String> = (0..300)
        .flat_map(|i| [format!("{}", i as f64 / 7.0), format!("m{i}")])
        .collect();
    let _: () = cmd("ZADD").arg("zset:big").arg(&members).query(c).unwrap();
    let _: () = cmd("SELECT").arg(3).query(c).unwrap();
    let _: () = cmd("SET").arg("in-db-3").arg("three").query(c).unwrap();
    let _: () = cmd("SELECT").arg(0).query(c).unwrap();
}

const LIBRARY: &str = "#!lua name=persisted\nredis.register_function('echo1', function(keys, args) return args[1] end)";

#[test]
fn save_then_restart_brings_back_the_data_and_ferrocache_attributes() {
    let dir = TempDir::new("persist");
    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    fill_every_type(&mut c);
    let _: String = cmd("FUNCTION").arg("LOAD").arg(LIBRARY).query(&mut c).unwrap();
    // ferrocache's own: versions, tags, priorities, sliding timeouts,
    // locks, policies, memcached flags.
    let v: i64 = cmd("CACHE.PUT")
        .arg("item")
        .arg("payload")
        .arg("SLIDE")
        .arg(600)
        .arg("PRIORITY")
        .arg("high")
        .arg("TAGS")
        .arg(2)
        .arg("red")
        .arg("blue")
        .query(&mut c)
        .unwrap();
    let _: i64 = cmd("CACHE.PUT").arg("locked").arg("before").query(&mut c).unwrap();
    let lock: Vec<Value> = cmd("CACHE.LOCK").arg("locked").arg(600_000).query(&mut c).unwrap();
    let Value::Int(handle) = lock[0] else {
        panic!("{lock:?}")
    };
    let _: () = cmd("CACHE.POLICY")
        .arg(5)
        .arg("DEFAULT-TTL")
        .arg(300)
        .query(&mut c)
        .unwrap();
    let mut mc = s.mc_wire();
    mc.send(b"set mc 0 0 5\r\nhello\r\n");
    assert_eq!(mc.read_line(), b"STORED\r\n");
    mc.send(b"set mcflags 42 0 2\r\nhi\r\n");
    assert_eq!(mc.read_line(), b"STORED\r\n");
    mc.send(b"gets mcflags\r\n");
    let gets_before = mc.read_line();
    assert_eq!(mc.read_line(), b"hi\r\n");
    assert_eq!(mc.read_line(), b"END\r\n");
    let before = digest(&mut c);
    let item_before: Vec<Value> = cmd("CACHE.GET").arg("item").query(&mut c).unwrap();

    let _: () = cmd("SAVE").query(&mut c).unwrap();
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    let lastsave: i64 = cmd("LASTSAVE").query(&mut c).unwrap();
    assert!(lastsave > 1_600_000_000);
    drop(c);
    drop(mc);
    drop(s);
    assert!(dir.path().join("dump.rdb").exists());

    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    assert_eq!(digest(&mut c), before);
    assert_eq!(
        info_field(&mut c, "rdb_last_load_keys_loaded").parse::<u64>().unwrap(),
        19
    );
    let item: Vec<Value> = cmd("CACHE.GET").arg("item").query(&mut c).unwrap();
    assert_eq!(item[0], item_before[0]);
    assert_eq!(item[1], Value::Int(v), "the version survives");
    assert_eq!(item[3], Value::BulkString(b"sliding".to_vec()));
    assert_eq!(item[4], Value::BulkString(b"high".to_vec()));
    assert_eq!(item[5], item_before[5], "tags");
    // The lock holder finishes its work on the restarted server.
    let put: Value = cmd("CACHE.PUTUNLOCK")
        .arg("locked")
        .arg("after")
        .arg(handle)
        .query(&mut c)
        .unwrap();
    assert!(matches!(put, Value::Int(_)), "{put:?}");
    let got: String = cmd("GET").arg("locked").query(&mut c).unwrap();
    assert_eq!(got, "after");
    let policy: Vec<Value> = cmd("CACHE.POLICY").arg(5).query(&mut c).unwrap();
    assert_eq!(policy[1], Value::Int(300));
    let echoed: String = cmd("FCALL").arg("echo1").arg(0).arg("hi").query(&mut c).unwrap();
    assert_eq!(echoed, "hi");
    let mut mc = s.mc_wire();
    mc.send(b"gets mcflags\r\n");
    assert_eq!(mc.read_line(), gets_before, "flags and CAS survive");
    // A new version is newer than every loaded one.
    let v2: i64 = cmd("CACHE.PUT").arg("fresh").arg("x").query(&mut c).unwrap();
    assert!(v2 > v);
}

#[test]
fn redis_server_loads_our_file_and_redis_check_rdb_passes_it() {
    let dir = TempDir::new("to-redis");
    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    fill_every_type(&mut c);
    let _: String = cmd("FUNCTION").arg("LOAD").arg(LIBRARY).query(&mut c).unwrap();
    let _: i64 = cmd("CACHE.PUT")
        .arg("tagged")
        .arg("v")
        .arg("TAGS")
        .arg(1)
        .arg("t")
        .query(&mut c)
        .unwrap();
    let ours = digest(&mut c);
    let _: () = cmd("SAVE").query(&mut c).unwrap();
    let file = dir.path().join("dump.rdb");
    let check = run_command("redis-check-rdb", &[&file.display().to_string()], b"");
    let text = String::from_utf8_lossy(&check.stdout).to_string() + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success() && text.contains("RDB looks OK"), "{text}");

    let r = RedisServer::start(
        dir.path(),
        &["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"],
    );
    let mut rc = r.redis();
    assert_eq!(digest(&mut rc), ours);
    let echoed: String = cmd("FCALL").arg("echo1").arg(0).arg("hi").query(&mut rc).unwrap();
    assert_eq!(echoed, "hi");
}

#[test]
fn a_dump_written_by_redis_server_loads_here() {
    let dir = TempDir::new("from-redis");
    let theirs = {
        // Small encodings thresholds so that both packed and plain forms
        // are written, and compressed quicklist nodes.
        let r = RedisServer::start(
            dir.path(),
            &[
                "--list-compress-depth",
                "1",
                "--list-max-listpack-size",
                "8",
                "--enable-debug-command",
                "yes",
            ],
        );
        let mut rc = r.redis();
        fill_every_type(&mut rc);
        let _: String = cmd("FUNCTION").arg("LOAD").arg(LIBRARY).query(&mut rc).unwrap();
        let d = digest(&mut rc);
        // A key whose time passes before the load is left out of it.
        let _: () = cmd("SET").arg("gone").arg("v").arg("PX").arg(1).query(&mut rc).unwrap();
        let _: () = cmd("SAVE").query(&mut rc).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        d
    };
    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    assert_eq!(digest(&mut c), theirs);
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_expired"), "1");
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "15");
    let ttl: i64 = cmd("TTL").arg("ttl").query(&mut c).unwrap();
    assert!(ttl > 3500 && ttl <= 3600, "{ttl}");
    let echoed: String = cmd("FCALL").arg("echo1").arg(0).arg("hi").query(&mut c).unwrap();
    assert_eq!(echoed, "hi");
}

#[test]
fn function_payloads_move_between_ferrocache_and_redis_server() {
    let dir = TempDir::new("function-dump");
    let s = start_in(&dir, &[]);
    let r = RedisServer::start(dir.path(), &[]);
    let (mut c, mut rc) = (s.redis(), r.redis());
    let _: String = cmd("FUNCTION").arg("LOAD").arg(LIBRARY).query(&mut c).unwrap();
    let ours: Vec<u8> = cmd("FUNCTION").arg("DUMP").query(&mut c).unwrap();
    let ok: String = cmd("FUNCTION").arg("RESTORE").arg(&ours).query(&mut rc).unwrap();
    assert_eq!(ok, "OK");
    let echoed: String = cmd("FCALL").arg("echo1").arg(0).arg("there").query(&mut rc).unwrap();
    assert_eq!(echoed, "there");
    // The same libraries give the same payload on both.
    let theirs: Vec<u8> = cmd("FUNCTION").arg("DUMP").query(&mut rc).unwrap();
    assert_eq!(theirs, ours);

    let other = "#!lua name=other\nredis.register_function('echo2', function(keys, args) return args[1] end)";
    let _: String = cmd("FUNCTION").arg("LOAD").arg(other).query(&mut rc).unwrap();
    let theirs: Vec<u8> = cmd("FUNCTION").arg("DUMP").query(&mut rc).unwrap();
    let exists: redis::RedisResult<String> = cmd("FUNCTION").arg("RESTORE").arg(&theirs).query(&mut c);
    assert!(exists
        .unwrap_err()
        .to_string()
        .contains("Library persisted already exists"));
    let _: String = cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&theirs)
        .arg("REPLACE")
        .query(&mut c)
        .unwrap();
    let echoed: String = cmd("FCALL").arg("echo2").arg(0).arg("back").query(&mut c).unwrap();
    assert_eq!(echoed, "back");
}

#[test]
fn bgsave_save_points_and_lastsave() {
    let dir = TempDir::new("bgsave");
    let s = start_in(&dir, &["--save", "1 1"]);
    let mut c = s.redis();
    assert_eq!(info_field(&mut c, "rdb_saves"), "0");
    let _: () = cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    // The save point (1 second, 1 change) starts a background save.
    eventually("a save point's save", || info_field(&mut c, "rdb_saves") == "1");
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert!(dir.path().join("dump.rdb").exists());
    let started: String = cmd("BGSAVE").query(&mut c).unwrap();
    assert_eq!(started, "Background saving started");
    eventually("BGSAVE to end", || info_field(&mut c, "rdb_bgsave_in_progress") == "0");
    let bad: redis::RedisResult<String> = cmd("BGSAVE").arg("NOW").query(&mut c);
    assert!(bad.unwrap_err().to_string().contains("syntax error"));
}

#[test]
fn shutdown_and_sigterm_save_when_asked() {
    let dir = TempDir::new("shutdown");
    let file = dir.path().join("dump.rdb");
    // No save points: SHUTDOWN saves nothing unless told to.
    let mut s = start_in(&dir, &[]);
    let mut c = s.redis();
    let _: () = cmd("SET").arg("a").arg("1").query(&mut c).unwrap();
    let _ = cmd("SHUTDOWN").query::<()>(&mut c);
    s.wait_exit(Duration::from_secs(30)).expect("exit");
    assert!(!file.exists());

    let mut s = start_in(&dir, &[]);
    let mut c = s.redis();
    let _: () = cmd("SET").arg("a").arg("1").query(&mut c).unwrap();
    let _ = cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut c);
    s.wait_exit(Duration::from_secs(30)).expect("exit");
    assert!(file.exists());

    // With save points, SIGTERM saves before the process ends.
    let mut s = start_in(&dir, &["--save", "3600 1"]);
    let mut c = s.redis();
    let got: String = cmd("GET").arg("a").query(&mut c).unwrap();
    assert_eq!(got, "1");
    let _: () = cmd("SET").arg("b").arg("2").query(&mut c).unwrap();
    run_command("kill", &["-TERM", &s.pid().to_string()], b"");
    s.wait_exit(Duration::from_secs(30)).expect("exit");
    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    let got: String = cmd("GET").arg("b").query(&mut c).unwrap();
    assert_eq!(got, "2");
}

#[test]
fn debug_reload_gives_back_the_same_data() {
    let dir = TempDir::new("reload");
    let s = start_in(&dir, &[]);
    let mut c = s.redis();
    fill_every_type(&mut c);
    let before = digest(&mut c);
    let _: () = cmd("DEBUG").arg("RELOAD").query(&mut c).unwrap();
    assert_eq!(digest(&mut c), before);
    let n: i64 = cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 14);
}

#[test]
fn a_failed_background_save_stops_writes_until_a_save_succeeds() {
    let dir = TempDir::new("misconf");
    let s = start_in(&dir, &["--save", "3600 1"]);
    let mut c = s.redis();
    let _: () = cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    // The directory goes away under the server: the save cannot write.
    std::fs::remove_dir_all(dir.path()).unwrap();
    let _: String = cmd("BGSAVE").query(&mut c).unwrap();
    eventually("the failed save", || {
        info_field(&mut c, "rdb_last_bgsave_status") == "err"
    });
    let err = cmd("SET").arg("k").arg("w").query::<()>(&mut c).unwrap_err();
    assert!(err.to_string().contains("MISCONF"), "{err}");
    let got: String = cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(got, "v");
    std::fs::create_dir_all(dir.path()).unwrap();
    let _: String = cmd("BGSAVE").query(&mut c).unwrap();
    eventually("the save", || info_field(&mut c, "rdb_last_bgsave_status") == "ok");
    let _: () = cmd("SET").arg("k").arg("w").query(&mut c).unwrap();
}

#[test]
fn a_damaged_file_stops_the_start() {
    let dir = TempDir::new("damaged");
    std::fs::write(dir.path().join("dump.rdb"), b"REDIS0010\xfa\x03bad").unwrap();
    let out = std::process::Command::new(compat_tests::binary())
        .args(["--port", "0", "--memcache-port", "0", "--dir", &dir.arg()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loading the DB"));
}
