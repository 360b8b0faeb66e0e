//! Bitmap commands (and string encodings) through the `redis` crate,
//! against the real binary. Expected replies are those of Redis 7.

use compat_tests::query::{err, q};
use compat_tests::Server;

#[test]
fn setbit_and_getbit_grow_the_string_with_zero_bytes() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "7", "1"]), 0);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "7", "1"]), 1);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "b"]), vec![1u8]);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "23", "1"]), 0);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "b"]), vec![1u8, 0, 1]);
    assert_eq!(q::<i64>(&mut con, &["GETBIT", "b", "23"]), 1);
    assert_eq!(q::<i64>(&mut con, &["GETBIT", "b", "22"]), 0);
    assert_eq!(q::<i64>(&mut con, &["GETBIT", "b", "1000"]), 0);
    assert_eq!(q::<i64>(&mut con, &["GETBIT", "missing", "0"]), 0);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "b", "7", "0"]), 1);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "b"]), vec![0u8, 0, 1]);
    // Setting a bit to 0 still creates the key, as Redis does.
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "z", "15", "0"]), 0);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "z"]), 2);
    // A large value, kept off the chunk, changes too.
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "big", "8000000", "1"]), 0);
    assert_eq!(q::<i64>(&mut con, &["SETBIT", "big", "5", "1"]), 0);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "big"]), 2);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "big"]), 1_000_001);
}

#[test]
fn setbit_and_getbit_errors() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    for bad in ["-1", "x", "4294967296", "1.5"] {
        assert!(err(&mut con, &["SETBIT", "b", bad, "1"]).contains("bit offset is not an integer or out of range"));
        assert!(err(&mut con, &["GETBIT", "b", bad]).contains("bit offset is not an integer or out of range"));
    }
    for bad in ["2", "-1", "x"] {
        assert!(err(&mut con, &["SETBIT", "b", "0", bad]).contains("bit is not an integer or out of range"));
    }
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "b"]), 0);
    assert!(err(&mut con, &["SETBIT", "b", "1"]).contains("wrong number of arguments for 'setbit' command"));
}

#[test]
fn bitcount_counts_bytes_and_bit_ranges() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "k", "foobar"]);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k"]), 26);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "0", "0"]), 4);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "1", "1"]), 6);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "1", "1", "BYTE"]), 6);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "5", "30", "BIT"]), 17);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "-2", "-1"]), 7);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "-1", "-2"]), 0);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "-100", "-200"]), 0);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "k", "10", "20"]), 0);
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "missing"]), 0);
    assert!(err(&mut con, &["BITCOUNT", "k", "0"]).contains("syntax error"));
    assert!(err(&mut con, &["BITCOUNT", "k", "0", "1", "BITS"]).contains("syntax error"));
    assert!(err(&mut con, &["BITCOUNT", "k", "a", "1"]).contains("value is not an integer or out of range"));
    // As Redis 7: a missing key answers 0 before its range is read.
    assert_eq!(q::<i64>(&mut con, &["BITCOUNT", "missing", "0"]), 0);
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    redis::cmd("SET")
        .arg("k")
        .arg(&[0xffu8, 0xf0, 0x00][..])
        .query::<()>(&mut con)
        .unwrap();
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "0"]), 12);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "1", "2"]), -1);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "1", "1"]), 8);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "1", "7", "15", "BIT"]), 7);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "0", "0", "0"]), -1);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "k", "0", "2", "-1", "BYTE"]), 16);
    redis::cmd("SET")
        .arg("ones")
        .arg(&[0xffu8][..])
        .query::<()>(&mut con)
        .unwrap();
    // No clear bit and no end: the first bit past the string.
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "ones", "0"]), 8);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "ones", "0", "0", "-1"]), -1);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "missing", "0"]), 0);
    assert_eq!(q::<i64>(&mut con, &["BITPOS", "missing", "1"]), -1);
    assert!(err(&mut con, &["BITPOS", "k", "2"]).contains("The bit argument must be 1 or 0."));
    assert!(err(&mut con, &["BITPOS", "k", "1", "0", "1", "BITS"]).contains("syntax error"));
    assert!(err(&mut con, &["BITPOS", "k", "1", "x"]).contains("value is not an integer or out of range"));
}

#[test]
fn bitop_and_or_xor_not_pad_with_zero_bytes_and_store_a_plain_string() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "a", "foobar"]);
    q::<()>(&mut con, &["SET", "b", "abcdef"]);
    q::<()>(&mut con, &["SET", "c", "ab"]);
    assert_eq!(q::<i64>(&mut con, &["BITOP", "AND", "d", "a", "b"]), 6);
    assert_eq!(q::<String>(&mut con, &["GET", "d"]), "`bc`ab");
    assert_eq!(q::<i64>(&mut con, &["BITOP", "or", "d", "a", "c"]), 6);
    assert_eq!(q::<String>(&mut con, &["GET", "d"]), "goobar");
    assert_eq!(q::<i64>(&mut con, &["BITOP", "XOR", "d", "a", "b", "c"]), 6);
    assert_eq!(
        q::<Vec<u8>>(&mut con, &["GET", "d"]),
        vec![0x66, 0x6f, 0x0c, 0x06, 0x04, 0x14]
    );
    assert_eq!(q::<i64>(&mut con, &["BITOP", "AND", "d", "a", "c"]), 6);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "d"]), vec![0x60, 0x62, 0, 0, 0, 0]);
    assert_eq!(q::<i64>(&mut con, &["BITOP", "NOT", "d", "c"]), 2);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "d"]), vec![!b'a', !b'b']);
    assert_eq!(q::<i64>(&mut con, &["BITOP", "AND", "d", "a", "missing"]), 6);
    assert_eq!(q::<Vec<u8>>(&mut con, &["GET", "d"]), vec![0; 6]);
    // The result replaces the destination, expiry and all.
    q::<()>(&mut con, &["EXPIRE", "d", "100"]);
    q::<i64>(&mut con, &["BITOP", "OR", "d", "a"]);
    assert_eq!(q::<i64>(&mut con, &["TTL", "d"]), -1);
    // An empty result deletes it.
    assert_eq!(q::<i64>(&mut con, &["BITOP", "OR", "d", "missing"]), 0);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "d"]), 0);
    assert!(
        err(&mut con, &["BITOP", "NOT", "d", "a", "b"]).contains("BITOP NOT must be called with a single source key.")
    );
    assert!(err(&mut con, &["BITOP", "NAND", "d", "a"]).contains("syntax error"));
    assert!(err(&mut con, &["BITOP", "AND", "d"]).contains("wrong number of arguments for 'bitop' command"));
}

#[test]
fn bitfield_gets_sets_and_increments_with_overflow_policies() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let v: Vec<Option<i64>> = q(
        &mut con,
        &[
            "BITFIELD", "f", "SET", "i8", "0", "100", "GET", "i8", "0", "INCRBY", "i8", "0", "100", "GET", "u4", "0",
        ],
    );
    assert_eq!(v, vec![Some(0), Some(100), Some(-56), Some(12)]);
    let v: Vec<Option<i64>> = q(
        &mut con,
        &[
            "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "#1", "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "#1",
            "1", "GET", "u8", "#1",
        ],
    );
    assert_eq!(v, vec![Some(255), None, Some(255)]);
    let v: Vec<Option<i64>> = q(
        &mut con,
        &["BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "u8", "#1", "2"],
    );
    assert_eq!(v, vec![Some(1)]);
    let v: Vec<Option<i64>> = q(
        &mut con,
        &[
            "BITFIELD",
            "f",
            "SET",
            "i64",
            "64",
            "-1",
            "INCRBY",
            "i64",
            "64",
            "-9223372036854775807",
        ],
    );
    assert_eq!(v, vec![Some(0), Some(i64::MIN)]);
    assert_eq!(q::<i64>(&mut con, &["STRLEN", "f"]), 16);
    let v: Vec<Option<i64>> = q(&mut con, &["BITFIELD_RO", "f", "GET", "u63", "64", "GET", "i8", "200"]);
    assert_eq!(v, vec![Some(1 << 62), Some(0)]);
    let v: Vec<Option<i64>> = q(&mut con, &["BITFIELD", "missing", "GET", "u8", "0"]);
    assert_eq!(v, vec![Some(0)]);
    assert_eq!(
        q::<i64>(&mut con, &["EXISTS", "missing"]),
        0,
        "GET alone creates nothing"
    );
    let v: Vec<Option<i64>> = q(&mut con, &["BITFIELD", "f"]);
    assert!(v.is_empty());
}

#[test]
fn bitfield_errors_as_redis() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    let bad_type = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    for t in ["u64", "i65", "x8", "i0", "u"] {
        assert!(
            err(&mut con, &["BITFIELD", "f", "GET", t, "0"]).contains(bad_type),
            "{t}"
        );
    }
    assert!(
        err(&mut con, &["BITFIELD", "f", "GET", "u8", "-1"]).contains("bit offset is not an integer or out of range")
    );
    assert!(err(&mut con, &["BITFIELD", "f", "OVERFLOW", "UP"]).contains("Invalid OVERFLOW type specified"));
    assert!(err(&mut con, &["BITFIELD", "f", "SET", "u8", "0"]).contains("syntax error"));
    assert!(
        err(&mut con, &["BITFIELD", "f", "SET", "u8", "0", "x"]).contains("value is not an integer or out of range")
    );
    assert!(err(&mut con, &["BITFIELD_RO", "f", "SET", "u8", "0", "1"])
        .contains("BITFIELD_RO only supports the GET subcommand"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "f"]), 0);
}

#[test]
fn object_encoding_of_strings_is_int_embstr_or_raw() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "n", "12345"]);
    q::<()>(&mut con, &["SET", "e", "abc"]);
    q::<()>(&mut con, &["SET", "r", &"x".repeat(45)]);
    q::<()>(&mut con, &["SET", "edge", &"x".repeat(44)]);
    assert_eq!(q::<String>(&mut con, &["OBJECT", "ENCODING", "n"]), "int");
    assert_eq!(q::<String>(&mut con, &["OBJECT", "ENCODING", "e"]), "embstr");
    assert_eq!(q::<String>(&mut con, &["OBJECT", "ENCODING", "edge"]), "embstr");
    assert_eq!(q::<String>(&mut con, &["OBJECT", "ENCODING", "r"]), "raw");
    assert_eq!(q::<Option<String>>(&mut con, &["OBJECT", "ENCODING", "missing"]), None);
    assert_eq!(q::<String>(&mut con, &["TYPE", "e"]), "string");
}

#[test]
fn memory_usage_answers_bytes_or_nil() {
    let srv = Server::start(&[]);
    let mut con = srv.redis();
    q::<()>(&mut con, &["SET", "k", &"v".repeat(1000)]);
    let n: i64 = q(&mut con, &["MEMORY", "USAGE", "k"]);
    assert!((1000..1200).contains(&n), "{n}");
    let n2: i64 = q(&mut con, &["MEMORY", "USAGE", "k", "SAMPLES", "0"]);
    assert_eq!(n, n2);
    assert_eq!(q::<Option<i64>>(&mut con, &["MEMORY", "USAGE", "nokey"]), None);
    assert!(err(&mut con, &["MEMORY", "USAGE", "k", "SAMPLES", "-1"]).contains("syntax error"));
    assert!(err(&mut con, &["MEMORY", "USAGE"]).contains("wrong number of arguments for 'memory|usage' command"));
    let help: Vec<String> = q(&mut con, &["MEMORY", "HELP"]);
    assert_eq!(help.len(), 14);
    assert_eq!(
        help[0],
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
}
