//! C closures around the Rust functions scripts call, so that an error
//! they report is raised by a C function, as Redis's are.
//!
//! Why not raise from the Rust callback: mlua turns a callback's error
//! into a userdata, while scripts must see the error table (`redis.call`)
//! or a message string (the libraries). Why not a Lua wrapper: a script's
//! `return redis.call(...)` makes the wrapper a tail call, and Lua 5.1
//! erases the script's frame, losing the line the error must name; a C
//! function is never tail-called.
//!
//! The wrapped Rust function answers two values, `(result, failure)`: a
//! nil or false failure returns the result; otherwise the closure raises
//! as its mode says.

use mlua::{ffi, Function, Lua, Table, Value};
use std::os::raw::c_int;

/// Raise the result itself (the error table of `redis.call`).
pub(crate) const RAISE_VALUE: c_int = 0;
/// Raise the failure message as it is (`lua_error`, the redis.* helpers).
pub(crate) const RAISE_BARE: c_int = 1;
/// Raise the failure message after the caller's position (`luaL_error`,
/// the libraries).
pub(crate) const RAISE_WHERE: c_int = 2;
/// The result is a table of values with `n`: return them all.
pub(crate) const UNPACK: c_int = 4;

unsafe extern "C-unwind" fn trampoline(l: *mut ffi::lua_State) -> c_int {
    // Nothing here owns memory or has a destructor: lua_error's longjmp
    // may leave this frame at any of the calls below.
    let nargs = ffi::lua_gettop(l);
    let mode = ffi::lua_tointeger(l, ffi::lua_upvalueindex(2)) as c_int;
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, nargs, 2);
    if ffi::lua_toboolean(l, -1) != 0 {
        match mode & 3 {
            RAISE_VALUE => ffi::lua_pop(l, 1),
            RAISE_WHERE => {
                ffi::luaL_where(l, 1);
                ffi::lua_insert(l, -2);
                ffi::lua_concat(l, 2);
            }
            _ => {}
        }
        ffi::lua_error(l)
    }
    ffi::lua_pop(l, 1);
    if mode & UNPACK == 0 {
        return 1;
    }
    let t = ffi::lua_gettop(l);
    ffi::lua_getfield(l, t, c"n".as_ptr());
    let n = ffi::lua_tointeger(l, -1) as c_int;
    ffi::lua_pop(l, 1);
    if n <= 0 {
        return 0;
    }
    if ffi::lua_checkstack(l, n) == 0 {
        ffi::lua_pushstring(l, c"too many results to unpack".as_ptr());
        ffi::lua_error(l)
    }
    for i in 1..=n {
        ffi::lua_rawgeti(l, t, i as _);
    }
    n
}

/// `f` as a C closure raising in `mode`.
pub(crate) fn wrap(lua: &Lua, f: Function, mode: c_int) -> mlua::Result<Function> {
    // SAFETY: the two arguments are on the stack; lua_pushcclosure takes
    // them as upvalues and leaves the closure, the one result.
    unsafe {
        lua.exec_raw::<Function>((f, mode as i64), |state| {
            ffi::lua_pushcclosure(state, trampoline, 2);
        })
    }
}

/// A library table with each function wrapped to raise as luaL_error
/// does; those named in `multi` return several values.
pub(crate) fn wrap_module(lua: &Lua, module: Table, multi: &[&str]) -> mlua::Result<Table> {
    let out = lua.create_table()?;
    for pair in module.pairs::<String, Value>() {
        let (k, v) = pair?;
        match v {
            Value::Function(f) => {
                let mode = if multi.contains(&k.as_str()) {
                    RAISE_WHERE | UNPACK
                } else {
                    RAISE_WHERE
                };
                out.set(k, wrap(lua, f, mode)?)?;
            }
            v => out.set(k, v)?,
        }
    }
    Ok(out)
}
