//! MONITOR: the clients that receive every command others run, as one
//! status line each.
//!
//! A command's line is formatted once and shared by every monitor; each
//! monitor's connection takes lines from its own queue and writes them.
//! The check after every command is one relaxed load while no client
//! monitors.

use super::ClientHandle;
use crate::util::sync::lock;
use bytes::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Bytes of lines a monitor may leave unread before it is disconnected,
/// as a client over its output buffer limit is.
const MAX_PENDING: usize = 256 * 1024 * 1024;

/// A monitor's end of its queue, held by its connection.
#[derive(Debug)]
pub(crate) struct MonitorFeed {
    rx: mpsc::UnboundedReceiver<Bytes>,
    pending: Arc<AtomicUsize>,
}

impl MonitorFeed {
    /// Waits for the next line.
    pub(crate) async fn next(&mut self) -> Option<Bytes> {
        let line = self.rx.recv().await?;
        self.pending.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }

    /// Appends every line waiting to `out`.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<u8>) {
        while let Ok(line) = self.rx.try_recv() {
            self.pending.fetch_sub(line.len(), Ordering::Relaxed);
            out.extend_from_slice(&line);
        }
    }
}

#[derive(Debug)]
struct Monitor {
    handle: Arc<ClientHandle>,
    tx: mpsc::UnboundedSender<Bytes>,
    pending: Arc<AtomicUsize>,
}

#[derive(Debug, Default)]
pub(crate) struct Monitors {
    count: AtomicUsize,
    list: Mutex<Vec<Monitor>>,
}

impl Monitors {
    /// True when some client monitors.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Makes `handle`'s client a monitor; its connection reads the feed.
    pub(crate) fn add(&self, handle: Arc<ClientHandle>) -> MonitorFeed {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let mut list = lock(&self.list);
        list.push(Monitor {
            handle,
            tx,
            pending: pending.clone(),
        });
        self.count.store(list.len(), Ordering::Relaxed);
        MonitorFeed { rx, pending }
    }

    /// The client `id` no longer monitors (it closed, or RESET).
    pub(crate) fn remove(&self, id: u64) {
        let mut list = lock(&self.list);
        list.retain(|m| m.handle.id != id);
        self.count.store(list.len(), Ordering::Relaxed);
    }

    /// Sends a line to every monitor; one that let too much pile up unread
    /// is disconnected.
    pub(crate) fn feed(&self, line: Bytes) {
        let mut list = lock(&self.list);
        list.retain(|m| {
            let queued = m.pending.fetch_add(line.len(), Ordering::Relaxed) + line.len();
            if queued > MAX_PENDING || m.tx.send(line.clone()).is_err() {
                if queued > MAX_PENDING {
                    tracing::warn!(client = m.handle.id, "closing monitor client that stopped reading");
                }
                m.handle.kill();
                return false;
            }
            true
        });
        self.count.store(list.len(), Ordering::Relaxed);
    }
}
