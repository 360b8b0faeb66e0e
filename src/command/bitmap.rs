//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO.
//!
//! A bitmap is a string value. Bit 0 is the most significant bit of the
//! first byte, as Redis numbers them. Reads go through
//! [`super::string_ops::get_value`]; writes that stay within the value change
//! its bytes in place ([`crate::store::EntryMut::patch_value`]), others
//! grow it with zero bytes ([`crate::store::EntryMut::update_value`]), as
//! SETRANGE does.

use super::args::{self, is};
use super::flags::*;
use super::key_spec::{finders, flags::*, key};
use super::notify::{self, class};
use super::string_ops::get_value;
use super::{errors, spec, CommandSpec, Ctx};
use crate::store::{Slot, Value, WrongType};

pub(crate) const COMMANDS: &[CommandSpec] = &[
    spec("setbit", 4, WRITE | DENYOOM, "bitmap", setbit)
        .key_specs(&[key(1, RW | ACCESS | UPDATE)])
        .doc(
            "2.2.0",
            "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
            "O(1)",
            "key offset value",
        ),
    spec("getbit", 3, READONLY | FAST, "bitmap", getbit)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc("2.2.0", "Returns a bit value by offset.", "O(1)", "key offset"),
    spec("bitcount", -2, READONLY, "bitmap", bitcount)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.6.0",
            "Counts the number of set bits (population counting) in a string.",
            "O(N)",
            "key [start end [BYTE | BIT]]",
        ),
    spec("bitpos", -3, READONLY, "bitmap", bitpos)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "2.8.7",
            "Finds the first set (1) or clear (0) bit in a string.",
            "O(N)",
            "key bit [start [end [BYTE | BIT]]]",
        ),
    spec("bitop", -4, WRITE | DENYOOM, "bitmap", bitop)
        .key_specs(&[key(2, OW | UPDATE), key(3, RO | ACCESS).range(-1, 1, 0)])
        .doc(
            "2.6.0",
            "Performs bitwise operations on multiple strings, and stores the result.",
            "O(N)",
            "<AND | OR | XOR | NOT> destkey key [key ...]",
        ),
    spec("bitfield", -2, WRITE | DENYOOM, "bitmap", bitfield)
        .key_specs(&[
            key(1, RW | ACCESS | UPDATE | VARIABLE_FLAGS).notes("Reads and may write the key; a request of GETs alone only reads it, as its finder reports"),
        ])
        .key_finder(finders::bitfield)
        .doc(
            "3.2.0",
            "Performs arbitrary bitfield integer operations on strings.",
            "O(1) for each subcommand specified",
            "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]",
        ),
    spec("bitfield_ro", -2, READONLY | FAST, "bitmap", bitfield_ro)
        .key_specs(&[key(1, RO | ACCESS)])
        .doc(
            "6.0.0",
            "Performs arbitrary read-only bitfield integer operations on strings.",
            "O(1) for each subcommand specified",
            "key [GET encoding offset [GET encoding offset ...]]",
        ),
];

/// Bits set in `b`, eight bytes at a time.
pub(crate) fn popcount(b: &[u8]) -> u64 {
    let mut words = b.chunks_exact(8);
    let mut n = 0u64;
    for w in &mut words {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        n += u64::from_ne_bytes(x).count_ones() as u64;
    }
    n + words.remainder().iter().map(|x| x.count_ones() as u64).sum::<u64>()
}

/// The bit at `off` (0 beyond the end).
fn bit_at(v: &[u8], off: u64) -> u8 {
    match v.get((off >> 3) as usize) {
        Some(b) => (b >> (7 - (off & 7))) & 1,
        None => 0,
    }
}

/// Sets the bit at `off`, which must be within `v`.
fn set_bit(v: &mut [u8], off: u64, on: bool) {
    let (byte, mask) = ((off >> 3) as usize, 0x80u8 >> (off & 7));
    if on {
        v[byte] |= mask;
    } else {
        v[byte] &= !mask;
    }
}

/// A bit offset as Redis reads one: a non-negative integer, or with
/// `width` (BITFIELD) `#n` for the n-th field of that width, whose byte is
/// below `max_bytes` (proto-max-bulk-len).
fn bit_offset(arg: &[u8], width: Option<u32>, max_bytes: u64) -> Result<u64, &'static str> {
    let (digits, mul) = match (arg.first(), width) {
        (Some(b'#'), Some(w)) => (&arg[1..], w as i64),
        _ => (arg, 1),
    };
    match args::int(digits).ok().and_then(|n| n.checked_mul(mul)) {
        Some(n) if n >= 0 && (n as u64 >> 3) < max_bytes => Ok(n as u64),
        _ => Err(errors::BIT_OFFSET),
    }
}

fn max_bytes(ctx: &Ctx<'_>) -> u64 {
    ctx.srv.settings.proto_max_bulk_len() as u64
}

/// The bits `first..=last` a start/end pair names in a string of `len`
/// bytes: byte or bit units, negative ones counting from the end, clamped
/// to the string. None when the range is empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (s, e) = (from_end(start), from_end(end).min(total - 1));
    if s > e {
        return None;
    }
    let (s, e) = (s as u64, e as u64);
    Some(if in_bits { (s, e) } else { (s * 8, e * 8 + 7) })
}

/// Bits set among bits `first..=last` of `v` (within `v`).
fn count_range(v: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let head = v[fb] & !(0xFFu8 >> (first & 7));
    let tail = v[lb] & (0xFFu8 >> (last & 7)).wrapping_shr(1);
    popcount(&v[fb..=lb]) - head.count_ones() as u64 - tail.count_ones() as u64
}

/// The first bit equal to `bit` among bits `first..=last` of `v` (within `v`).
fn find_bit(v: &[u8], first: u64, last: u64, bit: bool) -> Option<u64> {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    // Bytes are searched for a 1 bit: a search for 0 flips them.
    let flip = if bit { 0 } else { 0xFF };
    let masked = |i: usize| {
        let mut b = v[i] ^ flip;
        if i == fb {
            b &= 0xFF >> (first & 7);
        }
        if i == lb {
            b &= !((0xFFu8 >> (last & 7)).wrapping_shr(1));
        }
        b
    };
    let hit = |i: usize, b: u8| Some(i as u64 * 8 + b.leading_zeros() as u64);
    let b = masked(fb);
    if b != 0 {
        return hit(fb, b);
    }
    let mut i = fb + 1;
    // Whole words with nothing to find are skipped eight bytes at a time.
    let skip = if bit { 0u64 } else { u64::MAX };
    while i + 8 <= lb {
        let mut x = [0u8; 8];
        x.copy_from_slice(&v[i..i + 8]);
        if u64::from_ne_bytes(x) != skip {
            break;
        }
        i += 8;
    }
    while i <= lb {
        let b = masked(i);
        if b != 0 {
            return hit(i, b);
        }
        i += 1;
    }
    None
}

/// Opens the string under the slot's key for a bit write that reaches
/// byte `min_len - 1`, growing it with zero bytes (or creating it) first,
/// and runs `f` on its bytes. The bytes change in place when the value is
/// long enough and inline.
fn write_bits(slot: &mut Slot<'_>, min_len: usize, mut f: impl FnMut(&mut [u8])) -> Result<(), WrongType> {
    let Some(mut e) = slot.get_mut() else {
        let mut v = vec![0u8; min_len];
        f(&mut v);
        slot.set(Value::Str(v), 0, 0);
        return Ok(());
    };
    let len = e.entry().as_str().ok_or(WrongType)?.len();
    if len >= min_len && e.patch_value(&mut f) {
        return Ok(());
    }
    e.update_value(|v| {
        if v.len() < min_len {
            v.resize(min_len, 0);
        }
        f(v)
    });
    Ok(())
}

/// ```text
/// SETBIT key offset value
/// ```
/// Replies with the bit's old value. A missing key becomes a string of
/// zero bytes long enough to hold the bit.
fn setbit(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let off = match bit_offset(a[2], None, max_bytes(ctx)) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    let on = match args::int(a[3]) {
        Ok(0) => false,
        Ok(1) => true,
        _ => return ctx.error(errors::BIT_VALUE),
    };
    let r = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |slot| {
        // Setting a bit to what it is changes nothing, as in Redis: no new
        // version, so a WATCH or a CAS on the key still holds.
        if let Some(old) = slot.peek().and_then(|it| {
            it.as_str()
                .filter(|v| (off >> 3) < v.len() as u64)
                .map(|v| bit_at(v, off))
        }) {
            if (old == 1) == on {
                return Ok((old, false));
            }
        }
        let mut old = 0;
        write_bits(slot, (off >> 3) as usize + 1, |v| {
            old = bit_at(v, off);
            set_bit(v, off, on);
        })
        .map(|()| (old, true))
    });
    match r {
        Ok((old, wrote)) => {
            if wrote {
                notify::event(ctx.srv, class::STRING, "setbit", ctx.client.db, a[1]);
            }
            ctx.out.int(old as i64)
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// GETBIT key offset
/// ```
/// 0 for a missing key or an offset past the end.
fn getbit(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let off = match bit_offset(a[2], None, max_bytes(ctx)) {
        Ok(o) => o,
        Err(e) => return ctx.error(e),
    };
    match get_value(ctx.srv, ctx.db(), a[1], ctx.now, true, |v, _| bit_at(v, off)) {
        Ok(b) => ctx.out.int(b.unwrap_or(0) as i64),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// BYTE or BIT, the unit of a range; None for anything else.
fn unit(arg: &[u8]) -> Option<bool> {
    if is(arg, "bit") {
        Some(true)
    } else if is(arg, "byte") {
        Some(false)
    } else {
        None
    }
}

/// ```text
/// BITCOUNT key [start end [BYTE | BIT]]
/// ```
/// As Redis 7 does, the key is looked up before the range is parsed: a
/// missing key answers 0 whatever the arguments (Redis 8 checks them
/// first).
fn bitcount(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let r = get_value(
        ctx.srv,
        ctx.db(),
        a[1],
        ctx.now,
        true,
        |v, _| -> Result<u64, &'static str> {
            let (start, end, in_bits) = match a.len() {
                2 => (0, -1, false),
                4 | 5 => {
                    let (s, e) = (args::int(a[2])?, args::int(a[3])?);
                    // Both ends counting from the end, the wrong way round:
                    // nothing, even where clamping would make a range of them,
                    // and before the unit is read, as Redis 7 does.
                    if s < 0 && e < 0 && s > e {
                        return Ok(0);
                    }
                    match a.get(4) {
                        None => (s, e, false),
                        Some(u) => (s, e, unit(u).ok_or(errors::SYNTAX)?),
                    }
                }
                _ => return Err(errors::SYNTAX),
            };
            Ok(match bit_range(start, end, v.len(), in_bits) {
                Some((f, l)) => count_range(v, f, l),
                None => 0,
            })
        },
    );
    match r {
        Ok(Some(Ok(n))) => ctx.out.int(n as i64),
        Ok(Some(Err(e))) => ctx.error(e),
        Ok(None) => ctx.out.int(0),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

/// ```text
/// BITPOS key bit [start [end [BYTE | BIT]]]
/// ```
/// A missing key is all zero bits: 0 for a clear bit, -1 for a set one.
/// Without an end, a search for a clear bit that finds none answers the
/// first bit past the string; with one, -1.
fn bitpos(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let bit = match args::int(a[2]) {
        Ok(0) => false,
        Ok(1) => true,
        Ok(_) => return ctx.error(errors::BIT_ARGUMENT),
        Err(e) => return ctx.error(e),
    };
    // As Redis, the range is read only once the key is known to be a
    // string: a missing key answers before its arguments are checked.
    let r = get_value(
        ctx.srv,
        ctx.db(),
        a[1],
        ctx.now,
        true,
        |v, _| -> Result<i64, &'static str> {
            let (start, end, in_bits) = match a.len() {
                3 => (0, None, false),
                4..=6 => {
                    let start = args::int(a[3])?;
                    let in_bits = match a.get(5) {
                        None => false,
                        Some(u) => unit(u).ok_or(errors::SYNTAX)?,
                    };
                    let end = a.get(4).map(|e| args::int(e)).transpose()?;
                    (start, end, in_bits)
                }
                _ => return Err(errors::SYNTAX),
            };
            let Some((f, l)) = bit_range(start, end.unwrap_or(i64::MAX), v.len(), in_bits) else {
                return Ok(-1);
            };
            Ok(match find_bit(v, f, l, bit) {
                Some(p) => p as i64,
                None if bit || end.is_some() => -1,
                // The string is as if padded with zero bits to the right.
                None => v.len() as i64 * 8,
            })
        },
    );
    match r {
        Ok(Some(Ok(p))) => ctx.out.int(p),
        Ok(Some(Err(e))) => ctx.error(e),
        Ok(None) => ctx.out.int(if bit { -1 } else { 0 }),
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// ```text
/// BITOP <AND | OR | XOR | NOT> destkey key [key ...]
/// ```
/// Missing sources are strings of zero bytes; shorter sources are padded
/// with zero bytes to the longest. Replies with the length of the result,
/// stored as a plain string (no expiry), or deletes `destkey` when it is
/// empty.
fn bitop(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    let op = match a[1] {
        o if is(o, "and") => BitOp::And,
        o if is(o, "or") => BitOp::Or,
        o if is(o, "xor") => BitOp::Xor,
        o if is(o, "not") => BitOp::Not,
        _ => return ctx.error(errors::SYNTAX),
    };
    let (dest, sources) = (a[2], &a[3..]);
    if op == BitOp::Not && sources.len() != 1 {
        return ctx.error(errors::BITOP_NOT);
    }
    let (db, now) = (ctx.db(), ctx.now);
    let khs: Vec<_> = a[2..].iter().map(|k| ctx.hash(k)).collect();
    let mut locked = ctx.srv.store.lock_many(&khs);
    // The result is folded source by source, so no source is copied
    // beyond the first.
    let mut acc: Vec<u8> = Vec::new();
    let mut min_len = usize::MAX;
    let mut wrong_type = false;
    for (i, (key, kh)) in sources.iter().zip(&khs[1..]).enumerate() {
        let mut slot = locked.slot(db, key, *kh, now);
        let v = match slot.read(true) {
            None => &[][..],
            Some(it) => match it.as_str() {
                Some(v) => v,
                None => {
                    wrong_type = true;
                    break;
                }
            },
        };
        min_len = min_len.min(v.len());
        if i == 0 {
            acc.extend_from_slice(v);
            continue;
        }
        if v.len() > acc.len() {
            acc.resize(v.len(), 0);
        }
        match op {
            BitOp::And => acc.iter_mut().zip(v).for_each(|(d, s)| *d &= s),
            BitOp::Or => acc.iter_mut().zip(v).for_each(|(d, s)| *d |= s),
            BitOp::Xor => acc.iter_mut().zip(v).for_each(|(d, s)| *d ^= s),
            BitOp::Not => {}
        }
    }
    if wrong_type {
        drop(locked);
        return ctx.error(errors::WRONGTYPE);
    }
    match op {
        // Past the shortest source, some source is zero padding.
        BitOp::And => {
            let from = min_len.min(acc.len());
            acc[from..].fill(0)
        }
        BitOp::Not => acc.iter_mut().for_each(|b| *b = !*b),
        BitOp::Or | BitOp::Xor => {}
    }
    let len = acc.len();
    let mut slot = locked.slot(db, dest, khs[0], now);
    let event = if len == 0 {
        slot.delete().then_some((class::GENERIC, "del"))
    } else {
        slot.set(Value::Str(acc), 0, 0);
        Some((class::STRING, "set"))
    };
    drop(locked);
    if let Some((class, event)) = event {
        notify::event(ctx.srv, class, event, db, dest);
    }
    ctx.out.int(len as i64);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One BITFIELD operation on a field `bits` wide at bit `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// A field type, `i1`..`i64` or `u1`..`u63`: (signed, bits).
fn field_type(arg: &[u8]) -> Result<(bool, u32), &'static str> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(errors::BITFIELD_TYPE),
    };
    match args::int(&arg[1..]) {
        Ok(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(errors::BITFIELD_TYPE),
    }
}

/// Parses BITFIELD's operations, in Redis's order of checks.
fn parse_fields(a: &[&[u8]], max_bytes: u64) -> Result<Vec<Field>, &'static str> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < a.len() {
        let rest = a.len() - j - 1;
        let name = a[j];
        let kind = if is(name, "get") && rest >= 2 {
            0
        } else if is(name, "set") && rest >= 3 {
            1
        } else if is(name, "incrby") && rest >= 3 {
            2
        } else if is(name, "overflow") && rest >= 1 {
            overflow = match a[j + 1] {
                o if is(o, "wrap") => Overflow::Wrap,
                o if is(o, "sat") => Overflow::Sat,
                o if is(o, "fail") => Overflow::Fail,
                _ => return Err(errors::BITFIELD_OVERFLOW),
            };
            j += 2;
            continue;
        } else {
            return Err(errors::SYNTAX);
        };
        let (signed, bits) = field_type(a[j + 1])?;
        let offset = bit_offset(a[j + 2], Some(bits), max_bytes)?;
        let op = match kind {
            0 => FieldOp::Get,
            1 => FieldOp::Set(args::int(a[j + 3])?),
            _ => FieldOp::IncrBy(args::int(a[j + 3])?),
        };
        ops.push(Field {
            op,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if kind == 0 { 3 } else { 4 };
    }
    Ok(ops)
}

/// The unsigned field at `offset`, zero bits past the end of `v`.
fn get_unsigned(v: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0u64, |acc, i| (acc << 1) | bit_at(v, offset + i) as u64)
}

fn get_signed(v: &[u8], offset: u64, bits: u32) -> i64 {
    let u = get_unsigned(v, offset, bits);
    if bits < 64 && u & (1 << (bits - 1)) != 0 {
        (u | (u64::MAX << bits)) as i64
    } else {
        u as i64
    }
}

/// Writes the low `bits` of `value` at `offset`, within `v`.
fn set_field(v: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        set_bit(v, offset + i, (value >> (bits as u64 - 1 - i)) & 1 == 1);
    }
}

/// Redis's checkUnsignedBitfieldOverflow: None when `value + incr` fits
/// `bits`, else the value the overflow policy gives (unused for FAIL).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrapped = value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        Some(if ow == Overflow::Sat { max } else { wrapped })
    } else if incr < 0 && incr < min_incr {
        Some(if ow == Overflow::Sat { 0 } else { wrapped })
    } else {
        None
    }
}

/// Redis's checkSignedBitfieldOverflow, as [`unsigned_overflow`].
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits == 64 {
            return c as i64;
        }
        let high = u64::MAX << bits;
        (if c & (1 << (bits - 1)) != 0 {
            c | high
        } else {
            c & !high
        }) as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        Some(if ow == Overflow::Sat { max } else { wrapped() })
    } else if value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr) {
        Some(if ow == Overflow::Sat { min } else { wrapped() })
    } else {
        None
    }
}

/// Runs one operation on `v` (long enough for every write): its reply,
/// None where FAIL refused an overflow.
fn apply(f: &Field, v: &mut [u8]) -> Option<i64> {
    let (set, by) = match f.op {
        FieldOp::Get => return Some(read_field(f, v)),
        FieldOp::Set(x) => (true, x),
        FieldOp::IncrBy(x) => (false, x),
    };
    let (new, reply, overflow) = if f.signed {
        let old = get_signed(v, f.offset, f.bits);
        let (base, incr) = if set { (by, 0) } else { (old, by) };
        let o = signed_overflow(base, incr, f.bits, f.overflow);
        let new = o.unwrap_or(base.wrapping_add(incr));
        (new as u64, if set { old } else { new }, o.is_some())
    } else {
        let old = get_unsigned(v, f.offset, f.bits);
        let (base, incr) = if set { (by as u64, 0) } else { (old, by) };
        let o = unsigned_overflow(base, incr, f.bits, f.overflow);
        let new = o.unwrap_or(base.wrapping_add(incr as u64));
        (new, if set { old as i64 } else { new as i64 }, o.is_some())
    };
    if overflow && f.overflow == Overflow::Fail {
        return None;
    }
    set_field(v, f.offset, f.bits, new);
    Some(reply)
}

fn read_field(f: &Field, v: &[u8]) -> i64 {
    if f.signed {
        get_signed(v, f.offset, f.bits)
    } else {
        get_unsigned(v, f.offset, f.bits) as i64
    }
}

fn reply_fields(ctx: &mut Ctx<'_>, replies: &[Option<i64>]) {
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(*n),
            None => ctx.out.null(),
        }
    }
}

/// ```text
/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
/// ```
/// Types are `i1`..`i64` and `u1`..`u63`; an offset `#n` means the n-th
/// field of the type's width. Writes first grow the string to the farthest
/// bit written, then every operation runs in order; each replies with an
/// integer (the old value for SET, the new one for INCRBY), or nil where
/// OVERFLOW FAIL refused it.
fn bitfield(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bitfield_generic(ctx, a, false)
}

/// ```text
/// BITFIELD_RO key [GET type offset ...]
/// ```
fn bitfield_ro(ctx: &mut Ctx<'_>, a: &[&[u8]]) {
    bitfield_generic(ctx, a, true)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, a: &[&[u8]], read_only: bool) {
    let ops = match parse_fields(a, max_bytes(ctx)) {
        Ok(ops) => ops,
        Err(e) => return ctx.error(e),
    };
    let end = ops
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + f.bits as u64 - 1)
        .max();
    let Some(end) = end else {
        let r = get_value(ctx.srv, ctx.db(), a[1], ctx.now, true, |v, _| {
            ops.iter().map(|f| Some(read_field(f, v))).collect::<Vec<_>>()
        });
        return match r {
            Ok(Some(replies)) => reply_fields(ctx, &replies),
            Ok(None) => reply_fields(ctx, &vec![Some(0); ops.len()]),
            Err(WrongType) => ctx.error(errors::WRONGTYPE),
        };
    };
    if read_only {
        return ctx.error(errors::BITFIELD_RO_WRITE);
    }
    let mut replies = Vec::with_capacity(ops.len());
    let len = (end >> 3) as usize + 1;
    let r = ctx.srv.store.with_slot(ctx.db(), a[1], ctx.now, |slot| {
        // The fields are worked out on a copy of the bytes they cover, and
        // a result equal to what is stored is not written: as in Redis,
        // BITFIELD SET of the value a field holds changes nothing (no new
        // version, no change counted).
        let mut bytes = match slot.peek() {
            Some(it) => match it.as_str() {
                Some(v) if v.len() >= len => v[..len].to_vec(),
                Some(_) => {
                    return write_bits(slot, len, |v| replies.extend(ops.iter().map(|f| apply(f, v)))).map(|()| true);
                }
                None => return Err(WrongType),
            },
            None => {
                return write_bits(slot, len, |v| replies.extend(ops.iter().map(|f| apply(f, v)))).map(|()| true);
            }
        };
        let before = bytes.clone();
        replies.extend(ops.iter().map(|f| apply(f, &mut bytes)));
        if bytes != before {
            write_bits(slot, len, |v| v[..len].copy_from_slice(&bytes))?;
        }
        Ok(bytes != before)
    });
    match r {
        Ok(wrote) => {
            if wrote {
                notify::event(ctx.srv, class::STRING, "setbit", ctx.client.db, a[1]);
            }
            reply_fields(ctx, &replies)
        }
        Err(WrongType) => ctx.error(errors::WRONGTYPE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_counts_words_and_the_remainder() {
        assert_eq!(popcount(b""), 0);
        assert_eq!(popcount(b"foobar"), 26);
        assert_eq!(popcount(&[0xFF; 17]), 136);
    }

    #[test]
    fn bit_range_clamps_and_converts_bytes_to_bits() {
        assert_eq!(bit_range(0, -1, 3, false), Some((0, 23)));
        assert_eq!(bit_range(1, 1, 3, false), Some((8, 15)));
        assert_eq!(bit_range(5, 30, 3, true), Some((5, 23)));
        assert_eq!(bit_range(-100, 0, 3, false), Some((0, 7)));
        assert_eq!(bit_range(3, 10, 3, false), None);
        assert_eq!(bit_range(0, -1, 0, false), None);
    }

    #[test]
    fn count_range_excludes_the_bits_outside_the_edges() {
        let v = [0xFF, 0xFF, 0xFF];
        assert_eq!(count_range(&v, 0, 23), 24);
        assert_eq!(count_range(&v, 3, 3), 1);
        assert_eq!(count_range(&v, 5, 17), 13);
        assert_eq!(count_range(&[0b1010_0000], 0, 2), 2);
    }

    #[test]
    fn find_bit_finds_set_and_clear_bits_within_the_range() {
        let mut v = vec![0u8; 40];
        v[37] = 0x10;
        assert_eq!(find_bit(&v, 0, 319, true), Some(37 * 8 + 3));
        assert_eq!(find_bit(&v, 0, 37 * 8 + 2, true), None);
        assert_eq!(find_bit(&[0xFF, 0xFE], 0, 15, false), Some(15));
        assert_eq!(find_bit(&[0xFF, 0xFE], 0, 14, false), None);
        assert_eq!(find_bit(&[0x0F], 2, 7, true), Some(4));
        assert_eq!(find_bit(&[0xF0], 2, 7, false), Some(4));
        let ones = vec![0xFFu8; 30];
        assert_eq!(find_bit(&ones, 0, 239, false), None);
    }

    #[test]
    fn bit_offset_accepts_hash_offsets_only_for_bitfield() {
        assert_eq!(bit_offset(b"7", None, 512), Ok(7));
        assert_eq!(bit_offset(b"#3", Some(8), 512), Ok(24));
        assert_eq!(bit_offset(b"#3", None, 512), Err(errors::BIT_OFFSET));
        assert_eq!(bit_offset(b"-1", None, 512), Err(errors::BIT_OFFSET));
        assert_eq!(bit_offset(b"4096", None, 512), Err(errors::BIT_OFFSET));
        assert_eq!(bit_offset(b"4095", None, 512), Ok(4095));
        assert_eq!(
            bit_offset(b"#9223372036854775807", Some(8), u64::MAX),
            Err(errors::BIT_OFFSET)
        );
    }

    #[test]
    fn field_types_are_i1_to_i64_and_u1_to_u63() {
        assert_eq!(field_type(b"i64"), Ok((true, 64)));
        assert_eq!(field_type(b"u63"), Ok((false, 63)));
        assert_eq!(field_type(b"u64"), Err(errors::BITFIELD_TYPE));
        assert_eq!(field_type(b"i0"), Err(errors::BITFIELD_TYPE));
        assert_eq!(field_type(b"I8"), Err(errors::BITFIELD_TYPE));
        assert_eq!(field_type(b""), Err(errors::BITFIELD_TYPE));
    }

    #[test]
    fn fields_read_and_write_most_significant_bit_first() {
        let mut v = [0u8; 3];
        set_field(&mut v, 4, 8, 0xAB);
        assert_eq!(v, [0x0A, 0xB0, 0]);
        assert_eq!(get_unsigned(&v, 4, 8), 0xAB);
        assert_eq!(get_signed(&v, 4, 8), 0xABu8 as i8 as i64);
        assert_eq!(get_unsigned(&v, 20, 16), 0, "past the end reads zeros");
    }

    #[test]
    fn overflow_policies_wrap_saturate_or_fail() {
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Wrap), Some(251));
        assert_eq!(unsigned_overflow(5, 10, 8, Overflow::Wrap), None);
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(signed_overflow(i64::MIN, -1, 64, Overflow::Sat), Some(i64::MIN));
        assert_eq!(signed_overflow(-1, 1, 64, Overflow::Sat), None);
    }

    #[test]
    fn parse_fields_checks_in_redis_order() {
        let a: Vec<&[u8]> = vec![
            b"bitfield",
            b"k",
            b"overflow",
            b"sat",
            b"incrby",
            b"u8",
            b"#1",
            b"5",
            b"get",
            b"i4",
            b"0",
        ];
        let ops = parse_fields(&a, 1 << 29).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(
            (ops[0].offset, ops[0].overflow, ops[0].op),
            (8, Overflow::Sat, FieldOp::IncrBy(5))
        );
        assert_eq!(ops[1].overflow, Overflow::Sat);
        let bad: Vec<&[u8]> = vec![b"bitfield", b"k", b"get", b"u8"];
        assert_eq!(parse_fields(&bad, 1 << 29), Err(errors::SYNTAX));
        let bad: Vec<&[u8]> = vec![b"bitfield", b"k", b"overflow", b"x"];
        assert_eq!(parse_fields(&bad, 1 << 29), Err(errors::BITFIELD_OVERFLOW));
        let bad: Vec<&[u8]> = vec![b"bitfield", b"k", b"set", b"u8", b"0", b"x"];
        assert_eq!(parse_fields(&bad, 1 << 29), Err(errors::NOT_INTEGER));
    }
}
