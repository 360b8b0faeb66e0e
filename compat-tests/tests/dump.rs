//! DUMP, RESTORE and MIGRATE between ferrocache and redis-server 7.0: a
//! payload either server writes restores on the other with the same
//! DEBUG DIGEST-VALUE, MIGRATE moves keys both ways (KEYS, COPY, REPLACE,
//! AUTH to a target with a password), and both servers answer the same
//! errors byte for byte.

use compat_tests::{Frame, Options, RedisServer, Server, TempDir, Wire};

fn ferrocache() -> Server {
    Options::new().args(&["--enable-debug-command", "yes"]).start()
}

fn redis_server(dir: &TempDir) -> RedisServer {
    RedisServer::start(dir.path(), &["--enable-debug-command", "yes"])
}

fn ok(w: &mut Wire, args: &[&[u8]]) {
    let r = w.cmd(args);
    assert_eq!(r, Frame::ok(), "{:?}", String::from_utf8_lossy(&args.concat()));
}

/// Runs a request that must not fail.
fn fine(w: &mut Wire, args: &[&[u8]]) {
    let r = w.cmd(args);
    assert!(!matches!(r, Frame::Error(_)), "{r:?}");
}

/// Runs a request written with spaces.
fn run(w: &mut Wire, line: &str) -> Frame {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    w.cmd(&args)
}

/// Keys of every type both servers have, in the encodings Redis picks by
/// size: small and large lists, integer and string sets, small and large
/// hashes and sorted sets, integer, short, long and binary strings.
fn fill(w: &mut Wire) -> Vec<Vec<u8>> {
    let big: Vec<String> = (0..1000).map(|i| format!("element-{i}")).collect();
    let big: Vec<&[u8]> = big.iter().map(|s| s.as_bytes()).collect();
    let mut push = |args: Vec<&[u8]>| {
        let r = w.cmd(&args);
        assert!(!matches!(r, Frame::Error(_)), "{r:?}");
    };
    push(vec![b"SET", b"str", b"hello"]);
    push(vec![b"SET", b"int", b"12345"]);
    let long = "abc".repeat(400);
    push(vec![b"SET", b"long", long.as_bytes()]);
    push(vec![b"SET", b"bin\x00\xff", b"\x00\x01\x02\xfe"]);
    push(vec![b"SET", b"ttl", b"v", b"EX", b"3600"]);
    push(vec![b"RPUSH", b"list:small", b"a", b"b", b"1", b"2"]);
    push([&[b"RPUSH".as_slice(), b"list:big"][..], &big].concat());
    push(vec![
        b"SADD",
        b"set:int",
        b"1",
        b"2",
        b"3",
        b"70000",
        b"-5",
        b"5000000000",
    ]);
    push(vec![b"SADD", b"set:str", b"x", b"y", b"z"]);
    push([&[b"SADD".as_slice(), b"set:big"][..], &big].concat());
    push(vec![b"HSET", b"hash:small", b"f1", b"v1", b"f2", b"2"]);
    let fields: Vec<String> = (0..600)
        .flat_map(|i| [format!("field{i}"), "v".repeat(i % 70)])
        .collect();
    let fields: Vec<&[u8]> = fields.iter().map(|s| s.as_bytes()).collect();
    push([&[b"HSET".as_slice(), b"hash:big"][..], &fields].concat());
    push(vec![b"ZADD", b"zset:small", b"1.5", b"a", b"-inf", b"b", b"3", b"c"]);
    let members: Vec<String> = (0..300)
        .flat_map(|i| [format!("{}", i as f64 / 7.0), format!("m{i}")])
        .collect();
    let members: Vec<&[u8]> = members.iter().map(|s| s.as_bytes()).collect();
    push([&[b"ZADD".as_slice(), b"zset:big"][..], &members].concat());
    [
        &b"str"[..],
        b"int",
        b"long",
        b"bin\x00\xff",
        b"ttl",
        b"list:small",
        b"list:big",
        b"set:int",
        b"set:str",
        b"set:big",
        b"hash:small",
        b"hash:big",
        b"zset:small",
        b"zset:big",
    ]
    .iter()
    .map(|k| k.to_vec())
    .collect()
}

fn digest(w: &mut Wire, key: &[u8]) -> Frame {
    w.cmd(&[b"DEBUG", b"DIGEST-VALUE", key])
}

fn digests(w: &mut Wire, keys: &[Vec<u8>]) -> Vec<Frame> {
    keys.iter().map(|k| digest(w, k)).collect()
}

fn dump(w: &mut Wire, key: &[u8]) -> Vec<u8> {
    match w.cmd(&[b"DUMP", key]) {
        Frame::Bulk(p) => p,
        other => panic!("DUMP {}: {other:?}", String::from_utf8_lossy(key)),
    }
}

/// DUMPs every key on `from` and RESTOREs it on `to` with its remaining
/// time, then compares each value's digest on both.
fn copy_by_dump(from: &mut Wire, to: &mut Wire, keys: &[Vec<u8>]) {
    for k in keys {
        let p = dump(from, k);
        let ttl = match from.cmd(&[b"PTTL", k]) {
            Frame::Integer(t) if t > 0 => t,
            _ => 0,
        };
        let ttl = ttl.to_string();
        ok(to, &[b"RESTORE", k, ttl.as_bytes(), &p, b"REPLACE"]);
        assert_eq!(digest(from, k), digest(to, k), "{}", String::from_utf8_lossy(k));
    }
    let t = to.cmd(&[b"PTTL", b"ttl"]);
    assert!(matches!(t, Frame::Integer(ms) if ms > 3_000_000), "{t:?}");
}

/// Fills one server, DUMPs every key there (compressed and not) and
/// RESTOREs it on the other: from redis-server to ferrocache, or back.
fn dump_across(tag: &str, from_redis: bool) {
    let dir = TempDir::new(tag);
    let r = redis_server(&dir);
    let f = ferrocache();
    let (mut rw, mut fw) = (Wire::connect(r.port), f.wire());
    let (src, dst) = if from_redis {
        (&mut rw, &mut fw)
    } else {
        (&mut fw, &mut rw)
    };
    let keys = fill(src);
    for compression in ["yes", "no"] {
        ok(src, &[b"CONFIG", b"SET", b"rdbcompression", compression.as_bytes()]);
        copy_by_dump(src, dst, &keys);
    }
}

#[test]
fn payloads_redis_server_dumps_restore_here_with_the_same_digest() {
    dump_across("dump-from-redis", true);
}

#[test]
fn payloads_dumped_here_restore_on_redis_server_with_the_same_digest() {
    dump_across("dump-to-redis", false);
}

/// MIGRATEs from `src` to `dst` (listening on `dst_port`) in every form,
/// checking digests, deletions and replies; `dst` ends with a password.
fn migrate_every_way(src: &mut Wire, dst: &mut Wire, dst_port: u16) {
    let port = dst_port.to_string();
    let port = port.as_bytes();
    let keys = fill(src);
    let before = digests(src, &keys);
    // KEYS form, into database 3; a key missing at the source is skipped.
    let mut req: Vec<&[u8]> = vec![b"MIGRATE", b"127.0.0.1", port, b"", b"3", b"5000", b"KEYS", b"nosuch"];
    req.extend(keys.iter().map(Vec::as_slice));
    ok(src, &req);
    for k in &keys {
        assert_eq!(src.cmd(&[b"EXISTS", k]), Frame::Integer(0));
    }
    ok(dst, &[b"SELECT", b"3"]);
    assert_eq!(digests(dst, &keys), before);
    let t = dst.cmd(&[b"PTTL", b"ttl"]);
    assert!(matches!(t, Frame::Integer(ms) if ms > 3_000_000), "{t:?}");
    // Nothing left to move.
    assert_eq!(src.cmd(&req), Frame::simple("NOKEY"));

    // COPY leaves the source; without REPLACE the target refuses a key it
    // has, and REPLACE overwrites it.
    fine(src, &[b"RPUSH", b"list", b"a", b"b", b"c", b"d"]);
    ok(dst, &[b"SET", b"list", b"somevalue"]);
    let copy: &[&[u8]] = &[b"MIGRATE", b"127.0.0.1", port, b"list", b"3", b"5000", b"COPY"];
    assert_eq!(
        src.cmd(copy),
        Frame::error("ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    );
    let replace: &[&[u8]] = &[
        b"MIGRATE",
        b"127.0.0.1",
        port,
        b"list",
        b"3",
        b"5000",
        b"COPY",
        b"REPLACE",
    ];
    ok(src, replace);
    assert_eq!(src.cmd(&[b"EXISTS", b"list"]), Frame::Integer(1));
    assert_eq!(digest(src, b"list"), digest(dst, b"list"));

    // A single key without COPY moves.
    let single: &[&[u8]] = &[b"MIGRATE", b"127.0.0.1", port, b"list", b"3", b"5000", b"REPLACE"];
    ok(src, single);
    assert_eq!(src.cmd(&[b"EXISTS", b"list"]), Frame::Integer(0));

    // Only the keys the target accepted leave the source.
    for k in ["a", "b", "c", "d"] {
        ok(src, &[b"SET", k.as_bytes(), b"1"]);
    }
    ok(dst, &[b"MSET", b"c", b"_", b"d", b"_"]);
    let partial: &[&[u8]] = &[
        b"MIGRATE",
        b"127.0.0.1",
        port,
        b"",
        b"3",
        b"5000",
        b"KEYS",
        b"a",
        b"b",
        b"c",
        b"d",
    ];
    assert!(matches!(src.cmd(partial), Frame::Error(e) if e.contains("BUSYKEY")));
    for (k, n) in [("a", 0), ("b", 0), ("c", 1), ("d", 1)] {
        assert_eq!(src.cmd(&[b"EXISTS", k.as_bytes()]), Frame::Integer(n), "{k}");
    }

    // AUTH to a target with a password; a wrong one is the target's error.
    ok(dst, &[b"CONFIG", b"SET", b"requirepass", b"foobar"]);
    fine(src, &[b"RPUSH", b"secret", b"a", b"b"]);
    let auth: &[&[u8]] = &[
        b"MIGRATE",
        b"127.0.0.1",
        port,
        b"secret",
        b"3",
        b"5000",
        b"AUTH",
        b"foobar",
    ];
    ok(src, auth);
    assert_eq!(src.cmd(&[b"EXISTS", b"secret"]), Frame::Integer(0));
    fine(src, &[b"RPUSH", b"secret2", b"x"]);
    let auth2: &[&[u8]] = &[
        b"MIGRATE",
        b"127.0.0.1",
        port,
        b"secret2",
        b"3",
        b"5000",
        b"AUTH2",
        b"default",
        b"foobar",
    ];
    ok(src, auth2);
    fine(src, &[b"RPUSH", b"secret", b"c"]);
    let wrong: &[&[u8]] = &[
        b"MIGRATE",
        b"127.0.0.1",
        port,
        b"secret",
        b"3",
        b"5000",
        b"AUTH",
        b"nope",
    ];
    assert_eq!(
        src.cmd(wrong),
        Frame::error(
            "ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled."
        )
    );
    assert_eq!(src.cmd(&[b"EXISTS", b"secret"]), Frame::Integer(1));
    // dst's own connection logged in before the password was set.
    assert_eq!(
        dst.cmd(&[b"LRANGE", b"secret", b"0", b"-1"]),
        Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b")])
    );
    assert_eq!(dst.cmd(&[b"LLEN", b"secret2"]), Frame::Integer(1));
}

#[test]
fn migrate_moves_keys_from_ferrocache_to_redis_server() {
    let dir = TempDir::new("migrate-to-redis");
    let r = redis_server(&dir);
    let f = ferrocache();
    let (mut rw, mut fw) = (Wire::connect(r.port), f.wire());
    migrate_every_way(&mut fw, &mut rw, r.port);
    // Each MIGRATE connects afresh here, so one without AUTH is refused
    // (redis-server would reuse the connection its last MIGRATE logged in).
    let port = r.port.to_string();
    fine(&mut fw, &[b"RPUSH", b"secret", b"c"]);
    let none: &[&[u8]] = &[b"MIGRATE", b"127.0.0.1", port.as_bytes(), b"secret", b"3", b"5000"];
    assert_eq!(
        fw.cmd(none),
        Frame::error("ERR Target instance replied with error: NOAUTH Authentication required.")
    );
    assert_eq!(fw.cmd(&[b"EXISTS", b"secret"]), Frame::Integer(1));
}

#[test]
fn migrate_moves_keys_from_redis_server_to_ferrocache() {
    let dir = TempDir::new("migrate-from-redis");
    let r = redis_server(&dir);
    let f = ferrocache();
    let (mut rw, mut fw) = (Wire::connect(r.port), f.wire());
    migrate_every_way(&mut rw, &mut fw, f.port);
}

#[test]
fn errors_match_redis_server_byte_for_byte() {
    let dir = TempDir::new("dump-errors");
    let r = redis_server(&dir);
    let f = ferrocache();
    let (mut rw, mut fw) = (Wire::connect(r.port), f.wire());
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    for w in [&mut rw, &mut fw] {
        ok(w, &[b"SET", b"foo", b"bar"]);
    }
    let p = dump(&mut rw, b"foo");
    let mut corrupt = p.clone();
    corrupt[2] ^= 0x55;
    let lines = [
        "RESTORE foo 0 x".to_string(),
        "RESTORE new x x".into(),
        "RESTORE new -1 x".into(),
        "RESTORE new 0 x".into(),
        "RESTORE new 0 x IDLETIME -1".into(),
        "RESTORE new 0 x IDLETIME".into(),
        "RESTORE new 0 x FREQ 256".into(),
        "RESTORE new 0 x FREQ 1 IDLETIME 1".into(),
        "RESTORE new 0 x invalid-option".into(),
        "RESTORE new 0".into(),
        "DUMP nosuch".into(),
        "DUMP".into(),
        "MIGRATE 127.0.0.1 1 nosuch 0 100".into(),
        "MIGRATE 127.0.0.1 1 foo 0 100 KEYS a".into(),
        "MIGRATE 127.0.0.1 1 foo x 100".into(),
        "MIGRATE 127.0.0.1 1 foo 0 x".into(),
        "MIGRATE 127.0.0.1 1 foo 0 100 AUTH".into(),
        "MIGRATE 127.0.0.1 1 foo 0 100 AUTH2 u".into(),
        "MIGRATE 127.0.0.1 1 foo 0 100 bogus".into(),
        "MIGRATE 127.0.0.1 1 foo 0".into(),
        format!("MIGRATE 127.0.0.1 {closed} foo 0 1000"),
        format!("MIGRATE 127.0.0.1 {closed} foo 0 1000 COPY"),
        "MIGRATE  1 foo 0 1000".into(),
    ];
    for line in &lines {
        assert_eq!(run(&mut fw, line), run(&mut rw, line), "{line}");
    }
    // Each to the other (redis-server cannot answer a MIGRATE to itself).
    let to_redis = format!("MIGRATE 127.0.0.1 {} foo 99 1000 COPY", r.port);
    let to_ferrocache = format!("MIGRATE 127.0.0.1 {} foo 99 1000 COPY", f.port);
    let refused = run(&mut fw, &to_redis);
    assert_eq!(refused, run(&mut rw, &to_ferrocache));
    assert_eq!(
        refused,
        Frame::error("ERR Target instance replied with error: ERR DB index is out of range")
    );
    for payload in [&corrupt, &p[..p.len() - 1]] {
        let req: &[&[u8]] = &[b"RESTORE", b"new", b"0", payload];
        assert_eq!(fw.cmd(req), rw.cmd(req));
    }
    assert_eq!(
        run(&mut fw, &format!("MIGRATE 127.0.0.1 {closed} foo 0 1000")),
        Frame::error("IOERR error or timeout writing to target instance")
    );
}
