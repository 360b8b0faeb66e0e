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

use crate::config::OutputLimit;
use crate::store::Taken;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;
use tokio::sync::{oneshot, Notify};

/// A submission's commands, and whether they go in one MULTI/EXEC (a
/// transaction's or a script's writes); the versions and lock handles
/// its command took, and whether a replica must be told them
/// (`tell_ids`: memcached and CACHE.* writes go rewritten into commands
/// that may take other numbers than the ones that ran here).
///
/// Commands are encoded as they are gathered, into one buffer: a
/// thread keeps its batch, and the capacity it grew to, from command to
/// command.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Each command's database and the end of its bytes in `bytes`.
    cmds: Vec<(usize, usize)>,
    bytes: Vec<u8>,
    pub(crate) atomic: bool,
    pub(crate) ids: Taken,
    pub(crate) tell_ids: bool,
}

impl Batch {
    /// Adds a command run in database `db`.
    pub(crate) fn push<A: AsRef<[u8]>>(&mut self, db: usize, argv: &[A]) {
        encode(&mut self.bytes, argv);
        self.cmds.push((db, self.bytes.len()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }

    /// Forgets the commands (not the numbers).
    pub(crate) fn clear_cmds(&mut self) {
        self.cmds.clear();
        self.bytes.clear();
    }

    /// Empties it for the next command, keeping its capacity.
    pub(crate) fn reset(&mut self) {
        self.clear_cmds();
        self.atomic = false;
        self.tell_ids = false;
        self.ids.versions.clear();
        self.ids.handles.clear();
    }

    /// Each command's database and bytes.
    fn each(&self) -> impl Iterator<Item = (usize, &[u8])> {
        let mut from = 0;
        self.cmds.iter().map(move |&(db, end)| {
            let bytes = &self.bytes[from..end];
            from = end;
            (db, bytes)
        })
    }

    /// Moves its contents out, leaving it empty with its capacity.
    fn take(&mut self) -> Batch {
        Batch {
            cmds: self.cmds.clone(),
            bytes: self.bytes.clone(),
            atomic: self.atomic,
            ids: Taken {
                versions: self.ids.versions.clone(),
                handles: self.ids.handles.clone(),
            },
            tell_ids: self.tell_ids,
        }
    }
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
    /// The stream's bytes from `start` on: the last `size` of them, and
    /// all those a replica has yet to be sent.
    bytes: VecDeque<u8>,
    start: u64,
    size: usize,
    /// The replicas being fed: where each one is.
    readers: Vec<Reader>,
    next_reader: u64,
    /// How far a replica may fall behind the stream's end
    /// (`client-output-buffer-limit` of replicas) before it is dropped.
    limit: OutputLimit,
    /// The database the stream's last command ran in (SELECT is written
    /// when the next one runs elsewhere).
    db: Option<usize>,
    /// The last version and lock handle a replica that applied the stream
    /// so far took; None where it cannot be known (the stream's start, a
    /// snapshot's mark).
    last_ids: Option<[u64; 2]>,
}

/// A replica being fed, from the moment its place in the stream is known
/// (before its snapshot is sent), so that the bytes it has yet to be sent
/// stay however far the backlog moves on, as Redis keeps a replica's
/// output buffer.
#[derive(Debug)]
struct Reader {
    id: u64,
    /// The first byte it has not been sent.
    pos: u64,
    /// Since when it has been past the soft limit.
    soft_since: Option<Instant>,
}

/// Why a replica can no longer be fed from the backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behind {
    /// It asked for bytes the backlog no longer holds.
    Backlog,
    /// It fell further behind than `client-output-buffer-limit` allows.
    Limit,
}

impl Behind {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Behind::Backlog => "the replica fell behind the backlog",
            Behind::Limit => "the replica fell behind the stream by more than client-output-buffer-limit allows",
        }
    }
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
                readers: Vec::new(),
                next_reader: 0,
                limit: OutputLimit::default(),
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
        b.readers.clear();
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
    /// propagates (none: the numbers only). The batch is left empty.
    pub(crate) fn submit(&self, seqs: &[u64], batch: &mut Batch) {
        let Some(&top) = seqs.iter().max() else {
            if !batch.is_empty() {
                // Nothing in the store changed (FUNCTION LOAD): no order
                // to keep with others.
                self.write(batch);
            }
            batch.reset();
            return;
        };
        let mut o = crate::util::sync::lock(&self.order);
        // The common case: this is the lowest number out, alone.
        if seqs.len() == 1 && top == o.next && o.done.is_empty() && o.marks.is_empty() {
            if !o.waiting.is_empty() {
                for b in o.waiting.remove(&top).unwrap_or_default() {
                    self.write(&b);
                }
            }
            if !batch.is_empty() {
                self.write(batch);
            }
            o.next = top + 1;
            drop(o);
            batch.reset();
            return;
        }
        for &s in seqs {
            if s >= o.next {
                o.done.insert(s);
            }
        }
        if !batch.is_empty() && top >= o.next {
            o.waiting.entry(top).or_default().push(batch.take());
        }
        batch.reset();
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
        let select = |out: &mut VecDeque<u8>, db: usize| {
            let db = db.to_string();
            encode_to(out, &[&b"SELECT"[..], db.as_bytes()])
        };
        let mut b = crate::util::sync::lock(&self.backlog);
        let wrap = batch.atomic && batch.cmds.len() > 1;
        let mut written = 0;
        if b.tell(batch) {
            // The commands a replica runs for the batch, SELECTs, MULTI
            // and EXEC included.
            let mut db = b.db;
            let mut n = 0;
            if wrap {
                n += 2;
            }
            for &(d, _) in &batch.cmds {
                if db != Some(d) {
                    db = Some(d);
                    n += 1;
                }
                n += 1;
            }
            let note = ids_note(n, &batch.ids);
            written += encode_to(&mut b.bytes, &[&b"PING"[..], note.as_bytes()]);
        }
        if wrap {
            // SELECT before MULTI, as Redis writes it.
            if let Some(&(db, _)) = batch.cmds.first() {
                if b.db != Some(db) {
                    written += select(&mut b.bytes, db);
                    b.db = Some(db);
                }
            }
            written += encode_to(&mut b.bytes, &[&b"MULTI"[..]]);
        }
        for (db, bytes) in batch.each() {
            if b.db != Some(db) {
                written += select(&mut b.bytes, db);
                b.db = Some(db);
            }
            b.bytes.extend(bytes);
            written += bytes.len();
        }
        if wrap {
            written += encode_to(&mut b.bytes, &[&b"EXEC"[..]]);
        }
        self.appended(&mut b, written);
    }

    /// Appends bytes that are not commands of the data (PING, REPLCONF
    /// GETACK).
    pub(crate) fn write_raw(&self, argv: &[Vec<u8>]) {
        if self.is_proxy() {
            return;
        }
        let mut b = crate::util::sync::lock(&self.backlog);
        let n = encode_to(&mut b.bytes, argv);
        self.appended(&mut b, n);
    }

    fn append(&self, b: &mut Backlog, out: &[u8]) {
        b.bytes.extend(out);
        self.appended(b, out.len());
    }

    /// Accounts for `n` bytes just added to the backlog: trims it to its
    /// size and wakes the replicas.
    fn appended(&self, b: &mut Backlog, n: usize) {
        b.trim();
        self.end.fetch_add(n as u64, Relaxed);
        self.grew.notify_waiters();
    }

    /// The stream's bytes from offset `from` (the first byte a replica
    /// has not seen), up to `max`; None when they left the backlog.
    #[cfg(test)]
    pub(crate) fn read(&self, from: u64, max: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let b = crate::util::sync::lock(&self.backlog);
        copy_out(&b, from, max, &mut out).ok().map(|()| out)
    }

    /// [`Feed::read`] for replica `reader` ([`Feed::add_reader`]), into
    /// `out` (emptied first), whose capacity the replica's link keeps
    /// from read to read. The bytes before `from` were sent: they need
    /// not be kept for it any more.
    pub(crate) fn read_into(&self, reader: u64, from: u64, max: usize, out: &mut Vec<u8>) -> Result<(), Behind> {
        out.clear();
        let mut b = crate::util::sync::lock(&self.backlog);
        let Some(r) = b.readers.iter_mut().find(|r| r.id == reader) else {
            return Err(Behind::Limit);
        };
        r.pos = from;
        copy_out(&b, from, max, out)
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
        b.trim();
    }

    /// Sets how far a replica may fall behind (`client-output-buffer-limit`
    /// of replicas).
    pub(crate) fn set_limit(&self, limit: OutputLimit) {
        crate::util::sync::lock(&self.backlog).limit = limit;
    }

    /// Starts keeping the stream from `pos` on for a replica; its id for
    /// [`Feed::read_into`]. None when the backlog no longer holds `pos`.
    pub(crate) fn add_reader(&self, pos: u64) -> Option<u64> {
        let mut b = crate::util::sync::lock(&self.backlog);
        if pos < b.start {
            return None;
        }
        let id = b.next_reader;
        b.next_reader += 1;
        b.readers.push(Reader {
            id,
            pos,
            soft_since: None,
        });
        Some(id)
    }

    /// Stops keeping the stream for replica `id`.
    pub(crate) fn remove_reader(&self, id: u64) {
        let mut b = crate::util::sync::lock(&self.backlog);
        b.readers.retain(|r| r.id != id);
        b.trim();
    }
}

impl Backlog {
    /// Drops the bytes no one needs: those before the last `size`, unless
    /// a replica has yet to be sent them. A replica that has fallen past
    /// its limit is dropped instead (its next read fails).
    fn trim(&mut self) {
        let len = self.bytes.len();
        if len <= self.size {
            return;
        }
        let end = self.start + len as u64;
        let limit = self.limit;
        let mut keep_from = end - self.size as u64;
        let mut now = None;
        self.readers.retain_mut(|r| {
            let behind = end.saturating_sub(r.pos);
            if limit.hard > 0 && behind >= limit.hard {
                return false;
            }
            if limit.soft > 0 && behind >= limit.soft {
                let now = *now.get_or_insert_with(Instant::now);
                let since = *r.soft_since.get_or_insert(now);
                if now.duration_since(since).as_secs() >= limit.soft_secs {
                    return false;
                }
            } else {
                r.soft_since = None;
            }
            keep_from = keep_from.min(r.pos);
            true
        });
        let drop = keep_from.saturating_sub(self.start) as usize;
        if drop > 0 {
            self.bytes.drain(..drop.min(len));
            self.start += drop.min(len) as u64;
        }
    }

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

/// Copies the backlog's bytes from offset `from`, up to `max`, to `out`.
fn copy_out(b: &Backlog, from: u64, max: usize, out: &mut Vec<u8>) -> Result<(), Behind> {
    if from < b.start {
        return Err(Behind::Backlog);
    }
    let skip = (from - b.start) as usize;
    if skip > b.bytes.len() {
        return Ok(());
    }
    let take = (b.bytes.len() - skip).min(max);
    let (front, back) = b.bytes.as_slices();
    if skip < front.len() {
        let n = take.min(front.len() - skip);
        out.extend_from_slice(&front[skip..skip + n]);
        out.extend_from_slice(&back[..take - n]);
    } else {
        let s = skip - front.len();
        out.extend_from_slice(&back[s..s + take]);
    }
    Ok(())
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

/// A command as a RESP multibulk, handed to `put` piece by piece.
fn encode_with<A: AsRef<[u8]>>(argv: &[A], mut put: impl FnMut(&[u8])) {
    let mut head = Head::default();
    put(head.line(b'*', argv.len()));
    for a in argv {
        let a = a.as_ref();
        put(head.line(b'$', a.len()));
        put(a);
        put(b"\r\n");
    }
}

/// [`encode_with`] into a buffer.
fn encode<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    encode_with(argv, |b| out.extend_from_slice(b));
}

/// [`encode_with`] at the end of the backlog; the bytes written.
fn encode_to<A: AsRef<[u8]>>(out: &mut VecDeque<u8>, argv: &[A]) -> usize {
    let before = out.len();
    encode_with(argv, |b| out.extend(b));
    out.len() - before
}

/// A `*<n>\r\n` or `$<n>\r\n` line, formatted without allocating.
#[derive(Default)]
struct Head([u8; 24]);

impl Head {
    fn line(&mut self, kind: u8, n: usize) -> &[u8] {
        let buf = &mut self.0;
        let mut i = buf.len();
        i -= 2;
        buf[i..].copy_from_slice(b"\r\n");
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        i -= 1;
        buf[i] = kind;
        &buf[i..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(db: usize, words: &[&str]) -> Batch {
        let mut b = Batch::default();
        b.push(db, words);
        b
    }

    fn text(f: &Feed) -> String {
        String::from_utf8(f.read(f.extent().0, usize::MAX).unwrap()).unwrap()
    }

    #[test]
    fn submissions_are_written_in_the_order_of_their_numbers() {
        let f = Feed::new(1 << 20);
        f.start(10, 0);
        // 11 comes first: it waits for 10.
        f.submit(&[11], &mut cmd(0, &["SET", "k", "2"]));
        assert_eq!(f.end(), 0);
        f.submit(&[10], &mut cmd(0, &["SET", "k", "1"]));
        let t = text(&f);
        assert!(t.find("$1\r\n1").unwrap() < t.find("$1\r\n2").unwrap(), "{t}");
        assert!(t.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
        // Numbers without commands (a read that changed nothing
        // replicated) just move the order on.
        f.submit(&[13], &mut cmd(1, &["DEL", "x"]));
        let before = f.end();
        f.submit(&[12], &mut Batch::default());
        assert!(f.end() > before);
        assert!(text(&f).contains("SELECT\r\n$1\r\n1"));
    }

    #[test]
    fn several_commands_go_in_one_transaction() {
        let f = Feed::new(1 << 20);
        f.start(0, 100);
        let mut b = cmd(0, &["SET", "a", "1"]);
        b.push(0, &["SET", "b", "2"]);
        b.atomic = true;
        f.submit(&[0, 1], &mut b);
        assert!(b.is_empty());
        let t = text(&f);
        assert!(t.contains("MULTI") && t.ends_with("EXEC\r\n"), "{t}");
        assert_eq!(f.extent().0, 101);
    }

    #[test]
    fn a_mark_gives_the_offset_where_its_changes_begin() {
        let f = Feed::new(1 << 20);
        f.start(0, 0);
        f.submit(&[0], &mut cmd(0, &["SET", "a", "1"]));
        let at_one = f.end();
        let mut m = f.mark(2, [0, 0]);
        f.submit(&[2], &mut cmd(0, &["SET", "c", "3"]));
        assert!(m.try_recv().is_err(), "1 is still out");
        f.submit(&[1], &mut cmd(0, &["SET", "b", "2"]));
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
        f.submit(&[0], &mut with_versions(cmd(0, &["SET", "a", "1"]), &[7]));
        // SELECT is one of the commands the numbers cover.
        assert!(
            text(&f).contains("$12\r\nfc-ids 2 7 -\r\n*2\r\n$6\r\nSELECT"),
            "{}",
            text(&f)
        );
        // Counting on from 7: no note.
        f.submit(&[1], &mut with_versions(cmd(0, &["SET", "b", "1"]), &[8]));
        f.submit(&[2], &mut with_versions(cmd(0, &["DEL", "b"]), &[]));
        assert_eq!(notes(&f), 1);
        // Taken out of turn by another thread: named.
        f.submit(&[3], &mut with_versions(cmd(0, &["SET", "c", "1"]), &[10]));
        f.submit(&[4], &mut with_versions(cmd(0, &["SET", "d", "1"]), &[9]));
        assert_eq!(notes(&f), 3);
        // Rewritten commands always name theirs.
        let mut b = with_versions(cmd(0, &["SET", "e", "1"]), &[11]);
        b.tell_ids = true;
        f.submit(&[5], &mut b);
        assert_eq!(notes(&f), 4);
        assert!(text(&f).ends_with("fc-ids 1 11 -\r\n*3\r\n$3\r\nSET\r\n$1\r\ne\r\n$1\r\n1\r\n"));
        // At a mark, a replica counts from the snapshot's numbers.
        drop(f.mark(6, [20, 0]));
        f.submit(&[6], &mut with_versions(cmd(0, &["SET", "f", "1"]), &[21]));
        assert_eq!(notes(&f), 4);
        drop(f.mark(7, [30, 0]));
        f.submit(&[7], &mut with_versions(cmd(0, &["SET", "g", "1"]), &[32]));
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
            f.submit(&[i], &mut cmd(0, &["SET", "key", "value"]));
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
        f.submit(&[1], &mut cmd(0, &["SET", "k", "local"]));
        f.write_raw(&[b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]);
        assert_eq!(f.end(), ping.len() as u64, "its own writes are not in it");
        // Promoted: a stream of its own after the relayed bytes, naming
        // its database; the replicas fed so far start again.
        let generation = f.generation();
        f.stop_relaying([5, 0]);
        assert_ne!(f.generation(), generation);
        f.relay(ping);
        assert_eq!(f.end(), ping.len() as u64);
        f.submit(&[2], &mut cmd(0, &["SET", "k", "new"]));
        let t = text(&f);
        assert!(
            t.starts_with("*1\r\n$4\r\nPING\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"),
            "{t}"
        );
        assert!(t.ends_with("$3\r\nnew\r\n"), "{t}");
    }

    #[test]
    fn a_replica_keeps_the_bytes_it_has_yet_to_be_sent() {
        let f = Feed::new(64);
        f.start(0, 0);
        let slow = f.add_reader(1).unwrap();
        for i in 0..10u64 {
            f.submit(&[i], &mut cmd(0, &["SET", "key", "value"]));
        }
        let (start, len) = f.extent();
        assert_eq!((start, len), (1, f.end()), "all of it, past the backlog's size");
        let mut out = Vec::new();
        f.read_into(slow, 1, usize::MAX, &mut out).unwrap();
        assert_eq!(out.len() as u64, f.end());
        // Sent up to the end: the backlog shrinks back to its size.
        f.read_into(slow, f.end() + 1, usize::MAX, &mut out).unwrap();
        f.submit(&[10], &mut cmd(0, &["SET", "key", "value"]));
        assert_eq!(f.extent().1, 64);
        // A replica past the hard limit is dropped, and the bytes go.
        f.set_limit(OutputLimit {
            hard: 200,
            soft: 0,
            soft_secs: 0,
        });
        let lagging = f.add_reader(f.end() + 1).unwrap();
        for i in 11..30u64 {
            f.submit(&[i], &mut cmd(0, &["SET", "key", "value"]));
        }
        assert_eq!(f.read_into(lagging, f.extent().0, 10, &mut out), Err(Behind::Limit));
        assert!(f.extent().1 <= 64 + 200);
        f.remove_reader(slow);
        f.remove_reader(lagging);
        f.submit(&[30], &mut cmd(0, &["SET", "key", "value"]));
        assert_eq!(f.extent().1, 64);
        assert_eq!(f.read_into(slow, 1, 10, &mut out), Err(Behind::Limit));
        assert!(f.add_reader(1).is_none(), "gone from the backlog");
    }
}
