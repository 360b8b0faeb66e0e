//! The memcached text protocol: bytes to [`Request`]s ([`Parser`]) and the
//! reply lines memcached 1.6 sends, worded byte for byte ([`reply`]).
//!
//! Like the RESP side, this module never touches the store: the memcached
//! session parses with it, and the command layer's memcached verbs
//! (`command::memcache`) run each request through the typed string
//! operations and write the replies with [`reply`]'s lines and writers.

mod parse;
pub(crate) mod reply;

pub(crate) use parse::{Parsed, Parser};

/// Longest key memcached accepts.
pub(crate) const MAX_KEY_LEN: usize = 250;

/// A command line longer than this without a newline closes the
/// connection, unless it is a `get`/`gets` (memcached's rule).
pub(crate) const MAX_LINE: usize = 2048;

/// Longest `get`/`gets` line we buffer. memcached has no bound; one keeps
/// a client from making the server hold an endless line in memory.
pub(crate) const MAX_GET_LINE: usize = 1024 * 1024;

/// The version `version` and `stats` report: the memcached release whose
/// text protocol this one follows, then ours. Clients and tools choose
/// behaviour by the leading memcached version (memccapable expects errors
/// for unknown `version` arguments from servers that are not 1.6-like), so
/// it comes first.
pub(crate) const VERSION: &str = concat!("1.6.18-ferrocache-", env!("CARGO_PKG_VERSION"));

/// The storage verbs; each is a SET-family or APPEND-family write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreMode {
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
pub(crate) struct Keys<'a>(&'a [u8]);

impl<'a> Keys<'a> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> {
        self.0.split(|&c| c == b' ').filter(|k| !k.is_empty())
    }
}

/// One parsed request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request<'a> {
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
