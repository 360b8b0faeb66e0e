//! memcached text protocol against the real binary: the `memcache` crate,
//! raw transcripts checked byte for byte, and the Redis side of the same
//! items.

use compat_tests::Server;

fn client(srv: &Server) -> memcache::Client {
    memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", srv.mc_port)).unwrap()
}

#[test]
fn client_library_round_trips() {
    let srv = Server::start(&[]);
    let mc = client(&srv);
    mc.set("k", "v", 0).unwrap();
    assert_eq!(mc.get::<String>("k").unwrap().as_deref(), Some("v"));
    // The crate does not report NOT_STORED as an error; the values tell.
    let _ = mc.add("k", "x", 0);
    assert_eq!(
        mc.get::<String>("k").unwrap().as_deref(),
        Some("v"),
        "add on an existing key"
    );
    mc.add("a", "1", 0).unwrap();
    mc.replace("a", "2", 0).unwrap();
    let _ = mc.replace("nokey", "2", 0);
    assert_eq!(mc.get::<String>("nokey").unwrap(), None);
    mc.append("a", "3").unwrap();
    mc.prepend("a", "1").unwrap();
    assert_eq!(mc.get::<String>("a").unwrap().as_deref(), Some("123"));
    assert_eq!(mc.increment("a", 7).unwrap(), 130);
    assert_eq!(mc.decrement("a", 200).unwrap(), 0);
    assert!(mc.delete("a").unwrap());
    assert!(!mc.delete("a").unwrap());
    assert!(mc.touch("k", 100).unwrap());
    assert!(!mc.touch("nokey", 100).unwrap());
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    let cas = got["k"].2.unwrap();
    assert!(mc.cas("k", "w", 0, cas).unwrap());
    assert!(!mc.cas("k", "z", 0, cas).unwrap(), "a used CAS unique is stale");
    assert_eq!(mc.get::<String>("k").unwrap().as_deref(), Some("w"));
    mc.flush().unwrap();
    assert_eq!(mc.get::<String>("k").unwrap(), None);
}

#[test]
fn storage_and_retrieval_transcript() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(b"set k 5 0 3\r\nabc\r\n", b"STORED\r\n");
    s.exchange(
        b"get k nokey k\r\n",
        b"VALUE k 5 3\r\nabc\r\nVALUE k 5 3\r\nabc\r\nEND\r\n",
    );
    s.exchange(b"add k 0 0 1\r\nx\r\n", b"NOT_STORED\r\n");
    s.exchange(b"replace nokey 0 0 1\r\nx\r\n", b"NOT_STORED\r\n");
    s.exchange(b"append nokey 0 0 1\r\nx\r\n", b"NOT_STORED\r\n");
    s.exchange(b"append k 9 9 2\r\nde\r\n", b"STORED\r\n");
    s.exchange(b"prepend k 9 9 1\r\n_\r\n", b"STORED\r\n");
    // append and prepend keep the item's flags.
    s.exchange(b"get k\r\n", b"VALUE k 5 6\r\n_abcde\r\nEND\r\n");
    s.exchange(b"set bin 0 0 4\r\n\r\n\0\n\r\n", b"STORED\r\n");
    s.exchange(b"get bin\r\n", b"VALUE bin 0 4\r\n\r\n\0\n\r\nEND\r\n");
    s.exchange(b"set k 0 0 1 noreply\r\nz\r\nget k\r\n", b"VALUE k 0 1\r\nz\r\nEND\r\n");
    s.exchange(b"delete k\r\ndelete k\r\n", b"DELETED\r\nNOT_FOUND\r\n");
    s.exchange(b"delete k noreply\r\nversion\r\n", b"VERSION 1.6.18");
}

#[test]
fn cas_transcript() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(b"cas k 0 0 1 1\r\nx\r\n", b"NOT_FOUND\r\n");
    s.exchange(b"set k 0 0 1\r\nx\r\n", b"STORED\r\n");
    s.send(b"gets k\r\n");
    let line = String::from_utf8_lossy(&s.read_until_end()).to_string();
    let unique: u64 = line.split_whitespace().nth(4).unwrap().parse().unwrap();
    s.exchange(format!("cas k 0 0 1 {}\r\ny\r\n", unique + 1).as_bytes(), b"EXISTS\r\n");
    s.exchange(format!("cas k 0 0 1 {unique}\r\ny\r\n").as_bytes(), b"STORED\r\n");
    s.exchange(format!("cas k 0 0 1 {unique}\r\nz\r\n").as_bytes(), b"EXISTS\r\n");
}

#[test]
fn incr_decr_transcript() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(b"incr n 1\r\n", b"NOT_FOUND\r\n");
    s.exchange(b"set n 0 0 20\r\n18446744073709551615\r\n", b"STORED\r\n");
    s.exchange(b"incr n 2\r\n", b"1\r\n");
    s.exchange(b"decr n 5\r\n", b"0\r\n");
    s.exchange(b"incr n abc\r\n", b"CLIENT_ERROR invalid numeric delta argument\r\n");
    s.exchange(b"incr n -1\r\n", b"CLIENT_ERROR invalid numeric delta argument\r\n");
    s.exchange(b"set s 0 0 3\r\nabc\r\n", b"STORED\r\n");
    s.exchange(
        b"incr s 1\r\n",
        b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
    );
    s.exchange(b"incr n 1 noreply\r\nget n\r\n", b"VALUE n 0 1\r\n1\r\nEND\r\n");
}

#[test]
fn error_lines_are_worded_as_memcached_words_them() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(b"foo\r\n", b"ERROR\r\n");
    s.exchange(b"GET k\r\n", b"ERROR\r\n");
    s.exchange(b"get\r\n", b"ERROR\r\n");
    s.exchange(b"set k 0 0\r\n", b"ERROR\r\n");
    s.exchange(
        b"set k abc 0 1\r\nx\r\n",
        b"CLIENT_ERROR bad command line format\r\nERROR\r\n",
    );
    s.exchange(b"set k 0 0 -1\r\n", b"CLIENT_ERROR bad command line format\r\n");
    s.exchange(b"set k 0 0 1\r\nxy\r\n", b"CLIENT_ERROR bad data chunk\r\nERROR\r\n");
    let long_key = "k".repeat(251);
    s.exchange(
        format!("get {long_key}\r\n").as_bytes(),
        b"CLIENT_ERROR bad command line format\r\n",
    );
    s.exchange(format!("get {}\r\n", "k".repeat(250)).as_bytes(), b"END\r\n");
    s.exchange(
        b"delete k 1\r\n",
        b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
    );
    s.exchange(b"touch k abc\r\n", b"CLIENT_ERROR invalid exptime argument\r\n");
    s.exchange(b"flush_all abc\r\n", b"CLIENT_ERROR invalid exptime argument\r\n");
    s.exchange(b"verbosity 1\r\nverbosity\r\n", b"OK\r\nERROR\r\n");
}

#[test]
fn too_large_item_is_refused_and_its_data_swallowed() {
    let srv = Server::start(&["--max-item-size", "1024"]);
    let mut s = srv.mc_wire();
    s.exchange(b"set big 0 0 1\r\nx\r\n", b"STORED\r\n");
    let mut req = b"set big 0 0 2000\r\n".to_vec();
    req.extend_from_slice(&[b'x'; 2000]);
    req.extend_from_slice(b"\r\nget big\r\n");
    // The failed set also removes the old value, as memcached does.
    s.exchange(&req, b"SERVER_ERROR object too large for cache\r\nEND\r\n");
    s.exchange(b"set big 0 0 1024\r\n", b"");
    let mut data = vec![b'y'; 1024];
    data.extend_from_slice(b"\r\n");
    s.exchange(&data, b"STORED\r\n");
}

#[test]
fn data_block_arriving_in_pieces_is_stored_whole() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    let value = vec![b'v'; 300_000];
    s.send(b"set big 0 0 300000\r\n");
    for chunk in value.chunks(7_000) {
        s.send(chunk);
    }
    s.exchange(b"\r\n", b"STORED\r\n");
    let mut expect = b"VALUE big 0 300000\r\n".to_vec();
    expect.extend_from_slice(&value);
    expect.extend_from_slice(b"\r\nEND\r\n");
    s.exchange(b"get big\r\n", &expect);
}

#[test]
fn long_line_without_newline_closes_unless_get() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.send(&[b'x'; 3000]);
    assert_eq!(s.read_to_close().0, b"");
    // A long multi-get is served.
    let mut s = srv.mc_wire();
    let keys: Vec<String> = (0..400).map(|i| format!("key{i:05}")).collect();
    s.exchange(format!("get {}\r\n", keys.join(" ")).as_bytes(), b"END\r\n");
    // An endless get line is cut off.
    let mut s = srv.mc_wire();
    let mut endless = b"get ".to_vec();
    endless.resize(2 * 1024 * 1024, b'k');
    let _ = s.try_send(&endless);
    assert_eq!(s.read_to_close().0, b"");
}

#[test]
fn expiry_as_memcached_reads_it() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(b"set neg 0 -1 1\r\nx\r\nget neg\r\n", b"STORED\r\nEND\r\n");
    // Over 30 days is a Unix time: this one is long past.
    s.exchange(b"set past 0 2592001 1\r\nx\r\nget past\r\n", b"STORED\r\nEND\r\n");
    s.exchange(
        b"set rel 0 1000 1\r\nx\r\nget rel\r\n",
        b"STORED\r\nVALUE rel 0 1\r\nx\r\nEND\r\n",
    );
    s.exchange(b"touch rel -1\r\nget rel\r\n", b"TOUCHED\r\nEND\r\n");
    s.exchange(b"set g 3 0 1\r\nx\r\n", b"STORED\r\n");
    s.exchange(b"gat 100 g nokey\r\n", b"VALUE g 3 1\r\nx\r\nEND\r\n");
    s.exchange(b"gat -1 g\r\n", b"VALUE g 3 1\r\nx\r\nEND\r\n");
    s.exchange(b"get g\r\n", b"END\r\n");
}

#[test]
fn quit_closes_and_stats_count() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    s.exchange(
        b"set a 0 0 1\r\nx\r\nget a b\r\n",
        b"STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n",
    );
    s.send(b"stats\r\n");
    let text = String::from_utf8(s.read_until_end()).unwrap();
    let stat = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("STAT {name} ")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(stat("cmd_get"), "2");
    assert_eq!(stat("cmd_set"), "1");
    assert_eq!(stat("get_hits"), "1");
    assert_eq!(stat("get_misses"), "1");
    assert_eq!(stat("curr_items"), "1");
    assert_eq!(stat("total_items"), "1");
    assert_eq!(stat("curr_connections"), "1");
    assert_eq!(stat("pid"), srv.pid().to_string());
    for name in [
        "uptime",
        "time",
        "version",
        "total_connections",
        "bytes",
        "limit_maxbytes",
        "threads",
    ] {
        stat(name);
    }
    s.send(b"quit\r\nget a\r\n");
    assert_eq!(s.read_to_close().0, b"");
}

#[test]
fn memcached_set_is_read_by_redis_get_and_back() {
    let srv = Server::start(&[]);
    let mut s = srv.mc_wire();
    let mut con = srv.redis();
    s.exchange(b"set shared 42 0 5\r\nhello\r\n", b"STORED\r\n");
    let v: String = redis::cmd("GET").arg("shared").query(&mut con).unwrap();
    assert_eq!(v, "hello");
    let _: () = redis::cmd("SET").arg("fromredis").arg("world").query(&mut con).unwrap();
    s.exchange(b"get fromredis\r\n", b"VALUE fromredis 0 5\r\nworld\r\nEND\r\n");
    // A Redis write replaces the memcached flags with 0.
    let _: () = redis::cmd("SET").arg("shared").arg("again").query(&mut con).unwrap();
    s.exchange(b"get shared\r\n", b"VALUE shared 0 5\r\nagain\r\nEND\r\n");
    // memcached incr and Redis INCRBY work on the same number.
    s.exchange(b"set n 0 0 2\r\n10\r\nincr n 5\r\n", b"STORED\r\n15\r\n");
    let n: i64 = redis::cmd("INCRBY").arg("n").arg(5).query(&mut con).unwrap();
    assert_eq!(n, 20);
    s.exchange(b"get n\r\n", b"VALUE n 0 2\r\n20\r\nEND\r\n");
}

#[test]
fn cas_unique_changes_after_a_redis_write() {
    let srv = Server::start(&[]);
    let mc = client(&srv);
    let mut con = srv.redis();
    mc.set("k", "v1", 0).unwrap();
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    let before = got["k"].2.unwrap();
    let _: i64 = redis::cmd("APPEND").arg("k").arg("x").query(&mut con).unwrap();
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    assert_ne!(got["k"].2.unwrap(), before);
    assert_eq!(got["k"].0, b"v1x");
    assert!(
        !mc.cas("k", "v2", 0, before).unwrap(),
        "cas with the unique from before the Redis write"
    );
}

#[test]
fn touch_and_gat_keep_the_cas_unique() {
    let srv = Server::start(&[]);
    let mc = client(&srv);
    mc.set("k", "v1", 0).unwrap();
    let got: std::collections::HashMap<String, (Vec<u8>, u32, Option<u64>)> = mc.gets(&["k"]).unwrap();
    let unique = got["k"].2.unwrap();
    assert!(mc.touch("k", 1000).unwrap());
    let mut s = srv.mc_wire();
    let line = format!("VALUE k 0 2 {unique}\r\nv1\r\nEND\r\n");
    s.exchange(b"gats 2000 k\r\n", line.as_bytes());
    assert!(
        mc.cas("k", "v2", 0, unique).unwrap(),
        "cas with the unique read before touch and gat"
    );
}
