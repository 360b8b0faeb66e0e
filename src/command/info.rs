//! INFO: the server's state as `field:value` lines, by section.
//!
//! Sections and fields follow Redis 7.2, since monitoring tools and client
//! libraries parse them by name. Values ferrocache has no counterpart for
//! (replication offsets, fork statistics, AOF state) read as Redis reports
//! them on an idle standalone master without persistence.

use super::flags::*;
use super::server::REDIS_VERSION;
use super::{spec, CommandSpec, Ctx};
use crate::state::pubsub::Kind;
use crate::state::{Counter, Server};
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("info", -1, LOADING | STALE, "server", info)
    .acl(super::categories::DANGEROUS)
    .doc(
        "1.0.0",
        "Reports the server's state and counters, by section.",
        "O(1)",
        "[section [section ...]]",
    )];

/// Every section, in the order INFO prints them, and whether `default`
/// includes it. `all` is every section but `modules`; `everything` is all.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", false),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// ```text
/// INFO [section [section ...]]
/// ```
/// Sections are printed once each, in INFO's own order whatever the order
/// asked; unknown names select nothing. Verbatim text in RESP3.
fn info(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let asked: Vec<String> = a[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let text = render(ctx.srv, &asked, ctx.now);
    ctx.out.verbatim(text.as_bytes());
}

/// Which sections a list of INFO arguments selects.
fn selected(asked: &[String]) -> Vec<&'static str> {
    let has = |w: &str| asked.iter().any(|a| a == w);
    let everything = has("everything");
    let all = everything || has("all");
    let default = asked.is_empty() || has("default");
    SECTIONS
        .iter()
        .filter(|(name, in_default)| everything || (all && *name != "modules") || (default && *in_default) || has(name))
        .map(|(name, _)| *name)
        .collect()
}

/// The INFO text for the sections `asked` selects, `\r\n` line ends.
pub(crate) fn render(srv: &Server, asked: &[String], now: u64) -> String {
    let mut out = String::new();
    for (i, section) in selected(asked).into_iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let mut s = Section(&mut out);
        match section {
            "server" => server(srv, &mut s, now),
            "clients" => clients(srv, &mut s),
            "memory" => memory(srv, &mut s),
            "persistence" => persistence(srv, &mut s),
            "stats" => stats(srv, &mut s),
            "replication" => replication(srv, &mut s),
            "cpu" => cpu(&mut s),
            "modules" => s.title("Modules"),
            "commandstats" => commandstats(srv, &mut s),
            "errorstats" => errorstats(srv, &mut s),
            "latencystats" => latencystats(srv, &mut s),
            "cluster" => {
                s.title("Cluster");
                s.field("cluster_enabled", 0);
            }
            "keyspace" => keyspace(srv, &mut s, now),
            _ => {}
        }
    }
    out
}

/// Writes one section's lines.
pub(crate) struct Section<'a>(&'a mut String);

impl Section<'_> {
    pub(crate) fn title(&mut self, t: &str) {
        let _ = write!(self.0, "# {t}\r\n");
    }

    pub(crate) fn field(&mut self, name: &str, v: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{v}\r\n");
    }

    /// Fields that are always zero here, written in one go.
    pub(crate) fn zeros(&mut self, names: &[&str]) {
        for n in names {
            self.field(n, 0);
        }
    }
}

/// A byte count as Redis prints it beside the raw number: `1.50M`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2}{}", UNITS[u])
}

fn uname() -> String {
    // SAFETY: uname fills a zeroed struct of C strings; a failure leaves
    // it zeroed, which reads as empty strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        libc::uname(&mut u);
        let s = |f: &[libc::c_char]| std::ffi::CStr::from_ptr(f.as_ptr()).to_string_lossy().into_owned();
        format!("{} {} {}", s(&u.sysname), s(&u.release), s(&u.machine))
    }
}

fn server(srv: &Server, s: &mut Section<'_>, now: u64) {
    let port = crate::util::sync::lock(&srv.bound)
        .resp
        .map(|a| a.port())
        .unwrap_or(srv.config.port);
    let uptime = srv.uptime_secs();
    let hz = srv.settings.get("hz").unwrap_or_else(|| "10".into());
    s.title("Server");
    s.field("redis_version", REDIS_VERSION);
    s.field("ferrocache_version", env!("CARGO_PKG_VERSION"));
    s.field("redis_git_sha1", "00000000");
    s.field("redis_git_dirty", 0);
    s.field("redis_build_id", "0");
    s.field("redis_mode", "standalone");
    s.field("os", uname());
    s.field("arch_bits", usize::BITS);
    s.field("monotonic_clock", "POSIX clock_gettime");
    s.field("multiplexing_api", "epoll");
    s.field("atomicvar_api", "c11-builtin");
    s.field("gcc_version", "0.0.0");
    s.field("process_id", std::process::id());
    s.field("process_supervised", "no");
    s.field("run_id", &srv.run_id);
    s.field("tcp_port", port);
    s.field("server_time_usec", now * 1000);
    s.field("uptime_in_seconds", uptime);
    s.field("uptime_in_days", uptime / 86400);
    s.field("hz", &hz);
    s.field("configured_hz", &hz);
    s.field("lru_clock", (now / 1000) & ((1 << 24) - 1));
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    s.field("executable", exe);
    let conf = srv
        .config
        .config_file
        .as_ref()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .unwrap_or_default();
    s.field("config_file", conf);
    s.field("io_threads_active", 0);
    s.field(
        "listener0",
        format!("name=tcp,bind={},port={port}", srv.config.bind.replace(' ', ",bind=")),
    );
}

fn clients(srv: &Server, s: &mut Section<'_>) {
    s.title("Clients");
    s.field("connected_clients", srv.clients.count());
    s.field("cluster_connections", 0);
    s.field("maxclients", srv.settings.get("maxclients").unwrap_or_default());
    let (max_in, max_out) = srv.clients.max_buffers();
    s.field("client_recent_max_input_buffer", max_in);
    s.field("client_recent_max_output_buffer", max_out);
    // Clients held back by CLIENT PAUSE count as blocked, as in Redis 7.0.
    s.field("blocked_clients", srv.blocking.blocked_clients() + srv.pause.waiting());
    s.field("tracking_clients", srv.tracking.stats().clients);
    s.zeros(&[
        "pubsub_clients",
        "watching_clients",
        "clients_in_timeout_table",
        "total_watched_keys",
    ]);
    s.field("total_blocking_keys", srv.blocking.blocking_keys());
    s.zeros(&["total_blocking_keys_on_nokey"]);
}

/// Resident set size in bytes, from /proc where there is one.
fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .unwrap_or(0);
    // SAFETY: sysconf only reads a constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
    pages * page
}

fn system_memory() -> u64 {
    // SAFETY: sysconf only reads constants.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    (pages.max(0) as u64) * (page.max(0) as u64)
}

fn memory(srv: &Server, s: &mut Section<'_>) {
    let mem = srv.store.memory();
    let used = mem.used;
    let peak = srv.stats.used_memory_peak.fetch_max(used, Ordering::Relaxed).max(used);
    let rss = rss_bytes();
    let limits = srv.store.limits();
    let total = system_memory();
    let perc = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
    s.title("Memory");
    s.field("used_memory", used);
    s.field("used_memory_human", human_bytes(used));
    s.field("used_memory_rss", rss);
    s.field("used_memory_rss_human", human_bytes(rss));
    s.field("used_memory_peak", peak);
    s.field("used_memory_peak_human", human_bytes(peak));
    s.field("used_memory_peak_perc", format!("{:.2}%", perc(used, peak)));
    s.field("used_memory_overhead", mem.overhead);
    s.field("used_memory_startup", 0);
    s.field("used_memory_dataset", mem.dataset);
    // Redis: dataset / (used - startup); startup is 0 here.
    s.field("used_memory_dataset_perc", format!("{:.2}%", perc(mem.dataset, used)));
    s.field("total_system_memory", total);
    s.field("total_system_memory_human", human_bytes(total));
    // Lua memory: the Lua state's last report, or Redis's empty-state
    // figure while there is no state (before the first script, and after
    // SCRIPT FLUSH until the next).
    let scripts = &srv.scripts;
    let lua = match scripts.lua_memory() as u64 {
        0 => 31744,
        n => n,
    };
    let cached = scripts.cache_bytes() as u64;
    s.field("used_memory_lua", lua);
    s.field("used_memory_vm_eval", lua);
    s.field("used_memory_lua_human", human_bytes(lua));
    s.field("used_memory_scripts_eval", cached);
    s.field("number_of_cached_scripts", scripts.count());
    s.field("number_of_functions", scripts.function_count());
    s.field("number_of_libraries", scripts.libraries().len());
    s.field("used_memory_vm_functions", 0);
    s.field("used_memory_vm_total", lua);
    s.field("used_memory_vm_total_human", human_bytes(lua));
    s.field("used_memory_functions", 0);
    s.field("used_memory_scripts", cached);
    s.field("used_memory_scripts_human", human_bytes(cached));
    s.field("maxmemory", limits.maxmemory);
    s.field("maxmemory_human", human_bytes(limits.maxmemory));
    s.field("maxmemory_policy", crate::config::policy_name(limits.policy));
    let frag = if used == 0 { 0.0 } else { rss as f64 / used as f64 };
    s.field("mem_fragmentation_ratio", format!("{frag:.2}"));
    s.field("mem_fragmentation_bytes", rss as i64 - used as i64);
    s.field("mem_not_counted_for_evict", 0);
    s.field("mem_replication_backlog", 0);
    s.field("mem_total_replication_buffers", 0);
    s.field("mem_clients_slaves", 0);
    s.field("mem_clients_normal", 0);
    s.field("mem_cluster_links", 0);
    s.field("mem_aof_buffer", 0);
    s.field("mem_allocator", "mimalloc");
    s.field("active_defrag_running", 0);
    s.field("lazyfree_pending_objects", 0);
    s.field("lazyfreed_objects", 0);
}

fn persistence(srv: &Server, s: &mut Section<'_>) {
    s.title("Persistence");
    s.zeros(&[
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ]);
    s.field("current_fork_perc", "0.00");
    s.zeros(&["current_save_keys_processed", "current_save_keys_total"]);
    let p = &srv.persist;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let running = p.bgsave_running.load(Ordering::Relaxed);
    s.field(
        "rdb_changes_since_last_save",
        srv.store.changes().saturating_sub(get(&p.changes_at_save)),
    );
    s.field("rdb_bgsave_in_progress", running as u8);
    s.field("rdb_last_save_time", get(&p.last_save) / 1000);
    let ok = p.last_bgsave_ok.load(Ordering::Relaxed);
    s.field("rdb_last_bgsave_status", if ok { "ok" } else { "err" });
    s.field("rdb_last_bgsave_time_sec", p.last_bgsave_secs.load(Ordering::Relaxed));
    let current = match running {
        true => (srv.clock.now_ms().saturating_sub(get(&p.bgsave_started)) / 1000) as i64,
        false => -1,
    };
    s.field("rdb_current_bgsave_time_sec", current);
    s.field("rdb_saves", get(&p.saves));
    s.field("rdb_last_cow_size", 0);
    s.field("rdb_last_load_keys_expired", get(&p.last_load_expired));
    s.field("rdb_last_load_keys_loaded", get(&p.last_load_keys));
    s.field("rdb_last_load_keys_skipped", get(&p.last_load_skipped));
    s.zeros(&["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled"]);
    s.field("aof_last_rewrite_time_sec", -1);
    s.field("aof_current_rewrite_time_sec", -1);
    s.field("aof_last_bgrewrite_status", "ok");
    s.zeros(&["aof_rewrites", "aof_rewrites_consecutive_failures"]);
    s.field("aof_last_write_status", "ok");
    s.zeros(&[
        "aof_last_cow_size",
        "module_fork_in_progress",
        "module_fork_last_cow_size",
    ]);
}

fn stats(srv: &Server, s: &mut Section<'_>) {
    let st = &srv.stats;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let store = srv.store.stats();
    s.title("Stats");
    s.field("total_connections_received", get(&st.total_connections));
    let totals = srv.clients.totals();
    let (ops, kbps_in, kbps_out) = {
        let r = crate::util::sync::lock(&st.rates);
        (
            r.ops.per_sec(),
            r.net_in.per_sec() / 1024.0,
            r.net_out.per_sec() / 1024.0,
        )
    };
    s.field("total_commands_processed", totals.get(Counter::Commands));
    s.field("instantaneous_ops_per_sec", ops.round() as u64);
    s.field("total_net_input_bytes", totals.get(Counter::NetIn));
    s.field("total_net_output_bytes", totals.get(Counter::NetOut));
    s.field("total_net_repl_input_bytes", srv.repl.bytes_in.load(Ordering::Relaxed));
    s.field(
        "total_net_repl_output_bytes",
        srv.repl.bytes_out.load(Ordering::Relaxed),
    );
    s.field("instantaneous_input_kbps", format!("{kbps_in:.2}"));
    s.field("instantaneous_output_kbps", format!("{kbps_out:.2}"));
    for f in ["instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"] {
        s.field(f, "0.00");
    }
    s.field("rejected_connections", get(&st.rejected_connections));
    s.zeros(&["sync_full", "sync_partial_ok", "sync_partial_err"]);
    s.field("expired_keys", store.expired_keys);
    s.field("expired_stale_perc", "0.00");
    s.zeros(&["expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds"]);
    s.field("evicted_keys", store.evicted_keys);
    // ferrocache's addition: items of each eviction priority, all databases.
    let counts = srv.store.priority_counts();
    for (p, n) in crate::store::Priority::ALL.iter().zip(counts) {
        s.field(&format!("items_priority_{}", p.name()), n);
    }
    s.zeros(&[
        "evicted_clients",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ]);
    s.field("keyspace_hits", store.keyspace_hits);
    s.field("keyspace_misses", store.keyspace_misses);
    s.field("pubsub_channels", srv.pubsub.names(Kind::Channel));
    s.field("pubsub_patterns", srv.pubsub.names(Kind::Pattern));
    s.field("pubsubshard_channels", srv.pubsub.names(Kind::Shard));
    s.zeros(&[
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
    ]);
    let t = srv.tracking.stats();
    s.field("tracking_total_keys", t.keys);
    s.field("tracking_total_items", t.items);
    s.field("tracking_total_prefixes", t.prefixes);
    s.zeros(&["unexpected_error_replies"]);
    s.field("total_error_replies", get(&st.error_replies));
    s.zeros(&["dump_payload_sanitizations"]);
    s.field("total_reads_processed", totals.get(Counter::Reads));
    s.field("total_writes_processed", totals.get(Counter::Writes));
    s.zeros(&["io_threaded_reads_processed", "io_threaded_writes_processed"]);
    // Redis 7.4's names (7.2 has neither field).
    s.field(
        "client_query_buffer_limit_disconnections",
        get(&st.qbuf_limit_disconnections),
    );
    s.field(
        "client_output_buffer_limit_disconnections",
        get(&st.obuf_limit_disconnections),
    );
    s.zeros(&["reply_buffer_shrinks", "reply_buffer_expands"]);
    s.field("acl_access_denied_auth", get(&st.acl_denied_auth));
    s.field("acl_access_denied_cmd", get(&st.acl_denied_cmd));
    s.field("acl_access_denied_key", get(&st.acl_denied_key));
    s.field("acl_access_denied_channel", get(&st.acl_denied_channel));
}

/// One line per command or subcommand called, refused or failed since
/// start or CONFIG RESETSTAT: `cmdstat_get:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=..`.
fn commandstats(srv: &Server, s: &mut Section<'_>) {
    s.title("Commandstats");
    for (row, c) in super::rows() {
        let n = srv.cmdstats.counts(row);
        if n.calls == 0 && n.rejected == 0 && n.failed == 0 {
            continue;
        }
        let per_call = if n.calls == 0 {
            0.0
        } else {
            n.usec as f64 / n.calls as f64
        };
        s.field(
            &format!("cmdstat_{}", c.name),
            format_args!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                n.calls, n.usec, n.rejected, n.failed
            ),
        );
    }
}

/// One line per error code answered: `errorstat_ERR:count=..`.
fn errorstats(srv: &Server, s: &mut Section<'_>) {
    s.title("Errorstats");
    for (code, n) in srv.stats.errors() {
        s.field(&format!("errorstat_{code}"), format_args!("count={n}"));
    }
}

/// Latency percentiles of each command called, at the percentiles of
/// `latency-tracking-info-percentiles`:
/// `latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=3.007`.
fn latencystats(srv: &Server, s: &mut Section<'_>) {
    s.title("Latencystats");
    let percentiles: Vec<f64> = srv
        .settings
        .get("latency-tracking-info-percentiles")
        .unwrap_or_default()
        .split(' ')
        .filter_map(|w| w.parse().ok())
        .collect();
    for (row, c) in super::rows() {
        let Some(l) = srv.cmdstats.latencies(row) else { continue };
        let values: Vec<String> = percentiles
            .iter()
            .map(|p| format!("p{p}={:.3}", l.percentile_usec(*p)))
            .collect();
        s.field(&format!("latency_percentiles_usec_{}", c.name), values.join(","));
    }
}

fn replication(srv: &Server, s: &mut Section<'_>) {
    super::replication::info(srv, s);
}

/// CPU time as `seconds.micros`, the way Redis prints getrusage's.
pub(crate) fn cpu_time(t: libc::timeval) -> String {
    format!("{}.{:06}", t.tv_sec, t.tv_usec)
}

pub(crate) fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage fills the zeroed struct; on failure it stays zero.
    unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut r);
        r
    }
}

fn cpu(s: &mut Section<'_>) {
    let me = rusage(libc::RUSAGE_SELF);
    let children = rusage(libc::RUSAGE_CHILDREN);
    s.title("CPU");
    s.field("used_cpu_sys", cpu_time(me.ru_stime));
    s.field("used_cpu_user", cpu_time(me.ru_utime));
    s.field("used_cpu_sys_children", cpu_time(children.ru_stime));
    s.field("used_cpu_user_children", cpu_time(children.ru_utime));
    // Redis has one main thread; ferrocache's workers are alike, so the
    // thread answering INFO stands for it.
    #[cfg(target_os = "linux")]
    {
        let thread = rusage(libc::RUSAGE_THREAD);
        s.field("used_cpu_sys_main_thread", cpu_time(thread.ru_stime));
        s.field("used_cpu_user_main_thread", cpu_time(thread.ru_utime));
    }
}

fn keyspace(srv: &Server, s: &mut Section<'_>, _now: u64) {
    s.title("Keyspace");
    for db in 0..srv.store.databases() {
        let d = srv.store.db_info(db);
        if d.keys > 0 {
            s.field(
                &format!("db{db}"),
                format!("keys={},expires={},avg_ttl={}", d.keys, d.expires, d.avg_ttl),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::Value;

    fn fields(text: &str) -> Vec<(String, String)> {
        text.split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once(':').expect(l);
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    fn titles(text: &str) -> Vec<&str> {
        text.split("\r\n").filter(|l| l.starts_with("# ")).collect()
    }

    #[test]
    fn sections_follow_info_order_and_keywords() {
        let srv = Server::new(Config::default());
        let t = render(&srv, &["keyspace".into(), "SERVER".to_ascii_lowercase()], 0);
        assert_eq!(titles(&t), ["# Server", "# Keyspace"]);
        let t = render(&srv, &[], 0);
        assert_eq!(
            titles(&t),
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(titles(&render(&srv, &["all".into()], 0)).contains(&"# Commandstats"));
        assert!(!titles(&render(&srv, &["all".into()], 0)).contains(&"# Modules"));
        assert!(titles(&render(&srv, &["everything".into()], 0)).contains(&"# Modules"));
        assert_eq!(render(&srv, &["nosuch".into()], 0), "");
        assert!(
            t.contains("\r\n\r\n# Clients\r\n"),
            "sections are separated by a blank line"
        );
    }

    #[test]
    fn server_section_names_redis_and_ferrocache_versions() {
        let srv = Server::new(Config::default());
        let f = fields(&render(&srv, &["server".into()], 1_700_000_000_000));
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("redis_version").as_deref(), Some("7.2.4"));
        assert_eq!(get("ferrocache_version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(get("redis_mode").as_deref(), Some("standalone"));
        assert_eq!(get("process_id"), Some(std::process::id().to_string()));
        assert_eq!(get("run_id").map(|r| r.len()), Some(40));
        assert_eq!(get("tcp_port").as_deref(), Some("6379"));
    }

    #[test]
    fn keyspace_lists_only_non_empty_databases() {
        let srv = Server::new(Config::default());
        let now = srv.clock.now_ms();
        for (db, key, exp) in [(0, &b"a"[..], 0), (0, b"b", now + 100_000), (2, b"c", 0)] {
            let kh = srv.store.hash(key);
            srv.store
                .lock(kh)
                .slot(db, key, kh, now)
                .set(Value::Str(b"v".to_vec()), exp, 0);
        }
        let t = render(&srv, &["keyspace".into()], now);
        let lines: Vec<&str> = t.split("\r\n").filter(|l| l.starts_with("db")).collect();
        assert_eq!(lines.len(), 2, "{t}");
        assert!(lines[0].starts_with("db0:keys=2,expires=1,avg_ttl="), "{t}");
        assert_eq!(lines[1], "db2:keys=1,expires=0,avg_ttl=0");
    }

    #[test]
    fn memory_fields_come_from_the_store_report() {
        let srv = Server::new(Config::default());
        let now = srv.clock.now_ms();
        for i in 0..100u32 {
            let key = format!("k{i}");
            let kh = srv.store.hash(key.as_bytes());
            srv.store
                .lock(kh)
                .slot(0, key.as_bytes(), kh, now)
                .set(Value::Str(vec![b'v'; 100]), 0, 0);
        }
        let mem = srv.store.memory();
        let f = fields(&render(&srv, &["memory".into()], now));
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("used_memory"), mem.used.to_string());
        assert_eq!(get("used_memory_human"), human_bytes(mem.used));
        assert_eq!(get("used_memory_dataset"), mem.dataset.to_string());
        assert_eq!(get("used_memory_overhead"), mem.overhead.to_string());
        let perc = mem.dataset as f64 * 100.0 / mem.used as f64;
        assert_eq!(get("used_memory_dataset_perc"), format!("{perc:.2}%"));
        let frag = get("mem_fragmentation_ratio");
        let (_, decimals) = frag.split_once('.').unwrap();
        assert_eq!(decimals.len(), 2, "{frag}");
        assert_eq!(get("maxmemory"), "0");
    }

    #[test]
    fn memory_and_cpu_fields_are_formatted_like_redis() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(1536), "1.50K");
        assert_eq!(human_bytes(3 << 30), "3.00G");
        let srv = Server::new(Config::default());
        srv.set_config(&[("maxmemory", "1mb"), ("maxmemory-policy", "allkeys-lfu")])
            .unwrap();
        let f = fields(&render(&srv, &["memory".into(), "cpu".into()], 0));
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("maxmemory"), "1048576");
        assert_eq!(get("maxmemory_human"), "1.00M");
        assert_eq!(get("maxmemory_policy"), "allkeys-lfu");
        let sys = get("used_cpu_sys");
        let (secs, micros) = sys.split_once('.').unwrap();
        assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{sys}");
    }
}
