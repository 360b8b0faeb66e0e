//! Replication commands: REPLICAOF (SLAVEOF), ROLE, and INFO's
//! replication section; the checks a replica makes before a command
//! runs (READONLY, MASTERDOWN).
//!
//! The link itself is `server::replica`; REPLICAOF only names the
//! primary it follows.

use super::flags::*;
use super::{args, errors, spec, CommandSpec, Ctx};
use crate::state::replication::{LinkState, Primary};
use crate::state::Server;
use std::sync::atomic::Ordering::Relaxed;

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("sync", 1, ADMIN | NOSCRIPT | NO_MULTI, "server", sync).doc(
        "1.0.0",
        "An internal command used in replication.",
        "",
        "",
    ),
    spec("psync", -3, ADMIN | NOSCRIPT | NO_MULTI, "server", sync).doc(
        "2.8.0",
        "An internal command used in replication.",
        "",
        "replicationid offset",
    ),
    spec("wait", 3, NOSCRIPT, "generic", wait)
        .acl(super::categories::CONNECTION)
        .doc(
            "3.0.0",
            "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
            "O(1)",
            "numreplicas timeout",
        ),
    spec(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        "server",
        replconf,
    )
    .doc(
        "3.0.0",
        "An internal command for configuring the replication stream.",
        "O(1)",
        "",
    ),
    spec("replicaof", 3, ADMIN | NOSCRIPT | STALE, "server", replicaof).doc(
        "5.0.0",
        "Configures a server as replica of another, or promotes it to a master.",
        "O(1)",
        "host port",
    ),
    spec("slaveof", 3, ADMIN | NOSCRIPT | STALE, "server", replicaof).doc(
        "1.0.0",
        "Sets a Redis server as a replica of another, or promotes it to being a master.",
        "O(1)",
        "host port",
    ),
];

/// ```text
/// REPLICAOF host port | NO ONE
/// ```
fn replicaof(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if args::is(a[1], "no") && args::is(a[2], "one") {
        if ctx.srv.repl.is_replica() {
            promote(ctx.srv);
            tracing::info!("MASTER MODE enabled (user request from client {})", ctx.client.id);
        }
        return ctx.out.ok();
    }
    let port = match args::int(a[2]) {
        Ok(p) if (0..=65535).contains(&p) => p as u16,
        _ => return ctx.error(errors::INVALID_MASTER_PORT),
    };
    let p = Primary {
        host: String::from_utf8_lossy(a[1]).into_owned(),
        port,
    };
    if ctx.srv.repl.primary().as_ref() == Some(&p) {
        tracing::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        return ctx.out.simple("OK Already connected to specified master");
    }
    follow(ctx.srv, p);
    ctx.out.ok();
}

/// ```text
/// SYNC
/// PSYNC replicationid offset
/// ```
/// The connection becomes a replica's link (`server::primary`) once
/// this batch's replies are out.
fn sync(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if ctx.srv.repl.is_replica() && !ctx.srv.repl.up.load(Relaxed) {
        return ctx.error(errors::NOMASTERLINK);
    }
    let asked = match a.len() {
        3 => {
            let id = String::from_utf8_lossy(a[1]).into_owned();
            let off = args::int(a[2]).unwrap_or(-1);
            Some((id, off))
        }
        _ => None,
    };
    ctx.client.replica.sync = Some(asked);
}

/// ```text
/// WAIT numreplicas timeout
/// ```
/// Replies how many replicas acknowledged this client's writes, once
/// `numreplicas` have or after `timeout` ms (0: no limit). Inside MULTI
/// or a script it does not wait.
fn wait(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if ctx.srv.repl.is_replica() {
        return ctx.error(errors::WAIT_REPLICA);
    }
    let needed = match args::int(a[1]) {
        Ok(n) => n,
        Err(e) => return ctx.error(e),
    };
    let timeout = match args::int(a[2]) {
        Ok(t) if t < 0 => return ctx.error(errors::TIMEOUT_NEGATIVE),
        Ok(t) => t as u64,
        Err(_) => return ctx.error(errors::WAIT_TIMEOUT_NOT_INT),
    };
    let srv = ctx.srv;
    let seq = ctx.client.last_seq;
    let target = match seq {
        Some(_) => super::propagate::written_through(srv, seq),
        None => Some(0),
    };
    let count = target.map_or(0, |t| srv.repl.acked_by(t));
    if count as i64 >= needed || ctx.client.in_exec || ctx.client.in_script || !srv.feed.is_on() {
        return ctx.out.int(count as i64);
    }
    srv.feed
        .write_raw(&[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]);
    ctx.client.ack_wait = Some(crate::state::replication::AckWait {
        target,
        seq,
        needed: needed as usize,
        deadline: if timeout == 0 {
            0
        } else {
            ctx.now.saturating_add(timeout)
        },
        held: None,
    });
}

/// The reply a client waiting for acknowledgements gets now, if its wait
/// is over: the held write reply, or WAIT's count; past the deadline,
/// WAIT's count, or for a held write an error saying it may not be
/// replicated.
pub(crate) fn ack_wait_reply(
    srv: &Server,
    w: &mut crate::state::replication::AckWait,
    now: u64,
    resp3: bool,
    out: &mut Vec<u8>,
) -> bool {
    if w.target.is_none() {
        w.target = w.seq.and_then(|s| srv.feed.settled(s));
    }
    // Not yet written to the stream: nobody has it.
    let count = w.target.map_or(0, |t| srv.repl.acked_by(t));
    let done = count >= w.needed;
    let late = w.deadline != 0 && now >= w.deadline;
    if !done && !late {
        return false;
    }
    match &w.held {
        None => crate::protocol::resp::Reply::new(out, resp3).int(count as i64),
        Some(reply) if done => out.extend_from_slice(reply),
        Some(_) => {
            let msg = errors::not_replicated(count, w.needed);
            srv.stats.error_reply(msg.as_bytes());
            crate::protocol::resp::Reply::new(out, resp3).error(&msg)
        }
    }
    true
}

/// Writes refused for want of replicas: fewer than `min-replicas-to-write`
/// acknowledged within `min-replicas-max-lag` seconds.
pub(crate) fn too_few_replicas(srv: &Server, now: u64) -> bool {
    let min = srv.settings.min_replicas() as i64;
    if min <= 0 || srv.repl.is_replica() {
        return false;
    }
    let lag = srv.settings.int("min-replicas-max-lag").unwrap_or(10).max(0) as u64;
    (srv.repl.good(now, lag * 1000 + 999) as i64) < min
}

/// ```text
/// REPLCONF option value [option value ...]
/// ```
fn replconf(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len().is_multiple_of(2) {
        return ctx.error(errors::SYNTAX);
    }
    for pair in a[1..].chunks(2) {
        let (opt, v) = (pair[0], pair[1]);
        if args::is(opt, "listening-port") {
            match args::int(v) {
                Ok(p) => ctx.client.replica.port = p.clamp(0, 65535) as u16,
                Err(e) => return ctx.error(e),
            }
        } else if args::is(opt, "ip-address") {
            ctx.client.replica.ip = Some(String::from_utf8_lossy(v).into_owned());
        } else if args::is(opt, "capa") {
            if args::is(v, "eof") {
                ctx.client.replica.eof = true;
            }
        } else if args::is(opt, "ack") || args::is(opt, "getack") {
            // From a replica's link (handled there) or a stranger: no reply.
            return;
        } else if !["rdb-only", "rdb-filter-only"].iter().any(|o| args::is(opt, o)) {
            return ctx.error(&format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    ctx.out.ok();
}

/// The offset of this server's replication stream: as a primary, the
/// feed's end; as a replica, what it applied of its primary's.
pub(crate) fn offset(srv: &Server) -> u64 {
    if !srv.repl.is_replica() && srv.feed.is_on() {
        srv.feed.end()
    } else {
        srv.repl.offset.load(Relaxed)
    }
}

/// Becomes a replica of `p`.
pub(crate) fn follow(srv: &Server, p: Primary) {
    tracing::info!("REPLICAOF {}:{} enabled", p.host, p.port);
    srv.feed.start_relaying();
    srv.store.set_replica(true);
    srv.repl.set_link(LinkState::Connect, srv.clock.now_ms());
    srv.repl.set_primary(Some(p));
}

/// Stops following a primary and takes writes: a history of its own
/// starts, and expiry is this server's again.
pub(crate) fn promote(srv: &Server) {
    {
        // The stream goes on from what was applied, after the relayed
        // bytes, so that replicas of this one and of its old primary can
        // continue from it; from now on every write goes in it.
        let _applying = crate::util::sync::lock(&srv.repl.applying);
        let applied = srv.repl.offset.load(Relaxed);
        if srv.feed.end() != applied {
            srv.feed.rebase(applied);
        }
        use crate::store::Id;
        let ids = [srv.store.ids().last(Id::Version), srv.store.ids().last(Id::Handle)];
        srv.feed.stop_relaying(ids);
    }
    srv.start_feed();
    srv.repl.set_primary(None);
    srv.repl.shift_id();
    srv.repl.set_link(LinkState::Connect, srv.clock.now_ms());
    srv.store.set_replica(false);
    srv.store.restart_sliding(srv.clock.now_ms());
}

/// The `replicaof` setting given at start (flag or config file).
pub(crate) fn follow_configured(srv: &Server) {
    let v = srv.settings.get("replicaof").unwrap_or_default();
    let mut w = v.split_whitespace();
    if let (Some(host), Some(Ok(port))) = (w.next(), w.next().map(str::parse::<u16>)) {
        follow(
            srv,
            Primary {
                host: host.to_string(),
                port,
            },
        );
    }
}

/// ROLE: `master`, offset, replicas; or `slave`, host, port, link state,
/// offset.
pub(crate) fn role(ctx: &mut Ctx<'_>) {
    let srv = ctx.srv;
    match srv.repl.primary() {
        None => {
            ctx.out.array(3);
            ctx.out.bulk(b"master");
            ctx.out.int(offset(srv) as i64);
            let followers = srv.repl.followers();
            let online: Vec<_> = followers
                .iter()
                .filter(|f| *crate::util::sync::lock(&f.state) == "online")
                .collect();
            ctx.out.array(online.len());
            for f in online {
                ctx.out.array(3);
                ctx.out.bulk(f.ip.as_bytes());
                ctx.out.bulk(f.port.to_string().as_bytes());
                ctx.out.bulk(f.ack.load(Relaxed).to_string().as_bytes());
            }
        }
        Some(p) => {
            ctx.out.array(5);
            ctx.out.bulk(b"slave");
            ctx.out.bulk(p.host.as_bytes());
            ctx.out.int(p.port as i64);
            ctx.out.bulk(srv.repl.link().name().as_bytes());
            let off = match srv.repl.up.load(Relaxed) {
                true => srv.repl.offset.load(Relaxed) as i64,
                false => -1,
            };
            ctx.out.int(off);
        }
    }
}

/// What a replica refuses before a command runs: a write from a client
/// other than its primary (`replica-read-only`), and with the link down
/// and `replica-serve-stale-data no`, any command without the `stale`
/// flag. None when the command may run.
pub(crate) fn refusal(srv: &Server, writes: bool, stale_ok: bool) -> Option<&'static str> {
    if !srv.store.is_replica() {
        return None;
    }
    let yes = |name| srv.settings.get(name).is_some_and(|v| v == "yes");
    if writes && yes("replica-read-only") {
        return Some(errors::READONLY_REPLICA);
    }
    if !stale_ok && !srv.repl.up.load(Relaxed) && !yes("replica-serve-stale-data") {
        return Some(errors::MASTERDOWN);
    }
    None
}

/// INFO's replication section.
pub(crate) fn info(srv: &Server, s: &mut super::info::Section<'_>) {
    s.title("Replication");
    let ids = srv.repl.ids();
    let offset = offset(srv);
    let now = srv.clock.now_ms();
    match srv.repl.primary() {
        None => s.field("role", "master"),
        Some(p) => {
            s.field("role", "slave");
            s.field("master_host", &p.host);
            s.field("master_port", p.port);
            let up = srv.repl.up.load(Relaxed);
            s.field("master_link_status", if up { "up" } else { "down" });
            let last = srv.repl.last_io.load(Relaxed);
            let ago = if last == 0 {
                -1
            } else {
                (now.saturating_sub(last) / 1000) as i64
            };
            s.field("master_last_io_seconds_ago", ago);
            let syncing = srv.repl.link() == LinkState::Sync;
            s.field("master_sync_in_progress", syncing as u8);
            s.field("slave_read_repl_offset", offset);
            s.field("slave_repl_offset", offset);
            if syncing {
                s.field("master_sync_read_bytes", srv.repl.sync_read.load(Relaxed));
            }
            if !up {
                let since = srv.repl.down_since.load(Relaxed);
                let secs = if since == 0 {
                    -1
                } else {
                    (now.saturating_sub(since) / 1000) as i64
                };
                s.field("master_link_down_since_seconds", secs);
            }
            s.field("slave_priority", srv.settings.int("replica-priority").unwrap_or(100));
            let ro = srv.settings.get("replica-read-only").is_some_and(|v| v == "yes");
            s.field("slave_read_only", ro as u8);
            let announced = srv.settings.get("replica-announced").is_some_and(|v| v == "yes");
            s.field("replica_announced", announced as u8);
        }
    }
    let followers = srv.repl.followers();
    s.field("connected_slaves", followers.len());
    for (i, f) in followers.iter().enumerate() {
        let state = *crate::util::sync::lock(&f.state);
        let ack_time = f.ack_time.load(Relaxed);
        let lag = if ack_time == 0 {
            0
        } else {
            now.saturating_sub(ack_time) / 1000
        };
        let line = format!(
            "ip={},port={},state={state},offset={},lag={lag}",
            f.ip,
            f.port,
            f.ack.load(Relaxed)
        );
        s.field(&format!("slave{i}"), line);
    }
    s.field("master_failover_state", "no-failover");
    s.field("master_replid", &ids.replid);
    s.field("master_replid2", &ids.replid2);
    s.field("master_repl_offset", offset);
    s.field("second_repl_offset", ids.second_offset);
    let (start, len) = srv.feed.extent();
    s.field("repl_backlog_active", srv.feed.has_backlog() as u8);
    s.field(
        "repl_backlog_size",
        srv.settings.get("repl-backlog-size").unwrap_or_default(),
    );
    s.field(
        "repl_backlog_first_byte_offset",
        if srv.feed.has_backlog() { start } else { 0 },
    );
    s.field("repl_backlog_histlen", len);
}
