//! Entry points for the coverage-guided fuzz targets in `fuzz/`, built
//! with the `fuzzing` feature. Each takes arbitrary bytes, as a hostile
//! client would send them, and must never panic, hang or allocate beyond
//! the fuzzer's limit.
//!
//! The sessions are the real ones a connection drives ([`RespSession`],
//! [`MemcacheSession`]), over one server whose store holds a key of every
//! type when each input starts. Values are capped at 1 MB
//! (`proto-max-bulk-len`, `max-item-size`) so that what a client may
//! legitimately ask for stays under the targets' allocation limit (one
//! allocation of 64 MB at most, set in `fuzz/`).

use super::connection::Session;
use super::memcache_session::MemcacheSession;
use super::resp_session::RespSession;
use crate::config::Config;
use crate::protocol::resp::{Decoded, RespDecoder};
use crate::state::{Client, Proto, Server};
use std::sync::{Arc, OnceLock};

/// Commands the command target leaves out: those that run code that may
/// loop for good by design (scripts and functions), end or reconfigure
/// the shared server (SHUTDOWN, CONFIG, DEBUG), or hold the connection
/// (MONITOR, CLIENT PAUSE).
const LEFT_OUT: &[&[u8]] = &[
    b"eval",
    b"eval_ro",
    b"evalsha",
    b"evalsha_ro",
    b"fcall",
    b"fcall_ro",
    b"function",
    b"script",
    b"shutdown",
    b"config",
    b"debug",
    b"monitor",
    b"client",
];

/// A key of every type, written again at the start of each input.
const PRELUDE: &[u8] = b"SELECT 0\r\n\
DEL s n f l h st si z bm c lk\r\n\
SET s hello\r\nSET n 42\r\nSET f 1.5\r\n\
RPUSH l a b c 1 2 3\r\n\
HSET h f1 v1 f2 2 f3 3.5\r\n\
SADD st a b c 1 2\r\nSADD si 1 2 3\r\n\
ZADD z 1 a 2 b 3 c 4 d\r\n\
SETBIT bm 100 1\r\n\
CACHE.PUT c v\r\nCACHE.LOCK lk 60000 CREATE\r\n";

/// Inputs between two FLUSHALLs: what inputs leave behind besides the
/// prelude's keys is dropped now and then, not each time, since a flush
/// visits every shard of every database.
const FLUSH_EVERY: u64 = 256;

fn server() -> &'static Arc<Server> {
    static SERVER: OnceLock<Arc<Server>> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut config = Config::default();
        for (k, v) in [("proto-max-bulk-len", "1mb"), ("maxmemory", "64mb"), ("databases", "4")] {
            config.overrides.push((k.into(), v.into()));
        }
        config.max_item_size = 1024 * 1024;
        Arc::new(Server::new(config))
    })
}

fn client(srv: &Server, proto: Proto) -> Client {
    let addr = "127.0.0.1:1".parse().expect("literal address");
    let handle = srv.clients.register(proto, addr, addr, srv.start_ms, &srv.shutdown);
    Client::new(handle)
}

/// Feeds `input` to `session` as one connection would: until it uses no
/// more, closes, or blocks.
fn drive(session: &mut impl Session, input: &[u8]) {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let used = session.process(&input[pos..], &mut out);
        out.clear();
        if used == 0 && !session.has_more() || session.closing() || session.parked().is_some() {
            break;
        }
        pos += used;
    }
}

/// The RESP decoder alone: every frame in `data`, and its arguments.
pub fn resp_decoder(data: &[u8]) {
    let mut d = RespDecoder::new(1024 * 1024);
    let mut pos = 0;
    while pos < data.len() {
        match d.decode(&data[pos..]) {
            Ok(Decoded::Request(n)) => {
                let mut argv = Vec::new();
                d.args(&data[pos..], &mut argv);
                assert!(!argv.is_empty());
                assert!(n > 0 && pos + n <= data.len());
                pos += n;
            }
            Ok(Decoded::Skip(n)) => {
                assert!(n > 0);
                pos += n;
            }
            Ok(Decoded::Incomplete) | Err(_) => break,
        }
    }
}

/// Redis commands: `data` is what a client sends (RESP or inline),
/// executed by a RESP session against a store holding every type.
pub fn resp_commands(data: &[u8]) {
    let mut names = RespDecoder::new(1024 * 1024);
    let mut pos = 0;
    while pos < data.len() {
        match names.decode(&data[pos..]) {
            Ok(Decoded::Request(n)) => {
                let mut argv = Vec::new();
                names.args(&data[pos..], &mut argv);
                if LEFT_OUT.iter().any(|c| c.eq_ignore_ascii_case(argv[0])) {
                    return;
                }
                pos += n;
            }
            Ok(Decoded::Skip(n)) => pos += n,
            Ok(Decoded::Incomplete) | Err(_) => break,
        }
    }
    static INPUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let srv = server();
    let c = client(srv, Proto::Resp);
    let id = c.id;
    let mut session = RespSession::new(srv.clone(), c);
    if INPUTS
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .is_multiple_of(FLUSH_EVERY)
    {
        drive(&mut session, b"FLUSHALL\r\n");
    }
    drive(&mut session, PRELUDE);
    drive(&mut session, data);
    drop(session);
    srv.clients.unregister(id);
}

/// memcached text commands, executed by a memcached session against the
/// same store.
pub fn memcache_commands(data: &[u8]) {
    let srv = server();
    let c = client(srv, Proto::Memcache);
    let id = c.id;
    let mut session = MemcacheSession::new(srv.clone(), c);
    drive(&mut session, b"set a 0 0 1\r\n1\r\nset b 5 0 3\r\nabc\r\n");
    drive(&mut session, data);
    drop(session);
    srv.clients.unregister(id);
}
