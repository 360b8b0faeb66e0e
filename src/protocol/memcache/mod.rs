//! The memcached text protocol: bytes to [`Request`]s ([`Parser`]) and the
//! reply lines memcached 1.6 sends, worded byte for byte.
//!
//! Like the RESP side, this module never touches the store: the session
//! turns a request into the string operations of [`crate::command::string_ops`].

mod parse;

pub use parse::{Parsed, Parser};

/// Longest key memcached accepts.
pub const MAX_KEY_LEN: usize = 250;

/// A command line longer than this without a newline closes the
/// connection, unless it is a `get`/`gets` (memcached's rule).
pub const MAX_LINE: usize = 2048;

/// Longest `get`/`gets` line we buffer. memcached has no bound; one keeps
/// a client from making the server hold an endless line in memory.
pub const MAX_GET_LINE: usize = 1024 * 1024;

/// Reply lines, as memcached 1.6 words them.
pub mod reply {
    pub const ERROR: &[u8] = b"ERROR\r\n";
    pub const BAD_FORMAT: &[u8] = b"CLIENT_ERROR bad command line format\r\n";
    pub const BAD_CHUNK: &[u8] = b"CLIENT_ERROR bad data chunk\r\n";
    pub const BAD_EXPTIME: &[u8] = b"CLIENT_ERROR invalid exptime argument\r\n";
    pub const BAD_DELTA: &[u8] = b"CLIENT_ERROR invalid numeric delta argument\r\n";
    pub const NON_NUMERIC: &[u8] = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
    pub const DELETE_USAGE: &[u8] = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
    pub const TOO_LARGE: &[u8] = b"SERVER_ERROR object too large for cache\r\n";
    /// A storage command when memory is full and nothing may be evicted.
    pub const NO_MEMORY_STORING: &[u8] = b"SERVER_ERROR out of memory storing object\r\n";
    /// `incr` that needs a longer item when memory is full (memcached's
    /// arithmetic words it without "storing object").
    pub const NO_MEMORY: &[u8] = b"SERVER_ERROR out of memory\r\n";
    pub const STORED: &[u8] = b"STORED\r\n";
    pub const NOT_STORED: &[u8] = b"NOT_STORED\r\n";
    pub const EXISTS: &[u8] = b"EXISTS\r\n";
    pub const NOT_FOUND: &[u8] = b"NOT_FOUND\r\n";
    pub const DELETED: &[u8] = b"DELETED\r\n";
    pub const TOUCHED: &[u8] = b"TOUCHED\r\n";
    pub const OK: &[u8] = b"OK\r\n";
    pub const RESET: &[u8] = b"RESET\r\n";
    pub const END: &[u8] = b"END\r\n";
}

/// The storage verbs; each is a SET-family or APPEND-family write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Set,
    Add,
    Replace,
    Append,
    Prepend,
    /// `cas`, with the unique the item must still have.
    Cas(u64),
}

/// The keys of a retrieval line: space-separated, already checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys<'a>(&'a [u8]);

impl<'a> Keys<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> {
        self.0.split(|&c| c == b' ').filter(|k| !k.is_empty())
    }
}

/// One parsed request.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `get`/`gets`, and `gat`/`gats` when `touch` carries an exptime.
    Get {
        keys: Keys<'a>,
        cas: bool,
        touch: Option<i64>,
    },
    Store {
        mode: StoreMode,
        key: &'a [u8],
        flags: u32,
        exptime: i64,
        data: &'a [u8],
        noreply: bool,
    },
    /// A storage command whose data block is over the item size limit; the
    /// parser swallows the block.
    TooLarge {
        mode: StoreMode,
        key: &'a [u8],
        noreply: bool,
    },
    /// `incr`/`decr`.
    Arith {
        key: &'a [u8],
        delta: u64,
        decr: bool,
        noreply: bool,
    },
    Delete {
        key: &'a [u8],
        noreply: bool,
    },
    Touch {
        key: &'a [u8],
        exptime: i64,
        noreply: bool,
    },
    FlushAll {
        delay: i64,
        noreply: bool,
    },
    Version,
    Verbosity {
        noreply: bool,
    },
    /// `stats` with its optional group name.
    Stats {
        group: Option<&'a [u8]>,
    },
    Quit,
    /// A request that is answered with an error line and otherwise ignored.
    Error {
        reply: &'static [u8],
        noreply: bool,
    },
}
