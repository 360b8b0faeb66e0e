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

pub const COMMANDS: &[CommandSpec] = &[spec(
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
