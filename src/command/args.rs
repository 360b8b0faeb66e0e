//! Argument parsing shared by handlers, with Redis's acceptance rules.

use super::errors;
use crate::util::number::parse_i64_exact;

/// A signed 64-bit integer in canonical form, or Redis's "not an integer" error.
pub(crate) fn int(b: &[u8]) -> Result<i64, &'static str> {
    parse_i64_exact(b).ok_or(errors::NOT_INTEGER)
}

/// A non-negative integer that fits `usize`.
pub(crate) fn uint(b: &[u8]) -> Result<usize, &'static str> {
    match parse_i64_exact(b) {
        Some(v) if v >= 0 => Ok(v as usize),
        _ => Err(errors::NOT_INTEGER),
    }
}

/// A double as Redis reads one (strtod over the whole argument): decimal
/// and exponent forms, `inf`, `+inf`, `-inf`; never NaN, never spaces.
pub(crate) fn float(b: &[u8]) -> Result<f64, &'static str> {
    let s = std::str::from_utf8(b).map_err(|_| errors::NOT_FLOAT)?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return Err(errors::NOT_FLOAT);
    }
    let v = match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        l if l.contains("nan") || l.contains("inf") => return Err(errors::NOT_FLOAT),
        _ => s.parse::<f64>().map_err(|_| errors::NOT_FLOAT)?,
    };
    Ok(v)
}

/// `[ASYNC | SYNC]` after the command word `a[0]` (FLUSHDB, FLUSHALL;
/// SCRIPT FLUSH and FUNCTION FLUSH pass their subcommand as `a[0]`):
/// whether to free lazily, None on a syntax error.
pub(crate) fn flush_mode(a: &[&[u8]]) -> Option<bool> {
    match a.len() {
        1 => Some(false),
        2 if is(a[1], "async") => Some(true),
        2 if is(a[1], "sync") => Some(false),
        _ => None,
    }
}

/// A blocking command's timeout, in seconds with a fraction, as a deadline
/// in Unix ms from `now` (0: block forever), with Redis's refusals. As
/// Redis does, the milliseconds are rounded up before the sign is checked:
/// 0.0001 waits 1 ms rather than forever, and a negative timeout above
/// -0.001 rounds to 0, forever, where -0.001 and below are refused.
pub(crate) fn parse_timeout(arg: &[u8], now: u64) -> Result<u64, &'static str> {
    let secs = float(arg).map_err(|_| errors::TIMEOUT_NOT_FLOAT)?;
    let ms = (secs * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(errors::TIMEOUT_OUT_OF_RANGE);
    }
    if ms < 0.0 {
        return Err(errors::TIMEOUT_NEGATIVE);
    }
    if ms == 0.0 {
        return Ok(0);
    }
    (ms as u64)
        .checked_add(now)
        .filter(|&d| d <= i64::MAX as u64)
        .ok_or(errors::TIMEOUT_OUT_OF_RANGE)
}

/// Case-insensitive comparison with an option name.
pub(crate) fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_accepts_what_strtod_accepts() {
        assert_eq!(float(b"1.5"), Ok(1.5));
        assert_eq!(float(b"-1e3"), Ok(-1000.0));
        assert_eq!(float(b"+inf"), Ok(f64::INFINITY));
        assert!(float(b"nan").is_err());
        assert!(float(b" 1").is_err());
        assert!(float(b"").is_err());
        assert!(float(b"1x").is_err());
    }

    #[test]
    fn timeouts_parse_as_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(0));
        assert_eq!(parse_timeout(b"0.0001", 1000), Ok(1001), "rounded up, not to forever");
        assert_eq!(parse_timeout(b"2", 1000), Ok(3000));
        assert_eq!(parse_timeout(b"x", 0), Err(errors::TIMEOUT_NOT_FLOAT));
        assert_eq!(parse_timeout(b"nan", 0), Err(errors::TIMEOUT_NOT_FLOAT));
        assert_eq!(parse_timeout(b"-1", 0), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"-inf", 0), Err(errors::TIMEOUT_NEGATIVE));
        assert_eq!(parse_timeout(b"inf", 0), Err(errors::TIMEOUT_OUT_OF_RANGE));
    }

    #[test]
    fn a_tiny_negative_timeout_rounds_up_to_forever_as_in_redis() {
        assert_eq!(parse_timeout(b"-0.0001", 1000), Ok(0));
        assert_eq!(parse_timeout(b"-0.001", 1000), Err(errors::TIMEOUT_NEGATIVE));
    }
}
