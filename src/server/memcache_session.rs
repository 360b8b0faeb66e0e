//! The memcached side of a connection: parse each complete text request
//! in the batch, hand it to the memcached verbs of the command layer
//! ([`crate::command::memcache`]), which run it and write its reply, then
//! give the batch's counters and last-active time to the client's handle.

use super::connection::Session;
use crate::command::memcache::Batch;
use crate::protocol::memcache::{Parsed, Parser, MAX_GET_LINE, MAX_LINE};
use crate::state::{Client, Counter, Server};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct MemcacheSession {
    srv: Arc<Server>,
    client: Client,
    parser: Parser,
    /// The batch's time, write policy and counters.
    batch: Batch,
}

impl MemcacheSession {
    pub fn new(srv: Arc<Server>, client: Client) -> MemcacheSession {
        srv.stats.mc_total_connections.fetch_add(1, Ordering::Relaxed);
        let parser = Parser::new(srv.config.max_item_size as usize);
        MemcacheSession {
            srv,
            client,
            parser,
            batch: Batch::new(),
        }
    }
}

impl Session for MemcacheSession {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let now = self.srv.clock.now_ms();
        self.batch.start(&self.srv, now);
        let out_start = out.len();
        let mut pos = 0;
        let mut commands = 0;
        while pos < input.len() && !self.client.close {
            match self.parser.parse(&input[pos..]) {
                Parsed::Request(req, n) => {
                    self.batch.execute(&self.srv, &mut self.client, req, out);
                    self.srv.blocking.wake_ready(self.srv.store.ready_keys());
                    commands += 1;
                    pos += n;
                }
                Parsed::Skip(n) => pos += n,
                Parsed::Incomplete => break,
                Parsed::Close => {
                    tracing::debug!(client = self.client.id, "memcached line too long; closing");
                    self.client.close = true;
                    pos = input.len();
                }
            }
        }
        let counters = &self.client.handle.counters;
        self.batch.finish(counters);
        counters.bump(Counter::Commands, commands);
        counters.bump(Counter::McBytesRead, pos as u64);
        counters.bump(Counter::McBytesWritten, (out.len() - out_start) as u64);
        if commands > 0 {
            self.client.handle.last_active.store(now, Ordering::Relaxed);
        }
        pos
    }

    fn closing(&self) -> bool {
        self.client.close
    }

    fn needed(&self) -> usize {
        self.parser.needed()
    }

    /// The parser closes on over-long lines itself; this bounds what a
    /// pending data block or multi-get line may hold.
    fn max_pending(&self) -> usize {
        (self.srv.config.max_item_size as usize + 2 + MAX_LINE).max(MAX_GET_LINE)
    }
}
