//! Numbers to and from text, in the exact forms Redis reads and writes.

/// Parses a canonical signed 64-bit decimal: no leading `+`, no leading
/// zeros, no spaces. This is the form Redis accepts for integers.
pub(crate) fn parse_i64_exact(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || neg)) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = (c - b'0') as i64;
        v = if neg {
            v.checked_mul(10)?.checked_sub(d)?
        } else {
            v.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(v)
}

/// Reads a number as C's `atoi` does: leading spaces, an optional sign,
/// then digits up to the first other byte; 0 when there are none. Only
/// for where Redis itself reads that leniently (a key count its key
/// finders read after the strict reading failed). Saturates instead of
/// overflowing.
pub(crate) fn atoi(b: &[u8]) -> i64 {
    let b = &b[b.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// Appends a decimal integer without going through `fmt`.
pub(crate) fn push_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_uint(out, v.unsigned_abs());
}

pub(crate) fn push_uint(out: &mut Vec<u8>, mut n: u64) {
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

/// Appends a double as Redis 7.0 replies with it (`addReplyDouble`):
/// `inf`, `-inf`, `nan`, and anything else as C's `%.17g`, 17 significant
/// digits with trailing zeros dropped: `0.10000000000000001`, `2.5`,
/// `100`, `1e+17`, `1.4999999999999999e-07`.
pub(crate) fn push_double(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        return out.extend_from_slice(b"nan");
    }
    if v.is_infinite() {
        return out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    }
    if v == 0.0 {
        return out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    }
    // 17 correctly rounded significant digits and the decimal exponent,
    // from Rust's `{:.16e}` into a stack buffer: "d.dddddddddddddddde-x".
    use std::io::Write;
    let mut buf = [0u8; 40];
    let n = {
        let mut w = &mut buf[..];
        let _ = write!(w, "{:.16e}", v.abs());
        40 - w.len()
    };
    let text = &buf[..n];
    let epos = text.iter().position(|&c| c == b'e').unwrap_or(n);
    let mut digits = [0u8; 17];
    let mut nd = 0;
    for &c in &text[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    // %g drops trailing zeros.
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let digits = &digits[..nd];
    let e10: i32 = std::str::from_utf8(&text[(epos + 1).min(n)..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    if v < 0.0 {
        out.push(b'-');
    }
    if (-4..17).contains(&e10) {
        if e10 >= 0 {
            let int_len = e10 as usize + 1;
            if nd <= int_len {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', int_len - nd));
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-e10 - 1) as usize));
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if e10 < 0 { b'-' } else { b'+' });
        let exp = e10.unsigned_abs();
        if exp < 10 {
            out.push(b'0');
        }
        push_uint(out, exp as u64);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn atoi_reads_a_leading_number_and_ignores_the_rest() {
        assert_eq!(super::atoi(b"12abc"), 12);
        assert_eq!(super::atoi(b" -3"), -3);
        assert_eq!(super::atoi(b"x1"), 0);
        assert_eq!(super::atoi(b""), 0);
    }

    use super::*;

    fn format_double(v: f64) -> String {
        let mut out = Vec::new();
        push_double(&mut out, v);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn parse_i64_exact_accepts_canonical_forms_only() {
        assert_eq!(parse_i64_exact(b"0"), Some(0));
        assert_eq!(parse_i64_exact(b"-12"), Some(-12));
        assert_eq!(parse_i64_exact(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64_exact(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64_exact(b"9223372036854775808"), None);
        assert_eq!(parse_i64_exact(b"012"), None);
        assert_eq!(parse_i64_exact(b"-0"), None);
        assert_eq!(parse_i64_exact(b"+1"), None);
        assert_eq!(parse_i64_exact(b" 1"), None);
        assert_eq!(parse_i64_exact(b""), None);
        assert_eq!(parse_i64_exact(b"-"), None);
    }

    /// Each expected text is what `printf("%.17g")` prints.
    #[test]
    fn doubles_print_as_c_percent_17g() {
        for (v, s) in [
            (3.0, "3"),
            (-0.5, "-0.5"),
            (0.1, "0.10000000000000001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.6608369297631257, "0.66083692976312569"),
            (1e100, "1e+100"),
            (1e300, "1.0000000000000001e+300"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1.5e-7, "1.4999999999999999e-07"),
            (1e-4, "0.0001"),
            (1.5e-5, "1.5e-05"),
            (100.0, "100"),
            (2.5, "2.5"),
            (-0.0, "-0"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "4.9406564584124654e-324"),
        ] {
            assert_eq!(format_double(v), s, "{v:e}");
        }
    }
}
