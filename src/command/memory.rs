//! MEMORY: what a key costs (USAGE), and the store's memory in brief
//! (STATS, DOCTOR, MALLOC-STATS, PURGE).
//!
//! USAGE answers the bytes the store counts for the key: its slab chunk
//! (header, key and inline value) plus what it owns on the heap, an
//! aggregate at its running size. The count is exact, so SAMPLES is
//! parsed and checked as Redis does but changes nothing.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{flags::*, key};
use super::{dispatch_sub, errors, help_reply, spec, CommandSpec, Ctx};
use std::sync::atomic::Ordering;

pub(crate) const COMMANDS: &[CommandSpec] = &[MEMORY];

const MEMORY: CommandSpec = spec("memory", -2, 0, "server", memory)
    .doc(
        "4.0.0",
        "A container for memory diagnostics commands.",
        "Depends on subcommand.",
        "",
    )
    .subs(MEMORY_SUBS);

const MEMORY_SUBS: &[CommandSpec] = &[
    spec("memory|usage", -3, READONLY, "server", usage)
        .key_specs(&[key(2, RO)])
        .doc(
            "4.0.0",
            "Estimates the memory usage of a key.",
            "O(N) where N is the number of samples.",
            "key [SAMPLES count]",
        ),
    spec("memory|stats", 2, 0, "server", stats).doc("4.0.0", "Returns details about memory usage.", "O(1)", ""),
    spec("memory|doctor", 2, 0, "server", doctor).doc("4.0.0", "Outputs a memory problems report.", "O(1)", ""),
    spec("memory|malloc-stats", 2, 0, "server", malloc_stats).doc(
        "4.0.0",
        "Returns the allocator statistics.",
        "Depends on how much memory is allocated, could be slow",
        "",
    ),
    spec("memory|purge", 2, 0, "server", purge).doc(
        "4.0.0",
        "Asks the allocator to release memory.",
        "Depends on how much memory is allocated, could be slow",
        "",
    ),
    spec("memory|help", 2, LOADING | STALE, "server", help).doc(
        "4.0.0",
        "Returns helpful text about the different subcommands.",
        "O(1)",
        "",
    ),
];

fn memory(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    dispatch_sub(ctx, a, &MEMORY);
}

/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// ```
/// Bytes, or nil for a missing key.
fn usage(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let mut j = 3;
    while j < a.len() {
        if !(is(a[j], "samples") && j + 1 < a.len()) {
            return ctx.error(errors::SYNTAX);
        }
        match args::int(a[j + 1]) {
            Ok(n) if n < 0 => return ctx.error(errors::SYNTAX),
            Ok(_) => {}
            Err(e) => return ctx.error(e),
        }
        j += 2;
    }
    let bytes = ctx
        .srv
        .store
        .with_slot(ctx.db(), a[2], ctx.now, |slot| slot.mem_usage());
    match bytes {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
}

/// ```text
/// MEMORY STATS
/// ```
/// The fields of Redis's reply the store can answer: usage, peak,
/// overhead, dataset and keys.
fn stats(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    let mem = ctx.srv.store.memory();
    let peak = ctx
        .srv
        .stats
        .used_memory_peak
        .fetch_max(mem.used, Ordering::Relaxed)
        .max(mem.used);
    let keys: u64 = (0..ctx.srv.store.databases()).map(|db| ctx.srv.store.dbsize(db)).sum();
    let per_key = mem.used.checked_div(keys).unwrap_or(0);
    let perc = if mem.used == 0 {
        0.0
    } else {
        mem.dataset as f64 * 100.0 / mem.used as f64
    };
    let ints: [(&str, u64); 7] = [
        ("peak.allocated", peak),
        ("total.allocated", mem.used),
        ("startup.allocated", 0),
        ("overhead.total", mem.overhead),
        ("keys.count", keys),
        ("keys.bytes-per-key", per_key),
        ("dataset.bytes", mem.dataset),
    ];
    ctx.out.map(ints.len() + 1);
    for (name, v) in ints {
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(v as i64);
    }
    ctx.out.bulk(b"dataset.percentage");
    ctx.out.double(perc);
}

/// ```text
/// MEMORY DOCTOR
/// ```
fn doctor(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.verbatim(
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.",
    );
}

/// ```text
/// MEMORY MALLOC-STATS
/// ```
fn malloc_stats(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.verbatim(b"Stats not supported for the current allocator");
}

/// ```text
/// MEMORY PURGE
/// ```
/// Nothing to ask of the allocator: chunks already go back to their slab.
fn purge(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    ctx.out.ok();
}

const MEMORY_HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// ```text
/// MEMORY HELP
/// ```
fn help(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    help_reply(ctx, MEMORY_HELP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;
    use crate::store::{Aggregate, Hash};

    fn int(reply: &str) -> i64 {
        reply.trim_start_matches(':').trim_end().parse().unwrap_or(-1)
    }

    #[test]
    fn memory_usage_counts_the_chunk_and_the_heap() {
        let mut h = Harness::new();
        assert_eq!(h.run("MEMORY USAGE nokey"), "$-1\r\n");
        h.run("SET small v");
        let small = int(&h.run("MEMORY USAGE small"));
        assert!((24..=64).contains(&small), "{small}");
        let big = "x".repeat(2_000_000);
        h.run(&format!("SET big {big}"));
        let used = int(&h.run("MEMORY USAGE big SAMPLES 0"));
        assert!((2_000_000..2_001_000).contains(&used), "{used}");
        let mut hash = Hash::default();
        for i in 0..1000 {
            hash.insert(format!("field{i}").as_bytes(), &[b'v'; 100]);
        }
        let agg = Aggregate::Hash(hash).mem_size() as i64;
        let mut hash = Hash::default();
        for i in 0..1000 {
            hash.insert(format!("field{i}").as_bytes(), &[b'v'; 100]);
        }
        h.put(b"h", Aggregate::Hash(hash));
        let used = int(&h.run("MEMORY USAGE h"));
        assert!(used > agg && used < agg + 128, "{used} vs {agg}");
    }

    #[test]
    fn memory_usage_checks_samples_as_redis() {
        let mut h = Harness::new();
        let syntax = format!("-{}\r\n", errors::SYNTAX);
        assert_eq!(h.run("MEMORY USAGE k SAMPLES"), syntax);
        assert_eq!(h.run("MEMORY USAGE k SAMPLES -1"), syntax);
        assert_eq!(h.run("MEMORY USAGE k FOO 1"), syntax);
        assert_eq!(
            h.run("MEMORY USAGE k SAMPLES x"),
            format!("-{}\r\n", errors::NOT_INTEGER)
        );
        assert_eq!(h.run("MEMORY USAGE k SAMPLES 5"), "$-1\r\n");
        assert!(h.run("MEMORY HELP").starts_with("*14\r\n+MEMORY <subcommand>"));
        assert!(h.run("MEMORY STATS").starts_with("*16\r\n$14\r\npeak.allocated\r\n"));
        assert_eq!(
            h.run("MEMORY NOPE"),
            "-ERR unknown subcommand 'NOPE'. Try MEMORY HELP.\r\n"
        );
    }
}
