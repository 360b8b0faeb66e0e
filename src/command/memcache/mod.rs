//! memcached's verbs as commands: each text request runs here, against
//! database 0, through the typed string operations the Redis commands
//! run, and is answered with memcached's reply lines
//! ([`crate::protocol::memcache::reply`]).
//!
//! The verbs map onto operations with fields, never onto checks of the
//! protocol: `add` is a SET with [`Cond::Nx`], `prepend` an append with
//! `front: true, create_missing: false`, `incr` an increment with
//! [`Step::Unsigned`].
//!
//! When memory is full, a write first makes room through
//! [`super::make_room`], the step every Redis write that may add memory
//! takes too, by the batch's [`write_policy`]: memcached evicts by default
//! whatever the Redis side's `maxmemory-policy`, and `-M`
//! (`memcache-evictions no`) makes it answer
//! `SERVER_ERROR out of memory storing object` instead.
//!
//! The memcached session hands each parsed request to [`Batch::execute`];
//! the counters `stats` reports, its groups and exptime deadlines live
//! here too (`stats` in its own file).

mod stats;

use super::make_room;
use super::string_ops::{
    append_value, get_and_expire, get_value, incr_value, parse_u64_memcached, remove_key, set_value, AppendArgs,
    AppendOutcome, Cond, Expire, ExpireChange, IncrArgs, IncrOutcome, SetArgs, SetOutcome, Step,
};
use crate::protocol::memcache::{reply, Request, StoreMode};
use crate::state::{Client, ConnCounters, Server};
use crate::store::{EvictionPolicy, Item};
use stats::Counts;
use std::sync::Arc;
use std::time::Duration;

/// memcached's items live in database 0.
const DB: usize = 0;

/// An exptime up to this many seconds is relative; above it, a Unix time.
const REALTIME_MAXDELTA: i64 = 60 * 60 * 24 * 30;

/// A deadline every `now` is past: the item is expired as soon as written.
const ALREADY_EXPIRED: u64 = 1;

/// An exptime as memcached reads it, as a Unix deadline in ms; None for 0.
fn deadline(exptime: i64, now: u64) -> Option<u64> {
    match exptime {
        0 => None,
        e if e < 0 => Some(ALREADY_EXPIRED),
        e if e > REALTIME_MAXDELTA => Some((e as u64 * 1000).max(ALREADY_EXPIRED)),
        e => Some(now + e as u64 * 1000),
    }
}

fn expire_of(exptime: i64, now: u64) -> Expire {
    deadline(exptime, now).map_or(Expire::None, Expire::At)
}

fn change_of(exptime: i64, now: u64) -> ExpireChange {
    deadline(exptime, now).map_or(ExpireChange::Persist, ExpireChange::At)
}

/// What the memcached requests of one batch share: its time and the
/// policy its writes make room by, both read once when it starts, like the
/// RESP side's clock, and the counters it gathers until it ends.
pub(crate) struct Batch {
    /// Unix ms, read once per batch.
    now: u64,
    /// How this batch's writes make room: [`write_policy`].
    evict: EvictionPolicy,
    counts: Counts,
}

/// The policy memcached writes make room by when memory is full.
/// Eviction is memcached's default, so the Redis side's `noeviction`
/// (Redis's default) means LRU here; `memcache-evictions no` (memcached's
/// `-M`) means none, and a full store answers with an error.
fn write_policy(srv: &Server) -> EvictionPolicy {
    if !srv.settings.memcache_evictions() {
        return EvictionPolicy::NoEviction;
    }
    match srv.store.limits().policy {
        EvictionPolicy::NoEviction => EvictionPolicy::AllKeysLru,
        policy => policy,
    }
}

/// True when `incr` by `delta` would make the item's number longer.
/// memcached rewrites a number that still fits in place, so only a longer
/// one needs memory; a missing or non-numeric item needs none, being
/// answered without a write. Read only when memory is already short.
fn incr_grows(srv: &Server, key: &[u8], delta: u64, now: u64) -> bool {
    let grows = |v: &[u8], _: &Item<'_>| {
        parse_u64_memcached(v).is_some_and(|old| old.wrapping_add(delta).to_string().len() > v.len())
    };
    matches!(get_value(srv, DB, key, now, false, grows), Ok(Some(true)))
}

impl Batch {
    pub(crate) fn new() -> Batch {
        Batch {
            now: 0,
            evict: EvictionPolicy::AllKeysLru,
            counts: Counts::default(),
        }
    }

    /// Starts a batch at `now` (Unix ms), reading the write policy for
    /// all of it.
    pub(crate) fn start(&mut self, srv: &Server, now: u64) {
        self.now = now;
        self.evict = write_policy(srv);
    }

    /// Ends the batch: its counts go to the connection's counters, which
    /// `stats` sums over connections.
    pub(crate) fn finish(&mut self, counters: &ConnCounters) {
        self.counts.flush_into(counters);
    }

    /// Runs one request and appends its reply to `out`; with `noreply`
    /// nothing is appended, whatever the outcome. `quit` only marks the
    /// client for closing.
    ///
    /// ```text
    /// get|gets <key>*                          VALUE <key> <flags> <bytes>[ <cas unique>]\r\n<data>\r\n ... END\r\n
    /// gat|gats <exptime> <key>*                the same, and the items' exptime changed
    /// set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]\r\n<data>\r\n
    /// cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]\r\n<data>\r\n
    ///                                          STORED | NOT_STORED | EXISTS | NOT_FOUND | SERVER_ERROR ...
    /// incr|decr <key> <delta> [noreply]        <value> | NOT_FOUND | CLIENT_ERROR ... | SERVER_ERROR out of memory
    /// delete <key> [0] [noreply]               DELETED | NOT_FOUND
    /// touch <key> <exptime> [noreply]          TOUCHED | NOT_FOUND
    /// flush_all [<delay>] [noreply]            OK
    /// version                                  VERSION <version>
    /// verbosity <level> [noreply]              OK
    /// stats [settings|slabs|items|sizes|conns|reset]
    /// quit
    /// ```
    pub(crate) fn execute(&mut self, srv: &Arc<Server>, client: &mut Client, req: Request<'_>, out: &mut Vec<u8>) {
        if !srv.feed.is_on() {
            return self.run(srv, client, req, out);
        }
        // For replicas: what the request left under its keys.
        let writes = srv.store.events().writes();
        let keys: Vec<Vec<u8>> = match &req {
            Request::Get {
                keys, touch: Some(_), ..
            } => keys.iter().map(<[u8]>::to_vec).collect(),
            Request::Store { key, .. }
            | Request::TooLarge { key, .. }
            | Request::Arith { key, .. }
            | Request::Delete { key, .. }
            | Request::Touch { key, .. } => vec![key.to_vec()],
            _ => vec![],
        };
        let flush = matches!(req, Request::FlushAll { delay: 0, .. });
        let retimed = matches!(req, Request::Touch { .. } | Request::Get { touch: Some(_), .. });
        self.run(srv, client, req, out);
        if srv.store.events().writes() != writes {
            if flush {
                crate::command::propagate::gather_memcached(DB, &[b"FLUSHDB"]);
            }
            for key in keys {
                crate::command::propagate::key_state(srv, DB, &key, self.now, retimed);
            }
        }
        crate::command::propagate::submit(srv);
    }

    fn run(&mut self, srv: &Arc<Server>, client: &mut Client, req: Request<'_>, out: &mut Vec<u8>) {
        let now = self.now;
        let c = &mut self.counts;
        // A delayed flush_all keeps a handle of its own; everything else borrows.
        let shared = srv;
        let srv: &Server = srv;
        let mark = out.len();
        let mut noreply = false;
        match req {
            Request::Get { keys, cas, touch } => {
                let _reading = crate::store::reading(touch.is_none());
                for key in keys.iter() {
                    c.get += 1;
                    let write = |v: &[u8], e: &Item<'_>| reply::value(out, key, e.flags(), v, cas.then(|| e.version()));
                    let found = match touch {
                        None => get_value(srv, DB, key, now, true, write),
                        Some(t) => {
                            c.touch += 1;
                            get_and_expire(srv, DB, key, now, change_of(t, now), false, write)
                        }
                    };
                    let hit = matches!(found, Ok(Some(())));
                    let (hits, misses) = if hit { (1, 0) } else { (0, 1) };
                    c.get_hits += hits;
                    c.get_misses += misses;
                    if touch.is_some() {
                        c.touch_hits += hits;
                        c.touch_misses += misses;
                    }
                }
                out.extend_from_slice(reply::END);
            }
            Request::Store {
                mode,
                key,
                flags,
                exptime,
                data,
                noreply: nr,
            } => {
                noreply = nr;
                c.set += 1;
                let line = if make_room(srv, DB, now, self.evict).is_err() {
                    c.no_memory += 1;
                    // As memcached does: a failed set must not leave the old value readable.
                    if mode == StoreMode::Set {
                        remove_key(srv, DB, key, now);
                    }
                    reply::NO_MEMORY_STORING
                } else {
                    match mode {
                        StoreMode::Append | StoreMode::Prepend => {
                            let a = AppendArgs {
                                key,
                                data,
                                front: mode == StoreMode::Prepend,
                                create_missing: false,
                                max_len: srv.settings.max_item_size(),
                            };
                            // memcached answers NOT_STORED when the joined item cannot be made.
                            match append_value(srv, DB, now, &a) {
                                AppendOutcome::Done { .. } => reply::STORED,
                                _ => reply::NOT_STORED,
                            }
                        }
                        _ => {
                            let cond = match mode {
                                StoreMode::Add => Cond::Nx,
                                StoreMode::Replace => Cond::Xx,
                                StoreMode::Cas(unique) => Cond::Version(unique),
                                _ => Cond::Always,
                            };
                            let s = SetArgs {
                                cond,
                                expire: expire_of(exptime, now),
                                flags,
                                ..SetArgs::new(key, data)
                            };
                            let is_cas = matches!(mode, StoreMode::Cas(_));
                            match set_value(srv, DB, now, &s) {
                                SetOutcome::Stored { .. } => {
                                    c.cas_hits += is_cas as u64;
                                    reply::STORED
                                }
                                SetOutcome::NotStored { .. } | SetOutcome::WrongType => reply::NOT_STORED,
                                SetOutcome::VersionMismatch => {
                                    c.cas_badval += 1;
                                    reply::EXISTS
                                }
                                SetOutcome::NotFound => {
                                    c.cas_misses += 1;
                                    reply::NOT_FOUND
                                }
                            }
                        }
                    }
                };
                if line == reply::STORED {
                    c.total_items += 1;
                }
                out.extend_from_slice(line);
            }
            Request::TooLarge { mode, key, noreply: nr } => {
                noreply = nr;
                c.set += 1;
                c.too_large += 1;
                // As memcached does: a failed set must not leave the old value readable.
                if mode == StoreMode::Set {
                    remove_key(srv, DB, key, now);
                }
                out.extend_from_slice(reply::TOO_LARGE);
            }
            Request::Arith {
                key,
                delta,
                decr,
                noreply: nr,
            } => {
                noreply = nr;
                // decr never lengthens a number; incr needs room only when
                // memory is short and it does.
                if !decr && make_room(srv, DB, now, self.evict).is_err() && incr_grows(srv, key, delta, now) {
                    out.extend_from_slice(reply::NO_MEMORY);
                } else {
                    arith(srv, c, key, delta, decr, now, out);
                }
            }
            Request::Delete { key, noreply: nr } => {
                noreply = nr;
                if remove_key(srv, DB, key, now) {
                    c.delete_hits += 1;
                    out.extend_from_slice(reply::DELETED);
                } else {
                    c.delete_misses += 1;
                    out.extend_from_slice(reply::NOT_FOUND);
                }
            }
            Request::Touch {
                key,
                exptime,
                noreply: nr,
            } => {
                noreply = nr;
                c.touch += 1;
                match get_and_expire(srv, DB, key, now, change_of(exptime, now), false, |_, _| ()) {
                    Ok(Some(())) => {
                        c.touch_hits += 1;
                        out.extend_from_slice(reply::TOUCHED);
                    }
                    _ => {
                        c.touch_misses += 1;
                        out.extend_from_slice(reply::NOT_FOUND);
                    }
                }
            }
            Request::FlushAll { delay, noreply: nr } => {
                noreply = nr;
                c.flush += 1;
                flush_all(shared, delay, now);
                out.extend_from_slice(reply::OK);
            }
            Request::Version => reply::version(out),
            Request::Verbosity { noreply: nr } => {
                noreply = nr;
                out.extend_from_slice(reply::OK);
            }
            Request::Stats { group } => {
                // Counters still held by this batch belong in what is shown.
                self.counts.flush_into(&client.handle.counters);
                stats::stats(srv, group, now, out);
            }
            Request::Quit => client.close = true,
            Request::Error { reply, noreply: nr } => {
                noreply = nr;
                out.extend_from_slice(reply);
            }
        }
        if noreply {
            out.truncate(mark);
        }
        // Keys the request created, expired or evicted on the way.
        super::notify::flush(srv);
        super::tracking::broadcast(srv);
    }
}

/// `incr`/`decr`: the new number, NOT_FOUND or the non-numeric error.
fn arith(srv: &Server, c: &mut Counts, key: &[u8], delta: u64, decr: bool, now: u64, out: &mut Vec<u8>) {
    let a = IncrArgs {
        key,
        step: Step::Unsigned { delta, decr },
        create_missing: false,
    };
    let outcome = incr_value(srv, DB, now, &a);
    let (hits, misses) = if decr {
        (&mut c.decr_hits, &mut c.decr_misses)
    } else {
        (&mut c.incr_hits, &mut c.incr_misses)
    };
    match outcome {
        IncrOutcome::Done(v) => {
            *hits += 1;
            reply::number(out, v as u64);
        }
        IncrOutcome::NotFound => {
            *misses += 1;
            out.extend_from_slice(reply::NOT_FOUND);
        }
        IncrOutcome::NotNumber | IncrOutcome::WrongType | IncrOutcome::Overflow => {
            out.extend_from_slice(reply::NON_NUMERIC)
        }
    }
}

/// Empties database 0 now, or once `delay` (an exptime) has come.
fn flush_all(srv: &Arc<Server>, delay: i64, now: u64) {
    let at = match deadline(delay, now) {
        Some(at) if delay > 0 && at > now => at,
        _ => {
            srv.store.flush_db(DB, false);
            return super::tracking::flushed(srv);
        }
    };
    let wait = Duration::from_millis(at - now);
    let srv = srv.clone();
    // Items written until the deadline go too, as in memcached, so a timer
    // that flushes at the deadline is the whole of it.
    let task = async move {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                srv.store.flush_db(DB, false);
                super::tracking::flushed(&srv);
                if srv.feed.is_on() {
                    crate::command::propagate::gather_memcached(DB, &[b"FLUSHDB"]);
                    crate::command::propagate::submit(&srv);
                }
            }
            _ = srv.shutdown.cancelled() => {}
        }
    };
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(task);
    }
}

/// The memcached session's part in tests: a client of a server with no
/// listeners, whose requests run as the session runs them, one batch per
/// [`Mc::send`].
#[cfg(test)]
mod testing {
    use super::Batch;
    use crate::protocol::memcache::{Parsed, Parser};
    use crate::state::{Client, Proto, Server};
    use std::sync::Arc;

    pub(super) struct Mc {
        pub(crate) srv: Arc<Server>,
        client: Client,
        parser: Parser,
        batch: Batch,
    }

    impl Mc {
        /// A client of a server with a 1mb limit and `settings`.
        pub(crate) fn limited(settings: &[(&str, &str)]) -> Mc {
            let srv = Arc::new(Server::new(crate::config::Config::default()));
            srv.set_config(&[("maxmemory", "1mb")]).expect("known setting");
            srv.set_config(settings).expect("known settings");
            let addr = "127.0.0.1:1".parse().expect("literal address");
            let handle = srv
                .clients
                .register(Proto::Memcache, addr, addr, srv.start_ms, &srv.shutdown);
            Mc {
                parser: Parser::new(srv.settings.max_item_size()),
                srv,
                client: Client::new(handle),
                batch: Batch::new(),
            }
        }

        /// Runs every request of `input`, which must all be complete, as
        /// one batch; returns the replies.
        pub(crate) fn send(&mut self, input: &str) -> String {
            let input = input.as_bytes();
            let mut out = Vec::new();
            self.batch.start(&self.srv, self.srv.clock.now_ms());
            let mut pos = 0;
            while pos < input.len() {
                match self.parser.parse(&input[pos..]) {
                    Parsed::Request(req, n) => {
                        self.batch.execute(&self.srv, &mut self.client, req, &mut out);
                        pos += n;
                    }
                    Parsed::Skip(n) => pos += n,
                    other => panic!("every request complete: {other:?}"),
                }
            }
            self.batch.finish(&self.client.handle.counters);
            String::from_utf8_lossy(&out).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Mc;
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn exptime_is_relative_up_to_thirty_days_then_absolute() {
        assert_eq!(deadline(0, NOW), None);
        assert_eq!(deadline(-1, NOW), Some(ALREADY_EXPIRED));
        assert_eq!(deadline(10, NOW), Some(NOW + 10_000));
        assert_eq!(
            deadline(REALTIME_MAXDELTA, NOW),
            Some(NOW + REALTIME_MAXDELTA as u64 * 1000)
        );
        assert_eq!(
            deadline(REALTIME_MAXDELTA + 1, NOW),
            Some((REALTIME_MAXDELTA as u64 + 1) * 1000)
        );
        assert_eq!(expire_of(0, NOW), Expire::None);
        assert_eq!(change_of(0, NOW), ExpireChange::Persist);
    }

    /// Sets `item:N` to 1000-byte values, at most `limit` of them, until a
    /// reply is not STORED; returns how many were stored and that reply.
    /// The store notices usage in steps, so tests fill rather than count
    /// bytes.
    fn fill(s: &mut Mc, limit: usize) -> (usize, Option<String>) {
        let value = "m".repeat(1000);
        for i in 0..limit {
            let reply = s.send(&format!("set item:{i} 0 0 1000\r\n{value}\r\n"));
            if reply != "STORED\r\n" {
                return (i, Some(reply));
            }
        }
        (limit, None)
    }

    const NO_MEMORY: &str = "SERVER_ERROR out of memory storing object\r\n";

    #[test]
    fn full_store_evicts_for_memcached_writes_even_with_noeviction_on_the_redis_side() {
        let mut s = Mc::limited(&[]);
        assert_eq!(fill(&mut s, 3 * 1024), (3 * 1024, None));
        assert!(s.srv.store.stats().evicted_keys > 0);
        assert_eq!(
            s.send("get item:3071\r\n").lines().next(),
            Some("VALUE item:3071 0 1000")
        );
    }

    #[test]
    fn full_store_with_evictions_disabled_answers_out_of_memory_and_stays_in_step() {
        let mut s = Mc::limited(&[("memcache-evictions", "no")]);
        assert_eq!(s.send("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
        let (stored, refused) = fill(&mut s, 20_000);
        assert_eq!(refused.as_deref(), Some(NO_MEMORY), "after {stored} sets");
        // The refused set's data block is consumed: the get after it is
        // read as a command, not as data.
        assert_eq!(
            s.send("add b 0 0 3\r\nget\r\nget a\r\n"),
            format!("{NO_MEMORY}VALUE a 0 1\r\nx\r\nEND\r\n")
        );
        for verb in ["replace a", "append a", "prepend a", "cas a"] {
            let line = if verb.starts_with("cas") {
                format!("{verb} 0 0 1 1")
            } else {
                format!("{verb} 0 0 1")
            };
            assert_eq!(s.send(&format!("{line}\r\nz\r\n")), NO_MEMORY, "{verb}");
        }
        assert_eq!(
            s.send("set b 0 0 1 noreply\r\ny\r\n"),
            "",
            "noreply holds for the error"
        );
        assert_eq!(
            s.send("stats\r\n")
                .lines()
                .find(|l| l.starts_with("STAT store_no_memory")),
            Some("STAT store_no_memory 7")
        );
        // A set that fails must not leave the old value readable.
        assert_eq!(s.send("set a 0 0 1\r\nw\r\n"), NO_MEMORY);
        assert_eq!(s.send("get a\r\n"), "END\r\n");
        for i in 0..stored / 2 {
            assert_eq!(s.send(&format!("delete item:{i}\r\n")), "DELETED\r\n");
        }
        assert_eq!(s.send("set a 0 0 1\r\nw\r\n"), "STORED\r\n", "room again once freed");
        assert_eq!(s.srv.store.stats().evicted_keys, 0);
    }

    #[test]
    fn full_store_with_evictions_disabled_refuses_only_an_incr_that_lengthens_the_number() {
        let mut s = Mc::limited(&[("memcache-evictions", "no")]);
        assert_eq!(s.send("set n 0 0 1\r\n8\r\n"), "STORED\r\n");
        assert_eq!(fill(&mut s, 20_000).1.as_deref(), Some(NO_MEMORY));
        assert_eq!(s.send("incr n 1\r\n"), "9\r\n", "same length: rewritten in place");
        assert_eq!(s.send("incr n 1\r\n"), "SERVER_ERROR out of memory\r\n");
        assert_eq!(s.send("decr n 5\r\n"), "4\r\n");
        assert_eq!(s.send("incr missing 1\r\n"), "NOT_FOUND\r\n");
    }

    #[test]
    fn write_policy_follows_the_redis_policy_unless_it_is_noeviction() {
        let s = Mc::limited(&[("maxmemory-policy", "allkeys-random")]);
        assert_eq!(write_policy(&s.srv), EvictionPolicy::AllKeysRandom);
        s.srv.set_config(&[("maxmemory-policy", "noeviction")]).unwrap();
        assert_eq!(write_policy(&s.srv), EvictionPolicy::AllKeysLru);
        s.srv.set_config(&[("memcache-evictions", "no")]).unwrap();
        assert_eq!(write_policy(&s.srv), EvictionPolicy::NoEviction);
    }
}
