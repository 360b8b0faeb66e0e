//! COMMAND's key specifications through a raw socket against the real
//! binary: for every command, COMMAND INFO's legacy key triple, its
//! `movablekeys` flag and its key specs, and COMMAND GETKEYS /
//! GETKEYSANDFLAGS on sample requests. The expectations for Redis's
//! commands were checked against redis-server 7.0.15 (the notes of a spec
//! are our own words, so only their presence is compared); the CACHE.*
//! commands' are ferrocache's own, as docs/commands.md describes them.

use compat_tests::{Frame, Server, Wire};

/// name, first key, last key, step, movablekeys, key specs: each spec as
/// `flags begin find`, specs separated by ` | `, `(notes) ` before a spec
/// that has notes.
type Info = (&'static str, i64, i64, i64, bool, &'static str);

fn text(f: &Frame) -> String {
    match f {
        Frame::Simple(b) | Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(i) => i.to_string(),
        other => panic!("expected a word, got {other:?}"),
    }
}

fn items(f: &Frame) -> &[Frame] {
    match f {
        Frame::Array(a) => a,
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A RESP2 map (a flat array of keys and values) as pairs.
fn pairs(f: &Frame) -> Vec<(String, &Frame)> {
    items(f).chunks(2).map(|kv| (text(&kv[0]), &kv[1])).collect()
}

fn get<'a>(map: &'a [(String, &'a Frame)], key: &str) -> &'a Frame {
    map.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no {key}"))
}

/// `type:v1,v2,...` for a begin_search or find_keys map.
fn search(f: &Frame) -> String {
    let m = pairs(f);
    let kind = text(get(&m, "type"));
    let spec = pairs(get(&m, "spec"));
    if spec.is_empty() {
        return kind;
    }
    let values: Vec<String> = spec.iter().map(|(_, v)| text(v)).collect();
    format!("{kind}:{}", values.join(","))
}

fn render_spec(f: &Frame) -> String {
    let m = pairs(f);
    let notes = if m.iter().any(|(k, _)| k == "notes") {
        "(notes) "
    } else {
        ""
    };
    let flags: Vec<String> = items(get(&m, "flags")).iter().map(text).collect();
    format!(
        "{notes}{} {} {}",
        flags.join(","),
        search(get(&m, "begin_search")),
        search(get(&m, "find_keys"))
    )
}

/// The key-related parts of one COMMAND INFO entry, as an [`Info`] row.
fn info_of(w: &mut Wire, name: &str) -> (String, i64, i64, i64, bool, String) {
    let reply = w.cmd(&[b"COMMAND", b"INFO", name.as_bytes()]);
    let entry = &items(&reply)[0];
    let e = items(entry);
    let movable = items(&e[2]).iter().any(|f| text(f) == "movablekeys");
    let specs: Vec<String> = items(&e[8]).iter().map(render_spec).collect();
    let int = |f: &Frame| match f {
        Frame::Integer(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    };
    (
        text(&e[0]),
        int(&e[3]),
        int(&e[4]),
        int(&e[5]),
        movable,
        specs.join(" | "),
    )
}

/// GETKEYSANDFLAGS of a request written with spaces, rendered as
/// `key flag,flag; key flag` or the error's text.
fn keys_and_flags(w: &mut Wire, line: &str) -> String {
    let mut args: Vec<&[u8]> = vec![b"COMMAND", b"GETKEYSANDFLAGS"];
    args.extend(line.split(' ').map(str::as_bytes));
    match w.cmd(&args) {
        Frame::Error(e) => e,
        reply => items(&reply)
            .iter()
            .map(|k| {
                let kf = items(k);
                let flags: Vec<String> = items(&kf[1]).iter().map(text).collect();
                format!("{} {}", text(&kf[0]), flags.join(","))
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn getkeys(w: &mut Wire, line: &str) -> Result<Vec<String>, String> {
    let mut args: Vec<&[u8]> = vec![b"COMMAND", b"GETKEYS"];
    args.extend(line.split(' ').map(str::as_bytes));
    match w.cmd(&args) {
        Frame::Error(e) => Err(e),
        reply => Ok(items(&reply).iter().map(text).collect()),
    }
}

#[test]
fn command_info_key_specs_match_redis_7_for_every_command() {
    let server = Server::start(&[]);
    let mut w = server.wire();
    let mut wrong = Vec::new();
    for &(name, first, last, step, movable, specs) in REDIS_INFO.iter().chain(OWN_INFO) {
        let got = info_of(&mut w, name);
        let expected = (name.to_string(), first, last, step, movable, specs.to_string());
        if got != expected {
            wrong.push(format!("expected {expected:?}\n     got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every command the server has is covered above.
    let Frame::Integer(count) = w.cmd(&[b"COMMAND", b"COUNT"]) else {
        panic!("COMMAND COUNT is an integer");
    };
    let listed = items(&w.cmd(&[b"COMMAND", b"LIST"])).len();
    assert_eq!(listed, REDIS_INFO.len() + OWN_INFO.len(), "{count} top-level commands");
}

#[test]
fn getkeysandflags_matches_redis_7_on_sample_requests() {
    let server = Server::start(&[]);
    let mut w = server.wire();
    let mut wrong = Vec::new();
    for (line, expected) in REDIS_GETKEYS {
        let got = keys_and_flags(&mut w, line);
        if got != *expected {
            wrong.push(format!("{line}\n  expected {expected}\n       got {got}"));
        }
        // GETKEYS gives the same keys, or the same error.
        let keys = getkeys(&mut w, line);
        let want = if expected.starts_with("ERR ") {
            Err(expected.replace("command|getkeysandflags", "command|getkeys"))
        } else if expected.is_empty() {
            Ok(vec![])
        } else {
            Ok(expected
                .split("; ")
                .map(|k| k.split(' ').next().unwrap_or("").to_string())
                .collect())
        };
        if keys != want {
            wrong.push(format!("GETKEYS {line}: expected {want:?}, got {keys:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Redis's suite: "COMMAND GETKEYS MORE THAN 256 KEYS".
#[test]
fn getkeys_finds_more_than_256_counted_keys() {
    let server = Server::start(&[]);
    let mut w = server.wire();
    let keys: Vec<String> = (1..=260).map(|i| format!("key{i}")).collect();
    let line = format!("zunionstore target 260 {}", keys.join(" "));
    let got = getkeys(&mut w, &line).expect("keys");
    assert_eq!(got.len(), 261);
    assert_eq!(got[0], "target");
    assert_eq!(&got[1..], &keys[..]);
}

#[test]
fn cache_commands_report_how_they_use_their_keys() {
    let server = Server::start(&[]);
    let mut w = server.wire();
    for (line, expected) in [
        ("cache.add k v", "k OW,insert"),
        ("cache.put k v IFVERSION 3", "k OW,update"),
        ("cache.get k", "k RO,access"),
        ("cache.getifnewer k 3", "k RO,access"),
        ("cache.remove k", "k RM,delete"),
        ("cache.lock k 1000 CREATE", "k RW,access,update"),
        ("cache.putunlock k v 7", "k OW,update"),
        ("cache.unlock k 7", "k RW,update"),
        ("cache.forceunlock k", "k RW,update"),
        ("cache.resetttl k PERSIST", "k RW,update"),
        ("cache.depend c p1 p2", "c RW,update; p1 RO; p2 RO"),
        ("cache.tagged ANY 1 t", "ERR The command has no key arguments"),
        ("cache.deltagged ALL 1 t", "ERR The command has no key arguments"),
        ("cache.policy 0 GET", "ERR The command has no key arguments"),
    ] {
        assert_eq!(keys_and_flags(&mut w, line), expected, "{line}");
    }
}

#[test]
fn command_docs_key_spec_index_names_the_spec_that_finds_each_key() {
    let server = Server::start(&[]);
    let mut w = server.wire();
    // Checked against redis-server 7.0.15.
    for (name, expected) in [
        ("lmove", vec![("source", 0), ("destination", 1)]),
        ("zunionstore", vec![("destination", 0), ("key", 1)]),
        ("zrangestore", vec![("dst", 0), ("src", 1)]),
        (
            "sort",
            vec![("key", 0), ("pattern", 1), ("pattern", 1), ("destination", 2)],
        ),
        ("mset", vec![("key", 0)]),
    ] {
        let reply = w.cmd(&[b"COMMAND", b"DOCS", name.as_bytes()]);
        let doc = pairs(&items(&reply)[1]);
        let mut found = Vec::new();
        walk(get(&doc, "arguments"), &mut found);
        let found: Vec<(&str, i64)> = found.iter().map(|(n, i)| (n.as_str(), *i)).collect();
        assert_eq!(found, expected, "{name}");
    }
}

fn walk(args: &Frame, found: &mut Vec<(String, i64)>) {
    for a in items(args) {
        let m = pairs(a);
        if let Some((_, Frame::Integer(i))) = m.iter().find(|(k, _)| k == "key_spec_index") {
            found.push((text(get(&m, "name")), *i));
        }
        if let Some((_, children)) = m.iter().find(|(k, _)| k == "arguments") {
            walk(children, found);
        }
    }
}

const REDIS_INFO: &[Info] = &[
    ("acl", 0, 0, 0, false, ""),
    ("acl|cat", 0, 0, 0, false, ""),
    ("acl|deluser", 0, 0, 0, false, ""),
    ("acl|dryrun", 0, 0, 0, false, ""),
    ("acl|genpass", 0, 0, 0, false, ""),
    ("acl|getuser", 0, 0, 0, false, ""),
    ("acl|help", 0, 0, 0, false, ""),
    ("acl|list", 0, 0, 0, false, ""),
    ("acl|load", 0, 0, 0, false, ""),
    ("acl|log", 0, 0, 0, false, ""),
    ("acl|save", 0, 0, 0, false, ""),
    ("acl|setuser", 0, 0, 0, false, ""),
    ("acl|users", 0, 0, 0, false, ""),
    ("acl|whoami", 0, 0, 0, false, ""),
    ("append", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("auth", 0, 0, 0, false, ""),
    ("bitcount", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    (
        "bitfield",
        1,
        1,
        1,
        false,
        "(notes) RW,access,update,variable_flags index:1 range:0,1,0",
    ),
    ("bitfield_ro", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    (
        "bitop",
        2,
        -1,
        1,
        false,
        "OW,update index:2 range:0,1,0 | RO,access index:3 range:-1,1,0",
    ),
    ("bitpos", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    (
        "blmove",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | RW,insert index:2 range:0,1,0",
    ),
    ("blmpop", 0, 0, 0, true, "RW,access,delete index:2 keynum:0,1,1"),
    ("blpop", 1, -2, 1, false, "RW,access,delete index:1 range:-2,1,0"),
    ("brpop", 1, -2, 1, false, "RW,access,delete index:1 range:-2,1,0"),
    (
        "brpoplpush",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | RW,insert index:2 range:0,1,0",
    ),
    ("bzmpop", 0, 0, 0, true, "RW,access,delete index:2 keynum:0,1,1"),
    ("bzpopmax", 1, -2, 1, false, "RW,access,delete index:1 range:-2,1,0"),
    ("bzpopmin", 1, -2, 1, false, "RW,access,delete index:1 range:-2,1,0"),
    ("client", 0, 0, 0, false, ""),
    ("client|caching", 0, 0, 0, false, ""),
    ("client|getredir", 0, 0, 0, false, ""),
    ("client|tracking", 0, 0, 0, false, ""),
    ("client|trackinginfo", 0, 0, 0, false, ""),
    ("client|getname", 0, 0, 0, false, ""),
    ("client|help", 0, 0, 0, false, ""),
    ("client|id", 0, 0, 0, false, ""),
    ("client|info", 0, 0, 0, false, ""),
    ("client|kill", 0, 0, 0, false, ""),
    ("client|list", 0, 0, 0, false, ""),
    ("client|no-evict", 0, 0, 0, false, ""),
    ("client|reply", 0, 0, 0, false, ""),
    ("client|setname", 0, 0, 0, false, ""),
    ("client|unblock", 0, 0, 0, false, ""),
    ("command", 0, 0, 0, false, ""),
    ("command|count", 0, 0, 0, false, ""),
    ("command|docs", 0, 0, 0, false, ""),
    ("command|getkeys", 0, 0, 0, false, ""),
    ("command|getkeysandflags", 0, 0, 0, false, ""),
    ("command|help", 0, 0, 0, false, ""),
    ("command|info", 0, 0, 0, false, ""),
    ("command|list", 0, 0, 0, false, ""),
    ("config", 0, 0, 0, false, ""),
    ("config|get", 0, 0, 0, false, ""),
    ("config|help", 0, 0, 0, false, ""),
    ("config|resetstat", 0, 0, 0, false, ""),
    ("config|rewrite", 0, 0, 0, false, ""),
    ("config|set", 0, 0, 0, false, ""),
    (
        "copy",
        1,
        2,
        1,
        false,
        "RO,access index:1 range:0,1,0 | OW,update index:2 range:0,1,0",
    ),
    ("dbsize", 0, 0, 0, false, ""),
    ("debug", 0, 0, 0, false, ""),
    ("decr", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("decrby", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("del", 1, -1, 1, false, "RM,delete index:1 range:-1,1,0"),
    ("discard", 0, 0, 0, false, ""),
    ("dump", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("echo", 0, 0, 0, false, ""),
    ("eval", 0, 0, 0, true, "(notes) RW,access,update index:2 keynum:0,1,1"),
    ("eval_ro", 0, 0, 0, true, "(notes) RO,access index:2 keynum:0,1,1"),
    ("evalsha", 0, 0, 0, true, "RW,access,update index:2 keynum:0,1,1"),
    ("evalsha_ro", 0, 0, 0, true, "RO,access index:2 keynum:0,1,1"),
    ("exec", 0, 0, 0, false, ""),
    ("exists", 1, -1, 1, false, "RO index:1 range:-1,1,0"),
    ("expire", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("expireat", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("expiretime", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("fcall", 0, 0, 0, true, "(notes) RW,access,update index:2 keynum:0,1,1"),
    ("fcall_ro", 0, 0, 0, true, "(notes) RO,access index:2 keynum:0,1,1"),
    ("flushall", 0, 0, 0, false, ""),
    ("flushdb", 0, 0, 0, false, ""),
    ("function", 0, 0, 0, false, ""),
    ("function|delete", 0, 0, 0, false, ""),
    ("function|dump", 0, 0, 0, false, ""),
    ("function|flush", 0, 0, 0, false, ""),
    ("function|help", 0, 0, 0, false, ""),
    ("function|kill", 0, 0, 0, false, ""),
    ("function|list", 0, 0, 0, false, ""),
    ("function|load", 0, 0, 0, false, ""),
    ("function|restore", 0, 0, 0, false, ""),
    ("function|stats", 0, 0, 0, false, ""),
    ("get", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("getbit", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("getdel", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    ("getex", 1, 1, 1, false, "(notes) RW,access,update index:1 range:0,1,0"),
    ("getrange", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("getset", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("hdel", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("hello", 0, 0, 0, false, ""),
    ("hexists", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("hget", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hgetall", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hincrby", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("hincrbyfloat", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("hkeys", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hlen", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("hmget", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hmset", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("hrandfield", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hscan", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("hset", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("hsetnx", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("hstrlen", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("hvals", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("incr", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("incrby", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("incrbyfloat", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("info", 0, 0, 0, false, ""),
    ("keys", 0, 0, 0, false, ""),
    ("lindex", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("linsert", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("llen", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    (
        "lmove",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | RW,insert index:2 range:0,1,0",
    ),
    ("lmpop", 0, 0, 0, true, "RW,access,delete index:1 keynum:0,1,1"),
    ("lpop", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    ("lpos", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("lpush", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("lpushx", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("lrange", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("lrem", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("lset", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("ltrim", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("memory", 0, 0, 0, false, ""),
    ("memory|doctor", 0, 0, 0, false, ""),
    ("memory|help", 0, 0, 0, false, ""),
    ("memory|malloc-stats", 0, 0, 0, false, ""),
    ("memory|purge", 0, 0, 0, false, ""),
    ("memory|stats", 0, 0, 0, false, ""),
    ("memory|usage", 2, 2, 1, false, "RO index:2 range:0,1,0"),
    ("mget", 1, -1, 1, false, "RO,access index:1 range:-1,1,0"),
    (
        "migrate",
        3,
        3,
        1,
        true,
        "RW,access,delete index:3 range:0,1,0 | RW,access,delete,incomplete keyword:KEYS,-2 range:-1,1,0",
    ),
    ("move", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("mset", 1, -1, 2, false, "OW,update index:1 range:-1,2,0"),
    ("msetnx", 1, -1, 2, false, "OW,insert index:1 range:-1,2,0"),
    ("multi", 0, 0, 0, false, ""),
    ("object", 0, 0, 0, false, ""),
    ("object|encoding", 2, 2, 1, false, "RO index:2 range:0,1,0"),
    ("object|freq", 2, 2, 1, false, "RO index:2 range:0,1,0"),
    ("object|help", 0, 0, 0, false, ""),
    ("object|idletime", 2, 2, 1, false, "RO index:2 range:0,1,0"),
    ("object|refcount", 2, 2, 1, false, "RO index:2 range:0,1,0"),
    ("persist", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("pexpire", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("pexpireat", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("pexpiretime", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("ping", 0, 0, 0, false, ""),
    ("psubscribe", 0, 0, 0, false, ""),
    ("publish", 0, 0, 0, false, ""),
    ("pubsub", 0, 0, 0, false, ""),
    ("pubsub|channels", 0, 0, 0, false, ""),
    ("pubsub|help", 0, 0, 0, false, ""),
    ("pubsub|numpat", 0, 0, 0, false, ""),
    ("pubsub|numsub", 0, 0, 0, false, ""),
    ("pubsub|shardchannels", 0, 0, 0, false, ""),
    ("pubsub|shardnumsub", 0, 0, 0, false, ""),
    ("punsubscribe", 0, 0, 0, false, ""),
    ("spublish", 1, 1, 1, false, "not_key index:1 range:0,1,0"),
    ("ssubscribe", 1, -1, 1, false, "not_key index:1 range:-1,1,0"),
    ("subscribe", 0, 0, 0, false, ""),
    ("sunsubscribe", 1, -1, 1, false, "not_key index:1 range:-1,1,0"),
    ("unsubscribe", 0, 0, 0, false, ""),
    ("psetex", 1, 1, 1, false, "OW,update index:1 range:0,1,0"),
    ("pttl", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("quit", 0, 0, 0, false, ""),
    ("randomkey", 0, 0, 0, false, ""),
    (
        "rename",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | OW,update index:2 range:0,1,0",
    ),
    (
        "renamenx",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | OW,insert index:2 range:0,1,0",
    ),
    ("reset", 0, 0, 0, false, ""),
    ("restore", 1, 1, 1, false, "OW,update index:1 range:0,1,0"),
    ("rpop", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    (
        "rpoplpush",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | RW,insert index:2 range:0,1,0",
    ),
    ("rpush", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("rpushx", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("sadd", 1, 1, 1, false, "RW,insert index:1 range:0,1,0"),
    ("scan", 0, 0, 0, false, ""),
    ("scard", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("script", 0, 0, 0, false, ""),
    ("script|exists", 0, 0, 0, false, ""),
    ("script|flush", 0, 0, 0, false, ""),
    ("script|help", 0, 0, 0, false, ""),
    ("script|kill", 0, 0, 0, false, ""),
    ("script|load", 0, 0, 0, false, ""),
    ("sdiff", 1, -1, 1, false, "RO,access index:1 range:-1,1,0"),
    (
        "sdiffstore",
        1,
        -1,
        1,
        false,
        "OW,update index:1 range:0,1,0 | RO,access index:2 range:-1,1,0",
    ),
    ("select", 0, 0, 0, false, ""),
    (
        "set",
        1,
        1,
        1,
        false,
        "(notes) RW,access,update,variable_flags index:1 range:0,1,0",
    ),
    ("setbit", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("setex", 1, 1, 1, false, "OW,update index:1 range:0,1,0"),
    ("setnx", 1, 1, 1, false, "OW,insert index:1 range:0,1,0"),
    ("setrange", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("shutdown", 0, 0, 0, false, ""),
    ("save", 0, 0, 0, false, ""),
    ("bgsave", 0, 0, 0, false, ""),
    ("lastsave", 0, 0, 0, false, ""),
    ("sync", 0, 0, 0, false, ""),
    ("psync", 0, 0, 0, false, ""),
    ("replconf", 0, 0, 0, false, ""),
    ("replicaof", 0, 0, 0, false, ""),
    ("slaveof", 0, 0, 0, false, ""),
    ("wait", 0, 0, 0, false, ""),
    ("sinter", 1, -1, 1, false, "RO,access index:1 range:-1,1,0"),
    ("sintercard", 0, 0, 0, true, "RO,access index:1 keynum:0,1,1"),
    (
        "sinterstore",
        1,
        -1,
        1,
        false,
        "RW,update index:1 range:0,1,0 | RO,access index:2 range:-1,1,0",
    ),
    ("sismember", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("smembers", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("smismember", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    (
        "smove",
        1,
        2,
        1,
        false,
        "RW,access,delete index:1 range:0,1,0 | RW,insert index:2 range:0,1,0",
    ),
    (
        "sort",
        1,
        1,
        1,
        true,
        "RO,access index:1 range:0,1,0 | (notes) RO,access unknown unknown | (notes) OW,update unknown unknown",
    ),
    (
        "sort_ro",
        1,
        1,
        1,
        true,
        "RO,access index:1 range:0,1,0 | (notes) RO,access unknown unknown",
    ),
    ("spop", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    ("srandmember", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("srem", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("sscan", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("strlen", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("substr", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("sunion", 1, -1, 1, false, "RO,access index:1 range:-1,1,0"),
    (
        "sunionstore",
        1,
        -1,
        1,
        false,
        "OW,update index:1 range:0,1,0 | RO,access index:2 range:-1,1,0",
    ),
    ("swapdb", 0, 0, 0, false, ""),
    ("time", 0, 0, 0, false, ""),
    ("touch", 1, -1, 1, false, "RO index:1 range:-1,1,0"),
    ("ttl", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("type", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("unlink", 1, -1, 1, false, "RM,delete index:1 range:-1,1,0"),
    ("unwatch", 0, 0, 0, false, ""),
    ("watch", 1, -1, 1, false, "RO index:1 range:-1,1,0"),
    ("zadd", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("zcard", 1, 1, 1, false, "RO index:1 range:0,1,0"),
    ("zcount", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zdiff", 0, 0, 0, true, "RO,access index:1 keynum:0,1,1"),
    (
        "zdiffstore",
        1,
        1,
        1,
        true,
        "OW,update index:1 range:0,1,0 | RO,access index:2 keynum:0,1,1",
    ),
    ("zincrby", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("zinter", 0, 0, 0, true, "RO,access index:1 keynum:0,1,1"),
    ("zintercard", 0, 0, 0, true, "RO,access index:1 keynum:0,1,1"),
    (
        "zinterstore",
        1,
        1,
        1,
        true,
        "OW,update index:1 range:0,1,0 | RO,access index:2 keynum:0,1,1",
    ),
    ("zlexcount", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zmpop", 0, 0, 0, true, "RW,access,delete index:1 keynum:0,1,1"),
    ("zmscore", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zpopmax", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    ("zpopmin", 1, 1, 1, false, "RW,access,delete index:1 range:0,1,0"),
    ("zrandmember", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrange", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrangebylex", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrangebyscore", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    (
        "zrangestore",
        1,
        2,
        1,
        false,
        "OW,update index:1 range:0,1,0 | RO,access index:2 range:0,1,0",
    ),
    ("zrank", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrem", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("zremrangebylex", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("zremrangebyrank", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("zremrangebyscore", 1, 1, 1, false, "RW,delete index:1 range:0,1,0"),
    ("zrevrange", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrevrangebylex", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrevrangebyscore", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zrevrank", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zscan", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zscore", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("zunion", 0, 0, 0, true, "RO,access index:1 keynum:0,1,1"),
    (
        "zunionstore",
        1,
        1,
        1,
        true,
        "OW,update index:1 range:0,1,0 | RO,access index:2 keynum:0,1,1",
    ),
    ("client|pause", 0, 0, 0, false, ""),
    ("client|unpause", 0, 0, 0, false, ""),
    ("latency", 0, 0, 0, false, ""),
    ("latency|doctor", 0, 0, 0, false, ""),
    ("latency|graph", 0, 0, 0, false, ""),
    ("latency|help", 0, 0, 0, false, ""),
    ("latency|histogram", 0, 0, 0, false, ""),
    ("latency|history", 0, 0, 0, false, ""),
    ("latency|latest", 0, 0, 0, false, ""),
    ("latency|reset", 0, 0, 0, false, ""),
    ("lcs", 1, 2, 1, false, "RO,access index:1 range:1,1,0"),
    ("lolwut", 0, 0, 0, false, ""),
    ("monitor", 0, 0, 0, false, ""),
    ("role", 0, 0, 0, false, ""),
    ("slowlog", 0, 0, 0, false, ""),
    ("slowlog|get", 0, 0, 0, false, ""),
    ("slowlog|help", 0, 0, 0, false, ""),
    ("slowlog|len", 0, 0, 0, false, ""),
    ("slowlog|reset", 0, 0, 0, false, ""),
];

const OWN_INFO: &[Info] = &[
    ("cache.add", 1, 1, 1, false, "OW,insert index:1 range:0,1,0"),
    ("cache.deltagged", 0, 0, 0, false, ""),
    (
        "cache.depend",
        1,
        -1,
        1,
        false,
        "RW,update index:1 range:0,1,0 | (notes) RO index:2 range:-1,1,0",
    ),
    ("cache.forceunlock", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("cache.get", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("cache.getifnewer", 1, 1, 1, false, "RO,access index:1 range:0,1,0"),
    ("cache.lock", 1, 1, 1, false, "RW,access,update index:1 range:0,1,0"),
    ("cache.policy", 0, 0, 0, false, ""),
    ("cache.put", 1, 1, 1, false, "OW,update index:1 range:0,1,0"),
    ("cache.putunlock", 1, 1, 1, false, "OW,update index:1 range:0,1,0"),
    ("cache.remove", 1, 1, 1, false, "RM,delete index:1 range:0,1,0"),
    ("cache.resetttl", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("cache.flags", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("cache.tagged", 0, 0, 0, false, ""),
    ("cache.unlock", 1, 1, 1, false, "RW,update index:1 range:0,1,0"),
    ("client|no-touch", 0, 0, 0, false, ""),
    ("client|setinfo", 0, 0, 0, false, ""),
];

const REDIS_GETKEYS: &[(&str, &str)] = &[
    ("acl setuser k1", "ERR The command has no key arguments"),
    ("acl dryrun k1 get k2", "ERR The command has no key arguments"),
    ("append k1 k2", "k1 RW,insert"),
    ("auth k1", "ERR The command has no key arguments"),
    ("auth k1 x1 x2", "ERR The command has no key arguments"),
    ("bitcount k1", "k1 RO,access"),
    ("bitcount k1 x1 x2", "k1 RO,access"),
    ("bitfield k1", "k1 RO,access"),
    ("bitfield k1 x1 x2", "k1 RW,access,update"),
    ("bitfield_ro k1", "k1 RO,access"),
    ("bitfield_ro k1 x1 x2", "k1 RO,access"),
    ("bitop k1 k2 k3", "k2 OW,update; k3 RO,access"),
    (
        "bitop k1 k2 k3 x1 x2",
        "k2 OW,update; k3 RO,access; x1 RO,access; x2 RO,access",
    ),
    ("bitpos k1 k2", "k1 RO,access"),
    ("bitpos k1 k2 x1 x2", "k1 RO,access"),
    ("blmove k1 k2 k3 k4 k5", "k1 RW,access,delete; k2 RW,insert"),
    ("blmpop k1 k2 k3 k4", "ERR Invalid arguments specified for command"),
    (
        "blmpop k1 k2 k3 k4 x1 x2",
        "ERR Invalid arguments specified for command",
    ),
    ("blpop k1 k2", "k1 RW,access,delete"),
    (
        "blpop k1 k2 x1 x2",
        "k1 RW,access,delete; k2 RW,access,delete; x1 RW,access,delete",
    ),
    ("brpop k1 k2", "k1 RW,access,delete"),
    (
        "brpop k1 k2 x1 x2",
        "k1 RW,access,delete; k2 RW,access,delete; x1 RW,access,delete",
    ),
    ("brpoplpush k1 k2 k3", "k1 RW,access,delete; k2 RW,insert"),
    ("bzmpop k1 k2 k3 k4", "ERR Invalid arguments specified for command"),
    (
        "bzmpop k1 k2 k3 k4 x1 x2",
        "ERR Invalid arguments specified for command",
    ),
    ("bzpopmax k1 k2", "k1 RW,access,delete"),
    (
        "bzpopmax k1 k2 x1 x2",
        "k1 RW,access,delete; k2 RW,access,delete; x1 RW,access,delete",
    ),
    ("bzpopmin k1 k2", "k1 RW,access,delete"),
    (
        "bzpopmin k1 k2 x1 x2",
        "k1 RW,access,delete; k2 RW,access,delete; x1 RW,access,delete",
    ),
    ("client k1", "ERR Invalid command specified"),
    ("client k1 x1 x2", "ERR Invalid command specified"),
    ("client getname", "ERR The command has no key arguments"),
    ("client help", "ERR The command has no key arguments"),
    ("client id", "ERR The command has no key arguments"),
    ("client info", "ERR The command has no key arguments"),
    ("client kill k1", "ERR The command has no key arguments"),
    ("client kill k1 x1 x2", "ERR The command has no key arguments"),
    ("client list", "ERR The command has no key arguments"),
    ("client list x1 x2", "ERR The command has no key arguments"),
    ("client no-evict k1", "ERR The command has no key arguments"),
    ("client reply k1", "ERR The command has no key arguments"),
    ("client setname k1", "ERR The command has no key arguments"),
    ("client unblock k1", "ERR The command has no key arguments"),
    ("client unblock k1 x1 x2", "ERR The command has no key arguments"),
    (
        "command",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("command x1 x2", "ERR Invalid command specified"),
    ("command count", "ERR The command has no key arguments"),
    ("command docs", "ERR The command has no key arguments"),
    ("command docs x1 x2", "ERR The command has no key arguments"),
    ("command getkeys k1 k2", "ERR The command has no key arguments"),
    ("command getkeys k1 k2 x1 x2", "ERR The command has no key arguments"),
    ("command getkeysandflags k1 k2", "ERR The command has no key arguments"),
    (
        "command getkeysandflags k1 k2 x1 x2",
        "ERR The command has no key arguments",
    ),
    ("command help", "ERR The command has no key arguments"),
    ("command info", "ERR The command has no key arguments"),
    ("command info x1 x2", "ERR The command has no key arguments"),
    ("command list", "ERR The command has no key arguments"),
    ("command list x1 x2", "ERR The command has no key arguments"),
    ("config k1", "ERR Invalid command specified"),
    ("config k1 x1 x2", "ERR Invalid command specified"),
    ("config get k1", "ERR The command has no key arguments"),
    ("config get k1 x1 x2", "ERR The command has no key arguments"),
    ("config help", "ERR The command has no key arguments"),
    ("config resetstat", "ERR The command has no key arguments"),
    ("config rewrite", "ERR The command has no key arguments"),
    ("config set k1 k2", "ERR The command has no key arguments"),
    ("config set k1 k2 x1 x2", "ERR The command has no key arguments"),
    ("copy k1 k2", "k1 RO,access; k2 OW,update"),
    ("copy k1 k2 x1 x2", "k1 RO,access; k2 OW,update"),
    (
        "dbsize",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("debug k1", "ERR The command has no key arguments"),
    ("debug k1 x1 x2", "ERR The command has no key arguments"),
    ("decr k1", "k1 RW,access,update"),
    ("decrby k1 k2", "k1 RW,access,update"),
    ("del k1", "k1 RM,delete"),
    ("del k1 x1 x2", "k1 RM,delete; x1 RM,delete; x2 RM,delete"),
    (
        "discard",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("echo k1", "ERR The command has no key arguments"),
    ("eval k1 k2", ""),
    ("eval k1 k2 x1 x2", ""),
    ("eval_ro k1 k2", ""),
    ("eval_ro k1 k2 x1 x2", ""),
    ("evalsha k1 k2", ""),
    ("evalsha k1 k2 x1 x2", ""),
    ("evalsha_ro k1 k2", ""),
    ("evalsha_ro k1 k2 x1 x2", ""),
    (
        "exec",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("exists k1", "k1 RO"),
    ("exists k1 x1 x2", "k1 RO; x1 RO; x2 RO"),
    ("expire k1 k2", "k1 RW,update"),
    ("expire k1 k2 x1 x2", "k1 RW,update"),
    ("expireat k1 k2", "k1 RW,update"),
    ("expireat k1 k2 x1 x2", "k1 RW,update"),
    ("expiretime k1", "k1 RO,access"),
    ("fcall k1 k2", ""),
    ("fcall k1 k2 x1 x2", ""),
    ("fcall_ro k1 k2", ""),
    ("fcall_ro k1 k2 x1 x2", ""),
    (
        "flushall",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("flushall x1 x2", "ERR The command has no key arguments"),
    (
        "flushdb",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("flushdb x1 x2", "ERR The command has no key arguments"),
    ("function k1", "ERR Invalid command specified"),
    ("function k1 x1 x2", "ERR Invalid command specified"),
    ("function delete k1", "ERR The command has no key arguments"),
    ("function flush", "ERR The command has no key arguments"),
    ("function flush x1 x2", "ERR The command has no key arguments"),
    ("function help", "ERR The command has no key arguments"),
    ("function kill", "ERR The command has no key arguments"),
    ("function list", "ERR The command has no key arguments"),
    ("function list x1 x2", "ERR The command has no key arguments"),
    ("function load k1", "ERR The command has no key arguments"),
    ("function load k1 x1 x2", "ERR The command has no key arguments"),
    ("function stats", "ERR The command has no key arguments"),
    ("get k1", "k1 RO,access"),
    ("getbit k1 k2", "k1 RO,access"),
    ("getdel k1", "k1 RW,access,delete"),
    ("getex k1", "k1 RW,access,update"),
    ("getex k1 x1 x2", "k1 RW,access,update"),
    ("getrange k1 k2 k3", "k1 RO,access"),
    ("getset k1 k2", "k1 RW,access,update"),
    ("hdel k1 k2", "k1 RW,delete"),
    ("hdel k1 k2 x1 x2", "k1 RW,delete"),
    (
        "hello",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("hello x1 x2", "ERR The command has no key arguments"),
    ("hexists k1 k2", "k1 RO"),
    ("hget k1 k2", "k1 RO,access"),
    ("hgetall k1", "k1 RO,access"),
    ("hincrby k1 k2 k3", "k1 RW,access,update"),
    ("hincrbyfloat k1 k2 k3", "k1 RW,access,update"),
    ("hkeys k1", "k1 RO,access"),
    ("hlen k1", "k1 RO"),
    ("hmget k1 k2", "k1 RO,access"),
    ("hmget k1 k2 x1 x2", "k1 RO,access"),
    ("hmset k1 k2 k3", "k1 RW,update"),
    ("hmset k1 k2 k3 x1 x2", "k1 RW,update"),
    ("hrandfield k1", "k1 RO,access"),
    ("hrandfield k1 x1 x2", "k1 RO,access"),
    ("hscan k1 k2", "k1 RO,access"),
    ("hscan k1 k2 x1 x2", "k1 RO,access"),
    ("hset k1 k2 k3", "k1 RW,update"),
    ("hset k1 k2 k3 x1 x2", "k1 RW,update"),
    ("hsetnx k1 k2 k3", "k1 RW,insert"),
    ("hstrlen k1 k2", "k1 RO"),
    ("hvals k1", "k1 RO,access"),
    ("incr k1", "k1 RW,access,update"),
    ("incrby k1 k2", "k1 RW,access,update"),
    ("incrbyfloat k1 k2", "k1 RW,access,update"),
    (
        "info",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("info x1 x2", "ERR The command has no key arguments"),
    ("keys k1", "ERR The command has no key arguments"),
    ("lindex k1 k2", "k1 RO,access"),
    ("linsert k1 k2 k3 k4", "k1 RW,insert"),
    ("llen k1", "k1 RO"),
    ("lmove k1 k2 k3 k4", "k1 RW,access,delete; k2 RW,insert"),
    ("lmpop k1 k2 k3", "ERR Invalid arguments specified for command"),
    ("lmpop k1 k2 k3 x1 x2", "ERR Invalid arguments specified for command"),
    ("lpop k1", "k1 RW,access,delete"),
    ("lpop k1 x1 x2", "k1 RW,access,delete"),
    ("lpos k1 k2", "k1 RO,access"),
    ("lpos k1 k2 x1 x2", "k1 RO,access"),
    ("lpush k1 k2", "k1 RW,insert"),
    ("lpush k1 k2 x1 x2", "k1 RW,insert"),
    ("lpushx k1 k2", "k1 RW,insert"),
    ("lpushx k1 k2 x1 x2", "k1 RW,insert"),
    ("lrange k1 k2 k3", "k1 RO,access"),
    ("lrem k1 k2 k3", "k1 RW,delete"),
    ("lset k1 k2 k3", "k1 RW,update"),
    ("ltrim k1 k2 k3", "k1 RW,delete"),
    ("memory k1", "ERR Invalid command specified"),
    ("memory k1 x1 x2", "ERR Invalid command specified"),
    ("memory doctor", "ERR The command has no key arguments"),
    ("memory help", "ERR The command has no key arguments"),
    ("memory malloc-stats", "ERR The command has no key arguments"),
    ("memory purge", "ERR The command has no key arguments"),
    ("memory stats", "ERR The command has no key arguments"),
    ("memory usage k1", "k1 RO"),
    ("memory usage k1 x1 x2", "k1 RO"),
    ("migrate h 1 k1 0 5", "k1 RW,access,delete"),
    ("migrate h 1  0 5 KEYS a b", "a RW,access,delete; b RW,access,delete"),
    (
        "migrate h 1 k1 0 5 KEYS a b",
        "ERR Invalid arguments specified for command",
    ),
    ("migrate h 1  0 5 AUTH keys KEYS a", "a RW,access,delete"),
    ("migrate h 1  0 5 COPY REPLACE AUTH2 u p KEYS a", "a RW,access,delete"),
    ("restore k1 0 p", "k1 OW,update"),
    ("restore k1 0 p REPLACE", "k1 OW,update"),
    ("dump k1", "k1 RO,access"),
    ("mget k1", "k1 RO,access"),
    ("mget k1 x1 x2", "k1 RO,access; x1 RO,access; x2 RO,access"),
    ("move k1 k2", "k1 RW,access,update"),
    ("mset k1 k2", "k1 OW,update"),
    ("mset k1 k2 x1 x2", "k1 OW,update; x1 OW,update"),
    ("msetnx k1 k2", "k1 OW,insert"),
    ("msetnx k1 k2 x1 x2", "k1 OW,insert; x1 OW,insert"),
    (
        "multi",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("object k1", "ERR Invalid command specified"),
    ("object k1 x1 x2", "ERR Invalid command specified"),
    ("object encoding k1", "k1 RO"),
    ("object freq k1", "k1 RO"),
    ("object help", "ERR The command has no key arguments"),
    ("object idletime k1", "k1 RO"),
    ("object refcount k1", "k1 RO"),
    ("persist k1", "k1 RW,update"),
    ("pexpire k1 k2", "k1 RW,update"),
    ("pexpire k1 k2 x1 x2", "k1 RW,update"),
    ("pexpireat k1 k2", "k1 RW,update"),
    ("pexpireat k1 k2 x1 x2", "k1 RW,update"),
    ("pexpiretime k1", "k1 RO,access"),
    (
        "ping",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("ping x1 x2", "ERR The command has no key arguments"),
    ("psetex k1 k2 k3", "k1 OW,update"),
    ("pttl k1", "k1 RO,access"),
    (
        "quit",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("quit x1 x2", "ERR The command has no key arguments"),
    (
        "randomkey",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("rename k1 k2", "k1 RW,access,delete; k2 OW,update"),
    ("lcs k1 k2 IDX MINMATCHLEN 2", "k1 RO,access; k2 RO,access"),
    ("renamenx k1 k2", "k1 RW,access,delete; k2 OW,insert"),
    (
        "reset",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("rpop k1", "k1 RW,access,delete"),
    ("rpop k1 x1 x2", "k1 RW,access,delete"),
    ("rpoplpush k1 k2", "k1 RW,access,delete; k2 RW,insert"),
    ("rpush k1 k2", "k1 RW,insert"),
    ("rpush k1 k2 x1 x2", "k1 RW,insert"),
    ("rpushx k1 k2", "k1 RW,insert"),
    ("rpushx k1 k2 x1 x2", "k1 RW,insert"),
    ("sadd k1 k2", "k1 RW,insert"),
    ("sadd k1 k2 x1 x2", "k1 RW,insert"),
    ("scan k1", "ERR The command has no key arguments"),
    ("scan k1 x1 x2", "ERR The command has no key arguments"),
    ("scard k1", "k1 RO"),
    ("script k1", "ERR Invalid command specified"),
    ("script k1 x1 x2", "ERR Invalid command specified"),
    ("script exists k1", "ERR The command has no key arguments"),
    ("script exists k1 x1 x2", "ERR The command has no key arguments"),
    ("script flush", "ERR The command has no key arguments"),
    ("script flush x1 x2", "ERR The command has no key arguments"),
    ("script help", "ERR The command has no key arguments"),
    ("script kill", "ERR The command has no key arguments"),
    ("script load k1", "ERR The command has no key arguments"),
    ("sdiff k1", "k1 RO,access"),
    ("sdiff k1 x1 x2", "k1 RO,access; x1 RO,access; x2 RO,access"),
    ("sdiffstore k1 k2", "k1 OW,update; k2 RO,access"),
    (
        "sdiffstore k1 k2 x1 x2",
        "k1 OW,update; k2 RO,access; x1 RO,access; x2 RO,access",
    ),
    ("select k1", "ERR The command has no key arguments"),
    ("set k1 k2", "k1 OW,update"),
    ("set k1 k2 x1 x2", "k1 OW,update"),
    ("setbit k1 k2 k3", "k1 RW,access,update"),
    ("setex k1 k2 k3", "k1 OW,update"),
    ("setnx k1 k2", "k1 OW,insert"),
    ("setrange k1 k2 k3", "k1 RW,update"),
    (
        "shutdown",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("shutdown x1 x2", "ERR The command has no key arguments"),
    ("sinter k1", "k1 RO,access"),
    ("sinter k1 x1 x2", "k1 RO,access; x1 RO,access; x2 RO,access"),
    ("sintercard k1 k2", "ERR Invalid arguments specified for command"),
    ("sintercard k1 k2 x1 x2", "ERR Invalid arguments specified for command"),
    ("sinterstore k1 k2", "k1 RW,update; k2 RO,access"),
    (
        "sinterstore k1 k2 x1 x2",
        "k1 RW,update; k2 RO,access; x1 RO,access; x2 RO,access",
    ),
    ("sismember k1 k2", "k1 RO"),
    ("smembers k1", "k1 RO,access"),
    ("smismember k1 k2", "k1 RO,access"),
    ("smismember k1 k2 x1 x2", "k1 RO,access"),
    ("smove k1 k2 k3", "k1 RW,access,delete; k2 RW,insert"),
    ("sort k1", "k1 RO,access"),
    ("sort k1 x1 x2", "k1 RO,access"),
    ("sort_ro k1", "k1 RO,access"),
    ("sort_ro k1 x1 x2", "k1 RO,access"),
    ("spop k1", "k1 RW,access,delete"),
    ("spop k1 x1 x2", "k1 RW,access,delete"),
    ("srandmember k1", "k1 RO,access"),
    ("srandmember k1 x1 x2", "k1 RO,access"),
    ("srem k1 k2", "k1 RW,delete"),
    ("srem k1 k2 x1 x2", "k1 RW,delete"),
    ("sscan k1 k2", "k1 RO,access"),
    ("sscan k1 k2 x1 x2", "k1 RO,access"),
    ("strlen k1", "k1 RO"),
    ("substr k1 k2 k3", "k1 RO,access"),
    ("sunion k1", "k1 RO,access"),
    ("sunion k1 x1 x2", "k1 RO,access; x1 RO,access; x2 RO,access"),
    ("sunionstore k1 k2", "k1 OW,update; k2 RO,access"),
    (
        "sunionstore k1 k2 x1 x2",
        "k1 OW,update; k2 RO,access; x1 RO,access; x2 RO,access",
    ),
    ("swapdb k1 k2", "ERR The command has no key arguments"),
    (
        "time",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("touch k1", "k1 RO"),
    ("touch k1 x1 x2", "k1 RO; x1 RO; x2 RO"),
    ("ttl k1", "k1 RO,access"),
    ("type k1", "k1 RO"),
    ("unlink k1", "k1 RM,delete"),
    ("unlink k1 x1 x2", "k1 RM,delete; x1 RM,delete; x2 RM,delete"),
    (
        "unwatch",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("watch k1", "k1 RO"),
    ("watch k1 x1 x2", "k1 RO; x1 RO; x2 RO"),
    ("zadd k1 k2 k3", "k1 RW,update"),
    ("zadd k1 k2 k3 x1 x2", "k1 RW,update"),
    ("zcard k1", "k1 RO"),
    ("zcount k1 k2 k3", "k1 RO,access"),
    ("zdiff k1 k2", "ERR Invalid arguments specified for command"),
    ("zdiff k1 k2 x1 x2", "ERR Invalid arguments specified for command"),
    ("zdiffstore k1 k2 k3", "ERR Invalid arguments specified for command"),
    (
        "zdiffstore k1 k2 k3 x1 x2",
        "ERR Invalid arguments specified for command",
    ),
    ("zincrby k1 k2 k3", "k1 RW,access,update"),
    ("zinter k1 k2", "ERR Invalid arguments specified for command"),
    ("zinter k1 k2 x1 x2", "ERR Invalid arguments specified for command"),
    ("zintercard k1 k2", "ERR Invalid arguments specified for command"),
    ("zintercard k1 k2 x1 x2", "ERR Invalid arguments specified for command"),
    ("zinterstore k1 k2 k3", "ERR Invalid arguments specified for command"),
    (
        "zinterstore k1 k2 k3 x1 x2",
        "ERR Invalid arguments specified for command",
    ),
    ("zlexcount k1 k2 k3", "k1 RO,access"),
    ("zmpop k1 k2 k3", "ERR Invalid arguments specified for command"),
    ("zmpop k1 k2 k3 x1 x2", "ERR Invalid arguments specified for command"),
    ("zmscore k1 k2", "k1 RO,access"),
    ("zmscore k1 k2 x1 x2", "k1 RO,access"),
    ("zpopmax k1", "k1 RW,access,delete"),
    ("zpopmax k1 x1 x2", "k1 RW,access,delete"),
    ("zpopmin k1", "k1 RW,access,delete"),
    ("zpopmin k1 x1 x2", "k1 RW,access,delete"),
    ("zrandmember k1", "k1 RO,access"),
    ("zrandmember k1 x1 x2", "k1 RO,access"),
    ("zrange k1 k2 k3", "k1 RO,access"),
    ("zrange k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrangebylex k1 k2 k3", "k1 RO,access"),
    ("zrangebylex k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrangebyscore k1 k2 k3", "k1 RO,access"),
    ("zrangebyscore k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrangestore k1 k2 k3 k4", "k1 OW,update; k2 RO,access"),
    ("zrangestore k1 k2 k3 k4 x1 x2", "k1 OW,update; k2 RO,access"),
    ("zrank k1 k2", "k1 RO,access"),
    ("zrem k1 k2", "k1 RW,delete"),
    ("zrem k1 k2 x1 x2", "k1 RW,delete"),
    ("zremrangebylex k1 k2 k3", "k1 RW,delete"),
    ("zremrangebyrank k1 k2 k3", "k1 RW,delete"),
    ("zremrangebyscore k1 k2 k3", "k1 RW,delete"),
    ("zrevrange k1 k2 k3", "k1 RO,access"),
    ("zrevrange k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrevrangebylex k1 k2 k3", "k1 RO,access"),
    ("zrevrangebylex k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrevrangebyscore k1 k2 k3", "k1 RO,access"),
    ("zrevrangebyscore k1 k2 k3 x1 x2", "k1 RO,access"),
    ("zrevrank k1 k2", "k1 RO,access"),
    ("zscan k1 k2", "k1 RO,access"),
    ("zscan k1 k2 x1 x2", "k1 RO,access"),
    ("zscore k1 k2", "k1 RO,access"),
    ("zunion k1 k2", "ERR Invalid arguments specified for command"),
    ("zunion k1 k2 x1 x2", "ERR Invalid arguments specified for command"),
    ("zunionstore k1 k2 k3", "ERR Invalid arguments specified for command"),
    (
        "zunionstore k1 k2 k3 x1 x2",
        "ERR Invalid arguments specified for command",
    ),
    (
        "zunionstore d 2 a b WEIGHTS 1 2",
        "d OW,update; a RO,access; b RO,access",
    ),
    (
        "zinterstore d 2 a b AGGREGATE MAX",
        "d OW,update; a RO,access; b RO,access",
    ),
    ("zdiffstore d 1 a", "d OW,update; a RO,access"),
    ("zunionstore d 3 a b", "ERR Invalid arguments specified for command"),
    ("zunionstore d 2x a b", "a ; b ; d "),
    ("zunionstore d -1 a b", "ERR Invalid arguments specified for command"),
    ("zunion 2 a b WITHSCORES", "a RO,access; b RO,access"),
    ("zinter 1 a", "a RO,access"),
    ("zdiff 2 a b", "a RO,access; b RO,access"),
    ("zintercard 2 a b LIMIT 1", "a RO,access; b RO,access"),
    ("sintercard 2 a b LIMIT 1", "a RO,access; b RO,access"),
    ("lmpop 2 a b LEFT COUNT 2", "a RW,access,delete; b RW,access,delete"),
    ("blmpop 0 2 a b LEFT", "a RW,access,delete; b RW,access,delete"),
    ("zmpop 1 z MIN", "z RW,access,delete"),
    ("bzmpop 0 1 z MAX COUNT 3", "z RW,access,delete"),
    ("eval s 2 a b c", "a RW,access,update; b RW,access,update"),
    ("eval s 0", ""),
    ("eval s -1", ""),
    ("eval s 3 a b", ""),
    ("evalsha 0123 1 a", "a RW,access,update"),
    ("eval_ro s 1 a x", "a RO,access"),
    ("evalsha_ro s 1 a", "a RO,access"),
    ("fcall f 2 a b x", "a RW,access,update; b RW,access,update"),
    ("fcall_ro f 1 a", "a RO,access"),
    ("fcall f 0 x", ""),
    ("sort k1 STORE k2", "k1 RO,access; k2 OW,update"),
    (
        "sort k1 LIMIT 0 1 GET # BY w STORE k2 STORE k3",
        "k1 RO,access; k3 OW,update",
    ),
    ("sort k1 GET store", "k1 RO,access"),
    ("sort k1 BY store", "k1 RO,access"),
    ("sort_ro k1 BY w GET # ALPHA", "k1 RO,access"),
    ("set k1 v1", "k1 OW,update"),
    ("set k1 v1 GET", "k1 RW,access,update"),
    ("set k1 v1 NX GET EX 10", "k1 RW,access,update"),
    ("getex k1 PERSIST", "k1 RW,access,update"),
    ("bitfield k1 GET u8 0", "k1 RO,access"),
    ("bitfield k1 GET u8 0 INCRBY u8 0 1", "k1 RW,access,update"),
    ("bitfield k1 OVERFLOW SAT SET u8 0 1", "k1 RW,access,update"),
    ("bitfield k1 foo", "k1 RW,access,update"),
    ("bitfield_ro k1 GET u8 0", "k1 RO,access"),
    ("mset k1 v1 k2 v2", "k1 OW,update; k2 OW,update"),
    ("msetnx k1 v1 k2 v2", "k1 OW,insert; k2 OW,insert"),
    ("mget a b c", "a RO,access; b RO,access; c RO,access"),
    ("del a b c", "a RM,delete; b RM,delete; c RM,delete"),
    ("unlink a b", "a RM,delete; b RM,delete"),
    ("exists a b", "a RO; b RO"),
    ("touch a b", "a RO; b RO"),
    ("lmove k1 k2 left right", "k1 RW,access,delete; k2 RW,insert"),
    ("blmove k1 k2 left right 0", "k1 RW,access,delete; k2 RW,insert"),
    ("rpoplpush a b", "a RW,access,delete; b RW,insert"),
    ("brpoplpush a b 0", "a RW,access,delete; b RW,insert"),
    (
        "blpop a b c 0",
        "a RW,access,delete; b RW,access,delete; c RW,access,delete",
    ),
    ("brpop a 0", "a RW,access,delete"),
    ("bzpopmin a b 0", "a RW,access,delete; b RW,access,delete"),
    ("smove a b m", "a RW,access,delete; b RW,insert"),
    (
        "sunionstore d a b c",
        "d OW,update; a RO,access; b RO,access; c RO,access",
    ),
    ("sinterstore d a", "d RW,update; a RO,access"),
    ("sdiff a b", "a RO,access; b RO,access"),
    ("copy a b DB 1 REPLACE", "a RO,access; b OW,update"),
    ("rename a b", "a RW,access,delete; b OW,update"),
    ("renamenx a b", "a RW,access,delete; b OW,insert"),
    ("zrangestore d s 0 -1", "d OW,update; s RO,access"),
    ("object encoding k", "k RO"),
    ("object freq k", "k RO"),
    ("memory usage k SAMPLES 5", "k RO"),
    ("memory usage k", "k RO"),
    ("memory stats", "ERR The command has no key arguments"),
    ("config get maxmemory", "ERR The command has no key arguments"),
    ("config nosuch", "ERR Invalid command specified"),
    ("nosuch a", "ERR Invalid command specified"),
    (
        "ping",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    (
        "get",
        "ERR wrong number of arguments for 'command|getkeysandflags' command",
    ),
    ("get a b", "ERR Invalid number of arguments specified for command"),
    ("expire a 10", "a RW,update"),
    ("append a b", "a RW,insert"),
    ("hset h f v f2 v2", "h RW,update"),
];
