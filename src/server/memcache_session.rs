//! The memcached side of a connection: parse each complete text request
//! in the batch, hand it to the memcached verbs of the command layer
//! ([`crate::command::memcache`]), which run it and write its reply, then
//! give the batch's counters and last-active time to the client's handle.
//!
//! Like the RESP session, a batch stops decoding once its replies reach
//! [`OUT_BUDGET`] with input left ([`Session::has_more`]): a few short
//! `get`s of large values would otherwise make one pass encode without
//! bound before anything is written.

use super::connection::{Session, OUT_BUDGET};
use crate::command::memcache::Batch;
use crate::protocol::memcache::{Parsed, Parser, MAX_GET_LINE, MAX_LINE};
use crate::state::{Client, Counter, Server};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub(crate) struct MemcacheSession {
    srv: Arc<Server>,
    client: Client,
    parser: Parser,
    /// The batch's time, write policy and counters.
    batch: Batch,
    /// The last batch stopped at the output budget with input left.
    more: bool,
}

impl MemcacheSession {
    pub(crate) fn new(srv: Arc<Server>, client: Client) -> MemcacheSession {
        srv.stats.mc_total_connections.fetch_add(1, Ordering::Relaxed);
        let parser = Parser::new(srv.settings.max_item_size());
        MemcacheSession {
            srv,
            client,
            parser,
            batch: Batch::new(),
            more: false,
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
        self.more = false;
        while pos < input.len() && !self.client.close {
            if out.len() - out_start >= OUT_BUDGET {
                self.more = true;
                break;
            }
            match self.parser.parse(&input[pos..]) {
                Parsed::Request(req, n) => {
                    self.batch.execute(&self.srv, &mut self.client, req, out);
                    super::blocked::serve_ready(&self.srv, now);
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
        (self.srv.settings.max_item_size() + 2 + MAX_LINE).max(MAX_GET_LINE)
    }

    fn has_more(&self) -> bool {
        self.more
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Proto;

    fn session() -> MemcacheSession {
        let srv = Arc::new(Server::new(crate::config::Config::default()));
        let addr = "127.0.0.1:1".parse().expect("literal address");
        let handle = srv
            .clients
            .register(Proto::Memcache, addr, addr, srv.start_ms, &srv.shutdown);
        MemcacheSession::new(srv, Client::new(handle))
    }

    #[test]
    fn pipelined_gets_of_large_values_stop_at_the_output_budget_and_resume_in_order() {
        let mut s = session();
        // Four items of distinct bytes and flags, so that a reply out of
        // order or repeated would show.
        const LEN: usize = 100_000;
        let values: Vec<String> = (0..4u8).map(|i| char::from(b'a' + i).to_string().repeat(LEN)).collect();
        for (i, v) in values.iter().enumerate() {
            let set = format!("set k{i} {i} 0 {LEN}\r\n{v}\r\n");
            let mut out = Vec::new();
            assert_eq!(s.process(set.as_bytes(), &mut out), set.len());
            assert_eq!(out, b"STORED\r\n");
        }
        // A hundred short requests ask for about 10 MB of replies.
        let gets = 100;
        let input: String = (0..gets).map(|i| format!("get k{}\r\n", i % 4)).collect();
        let reply = |i: usize| format!("VALUE k{i} {i} {LEN}\r\n{}\r\nEND\r\n", values[i]);
        let unbounded: String = (0..gets).map(|i| reply(i % 4)).collect();
        let reply_len = reply(0).len();

        let mut out = Vec::new();
        let mut pos = s.process(input.as_bytes(), &mut out);
        assert!(s.has_more(), "stopped with requests left");
        assert!(pos < input.len(), "the rest of the input is left unconsumed");
        assert!(
            (OUT_BUDGET..OUT_BUDGET + reply_len).contains(&out.len()),
            "stopped at the first reply that reached the budget: {} bytes",
            out.len()
        );
        // As the connection loop does: write, then process the rest
        // without reading, until the session has no more.
        let mut written = out;
        let mut passes = 1;
        while s.has_more() {
            let mut out = Vec::new();
            pos += s.process(&input.as_bytes()[pos..], &mut out);
            assert!(out.len() < OUT_BUDGET + reply_len, "{} bytes in one pass", out.len());
            written.extend_from_slice(&out);
            passes += 1;
        }
        assert_eq!(pos, input.len());
        assert_eq!(passes, gets * reply_len / OUT_BUDGET + 1);
        assert!(
            written == unbounded.as_bytes(),
            "the replies of one unbounded pass, in order"
        );
    }
}
