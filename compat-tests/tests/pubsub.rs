//! Pub/sub through the `redis` crate (sync and async, RESP2 and RESP3) and
//! raw transcripts whose expected bytes were taken from redis-server
//! 7.0.15 given the same requests.

use compat_tests::query::{int, q};
use compat_tests::Server;
use futures_util::StreamExt;
use redis::{PushKind, Value};
use std::time::Duration;

/// How long a test waits for a message before calling it lost: a guard
/// against hanging, not a speed requirement.
const WAIT: Duration = compat_tests::READ_LIMIT;

#[test]
fn resp2_subscriber_transcript_matches_redis_bytes() {
    let srv = Server::start(&[]);
    let mut sub = srv.wire();
    let mut publisher = srv.wire();
    sub.exchange(
        b"SUBSCRIBE news alerts\r\nPSUBSCRIBE n*\r\nPING\r\nPING hi\r\nGET k\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$6\r\nalerts\r\n:2\r\n\
          *3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$2\r\nhi\r\n\
          -ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    publisher.exchange(
        b"PUBLISH news hello\r\nPUBSUB NUMSUB news alerts\r\nPUBSUB NUMPAT\r\nPUBSUB CHANNELS a*\r\n",
        b":2\r\n*4\r\n$4\r\nnews\r\n:1\r\n$6\r\nalerts\r\n:1\r\n:1\r\n*1\r\n$6\r\nalerts\r\n",
    );
    let message = b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n\
                    *4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n";
    assert_eq!(sub.read_exact(message.len()), message);
    sub.exchange(
        b"UNSUBSCRIBE news\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nPING\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:2\r\n*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:1\r\n\
          *3\r\n$11\r\nunsubscribe\r\n$6\r\nalerts\r\n:0\r\n+PONG\r\n",
    );
    let mut other = srv.wire();
    other.exchange(
        b"SUBSCRIBE\r\nPUBSUB\r\nPUBSUB CHANNELS a b\r\nPUBSUB NUMPAT x\r\nMULTI\r\nSSUBSCRIBE s\r\nEXEC\r\n",
        b"-ERR wrong number of arguments for 'subscribe' command\r\n\
          -ERR wrong number of arguments for 'pubsub' command\r\n\
          -ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n\
          -ERR wrong number of arguments for 'pubsub|numpat' command\r\n+OK\r\n+QUEUED\r\n\
          *1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n",
    );
}

#[test]
fn resp3_pushes_interleave_with_replies_and_reset_leaves_everything() {
    let srv = Server::start(&[]);
    let mut sub = srv.wire();
    sub.resp3 = true;
    sub.send(b"HELLO 3\r\n");
    sub.read_frame();
    sub.exchange(
        b"SUBSCRIBE news\r\nSET k v\r\nGET k\r\nPING\r\n",
        b">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n+OK\r\n$1\r\nv\r\n+PONG\r\n",
    );
    let mut publisher = srv.wire();
    publisher.exchange(b"PUBLISH news x\r\nSPUBLISH news y\r\n", b":1\r\n:0\r\n");
    let push = b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$1\r\nx\r\n";
    assert_eq!(sub.read_exact(push.len()), push);
    sub.exchange(
        b"SSUBSCRIBE s1\r\nRESET\r\nPUBSUB NUMSUB news\r\n",
        b">3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n+RESET\r\n*2\r\n$4\r\nnews\r\n:0\r\n",
    );
    publisher.exchange(b"PUBLISH news z\r\nSPUBLISH s1 z\r\n", b":0\r\n:0\r\n");
}

#[test]
fn sync_client_receives_channel_and_pattern_messages() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let mut publisher = srv.redis();
    let mut ps = con.as_pubsub();
    ps.set_read_timeout(Some(WAIT)).unwrap();
    ps.subscribe("orders").unwrap();
    ps.psubscribe("ord*").unwrap();
    assert_eq!(int(&mut publisher, &["PUBLISH", "orders", "o-1"]), 2);
    assert_eq!(int(&mut publisher, &["PUBLISH", "ordinal", "o-2"]), 1);
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = ps.get_message().unwrap();
        let pattern: Option<String> = m.get_pattern().ok();
        got.push((
            m.get_channel_name().to_string(),
            pattern,
            m.get_payload::<String>().unwrap(),
        ));
    }
    assert_eq!(
        got,
        [
            ("orders".to_string(), None, "o-1".to_string()),
            ("orders".to_string(), Some("ord*".to_string()), "o-1".to_string()),
            ("ordinal".to_string(), Some("ord*".to_string()), "o-2".to_string()),
        ]
    );
    ps.unsubscribe("orders").unwrap();
    ps.punsubscribe("ord*").unwrap();
    drop(ps);
    // Out of the subscribed state, the connection runs commands again.
    let v: Option<String> = q(&mut con, &["GET", "nothing"]);
    assert_eq!(v, None);
    assert_eq!(int(&mut publisher, &["PUBLISH", "orders", "o-3"]), 0);
}

#[test]
fn async_resp2_pubsub_delivers_in_publish_order() {
    let srv = Server::start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ps = srv.redis_client(false).get_async_pubsub().await.unwrap();
        ps.subscribe("events").await.unwrap();
        let mut publisher = srv.redis_async(false).await.unwrap();
        for i in 0..200 {
            let n: i64 = redis::cmd("PUBLISH")
                .arg("events")
                .arg(format!("e{i}"))
                .query_async(&mut publisher)
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
        let mut stream = ps.on_message();
        for i in 0..200 {
            let m = tokio::time::timeout(WAIT, stream.next()).await.unwrap().unwrap();
            assert_eq!(m.get_payload::<String>().unwrap(), format!("e{i}"));
        }
    });
}

#[test]
fn async_resp3_connection_gets_pushes_beside_its_replies() {
    let srv = Server::start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cfg = redis::AsyncConnectionConfig::new()
            .set_response_timeout(Some(WAIT))
            .set_push_sender(tx);
        let mut con = srv
            .redis_client(true)
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .unwrap();
        con.subscribe("c1").await.unwrap();
        // No typed SSUBSCRIBE in the crate: the confirmation is a push
        // with no reply of its own, as the crate sends SUBSCRIBE.
        redis::cmd("SSUBSCRIBE")
            .arg("s1")
            .set_no_response(true)
            .exec_async(&mut con)
            .await
            .unwrap();
        // A reply after it says SSUBSCRIBE ran, before another connection
        // publishes.
        let _: String = redis::cmd("PING").query_async(&mut con).await.unwrap();
        let mut publisher = srv.redis_async(true).await.unwrap();
        let n: i64 = redis::cmd("PUBLISH")
            .arg("c1")
            .arg("hello")
            .query_async(&mut publisher)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let n: i64 = redis::cmd("SPUBLISH")
            .arg("s1")
            .arg("shard")
            .query_async(&mut publisher)
            .await
            .unwrap();
        assert_eq!(n, 1);
        // The subscribed RESP3 connection still runs ordinary commands.
        let () = redis::cmd("SET").arg("k").arg("v").query_async(&mut con).await.unwrap();
        let v: String = redis::cmd("GET").arg("k").query_async(&mut con).await.unwrap();
        assert_eq!(v, "v");
        let mut kinds = Vec::new();
        while kinds.len() < 4 {
            let p = tokio::time::timeout(WAIT, rx.recv()).await.unwrap().unwrap();
            kinds.push((p.kind.clone(), p.data.last().cloned()));
        }
        assert_eq!(
            kinds,
            [
                (PushKind::Subscribe, Some(Value::Int(1))),
                (PushKind::SSubscribe, Some(Value::Int(1))),
                (PushKind::Message, Some(Value::BulkString(b"hello".to_vec()))),
                (PushKind::SMessage, Some(Value::BulkString(b"shard".to_vec()))),
            ]
        );
    });
}

#[test]
fn sync_resp3_connection_reads_pushes_as_it_polls() {
    let srv = Server::start(&[]);
    let mut con = srv.redis_client(true).get_connection().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    con.set_push_sender(tx);
    con.psubscribe_resp3("news.*").unwrap();
    // PSUBSCRIBE has no reply to wait for: a PING's reply says it ran,
    // before another connection publishes.
    let _: String = redis::cmd("PING").query(&mut con).unwrap();
    let mut publisher = srv.redis();
    assert_eq!(int(&mut publisher, &["PUBLISH", "news.eu", "m"]), 1);
    let mut seen = Vec::new();
    while !seen.iter().any(|p: &redis::PushInfo| p.kind == PushKind::PMessage) {
        let _: String = redis::cmd("PING").query(&mut con).unwrap();
        seen.extend(rx.try_iter());
    }
    let m = seen.iter().find(|p| p.kind == PushKind::PMessage).unwrap();
    assert_eq!(
        m.data,
        [
            Value::BulkString(b"news.*".to_vec()),
            Value::BulkString(b"news.eu".to_vec()),
            Value::BulkString(b"m".to_vec()),
        ]
    );
}

#[test]
fn publish_works_from_multi_and_scripts() {
    let srv = Server::start(&[]);
    let mut sub = srv.wire();
    sub.exchange(b"SUBSCRIBE ch\r\n", b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    let mut con = srv.redis();
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("PUBLISH")
        .arg("ch")
        .arg("from-multi")
        .cmd("EVAL")
        .arg("return redis.call('PUBLISH', 'ch', ARGV[1])")
        .arg(0)
        .arg("from-lua")
        .query(&mut con)
        .unwrap();
    assert_eq!((a, b), (1, 1));
    let expect = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$10\r\nfrom-multi\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$8\r\nfrom-lua\r\n";
    assert_eq!(sub.read_exact(expect.len()), expect);
    // PUBLISH may replicate: a read-only script may not run it.
    let e = compat_tests::query::err(&mut con, &["EVAL_RO", "return redis.call('PUBLISH', 'ch', 'x')", "0"]);
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts."),
        "{e}"
    );
    // SUBSCRIBE itself is no script command.
    let e = compat_tests::query::err(&mut con, &["EVAL", "return redis.call('SUBSCRIBE', 'x')", "0"]);
    assert!(e.contains("not allowed from script"), "{e}");
}

#[test]
fn client_list_shows_subscriptions_and_type_pubsub_filters() {
    let srv = Server::start(&[]);
    let mut sub = srv.wire();
    sub.exchange(b"CLIENT SETNAME listener\r\n", b"+OK\r\n");
    sub.send(b"SUBSCRIBE a b\r\nPSUBSCRIBE p*\r\nSSUBSCRIBE s\r\n");
    for _ in 0..4 {
        sub.read_frame();
    }
    let mut con = srv.redis();
    let list: String = q(&mut con, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(
        list.contains("name=listener") && list.contains("flags=P ") && list.contains("sub=2 psub=1 ssub=1"),
        "{list}"
    );
    let normal: String = q(&mut con, &["CLIENT", "LIST", "TYPE", "normal"]);
    assert!(!normal.contains("listener"), "{normal}");
    let info: String = q(&mut con, &["INFO", "stats"]);
    for field in ["pubsub_channels:2", "pubsub_patterns:1", "pubsubshard_channels:1"] {
        assert!(info.contains(field), "{field} in {info}");
    }
    assert_eq!(int(&mut con, &["CLIENT", "KILL", "TYPE", "pubsub"]), 1);
    let (_, _) = sub.read_to_close();
    // The killed subscriber left every channel.
    let mut gone = false;
    for _ in 0..1000 {
        let n: Vec<Value> = q(&mut con, &["PUBSUB", "NUMSUB", "a"]);
        if n.get(1) == Some(&Value::Int(0)) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(gone, "subscription outlived its connection");
}

#[test]
fn acl_channel_rules_gate_publish_and_subscribe_and_close_refused_subscribers() {
    let srv = Server::start(&[]);
    let mut admin = srv.redis();
    let _: () = q(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "feeds",
            "on",
            ">pw",
            "+@all",
            "~*",
            "resetchannels",
            "&news.*",
        ],
    );
    let mut w = srv.wire();
    w.exchange(b"AUTH feeds pw\r\n", b"+OK\r\n");
    w.exchange(b"PUBLISH news.eu x\r\n", b":0\r\n");
    w.exchange(
        b"PUBLISH sports x\r\n",
        b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n",
    );
    // A pattern subscription must name an allowed pattern letter for letter.
    w.exchange(
        b"PSUBSCRIBE news.e*\r\n",
        b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n",
    );
    w.exchange(
        b"PSUBSCRIBE news.*\r\n",
        b"*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n",
    );
    let log: Vec<Value> = q(&mut admin, &["ACL", "LOG", "1"]);
    let text = format!("{log:?}");
    assert!(text.contains("channel") && text.contains("news.e*"), "{text}");
    // Rules that still allow the pattern keep the subscriber; taking it
    // away closes the connection.
    let _: () = q(&mut admin, &["ACL", "SETUSER", "feeds", "&other"]);
    w.exchange(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    let _: () = q(&mut admin, &["ACL", "SETUSER", "feeds", "resetchannels", "&other"]);
    let (_, _) = w.read_to_close();
}

/// A subscriber that never reads while a publisher sends 200 MB: the
/// subscriber is closed by the pubsub output limit (default 32mb 8mb 60),
/// the server's memory stays bounded, and another subscriber gets every
/// message. The publisher never runs more than 64 messages ahead of the
/// reading subscriber, so only the one that does not read can fall behind.
#[test]
fn slow_subscriber_is_closed_and_others_get_every_message() {
    use std::io::Read;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let srv = Server::start(&[]);
    let mut slow = srv.wire();
    slow.exchange(
        b"SUBSCRIBE flood\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n",
    );
    let payload = vec![b'x'; 64 * 1024];
    let frame_len = format!("*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n${}\r\n", payload.len()).len() + payload.len() + 2;
    let rounds: u64 = 200 * 16; // 200 MB of 64 KB messages
    let read = Arc::new(AtomicU64::new(0));
    let mut fast = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    fast.set_read_timeout(Some(WAIT)).unwrap();
    std::io::Write::write_all(&mut fast, b"SUBSCRIBE flood\r\n").unwrap();
    let confirm = b"*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n".len() as u64;
    let counter = {
        let read = read.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            let mut tail = Vec::new();
            loop {
                let n = fast.read(&mut buf).expect("the reading subscriber stays connected");
                assert!(n > 0, "the reading subscriber was closed");
                read.fetch_add(n as u64, Ordering::Relaxed);
                tail.extend_from_slice(&buf[..n]);
                if tail.ends_with(b"end-of-flood\r\n") {
                    return read.load(Ordering::Relaxed);
                }
                let keep = tail.len().saturating_sub(64);
                tail.drain(..keep);
            }
        })
    };
    let mut con = srv.redis();
    let wait_read = |bytes: u64| {
        let start = std::time::Instant::now();
        while read.load(Ordering::Relaxed) < bytes {
            assert!(start.elapsed() < WAIT, "the reading subscriber stopped receiving");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    wait_read(confirm);
    let base_kb = srv.rss_kb();
    let mut peak_kb = base_kb;
    let mut receivers = Vec::new();
    for i in 0..rounds {
        if i % 64 == 0 {
            wait_read(confirm + i.saturating_sub(64) * frame_len as u64);
            peak_kb = peak_kb.max(srv.rss_kb());
        }
        let n: i64 = redis::cmd("PUBLISH")
            .arg("flood")
            .arg(&payload[..])
            .query(&mut con)
            .unwrap();
        receivers.push(n);
    }
    let n: i64 = redis::cmd("PUBLISH")
        .arg("flood")
        .arg("end-of-flood")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 1, "only the reading subscriber is left");
    let end = b"*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n$12\r\nend-of-flood\r\n".len() as u64;
    assert_eq!(
        counter.join().unwrap(),
        confirm + rounds * frame_len as u64 + end,
        "the reading subscriber got every message, whole"
    );
    assert_eq!(receivers[0], 2);
    assert_eq!(receivers[rounds as usize - 1], 1);
    let (_, _) = slow.read_to_close();
    let info: String = q(&mut con, &["INFO", "stats"]);
    assert!(info.contains("client_output_buffer_limit_disconnections:1"), "{info}");
    // 200 MB went through; the server held about one hard limit's worth.
    assert!(
        peak_kb < base_kb + 96 * 1024,
        "rss grew from {base_kb} kB to {peak_kb} kB"
    );
}
