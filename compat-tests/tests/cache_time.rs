//! The timed lines of the legacy semantics through real clients, on a
//! manual clock: the server starts with DEBUG allowed and each test moves
//! its clock with DEBUG ADVANCE-CLOCK instead of sleeping.

use compat_tests::{query, Server};
use query::{err, guarded, int, q};
use redis::Connection;

fn start() -> (Server, Connection) {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let c = guarded(&s);
    (s, c)
}

fn advance(c: &mut Connection, ms: u64) {
    q::<()>(c, &["DEBUG", "ADVANCE-CLOCK", &ms.to_string()]);
}

fn lock(c: &mut Connection, key: &str, ms: &str) -> u64 {
    let (h, _, _): (u64, Option<String>, u64) = q(c, &["CACHE.LOCK", key, ms]);
    h
}

fn get(c: &mut Connection, key: &str) -> Option<String> {
    q(c, &["GET", key])
}

#[test]
fn a_lock_is_released_by_itself_when_its_timeout_passes() {
    let (_s, mut c) = start();
    q::<()>(&mut c, &["SET", "k", "v"]);
    let h = lock(&mut c, "k", "1000");
    assert_eq!(
        err(&mut c, &["CACHE.LOCK", "k", "1000"]),
        "LOCKED the key is locked under another handle"
    );
    advance(&mut c, 1500);
    assert_eq!(
        err(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]),
        "NOTLOCKED the key is not locked"
    );
    assert!(lock(&mut c, "k", "1000") > h, "a new, larger handle");
}

#[test]
fn a_locked_item_outlives_its_deadline_and_goes_at_unlock() {
    let (_s, mut c) = start();
    int(&mut c, &["CACHE.PUT", "k", "v", "PX", "1000"]);
    let h = lock(&mut c, "k", "60000");
    advance(&mut c, 5000);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"), "locked, it has not expired");
    assert_eq!(int(&mut c, &["EXISTS", "k"]), 1);
    assert_eq!(q::<String>(&mut c, &["CACHE.UNLOCK", "k", &h.to_string()]), "OK");
    assert_eq!(get(&mut c, "k"), None, "removed at unlock, its deadline long past");
}

#[test]
fn an_unlock_with_a_timeout_keeps_the_item_and_its_version() {
    let (_s, mut c) = start();
    let v = int(&mut c, &["CACHE.PUT", "k", "v", "PX", "1000"]);
    let h = lock(&mut c, "k", "60000");
    advance(&mut c, 5000);
    q::<()>(&mut c, &["CACHE.UNLOCK", "k", &h.to_string(), "EX", "10"]);
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    let ttl = int(&mut c, &["PTTL", "k"]);
    assert!(ttl > 9000 && ttl <= 10_000, "{ttl}");
    let again: Option<(String, i64)> = q(&mut c, &["CACHE.GETIFNEWER", "k", "0"]);
    assert_eq!(again.map(|(_, ver)| ver), Some(v));
    advance(&mut c, 11_000);
    assert_eq!(get(&mut c, "k"), None);
}

#[test]
fn a_sliding_timeout_restarts_on_reads_and_writes_from_either_protocol() {
    let (s, mut c) = start();
    let mc = memcache::Client::connect(format!("memcache://127.0.0.1:{}?protocol=ascii", s.mc_port)).unwrap();
    int(&mut c, &["CACHE.PUT", "slide", "v", "SLIDE", "10"]);
    int(&mut c, &["CACHE.PUT", "fixed", "v", "EX", "10"]);
    advance(&mut c, 6000);
    assert_eq!(get(&mut c, "slide").as_deref(), Some("v"));
    assert_eq!(get(&mut c, "fixed").as_deref(), Some("v"));
    advance(&mut c, 6000);
    assert_eq!(get(&mut c, "fixed"), None, "an absolute timeout does not move");
    assert_eq!(
        mc.get::<String>("slide").unwrap().as_deref(),
        Some("v"),
        "memcached get slides it"
    );
    advance(&mut c, 6000);
    q::<()>(&mut c, &["APPEND", "slide", "w"]);
    advance(&mut c, 6000);
    let got: Option<Vec<redis::Value>> = q(&mut c, &["CACHE.GET", "slide"]);
    assert!(got.is_some(), "the write slid it too");
    advance(&mut c, 10_001);
    assert_eq!(get(&mut c, "slide"), None, "idle for its whole timeout");
}

#[test]
fn a_lock_taken_on_a_missing_key_times_out_and_frees_the_name() {
    let (_s, mut c) = start();
    lock_create(&mut c);
    assert_eq!(
        err(&mut c, &["CACHE.ADD", "k", "v"]),
        "EXISTS the key already exists",
        "the placeholder reserves the key"
    );
    advance(&mut c, 2000);
    assert!(int(&mut c, &["CACHE.ADD", "k", "v"]) > 0);
}

fn lock_create(c: &mut Connection) {
    let (_, value, version): (u64, Option<String>, u64) = q(c, &["CACHE.LOCK", "k", "1000", "CREATE"]);
    assert_eq!((value, version), (None, 0));
}

#[test]
fn a_locked_item_past_its_deadline_is_listed_and_deleted_like_a_live_one() {
    let (_s, mut c) = start();
    q::<()>(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    int(&mut c, &["CACHE.PUT", "k", "v", "PX", "1000"]);
    lock(&mut c, "k", "60000");
    advance(&mut c, 5000);
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "*"]), ["k"]);
    let (cursor, keys): (String, Vec<String>) = q(&mut c, &["SCAN", "0"]);
    assert_eq!((cursor.as_str(), keys), ("0", vec!["k".to_string()]));
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]).as_deref(), Some("k"));
    assert_eq!(int(&mut c, &["DEL", "k"]), 1, "DEL removes what GET would show");
    assert_eq!(q::<Vec<String>>(&mut c, &["KEYS", "*"]), Vec::<String>::new());
}
