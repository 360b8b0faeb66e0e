//! The Lua thread: where scripts, functions and the transactions that
//! hold them run.
//!
//! A command that runs Lua code (flagged [`crate::command::flags::RUNS_LUA`],
//! or EXEC with such a command queued) is not run on the connection's
//! worker: [`crate::command::execute`] marks the client, and the session
//! hands the client and the request to this thread, parks until the reply
//! comes back, and then goes on with the rest of its input.
//!
//! The reason is the busy script. A worker serves many connections; a
//! script that loops for seconds on it would hold every one of them, so
//! neither -BUSY nor SCRIPT KILL could reach a client that happens to share
//! the script's worker. Here the workers stay free to answer them. The
//! other way, running scripts inline and handing a worker's connections to
//! another thread when one runs long, needs a work-stealing runtime and a
//! hand-off on every script; this costs one hand-off per script instead,
//! and scripts run one at a time anyway (each is one atomic scope), as in
//! Redis.

use super::{Client, Server, Waiter};
use crate::command::{self, Ctx};
use crate::protocol::resp::Reply;
use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often an idle Lua thread looks whether the server is shutting down.
const IDLE_CHECK: Duration = Duration::from_millis(200);

thread_local! {
    static ON_LUA_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// True on the Lua thread: commands that run Lua run here, inline.
pub fn on_lua_thread() -> bool {
    ON_LUA_THREAD.with(|c| c.get())
}

/// The sending end of the Lua thread's queue.
#[derive(Debug)]
pub struct LuaThread {
    jobs: Mutex<Sender<Arc<LuaJob>>>,
}

impl LuaThread {
    /// Starts the thread. It ends when the server shuts down.
    pub fn start(srv: Arc<Server>) -> std::io::Result<LuaThread> {
        let (tx, rx) = mpsc::channel::<Arc<LuaJob>>();
        std::thread::Builder::new().name("lua".into()).spawn(move || {
            ON_LUA_THREAD.with(|c| c.set(true));
            loop {
                match rx.recv_timeout(IDLE_CHECK) {
                    Ok(job) => {
                        // A bug that panics in a command costs its client
                        // the connection, as on a worker, not every later
                        // script the thread.
                        let run = std::panic::catch_unwind(AssertUnwindSafe(|| job.run(&srv)));
                        if run.is_err() {
                            *super::lock(&job.slot) = Slot::Failed;
                            job.waiter.notify();
                        }
                    }
                    Err(RecvTimeoutError::Timeout) if !srv.shutdown.is_cancelled() => {}
                    Err(_) => return,
                }
            }
        })?;
        Ok(LuaThread { jobs: Mutex::new(tx) })
    }

    /// Queues `argv` to run as `client`, which goes with it and leaves a
    /// stand-in behind; the job's waiter is notified when its reply is
    /// ready. None when the thread has ended (the server is shutting
    /// down): `client` is left as it was.
    pub fn submit(&self, client: &mut Client, argv: &[&[u8]]) -> Option<Arc<LuaJob>> {
        let stand_in = Client::new(client.handle.clone());
        let job = Arc::new(LuaJob {
            waiter: Arc::new(Waiter::standalone(client.id)),
            slot: Mutex::new(Slot::Queued {
                argv: argv.iter().map(|a| Box::from(*a)).collect(),
                client: std::mem::replace(client, stand_in),
            }),
        });
        let refused = match super::lock(&self.jobs).send(job.clone()) {
            Ok(()) => return Some(job),
            Err(mpsc::SendError(job)) => job,
        };
        let slot = std::mem::replace(&mut *super::lock(&refused.slot), Slot::Taken);
        if let Slot::Queued { client: owner, .. } = slot {
            *client = owner;
        }
        None
    }
}

/// One request handed to the Lua thread, and then its reply.
#[derive(Debug)]
pub struct LuaJob {
    pub waiter: Arc<Waiter>,
    slot: Mutex<Slot>,
}

#[derive(Debug)]
enum Slot {
    Queued {
        client: Client,
        argv: Vec<Box<[u8]>>,
    },
    Done {
        client: Client,
        out: Vec<u8>,
    },
    /// The command panicked; its client is gone.
    Failed,
    Taken,
}

/// A finished job: the client back and the reply; or nothing back, when
/// the command panicked.
pub enum Finished {
    Ran { client: Client, out: Vec<u8> },
    Failed,
}

impl LuaJob {
    fn run(&self, srv: &Server) {
        let (mut client, argv) = match std::mem::replace(&mut *super::lock(&self.slot), Slot::Taken) {
            Slot::Queued { client, argv } => (client, argv),
            _ => return,
        };
        let argv: Vec<&[u8]> = argv.iter().map(|a| &**a).collect();
        let mut out = Vec::new();
        let resp3 = client.resp3;
        let mut ctx = Ctx {
            srv,
            client: &mut client,
            out: Reply::new(&mut out, resp3),
            now: srv.clock.now_ms(),
        };
        command::execute(&mut ctx, &argv);
        // Clients blocked on keys the script filled wake now, not when
        // the caller's worker next gets to it.
        srv.blocking.wake_ready(srv.store.ready_keys());
        *super::lock(&self.slot) = Slot::Done { client, out };
        self.waiter.notify();
    }

    /// The reply, once the job has run.
    pub fn finished(&self) -> Option<Finished> {
        let mut slot = super::lock(&self.slot);
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done { client, out } => Some(Finished::Ran { client, out }),
            Slot::Failed => Some(Finished::Failed),
            other => {
                *slot = other;
                None
            }
        }
    }
}
