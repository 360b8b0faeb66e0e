//! DUMP and RESTORE payloads: one value as RDB writes it, then the RDB
//! version and a CRC-64, all little-endian:
//!
//! ```text
//! <type byte> <value> <version u16> <crc64 u64 of everything before it>
//! ```
//!
//! FUNCTION DUMP's payload has the same footer after the function
//! libraries, each as an RDB file holds it.

use super::io::{put_string, Reader};
use super::value::{put_value, read_value, type_of, Loaded};
use super::{opcodes, CRC64, RDB_VERSION, RDB_VERSION_MAX};
use crate::store::{Value, ValueRef};

/// The payload DUMP replies with for `v`, in RDB version 10.
pub(crate) fn payload(v: ValueRef<'_>, compress: bool) -> Vec<u8> {
    let mut out = vec![type_of(v)];
    put_value(&mut out, v, compress);
    put_footer(&mut out);
    out
}

/// Ends a payload: the RDB version, then a CRC-64 of all before it.
fn put_footer(out: &mut Vec<u8>) {
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = CRC64.checksum(out);
    out.extend_from_slice(&crc.to_le_bytes());
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
    let (body, _) = verify(p)?;
    let mut r = Reader::new(body);
    let ty = r.read_u8().map_err(|_| PayloadError::BadFormat)?;
    match read_value(&mut r, ty) {
        Ok(Loaded::Value(v)) if r.bytes_read() == body.len() as u64 => Ok(v),
        _ => Err(PayloadError::BadFormat),
    }
}

/// A payload's body and RDB version, once its footer is checked.
fn verify(p: &[u8]) -> Result<(&[u8], u16), PayloadError> {
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
    Ok((&signed[..signed.len() - 2], version))
}

/// The payload FUNCTION DUMP replies with: each library's code as an RDB
/// file holds it, then the footer.
pub(crate) fn functions_payload<'a>(codes: impl IntoIterator<Item = &'a [u8]>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(opcodes::FUNCTION2);
        put_string(&mut out, code, compress);
    }
    put_footer(&mut out);
    out
}

/// Why FUNCTION RESTORE refused a payload, in Redis's cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FunctionsPayloadError {
    /// The footer is wrong, as for [`PayloadError::VersionOrChecksum`].
    VersionOrChecksum,
    /// No type byte where one should be.
    NoType,
    /// A type byte other than a library's.
    NotAFunction,
    /// A library's fields end early; the field that is cut.
    Cut(&'static str),
}

/// The libraries' code in a FUNCTION DUMP payload.
pub(crate) fn parse_functions_payload(p: &[u8]) -> Result<Vec<Vec<u8>>, FunctionsPayloadError> {
    use FunctionsPayloadError::*;
    let (body, _) = verify(p).map_err(|_| VersionOrChecksum)?;
    let mut r = Reader::new(body);
    let mut codes = Vec::new();
    while r.bytes_read() < body.len() as u64 {
        let ty = r.read_u8().map_err(|_| NoType)?;
        if ty != opcodes::FUNCTION2 && ty != opcodes::FUNCTION_PRE_GA {
            return Err(NotAFunction);
        }
        codes.push(read_library(&mut r, ty).map_err(Cut)?);
    }
    Ok(codes)
}

/// One library's code after its opcode `ty`, [`opcodes::FUNCTION2`] or
/// [`opcodes::FUNCTION_PRE_GA`]; the field that is cut when it ends
/// early. Libraries of Redis 7.0's release candidates (name, engine and
/// code apart) come back with the `#!engine name=` line their code has
/// since.
pub(crate) fn read_library<R: std::io::Read>(r: &mut Reader<R>, ty: u8) -> Result<Vec<u8>, &'static str> {
    if ty == opcodes::FUNCTION2 {
        return r.read_string().map_err(|_| "library payload");
    }
    let name = r.read_string().map_err(|_| "library name")?;
    let engine = r.read_string().map_err(|_| "engine name")?;
    let has_desc = r.read_len().map_err(|_| "library description indicator")?;
    if has_desc != 0 {
        r.read_string().map_err(|_| "library description")?;
    }
    let blob = r.read_string().map_err(|_| "library blob")?;
    let mut code = b"#!".to_vec();
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&blob);
    Ok(code)
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

    #[test]
    fn a_functions_payload_is_byte_for_byte_what_redis_dumps() {
        // FUNCTION LOAD of this library, then FUNCTION DUMP (Redis 7.0.15).
        let code: &[u8] = b"#!lua name=lib\nredis.register_function('f', function() return 1 end)";
        let want = hex(
            "f5404423216c7561206e616d653d6c69620a72656469732e72656769737465725f66756e6374
             696f6e282766272c2066756e6374696f6e28292072657475726e203120656e64290a00afec4ac10dc90ca3",
        );
        assert_eq!(functions_payload([code], true), want);
        // This one compresses, as Redis's does.
        let long: &[u8] =
            b"#!lua name=persisted\nredis.register_function('echo1', function(keys, args) return args[1] end)";
        let packed = functions_payload([long], true);
        assert!(packed.len() < functions_payload([long], false).len());
        assert_eq!(parse_functions_payload(&packed), Ok(vec![long.to_vec()]));
        assert_eq!(parse_functions_payload(&want), Ok(vec![code.to_vec()]));
        assert_eq!(functions_payload([], true), sign(Vec::new(), 10));
        assert_eq!(parse_functions_payload(&sign(Vec::new(), 10)), Ok(vec![]));
    }

    #[test]
    fn a_pre_release_library_gets_its_first_line_back() {
        let mut body = vec![opcodes::FUNCTION_PRE_GA];
        for s in [&b"lib"[..], b"LUA"] {
            put_string(&mut body, s, false);
        }
        body.push(1);
        put_string(&mut body, b"about", false);
        put_string(
            &mut body,
            b"redis.register_function('f', function() return 1 end)",
            false,
        );
        let got = parse_functions_payload(&sign(body.clone(), 10)).unwrap();
        assert_eq!(
            got,
            vec![b"#!LUA name=lib\nredis.register_function('f', function() return 1 end)".to_vec()]
        );
        body.truncate(body.len() - 5);
        assert_eq!(
            parse_functions_payload(&sign(body, 10)),
            Err(FunctionsPayloadError::Cut("library blob"))
        );
        assert_eq!(
            parse_functions_payload(&sign(vec![0, 1, b'x'], 10)),
            Err(FunctionsPayloadError::NotAFunction)
        );
        assert_eq!(
            parse_functions_payload(b"short"),
            Err(FunctionsPayloadError::VersionOrChecksum)
        );
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
