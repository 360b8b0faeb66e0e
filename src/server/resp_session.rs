//! The RESP side of a connection: decode, execute, encode.

use super::blocked::serve_ready;
use super::connection::{Session, OUT_BUDGET};
use crate::command::{self, errors, CommandSpec, Ctx};
use crate::protocol::resp::{Decoded, Reply, RespDecoder};
use crate::state::{BlockOn, Client, Counter, Job, Leave, MonitorFeed, ReplyMode, Server, Unblock, Waiter};
use crate::util::sync::lock;
use std::sync::Arc;

/// A client parked by a blocking command: what it waits for, and its
/// place in the server's registry (which holds the command to run again).
struct Parked {
    deadline: u64,
    waiter: Arc<Waiter>,
    /// Set when the wait may have ended: whether by the deadline.
    woke: Option<bool>,
}

pub(crate) struct RespSession {
    srv: Arc<Server>,
    client: Client,
    decoder: RespDecoder,
    /// An empty vector kept for its allocation, reused for each request's arguments.
    spare: Vec<&'static [u8]>,
    /// The last batch stopped at the output budget with requests left.
    more: bool,
    parked: Option<Parked>,
}

impl RespSession {
    pub(crate) fn new(srv: Arc<Server>, mut client: Client) -> RespSession {
        let decoder = RespDecoder::new(srv.settings.proto_max_bulk_len());
        // As in Redis, a client that connects while no password is set
        // stays logged in if one is set later.
        client.authenticated = !srv.acl.auth_required();
        RespSession {
            srv,
            client,
            decoder,
            spare: Vec::new(),
            more: false,
            parked: None,
        }
    }

    /// Runs one request and applies CLIENT REPLY to its reply; then serves
    /// the clients blocked on keys it made ready, before anything else runs
    /// on this connection.
    /// (A function of the parts it needs, so the decoder that lent the
    /// arguments can stay borrowed.)
    fn run(
        srv: &Server,
        client: &mut Client,
        argv: &[&[u8]],
        now: u64,
        out: &mut Vec<u8>,
    ) -> Option<&'static CommandSpec> {
        let mark = out.len();
        let resp3 = client.resp3;
        let mut ctx = Ctx {
            srv,
            client,
            out: Reply::new(out, resp3),
            now,
        };
        // As this client, for NOLOOP: its own writes are not told to it.
        let spec = command::tracking::as_client(ctx.client.id, || command::execute(&mut ctx, argv));
        if client.paused_until.is_some() {
            // Not run: no reply, and CLIENT REPLY SKIP still waits for it.
            return None;
        }
        apply_reply_mode(client, out, mark);
        serve_ready(srv, now);
        spec
    }

    /// Parks the client after `argv` asked to block on `on`.
    fn park(srv: &Server, client: &Client, parked: &mut Option<Parked>, on: BlockOn, argv: &[&[u8]], now: u64) {
        let job = Job {
            handle: client.handle.clone(),
            db: on.db,
            resp3: client.resp3,
            argv: argv.iter().map(|a| Box::from(*a)).collect(),
            keys: on.keys,
        };
        let ready = srv.store.ready_keys();
        let waiter = srv.blocking.register(ready, job);
        // The keys may have become ready between the command's look and
        // the registration, with no one there to record it: look once more.
        for k in &waiter.job.keys {
            ready.signal(waiter.job.db, k);
        }
        serve_ready(srv, now);
        *parked = Some(Parked {
            deadline: on.deadline,
            waiter,
            woke: Some(false),
        });
    }

    fn unpark(&mut self, p: Parked) {
        self.srv.blocking.unregister(self.srv.store.ready_keys(), &p.waiter);
    }

    /// Writes the parked client's reply if its wait ended; true when the
    /// client is no longer parked.
    fn resume(&mut self, now: u64, out: &mut Vec<u8>) -> bool {
        let Some(mut p) = self.parked.take() else { return true };
        let Some(timed_out) = p.woke.take() else {
            self.parked = Some(p);
            return false;
        };
        let unblock = p.waiter.unblocked();
        let mut served = p.waiter.take_served();
        if !timed_out && unblock.is_none() && served.is_none() {
            // Notified for nothing yet (its reply is delivered with a
            // notification of its own).
            self.parked = Some(p);
            return false;
        }
        let leave = match served {
            Some(_) => Leave::Served,
            None => p.waiter.leave(),
        };
        match leave {
            Leave::Busy => {
                // A worker runs the command for it now; its notification follows.
                self.parked = Some(p);
                return false;
            }
            Leave::Served => {
                let mark = out.len();
                let reply = served.take().or_else(|| p.waiter.take_served()).unwrap_or_default();
                out.extend_from_slice(&reply);
                apply_reply_mode(&mut self.client, out, mark);
            }
            Leave::Left if unblock == Some(Unblock::Error) => {
                self.srv.stats.error_reply(errors::UNBLOCKED.as_bytes());
                Reply::new(out, self.client.resp3).error(errors::UNBLOCKED);
            }
            Leave::Left => {
                // The deadline passed (or CLIENT UNBLOCK said so): the
                // command runs once more and gives its timeout reply.
                let argv: Vec<&[u8]> = p.waiter.job.argv.iter().map(|a| &**a).collect();
                self.client.timed_out = true;
                self.client.resumed = true;
                Self::run(&self.srv, &mut self.client, &argv, now, out);
                self.client.timed_out = false;
                self.client.resumed = false;
                if self.client.block.take().is_some() {
                    // A handler that blocks again after its deadline would
                    // park the client forever: answer for it.
                    Reply::new(out, self.client.resp3).null_array();
                }
            }
        }
        self.unpark(p);
        true
    }
}

/// CLIENT REPLY: drops the reply written from `mark` on when replies are
/// off or this one is skipped.
fn apply_reply_mode(client: &mut Client, out: &mut Vec<u8>, mark: usize) {
    // Pushes (subscribe confirmations) go out whatever the mode; SKIP
    // still counts the command.
    let pushed = std::mem::take(&mut client.pushing);
    match client.reply {
        ReplyMode::On => {}
        ReplyMode::Off | ReplyMode::SkipThis if pushed => {
            if client.reply == ReplyMode::SkipThis {
                client.reply = ReplyMode::On;
            }
        }
        ReplyMode::Off => out.truncate(mark),
        ReplyMode::SkipThis => {
            out.truncate(mark);
            client.reply = ReplyMode::On;
        }
        ReplyMode::Skip => client.reply = ReplyMode::SkipThis,
    }
}

impl Drop for RespSession {
    /// A client that disconnects leaves the blocked-client registry, the
    /// monitors and its subscriptions.
    fn drop(&mut self) {
        if let Some(p) = self.parked.take() {
            self.unpark(p);
        }
        if self.client.monitor.is_some() {
            self.srv.monitors.remove(self.client.id);
        }
        let handle = self.client.handle.clone();
        self.client.subs.leave_all(&self.srv.pubsub, &handle);
        command::tracking::disable(&self.srv, &mut self.client);
    }
}

/// Gives an emptied vector's allocation a new element lifetime. The
/// in-place `collect` keeps the buffer, since the element layout is the same.
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

impl RespSession {
    /// [`Session::process`]'s work, run with the wakes of the mailboxes it
    /// fills held to its end.
    fn process_batch(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        // A handle of its own, so the session can be borrowed whole by `run`.
        let srv = self.srv.clone();
        let srv = &*srv;
        let now = srv.clock.now_ms();
        // CONFIG SET proto-max-bulk-len reaches open connections too.
        self.decoder.set_max_bulk(srv.settings.proto_max_bulk_len());
        if !self.resume(now, out) {
            return 0;
        }
        // A reply waiting for replicas (WAIT, sync-replicas) goes before
        // the next request runs.
        if let Some(mut w) = self.client.ack_wait.take() {
            if !command::replication::ack_wait_reply(srv, &mut w, now, self.client.resp3, out) {
                self.client.ack_wait = Some(w);
                return 0;
            }
        }
        let mut spare = std::mem::take(&mut self.spare);
        let out_start = out.len();
        let mut pos = 0;
        let mut commands = 0u64;
        let mut last = None;
        self.more = false;
        while pos < input.len()
            && !self.client.close
            && self.client.replica.sync.is_none()
            && self.client.ack_wait.is_none()
        {
            if out.len() - out_start >= OUT_BUDGET {
                self.more = true;
                break;
            }
            // Per request: an AUTH earlier in the batch lifts the limits.
            self.decoder
                .set_unauthenticated(!self.client.authenticated && srv.acl.auth_required());
            match self.decoder.decode(&input[pos..]) {
                Ok(Decoded::Request(n)) => {
                    let mut argv = recycle(std::mem::take(&mut spare));
                    self.decoder.args(&input[pos..], &mut argv);
                    let ran = Self::run(srv, &mut self.client, &argv, now, out);
                    if self.client.paused_until.is_some() {
                        // Held back by CLIENT PAUSE: the request stays in
                        // the input and runs again when the pause ends.
                        spare = recycle(argv);
                        break;
                    }
                    last = ran.or(last);
                    if let Some(on) = self.client.block.take() {
                        Self::park(srv, &self.client, &mut self.parked, on, &argv, now);
                    }
                    spare = recycle(argv);
                    commands += 1;
                    pos += n;
                    if self.parked.is_some() && !self.resume(now, out) {
                        break;
                    }
                }
                Ok(Decoded::Skip(n)) => pos += n,
                Ok(Decoded::Incomplete) => break,
                Err(e) => {
                    srv.stats.error_reply(e.0.as_bytes());
                    Reply::new(out, self.client.resp3).error(&e.0);
                    tracing::debug!(client = self.client.id, "protocol error: {}", e.0);
                    self.client.close = true;
                    pos = input.len();
                }
            }
        }
        self.spare = spare;
        if srv.tracking.active() {
            command::tracking::broadcast(srv);
        }
        self.client.handle.counters.bump(Counter::Commands, commands);
        if let Some(spec) = last {
            *lock(&self.client.handle.last_cmd) = spec.name;
            self.client
                .handle
                .last_active
                .store(now, std::sync::atomic::Ordering::Relaxed);
        }
        pos
    }
}

impl Session for RespSession {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        crate::state::pubsub::batch(|| self.process_batch(input, out))
    }

    fn closing(&self) -> bool {
        self.client.close
    }

    fn needed(&self) -> usize {
        self.decoder.needed()
    }

    fn max_pending(&self) -> usize {
        self.srv.settings.client_query_buffer_limit()
    }

    fn has_more(&self) -> bool {
        self.more
    }

    fn parked(&self) -> Option<(Arc<Waiter>, u64)> {
        self.parked.as_ref().map(|p| (p.waiter.clone(), p.deadline))
    }

    fn paused(&self) -> Option<u64> {
        self.client.paused_until
    }

    fn unpause(&mut self) {
        self.client.paused_until = None;
    }

    fn monitor(&mut self) -> Option<&mut MonitorFeed> {
        self.client.monitor.as_mut()
    }

    fn pubsub(&self) -> bool {
        self.client.subs.total() != 0
    }

    fn awaiting_acks(&self) -> Option<u64> {
        self.client.ack_wait.as_ref().map(|w| w.deadline)
    }

    fn becomes_replica(&self) -> Option<crate::state::replication::ReplicaHello> {
        self.client.replica.sync.as_ref().map(|_| self.client.replica.clone())
    }

    fn wake(&mut self, timed_out: bool) {
        if let Some(p) = &mut self.parked {
            p.woke = Some(timed_out);
        }
    }

    fn argv_mem(&self) -> usize {
        self.parked
            .as_ref()
            .map_or(0, |p| p.waiter.job.argv.iter().map(|a| a.len()).sum())
    }
}
