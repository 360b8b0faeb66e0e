//! LATENCY: the latency monitor's events (`state::LatencyMonitor`, fed by
//! `execute` when `latency-monitor-threshold` is on) and the per-command
//! latency histograms (`state::CommandStats`, kept while
//! `latency-tracking` is on).

use super::flags::*;
use super::{dispatch_sub, errors, spec, CommandSpec, Ctx};
use crate::state::{Latencies, Server};

const SUBCOMMANDS: &[CommandSpec] = &[
    spec(
        "latency|doctor",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        doctor,
    )
    .doc(
        "2.8.13",
        "Returns a human-readable latency analysis report.",
        "O(1)",
        "",
    ),
    spec("latency|graph", 3, ADMIN | NOSCRIPT | LOADING | STALE, "server", graph).doc(
        "2.8.13",
        "Returns a latency graph for an event.",
        "O(1)",
        "event",
    ),
    spec("latency|help", 2, LOADING | STALE, "server", help).doc(
        "2.8.13",
        "Returns helpful text about the different subcommands.",
        "O(1)",
        "",
    ),
    spec(
        "latency|histogram",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        histogram,
    )
    .doc(
        "7.0.0",
        "Returns the cumulative distribution of latencies of a subset or all commands.",
        "O(N) where N is the number of commands with latency information being retrieved.",
        "[command [command ...]]",
    ),
    spec(
        "latency|history",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        history,
    )
    .doc(
        "2.8.13",
        "Returns timestamp-latency samples for an event.",
        "O(1)",
        "event",
    ),
    spec(
        "latency|latest",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        "server",
        latest,
    )
    .doc(
        "2.8.13",
        "Returns the latest latency samples for all events.",
        "O(1)",
        "",
    ),
    spec("latency|reset", -2, ADMIN | NOSCRIPT | LOADING | STALE, "server", reset).doc(
        "2.8.13",
        "Resets the latency data for one or more events.",
        "O(1)",
        "[event [event ...]]",
    ),
];

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("latency", -2, 0, "server", latency)
    .doc(
        "2.8.13",
        "A container for latency diagnostics commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(SUBCOMMANDS)];

const HELP: &[&str] = &[
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
];

fn latency(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &COMMANDS[0]);
}

fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    super::help_reply(ctx, HELP);
}

/// ```text
/// LATENCY HISTORY event
/// ```
/// `[[unix time, ms] ...]`, oldest first; empty for an unknown event.
fn history(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let series = ctx.srv.latency.event(&String::from_utf8_lossy(a[2]));
    let samples = series.as_ref().map(|s| s.samples()).unwrap_or_default();
    ctx.out.array(samples.len());
    for &(time, ms) in samples {
        ctx.out.array(2);
        ctx.out.int(time as i64);
        ctx.out.int(ms as i64);
    }
}

/// ```text
/// LATENCY LATEST
/// ```
/// `[[event, unix time, latest ms, all-time max ms] ...]`.
fn latest(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let events = ctx.srv.latency.events();
    ctx.out.array(events.len());
    for (name, s) in &events {
        let (time, ms) = s.latest();
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(time as i64);
        ctx.out.int(ms as i64);
        ctx.out.int(s.max as i64);
    }
}

/// ```text
/// LATENCY RESET [event ...]
/// ```
/// How many events were forgotten (all of them when none is named).
fn reset(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let n = ctx.srv.latency.reset(&a[2..]);
    ctx.out.int(n as i64);
}

/// ```text
/// LATENCY HISTOGRAM [command ...]
/// ```
/// For each command named (a container names itself and its
/// subcommands; `config|get` one subcommand; unknown names are skipped),
/// or every command, those called since start or CONFIG RESETSTAT:
/// `name => {calls => n, histogram_usec => {bound => calls at or below}}`.
fn histogram(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let srv = ctx.srv;
    let mut found: Vec<(&'static str, Latencies)> = Vec::new();
    let mut add = |row: usize, c: &'static CommandSpec| {
        if let Some(l) = srv.cmdstats.latencies(row) {
            found.push((c.name, l));
        }
    };
    if a.len() == 2 {
        for (row, c) in super::rows() {
            add(row, c);
        }
    } else {
        for name in &a[2..] {
            let Some((c, row)) = super::lookup_full(name) else {
                continue;
            };
            add(row, c);
            for (i, sub) in c.subcommands.iter().enumerate() {
                add(row + 1 + i, sub);
            }
        }
    }
    ctx.out.map(found.len());
    for (name, l) in &found {
        ctx.out.bulk(name.as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"calls");
        ctx.out.int(l.total() as i64);
        ctx.out.bulk(b"histogram_usec");
        let buckets = l.cumulative_usec();
        ctx.out.map(buckets.len());
        for (bound, n) in buckets {
            ctx.out.int(bound as i64);
            ctx.out.int(n as i64);
        }
    }
}

/// ```text
/// LATENCY GRAPH event
/// ```
/// An ASCII graph of the event's samples, as Redis draws it: a title,
/// a rule, four rows of bars (`_`, `o`, `#`, `|`), and each sample's age
/// written downwards under it.
fn graph(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let name = String::from_utf8_lossy(a[2]).into_owned();
    let Some(series) = ctx.srv.latency.event(&name) else {
        return ctx.error(&errors::latency_no_samples(a[2]));
    };
    let now = ctx.now / 1000;
    let samples = series.samples();
    let min = samples.iter().map(|s| s.1).min().unwrap_or(0);
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let mut text = format!(
        "{name} - high {max} ms, low {min} ms (all time high {} ms)\n{}\n",
        series.max,
        "-".repeat(80)
    );
    let points: Vec<(u64, String)> = samples
        .iter()
        .map(|&(t, ms)| (ms, age(now.saturating_sub(t))))
        .collect();
    for (i, chunk) in points.chunks(80).enumerate() {
        if i > 0 {
            text.push('\n');
        }
        sparkline(&mut text, chunk, min, max);
    }
    ctx.out.verbatim(text.as_bytes());
}

/// How long ago, as the graph labels it: `12s`, `3m`, `5h`, `2d`.
fn age(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// Four rows of filled bars for `points` scaled between `min` and `max`,
/// then a blank row and the labels written downwards.
fn sparkline(out: &mut String, points: &[(u64, String)], min: u64, max: u64) {
    const ROWS: usize = 4;
    const FILL: &[u8] = b"_o#";
    let steps = FILL.len() * ROWS;
    let range = match max - min {
        0 => 1.0,
        r => r as f64,
    };
    let step_of = |v: u64| (((v - min) as f64 * steps as f64 / range) as usize).min(steps - 1);
    for row in 0..ROWS {
        let line: String = points
            .iter()
            .map(|(v, _)| {
                let idx = step_of(*v) as isize - ((ROWS - row - 1) * FILL.len()) as isize;
                match idx {
                    i if i < 0 => ' ',
                    i if (i as usize) < FILL.len() => FILL[i as usize] as char,
                    _ => '|',
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    let tallest = points.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    if tallest > 0 {
        out.push_str(&" ".repeat(points.len()));
        out.push('\n');
    }
    for k in 0..tallest {
        let line: String = points
            .iter()
            .map(|(_, l)| l.as_bytes().get(k).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// ```text
/// LATENCY DOCTOR
/// ```
/// Redis's report, for the events recorded here: the monitor is off,
/// nothing was seen, or one line per event and the advice Redis gives for
/// it (the slow log, CPU time, `hz`, large objects).
fn doctor(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let text = report(ctx.srv, ctx.now / 1000);
    ctx.out.verbatim(text.as_bytes());
}

fn report(srv: &Server, now: u64) -> String {
    let events = srv.latency.events();
    let threshold = srv.latency.threshold();
    if events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    if events.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n".into();
    }
    let slower_than = srv.settings.int("slowlog-log-slower-than").unwrap_or(10_000);
    let hz = srv.settings.int("hz").unwrap_or(10);
    let (mut slowlog_enable, mut slowlog_tune, mut slowlog_inspect) = (false, false, false);
    let (mut scheduler, mut raise_hz, mut large_objects) = (false, false, false);
    let mut out = String::from(
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n",
    );
    for (i, (name, s)) in events.iter().enumerate() {
        let samples = s.samples();
        let n = samples.len().max(1) as u64;
        let avg = samples.iter().map(|x| x.1).sum::<u64>() / n;
        let mad = samples.iter().map(|x| x.1.abs_diff(avg)).sum::<u64>() / n;
        let first = samples.iter().map(|x| x.0).min().unwrap_or(now);
        let period = now.saturating_sub(first).max(1);
        out.push_str(&format!(
            "{}. {name}: {} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.\n",
            i + 1,
            samples.len(),
            period as f64 / n as f64,
            s.max
        ));
        match name.as_str() {
            "command" => {
                if slower_than < 0 {
                    slowlog_enable = true;
                } else if (slower_than / 1000) as u64 > threshold {
                    slowlog_tune = true;
                }
                slowlog_inspect = true;
                large_objects = true;
            }
            "fast-command" => scheduler = true,
            "expire-cycle" => {
                raise_hz = true;
                large_objects = true;
            }
            _ => {}
        }
    }
    let wanted = threshold.saturating_mul(1000);
    out.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enable {
        out.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {wanted}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
    }
    if slowlog_tune {
        out.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {wanted}'.\n"));
    }
    if slowlog_inspect {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        out.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if raise_hz && hz < 100 {
        out.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if large_objects {
        out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    #[test]
    fn histogram_lists_what_ran_since_resetstat() {
        let mut h = Harness::new();
        h.run("CONFIG RESETSTAT");
        let r = h.run("LATENCY HISTOGRAM");
        assert!(
            r.starts_with(
                "*2\r\n$16\r\nconfig|resetstat\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n*2\r\n:"
            ),
            "{r}"
        );
        h.run("SET a b");
        h.run("CLIENT ID");
        assert!(h.run("LATENCY HISTOGRAM set").starts_with("*2\r\n$3\r\nset\r\n"));
        assert!(h
            .run("LATENCY HISTOGRAM client")
            .starts_with("*2\r\n$9\r\nclient|id\r\n"));
        assert!(h
            .run("LATENCY HISTOGRAM client|id")
            .starts_with("*2\r\n$9\r\nclient|id\r\n"));
        assert_eq!(h.run("LATENCY HISTOGRAM nosuch"), "*0\r\n");
        h.client.resp3 = true;
        assert!(h.run("LATENCY HISTOGRAM set").starts_with("%1\r\n$3\r\nset\r\n%2\r\n"));
    }

    #[test]
    fn events_are_empty_until_the_monitor_sees_one() {
        let mut h = Harness::new();
        assert_eq!(h.run("LATENCY LATEST"), "*0\r\n");
        assert_eq!(h.run("LATENCY HISTORY command"), "*0\r\n");
        assert_eq!(h.run("LATENCY RESET"), ":0\r\n");
        assert_eq!(
            h.run("LATENCY GRAPH command"),
            "-ERR No samples available for event 'command'\r\n"
        );
        assert!(h.run("LATENCY DOCTOR").contains("I'm sorry, Dave"));
        assert_eq!(
            h.run("LATENCY HELP xxx"),
            "-ERR wrong number of arguments for 'latency|help' command\r\n"
        );
    }

    #[test]
    fn sparkline_draws_four_rows_and_labels() {
        let mut out = String::new();
        super::sparkline(&mut out, &[(100, "3s".into()), (400, "1s".into())], 100, 400);
        assert_eq!(out, " #\n |\n |\n_|\n  \n31\nss\n");
    }
}
