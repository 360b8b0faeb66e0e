//! CACHE.POLICY: a database's defaults, as a named cache of AppFabric,
//! NCache or ScaleOut has them (see `docs/commands.md` for the migration
//! table): a default timeout and its kind, whether its items may be
//! evicted, and a memory limit of its own.
//!
//! The policy lives in the store ([`crate::store::DbPolicy`]) and is
//! applied there: a write without a timeout takes the default in
//! [`crate::store::Slot::set_bytes`] and friends, a plain command's timeout
//! becomes sliding through [`crate::store::Slot::plain_expiry`], and a
//! `denyoom` write checks the database's limit in
//! [`crate::store::Store::make_room_in`].

use super::args::{self, is};
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::{DbPolicy, PolicyChange, PolicyError};

pub(crate) const COMMANDS: &[CommandSpec] = &[spec(
    "cache.policy",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE,
    "cache",
    policy,
)
.doc(
    "0.1.0",
    "Shows or sets a database's default timeout, its kind, its eviction and its memory limit.",
    "O(1), or O(N) where N is the number of shards to show the used memory of a database without MAXMEMORY or to give or remove a MAXMEMORY.",
    "db [DEFAULT-TTL seconds] [DEFAULT-EXPIRY <ABSOLUTE | SLIDING>] [EVICTION <LRU | NONE>] [MAXMEMORY bytes]",
)];

/// The database argument, with SELECT's errors.
fn db_index(ctx: &Ctx<'_>, b: &[u8]) -> Result<usize, &'static str> {
    let db = args::int(b)?;
    if db < 0 || db as u64 >= ctx.srv.store.databases() as u64 {
        return Err(errors::DB_INDEX);
    }
    Ok(db as usize)
}

/// Reads the options after the database. Each may be given once; a
/// word that is not an option or not one of an option's values is a
/// syntax error, a number that is not an integer is NOT_INTEGER.
fn parse_change(a: &[&[u8]]) -> Result<PolicyChange, String> {
    let mut c = PolicyChange::default();
    let mut i = 0;
    while i < a.len() {
        let (w, v) = (a[i], a.get(i + 1).copied().ok_or(errors::SYNTAX)?);
        if is(w, "default-ttl") && c.default_ttl.is_none() {
            match args::int(v)? {
                s if s >= 0 => c.default_ttl = Some(s as u64),
                _ => return Err(errors::invalid_expire("cache.policy")),
            }
        } else if is(w, "default-expiry") && c.sliding.is_none() {
            c.sliding = Some(match () {
                _ if is(v, "absolute") => false,
                _ if is(v, "sliding") => true,
                _ => return Err(errors::SYNTAX.into()),
            });
        } else if is(w, "eviction") && c.evict.is_none() {
            c.evict = Some(match () {
                _ if is(v, "lru") => true,
                _ if is(v, "none") => false,
                _ => return Err(errors::SYNTAX.into()),
            });
        } else if is(w, "maxmemory") && c.maxmemory.is_none() {
            c.maxmemory = Some(args::uint(v)? as u64);
        } else {
            return Err(errors::SYNTAX.into());
        }
        i += 2;
    }
    Ok(c)
}

/// ```text
/// CACHE.POLICY db [DEFAULT-TTL s] [DEFAULT-EXPIRY (absolute | sliding)] [EVICTION (lru | none)] [MAXMEMORY bytes]
/// ```
/// With options: sets those given, keeps the others, replies OK. With the
/// database alone: its policy, as field/value pairs (a map in RESP3):
/// default-ttl (seconds, -1 for none), default-expiry, eviction,
/// maxmemory (0 for none) and used-memory (the bytes its items take).
fn policy(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let db = match db_index(ctx, a[1]) {
        Ok(db) => db,
        Err(e) => return ctx.error(e),
    };
    if a.len() == 2 {
        let p = ctx.srv.store.policy(db);
        let used = ctx.srv.store.db_used_bytes(db);
        return write_policy(ctx, &p, used);
    }
    let change = match parse_change(&a[2..]) {
        Ok(c) => c,
        Err(e) => return ctx.error(&e),
    };
    match ctx.srv.store.set_policy(db, change) {
        Ok(_) => ctx.out.ok(),
        Err(PolicyError::DbIndex) => ctx.error(errors::DB_INDEX),
        Err(PolicyError::DefaultTtl) => ctx.error(&errors::invalid_expire("cache.policy")),
    }
}

fn write_policy(ctx: &mut Ctx<'_>, p: &DbPolicy, used: u64) {
    let out = &mut ctx.out;
    out.map(5);
    out.bulk(b"default-ttl");
    out.int(match p.default_ttl {
        0 => -1,
        s => s as i64,
    });
    out.bulk(b"default-expiry");
    out.bulk(if p.sliding { "sliding" } else { "absolute" }.as_bytes());
    out.bulk(b"eviction");
    out.bulk(if p.evict { "lru" } else { "none" }.as_bytes());
    out.bulk(b"maxmemory");
    out.int(p.maxmemory as i64);
    out.bulk(b"used-memory");
    out.int(used as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;

    fn err(e: &str) -> String {
        format!("-{e}\r\n")
    }

    /// The RESP2 reply of CACHE.POLICY alone.
    fn shown(ttl: i64, expiry: &str, eviction: &str, maxmemory: u64, used: u64) -> String {
        format!(
            "*10\r\n$11\r\ndefault-ttl\r\n:{ttl}\r\n$14\r\ndefault-expiry\r\n${}\r\n{expiry}\r\n$8\r\neviction\r\n${}\r\n{eviction}\r\n$9\r\nmaxmemory\r\n:{maxmemory}\r\n$11\r\nused-memory\r\n:{used}\r\n",
            expiry.len(),
            eviction.len()
        )
    }

    /// The expiry kind and ttl CACHE.GET reports, e.g. ":5000\r\n$7\r\nsliding".
    fn timeout(h: &mut Harness, key: &str) -> String {
        let r = h.run(&format!("CACHE.GET {key}"));
        let lines: Vec<&str> = r.split("\r\n").collect();
        assert!(lines.len() > 8, "CACHE.GET {key}: {r}");
        format!("{} {}", lines[4], lines[6])
    }

    #[test]
    fn policy_alone_shows_the_defaults_and_a_change_shows_after() {
        let mut h = Harness::new();
        assert_eq!(h.run("CACHE.POLICY 3"), shown(-1, "absolute", "lru", 0, 0));
        assert_eq!(
            h.run("CACHE.POLICY 3 DEFAULT-TTL 60 default-expiry SLIDING eviction none MAXMEMORY 1000000"),
            "+OK\r\n"
        );
        assert_eq!(h.run("CACHE.POLICY 3"), shown(60, "sliding", "none", 1_000_000, 0));
        assert_eq!(h.run("CACHE.POLICY 3 MAXMEMORY 0"), "+OK\r\n");
        assert_eq!(
            h.run("CACHE.POLICY 3"),
            shown(60, "sliding", "none", 0, 0),
            "the others are kept"
        );
        assert_eq!(h.run("CACHE.POLICY 3 DEFAULT-TTL 0"), "+OK\r\n");
        assert_eq!(h.run("CACHE.POLICY 3"), shown(-1, "sliding", "none", 0, 0), "0 clears");
        assert_eq!(h.run("CACHE.POLICY 0"), shown(-1, "absolute", "lru", 0, 0));
        h.client.resp3 = true;
        let r = h.run("CACHE.POLICY 3");
        assert!(r.starts_with("%5\r\n$11\r\ndefault-ttl\r\n:-1\r\n"), "{r}");
    }

    #[test]
    fn used_memory_counts_the_databases_items() {
        let mut h = Harness::new();
        h.run("SELECT 2");
        h.run(&format!("SET k {}", "v".repeat(500)));
        let used = h.srv.store.db_used_bytes(2);
        assert!(used >= 500);
        assert_eq!(h.run("CACHE.POLICY 2"), shown(-1, "absolute", "lru", 0, used));
        h.run("CACHE.POLICY 2 MAXMEMORY 100000");
        assert_eq!(h.run("CACHE.POLICY 2"), shown(-1, "absolute", "lru", 100_000, used));
        h.run("DEL k");
        assert_eq!(h.run("CACHE.POLICY 2"), shown(-1, "absolute", "lru", 100_000, 0));
    }

    #[test]
    fn errors_are_replied_in_redis_words_and_change_nothing() {
        let mut h = Harness::new();
        let range = err(errors::DB_INDEX);
        assert_eq!(h.run("CACHE.POLICY 16"), range);
        assert_eq!(h.run("CACHE.POLICY -1 DEFAULT-TTL 5"), range);
        assert_eq!(h.run("CACHE.POLICY x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("CACHE.POLICY 0 DEFAULT-TTL x"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("CACHE.POLICY 0 MAXMEMORY 1mb"), err(errors::NOT_INTEGER));
        assert_eq!(h.run("CACHE.POLICY 0 MAXMEMORY -1"), err(errors::NOT_INTEGER));
        let invalid = err(&errors::invalid_expire("cache.policy"));
        assert_eq!(h.run("CACHE.POLICY 0 DEFAULT-TTL -1"), invalid);
        assert_eq!(
            h.run("CACHE.POLICY 0 DEFAULT-TTL 4294968 DEFAULT-EXPIRY sliding"),
            invalid,
            "a sliding timeout is held in 32-bit milliseconds"
        );
        let syntax = err(errors::SYNTAX);
        for line in [
            "CACHE.POLICY 0 BOGUS 1",
            "CACHE.POLICY 0 DEFAULT-TTL",
            "CACHE.POLICY 0 DEFAULT-EXPIRY forever",
            "CACHE.POLICY 0 EVICTION lfu",
            "CACHE.POLICY 0 DEFAULT-TTL 1 DEFAULT-TTL 2",
            "CACHE.POLICY 0 MAXMEMORY 10 EVICTION",
        ] {
            assert_eq!(h.run(line), syntax, "{line}");
        }
        assert_eq!(
            h.run("CACHE.POLICY 0 DEFAULT-TTL 5 EVICTION maybe"),
            syntax,
            "refused whole"
        );
        assert_eq!(h.run("CACHE.POLICY 0"), shown(-1, "absolute", "lru", 0, 0));
        assert_eq!(
            h.run("CACHE.POLICY"),
            "-ERR wrong number of arguments for 'cache.policy' command\r\n"
        );
    }

    #[test]
    fn writes_without_a_timeout_take_the_default_and_those_with_one_keep_theirs() {
        let mut h = Harness::new();
        h.run("CACHE.POLICY 0 DEFAULT-TTL 100");
        for line in [
            "SET s v",
            "MSET m1 v m2 v",
            "INCR n",
            "APPEND a v",
            "HSET h f v",
            "LPUSH l v",
            "SADD set m",
            "ZADD z 1 m",
            "CACHE.PUT p v",
            "CACHE.ADD c v",
        ] {
            h.run(line);
        }
        for key in ["s", "m1", "m2", "n", "a", "h", "l", "set", "z", "p", "c"] {
            assert_eq!(h.run(&format!("PTTL {key}")), ":100000\r\n", "{key}");
        }
        assert_eq!(timeout(&mut h, "p"), ":100000 absolute");
        h.run("SET ex v EX 5");
        assert_eq!(h.run("PTTL ex"), ":5000\r\n");
        h.run("CACHE.PUT slide v SLIDE 7");
        assert_eq!(timeout(&mut h, "slide"), ":7000 sliding");
        // Another database has no default.
        h.run("SELECT 1");
        h.run("SET s v");
        assert_eq!(h.run("PTTL s"), ":-1\r\n");
    }

    #[test]
    fn persist_and_keepttl_keep_an_item_persistent_and_moves_keep_their_expiry() {
        let mut h = Harness::new();
        h.run("CACHE.POLICY 0 DEFAULT-TTL 100");
        h.run("SET k v");
        assert_eq!(h.run("PERSIST k"), ":1\r\n");
        assert_eq!(h.run("PTTL k"), ":-1\r\n");
        h.run("SET k w KEEPTTL");
        assert_eq!(h.run("PTTL k"), ":-1\r\n", "KEEPTTL keeps none");
        h.run("CACHE.PUT k x KEEPTTL");
        assert_eq!(h.run("PTTL k"), ":-1\r\n");
        h.run("SET fresh v KEEPTTL");
        assert_eq!(h.run("PTTL fresh"), ":100000\r\n", "nothing to keep: the default");
        h.run("CACHE.PUT r v");
        assert_eq!(h.run("CACHE.RESETTTL r PERSIST"), ":1\r\n");
        assert_eq!(h.run("PTTL r"), ":-1\r\n");
        assert_eq!(h.run("RENAME r r2"), "+OK\r\n");
        assert_eq!(h.run("PTTL r2"), ":-1\r\n", "RENAME keeps the item's own");
        assert_eq!(h.run("COPY r2 r3"), ":1\r\n");
        assert_eq!(h.run("PTTL r3"), ":-1\r\n", "COPY keeps the source's");
        // MOVE into a database with another default keeps the item's own.
        h.run("CACHE.POLICY 1 DEFAULT-TTL 5");
        assert_eq!(h.run("MOVE r2 1"), ":1\r\n");
        h.run("SELECT 1");
        assert_eq!(h.run("PTTL r2"), ":-1\r\n");
    }

    #[test]
    fn a_sliding_default_restarts_on_every_read() {
        let mut h = Harness::new();
        h.run("CACHE.POLICY 0 DEFAULT-TTL 10 DEFAULT-EXPIRY sliding");
        h.at(0, "SET k v");
        assert_eq!(timeout(&mut h, "k"), ":10000 sliding");
        for t in [9_000, 18_000, 27_000] {
            assert_eq!(h.at(t, "GET k"), "$1\r\nv\r\n", "read at +{t}");
        }
        assert_eq!(h.at(37_001, "GET k"), "$-1\r\n", "ten seconds without a read");
    }

    #[test]
    fn plain_timeouts_slide_in_a_sliding_database_and_cache_ones_keep_their_kind() {
        let mut h = Harness::new();
        h.run("CACHE.POLICY 0 DEFAULT-EXPIRY sliding");
        let now = h.now;
        h.at(0, "SET a v EX 10");
        h.at(0, "SET b v PX 10000");
        h.at(0, &format!("SET c v PXAT {}", now + 10_000));
        h.at(0, "SETEX d 10 v");
        h.at(0, "PSETEX e 10000 v");
        h.at(0, "SET f v");
        h.at(0, "EXPIRE f 10");
        h.at(0, "SET g v");
        h.at(0, "PEXPIREAT g 0");
        h.at(0, "SET g v");
        h.at(0, &format!("PEXPIREAT g {}", now + 10_000));
        h.at(0, "SET i v");
        h.at(0, "GETEX i EX 10");
        h.at(0, "CACHE.PUT abs v EX 10");
        h.at(0, "CACHE.PUT sl v SLIDE 10");
        for key in ["a", "b", "c", "d", "e", "f", "g", "i", "sl"] {
            assert_eq!(timeout(&mut h, key), ":10000 sliding", "{key}");
        }
        assert_eq!(timeout(&mut h, "abs"), ":10000 absolute", "CACHE.PUT EX says absolute");
        for key in ["a", "i", "abs"] {
            assert_eq!(h.at(9_000, &format!("GET {key}")), "$1\r\nv\r\n");
        }
        assert_eq!(h.at(18_000, "GET a"), "$1\r\nv\r\n", "a read moved it");
        assert_eq!(h.at(18_000, "GET abs"), "$-1\r\n", "absolute does not move");
        assert_eq!(h.at(18_000, "GET b"), "$-1\r\n", "not read for ten seconds");
        // In an absolute database the same commands stay absolute.
        h.run("SELECT 1");
        h.run("SET a v EX 10");
        assert_eq!(timeout(&mut h, "a"), ":10000 absolute");
    }

    #[test]
    fn eviction_none_over_the_database_limit_refuses_writes_and_lru_evicts() {
        let mut h = Harness::new();
        let value = "v".repeat(1000);
        h.run("SELECT 1");
        h.run("CACHE.POLICY 1 MAXMEMORY 20000 EVICTION none");
        let mut refused = None;
        for i in 0..100 {
            let r = h.run(&format!("SET k{i} {value}"));
            if r != "+OK\r\n" {
                refused = Some((i, r));
                break;
            }
        }
        let (stored, reply) = refused.expect("the limit is reached");
        assert_eq!(reply, err(errors::OOM));
        assert!((10..30).contains(&stored), "{stored}");
        assert_eq!(h.run("HSET h f v"), err(errors::OOM));
        assert_eq!(h.run("GET k0"), format!("${}\r\n{value}\r\n", value.len()), "reads run");
        assert_eq!(h.run("DEL k0 k1 k2"), ":3\r\n", "frees run");
        assert_eq!(h.run("SET again v"), "+OK\r\n");
        // Another database is not limited by this one.
        h.run("SELECT 0");
        for i in 0..100 {
            assert_eq!(h.run(&format!("SET k{i} {value}")), "+OK\r\n");
        }
        // With lru, the database evicts its own items and the write runs.
        h.run("SELECT 1");
        h.run("CACHE.POLICY 1 EVICTION lru");
        for i in 0..100 {
            assert_eq!(h.run(&format!("SET n{i} {value}")), "+OK\r\n");
        }
        assert!(h.srv.store.db_used_bytes(1) <= 20_000 + 2_000);
        assert_eq!(h.run("EXISTS k5 n0"), ":0\r\n", "the oldest went");
        assert_eq!(h.run("EXISTS n99"), ":1\r\n");
        assert_eq!(h.srv.store.dbsize(0), 100, "db 0 kept everything");
    }

    #[test]
    fn swapdb_leaves_each_policy_with_its_number() {
        let mut h = Harness::new();
        h.run("CACHE.POLICY 1 DEFAULT-TTL 100");
        assert_eq!(h.run("SWAPDB 0 1"), "+OK\r\n");
        assert_eq!(h.run("CACHE.POLICY 1"), shown(100, "absolute", "lru", 0, 0));
        h.run("SELECT 1");
        h.run("SET k v");
        assert_eq!(h.run("PTTL k"), ":100000\r\n");
    }

    #[test]
    fn the_command_is_declared_without_keys() {
        let c = super::super::lookup(b"CACHE.POLICY").expect("declared");
        assert_eq!(c.arity, -2);
        assert!(c.has(ADMIN) && !c.has(WRITE) && !c.has(DENYOOM));
        assert!(c.key_specs.is_empty() && c.key_finder.is_none());
        let mut h = Harness::new();
        let r = h.run("COMMAND INFO cache.policy");
        assert!(r.contains("cache.policy\r\n:-2\r\n"), "{r}");
    }
}
