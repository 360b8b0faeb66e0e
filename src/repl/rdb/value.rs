//! One value in RDB's encoding: what follows a key, after its type byte.
//!
//! Writing uses the plain types Redis 7.0 still loads, whatever the size:
//! a string (0), a list (1), a set (2), a hash (4) and a sorted set with
//! binary scores (5), each a count then its elements as strings. Redis
//! re-encodes them on load as its own settings ask, so nothing is lost by
//! not writing its packed forms, and no listpack encoder is needed here.
//!
//! Reading takes every type Redis 7.0 and 7.2 write and the older ones
//! they still load. Streams and module values, which ferrocache has no
//! type for, are read through to their end and reported as skipped.

use std::io::Read;

use super::io::{corrupt, parse_double, put_binary_double, put_len, put_string, RdbError, Reader};
use super::packed::{self, Elem};
use super::types as t;
use crate::store::{Aggregate, Hash, List, Set, Value, ValueRef, ZSet};
use crate::util::number::push_int;

/// The type byte [`put_value`] writes before `v`.
pub(crate) fn type_of(v: ValueRef<'_>) -> u8 {
    match v {
        ValueRef::Str(_) => t::STRING,
        ValueRef::List(_) => t::LIST,
        ValueRef::Set(_) => t::SET,
        ValueRef::Hash(_) => t::HASH,
        ValueRef::ZSet(_) => t::ZSET_2,
    }
}

/// Appends `v` in the encoding of [`type_of`]`(v)`; strings (and
/// elements) over 20 bytes are LZF-compressed when `compress` and it pays.
pub(crate) fn put_value(out: &mut Vec<u8>, v: ValueRef<'_>, compress: bool) {
    match v {
        ValueRef::Str(s) => put_string(out, s, compress),
        ValueRef::List(l) => {
            put_len(out, l.len() as u64);
            for e in l.iter() {
                put_string(out, e, compress);
            }
        }
        ValueRef::Set(s) => {
            put_len(out, s.len() as u64);
            for m in s.iter() {
                put_string(out, m, compress);
            }
        }
        ValueRef::Hash(h) => {
            put_len(out, h.len() as u64);
            for (f, v) in h.iter() {
                put_string(out, f, compress);
                put_string(out, v, compress);
            }
        }
        ValueRef::ZSet(z) => {
            put_len(out, z.len() as u64);
            // Highest score first, as Redis writes them: each one it
            // loads then goes in at the head of its skiplist.
            for (m, score) in z.iter().rev() {
                put_string(out, m, compress);
                put_binary_double(out, score);
            }
        }
    }
}

/// What [`read_value`] found.
#[derive(Debug)]
pub(crate) enum Loaded {
    Value(Value),
    /// An aggregate with no elements: Redis drops such a key on load.
    Empty,
    /// A value of a type ferrocache has no equivalent for (`"stream"`,
    /// `"module"`), read through to its end.
    Skipped(&'static str),
}

fn agg(a: Aggregate) -> Loaded {
    if a.is_empty() {
        Loaded::Empty
    } else {
        Loaded::Value(Value::Agg(Box::new(a)))
    }
}

/// The elements of a ziplist (`ziplist`) or a listpack.
fn unpack(blob: &[u8], ziplist: bool) -> Result<Vec<packed::Elem<'_>>, RdbError> {
    match ziplist {
        true => packed::ziplist(blob),
        false => packed::listpack(blob),
    }
}

/// Reads a value of type `ty` (the byte before its key). Elements a type
/// must hold once (set members, hash fields, sorted-set members) are
/// corrupt when repeated, as are NaN scores; packed blobs are checked in
/// full before use.
pub(crate) fn read_value<R: Read>(r: &mut Reader<R>, ty: u8) -> Result<Loaded, RdbError> {
    Ok(match ty {
        t::STRING => Loaded::Value(Value::Str(r.read_string()?)),
        t::LIST => {
            let mut l = List::default();
            for _ in 0..r.read_len()? {
                l.push_back(&r.read_string()?);
            }
            agg(Aggregate::List(l))
        }
        t::SET => {
            let mut s = Set::default();
            for _ in 0..r.read_len()? {
                add_member(&mut s, &r.read_string()?)?;
            }
            agg(Aggregate::Set(s))
        }
        t::ZSET | t::ZSET_2 => {
            let mut z = ZSet::default();
            for _ in 0..r.read_len()? {
                let m = r.read_string()?;
                let score = match ty {
                    t::ZSET_2 => r.read_binary_double()?,
                    _ => r.read_string_double()?,
                };
                add_scored(&mut z, &m, score)?;
            }
            agg(Aggregate::ZSet(z))
        }
        t::HASH => {
            let mut h = Hash::default();
            for _ in 0..r.read_len()? {
                let f = r.read_string()?;
                add_field(&mut h, &f, &r.read_string()?)?;
            }
            agg(Aggregate::Hash(h))
        }
        t::MODULE => return corrupt("module value of the first format: only its module can read it"),
        t::MODULE_2 => {
            skip_module(r)?;
            Loaded::Skipped("module")
        }
        t::HASH_ZIPMAP => {
            let blob = r.read_string()?;
            let mut h = Hash::default();
            for (f, v) in packed::zipmap(&blob)? {
                add_field(&mut h, f, v)?;
            }
            agg(Aggregate::Hash(h))
        }
        t::LIST_ZIPLIST => {
            let blob = r.read_string()?;
            let mut l = List::default();
            for e in packed::ziplist(&blob)? {
                l.push_back(&e.to_bytes());
            }
            agg(Aggregate::List(l))
        }
        t::SET_INTSET => {
            let blob = r.read_string()?;
            let mut s = Set::default();
            let mut text = Vec::with_capacity(20);
            for v in packed::intset(&blob)? {
                text.clear();
                push_int(&mut text, v);
                s.insert(&text);
            }
            agg(Aggregate::Set(s))
        }
        t::SET_LISTPACK => {
            let blob = r.read_string()?;
            let mut s = Set::default();
            for e in packed::listpack(&blob)? {
                add_member(&mut s, &e.to_bytes())?;
            }
            agg(Aggregate::Set(s))
        }
        t::ZSET_ZIPLIST | t::ZSET_LISTPACK => {
            let blob = r.read_string()?;
            let elems = unpack(&blob, ty == t::ZSET_ZIPLIST)?;
            let mut z = ZSet::default();
            for pair in pairs(&elems)? {
                let score = match pair[1] {
                    Elem::Int(v) => v as f64,
                    Elem::Str(s) => match parse_double(s) {
                        Some(v) => v,
                        None => return corrupt("unreadable sorted-set score"),
                    },
                };
                add_scored(&mut z, &pair[0].to_bytes(), score)?;
            }
            agg(Aggregate::ZSet(z))
        }
        t::HASH_ZIPLIST | t::HASH_LISTPACK => {
            let blob = r.read_string()?;
            let elems = unpack(&blob, ty == t::HASH_ZIPLIST)?;
            let mut h = Hash::default();
            for pair in pairs(&elems)? {
                add_field(&mut h, &pair[0].to_bytes(), &pair[1].to_bytes())?;
            }
            agg(Aggregate::Hash(h))
        }
        t::LIST_QUICKLIST | t::LIST_QUICKLIST_2 => agg(Aggregate::List(read_quicklist(r, ty)?)),
        t::STREAM_LISTPACKS | t::STREAM_LISTPACKS_2 | t::STREAM_LISTPACKS_3 => {
            skip_stream(r, ty)?;
            Loaded::Skipped("stream")
        }
        _ => return corrupt(format!("unknown value type {ty}")),
    })
}

fn add_member(s: &mut Set, m: &[u8]) -> Result<(), RdbError> {
    match s.insert(m) {
        true => Ok(()),
        false => corrupt("set member repeated"),
    }
}

fn add_field(h: &mut Hash, f: &[u8], v: &[u8]) -> Result<(), RdbError> {
    match h.insert(f, v) {
        true => Ok(()),
        false => corrupt("hash field repeated"),
    }
}

fn add_scored(z: &mut ZSet, m: &[u8], score: f64) -> Result<(), RdbError> {
    if score.is_nan() {
        return corrupt("sorted-set score is NaN");
    }
    match z.insert(m, score) {
        true => Ok(()),
        false => corrupt("sorted-set member repeated"),
    }
}

/// The elements of a packed hash or sorted set as (field, value) pairs.
fn pairs<'e, 'b>(elems: &'e [Elem<'b>]) -> Result<std::slice::ChunksExact<'e, Elem<'b>>, RdbError> {
    if !elems.len().is_multiple_of(2) {
        return corrupt("odd number of elements in a packed hash or sorted set");
    }
    Ok(elems.chunks_exact(2))
}

/// Quicklist nodes: ziplists (type 14), or listpacks and single plain
/// elements each after its container number (type 18: 1 plain, 2 packed).
/// Empty nodes are passed over, as Redis does.
fn read_quicklist<R: Read>(r: &mut Reader<R>, ty: u8) -> Result<List, RdbError> {
    const PLAIN: u64 = 1;
    const PACKED: u64 = 2;
    let mut l = List::default();
    for _ in 0..r.read_len()? {
        let container = match ty {
            t::LIST_QUICKLIST_2 => r.read_len()?,
            _ => PACKED,
        };
        if container != PLAIN && container != PACKED {
            return corrupt(format!("unknown quicklist container {container}"));
        }
        let node = r.read_string()?;
        if node.is_empty() {
            return corrupt("empty quicklist node");
        }
        if container == PLAIN {
            l.push_back(&node);
            continue;
        }
        let elems = match ty {
            t::LIST_QUICKLIST_2 => packed::listpack(&node)?,
            _ => packed::ziplist(&node)?,
        };
        for e in elems {
            l.push_back(&e.to_bytes());
        }
    }
    Ok(l)
}

/// A module value (type 7) after its module id: opcodes, each with its
/// operand, up to the end opcode.
fn skip_module<R: Read>(r: &mut Reader<R>) -> Result<(), RdbError> {
    r.read_len()?;
    loop {
        match r.read_len()? {
            0 => return Ok(()),
            1 | 2 => {
                r.read_len()?;
            }
            3 => {
                r.read_u32_le()?;
            }
            4 => {
                r.read_u64_le()?;
            }
            5 => {
                r.read_string()?;
            }
            op => return corrupt(format!("unknown module value opcode {op}")),
        }
    }
}

/// A stream, read field by field and dropped:
///
/// ```text
/// <listpack count> (<master id: 16-byte string> <listpack string>)...
/// <length> <last id ms> <last id seq>
/// [type 19+: <first id ms> <seq> <max deleted id ms> <seq> <entries added>]
/// <group count> (<name> <last id ms> <seq> [type 19+: <entries read>]
///     <pending count> (<16-byte id> <delivery ms u64> <delivery count>)...
///     <consumer count> (<name> <seen ms u64> [type 21: <active ms u64>]
///         <pending count> <16-byte id>...)...)...
/// ```
fn skip_stream<R: Read>(r: &mut Reader<R>, ty: u8) -> Result<(), RdbError> {
    let nodes = r.read_len()?;
    for _ in 0..nodes {
        if r.read_string()?.len() != 16 {
            return corrupt("stream node key is not a stream id");
        }
        let lp = r.read_string()?;
        if packed::listpack(&lp)?.is_empty() {
            return corrupt("empty listpack in a stream");
        }
    }
    let length = r.read_len()?;
    if length > 0 && nodes == 0 {
        return corrupt("stream length without entries");
    }
    let ids = match ty {
        t::STREAM_LISTPACKS => 2,
        _ => 7,
    };
    for _ in 0..ids {
        r.read_len()?;
    }
    let mut id = [0u8; 16];
    for _ in 0..r.read_len()? {
        r.read_string()?;
        r.read_len()?;
        r.read_len()?;
        if ty != t::STREAM_LISTPACKS {
            r.read_len()?;
        }
        for _ in 0..r.read_len()? {
            r.read_exact(&mut id)?;
            r.read_u64_le()?;
            r.read_len()?;
        }
        for _ in 0..r.read_len()? {
            r.read_string()?;
            r.read_u64_le()?;
            if ty == t::STREAM_LISTPACKS_3 {
                r.read_u64_le()?;
            }
            for _ in 0..r.read_len()? {
                r.read_exact(&mut id)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::repl::rdb::packed::build::{self, Z};

    /// The value's contents in a comparable form: sets and hashes sorted.
    #[derive(Debug, PartialEq)]
    pub(crate) enum Shape {
        Str(Vec<u8>),
        List(Vec<Vec<u8>>),
        Set(Vec<Vec<u8>>),
        Hash(Vec<(Vec<u8>, Vec<u8>)>),
        ZSet(Vec<(Vec<u8>, u64)>),
    }

    pub(crate) fn shape(v: ValueRef<'_>) -> Shape {
        match v {
            ValueRef::Str(s) => Shape::Str(s.to_vec()),
            ValueRef::List(l) => Shape::List(l.iter().map(<[u8]>::to_vec).collect()),
            ValueRef::Set(s) => {
                let mut m: Vec<_> = s.iter().map(<[u8]>::to_vec).collect();
                m.sort();
                Shape::Set(m)
            }
            ValueRef::Hash(h) => {
                let mut m: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                m.sort();
                Shape::Hash(m)
            }
            // Scores by their bits, so -0 and 0 differ and inf compares.
            ValueRef::ZSet(z) => Shape::ZSet(z.iter().map(|(m, s)| (m.to_vec(), s.to_bits())).collect()),
        }
    }

    pub(crate) fn list(items: &[&[u8]]) -> Value {
        let mut l = List::default();
        for i in items {
            l.push_back(i);
        }
        Value::Agg(Box::new(Aggregate::List(l)))
    }

    pub(crate) fn set(items: &[&[u8]]) -> Value {
        let mut s = Set::default();
        for i in items {
            s.insert(i);
        }
        Value::Agg(Box::new(Aggregate::Set(s)))
    }

    pub(crate) fn hash(pairs: &[(&[u8], &[u8])]) -> Value {
        let mut h = Hash::default();
        for (f, v) in pairs {
            h.insert(f, v);
        }
        Value::Agg(Box::new(Aggregate::Hash(h)))
    }

    pub(crate) fn zset(pairs: &[(&[u8], f64)]) -> Value {
        let mut z = ZSet::default();
        for (m, s) in pairs {
            z.insert(m, *s);
        }
        Value::Agg(Box::new(Aggregate::ZSet(z)))
    }

    /// Reads one value of type `ty` from `bytes`, which it must use up.
    pub(crate) fn read_all(ty: u8, bytes: &[u8]) -> Result<Loaded, RdbError> {
        let mut r = Reader::new(bytes);
        let got = read_value(&mut r, ty)?;
        assert_eq!(r.bytes_read(), bytes.len() as u64, "the value ends where its bytes do");
        Ok(got)
    }

    fn loaded_shape(l: Loaded) -> Shape {
        match l {
            Loaded::Value(v) => shape(v.as_ref()),
            other => panic!("expected a value, got {other:?}"),
        }
    }

    pub(crate) fn sample_values() -> Vec<Value> {
        let long_text: Vec<u8> = b"ferrocache ".iter().cycle().take(3000).copied().collect();
        let mut x = 99u64;
        let noise: Vec<u8> = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut out = vec![
            Value::Str(vec![]),
            Value::Str(b"hello".to_vec()),
            Value::Str(vec![0, 1, 2, 255, b'\r', b'\n']),
            Value::Str(long_text.clone()),
            Value::Str(noise.clone()),
        ];
        for s in [
            "0",
            "-128",
            "127",
            "128",
            "-129",
            "-32768",
            "32767",
            "32768",
            "-32769",
            "-2147483648",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775807",
            "007",
            "-0",
            "+5",
            "1.5",
        ] {
            out.push(Value::Str(s.as_bytes().to_vec()));
        }
        out.push(list(&[b"a", b"", b"12", b"-7", &long_text, &noise, b"a"]));
        out.push(set(&[b"1", b"2", b"-300", b"70000", b"9223372036854775807"]));
        out.push(set(&[b"x", b"y", &long_text, b"42"]));
        out.push(hash(&[(b"f", b"v"), (b"n", b"100"), (b"", b""), (&long_text, &noise)]));
        out.push(zset(&[
            (b"a", 1.5),
            (b"b", f64::INFINITY),
            (b"c", f64::NEG_INFINITY),
            (b"d", -0.0),
            (b"e", 1e300),
            (b"f", -2.0),
            (&long_text, 3.25),
        ]));
        let big: Vec<Vec<u8>> = (0..5000).map(|i| format!("item:{i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = big.iter().map(Vec::as_slice).collect();
        out.push(list(&refs));
        out.push(set(&refs));
        let pairs: Vec<(&[u8], &[u8])> = refs.iter().map(|r| (*r, &r[5..])).collect();
        out.push(hash(&pairs));
        let scored: Vec<(&[u8], f64)> = refs.iter().enumerate().map(|(i, r)| (*r, i as f64 / 3.0)).collect();
        out.push(zset(&scored));
        let ints: Vec<Vec<u8>> = (0..1000)
            .map(|i| (i * 7919 - 3_000_000i64).to_string().into_bytes())
            .collect();
        let refs: Vec<&[u8]> = ints.iter().map(Vec::as_slice).collect();
        out.push(set(&refs));
        out
    }

    #[test]
    fn every_value_shape_round_trips() {
        for v in sample_values() {
            for compress in [false, true] {
                let mut out = Vec::new();
                put_value(&mut out, v.as_ref(), compress);
                let got = read_all(type_of(v.as_ref()), &out).unwrap();
                assert_eq!(loaded_shape(got), shape(v.as_ref()));
            }
        }
    }

    #[test]
    fn plain_types_are_written() {
        let cases = [
            (Value::Str(b"x".to_vec()), t::STRING),
            (list(&[b"x"]), t::LIST),
            (set(&[b"x"]), t::SET),
            (hash(&[(b"x", b"y")]), t::HASH),
            (zset(&[(b"x", 1.0)]), t::ZSET_2),
        ];
        for (v, ty) in cases {
            assert_eq!(type_of(v.as_ref()), ty);
        }
        let mut out = Vec::new();
        put_value(&mut out, zset(&[(b"a", 1.0), (b"b", 2.0)]).as_ref(), false);
        assert_eq!(out[..3], [2, 1, b'b'], "highest score first");
    }

    /// The types whose value starts with an element count.
    const COUNTED: [u8; 7] = [
        t::LIST,
        t::SET,
        t::ZSET,
        t::ZSET_2,
        t::HASH,
        t::LIST_QUICKLIST,
        t::LIST_QUICKLIST_2,
    ];

    #[test]
    fn empty_aggregates_load_as_empty() {
        for ty in COUNTED {
            assert!(matches!(read_all(ty, &[0]).unwrap(), Loaded::Empty), "{ty}");
        }
        let mut zl = Vec::new();
        put_string(&mut zl, &build::ziplist(&[]), false);
        for ty in [t::LIST_ZIPLIST, t::ZSET_ZIPLIST, t::HASH_ZIPLIST] {
            assert!(matches!(read_all(ty, &zl).unwrap(), Loaded::Empty), "{ty}");
        }
        let mut lp = Vec::new();
        put_string(&mut lp, &build::listpack(&[]), false);
        for ty in [t::SET_LISTPACK, t::ZSET_LISTPACK, t::HASH_LISTPACK] {
            assert!(matches!(read_all(ty, &lp).unwrap(), Loaded::Empty), "{ty}");
        }
        // A quicklist whose only node is an empty ziplist.
        let mut ql = vec![1];
        put_string(&mut ql, &build::ziplist(&[]), false);
        assert!(matches!(read_all(t::LIST_QUICKLIST, &ql).unwrap(), Loaded::Empty));
    }

    fn blob_value(blob: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_string(&mut out, blob, false);
        out
    }

    #[test]
    fn old_packed_encodings_load() {
        let zm = build::zipmap(&[(b"name", b"redis"), (b"n", b"24")], 2);
        assert_eq!(
            loaded_shape(read_all(t::HASH_ZIPMAP, &blob_value(&zm)).unwrap()),
            shape(hash(&[(b"name", b"redis"), (b"n", b"24")]).as_ref())
        );
        let zl = build::ziplist(&[Z::S(b"a"), Z::I8(-3), Z::Imm(7), Z::I64(1 << 40), Z::S(b"a")]);
        assert_eq!(
            loaded_shape(read_all(t::LIST_ZIPLIST, &blob_value(&zl)).unwrap()),
            shape(list(&[b"a", b"-3", b"7", b"1099511627776", b"a"]).as_ref())
        );
        let zl = build::ziplist(&[
            Z::S(b"m"),
            Z::S(b"1.5"),
            Z::I16(300),
            Z::I8(-2),
            Z::S(b"x"),
            Z::S(b"inf"),
        ]);
        assert_eq!(
            loaded_shape(read_all(t::ZSET_ZIPLIST, &blob_value(&zl)).unwrap()),
            shape(zset(&[(b"m", 1.5), (b"300", -2.0), (b"x", f64::INFINITY)]).as_ref())
        );
        let zl = build::ziplist(&[Z::S(b"f"), Z::S(b"v"), Z::I16(1000), Z::I32(-100000)]);
        assert_eq!(
            loaded_shape(read_all(t::HASH_ZIPLIST, &blob_value(&zl)).unwrap()),
            shape(hash(&[(b"f", b"v"), (b"1000", b"-100000")]).as_ref())
        );
        for (width, members) in [
            (2, vec![-2i64, 5, 300]),
            (4, vec![-70000, 0]),
            (8, vec![i64::MIN, 1 << 40]),
        ] {
            let is = build::intset(width, &members);
            let text: Vec<Vec<u8>> = members.iter().map(|m| m.to_string().into_bytes()).collect();
            let refs: Vec<&[u8]> = text.iter().map(Vec::as_slice).collect();
            assert_eq!(
                loaded_shape(read_all(t::SET_INTSET, &blob_value(&is)).unwrap()),
                shape(set(&refs).as_ref())
            );
        }
        let lp = build::listpack(&[Ok(b"a"), Err(5), Ok(b"zz"), Err(-70000)]);
        assert_eq!(
            loaded_shape(read_all(t::SET_LISTPACK, &blob_value(&lp)).unwrap()),
            shape(set(&[b"a", b"5", b"zz", b"-70000"]).as_ref())
        );
        // Quicklist v1: a count of ziplist nodes, one of them empty.
        let mut ql = vec![3];
        put_string(&mut ql, &build::ziplist(&[Z::S(b"a"), Z::I8(1)]), false);
        put_string(&mut ql, &build::ziplist(&[]), false);
        put_string(&mut ql, &build::ziplist(&[Z::S(&[b'q'; 100])]), true);
        assert_eq!(
            loaded_shape(read_all(t::LIST_QUICKLIST, &ql).unwrap()),
            shape(list(&[b"a", b"1", &[b'q'; 100]]).as_ref())
        );
        // Quicklist v2: a packed node and a plain one.
        let mut ql = vec![2, 2];
        put_string(&mut ql, &build::listpack(&[Ok(b"x"), Err(-1)]), true);
        ql.push(1);
        put_string(&mut ql, &[b'p'; 50], true);
        assert_eq!(
            loaded_shape(read_all(t::LIST_QUICKLIST_2, &ql).unwrap()),
            shape(list(&[b"x", b"-1", &[b'p'; 50]]).as_ref())
        );
    }

    #[test]
    fn the_old_zset_type_reads_text_scores() {
        let mut b = vec![3];
        put_string(&mut b, b"a", false);
        b.extend_from_slice(&[3, b'1', b'.', b'5']);
        put_string(&mut b, b"b", false);
        b.push(254);
        put_string(&mut b, b"c", false);
        b.push(255);
        assert_eq!(
            loaded_shape(read_all(t::ZSET, &b).unwrap()),
            shape(zset(&[(b"a", 1.5), (b"b", f64::INFINITY), (b"c", f64::NEG_INFINITY)]).as_ref())
        );
        let mut nan = vec![1];
        put_string(&mut nan, b"a", false);
        nan.push(253);
        assert!(matches!(read_all(t::ZSET, &nan), Err(RdbError::Corrupt(_))));
    }

    fn is_corrupt(ty: u8, bytes: &[u8]) -> bool {
        matches!(read_value(&mut Reader::new(bytes), ty), Err(RdbError::Corrupt(_)))
    }

    #[test]
    fn repeated_members_and_nan_scores_are_corrupt() {
        let mut b = vec![2];
        put_string(&mut b, b"x", false);
        put_string(&mut b, b"x", false);
        assert!(is_corrupt(t::SET, &b));
        let mut h = b.clone();
        put_string(&mut h, b"x", false);
        put_string(&mut h, b"x", false);
        assert!(is_corrupt(t::HASH, &h));
        let mut z = vec![2];
        for _ in 0..2 {
            put_string(&mut z, b"m", false);
            put_binary_double(&mut z, 1.0);
        }
        assert!(is_corrupt(t::ZSET_2, &z));
        let mut z = vec![1];
        put_string(&mut z, b"m", false);
        put_binary_double(&mut z, f64::NAN);
        assert!(is_corrupt(t::ZSET_2, &z));
        let dup_lp = blob_value(&build::listpack(&[Ok(b"a"), Ok(b"1"), Ok(b"a"), Ok(b"2")]));
        assert!(is_corrupt(t::HASH_LISTPACK, &dup_lp));
        assert!(is_corrupt(t::ZSET_LISTPACK, &dup_lp));
        assert!(is_corrupt(t::SET_LISTPACK, &dup_lp));
        let nan_lp = blob_value(&build::listpack(&[Ok(b"a"), Ok(b"nan")]));
        assert!(is_corrupt(t::ZSET_LISTPACK, &nan_lp));
        let odd = blob_value(&build::listpack(&[Ok(b"a"), Ok(b"1"), Ok(b"b")]));
        assert!(is_corrupt(t::HASH_LISTPACK, &odd));
        assert!(is_corrupt(t::ZSET_LISTPACK, &odd));
        let dup_zl = blob_value(&build::ziplist(&[Z::S(b"a"), Z::S(b"1"), Z::S(b"a"), Z::S(b"2")]));
        assert!(is_corrupt(t::HASH_ZIPLIST, &dup_zl));
        assert!(is_corrupt(t::ZSET_ZIPLIST, &dup_zl));
        let dup_zm = blob_value(&build::zipmap(&[(b"a", b"1"), (b"a", b"2")], 0));
        assert!(is_corrupt(t::HASH_ZIPMAP, &dup_zm));
        assert!(is_corrupt(t::LIST_QUICKLIST_2, &[1, 3, 1, b'x']), "unknown container");
        assert!(is_corrupt(t::LIST_QUICKLIST_2, &[1, 1, 0]), "empty node");
        assert!(is_corrupt(t::MODULE, &[0]));
        assert!(is_corrupt(8, &[0]));
        assert!(is_corrupt(22, &[0]));
    }

    /// A module value: id, then a signed int, an unsigned int, a float, a
    /// double, a string, and the end opcode.
    fn module_value() -> Vec<u8> {
        let mut b = Vec::new();
        put_len(&mut b, 0x1234_5678_9abc_d001);
        b.extend_from_slice(&[1, 0x40, 0x99, 2, 5]);
        b.push(3);
        b.extend_from_slice(&1.5f32.to_le_bytes());
        b.push(4);
        put_binary_double(&mut b, 2.5);
        b.push(5);
        put_string(&mut b, b"module data", false);
        b.push(0);
        b
    }

    #[test]
    fn module_values_are_skipped_to_their_end() {
        let b = module_value();
        assert!(matches!(read_all(t::MODULE_2, &b).unwrap(), Loaded::Skipped("module")));
        let mut bad = b.clone();
        bad[9] = 6;
        assert!(is_corrupt(t::MODULE_2, &bad), "unknown opcode");
    }

    /// A one-entry stream listpack, as XADD writes one (its fields are not
    /// interpreted, only its listpack structure).
    fn stream_listpack() -> Vec<u8> {
        build::listpack(&[
            Err(1),
            Err(0),
            Err(0),
            Err(1),
            Ok(b"field"),
            Err(0),
            Err(0),
            Err(0),
            Err(0),
            Ok(b"value"),
            Err(4),
        ])
    }

    /// A stream of `ty` with one listpack node and one consumer group that
    /// has one pending entry owned by one consumer.
    pub(crate) fn stream_value(ty: u8) -> Vec<u8> {
        let mut b = vec![1];
        let mut id = [0u8; 16];
        id[7] = 1;
        put_string(&mut b, &id, false);
        put_string(&mut b, &stream_listpack(), false);
        b.push(1); // length
        put_len(&mut b, 1_700_000_000_000); // last id
        b.push(0);
        if ty != t::STREAM_LISTPACKS {
            put_len(&mut b, 1_700_000_000_000); // first id
            b.push(0);
            b.extend_from_slice(&[0, 0]); // max deleted id
            b.push(1); // entries added
        }
        b.push(1); // groups
        put_string(&mut b, b"group", false);
        put_len(&mut b, 1_700_000_000_000);
        b.push(0);
        if ty != t::STREAM_LISTPACKS {
            b.push(1); // entries read
        }
        b.push(1); // global pending
        b.extend_from_slice(&id);
        b.extend_from_slice(&1_700_000_000_500u64.to_le_bytes());
        b.push(1); // delivery count
        b.push(1); // consumers
        put_string(&mut b, b"alice", false);
        b.extend_from_slice(&1_700_000_000_500u64.to_le_bytes());
        if ty == t::STREAM_LISTPACKS_3 {
            b.extend_from_slice(&1_700_000_000_600u64.to_le_bytes());
        }
        b.push(1);
        b.extend_from_slice(&id);
        b
    }

    #[test]
    fn streams_of_each_version_are_skipped_to_their_end() {
        for ty in [t::STREAM_LISTPACKS, t::STREAM_LISTPACKS_2, t::STREAM_LISTPACKS_3] {
            let mut b = stream_value(ty);
            // The reader must stop exactly after the stream: the next
            // value follows.
            b.push(0x05);
            b.extend_from_slice(b"after");
            let mut r = Reader::new(&b[..]);
            assert!(
                matches!(read_value(&mut r, ty).unwrap(), Loaded::Skipped("stream")),
                "{ty}"
            );
            assert_eq!(r.read_string().unwrap(), b"after");
            for n in 0..b.len() - 6 {
                assert!(read_value(&mut Reader::new(&b[..n]), ty).is_err(), "{ty} cut at {n}");
            }
        }
        // A node key that is not 16 bytes, and an empty node listpack.
        let mut b = vec![1];
        put_string(&mut b, b"short", false);
        assert!(is_corrupt(t::STREAM_LISTPACKS_2, &b));
        let mut b = vec![1];
        put_string(&mut b, &[0; 16], false);
        put_string(&mut b, &build::listpack(&[]), false);
        assert!(is_corrupt(t::STREAM_LISTPACKS_2, &b));
    }

    #[test]
    fn hostile_counts_end_at_the_end_of_input() {
        let mut huge = Vec::new();
        put_len(&mut huge, 1 << 60);
        for ty in COUNTED.into_iter().chain([t::STREAM_LISTPACKS_3]) {
            let mut b = huge.clone();
            put_string(&mut b, b"1", false);
            assert!(read_value(&mut Reader::new(&b[..]), ty).is_err(), "{ty}");
        }
    }

    #[test]
    fn truncations_and_mutations_never_panic() {
        let mut inputs: Vec<(u8, Vec<u8>)> = Vec::new();
        for v in sample_values() {
            let mut out = Vec::new();
            put_value(&mut out, v.as_ref(), true);
            if out.len() < 5000 {
                inputs.push((type_of(v.as_ref()), out));
            }
        }
        inputs.push((t::MODULE_2, module_value()));
        inputs.push((t::STREAM_LISTPACKS_3, stream_value(t::STREAM_LISTPACKS_3)));
        let zl = build::ziplist(&[Z::S(b"a"), Z::I8(-3), Z::S(b"b"), Z::I64(1 << 40)]);
        for ty in [t::LIST_ZIPLIST, t::HASH_ZIPLIST, t::ZSET_ZIPLIST] {
            inputs.push((ty, blob_value(&zl)));
        }
        let lp = build::listpack(&[Ok(b"a"), Err(-3), Ok(b"b"), Err(1 << 40)]);
        for ty in [t::SET_LISTPACK, t::HASH_LISTPACK, t::ZSET_LISTPACK] {
            inputs.push((ty, blob_value(&lp)));
        }
        inputs.push((t::SET_INTSET, blob_value(&build::intset(4, &[-1, 2, 70000]))));
        inputs.push((t::HASH_ZIPMAP, blob_value(&build::zipmap(&[(b"a", b"b")], 1))));
        for (ty, b) in &inputs {
            // Every prefix of small inputs, every 13th of larger ones.
            for n in (0..b.len()).step_by(if b.len() > 600 { 13 } else { 1 }) {
                assert!(read_value(&mut Reader::new(&b[..n]), *ty).is_err(), "{ty} cut at {n}");
            }
            if b.len() > 400 {
                continue;
            }
            for i in 0..b.len() {
                for x in [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff] {
                    let mut m = b.clone();
                    m[i] ^= x;
                    let _ = read_value(&mut Reader::new(&m[..]), *ty);
                }
            }
        }
    }
}
