//! The replica's end of replication, with Redis's protocol: the same
//! handshake, snapshot and command stream whether the primary is
//! ferrocache or redis-server.
//!
//! One task per server watches the primary REPLICAOF names. For each, it
//! connects and says PING, AUTH (`masteruser`/`masterauth`), REPLCONF
//! listening-port and capa, and PSYNC; receives the snapshot (sized, or
//! marked with an EOF mark) into a temporary file in `dir`; empties the
//! data and loads it, keeping keys past their time (the primary sends
//! their deletion); then applies the primary's stream as the primary's
//! client, which writes on a read-only replica and whose replies are
//! dropped. It answers REPLCONF GETACK and acknowledges its offset every
//! second. A link that breaks is tried again after a second.

use crate::command::{self, Ctx};
use crate::protocol::resp::{Decoded, Reply, RespDecoder};
use crate::repl::rdb::file::{self, LoadOptions};
use crate::state::replication::{LinkState, Primary};
use crate::state::{Client, Proto, Server};
use std::io::{self, Write};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The link task: follows the primary REPLICAOF names until shutdown.
pub(crate) async fn run(srv: Arc<Server>) {
    let mut rx = srv.repl.watch();
    loop {
        let target = rx.borrow_and_update().clone();
        let Some(p) = target else {
            tokio::select! {
                r = rx.changed() => if r.is_err() { return },
                _ = srv.shutdown.cancelled() => return,
            }
            continue;
        };
        tokio::select! {
            r = link(&srv, &p) => {
                let now = srv.clock.now_ms();
                srv.repl.set_link(LinkState::Connect, now);
                if let Err(e) = r {
                    tracing::warn!("replication link to {}:{}: {e}", p.host, p.port);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    r = rx.changed() => if r.is_err() { return },
                    _ = srv.shutdown.cancelled() => return,
                }
            }
            r = rx.changed() => if r.is_err() { return },
            _ = srv.shutdown.cancelled() => return,
        }
    }
}

/// Bytes read from the primary and not used yet.
struct Conn<'a> {
    s: TcpStream,
    buf: Vec<u8>,
    timeout: Duration,
    /// Bytes read, counted for INFO.
    read: &'a std::sync::atomic::AtomicU64,
}

impl Conn<'_> {
    async fn fill(&mut self) -> io::Result<usize> {
        self.buf.reserve(16 * 1024);
        let n = tokio::time::timeout(self.timeout, self.s.read_buf(&mut self.buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timeout reading from the primary"))??;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the primary closed the connection",
            ));
        }
        self.read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }

    /// One line, without its CRLF.
    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            if self.buf.len() > 64 * 1024 {
                return Err(io::Error::other("the primary sent a line too long"));
            }
            self.fill().await?;
        }
    }

    async fn send(&mut self, args: &[&[u8]]) -> io::Result<()> {
        let mut out = Vec::new();
        let mut r = Reply::new(&mut out, false);
        r.array(args.len());
        for a in args {
            r.bulk(a);
        }
        self.s.write_all(&out).await
    }

    /// Sends a command and reads its one-line reply.
    async fn ask(&mut self, args: &[&[u8]]) -> io::Result<String> {
        self.send(args).await?;
        self.line().await
    }
}

async fn link(srv: &Arc<Server>, p: &Primary) -> io::Result<()> {
    srv.repl.set_link(LinkState::Connecting, srv.clock.now_ms());
    let secs = srv.settings.int("repl-timeout").unwrap_or(60).max(1) as u64;
    let timeout = Duration::from_secs(secs);
    let s = tokio::time::timeout(timeout, TcpStream::connect((p.host.as_str(), p.port)))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timeout connecting to the primary"))??;
    let _ = s.set_nodelay(true);
    let mut c = Conn {
        s,
        buf: Vec::new(),
        timeout,
        read: &srv.repl.bytes_in,
    };
    let pong = c.ask(&[b"PING"]).await?;
    // A primary that wants a password answers PING with NOAUTH or NOPERM.
    if pong.starts_with('-')
        && !["-NOAUTH", "-NOPERM", "-ERR operation not permitted"]
            .iter()
            .any(|e| pong.starts_with(e))
    {
        return Err(io::Error::other(format!(
            "error reply to PING from the primary: {pong}"
        )));
    }
    let auth = srv.settings.get("masterauth").unwrap_or_default();
    if !auth.is_empty() {
        let user = srv.settings.get("masteruser").unwrap_or_default();
        let reply = if user.is_empty() {
            c.ask(&[b"AUTH", auth.as_bytes()]).await?
        } else {
            c.ask(&[b"AUTH", user.as_bytes(), auth.as_bytes()]).await?
        };
        if reply.starts_with('-') {
            return Err(io::Error::other(format!("unable to AUTH to the primary: {reply}")));
        }
    }
    let announced = srv.settings.int("replica-announce-port").unwrap_or(0);
    let bound = crate::util::sync::lock(&srv.bound).resp.map_or(0, |a| a.port());
    let port = if announced > 0 { announced as u16 } else { bound }.to_string();
    let reply = c.ask(&[b"REPLCONF", b"listening-port", port.as_bytes()]).await?;
    if reply.starts_with('-') {
        tracing::info!("the primary does not understand REPLCONF listening-port: {reply}");
    }
    let reply = c.ask(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]).await?;
    if reply.starts_with('-') {
        tracing::info!("the primary does not understand REPLCONF capa: {reply}");
    }
    // The history this replica holds (its primary's id and how far it
    // applied it, kept over a broken link or loaded from a snapshot) lets
    // the primary go on from there; a server that never followed one asks
    // for everything.
    let ids = srv.repl.ids();
    let next = (srv.repl.offset.load(Relaxed) + 1).to_string();
    if srv.repl.synced.load(Relaxed) {
        c.send(&[b"PSYNC", ids.replid.as_bytes(), next.as_bytes()]).await?;
    } else {
        c.send(&[b"PSYNC", b"?", b"-1"]).await?;
    }
    // Empty lines keep the link alive until the primary answers.
    let reply = loop {
        let l = c.line().await?;
        if !l.is_empty() {
            break l;
        }
    };
    if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        let new_id = rest.trim();
        if !new_id.is_empty() && new_id != ids.replid {
            srv.repl.switch_primary_id(new_id);
            // Replicas of this one learn the new id.
            srv.feed.restart_replicas();
        }
        let _applying = crate::util::sync::lock(&srv.repl.applying);
        let applied = srv.repl.offset.load(Relaxed);
        if srv.feed.end() != applied {
            srv.feed.rebase(applied);
        }
        drop(_applying);
        tracing::info!("partial resynchronisation from the primary at offset {next}");
        srv.repl.set_link(LinkState::Connected, srv.clock.now_ms());
        return stream(srv, &mut c).await;
    }
    let Some(rest) = reply.strip_prefix("+FULLRESYNC ") else {
        return Err(io::Error::other(format!(
            "unexpected reply to PSYNC from the primary: {reply}"
        )));
    };
    let mut words = rest.split(' ');
    let replid = words.next().unwrap_or_default().to_string();
    let offset: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    tracing::info!("full resynchronisation from the primary: {replid}:{offset}");
    srv.repl.set_link(LinkState::Sync, srv.clock.now_ms());
    let tmp = receive_snapshot(srv, &mut c).await?;
    let loader = srv.clone();
    let path = tmp.clone();
    let loaded = tokio::task::spawn_blocking(move || load_snapshot(&loader, &path)).await;
    let _ = std::fs::remove_file(&tmp);
    loaded.map_err(io::Error::other)??;
    {
        // Replicas of this one synchronise again, from the new history.
        let _applying = crate::util::sync::lock(&srv.repl.applying);
        srv.repl.adopt(&replid, offset);
        srv.feed.rebase(offset);
    }
    srv.repl.set_link(LinkState::Connected, srv.clock.now_ms());
    tracing::info!("primary <-> replica sync: finished with success");
    stream(srv, &mut c).await
}

/// Receives the snapshot after FULLRESYNC into a temporary file in `dir`.
async fn receive_snapshot(srv: &Server, c: &mut Conn<'_>) -> io::Result<std::path::PathBuf> {
    // Newlines keep the link alive while the primary prepares it.
    let header = loop {
        let l = c.line().await?;
        if !l.is_empty() {
            break l;
        }
    };
    let Some(spec) = header.strip_prefix('$') else {
        return Err(io::Error::other(format!(
            "bad snapshot header from the primary: {header}"
        )));
    };
    let dir = std::path::PathBuf::from(srv.settings.get("dir").unwrap_or_default());
    let tmp = dir.join(format!("temp-{}-{}.rdb", srv.clock.now_ms(), std::process::id()));
    let mut f = io::BufWriter::new(std::fs::File::create(&tmp)?);
    srv.repl.sync_read.store(0, Relaxed);
    if let Some(mark) = spec.strip_prefix("EOF:") {
        // The payload ends with the 40 bytes of the mark.
        let mark = mark.as_bytes().to_vec();
        if mark.len() != 40 {
            return Err(io::Error::other("bad EOF mark from the primary"));
        }
        loop {
            // What follows the mark is the stream's start: it stays.
            if let Some(at) = memchr::memmem::find(&c.buf, &mark) {
                f.write_all(&c.buf[..at])?;
                c.buf.drain(..at + 40);
                break;
            }
            // Keep the last 40 bytes: they may be the start of the mark.
            if c.buf.len() > 40 {
                let keep = c.buf.len() - 40;
                f.write_all(&c.buf[..keep])?;
                srv.repl.sync_read.fetch_add(keep as u64, Relaxed);
                c.buf.drain(..keep);
            }
            c.fill().await?;
        }
    } else {
        let mut left: u64 = spec
            .parse()
            .map_err(|_| io::Error::other(format!("bad snapshot length from the primary: {spec}")))?;
        while left > 0 {
            if c.buf.is_empty() {
                c.fill().await?;
            }
            let take = (c.buf.len() as u64).min(left) as usize;
            f.write_all(&c.buf[..take])?;
            c.buf.drain(..take);
            left -= take as u64;
            srv.repl.sync_read.fetch_add(take as u64, Relaxed);
        }
    }
    f.flush()?;
    Ok(tmp)
}

/// Empties the data and loads the primary's snapshot.
fn load_snapshot(srv: &Server, path: &std::path::Path) -> io::Result<()> {
    let f = std::fs::File::open(path)?;
    srv.store.flush_all(false);
    srv.scripts.flush_libraries();
    let opts = LoadOptions {
        now: srv.clock.now_ms(),
        keep_expired: true,
        merge: false,
    };
    let rep = file::load(&srv.store, io::BufReader::with_capacity(1 << 20, f), &opts).map_err(io::Error::other)?;
    for code in &rep.functions {
        crate::script::load_library(srv, code, true).map_err(io::Error::other)?;
    }
    tracing::info!("primary <-> replica sync: loaded {} keys", rep.keys);
    for (what, n) in &rep.skipped {
        tracing::warn!("{n} keys of type {what} from the primary were skipped: ferrocache has no such type");
    }
    Ok(())
}

/// Applies the primary's stream until the link breaks.
async fn stream(srv: &Arc<Server>, c: &mut Conn<'_>) -> io::Result<()> {
    let addr = c.s.peer_addr()?;
    let laddr = c.s.local_addr()?;
    let handle = srv
        .clients
        .try_register(Proto::Resp, addr, laddr, srv.clock.now_ms(), &srv.shutdown, usize::MAX)
        .ok_or_else(|| io::Error::other("the primary's client cannot be registered"))?;
    let _gone = Unregister(srv.clone(), handle.id);
    let mut client = Client::new(handle);
    client.authenticated = true;
    client.master = true;
    let mut decoder = RespDecoder::new(usize::MAX);
    let mut scratch = Vec::new();
    let mut ack = tokio::time::interval(Duration::from_secs(1));
    ack.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Commands still to run with the versions and handles the primary
    // named (`PING "fc-ids ..."`).
    let mut preset_left = 0usize;
    // The acknowledgement timer and the primary's bytes, one at a time.
    loop {
        let mut pos = 0;
        let mut getack = false;
        loop {
            match decoder.decode(&c.buf[pos..]) {
                Ok(Decoded::Request(n)) => {
                    let mut argv: Vec<&[u8]> = Vec::new();
                    decoder.args(&c.buf[pos..], &mut argv);
                    if argv.len() >= 2
                        && argv[0].eq_ignore_ascii_case(b"replconf")
                        && argv[1].eq_ignore_ascii_case(b"getack")
                    {
                        getack = true;
                        applied(srv, &c.buf[pos..pos + n]);
                    } else if let Some((cmds, ids)) = ids_note(&argv) {
                        srv.store.ids().end_preset();
                        srv.store.ids().preset(ids);
                        preset_left = cmds;
                        if cmds == 0 {
                            srv.store.ids().end_preset();
                        }
                        applied(srv, &c.buf[pos..pos + n]);
                    } else {
                        let now = srv.clock.now_ms();
                        let resp3 = client.resp3;
                        let mut ctx = Ctx {
                            srv,
                            client: &mut client,
                            out: Reply::new(&mut scratch, resp3),
                            now,
                        };
                        // A snapshot taken here sees the command and its
                        // offset together.
                        let applying = crate::util::sync::lock(&srv.repl.applying);
                        command::execute(&mut ctx, &argv);
                        advance(srv, &c.buf[pos..pos + n]);
                        if preset_left > 0 {
                            preset_left -= 1;
                            if preset_left == 0 {
                                srv.store.ids().end_preset();
                            }
                        }
                        drop(applying);
                        scratch.clear();
                        super::blocked::serve_ready(srv, now);
                    }
                    pos += n;
                }
                Ok(Decoded::Skip(n)) => {
                    applied(srv, &c.buf[pos..pos + n]);
                    pos += n;
                }
                Ok(Decoded::Incomplete) => break,
                Err(e) => return Err(io::Error::other(format!("bad stream from the primary: {e:?}"))),
            }
        }
        c.buf.drain(..pos);
        if getack {
            send_ack(srv, c).await?;
        }
        tokio::select! {
            r = c.fill() => {
                r?;
                srv.repl.last_io.store(srv.clock.now_ms(), Relaxed);
            }
            _ = ack.tick() => send_ack(srv, c).await?,
        }
    }
}

/// Counts bytes of the primary's stream as applied, and relays them to
/// this server's replicas. The caller holds `applying`.
fn advance(srv: &Server, bytes: &[u8]) {
    srv.repl.offset.fetch_add(bytes.len() as u64, Relaxed);
    srv.feed.relay(bytes);
}

/// [`advance`] for bytes that ran no command.
fn applied(srv: &Server, bytes: &[u8]) {
    let _applying = crate::util::sync::lock(&srv.repl.applying);
    advance(srv, bytes);
}

/// A `PING "fc-ids ..."` of the primary: the numbers of its next commands.
fn ids_note(argv: &[&[u8]]) -> Option<(usize, crate::store::Taken)> {
    match argv {
        [ping, note] if ping.eq_ignore_ascii_case(b"ping") => crate::repl::feed::parse_ids_note(note),
        _ => None,
    }
}

async fn send_ack(srv: &Server, c: &mut Conn<'_>) -> io::Result<()> {
    let off = srv.repl.offset.load(Relaxed).to_string();
    c.send(&[b"REPLCONF", b"ACK", off.as_bytes()]).await
}

/// Takes the primary's client out of the registry when the link ends.
struct Unregister(Arc<Server>, u64);

impl Drop for Unregister {
    fn drop(&mut self) {
        // A preset the broken stream left half used ends with it.
        self.0.store.ids().end_preset();
        self.0.clients.unregister(self.1);
    }
}
