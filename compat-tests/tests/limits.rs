//! Limits that keep one client from hurting the rest, against the real
//! binary: client-output-buffer-limit, maxclients, timeout, and the
//! buffer fields of CLIENT LIST.

use compat_tests::{multibulk, Frame, Server, Wire, READ_LIMIT};
use std::time::Instant;

/// The value of `field` in an INFO section, read through a fresh connection.
fn info_field(srv: &Server, section: &str, field: &str) -> String {
    let mut w = srv.wire();
    let Frame::Bulk(text) = w.cmd(&[b"INFO", section.as_bytes()]) else {
        panic!("INFO is a bulk string")
    };
    let text = String::from_utf8(text).unwrap();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}:\n{text}"))
        .to_string()
}

/// Polls until `done` holds; panics after the harness's read limit. A
/// guard against a hang, not a speed requirement.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < READ_LIMIT, "never happened: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A field of the CLIENT LIST line of client `id`.
fn client_field(w: &mut Wire, id: i64, field: &str) -> Option<u64> {
    let Frame::Bulk(text) = w.cmd(&[b"CLIENT", b"LIST", b"ID", id.to_string().as_bytes()]) else {
        panic!("CLIENT LIST is a bulk string")
    };
    let text = String::from_utf8(text).unwrap();
    let prefix = format!("{field}=");
    text.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

fn client_id(w: &mut Wire) -> i64 {
    match w.cmd(&[b"CLIENT", b"ID"]) {
        Frame::Integer(id) => id,
        other => panic!("{other:?}"),
    }
}

/// Stores a value of `len` bytes under `big` and pipelines `n` GETs of it
/// on `w` without reading a reply.
fn ask_without_reading(srv: &Server, w: &mut Wire, len: usize, n: usize) {
    let mut admin = srv.wire();
    assert_eq!(admin.cmd(&[b"SET", b"big", &vec![b'v'; len]]), Frame::ok());
    let get = multibulk(&[b"GET", b"big"]);
    w.send(&get.repeat(n));
}

#[test]
fn client_that_never_reads_is_closed_at_output_limit() {
    let srv = Server::start(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let mut w = srv.wire();
    // 100 MB of replies asked for, far more than the sockets' buffers hold.
    ask_without_reading(&srv, &mut w, 256 * 1024, 400);
    eventually("the client is closed", || {
        info_field(&srv, "stats", "client_output_buffer_limit_disconnections") == "1"
    });
    let (got, _) = w.read_to_close();
    assert!(got.len() < 100 * 1024 * 1024, "{} bytes", got.len());
    // The others are served on.
    let mut other = srv.wire();
    assert_eq!(other.cmd(&[b"PING"]), Frame::simple("PONG"));
}

#[test]
fn client_over_the_soft_output_limit_is_closed_after_its_seconds() {
    let srv = Server::start(&["--client-output-buffer-limit", "normal 0 1mb 1"]);
    let mut w = srv.wire();
    ask_without_reading(&srv, &mut w, 256 * 1024, 400);
    eventually("the client is closed", || {
        info_field(&srv, "stats", "client_output_buffer_limit_disconnections") == "1"
    });
    let (got, _) = w.read_to_close();
    assert!(got.len() < 100 * 1024 * 1024, "{} bytes", got.len());
}

/// With Redis's default (no limit for normal clients) a client that does
/// not read is not closed, and the server stops executing its requests
/// once a few MB of replies wait: its memory stays bounded. When the
/// client reads at last, every reply arrives, in order.
#[test]
fn client_that_never_reads_holds_server_memory_bounded() {
    let srv = Server::start(&[]);
    let len = 256 * 1024;
    let n = 400;
    let mut w = srv.wire();
    let id = client_id(&mut w);
    let mut admin = srv.wire();
    assert_eq!(admin.cmd(&[b"SET", b"big", &vec![b'v'; len]]), Frame::ok());
    let before = srv.rss_kb();
    w.send(&multibulk(&[b"GET", b"big"]).repeat(n));
    // The server stops with unsent replies and unexecuted requests.
    eventually("replies wait and requests are left", || {
        client_field(&mut admin, id, "omem").unwrap() > 0 && client_field(&mut admin, id, "qbuf").unwrap() > 0
    });
    let grown_kb = srv.rss_kb().saturating_sub(before);
    assert!(grown_kb < 40 * 1024, "RSS grew by {grown_kb} KB for 100 MB of replies");
    assert_eq!(
        info_field(&srv, "stats", "client_output_buffer_limit_disconnections"),
        "0"
    );
    assert!(
        info_field(&srv, "clients", "client_recent_max_output_buffer")
            .parse::<u64>()
            .unwrap()
            > 0
    );
    for i in 0..n {
        match w.read_frame() {
            Frame::Bulk(v) => assert_eq!(v.len(), len, "reply {i}"),
            other => panic!("reply {i}: {other:?}"),
        }
    }
    assert_eq!(w.cmd(&[b"PING"]), Frame::simple("PONG"));
}

#[test]
fn maxclients_refuses_extra_connections_with_redis_error() {
    let srv = Server::start(&["--maxclients", "2"]);
    let mut a = srv.wire();
    let mut b = srv.wire();
    assert_eq!(a.cmd(&[b"PING"]), Frame::simple("PONG"));
    assert_eq!(b.cmd(&[b"PING"]), Frame::simple("PONG"));
    let mut c = srv.wire();
    let (got, _) = c.read_to_close();
    assert_eq!(got, b"-ERR max number of clients reached\r\n");
    // memcached connections count too, and are told in memcached's words.
    let mut mc = srv.mc_wire();
    let (got, _) = mc.read_to_close();
    assert_eq!(got, b"ERROR Too many open connections\r\n");
    let Frame::Bulk(info) = a.cmd(&[b"INFO"]) else { panic!() };
    let info = String::from_utf8(info).unwrap();
    assert!(info.contains("\r\nrejected_connections:2\r\n"), "{info}");
    assert!(info.contains("\r\nmaxclients:2\r\n"), "{info}");
    assert!(info.contains("\r\ntotal_connections_received:2\r\n"), "{info}");
    // Raised at run time, the limit lets the next one in.
    assert_eq!(a.cmd(&[b"CONFIG", b"SET", b"maxclients", b"3"]), Frame::ok());
    let mut d = srv.wire();
    assert_eq!(d.cmd(&[b"PING"]), Frame::simple("PONG"));
    drop(b);
    eventually("a closed connection frees its place", || {
        let mut e = srv.wire();
        e.try_send(&multibulk(&[b"PING"])).is_ok() && e.read_frame() == Frame::simple("PONG")
    });
}

#[test]
fn idle_client_is_closed_after_timeout_but_not_a_blocked_one() {
    let srv = Server::start(&["--timeout", "1"]);
    let mut idle = srv.wire();
    assert_eq!(idle.cmd(&[b"PING"]), Frame::simple("PONG"));
    let mut blocked = srv.wire();
    blocked.send_cmd(&[b"BLPOP", b"queue", b"0"]);
    let (got, _) = idle.read_to_close();
    assert!(got.is_empty(), "{got:?}");
    // The blocked client, as idle as the other, is still there.
    let mut pusher = srv.wire();
    assert_eq!(pusher.cmd(&[b"LPUSH", b"queue", b"job"]), Frame::Integer(1));
    assert_eq!(
        blocked.read_frame(),
        Frame::Array(vec![Frame::bulk("queue"), Frame::bulk("job")])
    );
    // timeout 0 turns it off again.
    assert_eq!(pusher.cmd(&[b"CONFIG", b"SET", b"timeout", b"0"]), Frame::ok());
    assert_eq!(
        pusher.cmd(&[b"CONFIG", b"GET", b"timeout"]),
        Frame::Array(vec![Frame::bulk("timeout"), Frame::bulk("0")])
    );
}

#[test]
fn client_list_shows_real_buffer_sizes() {
    let srv = Server::start(&[]);
    let mut blocked = srv.wire();
    let id = client_id(&mut blocked);
    let key = vec![b'k'; 1000];
    blocked.send_cmd(&[b"BLPOP", &key, b"0"]);
    let mut w = srv.wire();
    // A parked command keeps its arguments: BLPOP, the key and the timeout.
    eventually("the client is parked", || {
        client_field(&mut w, id, "argv-mem") == Some(1006)
    });
    assert!(client_field(&mut w, id, "qbuf-free").unwrap() > 0);
    assert!(client_field(&mut w, id, "tot-mem").unwrap() >= 1006);
    let Frame::Bulk(me) = w.cmd(&[b"CLIENT", b"INFO"]) else {
        panic!()
    };
    let me = String::from_utf8(me).unwrap();
    assert!(me.contains(" argv-mem=10 "), "{me}");
    assert!(me.contains(" obl=0 oll=0 omem=0 "), "{me}");
}

/// Redis's obuf-limits unit: "No response for single command if client
/// output buffer hard limit is enforced", and the same for a pipeline.
#[test]
fn reply_over_the_hard_limit_is_not_sent_at_all() {
    let srv = Server::start(&["--client-output-buffer-limit", "normal 100000 0 0"]);
    let mut admin = srv.wire();
    let item = vec![b'x'; 1000];
    for _ in 0..150 {
        admin.cmd(&[b"LPUSH", b"mylist", &item]);
    }
    let mut w = srv.wire();
    w.send_cmd(&[b"LRANGE", b"mylist", b"0", b"-1"]);
    let (got, _) = w.read_to_close();
    assert!(got.is_empty(), "{} bytes sent", got.len());
    let mut w = srv.wire();
    let get = multibulk(&[b"LINDEX", b"mylist", b"0"]);
    w.send(&get.repeat(200));
    let (got, _) = w.read_to_close();
    assert!(got.is_empty(), "{} bytes sent", got.len());
    // A transaction runs whole even when its replies close the client.
    let mut w = srv.wire();
    let mut tx = multibulk(&[b"MULTI"]);
    tx.extend(multibulk(&[b"LRANGE", b"mylist", b"0", b"-1"]));
    tx.extend(multibulk(&[b"SET", b"after", b"1"]));
    tx.extend(multibulk(&[b"EXEC"]));
    w.send(&tx);
    let _ = w.read_to_close();
    assert_eq!(admin.cmd(&[b"GET", b"after"]), Frame::bulk("1"));
    assert_eq!(
        info_field(&srv, "stats", "client_output_buffer_limit_disconnections"),
        "3"
    );
}
