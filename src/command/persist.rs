//! Snapshots to disk: SAVE, BGSAVE, LASTSAVE, the `save` points, the
//! save of SHUTDOWN and SIGTERM, DEBUG RELOAD and the load at start.
//!
//! A save writes `dir`/`dbfilename` through a temporary file in the same
//! directory, synced and renamed over the old file, as Redis does. The
//! snapshot is the store's own (`Store::begin_snapshot`): other clients go
//! on while it is written, SAVE included, which only holds its caller.
//! One snapshot is taken at a time.

use super::flags::*;
use super::{args, errors, spec, CommandSpec, Ctx};
use crate::repl::rdb::file::{self, Hints, LoadOptions, LoadReport, SaveOptions, SaveReport};
use crate::state::persist::save_points;
use crate::state::Server;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("save", 1, ADMIN | NOSCRIPT | NO_MULTI, "server", save).doc(
        "1.0.0",
        "Synchronously saves the database(s) to disk.",
        "O(N) where N is the total number of keys in all databases",
        "",
    ),
    spec("bgsave", -1, ADMIN | NOSCRIPT, "server", bgsave).doc(
        "1.0.0",
        "Asynchronously saves the database(s) to disk.",
        "O(1)",
        "[SCHEDULE]",
    ),
    spec("lastsave", 1, LOADING | STALE | FAST, "server", lastsave)
        .acl(super::categories::ADMIN | super::categories::DANGEROUS)
        .doc(
            "1.0.0",
            "Returns the Unix timestamp of the last successful save to disk.",
            "O(1)",
            "",
        ),
];

/// Seconds after a failed background save before a save point tries again.
const RETRY_DELAY_MS: u64 = 5000;

/// ```text
/// SAVE
/// ```
fn save(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    if ctx.srv.persist.bgsave_running.load(Relaxed) {
        return ctx.error(errors::BGSAVE_IN_PROGRESS);
    }
    match save_now(ctx.srv) {
        Ok(_) => ctx.out.ok(),
        Err(_) => ctx.error(errors::SAVE_FAILED),
    }
}

/// ```text
/// BGSAVE [SCHEDULE]
/// ```
fn bgsave(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let schedule = match a.len() {
        1 => false,
        2 if args::is(a[1], "schedule") => true,
        _ => return ctx.error(errors::SYNTAX),
    };
    let p = &ctx.srv.persist;
    if p.bgsave_running.load(Relaxed) {
        return ctx.error(errors::BGSAVE_IN_PROGRESS);
    }
    // A snapshot for another purpose (a SAVE, a replica's sync) runs.
    let busy = p.snapshot.try_lock().is_err();
    if busy || ctx.client.in_exec {
        if schedule || ctx.client.in_exec {
            p.bgsave_scheduled.store(true, Relaxed);
            return ctx.out.simple("Background saving scheduled");
        }
        return ctx.error(errors::BGSAVE_OTHER_CHILD);
    }
    match start_bgsave(ctx.srv) {
        Ok(()) => ctx.out.simple("Background saving started"),
        Err(e) => ctx.error(&e),
    }
}

/// ```text
/// LASTSAVE
/// ```
fn lastsave(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.int((ctx.srv.persist.last_save.load(Relaxed) / 1000) as i64);
}

/// Where saves go and loads come from: `dir`/`dbfilename`.
pub(crate) fn rdb_path(srv: &Server) -> PathBuf {
    let dir = srv.settings.get("dir").unwrap_or_default();
    let name = srv.settings.get("dbfilename").unwrap_or_else(|| "dump.rdb".into());
    PathBuf::from(dir).join(name)
}

/// Whether writes are refused because the last background save failed
/// (`stop-writes-on-bgsave-error`, with `save` points set).
pub(crate) fn refuses_writes(srv: &Server) -> bool {
    !srv.persist.last_bgsave_ok.load(Relaxed)
        && has_save_points(srv)
        && srv
            .settings
            .get("stop-writes-on-bgsave-error")
            .is_some_and(|v| v == "yes")
}

/// Whether the settings ask for snapshots at all (`save` points).
pub(crate) fn has_save_points(srv: &Server) -> bool {
    !save_points(&srv.settings.get("save").unwrap_or_default()).is_empty()
}

/// Writes a snapshot to `out` with the settings' options: the body of
/// every save, to a file or, for a replica, a socket.
pub(crate) fn write_snapshot(srv: &Server, out: impl Write) -> io::Result<SaveReport> {
    // A replica's snapshot names the place in its primary's stream it
    // holds (repl-id, repl-offset), taken with no command half applied,
    // so that after a restart it can go on from there.
    let (head, place) = {
        let replica = srv.repl.is_replica() && srv.repl.synced.load(Relaxed);
        let _applying = replica.then(|| crate::util::sync::lock(&srv.repl.applying));
        let place = replica.then(|| (srv.repl.ids().replid, srv.repl.offset.load(Relaxed)));
        (srv.store.begin_snapshot(srv.clock.now_ms(), &|_| {}), place)
    };
    write_with(srv, &head, place, out)
}

/// Writes a snapshot the caller began (`Store::begin_snapshot`).
pub(crate) fn write_begun(srv: &Server, head: &crate::store::SnapshotHead, out: impl Write) -> io::Result<SaveReport> {
    write_with(srv, head, None, out)
}

fn write_with(
    srv: &Server,
    head: &crate::store::SnapshotHead,
    place: Option<(String, u64)>,
    out: impl Write,
) -> io::Result<SaveReport> {
    let yes = |name| srv.settings.get(name).is_some_and(|v| v == "yes");
    let policy = srv.settings.maxmemory_policy();
    let hints = if policy.contains("lfu") {
        Hints::Freq
    } else if policy.contains("lru") {
        Hints::Idle
    } else {
        Hints::None
    };
    let now = srv.clock.now_ms();
    let mut aux = vec![
        ("redis-ver", super::server::REDIS_VERSION.to_string()),
        ("redis-bits", (usize::BITS).to_string()),
        ("ctime", (now / 1000).to_string()),
        ("used-mem", srv.store.memory().used.to_string()),
        ("aof-base", "0".to_string()),
    ];
    if let Some((id, offset)) = place {
        aux.push(("repl-id", id));
        aux.push(("repl-offset", offset.to_string()));
    }
    let functions: Vec<Vec<u8>> = srv.scripts.libraries().iter().map(|l| l.code.to_vec()).collect();
    let opts = SaveOptions {
        compress: yes("rdbcompression"),
        checksum: yes("rdbchecksum"),
        hints,
        aux: &aux,
        functions: &functions,
    };
    file::save_begun(&srv.store, head, &opts, out)
}

/// Saves to `dir`/`dbfilename` now, in this thread, through a temporary
/// file renamed into place. Waits for a snapshot under way to end first.
pub(crate) fn save_now(srv: &Server) -> io::Result<SaveReport> {
    let _one = srv.persist.snapshot.lock().unwrap_or_else(|p| p.into_inner());
    save_file(srv)
}

/// The part of a save done with the snapshot lock held.
fn save_file(srv: &Server) -> io::Result<SaveReport> {
    let start = srv.clock.now_ms();
    let changes = srv.store.changes();
    let path = rdb_path(srv);
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let tmp = dir.join(format!("temp-{}.rdb", std::process::id()));
    let r = (|| {
        let f = std::fs::File::create(&tmp).inspect_err(|e| {
            tracing::warn!(
                "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
                tmp.display(),
                dir.display()
            )
        })?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let rep = write_snapshot(srv, &mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(rep)
    })();
    let p = &srv.persist;
    match &r {
        Ok(rep) => {
            p.last_save.store(start, Relaxed);
            p.changes_at_save.store(changes, Relaxed);
            p.saves.fetch_add(1, Relaxed);
            tracing::info!("DB saved on disk: {} keys, {} bytes", rep.keys, rep.bytes);
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!("Error saving DB on disk: {e}");
        }
    }
    r
}

/// Starts a background save; the caller has checked none is running.
fn start_bgsave(srv: &Server) -> Result<(), String> {
    let Some(me) = srv.arc() else {
        return Err("ERR Background save needs the running server".into());
    };
    let p = &srv.persist;
    if p.bgsave_running.swap(true, Relaxed) {
        return Err(errors::BGSAVE_IN_PROGRESS.into());
    }
    let now = srv.clock.now_ms();
    p.bgsave_started.store(now, Relaxed);
    p.last_try.store(now, Relaxed);
    p.bgsave_scheduled.store(false, Relaxed);
    tracing::info!("Background saving started");
    let spawned = std::thread::Builder::new()
        .name("bgsave".into())
        .spawn(move || run_bgsave(&me));
    if let Err(e) = spawned {
        p.bgsave_running.store(false, Relaxed);
        return Err(format!("ERR cannot start the background save: {e}"));
    }
    Ok(())
}

fn run_bgsave(srv: &Arc<Server>) {
    // Below the workers: on a machine with few cores, clients are served
    // first and the save takes what is left.
    // SAFETY: changes this thread's nice value only; no pointers.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
    let r = save_now(srv);
    let p = &srv.persist;
    let took = srv.clock.now_ms().saturating_sub(p.bgsave_started.load(Relaxed));
    p.last_bgsave_secs.store((took / 1000) as i64, Relaxed);
    p.last_bgsave_ok.store(r.is_ok(), Relaxed);
    match r {
        Ok(_) => tracing::info!("Background saving terminated with success"),
        Err(_) => tracing::warn!("Background saving error"),
    }
    p.bgsave_running.store(false, Relaxed);
}

/// The cron's part: a BGSAVE scheduled earlier, or a `save` point
/// reached, starts a background save.
pub(crate) fn cron(srv: &Server, now: u64) {
    let p = &srv.persist;
    if p.bgsave_running.load(Relaxed) {
        return;
    }
    if p.bgsave_scheduled.load(Relaxed) {
        if p.snapshot.try_lock().is_ok() {
            let _ = start_bgsave(srv);
        }
        return;
    }
    let changes = srv.store.changes().saturating_sub(p.changes_at_save.load(Relaxed));
    if changes == 0 {
        return;
    }
    let since = now.saturating_sub(p.last_save.load(Relaxed)) / 1000;
    let retry_ok = p.last_bgsave_ok.load(Relaxed) || now.saturating_sub(p.last_try.load(Relaxed)) >= RETRY_DELAY_MS;
    let setting = srv.settings.get("save").unwrap_or_default();
    if let Some((secs, n)) = save_points(&setting)
        .into_iter()
        .find(|&(secs, n)| changes >= n && since >= secs)
    {
        if retry_ok {
            tracing::info!("{n} changes in {secs} seconds. Saving...");
            let _ = start_bgsave(srv);
        }
    }
}

/// The save SHUTDOWN and SIGTERM make: with SAVE always, with NOSAVE
/// never, otherwise when `save` points are set. An error when the save
/// failed.
pub(crate) fn save_before_shutdown(srv: &Server, save: Option<bool>) -> io::Result<()> {
    if save.unwrap_or_else(|| has_save_points(srv)) {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        save_now(srv)?;
    }
    Ok(())
}

/// Loads `dir`/`dbfilename` at start, when it exists. An error stops the
/// start, as Redis stops on a damaged file rather than run without it.
pub(crate) fn load_at_start(srv: &Server) -> Result<(), String> {
    let path = rdb_path(srv);
    let f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot open {}: {e}", path.display())),
    };
    let start = std::time::Instant::now();
    let rep = load_from(srv, io::BufReader::with_capacity(1 << 20, f), false)
        .map_err(|e| format!("Fatal error loading the DB {}: {e}. Exiting.", path.display()))?;
    tracing::info!("DB loaded from disk: {:.3} seconds", start.elapsed().as_secs_f64());
    report_load(&rep);
    Ok(())
}

/// Reads an RDB into the store and its functions into the libraries,
/// and notes what was found for INFO. A key or library already there is
/// an error unless `merge` lets the file's replace it.
pub(crate) fn load_from(srv: &Server, input: impl io::Read, merge: bool) -> Result<LoadReport, String> {
    let opts = LoadOptions {
        now: srv.clock.now_ms(),
        keep_expired: false,
        merge,
    };
    let rep = file::load(&srv.store, input, &opts).map_err(|e| e.to_string())?;
    for code in &rep.functions {
        crate::script::load_library(srv, code, merge)?;
    }
    // A replica's snapshot: the place in its primary's stream it holds.
    let aux = |name: &[u8]| {
        rep.aux
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let (Some(id), Some(Ok(offset))) = (aux(b"repl-id"), aux(b"repl-offset").map(|o| o.parse::<u64>())) {
        if id.len() == 40 {
            srv.repl.adopt(&id, offset);
        }
    }
    let p = &srv.persist;
    p.last_load_keys.store(rep.keys, Relaxed);
    p.last_load_expired.store(rep.expired, Relaxed);
    p.last_load_skipped
        .store(rep.skipped.iter().map(|s| s.1).sum(), Relaxed);
    p.changes_at_save.store(srv.store.changes(), Relaxed);
    Ok(rep)
}

fn report_load(rep: &LoadReport) {
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        rep.keys,
        rep.expired
    );
    for (what, n) in &rep.skipped {
        tracing::warn!("{n} keys of type {what} were skipped: ferrocache has no such type");
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves (unless NOSAVE),
/// empties the data (unless NOFLUSH) and loads the file again, its keys
/// and libraries replacing those still there with MERGE (without it, one
/// still there fails the load).
pub(crate) fn debug_reload(ctx: &mut Ctx<'_>, opts: &[&[u8]]) {
    let has = |w: &str| opts.iter().any(|o| args::is(o, w));
    if !has("nosave") && save_now(ctx.srv).is_err() {
        return ctx.error(errors::RELOAD_SAVE_FAILED);
    }
    if !has("noflush") {
        ctx.srv.store.flush_all(false);
        ctx.srv.scripts.flush_libraries();
    }
    let path = rdb_path(ctx.srv);
    let loaded = std::fs::File::open(&path)
        .map_err(|e| e.to_string())
        .and_then(|f| load_from(ctx.srv, io::BufReader::with_capacity(1 << 20, f), has("merge")));
    match loaded {
        Ok(rep) => {
            report_load(&rep);
            tracing::warn!("DB reloaded by DEBUG RELOAD");
            ctx.out.ok()
        }
        Err(e) => {
            tracing::warn!("DEBUG RELOAD: {e}");
            ctx.error(errors::RELOAD_LOAD_FAILED)
        }
    }
}
