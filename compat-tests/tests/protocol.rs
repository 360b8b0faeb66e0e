//! RESP wire transcripts: inline and multibulk requests, pipelines,
//! protocol errors and command errors, byte for byte.
//!
//! The expected bytes were taken from redis-server 7.0.15 given the same
//! input; replies are decoded with the `redis-protocol` crate, or compared
//! raw where the exact bytes matter.

use compat_tests::{multibulk, End, Frame, Server, Wire};

fn err(s: &str) -> Frame {
    Frame::error(s)
}

/// Sends `input` on a fresh connection, expects exactly `reply` and then
/// the connection closing, as Redis does after a protocol error.
fn expect_reply_then_close(srv: &Server, input: &[u8], reply: &[u8]) {
    let mut w = srv.wire();
    // The server may close before taking all of a large input.
    let _ = w.try_send(input);
    // Closed or reset (when the server left some of our bytes unread),
    // the reply comes first either way.
    let (got, _end) = w.read_to_close();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(reply),
        "input {:?}",
        String::from_utf8_lossy(&input[..input.len().min(60)])
    );
}

#[test]
fn inline_ping_with_crlf_and_with_lf() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    w.send(b"PING\r\n");
    assert_eq!(w.read_exact(7), b"+PONG\r\n");
    w.send(b"PING\n");
    assert_eq!(w.read_exact(7), b"+PONG\r\n");
    w.send(b"pInG\r\n");
    assert_eq!(w.read_exact(7), b"+PONG\r\n");
    w.send(b"ping hello\r\n");
    assert_eq!(w.read_exact(11), b"$5\r\nhello\r\n");
}

#[test]
fn inline_blanks_and_empty_lines_are_ignored() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let replies = w.transcript(b"\r\n\n   \r\n\tPING\t\r\n  PING  \r\nPING\r\r\n", 3);
    assert_eq!(replies, vec![Frame::simple("PONG"); 3]);
}

#[test]
fn inline_quoted_arguments() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let cases: &[(&[u8], &[u8])] = &[
        (b"ECHO \"a b\"\r\n", b"a b"),
        (b"ECHO 'c d'\r\n", b"c d"),
        (b"ECHO \"\\x41\\n\"\r\n", b"A\n"),
        (b"ECHO \"\\xZZ\"\r\n", b"xZZ"),
        (b"ECHO \"a\\\"b\"\r\n", b"a\"b"),
        (b"ECHO 'a\\'b'\r\n", b"a'b"),
        (b"ECHO a\"b\"\r\n", b"ab"),
        (b"ECHO \"\"\r\n", b""),
        (b"ECHO ''\r\n", b""),
        (b"ECHO \"\\t\\r\\x00\"\r\n", b"\t\r\x00"),
    ];
    for (input, want) in cases {
        w.send(input);
        assert_eq!(
            w.read_frame(),
            Frame::bulk(want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    // Quotes group words: two arguments for ECHO is an arity error.
    w.send(b"ECHO \"a b\" 'c d'\r\n");
    assert_eq!(w.read_frame(), err("ERR wrong number of arguments for 'echo' command"));
    // A quoted inline value with escapes is stored as the bytes it names.
    w.send(b"SET \"k\\x00\" \"v\\xff\\r\\n\"\r\n");
    assert_eq!(w.read_frame(), Frame::ok());
    assert_eq!(w.cmd(&[b"GET", b"k\x00"]), Frame::bulk(b"v\xff\r\n"));
}

#[test]
fn multibulk_requests_and_reply_types() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    w.send(b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(w.read_exact(7), b"+PONG\r\n");
    w.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\r\n\r\n");
    assert_eq!(w.read_exact(5), b"+OK\r\n");
    w.send(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(w.read_exact(9), b"$3\r\na\r\n\r\n");
    w.send(b"*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n");
    assert_eq!(w.read_exact(5), b"$-1\r\n");
    w.send(b"*3\r\n$6\r\nEXISTS\r\n$1\r\nk\r\n$1\r\nk\r\n");
    assert_eq!(w.read_exact(4), b":2\r\n");
    w.send(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    assert_eq!(w.read_exact(6), b"$0\r\n\r\n");
    w.send(b"*1\r\n$4\r\nTIME\r\n");
    match w.read_frame() {
        Frame::Array(parts) => {
            assert_eq!(parts.len(), 2);
            for p in parts {
                let Frame::Bulk(b) = p else { panic!("TIME part {p:?}") };
                assert!(!b.is_empty() && b.iter().all(u8::is_ascii_digit), "{b:?}");
            }
        }
        other => panic!("TIME replied {other:?}"),
    }
}

#[test]
fn empty_and_negative_multibulk_counts_are_skipped() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let replies = w.transcript(b"*0\r\n*-1\r\n*-5\r\nPING\r\n*0\r\n*1\r\n$4\r\nPING\r\n", 2);
    assert_eq!(replies, vec![Frame::simple("PONG"); 2]);
}

#[test]
fn pipelined_mix_of_inline_and_multibulk_in_one_write() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let mut input = Vec::new();
    input.extend(b"SET a 1\r\n");
    input.extend(multibulk(&[b"GET", b"a"]));
    input.extend(b"PING\r\n");
    input.extend(multibulk(&[b"NOSUCH", b"x"]));
    input.extend(b"GET\r\n");
    input.extend(multibulk(&[b"DEL", b"a", b"b"]));
    input.extend(b"EXISTS a\n");
    input.extend(multibulk(&[b"ECHO", b"bin\x00\r\n"]));
    let replies = w.transcript(&input, 8);
    assert_eq!(
        replies,
        vec![
            Frame::ok(),
            Frame::bulk("1"),
            Frame::simple("PONG"),
            err("ERR unknown command 'NOSUCH', with args beginning with: 'x' "),
            err("ERR wrong number of arguments for 'get' command"),
            Frame::Integer(1),
            Frame::Integer(0),
            Frame::bulk(b"bin\x00\r\n"),
        ]
    );
}

#[test]
fn requests_sent_one_byte_at_a_time() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let mut input = multibulk(&[b"SET", b"slow", b"va\r\nlue"]);
    input.extend(b"GET slow\r\n");
    input.extend(multibulk(&[b"GET", b"slow"]));
    w.send_in_pieces(&input, 1);
    assert_eq!(w.read_frame(), Frame::ok());
    assert_eq!(w.read_frame(), Frame::bulk("va\r\nlue"));
    assert_eq!(w.read_frame(), Frame::bulk("va\r\nlue"));
}

#[test]
fn large_pipeline_replies_in_order() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let n = 20_000;
    let mut input = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            input.extend(multibulk(&[
                b"SET",
                format!("k{i}").as_bytes(),
                format!("v{i}").as_bytes(),
            ]));
        } else {
            input.extend(format!("GET k{}\r\n", i - 1).into_bytes());
        }
    }
    let sender = w.send_in_background(input);
    for i in 0..n {
        let want = if i % 2 == 0 {
            Frame::ok()
        } else {
            Frame::bulk(format!("v{}", i - 1))
        };
        assert_eq!(w.read_frame(), want, "reply {i}");
    }
    sender.join().unwrap().unwrap();
    assert_eq!(w.cmd(&[b"DBSIZE"]), Frame::Integer(n as i64 / 2));
}

/// Each protocol error, worded as redis-server 7.0.15 words it.
#[test]
fn protocol_errors_are_replied_then_the_connection_closes() {
    let srv = Server::start(&[]);
    let cases: &[(&[u8], &str)] = &[
        (b"*x\r\n", "invalid multibulk length"),
        (b"*\r\n", "invalid multibulk length"),
        (b"* 1\r\n", "invalid multibulk length"),
        (b"*01\r\n", "invalid multibulk length"),
        (b"*1\n$4\r\nPING\r\n", "invalid multibulk length"),
        (b"*3000000000\r\n", "invalid multibulk length"),
        (b"*2147483648\r\n", "invalid multibulk length"),
        (b"*1\r\n+OK\r\n", "expected '$', got '+'"),
        (b"*2\r\n$3\r\nGET\r\nxk\r\n", "expected '$', got 'x'"),
        (b"*1\r\n:1\r\n", "expected '$', got ':'"),
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\n$-0\r\n", "invalid bulk length"),
        (b"*1\r\n$\r\n", "invalid bulk length"),
        (b"*1\r\n$abc\r\n", "invalid bulk length"),
        (b"*1\r\n$ 4\r\n", "invalid bulk length"),
        (b"*1\r\n$+4\r\n", "invalid bulk length"),
        (b"*1\r\n$536870913\r\n", "invalid bulk length"),
        (b"*1\r\n$99999999999999999999\r\n", "invalid bulk length"),
        (b"set a \"b\r\n", "unbalanced quotes in request"),
        (b"set a \"b\"c\r\n", "unbalanced quotes in request"),
        (b"set a 'b\r\n", "unbalanced quotes in request"),
        (b"set a 'b'c\r\n", "unbalanced quotes in request"),
    ];
    for (input, msg) in cases {
        expect_reply_then_close(&srv, input, format!("-ERR Protocol error: {msg}\r\n").as_bytes());
    }
}

#[test]
fn too_big_requests_without_newline_are_protocol_errors() {
    let srv = Server::start(&[]);
    let over = 64 * 1024 + 1;
    let inline = vec![b'a'; over];
    expect_reply_then_close(&srv, &inline, b"-ERR Protocol error: too big inline request\r\n");
    let mut mbulk = b"*".to_vec();
    mbulk.extend(vec![b'1'; over]);
    expect_reply_then_close(&srv, &mbulk, b"-ERR Protocol error: too big mbulk count string\r\n");
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend(vec![b'1'; over]);
    expect_reply_then_close(&srv, &bulk, b"-ERR Protocol error: too big bulk count string\r\n");
    let mut no_dollar = b"*1\r\n".to_vec();
    no_dollar.extend(vec![b'x'; over]);
    expect_reply_then_close(&srv, &no_dollar, b"-ERR Protocol error: too big bulk count string\r\n");
    // Just under the limit is a request still arriving: finishing it works.
    let mut w = srv.wire();
    let mut long = b"ECHO ".to_vec();
    long.extend(vec![b'z'; 64 * 1024 - 100]);
    w.send(&long);
    w.send(b"\r\n");
    assert_eq!(w.read_frame(), Frame::Bulk(vec![b'z'; 64 * 1024 - 100]));
}

#[test]
fn replies_before_a_protocol_error_are_sent_and_later_requests_are_not_run() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    w.send(b"*1\r\n$4\r\nPING\r\nPING\r\nSET before 1\r\n*x\r\nSET after 1\r\n");
    let (got, _) = w.read_to_close();
    assert_eq!(
        String::from_utf8_lossy(&got),
        "+PONG\r\n+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n"
    );
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"EXISTS", b"before", b"after"]), Frame::Integer(1));
}

#[test]
fn a_protocol_error_does_not_disturb_other_connections() {
    let srv = Server::start(&[]);
    let mut good = srv.wire();
    assert_eq!(good.cmd(&[b"SET", b"k", b"v"]), Frame::ok());
    let mut bad = srv.wire();
    bad.send(b"*1\r\n$-5\r\n");
    let (got, _) = bad.read_to_close();
    assert_eq!(got, b"-ERR Protocol error: invalid bulk length\r\n");
    assert_eq!(good.cmd(&[b"GET", b"k"]), Frame::bulk("v"));
}

#[test]
fn unknown_command_text_previews_arguments() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let a200 = "a".repeat(200);
    let a100 = "a".repeat(100);
    let b100 = "b".repeat(100);
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            b"nosuch a b\r\n".to_vec(),
            "ERR unknown command 'nosuch', with args beginning with: 'a' 'b' ".into(),
        ),
        (
            b"nosuch\r\n".to_vec(),
            "ERR unknown command 'nosuch', with args beginning with: ".into(),
        ),
        (
            format!("nosuch {a200} b\r\n").into_bytes(),
            format!(
                "ERR unknown command 'nosuch', with args beginning with: '{}' ",
                &a200[..128]
            ),
        ),
        (
            format!("{} a\r\n", "x".repeat(200)).into_bytes(),
            format!(
                "ERR unknown command '{}', with args beginning with: 'a' ",
                "x".repeat(128)
            ),
        ),
        (
            format!("nosuch {a100} {b100} c\r\n").into_bytes(),
            format!(
                "ERR unknown command 'nosuch', with args beginning with: '{a100}' '{}' ",
                &b100[..25]
            ),
        ),
        // Redis turns CR and LF in the echoed text into spaces, so the
        // error stays one line.
        (
            b"nosuch \"a\\r\\nb\"\r\n".to_vec(),
            "ERR unknown command 'nosuch', with args beginning with: 'a  b' ".into(),
        ),
        (
            multibulk(&[b""]),
            "ERR unknown command '', with args beginning with: ".into(),
        ),
    ];
    for (input, want) in cases {
        w.send(&input);
        assert_eq!(w.read_frame(), err(&want));
    }
    // Still connected.
    assert_eq!(w.cmd(&[b"PING"]), Frame::simple("PONG"));
}

#[test]
fn arity_errors_name_the_command() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let cases: &[&[u8]] = &[
        b"get\r\n",
        b"get a b\r\n",
        b"set\r\n",
        b"set k\r\n",
        b"del\r\n",
        b"exists\r\n",
        b"echo\r\n",
        b"echo a b\r\n",
        b"select\r\n",
        b"select 1 2\r\n",
        b"dbsize x\r\n",
        b"time x\r\n",
        b"ping a b\r\n",
    ];
    for input in cases {
        let text = String::from_utf8_lossy(input);
        let name = text.split_whitespace().next().unwrap().to_string();
        w.send(input);
        assert_eq!(
            w.read_frame(),
            err(&format!("ERR wrong number of arguments for '{name}' command")),
            "{text:?}"
        );
    }
    // The command name in the error is lower case whatever was sent.
    w.send(b"GeT\r\n");
    assert_eq!(w.read_frame(), err("ERR wrong number of arguments for 'get' command"));
}

#[test]
fn command_errors_keep_the_connection() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let cases: &[(&[u8], &str)] = &[
        (b"select -1\r\n", "ERR DB index is out of range"),
        (b"select 16\r\n", "ERR DB index is out of range"),
        (b"select x\r\n", "ERR value is not an integer or out of range"),
        (b"select 1.5\r\n", "ERR value is not an integer or out of range"),
        (b"SET k v xx nx\r\n", "ERR syntax error"),
        (b"SET k v PX 10 EX 10\r\n", "ERR syntax error"),
        (b"SET k v EX 0\r\n", "ERR invalid expire time in 'set' command"),
        (b"SET k v EX -1\r\n", "ERR invalid expire time in 'set' command"),
        (b"SET k v EX abc\r\n", "ERR value is not an integer or out of range"),
        (b"flushdb x\r\n", "ERR syntax error"),
        (b"flushall bogus\r\n", "ERR syntax error"),
    ];
    for (input, want) in cases {
        w.send(input);
        assert_eq!(w.read_frame(), err(want), "{:?}", String::from_utf8_lossy(input));
    }
    assert_eq!(w.cmd(&[b"SELECT", b"15"]), Frame::ok());
    assert_eq!(w.cmd(&[b"PING"]), Frame::simple("PONG"));
}

#[test]
fn set_options_reply_as_redis_does() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let replies = w.transcript(
        b"SET k v GET\r\nSET k v2 GET\r\nSET k v NX\r\nSET k v3 XX GET\r\nSET n v XX\r\nGET k\r\nSET k v EX 100\r\n",
        7,
    );
    assert_eq!(
        replies,
        vec![
            Frame::Null,
            Frame::bulk("v"),
            Frame::Null,
            Frame::bulk("v2"),
            Frame::Null,
            Frame::bulk("v3"),
            Frame::ok(),
        ]
    );
}

#[test]
fn flush_variants_reply_ok() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    let replies = w.transcript(
        b"SET a 1\r\nFLUSHDB ASYNC\r\nSET a 1\r\nFLUSHDB sync\r\nFLUSHALL SYNC\r\nFLUSHALL async\r\nDBSIZE\r\n",
        7,
    );
    assert_eq!(
        replies,
        vec![
            Frame::ok(),
            Frame::ok(),
            Frame::ok(),
            Frame::ok(),
            Frame::ok(),
            Frame::ok(),
            Frame::Integer(0),
        ]
    );
}

#[test]
fn quit_replies_ok_and_closes_without_running_what_follows() {
    let srv = Server::start(&[]);
    for quit in [&b"QUIT\r\n"[..], b"quit extra\r\n", &multibulk(&[b"QUIT"])] {
        let mut w = srv.wire();
        let mut input = quit.to_vec();
        input.extend(b"SET afterquit 1\r\n");
        w.send(&input);
        let (got, end) = w.read_to_close();
        assert_eq!(got, b"+OK\r\n");
        assert_eq!(end, End::Closed);
    }
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"EXISTS", b"afterquit"]), Frame::Integer(0));
}

#[test]
fn shutdown_with_bad_option_is_a_syntax_error_and_server_stays() {
    let mut srv = Server::start(&[]);
    let mut w = srv.wire();
    w.send(b"SHUTDOWN bogus\r\n");
    assert_eq!(w.read_frame(), err("ERR syntax error"));
    assert_eq!(w.cmd(&[b"PING"]), Frame::simple("PONG"));
    srv.assert_alive();
}

#[test]
fn shutdown_stops_the_server() {
    let mut srv = Server::start(&[]);
    let mut w: Wire = srv.wire();
    w.send(b"SHUTDOWN NOSAVE\r\n");
    let (got, _) = w.read_to_close();
    assert!(got.is_empty(), "SHUTDOWN replies nothing on success: {got:?}");
    let status = srv
        .wait_exit(std::time::Duration::from_secs(30))
        .expect("server exits after SHUTDOWN");
    assert!(status.success(), "{status}");
}

#[test]
fn memcache_only_configuration_serves_memcached_and_no_resp() {
    let srv = compat_tests::Options::memcache_only().start();
    assert_eq!(srv.port, 0);
    let mut w = srv.mc_wire();
    w.send(b"version\r\n");
    let line = w.read_line();
    assert!(line.ends_with(b"\r\n"), "{line:?}");
    // The binary was told --port 0: nothing of ours listens for RESP.
    assert!(!srv.log_lines().iter().any(|l| l.contains("RESP listening")));
}

/// Regression: the bulk-length limit was read once per connection, so
/// CONFIG SET proto-max-bulk-len did not reach connections already open.
#[test]
fn proto_max_bulk_len_set_at_runtime_applies_to_open_connections() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(w.cmd(&[b"CONFIG", b"SET", b"proto-max-bulk-len", b"1mb"]), Frame::ok());
    w.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
    assert_eq!(w.read_frame(), err("ERR Protocol error: invalid bulk length"));
    let (_, end) = w.read_to_close();
    assert!(matches!(end, End::Closed | End::Reset));
}
