//! `struct`: Roberto Ierusalimschy's struct library (0.2) as Redis ships
//! it: `pack(fmt, ...)`, `unpack(fmt, s [, pos])` and `size(fmt)`.
//!
//! Format: `>` big endian, `<` and `=` little endian (the native order
//! here), `!n` maximum alignment, `x` a zero byte, `b B` 1-byte,
//! `h H` 2-byte, `l L T` 8-byte, `i I` [n] n-byte (default 4) signed and
//! unsigned integers, `f` float, `d` double, `c` [n] an n-byte string
//! (`c0`: the whole string when packing, the length from the previous
//! value when unpacking), `s` a zero-terminated string; spaces ignored.

use super::{bad_arg, lib_error, LibResult};
use mlua::{Lua, MultiValue, Table, Value};

const MAX_INT_SIZE: usize = 16;

/// struct reads its arguments after the format by index, so a missing
/// one is reported as nil, not "no value".
fn check_number(args: &MultiValue, i: usize, func: &str) -> Result<f64, String> {
    super::check_number(args, i, func).map_err(|e| e.replace("got no value", "got nil"))
}

fn check_bytes(args: &MultiValue, i: usize, func: &str) -> Result<Vec<u8>, String> {
    super::check_bytes(args, i, func).map_err(|e| e.replace("got no value", "got nil"))
}
const NATIVE_ALIGN: usize = 8;

#[derive(Clone, Copy)]
enum Item {
    Pad,
    Int { size: usize, signed: bool },
    Float,
    Double,
    Chars(usize),
    Zstr,
}

struct Format<'a> {
    f: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

impl<'a> Format<'a> {
    fn new(f: &'a [u8]) -> Format<'a> {
        Format {
            f,
            pos: 0,
            little: true,
            align: 1,
        }
    }

    fn number(&mut self, default: usize) -> usize {
        let start = self.pos;
        while self.pos < self.f.len() && self.f[self.pos].is_ascii_digit() && self.pos - start < 9 {
            self.pos += 1;
        }
        std::str::from_utf8(&self.f[start..self.pos])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    }

    /// The next item, or None at the end; options are applied on the way.
    fn next(&mut self, func: &str) -> Result<Option<Item>, String> {
        while let Some(&c) = self.f.get(self.pos) {
            self.pos += 1;
            let item = match c {
                b' ' => continue,
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'<' | b'=' => {
                    self.little = true;
                    continue;
                }
                b'!' => {
                    let a = self.number(NATIVE_ALIGN);
                    if !a.is_power_of_two() {
                        return Err(bad_arg(1, func, "alignment must be power of 2"));
                    }
                    self.align = a;
                    continue;
                }
                b'x' => Item::Pad,
                b'b' => Item::Int { size: 1, signed: true },
                b'B' => Item::Int { size: 1, signed: false },
                b'h' => Item::Int { size: 2, signed: true },
                b'H' => Item::Int { size: 2, signed: false },
                b'l' => Item::Int { size: 8, signed: true },
                b'L' | b'T' => Item::Int { size: 8, signed: false },
                b'i' | b'I' => {
                    let size = self.number(4);
                    if size > MAX_INT_SIZE {
                        return Err(format!("integral size {size} is larger than limit of {MAX_INT_SIZE}"));
                    }
                    Item::Int {
                        size,
                        signed: c == b'i',
                    }
                }
                b'f' => Item::Float,
                b'd' => Item::Double,
                b'c' => Item::Chars(self.number(1)),
                b's' => Item::Zstr,
                other => return Err(bad_arg(1, func, &format!("invalid format option '{}'", other as char))),
            };
            return Ok(Some(item));
        }
        Ok(None)
    }

    /// Padding before an item of `size` bytes at `offset`.
    fn padding(&self, item: Item, offset: usize) -> usize {
        let size = match item {
            Item::Int { size, .. } => size,
            Item::Float => 4,
            Item::Double => 8,
            _ => return 0,
        };
        let a = size.min(self.align);
        if a <= 1 {
            0
        } else {
            (a - (offset & (a - 1))) & (a - 1)
        }
    }
}

fn put_int(out: &mut Vec<u8>, v: f64, size: usize, signed: bool, little: bool) {
    let x: u64 = if signed || v < 0.0 { v as i64 as u64 } else { v as u64 };
    let fill = if (v as i64) < 0 { 0xff } else { 0 };
    let mut bytes = vec![fill; size];
    for (i, b) in bytes.iter_mut().enumerate().take(size.min(8)) {
        *b = (x >> (8 * i)) as u8;
    }
    if !little {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn get_int(b: &[u8], signed: bool, little: bool) -> f64 {
    let mut le = b.to_vec();
    if !little {
        le.reverse();
    }
    let mut x: u64 = 0;
    for (i, &byte) in le.iter().enumerate().take(8) {
        x |= (byte as u64) << (8 * i);
    }
    let size = b.len().min(8);
    if signed && (1..8).contains(&size) && x & (1 << (size * 8 - 1)) != 0 {
        x |= u64::MAX << (size * 8);
    }
    if signed {
        x as i64 as f64
    } else {
        x as f64
    }
}

fn pack(args: &MultiValue) -> Result<Vec<u8>, String> {
    let fmt = check_bytes(args, 0, "pack")?;
    let mut f = Format::new(&fmt);
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some(item) = f.next("pack")? {
        out.resize(out.len() + f.padding(item, out.len()), 0);
        match item {
            Item::Pad => out.push(0),
            Item::Int { size, signed } => {
                let v = check_number(args, arg, "pack")?;
                put_int(&mut out, v, size, signed, f.little);
                arg += 1;
            }
            Item::Float => {
                let v = check_number(args, arg, "pack")? as f32;
                let b = if f.little { v.to_le_bytes() } else { v.to_be_bytes() };
                out.extend_from_slice(&b);
                arg += 1;
            }
            Item::Double => {
                let v = check_number(args, arg, "pack")?;
                let b = if f.little { v.to_le_bytes() } else { v.to_be_bytes() };
                out.extend_from_slice(&b);
                arg += 1;
            }
            Item::Chars(n) => {
                let s = check_bytes(args, arg, "pack")?;
                let n = if n == 0 { s.len() } else { n };
                // struct.c counts the argument after it took it.
                if s.len() < n {
                    return Err(bad_arg(arg + 2, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..n]);
                arg += 1;
            }
            Item::Zstr => {
                let s = check_bytes(args, arg, "pack")?;
                if s.contains(&0) {
                    return Err(bad_arg(arg + 1, "pack", "string contains zeros"));
                }
                out.extend_from_slice(&s);
                out.push(0);
                arg += 1;
            }
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, args: &MultiValue) -> Result<Table, String> {
    let fmt = check_bytes(args, 0, "unpack")?;
    let data = check_bytes(args, 1, "unpack")?;
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1.0,
        _ => check_number(args, 2, "unpack")?,
    };
    let mut pos = (start as i64 - 1).max(0) as usize;
    if pos > data.len() {
        return Err(bad_arg(3, "unpack", "offset must be 1 or greater"));
    }
    let mut f = Format::new(&fmt);
    let out = lua.create_table().map_err(|e| e.to_string())?;
    let mut n = 0;
    let mut last_number: Option<f64> = None;
    let short = || bad_arg(2, "unpack", "data string too short");
    let push = |v: Value, n: &mut i64| -> Result<(), String> {
        *n += 1;
        out.raw_set(*n, v).map_err(|e| e.to_string())
    };
    while let Some(item) = f.next("unpack")? {
        pos += f.padding(item, pos);
        match item {
            Item::Pad => pos += 1,
            Item::Int { size, signed } => {
                let b = data.get(pos..pos + size).ok_or_else(short)?;
                let v = get_int(b, signed, f.little);
                push(Value::Number(v), &mut n)?;
                last_number = Some(v);
                pos += size;
            }
            Item::Float => {
                let b: [u8; 4] = data
                    .get(pos..pos + 4)
                    .ok_or_else(short)?
                    .try_into()
                    .map_err(|_| short())?;
                let v = if f.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                } as f64;
                push(Value::Number(v), &mut n)?;
                pos += 4;
            }
            Item::Double => {
                let b: [u8; 8] = data
                    .get(pos..pos + 8)
                    .ok_or_else(short)?
                    .try_into()
                    .map_err(|_| short())?;
                let v = if f.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                push(Value::Number(v), &mut n)?;
                pos += 8;
            }
            Item::Chars(size) => {
                let size = if size == 0 {
                    // The length is the value before: it is replaced.
                    let l = last_number
                        .take()
                        .ok_or_else(|| bad_arg(1, "unpack", "format 'c0' needs a previous size"))?;
                    out.raw_set(n, Value::Nil).map_err(|e| e.to_string())?;
                    n -= 1;
                    l as usize
                } else {
                    size
                };
                let b = data.get(pos..pos + size).ok_or_else(short)?;
                push(Value::String(lua.create_string(b).map_err(|e| e.to_string())?), &mut n)?;
                pos += size;
            }
            Item::Zstr => {
                let rest = &data[pos.min(data.len())..];
                let end = rest
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or_else(|| bad_arg(2, "unpack", "unfinished string in data"))?;
                push(
                    Value::String(lua.create_string(&rest[..end]).map_err(|e| e.to_string())?),
                    &mut n,
                )?;
                pos += end + 1;
            }
        }
    }
    push(Value::Number((pos + 1) as f64), &mut n)?;
    out.raw_set("n", n).map_err(|e| e.to_string())?;
    Ok(out)
}

fn size(args: &MultiValue) -> Result<f64, String> {
    let fmt = check_bytes(args, 0, "size")?;
    let mut f = Format::new(&fmt);
    let mut total = 0usize;
    while let Some(item) = f.next("size")? {
        total += f.padding(item, total);
        total += match item {
            Item::Pad => 1,
            Item::Int { size, .. } => size,
            Item::Float => 4,
            Item::Double => 8,
            Item::Zstr => return Err(bad_arg(1, "size", "option 's' has no fixed size")),
            Item::Chars(0) => return Err(bad_arg(1, "size", "option 'c0' has no fixed size")),
            Item::Chars(n) => n,
        };
    }
    Ok(total as f64)
}

pub(crate) fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            match pack(&args) {
                Ok(b) => Ok((Value::String(lua.create_string(b)?), None)),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| -> LibResult {
            match unpack(lua, &args) {
                Ok(t) => Ok((Value::Table(t), None)),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    t.set(
        "size",
        lua.create_function(|_, args: MultiValue| -> LibResult {
            match size(&args) {
                Ok(n) => Ok((Value::Number(n), None)),
                Err(e) => lib_error(e),
            }
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_in_both_byte_orders() {
        let mut out = Vec::new();
        put_int(&mut out, 258.0, 2, false, false);
        assert_eq!(out, [1, 2]);
        assert_eq!(get_int(&out, false, false), 258.0);
        out.clear();
        put_int(&mut out, -2.0, 4, true, true);
        assert_eq!(out, [0xfe, 0xff, 0xff, 0xff]);
        assert_eq!(get_int(&out, true, true), -2.0);
    }
}
