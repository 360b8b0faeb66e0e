//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE
//! counterparts, PUBLISH, SPUBLISH and PUBSUB.
//!
//! Subscriptions live in the client (`state::Subscriptions`) and in the
//! server's registry (`state::PubSub`); a message is encoded here once per
//! protocol version and queued, shared, in each subscriber's mailbox,
//! which its connection writes out between batches. (Un)subscribe
//! confirmations are pushes: RESP3 `>` frames, RESP2 arrays, sent even
//! under CLIENT REPLY OFF.
//!
//! ```text
//! *3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n
//! *4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n
//! ```

use super::flags::*;
use super::key_spec::{flags as kf, key};
use super::{dispatch_sub, errors, help_reply, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::state::pubsub::{Frame, Kind};
use crate::state::Server;
use bytes::Bytes;

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("pubsub|channels", -2, PUBSUB | LOADING | STALE, "pubsub", channels).doc(
        "2.8.0",
        "Lists the channels that have a subscriber.",
        "O(N) where N is the number of active channels, and assuming constant time pattern matching",
        "[pattern]",
    ),
    spec("pubsub|numpat", 2, PUBSUB | LOADING | STALE, "pubsub", numpat).doc(
        "2.8.0",
        "Counts the distinct patterns that have a subscriber.",
        "O(1)",
        "",
    ),
    spec("pubsub|numsub", -2, PUBSUB | LOADING | STALE, "pubsub", numsub).doc(
        "2.8.0",
        "Counts the subscribers of channels, pattern subscriptions aside.",
        "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        "[channel [channel ...]]",
    ),
    spec(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        "pubsub",
        shardchannels,
    )
    .doc(
        "7.0.0",
        "Lists the shard channels that have a subscriber.",
        "O(N) where N is the number of active shard channels, and assuming constant time pattern matching",
        "[pattern]",
    ),
    spec(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        "pubsub",
        shardnumsub,
    )
    .doc(
        "7.0.0",
        "Counts the subscribers of shard channels.",
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        "[shardchannel [shardchannel ...]]",
    ),
    spec("pubsub|help", 2, LOADING | STALE, "pubsub", help).doc(
        "6.2.0",
        "Show helpful text about the different subcommands",
        "O(1)",
        "",
    ),
];

/// Shard channels are declared as keys that are not keys, as Redis
/// declares them: cluster routing hashes them, ACL key rules skip them.
const SHARD_CHANNELS: &[super::key_spec::KeySpec] = &[key(1, kf::NOT_KEY).range(-1, 1, 0)];
const SHARD_CHANNEL: &[super::key_spec::KeySpec] = &[key(1, kf::NOT_KEY)];

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("subscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", subscribe).doc(
        "2.0.0",
        "Listens for messages published to channels.",
        "O(N) where N is the number of channels to subscribe to.",
        "channel [channel ...]",
    ),
    spec("unsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", unsubscribe).doc(
        "2.0.0",
        "Stops listening to messages posted to channels.",
        "O(N) where N is the number of clients already subscribed to a channel.",
        "[channel [channel ...]]",
    ),
    spec("psubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", psubscribe).doc(
        "2.0.0",
        "Listens for messages published to channels that match patterns.",
        "O(N) where N is the number of patterns to subscribe to.",
        "pattern [pattern ...]",
    ),
    spec("punsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", punsubscribe).doc(
        "2.0.0",
        "Stops listening to messages published to channels that match patterns.",
        "O(N) where N is the number of patterns to unsubscribe.",
        "[pattern [pattern ...]]",
    ),
    spec("ssubscribe", -2, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", ssubscribe)
        .key_specs(SHARD_CHANNELS)
        .doc(
            "7.0.0",
            "Listens for messages published to shard channels.",
            "O(N) where N is the number of shard channels to subscribe to.",
            "shardchannel [shardchannel ...]",
        ),
    spec("sunsubscribe", -1, PUBSUB | NOSCRIPT | LOADING | STALE, "pubsub", sunsubscribe)
        .key_specs(SHARD_CHANNELS)
        .doc(
            "7.0.0",
            "Stops listening to messages posted to shard channels.",
            "O(N) where N is the number of clients already subscribed to a shard channel.",
            "[shardchannel [shardchannel ...]]",
        ),
    spec("publish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, "pubsub", publish).doc(
        "2.0.0",
        "Posts a message to a channel.",
        "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        "channel message",
    ),
    spec("spublish", 3, PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE, "pubsub", spublish)
        .key_specs(SHARD_CHANNEL)
        .doc(
            "7.0.0",
            "Posts a message to a shard channel.",
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
            "shardchannel message",
        ),
    spec("pubsub", -2, 0, "pubsub", pubsub)
        .doc("2.8.0", "A container for Pub/Sub commands.", "Depends on subcommand.", "")
        .subs(SUBCOMMANDS),
];

/// The first word of each push, by namespace.
fn words(kind: Kind) -> (&'static [u8], &'static [u8]) {
    match kind {
        Kind::Channel => (b"subscribe", b"unsubscribe"),
        Kind::Pattern => (b"psubscribe", b"punsubscribe"),
        Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
    }
}

/// One (un)subscribe confirmation: `[word, name or null, count]`.
fn confirm(ctx: &mut Ctx<'_>, word: &[u8], name: Option<&[u8]>, count: usize) {
    ctx.client.pushing = true;
    ctx.out.push(3);
    ctx.out.bulk(word);
    match name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
}

fn join(ctx: &mut Ctx<'_>, a: &[&[u8]], kind: Kind) {
    for name in &a[1..] {
        let handle = ctx.client.handle.clone();
        ctx.client.subs.subscribe(&ctx.srv.pubsub, &handle, kind, name);
        let count = ctx.client.subs.count(kind);
        confirm(ctx, words(kind).0, Some(name), count);
    }
}

fn leave(ctx: &mut Ctx<'_>, a: &[&[u8]], kind: Kind) {
    let names: Vec<Bytes> = match a.len() {
        1 => ctx.client.subs.names(kind),
        _ => a[1..].iter().map(|n| Bytes::copy_from_slice(n)).collect(),
    };
    let word = words(kind).1;
    for name in &names {
        let handle = ctx.client.handle.clone();
        ctx.client.subs.unsubscribe(&ctx.srv.pubsub, &handle, kind, name);
        let count = ctx.client.subs.count(kind);
        confirm(ctx, word, Some(name), count);
    }
    // Subscribed to nothing: still a reply.
    if names.is_empty() {
        let count = ctx.client.subs.count(kind);
        confirm(ctx, word, None, count);
    }
}

/// ```text
/// SUBSCRIBE channel [channel ...]
/// ```
/// One `subscribe` push per channel, with the client's count of channels
/// and patterns after it.
fn subscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    join(ctx, a, Kind::Channel);
}

/// ```text
/// UNSUBSCRIBE [channel ...]
/// ```
/// Without channels, from every channel.
fn unsubscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    leave(ctx, a, Kind::Channel);
}

/// ```text
/// PSUBSCRIBE pattern [pattern ...]
/// ```
fn psubscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    join(ctx, a, Kind::Pattern);
}

/// ```text
/// PUNSUBSCRIBE [pattern ...]
/// ```
fn punsubscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    leave(ctx, a, Kind::Pattern);
}

/// ```text
/// SSUBSCRIBE shardchannel [shardchannel ...]
/// ```
/// The count is of shard channels alone. Refused inside a transaction, as
/// Redis refuses it to a client that may not block.
fn ssubscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if ctx.client.in_exec {
        return ctx.error(errors::SSUBSCRIBE_DENY_BLOCKING);
    }
    join(ctx, a, Kind::Shard);
}

/// ```text
/// SUNSUBSCRIBE [shardchannel ...]
/// ```
fn sunsubscribe(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    leave(ctx, a, Kind::Shard);
}

/// Delivers `message` on `channel` to its subscribers; the number that
/// received it.
pub(crate) fn publish_message(srv: &Server, channel: &[u8], message: &[u8], shard: bool) -> usize {
    let cap = srv.settings.output_limit(true).hard;
    let word: &[u8] = if shard { b"smessage" } else { b"message" };
    srv.pubsub.publish(channel, shard, cap, &mut |f: Frame<'_>| {
        let mut buf = Vec::with_capacity(channel.len() + message.len() + 48);
        let mut r = Reply::new(&mut buf, f.resp3);
        match f.pattern {
            Some(p) => {
                r.push(4);
                r.bulk(b"pmessage");
                r.bulk(p);
            }
            None => {
                r.push(3);
                r.bulk(word);
            }
        }
        r.bulk(channel);
        r.bulk(message);
        Bytes::from(buf)
    })
}

/// ```text
/// PUBLISH channel message
/// ```
/// The number of clients that received it, pattern subscribers included.
fn publish(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = publish_message(ctx.srv, a[1], a[2], false);
    ctx.out.int(n as i64);
}

/// ```text
/// SPUBLISH shardchannel message
/// ```
fn spublish(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = publish_message(ctx.srv, a[1], a[2], true);
    ctx.out.int(n as i64);
}

fn pubsub(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[COMMANDS.len() - 1]);
}

fn list_channels(ctx: &mut Ctx<'_>, a: &[&[u8]], kind: Kind) {
    if a.len() > 3 {
        return ctx.error(&errors::subcommand_syntax(a[1], a[0]));
    }
    let names = ctx.srv.pubsub.channels(kind, a.get(2).copied());
    ctx.out.array(names.len());
    for n in &names {
        ctx.out.bulk(n);
    }
}

fn count_subscribers(ctx: &mut Ctx<'_>, a: &[&[u8]], kind: Kind) {
    ctx.out.array((a.len() - 2) * 2);
    for name in &a[2..] {
        ctx.out.bulk(name);
        ctx.out.int(ctx.srv.pubsub.subscribers(kind, name) as i64);
    }
}

/// ```text
/// PUBSUB CHANNELS [pattern]
/// ```
fn channels(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    list_channels(ctx, a, Kind::Channel);
}

/// ```text
/// PUBSUB SHARDCHANNELS [pattern]
/// ```
fn shardchannels(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    list_channels(ctx, a, Kind::Shard);
}

/// ```text
/// PUBSUB NUMSUB [channel ...]
/// ```
/// `[channel, count, ...]`.
fn numsub(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    count_subscribers(ctx, a, Kind::Channel);
}

/// ```text
/// PUBSUB SHARDNUMSUB [shardchannel ...]
/// ```
fn shardnumsub(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    count_subscribers(ctx, a, Kind::Shard);
}

/// ```text
/// PUBSUB NUMPAT
/// ```
fn numpat(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.int(ctx.srv.pubsub.names(Kind::Pattern) as i64);
}

const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    help_reply(ctx, HELP);
}

/// The error a RESP2 client in the subscribed state gets for any command
/// but these.
pub(crate) fn allowed_while_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Which channel arguments of a pub/sub request ACL channel rules check,
/// and whether they are patterns (compared literally with the rules).
pub(crate) fn channel_args(name: &str, argc: usize) -> (std::ops::Range<usize>, bool) {
    match name {
        "publish" | "spublish" => (1..2.min(argc), false),
        "subscribe" | "ssubscribe" => (1..argc, false),
        "psubscribe" => (1..argc, true),
        _ => (0..0, false),
    }
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn subscribe_confirms_each_channel_with_a_running_count() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("SUBSCRIBE a b a"),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n\
             *3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n"
        );
        assert_eq!(h.run("PSUBSCRIBE p*"), "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:3\r\n");
        assert_eq!(
            h.run("SSUBSCRIBE s"),
            "*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n",
            "shard channels count apart"
        );
    }

    #[test]
    fn unsubscribe_with_nothing_subscribed_still_replies() {
        let mut h = Harness::new();
        assert_eq!(h.run("UNSUBSCRIBE"), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        assert_eq!(h.run("PUNSUBSCRIBE"), "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
        h.client.resp3 = true;
        assert_eq!(h.run("SUNSUBSCRIBE"), ">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n");
    }

    #[test]
    fn a_resp2_subscriber_may_only_subscribe_ping_quit_and_reset() {
        let mut h = Harness::new();
        h.run("SUBSCRIBE a");
        assert_eq!(
            h.run("GET x"),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        );
        assert_eq!(
            h.run("CONFIG GET maxmemory"),
            "-ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        );
        assert_eq!(h.run("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(h.run("PING hi"), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
        h.run("UNSUBSCRIBE");
        assert_eq!(h.run("PING"), "+PONG\r\n");
        assert_eq!(h.run("GET x"), "$-1\r\n");
    }

    #[test]
    fn a_resp3_subscriber_runs_any_command() {
        let mut h = Harness::new();
        h.run("HELLO 3");
        h.run("SUBSCRIBE a");
        assert_eq!(h.run("GET x"), "_\r\n");
        assert_eq!(h.run("PING"), "+PONG\r\n");
    }

    #[test]
    fn publish_counts_channel_and_pattern_receivers() {
        let mut sub = Harness::new();
        sub.run("SUBSCRIBE news");
        sub.run("PSUBSCRIBE n*");
        // Another client of the same server.
        let addr = "127.0.0.1:2".parse().unwrap();
        let other = sub
            .srv
            .clients
            .register(crate::state::Proto::Resp, addr, addr, 0, &sub.srv.shutdown);
        let mut pubc = crate::state::Client::new(other);
        let mut buf = Vec::new();
        let mut ctx = crate::command::Ctx {
            srv: &sub.srv,
            client: &mut pubc,
            out: crate::protocol::resp::Reply::new(&mut buf, false),
            now: 0,
        };
        crate::command::execute(&mut ctx, &[b"PUBLISH", b"news", b"hi"]);
        assert_eq!(buf, b":2\r\n");
        let mut got = Vec::new();
        sub.client.handle.mail.take_into(&mut got);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert!(sub
            .run("PUBSUB NUMPAT")
            .starts_with("-ERR Can't execute 'pubsub|numpat'"));
    }

    #[test]
    fn pubsub_introspection() {
        let mut sub = Harness::new();
        sub.run("HELLO 3");
        sub.run("SUBSCRIBE a.1 a.2 b");
        sub.run("PSUBSCRIBE x* y*");
        sub.run("SSUBSCRIBE s");
        assert_eq!(sub.run("PUBSUB NUMPAT"), ":2\r\n");
        assert_eq!(
            sub.run("PUBSUB NUMSUB a.1 zz"),
            "*4\r\n$3\r\na.1\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
        );
        assert_eq!(sub.run("PUBSUB NUMSUB"), "*0\r\n");
        assert_eq!(sub.run("PUBSUB SHARDCHANNELS"), "*1\r\n$1\r\ns\r\n");
        assert_eq!(
            sub.run("PUBSUB SHARDNUMSUB s a.1"),
            "*4\r\n$1\r\ns\r\n:1\r\n$3\r\na.1\r\n:0\r\n"
        );
        assert_eq!(sub.run("PUBSUB CHANNELS b*"), "*1\r\n$1\r\nb\r\n");
        assert_eq!(
            sub.run("PUBSUB CHANNELS a b"),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(
            sub.run("PUBSUB NOPE"),
            "-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n"
        );
    }
}
