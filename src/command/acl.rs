//! ACL: users, their rules, and the check every request passes, as Redis
//! 7.0 has them.
//!
//! The users and the log live in [`crate::state::Acl`]; this file knows
//! what the rules mean, because it knows the command table: `+get`,
//! `+@read`, `+config|get` and `+select|0` name commands, categories,
//! subcommands and first arguments by their rows; `~k*` and `%R~k*` are
//! checked against the keys a request's key specs find, with the access
//! each key's flags declare (`access` reads, `insert`, `update` and
//! `delete` write).
//!
//! [`super::execute`] asks [`admit`] before a command runs, unless the
//! user may do everything ([`crate::state::User::unrestricted`]): one load
//! and one branch for the default user. Inside EXEC a refusal answers in
//! the array (the rules changed since the command was queued); inside a
//! script, `redis.call` checks with [`check`] and raises the script's
//! error. Every refusal, and every failed login, goes to ACL LOG.
//!
//! Rules are kept as their effect (a set of commands, key and channel
//! patterns), not as the words given: ACL LIST and ACL GETUSER describe
//! the commands as Redis 7.0 does, starting from `+@all` or `-@all`,
//! adding the categories that fit best, then single commands.

use super::args::{self, is};
use super::categories as cat;
use super::flags::*;
use super::key_spec::{self, flags as kf};
use super::{dispatch_sub, errors, spec, transaction, CommandSpec, Ctx};
use crate::state::acl::{Denied, LogContext, LogEntry, Rules, Selector, READ, WRITE};
use crate::state::pubsub::Kind;
use crate::state::{ClientHandle, Server, User};
use std::sync::Arc;

const ADMIN_SUB: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const USER_SUB: u32 = NOSCRIPT | LOADING | STALE;

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("acl|cat", -2, USER_SUB, "server", cat_cmd).doc(
        "6.0.0",
        "Lists the ACL categories, or the commands in one.",
        "O(1) since the categories and commands are a fixed set.",
        "[categoryname]",
    ),
    spec("acl|deluser", -3, ADMIN_SUB, "server", deluser).doc(
        "6.0.0",
        "Deletes users, closing their connections.",
        "O(1) amortized time considering the typical user.",
        "username [username ...]",
    ),
    spec("acl|dryrun", -4, ADMIN_SUB, "server", dryrun).doc(
        "7.0.0",
        "Tells whether a user may run a command, without running it.",
        "O(1).",
        "username command [arg [arg ...]]",
    ),
    spec("acl|genpass", -2, USER_SUB, "server", genpass).doc(
        "6.0.0",
        "Makes a random password from the kernel's secure random bytes.",
        "O(1)",
        "[bits]",
    ),
    spec("acl|getuser", 3, ADMIN_SUB, "server", getuser).doc(
        "6.0.0",
        "Describes a user's flags, passwords, commands, keys, channels and selectors.",
        "O(N). Where N is the number of password, command and pattern rules that the user has.",
        "username",
    ),
    spec("acl|help", 2, LOADING | STALE, "server", help).doc("6.0.0", "Lists the ACL subcommands.", "O(1)", ""),
    spec("acl|list", 2, ADMIN_SUB, "server", list).doc(
        "6.0.0",
        "Describes every user as a line of rules.",
        "O(N). Where N is the number of configured users.",
        "",
    ),
    spec("acl|load", 2, ADMIN_SUB, "server", no_file).doc(
        "6.0.0",
        "Reloads the users from the ACL file.",
        "O(N). Where N is the number of configured users.",
        "",
    ),
    spec("acl|log", -2, ADMIN_SUB, "server", log).doc(
        "6.0.0",
        "Lists the latest requests and logins refused, or clears the list.",
        "O(N) with N being the number of entries shown.",
        "[count | RESET]",
    ),
    spec("acl|save", 2, ADMIN_SUB, "server", no_file).doc(
        "6.0.0",
        "Saves the users to the ACL file.",
        "O(N). Where N is the number of configured users.",
        "",
    ),
    spec("acl|setuser", -3, ADMIN_SUB, "server", setuser).doc(
        "6.0.0",
        "Creates a user or changes its rules, all of them or none.",
        "O(N). Where N is the number of rules provided.",
        "username [rule [rule ...]]",
    ),
    spec("acl|users", 2, ADMIN_SUB, "server", users).doc(
        "6.0.0",
        "Lists the user names.",
        "O(N). Where N is the number of configured users.",
        "",
    ),
    spec("acl|whoami", 2, USER_SUB, "server", whoami).doc(
        "6.0.0",
        "Gives the name of the user this connection is logged in as.",
        "O(1)",
        "",
    ),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("acl", -2, 0, "server", acl)
    .doc(
        "6.0.0",
        "A container for the ACL commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(SUBCOMMANDS)];

/// ```text
/// ACL <subcommand> [arg ...]
/// ```
fn acl(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[0]);
}

// ---------------------------------------------------------------------
// The check.

/// What a request was refused for: the reason, and the position of the
/// key (or channel) refused.
pub(crate) type Refusal = (Denied, usize);

/// The permissions a key use needs: reading its data, changing it.
fn needs(key_flags: u32) -> u8 {
    let mut perms = 0;
    if key_flags & kf::ACCESS != 0 {
        perms |= READ;
    }
    if key_flags & (kf::INSERT | kf::DELETE | kf::UPDATE) != 0 {
        perms |= WRITE;
    }
    perms
}

/// Whether one selector allows the request `args` of command `real` (at
/// `row`); the keys are found once for all selectors.
fn check_selector(
    sel: &Selector,
    real: &CommandSpec,
    row: usize,
    args: &[&[u8]],
    keys: &mut Option<Vec<key_spec::KeyRef>>,
) -> Result<(), Refusal> {
    // AUTH, HELLO and the like stay open to every user.
    if !real.has(NO_AUTH) {
        let first = args.get(if real.name.contains('|') { 2 } else { 1 }).copied();
        if !sel.allows_command(row, first) {
            return Err((Denied::Command, 0));
        }
    }
    if !sel.all_keys && key_spec::may_have_keys(real.key_specs, real.key_finder) {
        let keys = keys.get_or_insert_with(|| real.keys(args));
        if let Some(k) = keys.iter().find(|k| !sel.allows_key(args[k.pos], needs(k.flags))) {
            return Err((Denied::Key, k.pos));
        }
    }
    if !sel.all_channels {
        let (range, patterns) = super::pubsub::channel_args(real.name, args.len());
        if let Some(pos) = range.into_iter().find(|&i| !sel.allows_channel(args[i], patterns)) {
            return Err((Denied::Channel, pos));
        }
    }
    Ok(())
}

/// Whether `rules` allow the request `args` of `real`, the command or
/// subcommand it runs (at `row` of the table). A request passes when any
/// one selector allows all of it; otherwise the refusal told is the
/// weightiest (a key over a command; the later key among equals), as
/// Redis ranks them.
pub(crate) fn check(rules: &Rules, real: &CommandSpec, row: usize, args: &[&[u8]]) -> Result<(), Refusal> {
    let mut keys = None;
    let mut told = (Denied::Command, 0);
    for sel in std::iter::once(&rules.root).chain(&rules.selectors) {
        match check_selector(sel, real, row, args, &mut keys) {
            Ok(()) => return Ok(()),
            Err(refusal) => told = told.max(refusal),
        }
    }
    Err(told)
}

/// Whether the client's user may run this request (`real` at `row`; a
/// `row` of `usize::MAX` is a subcommand its container does not know,
/// which its handler answers). When not, the refusal is logged and
/// answered: `-NOPERM`, which also marks a transaction being queued to
/// fail; inside EXEC, the words for rules changed since queuing. A client
/// whose user was deleted is closed without a reply.
pub(crate) fn admit(ctx: &mut Ctx<'_>, spec: &CommandSpec, real: &CommandSpec, row: usize, args: &[&[u8]]) -> bool {
    let user = ctx.client.user.clone();
    if user.removed() {
        ctx.client.close = true;
        return false;
    }
    if row == usize::MAX {
        return true;
    }
    let Err((reason, pos)) = check(&user.rules(), real, row, args) else {
        return true;
    };
    let in_exec = ctx.client.in_exec;
    let context = if in_exec || ctx.client.multi.is_some() {
        LogContext::Multi
    } else {
        LogContext::Toplevel
    };
    let object = match reason {
        Denied::Key | Denied::Channel => args[pos],
        Denied::Command | Denied::Auth => real.name.as_bytes(),
    };
    let running = if in_exec { "exec" } else { real.name };
    let info = super::client::info_line(ctx.srv, &ctx.client.handle, ctx.now, running, args);
    record(ctx.srv, reason, context, object, &user.name, info, ctx.now);
    if in_exec {
        let why = match reason {
            Denied::Key => errors::SINCE_QUEUED_KEY,
            Denied::Channel => errors::SINCE_QUEUED_CHANNEL,
            Denied::Command | Denied::Auth => errors::SINCE_QUEUED_COMMAND,
        };
        ctx.error(&errors::noperm_since_queued(why));
    } else {
        let msg = match reason {
            Denied::Key => errors::NOPERM_KEY.to_string(),
            Denied::Channel => errors::NOPERM_CHANNEL.to_string(),
            Denied::Command | Denied::Auth => errors::noperm_command(real.name),
        };
        transaction::reject(ctx, spec.name, &msg);
        ctx.srv.cmdstats.rejected(row);
    }
    false
}

/// The error `redis.call` raises for a refusal.
pub(crate) fn script_refusal(reason: Denied) -> &'static str {
    match reason {
        Denied::Key => errors::SCRIPT_ACL_KEY,
        Denied::Channel => errors::SCRIPT_ACL_CHANNEL,
        Denied::Command | Denied::Auth => errors::SCRIPT_ACL_COMMAND,
    }
}

/// Logs a refusal of a script's `redis.call`: the caller's connection is
/// the client the entry describes, running `caller_cmd`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_script_refusal(
    srv: &Server,
    user: &User,
    caller: Option<&ClientHandle>,
    caller_cmd: &str,
    (reason, pos): Refusal,
    real: &CommandSpec,
    args: &[&[u8]],
    now: u64,
) {
    let object = match reason {
        Denied::Key | Denied::Channel => args[pos],
        Denied::Command | Denied::Auth => real.name.as_bytes(),
    };
    let info = caller
        .map(|h| super::client::info_line(srv, h, now, caller_cmd, &[]))
        .unwrap_or_default();
    record(srv, reason, LogContext::Lua, object, &user.name, info, now);
}

/// Logs a failed AUTH or HELLO AUTH (`args[0]` as sent) as `username`.
pub(crate) fn record_failed_login(ctx: &Ctx<'_>, username: &[u8], args: &[&[u8]]) {
    let context = if ctx.client.in_exec || ctx.client.multi.is_some() {
        LogContext::Multi
    } else {
        LogContext::Toplevel
    };
    let cmd = String::from_utf8_lossy(args[0]).to_ascii_lowercase();
    let info = super::client::info_line(ctx.srv, &ctx.client.handle, ctx.now, &cmd, args);
    record(ctx.srv, Denied::Auth, context, args[0], username, info, ctx.now);
}

fn record(srv: &Server, reason: Denied, context: LogContext, object: &[u8], username: &[u8], info: String, now: u64) {
    use std::sync::atomic::Ordering::Relaxed;
    match reason {
        Denied::Command => srv.stats.acl_denied_cmd.fetch_add(1, Relaxed),
        Denied::Key => srv.stats.acl_denied_key.fetch_add(1, Relaxed),
        Denied::Channel => srv.stats.acl_denied_channel.fetch_add(1, Relaxed),
        Denied::Auth => srv.stats.acl_denied_auth.fetch_add(1, Relaxed),
    };
    let max_len = srv.settings.int("acllog-max-len").unwrap_or(128).max(0) as usize;
    srv.acl.log(
        LogEntry {
            count: 1,
            reason,
            context,
            object: object.to_vec(),
            username: username.to_vec(),
            at: now,
            client_info: info,
        },
        max_len,
    );
}

// ---------------------------------------------------------------------
// Rules.

/// Why a rule was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleError {
    Syntax,
    Unknown,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    SubcommandArg,
}

impl RuleError {
    fn text(self) -> &'static str {
        match self {
            RuleError::Syntax => errors::ACL_RULE_SYNTAX,
            RuleError::Unknown => errors::ACL_RULE_UNKNOWN,
            RuleError::KeyAfterAll => errors::ACL_RULE_KEY_AFTER_ALL,
            RuleError::ChannelAfterAll => errors::ACL_RULE_CHANNEL_AFTER_ALL,
            RuleError::NoSuchPassword => errors::ACL_RULE_NO_SUCH_PASSWORD,
            RuleError::BadHash => errors::ACL_RULE_BAD_HASH,
            RuleError::SubcommandArg => errors::ACL_RULE_SUBCOMMAND_ARG,
        }
    }
}

/// Allows or forbids a command as a rule naming it does: the command, and
/// all its subcommands when it has some.
fn change(sel: &mut Selector, c: &CommandSpec, row: usize, allow: bool) {
    sel.set_command(row, allow);
    for i in 0..c.subcommands.len() {
        sel.set_command(row + 1 + i, allow);
    }
}

/// Allows or forbids every command and subcommand of a category.
fn change_category(sel: &mut Selector, category: u32, allow: bool) {
    for (row, c) in super::rows() {
        if c.categories() & category != 0 {
            change(sel, c, row, allow);
        }
    }
}

/// `+name`: a command, a subcommand (`config|get`), or a first argument
/// of a command without subcommands (`select|0`).
fn allow_command(sel: &mut Selector, name: &[u8]) -> Result<(), RuleError> {
    let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
        let (c, row) = super::lookup_full(name).ok_or(RuleError::Unknown)?;
        change(sel, c, row, true);
        return Ok(());
    };
    let (parent, row) = super::lookup_full(&name[..bar]).ok_or(RuleError::Unknown)?;
    if parent.name.contains('|') {
        return Err(RuleError::SubcommandArg);
    }
    let arg = &name[bar + 1..];
    if arg.is_empty() {
        return Err(RuleError::Syntax);
    }
    if parent.subcommands.is_empty() {
        let allowed = sel.first_args.entry(row).or_default();
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            allowed.push(arg.into());
        }
        return Ok(());
    }
    let i = parent.subcommand_index(arg).ok_or(RuleError::Unknown)?;
    change(sel, &parent.subcommands[i], row + 1 + i, true);
    Ok(())
}

/// A key rule: `~pattern` (read and write), or `%R~`, `%W~`, `%RW~`.
fn key_rule(rule: &[u8]) -> Result<(u8, &[u8]), RuleError> {
    if rule[0] == b'~' {
        return Ok((READ | WRITE, &rule[1..]));
    }
    let mut perms = 0;
    let mut i = 1;
    while i < rule.len() {
        match rule[i].to_ascii_uppercase() {
            b'R' if perms & READ == 0 => perms |= READ,
            b'W' if perms & WRITE == 0 => perms |= WRITE,
            b'~' => {
                i += 1;
                break;
            }
            _ => return Err(RuleError::Syntax),
        }
        i += 1;
    }
    if perms == 0 {
        return Err(RuleError::Syntax);
    }
    Ok((perms, &rule[i.min(rule.len())..]))
}

/// Applies one rule about commands, keys or channels to a selector.
fn apply_selector_rule(sel: &mut Selector, rule: &[u8]) -> Result<(), RuleError> {
    let word = |w: &str| rule.eq_ignore_ascii_case(w.as_bytes());
    if word("allkeys") || rule == b"~*" {
        sel.all_keys = true;
        sel.keys.clear();
    } else if word("resetkeys") {
        sel.all_keys = false;
        sel.keys.clear();
    } else if word("allchannels") || rule == b"&*" {
        sel.all_channels = true;
        sel.channels.clear();
    } else if word("resetchannels") {
        sel.all_channels = false;
        sel.channels.clear();
    } else if word("allcommands") || word("+@all") {
        sel.set_all_commands(true);
    } else if word("nocommands") || word("-@all") {
        sel.set_all_commands(false);
    } else if rule[0] == b'~' || rule[0] == b'%' {
        if sel.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (perms, pattern) = key_rule(rule)?;
        sel.add_key_pattern(pattern, perms);
    } else if rule[0] == b'&' {
        if sel.all_channels {
            return Err(RuleError::ChannelAfterAll);
        }
        sel.add_channel(&rule[1..]);
    } else if (rule[0] == b'+' || rule[0] == b'-') && rule.get(1) == Some(&b'@') {
        let category = cat::by_name(&rule[2..]).ok_or(RuleError::Unknown)?;
        change_category(sel, category, rule[0] == b'+');
    } else if rule[0] == b'+' {
        allow_command(sel, &rule[1..])?;
    } else if rule[0] == b'-' {
        let (c, row) = super::lookup_full(&rule[1..]).ok_or(RuleError::Unknown)?;
        change(sel, c, row, false);
    } else {
        return Err(RuleError::Syntax);
    }
    Ok(())
}

/// A password hash as `#` and `!` rules give it: 64 lower-case hex digits.
fn parse_hash(hex: &[u8]) -> Result<[u8; 32], RuleError> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if hex.len() != 64 {
        return Err(RuleError::BadHash);
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => *o = h << 4 | l,
            _ => return Err(RuleError::BadHash),
        }
    }
    Ok(out)
}

/// Applies one ACL SETUSER rule to a user's rules. `all_channels` is what
/// `acl-pubsub-default` gives new selectors and `reset`.
pub(crate) fn apply_rule(rules: &mut Rules, rule: &[u8], all_channels: bool) -> Result<(), RuleError> {
    if rule.is_empty() {
        return Ok(());
    }
    let word = |w: &str| rule.eq_ignore_ascii_case(w.as_bytes());
    if word("on") {
        rules.enabled = true;
    } else if word("off") {
        rules.enabled = false;
    } else if word("skip-sanitize-payload") {
        rules.sanitize_payload = Some(false);
    } else if word("sanitize-payload") {
        rules.sanitize_payload = Some(true);
    } else if word("nopass") {
        rules.nopass = true;
        rules.passwords.clear();
    } else if word("resetpass") {
        rules.nopass = false;
        rules.passwords.clear();
    } else if rule[0] == b'>' || rule[0] == b'#' {
        let hash = match rule[0] {
            b'>' => crate::util::sha256::digest(&rule[1..]),
            _ => parse_hash(&rule[1..])?,
        };
        if !rules.passwords.contains(&hash) {
            rules.passwords.push(hash);
        }
        rules.nopass = false;
    } else if rule[0] == b'<' || rule[0] == b'!' {
        let hash = match rule[0] {
            b'<' => crate::util::sha256::digest(&rule[1..]),
            _ => parse_hash(&rule[1..])?,
        };
        let at = rules.passwords.iter().position(|p| *p == hash);
        rules.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
    } else if rule[0] == b'(' && rule.len() > 1 && rule[rule.len() - 1] == b')' {
        rules
            .selectors
            .push(selector_of(&rule[1..rule.len() - 1], all_channels)?);
    } else if word("clearselectors") {
        rules.selectors.clear();
    } else if word("reset") {
        rules.passwords.clear();
        rules.nopass = false;
        rules.root.all_keys = false;
        rules.root.keys.clear();
        rules.root.all_channels = all_channels;
        rules.root.channels.clear();
        rules.enabled = false;
        rules.sanitize_payload = Some(true);
        rules.selectors.clear();
        rules.root.set_all_commands(false);
    } else {
        apply_selector_rule(&mut rules.root, rule)?;
    }
    Ok(())
}

/// A selector from the rules inside `( )`, split as a request line is.
fn selector_of(inner: &[u8], all_channels: bool) -> Result<Selector, RuleError> {
    let mut sel = Selector::new(all_channels);
    let mut text = Vec::new();
    let mut words = Vec::new();
    if !crate::util::split::split_args(inner, &mut text, &mut words) {
        return Err(RuleError::Syntax);
    }
    for &(start, end) in &words {
        let rule = &text[start..end];
        if !rule.is_empty() {
            apply_selector_rule(&mut sel, rule)?;
        }
    }
    Ok(sel)
}

/// Joins a selector given over several arguments (`(~k*` `+get)`) into
/// one rule; Err with the index of a `(` that is never closed.
fn merge_selectors<'a>(args: &[&'a [u8]]) -> Result<Vec<std::borrow::Cow<'a, [u8]>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, &a) in args.iter().enumerate() {
        if let Some((_, joined)) = &mut open {
            joined.push(b' ');
            joined.extend_from_slice(a);
            if a.last() == Some(&b')') {
                if let Some((_, joined)) = open.take() {
                    out.push(std::borrow::Cow::Owned(joined));
                }
            }
        } else if a.first() == Some(&b'(') && (a.len() == 1 || a.last() != Some(&b')')) {
            open = Some((i, a.to_vec()));
        } else {
            out.push(std::borrow::Cow::Borrowed(a));
        }
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

/// Whether a byte is one Redis's username check calls a space (C's
/// `isspace`) or a NUL.
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0)
}

// ---------------------------------------------------------------------
// Descriptions.

/// A key pattern as a rule: `~p`, `%R~p` or `%W~p`.
fn push_key_rule(out: &mut Vec<u8>, pattern: &[u8], perms: u8) {
    match perms {
        READ => out.extend_from_slice(b"%R~"),
        WRITE => out.extend_from_slice(b"%W~"),
        _ => out.push(b'~'),
    }
    out.extend_from_slice(pattern);
}

/// A selector's keys as ACL GETUSER gives them: `~*`, or the rules
/// separated by spaces.
fn keys_text(sel: &Selector) -> Vec<u8> {
    if sel.all_keys {
        return b"~*".to_vec();
    }
    let mut out = Vec::new();
    for (i, p) in sel.keys.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_key_rule(&mut out, &p.pattern, p.perms);
    }
    out
}

/// A selector's channels as ACL GETUSER gives them.
fn channels_text(sel: &Selector) -> Vec<u8> {
    if sel.all_channels {
        return b"&*".to_vec();
    }
    let mut out = Vec::new();
    for (i, c) in sel.channels.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'&');
        out.extend_from_slice(c);
    }
    out
}

/// The commands a selector allows, as rules that rebuild them: `+@all` or
/// `-@all` (whichever the last word on every command was), then, as Redis
/// 7.0 picks them, the categories that fit (more of their top-level
/// commands on than off when adding, the fewest exceptions first), then the single
/// commands, subcommands and first arguments left over.
fn commands_text(sel: &Selector) -> Vec<u8> {
    let rows: Vec<(usize, &CommandSpec, u32)> = super::rows().map(|(r, c)| (r, c, c.categories())).collect();
    let adding = !sel.future_commands;
    let mut out: Vec<u8> = if adding { b"-@all".to_vec() } else { b"+@all".to_vec() };
    // What the rules written so far give, and what is left to describe.
    let mut built = Selector::new(false);
    built.set_all_commands(!adding);
    let mut left = sel.clone();
    let mut used = [false; cat::NAMES.len()];
    loop {
        let mut best: Option<usize> = None;
        let (mut min_diff, mut max_same) = (usize::MAX, 0);
        for (j, &(bit, _)) in cat::NAMES.iter().enumerate() {
            if used[j] {
                continue;
            }
            // Top-level commands only, as Redis counts a category's
            // commands: subcommands do not weigh in the choice.
            let (mut on, mut off) = (0, 0);
            for &(row, c, cats) in &rows {
                if cats & bit != 0 && !c.name.contains('|') {
                    if left.commands.contains(row) {
                        on += 1;
                    } else {
                        off += 1;
                    }
                }
            }
            let (diff, same) = if adding { (off, on) } else { (on, off) };
            if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                best = Some(j);
                min_diff = diff;
                max_same = same;
            }
        }
        let Some(j) = best else { break };
        let (bit, name) = cat::NAMES[j];
        change_category(&mut built, bit, adding);
        change_category(&mut left, bit, !adding);
        out.extend_from_slice(if adding { b" +@" } else { b" -@" });
        out.extend_from_slice(name.as_bytes());
        used[j] = true;
    }
    for &(row, c, _) in &rows {
        let on = sel.commands.contains(row);
        if on != built.commands.contains(row) {
            out.extend_from_slice(if on { b" +" } else { b" -" });
            out.extend_from_slice(c.name.as_bytes());
            change(&mut built, c, row, on);
        }
        if !on {
            for arg in sel.first_args.get(&row).into_iter().flatten() {
                out.extend_from_slice(b" +");
                out.extend_from_slice(c.name.as_bytes());
                out.push(b'|');
                out.extend_from_slice(arg);
            }
        }
    }
    out
}

/// A selector as rules: keys, channels, commands.
fn selector_text(sel: &Selector) -> Vec<u8> {
    let mut out = Vec::new();
    if sel.all_keys {
        out.extend_from_slice(b"~* ");
    } else {
        for p in &sel.keys {
            push_key_rule(&mut out, &p.pattern, p.perms);
            out.push(b' ');
        }
    }
    if sel.all_channels {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in &sel.channels {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend_from_slice(&commands_text(sel));
    out
}

/// A user as ACL LIST gives it, after `user <name> `: flags, password
/// hashes, the root selector, the other selectors in parentheses.
fn user_text(rules: &Rules) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(if rules.enabled { b"on " } else { b"off " });
    if rules.nopass {
        out.extend_from_slice(b"nopass ");
    }
    match rules.sanitize_payload {
        Some(false) => out.extend_from_slice(b"skip-sanitize-payload "),
        Some(true) => out.extend_from_slice(b"sanitize-payload "),
        None => {}
    }
    for p in &rules.passwords {
        out.push(b'#');
        out.extend_from_slice(crate::util::sha256::hex(p).as_bytes());
        out.push(b' ');
    }
    out.extend_from_slice(&selector_text(&rules.root));
    for sel in &rules.selectors {
        out.extend_from_slice(b" (");
        out.extend_from_slice(&selector_text(sel));
        out.push(b')');
    }
    out
}

// ---------------------------------------------------------------------
// Subcommands.

/// ```text
/// ACL SETUSER username [rule ...]
/// ```
/// Creates the user (off, no password, nothing allowed) when there is
/// none, then applies the rules in order; a rule refused leaves the user
/// as it was. Connections logged in as the user follow the new rules from
/// their next command.
fn setuser(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let name = a[2];
    if name.iter().any(|&b| blank(b)) {
        return ctx.error(errors::ACL_USERNAME);
    }
    let rules = match merge_selectors(&a[3..]) {
        Ok(r) => r,
        Err(i) => return ctx.error(&errors::acl_unmatched_paren(a[3 + i])),
    };
    let all_channels = ctx
        .srv
        .settings
        .get("acl-pubsub-default")
        .is_some_and(|v| v.eq_ignore_ascii_case("allchannels"));
    let changed = ctx.srv.acl.set_user(
        name,
        || Rules::new(all_channels),
        |user| -> Result<(), String> {
            for rule in &rules {
                apply_rule(user, rule, all_channels).map_err(|e| errors::acl_rule(rule, e.text()))?;
            }
            Ok(())
        },
    );
    match changed {
        Ok(()) => {
            close_refused_subscribers(ctx, name);
            ctx.out.ok()
        }
        Err(e) => ctx.error(&e),
    }
}

/// Closes the connections of user `name` subscribed to a channel or
/// pattern its rules no longer allow, as Redis does after ACL SETUSER
/// (the caller's own after this reply).
fn close_refused_subscribers(ctx: &mut Ctx<'_>, name: &[u8]) {
    let Some(user) = ctx.srv.acl.user(name) else {
        return;
    };
    let rules = user.rules();
    let allowed = |kind: Kind, channel: &[u8]| {
        std::iter::once(&rules.root)
            .chain(&rules.selectors)
            .any(|s| s.allows_channel(channel, kind == Kind::Pattern))
    };
    for h in ctx.srv.pubsub.refused(|h| Arc::ptr_eq(&h.user(), &user), allowed) {
        if h.id == ctx.client.id {
            ctx.client.close = true;
        } else {
            h.kill();
        }
    }
}

/// ```text
/// ACL GETUSER username
/// ```
/// Nil for no such user.
fn getuser(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(user) = ctx.srv.acl.user(a[2]) else {
        return ctx.out.null();
    };
    let r = user.rules();
    let out = &mut ctx.out;
    out.map(6);
    out.bulk(b"flags");
    let mut flags: Vec<&str> = vec![if r.enabled { "on" } else { "off" }];
    if r.nopass {
        flags.push("nopass");
    }
    match r.sanitize_payload {
        Some(false) => flags.push("skip-sanitize-payload"),
        Some(true) => flags.push("sanitize-payload"),
        None => {}
    }
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array(r.passwords.len());
    for p in &r.passwords {
        out.bulk(crate::util::sha256::hex(p).as_bytes());
    }
    out.bulk(b"commands");
    out.bulk(&commands_text(&r.root));
    out.bulk(b"keys");
    out.bulk(&keys_text(&r.root));
    out.bulk(b"channels");
    out.bulk(&channels_text(&r.root));
    out.bulk(b"selectors");
    out.array(r.selectors.len());
    for sel in &r.selectors {
        out.map(3);
        out.bulk(b"commands");
        out.bulk(&commands_text(sel));
        out.bulk(b"keys");
        out.bulk(&keys_text(sel));
        out.bulk(b"channels");
        out.bulk(&channels_text(sel));
    }
}

/// ```text
/// ACL DELUSER username [username ...]
/// ```
/// The number deleted. The default user cannot be (and then none is);
/// connections logged in as a deleted user are closed, the caller's own
/// after this reply.
fn deluser(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a[2..].iter().any(|&n| n == b"default") {
        return ctx.error(errors::ACL_DEFAULT_STAYS);
    }
    let mut deleted = 0;
    for &name in &a[2..] {
        let Ok(Some(user)) = ctx.srv.acl.remove(name) else {
            continue;
        };
        deleted += 1;
        for h in ctx.srv.clients.list() {
            if Arc::ptr_eq(&h.user(), &user) {
                if h.id == ctx.client.id {
                    ctx.client.close = true;
                } else {
                    h.kill();
                }
            }
        }
    }
    ctx.out.int(deleted);
}

/// ```text
/// ACL USERS
/// ```
fn users(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let users = ctx.srv.acl.users();
    ctx.out.bulks(users.iter().map(|u| &u.name[..]));
}

/// ```text
/// ACL LIST
/// ```
/// One line per user, in name order: `user <name> <rules>`.
fn list(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let users = ctx.srv.acl.users();
    ctx.out.array(users.len());
    for u in users {
        let mut line = b"user ".to_vec();
        line.extend_from_slice(&u.name);
        line.push(b' ');
        line.extend_from_slice(&user_text(&u.rules()));
        ctx.out.bulk(&line);
    }
}

/// ```text
/// ACL WHOAMI
/// ```
fn whoami(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let name = ctx.client.user.name.clone();
    ctx.out.bulk(&name);
}

/// ```text
/// ACL CAT [categoryname]
/// ```
/// The categories, or the commands and subcommands in one.
fn cat_cmd(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match a.len() {
        2 => ctx.out.bulks(cat::NAMES.iter().map(|(_, n)| n.as_bytes())),
        3 => {
            let Some(bit) = cat::by_name(a[2]) else {
                return ctx.error(&errors::acl_unknown_category(a[2]));
            };
            let names: Vec<&str> = super::rows()
                .filter(|(_, c)| c.categories() & bit != 0)
                .map(|(_, c)| c.name)
                .collect();
            ctx.out.bulks(names.iter().map(|n| n.as_bytes()));
        }
        _ => ctx.error(&errors::subcommand_syntax(a[1], a[0])),
    }
}

/// ```text
/// ACL DRYRUN username command [arg ...]
/// ```
/// OK when the user's rules allow the request; otherwise why not, as a
/// plain string. Nothing runs and nothing is logged.
fn dryrun(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let Some(user) = ctx.srv.acl.user(a[2]) else {
        return ctx.error(&errors::acl_no_such_user(a[2]));
    };
    let request = &a[3..];
    let Some((real, row)) = super::lookup_request(request) else {
        return ctx.error(&errors::acl_no_such_command(a[3]));
    };
    if !real.arity_ok(request.len()) {
        return ctx.error(&errors::wrong_arity(real.name));
    }
    match check(&user.rules(), real, row, request) {
        Ok(()) => ctx.out.ok(),
        Err((Denied::Key, pos)) => ctx.out.bulk(errors::dryrun_key(request[pos]).as_bytes()),
        Err((Denied::Channel, pos)) => ctx.out.bulk(errors::dryrun_channel(request[pos]).as_bytes()),
        Err(_) => ctx.out.bulk(errors::dryrun_command(real.name).as_bytes()),
    }
}

/// ```text
/// ACL GENPASS [bits]
/// ```
/// `bits` (256 unless given, at most 4096) of random hex digits, rounded
/// up to whole digits.
fn genpass(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let bits = match a.len() {
        2 => 256,
        3 => match args::int(a[2]) {
            Ok(b) => b,
            Err(e) => return ctx.error(e),
        },
        _ => return ctx.error(&errors::subcommand_syntax(a[1], a[0])),
    };
    if bits <= 0 || bits > 4096 {
        return ctx.error(errors::ACL_GENPASS_BITS);
    }
    let digits = (bits as usize).div_ceil(4);
    let mut bytes = vec![0u8; digits.div_ceil(2)];
    if let Err(e) = crate::util::rand::secure_fill(&mut bytes) {
        return ctx.error(&errors::acl_random(&e));
    }
    let mut hex = crate::util::sha256::hex(&bytes);
    hex.truncate(digits);
    ctx.out.bulk(hex.as_bytes());
}

/// ```text
/// ACL LOG [count | RESET]
/// ```
/// The newest `count` entries (10 unless given), newest first, or clears
/// the log.
fn log(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let count = match a.len() {
        2 => 10,
        3 if is(a[2], "reset") => {
            ctx.srv.acl.log_reset();
            return ctx.out.ok();
        }
        3 => match args::int(a[2]) {
            Ok(n) => n.max(0) as usize,
            Err(e) => return ctx.error(e),
        },
        _ => return ctx.error(&errors::subcommand_syntax(a[1], a[0])),
    };
    let now = ctx.srv.clock.now_ms();
    let entries = ctx.srv.acl.log_entries(count);
    let out = &mut ctx.out;
    out.array(entries.len());
    for e in entries {
        out.map(7);
        out.bulk(b"count");
        out.int(e.count as i64);
        out.bulk(b"reason");
        out.bulk(match e.reason {
            Denied::Command => b"command",
            Denied::Key => b"key",
            Denied::Channel => b"channel",
            Denied::Auth => b"auth",
        });
        out.bulk(b"context");
        out.bulk(match e.context {
            LogContext::Toplevel => &b"toplevel"[..],
            LogContext::Multi => b"multi",
            LogContext::Lua => b"lua",
        });
        out.bulk(b"object");
        out.bulk(&e.object);
        out.bulk(b"username");
        out.bulk(&e.username);
        out.bulk(b"age-seconds");
        out.double(now.saturating_sub(e.at) as f64 / 1000.0);
        out.bulk(b"client-info");
        out.bulk(e.client_info.as_bytes());
    }
}

/// ```text
/// ACL LOAD
/// ACL SAVE
/// ```
/// There is no ACL file: refused in Redis's words for a server without one.
fn no_file(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.error(errors::ACL_NO_FILE);
}

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    The categories, or the commands and subcommands in <category>.",
    "DELUSER <username> [<username> ...]",
    "    Delete users, closing their connections.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Whether the user may run the command, without running it.",
    "GETUSER <username>",
    "    The user's flags, passwords, commands, keys, channels and selectors.",
    "GENPASS [<bits>]",
    "    A random password of 256 bits, or of <bits>.",
    "LIST",
    "    Every user as a line of rules.",
    "LOAD",
    "    Reload the users from the ACL file.",
    "LOG [<count> | RESET]",
    "    The latest refused requests and logins, or clear them.",
    "SAVE",
    "    Save the users to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create a user or change its rules.",
    "USERS",
    "    The user names.",
    "WHOAMI",
    "    The user this connection is logged in as.",
    "HELP",
    "    Print this help.",
];

/// ```text
/// ACL HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;

    fn rules_of(words: &str) -> Result<Rules, RuleError> {
        let mut r = Rules::new(false);
        let words: Vec<&[u8]> = words.split(' ').map(str::as_bytes).collect();
        for w in merge_selectors(&words).map_err(|_| RuleError::Syntax)? {
            apply_rule(&mut r, &w, false)?;
        }
        Ok(r)
    }

    fn text(r: &Rules) -> String {
        String::from_utf8(user_text(r)).unwrap()
    }

    #[test]
    fn rules_describe_as_redis_7_lists_them() {
        let r = rules_of("on >p1 ~foo* %R~bar %W~baz %RW~qux &chan* -@all +get").unwrap();
        assert_eq!(
            text(&r),
            "on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~foo* %R~bar %W~baz ~qux resetchannels &chan* -@all +get"
        );
        let r = rules_of("+@all -get +config|get -@dangerous ~*").unwrap();
        assert_eq!(text(&r), "off ~* resetchannels +@all -@dangerous -get");
        let r = rules_of("+@all -config +config|get -config|get +config|get").unwrap();
        assert_eq!(text(&r), "off resetchannels +@all -config +config|get");
        let r = rules_of("+@all -@read +@read +get -@read").unwrap();
        assert_eq!(text(&r), "off resetchannels +@all -@read");
        let r = rules_of("-@all +config|get +config|set -config|get").unwrap();
        assert_eq!(text(&r), "off resetchannels -@all +config|set");
        let r = rules_of("+select|0 +select|1 -select").unwrap();
        assert_eq!(text(&r), "off resetchannels -@all");
        let r = rules_of("-@all +@read -get +get|x +get|X").unwrap();
        assert_eq!(text(&r), "off resetchannels -@all +@read -get +get|x");
        let r = rules_of("+@all -client +client|id +select|0").unwrap();
        assert_eq!(text(&r), "off resetchannels +@all -client +client|id");
    }

    #[test]
    fn key_and_channel_rules_merge_and_refuse_what_follows_all() {
        let r = rules_of("%R~foo %W~foo %R~bar ~bar ~foo &a &a &b").unwrap();
        assert_eq!(keys_text(&r.root), b"~foo ~bar");
        assert_eq!(channels_text(&r.root), b"&a &b");
        let r = rules_of("%RW~* ~foo").unwrap();
        assert_eq!(keys_text(&r.root), b"~* ~foo", "a pattern, not allkeys");
        assert_eq!(rules_of("allkeys ~foo").err(), Some(RuleError::KeyAfterAll));
        assert_eq!(rules_of("~* %R~foo").err(), Some(RuleError::KeyAfterAll));
        assert_eq!(rules_of("&* &foo").err(), Some(RuleError::ChannelAfterAll));
        assert_eq!(rules_of("%X~foo").err(), Some(RuleError::Syntax));
        assert_eq!(rules_of("%~foo").err(), Some(RuleError::Syntax));
        assert_eq!(rules_of("%RR~foo").err(), Some(RuleError::Syntax));
        let r = rules_of("%R").unwrap();
        assert_eq!(keys_text(&r.root), b"%R~", "an empty pattern");
    }

    #[test]
    fn command_rules_refuse_unknown_names_in_redis_words() {
        for (rule, err) in [
            ("nosuchrule", RuleError::Syntax),
            ("+nosuch", RuleError::Unknown),
            ("-nosuch", RuleError::Unknown),
            ("+@nosuch", RuleError::Unknown),
            ("+config|nosuch", RuleError::Unknown),
            ("+config|get|x", RuleError::SubcommandArg),
            ("+get|", RuleError::Syntax),
            ("+config|", RuleError::Syntax),
            ("-select|0", RuleError::Unknown),
            ("-config|get|x", RuleError::Unknown),
            ("<nosuch", RuleError::NoSuchPassword),
            ("#abc", RuleError::BadHash),
            (
                "!ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                RuleError::BadHash,
            ),
            ("(on)", RuleError::Syntax),
            ("(~a +nosuch)", RuleError::Unknown),
        ] {
            assert_eq!(rules_of(rule).err(), Some(err), "{rule}");
        }
    }

    #[test]
    fn passwords_are_kept_as_hashes_once_each() {
        let r = rules_of("on >abc >abc").unwrap();
        assert_eq!(r.passwords.len(), 1);
        assert!(r.accepts(b"abc") && !r.accepts(b"abd"));
        let r = rules_of("on >abc <abc").unwrap();
        assert!(r.passwords.is_empty() && !r.nopass && !r.accepts(b"abc"));
        let r = rules_of("on >abc nopass").unwrap();
        assert!(r.passwords.is_empty() && r.accepts(b"anything"));
        let hash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
        let r = rules_of(&format!("on #{hash}")).unwrap();
        assert!(r.accepts(b"password"));
        let r = rules_of(&format!("on #{hash} !{hash}")).unwrap();
        assert!(r.passwords.is_empty());
        let r = rules_of("on >secret reset").unwrap();
        assert_eq!(text(&r), "off sanitize-payload resetchannels -@all");
    }

    #[test]
    fn selectors_join_over_arguments_and_are_described_in_parentheses() {
        let args: Vec<&[u8]> = vec![b"(~a", b"+get", b"+set)", b">x", b"()"];
        let merged = merge_selectors(&args).unwrap();
        let merged: Vec<&[u8]> = merged.iter().map(|c| c.as_ref()).collect();
        assert_eq!(merged, [&b"(~a +get +set)"[..], b">x", b"()"]);
        let unclosed: Vec<&[u8]> = vec![b"on", b"(~a", b"+get"];
        assert_eq!(merge_selectors(&unclosed), Err(1));
        let r = rules_of("-@all +get ~a (+set ~b) (~c +del) clearselectors (+del ~c)").unwrap();
        assert_eq!(
            text(&r),
            "off ~a resetchannels -@all +get (~c resetchannels -@all +del)"
        );
    }

    #[test]
    fn checks_take_the_first_selector_that_allows_all_of_a_request() {
        let r = rules_of("-@all +get ~a (+set ~b)").unwrap();
        let run = |line: &str| {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let (real, row) = super::super::lookup_request(&args).unwrap();
            check(&r, real, row, &args)
        };
        assert_eq!(run("get a"), Ok(()));
        assert_eq!(run("get b"), Err((Denied::Key, 1)));
        assert_eq!(run("set a 1"), Err((Denied::Key, 1)), "a key beats a command");
        assert_eq!(run("set b 1"), Ok(()));
        assert_eq!(run("del b"), Err((Denied::Command, 0)));
        assert_eq!(run("auth x"), Ok(()), "no_auth commands stay open");
    }

    #[test]
    fn key_permissions_follow_the_key_flags() {
        let r = rules_of("+@all %R~r* %W~w*").unwrap();
        let run = |line: &str| {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            let (real, row) = super::super::lookup_request(&args).unwrap();
            check(&r, real, row, &args).map_err(|e| e.0)
        };
        assert_eq!(run("get r1"), Ok(()));
        assert_eq!(run("get w1"), Err(Denied::Key));
        assert_eq!(run("set w1 v"), Ok(()));
        assert_eq!(run("set r1 v"), Err(Denied::Key));
        assert_eq!(run("exists w1 r1"), Ok(()), "EXISTS reads no data");
        assert_eq!(run("lmove r1 w1 left right"), Err(Denied::Key), "the source is written");
        assert_eq!(run("set w1 v get"), Err(Denied::Key), "GET reads it too");
    }

    fn harness_as(rules: &str) -> Harness {
        let mut h = Harness::new();
        assert_eq!(h.run(&format!("ACL SETUSER bob on nopass {rules}")), "+OK\r\n");
        assert_eq!(h.run("AUTH bob x"), "+OK\r\n");
        h
    }

    #[test]
    fn a_refused_command_is_answered_logged_and_not_run() {
        let mut h = harness_as("~k* +@all -set -config|set");
        assert_eq!(
            h.run("SET k v"),
            "-NOPERM this user has no permissions to run the 'set' command\r\n"
        );
        assert_eq!(
            h.run("CONFIG SET maxmemory 1"),
            "-NOPERM this user has no permissions to run the 'config|set' command\r\n"
        );
        assert_eq!(
            h.run("GET x"),
            "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
        );
        assert_eq!(h.run("GET k"), "$-1\r\n");
        assert_eq!(
            h.run("CONFIG NOSUCH"),
            "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"
        );
        let log = h.run("ACL LOG");
        assert!(log.starts_with("*3\r\n"), "{log}");
        assert!(log.contains("$3\r\nkey\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$1\r\nx\r\n"));
        assert!(log.contains("$10\r\nconfig|set\r\n$8\r\nusername\r\n$3\r\nbob\r\n"));
        assert!(log.contains("cmd=get user=bob "), "{log}");
        assert!(h.run("INFO stats").contains("acl_access_denied_cmd:2\r\n"));
    }

    #[test]
    fn a_refusal_while_queuing_aborts_exec_and_one_at_exec_answers_in_the_array() {
        let mut h = harness_as("~* +@all -set");
        h.run("MULTI");
        assert!(h.run("SET a 1").starts_with("-NOPERM"));
        assert_eq!(
            h.run("EXEC"),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert!(h.run("ACL LOG 1").contains("$5\r\nmulti\r\n"));
        h.run("MULTI");
        assert_eq!(h.run("GET a"), "+QUEUED\r\n");
        h.srv
            .acl
            .set_user(b"bob", || unreachable!(), |r| apply_rule(r, b"resetkeys", false))
            .unwrap();
        assert_eq!(
            h.run("EXEC"),
            "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n"
        );
    }

    #[test]
    fn scripts_call_commands_under_the_callers_rules() {
        let mut h = harness_as("~x* +@scripting +set");
        let eval = |h: &mut Harness, body: &str| h.run_args(&[b"EVAL", body.as_bytes(), b"0"]);
        assert_eq!(eval(&mut h, "return redis.acl_check_cmd('set','xx',1)"), ":1\r\n");
        assert_eq!(eval(&mut h, "return redis.acl_check_cmd('hset','xx','f',1)"), "$-1\r\n");
        assert_eq!(eval(&mut h, "return redis.acl_check_cmd('set','yy',1)"), "$-1\r\n");
        assert!(eval(&mut h, "return redis.acl_check_cmd('nosuch')")
            .starts_with("-ERR Invalid command passed to redis.acl_check_cmd() script: "));
        assert_eq!(
            eval(&mut h, "return redis.pcall('set','yy',1)"),
            "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n"
        );
        assert!(eval(&mut h, "return redis.call('hset','xx','f',1)")
            .starts_with("-ERR The user executing the script can't run this command or subcommand script: "));
        assert_eq!(eval(&mut h, "return redis.call('set','xx',1)"), "+OK\r\n");
        let log = h.srv.acl.log_entries(10);
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].reason, log[0].context), (Denied::Command, LogContext::Lua));
        assert_eq!(
            (log[1].object.as_slice(), log[1].context),
            (&b"yy"[..], LogContext::Lua)
        );
        assert!(
            log[0].client_info.contains(" cmd=eval user=bob "),
            "{}",
            log[0].client_info
        );
    }

    #[test]
    fn a_deleted_users_connection_closes() {
        let mut h = harness_as("~* +@all");
        assert_eq!(h.run("ACL WHOAMI"), "$3\r\nbob\r\n");
        assert_eq!(h.run("ACL DELUSER bob nobody"), ":1\r\n");
        assert!(h.client.close, "closes after the reply");
        h.client.close = false;
        assert_eq!(h.run("GET k"), "", "nothing more runs");
        assert!(h.client.close);
    }

    #[test]
    fn dryrun_tells_without_running() {
        let mut h = Harness::new();
        h.run("ACL SETUSER u on -@all +get ~foo*");
        assert_eq!(h.run("ACL DRYRUN u get foo1"), "+OK\r\n");
        assert_eq!(
            h.run("ACL DRYRUN u get x"),
            "$50\r\nThis user has no permissions to access the 'x' key\r\n"
        );
        assert_eq!(
            h.run("ACL DRYRUN u set foo1 v"),
            "$53\r\nThis user has no permissions to run the 'set' command\r\n"
        );
        assert_eq!(h.run("ACL DRYRUN nobody get x"), "-ERR User 'nobody' not found\r\n");
        assert_eq!(h.run("ACL DRYRUN u nosuch x"), "-ERR Command 'nosuch' not found\r\n");
        assert_eq!(
            h.run("ACL DRYRUN u config nosuch"),
            "-ERR Command 'config' not found\r\n"
        );
        assert_eq!(
            h.run("ACL DRYRUN u get"),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(h.run("ACL LOG"), "*0\r\n", "nothing logged");
    }

    #[test]
    fn genpass_gives_hex_digits_for_the_bits_asked() {
        let mut h = Harness::new();
        let r = h.run("ACL GENPASS");
        assert!(r.starts_with("$64\r\n"), "{r}");
        assert_eq!(h.run("ACL GENPASS 5").len(), "$2\r\nxx\r\n".len());
        assert!(h.run("ACL GENPASS 0").starts_with("-ERR ACL GENPASS argument"));
        assert!(h.run("ACL GENPASS 4097").starts_with("-ERR ACL GENPASS argument"));
        assert_eq!(
            h.run("ACL GENPASS x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_ne!(h.run("ACL GENPASS"), h.run("ACL GENPASS"));
    }

    #[test]
    fn every_subcommand_checks_its_arguments_in_redis_words() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("ACL GENPASS 1 2"),
            "-ERR unknown subcommand or wrong number of arguments for 'GENPASS'. Try ACL HELP.\r\n"
        );
        assert_eq!(
            h.run("ACL NOSUCH"),
            "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n"
        );
        assert_eq!(
            h.run("ACL WHOAMI x"),
            "-ERR wrong number of arguments for 'acl|whoami' command\r\n"
        );
        assert_eq!(
            h.run("ACL DELUSER default"),
            "-ERR The 'default' user cannot be removed\r\n"
        );
        assert_eq!(h.run("ACL CAT nosuch"), "-ERR Unknown category 'nosuch'\r\n");
        assert_eq!(
            h.run("ACL SETUSER x +nosuch"),
            "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL\r\n"
        );
        assert_eq!(h.run("ACL GETUSER x"), "$-1\r\n", "a refused SETUSER creates no one");
        assert_eq!(
            h.run("ACL SETUSER x (~a +get"),
            "-ERR Unmatched parenthesis in acl selector starting at '(~a'.\r\n"
        );
        assert!(h
            .run("ACL LOAD")
            .starts_with("-ERR This Redis instance is not configured to use an ACL file."));
        assert!(h.run("ACL HELP").starts_with("*27\r\n"));
    }

    #[test]
    fn getuser_gives_the_rules_in_parts() {
        let mut h = Harness::new();
        h.run("ACL SETUSER u on nopass ~a* &c -@all +get (+set ~b)");
        assert_eq!(
            h.run("ACL GETUSER u"),
            "*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n\
             $8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$3\r\n~a*\r\n$8\r\nchannels\r\n$2\r\n&c\r\n\
             $9\r\nselectors\r\n*1\r\n*6\r\n$8\r\ncommands\r\n$10\r\n-@all +set\r\n$4\r\nkeys\r\n$2\r\n~b\r\n\
             $8\r\nchannels\r\n$0\r\n\r\n"
        );
        assert_eq!(
            h.run("ACL LIST"),
            "*2\r\n$34\r\nuser default on nopass ~* &* +@all\r\n\
             $78\r\nuser u on nopass ~a* resetchannels &c -@all +get (~b resetchannels -@all +set)\r\n"
        );
        assert_eq!(h.run("ACL USERS"), "*2\r\n$7\r\ndefault\r\n$1\r\nu\r\n");
    }
}
