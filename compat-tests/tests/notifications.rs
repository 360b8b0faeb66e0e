//! Keyspace notifications against the real binary: a subscriber to
//! `__key*__:*` sees what each command, memcached verb, expiry, eviction
//! and CACHE.* command publishes. The expected events of the Redis
//! commands were taken from redis-server 7.0.15 given the same requests.

use compat_tests::query::{int, q};
use compat_tests::{Frame, Server, Wire};
use std::time::Duration;

/// A subscriber to every keyspace and keyevent channel.
struct Listener {
    wire: Wire,
}

impl Listener {
    fn new(srv: &Server) -> Listener {
        let mut wire = srv.wire();
        wire.send(b"PSUBSCRIBE __key*__:*\r\n");
        wire.read_frame();
        Listener { wire }
    }

    /// The next `n` events as `channel message`.
    fn next(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| match self.wire.read_frame() {
                Frame::Array(parts) => {
                    let text = |f: &Frame| match f {
                        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("not a bulk: {other:?}"),
                    };
                    format!("{} {}", text(&parts[2]), text(&parts[3]))
                }
                other => panic!("not a message: {other:?}"),
            })
            .collect()
    }

    /// Keyspace events only (class K), `key event`, the next `n`.
    fn keyspace(&mut self, n: usize) -> Vec<String> {
        self.next(n)
            .into_iter()
            .map(|e| e.trim_start_matches("__keyspace@0__:").to_string())
            .collect()
    }
}

fn events(srv: &Server, flags: &str) -> (redis::Connection, Listener) {
    let mut con = srv.redis();
    let _: () = q(&mut con, &["CONFIG", "SET", "notify-keyspace-events", flags]);
    let l = Listener::new(srv);
    (con, l)
}

/// Runs each request and checks the events it published (keyspace
/// channel only: `key event`), ending each with a marker so that "no
/// event" is checked too.
fn expect(con: &mut redis::Connection, l: &mut Listener, steps: &[(&[&str], &[&str])]) {
    for (req, want) in steps {
        let _: redis::Value = redis::cmd(req[0]).arg(&req[1..]).query(con).unwrap();
        let _: () = q(con, &["SET", "marker", "1"]);
        let mut got = l.keyspace(want.len() + 1);
        assert_eq!(got.pop().as_deref(), Some("marker set"), "{req:?}: {got:?}");
        assert_eq!(got, *want, "{req:?}");
    }
}

#[test]
fn generic_and_string_commands_publish_redis_events_in_redis_order() {
    let srv = Server::start(&[]);
    let (mut con, mut l) = events(&srv, "KA");
    expect(
        &mut con,
        &mut l,
        &[
            (&["SET", "a", "1"], &["a set"]),
            (&["SET", "b", "2", "EX", "100"], &["b set", "b expire"]),
            (&["MSET", "a", "1", "c", "3"], &["a set", "c set"]),
            (&["DEL", "a", "zz", "c"], &["a del", "c del"]),
            (&["RENAME", "b", "d"], &["b rename_from", "d rename_to"]),
            (&["RENAME", "d", "d"], &[]),
            (&["SET", "e", "1"], &["e set"]),
            (&["COPY", "d", "e", "REPLACE"], &["e copy_to"]),
            (&["EXPIRE", "d", "100"], &["d expire"]),
            (&["PERSIST", "d"], &["d persist"]),
            (&["PERSIST", "d"], &[]),
            (&["EXPIRE", "d", "-1"], &["d del"]),
            (&["SETRANGE", "e", "0", "x"], &["e setrange"]),
            (&["SETBIT", "bits", "3", "1"], &["bits setbit"]),
            (&["SETBIT", "bits", "3", "1"], &[]),
            (&["BITFIELD", "bf", "SET", "u8", "0", "5"], &["bf setbit"]),
            (&["BITFIELD", "bf", "SET", "u8", "0", "5"], &[]),
            (&["BITOP", "OR", "dest", "bits", "bf"], &["dest set"]),
            (&["BITOP", "AND", "dest", "nope", "nope2"], &["dest del"]),
            (&["GETEX", "e", "EX", "100"], &["e expire"]),
            (&["GETEX", "e", "PERSIST"], &["e persist"]),
            (&["GETDEL", "e"], &["e del"]),
            (&["INCR", "n"], &["n incrby"]),
            (&["INCRBYFLOAT", "n", "1.5"], &["n incrbyfloat"]),
            (&["APPEND", "n", "x"], &["n append"]),
            (&["SETNX", "n", "5"], &[]),
            (&["GETSET", "n", "9"], &["n set"]),
        ],
    );
    // MOVE tells the source database and the target one.
    let _: () = q(&mut con, &["SET", "m", "1"]);
    l.next(1);
    assert_eq!(int(&mut con, &["MOVE", "m", "3"]), 1);
    assert_eq!(l.next(2), ["__keyspace@0__:m move_from", "__keyspace@3__:m move_to"]);
}

#[test]
fn new_and_keymiss_classes_and_the_keyevent_channel() {
    let srv = Server::start(&[]);
    let (mut con, mut l) = events(&srv, "KEnm$");
    let _: () = q(&mut con, &["SET", "k", "v"]);
    assert_eq!(
        l.next(4),
        [
            "__keyspace@0__:k new",
            "__keyevent@0__:new k",
            "__keyspace@0__:k set",
            "__keyevent@0__:set k"
        ]
    );
    let _: Option<String> = q(&mut con, &["GET", "nothing"]);
    assert_eq!(
        l.next(2),
        ["__keyspace@0__:nothing keymiss", "__keyevent@0__:keymiss nothing"]
    );
    let cfg: Vec<String> = q(&mut con, &["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(cfg[1], "$KEmn");
}

#[test]
fn memcached_writes_publish_their_redis_equivalents_events() {
    let srv = Server::start(&[]);
    let (mut con, mut l) = events(&srv, "KA");
    let mut mc = srv.mc_wire();
    let steps: &[(&[u8], &[u8], &[&str])] = &[
        (b"set k 0 0 1\r\na\r\n", b"STORED\r\n", &["k set"]),
        (b"set t 0 100 1\r\na\r\n", b"STORED\r\n", &["t set", "t expire"]),
        (b"add k 0 0 1\r\nb\r\n", b"NOT_STORED\r\n", &[]),
        (b"add n 0 0 1\r\n5\r\n", b"STORED\r\n", &["n set"]),
        (b"replace k 0 0 1\r\nc\r\n", b"STORED\r\n", &["k set"]),
        (b"append k 0 0 1\r\nd\r\n", b"STORED\r\n", &["k append"]),
        (b"prepend k 0 0 1\r\ne\r\n", b"STORED\r\n", &["k append"]),
        (b"incr n 3\r\n", b"8\r\n", &["n incrby"]),
        (b"decr n 1\r\n", b"7\r\n", &["n incrby"]),
        (b"touch k 100\r\n", b"TOUCHED\r\n", &["k expire"]),
        (b"touch k 0\r\n", b"TOUCHED\r\n", &["k persist"]),
        (b"delete k\r\n", b"DELETED\r\n", &["k del"]),
        (b"delete k\r\n", b"NOT_FOUND\r\n", &[]),
    ];
    for (req, reply, want) in steps {
        mc.exchange(req, reply);
        let _: () = q(&mut con, &["SET", "marker", "1"]);
        let mut got = l.keyspace(want.len() + 1);
        assert_eq!(got.pop().as_deref(), Some("marker set"), "{got:?}");
        assert_eq!(got, *want, "{}", String::from_utf8_lossy(req));
    }
    // cas: a `set` when the unique matches.
    mc.send(b"gets n\r\n");
    let line = String::from_utf8(mc.read_line()).unwrap();
    let unique = line.split_whitespace().nth(4).unwrap().to_string();
    mc.read_until_end();
    mc.exchange(format!("cas n 0 0 1 {unique}\r\n9\r\n").as_bytes(), b"STORED\r\n");
    assert_eq!(l.keyspace(1), ["n set"]);
}

#[test]
fn expiry_on_access_and_by_the_sweeper_publish_expired_on_the_manual_clock() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let (mut con, mut l) = events(&srv, "Ex");
    let _: () = q(&mut con, &["SET", "lazy", "v", "PX", "1000"]);
    let _: () = q(&mut con, &["SET", "swept", "v", "PX", "1000"]);
    // Only the sweeper's step or a read can remove them; neither has yet.
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let _: () = q(&mut con, &["DEBUG", "ADVANCE-CLOCK", "2000"]);
    let _: Option<String> = q(&mut con, &["GET", "lazy"]);
    assert_eq!(l.next(1), ["__keyevent@0__:expired lazy"]);
    let _: () = q(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert_eq!(l.next(1), ["__keyevent@0__:expired swept"]);
    let info: String = q(&mut con, &["INFO", "stats"]);
    assert!(info.contains("expired_keys:2"), "{info}");
}

#[test]
fn eviction_publishes_evicted_for_every_key_it_removes() {
    let srv = Server::start(&["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]);
    let (mut con, mut l) = events(&srv, "Ee");
    let value = "x".repeat(10_000);
    for i in 0..600 {
        let _: () = q(&mut con, &["SET", &format!("k{i}"), &value]);
    }
    let info: String = q(&mut con, &["INFO", "stats"]);
    let evicted: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("evicted_keys:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(evicted > 0, "{info}");
    let got = l.next(evicted);
    assert!(got.iter().all(|e| e.starts_with("__keyevent@0__:evicted k")), "{got:?}");
    // Every evicted key is gone, and each was told once.
    let mut keys: Vec<&str> = got.iter().map(|e| e.rsplit(' ').next().unwrap()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), evicted);
    for k in keys {
        assert_eq!(int(&mut con, &["EXISTS", k]), 0, "{k}");
    }
}

#[test]
fn cache_commands_publish_their_own_class_alone() {
    let srv = Server::start(&[]);
    let (mut con, mut l) = events(&srv, "Kc");
    let _: i64 = q(&mut con, &["CACHE.PUT", "p", "v"]);
    let _: () = q(&mut con, &["SET", "plain", "v"]);
    let _: i64 = q(&mut con, &["CACHE.ADD", "c", "v"]);
    assert_eq!(l.keyspace(2), ["p cache_put", "c cache_add"], "SET is not in class c");
    let lock: Vec<redis::Value> = q(&mut con, &["CACHE.LOCK", "p", "10000"]);
    let redis::Value::Int(handle) = lock[0] else {
        panic!("{lock:?}")
    };
    let _: i64 = q(&mut con, &["CACHE.PUTUNLOCK", "p", "w", &handle.to_string()]);
    assert_eq!(l.keyspace(3), ["p cache_lock", "p cache_put", "p cache_unlock"]);
    let _: () = q(&mut con, &["CACHE.DEPEND", "c", "p"]);
    let _: i64 = q(&mut con, &["CACHE.PUT", "p", "again", "TAGS", "1", "t"]);
    // The cascade runs inside the write, so its `removed` comes first, as
    // a key's `new` comes before its `set`.
    assert_eq!(l.keyspace(3), ["c cache_depend", "c removed", "p cache_put"]);
    assert_eq!(int(&mut con, &["CACHE.DELTAGGED", "ANY", "1", "t"]), 1);
    assert_eq!(l.keyspace(1), ["p cache_remove"]);
    let cfg: Vec<String> = q(&mut con, &["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(cfg[1], "Kc");
}

/// Spring Session's setting: expiry events through the `redis` crate's
/// pub/sub.
#[test]
fn a_redis_crate_subscriber_learns_of_expiry() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut con = srv.redis();
    let _: () = q(&mut con, &["CONFIG", "SET", "notify-keyspace-events", "Egx"]);
    let mut sub = srv.redis();
    let mut ps = sub.as_pubsub();
    ps.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    ps.subscribe("__keyevent@0__:expired").unwrap();
    let _: () = q(&mut con, &["SET", "session:1", "data", "EX", "60"]);
    let _: () = q(&mut con, &["DEBUG", "ADVANCE-CLOCK", "61000"]);
    let m = ps.get_message().unwrap();
    assert_eq!(m.get_channel_name(), "__keyevent@0__:expired");
    assert_eq!(m.get_payload::<String>().unwrap(), "session:1");
}
