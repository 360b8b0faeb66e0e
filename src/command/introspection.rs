//! COMMAND: the command table as clients read it (redis-cli's hints,
//! cluster clients' key lookup, documentation browsers).
//!
//! Everything here is derived from the [`CommandSpec`] declarations: ACL
//! categories from flags and group; the key specs as declared, and from
//! them the legacy first/last/step, `movablekeys` and the keys of a
//! request; the argument structure of COMMAND DOCS from each spec's syntax
//! string.

use super::args::is;
use super::categories::CONNECTION;
use super::flags::{self, *};
use super::key_spec::{self, Begin, Find, KeySpec};
use super::{all, dispatch_sub, errors, lookup, spec, CommandSpec, Ctx};
use crate::protocol::resp::Reply;
use crate::util::glob;

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("command|count", 2, LOADING | STALE, "server", count)
        .acl(CONNECTION)
        .doc("2.8.13", "Gives the number of commands the server knows.", "O(1)", ""),
    spec("command|info", -2, LOADING | STALE, "server", info)
        .acl(CONNECTION)
        .doc(
            "2.8.13",
            "Describes commands: arity, flags, key positions, categories, subcommands.",
            "O(N) where N is the number of commands to look up",
            "[command-name [command-name ...]]",
        ),
    spec("command|docs", -2, LOADING | STALE, "server", docs)
        .acl(CONNECTION)
        .doc(
            "7.0.0",
            "Gives the documentation of commands.",
            "O(N) where N is the number of commands to look up",
            "[command-name [command-name ...]]",
        ),
    spec("command|list", -2, LOADING | STALE, "server", list)
        .acl(CONNECTION)
        .doc(
            "7.0.0",
            "Lists command names, optionally filtered.",
            "O(N) where N is the total number of Redis commands",
            "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
        ),
    spec("command|getkeys", -4, LOADING | STALE, "server", getkeys)
        .acl(CONNECTION)
        .doc(
            "2.8.13",
            "Extracts the key names from a full command.",
            "O(N) where N is the number of arguments to the command",
            "command [arg [arg ...]]",
        ),
    spec(
        "command|getkeysandflags",
        -4,
        LOADING | STALE,
        "server",
        getkeysandflags,
    )
    .acl(CONNECTION)
    .doc(
        "7.0.0",
        "Extracts the key names from a full command, with how each is accessed.",
        "O(N) where N is the number of arguments to the command",
        "command [arg [arg ...]]",
    ),
    spec("command|help", 2, LOADING | STALE, "server", help)
        .acl(CONNECTION)
        .doc("5.0.0", "Lists the COMMAND subcommands.", "O(1)", ""),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("command", -1, LOADING | STALE, "server", command)
    .acl(CONNECTION)
    .doc(
        "2.8.13",
        "Describes every command the server knows.",
        "O(N) where N is the total number of Redis commands",
        "",
    )
    .subs(SUBCOMMANDS)];

/// ```text
/// COMMAND
/// ```
/// The COMMAND INFO of every command; with a subcommand, that subcommand.
fn command(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() > 1 {
        return dispatch_sub(ctx, a, &COMMANDS[0]);
    }
    let cmds: Vec<_> = all().collect();
    ctx.out.array(cmds.len());
    for c in cmds {
        write_info(&mut ctx.out, c);
    }
}

/// A command or `parent|sub` by name.
fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        None => lookup(name),
        Some(i) => lookup(&name[..i])?.subcommand(&name[i + 1..]),
    }
}

/// ```text
/// COMMAND COUNT
/// ```
fn count(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.int(all().count() as i64);
}

/// The names of a command's ACL categories, in Redis's order.
fn categories(c: &CommandSpec) -> Vec<&'static str> {
    let bits = c.categories();
    super::categories::NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// The 10-element COMMAND INFO entry.
fn write_info(out: &mut Reply<'_>, c: &CommandSpec) {
    out.array(10);
    out.bulk(c.name.as_bytes());
    out.int(c.arity as i64);
    let bits = c.flags | if c.movable_keys() { MOVABLEKEYS } else { 0 };
    let fl: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(fl.len());
    for f in fl {
        out.simple(f);
    }
    let (first, last, step) = c.legacy_keys();
    out.int(first as i64);
    out.int(last as i64);
    out.int(step as i64);
    let cats = categories(c);
    out.set(cats.len());
    for cat in cats {
        out.simple(&format!("@{cat}"));
    }
    // Tips (request and response policies) are not declared here.
    out.set(0);
    // A set, as Redis replies it, though the specs' order matters (COMMAND
    // DOCS's key_spec_index counts in it).
    out.set(c.key_specs.len());
    for ks in c.key_specs {
        write_key_spec(out, ks);
    }
    out.set(c.subcommands.len());
    for s in c.subcommands {
        write_info(out, s);
    }
}

/// Key-spec flags as a set of status words.
fn write_key_flags(out: &mut Reply<'_>, bits: u32) {
    let names: Vec<&str> = key_spec::flags::names(bits).collect();
    out.set(names.len());
    for n in names {
        out.simple(n);
    }
}

/// One key spec, in the map COMMAND INFO gives it: notes when there are
/// any, flags, where the search begins and how the keys are found.
fn write_key_spec(out: &mut Reply<'_>, ks: &KeySpec) {
    out.map(3 + usize::from(!ks.notes.is_empty()));
    if !ks.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(ks.notes.as_bytes());
    }
    out.bulk(b"flags");
    write_key_flags(out, ks.flags);
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match ks.begin {
        Begin::Index(i) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i as i64);
        }
        Begin::Keyword { keyword, start_from } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(start_from as i64);
        }
        Begin::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match ks.find {
        Find::Range { last, step, limit } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"lastkey");
            out.int(last as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
            out.bulk(b"limit");
            out.int(limit as i64);
        }
        Find::Keynum { index, first, step } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            out.bulk(b"keynumidx");
            out.int(index as i64);
            out.bulk(b"firstkey");
            out.int(first as i64);
            out.bulk(b"keystep");
            out.int(step as i64);
        }
        Find::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
}

/// ```text
/// COMMAND INFO [command-name [command-name ...]]
/// ```
/// Without names, every command. Unknown names answer nil in their place.
fn info(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if a.len() == 2 {
        let cmds: Vec<_> = all().collect();
        ctx.out.array(cmds.len());
        for c in cmds {
            write_info(&mut ctx.out, c);
        }
        return;
    }
    ctx.out.array(a.len() - 2);
    for name in &a[2..] {
        match find(name) {
            Some(c) => write_info(&mut ctx.out, c),
            None => ctx.out.null(),
        }
    }
}

/// ```text
/// COMMAND DOCS [command-name [command-name ...]]
/// ```
/// A map of name to documentation; unknown names are left out.
fn docs(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let cmds: Vec<&CommandSpec> = if a.len() == 2 {
        all().collect()
    } else {
        a[2..].iter().filter_map(|n| find(n)).collect()
    };
    ctx.out.map(cmds.len());
    for c in cmds {
        ctx.out.bulk(c.name.as_bytes());
        write_doc(&mut ctx.out, c);
    }
}

fn write_doc(out: &mut Reply<'_>, c: &CommandSpec) {
    let mut args = parse_syntax(c.doc.syntax);
    number_key_args(&mut args, &mut 0, c.key_specs);
    let n = 4 + usize::from(!args.is_empty()) + usize::from(!c.subcommands.is_empty());
    out.map(n);
    out.bulk(b"summary");
    out.bulk(c.doc.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(c.doc.since.as_bytes());
    out.bulk(b"group");
    out.bulk(c.group.as_bytes());
    out.bulk(b"complexity");
    out.bulk(c.doc.complexity.as_bytes());
    if !args.is_empty() {
        out.bulk(b"arguments");
        write_args(out, &args);
    }
    if !c.subcommands.is_empty() {
        out.bulk(b"subcommands");
        out.map(c.subcommands.len());
        for s in c.subcommands {
            out.bulk(s.name.as_bytes());
            write_doc(out, s);
        }
    }
}

fn write_args(out: &mut Reply<'_>, args: &[Arg]) {
    out.array(args.len());
    for arg in args {
        let mut flags = Vec::new();
        if arg.optional {
            flags.push("optional");
        }
        if arg.multiple {
            flags.push("multiple");
        }
        let n = 2
            + usize::from(arg.key_spec.is_some())
            + usize::from(arg.token.is_some())
            + usize::from(!flags.is_empty())
            + usize::from(!arg.children.is_empty());
        out.map(n);
        out.bulk(b"name");
        out.bulk(arg.name.as_bytes());
        out.bulk(b"type");
        out.bulk(arg.kind.as_bytes());
        if let Some(i) = arg.key_spec {
            out.bulk(b"key_spec_index");
            out.int(i as i64);
        }
        if let Some(t) = &arg.token {
            out.bulk(b"token");
            out.bulk(t.as_bytes());
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            out.set(flags.len());
            for f in flags {
                out.simple(f);
            }
        }
        if !arg.children.is_empty() {
            out.bulk(b"arguments");
            write_args(out, &arg.children);
        }
    }
}

/// One argument of a command, in the shape COMMAND DOCS gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    pub(crate) name: String,
    /// string, integer, double, key, pattern, unix-time, pure-token, oneof, block.
    pub(crate) kind: &'static str,
    pub(crate) token: Option<String>,
    pub(crate) optional: bool,
    pub(crate) multiple: bool,
    pub(crate) children: Vec<Arg>,
    /// For a key argument, the index of the key spec that finds it.
    pub(crate) key_spec: Option<usize>,
}

impl Arg {
    fn leaf(name: &str, token: Option<String>) -> Arg {
        Arg {
            name: name.to_string(),
            kind: value_type(name),
            token,
            optional: false,
            multiple: false,
            children: Vec::new(),
            key_spec: None,
        }
    }

    fn group(kind: &'static str, children: Vec<Arg>) -> Arg {
        let name = children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("-");
        Arg {
            name,
            kind,
            token: None,
            optional: false,
            multiple: false,
            children,
            key_spec: None,
        }
    }

    /// The part of the syntax it came from, to recognise `x [x ...]`.
    fn shape(&self) -> String {
        format!("{}{:?}{:?}{:?}", self.name, self.token, self.kind, self.children)
    }
}

/// Gives the key arguments of a syntax, in order, the key specs that find
/// them: the n-th key argument is found by the n-th spec (LMOVE source
/// destination; ZUNIONSTORE destination numkeys key), a command with fewer
/// specs than key arguments finds the rest with its last spec, and the
/// patterns of a command whose keys come from data (SORT's BY and GET)
/// belong to its first spec of unknown place, which key arguments pass
/// over.
fn number_key_args(args: &mut [Arg], next: &mut usize, specs: &[KeySpec]) {
    let from_data = specs.iter().position(|s| s.begin == Begin::Unknown);
    for a in args {
        if a.kind == "key" && !specs.is_empty() {
            let mut i = *next;
            if Some(i) == from_data {
                i += 1;
            }
            let i = i.min(specs.len() - 1);
            a.key_spec = Some(i);
            *next = i + 1;
        } else if a.kind == "pattern" {
            a.key_spec = from_data;
        }
        number_key_args(&mut a.children, next, specs);
    }
}

/// The type a value argument's name suggests.
fn value_type(name: &str) -> &'static str {
    match name {
        "key" | "source" | "destination" | "newkey" | "src" | "dst" => "key",
        "pattern" => "pattern",
        "increment" | "score" | "min" | "max" => "double",
        n if n.starts_with("unix-time") => "unix-time",
        n if n.ends_with("key") => "key",
        "seconds" | "milliseconds" | "count" | "index" | "index1" | "index2" | "db" | "offset" | "start" | "end"
        | "stop" | "timeout" | "port" | "numkeys" | "client-id" | "maxage" | "protover" | "cursor" | "decrement"
        | "limit" | "bits" => "integer",
        _ => "string",
    }
}

/// A word of the syntax that is typed literally: upper case, as `NX`.
fn is_token(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase()) && !w.chars().any(|c| c.is_ascii_lowercase())
}

/// Reads a command's syntax string (`key [NX | XX] [EX seconds | PX ms]`)
/// into Redis's argument structure: tokens, values, optional and repeated
/// parts, alternatives (`oneof`) and groups (`block`). Anything it cannot
/// read ends the list rather than failing.
pub(crate) fn parse_syntax(syntax: &str) -> Vec<Arg> {
    let mut toks: Vec<String> = Vec::new();
    for w in syntax.split_whitespace() {
        let mut rest = w;
        while let Some(c) = rest.chars().next() {
            if "[]<>|".contains(c) {
                toks.push(c.to_string());
                rest = &rest[1..];
            } else {
                let end = rest.find(['[', ']', '<', '>', '|']).unwrap_or(rest.len());
                toks.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    let mut pos = 0;
    parse_seq(&toks, &mut pos)
}

/// A sequence, up to a closing bracket or `|`.
fn parse_seq(toks: &[String], pos: &mut usize) -> Vec<Arg> {
    let mut seq: Vec<Arg> = Vec::new();
    while *pos < toks.len() {
        let t = toks[*pos].as_str();
        match t {
            "]" | ">" | "|" => break,
            "[" | "<" => {
                let close = if t == "[" { "]" } else { ">" };
                *pos += 1;
                let (mut inner, repeat) = parse_alts(toks, pos);
                if toks.get(*pos).map(String::as_str) == Some(close) {
                    *pos += 1;
                }
                if repeat {
                    // `x [x ...]`: the group repeats what precedes it.
                    let n = inner.len();
                    let shapes: Vec<String> = inner.iter().map(Arg::shape).collect();
                    if n > 0 && seq.len() >= n && seq[seq.len() - n..].iter().map(Arg::shape).eq(shapes) {
                        let tail: Vec<Arg> = seq.split_off(seq.len() - n);
                        let mut a = if n == 1 {
                            tail.into_iter().next().unwrap_or_else(|| Arg::leaf("arg", None))
                        } else {
                            Arg::group("block", tail)
                        };
                        a.multiple = true;
                        seq.push(a);
                        continue;
                    }
                    for a in &mut inner {
                        a.multiple = true;
                    }
                }
                let mut a = if inner.len() == 1 {
                    inner.remove(0)
                } else {
                    Arg::group("block", inner)
                };
                a.optional |= close == "]";
                seq.push(a);
            }
            "..." => {
                *pos += 1;
                if let Some(last) = seq.last_mut() {
                    last.multiple = true;
                }
            }
            w if is_token(w) => {
                *pos += 1;
                let next = toks.get(*pos).map(String::as_str);
                match next {
                    Some(v) if !is_token(v) && !"[]<>|".contains(v) && v != "..." => {
                        *pos += 1;
                        seq.push(Arg::leaf(v, Some(w.to_string())));
                    }
                    _ => {
                        let mut a = Arg::leaf(&w.to_ascii_lowercase(), Some(w.to_string()));
                        a.kind = "pure-token";
                        seq.push(a);
                    }
                }
            }
            w => {
                *pos += 1;
                seq.push(Arg::leaf(w, None));
            }
        }
    }
    seq
}

/// Alternatives separated by `|`; returns them (one `oneof` when there are
/// several) and whether the group ended in `...`.
fn parse_alts(toks: &[String], pos: &mut usize) -> (Vec<Arg>, bool) {
    let mut alts: Vec<Vec<Arg>> = vec![parse_seq(toks, pos)];
    while toks.get(*pos).map(String::as_str) == Some("|") {
        *pos += 1;
        alts.push(parse_seq(toks, pos));
    }
    let mut repeat = false;
    if alts.len() == 1 {
        let mut only = alts.remove(0);
        if only.last().is_some_and(|a| a.multiple) && only.len() > 1 {
            // `[x y ...]` reads as the group x y, repeated.
            if let Some(last) = only.last_mut() {
                last.multiple = false;
            }
            repeat = true;
        } else if only.len() == 1 && only[0].multiple {
            only[0].multiple = false;
            repeat = true;
        }
        return (only, repeat);
    }
    let children = alts
        .into_iter()
        .map(|mut s| {
            if s.len() == 1 {
                s.remove(0)
            } else {
                Arg::group("block", s)
            }
        })
        .collect();
    (vec![Arg::group("oneof", children)], false)
}

/// ```text
/// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
/// ```
/// Names of commands and subcommands (`config|get`).
fn list(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let names = || all().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()));
    let picked: Vec<&str> = match a.len() {
        2 => names().map(|c| c.name).collect(),
        5 if is(a[2], "filterby") => {
            if is(a[3], "module") {
                Vec::new()
            } else if is(a[3], "aclcat") {
                // An unknown category lists nothing, as in Redis.
                let bit = super::categories::by_name(a[4]).unwrap_or(0);
                names().filter(|c| c.categories() & bit != 0).map(|c| c.name).collect()
            } else if is(a[3], "pattern") {
                names()
                    .filter(|c| glob::matches(a[4], c.name.as_bytes(), true))
                    .map(|c| c.name)
                    .collect()
            } else {
                return ctx.error(errors::SYNTAX);
            }
        }
        _ => return ctx.error(errors::SYNTAX),
    };
    ctx.out.bulks(picked.iter());
}

/// The keys of the request `args` (the name first), or the error COMMAND
/// GETKEYS answers, checked in Redis's order: the command, whether it has
/// keys at all, its arity, then keys in these arguments.
fn keys_of(args: &[&[u8]]) -> Result<Vec<key_spec::KeyRef>, &'static str> {
    let mut c = lookup(args[0]).ok_or(errors::INVALID_COMMAND)?;
    if !c.subcommands.is_empty() && args.len() > 1 {
        c = c.subcommand(args[1]).ok_or(errors::INVALID_COMMAND)?;
    }
    if !key_spec::may_have_keys(c.key_specs, c.key_finder) {
        return Err(errors::NO_KEY_ARGS);
    }
    if !c.arity_ok(args.len()) {
        return Err(errors::INVALID_COMMAND_ARGS);
    }
    let keys = c.keys(args);
    if keys.is_empty() && !c.has(NO_MANDATORY_KEYS) {
        return Err(errors::INVALID_KEY_ARGS);
    }
    Ok(keys)
}

/// ```text
/// COMMAND GETKEYS command [arg [arg ...]]
/// ```
fn getkeys(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match keys_of(&a[2..]) {
        Ok(keys) => ctx.out.bulks(keys.iter().map(|k| a[2 + k.pos])),
        Err(e) => ctx.error(e),
    }
}

/// ```text
/// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
/// ```
/// Each key with its key-spec flags (none for keys found by a command's
/// own finder that does not tell them).
fn getkeysandflags(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    match keys_of(&a[2..]) {
        Ok(keys) => {
            ctx.out.array(keys.len());
            for k in keys {
                ctx.out.array(2);
                ctx.out.bulk(a[2 + k.pos]);
                write_key_flags(&mut ctx.out, k.flags);
            }
        }
        Err(e) => ctx.error(e),
    }
}

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Describe every command.",
    "COUNT",
    "    The number of commands.",
    "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    The names of the commands, optionally filtered.",
    "INFO [<command-name> ...]",
    "    Describe the named commands, or all of them.",
    "DOCS [<command-name> ...]",
    "    The documentation of the named commands, or of all of them.",
    "GETKEYS <full-command>",
    "    The keys of a full command.",
    "GETKEYSANDFLAGS <full-command>",
    "    The keys of a full command, with how each is accessed.",
    "HELP",
    "    Print this help.",
];

/// ```text
/// COMMAND HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &[Arg]) -> Vec<(&str, &str)> {
        args.iter().map(|a| (a.name.as_str(), a.kind)).collect()
    }

    #[test]
    fn set_syntax_parses_into_tokens_and_alternatives() {
        let args =
            parse_syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | KEEPTTL]");
        assert_eq!(
            names(&args),
            [
                ("key", "key"),
                ("value", "string"),
                ("nx-xx", "oneof"),
                ("get", "pure-token"),
                ("seconds-milliseconds-unix-time-seconds-keepttl", "oneof")
            ]
        );
        assert!(args[2].optional && !args[0].optional);
        assert_eq!(args[3].token.as_deref(), Some("GET"));
        let ex = &args[4].children[0];
        assert_eq!(
            (ex.name.as_str(), ex.kind, ex.token.as_deref()),
            ("seconds", "integer", Some("EX"))
        );
        assert_eq!(args[4].children[2].kind, "unix-time");
    }

    #[test]
    fn repeated_arguments_are_marked_multiple() {
        let args = parse_syntax("key [key ...]");
        assert_eq!(args.len(), 1);
        assert!(args[0].multiple && !args[0].optional);
        let args = parse_syntax("parameter value [parameter value ...]");
        assert_eq!(args.len(), 1);
        assert_eq!(args[0].kind, "block");
        assert!(args[0].multiple);
        assert_eq!(names(&args[0].children), [("parameter", "string"), ("value", "string")]);
        let args = parse_syntax("[section [section ...]]");
        assert_eq!(args.len(), 1);
        assert!(args[0].optional && args[0].multiple);
    }

    #[test]
    fn every_declared_syntax_parses() {
        for c in all().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter())) {
            let args = parse_syntax(c.doc.syntax);
            assert_eq!(args.is_empty(), c.doc.syntax.is_empty(), "{}", c.name);
        }
    }

    #[test]
    fn info_entry_has_ten_elements_and_categories() {
        let get = lookup(b"get").unwrap();
        assert_eq!(categories(get), ["read", "string", "fast"]);
        let del = lookup(b"del").unwrap();
        assert_eq!(categories(del), ["keyspace", "write", "slow"]);
        let mut buf = Vec::new();
        write_info(&mut Reply::new(&mut buf, false), get);
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with("*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n"),
            "{text}"
        );
        assert!(text.ends_with("$5\r\nlimit\r\n:0\r\n*0\r\n"), "{text}");
    }

    /// As redis-server 7.0.15 gives them: declared categories, and those
    /// the flags imply.
    #[test]
    fn categories_are_redis_7s() {
        let of = |name: &str| {
            let (c, _) = crate::command::lookup_full(name.as_bytes()).unwrap();
            categories(c).join(" ")
        };
        for (name, expected) in [
            ("sort", "write set sortedset list slow dangerous"),
            ("keys", "keyspace read slow dangerous"),
            ("eval_ro", "slow scripting"),
            ("client", "slow"),
            ("client|kill", "admin slow dangerous connection"),
            ("command|info", "slow connection"),
            ("multi", "fast transaction"),
            ("swapdb", "keyspace write fast dangerous"),
            ("role", "admin fast dangerous"),
            ("info", "slow dangerous"),
            ("function|load", "write slow scripting"),
        ] {
            assert_eq!(of(name), expected, "{name}");
        }
    }

    #[test]
    fn resp3_info_gives_key_specs_as_a_set_of_maps_with_flag_sets() {
        let get = lookup(b"get").unwrap();
        let mut buf = Vec::new();
        write_info(&mut Reply::new(&mut buf, true), get);
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.contains("~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"),
            "{text}"
        );
    }

    fn getkeysandflags(line: &str) -> Result<Vec<(usize, Vec<&'static str>)>, &'static str> {
        let a: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        let keys = keys_of(&a)?;
        Ok(keys
            .into_iter()
            .map(|k| (k.pos, key_spec::flags::names(k.flags).collect()))
            .collect())
    }

    #[test]
    fn getkeys_errors_come_in_redis_order() {
        assert_eq!(getkeysandflags("nosuch x"), Err(errors::INVALID_COMMAND));
        assert_eq!(getkeysandflags("config nosuch"), Err(errors::INVALID_COMMAND));
        assert_eq!(
            getkeysandflags("ping"),
            Err(errors::NO_KEY_ARGS),
            "before the arity check"
        );
        assert_eq!(getkeysandflags("get"), Err(errors::INVALID_COMMAND_ARGS));
        assert_eq!(getkeysandflags("zunionstore d 3 a b"), Err(errors::INVALID_KEY_ARGS));
        assert_eq!(getkeysandflags("eval s 0"), Ok(vec![]), "no_mandatory_keys");
    }

    #[test]
    fn getkeysandflags_gives_each_key_its_spec_flags() {
        assert_eq!(getkeysandflags("set k1 v1"), Ok(vec![(1, vec!["OW", "update"])]));
        assert_eq!(
            getkeysandflags("mset k1 v1 k2 v2"),
            Ok(vec![(1, vec!["OW", "update"]), (3, vec!["OW", "update"])])
        );
        assert_eq!(
            getkeysandflags("lmove k1 k2 left right"),
            Ok(vec![(1, vec!["RW", "access", "delete"]), (2, vec!["RW", "insert"])])
        );
        assert_eq!(
            getkeysandflags("sort k1 STORE k2"),
            Ok(vec![(1, vec!["RO", "access"]), (3, vec!["OW", "update"])])
        );
        assert_eq!(getkeysandflags("del a b").map(|k| k.len()), Ok(2));
    }

    #[test]
    fn docs_number_key_arguments_by_spec() {
        let zunionstore = lookup(b"zunionstore").unwrap();
        let mut args = parse_syntax("destination numkeys key [key ...] [WEIGHTS weight [weight ...]]");
        number_key_args(&mut args, &mut 0, zunionstore.key_specs);
        let idx: Vec<Option<usize>> = args.iter().map(|a| a.key_spec).collect();
        assert_eq!(idx, [Some(0), None, Some(1), None]);
        let sort = lookup(b"sort").unwrap();
        let mut args = parse_syntax("key [BY pattern] [GET pattern [GET pattern ...]] [STORE destination]");
        number_key_args(&mut args, &mut 0, sort.key_specs);
        let idx: Vec<Option<usize>> = args.iter().map(|a| a.key_spec).collect();
        assert_eq!(idx, [Some(0), Some(1), Some(1), Some(2)]);
    }
}
