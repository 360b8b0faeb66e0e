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
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// Appends `v` as JSON.
pub(crate) fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
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
            encode_table(t, out, depth + 1)?;
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(Some(other))
            ))
        }
    }
    Ok(())
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

fn encode_table(t: &Table, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    match array_length(t)? {
        Some(n) if n > 0 => {
            out.push(b'[');
            for i in 1..=n {
                if i > 1 {
                    out.push(b',');
                }
                let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
                encode(&v, out, depth)?;
            }
            out.push(b']');
        }
        _ => {
            out.push(b'{');
            let mut first = true;
            for pair in t.pairs::<Value, Value>() {
                let Ok((k, v)) = pair else { continue };
                if !first {
                    out.push(b',');
                }
                first = false;
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
                encode(&v, out, depth)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
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
        let v = self.value(t, 0)?;
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
            b'-' | b'0'..=b'9' => {
                let end = self.s[at..]
                    .iter()
                    .position(
                        |c| !matches!(c, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'.' | b'+' | b'-'),
                    )
                    .map_or(self.s.len(), |n| at + n);
                let text = std::str::from_utf8(&self.s[at..end]).unwrap_or("");
                let n = parse_number(text).ok_or_else(|| self.invalid("invalid number", at))?;
                self.pos = end;
                return Ok(Token {
                    tok: Tok::Num,
                    at: at + 1,
                    value: Value::Number(n),
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

    fn value(&mut self, t: Token, depth: usize) -> Result<Value, DecodeError> {
        match t.tok {
            Tok::Str | Tok::Num | Tok::Bool => Ok(t.value),
            Tok::Null => Ok(null()),
            Tok::ObjBegin => self.object(t.at, depth + 1),
            Tok::ArrBegin => self.array(t.at, depth + 1),
            _ => Err(expected("value", &t)),
        }
    }

    fn nesting(&self, depth: usize, at: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::Json(format!(
                "Found too many nested data structures ({depth}) at character {at}"
            )));
        }
        Ok(())
    }

    fn object(&mut self, at: usize, depth: usize) -> Result<Value, DecodeError> {
        self.nesting(depth, at)?;
        let t = self.lua.create_table()?;
        let mut tok = self.next()?;
        if tok.tok == Tok::ObjEnd {
            return Ok(Value::Table(t));
        }
        loop {
            if tok.tok != Tok::Str {
                return Err(expected("object key string", &tok));
            }
            let key = tok.value;
            let colon = self.next()?;
            if colon.tok != Tok::Colon {
                return Err(expected("colon", &colon));
            }
            let vt = self.next()?;
            let v = self.value(vt, depth)?;
            t.raw_set(key, v)?;
            let sep = self.next()?;
            match sep.tok {
                Tok::ObjEnd => return Ok(Value::Table(t)),
                Tok::Comma => tok = self.next()?,
                _ => return Err(expected("comma or object end", &sep)),
            }
        }
    }

    fn array(&mut self, at: usize, depth: usize) -> Result<Value, DecodeError> {
        self.nesting(depth, at)?;
        let t = self.lua.create_table()?;
        let mut tok = self.next()?;
        if tok.tok == Tok::ArrEnd {
            return Ok(Value::Table(t));
        }
        let mut i = 1;
        loop {
            let v = self.value(tok, depth)?;
            t.raw_set(i, v)?;
            i += 1;
            let sep = self.next()?;
            match sep.tok {
                Tok::ArrEnd => return Ok(Value::Table(t)),
                Tok::Comma => tok = self.next()?,
                _ => return Err(expected("comma or array end", &sep)),
            }
        }
    }
}

fn expected(what: &str, t: &Token) -> DecodeError {
    DecodeError::Json(format!(
        "Expected {what} but found {} at character {}",
        t.tok.name(),
        t.at
    ))
}

/// A number as strtod reads it: decimal, exponent, or hex with 0x.
fn parse_number(text: &str) -> Option<f64> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let v = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()? as f64
    } else {
        if digits.starts_with('+') || digits.starts_with('-') {
            return None;
        }
        digits.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
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
}
