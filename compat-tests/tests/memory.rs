//! The memory limit against the real binary: `maxmemory` and its flags,
//! OOM on the RESP side, eviction and `-M` on the memcached side, and the
//! parameters behind them.
//!
//! The limit tests assert that a limit is reached, respected and reported,
//! not byte counts; the accounting tests check the reported bytes against
//! the slab classes the items were stored in.

use compat_tests::{Frame, Options, Server, Wire};
use std::time::Duration;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const MC_OOM: &[u8] = b"SERVER_ERROR out of memory storing object\r\n";
const MB: u64 = 1024 * 1024;
/// Large enough that a few thousand fill a small limit quickly.
const VALUE_LEN: usize = 1000;

fn info_field(w: &mut Wire, section: &str, name: &str) -> String {
    let Frame::Bulk(text) = w.cmd(&[b"INFO", section.as_bytes()]) else {
        panic!("INFO is a bulk string");
    };
    let text = String::from_utf8(text).expect("INFO is text");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("INFO {section} lacks {name}"))
}

fn info_u64(w: &mut Wire, section: &str, name: &str) -> u64 {
    info_field(w, section, name).parse().expect("a number")
}

fn config_get(w: &mut Wire, name: &str) -> Frame {
    match w.cmd(&[b"CONFIG", b"GET", name.as_bytes()]) {
        Frame::Array(mut kv) if kv.len() == 2 => kv.remove(1),
        other => panic!("CONFIG GET {name}: {other:?}"),
    }
}

fn mc_stat(w: &mut Wire, name: &str) -> u64 {
    w.send(b"stats\r\n");
    let text = String::from_utf8(w.read_until_end()).expect("stats are text");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("STAT {name} ")))
        .unwrap_or_else(|| panic!("stats lack {name}"))
        .parse()
        .expect("a number")
}

/// SETs `key:N` with a fixed-size value until the reply is not +OK, at
/// most `limit` times; returns how many were stored and the last reply.
fn fill_until_refused(w: &mut Wire, limit: usize) -> (usize, Frame) {
    let value = vec![b'v'; VALUE_LEN];
    for i in 0..limit {
        let key = format!("key:{i}");
        let reply = w.cmd(&[b"SET", key.as_bytes(), &value]);
        if reply != Frame::ok() {
            return (i, reply);
        }
    }
    panic!("{limit} SETs of {VALUE_LEN} bytes were all accepted");
}

#[test]
fn noeviction_refuses_writes_with_oom_but_reads_and_deletes_still_run() {
    let srv = Server::start(&["--maxmemory", "1mb"]);
    let mut w = srv.wire();
    // 20 MB of values is far past a 1 MB limit whatever the accounting.
    let (stored, reply) = fill_until_refused(&mut w, 20_000);
    assert_eq!(reply, Frame::error(OOM));
    assert!(stored > 0);
    // Refused again, and other denyoom commands too.
    assert_eq!(w.cmd(&[b"SET", b"another", b"v"]), Frame::error(OOM));
    assert_eq!(w.cmd(&[b"APPEND", b"key:0", b"more"]), Frame::error(OOM));
    assert_eq!(
        w.cmd(&[b"EXISTS", b"another"]),
        Frame::Integer(0),
        "the refused SET did not run"
    );
    // Reads and frees run.
    assert_eq!(w.cmd(&[b"GET", b"key:0"]), Frame::bulk(vec![b'v'; VALUE_LEN]));
    assert_eq!(w.cmd(&[b"EXPIRE", b"key:1", b"100"]), Frame::Integer(1));
    let half: Vec<String> = (0..stored / 2).map(|i| format!("key:{i}")).collect();
    let mut del: Vec<&[u8]> = vec![b"DEL"];
    del.extend(half.iter().map(|k| k.as_bytes()));
    assert_eq!(w.cmd(&del), Frame::Integer(half.len() as i64));
    // Freed memory takes writes again.
    assert_eq!(w.cmd(&[b"SET", b"another", b"v"]), Frame::ok());
    assert_eq!(info_field(&mut w, "memory", "maxmemory_policy"), "noeviction");
}

#[test]
fn allkeys_lru_set_at_run_time_evicts_and_keeps_memory_under_the_limit() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(
        w.cmd(&[
            b"CONFIG",
            b"SET",
            b"maxmemory",
            b"1mb",
            b"maxmemory-policy",
            b"allkeys-lru"
        ]),
        Frame::ok()
    );
    let value = vec![b'v'; VALUE_LEN];
    let writes = 3 * MB as usize / VALUE_LEN;
    // Pipelined in batches: 3 MB of writes without a round trip each.
    for batch in (0..writes).collect::<Vec<_>>().chunks(100) {
        let mut bytes = Vec::new();
        for i in batch {
            let key = format!("key:{i}");
            bytes.extend(compat_tests::multibulk(&[b"SET", key.as_bytes(), &value]));
        }
        w.send(&bytes);
        for i in batch {
            assert_eq!(w.read_frame(), Frame::ok(), "SET key:{i}");
        }
    }
    let Frame::Integer(dbsize) = w.cmd(&[b"DBSIZE"]) else {
        panic!("DBSIZE is an integer");
    };
    // Every key holds at least its value, so 1 MB holds at most ~1048.
    assert!(
        dbsize > 0 && (dbsize as usize) < writes / 2,
        "dbsize {dbsize} of {writes} written"
    );
    assert!(info_u64(&mut w, "stats", "evicted_keys") > 0);
    assert_eq!(info_u64(&mut w, "memory", "maxmemory"), MB);
    assert_eq!(info_field(&mut w, "memory", "maxmemory_policy"), "allkeys-lru");
    // Inline eviction leaves at most the last write over the limit; the
    // cron takes the rest. A bound on polls, not a timing check.
    let mut used = 0;
    for _ in 0..100 {
        used = info_u64(&mut w, "memory", "used_memory");
        if used <= MB {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(used <= MB, "used_memory {used} over maxmemory");
    // The newest keys survive LRU eviction.
    let last = format!("key:{}", writes - 1);
    assert_eq!(w.cmd(&[b"EXISTS", last.as_bytes()]), Frame::Integer(1));
}

/// Sends `count` memcached sets of `len` bytes, pipelined in batches, and
/// returns every reply line.
fn mc_fill(w: &mut Wire, count: usize, len: usize) -> Vec<Vec<u8>> {
    let value = vec![b'm'; len];
    let mut replies = Vec::new();
    for batch in (0..count).collect::<Vec<_>>().chunks(100) {
        let mut bytes = Vec::new();
        for i in batch {
            bytes.extend(format!("set item:{i} 0 0 {len}\r\n").as_bytes());
            bytes.extend(&value);
            bytes.extend(b"\r\n");
        }
        w.send(&bytes);
        for _ in batch {
            replies.push(w.read_line());
        }
    }
    replies
}

#[test]
fn memcached_evicts_by_default_under_m() {
    let srv = Options::memcache_only().args(&["-m", "1"]).start();
    let mut w = srv.mc_wire();
    let count = 5 * MB as usize / VALUE_LEN;
    let replies = mc_fill(&mut w, count, VALUE_LEN);
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r, b"STORED\r\n", "set item:{i}: {}", String::from_utf8_lossy(r));
    }
    assert!(mc_stat(&mut w, "evictions") > 0);
    assert_eq!(mc_stat(&mut w, "limit_maxbytes"), MB);
    assert!(mc_stat(&mut w, "curr_items") < count as u64 / 2);
    // The last item written is there.
    let last = format!("get item:{}\r\n", count - 1);
    w.send(last.as_bytes());
    assert!(w.read_line().starts_with(b"VALUE "));
}

#[test]
fn memcached_with_capital_m_answers_out_of_memory_and_the_connection_goes_on() {
    let srv = Options::memcache_only().args(&["-m", "1", "-M"]).start();
    let mut w = srv.mc_wire();
    let value = vec![b'm'; VALUE_LEN];
    let mut stored = 0;
    loop {
        assert!(stored < 20_000, "20 MB of sets were all stored under -m 1 -M");
        w.send(format!("set item:{stored} 0 0 {VALUE_LEN}\r\n").as_bytes());
        w.send(&value);
        w.send(b"\r\n");
        let line = w.read_line();
        if line != b"STORED\r\n" {
            assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(MC_OOM));
            break;
        }
        stored += 1;
    }
    assert!(stored > 0);
    // A refused set followed at once by a get: the data block was taken
    // as data, and the get is answered.
    let mut both = format!("set late 0 0 {VALUE_LEN}\r\n").into_bytes();
    both.extend(&value);
    both.extend(b"\r\nget item:0\r\n");
    w.send(&both);
    assert_eq!(w.read_line(), MC_OOM);
    assert_eq!(w.read_line(), format!("VALUE item:0 0 {VALUE_LEN}\r\n").into_bytes());
    assert_eq!(w.read_exact(VALUE_LEN + 2), [&value[..], b"\r\n"].concat());
    assert_eq!(w.read_line(), b"END\r\n");
    assert_eq!(mc_stat(&mut w, "evictions"), 0);
    assert!(mc_stat(&mut w, "store_no_memory") >= 2);
    // Deleting makes room again.
    for i in 0..stored / 2 {
        w.exchange(format!("delete item:{i}\r\n").as_bytes(), b"DELETED\r\n");
    }
    w.exchange(b"set late 0 0 1\r\nx\r\n", b"STORED\r\n");
}

#[test]
fn config_set_and_get_watermarks_and_memcache_evictions() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    assert_eq!(config_get(&mut w, "maxmemory-low-watermark"), Frame::bulk("95"));
    assert_eq!(config_get(&mut w, "maxmemory-high-watermark"), Frame::bulk("100"));
    assert_eq!(config_get(&mut w, "memcache-evictions"), Frame::bulk("yes"));
    assert_eq!(
        w.cmd(&[
            b"CONFIG",
            b"SET",
            b"maxmemory-high-watermark",
            b"90",
            b"maxmemory-low-watermark",
            b"80"
        ]),
        Frame::ok()
    );
    assert_eq!(config_get(&mut w, "maxmemory-low-watermark"), Frame::bulk("80"));
    assert_eq!(config_get(&mut w, "maxmemory-high-watermark"), Frame::bulk("90"));
    assert_eq!(
        w.cmd(&[b"CONFIG", b"SET", b"maxmemory-low-watermark", b"91"]),
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-low-watermark') - \
             maxmemory-low-watermark (91) can't be greater than maxmemory-high-watermark (90)"
        )
    );
    assert_eq!(
        w.cmd(&[b"CONFIG", b"SET", b"maxmemory-high-watermark", b"79"]),
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-high-watermark') - \
             maxmemory-low-watermark (80) can't be greater than maxmemory-high-watermark (79)"
        )
    );
    assert_eq!(
        w.cmd(&[b"CONFIG", b"SET", b"maxmemory-high-watermark", b"101"]),
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-high-watermark') - \
             argument must be between 1 and 100 inclusive"
        )
    );
    assert_eq!(
        config_get(&mut w, "maxmemory-low-watermark"),
        Frame::bulk("80"),
        "refusals change nothing"
    );
    assert_eq!(w.cmd(&[b"CONFIG", b"SET", b"memcache-evictions", b"no"]), Frame::ok());
    assert_eq!(config_get(&mut w, "memcache-evictions"), Frame::bulk("no"));
    assert_eq!(
        w.cmd(&[b"CONFIG", b"SET", b"memcache-evictions", b"maybe"]),
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'memcache-evictions') - argument must be 'yes' or 'no'"
        )
    );
    // CONFIG SET memcache-evictions reaches the memcached port at once.
    let mut mc = srv.mc_wire();
    mc.send(b"stats settings\r\n");
    let settings = String::from_utf8(mc.read_until_end()).unwrap();
    assert!(settings.contains("STAT evictions off\r\n"), "{settings}");
}

#[test]
fn config_rewrite_writes_the_watermarks() {
    let srv = Options::new()
        .config_file("maxmemory-low-watermark 70\nmaxmemory 2mb\n")
        .start();
    let mut w = srv.wire();
    assert_eq!(config_get(&mut w, "maxmemory-low-watermark"), Frame::bulk("70"));
    assert_eq!(
        w.cmd(&[
            b"CONFIG",
            b"SET",
            b"maxmemory-high-watermark",
            b"85",
            b"memcache-evictions",
            b"no"
        ]),
        Frame::ok()
    );
    assert_eq!(w.cmd(&[b"CONFIG", b"REWRITE"]), Frame::ok());
    let text = std::fs::read_to_string(srv.config_path().expect("started with a file")).unwrap();
    assert!(text.contains("maxmemory-low-watermark 70\n"), "{text}");
    assert!(text.contains("maxmemory-high-watermark 85\n"), "{text}");
    assert!(text.contains("memcache-evictions no\n"), "{text}");
    assert!(text.contains("maxmemory 2097152\n"), "{text}");
}

#[test]
fn m_and_maxmemory_flags_show_in_config_get_and_stats() {
    let srv = Server::start(&["-m", "64"]);
    let mut w = srv.wire();
    assert_eq!(config_get(&mut w, "maxmemory"), Frame::bulk("67108864"));
    assert_eq!(info_u64(&mut w, "memory", "maxmemory"), 64 * MB);
    assert_eq!(mc_stat(&mut srv.mc_wire(), "limit_maxbytes"), 64 * MB);

    let srv = Server::start(&["--maxmemory", "100mb", "-M"]);
    let mut w = srv.wire();
    assert_eq!(config_get(&mut w, "maxmemory"), Frame::bulk("104857600"));
    assert_eq!(config_get(&mut w, "memcache-evictions"), Frame::bulk("no"));

    let srv = Server::start(&["--maxmemory", "1gb"]);
    assert_eq!(config_get(&mut srv.wire(), "maxmemory"), Frame::bulk("1073741824"));

    // Without a limit, memcached's stats report 0 as memcached -m 0 does.
    let srv = Server::start(&[]);
    assert_eq!(mc_stat(&mut srv.mc_wire(), "limit_maxbytes"), 0);
}

/// `stats` groups as (name, value) pairs.
fn mc_stats_group(w: &mut Wire, group: &str) -> Vec<(String, u64)> {
    w.send(format!("stats {group}\r\n").as_bytes());
    let text = String::from_utf8(w.read_until_end()).expect("stats are text");
    text.lines()
        .filter_map(|l| l.strip_prefix("STAT "))
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.parse().expect("a number")))
        .collect()
}

#[test]
fn stats_slabs_and_items_account_for_every_item_in_its_class() {
    let srv = Server::start(&[]);
    let mut w = srv.mc_wire();
    let n = 300;
    for i in 0..n {
        w.send(format!("set item:{i:04} 0 0 100\r\n{}\r\n", "v".repeat(100)).as_bytes());
        assert_eq!(w.read_line(), b"STORED\r\n");
    }
    let slabs = mc_stats_group(&mut w, "slabs");
    let get = |name: &str| slabs.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    // One class holds them all: the 16-byte header, a 9-byte key and the
    // value make 125 bytes, in the 128-byte class.
    let classes: Vec<&str> = slabs
        .iter()
        .filter(|(k, v)| k.ends_with(":used_chunks") && *v > 0)
        .map(|(k, _)| k.split(':').next().unwrap())
        .collect();
    assert_eq!(classes.len(), 1, "{slabs:?}");
    let id = classes[0];
    let chunk = get(&format!("{id}:chunk_size")).unwrap();
    assert_eq!(get(&format!("{id}:used_chunks")), Some(n));
    assert_eq!(chunk, 128);
    assert_eq!(get("active_slabs"), Some(1));
    assert!(get("total_malloced").unwrap() >= n * chunk);
    // The bytes reported are the chunks the items occupy.
    assert_eq!(mc_stat(&mut w, "bytes"), n * chunk);
    assert_eq!(mc_stat(&mut w, "curr_items"), n);
    let items = mc_stats_group(&mut w, "items");
    assert!(items.contains(&(format!("items:{id}:number"), n)), "{items:?}");
    assert!(
        items.contains(&(format!("items:{id}:mem_requested"), n * 125)),
        "{items:?}"
    );
    // Deleting gives the chunks back: nothing is counted any more.
    for i in 0..n {
        w.send(format!("delete item:{i:04}\r\n").as_bytes());
        assert_eq!(w.read_line(), b"DELETED\r\n");
    }
    assert_eq!(mc_stat(&mut w, "bytes"), 0);
}

#[test]
fn info_counts_items_by_priority_and_used_memory_covers_the_dataset() {
    let srv = Server::start(&[]);
    let mut w = srv.wire();
    for i in 0..50 {
        assert_eq!(w.cmd(&[b"SET", format!("k{i}").as_bytes(), b"value"]), Frame::ok());
    }
    assert_eq!(info_u64(&mut w, "stats", "items_priority_normal"), 50);
    assert_eq!(info_u64(&mut w, "stats", "items_priority_low"), 0);
    let used = info_u64(&mut w, "memory", "used_memory");
    let dataset = info_u64(&mut w, "memory", "used_memory_dataset");
    // Each item: header 16 + key 2 or 3 + value 5, in 24-byte chunks.
    assert_eq!(dataset, 50 * 24);
    assert!(used > dataset, "the tables are counted too");
}
