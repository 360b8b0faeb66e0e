//! The replication stream of a primary: what its commands changed, in the
//! order the store changed it, as RESP commands in a backlog of bytes
//! with offsets, Redis's replication offsets.
//!
//! Commands run on several threads at once, so the order in which they
//! finish is not the order in which they changed keys. Every change the
//! store makes takes a sequence number under the lock of the key's shard
//! (`store::KeyEvents`); a command hands its commands to the feed with
//! the numbers it took ([`Feed::submit`]), and the feed writes each
//! submission after every one with lower numbers, at the place of its
//! highest number. Two commands that touch one key hold its shard in
//! turn, and a command holds its shards until it has taken its last
//! number (one lock, or all of them at once, or an atomic scope), so the
//! stream applies them in the order the primary did.
//!
//! A snapshot for a replica begins at one number: [`Feed::mark`] gives
//! the offset at which the first change after it is written.
//!
//! A replica's stream, for replicas of its own, is its primary's: the
//! bytes it applied, relayed as they came, at the same offsets and under
//! the same id, so that any of them can go on from the primary or from
//! a promoted replica.

use crate::store::Taken;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use tokio::sync::{oneshot, Notify};

/// One command of a submission: the database it ran in and its arguments.
pub(crate) type Cmd = (usize, Vec<Vec<u8>>);

/// A submission's commands, and whether they go in one MULTI/EXEC (a
/// transaction's or a script's writes); the versions and lock handles
/// its command took, and whether a replica must be told them
/// (`tell_ids`: memcached and CACHE.* writes go rewritten into commands
/// that may take other numbers than the ones that ran here).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) cmds: Vec<Cmd>,
    pub(crate) atomic: bool,
    pub(crate) ids: Taken,
    pub(crate) tell_ids: bool,
}

#[derive(Debug, Default)]
struct Order {
    /// The lowest number not yet handed in.
    next: u64,
    /// Numbers handed in above `next`.
    done: BTreeSet<u64>,
    /// Submissions waiting for lower numbers, by their highest number.
    waiting: BTreeMap<u64, Vec<Batch>>,
    /// Offsets asked for by [`Feed::mark`]: the number, the snapshot's
    /// last version and handle, and who waits.
    marks: Vec<(u64, [u64; 2], oneshot::Sender<u64>)>,
}

#[derive(Debug)]
struct Backlog {
    /// The stream's bytes from `start` on, at most `size` of them.
    bytes: VecDeque<u8>,
    start: u64,
    size: usize,
    /// The database the stream's last command ran in (SELECT is written
    /// when the next one runs elsewhere).
    db: Option<usize>,
    /// The last version and lock handle a replica that applied the stream
    /// so far took; None where it cannot be known (the stream's start, a
    /// snapshot's mark).
    last_ids: Option<[u64; 2]>,
}

#[derive(Debug)]
pub(crate) struct Feed {
    /// True once a replica asked for the stream: from then on the store
    /// numbers its changes and commands are handed in.
    on: AtomicBool,
    order: Mutex<Order>,
    backlog: Mutex<Backlog>,
    /// The offset of the stream's end: bytes ever written.
    end: AtomicU64,
    /// Woken after every write to the backlog.
    pub(crate) grew: Notify,
    /// True while this server is a replica: its stream is its primary's,
    /// relayed as it came ([`Feed::relay`]), and what its own commands
    /// would write is dropped.
    proxy: AtomicBool,
    /// Moves on whenever the replicas fed so far must start again (the
    /// stream was rebased, or goes on under another id).
    generation: AtomicU64,
}

impl Feed {
    pub(crate) fn new(size: usize) -> Feed {
        Feed {
            on: AtomicBool::new(false),
            order: Mutex::new(Order::default()),
            backlog: Mutex::new(Backlog {
                bytes: VecDeque::new(),
                start: 1,
                size: size.max(1),
                db: None,
                last_ids: None,
            }),
            end: AtomicU64::new(0),
            grew: Notify::new(),
            proxy: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    /// Whether the stream is the primary's, relayed.
    #[inline]
    pub(crate) fn is_proxy(&self) -> bool {
        self.proxy.load(Relaxed)
    }

    /// This server becomes a replica: from now on its stream is its
    /// primary's.
    pub(crate) fn start_relaying(&self) {
        self.proxy.store(true, Relaxed);
    }

    /// This server stops following its primary and writes a stream of its
    /// own, after the relayed one: the next command names its database,
    /// and `ids` (the last version and lock handle) are where replicas
    /// that applied the stream count from. Its replicas start again, to
    /// learn the stream's new id. The caller turns the stream on, so that
    /// a replica going on from the relayed bytes misses no write.
    pub(crate) fn stop_relaying(&self, ids: [u64; 2]) {
        let mut b = crate::util::sync::lock(&self.backlog);
        self.proxy.store(false, Relaxed);
        b.db = None;
        b.last_ids = Some(ids);
        drop(b);
        self.restart_replicas();
    }

    /// Appends bytes of the primary's stream, as they came: a replica
    /// keeps a backlog, as its primary does, for its own replicas and
    /// for the replicas that follow it once it is promoted.
    pub(crate) fn relay(&self, bytes: &[u8]) {
        if !self.is_proxy() {
            return;
        }
        let mut b = crate::util::sync::lock(&self.backlog);
        self.append(&mut b, bytes);
    }

    /// See [`Feed::generation`]: a replica fed under an older one is
    /// disconnected, to synchronise again.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Relaxed)
    }

    /// Disconnects the replicas fed so far.
    pub(crate) fn restart_replicas(&self) {
        self.generation.fetch_add(1, Relaxed);
        self.grew.notify_waiters();
    }

    #[inline]
    pub(crate) fn is_on(&self) -> bool {
        self.on.load(Relaxed)
    }

    /// Whether the backlog holds a stream: this server's, or as a
    /// replica its primary's.
    pub(crate) fn has_backlog(&self) -> bool {
        self.is_on() || self.is_proxy()
    }

    /// Starts the stream at offset `end`, numbers starting at `next`
    /// (the store's next sequence number). Once on, it stays on.
    pub(crate) fn start(&self, next: u64, end: u64) {
        if self.on.load(Relaxed) {
            return;
        }
        let mut o = crate::util::sync::lock(&self.order);
        o.next = next;
        let mut b = crate::util::sync::lock(&self.backlog);
        // A replica's backlog holds what it relayed, up to `end`.
        if self.end() != end {
            b.bytes.clear();
            b.start = end + 1;
            self.end.store(end, Relaxed);
        }
        self.on.store(true, Relaxed);
    }

    /// Moves the stream's end to `end` (a replica synchronised again from
    /// its primary); the backlog empties and the replicas fed so far
    /// start again.
    pub(crate) fn rebase(&self, end: u64) {
        let mut b = crate::util::sync::lock(&self.backlog);
        b.bytes.clear();
        b.start = end + 1;
        b.db = None;
        b.last_ids = None;
        self.end.store(end, Relaxed);
        drop(b);
        self.restart_replicas();
    }

    /// The stream's end, once the change numbered `seq` and every one
    /// before it are written; None while some are still out.
    pub(crate) fn settled(&self, seq: u64) -> Option<u64> {
        let o = crate::util::sync::lock(&self.order);
        (o.next > seq).then(|| self.end())
    }

    /// The offset of the last byte written.
    pub(crate) fn end(&self) -> u64 {
        self.end.load(Relaxed)
    }

    /// Hands in the numbers `seqs` a command took and the commands it
    /// propagates (none: the numbers only).
    pub(crate) fn submit(&self, seqs: &[u64], batch: Batch) {
        let Some(&top) = seqs.iter().max() else {
            if !batch.cmds.is_empty() {
                // Nothing in the store changed (FUNCTION LOAD): no order
                // to keep with others.
                self.write(&batch);
            }
            return;
        };
        let mut o = crate::util::sync::lock(&self.order);
        // The common case: this is the lowest number out, alone.
        if seqs.len() == 1 && top == o.next && o.done.is_empty() && o.marks.is_empty() {
            for b in o.waiting.remove(&top).unwrap_or_default() {
                self.write(&b);
            }
            if !batch.cmds.is_empty() {
                self.write(&batch);
            }
            o.next = top + 1;
            return;
        }
        for &s in seqs {
            if s >= o.next {
                o.done.insert(s);
            }
        }
        if !batch.cmds.is_empty() && top >= o.next {
            o.waiting.entry(top).or_default().push(batch);
        }
        loop {
            let n = o.next;
            if !o.done.remove(&n) {
                break;
            }
            // The first change at or after a mark: its offset is now.
            if !o.marks.is_empty() {
                let end = self.end();
                let (due, keep): (Vec<_>, Vec<_>) = o.marks.drain(..).partition(|(s, _, _)| *s <= n);
                o.marks = keep;
                if let Some((_, ids, _)) = due.last() {
                    self.reselect(*ids);
                }
                for (_, _, tx) in due {
                    let _ = tx.send(end);
                }
            }
            for b in o.waiting.remove(&n).unwrap_or_default() {
                self.write(&b);
            }
            o.next = n + 1;
        }
    }

    /// The offset at which the changes numbered `seq` and after begin,
    /// once every lower number is handed in. `ids` are the last version
    /// and lock handle of the snapshot taken there: a replica that loads
    /// it counts on from them.
    pub(crate) fn mark(&self, seq: u64, ids: [u64; 2]) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        let mut o = crate::util::sync::lock(&self.order);
        if o.next >= seq && o.done.range(..seq).next().is_none() {
            self.reselect(ids);
            let _ = tx.send(self.end());
        } else {
            o.marks.push((seq, ids, tx));
        }
        rx
    }

    /// A replica may start from here: the next command names its database
    /// again, and the numbers a replica counts from are the snapshot's.
    fn reselect(&self, ids: [u64; 2]) {
        let mut b = crate::util::sync::lock(&self.backlog);
        b.db = None;
        b.last_ids = Some(ids);
    }

    /// Appends commands to the backlog.
    fn write(&self, batch: &Batch) {
        if self.is_proxy() {
            return;
        }
        let mut out = Vec::new();
        let mut b = crate::util::sync::lock(&self.backlog);
        let tell = b.tell(batch);
        let mut n = 0;
        let wrap = batch.atomic && batch.cmds.len() > 1;
        if wrap {
            // SELECT before MULTI, as Redis writes it.
            if let Some((db, _)) = batch.cmds.first() {
                if b.db != Some(*db) {
                    encode(&mut out, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
                    b.db = Some(*db);
                    n += 1;
                }
            }
            encode(&mut out, &[b"MULTI".to_vec()]);
            n += 2;
        }
        for (db, argv) in &batch.cmds {
            if b.db != Some(*db) {
                encode(&mut out, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
                b.db = Some(*db);
                n += 1;
            }
            encode(&mut out, argv);
            n += 1;
        }
        if wrap {
            encode(&mut out, &[b"EXEC".to_vec()]);
        }
        if tell {
            let mut head = Vec::new();
            encode(&mut head, &[b"PING".to_vec(), ids_note(n, &batch.ids).into_bytes()]);
            out.splice(0..0, head);
        }
        self.append(&mut b, &out);
    }

    /// Appends bytes that are not commands of the data (PING, REPLCONF
    /// GETACK).
    pub(crate) fn write_raw(&self, argv: &[Vec<u8>]) {
        if self.is_proxy() {
            return;
        }
        let mut out = Vec::new();
        encode(&mut out, argv);
        let mut b = crate::util::sync::lock(&self.backlog);
        self.append(&mut b, &out);
    }

    fn append(&self, b: &mut Backlog, out: &[u8]) {
        b.bytes.extend(out);
        let over = b.bytes.len().saturating_sub(b.size);
        if over > 0 {
            b.bytes.drain(..over);
            b.start += over as u64;
        }
        self.end.fetch_add(out.len() as u64, Relaxed);
        self.grew.notify_waiters();
    }

    /// The stream's bytes from offset `from` (the first byte a replica
    /// has not seen), up to `max`; None when they left the backlog.
    pub(crate) fn read(&self, from: u64, max: usize) -> Option<Vec<u8>> {
        let b = crate::util::sync::lock(&self.backlog);
        if from < b.start {
            return None;
        }
        let skip = (from - b.start) as usize;
        if skip > b.bytes.len() {
            return Some(Vec::new());
        }
        let take = (b.bytes.len() - skip).min(max);
        let (front, back) = b.bytes.as_slices();
        let mut out = Vec::with_capacity(take);
        if skip < front.len() {
            let n = take.min(front.len() - skip);
            out.extend_from_slice(&front[skip..skip + n]);
            out.extend_from_slice(&back[..take - n]);
        } else {
            let s = skip - front.len();
            out.extend_from_slice(&back[s..s + take]);
        }
        Some(out)
    }

    /// The first offset the backlog holds, and how many bytes.
    pub(crate) fn extent(&self) -> (u64, u64) {
        let b = crate::util::sync::lock(&self.backlog);
        (b.start, b.bytes.len() as u64)
    }

    /// Resizes the backlog (`repl-backlog-size`).
    pub(crate) fn resize(&self, size: usize) {
        let mut b = crate::util::sync::lock(&self.backlog);
        b.size = size.max(1);
        let over = b.bytes.len().saturating_sub(b.size);
        if over > 0 {
            b.bytes.drain(..over);
            b.start += over as u64;
        }
    }
}

impl Backlog {
    /// Whether the stream must name `batch`'s numbers before its
    /// commands: a replica applying them counts on from the last numbers
    /// the stream gave it, and takes one per version or handle its
    /// commands take. Moves the last numbers on.
    fn tell(&mut self, batch: &Batch) -> bool {
        let ids = &batch.ids;
        if ids.is_empty() {
            return false;
        }
        let counted = |from: u64, got: &[u64]| got.iter().zip(from + 1..).all(|(&g, want)| g == want);
        let tell = match self.last_ids {
            Some([v, h]) => batch.tell_ids || !counted(v, &ids.versions) || !counted(h, &ids.handles),
            None => true,
        };
        let [mut v, mut h] = self.last_ids.unwrap_or([0, 0]);
        v = v.max(ids.versions.iter().copied().max().unwrap_or(0));
        h = h.max(ids.handles.iter().copied().max().unwrap_or(0));
        self.last_ids = Some([v, h]);
        tell
    }
}

/// What a replica reads in `PING "fc-ids <n> <versions> <handles>"`: the
/// next `n` commands take these versions and handles, in order. Numbers
/// are listed as runs (`5-9,12`), `-` for none. A Redis replica runs the
/// PING and ignores it.
pub(crate) fn ids_note(n: usize, ids: &Taken) -> String {
    fn runs(v: &[u64]) -> String {
        if v.is_empty() {
            return "-".into();
        }
        let mut out = String::new();
        let mut i = 0;
        while i < v.len() {
            let mut j = i;
            while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
                j += 1;
            }
            if !out.is_empty() {
                out.push(',');
            }
            match j > i {
                true => out.push_str(&format!("{}-{}", v[i], v[j])),
                false => out.push_str(&v[i].to_string()),
            }
            i = j + 1;
        }
        out
    }
    format!("{IDS_NOTE}{n} {} {}", runs(&ids.versions), runs(&ids.handles))
}

/// The start of a [`ids_note`].
pub(crate) const IDS_NOTE: &str = "fc-ids ";

/// Reads a [`ids_note`] (without its prefix): how many commands, and
/// the numbers. None when it is not one.
pub(crate) fn parse_ids_note(s: &[u8]) -> Option<(usize, Taken)> {
    fn runs(w: &str) -> Option<Vec<u64>> {
        let mut out = Vec::new();
        if w == "-" {
            return Some(out);
        }
        for run in w.split(',') {
            let (a, b): (u64, u64) = match run.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let a = run.parse().ok()?;
                    (a, a)
                }
            };
            // A run is as long as the commands that took it: bounded by
            // what the primary could write, refused beyond.
            if b < a || b - a > 1 << 24 || out.len() > 1 << 24 {
                return None;
            }
            out.extend(a..=b);
        }
        Some(out)
    }
    let s = std::str::from_utf8(s).ok()?.strip_prefix(IDS_NOTE)?;
    let mut w = s.split(' ');
    let n = w.next()?.parse().ok()?;
    let versions = runs(w.next()?)?;
    let handles = runs(w.next()?)?;
    Some((n, Taken { versions, handles }))
}

/// A command as a RESP multibulk.
fn encode(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(db: usize, words: &[&str]) -> Batch {
        Batch {
            cmds: vec![(db, words.iter().map(|w| w.as_bytes().to_vec()).collect())],
            ..Batch::default()
        }
    }

    fn text(f: &Feed) -> String {
        String::from_utf8(f.read(f.extent().0, usize::MAX).unwrap()).unwrap()
    }

    #[test]
    fn submissions_are_written_in_the_order_of_their_numbers() {
        let f = Feed::new(1 << 20);
        f.start(10, 0);
        // 11 comes first: it waits for 10.
        f.submit(&[11], cmd(0, &["SET", "k", "2"]));
        assert_eq!(f.end(), 0);
        f.submit(&[10], cmd(0, &["SET", "k", "1"]));
        let t = text(&f);
        assert!(t.find("$1\r\n1").unwrap() < t.find("$1\r\n2").unwrap(), "{t}");
        assert!(t.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
        // Numbers without commands (a read that changed nothing
        // replicated) just move the order on.
        f.submit(&[13], cmd(1, &["DEL", "x"]));
        let before = f.end();
        f.submit(&[12], Batch::default());
        assert!(f.end() > before);
        assert!(text(&f).contains("SELECT\r\n$1\r\n1"));
    }

    #[test]
    fn several_commands_go_in_one_transaction() {
        let f = Feed::new(1 << 20);
        f.start(0, 100);
        let mut b = cmd(0, &["SET", "a", "1"]);
        b.cmds.extend(cmd(0, &["SET", "b", "2"]).cmds);
        b.atomic = true;
        f.submit(&[0, 1], b);
        let t = text(&f);
        assert!(t.contains("MULTI") && t.ends_with("EXEC\r\n"), "{t}");
        assert_eq!(f.extent().0, 101);
    }

    #[test]
    fn a_mark_gives_the_offset_where_its_changes_begin() {
        let f = Feed::new(1 << 20);
        f.start(0, 0);
        f.submit(&[0], cmd(0, &["SET", "a", "1"]));
        let at_one = f.end();
        let mut m = f.mark(2, [0, 0]);
        f.submit(&[2], cmd(0, &["SET", "c", "3"]));
        assert!(m.try_recv().is_err(), "1 is still out");
        f.submit(&[1], cmd(0, &["SET", "b", "2"]));
        let off = m.try_recv().unwrap();
        assert!(off > at_one && off < f.end());
        let rest = String::from_utf8(f.read(off + 1, usize::MAX).unwrap()).unwrap();
        assert!(rest.contains("$1\r\nc") && !rest.contains("$1\r\nb"), "{rest}");
    }

    fn with_versions(mut b: Batch, versions: &[u64]) -> Batch {
        b.ids.versions = versions.to_vec();
        b
    }

    #[test]
    fn numbers_a_replica_cannot_count_are_named_before_the_commands() {
        let f = Feed::new(1 << 20);
        f.start(0, 0);
        let notes = |f: &Feed| text(f).matches("fc-ids").count();
        // The stream's first numbers: a replica cannot know them.
        f.submit(&[0], with_versions(cmd(0, &["SET", "a", "1"]), &[7]));
        // SELECT is one of the commands the numbers cover.
        assert!(
            text(&f).contains("$12\r\nfc-ids 2 7 -\r\n*2\r\n$6\r\nSELECT"),
            "{}",
            text(&f)
        );
        // Counting on from 7: no note.
        f.submit(&[1], with_versions(cmd(0, &["SET", "b", "1"]), &[8]));
        f.submit(&[2], with_versions(cmd(0, &["DEL", "b"]), &[]));
        assert_eq!(notes(&f), 1);
        // Taken out of turn by another thread: named.
        f.submit(&[3], with_versions(cmd(0, &["SET", "c", "1"]), &[10]));
        f.submit(&[4], with_versions(cmd(0, &["SET", "d", "1"]), &[9]));
        assert_eq!(notes(&f), 3);
        // Rewritten commands always name theirs.
        let mut b = with_versions(cmd(0, &["SET", "e", "1"]), &[11]);
        b.tell_ids = true;
        f.submit(&[5], b);
        assert_eq!(notes(&f), 4);
        assert!(text(&f).ends_with("fc-ids 1 11 -\r\n*3\r\n$3\r\nSET\r\n$1\r\ne\r\n$1\r\n1\r\n"));
        // At a mark, a replica counts from the snapshot's numbers.
        drop(f.mark(6, [20, 0]));
        f.submit(&[6], with_versions(cmd(0, &["SET", "f", "1"]), &[21]));
        assert_eq!(notes(&f), 4);
        drop(f.mark(7, [30, 0]));
        f.submit(&[7], with_versions(cmd(0, &["SET", "g", "1"]), &[32]));
        assert!(text(&f).contains("fc-ids 2 32 -"), "SELECT is counted: {}", text(&f));
    }

    #[test]
    fn a_note_reads_back_as_written() {
        let ids = Taken {
            versions: vec![3, 4, 5, 9, 11, 12],
            handles: vec![2],
        };
        let note = ids_note(4, &ids);
        assert_eq!(note, "fc-ids 4 3-5,9,11-12 2");
        assert_eq!(parse_ids_note(note.as_bytes()), Some((4, ids)));
        assert_eq!(parse_ids_note(b"fc-ids 0 - -"), Some((0, Taken::default())));
        for bad in [
            &b"fc-ids 1 5-3 -"[..],
            b"fc-ids x - -",
            b"fc-ids 1 -",
            b"hello",
            b"fc-ids 1 0-99999999999 -",
        ] {
            assert_eq!(parse_ids_note(bad), None);
        }
    }

    #[test]
    fn the_backlog_keeps_its_size() {
        let f = Feed::new(64);
        f.start(0, 0);
        for i in 0..10u64 {
            f.submit(&[i], cmd(0, &["SET", "key", "value"]));
        }
        let (start, len) = f.extent();
        assert_eq!(len, 64);
        assert_eq!(start + len - 1, f.end());
        assert!(f.read(1, 10).is_none());
    }

    #[test]
    fn a_replica_relays_its_primarys_bytes_and_drops_its_own() {
        let f = Feed::new(1 << 20);
        f.start_relaying();
        let ping = b"*1\r\n$4\r\nPING\r\n";
        f.relay(ping);
        assert_eq!(f.end(), ping.len() as u64, "kept before any replica asks");
        f.start(1, ping.len() as u64);
        assert_eq!(
            text(&f),
            "*1\r\n$4\r\nPING\r\n",
            "the backlog goes on from the relayed bytes"
        );
        f.submit(&[1], cmd(0, &["SET", "k", "local"]));
        f.write_raw(&[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]);
        assert_eq!(f.end(), ping.len() as u64, "its own writes are not in it");
        // Promoted: a stream of its own after the relayed bytes, naming
        // its database; the replicas fed so far start again.
        let generation = f.generation();
        f.stop_relaying([5, 0]);
        assert_ne!(f.generation(), generation);
        f.relay(ping);
        assert_eq!(f.end(), ping.len() as u64);
        f.submit(&[2], cmd(0, &["SET", "k", "new"]));
        let t = text(&f);
        assert!(
            t.starts_with("*1\r\n$4\r\nPING\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"),
            "{t}"
        );
        assert!(t.ends_with("$3\r\nnew\r\n"), "{t}");
    }
}
