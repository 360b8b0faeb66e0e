//! MONITOR, and the lines monitors receive.
//!
//! Each command another client runs reaches every monitor as one status
//! line, formatted as Redis formats it:
//!
//! ```text
//! +1700000000.123456 [0 127.0.0.1:50712] "set" "k" "v\r\n"
//! +1700000000.123457 [0 lua] "get" "k"
//! ```
//!
//! Admin commands and those flagged `skip_monitor` are not shown; EVAL,
//! EVALSHA and FCALL show themselves before the commands their script
//! runs ([`feed_now`]).

use super::flags::*;
use super::{errors, spec, CommandSpec, Ctx};
use bytes::Bytes;

pub(crate) const COMMANDS: &[CommandSpec] =
    &[
        spec("monitor", 1, ADMIN | NOSCRIPT | LOADING | STALE, "server", monitor).doc(
            "1.0.0",
            "Listens for all requests received by the server in real-time.",
            "",
            "",
        ),
    ];

/// ```text
/// MONITOR
/// ```
/// `+OK`, then a line for every later command. A second MONITOR on the
/// same connection is ignored, without a reply, as Redis ignores it.
fn monitor(ctx: &mut Ctx<'_>, _a: &[&[u8]]) {
    if ctx.client.in_exec {
        return ctx.error(errors::MONITOR_DENY_BLOCKING);
    }
    if ctx.client.monitor.is_some() {
        return;
    }
    ctx.client.monitor = Some(ctx.srv.monitors.add(ctx.client.handle.clone()));
    ctx.out.ok();
}

/// Shows the command `args` of this client to the monitors, when any.
pub(crate) fn feed(ctx: &Ctx<'_>, args: &[&[u8]]) {
    ctx.srv.monitors.feed(Bytes::from(line(ctx, args)));
}

/// For the commands flagged `skip_monitor` that show themselves before
/// they run (EVAL, EVALSHA, FCALL), so their script's commands follow them.
pub(crate) fn feed_now(ctx: &Ctx<'_>, args: &[&[u8]]) {
    if ctx.srv.monitors.any() {
        feed(ctx, args);
    }
}

fn line(ctx: &Ctx<'_>, args: &[&[u8]]) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut out = format!("+{}.{:06} ", now.as_secs(), now.subsec_micros()).into_bytes();
    if ctx.client.in_script {
        out.extend_from_slice(format!("[{} lua] ", ctx.client.db).as_bytes());
    } else {
        out.extend_from_slice(format!("[{} {}] ", ctx.client.db, ctx.client.handle.addr).as_bytes());
    }
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        repr(&mut out, a);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Appends `s` quoted as Redis's `sdscatrepr` quotes it: printable bytes
/// as they are, `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, and `\xhh` for
/// the rest.
pub(crate) fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testing::Harness;

    #[test]
    fn repr_quotes_as_sdscatrepr() {
        let mut out = Vec::new();
        repr(&mut out, b"a\"b\\c\r\n\t\x07\x08\x00\xff ~");
        assert_eq!(out, b"\"a\\\"b\\\\c\\r\\n\\t\\a\\b\\x00\\xff ~\"");
    }

    #[test]
    fn a_monitor_sees_later_commands_but_not_admin_ones() {
        let mut h = Harness::new();
        assert_eq!(h.run("MONITOR"), "+OK\r\n");
        assert_eq!(h.run("MONITOR"), "", "a second MONITOR is ignored");
        assert_eq!(
            h.run("get k"),
            "-ERR Replica can't interact with the keyspace\r\n",
            "a monitor is a replica to Redis"
        );
        let feed = h.client.monitor.take();
        h.run("set k v");
        h.run("CONFIG GET hz");
        h.run("get k");
        h.client.monitor = feed;
        let mut feed = h.client.monitor.take().expect("monitoring");
        let mut out = Vec::new();
        feed.drain_into(&mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with('+'));
        assert!(lines[0].ends_with("[0 127.0.0.1:1] \"set\" \"k\" \"v\""), "{text}");
        assert!(lines[1].ends_with("\"get\" \"k\""), "{text}");
    }

    #[test]
    fn reset_ends_monitoring() {
        let mut h = Harness::new();
        assert_eq!(h.run("MONITOR"), "+OK\r\n");
        assert!(h.srv.monitors.any());
        assert_eq!(h.run("RESET"), "+RESET\r\n");
        assert!(!h.srv.monitors.any());
        assert!(h.client.monitor.is_none());
        assert_eq!(h.run("GET k"), "$-1\r\n", "keys may be read again");
    }
}
