//! Keyspace notifications: what commands, expiry and eviction do to keys,
//! published as Redis publishes it when `notify-keyspace-events` asks.
//!
//! ```text
//! __keyspace@0__:user:1   set        (class K: the key's channel, the event as message)
//! __keyevent@0__:set      user:1     (class E: the event's channel, the key as message)
//! ```
//!
//! Commands call [`event`] after their change, with their class and
//! Redis's event name; `new`, `expired`, `evicted`, `keymiss`, and the
//! cache class's `removed` (a dependency cascade) and `cache_remove` (by
//! tag) come from the store, which records them where they happen ([`KeyEvents`]), and
//! are published first, so a SET of an expired key gives `expired`, `new`,
//! `set` in that order. While `notify-keyspace-events` is empty, each call
//! costs one relaxed load.
//!
//! [`KeyEvents`]: crate::store::KeyEvents

pub(crate) use crate::config::notify as class;
use crate::state::Server;
use crate::store::key_events;

/// Publishes `event` on `key` of database `db`, when its `class` is on.
pub(crate) fn event(srv: &Server, class: u32, event: &str, db: usize, key: &[u8]) {
    let flags = srv.settings.notify_flags();
    if flags == 0 {
        return;
    }
    store_events(srv, flags);
    if flags & class != 0 {
        publish(srv, flags, event.as_bytes(), db, key);
    }
}

/// Publishes what the store recorded on this thread: after every command,
/// and after the cron's expiry step.
#[inline]
pub(crate) fn flush(srv: &Server) {
    if srv.store.events().any() {
        store_events(srv, srv.settings.notify_flags());
    }
}

fn store_events(srv: &Server, flags: u32) {
    if !srv.store.events().any() {
        return;
    }
    let tracking = srv.tracking.active();
    let feed = srv.feed.is_on();
    for e in srv.store.events().take() {
        if tracking && e.kind & key_events::INVALIDATING != 0 {
            super::tracking::changed(srv, &e.key);
        }
        if feed && e.kind & (key_events::EXPIRED | key_events::EVICTED) != 0 {
            super::propagate::removed(e.db, &e.key);
        }
        let (class, name) = match e.kind {
            key_events::CHANGED => continue,
            key_events::NEW => (class::NEW, "new"),
            key_events::EXPIRED => (class::EXPIRED, "expired"),
            key_events::EVICTED => (class::EVICTED, "evicted"),
            key_events::DEPENDANT => (class::CACHE, "removed"),
            key_events::TAGGED => (class::CACHE, "cache_remove"),
            _ => (class::KEY_MISS, "keymiss"),
        };
        if flags & class != 0 {
            publish(srv, flags, name.as_bytes(), e.db, &e.key);
        }
    }
}

fn publish(srv: &Server, flags: u32, event: &[u8], db: usize, key: &[u8]) {
    if !srv.pubsub.listening() {
        return;
    }
    let mut chan = Vec::with_capacity(24 + key.len().max(event.len()));
    if flags & class::KEYSPACE != 0 {
        channel(&mut chan, b"__keyspace@", db, key);
        super::pubsub::publish_message(srv, &chan, event, false);
    }
    if flags & class::KEYEVENT != 0 {
        channel(&mut chan, b"__keyevent@", db, event);
        super::pubsub::publish_message(srv, &chan, key, false);
    }
}

/// `__keyspace@<db>__:<name>` (or `__keyevent@`) into `chan`.
fn channel(chan: &mut Vec<u8>, prefix: &[u8], db: usize, name: &[u8]) {
    chan.clear();
    chan.extend_from_slice(prefix);
    crate::util::number::push_uint(chan, db as u64);
    chan.extend_from_slice(b"__:");
    chan.extend_from_slice(name);
}

/// Handler tests of keyspace events: a subscriber to every keyspace and
/// keyevent channel, and a second client of the same server whose requests
/// make the events.
#[cfg(test)]
pub(crate) mod testing {
    use crate::command::testing::Harness;
    use crate::state::{Client, Proto};

    pub(crate) struct Events {
        pub(crate) h: Harness,
        other: Client,
    }

    impl Events {
        /// A server with `notify-keyspace-events` set to `flags`.
        pub(crate) fn new(flags: &str) -> Events {
            let mut h = Harness::new();
            assert_eq!(h.run(&format!("CONFIG SET notify-keyspace-events {flags}")), "+OK\r\n");
            h.run("PSUBSCRIBE __key*__:*");
            let addr = "127.0.0.1:2".parse().expect("literal address");
            let handle = h.srv.clients.register(Proto::Resp, addr, addr, 0, &h.srv.shutdown);
            Events {
                h,
                other: Client::new(handle),
            }
        }

        /// Runs a request as the second client; its reply.
        pub(crate) fn run(&mut self, line: &str) -> String {
            std::mem::swap(&mut self.h.client, &mut self.other);
            let reply = self.h.run(line);
            std::mem::swap(&mut self.h.client, &mut self.other);
            reply
        }

        /// Runs a request given as arguments (binary ones included) as the
        /// second client; its reply.
        pub(crate) fn run_args(&mut self, args: &[&[u8]]) -> String {
            std::mem::swap(&mut self.h.client, &mut self.other);
            let reply = self.h.run_args(args);
            std::mem::swap(&mut self.h.client, &mut self.other);
            reply
        }

        /// Runs a request as the second client, the way a blocked client's
        /// command runs again when a key it waits on is ready
        /// (`Ctx::resumed`); its reply.
        pub(crate) fn run_resumed(&mut self, line: &str) -> String {
            self.other.resumed = true;
            let reply = self.run(line);
            self.other.resumed = false;
            reply
        }

        /// The events published since the last call, as `channel message`.
        pub(crate) fn take(&mut self) -> Vec<String> {
            let mut raw = Vec::new();
            self.h.client.handle.mail.take_into(&mut raw);
            let text = String::from_utf8_lossy(&raw).into_owned();
            // Each pmessage is `*4 $8 pmessage $pattern $channel $message`.
            let parts: Vec<&str> = text.split("\r\n").collect();
            parts
                .chunks(9)
                .filter(|c| c.len() == 9)
                .map(|c| format!("{} {}", c[6], c[8]))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Events;
    use super::*;

    #[test]
    fn set_with_expiry_publishes_new_set_and_expire_in_order() {
        let mut ev = Events::new("KEA$gn");
        ev.run("SET k v EX 100");
        assert_eq!(
            ev.take(),
            [
                "__keyspace@0__:k new",
                "__keyevent@0__:new k",
                "__keyspace@0__:k set",
                "__keyevent@0__:set k",
                "__keyspace@0__:k expire",
                "__keyevent@0__:expire k",
            ]
        );
        ev.run("SET k v NX");
        assert!(ev.take().is_empty(), "nothing written, nothing told");
    }

    #[test]
    fn classes_filter_events_and_k_or_e_pick_channels() {
        let mut ev = Events::new("Eg");
        ev.run("SET k 1");
        ev.run("INCR k");
        ev.run("GETDEL k");
        assert_eq!(ev.take(), ["__keyevent@0__:del k"]);
        ev.run("CONFIG SET notify-keyspace-events K$");
        ev.run("SELECT 3");
        ev.run("APPEND k x");
        ev.run("INCRBYFLOAT k 1.5");
        // "x" is no number: INCRBYFLOAT fails and tells nothing.
        assert_eq!(ev.take(), ["__keyspace@3__:k append"]);
    }

    #[test]
    fn lazy_expiry_and_misses_come_from_the_store() {
        let mut ev = Events::new("KExm");
        ev.run("SET k v PX 10");
        ev.h.now += 50;
        ev.run("GET k");
        assert_eq!(
            ev.take(),
            [
                "__keyspace@0__:k expired",
                "__keyevent@0__:expired k",
                "__keyspace@0__:k keymiss",
                "__keyevent@0__:keymiss k",
            ]
        );
    }

    #[test]
    fn channel_names_follow_redis() {
        let mut c = Vec::new();
        channel(&mut c, b"__keyspace@", 12, b"user:1");
        assert_eq!(c, b"__keyspace@12__:user:1");
    }
}
