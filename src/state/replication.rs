//! Where this server stands in replication: its role, the primary it
//! follows and the state of that link, and the replication ids and
//! offset INFO and ROLE show.
//!
//! REPLICAOF changes [`Replication::target`]; the link task in
//! `server::replica` watches it, connects, synchronises and applies the
//! primary's stream, and reports here what it is doing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use tokio::sync::watch;

/// The primary to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Primary {
    pub(crate) host: String,
    pub(crate) port: u16,
}

/// What a replica tells its primary before the stream starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplicaHello {
    /// REPLCONF listening-port.
    pub(crate) port: u16,
    /// REPLCONF ip-address.
    pub(crate) ip: Option<String>,
    /// REPLCONF capa eof: takes a snapshot of unknown size.
    pub(crate) eof: bool,
    /// SYNC or PSYNC was sent: (replid, offset) asked for, None for SYNC.
    pub(crate) sync: Option<Option<(String, i64)>>,
}

/// A client waiting for replicas to acknowledge an offset: WAIT, or a
/// write whose reply `sync-replicas` holds.
#[derive(Debug, Clone)]
pub(crate) struct AckWait {
    /// The offset they must have acknowledged; None until the feed has
    /// written the change numbered `seq` (and every one before it).
    pub(crate) target: Option<u64>,
    pub(crate) seq: Option<u64>,
    /// How many.
    pub(crate) needed: usize,
    /// Unix ms; 0 for none.
    pub(crate) deadline: u64,
    /// The write's reply, held (sync-replicas); None for WAIT.
    pub(crate) held: Option<Vec<u8>>,
}

/// A replica connected to this primary, as INFO and ROLE list it.
#[derive(Debug)]
pub(crate) struct Follower {
    pub(crate) ip: String,
    pub(crate) port: u16,
    /// `wait_bgsave`, `send_bulk` or `online`.
    pub(crate) state: Mutex<&'static str>,
    /// The offset it acknowledged last.
    pub(crate) ack: AtomicU64,
    /// Unix ms of its last acknowledgement.
    pub(crate) ack_time: AtomicU64,
}

/// The state of the link to the primary, as ROLE names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Not connected; trying again soon.
    Connect,
    /// Connecting or in the handshake.
    Connecting,
    /// Receiving the primary's snapshot.
    Sync,
    /// Applying the primary's stream.
    Connected,
}

impl LinkState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Replication {
    /// The primary REPLICAOF named; None for a primary.
    target: watch::Sender<Option<Primary>>,
    /// This server's replication id, and the offset of its stream (as a
    /// replica, the primary's id and how far its stream was applied).
    ids: Mutex<Ids>,
    pub(crate) offset: AtomicU64,
    link: Mutex<LinkState>,
    /// Unix ms of the last bytes from the primary.
    pub(crate) last_io: AtomicU64,
    /// Unix ms the link went down (0: never up yet).
    pub(crate) down_since: AtomicU64,
    /// The snapshot being received: bytes so far.
    pub(crate) sync_read: AtomicU64,
    /// The link applies the primary's stream: writes are the primary's.
    pub(crate) up: AtomicBool,
    /// The replica holds its primary's history: `ids` and `offset` name
    /// a place a PSYNC may go on from.
    pub(crate) synced: AtomicBool,
    /// Held while the replica applies one command of its primary's and
    /// counts its bytes, and by a snapshot's instant on a replica.
    pub(crate) applying: Mutex<()>,
    /// Bytes read from the primary (snapshot and stream) and written to
    /// replicas, for INFO's total_net_repl_*_bytes.
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    /// The replicas connected to this server.
    pub(crate) followers: Mutex<Vec<std::sync::Arc<Follower>>>,
    /// Woken when a replica acknowledges an offset (WAIT).
    pub(crate) acked: tokio::sync::Notify,
}

#[derive(Debug, Clone)]
pub(crate) struct Ids {
    pub(crate) replid: String,
    /// The id this server's history had before the last change of
    /// primary, valid up to `second_offset`; zeros and -1 when none.
    pub(crate) replid2: String,
    pub(crate) second_offset: i64,
}

/// A new replication id: 40 hex digits from the kernel's random bytes.
pub(crate) fn new_replid() -> String {
    let mut b = [0u8; 20];
    if crate::util::rand::secure_fill(&mut b).is_err() {
        for c in b.chunks_mut(8) {
            let r = crate::util::rand::rand_u64().to_le_bytes();
            c.copy_from_slice(&r[..c.len()]);
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Replication {
    pub(crate) fn new() -> Replication {
        Replication {
            target: watch::Sender::new(None),
            ids: Mutex::new(Ids {
                replid: new_replid(),
                replid2: "0".repeat(40),
                second_offset: -1,
            }),
            offset: AtomicU64::new(0),
            link: Mutex::new(LinkState::Connect),
            last_io: AtomicU64::new(0),
            down_since: AtomicU64::new(0),
            sync_read: AtomicU64::new(0),
            up: AtomicBool::new(false),
            synced: AtomicBool::new(false),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            applying: Mutex::new(()),
            followers: Mutex::new(Vec::new()),
            acked: tokio::sync::Notify::new(),
        }
    }

    /// The replicas connected now.
    pub(crate) fn followers(&self) -> Vec<std::sync::Arc<Follower>> {
        crate::util::sync::lock(&self.followers).clone()
    }

    /// Replicas that acknowledged `offset` or later.
    pub(crate) fn acked_by(&self, offset: u64) -> usize {
        crate::util::sync::lock(&self.followers)
            .iter()
            .filter(|f| f.ack.load(Relaxed) >= offset)
            .count()
    }

    /// Online replicas whose last acknowledgement is at most `max_lag_ms`
    /// old (min-replicas-to-write).
    pub(crate) fn good(&self, now: u64, max_lag_ms: u64) -> usize {
        crate::util::sync::lock(&self.followers)
            .iter()
            .filter(|f| {
                *crate::util::sync::lock(&f.state) == "online"
                    && now.saturating_sub(f.ack_time.load(Relaxed)) <= max_lag_ms
            })
            .count()
    }

    /// The primary followed, if any.
    pub(crate) fn primary(&self) -> Option<Primary> {
        self.target.borrow().clone()
    }

    pub(crate) fn is_replica(&self) -> bool {
        self.target.borrow().is_some()
    }

    /// Follows `p` (None: becomes a primary). False when nothing changed.
    pub(crate) fn set_primary(&self, p: Option<Primary>) -> bool {
        self.target.send_if_modified(|t| {
            if *t == p {
                return false;
            }
            *t = p;
            true
        })
    }

    /// A receiver the link task waits on for changes of primary.
    pub(crate) fn watch(&self) -> watch::Receiver<Option<Primary>> {
        self.target.subscribe()
    }

    pub(crate) fn ids(&self) -> Ids {
        crate::util::sync::lock(&self.ids).clone()
    }

    /// Takes the primary's id and offset after a full synchronisation.
    pub(crate) fn adopt(&self, replid: &str, offset: u64) {
        let mut ids = crate::util::sync::lock(&self.ids);
        ids.replid = replid.to_string();
        ids.replid2 = "0".repeat(40);
        ids.second_offset = -1;
        self.offset.store(offset, Relaxed);
        self.synced.store(true, Relaxed);
    }

    /// The primary went on under a new id (it was promoted): the old one
    /// stays valid up to here, as the second.
    pub(crate) fn switch_primary_id(&self, new: &str) {
        let mut ids = crate::util::sync::lock(&self.ids);
        ids.replid2 = std::mem::replace(&mut ids.replid, new.to_string());
        ids.second_offset = self.offset.load(Relaxed) as i64 + 1;
    }

    /// A replica promoted (REPLICAOF NO ONE) starts a history of its own:
    /// a new id, the old one kept as the second, valid to this offset.
    pub(crate) fn shift_id(&self) {
        let mut ids = crate::util::sync::lock(&self.ids);
        ids.replid2 = std::mem::replace(&mut ids.replid, new_replid());
        ids.second_offset = self.offset.load(Relaxed) as i64 + 1;
    }

    pub(crate) fn link(&self) -> LinkState {
        *crate::util::sync::lock(&self.link)
    }

    pub(crate) fn set_link(&self, s: LinkState, now: u64) {
        let mut l = crate::util::sync::lock(&self.link);
        if s == LinkState::Connected {
            self.up.store(true, Relaxed);
            self.down_since.store(0, Relaxed);
        } else if *l == LinkState::Connected || self.down_since.load(Relaxed) == 0 {
            self.up.store(false, Relaxed);
            self.down_since.store(now, Relaxed);
        }
        *l = s;
    }
}

impl Default for Replication {
    fn default() -> Replication {
        Replication::new()
    }
}
