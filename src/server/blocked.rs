//! Serving blocked clients: after a command made keys ready, the session
//! that ran it runs the parked commands waiting on them, in the order
//! their clients blocked, before its own client's next command (see
//! [`crate::state::Blocking`]).

use crate::command::{self, Ctx};
use crate::protocol::resp::Reply;
use crate::state::{Client, Server, Waiter};

/// Serves the waiters of every key made ready since the last call, and of
/// the keys their commands make ready in turn (a BLMOVE's destination).
/// Cheap when nobody waits: one relaxed load in `ReadyKeys::take`.
pub(crate) fn serve_ready(srv: &Server, now: u64) {
    let ready = srv.store.ready_keys();
    loop {
        let keys = ready.take();
        if keys.is_empty() {
            return;
        }
        for (db, key) in keys {
            for w in srv.blocking.queue(db, &key) {
                if !w.claim() {
                    // Its session took it back, or another worker serves it.
                    continue;
                }
                match run_for(srv, &w, now) {
                    Some(reply) => {
                        srv.blocking.unregister(ready, &w);
                        w.deliver(reply);
                    }
                    None => {
                        w.release();
                        // Drained or gone: no one after it can be served.
                        if !srv.store.with_slot(db, &key, now, |s| s.peek().is_some()) {
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Runs `w`'s command as its client; its reply, or None when it found
/// nothing and would block again.
fn run_for(srv: &Server, w: &Waiter, now: u64) -> Option<Vec<u8>> {
    let job = &w.job;
    let mut client = Client::new(job.handle.clone());
    client.db = job.db;
    client.resp3 = job.resp3;
    client.resumed = true;
    let argv: Vec<&[u8]> = job.argv.iter().map(|a| &**a).collect();
    let mut out = Vec::new();
    let mut ctx = Ctx {
        srv,
        client: &mut client,
        out: Reply::new(&mut out, job.resp3),
        now,
    };
    command::execute(&mut ctx, &argv);
    match client.block.take() {
        Some(_) => None,
        None => Some(out),
    }
}
