//! The memcached side of a connection: parse text requests, run them as
//! the string operations Redis commands use (database 0), render
//! memcached's reply lines.
//!
//! The verbs map onto operations with fields, never onto checks of the
//! protocol: `add` is a SET with [`Cond::Nx`], `prepend` an append with
//! `front: true, create_missing: false`, `incr` an increment with
//! [`Step::Unsigned`].
//!
//! When memory is full, a write first makes room by the batch's
//! [`write_policy`]: memcached evicts by default whatever the Redis side's
//! `maxmemory-policy`, and `-M` (`memcache-evictions no`) makes it answer
//! `SERVER_ERROR out of memory storing object` instead.

use super::connection::Session;
use crate::command::string::{
    append_value, get_and_expire, get_value, incr_value, parse_u64_memcached, remove_key, set_value, AppendArgs,
    AppendOutcome, Cond, Expire, ExpireChange, IncrArgs, IncrOutcome, SetArgs, SetOutcome, Step,
};
use crate::command::{self, info};
use crate::protocol::memcache::reply::{self, stat};
use crate::protocol::memcache::{Parsed, Parser, Request, StoreMode, MAX_GET_LINE, MAX_LINE, VERSION};
use crate::state::{Client, ConnCounters, Counter, Proto, Server};
use crate::store::{EvictionPolicy, Item};
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Counters gathered over one batch and added to [`Stats`] at its end.
#[derive(Default)]
struct Counts {
    get: u64,
    set: u64,
    get_hits: u64,
    get_misses: u64,
    total_items: u64,
    flush: u64,
    touch: u64,
    delete_hits: u64,
    delete_misses: u64,
    incr_hits: u64,
    incr_misses: u64,
    decr_hits: u64,
    decr_misses: u64,
    cas_hits: u64,
    cas_misses: u64,
    cas_badval: u64,
    touch_hits: u64,
    touch_misses: u64,
    too_large: u64,
    no_memory: u64,
}

impl Counts {
    /// Adds the batch's counts to the connection's own counters.
    fn flush_into(&mut self, h: &ConnCounters) {
        let c = std::mem::take(self);
        for (counter, n) in [
            (Counter::McGet, c.get),
            (Counter::McSet, c.set),
            (Counter::McGetHits, c.get_hits),
            (Counter::McGetMisses, c.get_misses),
            (Counter::McTotalItems, c.total_items),
            (Counter::McFlush, c.flush),
            (Counter::McTouch, c.touch),
            (Counter::McDeleteHits, c.delete_hits),
            (Counter::McDeleteMisses, c.delete_misses),
            (Counter::McIncrHits, c.incr_hits),
            (Counter::McIncrMisses, c.incr_misses),
            (Counter::McDecrHits, c.decr_hits),
            (Counter::McDecrMisses, c.decr_misses),
            (Counter::McCasHits, c.cas_hits),
            (Counter::McCasMisses, c.cas_misses),
            (Counter::McCasBadval, c.cas_badval),
            (Counter::McTouchHits, c.touch_hits),
            (Counter::McTouchMisses, c.touch_misses),
            (Counter::McTooLarge, c.too_large),
            (Counter::McNoMemory, c.no_memory),
        ] {
            if n != 0 {
                h.bump(counter, n);
            }
        }
    }
}

pub struct MemcacheSession {
    srv: Arc<Server>,
    client: Client,
    parser: Parser,
    counts: Counts,
    /// How this batch's writes make room: [`write_policy`], read once per
    /// batch like the clock.
    evict: EvictionPolicy,
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

impl MemcacheSession {
    pub fn new(srv: Arc<Server>, client: Client) -> MemcacheSession {
        srv.stats.mc_total_connections.fetch_add(1, Ordering::Relaxed);
        let parser = Parser::new(srv.config.max_item_size as usize);
        MemcacheSession {
            srv,
            client,
            parser,
            counts: Counts::default(),
            evict: EvictionPolicy::AllKeysLru,
        }
    }

    fn execute(&mut self, req: Request<'_>, now: u64, out: &mut Vec<u8>) {
        let srv = &*self.srv;
        let c = &mut self.counts;
        let mark = out.len();
        let mut noreply = false;
        match req {
            Request::Get { keys, cas, touch } => {
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
                let line = if command::make_room(srv, DB, now, self.evict).is_err() {
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
                                max_len: srv.config.max_item_size as usize,
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
                if !decr && command::make_room(srv, DB, now, self.evict).is_err() && incr_grows(srv, key, delta, now) {
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
                flush_all(&self.srv, delay, now);
                out.extend_from_slice(reply::OK);
            }
            Request::Version => reply::version(out),
            Request::Verbosity { noreply: nr } => {
                noreply = nr;
                out.extend_from_slice(reply::OK);
            }
            Request::Stats { group } => {
                // Counters still held by this batch belong in what is shown.
                self.counts.flush_into(&self.client.handle.counters);
                stats(srv, group, now, out);
            }
            Request::Quit => self.client.close = true,
            Request::Error { reply, noreply: nr } => {
                noreply = nr;
                out.extend_from_slice(reply);
            }
        }
        if noreply {
            out.truncate(mark);
        }
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
        _ => return srv.store.flush_db(DB, false),
    };
    let wait = Duration::from_millis(at - now);
    let srv = srv.clone();
    // Items written until the deadline go too, as in memcached, so a timer
    // that flushes at the deadline is the whole of it.
    let task = async move {
        tokio::select! {
            _ = tokio::time::sleep(wait) => srv.store.flush_db(DB, false),
            _ = srv.shutdown.cancelled() => {}
        }
    };
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(task);
    }
}

fn load(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// `stats` and its groups. memcached's general stats, each from a real
/// counter. `slabs` and `items` report the store's slab classes (numbered
/// from 1, as memcached numbers them), over every database; `sizes` and
/// `conns` are empty.
fn stats(srv: &Server, group: Option<&[u8]>, now: u64, out: &mut Vec<u8>) {
    let s = &srv.stats;
    match group {
        None => {}
        Some(b"reset") => {
            srv.clients.reset_totals(Counter::MEMCACHE);
            out.extend_from_slice(reply::RESET);
            return;
        }
        Some(b"settings") => {
            stat(out, "maxbytes", limit_maxbytes(srv));
            stat(out, "tcpport", srv.config.memcache_port);
            stat(out, "inter", &srv.config.bind);
            stat(out, "num_threads", srv.config.threads);
            stat(out, "cas_enabled", "yes");
            stat(out, "item_size_max", srv.config.max_item_size);
            stat(
                out,
                "evictions",
                if srv.settings.memcache_evictions() { "on" } else { "off" },
            );
            stat(out, "flush_enabled", "yes");
            out.extend_from_slice(reply::END);
            return;
        }
        Some(b"slabs") => {
            let r = srv.store.slab_report();
            for (c, s) in &r.classes {
                let id = c + 1;
                stat(out, &format!("{id}:chunk_size"), s.chunk_size);
                stat(out, &format!("{id}:chunks_per_page"), s.chunks_per_page);
                stat(out, &format!("{id}:total_pages"), s.pages);
                stat(out, &format!("{id}:total_chunks"), s.pages * s.chunks_per_page as u64);
                stat(out, &format!("{id}:used_chunks"), s.used_chunks);
                stat(out, &format!("{id}:free_chunks"), s.free_chunks);
                stat(out, &format!("{id}:free_chunks_end"), s.free_chunks_end);
            }
            stat(
                out,
                "active_slabs",
                r.classes.iter().filter(|(_, s)| s.pages > 0).count(),
            );
            stat(out, "total_malloced", r.pages_in_use * r.page_size);
            out.extend_from_slice(reply::END);
            return;
        }
        Some(b"items") => {
            for (c, s) in srv
                .store
                .slab_report()
                .classes
                .iter()
                .filter(|(_, s)| s.used_chunks > 0)
            {
                let id = c + 1;
                let k = &s.counters;
                stat(out, &format!("items:{id}:number"), s.used_chunks);
                stat(out, &format!("items:{id}:mem_requested"), s.requested);
                stat(out, &format!("items:{id}:evicted"), k.evicted);
                stat(out, &format!("items:{id}:evicted_nonzero"), k.evicted_nonzero);
                stat(out, &format!("items:{id}:outofmemory"), k.outofmemory);
                stat(out, &format!("items:{id}:reclaimed"), k.reclaimed);
                stat(out, &format!("items:{id}:expired_unfetched"), k.expired_unfetched);
                stat(out, &format!("items:{id}:evicted_unfetched"), k.evicted_unfetched);
            }
            out.extend_from_slice(reply::END);
            return;
        }
        Some(b"sizes" | b"conns") => {
            out.extend_from_slice(reply::END);
            return;
        }
        Some(_) => {
            out.extend_from_slice(reply::ERROR);
            return;
        }
    }
    let t = srv.clients.totals();
    let ru = info::rusage(libc::RUSAGE_SELF);
    let conns = srv.clients.list().iter().filter(|c| c.proto == Proto::Memcache).count();
    stat(out, "pid", std::process::id());
    stat(out, "uptime", srv.uptime_secs());
    stat(out, "time", now / 1000);
    stat(out, "version", VERSION);
    stat(out, "pointer_size", usize::BITS);
    stat(out, "rusage_user", info::cpu_time(ru.ru_utime));
    stat(out, "rusage_system", info::cpu_time(ru.ru_stime));
    stat(out, "curr_connections", conns);
    stat(out, "total_connections", load(&s.mc_total_connections));
    stat(out, "rejected_connections", load(&s.rejected_connections));
    stat(out, "cmd_get", t.get(Counter::McGet));
    stat(out, "cmd_set", t.get(Counter::McSet));
    stat(out, "cmd_flush", t.get(Counter::McFlush));
    stat(out, "cmd_touch", t.get(Counter::McTouch));
    stat(out, "get_hits", t.get(Counter::McGetHits));
    stat(out, "get_misses", t.get(Counter::McGetMisses));
    stat(out, "delete_misses", t.get(Counter::McDeleteMisses));
    stat(out, "delete_hits", t.get(Counter::McDeleteHits));
    stat(out, "incr_misses", t.get(Counter::McIncrMisses));
    stat(out, "incr_hits", t.get(Counter::McIncrHits));
    stat(out, "decr_misses", t.get(Counter::McDecrMisses));
    stat(out, "decr_hits", t.get(Counter::McDecrHits));
    stat(out, "cas_misses", t.get(Counter::McCasMisses));
    stat(out, "cas_hits", t.get(Counter::McCasHits));
    stat(out, "cas_badval", t.get(Counter::McCasBadval));
    stat(out, "touch_hits", t.get(Counter::McTouchHits));
    stat(out, "touch_misses", t.get(Counter::McTouchMisses));
    stat(out, "store_too_large", t.get(Counter::McTooLarge));
    stat(out, "store_no_memory", t.get(Counter::McNoMemory));
    stat(out, "bytes_read", t.get(Counter::McBytesRead));
    stat(out, "bytes_written", t.get(Counter::McBytesWritten));
    stat(out, "limit_maxbytes", limit_maxbytes(srv));
    stat(out, "accepting_conns", 1);
    stat(out, "threads", srv.config.threads);
    stat(out, "bytes", srv.store.memory().dataset);
    stat(out, "curr_items", srv.store.dbsize(DB));
    stat(out, "total_items", t.get(Counter::McTotalItems));
    stat(out, "evictions", srv.store.stats().evicted_keys);
    let mut k = crate::store::ClassCounters::default();
    for (_, s) in srv.store.slab_report().classes {
        k.reclaimed += s.counters.reclaimed;
        k.expired_unfetched += s.counters.expired_unfetched;
        k.evicted_unfetched += s.counters.evicted_unfetched;
    }
    stat(out, "reclaimed", k.reclaimed);
    stat(out, "expired_unfetched", k.expired_unfetched);
    stat(out, "evicted_unfetched", k.evicted_unfetched);
    out.extend_from_slice(reply::END);
}

/// The memory limit the store enforces (`maxmemory`, `-m`). 0 when there
/// is none, as memcached itself reports `-m 0`; tools that divide by it
/// must treat 0 as unlimited either way.
fn limit_maxbytes(srv: &Server) -> u64 {
    srv.store.limits().maxmemory
}

impl Session for MemcacheSession {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let now = self.srv.clock.now_ms();
        self.evict = write_policy(&self.srv);
        let out_start = out.len();
        let mut pos = 0;
        let mut commands = 0;
        while pos < input.len() && !self.client.close {
            match self.parser.parse(&input[pos..]) {
                Parsed::Request(req, n) => {
                    self.execute(req, now, out);
                    self.srv.blocking.wake_ready(self.srv.store.ready_keys());
                    commands += 1;
                    pos += n;
                }
                Parsed::Skip(n) => pos += n,
                Parsed::Incomplete => break,
                Parsed::Close => {
                    tracing::debug!(client = self.client.id, "memcached line too long; closing");
                    self.client.close = true;
                    pos = input.len();
                }
            }
        }
        let counters = &self.client.handle.counters;
        self.counts.flush_into(counters);
        counters.bump(Counter::Commands, commands);
        counters.bump(Counter::McBytesRead, pos as u64);
        counters.bump(Counter::McBytesWritten, (out.len() - out_start) as u64);
        if commands > 0 {
            self.client.handle.last_active.store(now, Ordering::Relaxed);
        }
        pos
    }

    fn closing(&self) -> bool {
        self.client.close
    }

    fn needed(&self) -> usize {
        self.parser.needed()
    }

    /// The parser closes on over-long lines itself; this bounds what a
    /// pending data block or multi-get line may hold.
    fn max_pending(&self) -> usize {
        (self.srv.config.max_item_size as usize + 2 + MAX_LINE).max(MAX_GET_LINE)
    }
}

#[cfg(test)]
mod tests {
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

    /// A session on a server with no listeners and a 1mb limit.
    fn limited_session(settings: &[(&str, &str)]) -> MemcacheSession {
        let srv = Arc::new(Server::new(crate::config::Config::default()));
        srv.set_config(&[("maxmemory", "1mb")]).expect("known setting");
        srv.set_config(settings).expect("known settings");
        let addr = "127.0.0.1:1".parse().expect("literal address");
        let handle = srv
            .clients
            .register(Proto::Memcache, addr, addr, srv.start_ms, &srv.shutdown);
        MemcacheSession::new(srv, Client::new(handle))
    }

    fn send(s: &mut MemcacheSession, input: &str) -> String {
        let mut out = Vec::new();
        let used = s.process(input.as_bytes(), &mut out);
        assert_eq!(used, input.len(), "every request complete");
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Sets `item:N` to 1000-byte values, at most `limit` of them, until a
    /// reply is not STORED; returns how many were stored and that reply.
    /// The store notices usage in steps, so tests fill rather than count
    /// bytes.
    fn fill(s: &mut MemcacheSession, limit: usize) -> (usize, Option<String>) {
        let value = "m".repeat(1000);
        for i in 0..limit {
            let reply = send(s, &format!("set item:{i} 0 0 1000\r\n{value}\r\n"));
            if reply != "STORED\r\n" {
                return (i, Some(reply));
            }
        }
        (limit, None)
    }

    const NO_MEMORY: &str = "SERVER_ERROR out of memory storing object\r\n";

    #[test]
    fn full_store_evicts_for_memcached_writes_even_with_noeviction_on_the_redis_side() {
        let mut s = limited_session(&[]);
        assert_eq!(fill(&mut s, 3 * 1024), (3 * 1024, None));
        assert!(s.srv.store.stats().evicted_keys > 0);
        assert_eq!(
            send(&mut s, "get item:3071\r\n").lines().next(),
            Some("VALUE item:3071 0 1000")
        );
    }

    #[test]
    fn full_store_with_evictions_disabled_answers_out_of_memory_and_stays_in_step() {
        let mut s = limited_session(&[("memcache-evictions", "no")]);
        assert_eq!(send(&mut s, "set a 0 0 1\r\nx\r\n"), "STORED\r\n");
        let (stored, refused) = fill(&mut s, 20_000);
        assert_eq!(refused.as_deref(), Some(NO_MEMORY), "after {stored} sets");
        // The refused set's data block is consumed: the get after it is
        // read as a command, not as data.
        assert_eq!(
            send(&mut s, "add b 0 0 3\r\nget\r\nget a\r\n"),
            format!("{NO_MEMORY}VALUE a 0 1\r\nx\r\nEND\r\n")
        );
        for verb in ["replace a", "append a", "prepend a", "cas a"] {
            let line = if verb.starts_with("cas") {
                format!("{verb} 0 0 1 1")
            } else {
                format!("{verb} 0 0 1")
            };
            assert_eq!(send(&mut s, &format!("{line}\r\nz\r\n")), NO_MEMORY, "{verb}");
        }
        assert_eq!(
            send(&mut s, "set b 0 0 1 noreply\r\ny\r\n"),
            "",
            "noreply holds for the error"
        );
        assert_eq!(
            send(&mut s, "stats\r\n")
                .lines()
                .find(|l| l.starts_with("STAT store_no_memory")),
            Some("STAT store_no_memory 7")
        );
        // A set that fails must not leave the old value readable.
        assert_eq!(send(&mut s, "set a 0 0 1\r\nw\r\n"), NO_MEMORY);
        assert_eq!(send(&mut s, "get a\r\n"), "END\r\n");
        for i in 0..stored / 2 {
            assert_eq!(send(&mut s, &format!("delete item:{i}\r\n")), "DELETED\r\n");
        }
        assert_eq!(
            send(&mut s, "set a 0 0 1\r\nw\r\n"),
            "STORED\r\n",
            "room again once freed"
        );
        assert_eq!(s.srv.store.stats().evicted_keys, 0);
    }

    #[test]
    fn full_store_with_evictions_disabled_refuses_only_an_incr_that_lengthens_the_number() {
        let mut s = limited_session(&[("memcache-evictions", "no")]);
        assert_eq!(send(&mut s, "set n 0 0 1\r\n8\r\n"), "STORED\r\n");
        assert_eq!(fill(&mut s, 20_000).1.as_deref(), Some(NO_MEMORY));
        assert_eq!(send(&mut s, "incr n 1\r\n"), "9\r\n", "same length: rewritten in place");
        assert_eq!(send(&mut s, "incr n 1\r\n"), "SERVER_ERROR out of memory\r\n");
        assert_eq!(send(&mut s, "decr n 5\r\n"), "4\r\n");
        assert_eq!(send(&mut s, "incr missing 1\r\n"), "NOT_FOUND\r\n");
    }

    #[test]
    fn write_policy_follows_the_redis_policy_unless_it_is_noeviction() {
        let s = limited_session(&[("maxmemory-policy", "allkeys-random")]);
        assert_eq!(write_policy(&s.srv), EvictionPolicy::AllKeysRandom);
        s.srv.set_config(&[("maxmemory-policy", "noeviction")]).unwrap();
        assert_eq!(write_policy(&s.srv), EvictionPolicy::AllKeysLru);
        s.srv.set_config(&[("memcache-evictions", "no")]).unwrap();
        assert_eq!(write_policy(&s.srv), EvictionPolicy::NoEviction);
    }

    #[test]
    fn stats_report_the_limit_and_the_eviction_setting() {
        let mut s = limited_session(&[("memcache-evictions", "no")]);
        let stats = send(&mut s, "stats\r\n");
        assert!(stats.contains("STAT limit_maxbytes 1048576\r\n"), "{stats}");
        assert!(stats.contains("STAT evictions 0\r\n"), "{stats}");
        let settings = send(&mut s, "stats settings\r\n");
        assert!(settings.contains("STAT maxbytes 1048576\r\n"), "{settings}");
        assert!(settings.contains("STAT evictions off\r\n"), "{settings}");
    }
}
