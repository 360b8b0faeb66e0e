//! Hostile and broken input on both ports. After each case: the process
//! is alive, a client connected before still gets correct answers, the
//! keys stored before are intact, and resident memory comes back near
//! its baseline once the bad client has gone.
//!
//! Memory is checked by tolerance, not timing: RSS is polled until it is
//! within the tolerance or a generous deadline passes. Between polls a
//! little traffic runs, including a 1 MB SET: mimalloc hands freed large
//! blocks back to the OS lazily, when a thread next allocates a large
//! block (on an idle server a freed 100 MB buffer stays resident for a
//! minute or more). A leaked buffer never comes back, traffic or not, so
//! this still fails on a leak.

use compat_tests::{multibulk, Frame, Options, Server, Wire};
use std::time::{Duration, Instant};

/// How far above the baseline RSS may stay, in KiB. A leaked 100 MB
/// buffer is far outside it; allocator slack is well inside.
const RSS_TOLERANCE_KB: u64 = 48 * 1024;
/// How long RSS may take to settle. Generous: this is not a speed check.
const RSS_DEADLINE: Duration = Duration::from_secs(60);
const MB: usize = 1024 * 1024;

/// splitmix64: a small deterministic generator, so every run sends the
/// same bytes and a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Fewer than `max` random bytes.
    fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }
}

/// Keys stored before the bad input, binary and empty ones among them.
fn known_keys() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut kv: Vec<(Vec<u8>, Vec<u8>)> = (0..50)
        .map(|i| (format!("before:{i}").into_bytes(), format!("value:{i}").into_bytes()))
        .collect();
    kv.push((Vec::new(), b"empty key".to_vec()));
    kv.push((b"empty value".to_vec(), Vec::new()));
    kv.push((b"bin\x00\r\n\xff".to_vec(), (0..=255u8).collect()));
    kv.push((b"*1\r\n$4\r\nPING\r\n".to_vec(), b"$-1\r\n".to_vec()));
    kv
}

/// A server with both protocols, a RESP client that stored the known keys,
/// a memcached client, and the baseline RSS after a warm-up.
struct Fixture {
    srv: Server,
    good: Wire,
    mc_good: Wire,
    mc_version: Vec<u8>,
    baseline_kb: u64,
}

impl Fixture {
    fn new() -> Fixture {
        // Two workers, whatever the machine, so the warm-up reaches both.
        let srv = Options::new().args(&["--threads", "2"]).start();
        let mut good = srv.wire();
        for (k, v) in known_keys() {
            assert_eq!(good.cmd(&[b"SET", &k, &v]), Frame::ok());
        }
        // Warm-up: buffers and allocator state every connection touches.
        for _ in 0..20 {
            let mut w = srv.wire();
            assert_eq!(w.cmd(&[b"SET", b"warm", &[b'w'; 4096]]), Frame::ok());
        }
        let mut mc_good = srv.mc_wire();
        mc_good.send(b"version\r\n");
        let mc_version = mc_good.read_line();
        let baseline_kb = srv.rss_kb();
        Fixture {
            srv,
            good,
            mc_good,
            mc_version,
            baseline_kb,
        }
    }

    /// The server is alive, the earlier clients are served correctly and
    /// the known keys are intact.
    fn check_served(&mut self, case: &str) {
        self.srv.assert_alive();
        assert_eq!(self.good.cmd(&[b"PING"]), Frame::simple("PONG"), "{case}");
        for (k, v) in known_keys() {
            assert_eq!(self.good.cmd(&[b"GET", &k]), Frame::Bulk(v), "{case}: key {k:?}");
        }
        // A new client too.
        let mut fresh = self.srv.wire();
        assert_eq!(fresh.cmd(&[b"GET", b"before:7"]), Frame::bulk("value:7"), "{case}");
        // The memcached client gets the same answer it got before.
        self.mc_good.send(b"version\r\n");
        assert_eq!(self.mc_good.read_line(), self.mc_version, "{case}: memcached client");
        let mut mc_fresh = self.srv.mc_wire();
        mc_fresh.send(b"version\r\n");
        assert_eq!(mc_fresh.read_line(), self.mc_version, "{case}: new memcached client");
    }

    /// RSS comes back within the tolerance of the baseline.
    fn check_memory(&mut self, case: &str) {
        let limit = self.baseline_kb + RSS_TOLERANCE_KB;
        let start = Instant::now();
        loop {
            let rss = self.srv.rss_kb();
            if rss <= limit {
                eprintln!(
                    "{case}: RSS {rss} KiB (baseline {} KiB) after {:?}",
                    self.baseline_kb,
                    start.elapsed()
                );
                return;
            }
            if start.elapsed() > RSS_DEADLINE {
                panic!(
                    "{case}: RSS stayed at {rss} KiB, baseline {} KiB, tolerance {RSS_TOLERANCE_KB} KiB",
                    self.baseline_kb
                );
            }
            // A little traffic on fresh connections, which wakes the
            // workers: each collects its heap when it goes idle again.
            for _ in 0..2 {
                let mut w = self.srv.wire();
                assert_eq!(w.cmd(&[b"SET", b"tick", &[b't'; MB]]), Frame::ok());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn check(&mut self, case: &str) {
        self.check_served(case);
        self.check_memory(case);
    }
}

/// At most 200 bytes of `b`, for failure messages.
fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
}

/// Sends `bytes`, ends our side and reads until the server closes.
/// Returns what the server sent; the send may fail when the server
/// closed first.
fn send_and_drain(w: &mut Wire, bytes: &[u8]) -> Vec<u8> {
    let _ = w.try_send(bytes);
    w.shutdown_write();
    w.read_to_close().0
}

/// Tokens that look like RESP, so random input reaches deep into the
/// decoder instead of failing at the first byte.
fn resp_ish(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < len {
        match rng.below(12) {
            0 => out.extend(format!("*{}\r\n", rng.below(6) as i64 - 1).into_bytes()),
            1 => out.extend(format!("${}\r\n", rng.below(20) as i64 - 1).into_bytes()),
            2 => out.extend(b"\r\n"),
            3 => out.extend(rng.some_bytes(16)),
            4 => out.extend(multibulk(&[b"SET", b"fuzz", &rng.some_bytes(32)])),
            5 => out.extend(multibulk(&[b"GET", b"fuzz"])),
            6 => out.extend(b"PING\r\n"),
            7 => out.push([b'"', b'\'', b'\\', b' ', b'*', b'$', b'\n', b'\r'][rng.below(8)]),
            8 => out.extend(format!("*{}\r\n", rng.next() as i64).into_bytes()),
            9 => out.extend(format!("${}\r\n", rng.next() as i32).into_bytes()),
            10 => out.extend(b"ECHO \"\\x4"),
            _ => out.extend(b"DEL fuzz\r\n"),
        }
    }
    out
}

#[test]
fn random_bytes_on_the_resp_port() {
    let mut f = Fixture::new();
    for seed in 0..300u64 {
        let mut rng = Rng(seed);
        let len = 1 + rng.below(8192);
        let input = if seed % 2 == 0 {
            rng.bytes(len)
        } else {
            resp_ish(&mut rng, len)
        };
        let mut w = f.srv.wire();
        send_and_drain(&mut w, &input);
        if seed % 50 == 49 {
            f.check_served(&format!("seed {seed}"));
        }
    }
    f.check("random bytes");
}

#[test]
fn truncated_frames_run_nothing_and_reply_nothing() {
    let mut f = Fixture::new();
    let requests: Vec<Vec<u8>> = vec![
        multibulk(&[b"SET", b"trunc", b"va\r\nlue\x00"]),
        multibulk(&[b"SET", b"trunc", &[b'x'; 300]]),
        b"SET trunc \"quoted value\"\r\n".to_vec(),
    ];
    for req in &requests {
        // Every prefix that stops before the end of the request; an inline
        // request is complete at its '\n', so stop before that.
        let complete_at = if req[0] == b'*' { req.len() } else { req.len() - 1 };
        for cut in 1..complete_at {
            let mut w = f.srv.wire();
            let got = send_and_drain(&mut w, &req[..cut]);
            assert!(got.is_empty(), "prefix of {cut} bytes got a reply: {}", show(&got));
        }
    }
    assert_eq!(f.good.cmd(&[b"EXISTS", b"trunc"]), Frame::Integer(0));
    f.check("truncated frames");
}

#[test]
fn huge_and_negative_lengths() {
    let mut f = Fixture::new();
    // Lengths Redis accepts and waits on: no reply, nothing run, and no
    // memory reserved for the promised size.
    let waiting: &[&[u8]] = &[
        b"*2147483647\r\n",
        b"*1048577\r\n$3\r\nGET\r\n",
        b"*1\r\n$536870912\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nsome",
    ];
    // Hold twenty of each open at once: a server that reserved what they
    // promise would need terabytes.
    let mut held = Vec::new();
    for input in waiting {
        for _ in 0..20 {
            let mut w = f.srv.wire();
            w.send(input);
            held.push(w);
        }
    }
    f.check("promised huge lengths, clients still connected");
    for w in &mut held {
        let got = send_and_drain(w, b"");
        assert!(got.is_empty(), "{}", show(&got));
    }
    drop(held);
    let errors: &[(&[u8], &[u8])] = &[
        (b"*-2147483649\r\nPING\r\n", b"+PONG\r\n"),
        (
            b"*9223372036854775807\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (b"*-9223372036854775808\r\nPING\r\n", b"+PONG\r\n"),
        (
            b"*99999999999999999999\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n$-2147483648\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (
            b"*2\r\n$3\r\nGET\r\n$2147483647\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$9223372036854775807\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$18446744073709551616\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
    ];
    for (input, reply) in errors {
        let mut w = f.srv.wire();
        let got = send_and_drain(&mut w, input);
        assert_eq!(show(&got), show(reply), "{}", show(input));
    }
    f.check("huge and negative lengths");
}

/// Sends `total` bytes of `fill` after `prefix` in 1 MB writes, stopping
/// quietly when the server closes.
fn flood(w: &mut Wire, prefix: &[u8], fill: u8, total: usize) {
    if w.try_send(prefix).is_err() {
        return;
    }
    let chunk = vec![fill; MB];
    let mut sent = 0;
    while sent < total {
        let n = MB.min(total - sent);
        if w.try_send(&chunk[..n]).is_err() {
            return;
        }
        sent += n;
    }
}

#[test]
fn hundred_megabyte_inline_line_without_newline() {
    let mut f = Fixture::new();
    let mut w = f.srv.wire();
    flood(&mut w, b"", b'a', 100 * MB);
    let (got, _) = w.read_to_close();
    assert_eq!(show(&got), "-ERR Protocol error: too big inline request\r\n");
    drop(w);
    f.check("100 MB inline line");
}

#[test]
fn hundred_megabyte_bulk_length_line_without_newline() {
    let mut f = Fixture::new();
    let mut w = f.srv.wire();
    flood(&mut w, b"*1\r\n$", b'7', 100 * MB);
    let (got, _) = w.read_to_close();
    assert_eq!(show(&got), "-ERR Protocol error: too big bulk count string\r\n");
    drop(w);
    let mut w = f.srv.wire();
    flood(&mut w, b"*", b'7', 100 * MB);
    let (got, _) = w.read_to_close();
    assert_eq!(show(&got), "-ERR Protocol error: too big mbulk count string\r\n");
    drop(w);
    f.check("100 MB length line");
}

#[test]
fn client_disconnecting_mid_value_stores_nothing_and_frees_its_buffer() {
    let mut f = Fixture::new();
    for round in 0..3 {
        let mut w = f.srv.wire();
        // A complete SET first in the same stream: it runs; the cut one does not.
        w.send(&multibulk(&[b"SET", b"done", b"1"]));
        w.send(b"*3\r\n$3\r\nSET\r\n$7\r\npartial\r\n$104857600\r\n");
        flood(&mut w, b"", b'v', 60 * MB);
        assert_eq!(w.read_frame(), Frame::ok());
        drop(w);
        assert_eq!(f.good.cmd(&[b"EXISTS", b"done", b"partial"]), Frame::Integer(1));
        f.check(&format!("disconnect mid-value, round {round}"));
    }
}

#[test]
fn large_value_stored_then_deleted_gives_its_memory_back() {
    let mut f = Fixture::new();
    let mut w = f.srv.wire();
    let v = vec![b'x'; 100 * MB];
    let sender = w.send_in_background(multibulk(&[b"SET", b"huge", &v]));
    assert_eq!(w.read_frame(), Frame::ok());
    sender.join().unwrap().unwrap();
    drop(v);
    assert_eq!(w.cmd(&[b"DEL", b"huge"]), Frame::Integer(1));
    drop(w);
    f.check("100 MB value stored and deleted");
}

#[test]
fn injection_shaped_and_binary_keys_are_data() {
    let mut f = Fixture::new();
    let mut w = f.srv.wire();
    // The empty key is among the known keys, checked after.
    let keys: Vec<Vec<u8>> = vec![
        b"\r\n".to_vec(),
        b"*1\r\n$8\r\nFLUSHALL\r\n".to_vec(),
        b"\x00".to_vec(),
        vec![0xff; 1000],
        vec![b'k'; 100 * 1024],
        (0..=255u8).collect(),
    ];
    for k in &keys {
        assert_eq!(w.cmd(&[b"SET", k, k]), Frame::ok());
    }
    for k in &keys {
        let got = w.cmd(&[b"GET", k]);
        assert!(
            got == Frame::Bulk(k.clone()),
            "key {}: {}",
            show(k),
            show(&format!("{got:?}").into_bytes())
        );
    }
    assert_eq!(w.cmd(&[b"DEL", &keys[1]]), Frame::Integer(1));
    f.check("binary keys");
}

#[test]
fn many_abrupt_disconnects() {
    let mut f = Fixture::new();
    for i in 0..500 {
        let mut w = f.srv.wire();
        match i % 3 {
            0 => {}
            1 => {
                let _ = w.try_send(b"*2\r\n$3\r\nGET\r\n$3\r\nab");
            }
            _ => {
                let _ = w.try_send(&multibulk(&[b"SET", b"abrupt", &[b'a'; 20_000]]));
            }
        }
        drop(w);
    }
    f.check("abrupt disconnects");
}

/// Tokens that look like memcached text commands.
fn memcache_ish(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < len {
        match rng.below(10) {
            0 => {
                out.extend(format!("set k {} {} {}\r\n", rng.next() as u32, rng.below(100), rng.below(40)).into_bytes())
            }
            1 => out.extend(b"get k k2 k3\r\n"),
            2 => out.extend(b"\r\n"),
            3 => out.extend(rng.some_bytes(32)),
            4 => out.extend(format!("set k 0 0 {}\r\n", rng.next() as i64).into_bytes()),
            5 => out.extend(b"incr k 18446744073709551615\r\n"),
            6 => out.extend(b" noreply"),
            7 => out.extend(b"mg k v t f\r\nms k 2\r\nhi\r\n"),
            8 => out.extend(b"cas k 0 0 1 99999999999999999999\r\n"),
            _ => out.push(0x80),
        }
    }
    out
}

#[test]
fn random_bytes_on_the_memcached_port() {
    let mut f = Fixture::new();
    for seed in 0..200u64 {
        let mut rng = Rng(1000 + seed);
        let len = 1 + rng.below(8192);
        let input = if seed % 2 == 0 {
            rng.bytes(len)
        } else {
            memcache_ish(&mut rng, len)
        };
        let mut w = f.srv.mc_wire();
        send_and_drain(&mut w, &input);
        if seed % 50 == 49 {
            f.check_served(&format!("memcached seed {seed}"));
        }
    }
    f.check("memcached random bytes");
}

#[test]
fn hundred_megabyte_line_on_the_memcached_port() {
    let mut f = Fixture::new();
    for prefix in [&b""[..], b"get ", b"set k 0 0 "] {
        let mut w = f.srv.mc_wire();
        flood(&mut w, prefix, b'7', 100 * MB);
        drop(w);
        f.check_served(&format!("memcached 100 MB line after {prefix:?}"));
    }
    f.check_memory("memcached 100 MB lines");
}

#[test]
fn memcached_huge_negative_and_cut_lengths() {
    let mut f = Fixture::new();
    let inputs: &[&[u8]] = &[
        b"set k 0 0 4294967296\r\n",
        b"set k 0 0 -1\r\n",
        b"set k 0 0 18446744073709551616\r\nabc\r\n",
        b"set k 0 0 9223372036854775807\r\n",
        b"set k 0 0 1000000\r\nonly a little of the value",
        b"get \r\n",
        b"set  0 0 1\r\nx\r\n",
    ];
    for input in inputs {
        let mut w = f.srv.mc_wire();
        send_and_drain(&mut w, input);
        f.check_served(&format!("memcached {:?}", String::from_utf8_lossy(input)));
    }
    // Cut mid-value after a large promise, three times over.
    for _ in 0..3 {
        let mut w = f.srv.mc_wire();
        flood(&mut w, b"set cut 0 0 1048576\r\n", b'v', 512 * 1024);
        drop(w);
    }
    // Keys memcached forbids: too long, control bytes.
    let mut long = b"get ".to_vec();
    long.extend(vec![b'k'; 300]);
    long.extend(b"\r\nget a\x00b\r\nset a\x01b 0 0 1\r\nx\r\n");
    let mut w = f.srv.mc_wire();
    send_and_drain(&mut w, &long);
    f.check("memcached lengths");
}

/// Counts, offsets and indexes at the ends of the 64-bit range, each in
/// a command that takes one: every one is answered (an error in Redis's
/// words, or a reply no larger than the data), and nothing else changes.
#[test]
fn extreme_counts_and_offsets_are_answered() {
    let mut f = Fixture::new();
    let max = "9223372036854775807";
    let min = "-9223372036854775808";
    let mut w = f.srv.wire();
    let setup: &[&str] = &[
        "ZADD z 1 a 2 b",
        "HSET h a 1 b 2",
        "SADD s a b",
        "RPUSH l a b c",
        "SET str hello",
    ];
    for line in setup {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        assert!(!matches!(w.cmd(&args), Frame::Error(_)), "{line}");
    }
    let out_of_range = "ERR value is out of range";
    let cases: Vec<(String, Option<&str>)> = vec![
        (
            "ZRANDMEMBER z -9223372036854770000 WITHSCORES".to_string(),
            Some(out_of_range),
        ),
        (format!("ZRANDMEMBER z {min} WITHSCORES"), Some(out_of_range)),
        (format!("ZRANDMEMBER z {min}"), Some(out_of_range)),
        (
            "HRANDFIELD h -9223372036854770000 WITHVALUES".to_string(),
            Some(out_of_range),
        ),
        (format!("HRANDFIELD h {min}"), Some(out_of_range)),
        (format!("SRANDMEMBER s {min}"), Some(out_of_range)),
        (format!("ZRANDMEMBER z {max} WITHSCORES"), Some(out_of_range)),
        (format!("SRANDMEMBER s {max}"), None),
        (format!("SSCAN s 0 COUNT {max}"), None),
        (format!("HSCAN h 0 COUNT {max}"), None),
        (format!("ZSCAN z 0 COUNT {max}"), None),
        (format!("SCAN 0 COUNT {max}"), None),
        (format!("LPOS l a COUNT {max} MAXLEN {max}"), None),
        (format!("LRANGE l {min} {max}"), None),
        (format!("GETRANGE str {min} {max}"), None),
        (
            format!("SETRANGE str {max} x"),
            Some("ERR string exceeds maximum allowed size"),
        ),
        (
            format!("SETBIT str {max} 1"),
            Some("ERR bit offset is not an integer or out of range"),
        ),
        (
            format!("BITFIELD str SET u8 #{max} 1"),
            Some("ERR bit offset is not an integer or out of range"),
        ),
        (format!("BITCOUNT str {min} {max} BIT"), None),
        (format!("BITPOS str 1 {min} {max}"), None),
        (format!("ZRANGE z 0 -1 BYSCORE LIMIT {max} {max}"), None),
        (format!("ZRANGESTORE d z 0 {max}"), None),
        (format!("SORT l ALPHA LIMIT {max} {max}"), None),
        (format!("ZUNIONSTORE d {max} z"), Some("ERR")),
        (format!("SINTERCARD {max} s"), Some("ERR")),
        (format!("LMPOP {max} l LEFT"), Some("ERR")),
        (format!("EVAL x {max}"), Some("ERR")),
        (
            format!("EXPIRE str {max}"),
            Some("ERR invalid expire time in 'expire' command"),
        ),
        (
            format!("SET k v PX {max}"),
            Some("ERR invalid expire time in 'set' command"),
        ),
        (format!("LPOP l {max}"), None),
        (format!("SPOP s {max}"), None),
        (format!("ZPOPMIN z {max}"), None),
    ];
    for (line, want) in &cases {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let got = w.cmd(&args);
        match (want, &got) {
            (Some(prefix), Frame::Error(e)) => assert!(e.starts_with(prefix), "{line}: {e}"),
            (Some(_), other) => panic!("{line}: wanted an error, got {other:?}"),
            (None, Frame::Error(e)) => panic!("{line}: {e}"),
            (None, _) => {}
        }
    }
    f.check("extreme counts and offsets");
}

/// A negative count asks for that many random picks, repeats allowed: a
/// reply as long as the client likes from a one-member key. The reply is
/// cut at the output limit (`proto-max-bulk-len`, here 1 MB) and that
/// client alone is closed; the server's memory stays bounded.
#[test]
fn huge_negative_random_counts_close_only_their_client() {
    let mut f = Fixture::new();
    assert_eq!(
        f.good.cmd(&[b"CONFIG", b"SET", b"proto-max-bulk-len", b"1mb"]),
        Frame::ok()
    );
    for line in ["ZADD rz 1 a", "HSET rh a 1", "SADD rs a"] {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        assert_eq!(f.good.cmd(&args), Frame::Integer(1), "{line}");
    }
    let cases = [
        "SRANDMEMBER rs -9223372036854775807",
        "HRANDFIELD rh -9223372036854775807",
        "ZRANDMEMBER rz -9223372036854775807",
        "HRANDFIELD rh -4611686018427387903 WITHVALUES",
        "ZRANDMEMBER rz -4611686018427387903 WITHSCORES",
    ];
    for line in cases {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let mut w = f.srv.wire();
        w.send(&multibulk(&args));
        let (got, _) = w.read_to_close();
        assert!(got.starts_with(b"*922337203685477580"), "{line}: {}", show(&got));
        assert!((MB..2 * MB).contains(&got.len()), "{line}: {} bytes", got.len());
    }
    // Counts the limit allows are served whole, on a connection that stays.
    let got = f.good.cmd(&[b"SRANDMEMBER", b"rs", b"-1000"]);
    assert!(matches!(&got, Frame::Array(a) if a.len() == 1000), "{got:?}");
    let Frame::Bulk(info) = f.good.cmd(&[b"INFO", b"stats"]) else {
        panic!("INFO")
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(
        info.contains("client_output_buffer_limit_disconnections:5\r\n"),
        "{info}"
    );
    // A client's hard output limit below proto-max-bulk-len cuts sooner.
    assert_eq!(
        f.good
            .cmd(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 64kb 0 0"]),
        Frame::ok()
    );
    let mut w = f.srv.wire();
    w.send(&multibulk(&[b"SRANDMEMBER", b"rs", b"-9223372036854775807"]));
    let (got, _) = w.read_to_close();
    assert!(got.len() < MB, "{} bytes", got.len());
    assert_eq!(
        f.good
            .cmd(&[b"CONFIG", b"SET", b"client-output-buffer-limit", b"normal 0 0 0"]),
        Frame::ok()
    );
    assert_eq!(
        f.good.cmd(&[b"CONFIG", b"SET", b"proto-max-bulk-len", b"512mb"]),
        Frame::ok()
    );
    f.check("huge negative random counts");
}
