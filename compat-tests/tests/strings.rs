//! Redis string commands through the `redis` crate and raw RESP transcripts,
//! against the real binary.

use compat_tests::query::{err, q};
use compat_tests::{multibulk, Server, Wire};

/// Sends one command and checks the reply bytes.
fn exchange(s: &mut Wire, args: &[&str], expect: &[u8]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    s.exchange(&multibulk(&args), expect);
}

#[test]
fn setnx_setex_psetex_getset_getdel() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["SETNX", "k", "1"]), 1);
    assert_eq!(q::<i64>(&mut con, &["SETNX", "k", "2"]), 0);
    assert_eq!(q::<String>(&mut con, &["GET", "k"]), "1");
    assert_eq!(q::<String>(&mut con, &["SETEX", "t", "100", "v"]), "OK");
    assert_eq!(q::<String>(&mut con, &["GET", "t"]), "v");
    assert_eq!(q::<String>(&mut con, &["PSETEX", "p", "100000", "v"]), "OK");
    assert_eq!(q::<String>(&mut con, &["GET", "p"]), "v");
    assert_eq!(q::<Option<String>>(&mut con, &["GETSET", "t", "w"]), Some("v".into()));
    assert_eq!(q::<String>(&mut con, &["GET", "t"]), "w");
    assert_eq!(q::<Option<String>>(&mut con, &["GETSET", "new", "x"]), None);
    assert_eq!(q::<Option<String>>(&mut con, &["GETDEL", "new"]), Some("x".into()));
    assert_eq!(q::<Option<String>>(&mut con, &["GETDEL", "new"]), None);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "new"]), 0);
}

#[test]
fn getex_sets_clears_and_expires() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(q::<String>(&mut con, &["GETEX", "k", "EX", "100"]), "v");
    assert_eq!(q::<String>(&mut con, &["GETEX", "k", "PERSIST"]), "v");
    assert_eq!(q::<String>(&mut con, &["GETEX", "k"]), "v");
    // A deadline in the past deletes the key once it is read.
    assert_eq!(q::<String>(&mut con, &["GETEX", "k", "EXAT", "1"]), "v");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(q::<Option<String>>(&mut con, &["GETEX", "missing"]), None);
}

#[test]
fn mget_mset_msetnx() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<String>(&mut con, &["MSET", "a", "1", "b", "2"]), "OK");
    let v: Vec<Option<String>> = q(&mut con, &["MGET", "a", "nokey", "b"]);
    assert_eq!(v, vec![Some("1".into()), None, Some("2".into())]);
    assert_eq!(q::<i64>(&mut con, &["MSETNX", "a", "x", "c", "3"]), 0);
    assert_eq!(
        q::<i64>(&mut con, &["EXISTS", "c"]),
        0,
        "MSETNX writes nothing when one key exists"
    );
    assert_eq!(q::<i64>(&mut con, &["MSETNX", "c", "3", "d", "4"]), 1);
    let v: Vec<String> = q(&mut con, &["MGET", "c", "d"]);
    assert_eq!(v, vec!["3", "4"]);
}

#[test]
fn append_strlen_getrange_setrange_substr() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["APPEND", "s", "hello"]), 5);
    assert_eq!(q::<i64>(&mut con, &["APPEND", "s", " world"]), 11);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "s"]), 11);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "nokey"]), 0);
    assert_eq!(q::<String>(&mut con, &["GETRANGE", "s", "0", "4"]), "hello");
    assert_eq!(q::<String>(&mut con, &["GETRANGE", "s", "-5", "-1"]), "world");
    assert_eq!(q::<String>(&mut con, &["GETRANGE", "s", "-1", "-5"]), "");
    assert_eq!(q::<String>(&mut con, &["SUBSTR", "s", "6", "100"]), "world");
    assert_eq!(q::<i64>(&mut con, &["SETRANGE", "s", "6", "WORLD"]), 11);
    assert_eq!(q::<String>(&mut con, &["GET", "s"]), "hello WORLD");
    assert_eq!(q::<i64>(&mut con, &["SETRANGE", "pad", "3", "x"]), 4);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "pad"]), b"\0\0\0x");
    assert_eq!(q::<i64>(&mut con, &["SETRANGE", "none", "3", ""]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "none"]), 0);
}

#[test]
fn integer_and_float_increments() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["INCR", "n"]), 1);
    assert_eq!(q::<i64>(&mut con, &["INCRBY", "n", "10"]), 11);
    assert_eq!(q::<i64>(&mut con, &["DECR", "n"]), 10);
    assert_eq!(q::<i64>(&mut con, &["DECRBY", "n", "20"]), -10);
    // An expiry already past when INCR runs leaves a fresh key, not 6.
    q::<()>(&mut con, &["SET", "t", "5", "PXAT", "1"]);
    assert_eq!(q::<i64>(&mut con, &["INCR", "t"]), 1);
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "f", "0.1"]), "0.1");
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "f", "0.2"]), "0.3");
    q::<()>(&mut con, &["SET", "g", "10.5"]);
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "g", "0.1"]), "10.6");
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "g", "-0.6"]), "10");
    assert_eq!(q::<String>(&mut con, &["INCRBYFLOAT", "h", "5.0e3"]), "5000");
}

#[test]
fn error_replies_are_worded_as_redis_words_them() {
    let srv = Server::start(&[]);
    let mut s = srv.wire();
    let cases: &[(&[&str], &str)] = &[
        (&["SET", "n", "9223372036854775807"], "+OK\r\n"),
        (&["INCR", "n"], "-ERR increment or decrement would overflow\r\n"),
        (
            &["DECRBY", "n", "-9223372036854775808"],
            "-ERR decrement would overflow\r\n",
        ),
        (&["SET", "s", "abc"], "+OK\r\n"),
        (&["INCR", "s"], "-ERR value is not an integer or out of range\r\n"),
        (
            &["INCRBY", "s", "x"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (&["INCRBYFLOAT", "s", "1"], "-ERR value is not a valid float\r\n"),
        (
            &["INCRBYFLOAT", "n", "inf"],
            "-ERR increment would produce NaN or Infinity\r\n",
        ),
        (
            &["SETEX", "k", "0", "v"],
            "-ERR invalid expire time in 'setex' command\r\n",
        ),
        (
            &["PSETEX", "k", "-1", "v"],
            "-ERR invalid expire time in 'psetex' command\r\n",
        ),
        (
            &["GETEX", "s", "EX", "0"],
            "-ERR invalid expire time in 'getex' command\r\n",
        ),
        (&["GETEX", "s", "EX", "1", "PX", "1"], "-ERR syntax error\r\n"),
        (&["GETEX", "s", "PERSIST", "EX", "1"], "-ERR syntax error\r\n"),
        (
            &["MSET", "a", "1", "b"],
            "-ERR wrong number of arguments for 'mset' command\r\n",
        ),
        (
            &["MSETNX", "a"],
            "-ERR wrong number of arguments for 'msetnx' command\r\n",
        ),
        (&["SETRANGE", "s", "-1", "x"], "-ERR offset is out of range\r\n"),
        (
            &["SETRANGE", "s", "536870912", "x"],
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
        ),
        (
            &["GETRANGE", "s", "a", "1"],
            "-ERR value is not an integer or out of range\r\n",
        ),
        (
            &["SETNX", "k"],
            "-ERR wrong number of arguments for 'setnx' command\r\n",
        ),
        (&["GETDEL", "nokey"], "$-1\r\n"),
    ];
    for (args, expect) in cases {
        exchange(&mut s, args, expect.as_bytes());
    }
}

#[test]
fn append_beyond_proto_max_bulk_len_is_refused() {
    let conf = std::env::temp_dir().join(format!("ferrocache-strings-{}.conf", std::process::id()));
    std::fs::write(&conf, "proto-max-bulk-len 1mb\n").unwrap();
    let srv = Server::start(&["--config", conf.to_str().unwrap()]);
    let mut con = srv.redis();
    let big = "x".repeat(600 * 1024);
    q::<i64>(&mut con, &["APPEND", "k", &big]);
    let e = err(&mut con, &["APPEND", "k", &big]);
    assert!(
        e.contains("string exceeds maximum allowed size (proto-max-bulk-len)"),
        "{e}"
    );
    let e = err(&mut con, &["SETRANGE", "k", "600000", &big]);
    assert!(e.contains("string exceeds maximum allowed size"), "{e}");
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "k"]), 600 * 1024);
    let _ = std::fs::remove_file(conf);
}

/// A stored number with a NUL byte inside is not a number, for
/// INCRBYFLOAT and HINCRBYFLOAT alike: C's strtold would stop at the NUL.
#[test]
fn float_increments_refuse_a_stored_value_with_a_nul_inside() {
    let s = compat_tests::Server::start(&[]);
    let mut w = s.wire();
    assert_eq!(w.cmd(&[b"SET", b"foo", b"1"]), compat_tests::Frame::ok());
    assert_eq!(
        w.cmd(&[b"SETRANGE", b"foo", b"2", b"2"]),
        compat_tests::Frame::Integer(3)
    );
    assert_eq!(
        w.cmd(&[b"INCRBYFLOAT", b"foo", b"1"]),
        compat_tests::Frame::error("ERR value is not a valid float")
    );
    assert_eq!(
        w.cmd(&[b"HSET", b"h", b"f", b"1\x002"]),
        compat_tests::Frame::Integer(1)
    );
    assert_eq!(
        w.cmd(&[b"HINCRBYFLOAT", b"h", b"f", b"1"]),
        compat_tests::Frame::error("ERR hash value is not a float")
    );
    assert_eq!(w.cmd(&[b"GET", b"foo"]), compat_tests::Frame::bulk(b"1\x002"));
}
