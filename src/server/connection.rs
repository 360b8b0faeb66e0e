//! The connection loop shared by both protocols: read a batch, let the
//! session decode and execute every complete request in it, write all the
//! replies at once.

use crate::state::{ClientHandle, Counter, MonitorFeed, Server, Waiter};
use bytes::{Buf, BytesMut};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Read buffers start at this size and are given back when a burst made
/// them grow past `KEEP_MAX` and they are empty again.
const READ_CHUNK: usize = 16 * 1024;
const KEEP_MAX: usize = 1024 * 1024;

/// Replies a session may encode before it stops to let them be written.
/// Small requests can ask for large replies (many GETs of big values); the
/// rest of the input waits in the buffer until this much has been sent.
pub(crate) const OUT_BUDGET: usize = 4 * 1024 * 1024;

/// One protocol's half of a connection.
pub(crate) trait Session: Send {
    /// Decodes and executes every complete request at the front of
    /// `input`, appending the replies to `out`; returns the bytes used.
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize;
    /// True when the connection should close once `out` is written.
    fn closing(&self) -> bool;
    /// Bytes the pending request needs in all, when known.
    fn needed(&self) -> usize;
    /// Most bytes a pending request may hold before the client is dropped.
    fn max_pending(&self) -> usize;
    /// True when the last `process` stopped at [`OUT_BUDGET`] with complete
    /// requests left in the input: run it again before reading more.
    fn has_more(&self) -> bool {
        false
    }
    /// While a blocking command parks the client: what wakes it, and its
    /// deadline (Unix ms, 0 = none). The session processes no input then;
    /// what arrives stays in the buffer.
    fn parked(&self) -> Option<(Arc<Waiter>, u64)> {
        None
    }
    /// The parked client's wait ended, by a notification or (`timed_out`)
    /// by its deadline; the next `process` runs the command again first.
    fn wake(&mut self, _timed_out: bool) {}
    /// While CLIENT PAUSE holds back the next request: the pause's end
    /// (Unix ms). The request stays at the front of the input.
    fn paused(&self) -> Option<u64> {
        None
    }
    /// The pause ended (or may have): the next `process` tries again.
    fn unpause(&mut self) {}
    /// The lines a MONITOR client receives, once it ran MONITOR.
    fn monitor(&mut self) -> Option<&mut MonitorFeed> {
        None
    }
}

/// The next monitor line, or never when the client does not monitor.
async fn monitor_line(feed: Option<&mut MonitorFeed>) -> bytes::Bytes {
    match feed {
        Some(f) => match f.next().await {
            Some(line) => line,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Reads what the socket holds into `buf`'s spare room (at least one
/// byte; 0 at end of stream).
///
/// A short read means the socket's queue is empty: the read then tells
/// tokio the socket is drained, so the next one waits for the poller
/// instead of first asking the kernel and hearing EAGAIN, a system call per
/// request. It does so inside `try_io`, which forgets only the readiness
/// seen before the read: data that arrives meanwhile, noticed by the
/// poller on another worker, keeps its new readiness. (Clearing readiness
/// after the read instead could drop that event and leave the connection
/// waiting for good.)
async fn read_some(stream: &TcpStream, buf: &mut BytesMut) -> std::io::Result<usize> {
    use std::io::ErrorKind::{Interrupted, WouldBlock};
    use std::os::fd::AsRawFd;
    let fd = stream.as_raw_fd();
    loop {
        stream.readable().await?;
        let spare = buf.spare_capacity_mut();
        let space = spare.len();
        let mut got = None;
        let r = stream.try_io(tokio::io::Interest::READABLE, || {
            // SAFETY: recv writes at most `space` bytes into the spare
            // capacity, which is that long.
            let n = unsafe { libc::recv(fd, spare.as_mut_ptr().cast(), space, 0) };
            if n < 0 {
                return Err(std::io::Error::last_os_error());
            }
            got = Some(n as usize);
            match (n as usize) < space && n > 0 {
                true => Err(WouldBlock.into()),
                false => Ok(()),
            }
        });
        match (r, got) {
            (Ok(()), Some(n)) => {
                // SAFETY: recv initialised these `n` bytes.
                unsafe { buf.set_len(buf.len() + n) };
                return Ok(n);
            }
            (Err(e), Some(n)) if e.kind() == WouldBlock => {
                // SAFETY: as above.
                unsafe { buf.set_len(buf.len() + n) };
                return Ok(n);
            }
            // Stale readiness (the kernel said EAGAIN, or tokio knew it
            // before asking), or a signal: wait or try again.
            (Err(e), _) if e.kind() == WouldBlock || e.kind() == Interrupted => continue,
            (Err(e), _) => return Err(e),
            (Ok(()), None) => continue,
        }
    }
}

pub(crate) async fn serve<S: Session>(
    srv: Arc<Server>,
    handle: Arc<ClientHandle>,
    mut stream: TcpStream,
    mut session: S,
) {
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    {
        use std::os::fd::AsRawFd;
        handle.set_fd(stream.as_raw_fd() as i64);
    }
    let cancel = handle.cancel.clone();
    // One cancellation future for the connection's life: making a new one
    // per read would register and drop a waiter on every batch.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let mut run = true;
        if let Some(until) = session.paused() {
            // Held back by CLIENT PAUSE: wait for its end or an UNPAUSE,
            // then run the held request again (it may be held again).
            let ended = srv.pause.ended();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let now = srv.clock.now_ms();
            if srv.pause.current(now).is_some() {
                let at = tokio::time::Instant::now() + std::time::Duration::from_millis(until.saturating_sub(now));
                srv.pause.wait(true);
                let killed = tokio::select! {
                    biased;
                    _ = &mut cancelled => true,
                    _ = &mut ended => false,
                    _ = tokio::time::sleep_until(at) => false,
                };
                srv.pause.wait(false);
                if killed {
                    break;
                }
            }
            session.unpause();
        } else if let Some((waiter, deadline)) = session.parked() {
            // Parked: wait for a wake-up or the deadline, reading on so a
            // client that leaves is noticed (and its registration dropped
            // with the session) and what it pipelines stays buffered.
            let wait_ms = deadline.saturating_sub(srv.clock.now_ms());
            let at = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
            if input.capacity() - input.len() < READ_CHUNK / 2 {
                input.reserve(READ_CHUNK);
            }
            let timed_out = tokio::select! {
                biased;
                _ = &mut cancelled => break,
                _ = waiter.notified() => false,
                _ = tokio::time::sleep_until(at), if deadline != 0 => true,
                r = stream.read_buf(&mut input) => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        handle.counters.bump(Counter::NetIn, n as u64);
                        handle.counters.bump(Counter::Reads, 1);
                        if input.len() > session.max_pending() {
                            tracing::warn!(
                                client = handle.id,
                                "closing client that reached max query buffer length"
                            );
                            break;
                        }
                        continue;
                    }
                },
            };
            session.wake(timed_out);
        } else if !session.has_more() {
            // Grow towards what a pending large value needs, doubling at
            // most, so a value arriving in pieces is copied O(1) times on average.
            let want = session.needed().saturating_sub(input.len());
            let room = want.clamp(READ_CHUNK, input.capacity().max(READ_CHUNK));
            if input.capacity() - input.len() < room / 2 {
                input.reserve(room);
            }
            let n = tokio::select! {
                biased;
                r = read_some(&stream, &mut input) => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                },
                line = monitor_line(session.monitor()) => {
                    out.extend_from_slice(&line);
                    run = false;
                    0
                }
                _ = &mut cancelled => break,
            };
            if n > 0 {
                handle.counters.bump(Counter::NetIn, n as u64);
                handle.counters.bump(Counter::Reads, 1);
            }
        }
        // Checked after every read, before anything is executed: a client
        // killed (or a server shut down) while its next request arrived must
        // not be served, and a busy connection, whose read is ready at once,
        // never polls the cancellation future above.
        if cancel.is_cancelled() {
            break;
        }
        if run {
            let used = session.process(&input, &mut out);
            input.advance(used);
        }
        if let Some(feed) = session.monitor() {
            feed.drain_into(&mut out);
        }
        if !out.is_empty() {
            let written = tokio::select! {
                biased;
                r = stream.write_all(&out) => r.is_ok(),
                _ = &mut cancelled => false,
            };
            if !written {
                break;
            }
            handle.counters.bump(Counter::NetOut, out.len() as u64);
            handle.counters.bump(Counter::Writes, 1);
            out.clear();
            if out.capacity() > KEEP_MAX {
                out = Vec::with_capacity(READ_CHUNK);
            }
        }
        if session.closing() {
            break;
        }
        if input.len() > session.max_pending() {
            tracing::warn!(
                client = handle.id,
                "closing client that reached max query buffer length"
            );
            break;
        }
        if input.is_empty() && input.capacity() > KEEP_MAX {
            input = BytesMut::with_capacity(READ_CHUNK);
        }
    }
    let _ = stream.shutdown().await;
    srv.clients.unregister(handle.id);
}
