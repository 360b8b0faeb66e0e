//! Pub/sub: which clients listen on which channel, pattern or shard
//! channel, and the mailbox each subscriber's connection takes its
//! messages from.
//!
//! A published message is encoded once per protocol version (and once
//! per matching pattern) by the command layer, through the encoder it
//! hands to [`PubSub::publish`]; every subscriber's mailbox then queues the
//! same bytes, shared, not copied. Publishers hold a read lock of the
//! registry, so they run side by side; (un)subscribing takes the write
//! lock. One publisher's messages reach each mailbox in the order it
//! published them.

use super::ClientHandle;
use crate::util::glob;
use crate::util::sync::lock;
use bytes::Bytes;
use hashbrown::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::Notify;

/// Bytes a mailbox may hold untaken when the pubsub class has no hard
/// limit; past them the subscriber is closed, as one over its limit.
const MAX_QUEUED: usize = 256 * 1024 * 1024;

/// The three namespaces a client subscribes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE: glob patterns matched against PUBLISH's channel.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH.
    Shard,
}

impl Kind {
    fn index(self) -> usize {
        self as usize
    }
}

/// What [`PubSub::publish`] asks its encoder for: the message for a
/// subscriber speaking RESP3 or not, reached through `pattern` or
/// directly.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame<'a> {
    pub(crate) resp3: bool,
    pub(crate) pattern: Option<&'a [u8]>,
}

/// A client's queue of pushed messages: what publishers and invalidations
/// send it. Each connection has one, in its [`ClientHandle`]; senders
/// push, and the connection, woken when the queue stops being empty, takes
/// everything at once. A connection waits on its mailbox only once it may
/// receive something ([`Mailbox::listen`]): a subscription, tracking, or
/// another client's redirect.
#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    queue: Mutex<Queue>,
    ready: Notify,
    on: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default)]
struct Queue {
    frames: Vec<Bytes>,
    bytes: usize,
}

impl Mailbox {
    /// From now on the connection waits on this mailbox too.
    pub(crate) fn listen(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    /// True once something may be sent here.
    #[inline]
    pub(crate) fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Queues `frame`: `Some(true)` when the queue was empty (the
    /// connection must be woken), `None` when the untaken messages would
    /// pass `cap` bytes: the queue is dropped and the caller closes the
    /// client.
    fn push(&self, frame: Bytes, cap: usize) -> Option<bool> {
        let mut q = lock(&self.queue);
        if q.bytes + frame.len() > cap {
            q.frames = Vec::new();
            q.bytes = 0;
            return None;
        }
        let was_empty = q.frames.is_empty();
        q.bytes += frame.len();
        q.frames.push(frame);
        Some(was_empty)
    }

    fn wake(&self) {
        self.ready.notify_one();
    }

    /// Appends every queued message to `out`, oldest first. The copy is
    /// made under the lock so the queue keeps its allocation: taking the
    /// vector instead would make every refill grow a new one.
    pub(crate) fn take_into(&self, out: &mut Vec<u8>) {
        let mut q = lock(&self.queue);
        if q.frames.is_empty() {
            return;
        }
        out.reserve(q.bytes);
        for f in &q.frames {
            out.extend_from_slice(f);
        }
        q.frames.clear();
        q.bytes = 0;
    }

    /// Completes when messages may be waiting (at once if some arrived
    /// since the last wait).
    pub(crate) async fn ready(&self) {
        self.ready.notified().await;
    }
}

type Listeners = HashMap<Bytes, Vec<Arc<ClientHandle>>>;

/// Every subscription on the server, by namespace.
#[derive(Debug, Default)]
pub(crate) struct PubSub {
    /// Channels, patterns and shard channels ([`Kind::index`]).
    maps: [RwLock<Listeners>; 3],
    /// Subscriptions of every kind: nothing to publish to while 0.
    count: AtomicUsize,
}

fn read(l: &RwLock<Listeners>) -> RwLockReadGuard<'_, Listeners> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write(l: &RwLock<Listeners>) -> RwLockWriteGuard<'_, Listeners> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

impl PubSub {
    /// True when some client is subscribed to something: a cheap check
    /// before a notification is formatted.
    #[inline]
    pub(crate) fn listening(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    fn add(&self, kind: Kind, name: &Bytes, handle: &Arc<ClientHandle>) {
        write(&self.maps[kind.index()])
            .entry(name.clone())
            .or_default()
            .push(handle.clone());
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn remove(&self, kind: Kind, name: &[u8], id: u64) {
        let mut map = write(&self.maps[kind.index()]);
        if let Some(list) = map.get_mut(name) {
            list.retain(|h| h.id != id);
            // A channel nobody listens on leaves the table, so that
            // subscribing to millions of channels and leaving them does
            // not keep their names.
            if list.is_empty() {
                map.remove(name);
            }
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Delivers a message on `channel` (a shard channel when `shard`) to
    /// its subscribers and, for a plain channel, to every subscriber of a
    /// matching pattern; returns how many received it. `encode` makes the
    /// bytes each kind of subscriber gets; `cap` is the pubsub class's hard
    /// output limit (0: none), past which a subscriber that does not read
    /// is closed.
    pub(crate) fn publish(
        &self,
        channel: &[u8],
        shard: bool,
        cap: u64,
        encode: &mut dyn FnMut(Frame<'_>) -> Bytes,
    ) -> usize {
        if !self.listening() {
            return 0;
        }
        let cap = match cap {
            0 => MAX_QUEUED,
            c => usize::try_from(c).unwrap_or(usize::MAX),
        };
        let mut receivers = 0;
        let kind = if shard { Kind::Shard } else { Kind::Channel };
        if let Some(list) = read(&self.maps[kind.index()]).get(channel) {
            receivers += deliver(list, None, cap, encode);
        }
        if !shard {
            for (pattern, list) in read(&self.maps[Kind::Pattern.index()]).iter() {
                if glob::matches(pattern, channel, false) {
                    receivers += deliver(list, Some(pattern), cap, encode);
                }
            }
        }
        receivers
    }

    /// The channels (or shard channels) with a subscriber whose names
    /// match `pattern` (every one without).
    pub(crate) fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        read(&self.maps[kind.index()])
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of one channel (or shard channel), patterns aside.
    pub(crate) fn subscribers(&self, kind: Kind, channel: &[u8]) -> usize {
        read(&self.maps[kind.index()]).get(channel).map_or(0, Vec::len)
    }

    /// The clients, among those `of` picks, subscribed to something
    /// `allowed` refuses (a channel, or a pattern letter for letter): what
    /// an ACL change that takes channels away closes.
    pub(crate) fn refused(
        &self,
        of: impl Fn(&ClientHandle) -> bool,
        allowed: impl Fn(Kind, &[u8]) -> bool,
    ) -> Vec<Arc<ClientHandle>> {
        let mut out: Vec<Arc<ClientHandle>> = Vec::new();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for (name, list) in read(&self.maps[kind.index()]).iter() {
                for h in list.iter().filter(|h| of(h)) {
                    if !allowed(kind, name) && !out.iter().any(|o| o.id == h.id) {
                        out.push(h.clone());
                    }
                }
            }
        }
        out
    }

    /// Distinct channels (patterns, shard channels) with a subscriber.
    pub(crate) fn names(&self, kind: Kind) -> usize {
        read(&self.maps[kind.index()]).len()
    }
}

/// Queues one message in the mailbox of every client of `list`, encoded
/// once per protocol version.
fn deliver(
    list: &[Arc<ClientHandle>],
    pattern: Option<&[u8]>,
    cap: usize,
    encode: &mut dyn FnMut(Frame<'_>) -> Bytes,
) -> usize {
    let mut frames: [Option<Bytes>; 2] = [None, None];
    for (i, h) in list.iter().enumerate() {
        let resp3 = h.resp.load(Ordering::Relaxed) == 3;
        let slot = &mut frames[resp3 as usize];
        let frame = match (i + 1 == list.len(), slot.take()) {
            // The last subscriber takes the frame itself: a lone
            // subscriber's message is never shared, so never counted.
            (true, Some(f)) => f,
            (true, None) => encode(Frame { resp3, pattern }),
            (false, f) => slot
                .insert(f.unwrap_or_else(|| encode(Frame { resp3, pattern })))
                .clone(),
        };
        send(h, frame, cap);
    }
    list.len()
}

/// Queues `frame` for `h`; a client whose untaken messages pass `cap`
/// bytes (0: the pubsub class's safety cap) is closed.
pub(crate) fn send(h: &Arc<ClientHandle>, frame: Bytes, cap: usize) {
    if h.is_killed() {
        return;
    }
    let cap = if cap == 0 { MAX_QUEUED } else { cap };
    match h.mail.push(frame, cap) {
        None => {
            tracing::warn!(
                client = h.id,
                "closing client over its output buffer limit for pushed messages"
            );
            h.kill();
        }
        // Only the first message wakes the connection: it takes the
        // whole queue when it runs, so later ones ride on that wake.
        Some(true) => {
            let deferred = WAKES.with(|w| match w.borrow_mut().as_mut() {
                Some(list) => {
                    list.push(h.clone());
                    true
                }
                None => false,
            });
            if !deferred {
                h.mail.wake();
            }
        }
        Some(false) => {}
    }
}

thread_local! {
    /// While a connection's batch runs on this thread, the clients whose
    /// mailboxes its commands filled: woken once, when the batch ends.
    static WAKES: std::cell::RefCell<Option<Vec<Arc<ClientHandle>>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, a connection's batch of commands, waking the connections
/// whose mailboxes it filled at its end, as Redis writes to clients once
/// per event-loop pass: a publisher's pipelined batch costs a subscriber
/// one wake and one write, not one per message.
pub(crate) fn batch<R>(f: impl FnOnce() -> R) -> R {
    if WAKES.with(|w| w.borrow().is_some()) {
        return f();
    }
    WAKES.with(|w| *w.borrow_mut() = Some(Vec::new()));
    let r = f();
    if let Some(list) = WAKES.with(|w| w.borrow_mut().take()) {
        for h in list {
            h.mail.wake();
        }
    }
    r
}

/// One client's subscriptions, kept by its connection.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    channels: HashSet<Bytes>,
    /// In the order subscribed, as Redis lists a client's patterns.
    patterns: Vec<Bytes>,
    shard: HashSet<Bytes>,
}

impl Subscriptions {
    /// Subscribes to `name`; false when already subscribed.
    pub(crate) fn subscribe(&mut self, ps: &PubSub, handle: &Arc<ClientHandle>, kind: Kind, name: &[u8]) -> bool {
        let name = Bytes::copy_from_slice(name);
        let new = match kind {
            Kind::Channel => self.channels.insert(name.clone()),
            Kind::Shard => self.shard.insert(name.clone()),
            Kind::Pattern if self.patterns.contains(&name) => false,
            Kind::Pattern => {
                self.patterns.push(name.clone());
                true
            }
        };
        if new {
            handle.mail.listen();
            ps.add(kind, &name, handle);
            self.publish_counts(handle);
        }
        new
    }

    /// Unsubscribes from `name`; false when not subscribed.
    pub(crate) fn unsubscribe(&mut self, ps: &PubSub, handle: &ClientHandle, kind: Kind, name: &[u8]) -> bool {
        let gone = match kind {
            Kind::Channel => self.channels.remove(name),
            Kind::Shard => self.shard.remove(name),
            Kind::Pattern => match self.patterns.iter().position(|p| p == name) {
                Some(i) => {
                    self.patterns.remove(i);
                    true
                }
                None => false,
            },
        };
        if gone {
            ps.remove(kind, name, handle.id);
            self.publish_counts(handle);
        }
        gone
    }

    /// The names subscribed to in one namespace.
    pub(crate) fn names(&self, kind: Kind) -> Vec<Bytes> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Pattern => self.patterns.clone(),
            Kind::Shard => self.shard.iter().cloned().collect(),
        }
    }

    /// The count a (un)subscribe reply carries: channels and patterns
    /// together, or shard channels alone.
    pub(crate) fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard.len(),
        }
    }

    /// Subscriptions of every kind: while any, the client is of the
    /// pubsub class (its output limit, and in RESP2 the commands it may
    /// send).
    pub(crate) fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }

    /// Leaves every subscription, with no reply (RESET, or the connection
    /// closing).
    pub(crate) fn leave_all(&mut self, ps: &PubSub, handle: &ClientHandle) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in self.names(kind) {
                self.unsubscribe(ps, handle, kind, &name);
            }
        }
    }

    /// What CLIENT LIST shows: sub, psub, ssub.
    fn publish_counts(&self, handle: &ClientHandle) {
        let counts = [self.channels.len(), self.patterns.len(), self.shard.len()];
        for (a, n) in handle.subscriptions.iter().zip(counts) {
            a.store(n, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    fn handle(id: u64, resp: usize) -> Arc<ClientHandle> {
        let addr = "127.0.0.1:1".parse().unwrap();
        let h = ClientHandle::new(
            id,
            super::super::Proto::Resp,
            addr,
            addr,
            0,
            CancellationToken::new(),
            super::super::User::detached_default(),
        );
        h.resp.store(resp, Ordering::Relaxed);
        Arc::new(h)
    }

    fn encoder(calls: &mut usize) -> impl FnMut(Frame<'_>) -> Bytes + '_ {
        move |f| {
            *calls += 1;
            let p = f.pattern.map(|p| String::from_utf8_lossy(p).into_owned());
            Bytes::from(format!("{}:{:?};", if f.resp3 { 3 } else { 2 }, p))
        }
    }

    fn taken(h: &ClientHandle) -> String {
        let mut out = Vec::new();
        h.mail.take_into(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_message_is_encoded_once_per_protocol_and_shared_by_subscribers() {
        let ps = PubSub::default();
        let (a, b, c) = (handle(1, 2), handle(2, 2), handle(3, 3));
        let mut subs: Vec<Subscriptions> = (0..3).map(|_| Subscriptions::default()).collect();
        for (s, h) in subs.iter_mut().zip([&a, &b, &c]) {
            assert!(s.subscribe(&ps, h, Kind::Channel, b"news"));
        }
        assert!(!subs[0].subscribe(&ps, &a, Kind::Channel, b"news"), "second time");
        let mut calls = 0;
        assert_eq!(ps.publish(b"news", false, 0, &mut encoder(&mut calls)), 3);
        assert_eq!(calls, 2, "one RESP2 frame, one RESP3 frame");
        assert_eq!(taken(&a), "2:None;");
        assert_eq!(taken(&c), "3:None;");
        assert_eq!(ps.subscribers(Kind::Channel, b"news"), 3);
        assert_eq!(ps.publish(b"other", false, 0, &mut encoder(&mut calls)), 0);
    }

    #[test]
    fn patterns_match_plain_channels_only_and_count_once_per_pattern() {
        let ps = PubSub::default();
        let (a, b) = (handle(1, 2), handle(2, 2));
        let (mut sa, mut sb) = (Subscriptions::default(), Subscriptions::default());
        sa.subscribe(&ps, &a, Kind::Pattern, b"n*");
        sa.subscribe(&ps, &a, Kind::Channel, b"news");
        sb.subscribe(&ps, &b, Kind::Pattern, b"n*");
        sb.subscribe(&ps, &b, Kind::Pattern, b"x*");
        assert_eq!(ps.names(Kind::Pattern), 2);
        assert_eq!(sa.count(Kind::Channel), 2);
        let mut calls = 0;
        assert_eq!(ps.publish(b"news", false, 0, &mut encoder(&mut calls)), 3);
        assert_eq!(taken(&a), "2:None;2:Some(\"n*\");");
        assert_eq!(
            ps.publish(b"news", true, 0, &mut encoder(&mut calls)),
            0,
            "shard channels ignore patterns"
        );
    }

    #[test]
    fn leaving_removes_empty_channels_and_counts() {
        let ps = PubSub::default();
        let a = handle(1, 2);
        let mut s = Subscriptions::default();
        s.subscribe(&ps, &a, Kind::Channel, b"c1");
        s.subscribe(&ps, &a, Kind::Shard, b"s1");
        s.subscribe(&ps, &a, Kind::Pattern, b"p*");
        assert_eq!(s.count(Kind::Shard), 1);
        assert_eq!(a.subscriptions[1].load(Ordering::Relaxed), 1);
        assert!(!s.unsubscribe(&ps, &a, Kind::Channel, b"nope"));
        s.leave_all(&ps, &a);
        assert_eq!(s.total(), 0);
        assert!(!ps.listening());
        assert!(ps.channels(Kind::Channel, None).is_empty());
        assert_eq!(ps.names(Kind::Pattern), 0);
        assert_eq!(a.subscriptions[0].load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_subscriber_past_the_cap_is_closed_and_its_queue_dropped() {
        let ps = PubSub::default();
        let a = handle(1, 2);
        let mut s = Subscriptions::default();
        s.subscribe(&ps, &a, Kind::Channel, b"c");
        let mut big = |_: Frame<'_>| Bytes::from(vec![b'x'; 600]);
        ps.publish(b"c", false, 1000, &mut big);
        assert!(!a.is_killed());
        ps.publish(b"c", false, 1000, &mut big);
        assert!(a.is_killed());
        assert_eq!(taken(&a), "");
    }

    #[test]
    fn channel_listing_filters_by_glob() {
        let ps = PubSub::default();
        let a = handle(1, 2);
        let mut s = Subscriptions::default();
        for c in [&b"a.1"[..], b"a.2", b"b.1"] {
            s.subscribe(&ps, &a, Kind::Channel, c);
        }
        let mut got = ps.channels(Kind::Channel, Some(b"a.*"));
        got.sort();
        assert_eq!(got, vec![Bytes::from_static(b"a.1"), Bytes::from_static(b"a.2")]);
        assert_eq!(ps.channels(Kind::Shard, None).len(), 0);
    }
}
