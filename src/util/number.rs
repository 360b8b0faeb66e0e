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

/// Appends a double as Redis 7.2 replies with it (`d2string`): `inf`,
/// `-inf`, `nan`, `-0`; an integer that fits in half the i64 range as
/// digits; anything else as its shortest round-trip digits laid out by
/// Redis's `fpconv_dtoa`: plain up to 7 trailing zeros or 6 decimals,
/// exponent form (`1e+100`, `1.5e-07`) beyond. Redis 7.0 printed `%.17g`
/// (0.1 as `0.10000000000000001`); 7.2 is the reference here.
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
    const HALF: f64 = (i64::MAX / 2) as f64;
    if (-HALF..=HALF).contains(&v) && v == v.trunc() {
        return push_int(out, v as i64);
    }
    // Shortest digits and decimal exponent, from Rust's `{:e}` into a
    // stack buffer: "d.ddddde-x".
    use std::io::Write;
    let mut buf = [0u8; 40];
    let n = {
        let mut w = &mut buf[..];
        let _ = write!(w, "{:e}", v.abs());
        40 - w.len()
    };
    let text = &buf[..n];
    let epos = text.iter().position(|&c| c == b'e').unwrap_or(n);
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in &text[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    let e10: i32 = std::str::from_utf8(&text[(epos + 1).min(n)..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let digits = &digits[..nd];
    let nd = nd as i32;
    // fpconv's terms: the value is digits x 10^k.
    let k = e10 - nd + 1;
    let exp = e10.abs();
    if v < 0.0 {
        out.push(b'-');
    }
    if k >= 0 && exp < nd + 7 {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
    } else if k < 0 && (k > -7 || exp < 4) {
        let offset = nd + k;
        if offset <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-offset) as usize));
            out.extend_from_slice(digits);
        } else {
            out.extend_from_slice(&digits[..offset as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[offset as usize..]);
        }
    } else {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if e10 < 0 { b'-' } else { b'+' });
        if exp < 10 {
            out.push(b'0');
        }
        push_uint(out, exp as u64);
    }
}

/// [`push_double`] as a string.
pub(crate) fn format_double(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    push_double(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn doubles_use_the_shortest_form() {
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(-0.5), "-0.5");
        assert_eq!(format_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_double(1e100), "1e+100");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    }
}
