//! memcached's `stats` and its groups, and the counters behind them: a
//! batch gathers its counts in [`Counts`] and hands them to the
//! connection's own counters at its end, so worker threads never share a
//! counter's cache line; `stats` sums them over connections.

use super::DB;
use crate::command::info;
use crate::protocol::memcache::reply::{self, stat};
use crate::protocol::memcache::VERSION;
use crate::state::{ConnCounters, Counter, Proto, Server};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters gathered over one batch and added to the connection's own at
/// its end, where `stats` sums them over connections.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) get: u64,
    pub(super) set: u64,
    pub(super) get_hits: u64,
    pub(super) get_misses: u64,
    pub(super) total_items: u64,
    pub(super) flush: u64,
    pub(super) touch: u64,
    pub(super) delete_hits: u64,
    pub(super) delete_misses: u64,
    pub(super) incr_hits: u64,
    pub(super) incr_misses: u64,
    pub(super) decr_hits: u64,
    pub(super) decr_misses: u64,
    pub(super) cas_hits: u64,
    pub(super) cas_misses: u64,
    pub(super) cas_badval: u64,
    pub(super) touch_hits: u64,
    pub(super) touch_misses: u64,
    pub(super) too_large: u64,
    pub(super) no_memory: u64,
}

impl Counts {
    /// Adds the batch's counts to the connection's own counters.
    pub(super) fn flush_into(&mut self, h: &ConnCounters) {
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

fn load(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// `stats` and its groups. memcached's general stats, each from a real
/// counter. `slabs` and `items` report the store's slab classes (numbered
/// from 1, as memcached numbers them), over every database; `sizes` and
/// `conns` are empty.
pub(super) fn stats(srv: &Server, group: Option<&[u8]>, now: u64, out: &mut Vec<u8>) {
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
            stat(out, "tcpport", srv.settings.int("memcache-port").unwrap_or(0));
            stat(out, "inter", &srv.config.bind);
            stat(out, "num_threads", srv.config.threads);
            stat(out, "cas_enabled", "yes");
            stat(out, "item_size_max", srv.settings.max_item_size());
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

#[cfg(test)]
mod tests {
    use super::super::testing::Mc;

    #[test]
    fn stats_report_the_limit_and_the_eviction_setting() {
        let mut s = Mc::limited(&[("memcache-evictions", "no")]);
        let stats = s.send("stats\r\n");
        assert!(stats.contains("STAT limit_maxbytes 1048576\r\n"), "{stats}");
        assert!(stats.contains("STAT evictions 0\r\n"), "{stats}");
        let settings = s.send("stats settings\r\n");
        assert!(settings.contains("STAT maxbytes 1048576\r\n"), "{settings}");
        assert!(settings.contains("STAT evictions off\r\n"), "{settings}");
    }
}
