//! The `redis` crate (1.x), sync and async, against the real binary:
//! the commands implemented so far (GET SET DEL EXISTS PING ECHO SELECT
//! DBSIZE FLUSHDB FLUSHALL TIME), pipelines, binary-safe data, databases
//! and many clients at once.

use compat_tests::{Options, Server, Wire};
use redis::{cmd, pipe, Value};

fn set(con: &mut dyn redis::ConnectionLike, k: &[u8], v: &[u8]) {
    let r: String = cmd("SET").arg(k).arg(v).query(con).expect("SET");
    assert_eq!(r, "OK");
}

fn get(con: &mut dyn redis::ConnectionLike, k: &[u8]) -> Option<Vec<u8>> {
    cmd("GET").arg(k).query(con).expect("GET")
}

/// A deterministic value of `len` bytes covering every byte value.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32) as u8)
        .collect()
}

#[test]
fn sync_resp2_set_get_del_exists() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(get(&mut con, b"k"), None);
    set(&mut con, b"k", b"v1");
    assert_eq!(get(&mut con, b"k"), Some(b"v1".to_vec()));
    set(&mut con, b"k", b"v2");
    assert_eq!(get(&mut con, b"k"), Some(b"v2".to_vec()));
    set(&mut con, b"other", b"x");
    let n: i64 = cmd("EXISTS")
        .arg("k")
        .arg("other")
        .arg("k")
        .arg("none")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 3, "EXISTS counts a key once per mention");
    let n: i64 = cmd("DEL").arg("k").arg("none").query(&mut con).unwrap();
    assert_eq!(n, 1);
    assert_eq!(get(&mut con, b"k"), None);
    let n: i64 = cmd("EXISTS").arg("k").query(&mut con).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn sync_resp2_server_commands() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let pong: String = cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let msg: Vec<u8> = cmd("PING").arg(b"hi\x00there").query(&mut con).unwrap();
    assert_eq!(msg, b"hi\x00there");
    let echo: Vec<u8> = cmd("ECHO").arg(b"\r\n\xff").query(&mut con).unwrap();
    assert_eq!(echo, b"\r\n\xff");
    for i in 0..10 {
        set(&mut con, format!("key:{i}").as_bytes(), b"v");
    }
    let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 10);
    let (secs, micros): (String, String) = cmd("TIME").query(&mut con).unwrap();
    let secs: u64 = secs.parse().expect("TIME seconds are a number");
    let micros: u64 = micros.parse().expect("TIME microseconds are a number");
    assert!(secs > 1_600_000_000, "TIME seconds look like Unix time: {secs}");
    assert!(micros < 1_000_000);
    let ok: String = cmd("FLUSHDB").query(&mut con).unwrap();
    assert_eq!(ok, "OK");
    let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn sync_errors_reach_the_client_and_the_connection_goes_on() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let e = cmd("NOSUCHCOMMAND").arg("a").query::<Value>(&mut con).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("unknown command 'NOSUCHCOMMAND'"), "{text}");
    let e = cmd("GET").query::<Value>(&mut con).unwrap_err();
    assert!(
        e.to_string().contains("wrong number of arguments for 'get' command"),
        "{e}"
    );
    let e = cmd("SELECT").arg(1000).query::<Value>(&mut con).unwrap_err();
    assert!(e.to_string().contains("DB index is out of range"), "{e}");
    set(&mut con, b"still", b"here");
    assert_eq!(get(&mut con, b"still"), Some(b"here".to_vec()));
}

#[test]
fn sync_resp3_set_get() {
    let srv = Server::start(&[]);
    let mut con = srv
        .redis_client(true)
        .get_connection()
        .expect("RESP3 connection (the client sends HELLO 3)");
    set(&mut con, b"k3", b"v3");
    assert_eq!(get(&mut con, b"k3"), Some(b"v3".to_vec()));
    assert_eq!(get(&mut con, b"missing"), None);
    let v: Value = cmd("GET").arg("missing").query(&mut con).unwrap();
    assert_eq!(v, Value::Nil);
    let n: i64 = cmd("EXISTS").arg("k3").query(&mut con).unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_resp2_set_get_del() {
    let srv = Server::start(&[]);
    let mut con = srv.redis_async(false).await.expect("connect");
    let ok: String = cmd("SET").arg("a").arg("1").query_async(&mut con).await.unwrap();
    assert_eq!(ok, "OK");
    let v: Option<Vec<u8>> = cmd("GET").arg("a").query_async(&mut con).await.unwrap();
    assert_eq!(v, Some(b"1".to_vec()));
    let n: i64 = cmd("DEL").arg("a").query_async(&mut con).await.unwrap();
    assert_eq!(n, 1);
    let v: Option<Vec<u8>> = cmd("GET").arg("a").query_async(&mut con).await.unwrap();
    assert_eq!(v, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_resp3_set_get() {
    let srv = Server::start(&[]);
    let mut con = srv
        .redis_async(true)
        .await
        .expect("RESP3 connection (the client sends HELLO 3)");
    let ok: String = cmd("SET").arg("a").arg("1").query_async(&mut con).await.unwrap();
    assert_eq!(ok, "OK");
    let v: Option<Vec<u8>> = cmd("GET").arg("a").query_async(&mut con).await.unwrap();
    assert_eq!(v, Some(b"1".to_vec()));
    let v: Value = cmd("GET").arg("nope").query_async(&mut con).await.unwrap();
    assert_eq!(v, Value::Nil);
}

#[test]
fn pipeline_mixes_commands_and_keeps_reply_order() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let (pong, set1, got, exists, del, gone, dbsize): (String, String, Vec<u8>, i64, i64, Option<Vec<u8>>, i64) =
        pipe()
            .cmd("PING")
            .cmd("SET")
            .arg("p")
            .arg("v")
            .cmd("GET")
            .arg("p")
            .cmd("EXISTS")
            .arg("p")
            .cmd("DEL")
            .arg("p")
            .cmd("GET")
            .arg("p")
            .cmd("DBSIZE")
            .query(&mut con)
            .unwrap();
    assert_eq!(
        (pong.as_str(), set1.as_str(), got.as_slice(), exists, del, gone, dbsize),
        ("PONG", "OK", &b"v"[..], 1, 1, None, 0)
    );
}

#[test]
fn pipeline_with_an_error_in_the_middle_keeps_the_rest() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let mut p = pipe();
    p.cmd("SET").arg("a").arg("1").cmd("NOSUCH").cmd("GET").arg("a");
    // The crate reports the first error of the pipeline; the raw values
    // show every reply is there, in order.
    let e = p.query::<Value>(&mut con).unwrap_err();
    assert!(e.to_string().contains("unknown command 'NOSUCH'"), "{e}");
    assert_eq!(get(&mut con, b"a"), Some(b"1".to_vec()));
    let mut w = srv.wire();
    let mut bytes = compat_tests::multibulk(&[b"SET", b"b", b"2"]);
    bytes.extend(compat_tests::multibulk(&[b"NOSUCH"]));
    bytes.extend(compat_tests::multibulk(&[b"GET", b"b"]));
    let replies = w.transcript(&bytes, 3);
    assert_eq!(replies[0], compat_tests::Frame::ok());
    assert!(matches!(&replies[1], compat_tests::Frame::Error(e) if e.starts_with("ERR unknown command 'NOSUCH'")));
    assert_eq!(replies[2], compat_tests::Frame::bulk("2"));
}

#[test]
fn large_sync_pipeline_of_twenty_thousand_commands() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let n = 10_000;
    let mut p = pipe();
    for i in 0..n {
        p.cmd("SET").arg(format!("pk:{i}")).arg(format!("value-{i}")).ignore();
    }
    for i in 0..n {
        p.cmd("GET").arg(format!("pk:{i}"));
    }
    let got: Vec<String> = p.query(&mut con).unwrap();
    assert_eq!(got.len(), n);
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v, &format!("value-{i}"));
    }
    let size: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, n as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_async_pipeline_with_big_values() {
    let srv = Server::start(&[]);
    let mut con = srv.redis_async(false).await.unwrap();
    // 2000 values of 4 KiB: about 8 MB each way, more than any socket buffer.
    let n = 2000;
    let mut p = pipe();
    for i in 0..n {
        p.cmd("SET")
            .arg(format!("big:{i}"))
            .arg(pattern(4096, i as u8))
            .ignore();
    }
    p.cmd("DBSIZE");
    let (size,): (i64,) = p.query_async(&mut con).await.unwrap();
    assert_eq!(size, n as i64);
    let mut p = pipe();
    for i in 0..n {
        p.cmd("GET").arg(format!("big:{i}"));
    }
    let got: Vec<Vec<u8>> = p.query_async(&mut con).await.unwrap();
    for (i, v) in got.iter().enumerate() {
        assert_eq!(v, &pattern(4096, i as u8), "value {i}");
    }
}

#[test]
fn every_byte_value_is_a_safe_key_and_value() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    for b in 0..=255u8 {
        let key = [b'k', b];
        let value = [b, b'\r', b'\n', b, 0];
        set(&mut con, &key, &value);
        set(&mut con, &[b], &[b]);
    }
    for b in 0..=255u8 {
        assert_eq!(get(&mut con, &[b'k', b]), Some(vec![b, b'\r', b'\n', b, 0]), "byte {b}");
        assert_eq!(get(&mut con, &[b]), Some(vec![b]), "byte {b}");
    }
    let all: Vec<u8> = (0..=255u8).collect();
    set(&mut con, &all, &all);
    assert_eq!(get(&mut con, &all), Some(all.clone()));
    let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 513);
}

#[test]
fn empty_key_and_empty_value() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    set(&mut con, b"", b"empty key");
    assert_eq!(get(&mut con, b""), Some(b"empty key".to_vec()));
    set(&mut con, b"ev", b"");
    let v: Value = cmd("GET").arg("ev").query(&mut con).unwrap();
    assert_eq!(v, Value::BulkString(Vec::new()), "an empty value is not nil");
    let n: i64 = cmd("EXISTS").arg("").arg("ev").query(&mut con).unwrap();
    assert_eq!(n, 2);
    let n: i64 = cmd("DEL").arg("").query(&mut con).unwrap();
    assert_eq!(n, 1);
    assert_eq!(get(&mut con, b""), None);
}

#[test]
fn one_megabyte_value_roundtrip() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let v = pattern(1024 * 1024, 7);
    set(&mut con, b"mb", &v);
    let got = get(&mut con, b"mb");
    assert!(
        got.as_ref() == Some(&v),
        "GET returned {:?} bytes",
        got.map(|g| g.len())
    );
}

#[test]
fn twenty_megabyte_value_arriving_in_pieces() {
    let srv = Server::start(&[]);
    let v = pattern(20 * 1024 * 1024, 3);
    let mut w = srv.wire();
    let req = compat_tests::multibulk(&[b"SET", b"twenty", &v]);
    // Pieces of odd sizes so the boundaries fall inside the header, the
    // value and the final CRLF.
    let mut pos = 0;
    for size in [1usize, 2, 7, 13, 4093, 65_537, 1_000_003].iter().cycle() {
        if pos >= req.len() {
            break;
        }
        let end = (pos + size).min(req.len());
        w.send(&req[pos..end]);
        pos = end;
    }
    assert_eq!(w.read_frame(), compat_tests::Frame::ok());
    let mut con = srv.redis();
    let got = get(&mut con, b"twenty");
    assert!(
        got.as_ref() == Some(&v),
        "GET returned {:?} bytes",
        got.map(|g| g.len())
    );
    // And a raw GET, with the reply decoded independently of the crate.
    let raw = w.cmd(&[b"GET", b"twenty"]);
    assert!(raw == compat_tests::Frame::Bulk(v), "raw GET differs");
}

#[test]
fn databases_are_separate_and_flushes_reach_the_right_ones() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    for db in 0..16 {
        let ok: String = cmd("SELECT").arg(db).query(&mut con).unwrap();
        assert_eq!(ok, "OK");
        set(&mut con, b"same", format!("db{db}").as_bytes());
        for i in 0..db {
            set(&mut con, format!("extra:{i}").as_bytes(), b"x");
        }
    }
    for db in 0..16 {
        let _: () = cmd("SELECT").arg(db).query(&mut con).unwrap();
        assert_eq!(get(&mut con, b"same"), Some(format!("db{db}").into_bytes()));
        let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
        assert_eq!(n, db + 1, "db {db}");
    }
    // A URL naming a database makes the client SELECT it on connect.
    let mut db5 = redis::Client::open(format!("{}5", srv.redis_url()))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(get(&mut db5, b"same"), Some(b"db5".to_vec()));
    let _: () = cmd("FLUSHDB").query(&mut db5).unwrap();
    let n: i64 = cmd("DBSIZE").query(&mut db5).unwrap();
    assert_eq!(n, 0);
    let _: () = cmd("SELECT").arg(4).query(&mut con).unwrap();
    let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, 5, "FLUSHDB in db 5 left db 4 alone");
    let _: () = cmd("FLUSHALL").query(&mut con).unwrap();
    for db in 0..16 {
        let _: () = cmd("SELECT").arg(db).query(&mut con).unwrap();
        let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
        assert_eq!(n, 0, "db {db} after FLUSHALL");
    }
}

#[test]
fn databases_flag_limits_select() {
    let srv = Options::resp_only().args(&["--databases", "4"]).start();
    let mut con = srv.redis();
    let _: () = cmd("SELECT").arg(3).query(&mut con).unwrap();
    let e = cmd("SELECT").arg(4).query::<Value>(&mut con).unwrap_err();
    assert!(e.to_string().contains("DB index is out of range"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_async_clients() {
    let srv = Server::start(&[]);
    let clients = 100;
    let per_client = 50;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut con = srv.redis_async(false).await.expect("connect");
        tasks.push(tokio::spawn(async move {
            for i in 0..per_client {
                let key = format!("c{c}:k{i}");
                let val = format!("c{c}:v{i}");
                let _: () = cmd("SET").arg(&key).arg(&val).query_async(&mut con).await.unwrap();
                let got: String = cmd("GET").arg(&key).query_async(&mut con).await.unwrap();
                assert_eq!(got, val);
            }
            // A shared key everyone writes: the last write wins, whole.
            let _: () = cmd("SET")
                .arg("shared")
                .arg(format!("from {c}"))
                .query_async(&mut con)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    let mut con = srv.redis();
    let n: i64 = cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(n, (clients * per_client + 1) as i64);
    let shared: String = cmd("GET").arg("shared").query(&mut con).unwrap();
    let who: usize = shared
        .strip_prefix("from ")
        .and_then(|s| s.parse().ok())
        .expect("a whole value");
    assert!(who < clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_multiplexed_connection_shared_by_many_tasks() {
    let srv = Server::start(&[]);
    let con = srv.redis_async(false).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..50 {
        let mut con = con.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                let k = format!("m{t}:{i}");
                let _: () = cmd("SET").arg(&k).arg(i).query_async(&mut con).await.unwrap();
                let v: i64 = cmd("GET").arg(&k).query_async(&mut con).await.unwrap();
                assert_eq!(v, i);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut con = con;
    let n: i64 = cmd("DBSIZE").query_async(&mut con).await.unwrap();
    assert_eq!(n, 1000);
}

#[test]
fn redis_cli_talks_to_the_server() {
    let srv = Server::start(&[]);
    let out = srv.redis_cli(&["ping"], b"");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"PONG\n");
    let out = srv.redis_cli(&["set", "cli", "hello world"], b"");
    assert_eq!(out.stdout, b"OK\n");
    let out = srv.redis_cli(&["get", "cli"], b"");
    assert_eq!(out.stdout, b"hello world\n");
    let out = srv.redis_cli(&["--no-raw", "get", "nokey"], b"");
    assert_eq!(out.stdout, b"(nil)\n");
    let out = srv.redis_cli(&["--no-raw", "exists", "cli"], b"");
    assert_eq!(out.stdout, b"(integer) 1\n");
    // The value the CLI stored is the one other clients see.
    let mut w: Wire = srv.wire();
    assert_eq!(w.cmd(&[b"GET", b"cli"]), compat_tests::Frame::bulk("hello world"));
}

#[test]
fn config_file_settings_apply_and_flags_win() {
    let srv = Options::resp_only()
        .config_file("# test config\ndatabases 2\nmaxmemory 100mb\n")
        .start();
    let mut con = srv.redis();
    let _: () = cmd("SELECT").arg(1).query(&mut con).unwrap();
    let e = cmd("SELECT").arg(2).query::<Value>(&mut con).unwrap_err();
    assert!(e.to_string().contains("DB index is out of range"), "{e}");
    let srv = Options::resp_only()
        .config_file("databases 2\n")
        .args(&["--databases", "3"])
        .start();
    let mut con = srv.redis();
    let _: () = cmd("SELECT").arg(2).query(&mut con).unwrap();
}

/// A client that sends nothing for two seconds gives its query buffer
/// back: CLIENT LIST shows qbuf=0 qbuf-free=0 for it, and it is served as
/// before when it speaks again.
#[test]
fn an_idle_client_gives_its_query_buffer_back() {
    let srv = compat_tests::Server::start(&[]);
    let mut idle = srv.redis();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("idler")
        .query(&mut idle)
        .unwrap();
    let mut admin = srv.redis();
    let qbuf = |admin: &mut redis::Connection| -> (u64, u64) {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(admin).unwrap();
        let line = list.lines().find(|l| l.contains("name=idler")).unwrap().to_string();
        let field = |name: &str| -> u64 {
            let at = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
            line[at..].split(' ').next().unwrap().parse().unwrap()
        };
        (field("qbuf"), field("qbuf-free"))
    };
    let (used, free) = qbuf(&mut admin);
    assert!(used + free > 0, "a buffer while active");
    let mut released = false;
    for _ in 0..100 {
        if qbuf(&mut admin) == (0, 0) {
            released = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(released, "the idle client's buffer was not given back");
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut idle).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut idle).unwrap();
    assert_eq!(v, "v");
}
