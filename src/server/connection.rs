//! The connection loop shared by both protocols: read a batch, let the
//! session decode and execute every complete request in it, write all the
//! replies at once.

use crate::config::OutputLimit;
use crate::state::pubsub::Mailbox;
use crate::state::{ClientHandle, Counter, MonitorFeed, Server, Waiter};
use bytes::{Buf, BytesMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Read buffers start at this size and are given back when a burst made
/// them grow past `KEEP_MAX` and they are empty again.
const READ_CHUNK: usize = 16 * 1024;
const KEEP_MAX: usize = 1024 * 1024;

/// A client that sends nothing for this long gives its read buffer back
/// (Redis's query buffer of an idle client, 2 s); one that goes on sending
/// has a buffer over [`TRIM_ABOVE`] cut to its recent peak, looked at every
/// [`QBUF_CHECK_MS`] while it is that large.
const QBUF_IDLE_MS: u64 = 2000;
const QBUF_CHECK_MS: u64 = 250;
const TRIM_ABOVE: usize = 32 * 1024;

/// Replies a session may encode before it stops to let them be written.
/// Small requests can ask for large replies (many GETs of big values); the
/// rest of the input waits in the buffer until this much has been sent.
pub(crate) const OUT_BUDGET: usize = 4 * 1024 * 1024;

/// One protocol's half of a connection.
pub(crate) trait Session: Send {
    /// Decodes and executes every complete request at the front of
    /// `input`, appending the replies to `out` (which may hold replies
    /// not yet sent; the [`OUT_BUDGET`] counts from its length on entry);
    /// returns the bytes used.
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
    /// Bytes of request arguments the session holds between batches
    /// (a parked command's), for CLIENT LIST's `argv-mem`.
    fn argv_mem(&self) -> usize {
        0
    }
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
    /// True while the client has subscriptions: its output is limited by
    /// the pubsub class of `client-output-buffer-limit`.
    fn pubsub(&self) -> bool {
        false
    }
    /// While the client waits for replicas' acknowledgements (WAIT,
    /// sync-replicas): the wait's deadline (Unix ms, 0 = none). The next
    /// `process` gives the reply once they came or the time is up.
    fn awaiting_acks(&self) -> Option<u64> {
        None
    }
    /// The client sent SYNC or PSYNC: the connection becomes a replica's
    /// link ([`super::primary`]), with what the client said of itself.
    fn becomes_replica(&self) -> Option<crate::state::replication::ReplicaHello> {
        None
    }
}

/// Completes when messages may wait in `mailbox`.
async fn mail(mailbox: &Mailbox) {
    mailbox.ready().await
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
        // A buffer given back while the client was idle is made again
        // only now that there is something to read.
        if buf.capacity() == buf.len() {
            buf.reserve(READ_CHUNK);
        }
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

/// A connection's replies, and how much of them the socket has taken.
///
/// Replies are written without waiting: what the socket does not take
/// stays here while the connection goes on reading and executing, as
/// Redis keeps a client's reply list, up to [`Outbox::read_cap`]. That is
/// where `client-output-buffer-limit` applies: a client whose unsent
/// replies reach the hard limit, or stay over the soft one for its
/// seconds, is closed.
#[derive(Debug, Default)]
struct Outbox {
    buf: Vec<u8>,
    sent: usize,
    /// Unix ms when the unsent replies were first seen over the soft
    /// limit, while they stay there.
    soft_since: Option<u64>,
}

impl Outbox {
    fn with_capacity(n: usize) -> Outbox {
        Outbox {
            buf: Vec::with_capacity(n),
            ..Outbox::default()
        }
    }

    /// Bytes of replies the socket has not taken yet.
    fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Moves the unsent bytes to the front, so the session appends after
    /// them.
    fn compact(&mut self) {
        if self.sent > 0 {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// How many unsent bytes the connection lets wait before it stops
    /// taking requests. With a hard limit, none: the limit closes the
    /// client first. With a soft limit only, the soft limit, which then
    /// closes the client after its seconds. With neither (Redis's default
    /// for normal clients) [`OUT_BUDGET`]: a client that does not read is
    /// held there, with the server's memory, rather than closed.
    fn read_cap(limit: OutputLimit) -> usize {
        match (limit.hard, limit.soft) {
            (0, 0) => OUT_BUDGET,
            (0, soft) => usize::try_from(soft).unwrap_or(usize::MAX),
            _ => usize::MAX,
        }
    }

    /// True when the unsent replies break `limit` at `now` (Unix ms), as
    /// Redis's checkClientOutputBufferLimits decides: at or over the hard
    /// limit, or at or over the soft one for more than its seconds.
    fn over_limit(&mut self, limit: OutputLimit, now: u64) -> bool {
        let used = self.pending() as u64;
        let hard = limit.hard > 0 && used >= limit.hard;
        let mut soft = limit.soft > 0 && used >= limit.soft;
        if soft {
            match self.soft_since {
                None => {
                    self.soft_since = Some(now);
                    soft = false;
                }
                Some(t) => soft = now.saturating_sub(t) / 1000 > limit.soft_secs,
            }
        } else {
            self.soft_since = None;
        }
        hard || soft
    }

    /// When the soft limit, if it holds on, will have been broken long
    /// enough (Unix ms).
    fn soft_deadline(&self, limit: OutputLimit) -> Option<u64> {
        self.soft_since
            .map(|t| t.saturating_add(limit.soft_secs.saturating_add(1).saturating_mul(1000)))
    }

    /// Writes what the socket takes now, without waiting; false when the
    /// connection is gone.
    fn flush(&mut self, stream: &TcpStream, handle: &ClientHandle) -> bool {
        while self.sent < self.buf.len() {
            match stream.try_write(&self.buf[self.sent..]) {
                Ok(0) => return false,
                Ok(n) => {
                    self.sent += n;
                    handle.counters.bump(Counter::NetOut, n as u64);
                    handle.counters.bump(Counter::Writes, 1);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            self.soft_since = None;
            if self.buf.capacity() > KEEP_MAX {
                self.buf = Vec::with_capacity(READ_CHUNK);
            }
        }
        true
    }
}

/// Closes the connection for its output: counted in INFO and logged as
/// Redis logs it.
fn output_limit_reached(srv: &Server, handle: &ClientHandle, pending: usize) {
    srv.stats.obuf_limit_disconnections.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(
        client = handle.id,
        addr = %handle.addr,
        omem = pending,
        "client closed for overcoming of output buffer limits"
    );
}

fn query_limit_reached(srv: &Server, handle: &ClientHandle) {
    srv.stats.qbuf_limit_disconnections.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(
        client = handle.id,
        "closing client that reached max query buffer length"
    );
}

/// What CLIENT LIST shows of the connection's buffers.
fn publish_buffers<S: Session>(handle: &ClientHandle, input: &BytesMut, session: &S, out: &Outbox) {
    handle.buffers.publish(
        input.len(),
        input.capacity() - input.len(),
        session.argv_mem(),
        out.pending(),
        out.buf.capacity(),
    );
}

pub(crate) async fn serve<S: Session>(
    srv: Arc<Server>,
    handle: Arc<ClientHandle>,
    mut stream: TcpStream,
    mut session: S,
) {
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut out = Outbox::with_capacity(READ_CHUNK);
    {
        use std::os::fd::AsRawFd;
        handle.set_fd(stream.as_raw_fd() as i64);
    }
    handle.buffers.publish(0, input.capacity(), 0, 0, out.buf.capacity());
    // The read buffer's allocation (BytesMut's capacity counts from the
    // read position only) and the most it held since the last check.
    let mut qbuf_alloc = input.capacity();
    let mut qbuf_peak = 0usize;
    // One timer for the connection's life, reset only when it fires: a
    // timer per batch would cost every request a timer-wheel update.
    let qbuf_check = tokio::time::sleep(std::time::Duration::from_millis(QBUF_CHECK_MS));
    tokio::pin!(qbuf_check);
    let mut qbuf_armed = true;
    let cancel = handle.cancel.clone();
    // One cancellation future for the connection's life: making a new one
    // per read would register and drop a waiter on every batch.
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let limit = srv.settings.output_limit(session.pubsub());
        // Only a connection that may be sent messages waits for them.
        let listening = handle.mail.is_on();
        let may_read = out.pending() < Outbox::read_cap(limit);
        let flushing = out.pending() > 0;
        // The moment the soft limit would close the client if nothing
        // moves: checked then even if the client sends nothing more.
        let soft_at = out.soft_deadline(limit).map(|ms| {
            let wait = ms.saturating_sub(srv.clock.now_ms());
            tokio::time::Instant::now() + std::time::Duration::from_millis(wait)
        });
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
        } else if let Some(deadline) = session.awaiting_acks() {
            // Waiting for replicas: woken by each acknowledgement, reading
            // on so a client that leaves is noticed.
            let acked = srv.repl.acked.notified();
            tokio::pin!(acked);
            acked.as_mut().enable();
            // The stream grows when the write waited for reaches it.
            let grew = srv.feed.grew.notified();
            tokio::pin!(grew);
            grew.as_mut().enable();
            let mut scratch = Vec::new();
            let ready = session.process(&[], &mut scratch);
            out.buf.extend_from_slice(&scratch);
            if ready == 0 && session.awaiting_acks().is_some() {
                let wait_ms = deadline.saturating_sub(srv.clock.now_ms());
                let at = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
                tokio::select! {
                    biased;
                    _ = &mut cancelled => break,
                    _ = &mut acked => {}
                    _ = &mut grew => {}
                    _ = tokio::time::sleep_until(at), if deadline != 0 => {}
                    r = read_some(&stream, &mut input), if may_read => match r {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            handle.counters.bump(Counter::NetIn, n as u64);
                            if input.len() > session.max_pending() {
                                query_limit_reached(&srv, &handle);
                                break;
                            }
                        }
                    },
                };
            }
        } else if let Some((waiter, deadline)) = session.parked() {
            // Parked: wait for a wake-up or the deadline, reading on so a
            // client that leaves is noticed (and its registration dropped
            // with the session) and what it pipelines stays buffered.
            let wait_ms = deadline.saturating_sub(srv.clock.now_ms());
            let at = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
            if input.capacity() != 0 && input.capacity() - input.len() < READ_CHUNK / 2 {
                input.reserve(READ_CHUNK);
            }
            let timed_out = tokio::select! {
                biased;
                _ = &mut cancelled => break,
                _ = waiter.notified() => false,
                _ = tokio::time::sleep_until(at), if deadline != 0 => true,
                _ = mail(&handle.mail), if listening => {
                    handle.mail.take_into(&mut out.buf);
                    if limit != OutputLimit::default() && out.over_limit(limit, srv.clock.now_ms()) {
                        output_limit_reached(&srv, &handle, out.pending());
                        break;
                    }
                    if !out.flush(&stream, &handle) {
                        break;
                    }
                    continue;
                }
                r = stream.writable(), if flushing => {
                    if r.is_err() || !out.flush(&stream, &handle) {
                        break;
                    }
                    continue;
                }
                r = read_some(&stream, &mut input), if may_read => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        handle.counters.bump(Counter::NetIn, n as u64);
                        handle.counters.bump(Counter::Reads, 1);
                        if input.len() > session.max_pending() {
                            query_limit_reached(&srv, &handle);
                            break;
                        }
                        continue;
                    }
                },
            };
            session.wake(timed_out);
        } else if !(session.has_more() && may_read) {
            // Grow towards what a pending large value needs, doubling at
            // most, so a value arriving in pieces is copied O(1) times on average.
            let want = session.needed().saturating_sub(input.len());
            let room = want.clamp(READ_CHUNK, input.capacity().max(READ_CHUNK));
            if may_read && (input.capacity() != 0 || want != 0) && input.capacity() - input.len() < room / 2 {
                input.reserve(room);
                qbuf_alloc = qbuf_alloc.max(input.capacity());
            }
            let n = tokio::select! {
                biased;
                r = read_some(&stream, &mut input), if may_read => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                },
                r = stream.writable(), if flushing => {
                    if r.is_err() || !out.flush(&stream, &handle) {
                        break;
                    }
                    handle.last_active.store(srv.clock.now_ms(), Ordering::Relaxed);
                    continue;
                }
                // An async block, so no timer is made while there is no
                // soft deadline (a disabled branch's future is still built).
                _ = async { if let Some(at) = soft_at { tokio::time::sleep_until(at).await } }, if soft_at.is_some() => {
                    if out.over_limit(limit, srv.clock.now_ms()) {
                        output_limit_reached(&srv, &handle, out.pending());
                        break;
                    }
                    continue;
                }
                _ = &mut qbuf_check, if qbuf_armed => {
                    let now = srv.clock.now_ms();
                    let idle = now.saturating_sub(handle.last_active.load(Ordering::Relaxed));
                    if input.is_empty() && idle >= QBUF_IDLE_MS {
                        input = BytesMut::new();
                        qbuf_alloc = 0;
                        qbuf_armed = false;
                    } else {
                        if input.is_empty() && qbuf_alloc > TRIM_ABOVE && qbuf_peak < qbuf_alloc / 2 {
                            input = BytesMut::with_capacity(qbuf_peak.max(READ_CHUNK));
                            qbuf_alloc = input.capacity();
                        }
                        qbuf_peak = input.len();
                        let mut next = QBUF_IDLE_MS.saturating_sub(idle).max(1);
                        if qbuf_alloc > TRIM_ABOVE {
                            next = next.min(QBUF_CHECK_MS);
                        }
                        qbuf_check
                            .as_mut()
                            .reset(tokio::time::Instant::now() + std::time::Duration::from_millis(next));
                    }
                    publish_buffers(&handle, &input, &session, &out);
                    continue;
                }
                line = monitor_line(session.monitor()) => {
                    out.buf.extend_from_slice(&line);
                    run = false;
                    0
                }
                _ = mail(&handle.mail), if listening => {
                    // Lets the batches running beside this one add their
                    // messages first: one write carries them all.
                    tokio::task::yield_now().await;
                    run = false;
                    0
                }
                _ = &mut cancelled => break,
            };
            if n > 0 {
                handle.counters.bump(Counter::NetIn, n as u64);
                handle.counters.bump(Counter::Reads, 1);
                qbuf_alloc = qbuf_alloc.max(input.capacity());
                qbuf_peak = qbuf_peak.max(input.len());
                if !qbuf_armed {
                    qbuf_armed = true;
                    qbuf_check
                        .as_mut()
                        .reset(tokio::time::Instant::now() + std::time::Duration::from_millis(QBUF_CHECK_MS));
                }
            }
        }
        // Checked after every read, before anything is executed: a client
        // killed (or a server shut down) while its next request arrived must
        // not be served, and a busy connection, whose read is ready at once,
        // never polls the cancellation future above.
        if handle.is_killed() || srv.stopping() {
            break;
        }
        out.compact();
        // What the batch's commands see of their own connection (CLIENT
        // INFO): the requests being run are still in the query buffer, as
        // in Redis.
        handle
            .buffers
            .publish_query(input.len(), input.capacity() - input.len());
        if run {
            // Messages that arrived before these requests go before their
            // replies, as Redis has them in the output buffer already; a
            // client woken from a blocking command gets that command's
            // reply first, which was made before them.
            if handle.mail.is_on() && session.parked().is_none() {
                handle.mail.take_into(&mut out.buf);
            }
            let used = session.process(&input, &mut out.buf);
            input.advance(used);
            if used == 0 && !input.is_empty() {
                // Any read is interaction (Redis's lastinteraction): a client
                // sending a large value slowly is not idle for `timeout`. (A
                // batch that ran commands has recorded its time already.)
                handle.last_active.store(srv.clock.now_ms(), Ordering::Relaxed);
            }
        }
        if let Some(feed) = session.monitor() {
            feed.drain_into(&mut out.buf);
        }
        // Messages published while the batch ran follow its replies.
        if handle.mail.is_on() {
            handle.mail.take_into(&mut out.buf);
        }
        // Before writing, as Redis checks as replies are added: a batch
        // whose replies break the limit closes the client with none of
        // them sent, and the batch's writes have all been applied.
        if limit != OutputLimit::default() && out.over_limit(limit, srv.clock.now_ms()) {
            output_limit_reached(&srv, &handle, out.pending());
            break;
        }
        if !out.flush(&stream, &handle) {
            break;
        }
        if let Some(hello) = session.becomes_replica() {
            // Replies before SYNC go first; then the link takes over.
            while out.pending() > 0 {
                if stream.writable().await.is_err() || !out.flush(&stream, &handle) {
                    break;
                }
            }
            let rest = input.split().to_vec();
            super::primary::serve(srv.clone(), handle.clone(), stream, rest, hello).await;
            srv.clients.unregister(handle.id);
            drop(session);
            return;
        }
        if session.closing() {
            // Gone for everyone from now: a client redirecting its
            // invalidations here must find its redirect broken.
            handle.closing();
            // The replies of this batch (QUIT's +OK, a protocol error) go
            // out before the connection closes.
            while out.pending() > 0 {
                let alive = tokio::select! {
                    biased;
                    r = stream.writable() => r.is_ok() && out.flush(&stream, &handle),
                    _ = &mut cancelled => false,
                };
                if !alive {
                    break;
                }
            }
            break;
        }
        if input.len() > session.max_pending() {
            query_limit_reached(&srv, &handle);
            break;
        }
        if input.is_empty() && qbuf_alloc > KEEP_MAX {
            input = BytesMut::with_capacity(READ_CHUNK);
            qbuf_alloc = input.capacity();
        } else if input.is_empty() && input.capacity() < qbuf_alloc {
            // Takes back the room the consumed requests left at the front,
            // without allocating: the next read has it, and CLIENT LIST's
            // qbuf-free shows the buffer's true size.
            let _ = input.try_reclaim(qbuf_alloc);
        }
        publish_buffers(&handle, &input, &session, &out);
    }
    srv.clients.unregister(handle.id);
    // The session leaves its subscriptions, tracking and blocked-client
    // registrations now, not after the socket's shutdown.
    drop(session);
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(hard: u64, soft: u64, soft_secs: u64) -> OutputLimit {
        OutputLimit { hard, soft, soft_secs }
    }

    fn outbox(pending: usize) -> Outbox {
        Outbox {
            buf: vec![0; pending],
            ..Outbox::default()
        }
    }

    #[test]
    fn hard_limit_closes_at_once() {
        let mut o = outbox(1000);
        assert!(!o.over_limit(limit(1001, 0, 0), 0));
        assert!(o.over_limit(limit(1000, 0, 0), 0));
        assert!(!o.over_limit(limit(0, 0, 0), 0), "0 is no limit");
    }

    #[test]
    fn soft_limit_closes_only_when_held_past_its_seconds() {
        let l = limit(0, 1000, 2);
        let mut o = outbox(1000);
        assert!(!o.over_limit(l, 10_000), "first seen");
        assert_eq!(o.soft_deadline(l), Some(13_000));
        assert!(!o.over_limit(l, 12_999));
        assert!(o.over_limit(l, 13_000));
        // Falling under the soft limit starts the count again.
        let mut o = outbox(1000);
        assert!(!o.over_limit(l, 10_000));
        o.sent = 1;
        assert!(!o.over_limit(l, 20_000));
        assert_eq!(o.soft_since, None);
    }

    #[test]
    fn unlimited_clients_stop_reading_at_the_output_budget() {
        assert_eq!(Outbox::read_cap(limit(0, 0, 0)), OUT_BUDGET);
        assert_eq!(Outbox::read_cap(limit(0, 5000, 10)), 5000);
        assert_eq!(Outbox::read_cap(limit(1 << 20, 5000, 10)), usize::MAX);
    }

    #[test]
    fn compact_keeps_the_unsent_bytes_in_order() {
        let mut o = Outbox {
            buf: b"abcdef".to_vec(),
            sent: 2,
            soft_since: None,
        };
        o.compact();
        assert_eq!(o.buf, b"cdef");
        assert_eq!(o.pending(), 4);
    }
}
