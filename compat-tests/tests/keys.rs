//! Key-space commands through the `redis` crate against the real binary.
//! Every expected reply and error text was checked against redis-server 7.
//! Expiry is driven with absolute times far in the past or the future, so
//! no test depends on how fast it runs.

use compat_tests::Server;
use redis::{Connection, FromRedisValue, Value};
use std::collections::HashMap;

/// A Unix time in milliseconds well after any test run (2100-01-01).
const FUTURE_MS: i64 = 4_102_444_800_000;

fn cmd(args: &[&[u8]]) -> redis::Cmd {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).expect("command names are text"));
    for a in &args[1..] {
        c.arg(*a);
    }
    c
}

fn q<T: FromRedisValue>(con: &mut Connection, args: &[&[u8]]) -> T {
    cmd(args)
        .query(con)
        .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(&args.concat())))
}

/// The full error line the server replied, `CODE detail`.
fn err(con: &mut Connection, args: &[&[u8]]) -> String {
    match cmd(args).query::<Value>(con) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
    }
}

fn int(con: &mut Connection, args: &[&[u8]]) -> i64 {
    q(con, args)
}

fn set(con: &mut Connection, k: &[u8], v: &[u8]) {
    let _: () = q(con, &[b"SET", k, v]);
}

fn get(con: &mut Connection, k: &[u8]) -> Option<Vec<u8>> {
    q(con, &[b"GET", k])
}

fn start() -> (Server, Connection) {
    let s = Server::start(&[]);
    let c = s.redis();
    (s, c)
}

#[test]
fn del_unlink_and_exists_count_each_argument() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    set(&mut c, b"b", b"2");
    assert_eq!(int(&mut c, &[b"EXISTS", b"a", b"a", b"b", b"nokey"]), 3);
    assert_eq!(int(&mut c, &[b"DEL", b"a", b"a", b"nokey"]), 1);
    assert_eq!(int(&mut c, &[b"UNLINK", b"b", b"b"]), 1);
    assert_eq!(int(&mut c, &[b"EXISTS", b"a", b"b"]), 0);
    for name in ["del", "unlink", "exists", "touch"] {
        assert_eq!(
            err(&mut c, &[name.as_bytes()]),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn touch_counts_existing_keys() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    assert_eq!(int(&mut c, &[b"TOUCH", b"a", b"nokey", b"a"]), 2);
}

#[test]
fn type_names_string_or_none() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    assert_eq!(q::<String>(&mut c, &[b"TYPE", b"a"]), "string");
    assert_eq!(q::<String>(&mut c, &[b"TYPE", b"nokey"]), "none");
}

#[test]
fn keys_matches_glob_patterns() {
    let (_s, mut c) = start();
    for k in ["hello", "hallo", "hxllo", "world"] {
        set(&mut c, k.as_bytes(), b"v");
    }
    let mut got: Vec<String> = q(&mut c, &[b"KEYS", b"h[ae]llo"]);
    got.sort();
    assert_eq!(got, ["hallo", "hello"]);
    assert_eq!(q::<Vec<String>>(&mut c, &[b"KEYS", b"*"]).len(), 4);
    assert!(q::<Vec<String>>(&mut c, &[b"KEYS", b"nomatch*"]).is_empty());
    assert_eq!(
        err(&mut c, &[b"KEYS", b"a", b"b"]),
        "ERR wrong number of arguments for 'keys' command"
    );
}

/// Runs a whole SCAN with `opts`, calling `between` after every page.
fn scan_all(c: &mut Connection, opts: &[&[u8]], mut between: impl FnMut(&mut Connection, usize)) -> Vec<Vec<u8>> {
    let mut cursor = b"0".to_vec();
    let mut seen = Vec::new();
    let mut page = 0;
    loop {
        let mut args: Vec<&[u8]> = vec![b"SCAN", &cursor];
        args.extend_from_slice(opts);
        let (next, keys): (String, Vec<Vec<u8>>) = q(c, &args);
        seen.extend(keys);
        between(c, page);
        page += 1;
        if next == "0" {
            return seen;
        }
        cursor = next.into_bytes();
    }
}

#[test]
fn scan_returns_every_original_key_once_while_the_table_grows() {
    let (_s, mut c) = start();
    let originals: Vec<String> = (0..2000).map(|i| format!("orig:{i}")).collect();
    for k in &originals {
        set(&mut c, k.as_bytes(), b"v");
    }
    // Between pages, add many keys (a few hundred pages, so every shard's
    // table grows several times during the scan), then stop growing.
    let seen = scan_all(&mut c, &[b"COUNT", b"10"], |c, page| {
        if page < 100 {
            for j in 0..100 {
                set(c, format!("grow:{page}:{j}").as_bytes(), b"v");
            }
        }
    });
    let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
    for k in seen {
        *counts.entry(k).or_default() += 1;
    }
    for k in &originals {
        assert_eq!(counts.get(k.as_bytes()), Some(&1), "{k}");
    }
}

#[test]
fn scan_filters_by_match_and_type() {
    let (_s, mut c) = start();
    for i in 0..50 {
        set(&mut c, format!("user:{i}").as_bytes(), b"v");
        set(&mut c, format!("item:{i}").as_bytes(), b"v");
    }
    let users = scan_all(&mut c, &[b"MATCH", b"user:*", b"COUNT", b"7"], |_, _| {});
    assert_eq!(users.len(), 50);
    assert!(users.iter().all(|k| k.starts_with(b"user:")));
    assert_eq!(scan_all(&mut c, &[b"TYPE", b"STRING"], |_, _| {}).len(), 100);
    assert!(scan_all(&mut c, &[b"TYPE", b"hash"], |_, _| {}).is_empty());
    assert!(scan_all(&mut c, &[b"TYPE", b"nosuchtype"], |_, _| {}).is_empty());
}

#[test]
fn scan_refuses_bad_cursors_and_options() {
    let (_s, mut c) = start();
    for bad in [&b"x"[..], b" 1", b"18446744073709551616", b"1.5"] {
        assert_eq!(err(&mut c, &[b"SCAN", bad]), "ERR invalid cursor");
    }
    // strtoul's forms are accepted: a sign, leading zeros, the empty string.
    for ok in [&b"-1"[..], b"+0", b"007", b"", b"18446744073709551615"] {
        let _: (String, Vec<String>) = q(&mut c, &[b"SCAN", ok]);
    }
    assert_eq!(err(&mut c, &[b"SCAN", b"0", b"COUNT", b"0"]), "ERR syntax error");
    assert_eq!(err(&mut c, &[b"SCAN", b"0", b"COUNT", b"-1"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &[b"SCAN", b"0", b"COUNT", b"x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(err(&mut c, &[b"SCAN", b"0", b"MATCH"]), "ERR syntax error");
    assert_eq!(err(&mut c, &[b"SCAN", b"0", b"FOO", b"x"]), "ERR syntax error");
}

#[test]
fn randomkey_returns_a_key_or_nil() {
    let (_s, mut c) = start();
    assert_eq!(q::<Option<String>>(&mut c, &[b"RANDOMKEY"]), None);
    set(&mut c, b"only", b"1");
    assert_eq!(q::<Option<String>>(&mut c, &[b"RANDOMKEY"]).as_deref(), Some("only"));
    set(&mut c, b"other", b"1");
    let k: String = q(&mut c, &[b"RANDOMKEY"]);
    assert!(k == "only" || k == "other");
}

#[test]
fn rename_moves_value_and_ttl_over_an_existing_key() {
    let (_s, mut c) = start();
    set(&mut c, b"src", b"v");
    assert_eq!(
        int(&mut c, &[b"PEXPIREAT", b"src", FUTURE_MS.to_string().as_bytes()]),
        1
    );
    set(&mut c, b"dst", b"old");
    let _: () = q(&mut c, &[b"RENAME", b"src", b"dst"]);
    assert_eq!(get(&mut c, b"dst").as_deref(), Some(&b"v"[..]));
    assert_eq!(get(&mut c, b"src"), None);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"dst"]), FUTURE_MS);
    // A key without expiry renamed over one with expiry leaves none.
    set(&mut c, b"plain", b"p");
    let _: () = q(&mut c, &[b"RENAME", b"plain", b"dst"]);
    assert_eq!(int(&mut c, &[b"TTL", b"dst"]), -1);
}

#[test]
fn rename_of_missing_key_errors_and_onto_itself_is_a_no_op() {
    let (_s, mut c) = start();
    assert_eq!(err(&mut c, &[b"RENAME", b"nokey", b"x"]), "ERR no such key");
    assert_eq!(err(&mut c, &[b"RENAMENX", b"nokey", b"x"]), "ERR no such key");
    assert_eq!(err(&mut c, &[b"RENAME", b"nokey", b"nokey"]), "ERR no such key");
    set(&mut c, b"a", b"1");
    let _: () = q(&mut c, &[b"RENAME", b"a", b"a"]);
    assert_eq!(get(&mut c, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(int(&mut c, &[b"RENAMENX", b"a", b"a"]), 0);
}

#[test]
fn renamenx_only_takes_a_free_name() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    set(&mut c, b"b", b"2");
    assert_eq!(int(&mut c, &[b"RENAMENX", b"a", b"b"]), 0);
    assert_eq!(get(&mut c, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(int(&mut c, &[b"RENAMENX", b"a", b"c"]), 1);
    assert_eq!(get(&mut c, b"c").as_deref(), Some(&b"1"[..]));
    assert_eq!(int(&mut c, &[b"EXISTS", b"a"]), 0);
}

#[test]
fn copy_within_and_across_databases() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"a", FUTURE_MS.to_string().as_bytes()]), 1);
    set(&mut c, b"b", b"2");
    assert_eq!(int(&mut c, &[b"COPY", b"a", b"b"]), 0);
    assert_eq!(get(&mut c, b"b").as_deref(), Some(&b"2"[..]));
    assert_eq!(int(&mut c, &[b"COPY", b"a", b"b", b"REPLACE"]), 1);
    assert_eq!(get(&mut c, b"b").as_deref(), Some(&b"1"[..]));
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"b"]), FUTURE_MS);
    assert_eq!(int(&mut c, &[b"COPY", b"nokey", b"x"]), 0);
    // Same name, other database.
    assert_eq!(int(&mut c, &[b"COPY", b"a", b"a", b"DB", b"3"]), 1);
    assert_eq!(int(&mut c, &[b"COPY", b"a", b"a", b"db", b"3"]), 0);
    assert_eq!(int(&mut c, &[b"COPY", b"a", b"a", b"DB", b"3", b"REPLACE"]), 1);
    let _: () = q(&mut c, &[b"SELECT", b"3"]);
    assert_eq!(get(&mut c, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"a"]), FUTURE_MS);
}

#[test]
fn copy_errors_match_redis() {
    let (_s, mut c) = start();
    set(&mut c, b"a", b"1");
    let same = "ERR source and destination objects are the same";
    assert_eq!(err(&mut c, &[b"COPY", b"a", b"a"]), same);
    assert_eq!(err(&mut c, &[b"COPY", b"nokey", b"nokey"]), same);
    assert_eq!(err(&mut c, &[b"COPY", b"a", b"a", b"DB", b"0"]), same);
    assert_eq!(
        err(&mut c, &[b"COPY", b"a", b"c", b"DB", b"16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &[b"COPY", b"a", b"c", b"DB", b"-1"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &[b"COPY", b"a", b"c", b"DB", b"x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &[b"COPY", b"a", b"c", b"DB", b"99999999999"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(err(&mut c, &[b"COPY", b"a", b"c", b"DB"]), "ERR syntax error");
    assert_eq!(err(&mut c, &[b"COPY", b"a", b"c", b"FOO"]), "ERR syntax error");
    assert_eq!(
        err(&mut c, &[b"COPY", b"a"]),
        "ERR wrong number of arguments for 'copy' command"
    );
}

#[test]
fn move_takes_the_key_and_its_ttl_to_a_free_name_in_another_db() {
    let (_s, mut c) = start();
    set(&mut c, b"k", b"v");
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", FUTURE_MS.to_string().as_bytes()]), 1);
    assert_eq!(int(&mut c, &[b"MOVE", b"k", b"2"]), 1);
    assert_eq!(int(&mut c, &[b"EXISTS", b"k"]), 0);
    assert_eq!(int(&mut c, &[b"MOVE", b"nokey", b"2"]), 0);
    set(&mut c, b"k", b"here");
    assert_eq!(int(&mut c, &[b"MOVE", b"k", b"2"]), 0);
    assert_eq!(get(&mut c, b"k").as_deref(), Some(&b"here"[..]));
    let _: () = q(&mut c, &[b"SELECT", b"2"]);
    assert_eq!(get(&mut c, b"k").as_deref(), Some(&b"v"[..]));
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), FUTURE_MS);
}

#[test]
fn move_errors_match_redis() {
    let (_s, mut c) = start();
    let same = "ERR source and destination objects are the same";
    assert_eq!(err(&mut c, &[b"MOVE", b"nokey", b"0"]), same);
    assert_eq!(err(&mut c, &[b"MOVE", b"k", b"16"]), "ERR DB index is out of range");
    assert_eq!(err(&mut c, &[b"MOVE", b"k", b"-1"]), "ERR DB index is out of range");
    assert_eq!(
        err(&mut c, &[b"MOVE", b"k", b"x"]),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn expire_family_sets_absolute_deadlines() {
    let (_s, mut c) = start();
    set(&mut c, b"k", b"v");
    let secs = (FUTURE_MS / 1000).to_string();
    assert_eq!(int(&mut c, &[b"EXPIREAT", b"k", secs.as_bytes()]), 1);
    assert_eq!(int(&mut c, &[b"EXPIRETIME", b"k"]), FUTURE_MS / 1000);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), FUTURE_MS);
    assert!(int(&mut c, &[b"TTL", b"k"]) > 0);
    assert!(int(&mut c, &[b"PTTL", b"k"]) > 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", b"9223372036854775807"]), 1);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), i64::MAX);
    assert_eq!(int(&mut c, &[b"EXPIRE", b"k", b"1000"]), 1);
    assert!(int(&mut c, &[b"PEXPIRETIME", b"k"]) < FUTURE_MS);
    assert_eq!(int(&mut c, &[b"PEXPIRE", b"nokey", b"1000"]), 0);
}

#[test]
fn a_deadline_in_the_past_deletes_the_key() {
    let (_s, mut c) = start();
    for (name, arg) in [
        (&b"EXPIREAT"[..], &b"1"[..]),
        (b"PEXPIREAT", b"1"),
        (b"EXPIRE", b"0"),
        (b"EXPIRE", b"-5"),
        (b"PEXPIRE", b"-9223372036854775808"),
    ] {
        set(&mut c, b"k", b"v");
        assert_eq!(int(&mut c, &[name, b"k", arg]), 1);
        assert_eq!(int(&mut c, &[b"EXISTS", b"k"]), 0);
        assert_eq!(int(&mut c, &[b"TTL", b"k"]), -2);
    }
}

#[test]
fn expire_nx_xx_gt_lt_follow_redis_rules() {
    let (_s, mut c) = start();
    let at = |ms: i64| ms.to_string().into_bytes();
    set(&mut c, b"k", b"v");
    // No expiry: XX and GT refuse (no TTL is infinite), LT and NX accept.
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS), b"XX"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS), b"GT"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), -1);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS), b"lt"]), 1);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS + 5), b"NX"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS + 5), b"LT"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS), b"GT"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS + 5), b"XX", b"GT"]), 1);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), FUTURE_MS + 5);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", &at(FUTURE_MS - 5), b"LT"]), 1);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", b"k"]), FUTURE_MS - 5);
    // A past time under GT does not beat the current deadline; under LT it
    // does, and deletes.
    assert_eq!(int(&mut c, &[b"EXPIRE", b"k", b"-5", b"GT"]), 0);
    assert_eq!(int(&mut c, &[b"EXPIRE", b"k", b"-5", b"LT"]), 1);
    assert_eq!(int(&mut c, &[b"EXISTS", b"k"]), 0);
}

#[test]
fn expire_errors_match_redis() {
    let (_s, mut c) = start();
    set(&mut c, b"k", b"v");
    let nx = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(err(&mut c, &[b"EXPIRE", b"k", b"10", b"NX", b"XX"]), nx);
    assert_eq!(err(&mut c, &[b"EXPIRE", b"k", b"10", b"nx", b"lt"]), nx);
    assert_eq!(
        err(&mut c, &[b"EXPIRE", b"k", b"10", b"GT", b"LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &[b"PEXPIRE", b"k", b"10", b"Foo"]),
        "ERR Unsupported option Foo"
    );
    assert_eq!(
        err(&mut c, &[b"EXPIRE", b"k", b"x"]),
        "ERR value is not an integer or out of range"
    );
    for (name, arg) in [
        ("expire", &b"9223372036854775807"[..]),
        ("expire", b"9223372036854774"),
        ("pexpire", b"9223372036854775807"),
        ("expireat", b"9223372036854775807"),
        ("expireat", b"-9223372036854775808"),
    ] {
        assert_eq!(
            err(&mut c, &[name.as_bytes(), b"k", arg]),
            format!("ERR invalid expire time in '{name}' command")
        );
    }
    assert_eq!(int(&mut c, &[b"TTL", b"k"]), -1);
}

#[test]
fn ttl_family_and_persist() {
    let (_s, mut c) = start();
    for name in [&b"TTL"[..], b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"] {
        assert_eq!(int(&mut c, &[name, b"nokey"]), -2);
    }
    set(&mut c, b"k", b"v");
    for name in [&b"TTL"[..], b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"] {
        assert_eq!(int(&mut c, &[name, b"k"]), -1);
    }
    assert_eq!(int(&mut c, &[b"PERSIST", b"k"]), 0);
    assert_eq!(int(&mut c, &[b"PERSIST", b"nokey"]), 0);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", b"k", FUTURE_MS.to_string().as_bytes()]), 1);
    assert_eq!(int(&mut c, &[b"PERSIST", b"k"]), 1);
    assert_eq!(int(&mut c, &[b"TTL", b"k"]), -1);
    assert_eq!(get(&mut c, b"k").as_deref(), Some(&b"v"[..]));
}

#[test]
fn object_reports_encoding_refcount_and_idle_time() {
    let (_s, mut c) = start();
    set(&mut c, b"int", b"123");
    set(&mut c, b"big", b"12345");
    set(&mut c, b"short", b"hello");
    set(&mut c, b"long", &[b'x'; 45]);
    let enc = |c: &mut Connection, k: &[u8]| q::<Option<String>>(c, &[b"OBJECT", b"ENCODING", k]);
    assert_eq!(enc(&mut c, b"int").as_deref(), Some("int"));
    assert_eq!(enc(&mut c, b"short").as_deref(), Some("embstr"));
    assert_eq!(enc(&mut c, b"long").as_deref(), Some("raw"));
    assert_eq!(enc(&mut c, b"nokey"), None);
    assert_eq!(int(&mut c, &[b"OBJECT", b"REFCOUNT", b"int"]), 2147483647);
    assert_eq!(int(&mut c, &[b"OBJECT", b"REFCOUNT", b"big"]), 1);
    assert_eq!(int(&mut c, &[b"OBJECT", b"REFCOUNT", b"short"]), 1);
    assert!(int(&mut c, &[b"OBJECT", b"IDLETIME", b"short"]) >= 0);
    assert_eq!(
        err(&mut c, &[b"OBJECT", b"FREQ", b"short"]),
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
         Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    assert_eq!(q::<Option<i64>>(&mut c, &[b"OBJECT", b"FREQ", b"nokey"]), None);
    let help: Vec<String> = q(&mut c, &[b"OBJECT", b"HELP"]);
    assert!(help[0].starts_with("OBJECT <subcommand>"));
    for sub in [
        "ENCODING <key>",
        "FREQ <key>",
        "IDLETIME <key>",
        "REFCOUNT <key>",
        "HELP",
    ] {
        assert!(help.iter().any(|l| l == sub), "OBJECT HELP lacks {sub}: {help:?}");
    }
    assert_eq!(
        err(&mut c, &[b"OBJECT", b"FOO"]),
        "ERR unknown subcommand 'FOO'. Try OBJECT HELP."
    );
    assert_eq!(
        err(&mut c, &[b"OBJECT", b"ENCODING"]),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
    assert_eq!(
        err(&mut c, &[b"OBJECT"]),
        "ERR wrong number of arguments for 'object' command"
    );
}

#[test]
fn object_freq_and_idletime_swap_roles_under_an_lfu_policy() {
    let dir = std::env::temp_dir().join(format!("ferrocache-keys-lfu-{}", std::process::id()));
    std::fs::write(&dir, "maxmemory-policy allkeys-lfu\n").expect("write config");
    let s = Server::start(&["--config", dir.to_str().expect("utf-8 temp path")]);
    let mut c = s.redis();
    set(&mut c, b"k", b"v");
    assert!(int(&mut c, &[b"OBJECT", b"FREQ", b"k"]) >= 0);
    assert_eq!(
        err(&mut c, &[b"OBJECT", b"IDLETIME", b"k"]),
        "ERR An LFU maxmemory policy is selected, idle time not tracked. \
         Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    drop(s);
    let _ = std::fs::remove_file(dir);
}

#[test]
fn binary_keys_survive_every_key_command() {
    let (_s, mut c) = start();
    let k1: &[u8] = b"bin\x00key\xff\r\n";
    let k2: &[u8] = b"\x00\x01\x02";
    set(&mut c, k1, b"v");
    assert_eq!(int(&mut c, &[b"EXISTS", k1]), 1);
    assert_eq!(int(&mut c, &[b"EXISTS", b"bin"]), 0);
    let _: () = q(&mut c, &[b"RENAME", k1, k2]);
    assert_eq!(get(&mut c, k2).as_deref(), Some(&b"v"[..]));
    assert_eq!(int(&mut c, &[b"COPY", k2, k1]), 1);
    let keys: Vec<Vec<u8>> = q(&mut c, &[b"KEYS", b"bin*"]);
    assert_eq!(keys, vec![k1.to_vec()]);
    let scanned = scan_all(&mut c, &[b"MATCH", b"\x00*"], |_, _| {});
    assert_eq!(scanned, vec![k2.to_vec()]);
    assert_eq!(int(&mut c, &[b"PEXPIREAT", k2, FUTURE_MS.to_string().as_bytes()]), 1);
    assert_eq!(int(&mut c, &[b"PEXPIRETIME", k2]), FUTURE_MS);
    assert_eq!(int(&mut c, &[b"MOVE", k2, b"1"]), 1);
    assert_eq!(int(&mut c, &[b"DEL", k1, k2]), 1);
}

#[test]
fn active_expiry_reclaims_keys_nobody_reads() {
    let srv = Server::start(&[]);
    let mut c = srv.redis();
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET")
            .arg(format!("short:{i}"))
            .arg("v")
            .arg("PX")
            .arg(1)
            .ignore();
    }
    pipe.cmd("SET").arg("keep").arg("v").ignore();
    let _: () = pipe.query(&mut c).unwrap();
    // DBSIZE counts keys the sweep has not reclaimed yet; nothing reads them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {n} keys");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let info: String = redis::cmd("INFO").arg("stats").query(&mut c).unwrap();
    assert!(info.contains("expired_keys:1000\r\n"), "{info}");
    let keep: String = redis::cmd("GET").arg("keep").query(&mut c).unwrap();
    assert_eq!(keep, "v");
}
