//! `cjson`: lua-cjson 2.1's encode and decode as Redis ships them.
//!
//! Numbers encode as `%.14g`; NaN and infinity are refused; an empty table
//! encodes as `{}`; a table whose keys are all positive integers is an
//! array (holes become `null`) unless it is excessively sparse (largest
//! index over 10 and over twice the number of items); strings escape `"`,
//! `\`, `/`, control characters and DEL. `cjson.null` is the light
//! userdata NULL, which JSON `null` decodes to.

use super::{bad_arg, format_g, lib_error, type_name, LibResult};
use mlua::{LightUserData, Lua, MultiValue, Table, Value};

const MAX_DEPTH: usize = 1000;

/// The functions that answer several values (the settings).
pub(crate) const MULTI: &[&str] = &[
    "encode_sparse_array",
    "encode_max_depth",
    "decode_max_depth",
    "encode_number_precision",
    "encode_keep_buffer",
    "encode_invalid_numbers",
    "decode_invalid_numbers",
];
const SPARSE_RATIO: usize = 2;
const SPARSE_SAFE: usize = 10;

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
            match encode(&args[0], &mut out, 0) {
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
            let text = match super::check_bytes(&args, 0, "decode") {
                Ok(t) => t,
                Err(e) => return lib_error(e),
            };
            match Decoder::new(lua, &text).decode() {
                Ok(v) => Ok((v, None)),
                Err(DecodeError::Lua(e)) => Err(e),
                Err(DecodeError::Json(m)) => lib_error(m),
            }
        })?,
    )?;
    // lua-cjson's settings: accepted, and answered with the defaults this
    // implementation keeps (they do not change its behaviour).
    for (name, defaults) in [
        ("encode_sparse_array", &[0.0, 2.0, 10.0][..]),
        ("encode_max_depth", &[1000.0][..]),
        ("decode_max_depth", &[1000.0][..]),
        ("encode_number_precision", &[14.0][..]),
        ("encode_keep_buffer", &[1.0][..]),
        ("encode_invalid_numbers", &[0.0][..]),
        ("decode_invalid_numbers", &[1.0][..]),
    ] {
        let values: Vec<f64> = defaults.to_vec();
        t.set(
            name,
            lua.create_function(move |lua, _: MultiValue| -> LibResult {
                let r = lua.create_table()?;
                for (i, v) in values.iter().enumerate() {
                    r.raw_set(i + 1, *v)?;
                }
                r.raw_set("n", values.len())?;
                Ok((Value::Table(r), None))
            })?,
        )?;
    }
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
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
pub(crate) fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    let mut open: Vec<Open> = Vec::new();
    let mut next = Some(v.clone());
    loop {
        if let Some(v) = next.take() {
            if let Some(o) = encode_one(&v, out, depth + open.len())? {
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
                    Value::Integer(i) => escape(format_g(*i as f64, 14).as_bytes(), out),
                    Value::Number(n) => escape(format_g(*n, 14).as_bytes(), out),
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

/// Writes a scalar, or opens a table (written by `encode`'s loop).
fn encode_one(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<Option<Open>, String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => out.extend_from_slice(format_g(*i as f64, 14).as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err("Cannot serialise number: must not be NaN or Inf".into());
            }
            out.extend_from_slice(format_g(*n, 14).as_bytes());
        }
        Value::String(s) => escape(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth + 1 > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({})", depth + 1));
            }
            return Ok(Some(match array_length(t)? {
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

/// lua-cjson's lua_array_length: the largest index when every key is a
/// positive integer, None for an object.
fn array_length(t: &Table) -> Result<Option<usize>, String> {
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
    if max > items * SPARSE_RATIO && max > SPARSE_SAFE {
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
}

impl<'a> Decoder<'a> {
    fn new(lua: &'a Lua, s: &'a [u8]) -> Decoder<'a> {
        Decoder { lua, s, pos: 0 }
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
            _ if starts_number(&self.s[at..]) => {
                let (n, used) = strtod(&self.s[at..]).ok_or_else(|| self.invalid("invalid number", at))?;
                self.pos = at + used;
                return Ok(Token {
                    tok: Tok::Num,
                    at: at + 1,
                    value: Value::Number(n),
                });
            }
            _ => return Err(self.invalid("invalid token", at)),
        };
        self.pos = at + 1;
        Ok(t)
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
                    if depth > MAX_DEPTH {
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

/// Whether a number starts here: a sign or a digit, or (lua-cjson decodes
/// "invalid numbers" by default) `inf`, `nan` in any case.
fn starts_number(s: &[u8]) -> bool {
    let lower = |n: usize| -> Vec<u8> { s.iter().take(n).map(u8::to_ascii_lowercase).collect() };
    match s.first() {
        Some(b'-' | b'+' | b'0'..=b'9') => true,
        _ => lower(3) == b"inf" || lower(3) == b"nan",
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
        encode(&v, &mut out, 0).map(|()| String::from_utf8(out).unwrap())
    }

    fn dec_err(lua: &Lua, text: &str) -> String {
        match Decoder::new(lua, text.as_bytes()).decode() {
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
        let v = Decoder::new(&lua, br#"[1.5e3, true, null, {"x": ["y"]}, "\u00e9\ud83d\ude00"]"#)
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
        assert!(Decoder::new(&lua, ok.as_bytes()).decode().is_ok());
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
        assert!(!starts_number(b"null"));
        assert!(starts_number(b"nan"));
    }
}
