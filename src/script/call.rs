//! `redis.call`, `redis.pcall` and `redis.acl_check_cmd`, as C functions
//! on the raw Lua API.
//!
//! They are the hot path of every script (a GET and a SET per EVALSHA in
//! the usual lock and queue scripts), so they skip mlua's value handles:
//! the arguments are read in place from the Lua stack, the command's
//! reply is parsed straight onto the stack, and the argument vector's
//! allocation is kept from call to call.
//!
//! Being C functions also means Lua never tail-calls them, so an error's
//! line is the script's (see `trampoline`).

use super::{current, format_g, RunState};
use crate::command::{self, errors, flags, Ctx};
use crate::protocol::resp::Reply;
use mlua::ffi;
use std::os::raw::{c_char, c_int};

/// `redis.call`: the reply, or raises its error table.
pub(crate) unsafe extern "C-unwind" fn redis_call(l: *mut ffi::lua_State) -> c_int {
    if call(l) {
        // Every Rust value of the call is dropped by now: the longjmp
        // leaves no destructor behind.
        ffi::lua_error(l)
    }
    1
}

/// `redis.pcall`: the reply, an error reply as its error table.
pub(crate) unsafe extern "C-unwind" fn redis_pcall(l: *mut ffi::lua_State) -> c_int {
    call(l);
    1
}

/// `redis.acl_check_cmd`: whether the script's user may run the command
/// the arguments name (true or false), or raises an error table for no
/// such command.
pub(crate) unsafe extern "C-unwind" fn redis_acl_check_cmd(l: *mut ffi::lua_State) -> c_int {
    if acl_check(l) {
        ffi::lua_error(l)
    }
    1
}

/// Pushes `{err = msg}`. An error already counted in the error stats
/// (a command's error reply, a refused call) is marked so, as Redis marks
/// it, so that a script answering it does not count it again.
unsafe fn push_error(l: *mut ffi::lua_State, msg: &[u8], counted: bool) {
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushlstring(l, msg.as_ptr() as *const c_char, msg.len());
    ffi::lua_setfield(l, -2, c"err".as_ptr());
    if counted {
        ffi::lua_pushboolean(l, 1);
        ffi::lua_setfield(l, -2, IGNORE_STATS.as_ptr());
    }
}

/// The field that marks an error table as counted, Redis's name for it.
pub(crate) const IGNORE_STATS: &std::ffi::CStr = c"ignore_error_stats_update";

/// Gives an emptied vector's allocation a new element lifetime (the
/// in-place `collect` keeps the buffer: the layout is the same).
fn recycle<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| -> &'b [u8] { &[] }).collect()
}

/// Runs the command the arguments on the stack name and pushes its reply;
/// true when what it pushed is an error table.
unsafe fn call(l: *mut ffi::lua_State) -> bool {
    let Some(st) = current().filter(|st| !st.srv.is_null()) else {
        push_error(l, b"ERR redis.call outside a script", false);
        return true;
    };
    let Some(refused) = with_args(l, st, run) else {
        return true;
    };
    // The arguments are done with: their slots hold the reply instead. A
    // call may take as many arguments as a C function's stack takes
    // (`unpack` of 7999 values and two more), leaving no room above them
    // for the reply's values.
    ffi::lua_settop(l, 0);
    match refused {
        Some(msg) => {
            push_error(l, msg.as_bytes(), true);
            true
        }
        None => push_reply(l, &st.buf),
    }
}

/// Pushes whether the script's user may run the command the arguments
/// on the stack name; true when it pushed an error table instead.
unsafe fn acl_check(l: *mut ffi::lua_State) -> bool {
    let Some(st) = current() else {
        push_error(l, errors::ACL_CHECK_OUTSIDE.as_bytes(), false);
        return true;
    };
    let verdict = with_args(l, st, |st, argv| {
        let (real, row) = command::lookup_request(argv)?;
        let user = &st.client.user;
        Some(user.unrestricted() || command::acl::check(&user.rules(), real, row, argv).is_ok())
    });
    match verdict {
        None => true,
        Some(None) => {
            push_error(l, errors::ACL_CHECK_INVALID.as_bytes(), false);
            true
        }
        Some(Some(allowed)) => {
            ffi::lua_pushboolean(l, allowed as c_int);
            false
        }
    }
}

/// Reads the arguments on the stack as a command's and gives them to `f`;
/// None, with the error table pushed, when there are none or one is
/// neither a string nor a number.
///
/// Lua may raise a memory error from inside the pushes; that would skip
/// the destructors of this frame (a leak of the argument vector), never
/// touch freed memory.
unsafe fn with_args<R>(
    l: *mut ffi::lua_State,
    st: &mut RunState,
    f: impl FnOnce(&mut RunState, &[&[u8]]) -> R,
) -> Option<R> {
    let n = ffi::lua_gettop(l);
    if n == 0 {
        push_error(l, errors::SCRIPT_NO_ARGS.as_bytes(), false);
        return None;
    }
    // Numbers print as %.17g first, into one buffer that must not move
    // while the argument slices point into it.
    st.numbers.clear();
    for i in 1..=n {
        match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => {}
            ffi::LUA_TNUMBER => {
                let v = ffi::lua_tonumber(l, i);
                let s = if v == 0.0 && v.is_sign_negative() {
                    "-0".to_string()
                } else if v.fract() == 0.0 && v.abs() < 1e15 {
                    (v as i64).to_string()
                } else {
                    format_g(v, 17)
                };
                st.numbers.extend_from_slice(s.as_bytes());
                st.numbers.push(0);
            }
            _ => {
                push_error(l, errors::SCRIPT_ARG_TYPE.as_bytes(), false);
                return None;
            }
        }
    }
    let mut argv = recycle(std::mem::take(&mut st.spare));
    let printed = std::mem::take(&mut st.numbers);
    let mut numbers = printed.split(|&c| c == 0);
    for i in 1..=n {
        if ffi::lua_type(l, i) == ffi::LUA_TSTRING {
            let mut len = 0usize;
            let p = ffi::lua_tolstring(l, i, &mut len);
            // SAFETY: the string stays on the stack, unchanged, for the
            // length of this call.
            argv.push(std::slice::from_raw_parts(p as *const u8, len));
        } else {
            argv.push(numbers.next().unwrap_or_default());
        }
    }
    let r = f(st, &argv);
    st.spare = recycle(argv);
    st.numbers = printed;
    Some(r)
}

/// Checks and runs one command into `st.buf`; the refusal otherwise,
/// counted as Redis counts a refused call.
fn run(st: &mut RunState, argv: &[&[u8]]) -> Option<&'static str> {
    let refused = check_and_run(st, argv)?;
    // SAFETY: `srv` is set by `try_run` from a reference that outlives the run.
    if let Some(srv) = unsafe { st.srv.as_ref() } {
        command::count_refusal(srv, argv, refused);
    }
    Some(refused)
}

fn check_and_run(st: &mut RunState, argv: &[&[u8]]) -> Option<&'static str> {
    let Some((spec, row)) = command::lookup_indexed(argv[0]) else {
        return Some(errors::SCRIPT_UNKNOWN_COMMAND);
    };
    if !spec.arity_ok(argv.len()) {
        return Some(errors::SCRIPT_ARITY);
    }
    // The subcommand run, with its row; a subcommand the container does
    // not know is left to its handler, which answers it.
    let (effective, row) = match (spec.subcommands.is_empty(), argv.get(1)) {
        (false, Some(sub)) => match spec.subcommand_index(sub) {
            Some(i) => (&spec.subcommands[i], Some(row + 1 + i)),
            None => (spec, None),
        },
        _ => (spec, Some(row)),
    };
    // SAFETY: `srv` is set by `try_run` from a reference that outlives the run.
    let srv = unsafe { st.srv.as_ref() }?;
    let deny_disabled = srv.scripts_may_call_noscript.load(std::sync::atomic::Ordering::Relaxed);
    if (spec.has(flags::NOSCRIPT) || effective.has(flags::NOSCRIPT)) && !deny_disabled {
        return Some(errors::SCRIPT_NOT_ALLOWED);
    }
    // ACL rules, before the write and memory checks as Redis orders them;
    // one load for a user that may do everything.
    if let (false, Some(row)) = (st.client.user.unrestricted(), row) {
        if let Err(refusal) = command::acl::check(&st.client.user.rules(), effective, row, argv) {
            // SAFETY: set by `try_run` from a reference that outlives the run.
            let caller = unsafe { st.caller.as_ref() };
            command::acl::record_script_refusal(
                srv,
                &st.client.user,
                caller,
                st.caller_cmd,
                refusal,
                effective,
                argv,
                st.now,
            );
            return Some(command::acl::script_refusal(refusal.0));
        }
    }
    let writes = spec.has(flags::WRITE) || effective.has(flags::WRITE);
    // A read-only script may not replicate anything either (PUBLISH): as
    // Redis refuses it, and so CLIENT PAUSE WRITE may let such scripts run.
    if st.read_only && (writes || spec.has(flags::MAY_REPLICATE) || effective.has(flags::MAY_REPLICATE)) {
        return Some(errors::SCRIPT_WRITE_RO);
    }
    if writes && !st.client.master {
        if let Some(e) = command::replication::refusal(srv, true, true) {
            return Some(e);
        }
    }
    if st.oom && (spec.has(flags::DENYOOM) || effective.has(flags::DENYOOM)) {
        return Some(errors::OOM);
    }
    if writes && !st.wrote {
        st.wrote = true;
        if st.busy {
            srv.busy.wrote();
        }
    }
    st.buf.clear();
    st.client.resp3 = st.resp3;
    // Blocking commands inside a script never block: they run as if their
    // timeout had passed, as Redis runs them.
    st.client.timed_out = true;
    let mut ctx = Ctx {
        srv,
        client: &mut st.client,
        out: Reply::new(&mut st.buf, st.resp3),
        now: st.now,
    };
    command::execute(&mut ctx, argv);
    st.client.block = None;
    None
}

/// Pushes the Lua value of the reply in `buf`; true when it is an error.
pub(crate) unsafe fn push_reply(l: *mut ffi::lua_State, buf: &[u8]) -> bool {
    if buf.first() == Some(&b'-') {
        let end = memchr::memmem::find(buf, b"\r\n").unwrap_or(buf.len());
        push_error(l, &error_message(&buf[1..end]), true);
        return true;
    }
    let mut pos = 0;
    let top = ffi::lua_gettop(l);
    if ffi::lua_checkstack(l, 8) == 0 || push_value(l, buf, &mut pos, 0).is_none() {
        ffi::lua_settop(l, top);
        push_error(l, b"ERR malformed reply", false);
        return true;
    }
    false
}

/// The error table's text of an error reply: a `CODE msg` as it is, a
/// text without a space behind the generic `ERR` (luaPushErrorBuff).
pub(crate) fn error_message(text: &[u8]) -> Vec<u8> {
    if text.contains(&b' ') {
        text.to_vec()
    } else {
        [b"ERR ".as_slice(), text].concat()
    }
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = buf.get(*pos..)?;
    let end = memchr::memmem::find(rest, b"\r\n")?;
    *pos += end + 2;
    Some(&rest[..end])
}

fn bytes<'a>(buf: &'a [u8], pos: &mut usize, n: usize) -> Option<&'a [u8]> {
    let end = pos.checked_add(n)?;
    let b = buf.get(*pos..end)?;
    if buf.get(end..end + 2)? != b"\r\n" {
        return None;
    }
    *pos = end + 2;
    Some(b)
}

unsafe fn push_bytes(l: *mut ffi::lua_State, b: &[u8]) {
    ffi::lua_pushlstring(l, b.as_ptr() as *const c_char, b.len());
}

/// Pushes `{<field> = <value on top>}` in place of the value on top.
unsafe fn wrap_in(l: *mut ffi::lua_State, field: &std::ffi::CStr) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    ffi::lua_setfield(l, -2, field.as_ptr());
}

/// Pushes one value of the reply; None when the reply is malformed (the
/// stack then holds what was pushed so far, and the caller's error).
unsafe fn push_value(l: *mut ffi::lua_State, buf: &[u8], pos: &mut usize, depth: usize) -> Option<()> {
    if depth > 64 && ffi::lua_checkstack(l, 8) == 0 {
        return None;
    }
    let ln = line(buf, pos)?;
    let (&kind, body) = ln.split_first()?;
    let int = |b: &[u8]| crate::util::number::parse_i64_exact(b);
    match kind {
        b'+' => {
            push_bytes(l, body);
            wrap_in(l, c"ok");
        }
        b'-' => push_error(l, &error_message(body), true),
        b':' => ffi::lua_pushnumber(l, int(body)? as f64),
        b'$' => match int(body)? {
            n if n < 0 => ffi::lua_pushboolean(l, 0),
            n => push_bytes(l, bytes(buf, pos, n as usize)?),
        },
        b'*' => match int(body)? {
            n if n < 0 => ffi::lua_pushboolean(l, 0),
            n => {
                ffi::lua_createtable(l, n.min(1 << 20) as c_int, 0);
                for i in 1..=n {
                    push_value(l, buf, pos, depth + 1)?;
                    ffi::lua_rawseti(l, -2, i as _);
                }
            }
        },
        b'_' => ffi::lua_pushnil(l),
        b'#' => ffi::lua_pushboolean(l, (body == b"t") as c_int),
        b',' => {
            let s = std::str::from_utf8(body).ok()?;
            let d = match s {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "-nan" => f64::NAN,
                _ => s.parse().ok()?,
            };
            ffi::lua_pushnumber(l, d);
            wrap_in(l, c"double");
        }
        b'(' => {
            push_bytes(l, body);
            wrap_in(l, c"big_number");
        }
        b'=' => {
            let text = bytes(buf, pos, int(body)?.max(0) as usize)?;
            let (format, s) = match text.get(3) {
                Some(b':') => (&text[..3], &text[4..]),
                _ => (&b"txt"[..], text),
            };
            ffi::lua_createtable(l, 0, 2);
            push_bytes(l, format);
            ffi::lua_setfield(l, -2, c"format".as_ptr());
            push_bytes(l, s);
            ffi::lua_setfield(l, -2, c"string".as_ptr());
            wrap_in(l, c"verbatim_string");
        }
        b'%' => {
            let n = int(body)?;
            ffi::lua_createtable(l, 0, n.clamp(0, 1 << 20) as c_int);
            for _ in 0..n {
                push_value(l, buf, pos, depth + 1)?;
                push_value(l, buf, pos, depth + 1)?;
                if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                    ffi::lua_pop(l, 2);
                } else {
                    ffi::lua_rawset(l, -3);
                }
            }
            wrap_in(l, c"map");
        }
        b'~' | b'>' => {
            let n = int(body)?;
            ffi::lua_createtable(l, 0, n.clamp(0, 1 << 20) as c_int);
            for _ in 0..n {
                push_value(l, buf, pos, depth + 1)?;
                if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                    ffi::lua_pop(l, 1);
                } else {
                    ffi::lua_pushboolean(l, 1);
                    ffi::lua_rawset(l, -3);
                }
            }
            wrap_in(l, c"set");
        }
        _ => return None,
    }
    Some(())
}
