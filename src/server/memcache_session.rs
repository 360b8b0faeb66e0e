//! The memcached side of a connection.

use super::connection::Session;
use super::{Client, Server};
use std::sync::Arc;

pub struct MemcacheSession {
    srv: Arc<Server>,
    client: Client,
}

impl MemcacheSession {
    pub fn new(srv: Arc<Server>, client: Client) -> MemcacheSession {
        MemcacheSession { srv, client }
    }
}

impl Session for MemcacheSession {
    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let _ = &self.srv;
        match memchr::memchr(b'\n', input) {
            Some(i) => {
                out.extend_from_slice(b"ERROR\r\n");
                i + 1
            }
            None => 0,
        }
    }

    fn closing(&self) -> bool {
        self.client.close
    }

    fn needed(&self) -> usize {
        0
    }

    fn max_pending(&self) -> usize {
        64 * 1024
    }
}
