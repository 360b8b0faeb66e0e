//! Reply encoding. Command handlers describe a reply through [`Reply`]; the
//! differences between RESP2 and RESP3 (nulls, maps, sets, doubles,
//! booleans) are settled here and nowhere else.

/// Appends a decimal integer without going through `fmt`.
pub fn push_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_uint(out, v.unsigned_abs());
}

pub fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

/// Formats a double as Redis 7.2 replies with it: the shortest text that
/// reads back to the same value, `inf`/`-inf`, and `nan`.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else if v == v.trunc() && v.abs() < 1e17 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:e}");
        // Use exponent form only where Redis does (very large or small).
        let exp: i32 = s.split('e').nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
        if (-5..17).contains(&exp) {
            format!("{v}")
        } else {
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        }
    }
}

/// The reply sink of one connection.
pub struct Reply<'a> {
    pub buf: &'a mut Vec<u8>,
    pub resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Reply<'a> {
        Reply { buf, resp3 }
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
        let s = format_double(v);
        if self.resp3 {
            self.line(b',', s.as_bytes());
        } else {
            self.bulk(s.as_bytes());
        }
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

    #[test]
    fn doubles_use_the_shortest_form() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-0.5), "-0.5");
        assert_eq!(format_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_double(1e100), "1e+100");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    }
}
