//! The packed encodings RDB stores as one string: ziplists, listpacks,
//! intsets and zipmaps. Each is checked in full (its header against its
//! size, every entry inside the blob, its terminator, its declared count)
//! before any element is used; every read is bounds-checked, so no blob
//! makes these panic.

use super::io::{corrupt, RdbError};
use crate::util::number::push_int;

/// One element of a ziplist or listpack: bytes, or an integer stored as
/// one (its value is its decimal text).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    pub(crate) fn to_bytes(self) -> Vec<u8> {
        match self {
            Elem::Str(s) => s.to_vec(),
            Elem::Int(v) => {
                let mut out = Vec::with_capacity(20);
                push_int(&mut out, v);
                out
            }
        }
    }
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |acc, &x| acc << 8 | x as u64)
}

/// Sign-extends the low `bits` bits of `v`.
fn signed(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// What ziplists and listpacks share: a header that starts with the
/// blob's size (32 bits, little-endian) and a 0xff at the end. Returns
/// the terminator's position.
fn frame(blob: &[u8], header: usize, kind: &str) -> Result<usize, RdbError> {
    if blob.len() < header + 1 {
        return corrupt(format!("{kind}: shorter than its header"));
    }
    if le(&blob[0..4]) != blob.len() as u64 {
        return corrupt(format!("{kind}: size in the header differs from the blob's"));
    }
    let end = blob.len() - 1;
    if blob[end] != 0xff {
        return corrupt(format!("{kind}: no terminator"));
    }
    Ok(end)
}

/// A ziplist:
///
/// ```text
/// <zlbytes u32><zltail u32><zllen u16> <entry>... <0xff>
/// entry: <prevlen: 1 byte < 254, or 0xfe + u32> <encoding> <data>
/// encoding: 00llllll | 01llllll llllllll | 10______ + u32 BE  -> string
///           0xc0 i16 | 0xd0 i32 | 0xe0 i64 | 0xf0 i24 | 0xfe i8 | 0xf1..0xfd 0..12
/// ```
///
/// Integers are little-endian. Each prevlen must be the previous entry's
/// size, zltail the last entry's offset, zllen the count (or 65535).
pub(crate) fn ziplist(blob: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
    const HEADER: usize = 10;
    let bad = |what: &str| corrupt(format!("ziplist: {what}"));
    let end = frame(blob, HEADER, "ziplist")?;
    let tail = le(&blob[4..8]);
    if tail > end as u64 {
        return bad("tail offset outside the blob");
    }
    let declared = le(&blob[8..10]);
    let mut out = Vec::new();
    let (mut p, mut prev_size, mut last) = (HEADER, 0usize, None);
    // Every entry is checked to end at or before `end`, which holds 0xff.
    while blob[p] != 0xff {
        let (prevlen, mut q) = if blob[p] == 0xfe {
            match blob.get(p + 1..p + 5) {
                Some(b) if p + 5 <= end => (le(b) as usize, p + 5),
                _ => return bad("entry header past the end"),
            }
        } else {
            (blob[p] as usize, p + 1)
        };
        if prevlen != prev_size {
            return bad("an entry's previous-length differs from the previous entry's size");
        }
        if q >= end {
            return bad("entry header past the end");
        }
        let enc = blob[q];
        q += 1;
        let need = |q: usize, n: usize| -> Result<&[u8], RdbError> {
            match q.checked_add(n) {
                Some(e) if e <= end => Ok(&blob[q..e]),
                _ => corrupt("ziplist: entry past the end"),
            }
        };
        let (elem, size) = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                (Elem::Str(need(q, n)?), n)
            }
            1 => {
                let n = ((enc & 0x3f) as usize) << 8 | need(q, 1)?[0] as usize;
                q += 1;
                (Elem::Str(need(q, n)?), n)
            }
            2 => {
                let b = need(q, 4)?;
                let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                q += 4;
                (Elem::Str(need(q, n)?), n)
            }
            _ => match enc {
                0xc0 => (Elem::Int(signed(le(need(q, 2)?), 16)), 2),
                0xd0 => (Elem::Int(signed(le(need(q, 4)?), 32)), 4),
                0xe0 => (Elem::Int(le(need(q, 8)?) as i64), 8),
                0xf0 => (Elem::Int(signed(le(need(q, 3)?), 24)), 3),
                0xfe => (Elem::Int(signed(le(need(q, 1)?), 8)), 1),
                0xf1..=0xfd => (Elem::Int((enc & 0x0f) as i64 - 1), 0),
                _ => return bad("unknown entry encoding"),
            },
        };
        let next = q + size;
        out.push(elem);
        last = Some(p);
        prev_size = next - p;
        p = next;
    }
    if p != end {
        return bad("terminator before the end of the blob");
    }
    if let Some(last) = last {
        if last as u64 != tail {
            return bad("tail offset is not the last entry's");
        }
    }
    if declared != 0xffff && declared != out.len() as u64 {
        return bad("entry count in the header differs from the entries'");
    }
    Ok(out)
}

/// The size of the back-length that follows a listpack entry of `n` bytes.
fn backlen_size(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// True when `b` is the back-length of an entry of `n` bytes: its 7-bit
/// groups, most significant first, every byte but the first with the top
/// bit set (it is read from its last byte backwards).
fn backlen_matches(b: &[u8], n: usize) -> bool {
    let mut v: u64 = 0;
    for (i, &x) in b.iter().enumerate() {
        if (x & 0x80 != 0) != (i > 0) {
            return false;
        }
        v = v << 7 | (x & 0x7f) as u64;
    }
    v == n as u64
}

/// A listpack:
///
/// ```text
/// <total bytes u32><count u16> <entry>... <0xff>
/// entry: <encoding> <data> <back-length of encoding + data>
/// encoding: 0vvvvvvv 7-bit uint | 10llllll string | 110vvvvv vvvvvvvv 13-bit int
///           1110llll llllllll string | 0xf0 + u32 string
///           0xf1 i16 | 0xf2 i24 | 0xf3 i32 | 0xf4 i64
/// ```
///
/// Integers and the 32-bit length are little-endian; the count is the
/// entries' (or 65535).
pub(crate) fn listpack(blob: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
    const HEADER: usize = 6;
    let bad = |what: &str| corrupt(format!("listpack: {what}"));
    let end = frame(blob, HEADER, "listpack")?;
    let declared = le(&blob[4..6]);
    let mut out = Vec::new();
    let mut p = HEADER;
    while blob[p] != 0xff {
        let b = blob[p];
        let byte = |i: usize| -> Result<u8, RdbError> {
            match blob.get(p + i) {
                Some(&x) if p + i < end => Ok(x),
                _ => corrupt("listpack: entry past the end"),
            }
        };
        // (header bytes, data bytes); a string's data is read below.
        let (head, data, int) = if b & 0x80 == 0 {
            (1, 0, Some((b & 0x7f) as i64))
        } else if b & 0xc0 == 0x80 {
            (1, (b & 0x3f) as usize, None)
        } else if b & 0xe0 == 0xc0 {
            let v = ((b & 0x1f) as u64) << 8 | byte(1)? as u64;
            (2, 0, Some(signed(v, 13)))
        } else if b & 0xf0 == 0xe0 {
            (2, ((b & 0x0f) as usize) << 8 | byte(1)? as usize, None)
        } else {
            match b {
                0xf0 => {
                    let n = le(&[byte(1)?, byte(2)?, byte(3)?, byte(4)?]) as usize;
                    (5, n, None)
                }
                0xf1 => (3, 0, Some(0)),
                0xf2 => (4, 0, Some(0)),
                0xf3 => (5, 0, Some(0)),
                0xf4 => (9, 0, Some(0)),
                _ => return bad("unknown entry encoding"),
            }
        };
        let entry = head + data;
        let total = entry + backlen_size(entry);
        let next = match p.checked_add(total) {
            Some(n) if n <= end => n,
            _ => return bad("entry past the end"),
        };
        if !backlen_matches(&blob[p + entry..next], entry) {
            return bad("an entry's back-length differs from its size");
        }
        let elem = match int {
            Some(v) => Elem::Int(match b {
                0xf1 => signed(le(&blob[p + 1..p + 3]), 16),
                0xf2 => signed(le(&blob[p + 1..p + 4]), 24),
                0xf3 => signed(le(&blob[p + 1..p + 5]), 32),
                0xf4 => le(&blob[p + 1..p + 9]) as i64,
                _ => v,
            }),
            None => Elem::Str(&blob[p + head..p + entry]),
        };
        out.push(elem);
        p = next;
    }
    if p != end {
        return bad("terminator before the end of the blob");
    }
    if declared != 0xffff && declared != out.len() as u64 {
        return bad("entry count in the header differs from the entries'");
    }
    Ok(out)
}

/// An intset: `<encoding u32: 2, 4 or 8><count u32>` then the members,
/// each that many bytes little-endian, strictly ascending. An empty one
/// is corrupt, as Redis holds.
pub(crate) fn intset(blob: &[u8]) -> Result<Vec<i64>, RdbError> {
    let bad = |what: &str| corrupt(format!("intset: {what}"));
    if blob.len() < 8 {
        return bad("shorter than its header");
    }
    let width = le(&blob[0..4]);
    if !matches!(width, 2 | 4 | 8) {
        return bad("unknown encoding");
    }
    let count = le(&blob[4..8]);
    if 8 + count * width != blob.len() as u64 {
        return bad("size differs from the count's");
    }
    if count == 0 {
        return bad("empty");
    }
    let width = width as usize;
    let out: Vec<i64> = blob[8..]
        .chunks_exact(width)
        .map(|c| signed(le(c), 8 * width as u32))
        .collect();
    if out.windows(2).any(|w| w[0] >= w[1]) {
        return bad("members out of order or repeated");
    }
    Ok(out)
}

/// A field and its value.
pub(crate) type Pair<'a> = (&'a [u8], &'a [u8]);

/// A zipmap (Redis 2.4's small hashes):
///
/// ```text
/// <count u8, 254 when unknown> (<len><field><len><free u8><value><free bytes>)... <0xff>
/// len: one byte < 254, or 254 + u32 little-endian
/// ```
///
/// An empty one is corrupt, as Redis holds.
pub(crate) fn zipmap(blob: &[u8]) -> Result<Vec<Pair<'_>>, RdbError> {
    let bad = |what: &str| corrupt(format!("zipmap: {what}"));
    if blob.len() < 2 {
        return bad("shorter than its header");
    }
    let end = blob.len() - 1;
    if blob[end] != 0xff {
        return bad("no terminator");
    }
    // Reads a length at `p`; the returned position must still be checked.
    let len_at = |p: usize| -> Result<(usize, usize), RdbError> {
        match blob[p] {
            x if x < 254 => Ok((x as usize, p + 1)),
            _ => match blob.get(p + 1..p + 5) {
                Some(b) if p + 5 <= end => Ok((le(b) as usize, p + 5)),
                _ => corrupt("zipmap: entry past the end"),
            },
        }
    };
    let take = |p: usize, n: usize| -> Result<(&[u8], usize), RdbError> {
        match p.checked_add(n) {
            Some(e) if e <= end => Ok((&blob[p..e], e)),
            _ => corrupt("zipmap: entry past the end"),
        }
    };
    let mut out = Vec::new();
    let mut p = 1;
    while blob[p] != 0xff {
        let (n, q) = len_at(p)?;
        let (field, q) = take(q, n)?;
        if q >= end {
            return bad("entry past the end");
        }
        let (n, q) = len_at(q)?;
        let (&free, q) = match blob.get(q) {
            Some(f) if q < end => (f, q + 1),
            _ => return bad("entry past the end"),
        };
        let (value, q) = take(q, n)?;
        let (_, q) = take(q, free as usize)?;
        out.push((field, value));
        p = q;
    }
    if out.is_empty() {
        return bad("empty");
    }
    if blob[0] != 254 && blob[0] as usize != out.len() {
        return bad("entry count in the header differs from the entries'");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod build {
    //! Builders of packed blobs for tests, from the layouts above.

    use super::backlen_size;

    /// A ziplist entry's encoding and data (without its prevlen).
    pub(crate) enum Z<'a> {
        S(&'a [u8]),
        I8(i8),
        I16(i16),
        I24(i32),
        I32(i32),
        I64(i64),
        Imm(u8),
    }

    pub(crate) fn ziplist(entries: &[Z<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 10;
        for e in entries {
            let start = body.len();
            tail = 10 + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xfe);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match e {
                Z::S(s) if s.len() < 64 => body.push(s.len() as u8),
                Z::S(s) if s.len() < 16384 => body.extend_from_slice(&[0x40 | (s.len() >> 8) as u8, s.len() as u8]),
                Z::S(s) => {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                }
                Z::I8(v) => body.extend_from_slice(&[0xfe, *v as u8]),
                Z::I16(v) => {
                    body.push(0xc0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                Z::I24(v) => {
                    body.push(0xf0);
                    body.extend_from_slice(&v.to_le_bytes()[..3]);
                }
                Z::I32(v) => {
                    body.push(0xd0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                Z::I64(v) => {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                Z::Imm(v) => body.push(0xf1 + v),
            }
            if let Z::S(s) = e {
                body.extend_from_slice(s);
            }
            prev = body.len() - start;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
        out.extend_from_slice(&(tail as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xff);
        out
    }

    /// A listpack of strings and integers (`Err` is an integer), each in
    /// its smallest encoding.
    pub(crate) fn listpack(entries: &[Result<&[u8], i64>]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            let start = body.len();
            match *e {
                Ok(s) if s.len() < 64 => body.push(0x80 | s.len() as u8),
                Ok(s) if s.len() < 4096 => body.extend_from_slice(&[0xe0 | (s.len() >> 8) as u8, s.len() as u8]),
                Ok(s) => {
                    body.push(0xf0);
                    body.extend_from_slice(&(s.len() as u32).to_le_bytes());
                }
                Err(v) if (0..128).contains(&v) => body.push(v as u8),
                Err(v) if (-4096..4096).contains(&v) => {
                    let u = (v as u16) & 0x1fff;
                    body.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
                }
                Err(v) if i16::try_from(v).is_ok() => {
                    body.push(0xf1);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Err(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xf2);
                    body.extend_from_slice(&v.to_le_bytes()[..3]);
                }
                Err(v) if i32::try_from(v).is_ok() => {
                    body.push(0xf3);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Err(v) => {
                    body.push(0xf4);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
            if let Ok(s) = e {
                body.extend_from_slice(s);
            }
            let n = body.len() - start;
            let k = backlen_size(n);
            for i in (0..k).rev() {
                let group = ((n >> (7 * i)) & 0x7f) as u8;
                body.push(if i == k - 1 { group } else { group | 0x80 });
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((body.len() + 7) as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xff);
        out
    }

    pub(crate) fn intset(width: u32, members: &[i64]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&width.to_le_bytes());
        out.extend_from_slice(&(members.len() as u32).to_le_bytes());
        for m in members {
            out.extend_from_slice(&m.to_le_bytes()[..width as usize]);
        }
        out
    }

    pub(crate) fn zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
        let mut out = vec![pairs.len().min(254) as u8];
        let len = |out: &mut Vec<u8>, n: usize| {
            if n < 254 {
                out.push(n as u8);
            } else {
                out.push(254);
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (f, v) in pairs {
            len(&mut out, f.len());
            out.extend_from_slice(f);
            len(&mut out, v.len());
            out.push(free);
            out.extend_from_slice(v);
            out.extend(std::iter::repeat_n(0u8, free as usize));
        }
        out.push(0xff);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{self, Z};
    use super::*;

    #[test]
    fn ziplist_entries_of_every_encoding_decode() {
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 20000];
        let zl = build::ziplist(&[
            Z::S(b"abc"),
            Z::S(&long),
            Z::S(&huge),
            Z::S(b""),
            Z::I8(-5),
            Z::I16(-30000),
            Z::I24(-8_000_000),
            Z::I32(2_000_000_000),
            Z::I64(i64::MIN),
            Z::Imm(0),
            Z::Imm(12),
        ]);
        let got = ziplist(&zl).unwrap();
        assert_eq!(
            got,
            vec![
                Elem::Str(b"abc"),
                Elem::Str(&long),
                Elem::Str(&huge),
                Elem::Str(b""),
                Elem::Int(-5),
                Elem::Int(-30000),
                Elem::Int(-8_000_000),
                Elem::Int(2_000_000_000),
                Elem::Int(i64::MIN),
                Elem::Int(0),
                Elem::Int(12),
            ]
        );
        assert_eq!(ziplist(&build::ziplist(&[])).unwrap(), vec![]);
    }

    #[test]
    fn ziplist_header_and_links_are_checked() {
        let good = build::ziplist(&[Z::S(b"a"), Z::S(b"bc"), Z::I16(7)]);
        ziplist(&good).unwrap();
        let mutate = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            ziplist(&b).is_err()
        };
        assert!(mutate(0, 99), "zlbytes");
        assert!(mutate(4, 11), "zltail");
        assert!(mutate(8, 2), "zllen");
        assert!(mutate(10, 1), "first prevlen");
        assert!(mutate(13, 4), "second prevlen");
        assert!(mutate(11, 0xc1), "bad encoding");
        assert!(mutate(good.len() - 1, 0), "terminator");
        let mut unknown_count = good.clone();
        unknown_count[8] = 0xff;
        unknown_count[9] = 0xff;
        assert_eq!(ziplist(&unknown_count).unwrap().len(), 3);
        for n in 0..good.len() {
            assert!(ziplist(&good[..n]).is_err());
        }
    }

    #[test]
    fn listpack_entries_of_every_encoding_decode() {
        let long = vec![b'x'; 300];
        let huge = vec![b'y'; 5000];
        let ints = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            8_000_000,
            -8_388_608,
            i32::MIN as i64,
            i64::MAX,
        ];
        let mut entries: Vec<Result<&[u8], i64>> = vec![Ok(b"abc"), Ok(&long), Ok(&huge), Ok(b"")];
        entries.extend(ints.iter().map(|&v| Err(v)));
        let lp = build::listpack(&entries);
        let got = listpack(&lp).unwrap();
        let mut want = vec![Elem::Str(b"abc"), Elem::Str(&long), Elem::Str(&huge), Elem::Str(b"")];
        want.extend(ints.iter().map(|&v| Elem::Int(v)));
        assert_eq!(got, want);
        assert_eq!(Elem::Int(-42).to_bytes(), b"-42");
    }

    #[test]
    fn listpack_header_and_back_lengths_are_checked() {
        let good = build::listpack(&[Ok(b"a"), Ok(b"bc"), Err(1000)]);
        listpack(&good).unwrap();
        let mutate = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            listpack(&b).is_err()
        };
        assert!(mutate(0, 99), "total bytes");
        assert!(mutate(4, 2), "count");
        assert!(mutate(8, 3), "back-length");
        assert!(mutate(6, 0xf5), "bad encoding");
        assert!(mutate(6, 0xbf), "string past the end");
        assert!(mutate(good.len() - 1, 0), "terminator");
        for n in 0..good.len() {
            assert!(listpack(&good[..n]).is_err());
        }
    }

    #[test]
    fn intsets_of_each_width_decode_and_must_ascend() {
        assert_eq!(intset(&build::intset(2, &[-5, 7, 300])).unwrap(), vec![-5, 7, 300]);
        assert_eq!(intset(&build::intset(4, &[-70000, 1])).unwrap(), vec![-70000, 1]);
        assert_eq!(
            intset(&build::intset(8, &[i64::MIN, i64::MAX])).unwrap(),
            vec![i64::MIN, i64::MAX]
        );
        assert!(intset(&build::intset(2, &[7, 7])).is_err());
        assert!(intset(&build::intset(2, &[8, 7])).is_err());
        assert!(intset(&build::intset(2, &[])).is_err());
        assert!(intset(&build::intset(3, &[1])).is_err());
        let mut short = build::intset(4, &[1, 2]);
        short.pop();
        assert!(intset(&short).is_err());
        let mut huge_count = build::intset(8, &[1]);
        huge_count[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(intset(&huge_count).is_err());
    }

    #[test]
    fn zipmaps_decode_with_free_space_and_long_lengths() {
        let long = vec![b'v'; 300];
        let pairs: &[(&[u8], &[u8])] = &[(b"a", b"1"), (b"name", &long), (b"", b"")];
        for free in [0, 3] {
            let zm = build::zipmap(pairs, free);
            assert_eq!(zipmap(&zm).unwrap(), pairs.to_vec());
        }
        let zm = build::zipmap(pairs, 0);
        for n in 0..zm.len() {
            assert!(zipmap(&zm[..n]).is_err());
        }
        let mut wrong_count = zm.clone();
        wrong_count[0] = 2;
        assert!(zipmap(&wrong_count).is_err());
        assert!(zipmap(&[0, 0xff]).is_err(), "empty");
    }
}
