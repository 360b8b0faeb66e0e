//! Reply encoding. Command handlers describe a reply through [`Reply`]; the
//! differences between RESP2 and RESP3 (nulls, maps, sets, doubles,
//! booleans) are settled here and nowhere else.

use crate::util::number::{push_double, push_int, push_uint};

/// The reply sink of one connection.
pub struct Reply<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Reply<'a> {
        Reply { buf, resp3 }
    }

    /// Bytes in the output buffer so far, this reply and those before it
    /// in the batch.
    pub fn written(&self) -> usize {
        self.buf.len()
    }

    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn header(&mut self, prefix: u8, n: usize) {
        self.buf.push(prefix);
        push_uint(self.buf, n as u64);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply; `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.line(b'+', s.as_bytes());
    }

    /// An error reply. `msg` starts with its code (`ERR ...`, `WRONGTYPE
    /// ...`); line breaks are replaced by spaces, as Redis does, so the
    /// reply stays one line.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        self.buf
            .extend(msg.bytes().map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply from bytes (a script's `{err=...}`): `-` and the
    /// text, line breaks replaced by spaces.
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.buf.push(b'-');
        self.buf
            .extend(msg.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A status reply from bytes (a script's `{ok=...}`), line breaks
    /// replaced by spaces.
    pub fn status_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf
            .extend(s.iter().map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }));
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A big number: `(digits` in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.line(b'(', digits);
        } else {
            self.bulk(digits);
        }
    }

    /// Verbatim text with its three-letter format (`=` in RESP3, a bulk
    /// of the text in RESP2).
    pub fn verbatim_as(&mut self, format: &[u8], text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() + format.len() + 1);
            self.buf.extend_from_slice(format);
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    pub fn int(&mut self, v: i64) {
        self.buf.push(b':');
        push_int(self.buf, v);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len());
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_int(&mut self, v: i64) {
        let mut tmp = Vec::with_capacity(20);
        push_int(&mut tmp, v);
        self.bulk(&tmp);
    }

    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// A missing array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n);
    }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of 2n in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n);
        } else {
            self.header(b'*', n * 2);
        }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n);
    }

    /// A push message (`>` in RESP3, an array in RESP2).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n);
    }

    /// A double: `,1.5` in RESP3, a bulk string in RESP2.
    pub fn double(&mut self, v: f64) {
        if self.resp3 {
            self.buf.push(b',');
            push_double(self.buf, v);
        } else {
            // Printed in place, then the short length header slid in
            // front of it: no temporary string per score.
            let start = self.buf.len();
            push_double(self.buf, v);
            let mut head = [0u8; 8];
            head[0] = b'$';
            let n = self.buf.len() - start;
            let digits = if n >= 10 { 2 } else { 1 };
            if digits == 2 {
                head[1] = b'0' + (n / 10) as u8;
            }
            head[digits] = b'0' + (n % 10) as u8;
            head[digits + 1..digits + 3].copy_from_slice(b"\r\n");
            self.buf.splice(start..start, head[..digits + 3].iter().copied());
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn bool(&mut self, v: bool) {
        if self.resp3 {
            self.buf.extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// Verbatim text (`=` with a three-letter format in RESP3, a bulk in RESP2).
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', text.len() + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    pub fn bulks<I, B>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.array(items.len());
        for b in items {
            self.bulk(b.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp3: bool, f: impl FnOnce(&mut Reply)) -> Vec<u8> {
        let mut v = Vec::new();
        f(&mut Reply::new(&mut v, resp3));
        v
    }

    #[test]
    fn nulls_maps_and_booleans_differ_by_version() {
        assert_eq!(enc(false, |r| r.null()), b"$-1\r\n");
        assert_eq!(enc(true, |r| r.null()), b"_\r\n");
        assert_eq!(enc(false, |r| r.null_array()), b"*-1\r\n");
        assert_eq!(enc(false, |r| r.map(2)), b"*4\r\n");
        assert_eq!(enc(true, |r| r.map(2)), b"%2\r\n");
        assert_eq!(enc(false, |r| r.bool(true)), b":1\r\n");
        assert_eq!(enc(true, |r| r.bool(false)), b"#f\r\n");
        assert_eq!(enc(false, |r| r.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(enc(true, |r| r.double(f64::INFINITY)), b",inf\r\n");
    }

    #[test]
    fn integers_and_errors_encode() {
        assert_eq!(enc(false, |r| r.int(i64::MIN)), b":-9223372036854775808\r\n");
        assert_eq!(enc(false, |r| r.int(0)), b":0\r\n");
        assert_eq!(enc(false, |r| r.error("ERR a\r\nb")), b"-ERR a  b\r\n");
    }

    /// Doubles as Redis 7.0's addReplyDouble prints them, `%.17g`: a
    /// bulk string in RESP2, `,` in RESP3.
    #[test]
    fn doubles_are_printed_as_redis_7_0_replies_them() {
        let mut buf = Vec::new();
        Reply::new(&mut buf, false).double(0.1);
        assert_eq!(buf, b"$19\r\n0.10000000000000001\r\n");
        buf.clear();
        Reply::new(&mut buf, false).double(2.5);
        assert_eq!(buf, b"$3\r\n2.5\r\n");
        buf.clear();
        Reply::new(&mut buf, true).double(-1e17);
        assert_eq!(buf, b",-1e+17\r\n");
        buf.clear();
        Reply::new(&mut buf, false).double(f64::INFINITY);
        assert_eq!(buf, b"$3\r\ninf\r\n");
    }
}
