//! Introspection and admin commands against the real binary: INFO
//! commandstats/errorstats/latencystats, SLOWLOG, LATENCY, MONITOR,
//! CLIENT PAUSE, LCS, LOLWUT, ROLE and the DEBUG hooks. No assertion
//! depends on timing: slow commands are made with DEBUG SLEEP or a zero
//! threshold, and waits are on conditions.

use compat_tests::query::{clients_field, err, guarded, int, q, wait_blocked};
use compat_tests::{Frame, Server};
use redis::Value;

fn debug_server() -> Server {
    Server::start(&["--enable-debug-command", "yes"])
}

fn info_lines(con: &mut redis::Connection, section: &str, prefix: &str) -> Vec<String> {
    let info: String = q(con, &["INFO", section]);
    info.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn info_commandstats_and_errorstats_print_rows_and_resetstat_clears_them() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let _: () = q(&mut c, &["SET", "k", "v"]);
    let _: Vec<String> = q(&mut c, &["CONFIG", "GET", "hz"]);
    err(&mut c, &["INCR", "k"]);
    err(&mut c, &["SET", "k"]);
    err(&mut c, &["NOSUCHCOMMAND"]);
    err(&mut c, &["LPUSH", "k", "x"]);

    let rows = info_lines(&mut c, "commandstats", "cmdstat_");
    let row = |name: &str| {
        rows.iter()
            .find(|l| l.starts_with(&format!("cmdstat_{name}:")))
            .cloned()
            .unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
    };
    let set = row("set");
    assert!(set.starts_with("cmdstat_set:calls=2,usec="), "{set}");
    assert!(set.contains(",usec_per_call="), "{set}");
    assert!(set.ends_with(",rejected_calls=1,failed_calls=0"), "{set}");
    assert!(row("incr").ends_with(",rejected_calls=0,failed_calls=1"));
    assert!(row("config|get").starts_with("cmdstat_config|get:calls=1,"));
    assert!(row("lpush").ends_with("failed_calls=1"));

    let errors = info_lines(&mut c, "errorstats", "errorstat_");
    assert_eq!(errors, vec!["errorstat_ERR:count=3", "errorstat_WRONGTYPE:count=1"]);
    let info: String = q(&mut c, &["INFO", "stats"]);
    assert!(info.contains("total_error_replies:4\r\n"), "{info}");

    let lat = info_lines(&mut c, "latencystats", "latency_percentiles_usec_set:");
    assert_eq!(lat.len(), 1);
    assert!(
        lat[0].contains(":p50=") && lat[0].contains(",p99=") && lat[0].contains(",p99.9="),
        "{lat:?}"
    );

    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let rows = info_lines(&mut c, "commandstats", "cmdstat_");
    assert!(rows.iter().all(|l| !l.starts_with("cmdstat_set:")), "{rows:?}");
    assert!(info_lines(&mut c, "errorstats", "errorstat_").is_empty());
}

#[test]
fn slowlog_with_a_zero_threshold_logs_trimmed_arguments_peer_and_name() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _: () = q(&mut c, &["CLIENT", "SETNAME", "logged"]);
    let _: () = q(&mut c, &["SLOWLOG", "RESET"]);
    let mut many: Vec<String> = vec!["SADD".into(), "set".into()];
    many.extend((0..40).map(|i| i.to_string()));
    let _: i64 = q(&mut c, &many);
    let long = "A".repeat(130);
    let _: i64 = q(&mut c, &["SADD", "set", &long]);

    let entries: Vec<Value> = q(&mut c, &["SLOWLOG", "GET", "2"]);
    assert_eq!(entries.len(), 2);
    let Value::Array(last) = &entries[0] else {
        panic!("{entries:?}")
    };
    assert_eq!(last.len(), 6);
    let args = |v: &Value| -> Vec<String> {
        let Value::Array(a) = v else { panic!("{v:?}") };
        a.iter()
            .map(|x| match x {
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        args(&last[3]),
        vec![
            "SADD".to_string(),
            "set".into(),
            format!("{}... (2 more bytes)", "A".repeat(128))
        ]
    );
    assert!(matches!(&last[4], Value::BulkString(p) if p.starts_with(b"127.0.0.1:")));
    assert_eq!(last[5], Value::BulkString(b"logged".to_vec()));
    let Value::Array(first) = &entries[1] else { panic!() };
    let a = args(&first[3]);
    assert_eq!(a.len(), 32);
    assert_eq!(a[31], "... (11 more arguments)");

    assert_eq!(int(&mut c, &["SLOWLOG", "LEN"]), 4, "RESET, SADD, SADD, GET");
    assert_eq!(
        err(&mut c, &["SLOWLOG", "GET", "-2"]),
        "ERR count should be greater than or equal to -1"
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    let _: () = q(&mut c, &["SLOWLOG", "RESET"]);
    let _: String = q(&mut c, &["PING"]);
    assert_eq!(int(&mut c, &["SLOWLOG", "LEN"]), 0);
    let max: Vec<String> = q(&mut c, &["CONFIG", "GET", "slowlog-max-len"]);
    assert_eq!(max, vec!["slowlog-max-len", "128"]);
}

#[test]
fn latency_monitor_records_a_debug_sleep_over_its_threshold() {
    let srv = debug_server();
    let mut c = srv.redis();
    assert_eq!(int(&mut c, &["LATENCY", "RESET"]), 0);
    let _: () = q(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "5"]);
    let _: () = q(&mut c, &["DEBUG", "SLEEP", "0.02"]);
    let latest: Vec<Value> = q(&mut c, &["LATENCY", "LATEST"]);
    assert_eq!(latest.len(), 1, "{latest:?}");
    let Value::Array(e) = &latest[0] else {
        panic!("{latest:?}")
    };
    assert_eq!(e[0], Value::BulkString(b"command".to_vec()));
    assert!(matches!(e[2], Value::Int(ms) if ms >= 20), "{e:?}");
    let history: Vec<Value> = q(&mut c, &["LATENCY", "HISTORY", "command"]);
    assert_eq!(history.len(), 1);
    let graph: String = q(&mut c, &["LATENCY", "GRAPH", "command"]);
    assert!(graph.starts_with("command - high "), "{graph}");
    let doctor: String = q(&mut c, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("1. command: 1 latency spikes"), "{doctor}");
    assert_eq!(int(&mut c, &["LATENCY", "RESET", "command"]), 1);
    let latest: Vec<Value> = q(&mut c, &["LATENCY", "LATEST"]);
    assert!(latest.is_empty());
    assert_eq!(
        err(&mut c, &["LATENCY", "GRAPH", "command"]),
        "ERR No samples available for event 'command'"
    );
}

#[test]
fn latency_histogram_counts_each_command_and_subcommand() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let _: () = q(&mut c, &["SET", "a", "b"]);
    let _: () = q(&mut c, &["SET", "a", "b"]);
    let _: i64 = q(&mut c, &["CLIENT", "ID"]);
    let h: Value = q(&mut c, &["LATENCY", "HISTOGRAM", "set", "client", "nosuch"]);
    let Value::Array(items) = h else { panic!("{h:?}") };
    assert_eq!(items.len(), 4, "set and client|id: {items:?}");
    assert_eq!(items[0], Value::BulkString(b"set".to_vec()));
    let Value::Array(set) = &items[1] else { panic!() };
    assert_eq!(set[0], Value::BulkString(b"calls".to_vec()));
    assert_eq!(set[1], Value::Int(2));
    assert_eq!(set[2], Value::BulkString(b"histogram_usec".to_vec()));
    assert_eq!(items[2], Value::BulkString(b"client|id".to_vec()));
}

#[test]
fn monitor_streams_other_clients_commands_with_redis_quoting() {
    let srv = Server::start(&[]);
    let mut m = srv.wire();
    assert_eq!(m.cmd(&[b"MONITOR"]), Frame::ok());
    // A raw client: a client library may send commands of its own on connect.
    let mut c = srv.wire();
    assert_eq!(c.cmd(&[b"SELECT", b"3"]), Frame::ok());
    assert_eq!(c.cmd(&[b"SET", b"k", b"a\x00\"b\n"]), Frame::ok());
    let _ = c.cmd(&[b"CONFIG", b"GET", b"hz"]);
    let _ = c.cmd(&[b"EVAL", b"return redis.call('get', KEYS[1])", b"1", b"k"]);
    let lines: Vec<String> = (0..4)
        .map(|_| String::from_utf8(m.read_line()).expect("text"))
        .collect();
    let tail = |l: &str| {
        l.split_once(' ')
            .map(|(_, t)| t.trim_end().to_string())
            .unwrap_or_default()
    };
    assert!(
        lines[0].starts_with('+') && lines[0].as_bytes()[11] == b'.',
        "{lines:?}"
    );
    assert!(tail(&lines[0]).starts_with("[3 127.0.0.1:") && tail(&lines[0]).ends_with("] \"SELECT\" \"3\""));
    assert!(
        tail(&lines[1]).ends_with("] \"SET\" \"k\" \"a\\x00\\\"b\\n\""),
        "{lines:?}"
    );
    assert!(
        tail(&lines[2]).ends_with("\"EVAL\" \"return redis.call('get', KEYS[1])\" \"1\" \"k\""),
        "CONFIG is not shown: {lines:?}"
    );
    assert_eq!(tail(&lines[3]), "[3 lua] \"get\" \"k\"");
    // Passwords are redacted, as Redis redacts them.
    let _ = c.cmd(&[b"AUTH", b"not-real"]);
    let line = String::from_utf8(m.read_line()).expect("text");
    assert!(line.trim_end().ends_with("] \"AUTH\" \"(redacted)\""), "{line}");
    // A monitor is a replica to Redis: it may not touch keys.
    assert_eq!(
        m.cmd(&[b"GET", b"k"]),
        Frame::error("ERR Replica can't interact with the keyspace")
    );
}

#[test]
fn client_pause_write_holds_writes_until_unpause_and_lets_reads_run() {
    let srv = Server::start(&[]);
    let mut admin = guarded(&srv);
    let _: () = q(&mut admin, &["SET", "k", "old"]);
    let _: () = q(&mut admin, &["CLIENT", "PAUSE", "100000", "WRITE"]);
    let mut writer = srv.wire();
    writer.send_cmd(&[b"SET", b"k", b"new"]);
    wait_blocked(&mut admin, 1);
    let v: String = q(&mut admin, &["GET", "k"]);
    assert_eq!(v, "old", "the held write has not run; reads go on");
    let _: () = q(&mut admin, &["CLIENT", "UNPAUSE"]);
    assert_eq!(writer.read_frame(), Frame::ok());
    assert_eq!(clients_field(&mut admin, "blocked_clients"), 0);
    let v: String = q(&mut admin, &["GET", "k"]);
    assert_eq!(v, "new");
    assert_eq!(
        err(&mut admin, &["CLIENT", "PAUSE", "10", "NEVER"]),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
}

/// During a pause, keys past their deadline read as missing but are not
/// removed, by reads or by the active expiry; after UNPAUSE they go, and
/// are counted as expired then.
#[test]
fn client_pause_holds_expiry_back_until_unpause() {
    let srv = Server::start(&[]);
    let mut c = guarded(&srv);
    let expired = |c: &mut redis::Connection| -> u64 {
        let line = info_lines(c, "stats", "expired_keys:").pop().unwrap();
        line["expired_keys:".len()..].trim().parse().unwrap()
    };
    let before = expired(&mut c);
    let _: () = q(&mut c, &["SET", "a", "1", "PX", "30"]);
    let _: () = q(&mut c, &["SET", "b", "1", "PX", "30"]);
    let _: () = q(&mut c, &["CLIENT", "PAUSE", "100000", "WRITE"]);
    let mut gone = false;
    for _ in 0..500 {
        let (a, b): (Option<String>, Option<String>) = (q(&mut c, &["GET", "a"]), q(&mut c, &["GET", "b"]));
        if a.is_none() && b.is_none() {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(gone, "the keys read as expired");
    // A few cron periods for the active expiry to have had its chances.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(expired(&mut c), before, "nothing expired during the pause");
    assert_eq!(int(&mut c, &["DBSIZE"]), 2, "the items are still there");
    let _: () = q(&mut c, &["CLIENT", "UNPAUSE"]);
    let a: Option<String> = q(&mut c, &["GET", "a"]);
    let b: Option<String> = q(&mut c, &["GET", "b"]);
    assert_eq!((a, b), (None, None));
    assert_eq!(expired(&mut c), before + 2, "removed once the pause is over");
}

#[test]
fn client_pause_all_holds_even_unpause_until_its_deadline_as_redis_does() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"CLIENT", b"PAUSE", b"300", b"ALL"]), Frame::ok());
    // Held, then run once the pause is over: the pausing client's own
    // command, and an UNPAUSE from another client alike.
    let mut other = srv.wire();
    other.send_cmd(&[b"CLIENT", b"UNPAUSE"]);
    assert_eq!(w.cmd(&[b"PING"]), Frame::simple("PONG"));
    assert_eq!(other.read_frame(), Frame::ok());
    let mut c = srv.redis();
    assert_eq!(clients_field(&mut c, "blocked_clients"), 0);
}

#[test]
fn lcs_lolwut_and_role_answer_as_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let _: () = q(&mut c, &["MSET", "k1", "ohmytext", "k2", "mynewtext"]);
    let s: String = q(&mut c, &["LCS", "k1", "k2"]);
    assert_eq!(s, "mytext");
    assert_eq!(int(&mut c, &["LCS", "k1", "k2", "LEN"]), 6);
    let idx: Value = q(&mut c, &["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]);
    let range = |a: i64, b: i64| Value::Array(vec![Value::Int(a), Value::Int(b)]);
    assert_eq!(
        idx,
        Value::Array(vec![
            Value::BulkString(b"matches".to_vec()),
            Value::Array(vec![Value::Array(vec![range(4, 7), range(5, 8), Value::Int(4)])]),
            Value::BulkString(b"len".to_vec()),
            Value::Int(6),
        ])
    );
    let _: () = q(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    let _: i64 = q(&mut c, &["SETRANGE", "big", "999", "x"]);
    assert_eq!(
        err(&mut c, &["LCS", "big", "big"]),
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    );
    let role: Value = q(&mut c, &["ROLE"]);
    assert_eq!(
        role,
        Value::Array(vec![
            Value::BulkString(b"master".to_vec()),
            Value::Int(0),
            Value::Array(vec![])
        ])
    );
    let lolwut: String = q(&mut c, &["LOLWUT", "VERSION", "5"]);
    assert!(
        lolwut.starts_with("ferrocache ver. ") && lolwut.ends_with('\n'),
        "{lolwut}"
    );
}

#[test]
fn debug_protocol_and_object_through_a_resp3_connection() {
    let srv = debug_server();
    let mut w = srv.wire();
    w.send(b"HELLO 3\r\n");
    w.resp3 = true;
    let _ = w.read_frame();
    w.send(b"DEBUG PROTOCOL bignum\r\n");
    assert_eq!(w.read_line(), b"(1234567999999999999999999999999999999\r\n");
    w.send(b"DEBUG PROTOCOL attrib\r\n");
    let raw: Vec<u8> = (0..9).flat_map(|_| w.read_line()).collect();
    assert_eq!(
        String::from_utf8_lossy(&raw),
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
    );
    let mut c = srv.redis();
    let _: () = q(&mut c, &["SET", "foo", "20000"]);
    let line: String = q(&mut c, &["DEBUG", "OBJECT", "foo"]);
    assert!(
        line.starts_with("Value at:0x") && line.contains(" encoding:int "),
        "{line}"
    );
    let _: i64 = q(&mut c, &["INCR", "foo"]);
    let again: String = q(&mut c, &["DEBUG", "OBJECT", "foo"]);
    assert_eq!(line.split(' ').nth(1), again.split(' ').nth(1));
    assert_eq!(err(&mut c, &["DEBUG", "OBJECT", "nokey"]), "ERR no such key");
}

#[test]
fn a_blocked_command_is_counted_once_and_logged_when_served() {
    let srv = Server::start(&[]);
    let mut c = guarded(&srv);
    let _: () = q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    let _: () = q(&mut c, &["CONFIG", "RESETSTAT"]);
    let mut w = srv.wire();
    w.send_cmd(&[b"BLPOP", b"l", b"0"]);
    wait_blocked(&mut c, 1);
    let _: () = q(&mut c, &["SLOWLOG", "RESET"]);
    let _: i64 = q(&mut c, &["LPUSH", "l", "a"]);
    assert_eq!(w.read_frame(), Frame::Array(vec![Frame::bulk("l"), Frame::bulk("a")]));
    let entries: Vec<Value> = q(&mut c, &["SLOWLOG", "GET", "-1"]);
    let logged: Vec<String> = entries
        .iter()
        .filter_map(|e| match e {
            Value::Array(f) => match &f[3] {
                Value::Array(a) => Some(
                    a.iter()
                        .map(|x| match x {
                            Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                            _ => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(logged.contains(&"BLPOP l 0".to_string()), "{logged:?}");
    let rows = info_lines(&mut c, "commandstats", "cmdstat_blpop:");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].starts_with("cmdstat_blpop:calls=1,"), "{rows:?}");
}
