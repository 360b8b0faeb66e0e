//! DEBUG: the testing hooks, refused unless `enable-debug-command` allows
//! them, as Redis refuses them.
//!
//! Besides Redis's `SET-ACTIVE-EXPIRE`, `ADVANCE-CLOCK` moves the server's
//! clock: tests of timeouts (TTLs, sliding expiry, lock timeouts) run on it
//! instead of sleeping. Both protocols and the sweeper read that clock.

use super::args;
use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use std::sync::atomic::Ordering;

pub(crate) const COMMANDS: &[CommandSpec] = &[spec("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, "server", debug)
    .doc(
        "1.0.0",
        "A container for debugging commands.",
        "Depends on subcommand.",
        "subcommand [arg ...]",
    )];

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADVANCE-CLOCK <milliseconds>",
    "    Move the server's clock forward (or back, when negative) for every",
    "    client and the sweeper: expiry and lock timeouts follow it.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables the active expiry of keys by the sweeper;",
    "    expired keys are then removed only when accessed.",
    "HELP",
    "    Print this help.",
];

/// Whether `enable-debug-command` lets this client run DEBUG: `yes`, or
/// `local` and a loopback peer.
fn allowed(ctx: &Ctx<'_>) -> bool {
    match ctx.srv.settings.get("enable-debug-command").as_deref() {
        Some("yes") => true,
        Some("local") => ctx.client.handle.addr.ip().is_loopback(),
        _ => false,
    }
}

/// ```text
/// DEBUG ADVANCE-CLOCK ms | SET-ACTIVE-EXPIRE 0|1 | HELP
/// ```
fn debug(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    if !allowed(ctx) {
        ctx.error(errors::DEBUG_NOT_ALLOWED);
        return;
    }
    let sub = a[1];
    match a.len() {
        2 if sub.eq_ignore_ascii_case(b"help") => super::help_reply(ctx, HELP),
        3 if sub.eq_ignore_ascii_case(b"advance-clock") => match args::int(a[2]) {
            Ok(ms) => {
                ctx.srv.clock.advance(ms);
                ctx.out.ok();
            }
            Err(e) => ctx.error(e),
        },
        3 if sub.eq_ignore_ascii_case(b"sleep") => {
            // Redis reads the seconds with strtod and sleeps the whole
            // server; here the calling connection's worker thread sleeps,
            // which stalls the clients that share that worker, and the
            // command's time counts in the slow log and latency monitor.
            let secs = args::float(a[2]).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(1e9)));
            }
            ctx.out.ok();
        }
        3 if sub.eq_ignore_ascii_case(b"set-active-expire") => {
            // Redis reads the flag with atoi: anything but a non-zero
            // number turns active expiry off.
            let on = args::int(a[2]).is_ok_and(|v| v != 0);
            ctx.srv.active_expire.store(on, Ordering::Relaxed);
            ctx.out.ok();
        }
        _ => ctx.error(&errors::debug_unknown_subcommand(sub)),
    }
}

#[cfg(test)]
mod tests {
    use crate::command::testing::Harness;

    fn enabled() -> Harness {
        let mut config = crate::config::Config::default();
        config.overrides.push(("enable-debug-command".into(), "yes".into()));
        Harness::with_config(config)
    }

    #[test]
    fn debug_is_refused_unless_enabled() {
        let mut h = Harness::new();
        assert!(h
            .run("DEBUG ADVANCE-CLOCK 10")
            .starts_with("-ERR DEBUG command not allowed."));
    }

    #[test]
    fn advance_clock_moves_expiry_forward() {
        let mut h = enabled();
        let t0 = h.srv.clock.now_ms();
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 60000"), "+OK\r\n");
        assert!(h.srv.clock.now_ms() >= t0 + 60_000);
        assert_eq!(
            h.run("DEBUG ADVANCE-CLOCK soon"),
            "-ERR value is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn an_absurd_clock_move_saturates_instead_of_overflowing() {
        let mut h = enabled();
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK -9223372036854775808"), "+OK\r\n");
        assert_eq!(h.srv.clock.now_ms(), 0);
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 9223372036854775807"), "+OK\r\n");
        assert_eq!(h.run("DEBUG ADVANCE-CLOCK 9223372036854775807"), "+OK\r\n");
        assert!(h.srv.clock.now_ms() > 0);
    }

    #[test]
    fn set_active_expire_switches_the_sweeper() {
        let mut h = enabled();
        assert_eq!(h.run("DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
        assert!(!h.srv.active_expire.load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(h.run("DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
        assert!(h.srv.active_expire.load(std::sync::atomic::Ordering::Relaxed));
    }

    #[test]
    fn unknown_debug_subcommands_name_the_help() {
        let mut h = enabled();
        assert_eq!(
            h.run("DEBUG FOO"),
            "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n"
        );
        assert!(h.run("DEBUG HELP").starts_with("*9\r\n+DEBUG <subcommand>"));
    }
}
