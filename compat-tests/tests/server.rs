//! Handshake and introspection commands, through the `redis` crate and raw
//! sockets, against the real binary.

use compat_tests::Server;
use redis::{Commands, RedisResult, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn info_field(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.trim_end().to_string()))
}

fn resp3(srv: &Server) -> redis::Connection {
    redis::Client::open(format!("{}?protocol=resp3", srv.redis_url()))
        .and_then(|c| c.get_connection())
        .expect("connect with RESP3")
}

/// Sends raw RESP and reads until the reply ends with `until`.
fn raw_exchange(srv: &Server, request: &[u8], until: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(until) {
        let n = s.read(&mut buf).expect("reply");
        assert!(n > 0, "closed early; got {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    got
}

#[test]
fn hello_switches_between_resp2_and_resp3() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let v: Value = redis::cmd("HELLO").arg(3).query(&mut c).unwrap();
    let Value::Map(pairs) = v else {
        panic!("HELLO 3 should answer a RESP3 map, got {v:?}")
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == Value::BulkString(k.as_bytes().to_vec()))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("proto"), Some(Value::Int(3)));
    assert_eq!(get("version"), Some(Value::BulkString(b"7.2.4".to_vec())));
    assert_eq!(get("mode"), Some(Value::BulkString(b"standalone".to_vec())));
    assert_eq!(get("modules"), Some(Value::Array(vec![])));
    let v: Value = redis::cmd("HELLO").arg(2).query(&mut c).unwrap();
    assert!(matches!(&v, Value::Array(a) if a.len() == 14), "{v:?}");
    let e = redis::cmd("HELLO").arg(4).query::<Value>(&mut c).unwrap_err();
    assert_eq!(e.code(), Some("NOPROTO"));
    let e = redis::cmd("HELLO")
        .arg(3)
        .arg("SETNAME")
        .arg("a b")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("Client names cannot contain spaces"), "{e}");
    let _: Value = redis::cmd("HELLO")
        .arg(2)
        .arg("AUTH")
        .arg("default")
        .arg("any")
        .arg("SETNAME")
        .arg("via-hello")
        .query(&mut c)
        .unwrap();
    let name: String = redis::cmd("CLIENT").arg("GETNAME").query(&mut c).unwrap();
    assert_eq!(name, "via-hello");
    let e = redis::cmd("AUTH").arg("pw").query::<Value>(&mut c).unwrap_err();
    assert!(e.to_string().contains("without any password configured"), "{e}");
}

#[test]
fn resp3_client_reads_info_as_verbatim_text() {
    let srv = Server::start(&[]);
    let mut c = resp3(&srv);
    let v: Value = redis::cmd("INFO").arg("server").query(&mut c).unwrap();
    let Value::VerbatimString { text, .. } = v else {
        panic!("INFO in RESP3 should be verbatim, got {v:?}")
    };
    assert_eq!(info_field(&text, "redis_version").as_deref(), Some("7.2.4"));
    assert_eq!(info_field(&text, "tcp_port"), Some(srv.port.to_string()));
    assert_eq!(info_field(&text, "process_id"), Some(srv.pid().to_string()));
    let cfg: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("maxmemory*").query(&mut c).unwrap();
    assert_eq!(cfg.get("maxmemory-policy").map(String::as_str), Some("noeviction"));
}

#[tokio::test]
async fn async_resp3_connection_handshakes_and_configures() {
    let srv = Server::start(&[]);
    let client = redis::Client::open(format!("{}?protocol=resp3", srv.redis_url())).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("2mb")
        .query_async(&mut c)
        .await
        .unwrap();
    let cfg: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(cfg.get("maxmemory").map(String::as_str), Some("2097152"));
    let line: String = redis::cmd("CLIENT").arg("INFO").query_async(&mut c).await.unwrap();
    assert!(line.contains(" resp=3 "), "{line}");
}

#[test]
fn info_reports_sections_fields_and_keyspace() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = c.set("a", "1").unwrap();
    let () = redis::cmd("SET")
        .arg("b")
        .arg("2")
        .arg("EX")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SELECT").arg(3).query(&mut c).unwrap();
    let _: () = c.set("c", "3").unwrap();
    let _: Option<String> = c.get("missing").unwrap();
    let text: String = redis::cmd("INFO").arg("keyspace").query(&mut c).unwrap();
    let dbs: Vec<&str> = text.lines().filter(|l| l.starts_with("db")).collect();
    assert_eq!(dbs.len(), 2, "{text}");
    assert!(dbs[0].starts_with("db0:keys=2,expires=1,avg_ttl="), "{text}");
    assert_eq!(dbs[1], "db3:keys=1,expires=0,avg_ttl=0");

    let text: String = redis::cmd("INFO").query(&mut c).unwrap();
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Keyspace",
    ] {
        assert!(text.contains(section), "default INFO lacks {section}");
    }
    assert_eq!(info_field(&text, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&text, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&text, "redis_mode").as_deref(), Some("standalone"));
    assert_eq!(info_field(&text, "connected_clients").as_deref(), Some("1"));
    let misses: u64 = info_field(&text, "keyspace_misses").unwrap().parse().unwrap();
    assert!(misses >= 1);
    let cmds: u64 = info_field(&text, "total_commands_processed").unwrap().parse().unwrap();
    assert!(cmds >= 5);
    assert!(info_field(&text, "used_cpu_user").unwrap().contains('.'));
    assert!(info_field(&text, "used_memory_human").is_some());

    let two: String = redis::cmd("INFO").arg("cpu").arg("SERVER").query(&mut c).unwrap();
    let titles: Vec<&str> = two.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(titles, ["# Server", "# CPU"]);
    let none: String = redis::cmd("INFO").arg("nosuchsection").query(&mut c).unwrap();
    assert_eq!(none, "");
}

#[test]
fn config_get_and_set_round_trip_with_redis_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let got: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .arg("databases")
        .query(&mut c)
        .unwrap();
    assert_eq!(got.get("port"), Some(&srv.port.to_string()));
    assert_eq!(got.get("databases").map(String::as_str), Some("16"));
    let got: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("appendonly").query(&mut c).unwrap();
    assert_eq!(got.get("appendonly").map(String::as_str), Some("no"));
    let all: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("*").query(&mut c).unwrap();
    assert!(all.len() >= 190, "{}", all.len());
    assert!(all.contains_key("slaveof") && all.contains_key("replicaof"));

    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("10mb")
        .arg("hash-max-ziplist-entries")
        .arg("99")
        .query(&mut c)
        .unwrap();
    let got: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .arg("hash-max-listpack-entries")
        .query(&mut c)
        .unwrap();
    assert_eq!(got.get("maxmemory").map(String::as_str), Some("10485760"));
    assert_eq!(got.get("hash-max-listpack-entries").map(String::as_str), Some("99"));
    let info: String = redis::cmd("INFO").arg("memory").query(&mut c).unwrap();
    assert_eq!(info_field(&info, "maxmemory").as_deref(), Some("10485760"));

    let err = |args: &[&str], c: &mut redis::Connection| {
        let r: RedisResult<Value> = redis::cmd("CONFIG").arg(args).query(c);
        r.unwrap_err().to_string()
    };
    let e = err(&["SET", "hz", "20", "maxmemory", "lots"], &mut c);
    assert!(
        e.contains("CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        "{e}"
    );
    let hz: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("hz").query(&mut c).unwrap();
    assert_eq!(
        hz.get("hz").map(String::as_str),
        Some("10"),
        "a refused CONFIG SET changes nothing"
    );
    let e = err(&["SET", "daemonize", "yes"], &mut c);
    assert!(e.contains("can't set immutable config"), "{e}");
    let e = err(&["SET", "no-such-thing", "1"], &mut c);
    assert!(
        e.contains("Unknown option or number of arguments for CONFIG SET - 'no-such-thing'"),
        "{e}"
    );
    let e = err(&["SET", "maxmemory-policy", "sometimes"], &mut c);
    assert!(
        e.contains("argument(s) must be one of the following: volatile-lru"),
        "{e}"
    );
    let unknown: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("no-such-thing")
        .query(&mut c)
        .unwrap();
    assert!(unknown.is_empty());
    let e = err(&["REWRITE"], &mut c);
    assert!(e.contains("running without a config file"), "{e}");
}

#[test]
fn config_resetstat_zeroes_counters() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: Option<String> = c.get("missing").unwrap();
    let () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut c).unwrap();
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("0"));
}

#[test]
fn command_introspection_describes_the_table() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let n: i64 = redis::cmd("COMMAND").arg("COUNT").query(&mut c).unwrap();
    let all: Vec<Value> = redis::cmd("COMMAND").query(&mut c).unwrap();
    assert_eq!(all.len() as i64, n);
    assert!(n >= 20);

    let v: Vec<Value> = redis::cmd("COMMAND")
        .arg("INFO")
        .arg("get")
        .arg("nosuch")
        .query(&mut c)
        .unwrap();
    let Value::Array(get) = &v[0] else { panic!("{v:?}") };
    assert_eq!(get.len(), 10);
    assert_eq!(get[0], Value::BulkString(b"get".to_vec()));
    assert_eq!(get[1], Value::Int(2));
    assert_eq!(
        (&get[3], &get[4], &get[5]),
        (&Value::Int(1), &Value::Int(1), &Value::Int(1))
    );
    assert!(format!("{:?}", get[6]).contains("@read"));
    assert_eq!(v[1], Value::Nil);

    let docs: Value = redis::cmd("COMMAND").arg("DOCS").arg("set").query(&mut c).unwrap();
    let text = format!("{docs:?}");
    for want in [
        "summary",
        "since",
        "complexity",
        "arguments",
        "pure-token",
        "oneof",
        "\"EX\"",
    ] {
        assert!(text.contains(want), "COMMAND DOCS set lacks {want}: {text}");
    }

    let keys: Vec<String> = redis::cmd("COMMAND")
        .arg("GETKEYS")
        .arg("del")
        .arg("k1")
        .arg("k2")
        .query(&mut c)
        .unwrap();
    assert_eq!(keys, ["k1", "k2"]);
    let e = redis::cmd("COMMAND")
        .arg("GETKEYS")
        .arg("ping")
        .arg("x")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("The command has no key arguments"), "{e}");
    let names: Vec<String> = redis::cmd("COMMAND")
        .arg("LIST")
        .arg("FILTERBY")
        .arg("PATTERN")
        .arg("config*")
        .query(&mut c)
        .unwrap();
    assert!(
        names.contains(&"config".to_string()) && names.contains(&"config|get".to_string()),
        "{names:?}"
    );
}

#[test]
fn client_names_and_list_lines() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let none: Option<String> = redis::cmd("CLIENT").arg("GETNAME").query(&mut c).unwrap();
    assert_eq!(none, None);
    let () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("worker-1")
        .query(&mut c)
        .unwrap();
    let name: String = redis::cmd("CLIENT").arg("GETNAME").query(&mut c).unwrap();
    assert_eq!(name, "worker-1");
    let e = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("bad name")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("Client names cannot contain spaces"), "{e}");
    let () = redis::cmd("CLIENT")
        .arg("SETINFO")
        .arg("LIB-NAME")
        .arg("compat")
        .query(&mut c)
        .unwrap();
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut c).unwrap();
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut c).unwrap();
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .expect("own line");
    assert!(line.contains(" name=worker-1 "), "{line}");
    assert!(line.contains(" cmd=client|list "), "{line}");
    // redis-rs records its own version with CLIENT SETINFO on connect.
    assert!(line.contains(" lib-name=compat lib-ver="), "{line}");
    let e = redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("odd")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("Unknown client type 'odd'"), "{e}");
}

#[test]
fn client_kill_closes_another_connection() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let mut victim = srv.redis();
    let vid: i64 = redis::cmd("CLIENT").arg("ID").query(&mut victim).unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(vid)
        .query(&mut c)
        .unwrap();
    assert_eq!(killed, 1);
    let r: RedisResult<String> = redis::cmd("PING").query(&mut victim);
    assert!(r.is_err(), "the killed connection still answers: {r:?}");
    let again: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(vid)
        .query(&mut c)
        .unwrap();
    assert_eq!(again, 0);
    let e = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("1.2.3.4:5")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("No such client"), "{e}");
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG", "SKIPME spares the caller");
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let srv = Server::start(&[]);
    let got = raw_exchange(
        &srv,
        b"CLIENT REPLY SKIP\r\nECHO one\r\nECHO two\r\nCLIENT REPLY OFF\r\nECHO three\r\nCLIENT REPLY ON\r\nECHO end\r\n",
        b"end\r\n",
    );
    assert_eq!(got, b"$3\r\ntwo\r\n+OK\r\n$3\r\nend\r\n");
}

#[test]
fn client_no_touch_is_accepted_and_listed() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let () = redis::cmd("CLIENT").arg("NO-TOUCH").arg("on").query(&mut c).unwrap();
    let line: String = redis::cmd("CLIENT").arg("INFO").query(&mut c).unwrap();
    assert!(line.contains(" flags=T "), "{line}");
    let e = redis::cmd("CLIENT")
        .arg("NO-TOUCH")
        .arg("maybe")
        .query::<Value>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("syntax error"), "{e}");
}

#[test]
fn swapdb_and_reset() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = c.set("k", "in-zero").unwrap();
    let () = redis::cmd("SWAPDB").arg(0).arg(1).query(&mut c).unwrap();
    let gone: Option<String> = c.get("k").unwrap();
    assert_eq!(gone, None);
    let () = redis::cmd("SELECT").arg(1).query(&mut c).unwrap();
    let moved: String = c.get("k").unwrap();
    assert_eq!(moved, "in-zero");
    let e = redis::cmd("SWAPDB").arg("x").arg(0).query::<Value>(&mut c).unwrap_err();
    assert!(e.to_string().contains("invalid first DB index"), "{e}");
    let e = redis::cmd("SWAPDB").arg(0).arg(99).query::<Value>(&mut c).unwrap_err();
    assert!(e.to_string().contains("DB index is out of range"), "{e}");

    let () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("before-reset")
        .query(&mut c)
        .unwrap();
    let _: Value = redis::cmd("HELLO").arg(3).query(&mut c).unwrap();
    let r: Value = redis::cmd("RESET").query(&mut c).unwrap();
    assert_eq!(r, Value::SimpleString("RESET".into()));
    let name: Option<String> = redis::cmd("CLIENT").arg("GETNAME").query(&mut c).unwrap();
    assert_eq!(name, None);
    let back: Option<String> = c.get("k").unwrap();
    assert_eq!(back, None, "RESET selects database 0");
    let line: String = redis::cmd("CLIENT").arg("INFO").query(&mut c).unwrap();
    assert!(line.contains(" resp=2 "), "{line}");
}

#[test]
fn shutdown_stops_the_process() {
    let mut srv = Server::start(&[]);
    let mut c = srv.redis();
    let _ = redis::cmd("SHUTDOWN").arg("NOSAVE").query::<Value>(&mut c);
    let status = srv.wait_exit(Duration::from_secs(20));
    assert!(status.is_some(), "server still running after SHUTDOWN");
}

/// CONFIG SET port moves the RESP listener: new clients reach the new
/// port, the old one is closed, and connected clients stay. A port that is
/// taken is refused in Redis's words and nothing in the same CONFIG SET
/// changes. CONFIG SET bind moves both protocols' listeners.
#[test]
fn config_set_port_and_bind_rebind_the_listeners() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let set = |c: &mut redis::Connection, args: &[&str]| -> RedisResult<String> {
        redis::cmd("CONFIG").arg("SET").arg(args).query(c)
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let e = set(&mut c, &["maxmemory", "10000001", "port", &taken_port])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port: Address already in use"),
        "{e}"
    );
    let got: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("maxmemory").query(&mut c).unwrap();
    assert_eq!(got["maxmemory"], "0", "a refused port rolls the other values back");
    assert!(
        TcpStream::connect(("127.0.0.1", srv.port)).is_ok(),
        "still listening where it was"
    );

    let new_port = compat_tests::free_port();
    assert_eq!(set(&mut c, &["port", &new_port.to_string()]).unwrap(), "OK");
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG", "the connected client stays");
    assert!(
        TcpStream::connect(("127.0.0.1", srv.port)).is_err(),
        "the old port is closed"
    );
    let mut moved = redis::Client::open(format!("redis://127.0.0.1:{new_port}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let port: HashMap<String, String> = redis::cmd("CONFIG").arg("GET").arg("port").query(&mut moved).unwrap();
    assert_eq!(port["port"], new_port.to_string());
    let info: String = redis::cmd("INFO").arg("server").query(&mut moved).unwrap();
    assert_eq!(info_field(&info, "tcp_port"), Some(new_port.to_string()));

    // Same port, overlapping addresses: the old socket gives way.
    assert_eq!(set(&mut moved, &["bind", "0.0.0.0"]).unwrap(), "OK");
    let e = set(&mut moved, &["bind", "192.0.2.1"]).unwrap_err().to_string();
    assert!(
        e.contains("(possibly related to argument 'bind') - Failed to bind to specified addresses."),
        "{e}"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", new_port)).is_ok(),
        "a refused bind keeps the listener"
    );
    let mut mc = TcpStream::connect(("127.0.0.1", srv.mc_port)).unwrap();
    mc.write_all(b"version\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = mc.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"VERSION "), "memcached follows bind");

    // memcache-port moves the memcached listener alone; max-item-size
    // holds for connections opened after it changes.
    let mc_port = compat_tests::free_port();
    assert_eq!(
        set(
            &mut moved,
            &["memcache-port", &mc_port.to_string(), "max-item-size", "1000"]
        )
        .unwrap(),
        "OK"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", srv.mc_port)).is_err(),
        "the old memcached port is closed"
    );
    let mut mc = TcpStream::connect(("127.0.0.1", mc_port)).unwrap();
    mc.write_all(b"set k 0 0 1001\r\n").unwrap();
    mc.write_all(&[b'x'; 1001]).unwrap();
    mc.write_all(b"\r\nset k 0 0 3\r\nabc\r\n").unwrap();
    let mut got = Vec::new();
    while !got.ends_with(b"STORED\r\n") {
        let n = mc.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        String::from_utf8_lossy(&got),
        "SERVER_ERROR object too large for cache\r\nSTORED\r\n"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", new_port)).is_ok(),
        "RESP stays where it was"
    );
}

/// INFO's rdb_changes_since_last_save counts changes to the data: writes,
/// deletions and flushed keys, and nothing for a command that leaves a
/// value as it was (SETBIT or BITFIELD SET of what is stored, a DEL of a
/// missing key).
#[test]
fn changes_since_last_save_count_only_real_changes() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let changes = |c: &mut redis::Connection| -> u64 {
        let info: String = redis::cmd("INFO").arg("persistence").query(c).unwrap();
        info_field(&info, "rdb_changes_since_last_save")
            .unwrap()
            .parse()
            .unwrap()
    };
    let run = |c: &mut redis::Connection, args: &[&str]| {
        let _: Value = redis::cmd(args[0]).arg(&args[1..]).query(c).unwrap();
    };
    let start = changes(&mut c);
    run(&mut c, &["SET", "a", "1"]);
    run(&mut c, &["SETBIT", "b", "0", "0"]);
    run(&mut c, &["BITFIELD", "f", "SET", "i5", "0", "0"]);
    assert_eq!(changes(&mut c), start + 3, "three keys made");
    run(&mut c, &["SETBIT", "b", "0", "0"]);
    run(&mut c, &["BITFIELD", "f", "SET", "i5", "0", "0"]);
    run(&mut c, &["DEL", "missing"]);
    run(&mut c, &["GET", "a"]);
    assert_eq!(changes(&mut c), start + 3, "no change counted");
    run(&mut c, &["BITFIELD", "f", "SET", "i5", "0", "1"]);
    run(&mut c, &["DEL", "a"]);
    assert_eq!(changes(&mut c), start + 5);
    run(&mut c, &["FLUSHALL"]);
    assert_eq!(changes(&mut c), start + 7, "two keys flushed");
}
