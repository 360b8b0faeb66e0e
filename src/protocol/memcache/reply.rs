//! memcached's reply lines, as memcached 1.6 words them: the fixed lines
//! as constants, and writers for the lines that carry values.
//!
//! Writers append to the connection's output buffer and take plain
//! numbers, never store types: the command layer reads an item and passes
//! its flags and CAS unique here.

use super::VERSION;
use crate::util::number::push_uint;

pub(crate) const ERROR: &[u8] = b"ERROR\r\n";
pub(crate) const BAD_FORMAT: &[u8] = b"CLIENT_ERROR bad command line format\r\n";
pub(crate) const BAD_CHUNK: &[u8] = b"CLIENT_ERROR bad data chunk\r\n";
pub(crate) const BAD_EXPTIME: &[u8] = b"CLIENT_ERROR invalid exptime argument\r\n";
pub(crate) const BAD_DELTA: &[u8] = b"CLIENT_ERROR invalid numeric delta argument\r\n";
pub(crate) const NON_NUMERIC: &[u8] = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
pub(crate) const DELETE_USAGE: &[u8] = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
pub(crate) const TOO_LARGE: &[u8] = b"SERVER_ERROR object too large for cache\r\n";
/// A storage command when memory is full and nothing may be evicted.
pub(crate) const NO_MEMORY_STORING: &[u8] = b"SERVER_ERROR out of memory storing object\r\n";
/// `incr` that needs a longer item when memory is full (memcached's
/// arithmetic words it without "storing object").
pub(crate) const NO_MEMORY: &[u8] = b"SERVER_ERROR out of memory\r\n";
pub(crate) const STORED: &[u8] = b"STORED\r\n";
pub(crate) const NOT_STORED: &[u8] = b"NOT_STORED\r\n";
pub(crate) const EXISTS: &[u8] = b"EXISTS\r\n";
pub(crate) const NOT_FOUND: &[u8] = b"NOT_FOUND\r\n";
pub(crate) const DELETED: &[u8] = b"DELETED\r\n";
pub(crate) const TOUCHED: &[u8] = b"TOUCHED\r\n";
pub(crate) const OK: &[u8] = b"OK\r\n";
pub(crate) const RESET: &[u8] = b"RESET\r\n";
pub(crate) const END: &[u8] = b"END\r\n";

/// One item of a retrieval reply; the CAS unique only for `gets`/`gats`.
///
/// ```text
/// VALUE <key> <flags> <bytes>[ <cas unique>]\r\n
/// <data block>\r\n
/// ```
pub(crate) fn value(out: &mut Vec<u8>, key: &[u8], flags: u32, data: &[u8], cas: Option<u64>) {
    out.extend_from_slice(b"VALUE ");
    out.extend_from_slice(key);
    out.push(b' ');
    push_uint(out, flags as u64);
    out.push(b' ');
    push_uint(out, data.len() as u64);
    if let Some(unique) = cas {
        out.push(b' ');
        push_uint(out, unique);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The new value of an `incr` or `decr`.
///
/// ```text
/// <value>\r\n
/// ```
pub(crate) fn number(out: &mut Vec<u8>, n: u64) {
    push_uint(out, n);
    out.extend_from_slice(b"\r\n");
}

/// The answer to `version`.
///
/// ```text
/// VERSION <version>\r\n
/// ```
pub(crate) fn version(out: &mut Vec<u8>) {
    out.extend_from_slice(b"VERSION ");
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// One line of a `stats` reply (the reply ends with [`END`]).
///
/// ```text
/// STAT <name> <value>\r\n
/// ```
pub(crate) fn stat(out: &mut Vec<u8>, name: &str, value: impl std::fmt::Display) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "STAT {name} {value}\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_line_carries_the_cas_unique_only_when_asked() {
        let mut out = Vec::new();
        value(&mut out, b"k", 5, b"ab\r\n", None);
        value(&mut out, b"k", 0, b"", Some(42));
        assert_eq!(out, b"VALUE k 5 4\r\nab\r\n\r\nVALUE k 0 0 42\r\n\r\n");
    }
}
