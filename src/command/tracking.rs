//! Client-side caching: CLIENT TRACKING, CACHING, GETREDIR and
//! TRACKINGINFO, remembering the keys a tracking client reads, and
//! sending the invalidations `state::Tracking` decides on.
//!
//! A RESP3 client gets its invalidations as pushes; with REDIRECT they go
//! to another client, as pushes when it speaks RESP3 or, in RESP2, as
//! messages on `__redis__:invalidate` when it is subscribed to something:
//!
//! ```text
//! >2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nuser\r\n
//! *3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$4\r\nuser\r\n
//! ```
//!
//! A key is remembered before the command that reads it runs: a write
//! that lands between the read and the remembering would otherwise go
//! untold, where Redis runs one command at a time.

use super::args::is;
use super::{errors, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::state::pubsub::send;
use crate::state::tracking::{mode, Invalidation};
use crate::state::{ClientHandle, Server};
use bytes::Bytes;
use std::cell::Cell;
use std::sync::atomic::Ordering;

thread_local! {
    /// The client whose command runs on this thread (0: none), the one
    /// that NOLOOP spares its own invalidations.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// A script running on this thread called a read-only command.
    static SCRIPT_READ: Cell<bool> = const { Cell::new(false) };
}

/// A script's command is about to run: a read-only one makes the script's
/// caller remember the keys the script declared, as Redis does.
#[inline]
pub(crate) fn in_script(real: &CommandSpec) {
    if real.has(super::flags::READONLY) {
        SCRIPT_READ.with(|r| r.set(true));
    }
}

/// After a tracking client's command: if it ran a script that read, the
/// keys it declared are remembered (not for BCAST, and by the same OPTIN
/// and OPTOUT rules as any read).
pub(crate) fn after_script(ctx: &mut Ctx<'_>, real: &CommandSpec, args: &[&[u8]]) {
    if !SCRIPT_READ.with(|r| r.replace(false)) {
        return;
    }
    if ctx.client.tracking.is_some_and(|f| f & mode::BCAST == 0) {
        remember_keys(ctx, real, args);
    }
}

/// Remembers the keys of `args` for the client, unless OPTIN without
/// CLIENT CACHING YES, or OPTOUT after CLIENT CACHING NO.
fn remember_keys(ctx: &mut Ctx<'_>, real: &CommandSpec, args: &[&[u8]]) {
    let flags = ctx.client.tracking.unwrap_or(0);
    let caching = ctx.client.caching;
    if (flags & mode::OPTIN != 0 && !caching) || (flags & mode::OPTOUT != 0 && caching) {
        return;
    }
    let keys = real.keys(args);
    if keys.is_empty() {
        return;
    }
    let max = ctx.srv.settings.int("tracking-table-max-keys").unwrap_or(0).max(0) as usize;
    let mut out = Vec::new();
    ctx.srv
        .tracking
        .remember(ctx.client.id, keys.iter().map(|k| args[k.pos]), max, &mut out);
    deliver(ctx.srv, out);
}

/// Runs `f` as client `id`'s command, for NOLOOP.
pub(crate) fn as_client<R>(id: u64, f: impl FnOnce() -> R) -> R {
    let before = CURRENT.with(|c| c.replace(id));
    let r = f();
    CURRENT.with(|c| c.set(before));
    r
}

/// The client whose command runs on this thread.
pub(crate) fn current() -> u64 {
    CURRENT.with(Cell::get)
}

/// The channel RESP2 clients receive redirected invalidations on.
const CHANNEL: &[u8] = b"__redis__:invalidate";

/// Before a read-only command of a tracking client runs: remembers its
/// keys, unless OPTIN without CLIENT CACHING YES, or OPTOUT after CLIENT
/// CACHING NO. Broadcasting clients remember nothing; EVAL_RO, EVALSHA_RO
/// and FCALL_RO neither (their scripts' reads are theirs), nor pub/sub
/// commands (shard channels are no keys).
pub(crate) fn before(ctx: &mut Ctx<'_>, real: &CommandSpec, args: &[&[u8]]) {
    let Some(flags) = ctx.client.tracking else { return };
    SCRIPT_READ.with(|r| r.set(false));
    if flags & mode::BCAST != 0
        || !real.has(super::flags::READONLY)
        || real.has(super::flags::PUBSUB)
        || matches!(real.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
    {
        return;
    }
    remember_keys(ctx, real, args);
}

/// After a command: CLIENT CACHING's choice holds for the next command
/// only (or the next transaction), as in Redis.
pub(crate) fn after(ctx: &mut Ctx<'_>, spec: &CommandSpec) {
    if ctx.client.caching && ctx.client.multi.is_none() && !ctx.client.in_exec && spec.name != "client" {
        ctx.client.caching = false;
    }
}

/// A key changed: tells the clients tracking it.
pub(crate) fn changed(srv: &Server, key: &[u8]) {
    let mut out = Vec::new();
    srv.tracking.invalidate(key, current(), &mut out);
    deliver(srv, out);
}

/// Sends what broadcasting clients are owed, gathered per prefix since
/// the last call: after each batch of requests (so a transaction's keys
/// go in one message per prefix, as Redis sends them once per event-loop
/// pass), and after the cron's steps.
pub(crate) fn broadcast(srv: &Server) {
    if !srv.tracking.active() {
        return;
    }
    let mut out = Vec::new();
    srv.tracking.take_broadcasts(&mut out);
    deliver(srv, out);
}

/// Keeps the table within `tracking-table-max-keys`: the cron calls it,
/// and CONFIG SET of the limit.
pub(crate) fn shrink(srv: &Server) {
    if !srv.tracking.active() {
        return;
    }
    let max = srv.settings.int("tracking-table-max-keys").unwrap_or(0).max(0) as usize;
    let mut out = Vec::new();
    srv.tracking.shrink(max, &mut out);
    deliver(srv, out);
}

/// FLUSHDB, FLUSHALL, memcached `flush_all`: every tracking client is told
/// that everything changed.
/// The table is emptied even with no client tracking now: keys read
/// before tracking was turned off must not be told later.
pub(crate) fn flushed(srv: &Server) {
    let mut out = Vec::new();
    srv.tracking.flushed(&mut out);
    deliver(srv, out);
}

/// Encodes and queues each invalidation for its client or its redirect.
pub(crate) fn deliver(srv: &Server, invalidations: Vec<Invalidation>) {
    for inv in invalidations {
        let mut target = inv.to.clone();
        let redirected = inv.redirect != 0;
        if redirected {
            match srv.clients.get(inv.redirect) {
                Some(h) => target = h,
                None => {
                    // The redirect is gone: a RESP3 client is told once per
                    // invalidation, as Redis tells it.
                    srv.tracking.redirect_broken(inv.to.id);
                    if resp3(&inv.to) {
                        let mut buf = Vec::new();
                        let mut r = Reply::new(&mut buf, true);
                        r.push(2);
                        r.bulk(b"tracking-redir-broken");
                        r.int(inv.redirect as i64);
                        send(&inv.to, Bytes::from(buf), 0);
                    }
                    continue;
                }
            }
        }
        let keys = &inv.keys;
        let mut buf = Vec::new();
        let resp3 = resp3(&target);
        let mut r = Reply::new(&mut buf, resp3);
        if resp3 {
            r.push(2);
            r.bulk(b"invalidate");
        } else if redirected && target.subscribed() {
            r.array(3);
            r.bulk(b"message");
            r.bulk(CHANNEL);
        } else {
            // A RESP2 connection has no room for pushes of its own.
            continue;
        }
        match keys {
            Some(keys) => {
                r.array(keys.len());
                for k in keys {
                    r.bulk(k);
                }
            }
            None => r.null(),
        }
        send(&target, Bytes::from(buf), 0);
    }
}

fn resp3(h: &ClientHandle) -> bool {
    h.resp.load(Ordering::Relaxed) == 3
}

/// ```text
/// CLIENT TRACKING ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
/// ```
pub(crate) fn tracking(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut redirect = 0u64;
    let mut flags = 0u8;
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < a.len() {
        let more = j + 1 < a.len();
        if is(a[j], "redirect") && more {
            j += 1;
            if redirect != 0 {
                return ctx.error(errors::TRACKING_ONE_REDIRECT);
            }
            let id = match super::args::int(a[j]) {
                Ok(v) => v,
                Err(e) => return ctx.error(e),
            };
            if id <= 0 || ctx.srv.clients.get(id as u64).is_none() {
                return ctx.error(errors::TRACKING_NO_REDIRECT);
            }
            redirect = id as u64;
        } else if is(a[j], "bcast") {
            flags |= mode::BCAST;
        } else if is(a[j], "optin") {
            flags |= mode::OPTIN;
        } else if is(a[j], "optout") {
            flags |= mode::OPTOUT;
        } else if is(a[j], "noloop") {
            flags |= mode::NOLOOP;
        } else if is(a[j], "prefix") && more {
            j += 1;
            prefixes.push(Bytes::copy_from_slice(a[j]));
        } else {
            return ctx.error(errors::SYNTAX);
        }
        j += 1;
    }
    let srv = ctx.srv;
    if is(a[2], "on") {
        let current = ctx.client.tracking;
        if flags & mode::BCAST == 0 && !prefixes.is_empty() {
            return ctx.error(errors::TRACKING_PREFIX_NEEDS_BCAST);
        }
        if current.is_some_and(|f| (f & mode::BCAST) != (flags & mode::BCAST)) {
            return ctx.error(errors::TRACKING_BCAST_SWITCH);
        }
        if flags & mode::BCAST != 0 && flags & (mode::OPTIN | mode::OPTOUT) != 0 {
            return ctx.error(errors::TRACKING_OPTIN_BCAST);
        }
        if flags & mode::OPTIN != 0 && flags & mode::OPTOUT != 0 {
            return ctx.error(errors::TRACKING_OPTIN_AND_OPTOUT);
        }
        let was = current.unwrap_or(0);
        if (flags & mode::OPTIN != 0 && was & mode::OPTOUT != 0)
            || (flags & mode::OPTOUT != 0 && was & mode::OPTIN != 0)
        {
            return ctx.error(errors::TRACKING_OPTIN_SWITCH);
        }
        if flags & mode::BCAST != 0 {
            if let Err(e) = srv.tracking.check_prefixes(ctx.client.id, &prefixes) {
                return ctx.error(&e);
            }
        }
        let handle = ctx.client.handle.clone();
        let first = !srv.tracking.active();
        srv.tracking.enable(&handle, flags, redirect, &prefixes);
        handle.mail.listen();
        if let Some(target) = srv.clients.get(redirect) {
            target.mail.listen();
        }
        ctx.client.tracking = Some(flags);
        if first {
            srv.push_key_events();
        }
    } else if is(a[2], "off") {
        disable(srv, ctx.client);
    } else {
        return ctx.error(errors::SYNTAX);
    }
    ctx.out.ok();
}

/// Turns the client's tracking off (CLIENT TRACKING OFF, RESET, closing).
pub(crate) fn disable(srv: &Server, client: &mut crate::state::Client) {
    if client.tracking.take().is_some() {
        client.caching = false;
        srv.tracking.disable(client.id);
        if !srv.tracking.active() {
            srv.push_key_events();
        }
    }
}

/// ```text
/// CLIENT CACHING YES|NO
/// ```
pub(crate) fn caching(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(flags) = ctx.client.tracking else {
        return ctx.error(errors::CACHING_NOT_TRACKING);
    };
    if is(a[2], "yes") {
        if flags & mode::OPTIN == 0 {
            return ctx.error(errors::CACHING_YES_NOT_OPTIN);
        }
    } else if is(a[2], "no") {
        if flags & mode::OPTOUT == 0 {
            return ctx.error(errors::CACHING_NO_NOT_OPTOUT);
        }
    } else {
        return ctx.error(errors::SYNTAX);
    }
    ctx.client.caching = true;
    ctx.out.ok();
}

/// ```text
/// CLIENT GETREDIR
/// ```
/// The redirect's id, 0 for none, -1 when tracking is off.
pub(crate) fn getredir(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let v = match ctx.srv.tracking.info(ctx.client.id) {
        Some(i) => i.redirect as i64,
        None => -1,
    };
    ctx.out.int(v);
}

/// ```text
/// CLIENT TRACKINGINFO
/// ```
/// `flags` (on/off, bcast, optin, optout, caching-yes, caching-no, noloop,
/// broken_redirect), `redirect` and `prefixes`.
pub(crate) fn trackinginfo(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let info = ctx.srv.tracking.info(ctx.client.id);
    let caching = ctx.client.caching;
    let out = &mut ctx.out;
    out.map(3);
    out.bulk(b"flags");
    let mut flags: Vec<&str> = Vec::new();
    match &info {
        None => flags.push("off"),
        Some(i) => {
            flags.push("on");
            if i.flags & mode::BCAST != 0 {
                flags.push("bcast");
            }
            if i.flags & mode::OPTIN != 0 {
                flags.push("optin");
                if caching {
                    flags.push("caching-yes");
                }
            }
            if i.flags & mode::OPTOUT != 0 {
                flags.push("optout");
                if caching {
                    flags.push("caching-no");
                }
            }
            if i.flags & mode::NOLOOP != 0 {
                flags.push("noloop");
            }
            if i.broken {
                flags.push("broken_redirect");
            }
        }
    }
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(info.as_ref().map_or(-1, |i| i.redirect as i64));
    out.bulk(b"prefixes");
    let prefixes = info.map(|i| i.prefixes).unwrap_or_default();
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
}

/// What CLIENT LIST shows of a client's tracking: its flags (`t`, `B`,
/// `R`) and `redir`.
pub(crate) fn list_fields(srv: &Server, h: &ClientHandle) -> (String, i64) {
    match srv.tracking.info(h.id) {
        None => (String::new(), -1),
        Some(i) => {
            let mut f = String::from("t");
            if i.broken {
                f.push('R');
            }
            if i.flags & mode::BCAST != 0 {
                f.push('B');
            }
            (f, i.redirect as i64)
        }
    }
}
