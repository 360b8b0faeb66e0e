//! What a primary's commands put in the replication stream
//! (`repl::feed`), as Redis propagates them: a command that changed the
//! data, as it was given or rewritten so that a replica gets the same
//! result; keys removed on the way for their deadline or for memory as
//! DEL, before the command; a transaction's or a script's writes as one
//! MULTI/EXEC, a script by its effects.
//!
//! Rewritten: timeouts go as absolute times (SET ... PXAT, PEXPIREAT,
//! RESTORE ... ABSTTL; an EXPIRE that removed its key as DEL, a GETEX
//! PERSIST as PERSIST); SPOP becomes SREM of what it popped; INCRBYFLOAT
//! and HINCRBYFLOAT become SET ... KEEPTTL and HSET of their result;
//! a blocking pop served after waiting becomes its non-blocking form.
//! Writes gather in this thread until the command that runs at the top
//! (not inside EXEC or a script) ends, then go to the feed with the
//! sequence numbers the store gave their changes.

use super::{CommandSpec, Ctx};
use crate::repl::feed::Batch;
use crate::state::Server;
use std::cell::RefCell;

thread_local! {
    static GATHERED: RefCell<Batch> = RefCell::new(Batch::default());
    /// The numbers of a submission, kept with their capacity.
    static SEQS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn gather<A: AsRef<[u8]>>(db: usize, argv: &[A]) {
    GATHERED.with(|g| g.borrow_mut().push(db, argv));
}

/// A command that is not the one that ran: a replica is told the
/// versions and lock handles the batch took.
fn gather_rewritten<A: AsRef<[u8]>>(db: usize, argv: &[A]) {
    GATHERED.with(|g| {
        let mut g = g.borrow_mut();
        g.push(db, argv);
        g.tell_ids = true;
    });
}

/// A memcached write's command for replicas.
pub(crate) fn gather_memcached<A: AsRef<[u8]>>(db: usize, argv: &[A]) {
    gather_rewritten(db, argv);
}

/// What a key holds now, for replicas, after a write that was not a
/// Redis command (memcached's): `SET key value [PXAT ms]`, and
/// `CACHE.FLAGS` when it has memcached flags; DEL when it is gone. After
/// a `touch` or `gat` (`retimed`), which keep the item's version, only
/// its new timeout: `CACHE.RESETTTL key PXAT ms | PERSIST`.
pub(crate) fn key_state(srv: &Server, db: usize, key: &[u8], now: u64, retimed: bool) {
    let gather = gather_rewritten::<Vec<u8>>;
    let state = srv.store.with_slot(db, key, now, |s| {
        s.peek()
            .and_then(|it| Some((it.as_str()?.to_vec(), it.expire_at(), it.flags())))
    });
    match state {
        None => gather(db, &[b"DEL".to_vec(), key.to_vec()]),
        Some((_, deadline, _)) if retimed => {
            let mut argv = vec![b"CACHE.RESETTTL".to_vec(), key.to_vec()];
            match deadline {
                Some(t) => argv.extend([b"PXAT".to_vec(), t.to_string().into_bytes()]),
                None => argv.push(b"PERSIST".to_vec()),
            }
            gather(db, &argv);
        }
        Some((value, deadline, flags)) => {
            let mut set = vec![b"SET".to_vec(), key.to_vec(), value];
            if let Some(t) = deadline {
                set.extend([b"PXAT".to_vec(), t.to_string().into_bytes()]);
            }
            gather(db, &set);
            if flags != 0 {
                gather(
                    db,
                    &[b"CACHE.FLAGS".to_vec(), key.to_vec(), flags.to_string().into_bytes()],
                );
            }
        }
    }
}

/// A key the store removed for its deadline or for memory.
pub(crate) fn removed(db: usize, key: &[u8]) {
    gather(db, &[&b"DEL"[..], key]);
}

/// After a command ran: gathers what it wrote, and at the top level hands
/// the lot to the feed. `writes_before` is the store's count of this
/// thread's writes before the command; `mark` where its reply began.
pub(crate) fn after(ctx: &mut Ctx<'_>, spec: &CommandSpec, args: &[&[u8]], writes_before: u64, mark: usize) {
    let srv = ctx.srv;
    if srv.feed.is_proxy() {
        // A replica's stream is its primary's, relayed: what its own
        // commands wrote is not propagated, but their numbers move the
        // order on.
        if !ctx.client.in_exec && !ctx.client.in_script {
            GATHERED.with(|g| g.borrow_mut().clear_cmds());
            submit(srv);
        }
        return;
    }
    // Messages and function libraries reach replicas too, as in Redis,
    // though they change nothing in the store.
    let outside_store = (matches!(
        spec.name,
        "publish" | "function|load" | "function|delete" | "function|flush" | "function|restore"
    ) || spec.name == "cache.policy" && args.len() > 2)
        && !ctx.out.buf[mark..].starts_with(b"-");
    if outside_store {
        // A number of their own keeps them in order with this client's
        // writes before them.
        srv.store.events().record_bulk();
    }
    let wrote = srv.store.events().writes() != writes_before;
    // A transaction's and a script's writes were gathered one by one.
    let container = matches!(
        spec.name,
        "exec" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    );
    if container && wrote {
        GATHERED.with(|g| g.borrow_mut().atomic = true);
    }
    if wrote && !container && (outside_store || spec.has(super::flags::WRITE | super::flags::MAY_REPLICATE)) {
        let db = ctx.client.db;
        match rewrite(ctx, spec, args, &ctx.out.buf[mark..]) {
            None => gather(db, args),
            // A Redis command's rewrite takes the numbers the command
            // took (SET .. PXAT for SET .. EX, PEXPIREAT for EXPIRE, SREM
            // for SPOP ...); a CACHE.* command's is told them.
            Some(cmds) => {
                let tell = spec.name.starts_with("cache.");
                for argv in cmds {
                    match tell {
                        true => gather_rewritten(db, &argv),
                        false => gather(db, &argv),
                    }
                }
            }
        }
    }
    if !ctx.client.in_exec && !ctx.client.in_script {
        let top = submit(srv);
        if wrote {
            ctx.client.last_seq = top;
            hold_for_replicas(ctx, mark);
        }
    }
}

/// With `sync-replicas`, a write's reply waits for that many replicas to
/// acknowledge it (the session holds it, see `AckWait`).
fn hold_for_replicas(ctx: &mut Ctx<'_>, mark: usize) {
    let needed = ctx.srv.settings.sync_replicas() as usize;
    if needed == 0 || ctx.client.master {
        return;
    }
    let timeout = ctx.srv.settings.int("sync-replicas-timeout").unwrap_or(1000).max(1) as u64;
    let seq = ctx.client.last_seq;
    let target = written_through(ctx.srv, seq);
    let held = ctx.out.buf.split_off(mark);
    ctx.srv
        .feed
        .write_raw(&[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]);
    ctx.client.ack_wait = Some(crate::state::replication::AckWait {
        target,
        seq,
        needed,
        deadline: ctx.now + timeout,
        held: Some(held),
    });
}

/// The stream's offset once the write numbered `seq` and every one
/// before it are in it; None while some are still being handed in by
/// other threads. No write: the stream's end now.
pub(crate) fn written_through(srv: &Server, seq: Option<u64>) -> Option<u64> {
    match seq {
        Some(seq) => srv.feed.settled(seq),
        None => Some(srv.feed.end()),
    }
}

/// Hands this thread's gathered commands and sequence numbers to the
/// feed (after a command, an expiry pass, an eviction pass).
/// Returns the highest number handed in.
pub(crate) fn submit(srv: &Server) -> Option<u64> {
    SEQS.with(|seqs| {
        let seqs = &mut *seqs.borrow_mut();
        srv.store.events().take_seqs_into(seqs);
        GATHERED.with(|g| {
            let batch = &mut *g.borrow_mut();
            crate::store::take_noted_into(&mut batch.ids);
            if !seqs.is_empty() || !batch.is_empty() {
                srv.feed.submit(seqs, batch);
            } else {
                batch.reset();
            }
        });
        seqs.iter().copied().max()
    })
}

/// Every `repl-ping-replica-period` seconds, a PING in the stream: the
/// replicas see the link alive while nothing is written.
pub(crate) fn ping_replicas(srv: &Server, now: u64) {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let period = srv.settings.int("repl-ping-replica-period").unwrap_or(10).max(1) as u64 * 1000;
    // A replica relays its primary's PINGs instead.
    if srv.repl.followers().is_empty() || srv.feed.is_proxy() {
        return;
    }
    // The first period starts with the first replica.
    let last = LAST.load(Relaxed);
    if last == 0 {
        LAST.store(now, Relaxed);
    } else if now.saturating_sub(last) >= period {
        LAST.store(now, Relaxed);
        srv.feed.write_raw(&[b"PING".to_vec()]);
    }
}

fn owned(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

/// The commands that give a replica what `args` did here, when they are
/// not `args` themselves.
fn rewrite(ctx: &Ctx<'_>, spec: &CommandSpec, args: &[&[u8]], reply: &[u8]) -> Option<Vec<Vec<Vec<u8>>>> {
    let word = |s: &str| s.as_bytes().to_vec();
    if spec.name.starts_with("cache.") {
        return Some(vec![cache_rewrite(ctx, spec, args)]);
    }
    let cmds = match spec.name {
        "spop" => {
            let popped = bulks(reply);
            if popped.is_empty() {
                return Some(vec![]);
            }
            let mut argv = vec![word("SREM"), args[1].to_vec()];
            argv.extend(popped);
            vec![argv]
        }
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let Some(key) = bulks(reply).into_iter().next() else {
                return Some(vec![]);
            };
            let name = &spec.name[1..];
            vec![vec![word(&name.to_ascii_uppercase()), key]]
        }
        // A float's result, not the addition, so that a replica does not
        // round differently.
        "incrbyfloat" => {
            let Some(value) = bulks(reply).into_iter().next() else {
                return Some(vec![]);
            };
            vec![vec![word("SET"), args[1].to_vec(), value, word("KEEPTTL")]]
        }
        "hincrbyfloat" => {
            let Some(value) = bulks(reply).into_iter().next() else {
                return Some(vec![]);
            };
            vec![vec![word("HSET"), args[1].to_vec(), args[2].to_vec(), value]]
        }
        "brpoplpush" => vec![vec![word("RPOPLPUSH"), args[1].to_vec(), args[2].to_vec()]],
        "blmove" => vec![vec![
            word("LMOVE"),
            args[1].to_vec(),
            args[2].to_vec(),
            args[3].to_vec(),
            args[4].to_vec(),
        ]],
        "blmpop" | "bzmpop" => {
            // BLMPOP timeout numkeys key.. LEFT|RIGHT [COUNT n]: the key
            // served and how many came, from the reply.
            let (key, n) = served(reply);
            let Some(key) = key else { return Some(vec![]) };
            let Some(pos) = args.iter().position(|a| {
                [&b"left"[..], b"right", b"min", b"max"]
                    .iter()
                    .any(|w| a.eq_ignore_ascii_case(w))
            }) else {
                return Some(vec![]);
            };
            let name = if spec.name == "blmpop" { "LMPOP" } else { "ZMPOP" };
            vec![vec![
                word(name),
                word("1"),
                key,
                args[pos].to_vec(),
                word("COUNT"),
                n.to_string().into_bytes(),
            ]]
        }
        // Timeouts go as absolute times, as Redis 7 sends them; so does
        // the one a database's DEFAULT-TTL gave (CACHE.POLICY).
        "set" | "setex" | "psetex" => {
            let kept = spec.name == "set" && args[3..].iter().any(|a| a.eq_ignore_ascii_case(b"keepttl"));
            match (!kept, deadline_of(ctx, args[1])) {
                (true, Some(t)) => {
                    let value = if spec.name == "set" { args[2] } else { args[3] };
                    vec![vec![
                        word("SET"),
                        args[1].to_vec(),
                        value.to_vec(),
                        word("PXAT"),
                        t.to_string().into_bytes(),
                    ]]
                }
                _ => return None,
            }
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" | "getex" => match deadline_of(ctx, args[1]) {
            Some(t) => vec![vec![word("PEXPIREAT"), args[1].to_vec(), t.to_string().into_bytes()]],
            None if exists(ctx, args[1]) => vec![vec![word("PERSIST"), args[1].to_vec()]],
            None => vec![vec![word("DEL"), args[1].to_vec()]],
        },
        "restore" => {
            let absttl = args[4..].iter().any(|a| a.eq_ignore_ascii_case(b"absttl"));
            match deadline_of(ctx, args[1]) {
                Some(t) if !absttl => {
                    let mut argv = owned(args);
                    argv[2] = t.to_string().into_bytes();
                    argv.push(word("ABSTTL"));
                    vec![argv]
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(cmds)
}

/// A CACHE.* command as a replica runs it: timeouts as absolute times
/// (`EX s` and `PX ms` become `PXAT`, a lock's time its `PXAT` deadline),
/// and a lock that waited as one that did not.
fn cache_rewrite(ctx: &Ctx<'_>, spec: &CommandSpec, args: &[&[u8]]) -> Vec<Vec<u8>> {
    let key = args[1];
    if spec.name == "cache.lock" {
        let until = ctx
            .srv
            .store
            .with_slot(ctx.client.db, key, ctx.now, |s| s.lock_state().map(|l| l.until));
        let mut argv = vec![args[0].to_vec(), key.to_vec(), args[2].to_vec()];
        if args[3..].iter().any(|a| a.eq_ignore_ascii_case(b"create")) {
            argv.push(b"CREATE".to_vec());
        }
        if let Some(t) = until {
            argv.extend([b"PXAT".to_vec(), t.to_string().into_bytes()]);
        }
        return argv;
    }
    // Where the options begin.
    let first = match spec.name {
        "cache.add" | "cache.put" | "cache.unlock" => 3,
        "cache.putunlock" => 4,
        "cache.resetttl" => 2,
        _ => return owned(args),
    };
    let mut argv = owned(&args[..first.min(args.len())]);
    let mut i = first;
    while i < args.len() {
        let w = args[i];
        let is = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
        let takes = if is("tags") {
            1 + std::str::from_utf8(args.get(i + 1).copied().unwrap_or_default())
                .ok()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        } else if is("keepttl") || is("persist") {
            0
        } else {
            1
        };
        let end = (i + 1 + takes).min(args.len());
        if is("ex") || is("px") {
            if let Some(t) = deadline_of(ctx, key) {
                argv.extend([b"PXAT".to_vec(), t.to_string().into_bytes()]);
            }
        } else {
            argv.extend(owned(&args[i..end]));
        }
        i = end;
    }
    argv
}

/// Whether the key holds something now.
fn exists(ctx: &Ctx<'_>, key: &[u8]) -> bool {
    ctx.srv
        .store
        .with_slot(ctx.client.db, key, ctx.now, |s| s.peek().is_some())
}

/// The key's deadline now, if it has one.
fn deadline_of(ctx: &Ctx<'_>, key: &[u8]) -> Option<u64> {
    ctx.srv
        .store
        .with_slot(ctx.client.db, key, ctx.now, |s| s.peek().and_then(|it| it.expire_at()))
}

/// The bulk strings of a reply: one bulk, or an array (RESP2 or RESP3)
/// of bulks; what is not a bulk is passed over.
fn bulks(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut p = Parser { b: reply, i: 0 };
    p.collect(&mut out, 0);
    out
}

/// A multi-pop's reply `[key, [elements...]]`: the key, and how many.
fn served(reply: &[u8]) -> (Option<Vec<u8>>, usize) {
    let mut p = Parser { b: reply, i: 0 };
    let Some((b'*', _)) = p.header() else { return (None, 0) };
    let Some((b'$', len)) = p.header() else {
        return (None, 0);
    };
    let key = p.take(len as usize);
    match p.header() {
        Some((b'*', n)) => (key, n.max(0) as usize),
        _ => (key, 0),
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    /// A type byte and the number after it, up to CRLF.
    fn header(&mut self) -> Option<(u8, i64)> {
        let t = *self.b.get(self.i)?;
        let end = self.i + memchr::memchr(b'\n', self.b.get(self.i..)?)?;
        let n = std::str::from_utf8(&self.b[self.i + 1..end.saturating_sub(1).max(self.i + 1)])
            .ok()?
            .parse()
            .unwrap_or(0);
        self.i = end + 1;
        Some((t, n))
    }

    fn take(&mut self, len: usize) -> Option<Vec<u8>> {
        let v = self.b.get(self.i..self.i + len)?.to_vec();
        self.i += len + 2;
        Some(v)
    }

    fn collect(&mut self, out: &mut Vec<Vec<u8>>, depth: usize) {
        let Some((t, n)) = self.header() else { return };
        match t {
            b'$' if n >= 0 => {
                if let Some(v) = self.take(n as usize) {
                    out.push(v);
                }
            }
            b'*' | b'~' | b'>' if depth < 2 => {
                for _ in 0..n.max(0) {
                    self.collect(out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulks_and_served_read_replies() {
        assert_eq!(bulks(b"$3\r\nabc\r\n"), vec![b"abc".to_vec()]);
        assert_eq!(
            bulks(b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n"),
            vec![b"a".to_vec(), b"bc".to_vec()]
        );
        assert!(bulks(b"$-1\r\n").is_empty());
        let (k, n) = served(b"*2\r\n$4\r\nlist\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
        assert_eq!((k.as_deref(), n), (Some(&b"list"[..]), 3));
    }
}
