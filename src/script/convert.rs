//! Conversions between replies and Lua values, with Redis 7's rules.
//! (Replies become Lua values on the raw stack, in `call.rs`; the rules
//! are listed here.)
//!
//! Reply -> Lua (what `redis.call` returns): integer -> number, bulk ->
//! string, nil bulk or nil array -> false, array -> table, status ->
//! `{ok=...}`, error -> `{err=...}`; under `redis.setresp(3)` also map ->
//! `{map={...}}`, set -> `{set={member=true}}`, double -> `{double=n}`,
//! null -> nil, boolean -> boolean, big number -> `{big_number="..."}`,
//! verbatim -> `{verbatim_string={format=..., string=...}}`.
//!
//! Lua -> reply (a script's result): number -> integer (truncated),
//! string -> bulk, true -> 1, false and nil -> null, a table with a string
//! `err` -> error, with a string `ok` -> status, with `double`,
//! `big_number`, `map`, `set` or `verbatim_string` -> that RESP3 type
//! (RESP2 callers get its RESP2 form), any other table -> array up to its
//! first nil.

use super::Outcome;
use crate::protocol::resp::Reply;
use mlua::{Lua, Table, Value};

/// Nesting at which a result is cut with an error, where Redis 7.0 stops
/// at the Lua stack's limit (a table that contains itself would never
/// end).
const MAX_DEPTH: usize = 7995;

/// Interned table keys, made once per Lua state so lookups skip hashing
/// a new string.
pub(crate) struct Keys {
    err: mlua::LuaString,
    ok: mlua::LuaString,
    double: mlua::LuaString,
    big_number: mlua::LuaString,
    map: mlua::LuaString,
    set: mlua::LuaString,
    verbatim: mlua::LuaString,
    format: mlua::LuaString,
    string: mlua::LuaString,
    source: mlua::LuaString,
    line: mlua::LuaString,
    ignore_stats: mlua::LuaString,
}

impl Keys {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Keys> {
        Ok(Keys {
            err: lua.create_string("err")?,
            ok: lua.create_string("ok")?,
            double: lua.create_string("double")?,
            big_number: lua.create_string("big_number")?,
            map: lua.create_string("map")?,
            set: lua.create_string("set")?,
            verbatim: lua.create_string("verbatim_string")?,
            format: lua.create_string("format")?,
            string: lua.create_string("string")?,
            source: lua.create_string("source")?,
            line: lua.create_string("line")?,
            ignore_stats: lua.create_string(super::call::IGNORE_STATS.to_bytes())?,
        })
    }

    /// The error reply of a failed run: the error table's message, and
    /// where in the script it happened: `<msg> script: <name>, on
    /// @user_script:<line>.`; and whether the error stats counted it
    /// already.
    pub(crate) fn error_text(&self, v: &Value, name: &str) -> (String, bool) {
        let Value::Table(t) = v else {
            return ("ERR unknown error".into(), false);
        };
        let msg = match t.raw_get::<Value>(&self.err) {
            Ok(Value::String(s)) => s.to_string_lossy(),
            _ => "ERR unknown error".into(),
        };
        let source = t.raw_get::<Option<mlua::LuaString>>(&self.source).ok().flatten();
        let line = t.raw_get::<Option<i64>>(&self.line).ok().flatten();
        let text = match (source, line) {
            (Some(s), Some(l)) => format!("{msg} script: {name}, on {}:{l}.", s.to_string_lossy()),
            _ => msg,
        };
        (text, self.counted(t))
    }

    /// The error table carries the mark of an error counted where it arose.
    fn counted(&self, t: &Table) -> bool {
        matches!(t.raw_get::<Value>(&self.ignore_stats), Ok(Value::Boolean(true)))
    }
}

/// `printf("%.<precision>g", v)`, as Lua and lua-cjson print numbers
/// (precision 1 to 17).
pub(crate) fn format_g(v: f64, precision: usize) -> String {
    let mut buf = [0u8; 64];
    let precision = precision.clamp(1, 17) as libc::c_int;
    // SAFETY: the buffer's size is passed; the format takes an int and a double.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%.*g".as_ptr(),
            precision,
            v,
        )
    };
    let n = (n.max(0) as usize).min(buf.len() - 1);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A Lua number as the integer reply Redis gives: truncated, and the
/// C conversion's i64::MIN for what does not fit (inf, NaN, 1e20).
fn lua_int(n: f64) -> i64 {
    if (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// Writes a script's result; whether the reply is an error.
///
/// Iterative, with a stack of values still to write: a result may nest
/// thousands of tables deep (Redis stops near the Lua stack's limit), more
/// than a worker thread's stack would hold with one Rust frame a level.
pub(crate) fn write_value(k: &Keys, v: &Value, out: &mut Reply<'_>, depth: usize) -> Outcome {
    // Most results are one value: no stack for them.
    match v {
        Value::String(s) => {
            out.bulk(&s.as_bytes());
            return Outcome::Done;
        }
        Value::Integer(i) => {
            out.int(*i);
            return Outcome::Done;
        }
        Value::Nil | Value::Boolean(false) => {
            out.null();
            return Outcome::Done;
        }
        _ => {}
    }
    let mut pending: Vec<(Value, usize)> = vec![(v.clone(), depth)];
    let mut top = None;
    while let Some((v, depth)) = pending.pop() {
        let outcome = match &v {
            Value::Nil | Value::Boolean(false) => {
                out.null();
                Outcome::Done
            }
            Value::Boolean(true) => {
                out.int(1);
                Outcome::Done
            }
            Value::Integer(i) => {
                out.int(*i);
                Outcome::Done
            }
            Value::Number(n) => {
                out.int(lua_int(*n));
                Outcome::Done
            }
            Value::String(s) => {
                out.bulk(&s.as_bytes());
                Outcome::Done
            }
            Value::Table(t) => write_table(k, t, out, depth, &mut pending),
            // Functions, userdata, threads: Redis answers them as nil.
            _ => {
                out.null();
                Outcome::Done
            }
        };
        top.get_or_insert(outcome);
    }
    top.unwrap_or(Outcome::Done)
}

/// Writes a table's header (or all of it, for the scalar forms) and
/// queues its elements.
fn write_table(k: &Keys, t: &Table, out: &mut Reply<'_>, depth: usize, pending: &mut Vec<(Value, usize)>) -> Outcome {
    if depth >= MAX_DEPTH {
        out.error("ERR reached lua stack limit");
        return Outcome::Failed { counted: false };
    }
    if let Ok(Value::String(e)) = t.raw_get::<Value>(&k.err) {
        out.error_bytes(&e.as_bytes());
        return Outcome::Failed { counted: k.counted(t) };
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>(&k.ok) {
        out.status_bytes(&s.as_bytes());
        return Outcome::Done;
    }
    match t.raw_get::<Value>(&k.double) {
        Ok(Value::Number(d)) => {
            out.double(d);
            return Outcome::Done;
        }
        Ok(Value::Integer(i)) => {
            out.double(i as f64);
            return Outcome::Done;
        }
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>(&k.big_number) {
        out.big_number(&s.as_bytes());
        return Outcome::Done;
    }
    let start = pending.len();
    if let Ok(Value::Table(m)) = t.raw_get::<Value>(&k.map) {
        let mut n = 0;
        for (key, val) in m.pairs::<Value, Value>().flatten() {
            pending.push((key, depth + 1));
            pending.push((val, depth + 1));
            n += 1;
        }
        out.map(n);
        pending[start..].reverse();
        return Outcome::Done;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>(&k.set) {
        for (m, _) in s.pairs::<Value, Value>().flatten() {
            pending.push((m, depth + 1));
        }
        out.set(pending.len() - start);
        pending[start..].reverse();
        return Outcome::Done;
    }
    if let Ok(Value::Table(v)) = t.raw_get::<Value>(&k.verbatim) {
        if let (Ok(Value::String(f)), Ok(Value::String(s))) =
            (v.raw_get::<Value>(&k.format), v.raw_get::<Value>(&k.string))
        {
            out.verbatim_as(&f.as_bytes(), &s.as_bytes());
            return Outcome::Done;
        }
    }
    // An array, up to the first nil.
    let mut i = 1;
    loop {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => pending.push((v, depth + 1)),
        }
        i += 1;
    }
    out.array(pending.len() - start);
    pending[start..].reverse();
    Outcome::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua_of(reply: &[u8]) -> (Lua, Value, bool) {
        let lua = Lua::new();
        let reply = reply.to_vec();
        // SAFETY: push_reply pushes two values' worth onto a checked stack.
        let (v, e) = unsafe {
            lua.exec_raw::<(Value, bool)>((), |l| {
                let e = super::super::call::push_reply(l, &reply);
                mlua::ffi::lua_pushboolean(l, e as _);
            })
        }
        .unwrap();
        (lua, v, e)
    }

    fn keys(lua: &Lua) -> Keys {
        Keys::new(lua).unwrap()
    }

    fn encode(lua: &Lua, code: &str, resp3: bool) -> String {
        let v: Value = lua.load(code).eval().unwrap();
        let mut buf = Vec::new();
        write_value(&keys(lua), &v, &mut Reply::new(&mut buf, resp3), 0);
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[test]
    fn integers_bulks_and_nil_bulks_become_numbers_strings_and_false() {
        let (_lua, v, e) = lua_of(b":42\r\n");
        assert_eq!(v, Value::Integer(42));
        assert!(!e);
        let (_lua, v, _) = lua_of(b"$3\r\nabc\r\n");
        assert_eq!(v.as_string().unwrap().as_bytes().as_ref(), b"abc");
        let (_lua, v, _) = lua_of(b"$-1\r\n");
        assert_eq!(v, Value::Boolean(false));
        let (_lua, v, _) = lua_of(b"*-1\r\n");
        assert_eq!(v, Value::Boolean(false));
    }

    #[test]
    fn status_and_error_replies_become_ok_and_err_tables() {
        let (_lua, v, e) = lua_of(b"+OK\r\n");
        assert!(!e);
        assert_eq!(v.as_table().unwrap().get::<String>("ok").unwrap(), "OK");
        let (_lua, v, e) = lua_of(b"-WRONGTYPE Operation\r\n");
        assert!(e);
        assert_eq!(
            v.as_table().unwrap().get::<String>("err").unwrap(),
            "WRONGTYPE Operation"
        );
        let (_lua, v, _) = lua_of(b"-NOSPACE\r\n");
        assert_eq!(v.as_table().unwrap().get::<String>("err").unwrap(), "ERR NOSPACE");
    }

    #[test]
    fn arrays_nest_and_keep_false_holes() {
        let (lua, v, _) = lua_of(b"*3\r\n:1\r\n$-1\r\n*1\r\n$1\r\nx\r\n");
        lua.globals().set("v", v).unwrap();
        let s: String = lua
            .load("return tostring(v[1])..tostring(v[2])..v[3][1]")
            .eval()
            .unwrap();
        assert_eq!(s, "1falsex");
    }

    #[test]
    fn resp3_types_become_their_tables() {
        let (lua, v, _) = lua_of(b"%1\r\n$1\r\na\r\n,1.5\r\n");
        lua.globals().set("v", v).unwrap();
        assert_eq!(lua.load("return v.map.a.double").eval::<f64>().unwrap(), 1.5);
        let (lua, v, _) = lua_of(b"~2\r\n$1\r\na\r\n$1\r\nb\r\n");
        lua.globals().set("v", v).unwrap();
        assert!(lua.load("return v.set.a and v.set.b").eval::<bool>().unwrap());
        let (_lua, v, _) = lua_of(b"_\r\n");
        assert_eq!(v, Value::Nil);
        let (_lua, v, _) = lua_of(b"#t\r\n");
        assert_eq!(v, Value::Boolean(true));
        let (lua, v, _) = lua_of(b"(123\r\n");
        lua.globals().set("v", v).unwrap();
        assert_eq!(lua.load("return v.big_number").eval::<String>().unwrap(), "123");
        let (lua, v, _) = lua_of(b"=7\r\ntxt:abc\r\n");
        lua.globals().set("v", v).unwrap();
        let s: String = lua
            .load("return v.verbatim_string.format .. v.verbatim_string.string")
            .eval()
            .unwrap();
        assert_eq!(s, "txtabc");
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        for bad in [&b"$5\r\nab\r\n"[..], b"*2\r\n:1\r\n", b"?\r\n", b":x\r\n", b""] {
            let (_lua, v, e) = lua_of(bad);
            assert!(e, "{bad:?}");
            assert_eq!(
                v.as_table().unwrap().get::<String>("err").unwrap(),
                "ERR malformed reply"
            );
        }
    }

    #[test]
    fn numbers_truncate_and_out_of_range_numbers_become_i64_min() {
        let lua = Lua::new();
        assert_eq!(encode(&lua, "return 3.99", false), ":3\r\n");
        assert_eq!(encode(&lua, "return -3.99", false), ":-3\r\n");
        assert_eq!(encode(&lua, "return 1e20", false), ":-9223372036854775808\r\n");
        assert_eq!(encode(&lua, "return 0/0", false), ":-9223372036854775808\r\n");
    }

    #[test]
    fn booleans_and_nil_encode_as_redis_does() {
        let lua = Lua::new();
        assert_eq!(encode(&lua, "return true", false), ":1\r\n");
        assert_eq!(encode(&lua, "return true", true), ":1\r\n");
        assert_eq!(encode(&lua, "return false", false), "$-1\r\n");
        assert_eq!(encode(&lua, "return false", true), "_\r\n");
        assert_eq!(encode(&lua, "return nil", false), "$-1\r\n");
    }

    #[test]
    fn arrays_stop_at_the_first_nil_and_nest() {
        let lua = Lua::new();
        assert_eq!(
            encode(&lua, "return {1, 'a', {2}, nil, 5}", false),
            "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n"
        );
        assert_eq!(encode(&lua, "return {a=1}", false), "*0\r\n");
    }

    #[test]
    fn ok_and_err_tables_become_status_and_error_replies() {
        let lua = Lua::new();
        assert_eq!(encode(&lua, "return {ok='fine'}", false), "+fine\r\n");
        assert_eq!(encode(&lua, "return {err='BAD thing'}", false), "-BAD thing\r\n");
        assert_eq!(encode(&lua, "return {ok='x', err='y'}", false), "-y\r\n");
        assert_eq!(encode(&lua, "return {ok='a\\r\\nb'}", false), "+a  b\r\n");
        assert_eq!(encode(&lua, "return {err=5}", false), "*0\r\n");
    }

    #[test]
    fn resp3_tables_encode_for_each_protocol() {
        let lua = Lua::new();
        assert_eq!(encode(&lua, "return {double=1.5}", true), ",1.5\r\n");
        assert_eq!(encode(&lua, "return {double=1.5}", false), "$3\r\n1.5\r\n");
        assert_eq!(encode(&lua, "return {map={a=1}}", true), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(encode(&lua, "return {map={a=1}}", false), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(encode(&lua, "return {set={a=true}}", true), "~1\r\n$1\r\na\r\n");
        assert_eq!(encode(&lua, "return {big_number='123'}", true), "(123\r\n");
        assert_eq!(encode(&lua, "return {big_number='123'}", false), "$3\r\n123\r\n");
        assert_eq!(
            encode(&lua, "return {verbatim_string={format='txt', string='abc'}}", true),
            "=7\r\ntxt:abc\r\n"
        );
        assert_eq!(encode(&lua, "return {double='x'}", true), "*0\r\n");
    }

    #[test]
    fn a_table_that_contains_itself_is_cut_with_an_error() {
        let lua = Lua::new();
        let out = encode(&lua, "local t = {} t[1] = t return t", false);
        assert!(
            out.ends_with("-ERR reached lua stack limit\r\n"),
            "{}",
            &out[out.len() - 40..]
        );
    }

    #[test]
    fn format_g_prints_as_c_does() {
        assert_eq!(format_g(0.1, 17), "0.10000000000000001");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(3.0, 17), "3");
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(-0.0, 17), "-0");
    }
}
