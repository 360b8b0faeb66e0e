//! RDB's primitives: lengths, strings, doubles and times, written to a
//! buffer and read back from any `Read`.
//!
//! A length is one to nine bytes, chosen by the first byte's top bits:
//!
//! ```text
//! 00xxxxxx                  6 bits
//! 01xxxxxx yyyyyyyy         14 bits, big-endian
//! 10000000 + 4 bytes        32 bits, big-endian
//! 10000001 + 8 bytes        64 bits, big-endian
//! 11xxxxxx                  no length: a string in a special encoding xxxxxx
//! ```
//!
//! A string is a length and that many bytes, or one of the special
//! encodings: 0, 1, 2 for an integer in 1, 2 or 4 little-endian bytes
//! (read back as its decimal text), 3 for LZF (compressed length,
//! uncompressed length, compressed bytes).

use std::fmt;
use std::io::Read;

use super::{lzf, CRC64};
use crate::util::number::{parse_i64_exact, push_int};

const LEN_6: u8 = 0;
const LEN_14: u8 = 1;
const LEN_32: u8 = 0x80;
const LEN_64: u8 = 0x81;
const ENCVAL: u8 = 3;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Strings this short are never compressed: LZF cannot shrink them.
const LZF_MIN: usize = 21;

/// The most a read reserves ahead of the bytes that actually arrived.
const CHUNK: usize = 1 << 20;

/// Appends a length in the shortest of its encodings.
pub(crate) fn put_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8 | LEN_6 << 6);
    } else if n < 1 << 14 {
        out.push((n >> 8) as u8 | LEN_14 << 6);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(LEN_32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(LEN_64);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends a string as Redis's `rdbSaveRawString` does: as an integer when
/// it is one in canonical form (no sign but `-`, no leading zero, not
/// `-0`) that fits in 32 bits; else, with `compress`, as LZF when it is
/// over 20 bytes and compresses to at most its length less 4; else raw.
pub(crate) fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64_exact(s) {
            if let Ok(v) = i8::try_from(v) {
                out.extend_from_slice(&[ENCVAL << 6 | ENC_INT8, v as u8]);
                return;
            }
            if let Ok(v) = i16::try_from(v) {
                out.push(ENCVAL << 6 | ENC_INT16);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
            if let Ok(v) = i32::try_from(v) {
                out.push(ENCVAL << 6 | ENC_INT32);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
        }
    }
    if compress && s.len() >= LZF_MIN {
        let mut packed = Vec::new();
        if lzf::compress(s, &mut packed, s.len() - 4) {
            out.push(ENCVAL << 6 | ENC_LZF);
            put_len(out, packed.len() as u64);
            put_len(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends a double as 8 little-endian bytes (RDB 8 and later).
pub(crate) fn put_binary_double(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a time in milliseconds as 8 little-endian bytes.
pub(crate) fn put_millis(out: &mut Vec<u8>, ms: u64) {
    out.extend_from_slice(&ms.to_le_bytes());
}

/// Why a read failed: the source failed or ended early, or what it held
/// is not RDB.
#[derive(Debug)]
pub(crate) enum RdbError {
    Io(std::io::Error),
    Corrupt(String),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Io(e) => write!(f, "RDB read failed: {e}"),
            RdbError::Corrupt(what) => write!(f, "corrupt RDB: {what}"),
        }
    }
}

impl std::error::Error for RdbError {}

impl From<std::io::Error> for RdbError {
    fn from(e: std::io::Error) -> Self {
        RdbError::Io(e)
    }
}

/// Shorthand for a `Corrupt` error.
pub(crate) fn corrupt<T>(what: impl Into<String>) -> Result<T, RdbError> {
    Err(RdbError::Corrupt(what.into()))
}

/// Reads RDB primitives from a byte source, counting the bytes and
/// keeping their CRC-64 as it goes.
///
/// Nothing the input claims is allocated up front: a string's buffer
/// grows by at most 1 MiB ahead of the bytes that have arrived, so a
/// length of 2^60 ends in an error at the source's end.
pub(crate) struct Reader<R: Read> {
    inner: R,
    read: u64,
    digest: crc::Digest<'static, u64>,
}

impl<R: Read> Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Reader {
            inner,
            read: 0,
            digest: CRC64.digest(),
        }
    }

    pub(crate) fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        self.inner.read_exact(buf)?;
        self.read += buf.len() as u64;
        self.digest.update(buf);
        Ok(())
    }

    pub(crate) fn read_u8(&mut self) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    pub(crate) fn read_u32_le(&mut self) -> Result<u32, RdbError> {
        let mut b = [0u8; 4];
        self.read_exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub(crate) fn read_u64_le(&mut self) -> Result<u64, RdbError> {
        let mut b = [0u8; 8];
        self.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The CRC-64 of every byte read so far.
    pub(crate) fn checksum(&self) -> u64 {
        self.digest.clone().finalize()
    }

    /// A length, or a special encoding's number when `Err(number)`.
    fn read_len_or_enc(&mut self) -> Result<Result<u64, u8>, RdbError> {
        let b = self.read_u8()?;
        Ok(match b >> 6 {
            LEN_6 => Ok((b & 0x3f) as u64),
            LEN_14 => Ok(((b & 0x3f) as u64) << 8 | self.read_u8()? as u64),
            ENCVAL => Err(b & 0x3f),
            _ if b == LEN_32 => {
                let mut x = [0u8; 4];
                self.read_exact(&mut x)?;
                Ok(u32::from_be_bytes(x) as u64)
            }
            _ if b == LEN_64 => {
                let mut x = [0u8; 8];
                self.read_exact(&mut x)?;
                Ok(u64::from_be_bytes(x))
            }
            _ => return corrupt(format!("unknown length encoding 0x{b:02x}")),
        })
    }

    /// A length; a special-encoding marker in its place is an error.
    pub(crate) fn read_len(&mut self) -> Result<u64, RdbError> {
        match self.read_len_or_enc()? {
            Ok(n) => Ok(n),
            Err(e) => corrupt(format!("string encoding {e} where a length was expected")),
        }
    }

    /// `n` bytes, the buffer grown only as they arrive.
    fn read_bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        let n = usize::try_from(n).map_err(|_| RdbError::Corrupt(format!("length {n} too large")))?;
        let mut buf = Vec::with_capacity(n.min(CHUNK));
        while buf.len() < n {
            let at = buf.len();
            let step = (n - at).min(CHUNK);
            buf.resize(at + step, 0);
            self.read_exact(&mut buf[at..])?;
        }
        Ok(buf)
    }

    /// A string in any of its encodings; an integer comes back as its
    /// decimal text.
    pub(crate) fn read_string(&mut self) -> Result<Vec<u8>, RdbError> {
        let len = match self.read_len_or_enc()? {
            Ok(n) => return self.read_bytes(n),
            Err(enc) => enc,
        };
        let v: i64 = match len {
            ENC_INT8 => self.read_u8()? as i8 as i64,
            ENC_INT16 => {
                let mut b = [0u8; 2];
                self.read_exact(&mut b)?;
                i16::from_le_bytes(b) as i64
            }
            ENC_INT32 => {
                let mut b = [0u8; 4];
                self.read_exact(&mut b)?;
                i32::from_le_bytes(b) as i64
            }
            ENC_LZF => {
                let clen = self.read_len()?;
                let ulen = self.read_len()?;
                if clen == 0 || ulen == 0 {
                    return corrupt("LZF string with a zero length");
                }
                let ulen = usize::try_from(ulen).map_err(|_| RdbError::Corrupt("LZF length too large".into()))?;
                let packed = self.read_bytes(clen)?;
                return lzf::decompress(&packed, ulen).ok_or_else(|| RdbError::Corrupt("invalid LZF string".into()));
            }
            e => return corrupt(format!("unknown string encoding {e}")),
        };
        let mut s = Vec::with_capacity(11);
        push_int(&mut s, v);
        Ok(s)
    }

    /// A double as 8 little-endian bytes.
    pub(crate) fn read_binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_bits(self.read_u64_le()?))
    }

    /// A double in the text form of the old ZSET type: a length byte with
    /// 253 for NaN, 254 for +inf and 255 for -inf, else that many bytes of
    /// decimal text (leading spaces allowed, as `%lg` reads it).
    pub(crate) fn read_string_double(&mut self) -> Result<f64, RdbError> {
        match self.read_u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let mut buf = [0u8; 252];
                let text = &mut buf[..n as usize];
                self.read_exact(text)?;
                parse_double(text).ok_or_else(|| RdbError::Corrupt("unreadable double".into()))
            }
        }
    }
}

/// Parses the decimal text of a double, with leading spaces allowed; None
/// when it is not one.
pub(crate) fn parse_double(text: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(text).ok()?.trim_start();
    t.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(b: &[u8]) -> Reader<&[u8]> {
        Reader::new(b)
    }

    #[test]
    fn lengths_take_each_encoding_at_its_bounds() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (63, &[0x3f]),
            (64, &[0x40, 0x40]),
            (16383, &[0x7f, 0xff]),
            (16384, &[0x80, 0x00, 0x00, 0x40, 0x00]),
            (u32::MAX as u64, &[0x80, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, &[0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
            (u64::MAX, &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        ];
        for &(n, bytes) in cases {
            let mut out = Vec::new();
            put_len(&mut out, n);
            assert_eq!(out, bytes, "{n}");
            let mut r = reader(bytes);
            assert_eq!(r.read_len().unwrap(), n);
            assert_eq!(r.bytes_read(), bytes.len() as u64);
        }
    }

    #[test]
    fn a_string_encoding_where_a_length_belongs_is_corrupt() {
        assert!(matches!(reader(&[0xc0, 1]).read_len(), Err(RdbError::Corrupt(_))));
        assert!(matches!(reader(&[0x82]).read_len(), Err(RdbError::Corrupt(_))));
        assert!(matches!(reader(&[0x40]).read_len(), Err(RdbError::Io(_))));
    }

    fn string_bytes(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        put_string(&mut out, s, compress);
        let mut r = reader(&out);
        assert_eq!(r.read_string().unwrap(), s);
        assert_eq!(r.bytes_read(), out.len() as u64);
        out
    }

    #[test]
    fn integers_take_the_smallest_encoding_that_holds_them() {
        let cases: &[(&str, &[u8])] = &[
            ("0", &[0xc0, 0]),
            ("-128", &[0xc0, 0x80]),
            ("127", &[0xc0, 0x7f]),
            ("128", &[0xc1, 0x80, 0x00]),
            ("-129", &[0xc1, 0x7f, 0xff]),
            ("-32768", &[0xc1, 0x00, 0x80]),
            ("32767", &[0xc1, 0xff, 0x7f]),
            ("32768", &[0xc2, 0x00, 0x80, 0, 0]),
            ("-2147483648", &[0xc2, 0, 0, 0, 0x80]),
            ("2147483647", &[0xc2, 0xff, 0xff, 0xff, 0x7f]),
        ];
        for &(s, bytes) in cases {
            assert_eq!(string_bytes(s.as_bytes(), true), bytes, "{s}");
        }
    }

    #[test]
    fn non_canonical_or_wide_integers_stay_strings() {
        for s in [
            "2147483648",
            "-2147483649",
            "007",
            "-0",
            "+1",
            " 1",
            "1 ",
            "",
            "-",
            "9223372036854775807",
        ] {
            let out = string_bytes(s.as_bytes(), true);
            assert_eq!(out[0] as usize, s.len(), "{s:?} is stored raw");
        }
    }

    #[test]
    fn long_strings_compress_when_it_pays() {
        let a = vec![b'a'; 21];
        let out = string_bytes(&a, true);
        assert_eq!(out[0], 0xc3);
        assert_eq!(string_bytes(&a, false)[0], 21);
        assert_eq!(string_bytes(&a[..20], true)[0], 20, "20 bytes are never compressed");
        let mut x = 12345u32;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let out = string_bytes(&noise, true);
        // 5000 as a 14-bit length: 0x40 | 0x13, 0x88.
        assert_eq!(&out[..2], &[0x53, 0x88], "incompressible data is stored raw");
        let big = vec![b'z'; 1 << 21];
        assert!(string_bytes(&big, true).len() < 40_000);
        string_bytes(&[0, 255, 10, 13, 0], true);
    }

    #[test]
    fn hostile_lengths_fail_at_the_end_of_input() {
        // A raw string claiming 2^60 bytes, and one claiming u64::MAX.
        let mut b = vec![0x81];
        b.extend_from_slice(&(1u64 << 60).to_be_bytes());
        b.extend_from_slice(b"abc");
        assert!(matches!(
            reader(&b).read_string(),
            Err(RdbError::Io(_)) | Err(RdbError::Corrupt(_))
        ));
        let mut b = vec![0x81];
        b.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(reader(&b).read_string().is_err());
        // LZF claiming a huge output from a few bytes.
        let mut b = vec![0xc3, 0x02];
        b.extend_from_slice(&[0x81, 0, 0, 0, 0, 0x40, 0, 0, 0]);
        b.extend_from_slice(&[0x00, b'a']);
        assert!(matches!(reader(&b).read_string(), Err(RdbError::Corrupt(_))));
        // LZF with a zero length either side.
        assert!(reader(&[0xc3, 0x00, 0x05]).read_string().is_err());
        assert!(reader(&[0xc3, 0x02, 0x00, 0x00, b'a']).read_string().is_err());
        assert!(reader(&[0xc4]).read_string().is_err());
    }

    #[test]
    fn doubles_in_both_forms() {
        let mut out = Vec::new();
        put_binary_double(&mut out, -1.5);
        put_millis(&mut out, 1_700_000_000_123);
        let mut r = reader(&out);
        assert_eq!(r.read_binary_double().unwrap(), -1.5);
        assert_eq!(r.read_u64_le().unwrap(), 1_700_000_000_123);
        let b = [
            253, 254, 255, 3, b'1', b'.', b'5', 4, b' ', b'1', b'e', b'3', 2, b'x', b'y',
        ];
        let mut r = reader(&b);
        assert!(r.read_string_double().unwrap().is_nan());
        assert_eq!(r.read_string_double().unwrap(), f64::INFINITY);
        assert_eq!(r.read_string_double().unwrap(), f64::NEG_INFINITY);
        assert_eq!(r.read_string_double().unwrap(), 1.5);
        assert_eq!(r.read_string_double().unwrap(), 1000.0);
        assert!(r.read_string_double().is_err());
    }

    #[test]
    fn the_checksum_covers_every_byte_read() {
        let mut r = reader(b"123456789");
        let mut buf = [0u8; 4];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(r.read_u32_le().unwrap(), u32::from_le_bytes(*b"5678"));
        assert_eq!(r.read_u8().unwrap(), b'9');
        assert_eq!(r.checksum(), 0xe9c6d914c4b8d9ca);
        assert_eq!(r.bytes_read(), 9);
    }
}
