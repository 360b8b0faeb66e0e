//! CLIENT: the connection's own settings, and the list of connections.

use super::args::{self, is};
use super::flags::*;
use super::{dispatch_sub, errors, spec, CommandSpec, Ctx};
use crate::state::{ClientHandle, PauseKind, ReplyMode, Server, Unblock, User};
use crate::util::sync::lock;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const CONN: u32 = NOSCRIPT | LOADING | STALE;

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("client|id", 2, CONN, "connection", id).doc("5.0.0", "Gives the id of this connection.", "O(1)", ""),
    spec("client|setname", 3, CONN, "connection", setname).doc(
        "2.6.9",
        "Names this connection.",
        "O(1)",
        "connection-name",
    ),
    spec("client|getname", 2, CONN, "connection", getname).doc(
        "2.6.9",
        "Gives the name of this connection.",
        "O(1)",
        "",
    ),
    spec("client|list", -2, ADMIN | CONN, "connection", list).doc(
        "2.4.0",
        "Describes every open connection, one line each.",
        "O(N) where N is the number of client connections",
        "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
    ),
    spec("client|info", 2, CONN, "connection", info).doc(
        "6.2.0",
        "Describes this connection in the CLIENT LIST line format.",
        "O(1)",
        "",
    ),
    spec("client|kill", -3, ADMIN | CONN, "connection", kill).doc(
        "2.4.0",
        "Closes the connections that match an address or a set of filters.",
        "O(N) where N is the number of client connections",
        "<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>] | [MAXAGE maxage]> [[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>] | [MAXAGE maxage] ...]>",
    ),
    spec("client|setinfo", 4, CONN, "connection", setinfo).doc(
        "7.2.0",
        "Records the client library's name or version for CLIENT LIST.",
        "O(1)",
        "<LIB-NAME libname | LIB-VER libver>",
    ),
    spec("client|no-evict", 3, ADMIN | CONN, "connection", no_evict).doc(
        "7.0.0",
        "Exempts this connection from client eviction, or stops doing so.",
        "O(1)",
        "<ON | OFF>",
    ),
    spec("client|no-touch", 3, CONN, "connection", no_touch).doc(
        "7.2.0",
        "Lets this connection read keys without updating their access time.",
        "O(1)",
        "<ON | OFF>",
    ),
    spec("client|reply", 3, CONN, "connection", reply).doc(
        "3.2.0",
        "Turns the server's replies to this connection on, off, or off for one command.",
        "O(1)",
        "<ON | OFF | SKIP>",
    ),
    spec("client|pause", -3, ADMIN | NOSCRIPT | LOADING | STALE, "connection", pause).doc(
        "3.0.0",
        "Suspends commands processing.",
        "O(1)",
        "timeout [WRITE | ALL]",
    ),
    spec("client|unpause", 2, ADMIN | NOSCRIPT | LOADING | STALE, "connection", unpause).doc(
        "6.2.0",
        "Resumes processing commands from paused clients.",
        "O(N) Where N is the number of paused clients",
        "",
    ),
    spec("client|unblock", -3, ADMIN | NOSCRIPT | LOADING | STALE, "connection", unblock).doc(
        "5.0.0",
        "Unblocks a client blocked by a blocking command from a different connection.",
        "O(log N) where N is the number of client connections",
        "client-id [TIMEOUT | ERROR]",
    ),
    spec("client|tracking", -3, CONN, "connection", super::tracking::tracking).doc(
        "6.0.0",
        "Controls server-assisted client-side caching for the connection.",
        "O(1). Some options may introduce additional complexity.",
        "<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]",
    ),
    spec("client|caching", 3, CONN, "connection", super::tracking::caching).doc(
        "6.0.0",
        "Instructs the server whether to track the keys in the next request.",
        "O(1)",
        "<YES | NO>",
    ),
    spec("client|getredir", 2, CONN, "connection", super::tracking::getredir).doc(
        "6.0.0",
        "Returns the client ID to which the connection's tracking notifications are redirected.",
        "O(1)",
        "",
    ),
    spec("client|trackinginfo", 2, CONN, "connection", super::tracking::trackinginfo).doc(
        "6.2.0",
        "Returns information about server-assisted client-side caching for the connection.",
        "O(1)",
        "",
    ),
    spec("client|help", 2, LOADING | STALE, "connection", help).doc(
        "5.0.0",
        "Lists the CLIENT subcommands.",
        "O(1)",
        "",
    ),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("client", -2, 0, "connection", client)
    .acl(0)
    .doc(
        "2.4.0",
        "Container of the connection commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(SUBCOMMANDS)];

fn client(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[0]);
}

/// True when `name` may name a connection: printable ASCII without spaces,
/// so that CLIENT LIST lines always split on spaces.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// ```text
/// CLIENT ID
/// ```
fn id(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.int(ctx.client.id as i64);
}

/// ```text
/// CLIENT SETNAME connection-name
/// ```
/// An empty name removes the name.
fn setname(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if !valid_name(a[2]) {
        return ctx.error(errors::CLIENT_NAME);
    }
    *lock(&ctx.client.handle.name) = (!a[2].is_empty()).then(|| a[2].to_vec());
    ctx.out.ok();
}

/// ```text
/// CLIENT GETNAME
/// ```
fn getname(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    match lock(&ctx.client.handle.name).clone() {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
}

/// The kinds of connection TYPE filters name. A connection is a pubsub
/// one while it has subscriptions, else a normal one: there is no
/// replication here yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Master,
    Replica,
    Pubsub,
}

impl ClientType {
    fn of(h: &ClientHandle) -> ClientType {
        match h.subscribed() {
            true => ClientType::Pubsub,
            false => ClientType::Normal,
        }
    }
}

fn client_type(t: &[u8]) -> Option<ClientType> {
    match t.to_ascii_lowercase().as_slice() {
        b"normal" => Some(ClientType::Normal),
        b"master" => Some(ClientType::Master),
        b"replica" | b"slave" => Some(ClientType::Replica),
        b"pubsub" => Some(ClientType::Pubsub),
        _ => None,
    }
}

/// Redis's fixed reply buffer, and the size of its reply list's blocks:
/// the unit `obl` and `oll` are reported in.
const REPLY_CHUNK: usize = 16 * 1024;

/// A connection's buffers as CLIENT LIST reports them.
struct Buffers {
    qbuf: usize,
    qbuf_free: usize,
    argv_mem: usize,
    obl: usize,
    oll: usize,
    omem: usize,
    rbs: usize,
    tot_mem: usize,
}

/// What the connection last published of its buffers; `argv_mem`, when
/// given, is the running command's (the caller's own line). The unsent
/// replies are one buffer here: `obl` counts their first 16 KB, `oll`
/// the 16 KB blocks after that, as Redis's fixed buffer and reply list
/// would hold them, and `omem` all of them, the bytes
/// `client-output-buffer-limit` is compared with.
fn buffers(h: &ClientHandle, argv_mem: Option<usize>) -> Buffers {
    let b = &h.buffers;
    let qbuf = b.qbuf.load(Ordering::Relaxed);
    let qbuf_free = b.qbuf_free.load(Ordering::Relaxed);
    let argv_mem = argv_mem.unwrap_or_else(|| b.argv_mem.load(Ordering::Relaxed));
    let omem = b.omem.load(Ordering::Relaxed);
    let obl = omem.min(REPLY_CHUNK);
    let oll = (omem - obl).div_ceil(REPLY_CHUNK);
    let rbs = b.out_cap.load(Ordering::Relaxed);
    Buffers {
        qbuf,
        qbuf_free,
        argv_mem,
        obl,
        oll,
        omem,
        rbs,
        tot_mem: qbuf + qbuf_free + argv_mem + rbs.max(omem),
    }
}

/// One CLIENT LIST line, fields in Redis 7.2's order. `cmd` names the
/// command the connection runs (for the caller itself) or ran last;
/// `blocked` says it waits in a blocking command (flag `b`); `tracking`
/// is its tracking flags and `redir` ([`super::tracking::list_fields`]).
fn line(h: &ClientHandle, blocked: bool, tracking: &(String, i64), now: u64, cmd: &str, b: &Buffers) -> String {
    let name = lock(&h.name).clone().unwrap_or_default();
    let lib_name = lock(&h.lib_name).clone().unwrap_or_default();
    let lib_ver = lock(&h.lib_ver).clone().unwrap_or_default();
    let mut flags = String::new();
    if h.subscribed() {
        flags.push('P');
    }
    if blocked {
        flags.push('b');
    }
    flags.push_str(&tracking.0);
    if h.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if h.no_touch.load(Ordering::Relaxed) {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let age = now.saturating_sub(h.created) / 1000;
    let idle = now.saturating_sub(h.last_active.load(Ordering::Relaxed)) / 1000;
    format!(
        "id={} addr={} laddr={} fd={} name={} age={age} idle={idle} flags={flags} db={} sub={} psub={} ssub={} multi=-1 \
         qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp=0 obl={} oll={} omem={} tot-mem={} events={} \
         cmd={cmd} user={} redir={} resp={} lib-name={} lib-ver={}\n",
        h.id,
        h.addr,
        h.laddr,
        h.fd(),
        String::from_utf8_lossy(&name),
        h.db.load(Ordering::Relaxed),
        h.subscriptions[0].load(Ordering::Relaxed),
        h.subscriptions[1].load(Ordering::Relaxed),
        h.subscriptions[2].load(Ordering::Relaxed),
        b.qbuf,
        b.qbuf_free,
        b.argv_mem,
        b.rbs,
        b.obl,
        b.oll,
        b.omem,
        b.tot_mem,
        if b.omem > 0 { "rw" } else { "r" },
        String::from_utf8_lossy(&h.user().name),
        tracking.1,
        h.resp.load(Ordering::Relaxed),
        String::from_utf8_lossy(&lib_name),
        String::from_utf8_lossy(&lib_ver),
    )
}

/// The `parent|sub` name of the running command, lower-cased, for the
/// caller's own line.
fn running(a: &[&[u8]]) -> String {
    let sub = String::from_utf8_lossy(a.get(1).copied().unwrap_or_default()).to_ascii_lowercase();
    format!("client|{sub}")
}

/// Connection `h`'s CLIENT LIST line, without its line end, while it runs
/// `cmd` with the arguments `argv`: what ACL LOG keeps of a client.
pub(crate) fn info_line(srv: &Server, h: &ClientHandle, now: u64, cmd: &str, argv: &[&[u8]]) -> String {
    let argv_mem = argv.iter().map(|x| x.len()).sum();
    let tracking = super::tracking::list_fields(srv, h);
    let mut l = line(
        h,
        srv.blocking.is_blocked(h.id),
        &tracking,
        now,
        cmd,
        &buffers(h, Some(argv_mem)),
    );
    l.pop();
    l
}

fn line_for(ctx: &Ctx<'_>, h: &ClientHandle, a: &[&[u8]]) -> String {
    let blocked = ctx.srv.blocking.is_blocked(h.id);
    let tracking = super::tracking::list_fields(ctx.srv, h);
    if h.id == ctx.client.id {
        let argv_mem = a.iter().map(|x| x.len()).sum();
        line(h, blocked, &tracking, ctx.now, &running(a), &buffers(h, Some(argv_mem)))
    } else {
        let last = *lock(&h.last_cmd);
        line(h, blocked, &tracking, ctx.now, last, &buffers(h, None))
    }
}

/// ```text
/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
/// ```
/// Verbatim text in RESP3, a bulk string in RESP2.
fn list(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut ty = None;
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < a.len() {
        if is(a[i], "type") && i + 1 < a.len() {
            match client_type(a[i + 1]) {
                Some(t) => ty = Some(t),
                None => return ctx.error(&errors::unknown_client_type(a[i + 1])),
            }
            i += 2;
        } else if is(a[i], "id") && i + 1 < a.len() {
            let mut v = Vec::new();
            for x in &a[i + 1..] {
                match args::int(x) {
                    Ok(n) if n > 0 => v.push(n as u64),
                    _ => return ctx.error(errors::INVALID_CLIENT_ID),
                }
            }
            ids = Some(v);
            i = a.len();
        } else {
            return ctx.error(errors::SYNTAX);
        }
    }
    let mut text = String::new();
    for h in ctx.srv.clients.list() {
        if h.is_killed()
            || ty.is_some_and(|t| t != ClientType::of(&h))
            || ids.as_ref().is_some_and(|v| !v.contains(&h.id))
        {
            continue;
        }
        text.push_str(&line_for(ctx, &h, a));
    }
    ctx.out.verbatim(text.as_bytes());
}

/// ```text
/// CLIENT INFO
/// ```
fn info(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let h = ctx.client.handle.clone();
    let text = line_for(ctx, &h, a);
    ctx.out.verbatim(text.as_bytes());
}

/// What CLIENT KILL's filter form selects; every given filter must match.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    ty: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Arc<User>>,
    skipme: bool,
    max_age: Option<u64>,
}

impl KillFilter {
    fn matches(&self, h: &ClientHandle, me: u64, now: u64) -> bool {
        (!self.skipme || h.id != me)
            && self.id.is_none_or(|id| id == h.id)
            && self.ty.is_none_or(|t| t == ClientType::of(h))
            && self.addr.as_ref().is_none_or(|a| *a == h.addr.to_string().into_bytes())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| *a == h.laddr.to_string().into_bytes())
            && self.user.as_ref().is_none_or(|u| Arc::ptr_eq(u, &h.user()))
            && self.max_age.is_none_or(|m| now.saturating_sub(h.created) / 1000 >= m)
    }
}

/// ```text
/// CLIENT KILL ip:port
/// CLIENT KILL [ID id] [TYPE type] [ADDR ip:port] [LADDR ip:port] [USER name] [SKIPME yes|no] [MAXAGE secs] ...
/// ```
/// The old form replies OK or an error; the filter form replies with the
/// number of connections closed and, unless SKIPME no, spares the caller.
/// The caller's own connection closes after this reply is written.
fn kill(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let me = ctx.client.id;
    if a.len() == 3 {
        let target = ctx
            .srv
            .clients
            .list()
            .into_iter()
            .find(|h| !h.is_killed() && h.addr.to_string().as_bytes() == a[2]);
        let Some(h) = target else {
            return ctx.error(errors::NO_SUCH_CLIENT);
        };
        ctx.out.ok();
        close(ctx, &h);
        return;
    }
    // Filters come in pairs after `CLIENT KILL`.
    if !a.len().is_multiple_of(2) {
        return ctx.error(errors::SYNTAX);
    }
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    for pair in a[2..].chunks(2) {
        let (opt, val) = (pair[0], pair[1]);
        if is(opt, "id") {
            match args::int(val) {
                Ok(n) if n > 0 => f.id = Some(n as u64),
                _ => return ctx.error(errors::CLIENT_ID_POSITIVE),
            }
        } else if is(opt, "type") {
            match client_type(val) {
                Some(t) => f.ty = Some(t),
                None => return ctx.error(&errors::unknown_client_type(val)),
            }
        } else if is(opt, "addr") {
            f.addr = Some(val.to_vec());
        } else if is(opt, "laddr") {
            f.laddr = Some(val.to_vec());
        } else if is(opt, "user") {
            match ctx.srv.acl.user(val) {
                Some(u) => f.user = Some(u),
                None => return ctx.error(&errors::no_such_user(val)),
            }
        } else if is(opt, "skipme") {
            if is(val, "yes") {
                f.skipme = true;
            } else if is(val, "no") {
                f.skipme = false;
            } else {
                return ctx.error(errors::SYNTAX);
            }
        } else if is(opt, "maxage") {
            match args::int(val) {
                Ok(n) if n >= 0 => f.max_age = Some(n as u64),
                _ => return ctx.error(errors::SYNTAX),
            }
        } else {
            return ctx.error(errors::SYNTAX);
        }
    }
    let targets: Vec<_> = ctx
        .srv
        .clients
        .list()
        .into_iter()
        .filter(|h| !h.is_killed() && f.matches(h, me, ctx.now))
        .collect();
    ctx.out.int(targets.len() as i64);
    for h in &targets {
        close(ctx, h);
    }
}

/// Closes a connection: another one at once, the caller's own once the
/// replies of its batch are written (cancelling it would drop them).
fn close(ctx: &mut Ctx<'_>, h: &ClientHandle) {
    if h.id == ctx.client.id {
        ctx.client.close = true;
    } else {
        h.kill();
    }
}

/// ```text
/// CLIENT SETINFO LIB-NAME libname | LIB-VER libver
/// ```
fn setinfo(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let h = ctx.client.handle.clone();
    let slot = if is(a[2], "lib-name") {
        &h.lib_name
    } else if is(a[2], "lib-ver") {
        &h.lib_ver
    } else {
        return ctx.error(&errors::unrecognized_option(a[2]));
    };
    if !valid_name(a[3]) {
        return ctx.error(&errors::client_info_chars(&String::from_utf8_lossy(a[2])));
    }
    *lock(slot) = (!a[3].is_empty()).then(|| a[3].to_vec());
    ctx.out.ok();
}

fn on_off(arg: &[u8]) -> Option<bool> {
    if is(arg, "on") {
        Some(true)
    } else if is(arg, "off") {
        Some(false)
    } else {
        None
    }
}

/// ```text
/// CLIENT NO-EVICT ON|OFF
/// ```
fn no_evict(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(on) = on_off(a[2]) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.client.handle.no_evict.store(on, Ordering::Relaxed);
    ctx.out.ok();
}

/// ```text
/// CLIENT NO-TOUCH ON|OFF
/// ```
/// While on, reads by this connection leave keys' access times alone.
fn no_touch(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(on) = on_off(a[2]) else {
        return ctx.error(errors::SYNTAX);
    };
    ctx.client.no_touch = on;
    ctx.client.handle.no_touch.store(on, Ordering::Relaxed);
    ctx.out.ok();
}

/// ```text
/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
/// ```
/// Ends another client's blocking command: as if it timed out (the
/// default), or with the UNBLOCKED error. 1 when the client was blocked.
fn unblock(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 4 {
        return ctx.error(&errors::subcommand_syntax(b"unblock", b"client"));
    }
    let id = match args::int(a[2]) {
        Ok(id) => id,
        Err(e) => return ctx.error(e),
    };
    let how = match a.get(3) {
        None => Unblock::Timeout,
        Some(m) if is(m, "timeout") => Unblock::Timeout,
        Some(m) if is(m, "error") => Unblock::Error,
        Some(_) => return ctx.error(errors::UNBLOCK_REASON),
    };
    let done = u64::try_from(id).is_ok_and(|id| ctx.srv.blocking.unblock(id, how));
    ctx.out.int(done as i64);
}

/// ```text
/// CLIENT REPLY ON|OFF|SKIP
/// ```
/// OFF and SKIP are not answered; ON is.
fn reply(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if is(a[2], "on") {
        ctx.client.reply = ReplyMode::On;
        ctx.out.ok();
    } else if is(a[2], "off") {
        ctx.client.reply = ReplyMode::Off;
    } else if is(a[2], "skip") {
        // The session turns Skip into SkipThis after this command, so the
        // reply of the command that follows is the one dropped.
        if ctx.client.reply != ReplyMode::Off {
            ctx.client.reply = ReplyMode::Skip;
        }
    } else {
        ctx.error(errors::SYNTAX);
    }
}

const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Track the keys of the next command (OPTIN), or do not (OPTOUT).",
    "GETREDIR",
    "    The id of the client invalidations are redirected to (0: none, -1: not tracking).",
    "GETNAME",
    "    The name of this connection, or nil.",
    "ID",
    "    The id of this connection.",
    "INFO",
    "    This connection, in the CLIENT LIST line format.",
    "KILL <ip:port>",
    "    Close the connection that comes from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Close every connection that matches all the filters given:",
    "    * ID <client-id>",
    "    * ADDR <ip:port>",
    "    * LADDR <ip:port>",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "    * USER <username>",
    "    * SKIPME (YES|NO)",
    "      Spare this connection (the default) or not.",
    "    * MAXAGE <seconds>",
    "      Only connections at least this old.",
    "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <client-id> ...]",
    "    One line per open connection.",
    "NO-EVICT (ON|OFF)",
    "    Exempt this connection from client eviction, or not.",
    "NO-TOUCH (ON|OFF)",
    "    Read keys without updating their access time, or not.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Answer commands, stop answering, or skip the next answer.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Record the client library's name or version.",
    "SETNAME <name>",
    "    Name this connection.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Turn server-assisted client-side caching on or off.",
    "TRACKINGINFO",
    "    This connection's tracking: flags, redirect, prefixes.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "HELP",
    "    Print this help.",
];

/// ```text
/// CLIENT PAUSE timeout-ms [WRITE|ALL]
/// ```
/// Holds back every client's commands (ALL, the default), or those that
/// may write (WRITE: write commands, EVAL, EVALSHA, FCALL, EXEC of a
/// transaction that writes ...), until `timeout` ms from now. Held-back
/// clients wait, the pausing one too; a second pause only lengthens or
/// widens the first.
fn pause(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 4 {
        return ctx.error(&errors::subcommand_syntax(a[1], a[0]));
    }
    let kind = match a.get(3) {
        None => PauseKind::All,
        Some(m) if m.eq_ignore_ascii_case(b"write") => PauseKind::Write,
        Some(m) if m.eq_ignore_ascii_case(b"all") => PauseKind::All,
        Some(_) => return ctx.error(errors::PAUSE_MODE),
    };
    let ms = match args::int(a[2]) {
        Ok(ms) if ms < 0 => return ctx.error(errors::TIMEOUT_NEGATIVE),
        Ok(ms) => ms as u64,
        Err(_) => return ctx.error(errors::TIMEOUT_NOT_INTEGER),
    };
    let until = if ms == 0 { 0 } else { ctx.now.saturating_add(ms) };
    ctx.srv.pause.pause(kind, until);
    // A pause of either kind holds expiry back too, as in Redis.
    if let Some((_, end)) = ctx.srv.pause.current(ctx.now) {
        ctx.srv.store.keep_expired_until(end);
    }
    ctx.out.ok();
}

/// ```text
/// CLIENT UNPAUSE
/// ```
fn unpause(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.srv.pause.unpause();
    ctx.srv.store.keep_expired_until(0);
    ctx.out.ok();
}

/// ```text
/// CLIENT HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
    use std::sync::Mutex;

    fn handle() -> ClientHandle {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let laddr: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        ClientHandle {
            id: 7,
            proto: crate::state::Proto::Resp,
            addr,
            laddr,
            created: 10_000,
            last_active: AtomicU64::new(12_000),
            db: AtomicUsize::new(3),
            name: Mutex::new(Some(b"worker".to_vec())),
            lib_name: Mutex::new(Some(b"redis-rs".to_vec())),
            lib_ver: Mutex::new(None),
            last_cmd: Mutex::new("get"),
            resp: AtomicUsize::new(3),
            user: Mutex::new(User::detached_default()),
            no_evict: AtomicBool::new(true),
            no_touch: AtomicBool::new(false),
            cancel: Default::default(),
            killed: Default::default(),
            fd: Default::default(),
            counters: Default::default(),
            buffers: Default::default(),
            subscriptions: Default::default(),
            mail: Default::default(),
        }
    }

    #[test]
    fn list_line_has_redis_7_2_fields_in_order() {
        let h = handle();
        h.set_fd(9);
        let l = line(&h, false, &(String::new(), -1), 15_500, "get", &buffers(&h, None));
        let keys: Vec<&str> = l
            .trim_end()
            .split(' ')
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "addr",
                "laddr",
                "fd",
                "name",
                "age",
                "idle",
                "flags",
                "db",
                "sub",
                "psub",
                "ssub",
                "multi",
                "qbuf",
                "qbuf-free",
                "argv-mem",
                "multi-mem",
                "rbs",
                "rbp",
                "obl",
                "oll",
                "omem",
                "tot-mem",
                "events",
                "cmd",
                "user",
                "redir",
                "resp",
                "lib-name",
                "lib-ver"
            ]
        );
        assert!(
            l.starts_with("id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name=worker age=5 idle=3 flags=e db=3 ")
        );
        assert!(l.ends_with(" resp=3 lib-name=redis-rs lib-ver=\n"));
    }

    #[test]
    fn buffer_fields_come_from_what_the_connection_published() {
        let h = handle();
        h.buffers.publish(26, 16_358, 0, 40_000, 65_536);
        let l = line(&h, false, &(String::new(), -1), 15_500, "get", &buffers(&h, Some(30)));
        assert!(
            l.contains(
                " qbuf=26 qbuf-free=16358 argv-mem=30 multi-mem=0 rbs=65536 rbp=0 obl=16384 oll=2 omem=40000 tot-mem=81950 events=rw "
            ),
            "{l}"
        );
        h.buffers.publish(0, 16_384, 12, 0, 16_384);
        let l = line(&h, false, &(String::new(), -1), 15_500, "get", &buffers(&h, None));
        assert!(l.contains(" argv-mem=12 "), "{l}");
        assert!(l.contains(" obl=0 oll=0 omem=0 "), "{l}");
    }

    #[test]
    fn names_must_be_printable_without_spaces() {
        assert!(valid_name(b"abc-1:2"));
        assert!(valid_name(b""));
        assert!(!valid_name(b"a b"));
        assert!(!valid_name(b"a\nb"));
        assert!(!valid_name("é".as_bytes()));
    }

    #[test]
    fn kill_filter_needs_every_condition() {
        let h = handle();
        let f = KillFilter {
            id: Some(7),
            addr: Some(b"127.0.0.1:5000".to_vec()),
            skipme: true,
            ..Default::default()
        };
        assert!(f.matches(&h, 1, 20_000));
        assert!(!f.matches(&h, 7, 20_000), "SKIPME spares the caller");
        let f = KillFilter {
            max_age: Some(20),
            ..Default::default()
        };
        assert!(!f.matches(&h, 1, 20_000));
        assert!(f.matches(&h, 1, 30_000));
    }

    #[test]
    fn a_client_parked_by_a_blocking_command_shows_flag_b_in_client_list() {
        let mut h = crate::command::testing::Harness::new();
        let flags = |h: &mut crate::command::testing::Harness| {
            let list = h.run("CLIENT LIST");
            list.split(' ')
                .find_map(|kv| kv.strip_prefix("flags="))
                .map(str::to_owned)
        };
        assert_eq!(flags(&mut h).as_deref(), Some("N"));
        let (srv, id) = (&h.srv, h.client.id);
        let w = srv.blocking.register(
            srv.store.ready_keys(),
            crate::state::blocking::tests::job(id, 0, &["q"]),
        );
        assert_eq!(flags(&mut h).as_deref(), Some("b"));
        let srv = &h.srv;
        srv.blocking.unregister(srv.store.ready_keys(), &w);
        assert_eq!(flags(&mut h).as_deref(), Some("N"));
    }

    #[test]
    fn a_write_pause_holds_back_writes_and_lets_reads_run() {
        let mut h = crate::command::testing::Harness::new();
        assert_eq!(h.run("CLIENT PAUSE 100000 WRITE"), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$-1\r\n");
        assert_eq!(h.run("SET k v"), "", "held back, not answered");
        assert!(h.client.paused_until.take().is_some());
        assert_eq!(h.run("EVAL return 1 0"), "", "EVAL may write");
        h.client.paused_until = None;
        assert_eq!(h.run("CLIENT UNPAUSE"), "+OK\r\n");
        assert_eq!(h.run("SET k v"), "+OK\r\n");
    }

    #[test]
    fn a_pause_of_all_holds_back_reads_too_and_ends_at_its_deadline() {
        let mut h = crate::command::testing::Harness::new();
        assert_eq!(h.run("CLIENT PAUSE 1000"), "+OK\r\n");
        assert_eq!(h.run("PING"), "");
        h.client.paused_until = None;
        assert_eq!(h.at(1000, "PING"), "+PONG\r\n");
    }

    #[test]
    fn client_pause_errors_use_redis_wording() {
        let mut h = crate::command::testing::Harness::new();
        assert_eq!(
            h.run("CLIENT PAUSE 10 SOME"),
            "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
        );
        assert_eq!(
            h.run("CLIENT PAUSE x"),
            "-ERR timeout is not an integer or out of range\r\n"
        );
        assert_eq!(h.run("CLIENT PAUSE -1"), "-ERR timeout is negative\r\n");
        assert_eq!(
            h.run("CLIENT PAUSE 1 ALL x"),
            "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"
        );
    }
}
