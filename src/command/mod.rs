//! The common command set.
//!
//! Every command is declared once, as a [`CommandSpec`]: name, arity,
//! flags, key specifications ([`key_spec`]), documentation and handler.
//! That one declaration drives arity errors, `COMMAND` output and key
//! extraction. Each family
//! lives in its own file with its parsing beside its execution, and lists
//! its commands in a `COMMANDS` table; [`lookup`] joins the tables.
//!
//! Handlers take the arguments as byte slices (the name first, as Redis
//! passes `argv`) and write their reply through [`Ctx::out`], so a reply is
//! encoded straight into the connection's output buffer.

pub(crate) mod acl;
pub(crate) mod args;
pub(crate) mod bitmap;
pub(crate) mod cache;
pub(crate) mod client;
pub(crate) mod config_cmd;
pub(crate) mod debug;
pub(crate) mod digest;
pub(crate) mod dump;
pub(crate) mod errors;
pub(crate) mod function;
pub(crate) mod hash;
pub(crate) mod info;
pub(crate) mod introspection;
pub(crate) mod key_spec;
pub(crate) mod keys;
pub(crate) mod latency;
pub(crate) mod list;
pub(crate) mod memcache;
pub(crate) mod memory;
pub(crate) mod monitor;
pub(crate) mod notify;
pub(crate) mod persist;
pub(crate) mod policy;
pub(crate) mod propagate;
pub(crate) mod pubsub;
pub(crate) mod replication;
pub(crate) mod scripting;
pub(crate) mod server;
pub(crate) mod set;
pub(crate) mod slowlog;
pub(crate) mod sort;
pub(crate) mod string;
pub(crate) mod string_ops;
pub(crate) mod tracking;
pub(crate) mod transaction;
pub(crate) mod zset;

use crate::protocol::resp::Reply;
use crate::state::{BusyKind, Client, Server};
use crate::store::{EvictionPolicy, KeyHash, OutOfMemory};
use hashbrown::HashMap;
use key_spec::{KeyFinder, KeyRef, KeySpec};
use std::sync::OnceLock;

/// Command flags, as `COMMAND INFO` names them.
pub(crate) mod flags {
    pub(crate) const WRITE: u32 = 1 << 0;
    pub(crate) const READONLY: u32 = 1 << 1;
    pub(crate) const DENYOOM: u32 = 1 << 2;
    pub(crate) const ADMIN: u32 = 1 << 3;
    pub(crate) const PUBSUB: u32 = 1 << 4;
    pub(crate) const NOSCRIPT: u32 = 1 << 5;
    pub(crate) const BLOCKING: u32 = 1 << 6;
    pub(crate) const LOADING: u32 = 1 << 7;
    pub(crate) const STALE: u32 = 1 << 8;
    pub(crate) const SKIP_MONITOR: u32 = 1 << 9;
    pub(crate) const SKIP_SLOWLOG: u32 = 1 << 10;
    pub(crate) const FAST: u32 = 1 << 11;
    pub(crate) const NO_AUTH: u32 = 1 << 12;
    pub(crate) const MAY_REPLICATE: u32 = 1 << 13;
    pub(crate) const NO_MULTI: u32 = 1 << 14;
    /// Derived from the key specs ([`super::CommandSpec::movable_keys`]),
    /// never declared.
    pub(crate) const MOVABLEKEYS: u32 = 1 << 15;
    pub(crate) const ALLOW_BUSY: u32 = 1 << 16;
    /// A command whose keys may number zero (EVAL script 0).
    pub(crate) const NO_MANDATORY_KEYS: u32 = 1 << 17;

    /// Flag names in the order Redis lists them.
    pub(crate) const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (`@read`, `@string` ...), as bits. A command declares
/// the categories of what it is about (by default, its group's: a string
/// command is `@string`); those its flags imply are added by
/// [`CommandSpec::categories`], as Redis adds them.
pub(crate) mod categories {
    pub(crate) const KEYSPACE: u32 = 1 << 0;
    pub(crate) const READ: u32 = 1 << 1;
    pub(crate) const WRITE: u32 = 1 << 2;
    pub(crate) const SET: u32 = 1 << 3;
    pub(crate) const SORTEDSET: u32 = 1 << 4;
    pub(crate) const LIST: u32 = 1 << 5;
    pub(crate) const HASH: u32 = 1 << 6;
    pub(crate) const STRING: u32 = 1 << 7;
    pub(crate) const BITMAP: u32 = 1 << 8;
    pub(crate) const HYPERLOGLOG: u32 = 1 << 9;
    pub(crate) const GEO: u32 = 1 << 10;
    pub(crate) const STREAM: u32 = 1 << 11;
    pub(crate) const PUBSUB: u32 = 1 << 12;
    pub(crate) const ADMIN: u32 = 1 << 13;
    pub(crate) const FAST: u32 = 1 << 14;
    pub(crate) const SLOW: u32 = 1 << 15;
    pub(crate) const BLOCKING: u32 = 1 << 16;
    pub(crate) const DANGEROUS: u32 = 1 << 17;
    pub(crate) const CONNECTION: u32 = 1 << 18;
    pub(crate) const TRANSACTION: u32 = 1 << 19;
    pub(crate) const SCRIPTING: u32 = 1 << 20;

    /// Names in the order Redis lists them (ACL CAT, COMMAND INFO).
    pub(crate) const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];

    /// The category a command of `group` (as COMMAND DOCS names groups)
    /// declares unless it says otherwise.
    pub(crate) const fn of_group(group: &str) -> u32 {
        const GROUPS: &[(&str, u32)] = &[
            ("generic", KEYSPACE),
            ("string", STRING),
            ("bitmap", BITMAP),
            ("list", LIST),
            ("set", SET),
            ("sorted-set", SORTEDSET),
            ("hash", HASH),
            ("hyperloglog", HYPERLOGLOG),
            ("geo", GEO),
            ("stream", STREAM),
            ("pubsub", PUBSUB),
            ("connection", CONNECTION),
            ("transactions", TRANSACTION),
            ("scripting", SCRIPTING),
        ];
        let mut i = 0;
        while i < GROUPS.len() {
            if same(GROUPS[i].0, group) {
                return GROUPS[i].1;
            }
            i += 1;
        }
        0
    }

    const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The category named `name` (any case, without `@`).
    pub(crate) fn by_name(name: &[u8]) -> Option<u32> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(bit, _)| *bit)
    }
}

/// A command's documentation, for `COMMAND DOCS`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc {
    pub(crate) summary: &'static str,
    pub(crate) since: &'static str,
    pub(crate) complexity: &'static str,
    /// The argument syntax after the name, as in the command reference.
    pub(crate) syntax: &'static str,
}

pub(crate) const NO_DOC: Doc = Doc {
    summary: "",
    since: "1.0.0",
    complexity: "",
    syntax: "",
};

pub(crate) type Handler = fn(&mut Ctx<'_>, &[&[u8]]);

/// One command's declaration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CommandSpec {
    /// Lower-case name; `parent|sub` for subcommands.
    pub(crate) name: &'static str,
    /// Redis arity: exact count when positive, minimum when negative,
    /// counting the name (and, for subcommands, the subcommand).
    pub(crate) arity: i32,
    pub(crate) flags: u32,
    /// Where the keys are and how the command uses them; everything else
    /// about keys (the legacy triple, `movablekeys`, the keys of a
    /// request) is derived from these.
    pub(crate) key_specs: &'static [KeySpec],
    /// Finds keys the specs cannot (SORT's STORE, SET's flags with GET).
    pub(crate) key_finder: Option<KeyFinder>,
    /// Family, as `COMMAND DOCS` groups commands: "string", "generic", ...
    pub(crate) group: &'static str,
    /// The ACL categories declared ([`categories`]); the flags add more.
    pub(crate) acl_categories: u32,
    pub(crate) doc: Doc,
    pub(crate) subcommands: &'static [CommandSpec],
    pub(crate) handler: Handler,
}

/// A declaration with no keys and no docs; fill the rest with `..`.
pub(crate) const fn spec(
    name: &'static str,
    arity: i32,
    flags: u32,
    group: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        key_specs: &[],
        key_finder: None,
        group,
        acl_categories: categories::of_group(group),
        doc: NO_DOC,
        subcommands: &[],
        handler,
    }
}

impl CommandSpec {
    /// Declares the command's key specs.
    pub(crate) const fn key_specs(mut self, specs: &'static [KeySpec]) -> CommandSpec {
        self.key_specs = specs;
        self
    }

    /// Declares the command's ACL categories instead of its group's.
    pub(crate) const fn acl(mut self, categories: u32) -> CommandSpec {
        self.acl_categories = categories;
        self
    }

    /// Every ACL category of the command: those declared, and those its
    /// flags imply (`write` is `@write`, `admin` is `@admin` and
    /// `@dangerous`, what is not `@fast` is `@slow`). A read-only script
    /// command is not `@read`: what it reads is up to the script.
    pub(crate) fn categories(&self) -> u32 {
        use categories as c;
        let mut cats = self.acl_categories;
        if self.has(flags::WRITE) {
            cats |= c::WRITE;
        }
        if self.has(flags::READONLY) && cats & c::SCRIPTING == 0 {
            cats |= c::READ;
        }
        if self.has(flags::ADMIN) {
            cats |= c::ADMIN | c::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            cats |= c::PUBSUB;
        }
        if self.has(flags::FAST) {
            cats |= c::FAST;
        }
        if self.has(flags::BLOCKING) {
            cats |= c::BLOCKING;
        }
        if cats & c::FAST == 0 {
            cats |= c::SLOW;
        }
        cats
    }

    /// Declares a finder for keys the specs cannot locate.
    pub(crate) const fn key_finder(mut self, finder: KeyFinder) -> CommandSpec {
        self.key_finder = Some(finder);
        self
    }

    /// The keys of this request (`args[0]` is the name), with how the
    /// command uses each; empty when it has none or the arguments are
    /// malformed.
    pub(crate) fn keys(&self, args: &[&[u8]]) -> Vec<KeyRef> {
        key_spec::find(self.key_specs, self.key_finder, args)
    }

    /// The positions of the keys of this request.
    #[cfg(test)]
    pub(crate) fn key_positions(&self, args: &[&[u8]]) -> Vec<usize> {
        self.keys(args).into_iter().map(|k| k.pos).collect()
    }

    /// The legacy first key, last key (negative from the end) and step.
    pub(crate) fn legacy_keys(&self) -> (i32, i32, i32) {
        key_spec::legacy_range(self.key_specs).0
    }

    /// Keys that the legacy triple does not describe.
    pub(crate) fn movable_keys(&self) -> bool {
        key_spec::legacy_range(self.key_specs).1
    }

    pub(crate) const fn doc(
        mut self,
        since: &'static str,
        summary: &'static str,
        complexity: &'static str,
        syntax: &'static str,
    ) -> CommandSpec {
        self.doc = Doc {
            summary,
            since,
            complexity,
            syntax,
        };
        self
    }

    pub(crate) const fn subs(mut self, subcommands: &'static [CommandSpec]) -> CommandSpec {
        self.subcommands = subcommands;
        self
    }

    pub(crate) fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The subcommand named by `args[1]`, if this is a container command.
    pub(crate) fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommand_index(name).map(|i| &self.subcommands[i])
    }

    /// The place of the subcommand `name` in [`CommandSpec::subcommands`].
    pub(crate) fn subcommand_index(&self, name: &[u8]) -> Option<usize> {
        let sub_start = self.name.len() + 1;
        self.subcommands
            .iter()
            .position(|s| s.name.len() > sub_start && s.name.as_bytes()[sub_start..].eq_ignore_ascii_case(name))
    }
}

/// Every top-level command, from every family's table.
pub(crate) fn all() -> impl Iterator<Item = &'static CommandSpec> {
    [
        acl::COMMANDS,
        string::COMMANDS,
        bitmap::COMMANDS,
        sort::COMMANDS,
        memory::COMMANDS,
        keys::COMMANDS,
        dump::COMMANDS,
        list::COMMANDS,
        server::COMMANDS,
        persist::COMMANDS,
        replication::COMMANDS,
        info::COMMANDS,
        client::COMMANDS,
        introspection::COMMANDS,
        config_cmd::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        hash::COMMANDS,
        cache::COMMANDS,
        policy::COMMANDS,
        debug::COMMANDS,
        monitor::COMMANDS,
        latency::COMMANDS,
        slowlog::COMMANDS,
        transaction::COMMANDS,
        scripting::COMMANDS,
        function::COMMANDS,
        pubsub::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// The command table: every command and subcommand by name, each with
/// its row in the server's per-command counters.
struct Table {
    by_name: HashMap<&'static str, (&'static CommandSpec, usize)>,
    /// Every command then its subcommands, in row order.
    rows: Vec<&'static CommandSpec>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows = Vec::new();
        let mut by_name = HashMap::new();
        for c in all() {
            by_name.insert(c.name, (c, rows.len()));
            rows.push(c);
            rows.extend(c.subcommands.iter());
        }
        assert!(
            rows.len() <= crate::state::MAX_COMMANDS,
            "too many commands for the stats table"
        );
        Table { by_name, rows }
    })
}

/// Finds a command by name, in any letter case.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    lookup_indexed(name).map(|(c, _)| c)
}

/// Finds a command by name, with its row in the per-command counters;
/// its subcommands' rows follow it, in their table's order.
pub(crate) fn lookup_indexed(name: &[u8]) -> Option<(&'static CommandSpec, usize)> {
    let mut lower = [0u8; 32];
    if name.len() > lower.len() {
        return None;
    }
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let name = std::str::from_utf8(&lower[..name.len()]).ok()?;
    table().by_name.get(name).copied()
}

/// Finds a command or a subcommand (`config|get`) by its full name, with
/// its row in the per-command counters.
pub(crate) fn lookup_full(name: &[u8]) -> Option<(&'static CommandSpec, usize)> {
    let Some(bar) = name.iter().position(|&b| b == b'|') else {
        return lookup_indexed(name);
    };
    let (parent, row) = lookup_indexed(&name[..bar])?;
    let i = parent.subcommand_index(&name[bar + 1..])?;
    Some((&parent.subcommands[i], row + 1 + i))
}

/// The command or subcommand a request runs, with its row, as Redis's
/// `lookupCommand` finds it: a container's subcommand when there is an
/// argument after the name (None when it has no such subcommand), else
/// the command itself.
pub(crate) fn lookup_request(args: &[&[u8]]) -> Option<(&'static CommandSpec, usize)> {
    let (spec, row) = lookup_indexed(args.first()?)?;
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Some((spec, row));
    }
    let i = spec.subcommand_index(args[1])?;
    Some((&spec.subcommands[i], row + 1 + i))
}

/// Every command and subcommand with its row, in row order.
pub(crate) fn rows() -> impl Iterator<Item = (usize, &'static CommandSpec)> {
    table().rows.iter().copied().enumerate()
}

/// What a handler sees: the server, its connection's state, the reply sink
/// and the time of the batch being executed.
pub(crate) struct Ctx<'a> {
    pub(crate) srv: &'a Server,
    pub(crate) client: &'a mut Client,
    pub(crate) out: Reply<'a>,
    /// Unix time in milliseconds, read once per batch.
    pub(crate) now: u64,
}

impl Ctx<'_> {
    pub(crate) fn db(&self) -> usize {
        self.client.db
    }

    pub(crate) fn hash(&self, key: &[u8]) -> KeyHash {
        self.srv.store.hash(key)
    }

    pub(crate) fn error(&mut self, msg: &str) {
        self.count_error(msg.as_bytes());
        self.out.error(msg);
    }

    /// Counts an error reply written some other way (a script's error):
    /// in the server's counters and as this command's failure.
    pub(crate) fn count_error(&mut self, msg: &[u8]) {
        self.srv.stats.error_reply(msg);
        self.client.errors += 1;
    }

    /// Counts this command as failed for an error reply that was counted
    /// where it arose: a script answering the error of a command it
    /// called, which that command's run counted already.
    pub(crate) fn count_failure(&mut self) {
        self.client.errors += 1;
    }

    /// For a blocking command that found nothing: writes no reply and asks
    /// the session to park the client until one of `keys` (in its current
    /// database) becomes a list or sorted set, or until `deadline` (Unix
    /// ms; 0 = forever). The command then runs again with the same
    /// arguments; after the deadline, [`Ctx::timed_out`] is true and it
    /// gives its timeout reply instead of blocking again.
    pub(crate) fn block(&mut self, keys: &[&[u8]], deadline: u64) {
        self.client.block = Some(crate::state::BlockOn {
            db: self.client.db,
            keys: keys.iter().map(|k| Box::from(*k)).collect(),
            deadline,
        });
    }

    /// The most output a reply whose length the client picks (random
    /// picks that may repeat) may reach: the longest value a client may
    /// send, `proto-max-bulk-len`, or the client's hard output limit when
    /// that is lower.
    pub(crate) fn picks_ceiling(&self) -> usize {
        let hard = self.srv.settings.output_limit(false).hard as usize;
        match hard {
            0 => self.srv.settings.proto_max_bulk_len(),
            h => h.min(self.srv.settings.proto_max_bulk_len()),
        }
    }

    /// Closes this client after a reply cut short at [`Ctx::picks_ceiling`],
    /// as Redis closes a client over its output limit.
    pub(crate) fn close_over_limit(&mut self, command: &str) {
        self.srv
            .stats
            .obuf_limit_disconnections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            client = self.client.id,
            "closing client whose {command} reply passed the output limit"
        );
        self.client.close = true;
    }

    /// This run of a blocking command comes after its wait ended. Redis
    /// serves a blocked client only from a key that holds the type it
    /// waits for: a key that became another type meanwhile (a list pushed,
    /// deleted and set to a string in one transaction) is passed over, and
    /// the client waits on, where its first run answers WRONGTYPE.
    pub(crate) fn resumed(&self) -> bool {
        self.client.resumed
    }

    /// This run of a blocking command comes after its deadline passed.
    pub(crate) fn timed_out(&self) -> bool {
        self.client.timed_out
    }
}

/// Looks up and runs one request. Unknown commands, arity errors,
/// requests the client's ACL user may not make, `denyoom` commands
/// refused for memory and commands held back by a BUSY script are
/// answered here, in Redis's words; a command held back by
/// CLIENT PAUSE is not run and sets [`Client::paused_until`].
///
/// Around the handler, as Redis's `call()` does: the per-command
/// counters, the slow log, the latency monitor and the MONITOR feed. Each
/// costs one relaxed load when it is off.
///
/// [`Client::paused_until`]: crate::state::Client::paused_until
pub(crate) fn execute(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> Option<&'static CommandSpec> {
    let Some((spec, row)) = lookup_indexed(args[0]) else {
        ctx.error(&errors::unknown_command(args));
        transaction::abort(ctx.client);
        return None;
    };
    if !spec.arity_ok(args.len()) {
        transaction::reject(ctx, spec.name, &errors::wrong_arity(spec.name));
        ctx.srv.cmdstats.rejected(row);
        return Some(spec);
    }
    // The counters are a subcommand's own (CONFIG GET, CLIENT LIST ...).
    let (real, row) = match args.get(1).filter(|_| !spec.subcommands.is_empty()) {
        Some(sub) => match spec.subcommand_index(sub) {
            Some(i) => (&spec.subcommands[i], row + 1 + i),
            None => (spec, usize::MAX),
        },
        None => (spec, row),
    };
    if !std::ptr::eq(real, spec) && !real.arity_ok(args.len()) {
        ctx.error(&errors::wrong_arity(real.name));
        ctx.srv.cmdstats.rejected(row);
        transaction::abort(ctx.client);
        return Some(spec);
    }
    // A MONITOR client is a replica to Redis: it may not touch keys.
    if ctx.client.monitor.is_some() && real.has(flags::WRITE | flags::READONLY | flags::MAY_REPLICATE) {
        ctx.error(errors::REPLICA_KEYSPACE);
        ctx.srv.cmdstats.rejected(row);
        transaction::abort(ctx.client);
        return Some(spec);
    }
    // After the name and arity checks, before everything else, as Redis
    // orders them: an unknown command is named even to a stranger.
    if !ctx.client.authenticated && !spec.has(flags::NO_AUTH) && ctx.srv.acl.auth_required() {
        transaction::reject(ctx, spec.name, errors::NOAUTH);
        return Some(spec);
    }
    let queuing = ctx.client.multi.is_some() && !transaction::runs_in_multi(spec.name);
    if queuing && spec.has(flags::NO_MULTI) {
        ctx.error(errors::NOT_IN_MULTI);
        ctx.srv.cmdstats.rejected(row);
        transaction::abort(ctx.client);
        return Some(spec);
    }
    // ACL rules, after the transaction check as Redis orders them: one
    // load and one branch for a user that may do everything. A script's
    // commands were checked by `redis.call`; a blocked command served
    // again was checked when it first ran.
    if !ctx.client.user.unrestricted()
        && !ctx.client.master
        && !ctx.client.in_script
        && !ctx.client.resumed
        && !acl::admit(ctx, spec, real, row, args)
    {
        return Some(spec);
    }
    // A RESP2 client with subscriptions reads pushes only: it may send
    // nothing that has a reply of its own (RESP3 tells the two apart).
    if !ctx.client.resp3 && ctx.client.subs.total() != 0 && !pubsub::allowed_while_subscribed(spec.name) {
        transaction::reject(ctx, spec.name, &errors::subscribed_context(real.name));
        ctx.srv.cmdstats.rejected(row);
        return Some(spec);
    }
    if let Some(kind) = ctx.srv.busy.current() {
        if !real.has(flags::ALLOW_BUSY) && !spec.has(flags::ALLOW_BUSY) && !ctx.client.in_script {
            let msg = match kind {
                BusyKind::Script => errors::BUSY_SCRIPT,
                BusyKind::Function => errors::BUSY_FUNCTION,
            };
            transaction::reject(ctx, spec.name, msg);
            ctx.srv.cmdstats.rejected(row);
            return Some(spec);
        }
    }
    // As Redis does: with a memory limit, every command first makes room
    // by the policy; one that may add memory is refused when there is none
    // to make, and so is any command queued in a transaction, which takes
    // memory to queue. Commands that free or only read memory run whatever
    // the usage. Inside EXEC or a script, EXEC or the script made room once
    // for all: eviction inside their atomic scope would keep every shard it
    // sampled locked.
    // The primary's stream on a replica is obeyed as it comes.
    let nested = ctx.client.in_exec || ctx.client.in_script || ctx.client.master;
    let refusable = spec.has(flags::DENYOOM) || queuing;
    if !nested && (refusable || ctx.srv.settings.maxmemory() != 0) {
        let policy = ctx.srv.store.limits().policy;
        if make_room(ctx.srv, ctx.db(), ctx.now, policy).is_err() && refusable {
            ctx.error(errors::OOM);
            ctx.srv.cmdstats.rejected(row);
            transaction::abort(ctx.client);
            return Some(spec);
        }
        if ctx.client.tracking.is_some() {
            // What the eviction invalidated goes before this command's
            // reply, as Redis sends it: the reply may hold the new value.
            notify::flush(ctx.srv);
            ctx.client.handle.mail.take_into(ctx.out.buf);
        }
    }
    // Scripts (EVAL, EVALSHA, FCALL) may write unless they declared
    // `no-writes`; read only when a pause or a transaction asks.
    let may_write = || {
        if real.has(flags::MAY_REPLICATE) && matches!(real.name, "eval" | "evalsha" | "fcall") {
            scripting::may_write(ctx.srv, args)
        } else {
            real.has(flags::WRITE | flags::MAY_REPLICATE)
                || (spec.name == "exec" && ctx.client.multi.as_ref().is_some_and(|q| q.may_write))
        }
    };
    // After a failed background save, with save points and
    // stop-writes-on-bgsave-error, writes (and PING) are refused until a
    // save succeeds: one relaxed load while the last save went well.
    let writes_now = real.has(flags::WRITE)
        || spec.name == "ping"
        || (spec.name == "exec" && ctx.client.multi.as_ref().is_some_and(|q| q.may_write));
    if !nested && writes_now && persist::refuses_writes(ctx.srv) {
        transaction::reject(ctx, spec.name, errors::MISCONF);
        ctx.srv.cmdstats.rejected(row);
        return Some(spec);
    }
    if !nested && writes_now && spec.name != "ping" && replication::too_few_replicas(ctx.srv, ctx.now) {
        transaction::reject(ctx, spec.name, errors::NOREPLICAS);
        ctx.srv.cmdstats.rejected(row);
        return Some(spec);
    }
    if !nested && ctx.srv.store.is_replica() {
        // A script that declares no flags may run: its writes are refused
        // one by one, as `redis.call` makes them.
        let script = matches!(real.name, "eval" | "evalsha" | "fcall");
        let writes = match script {
            true => scripting::declares_writes(ctx.srv, args),
            false => spec.name != "ping" && writes_now,
        };
        if let Some(mut e) = replication::refusal(ctx.srv, writes, real.has(flags::STALE)) {
            if script && e == errors::READONLY_REPLICA {
                e = errors::READONLY_SCRIPT;
            }
            transaction::reject(ctx, spec.name, e);
            ctx.srv.cmdstats.rejected(row);
            return Some(spec);
        }
    }
    if !nested && !ctx.client.resumed && ctx.srv.pause.holds(true, ctx.now).is_some() {
        if let Some(until) = ctx.srv.pause.holds(may_write(), ctx.now) {
            ctx.client.paused_until = Some(until);
            return Some(spec);
        }
    }
    if queuing {
        let writes = may_write();
        transaction::queue(ctx, args, spec.has(flags::DENYOOM));
        if let Some(q) = ctx.client.multi.as_mut() {
            q.may_write |= writes;
        }
        return Some(spec);
    }
    let errors_before = ctx.client.errors;
    if ctx.client.tracking.is_some() {
        tracking::before(ctx, real, args);
    } else if ctx.client.in_script {
        tracking::in_script(real);
    }
    let feeding = ctx.srv.feed.is_on();
    let (writes_before, mark) = match feeding {
        true => (ctx.srv.store.events().writes(), ctx.out.buf.len()),
        false => (0, 0),
    };
    let start = crate::util::mono::now_ns();
    let reading = crate::store::reading(spec.has(flags::READONLY) && !spec.has(flags::WRITE));
    (spec.handler)(ctx, args);
    drop(reading);
    if ctx.client.tracking.is_some() {
        tracking::after_script(ctx, real, args);
        tracking::after(ctx, spec);
    }
    // Keys the command created, expired or evicted on the way.
    notify::flush(ctx.srv);
    if feeding {
        propagate::after(ctx, real, args, writes_before, mark);
    }
    let ns = crate::util::mono::now_ns().saturating_sub(start);
    if row != usize::MAX {
        after_call(ctx, args, real, row, ns, ctx.client.errors != errors_before);
    }
    Some(spec)
}

/// Counts a call refused before [`execute`] (a script's `redis.call` of a
/// command the script may not run, or not now): the error reply in the
/// server's counters, and a rejected call of the command (or subcommand)
/// when there is one, as Redis counts a refused call.
pub(crate) fn count_refusal(srv: &Server, args: &[&[u8]], msg: &str) {
    srv.stats.error_reply(msg.as_bytes());
    let Some((spec, row)) = args.first().and_then(|name| lookup_indexed(name)) else {
        return;
    };
    let row = match args.get(1).filter(|_| !spec.subcommands.is_empty()) {
        Some(sub) => match spec.subcommand_index(sub) {
            Some(i) => row + 1 + i,
            None => return,
        },
        None => row,
    };
    srv.cmdstats.rejected(row);
}

/// What Redis's `call()` does after a command ran for `ns`: count it,
/// log it when slow, sample it for the latency monitor, show it to
/// monitors. A command that parked its client is counted and shown now;
/// the run that serves it adds its time and outcome and is logged.
fn after_call(ctx: &mut Ctx<'_>, args: &[&[u8]], real: &CommandSpec, row: usize, ns: u64, failed: bool) {
    let srv = ctx.srv;
    let parked = ctx.client.block.is_some();
    let usec = ns / 1000;
    if !parked {
        let event = if real.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        srv.latency.sample_if_needed(event, usec / 1000, ctx.now);
        if !real.has(flags::SKIP_SLOWLOG) && srv.slowlog.wants(usec) {
            srv.slowlog.push(crate::state::SlowCall {
                argv: &redacted(real, args),
                usec,
                now_ms: ctx.now,
                peer: &ctx.client.handle.addr,
                name: crate::util::sync::lock(&ctx.client.handle.name).clone(),
            });
        }
    }
    let track = !parked && srv.latency_tracking.load(std::sync::atomic::Ordering::Relaxed);
    if ctx.client.resumed {
        // Served after waiting: its time and outcome, not a second call,
        // as Redis's updateStatsOnUnblock counts it.
        if !parked {
            srv.cmdstats.unblocked(row, usec * 1000, failed, track);
        }
        return;
    }
    // Redis times in whole microseconds.
    srv.cmdstats.called(row, usec * 1000, failed, track);
    if srv.monitors.any() && !real.has(flags::SKIP_MONITOR | flags::ADMIN) {
        monitor::feed(ctx, &redacted(real, args));
    }
}

/// What the slow log and monitors see of `args`: passwords replaced by
/// `(redacted)`, as Redis redacts them. AUTH's password (and user), the
/// user and password after HELLO's AUTH, the user and rules of ACL
/// SETUSER, and the values CONFIG SET gives `masteruser`, `masterauth`
/// and `requirepass`.
fn redacted<'a>(real: &CommandSpec, args: &'a [&'a [u8]]) -> std::borrow::Cow<'a, [&'a [u8]]> {
    const REDACTED: &[u8] = b"(redacted)";
    let hide: Vec<usize> = match real.name {
        "auth" if args.len() <= 3 => (1..args.len()).collect(),
        "migrate" => {
            // The password after AUTH, the user and password after AUTH2,
            // up to KEYS.
            let mut hide = Vec::new();
            let mut j = 6;
            while j < args.len() && !args[j].eq_ignore_ascii_case(b"keys") {
                if args[j].eq_ignore_ascii_case(b"auth") {
                    hide.push(j + 1);
                    j += 1;
                } else if args[j].eq_ignore_ascii_case(b"auth2") {
                    hide.extend([j + 1, j + 2]);
                    j += 2;
                }
                j += 1;
            }
            hide.retain(|&i| i < args.len());
            hide
        }
        "hello" => {
            let mut hide = Vec::new();
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                    hide.extend([j + 1, j + 2]);
                    j += 2;
                } else if args[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                    j += 1;
                }
                j += 1;
            }
            hide
        }
        "acl|setuser" => (2..args.len()).collect(),
        "config|set" => (2..args.len())
            .step_by(2)
            .filter(|&i| {
                ["masteruser", "masterauth", "requirepass"]
                    .iter()
                    .any(|n| args[i].eq_ignore_ascii_case(n.as_bytes()))
            })
            .map(|i| i + 1)
            .filter(|&i| i < args.len())
            .collect(),
        _ => return std::borrow::Cow::Borrowed(args),
    };
    let mut shown = args.to_vec();
    for i in hide {
        shown[i] = REDACTED;
    }
    std::borrow::Cow::Owned(shown)
}

/// Makes room in database `db` for a write that may add memory, evicting
/// by `policy` while the store or the database is over its limit; `Err`
/// when it is over and nothing may go.
///
/// Every such write passes here before it runs, whichever protocol sent
/// it, so that what watches memory sees one path: [`execute`] for
/// `denyoom` commands and anything queued in MULTI, EXEC and scripts once
/// for all they run, and memcached's storage verbs and lengthening `incr`
/// ([`memcache`]). Redis commands pass `maxmemory-policy`; memcached passes
/// its own, which evicts even when the Redis side says `noeviction`. The
/// caller refuses the write in its own protocol's words:
///
/// ```text
/// -OOM command not allowed when used memory > 'maxmemory'.
/// SERVER_ERROR out of memory storing object
/// ```
pub(crate) fn make_room(srv: &Server, db: usize, now: u64, policy: EvictionPolicy) -> Result<(), OutOfMemory> {
    srv.store.make_room_in(db, now, policy)
}

/// Writes `n` picks with `pick`, for a reply whose length the client
/// chose: stops, and returns false, once the output passes `ceiling`
/// bytes, so that one request cannot grow the server's memory without
/// bound. The reply is then incomplete and the caller closes the client
/// ([`Ctx::close_over_limit`]).
pub(crate) fn picks_within(out: &mut Reply<'_>, n: u64, ceiling: usize, mut pick: impl FnMut(&mut Reply<'_>)) -> bool {
    for i in 0..n {
        if i % 1024 == 0 && out.written() > ceiling {
            return false;
        }
        pick(out);
    }
    true
}

/// Replies to `<COMMAND> HELP`: one status line per help line, as Redis
/// answers it.
pub(crate) fn help_reply(ctx: &mut Ctx<'_>, lines: &[&str]) {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}

/// Runs the subcommand of a container command (CONFIG GET, CLIENT LIST ...).
pub(crate) fn dispatch_sub(ctx: &mut Ctx<'_>, args: &[&[u8]], parent: &CommandSpec) {
    let Some(sub) = parent.subcommand(args[1]) else {
        ctx.error(&errors::unknown_subcommand(args[1], parent.name));
        return;
    };
    if !sub.arity_ok(args.len()) {
        ctx.error(&errors::wrong_arity(sub.name));
        return;
    }
    (sub.handler)(ctx, args);
}

/// Handler tests' server: runs requests against one server with no
/// listeners and gives the reply as RESP text.
#[cfg(test)]
pub(crate) mod testing {
    use super::{execute, Ctx};
    use crate::protocol::resp::Reply;
    use crate::state::{Client, Proto, Server};
    use crate::store::Aggregate;

    pub(crate) struct Harness {
        pub(crate) srv: Server,
        pub(crate) client: Client,
        /// The time requests run at: the server's start unless a test moves it.
        pub(crate) now: u64,
    }

    impl Harness {
        pub(crate) fn new() -> Harness {
            Harness::with_config(crate::config::Config::default())
        }

        pub(crate) fn with_config(config: crate::config::Config) -> Harness {
            let srv = Server::new(config);
            let addr = "127.0.0.1:1".parse().expect("literal address");
            let handle = srv
                .clients
                .register(Proto::Resp, addr, addr, srv.start_ms, &srv.shutdown);
            Harness {
                client: Client::new(handle),
                now: srv.start_ms,
                srv,
            }
        }

        /// Runs one request; the reply in RESP3 when the client chose it.
        pub(crate) fn run_args(&mut self, args: &[&[u8]]) -> String {
            let mut buf = Vec::new();
            let resp3 = self.client.resp3;
            let mut ctx = Ctx {
                srv: &self.srv,
                client: &mut self.client,
                out: Reply::new(&mut buf, resp3),
                now: self.now,
            };
            execute(&mut ctx, args);
            String::from_utf8_lossy(&buf).into_owned()
        }

        /// [`Harness::run_args`] of a line split at spaces.
        pub(crate) fn run(&mut self, line: &str) -> String {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            self.run_args(&args)
        }

        /// Runs a line `dt` ms after the server's start.
        pub(crate) fn at(&mut self, dt: u64, line: &str) -> String {
            self.now = self.srv.start_ms + dt;
            self.run(line)
        }

        /// Stores an aggregate under `key` in database 0.
        pub(crate) fn put(&self, key: &[u8], agg: Aggregate) {
            self.srv
                .store
                .with_slot(0, key, self.srv.start_ms, |slot| slot.put_aggregate(agg));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_name_is_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for c in all() {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(seen.insert(c.name), "{} declared twice", c.name);
            for s in c.subcommands {
                assert!(s.name.starts_with(&format!("{}|", c.name)), "{}", s.name);
            }
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup(b"GeT").map(|c| c.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }

    /// The commands that carry `denyoom` in Redis 7's command table, among
    /// those ferrocache has.
    const REDIS_DENYOOM: &[&str] = &[
        "append",
        "bitfield",
        "bitop",
        "blmove",
        "brpoplpush",
        "cache.add",
        "cache.depend",
        "cache.lock",
        "cache.put",
        "cache.putunlock",
        "copy",
        "decr",
        "decrby",
        "function|load",
        "function|restore",
        "getset",
        "hincrby",
        "hincrbyfloat",
        "hmset",
        "hset",
        "hsetnx",
        "incr",
        "incrby",
        "incrbyfloat",
        "linsert",
        "lmove",
        "lpush",
        "lpushx",
        "lset",
        "mset",
        "msetnx",
        "psetex",
        "restore",
        "rpoplpush",
        "rpush",
        "rpushx",
        "sadd",
        "sdiffstore",
        "set",
        "setbit",
        "setex",
        "setnx",
        "setrange",
        "sinterstore",
        "sort",
        "sunionstore",
        "zadd",
        "zdiffstore",
        "zincrby",
        "zinterstore",
        "zrangestore",
        "zunionstore",
    ];

    #[test]
    fn a_busy_script_holds_back_every_command_but_allow_busy_ones_and_its_own() {
        let mut h = Harness::new();
        h.srv.busy.enter(BusyKind::Script, false);
        assert_eq!(h.run("GET k"), format!("-{}\r\n", errors::BUSY_SCRIPT));
        assert_eq!(h.run("MULTI"), "+OK\r\n", "allow_busy");
        h.client.in_script = true;
        assert_eq!(h.run("SET k v"), "+QUEUED\r\n", "the script's own client goes on");
        h.client.in_script = false;
        h.srv.busy.enter(BusyKind::Function, false);
        assert_eq!(h.run("GET k"), format!("-{}\r\n", errors::BUSY_FUNCTION));
        assert_eq!(
            h.srv.busy.request_kill(BusyKind::Script).map_err(errors::kill_refused),
            Err(errors::BUSY_FUNCTION)
        );
        assert_eq!(h.srv.busy.request_kill(BusyKind::Function), Ok(()));
        assert!(h.srv.busy.kill_requested());
        h.srv.busy.wrote();
        assert_eq!(
            h.srv
                .busy
                .request_kill(BusyKind::Function)
                .map_err(errors::kill_refused),
            Err(errors::UNKILLABLE)
        );
        h.srv.busy.leave();
        assert_eq!(
            h.srv.busy.request_kill(BusyKind::Script).map_err(errors::kill_refused),
            Err(errors::NOTBUSY)
        );
        assert!(!h.srv.busy.kill_requested());
        assert_eq!(h.run("DISCARD"), "+OK\r\n");
        assert_eq!(h.run("GET k"), "$-1\r\n");
    }

    #[test]
    fn denyoom_flags_match_redis_7() {
        let mut have: Vec<&str> = all()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands))
            .filter(|c| c.has(flags::DENYOOM))
            .map(|c| c.name)
            .collect();
        have.sort();
        assert_eq!(have, REDIS_DENYOOM);
    }

    use super::testing::Harness;

    const OOM_REPLY: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

    /// Sets `key:N` to 1000-byte values, at most `limit` of them, until a
    /// reply is not +OK; returns how many were stored and that reply. The
    /// store notices usage in steps (its accounting is checked every so
    /// many KB), so tests fill rather than count bytes.
    fn fill(h: &mut Harness, limit: usize) -> (usize, Option<String>) {
        let value = "v".repeat(1000);
        for i in 0..limit {
            let reply = h.run(&format!("SET key:{i} {value}"));
            if reply != "+OK\r\n" {
                return (i, Some(reply));
            }
        }
        (limit, None)
    }

    #[test]
    fn denyoom_command_over_maxmemory_with_noeviction_is_refused_and_not_run() {
        let mut h = Harness::new();
        h.srv.set_config(&[("maxmemory", "1mb")]).expect("known setting");
        let (stored, refused) = fill(&mut h, 20_000);
        assert_eq!(refused.as_deref(), Some(OOM_REPLY), "after {stored} SETs");
        assert_eq!(h.run("SET b 2"), OOM_REPLY);
        assert_eq!(h.run("APPEND key:0 x"), OOM_REPLY);
        assert_eq!(h.run("INCR n"), OOM_REPLY);
        assert_eq!(h.run("EXISTS b"), ":0\r\n", "the refused SET did not run");
        // Reads and commands that free memory still run.
        assert!(h.run("GET key:0").starts_with("$1000\r\n"));
        assert_eq!(h.run("EXPIRE key:0 100"), ":1\r\n");
        for i in 0..stored / 2 {
            assert_eq!(h.run(&format!("DEL key:{i}")), ":1\r\n");
        }
        assert_eq!(h.run("SET b 2"), "+OK\r\n", "room again once freed");
    }

    #[test]
    fn denyoom_command_over_maxmemory_with_an_eviction_policy_evicts_and_runs() {
        let mut h = Harness::new();
        h.srv
            .set_config(&[("maxmemory", "1mb"), ("maxmemory-policy", "allkeys-lru")])
            .expect("known settings");
        // Three times the limit.
        assert_eq!(fill(&mut h, 3 * 1024), (3 * 1024, None));
        assert!(h.srv.store.stats().evicted_keys > 0);
        assert!(h.srv.store.dbsize(0) < 2 * 1024);
    }

    #[test]
    fn no_maxmemory_means_no_oom() {
        let mut h = Harness::new();
        for i in 0..100 {
            assert_eq!(h.run(&format!("SET k{i} v")), "+OK\r\n");
        }
    }

    #[test]
    fn arity_error_comes_before_the_memory_check() {
        let mut h = Harness::new();
        h.srv.set_config(&[("maxmemory", "1mb")]).expect("known setting");
        fill(&mut h, 20_000);
        assert_eq!(h.run("SET b"), "-ERR wrong number of arguments for 'set' command\r\n");
    }

    #[test]
    fn key_positions_follow_the_key_specs() {
        let del = lookup(b"del").unwrap();
        assert_eq!(del.key_positions(&[b"del", b"a", b"b", b"c"]), vec![1, 2, 3]);
        let get = lookup(b"get").unwrap();
        assert_eq!(get.key_positions(&[b"get", b"k"]), vec![1]);
    }

    /// Key extraction will route requests in a cluster: whatever the
    /// arguments, it must not panic and must name only arguments after the
    /// command's name (and subcommand).
    #[test]
    fn keys_of_any_arguments_are_within_the_request() {
        const WORDS: &[&[u8]] = &[
            b"0",
            b"1",
            b"2",
            b"3",
            b"-1",
            b"2x",
            b"99999999999999999999",
            b"STORE",
            b"GET",
            b"LIMIT",
            b"BY",
            b"k",
        ];
        let mut seed = 7u64;
        for c in all().flat_map(|c| std::iter::once(c).chain(c.subcommands)) {
            let words: Vec<&[u8]> = c.name.split('|').map(str::as_bytes).collect();
            for n in 0..200 {
                let mut args = words.clone();
                for _ in 0..n % 9 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    args.push(WORDS[(seed >> 33) as usize % WORDS.len()]);
                }
                for k in c.keys(&args) {
                    assert!(k.pos >= words.len() && k.pos < args.len(), "{} {:?}", c.name, args);
                }
            }
        }
    }

    #[test]
    fn movablekeys_is_never_declared_by_hand() {
        for c in all().flat_map(|c| std::iter::once(c).chain(c.subcommands)) {
            assert!(!c.has(flags::MOVABLEKEYS), "{}", c.name);
        }
    }
}
