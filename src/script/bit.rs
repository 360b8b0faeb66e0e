//! `bit`: LuaBitOp 1.0's operations on 32-bit integers, as Redis ships
//! it. Every argument is first reduced to a signed 32-bit integer the way
//! LuaBitOp does (the low 32 bits of the number rounded to an integer,
//! wrapping), and every result is a signed 32-bit number.

use super::{check_number, lib_error, LibResult};
use mlua::{Lua, MultiValue, Table, Value};

/// LuaBitOp's `barg`: adding 2^52 + 2^51 leaves the integer, rounded to
/// nearest even, in the low bits of the double.
pub(crate) fn tobit(n: f64) -> i32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn arg(args: &MultiValue, i: usize, func: &str) -> Result<i32, String> {
    check_number(args, i, func).map(tobit)
}

fn num(v: i32) -> LibResult {
    Ok((Value::Number(v as f64), None))
}

fn fold(args: &MultiValue, func: &str, f: fn(i32, i32) -> i32) -> Result<i32, String> {
    let mut acc = arg(args, 0, func)?;
    for i in 1..args.len() {
        acc = f(acc, arg(args, i, func)?);
    }
    Ok(acc)
}

/// A shift or rotation of the first argument by the second, mod 32.
fn shift(args: &MultiValue, func: &str, f: fn(u32, u32) -> u32) -> Result<i32, String> {
    let x = arg(args, 0, func)? as u32;
    let n = (arg(args, 1, func)? & 31) as u32;
    Ok(f(x, n) as i32)
}

type Op = fn(&MultiValue) -> Result<i32, String>;

const OPS: &[(&str, Op)] = &[
    ("tobit", |a| arg(a, 0, "tobit")),
    ("bnot", |a| arg(a, 0, "bnot").map(|v| !v)),
    ("band", |a| fold(a, "band", |x, y| x & y)),
    ("bor", |a| fold(a, "bor", |x, y| x | y)),
    ("bxor", |a| fold(a, "bxor", |x, y| x ^ y)),
    ("lshift", |a| shift(a, "lshift", |x, n| x << n)),
    ("rshift", |a| shift(a, "rshift", |x, n| x >> n)),
    ("arshift", |a| shift(a, "arshift", |x, n| ((x as i32) >> n) as u32)),
    ("rol", |a| shift(a, "rol", u32::rotate_left)),
    ("ror", |a| shift(a, "ror", u32::rotate_right)),
    ("bswap", |a| arg(a, 0, "bswap").map(i32::swap_bytes)),
];

pub(crate) fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    for &(name, op) in OPS {
        t.set(
            name,
            lua.create_function(move |_, a: MultiValue| -> LibResult {
                match op(&a) {
                    Ok(v) => num(v),
                    Err(e) => lib_error(e),
                }
            })?,
        )?;
    }
    t.set(
        "tohex",
        lua.create_function(|lua, a: MultiValue| -> LibResult {
            let b = match arg(&a, 0, "tohex") {
                Ok(b) => b as u32,
                Err(e) => return lib_error(e),
            };
            let n = if matches!(a.get(1), None | Some(Value::Nil)) {
                8
            } else {
                match arg(&a, 1, "tohex") {
                    Ok(n) => n,
                    Err(e) => return lib_error(e),
                }
            };
            let (n, digits) = if n < 0 {
                (n.unsigned_abs().min(8) as usize, b"0123456789ABCDEF")
            } else {
                ((n as usize).min(8), b"0123456789abcdef")
            };
            let mut out = vec![0u8; n];
            let mut b = b;
            for i in (0..n).rev() {
                out[i] = digits[(b & 15) as usize];
                b >>= 4;
            }
            Ok((Value::String(lua.create_string(out)?), None))
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tobit_wraps_and_rounds_as_luabitop() {
        assert_eq!(tobit(4294967301.0), 5);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2147483648.0), i32::MIN);
        assert_eq!(tobit(0.5), 0);
        assert_eq!(tobit(1.5), 2);
    }
}
