//! `cjson`: lua-cjson 2.1's encode and decode as Redis ships them.
//!
//! By default numbers encode as `%.14g`; NaN and infinity are refused; an
//! empty table encodes as `{}`; a table whose keys are all positive
//! integers is an array (holes become `null`) unless it is excessively
//! sparse (largest index over 10 and over twice the number of items);
//! strings escape `"`, `\`, `/`, control characters and DEL; tables nest
//! at most 1000 deep either way. `cjson.null` is the light userdata NULL,
//! which JSON `null` decodes to.
//!
//! The setting functions change these defaults until SCRIPT FLUSH, for
//! every script (functions have a set of their own), as lua-cjson's do in
//! Redis's Lua states; each answers the setting as it then stands:
//!
//! ```text
//! cjson.encode_sparse_array([convert[, ratio[, safe]]])
//! cjson.encode_max_depth([depth])          cjson.decode_max_depth([depth])
//! cjson.encode_number_precision([1..14])   cjson.encode_keep_buffer([on])
//! cjson.encode_invalid_numbers([off|on|null])
//! cjson.decode_invalid_numbers([on])
//! ```

use super::{bad_arg, check_bytes, format_g, lib_error, to_number, type_name, LibResult};
use crate::state::{JsonInvalid, JsonSettings};
use mlua::{LightUserData, Lua, MultiValue, Table, Value};

/// The functions that answer several values.
pub(crate) const MULTI: &[&str] = &["encode_sparse_array"];

type Settings = JsonSettings;
type Invalid = JsonInvalid;

/// The settings in force for the run in progress: the server's, for
/// scripts or for functions (the defaults outside a run).
fn settings() -> Settings {
    let Some(st) = super::current() else {
        return Settings::default();
    };
    // SAFETY: `srv` is set by `try_run` from a reference that outlives the run.
    match unsafe { st.srv.as_ref() } {
        Some(srv) => srv.scripts.json_settings(st.function),
        None => Settings::default(),
    }
}

fn keep_settings(c: Settings) {
    let Some(st) = super::current() else { return };
    // SAFETY: as in `settings`.
    if let Some(srv) = unsafe { st.srv.as_ref() } {
        srv.scripts.set_json_settings(st.function, c);
    }
}

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

pub(crate) fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "encode",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            if args.len() != 1 {
                return lib_error(bad_arg(1, "encode", "expected 1 argument"));
            }
            let mut out = Vec::new();
            match encode(&args[0], &mut out, &settings()) {
                Ok(()) => Ok((Value::String(lua.create_string(out)?), None)),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    t.set(
        "decode",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            if args.len() != 1 {
                return lib_error(bad_arg(1, "decode", "expected 1 argument"));
            }
            let text = match check_bytes(&args, 0, "decode") {
                Ok(t) => t,
                Err(e) => return lib_error(e),
            };
            match Decoder::new(lua, &text, settings()).decode() {
                Ok(v) => Ok((v, None)),
                Err(DecodeError::Lua(e)) => Err(e),
                Err(DecodeError::Json(m)) => lib_error(m),
            }
        })?,
    )?;
    let setters: [(&'static str, Setter); 7] = [
        ("encode_sparse_array", |c, a, f| {
            takes(a, 3, f)?;
            if let Some(i) = enum_option(a, 0, f, &BOOL)? {
                c.sparse_convert = i == 1;
            }
            if let Some(n) = int_option(a, 1, f, 0, i32::MAX)? {
                c.sparse_ratio = n;
            }
            if let Some(n) = int_option(a, 2, f, 0, i32::MAX)? {
                c.sparse_safe = n;
            }
            Ok(vec![
                Shown::Bool(c.sparse_convert),
                Shown::Int(c.sparse_ratio),
                Shown::Int(c.sparse_safe),
            ])
        }),
        ("encode_max_depth", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(n) = int_option(a, 0, f, 1, i32::MAX)? {
                c.encode_max_depth = n;
            }
            Ok(vec![Shown::Int(c.encode_max_depth)])
        }),
        ("decode_max_depth", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(n) = int_option(a, 0, f, 1, i32::MAX)? {
                c.decode_max_depth = n;
            }
            Ok(vec![Shown::Int(c.decode_max_depth)])
        }),
        ("encode_number_precision", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(n) = int_option(a, 0, f, 1, 14)? {
                c.precision = n;
            }
            Ok(vec![Shown::Int(c.precision)])
        }),
        ("encode_keep_buffer", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(i) = enum_option(a, 0, f, &BOOL)? {
                c.keep_buffer = i == 1;
            }
            Ok(vec![Shown::Bool(c.keep_buffer)])
        }),
        ("encode_invalid_numbers", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(i) = enum_option(a, 0, f, &["off", "on", "null"])? {
                c.encode_invalid = [Invalid::Refuse, Invalid::Write, Invalid::Null][i];
            }
            Ok(vec![match c.encode_invalid {
                Invalid::Refuse => Shown::Bool(false),
                Invalid::Write => Shown::Bool(true),
                Invalid::Null => Shown::Str("null"),
            }])
        }),
        ("decode_invalid_numbers", |c, a, f| {
            takes(a, 1, f)?;
            if let Some(i) = enum_option(a, 0, f, &BOOL)? {
                c.decode_invalid = i == 1;
            }
            Ok(vec![Shown::Bool(c.decode_invalid)])
        }),
    ];
    for (name, set) in setters {
        t.set(
            name,
            lua.create_function(move |lua, args: MultiValue| -> LibResult {
                // Each argument takes effect as it is read, so one that is
                // refused leaves those before it set, as in lua-cjson.
                let mut c = settings();
                let shown = set(&mut c, &args, name);
                keep_settings(c);
                let shown = match shown {
                    Ok(v) => v,
                    Err(e) => return lib_error(e),
                };
                let value = |v: &Shown| -> mlua::Result<Value> {
                    Ok(match v {
                        Shown::Bool(b) => Value::Boolean(*b),
                        Shown::Int(n) => Value::Integer(*n as i64),
                        Shown::Str(s) => Value::String(lua.create_string(s)?),
                    })
                };
                if let [one] = shown.as_slice() {
                    return Ok((value(one)?, None));
                }
                let r = lua.create_table()?;
                for (i, v) in shown.iter().enumerate() {
                    r.raw_set(i + 1, value(v)?)?;
                }
                r.raw_set("n", shown.len())?;
                Ok((Value::Table(r), None))
            })?,
        )?;
    }
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// A setting function: reads its arguments into the settings (the
/// function's name for its errors) and gives the values it answers.
type Setter = fn(&mut Settings, &MultiValue, &str) -> Result<Vec<Shown>, String>;

/// A value a setting function answers.
enum Shown {
    Bool(bool),
    Int(i32),
    Str(&'static str),
}

/// The words a switch takes besides `false` and `true`.
const BOOL: [&str; 2] = ["off", "on"];

/// Refuses more than `n` arguments.
fn takes(args: &MultiValue, n: usize, func: &str) -> Result<(), String> {
    match args.len() > n {
        true => Err(bad_arg(n + 1, func, "found too many arguments")),
        false => Ok(()),
    }
}

/// An integer setting at argument `i`: None when it is absent or nil.
/// The number is truncated, as lua_tointeger does, to a C int. A value
/// out of range is reported against argument 1 whichever it is, as
/// lua-cjson reports it.
fn int_option(args: &MultiValue, i: usize, func: &str, min: i32, max: i32) -> Result<Option<i32>, String> {
    let v = match args.get(i) {
        None | Some(Value::Nil) => return Ok(None),
        v => v,
    };
    let n = to_number(v).ok_or_else(|| bad_arg(i + 1, func, &format!("number expected, got {}", type_name(v))))?;
    let n = n as i64 as i32;
    if n < min || n > max {
        return Err(bad_arg(1, func, &format!("expected integer between {min} and {max}")));
    }
    Ok(Some(n))
}

/// An enumerated setting at argument `i`, as its index in `options`:
/// `false` and `true` stand for the first two, a string (or a number, as
/// luaL_checkoption reads one) names one. None when absent or nil.
fn enum_option(args: &MultiValue, i: usize, func: &str, options: &[&str]) -> Result<Option<usize>, String> {
    match args.get(i) {
        None | Some(Value::Nil) => return Ok(None),
        Some(Value::Boolean(b)) => return Ok(Some(*b as usize)),
        _ => {}
    }
    let word = check_bytes(args, i, func)?;
    match options.iter().position(|o| o.as_bytes() == word.as_slice()) {
        Some(k) => Ok(Some(k)),
        None => Err(bad_arg(
            i + 1,
            func,
            &format!("invalid option '{}'", String::from_utf8_lossy(&word)),
        )),
    }
}

/// A table being written: its elements still to go.
enum Open {
    Array { t: Table, next: usize, len: usize },
    Object { pairs: std::vec::IntoIter<(Value, Value)> },
}

/// Appends `v` as JSON.
///
/// Iterative, with a stack of open tables: lua-cjson nests up to 1000
/// tables, deeper than a worker thread's stack would take with one Rust
/// frame a level.
fn encode(v: &Value, out: &mut Vec<u8>, cfg: &Settings) -> Result<(), String> {
    let mut open: Vec<Open> = Vec::new();
    let mut next = Some(v.clone());
    loop {
        if let Some(v) = next.take() {
            if let Some(o) = encode_one(&v, out, open.len(), cfg)? {
                open.push(o);
            }
        }
        // Move to the next element of the innermost open table.
        let Some(top) = open.last_mut() else { return Ok(()) };
        match top {
            Open::Array { t, next: i, len } => {
                if *i > *len {
                    out.push(b']');
                    open.pop();
                    continue;
                }
                if *i > 1 {
                    out.push(b',');
                }
                next = Some(t.raw_get(*i).unwrap_or(Value::Nil));
                *i += 1;
            }
            Open::Object { pairs } => {
                let Some((k, v)) = pairs.next() else {
                    out.push(b'}');
                    open.pop();
                    continue;
                };
                if out.last() != Some(&b'{') {
                    out.push(b',');
                }
                match &k {
                    Value::String(s) => escape(&s.as_bytes(), out),
                    Value::Integer(i) => quoted_number(*i as f64, out, cfg)?,
                    Value::Number(n) => quoted_number(*n, out, cfg)?,
                    other => {
                        return Err(format!(
                            "Cannot serialise {}: table key must be a number or string",
                            type_name(Some(other))
                        ))
                    }
                }
                out.push(b':');
                next = Some(v);
            }
        }
    }
}

/// Writes a scalar, or opens a table (written by `encode`'s loop);
/// `depth` tables are open around it.
fn encode_one(v: &Value, out: &mut Vec<u8>, depth: usize, cfg: &Settings) -> Result<Option<Open>, String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => number(*i as f64, out, cfg)?,
        Value::Number(n) => number(*n, out, cfg)?,
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth + 1 > cfg.encode_max_depth.max(0) as usize {
                return Err(format!("Cannot serialise, excessive nesting ({})", depth + 1));
            }
            return Ok(Some(match array_length(t, cfg)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    Open::Array {
                        t: t.clone(),
                        next: 1,
                        len,
                    }
                }
                _ => {
                    out.push(b'{');
                    let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
                    Open::Object {
                        pairs: pairs.into_iter(),
                    }
                }
            }));
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(Some(other))
            ))
        }
    }
    Ok(None)
}

/// A number as `%.<precision>g`; NaN and the infinities as
/// `encode_invalid_numbers` says.
fn number(n: f64, out: &mut Vec<u8>, cfg: &Settings) -> Result<(), String> {
    if !n.is_finite() {
        match cfg.encode_invalid {
            Invalid::Refuse => return Err("Cannot serialise number: must not be NaN or Inf".into()),
            Invalid::Null => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            // C prints a NaN with its sign bit set as "-nan"; lua-cjson
            // writes every NaN the same.
            Invalid::Write if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            Invalid::Write => {}
        }
    }
    out.extend_from_slice(format_g(n, cfg.precision as usize).as_bytes());
    Ok(())
}

/// A number key of an object, in quotes.
fn quoted_number(n: f64, out: &mut Vec<u8>, cfg: &Settings) -> Result<(), String> {
    out.push(b'"');
    number(n, out, cfg)?;
    out.push(b'"');
    Ok(())
}

/// lua-cjson's lua_array_length: the largest index when every key is a
/// positive integer, None for an object (and for an excessively sparse
/// array when the settings convert those).
fn array_length(t: &Table, cfg: &Settings) -> Result<Option<usize>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for pair in t.pairs::<Value, Value>() {
        let Ok((k, _)) = pair else { return Ok(None) };
        let idx = match k {
            Value::Integer(i) if i >= 1 => i as usize,
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            _ => return Ok(None),
        };
        max = max.max(idx);
        items += 1;
    }
    let (ratio, safe) = (cfg.sparse_ratio.max(0) as usize, cfg.sparse_safe.max(0) as usize);
    if ratio > 0 && max > items.saturating_mul(ratio) && max > safe {
        if cfg.sparse_convert {
            return Ok(None);
        }
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(Some(max))
}

fn escape(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 || c == 0x7f => {
                out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
            }
            c => out.push(c),
        }
    }
    out.push(b'"');
}

enum DecodeError {
    Lua(mlua::Error),
    Json(String),
}

impl From<mlua::Error> for DecodeError {
    fn from(e: mlua::Error) -> DecodeError {
        DecodeError::Lua(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num => "T_NUMBER",
            Tok::Bool => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
        }
    }
}

/// A token: its kind, where it starts (1-based, as errors count), and its
/// value for strings, numbers and booleans.
struct Token {
    tok: Tok,
    at: usize,
    value: Value,
}

struct Decoder<'a> {
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
    cfg: Settings,
}

impl<'a> Decoder<'a> {
    fn new(lua: &'a Lua, s: &'a [u8], cfg: Settings) -> Decoder<'a> {
        Decoder { lua, s, pos: 0, cfg }
    }

    fn decode(mut self) -> Result<Value, DecodeError> {
        let t = self.next()?;
        let v = self.value(t)?;
        let t = self.next()?;
        if t.tok != Tok::End {
            return Err(expected("the end", &t));
        }
        Ok(v)
    }

    fn invalid(&self, what: &str, at: usize) -> DecodeError {
        DecodeError::Json(format!("Expected value but found {what} at character {}", at + 1))
    }

    fn next(&mut self) -> Result<Token, DecodeError> {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(&c) = self.s.get(at) else {
            return Ok(Token {
                tok: Tok::End,
                at: at + 1,
                value: Value::Nil,
            });
        };
        let simple = |tok| Token {
            tok,
            at: at + 1,
            value: Value::Nil,
        };
        let t = match c {
            b'{' => simple(Tok::ObjBegin),
            b'}' => simple(Tok::ObjEnd),
            b'[' => simple(Tok::ArrBegin),
            b']' => simple(Tok::ArrEnd),
            b':' => simple(Tok::Colon),
            b',' => simple(Tok::Comma),
            b'-' | b'0'..=b'9' if !self.cfg.decode_invalid && invalid_number(&self.s[at..]) => {
                return Err(self.invalid("invalid number", at))
            }
            b'-' | b'0'..=b'9' => return self.number(at),
            b'"' => {
                let v = self.string()?;
                return Ok(Token {
                    tok: Tok::Str,
                    at: at + 1,
                    value: v,
                });
            }
            _ if self.s[at..].starts_with(b"true") => {
                self.pos = at + 4;
                return Ok(Token {
                    tok: Tok::Bool,
                    at: at + 1,
                    value: Value::Boolean(true),
                });
            }
            _ if self.s[at..].starts_with(b"false") => {
                self.pos = at + 5;
                return Ok(Token {
                    tok: Tok::Bool,
                    at: at + 1,
                    value: Value::Boolean(false),
                });
            }
            _ if self.s[at..].starts_with(b"null") => {
                self.pos = at + 4;
                return Ok(simple(Tok::Null));
            }
            // Only what strict JSON has no number for: other bad tokens
            // are reported as such, not as bad numbers.
            _ if self.cfg.decode_invalid && invalid_number(&self.s[at..]) => return self.number(at),
            _ => return Err(self.invalid("invalid token", at)),
        };
        self.pos = at + 1;
        Ok(t)
    }

    /// The number token at `at`, read as strtod reads it.
    fn number(&mut self, at: usize) -> Result<Token, DecodeError> {
        let (n, used) = strtod(&self.s[at..]).ok_or_else(|| self.invalid("invalid number", at))?;
        self.pos = at + used;
        Ok(Token {
            tok: Tok::Num,
            at: at + 1,
            value: Value::Number(n),
        })
    }

    fn string(&mut self) -> Result<Value, DecodeError> {
        let mut out = Vec::new();
        let mut i = self.pos + 1;
        loop {
            let Some(&c) = self.s.get(i) else {
                return Err(self.invalid("unexpected end of string", i));
            };
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(i + 1) else {
                        return Err(self.invalid("unexpected end of string", i));
                    };
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let (cp, used) = self
                                .unicode(i)
                                .ok_or_else(|| self.invalid("invalid unicode escape code", i))?;
                            let ch =
                                char::from_u32(cp).ok_or_else(|| self.invalid("invalid unicode escape code", i))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            i += used;
                            continue;
                        }
                        _ => return Err(self.invalid("invalid escape code", i)),
                    }
                    i += 2;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        Ok(Value::String(self.lua.create_string(out)?))
    }

    /// A `\uXXXX` escape at `i` (with its low surrogate when it is a high
    /// one): the code point and the bytes used.
    fn unicode(&self, i: usize) -> Option<(u32, usize)> {
        let hex = |at: usize| -> Option<u32> {
            let h = self.s.get(at..at + 4)?;
            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        let hi = hex(i + 2)?;
        if (0xd800..0xdc00).contains(&hi) {
            if self.s.get(i + 6..i + 8)? != b"\\u" {
                return None;
            }
            let lo = hex(i + 8)?;
            if !(0xdc00..0xe000).contains(&lo) {
                return None;
            }
            return Some((0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00), 12));
        }
        if (0xdc00..0xe000).contains(&hi) {
            return None;
        }
        Some((hi, 6))
    }

    /// The value that starts with token `t`. Iterative, with a stack of
    /// open containers, for the same reason as `encode`.
    fn value(&mut self, t: Token) -> Result<Value, DecodeError> {
        // Open containers: the table, whether it is an object, the next
        // array index, and an object's key waiting for its value.
        let mut open: Vec<(Table, bool, i64, Option<Value>)> = Vec::new();
        let mut tok = t;
        loop {
            // `tok` starts a value: a scalar, or a container to open.
            let mut v = match tok.tok {
                Tok::Str | Tok::Num | Tok::Bool => tok.value,
                Tok::Null => null(),
                Tok::ObjBegin | Tok::ArrBegin => {
                    let depth = open.len() + 1;
                    if depth > self.cfg.decode_max_depth.max(0) as usize {
                        return Err(DecodeError::Json(format!(
                            "Found too many nested data structures ({depth}) at character {}",
                            tok.at
                        )));
                    }
                    let is_object = tok.tok == Tok::ObjBegin;
                    let t = self.lua.create_table()?;
                    let first = self.next()?;
                    let empty = if is_object { Tok::ObjEnd } else { Tok::ArrEnd };
                    if first.tok == empty {
                        Value::Table(t)
                    } else if is_object {
                        let (k, next) = self.key(first)?;
                        open.push((t, true, 1, Some(k)));
                        tok = next;
                        continue;
                    } else {
                        open.push((t, false, 1, None));
                        tok = first;
                        continue;
                    }
                }
                _ => return Err(expected("value", &tok)),
            };
            // Store `v` in the innermost container; close those that end.
            loop {
                let Some((t, is_object, index, key)) = open.last_mut() else {
                    return Ok(v);
                };
                if *is_object {
                    if let Some(k) = key.take() {
                        t.raw_set(k, v)?;
                    }
                } else {
                    t.raw_set(*index, v)?;
                    *index += 1;
                }
                let sep = self.next()?;
                let (end, what) = if *is_object {
                    (Tok::ObjEnd, "comma or object end")
                } else {
                    (Tok::ArrEnd, "comma or array end")
                };
                if sep.tok == Tok::Comma {
                    let next = self.next()?;
                    tok = if *is_object {
                        let (k, after) = self.key(next)?;
                        *key = Some(k);
                        after
                    } else {
                        next
                    };
                    break;
                }
                if sep.tok != end {
                    return Err(expected(what, &sep));
                }
                let (t, ..) = open.pop().ok_or_else(|| DecodeError::Json(String::new()))?;
                v = Value::Table(t);
            }
        }
    }

    /// An object's key token and its colon: the key, and the token of
    /// the value after them.
    fn key(&mut self, tok: Token) -> Result<(Value, Token), DecodeError> {
        if tok.tok != Tok::Str {
            return Err(expected("object key string", &tok));
        }
        let colon = self.next()?;
        if colon.tok != Tok::Colon {
            return Err(expected("colon", &colon));
        }
        Ok((tok.value, self.next()?))
    }
}

fn expected(what: &str, t: &Token) -> DecodeError {
    DecodeError::Json(format!(
        "Expected {what} but found {} at character {}",
        t.tok.name(),
        t.at
    ))
}

/// Whether a number written here is one strict JSON has not: a leading
/// `+`, hexadecimal, a leading zero, `inf` or `nan` in any case (after an
/// optional `-`). Other malformed numbers are caught by strtod.
fn invalid_number(s: &[u8]) -> bool {
    let p = match s {
        [b'+', ..] => return true,
        [b'-', rest @ ..] => rest,
        _ => s,
    };
    match p {
        [b'0', c, ..] => c.eq_ignore_ascii_case(&b'x') || c.is_ascii_digit(),
        [c, ..] if *c <= b'9' => false,
        _ => {
            let word: Vec<u8> = p.iter().take(3).map(u8::to_ascii_lowercase).collect();
            word == b"inf" || word == b"nan"
        }
    }
}

/// C's strtod over the longest prefix it accepts: the value and the bytes
/// used; None when it accepts none.
fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest: Vec<u8> = s[i..].iter().take(8).map(u8::to_ascii_lowercase).collect();
    if rest.starts_with(b"infinity") {
        return Some((sign(f64::INFINITY), i + 8));
    }
    if rest.starts_with(b"inf") {
        return Some((sign(f64::INFINITY), i + 3));
    }
    if rest.starts_with(b"nan") {
        return Some((sign(f64::NAN), i + 3));
    }
    if rest.starts_with(b"0x") {
        let digits = s[i + 2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if digits > 0 {
            let text = std::str::from_utf8(&s[i + 2..i + 2 + digits]).ok()?;
            let v = text
                .bytes()
                .fold(0f64, |acc, c| acc * 16.0 + (c as char).to_digit(16).unwrap_or(0) as f64);
            return Some((sign(v), i + 2 + digits));
        }
    }
    let start = i;
    let int_digits = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if int_digits + frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = s[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(lua: &Lua, code: &str) -> Result<String, String> {
        let v: Value = lua.load(code).eval().unwrap();
        let mut out = Vec::new();
        encode(&v, &mut out, &Settings::default()).map(|()| String::from_utf8(out).unwrap())
    }

    fn dec_err(lua: &Lua, text: &str) -> String {
        match Decoder::new(lua, text.as_bytes(), Settings::default()).decode() {
            Err(DecodeError::Json(m)) => m,
            Err(DecodeError::Lua(e)) => panic!("{e}"),
            Ok(_) => panic!("{text} decoded"),
        }
    }

    #[test]
    fn encode_follows_lua_cjson() {
        let lua = Lua::new();
        assert_eq!(enc(&lua, "return {1,2,{a=1.5}}").unwrap(), r#"[1,2,{"a":1.5}]"#);
        assert_eq!(enc(&lua, "return {}").unwrap(), "{}");
        assert_eq!(enc(&lua, "return {[1]=1,[3]=2}").unwrap(), "[1,null,2]");
        assert_eq!(enc(&lua, "return 123456789012345678").unwrap(), "1.2345678901235e+17");
        assert_eq!(enc(&lua, "return 0.1").unwrap(), "0.1");
        assert_eq!(
            enc(&lua, "return 'a/b\"\\n\\1\\127'").unwrap(),
            r#""a\/b\"\n\u0001\u007f""#
        );
        assert_eq!(
            enc(&lua, "return {[1]=1,[30]=2}").unwrap_err(),
            "Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            enc(&lua, "return 0/0").unwrap_err(),
            "Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            enc(&lua, "return {[true]=1}").unwrap_err(),
            "Cannot serialise boolean: table key must be a number or string"
        );
        assert_eq!(
            enc(&lua, "return function() end").unwrap_err(),
            "Cannot serialise function: type not supported"
        );
    }

    #[test]
    fn decode_errors_name_the_token_and_the_character() {
        let lua = Lua::new();
        assert_eq!(
            dec_err(&lua, "x"),
            "Expected value but found invalid token at character 1"
        );
        assert_eq!(
            dec_err(&lua, "[1,2"),
            "Expected comma or array end but found T_END at character 5"
        );
        assert_eq!(
            dec_err(&lua, r#"{"a" 1}"#),
            "Expected colon but found T_NUMBER at character 6"
        );
        assert_eq!(
            dec_err(&lua, "1 2"),
            "Expected the end but found T_NUMBER at character 3"
        );
        assert_eq!(dec_err(&lua, ""), "Expected value but found T_END at character 1");
        assert_eq!(
            dec_err(&lua, "[1,]"),
            "Expected value but found T_ARR_END at character 4"
        );
        assert_eq!(
            dec_err(&lua, "{1:2}"),
            "Expected object key string but found T_NUMBER at character 2"
        );
        assert_eq!(
            dec_err(&lua, r#""a\qb""#),
            "Expected value but found invalid escape code at character 3"
        );
    }

    #[test]
    fn decode_builds_tables_and_null() {
        let lua = Lua::new();
        let v = Decoder::new(
            &lua,
            br#"[1.5e3, true, null, {"x": ["y"]}, "\u00e9\ud83d\ude00"]"#,
            Settings::default(),
        )
        .decode()
        .ok()
        .unwrap();
        let t = v.as_table().unwrap();
        assert_eq!(t.raw_get::<f64>(1).unwrap(), 1500.0);
        assert!(t.raw_get::<bool>(2).unwrap());
        assert_eq!(t.raw_get::<Value>(3).unwrap(), null());
        let s: String = t.raw_get(5).unwrap();
        assert_eq!(s, "é😀");
    }

    #[test]
    fn nesting_past_1000_is_an_error_not_a_stack_overflow() {
        let lua = Lua::new();
        assert_eq!(
            enc(&lua, "local t = {} t.x = t return t").unwrap_err(),
            "Cannot serialise, excessive nesting (1001)"
        );
        let deep = "[".repeat(1001) + &"]".repeat(1001);
        assert_eq!(
            dec_err(&lua, &deep),
            "Found too many nested data structures (1001) at character 1001"
        );
        let ok = "[".repeat(1000) + &"]".repeat(1000);
        assert!(Decoder::new(&lua, ok.as_bytes(), Settings::default()).decode().is_ok());
    }

    #[test]
    fn numbers_decode_as_strtod_reads_them() {
        assert_eq!(strtod(b"+1"), Some((1.0, 2)));
        assert_eq!(strtod(b"0x10]"), Some((16.0, 4)));
        assert_eq!(strtod(b"1.]"), Some((1.0, 2)));
        assert_eq!(strtod(b"-2.5e3,"), Some((-2500.0, 6)));
        assert_eq!(strtod(b"Infinity"), Some((f64::INFINITY, 8)));
        assert!(strtod(b"NaN").is_some_and(|(v, n)| v.is_nan() && n == 3));
        assert_eq!(strtod(b"-"), None);
        assert!(!invalid_number(b"null") && !invalid_number(b"-1.5") && !invalid_number(b"0.5"));
        assert!(invalid_number(b"nan") && invalid_number(b"-Inf") && invalid_number(b"+1"));
        assert!(invalid_number(b"0x1") && invalid_number(b"-01"));
    }
}
