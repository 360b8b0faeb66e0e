//! CONFIG: read and change the runtime settings table.

use super::flags::*;
use super::{dispatch_sub, errors, spec, CommandSpec, Ctx};

const SUBCOMMANDS: &[CommandSpec] = &[
    spec("config|get", -3, ADMIN | NOSCRIPT | LOADING | STALE, "server", get).doc(
        "2.0.0",
        "Reads the parameters whose names match the patterns.",
        "O(N) when N is the number of configuration parameters provided",
        "parameter [parameter ...]",
    ),
    spec("config|set", -4, ADMIN | NOSCRIPT | LOADING | STALE, "server", set).doc(
        "2.0.0",
        "Changes parameters at run time, all of them or none.",
        "O(N) when N is the number of configuration parameters provided",
        "parameter value [parameter value ...]",
    ),
    spec(
        "config|resetstat",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        resetstat,
    )
    .doc("2.0.0", "Zeroes the counters INFO reports.", "O(1)", ""),
    spec(
        "config|rewrite",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        rewrite,
    )
    .doc(
        "2.8.0",
        "Writes the current parameter values into the config file.",
        "O(1)",
        "",
    ),
    spec("config|help", 2, LOADING | STALE, "server", help).doc("5.0.0", "Lists the CONFIG subcommands.", "O(1)", ""),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("config", -2, 0, "server", config)
    .doc(
        "2.0.0",
        "Container of the runtime configuration commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(SUBCOMMANDS)];

fn config(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[0]);
}

/// ```text
/// CONFIG GET parameter [parameter ...]
/// ```
/// Each argument is a glob over names and aliases; a parameter selected by
/// two patterns is reported once. A map in RESP3.
fn get(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut found: Vec<(String, String)> = Vec::new();
    for pat in &a[2..] {
        let pat = String::from_utf8_lossy(pat);
        for (name, value) in ctx.srv.settings.matching(&pat) {
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, value));
            }
        }
    }
    ctx.out.map(found.len());
    for (name, value) in &found {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
}

/// ```text
/// CONFIG SET parameter value [parameter value ...]
/// ```
/// All or nothing: when one value is refused, no parameter changes.
fn set(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if !a.len().is_multiple_of(2) {
        return ctx.error(errors::SYNTAX);
    }
    let owned: Vec<(String, String)> = a[2..]
        .chunks(2)
        .map(|p| {
            (
                String::from_utf8_lossy(p[0]).into_owned(),
                String::from_utf8_lossy(p[1]).into_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    match ctx.srv.set_config(&pairs) {
        Ok(()) => {
            if pairs
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("tracking-table-max-keys"))
            {
                super::tracking::shrink(ctx.srv);
            }
            ctx.out.ok()
        }
        Err(e) => ctx.error(&errors::config_set(&e)),
    }
}

/// ```text
/// CONFIG RESETSTAT
/// ```
/// Zeroes the counters INFO stats reports.
fn resetstat(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.srv.stats.reset();
    ctx.srv.cmdstats.reset();
    ctx.srv.clients.reset_totals(crate::state::Counter::RESP);
    ctx.srv.store.reset_stats();
    ctx.out.ok();
}

/// ```text
/// CONFIG REWRITE
/// ```
/// Rewrites the file the server started from so that it holds the
/// current values; refused when there is none, as Redis does.
fn rewrite(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let Some(path) = ctx.srv.config.config_file.clone() else {
        return ctx.error(errors::NO_CONFIG_FILE);
    };
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = ctx.srv.settings.rewrite(&old);
    // Write beside the file and rename, so a crash never leaves half a config.
    let tmp = path.with_extension("rewrite.tmp");
    let result = std::fs::write(&tmp, new).and_then(|_| std::fs::rename(&tmp, &path));
    match result {
        Ok(()) => ctx.out.ok(),
        Err(e) => {
            tracing::warn!("CONFIG REWRITE failed: {e}");
            ctx.error(&format!("ERR Rewriting config file: {e}"));
        }
    }
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern> [<pattern> ...]",
    "    The parameters whose names match a glob pattern, with their values.",
    "SET <parameter> <value> [<parameter> <value> ...]",
    "    Change parameters; if one value is refused, none changes.",
    "RESETSTAT",
    "    Zero the counters that INFO reports.",
    "REWRITE",
    "    Write the current values into the config file.",
    "HELP",
    "    Print this help.",
];

/// ```text
/// CONFIG HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn config_set_errors_use_redis_wording() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("CONFIG SET maxmemory abc"),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n"
        );
        assert_eq!(
            h.run("CONFIG SET nosuch 1"),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
        );
        assert_eq!(
            h.run("CONFIG SET maxmemory-low-watermark 100 maxmemory-high-watermark 90"),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-low-watermark') - \
             maxmemory-low-watermark (100) can't be greater than maxmemory-high-watermark (90)\r\n"
        );
        assert!(h
            .run("CONFIG SET MAXMEMORY-HIGH-WATERMARK 94")
            .starts_with("-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY-HIGH-WATERMARK') - "));
    }
}
