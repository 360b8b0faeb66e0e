//! The primary's end of replication: a connection that sent SYNC or
//! PSYNC becomes a replica's link.
//!
//! A PSYNC for this server's history at an offset the backlog still
//! holds is answered `+CONTINUE` and the stream goes on from there.
//! Otherwise `+FULLRESYNC <replid> <offset>`: a snapshot is taken (the
//! store's own point-in-time copy, while clients go on), its place in the
//! stream is the offset, and it is sent marked with an EOF mark to a
//! replica that takes one (`capa eof`), or sized after being written to a
//! temporary file; then the stream from that offset on. The replica's
//! `REPLCONF ACK` lines update its offset for INFO, ROLE and WAIT.

use crate::command::persist;
use crate::protocol::resp::{Decoded, RespDecoder};
use crate::state::replication::{Follower, ReplicaHello};
use crate::state::{ClientHandle, Server};
use std::io::{self, Read, Write};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes of the backlog sent at a time.
const SEND_CHUNK: usize = 1 << 20;

pub(crate) async fn serve(
    srv: Arc<Server>,
    handle: Arc<ClientHandle>,
    stream: TcpStream,
    input: Vec<u8>,
    hello: ReplicaHello,
) {
    let f = Arc::new(Follower {
        ip: hello.ip.clone().unwrap_or_else(|| handle.addr.ip().to_string()),
        port: hello.port,
        state: Mutex::new("wait_bgsave"),
        ack: Default::default(),
        ack_time: Default::default(),
    });
    crate::util::sync::lock(&srv.repl.followers).push(f.clone());
    let r = link(&srv, &handle, stream, input, &hello, &f).await;
    crate::util::sync::lock(&srv.repl.followers).retain(|x| !Arc::ptr_eq(x, &f));
    match r {
        Ok(()) => tracing::info!("connection with replica {}:{} lost", f.ip, f.port),
        Err(e) => tracing::warn!("replica {}:{}: {e}", f.ip, f.port),
    }
}

async fn link(
    srv: &Arc<Server>,
    handle: &ClientHandle,
    mut stream: TcpStream,
    mut input: Vec<u8>,
    hello: &ReplicaHello,
    f: &Follower,
) -> io::Result<()> {
    srv.start_feed();
    let generation = srv.feed.generation();
    let ids = srv.repl.ids();
    srv.configure_feed();
    let (mut pos, reader) = match continues(srv, hello) {
        Some(from) => {
            let reader = Reader::add(srv, from).ok_or_else(|| io::Error::other("the backlog moved on"))?;
            tracing::info!(
                "partial resynchronization of replica {}:{} from offset {from}",
                f.ip,
                f.port
            );
            let line = format!("+CONTINUE {}\r\n", ids.replid);
            stream.write_all(line.as_bytes()).await?;
            (from, reader)
        }
        None => {
            tracing::info!("full resynchronization of replica {}:{}", f.ip, f.port);
            // An old-style SYNC gets the sized snapshot with no
            // FULLRESYNC line; `repl-diskless-sync no` sizes it too.
            let psync = matches!(hello.sync, Some(Some(_)));
            let diskless = srv.settings.get("repl-diskless-sync").is_none_or(|v| v == "yes");
            let eof = hello.eof && psync && diskless;
            let s = srv.clone();
            let std = stream.into_std()?;
            std.set_nonblocking(false)?;
            let (std, offset, reader) = tokio::task::spawn_blocking(move || send_snapshot(&s, std, eof, psync))
                .await
                .map_err(io::Error::other)??;
            std.set_nonblocking(true)?;
            stream = TcpStream::from_std(std)?;
            if eof {
                // As Redis does after an EOF-marked snapshot: the stream
                // starts once the replica says it loaded it (its first
                // ACK), so no byte of the stream can be taken for the end
                // of the snapshot.
                first_ack(srv, &mut stream, &mut input, f).await?;
            }
            (offset + 1, reader)
        }
    };
    *crate::util::sync::lock(&f.state) = "online";
    let mut decoder = RespDecoder::new(64 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    // The stream's bytes on their way out, in one buffer for the link's life.
    let mut bytes = Vec::new();
    loop {
        let grew = srv.feed.grew.notified();
        tokio::pin!(grew);
        grew.as_mut().enable();
        if srv.feed.generation() != generation {
            return Err(io::Error::other("the stream goes on under a new history"));
        }
        if let Err(behind) = srv.feed.read_into(reader.id, pos, SEND_CHUNK, &mut bytes) {
            return Err(io::Error::other(behind.message()));
        }
        if !bytes.is_empty() {
            stream.write_all(&bytes).await?;
            pos += bytes.len() as u64;
            srv.repl.bytes_out.fetch_add(bytes.len() as u64, Relaxed);
            continue;
        }
        tokio::select! {
            _ = &mut grew => {
                // Let the commands running now add theirs: one write then
                // carries many.
                tokio::task::yield_now().await;
            }
            r = stream.read(&mut chunk) => {
                let n = r?;
                if n == 0 {
                    return Ok(());
                }
                input.extend_from_slice(&chunk[..n]);
                acks(srv, f, &mut decoder, &mut input)?;
            }
            _ = handle.cancel.cancelled() => return Ok(()),
            _ = srv.shutdown.cancelled() => return Ok(()),
        }
    }
}

/// Waits for the replica's first REPLCONF ACK.
async fn first_ack(srv: &Server, stream: &mut TcpStream, input: &mut Vec<u8>, f: &Follower) -> io::Result<()> {
    let mut decoder = RespDecoder::new(64 * 1024);
    let mut chunk = vec![0u8; 4096];
    acks(srv, f, &mut decoder, input)?;
    while f.ack_time.load(Relaxed) == 0 {
        let n = tokio::select! {
            r = stream.read(&mut chunk) => r?,
            _ = srv.shutdown.cancelled() => return Err(io::Error::other("shutting down")),
        };
        if n == 0 {
            return Err(io::Error::other("the replica closed the connection while loading"));
        }
        input.extend_from_slice(&chunk[..n]);
        acks(srv, f, &mut decoder, input)?;
    }
    Ok(())
}

/// The offset to go on from when the replica's PSYNC names this
/// server's history at a place the backlog holds.
fn continues(srv: &Server, hello: &ReplicaHello) -> Option<u64> {
    let (replid, offset) = hello.sync.clone()??;
    let ids = srv.repl.ids();
    let ours = replid == ids.replid || (replid == ids.replid2 && offset <= ids.second_offset);
    if !ours || offset < 1 {
        return None;
    }
    let from = offset as u64;
    // The backlog holds it, and the end is not before it.
    let (start, len) = srv.feed.extent();
    (from >= start && from <= start + len).then_some(from)
}

/// A replica's place in the backlog ([`crate::repl::feed::Feed::add_reader`]),
/// given up when its link ends.
struct Reader {
    srv: Arc<Server>,
    id: u64,
}

impl Reader {
    fn add(srv: &Arc<Server>, pos: u64) -> Option<Reader> {
        let id = srv.feed.add_reader(pos)?;
        Some(Reader { srv: srv.clone(), id })
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.srv.feed.remove_reader(self.id);
    }
}

/// Writes FULLRESYNC and the snapshot; returns the socket, the offset the
/// stream goes on from and the replica's place in the backlog, kept from
/// the snapshot's instant on.
fn send_snapshot(
    srv: &Arc<Server>,
    mut sock: std::net::TcpStream,
    eof: bool,
    psync: bool,
) -> io::Result<(std::net::TcpStream, u64, Reader)> {
    let _one = srv.persist.snapshot.lock().unwrap_or_else(|p| p.into_inner());
    let (head, offset, ids) = if srv.feed.is_proxy() {
        // A replica's snapshot is taken between two commands of its
        // primary's stream, at the offset it has applied.
        let _applying = crate::util::sync::lock(&srv.repl.applying);
        let head = srv.store.begin_snapshot(srv.clock.now_ms(), &|_| {});
        (head, srv.feed.end(), srv.repl.ids())
    } else {
        let mark = Mutex::new(None);
        let head = srv.store.begin_snapshot(srv.clock.now_ms(), &|seq| {
            use crate::store::Id;
            let ids = [srv.store.ids().last(Id::Version), srv.store.ids().last(Id::Handle)];
            *crate::util::sync::lock(&mark) = Some(srv.feed.mark(seq, ids))
        });
        let rx = crate::util::sync::lock(&mark).take();
        let offset = match rx.map(|rx| rx.blocking_recv()) {
            Some(Ok(off)) => off,
            _ => {
                srv.store.end_snapshot();
                return Err(io::Error::other("the snapshot's place in the stream was lost"));
            }
        };
        (head, offset, srv.repl.ids())
    };
    // The stream after the snapshot waits in the backlog while it is sent.
    let reader = match Reader::add(srv, offset + 1) {
        Some(r) => r,
        None => {
            srv.store.end_snapshot();
            return Err(io::Error::other("the backlog moved past the snapshot's place"));
        }
    };
    if psync {
        sock.write_all(format!("+FULLRESYNC {} {offset}\r\n", ids.replid).as_bytes())?;
    }
    if eof {
        let mut m = [0u8; 20];
        crate::util::rand::secure_fill(&mut m).ok();
        let mark: String = m.iter().map(|b| format!("{b:02x}")).collect();
        sock.write_all(format!("$EOF:{mark}\r\n").as_bytes())?;
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut sock);
        let rep = persist::write_begun(srv, &head, &mut w)?;
        w.write_all(mark.as_bytes())?;
        w.flush()?;
        drop(w);
        srv.repl.bytes_out.fetch_add(rep.bytes + 40, Relaxed);
        tracing::info!("snapshot of {} keys ({} bytes) sent to a replica", rep.keys, rep.bytes);
    } else {
        // A replica that needs the size first: the snapshot goes to a
        // temporary file, then out.
        let dir = std::path::PathBuf::from(srv.settings.get("dir").unwrap_or_default());
        let tmp = dir.join(format!("temp-sync-{}-{}.rdb", std::process::id(), srv.clock.now_ms()));
        let r = (|| {
            let mut file = io::BufWriter::new(std::fs::File::create(&tmp)?);
            persist::write_begun(srv, &head, &mut file)?;
            file.flush()?;
            drop(file);
            let mut file = std::fs::File::open(&tmp)?;
            let len = file.metadata()?.len();
            srv.repl.bytes_out.fetch_add(len, Relaxed);
            sock.write_all(format!("${len}\r\n").as_bytes())?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                sock.write_all(&buf[..n])?;
            }
            Ok::<(), io::Error>(())
        })();
        let _ = std::fs::remove_file(&tmp);
        r?;
    }
    Ok((sock, offset, reader))
}

/// Reads the replica's REPLCONF ACK lines.
fn acks(srv: &Server, f: &Follower, decoder: &mut RespDecoder, input: &mut Vec<u8>) -> io::Result<()> {
    let mut pos = 0;
    loop {
        match decoder.decode(&input[pos..]) {
            Ok(Decoded::Request(n)) => {
                let mut argv = Vec::new();
                decoder.args(&input[pos..], &mut argv);
                if argv.len() >= 3 && argv[0].eq_ignore_ascii_case(b"replconf") && argv[1].eq_ignore_ascii_case(b"ack")
                {
                    if let Some(off) = std::str::from_utf8(argv[2]).ok().and_then(|s| s.parse::<u64>().ok()) {
                        f.ack.fetch_max(off, Relaxed);
                        f.ack_time.store(srv.clock.now_ms(), Relaxed);
                        srv.repl.acked.notify_waiters();
                    }
                }
                pos += n;
            }
            Ok(Decoded::Skip(n)) => pos += n,
            Ok(Decoded::Incomplete) => break,
            Err(e) => return Err(io::Error::other(format!("bad input from the replica: {e:?}"))),
        }
    }
    input.drain(..pos);
    Ok(())
}
