//! Request decoding: RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and
//! inline commands (`PING\r\n`), with Redis's limits and error words.
//!
//! The decoder is resumable: when a request is incomplete it remembers how
//! far it got (arguments found so far, the pending bulk length), so a large
//! value arriving over many reads is scanned once, not once per read.
//! Argument positions are offsets from the start of the request, which stay
//! valid when the connection discards the requests before it.

use crate::util::number::parse_i64_exact;
use crate::util::split::split_args;
use memchr::memchr;

/// Longest inline request, or multibulk header line, without a newline.
pub(crate) const INLINE_MAX: usize = 64 * 1024;
/// Arguments reserved up front at most, whatever the declared count.
const PREALLOC_ARGS: usize = 1024;

/// A protocol error: replied as `-ERR Protocol error: ...`, then the
/// connection is closed, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(msg: &str) -> ProtocolError {
        ProtocolError(format!("ERR Protocol error: {msg}"))
    }
}

#[derive(Debug, Default)]
pub struct RespDecoder {
    /// Argument ranges, relative to the request start (or into `inline`).
    args: Vec<(usize, usize)>,
    /// The next byte to look at, relative to the request start.
    pos: usize,
    /// Bulks still to read in the current multibulk; 0 before the header.
    remaining: usize,
    /// Length of the bulk whose header has been read, if any.
    bulk: Option<usize>,
    in_multibulk: bool,
    /// Unescaped arguments of an inline request.
    inline: Vec<u8>,
    is_inline: bool,
    max_bulk: usize,
    /// The client has yet to authenticate: requests are held to
    /// [`UNAUTH_MAX_ARGS`] arguments of [`UNAUTH_MAX_BULK`] bytes.
    unauthenticated: bool,
}

/// What a client that has not authenticated may send in one request, as
/// Redis limits it: enough for AUTH and HELLO, too little to make the
/// server allocate much for a stranger.
pub const UNAUTH_MAX_ARGS: i64 = 10;
pub const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// The outcome of one decode call.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A request of this many bytes; its arguments are in [`RespDecoder::args`].
    Request(usize),
    /// This many bytes held no request (an empty line, `*0`); skip them.
    Skip(usize),
    /// More bytes are needed.
    Incomplete,
}

impl RespDecoder {
    pub fn new(max_bulk: usize) -> RespDecoder {
        RespDecoder {
            max_bulk,
            ..Default::default()
        }
    }

    pub fn set_max_bulk(&mut self, max_bulk: usize) {
        self.max_bulk = max_bulk;
    }

    /// Holds requests to the limits of a client that has not
    /// authenticated (`true`), or lifts them.
    pub fn set_unauthenticated(&mut self, unauthenticated: bool) {
        self.unauthenticated = unauthenticated;
    }

    /// Bytes the pending request needs in all, when known: lets the
    /// connection size its buffer once for a large value.
    pub fn needed(&self) -> usize {
        match self.bulk {
            Some(len) => self.pos + len + 2,
            None => self.pos + 1,
        }
    }

    /// The arguments of the request just decoded, given the same `buf`.
    pub fn args<'a>(&'a self, buf: &'a [u8], out: &mut Vec<&'a [u8]>) {
        out.clear();
        let src = if self.is_inline { &self.inline[..] } else { buf };
        out.extend(self.args.iter().map(|&(s, e)| &src[s..e]));
    }

    fn reset(&mut self) {
        self.args.clear();
        self.pos = 0;
        self.remaining = 0;
        self.bulk = None;
        self.in_multibulk = false;
        self.is_inline = false;
    }

    /// Decodes the request at the start of `buf`.
    pub fn decode(&mut self, buf: &[u8]) -> Result<Decoded, ProtocolError> {
        if !self.in_multibulk {
            self.reset();
            match buf.first() {
                None => return Ok(Decoded::Incomplete),
                Some(b'*') => self.in_multibulk = true,
                Some(_) => return self.decode_inline(buf),
            }
        }
        self.decode_multibulk(buf)
    }

    fn decode_multibulk(&mut self, buf: &[u8]) -> Result<Decoded, ProtocolError> {
        if self.remaining == 0 {
            let Some(nl) = find_cr(buf, 1) else {
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(Decoded::Incomplete);
            };
            if nl + 2 > buf.len() {
                return Ok(Decoded::Incomplete);
            }
            let n = parse_len(&buf[1..nl])
                .filter(|&n| n <= i32::MAX as i64)
                .ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
            if self.unauthenticated && n > UNAUTH_MAX_ARGS {
                return Err(ProtocolError::new("unauthenticated multibulk length"));
            }
            self.pos = nl + 2;
            if n <= 0 {
                self.in_multibulk = false;
                return Ok(Decoded::Skip(self.pos));
            }
            self.remaining = n as usize;
            self.args.reserve((n as usize).min(PREALLOC_ARGS));
        }
        while self.remaining > 0 {
            let len = match self.bulk {
                Some(len) => len,
                None => {
                    let Some(nl) = find_cr(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX {
                            return Err(ProtocolError::new("too big bulk count string"));
                        }
                        return Ok(Decoded::Incomplete);
                    };
                    if nl + 2 > buf.len() {
                        return Ok(Decoded::Incomplete);
                    }
                    if buf[self.pos] != b'$' {
                        return Err(ProtocolError(format!(
                            "ERR Protocol error: expected '$', got '{}'",
                            buf[self.pos] as char
                        )));
                    }
                    let len = parse_len(&buf[self.pos + 1..nl])
                        .filter(|&n| n >= 0 && n as u64 <= self.max_bulk as u64)
                        .ok_or_else(|| ProtocolError::new("invalid bulk length"))?;
                    if self.unauthenticated && len > UNAUTH_MAX_BULK {
                        return Err(ProtocolError::new("unauthenticated bulk length"));
                    }
                    let len = len as usize;
                    self.pos = nl + 2;
                    self.bulk = Some(len);
                    len
                }
            };
            if buf.len() < self.pos + len + 2 {
                return Ok(Decoded::Incomplete);
            }
            self.args.push((self.pos, self.pos + len));
            self.pos += len + 2;
            self.bulk = None;
            self.remaining -= 1;
        }
        self.in_multibulk = false;
        Ok(Decoded::Request(self.pos))
    }

    fn decode_inline(&mut self, buf: &[u8]) -> Result<Decoded, ProtocolError> {
        let Some(nl) = memchr(b'\n', buf) else {
            if buf.len() > INLINE_MAX {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(Decoded::Incomplete);
        };
        let mut line = &buf[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.inline.clear();
        self.is_inline = true;
        if !split_args(line, &mut self.inline, &mut self.args) {
            return Err(ProtocolError::new("unbalanced quotes in request"));
        }
        if self.args.is_empty() {
            return Ok(Decoded::Skip(nl + 1));
        }
        Ok(Decoded::Request(nl + 1))
    }
}

fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    memchr(b'\r', buf.get(from..)?).map(|i| i + from)
}

/// Parses a signed decimal length as Redis's string2ll does.
fn parse_len(b: &[u8]) -> Option<i64> {
    parse_i64_exact(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 512 * 1024 * 1024;

    fn decode_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut d = RespDecoder::new(MAX);
        let mut pos = 0;
        let mut reqs = Vec::new();
        loop {
            match d.decode(&input[pos..])? {
                Decoded::Request(n) => {
                    let mut v = Vec::new();
                    d.args(&input[pos..], &mut v);
                    reqs.push(v.iter().map(|a| a.to_vec()).collect());
                    pos += n;
                }
                Decoded::Skip(n) => pos += n,
                Decoded::Incomplete => return Ok(reqs),
            }
        }
    }

    #[test]
    fn multibulk_and_inline_requests_decode() {
        let r = decode_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\n").unwrap();
        assert_eq!(r[0], vec![b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(r[1], vec![b"PING".to_vec()]);
        assert_eq!(r[2], vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]);
    }

    #[test]
    fn empty_multibulk_and_blank_lines_are_skipped() {
        let r = decode_all(b"*0\r\n*-1\r\n\r\n   \r\nPING\r\n").unwrap();
        assert_eq!(r, vec![vec![b"PING".to_vec()]]);
    }

    #[test]
    fn request_split_at_every_byte_decodes_the_same() {
        let req = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$11\r\nworld\r\n\x00abc\r\n";
        for cut in 1..req.len() {
            let mut d = RespDecoder::new(MAX);
            assert_eq!(d.decode(&req[..cut]).unwrap(), Decoded::Incomplete, "cut {cut}");
            assert_eq!(d.decode(&req[..]).unwrap(), Decoded::Request(req.len()));
            let mut v = Vec::new();
            d.args(req, &mut v);
            assert_eq!(v[2], b"world\r\n\x00abc");
        }
    }

    #[test]
    fn pending_bulk_is_not_rescanned() {
        let mut d = RespDecoder::new(MAX);
        let mut req = b"*2\r\n$3\r\nSET\r\n$1000000\r\n".to_vec();
        assert_eq!(d.decode(&req).unwrap(), Decoded::Incomplete);
        assert_eq!(d.needed(), req.len() + 1_000_000 + 2);
        req.extend(std::iter::repeat_n(b'x', 1_000_000));
        req.extend(b"\r\n");
        assert_eq!(d.decode(&req).unwrap(), Decoded::Request(req.len()));
    }

    #[test]
    fn unauthenticated_requests_are_held_to_small_limits() {
        let mut d = RespDecoder::new(MAX);
        d.set_unauthenticated(true);
        let e = d.decode(b"*11\r\n").unwrap_err().0;
        assert_eq!(e, "ERR Protocol error: unauthenticated multibulk length");
        let mut d = RespDecoder::new(MAX);
        d.set_unauthenticated(true);
        let e = d.decode(b"*1\r\n$16385\r\n").unwrap_err().0;
        assert_eq!(e, "ERR Protocol error: unauthenticated bulk length");
        // An error closes the connection; a new one starts afresh.
        let mut d = RespDecoder::new(MAX);
        d.set_unauthenticated(true);
        let auth = b"*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$6\r\nsecret\r\n";
        assert_eq!(d.decode(auth).unwrap(), Decoded::Request(auth.len()));
        d.set_unauthenticated(false);
        assert_eq!(d.decode(b"*11\r\n").unwrap(), Decoded::Incomplete);
    }

    #[test]
    fn protocol_errors_use_redis_words() {
        let err = |b: &[u8]| decode_all(b).unwrap_err().0;
        assert_eq!(err(b"*x\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(err(b"*3000000000\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(err(b"*1\r\n+OK\r\n"), "ERR Protocol error: expected '$', got '+'");
        assert_eq!(err(b"*1\r\n$-1\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(err(b"*1\r\n$600000000\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(
            err(b"set a \"b\r\n"),
            "ERR Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            err(&vec![b'a'; INLINE_MAX + 1]),
            "ERR Protocol error: too big inline request"
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; INLINE_MAX + 1]);
        assert_eq!(err(&big), "ERR Protocol error: too big mbulk count string");
    }
}
