//! `cmsgpack`: lua-cmsgpack 0.4 as Redis ships it: `pack(...)` encodes
//! each argument and concatenates them; `unpack(s)` decodes every value;
//! `unpack_one(s [, offset])` and `unpack_limit(s, limit [, offset])`
//! decode some and answer the offset to continue from (-1 at the end)
//! first.
//!
//! Numbers that are integers encode as the smallest integer format,
//! others as float32 when that is exact, else float64. A table is an
//! array when its keys are exactly 1..n, else a map. Nesting deeper than
//! 16 tables encodes as nil.

use super::{bad_arg, check_bytes, check_number, lib_error, LibResult};
use mlua::{Lua, MultiValue, Table, Value};

const MAX_NESTING: usize = 16;

fn encode_number(n: f64, out: &mut Vec<u8>) {
    if n.fract() == 0.0 && (-9.223372036854776e18..1.8446744073709552e19).contains(&n) {
        if n >= 0.0 {
            let v = n as u64;
            match v {
                0..=0x7f => out.push(v as u8),
                0x80..=0xff => out.extend_from_slice(&[0xcc, v as u8]),
                0x100..=0xffff => {
                    out.push(0xcd);
                    out.extend_from_slice(&(v as u16).to_be_bytes());
                }
                0x1_0000..=0xffff_ffff => {
                    out.push(0xce);
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                }
                _ => {
                    out.push(0xcf);
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
        } else {
            let v = n as i64;
            if v >= -32 {
                out.push(v as i8 as u8);
            } else if v >= -128 {
                out.extend_from_slice(&[0xd0, v as i8 as u8]);
            } else if v >= -32768 {
                out.push(0xd1);
                out.extend_from_slice(&(v as i16).to_be_bytes());
            } else if v >= -(1 << 31) {
                out.push(0xd2);
                out.extend_from_slice(&(v as i32).to_be_bytes());
            } else {
                out.push(0xd3);
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_len(out: &mut Vec<u8>, n: usize, fix: u8, fixmax: usize, b16: u8, b32: u8) {
    if n <= fixmax {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) {
    match v {
        Value::Nil => out.push(0xc0),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(*i as f64, out),
        Value::Number(n) => encode_number(*n, out),
        Value::String(s) => {
            let b = s.as_bytes();
            if b.len() < 32 {
                out.push(0xa0 | b.len() as u8);
            } else if b.len() <= 0xff {
                out.extend_from_slice(&[0xd9, b.len() as u8]);
            } else {
                encode_len(out, b.len(), 0, 0, 0xda, 0xdb);
            }
            out.extend_from_slice(&b);
        }
        Value::Table(t) if depth < MAX_NESTING => encode_table(t, out, depth + 1),
        _ => out.push(0xc0),
    }
}

fn encode_table(t: &Table, out: &mut Vec<u8>, depth: usize) {
    let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().flatten().collect();
    let mut max = 0usize;
    let is_array = pairs.iter().all(|(k, _)| match k {
        Value::Integer(i) if *i >= 1 => {
            max = max.max(*i as usize);
            true
        }
        Value::Number(n) if *n >= 1.0 && n.fract() == 0.0 => {
            max = max.max(*n as usize);
            true
        }
        _ => false,
    }) && max == pairs.len();
    if is_array {
        encode_len(out, max, 0x90, 15, 0xdc, 0xdd);
        for i in 1..=max {
            let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
            encode(&v, out, depth);
        }
    } else {
        encode_len(out, pairs.len(), 0x80, 15, 0xde, 0xdf);
        for (k, v) in &pairs {
            encode(k, out, depth);
            encode(v, out, depth);
        }
    }
}

const BAD: &str = "Bad data format in input.";
const MISSING: &str = "Missing bytes in input.";

/// Nesting at which decoding fails, where lua-cmsgpack runs out of Lua
/// stack in Redis 7.0 (3999 levels decode, 4000 do not).
const MAX_DECODE_DEPTH: usize = 3999;

enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

#[derive(Clone, Copy)]
enum Kind {
    Scalar,
    Array,
    Map,
}

/// A table being filled: `left` more elements (map: pairs) to come.
struct Open {
    t: Table,
    left: usize,
    next: usize,
    key: Option<Value>,
    is_map: bool,
}

struct Decoder<'a> {
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
    item_kind: Kind,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let b = self.s.get(self.pos..self.pos + n).ok_or(MISSING)?;
        self.pos += n;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    fn lua_err(e: mlua::Error) -> String {
        e.to_string()
    }

    fn string(&mut self, n: usize) -> Result<Value, String> {
        let b = self.take(n)?.to_vec();
        Ok(Value::String(self.lua.create_string(b).map_err(Self::lua_err)?))
    }

    /// One value, nested tables and all. Iterative, with a stack of open
    /// tables: input may nest thousands deep, where lua-cmsgpack stops at
    /// the Lua stack's limit.
    fn value(&mut self) -> Result<Value, String> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let mut v = match self.item()? {
                Item::Value(v) => v,
                Item::Array(0) | Item::Map(0) => Value::Table(self.lua.create_table().map_err(Self::lua_err)?),
                Item::Array(n) | Item::Map(n) => {
                    if open.len() >= MAX_DECODE_DEPTH {
                        let f = if matches!(self.item_kind, Kind::Map) {
                            "hash"
                        } else {
                            "array"
                        };
                        return Err(format!("stack overflow (in function mp_decode_to_lua_{f})"));
                    }
                    let t = self.lua.create_table().map_err(Self::lua_err)?;
                    let is_map = matches!(self.item_kind, Kind::Map);
                    open.push(Open {
                        t,
                        left: n,
                        next: 1,
                        key: None,
                        is_map,
                    });
                    continue;
                }
            };
            // Put `v` in the innermost open table; close the full ones.
            loop {
                let Some(o) = open.last_mut() else { return Ok(v) };
                if o.is_map {
                    match o.key.take() {
                        None => {
                            o.key = Some(v);
                            break;
                        }
                        Some(k) => {
                            if !k.is_nil() {
                                o.t.raw_set(k, v).map_err(Self::lua_err)?;
                            }
                        }
                    }
                } else {
                    o.t.raw_set(o.next, v).map_err(Self::lua_err)?;
                    o.next += 1;
                }
                o.left -= 1;
                if o.left > 0 {
                    break;
                }
                let done = open.pop().map(|o| o.t).ok_or(BAD)?;
                v = Value::Table(done);
            }
        }
    }

    /// The next item: a scalar, or the header of an array or a map.
    fn item(&mut self) -> Result<Item, String> {
        let c = self.uint(1)? as u8;
        self.item_kind = Kind::Scalar;
        Ok(Item::Value(match c {
            0x00..=0x7f => Value::Number(c as f64),
            0x80..=0x8f => return Ok(self.map((c & 0x0f) as usize)),
            0x90..=0x9f => return Ok(self.array((c & 0x0f) as usize)),
            0xa0..=0xbf => return self.string((c & 0x1f) as usize).map(Item::Value),
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            // lua-cmsgpack 0.4 predates the bin types: 0xc4-0xc6 are bad data.
            0xd9 => {
                let n = self.uint(1)? as usize;
                return self.string(n).map(Item::Value);
            }
            0xda => {
                let n = self.uint(2)? as usize;
                return self.string(n).map(Item::Value);
            }
            0xdb => {
                let n = self.uint(4)? as usize;
                return self.string(n).map(Item::Value);
            }
            0xca => Value::Number(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Value::Number(f64::from_bits(self.uint(8)?)),
            0xcc => Value::Number(self.uint(1)? as f64),
            0xcd => Value::Number(self.uint(2)? as f64),
            0xce => Value::Number(self.uint(4)? as f64),
            0xcf => Value::Number(self.uint(8)? as f64),
            0xd0 => Value::Number(self.uint(1)? as u8 as i8 as f64),
            0xd1 => Value::Number(self.uint(2)? as u16 as i16 as f64),
            0xd2 => Value::Number(self.uint(4)? as u32 as i32 as f64),
            0xd3 => Value::Number(self.uint(8)? as i64 as f64),
            0xdc => {
                let n = self.uint(2)? as usize;
                return Ok(self.array(n));
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                return Ok(self.array(n));
            }
            0xde => {
                let n = self.uint(2)? as usize;
                return Ok(self.map(n));
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                return Ok(self.map(n));
            }
            0xe0..=0xff => Value::Number(c as i8 as f64),
            _ => return Err(BAD.into()),
        }))
    }

    fn array(&mut self, n: usize) -> Item {
        self.item_kind = Kind::Array;
        Item::Array(n)
    }

    fn map(&mut self, n: usize) -> Item {
        self.item_kind = Kind::Map;
        Item::Map(n)
    }
}

/// Decodes up to `limit` values (0: all) from `offset`; the values and
/// the offset after them (-1 when the input is used up).
fn unpack_some(lua: &Lua, s: &[u8], limit: usize, offset: usize) -> Result<(Vec<Value>, i64), String> {
    let mut d = Decoder {
        lua,
        s,
        pos: offset,
        item_kind: Kind::Scalar,
    };
    let mut values = Vec::new();
    while d.pos < s.len() && (limit == 0 || values.len() < limit) {
        values.push(d.value()?);
    }
    let next = if d.pos >= s.len() { -1 } else { d.pos as i64 };
    Ok((values, next))
}

fn results(lua: &Lua, first: Option<Value>, values: Vec<Value>) -> LibResult {
    let t = lua.create_table()?;
    let mut n = 0;
    for v in first.into_iter().chain(values) {
        n += 1;
        t.raw_set(n, v)?;
    }
    t.raw_set("n", n)?;
    Ok((Value::Table(t), None))
}

fn offset_arg(args: &MultiValue, i: usize, func: &str) -> Result<usize, String> {
    match args.get(i) {
        None | Some(Value::Nil) => Ok(0),
        _ => Ok(check_number(args, i, func)?.max(0.0) as usize),
    }
}

pub(crate) fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            if args.is_empty() {
                return lib_error(bad_arg(0, "pack", "MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                encode(v, &mut out, 0);
            }
            Ok((Value::String(lua.create_string(out)?), None))
        })?,
    )?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let s = match check_bytes(&args, 0, "unpack") {
                Ok(s) => s,
                Err(e) => return lib_error(e),
            };
            match unpack_some(lua, &s, 0, 0) {
                Ok((values, _)) => results(lua, None, values),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let r = check_bytes(&args, 0, "unpack_one")
                .and_then(|s| Ok((s, offset_arg(&args, 1, "unpack_one")?)))
                .and_then(|(s, off)| unpack_some(lua, &s, 1, off));
            match r {
                Ok((values, next)) => results(lua, Some(Value::Integer(next)), values),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            let r = check_bytes(&args, 0, "unpack_limit").and_then(|s| {
                let limit = check_number(&args, 1, "unpack_limit")?.max(0.0) as usize;
                let off = offset_arg(&args, 2, "unpack_limit")?;
                unpack_some(lua, &s, limit, off)
            });
            match r {
                Ok((values, next)) => results(lua, Some(Value::Integer(next)), values),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(lua: &Lua, code: &str) -> Vec<u8> {
        let v: Value = lua.load(code).eval().unwrap();
        let mut out = Vec::new();
        encode(&v, &mut out, 0);
        out
    }

    #[test]
    fn pack_picks_the_smallest_format() {
        let lua = Lua::new();
        assert_eq!(packed(&lua, "return {1,2,3}"), [0x93, 1, 2, 3]);
        assert_eq!(packed(&lua, "return 300"), [0xcd, 1, 44]);
        assert_eq!(packed(&lua, "return -1"), [0xff]);
        assert_eq!(packed(&lua, "return -200"), [0xd1, 0xff, 0x38]);
        assert_eq!(packed(&lua, "return 1.5"), [0xca, 0x3f, 0xc0, 0, 0]);
        assert_eq!(packed(&lua, "return 'ab'"), [0xa2, b'a', b'b']);
        assert_eq!(packed(&lua, "return {a=true}"), [0x81, 0xa1, b'a', 0xc3]);
    }

    #[test]
    fn unpack_reverses_pack_and_reports_short_input() {
        let lua = Lua::new();
        let s = packed(&lua, "return {1, 'a', {x=1.5}, true}");
        let (values, next) = unpack_some(&lua, &s, 0, 0).unwrap();
        assert_eq!((values.len(), next), (1, -1));
        assert_eq!(unpack_some(&lua, &[0xcd, 1], 0, 0).unwrap_err(), MISSING);
        assert_eq!(unpack_some(&lua, &[0xc1], 0, 0).unwrap_err(), BAD);
    }

    #[test]
    fn deep_nesting_fails_where_redis_does_without_recursion() {
        let lua = Lua::new();
        let deep = |n: usize| [vec![0x91u8; n], vec![1]].concat();
        assert!(unpack_some(&lua, &deep(3999), 0, 0).is_ok());
        assert_eq!(
            unpack_some(&lua, &deep(4000), 0, 0).unwrap_err(),
            "stack overflow (in function mp_decode_to_lua_array)"
        );
        let (v, _) = unpack_some(&lua, &[0x82, 0xa1, b'a', 1, 0xa1, b'b', 0x91, 2], 0, 0).unwrap();
        lua.globals().set("v", v[0].clone()).unwrap();
        assert_eq!(lua.load("return v.a + v.b[1]").eval::<i64>().unwrap(), 3);
    }
}
