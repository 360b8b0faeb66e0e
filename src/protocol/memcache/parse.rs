//! memcached text requests from bytes.
//!
//! The parser is resumable: when a storage command's data block has not
//! fully arrived, it keeps the parsed command line and, on the next call
//! (given the same unconsumed input), only checks whether the block is
//! complete; the block itself is never scanned. A block being swallowed
//! (over the size limit) is consumed as it arrives, without buffering it.

use super::{reply, Keys, Request, StoreMode, MAX_GET_LINE, MAX_KEY_LEN, MAX_LINE};

/// The outcome of one parse step.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    /// A request, and the bytes it used.
    Request(Request<'a>, usize),
    /// Bytes consumed with nothing to answer: part of a swallowed block.
    Skip(usize),
    /// More bytes are needed.
    Incomplete,
    /// The input cannot be framed (an endless non-get line): close.
    Close,
}

/// A storage command line waiting for its data block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    mode: StoreMode,
    key_start: usize,
    key_len: usize,
    flags: u32,
    exptime: i64,
    noreply: bool,
    line_len: usize,
    data_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for a command line; `scanned` bytes are known to hold no newline.
    Line {
        scanned: usize,
    },
    Data(Pending),
    /// Dropping this many more bytes of a refused data block.
    Swallow(usize),
}

#[derive(Debug)]
pub(crate) struct Parser {
    max_item: usize,
    state: State,
}

/// Most words a command line needs looked at one by one; `get` keys beyond
/// them are read from the rest of the line.
const MAX_WORDS: usize = 8;

impl Parser {
    /// A parser refusing data blocks longer than `max_item` bytes.
    pub(crate) fn new(max_item: usize) -> Parser {
        Parser {
            max_item,
            state: State::Line { scanned: 0 },
        }
    }

    /// Bytes the pending request needs in all, counted from the start of
    /// the unconsumed input; 0 when unknown.
    pub(crate) fn needed(&self) -> usize {
        match self.state {
            State::Data(p) => p.line_len + p.data_len + 2,
            _ => 0,
        }
    }

    /// Parses the request at the start of `input`. After `Incomplete`, the
    /// next call must get the same input with more bytes after it.
    pub(crate) fn parse<'a>(&mut self, input: &'a [u8]) -> Parsed<'a> {
        match self.state {
            State::Swallow(left) => {
                if input.is_empty() {
                    return Parsed::Incomplete;
                }
                let n = left.min(input.len());
                self.state = if n == left {
                    State::Line { scanned: 0 }
                } else {
                    State::Swallow(left - n)
                };
                Parsed::Skip(n)
            }
            State::Data(p) => self.finish_data(input, p),
            State::Line { scanned } => self.parse_line(input, scanned),
        }
    }

    fn finish_data<'a>(&mut self, input: &'a [u8], p: Pending) -> Parsed<'a> {
        let end = p.line_len + p.data_len;
        if input.len() < end + 2 {
            return Parsed::Incomplete;
        }
        self.state = State::Line { scanned: 0 };
        if &input[end..end + 2] != b"\r\n" {
            return Parsed::Request(
                Request::Error {
                    reply: reply::BAD_CHUNK,
                    noreply: p.noreply,
                },
                end + 2,
            );
        }
        let req = Request::Store {
            mode: p.mode,
            key: &input[p.key_start..p.key_start + p.key_len],
            flags: p.flags,
            exptime: p.exptime,
            data: &input[p.line_len..end],
            noreply: p.noreply,
        };
        Parsed::Request(req, end + 2)
    }

    fn parse_line<'a>(&mut self, input: &'a [u8], scanned: usize) -> Parsed<'a> {
        let from = scanned.min(input.len());
        let Some(nl) = memchr::memchr(b'\n', &input[from..]).map(|i| i + from) else {
            if input.len() > MAX_LINE && !(is_get_line(input) && input.len() <= MAX_GET_LINE) {
                return Parsed::Close;
            }
            self.state = State::Line { scanned: input.len() };
            return Parsed::Incomplete;
        };
        self.state = State::Line { scanned: 0 };
        let used = nl + 1;
        let line = &input[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut words: [&[u8]; MAX_WORDS] = [&[]; MAX_WORDS];
        let mut n = 0;
        for w in line.split(|&c| c == b' ').filter(|w| !w.is_empty()) {
            if n == MAX_WORDS {
                n += 1;
                break;
            }
            words[n] = w;
            n += 1;
        }
        let req = match self.command(input, line, &words[..n.min(MAX_WORDS)], n, used) {
            Ok(Some(req)) => req,
            Ok(None) => return self.parse(input),
            Err(reply) => Request::Error { reply, noreply: false },
        };
        Parsed::Request(req, used)
    }

    /// The request of one command line of `n` words (`w` holds the first
    /// few). `Ok(None)` means a data block follows: the state says which.
    fn command<'a>(
        &mut self,
        input: &'a [u8],
        line: &'a [u8],
        w: &[&'a [u8]],
        n: usize,
        used: usize,
    ) -> Result<Option<Request<'a>>, &'static [u8]> {
        let Some(&cmd) = w.first() else {
            return Err(reply::ERROR);
        };
        let noreply = n > 1 && w.get(n - 1) == Some(&&b"noreply"[..]);
        let error = |reply| Ok(Some(Request::Error { reply, noreply }));
        let req = match cmd {
            b"get" | b"gets" | b"gat" | b"gats" => {
                if n < 2 {
                    return Err(reply::ERROR);
                }
                let touch = cmd.starts_with(b"ga");
                let (touch, skip) = if touch {
                    match strtol(w[1]) {
                        Some(t) => (Some(t), 2),
                        None => return Err(reply::BAD_EXPTIME),
                    }
                } else {
                    (None, 1)
                };
                let keys = Keys(rest_after(line, skip));
                if !keys.iter().all(valid_key) {
                    return Err(reply::BAD_FORMAT);
                }
                Request::Get {
                    keys,
                    cas: cmd.ends_with(b"s"),
                    touch,
                }
            }
            b"set" | b"add" | b"replace" | b"append" | b"prepend" | b"cas" => {
                let is_cas = cmd == b"cas";
                let words = if is_cas { 6 } else { 5 };
                if n != words && n != words + 1 {
                    return Err(reply::ERROR);
                }
                if !valid_key(w[1]) {
                    return error(reply::BAD_FORMAT);
                }
                let (Some(flags), Some(exptime), Some(bytes)) = (strtoul(w[2]), strtol(w[3]), strtol(w[4])) else {
                    return error(reply::BAD_FORMAT);
                };
                if bytes < 0 || bytes > i32::MAX as i64 - 2 {
                    return error(reply::BAD_FORMAT);
                }
                let mode = match cmd {
                    b"set" => StoreMode::Set,
                    b"add" => StoreMode::Add,
                    b"replace" => StoreMode::Replace,
                    b"append" => StoreMode::Append,
                    b"prepend" => StoreMode::Prepend,
                    _ => match strtoul(w[5]) {
                        Some(unique) => StoreMode::Cas(unique),
                        None => return error(reply::BAD_FORMAT),
                    },
                };
                let bytes = bytes as usize;
                if bytes > self.max_item {
                    self.state = State::Swallow(bytes + 2);
                    return Ok(Some(Request::TooLarge {
                        mode,
                        key: w[1],
                        noreply,
                    }));
                }
                self.state = State::Data(Pending {
                    mode,
                    key_start: offset_in(input, w[1]),
                    key_len: w[1].len(),
                    // memcached reads flags as an unsigned long and keeps 32 bits.
                    flags: flags as u32,
                    exptime,
                    noreply,
                    line_len: used,
                    data_len: bytes,
                });
                return Ok(None);
            }
            b"incr" | b"decr" => {
                if n != 3 && n != 4 {
                    return Err(reply::ERROR);
                }
                if !valid_key(w[1]) {
                    return error(reply::BAD_FORMAT);
                }
                let Some(delta) = strtoul(w[2]) else {
                    return error(reply::BAD_DELTA);
                };
                Request::Arith {
                    key: w[1],
                    delta,
                    decr: cmd == b"decr",
                    noreply,
                }
            }
            b"delete" => {
                if !(2..=4).contains(&n) {
                    return Err(reply::ERROR);
                }
                if !valid_key(w[1]) {
                    return error(reply::BAD_FORMAT);
                }
                // A legacy hold time of "0" is still accepted.
                let zero = n > 2 && w[2] == b"0";
                let ok = n == 2 || (n == 3 && (zero || noreply)) || (n == 4 && zero && noreply);
                if !ok {
                    return error(reply::DELETE_USAGE);
                }
                Request::Delete { key: w[1], noreply }
            }
            b"touch" => {
                if n != 3 && n != 4 {
                    return Err(reply::ERROR);
                }
                if !valid_key(w[1]) {
                    return error(reply::BAD_FORMAT);
                }
                let Some(exptime) = strtol(w[2]) else {
                    return error(reply::BAD_EXPTIME);
                };
                Request::Touch {
                    key: w[1],
                    exptime,
                    noreply,
                }
            }
            b"flush_all" => {
                if !(1..=3).contains(&n) {
                    return Err(reply::ERROR);
                }
                let delay = if n == if noreply { 2 } else { 1 } {
                    0
                } else {
                    match strtol(w[1]) {
                        Some(d) => d,
                        None => return error(reply::BAD_EXPTIME),
                    }
                };
                Request::FlushAll { delay, noreply }
            }
            b"verbosity" => {
                if n != 2 && n != 3 {
                    return Err(reply::ERROR);
                }
                if strtoul(w[1]).is_none_or(|v| v > u32::MAX as u64) {
                    return error(reply::BAD_FORMAT);
                }
                Request::Verbosity { noreply }
            }
            b"version" => Request::Version,
            b"quit" => Request::Quit,
            b"stats" => Request::Stats {
                group: w.get(1).copied(),
            },
            _ => return Err(reply::ERROR),
        };
        Ok(Some(req))
    }
}

/// True for a line memcached lets grow past [`MAX_LINE`]: a multi-get.
fn is_get_line(input: &[u8]) -> bool {
    let spaces = input.iter().take_while(|&&c| c == b' ').count();
    let rest = &input[spaces..];
    spaces <= 100 && (rest.starts_with(b"get ") || rest.starts_with(b"gets "))
}

/// A key is 1 to 250 bytes with no control characters (spaces cannot
/// reach here: they separate words).
fn valid_key(k: &[u8]) -> bool {
    !k.is_empty() && k.len() <= MAX_KEY_LEN && !k.iter().any(|&c| c < 0x20 || c == 0x7f)
}

/// The line after its first `skip` words.
fn rest_after(line: &[u8], skip: usize) -> &[u8] {
    let mut rest = line;
    for _ in 0..skip {
        let start = rest.iter().position(|&c| c != b' ').unwrap_or(rest.len());
        rest = &rest[start..];
        let end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
        rest = &rest[end..];
    }
    rest
}

/// Where `part`, a subslice of `whole`, starts in it.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// Splits C's strto* shape: leading white space, a sign, at least one
/// digit, then the end or white space. Returns (negative, digits).
fn c_number(w: &[u8]) -> Option<(bool, &[u8])> {
    let start = w.iter().position(|c| !c.is_ascii_whitespace())?;
    let w = &w[start..];
    let (neg, w) = match w.first() {
        Some(b'-') => (true, &w[1..]),
        Some(b'+') => (false, &w[1..]),
        _ => (false, w),
    };
    let digits = w.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || w.get(digits).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    Some((neg, &w[..digits]))
}

fn digits_u64(d: &[u8]) -> Option<u64> {
    d.iter()
        .try_fold(0u64, |v, &c| v.checked_mul(10)?.checked_add((c - b'0') as u64))
}

/// memcached's `safe_strtol`: a 32-bit signed number.
fn strtol(w: &[u8]) -> Option<i64> {
    let (neg, d) = c_number(w)?;
    let v = digits_u64(d)? as i128;
    let v = if neg { -v } else { v };
    (i32::MIN as i128..=i32::MAX as i128).contains(&v).then_some(v as i64)
}

/// memcached's `safe_strtoull`: an unsigned 64-bit number; a negative one
/// wraps, and is refused when the wrapped value has its top bit set.
fn strtoul(w: &[u8]) -> Option<u64> {
    let (neg, d) = c_number(w)?;
    let v = digits_u64(d)?;
    if !neg {
        return Some(v);
    }
    let v = v.wrapping_neg();
    ((v as i64) >= 0).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    fn one(input: &[u8]) -> Parsed<'_> {
        Parser::new(MAX).parse(input)
    }

    fn req(input: &[u8]) -> Request<'_> {
        match one(input) {
            Parsed::Request(r, n) => {
                assert_eq!(n, input.len(), "whole input used");
                r
            }
            other => panic!("{other:?}"),
        }
    }

    fn err(reply: &'static [u8]) -> Request<'static> {
        Request::Error { reply, noreply: false }
    }

    fn keys(r: &Request<'_>) -> Vec<Vec<u8>> {
        match r {
            Request::Get { keys, .. } => keys.iter().map(<[u8]>::to_vec).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn get_forms_read_every_key() {
        let r = req(b"get a bb  ccc \r\n");
        assert_eq!(keys(&r), vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]);
        assert!(matches!(
            r,
            Request::Get {
                cas: false,
                touch: None,
                ..
            }
        ));
        assert!(matches!(
            req(b"gets a\n"),
            Request::Get {
                cas: true,
                touch: None,
                ..
            }
        ));
        let r = req(b"gat 10 a b\r\n");
        assert!(matches!(
            r,
            Request::Get {
                cas: false,
                touch: Some(10),
                ..
            }
        ));
        assert_eq!(keys(&r).len(), 2);
        assert!(matches!(
            req(b"gats -1 a\r\n"),
            Request::Get {
                cas: true,
                touch: Some(-1),
                ..
            }
        ));
    }

    #[test]
    fn get_errors() {
        assert_eq!(req(b"get\r\n"), err(reply::ERROR));
        assert_eq!(req(b"gat x a\r\n"), err(reply::BAD_EXPTIME));
        let long = [b"get a ".as_slice(), &[b'k'; 251], b"\r\n"].concat();
        assert_eq!(req(&long), err(reply::BAD_FORMAT));
        let ok = [b"get ".as_slice(), &[b'k'; 250], b"\r\n"].concat();
        assert_eq!(keys(&req(&ok))[0].len(), 250);
        assert_eq!(req(b"get a\x01b\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"GET a\r\n"), err(reply::ERROR));
        assert_eq!(req(b"\r\n"), err(reply::ERROR));
    }

    #[test]
    fn storage_commands_carry_their_fields() {
        assert_eq!(
            req(b"set k 5 100 3\r\nabc\r\n"),
            Request::Store {
                mode: StoreMode::Set,
                key: b"k",
                flags: 5,
                exptime: 100,
                data: b"abc",
                noreply: false
            }
        );
        for (cmd, mode) in [
            ("add", StoreMode::Add),
            ("replace", StoreMode::Replace),
            ("append", StoreMode::Append),
            ("prepend", StoreMode::Prepend),
        ] {
            let line = format!("{cmd} k 0 -1 2 noreply\r\nxy\r\n");
            match req(line.as_bytes()) {
                Request::Store {
                    mode: m,
                    noreply: true,
                    exptime: -1,
                    data: b"xy",
                    ..
                } => assert_eq!(m, mode),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            req(b"cas k 0 0 1 77\r\nx\r\n"),
            Request::Store {
                mode: StoreMode::Cas(77),
                noreply: false,
                ..
            }
        ));
        // Binary data, including CR and LF, is taken by length.
        assert!(matches!(
            req(b"set k 0 0 4\r\n\r\n\r\n\r\n"),
            Request::Store { data: b"\r\n\r\n", .. }
        ));
        assert!(matches!(req(b"set k 0 0 0\r\n\r\n"), Request::Store { data: b"", .. }));
        // memcached keeps the low 32 bits of a larger flags number.
        assert!(matches!(
            req(b"set k 4294967297 0 1\r\nx\r\n"),
            Request::Store { flags: 1, .. }
        ));
    }

    #[test]
    fn storage_errors() {
        assert_eq!(req(b"set k 0 0\r\n"), err(reply::ERROR));
        assert_eq!(req(b"cas k 0 0 1\r\n"), err(reply::ERROR));
        assert_eq!(req(b"set k 0 0 1 noreply x\r\n"), err(reply::ERROR));
        assert_eq!(req(b"set k x 0 1\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"set k -1 0 1\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"set k 0 2147483648 1\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"set k 0 0 -1\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"cas k 0 0 1 x\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(
            req(b"set k x 0 1 noreply\r\n"),
            Request::Error {
                reply: reply::BAD_FORMAT,
                noreply: true
            }
        );
        assert_eq!(req(b"set k 0 0 1\r\nxy\r\n"[..16].as_ref()), err(reply::BAD_CHUNK));
    }

    #[test]
    fn bad_data_chunk_uses_exactly_the_block_and_its_terminator() {
        let mut p = Parser::new(MAX);
        let input = b"set k 0 0 1\r\nxy\r\nget k\r\n";
        let Parsed::Request(r, n) = p.parse(input) else {
            panic!()
        };
        assert_eq!(r, err(reply::BAD_CHUNK));
        assert_eq!(n, 16);
        // What follows the block is read as the next command line.
        assert_eq!(p.parse(&input[n..]), Parsed::Request(err(reply::ERROR), 1));
    }

    #[test]
    fn too_large_block_is_swallowed_as_it_arrives() {
        let mut p = Parser::new(4);
        let input = b"set k 0 0 5 noreply\r\nhello\r\nversion\r\n";
        let Parsed::Request(r, n) = p.parse(input) else {
            panic!()
        };
        assert_eq!(
            r,
            Request::TooLarge {
                mode: StoreMode::Set,
                key: b"k",
                noreply: true
            }
        );
        assert_eq!(n, 21);
        assert_eq!(p.parse(&input[n..n + 3]), Parsed::Skip(3));
        assert_eq!(p.parse(&input[n + 3..]), Parsed::Skip(4));
        assert_eq!(p.parse(&input[n + 7..]), Parsed::Request(Request::Version, 9));
    }

    #[test]
    fn every_split_point_of_a_pipeline_parses_the_same() {
        let input: &[u8] =
            b"set k 1 0 5\r\nhe\r\no\r\nget k j\r\nincr n 5\r\ndelete k\r\ncas k 0 0 1 9 noreply\r\nz\r\n";
        let whole = {
            let mut p = Parser::new(MAX);
            let mut out = Vec::new();
            let mut pos = 0;
            while let Parsed::Request(r, n) = p.parse(&input[pos..]) {
                out.push(format!("{r:?}"));
                pos += n;
            }
            assert_eq!(pos, input.len());
            out
        };
        assert_eq!(whole.len(), 5);
        for split in 0..input.len() {
            let mut p = Parser::new(MAX);
            let mut out = Vec::new();
            let mut pos = 0;
            // First only the bytes before the split are there, then all.
            for avail in [split, input.len()] {
                loop {
                    match p.parse(&input[pos..avail]) {
                        Parsed::Request(r, n) => {
                            out.push(format!("{r:?}"));
                            pos += n;
                        }
                        Parsed::Skip(n) => pos += n,
                        Parsed::Incomplete => break,
                        Parsed::Close => panic!("closed at split {split}"),
                    }
                    if pos == avail {
                        break;
                    }
                }
            }
            assert_eq!(out, whole, "split at {split}");
        }
    }

    #[test]
    fn needed_reports_the_whole_pending_request() {
        let mut p = Parser::new(MAX);
        assert_eq!(p.parse(b"set k 0 0 10\r\nabc"), Parsed::Incomplete);
        assert_eq!(p.needed(), 14 + 12);
    }

    #[test]
    fn arithmetic_delete_touch() {
        assert_eq!(
            req(b"incr n 18446744073709551615\r\n"),
            Request::Arith {
                key: b"n",
                delta: u64::MAX,
                decr: false,
                noreply: false
            }
        );
        assert!(matches!(
            req(b"decr n 1 noreply\r\n"),
            Request::Arith {
                decr: true,
                noreply: true,
                ..
            }
        ));
        assert_eq!(req(b"incr n x\r\n"), err(reply::BAD_DELTA));
        assert_eq!(req(b"incr n -1\r\n"), err(reply::BAD_DELTA));
        assert_eq!(req(b"incr n 18446744073709551616\r\n"), err(reply::BAD_DELTA));
        assert_eq!(req(b"incr n\r\n"), err(reply::ERROR));
        assert_eq!(
            req(b"delete k\r\n"),
            Request::Delete {
                key: b"k",
                noreply: false
            }
        );
        assert!(matches!(req(b"delete k 0\r\n"), Request::Delete { noreply: false, .. }));
        assert!(matches!(
            req(b"delete k 0 noreply\r\n"),
            Request::Delete { noreply: true, .. }
        ));
        assert_eq!(req(b"delete k 1\r\n"), err(reply::DELETE_USAGE));
        assert_eq!(req(b"delete k 1 2 3\r\n"), err(reply::ERROR));
        assert_eq!(
            req(b"touch k 10\r\n"),
            Request::Touch {
                key: b"k",
                exptime: 10,
                noreply: false
            }
        );
        assert_eq!(req(b"touch k x\r\n"), err(reply::BAD_EXPTIME));
        assert_eq!(req(b"touch k\r\n"), err(reply::ERROR));
    }

    #[test]
    fn server_commands() {
        assert_eq!(
            req(b"flush_all\r\n"),
            Request::FlushAll {
                delay: 0,
                noreply: false
            }
        );
        assert_eq!(
            req(b"flush_all 10 noreply\r\n"),
            Request::FlushAll {
                delay: 10,
                noreply: true
            }
        );
        assert_eq!(
            req(b"flush_all noreply\r\n"),
            Request::FlushAll {
                delay: 0,
                noreply: true
            }
        );
        assert_eq!(req(b"flush_all x\r\n"), err(reply::BAD_EXPTIME));
        assert_eq!(req(b"version\r\n"), Request::Version);
        assert_eq!(req(b"quit\r\n"), Request::Quit);
        assert_eq!(req(b"verbosity 1\r\n"), Request::Verbosity { noreply: false });
        assert_eq!(req(b"verbosity x\r\n"), err(reply::BAD_FORMAT));
        assert_eq!(req(b"verbosity\r\n"), err(reply::ERROR));
        assert_eq!(req(b"stats\r\n"), Request::Stats { group: None });
        assert_eq!(req(b"stats reset\r\n"), Request::Stats { group: Some(b"reset") });
    }

    #[test]
    fn long_lines_close_unless_they_are_gets() {
        assert_eq!(one(&[b'x'; MAX_LINE + 1]), Parsed::Close);
        assert_eq!(one(&[b'x'; MAX_LINE]), Parsed::Incomplete);
        let mut get = b"get ".to_vec();
        get.resize(MAX_LINE * 4, b'k');
        assert_eq!(one(&get), Parsed::Incomplete);
        get.resize(MAX_GET_LINE + 1, b'k');
        assert_eq!(one(&get), Parsed::Close);
    }

    #[test]
    fn numbers_read_as_memcached_reads_them() {
        assert_eq!(strtol(b"+5"), Some(5));
        assert_eq!(strtol(b"05"), Some(5));
        assert_eq!(strtol(b"-5"), Some(-5));
        assert_eq!(strtol(b"5x"), None);
        assert_eq!(strtol(b""), None);
        assert_eq!(strtol(b"2147483648"), None);
        assert_eq!(strtoul(b"-0"), Some(0));
        assert_eq!(strtoul(b"-1"), None);
        assert_eq!(strtoul(b"18446744073709551615"), Some(u64::MAX));
    }
}
