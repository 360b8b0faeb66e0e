//! DUMP and RESTORE payloads: one value as RDB writes it, then the RDB
//! version and a CRC-64, all little-endian:
//!
//! ```text
//! <type byte> <value> <version u16> <crc64 u64 of everything before it>
//! ```

use super::io::Reader;
use super::value::{put_value, read_value, type_of, Loaded};
use super::{CRC64, RDB_VERSION, RDB_VERSION_MAX};
use crate::store::{Value, ValueRef};

/// The payload DUMP replies with for `v`, in RDB version 10.
pub(crate) fn payload(v: ValueRef<'_>, compress: bool) -> Vec<u8> {
    let mut out = vec![type_of(v)];
    put_value(&mut out, v, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Why RESTORE refused a payload, in Redis's two cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadError {
    /// Too short for its footer, a version newer than ferrocache reads,
    /// or a checksum that does not match: "DUMP payload version or
    /// checksum are wrong".
    VersionOrChecksum,
    /// The body is not one whole value ferrocache can hold: "Bad data
    /// format".
    BadFormat,
}

/// The value in a DUMP payload of RDB version 11 or older. The body must
/// be exactly one value; an empty aggregate, a stream or module value, or
/// bytes after the value are [`PayloadError::BadFormat`].
pub(crate) fn parse_payload(p: &[u8]) -> Result<Value, PayloadError> {
    if p.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let (signed, crc) = p.split_at(p.len() - 8);
    let version = u16::from_le_bytes([signed[signed.len() - 2], signed[signed.len() - 1]]);
    if version > RDB_VERSION_MAX {
        return Err(PayloadError::VersionOrChecksum);
    }
    if CRC64.checksum(signed).to_le_bytes() != crc {
        return Err(PayloadError::VersionOrChecksum);
    }
    let body = &signed[..signed.len() - 2];
    let mut r = Reader::new(body);
    let ty = r.read_u8().map_err(|_| PayloadError::BadFormat)?;
    match read_value(&mut r, ty) {
        Ok(Loaded::Value(v)) if r.bytes_read() == body.len() as u64 => Ok(v),
        _ => Err(PayloadError::BadFormat),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::repl::rdb::types as t;
    use crate::repl::rdb::value::tests::{hash, list, sample_values, set, shape, stream_value, zset};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn every_value_shape_round_trips_through_a_payload() {
        for v in sample_values() {
            for compress in [false, true] {
                let p = payload(v.as_ref(), compress);
                assert_eq!(p[p.len() - 10..p.len() - 8], [10, 0], "version 10");
                let got = parse_payload(&p).unwrap();
                assert_eq!(shape(got.as_ref()), shape(v.as_ref()));
            }
        }
    }

    #[test]
    fn a_string_payload_is_byte_for_byte_what_redis_dumps() {
        // redis-cli SET k hello; DUMP k (Redis 7.0.15).
        let want = hex("000568656c6c6f0a006372df766534200a");
        assert_eq!(payload(ValueRef::Str(b"hello"), true), want);
        // SET k 12345; DUMP k.
        let want = hex("00c139300a009d94ea2793fc08b9");
        assert_eq!(payload(ValueRef::Str(b"12345"), true), want);
    }

    pub(crate) fn sign(mut body: Vec<u8>, version: u16) -> Vec<u8> {
        body.extend_from_slice(&version.to_le_bytes());
        let crc = CRC64.checksum(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        body
    }

    #[test]
    fn versions_up_to_11_are_read_and_newer_refused() {
        let body = vec![t::STRING, 1, b'x'];
        for v in [1, 9, 10, 11] {
            assert!(parse_payload(&sign(body.clone(), v)).is_ok(), "{v}");
        }
        assert_eq!(
            parse_payload(&sign(body, 12)).err(),
            Some(PayloadError::VersionOrChecksum)
        );
    }

    #[test]
    fn checksum_and_length_errors_are_version_or_checksum() {
        let p = payload(ValueRef::Str(b"hello"), true);
        for n in 0..10 {
            assert_eq!(
                parse_payload(&p[..n]).err(),
                Some(PayloadError::VersionOrChecksum),
                "{n}"
            );
        }
        for i in 0..p.len() {
            let mut m = p.clone();
            m[i] ^= 0x20;
            assert_eq!(
                parse_payload(&m).err(),
                Some(PayloadError::VersionOrChecksum),
                "byte {i}"
            );
        }
    }

    #[test]
    fn bodies_that_are_not_one_whole_value_are_bad_format() {
        let bad = |body: Vec<u8>| parse_payload(&sign(body, 10)).err();
        assert_eq!(bad(vec![]), Some(PayloadError::BadFormat), "no type byte");
        assert_eq!(
            bad(vec![t::STRING, 1, b'x', b'y']),
            Some(PayloadError::BadFormat),
            "trailing byte"
        );
        assert_eq!(bad(vec![t::STRING, 3, b'x']), Some(PayloadError::BadFormat), "short");
        assert_eq!(bad(vec![t::LIST, 0]), Some(PayloadError::BadFormat), "empty list");
        assert_eq!(bad(vec![0xfe, 0]), Some(PayloadError::BadFormat), "an opcode");
        let mut stream = vec![t::STREAM_LISTPACKS_2];
        stream.extend(stream_value(t::STREAM_LISTPACKS_2));
        assert_eq!(bad(stream), Some(PayloadError::BadFormat), "a stream");
    }

    #[test]
    fn every_truncation_and_byte_flip_is_refused_without_panic() {
        let values = [
            Value::Str(b"a string long enough to be compressed, compressed, compressed".to_vec()),
            list(&[b"a", b"1", b"-300"]),
            set(&[b"x", b"y"]),
            hash(&[(b"f", b"v")]),
            zset(&[(b"m", 2.5)]),
        ];
        for v in values {
            let p = payload(v.as_ref(), true);
            for n in 0..p.len() {
                assert!(parse_payload(&p[..n]).is_err());
            }
            // With the checksum fixed up, a flipped body byte reaches the
            // value reader: an error or another value, never a panic.
            let body = &p[..p.len() - 10];
            for i in 0..body.len() {
                for x in [0x01, 0x40, 0x80, 0xff] {
                    let mut m = body.to_vec();
                    m[i] ^= x;
                    let _ = parse_payload(&sign(m, 10));
                }
            }
        }
    }
}
