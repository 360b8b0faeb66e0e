//! The RESP side of a connection: decode, execute, encode.

use super::connection::{Session, OUT_BUDGET};
use super::{Client, Counter, ReplyMode, Server};
use crate::command::{self, Ctx};
use crate::protocol::resp::{Decoded, Reply, RespDecoder};
use std::sync::Arc;

pub struct RespSession {
    srv: Arc<Server>,
    client: Client,
    decoder: RespDecoder,
    /// An empty vector kept for its allocation, reused for each request's arguments.
    spare: Vec<&'static [u8]>,
    /// The last batch stopped at the output budget with requests left.
    more: bool,
}

impl RespSession {
    pub fn new(srv: Arc<Server>, client: Client) -> RespSession {
        let decoder = RespDecoder::new(srv.settings.proto_max_bulk_len());
        RespSession {
            srv,
            client,
            decoder,
            spare: Vec::new(),
            more: false,
        }
    }
}

/// Gives an emptied vector's allocation a new element lifetime. The
/// in-place `collect` keeps the buffer, since the element layout is the same.
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

impl Session for RespSession {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let srv = &*self.srv;
        let now = srv.clock.now_ms();
        // CONFIG SET proto-max-bulk-len reaches open connections too.
        self.decoder.set_max_bulk(srv.settings.proto_max_bulk_len());
        let mut spare = std::mem::take(&mut self.spare);
        let mut pos = 0;
        let mut commands = 0u64;
        let mut last = None;
        self.more = false;
        while pos < input.len() && !self.client.close {
            if out.len() >= OUT_BUDGET {
                self.more = true;
                break;
            }
            match self.decoder.decode(&input[pos..]) {
                Ok(Decoded::Request(n)) => {
                    let mut argv = recycle(std::mem::take(&mut spare));
                    self.decoder.args(&input[pos..], &mut argv);
                    let mark = out.len();
                    let resp3 = self.client.resp3;
                    let mut ctx = Ctx {
                        srv,
                        client: &mut self.client,
                        out: Reply::new(out, resp3),
                        now,
                    };
                    last = command::execute(&mut ctx, &argv).or(last);
                    spare = recycle(argv);
                    match self.client.reply {
                        ReplyMode::On => {}
                        ReplyMode::Off => out.truncate(mark),
                        ReplyMode::SkipThis => {
                            out.truncate(mark);
                            self.client.reply = ReplyMode::On;
                        }
                        ReplyMode::Skip => self.client.reply = ReplyMode::SkipThis,
                    }
                    commands += 1;
                    pos += n;
                }
                Ok(Decoded::Skip(n)) => pos += n,
                Ok(Decoded::Incomplete) => break,
                Err(e) => {
                    srv.stats.error_reply();
                    Reply::new(out, self.client.resp3).error(&e.0);
                    tracing::debug!(client = self.client.id, "protocol error: {}", e.0);
                    self.client.close = true;
                    pos = input.len();
                }
            }
        }
        self.spare = spare;
        self.client.handle.counters.bump(Counter::Commands, commands);
        if let Some(spec) = last {
            *super::lock(&self.client.handle.last_cmd) = spec.name;
            self.client
                .handle
                .last_active
                .store(now, std::sync::atomic::Ordering::Relaxed);
        }
        pos
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
}
