//! LZF, the compression RDB uses for long strings and quicklist nodes.
//!
//! A compressed stream is a sequence of runs, each opened by a control
//! byte `c`:
//!
//! ```text
//! c < 32            a literal: the next c + 1 bytes are copied as they are
//! c >> 5 in 1..=6   a back reference of (c >> 5) + 2 bytes
//! c >> 5 == 7       a back reference of 9 + the next byte bytes
//! ```
//!
//! A back reference ends with one more byte: it copies from
//! `((c & 31) << 8 | that byte) + 1` bytes behind the output's end, and
//! may overlap what it writes (a run of one repeated byte is a reference
//! one byte back). Nothing records where the stream ends or how long the
//! output is; RDB stores both lengths beside it.

/// Literal runs are at most 32 bytes long.
const MAX_LIT: usize = 32;
/// A back reference reaches at most 8192 bytes back.
const MAX_OFF: usize = 1 << 13;
/// A back reference copies at most 264 bytes.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// The shortest back reference worth coding: 3 bytes in 2.
const MIN_MATCH: usize = 3;

const HASH_LOG: u32 = 14;

/// Appends `input` compressed to `out` and returns true, or returns false
/// with `out` as it was when the compressed form would take more than
/// `max_out` bytes (or `input` is empty). The output is what liblzf's
/// `lzf_decompress` (and so Redis) reads; it need not be byte for byte
/// what liblzf's compressor writes.
pub(crate) fn compress(input: &[u8], out: &mut Vec<u8>, max_out: usize) -> bool {
    if input.is_empty() {
        return false;
    }
    TABLE.with(|t| compress_with(&mut t.borrow_mut(), input, out, max_out))
}

/// The hash table of [`compress`], one per thread: a snapshot compresses
/// a million short strings, and clearing a table for each cost more than
/// compressing them. An entry counts only in the call that wrote it.
struct Table {
    /// Per hash: the call's stamp in the high half, the position + 1 of
    /// the last 3-byte sequence with that hash in the low half.
    slots: Vec<u64>,
    stamp: u32,
}

impl Table {
    /// Starts a call: every entry of earlier calls reads as empty.
    fn next_call(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.slots.iter_mut().for_each(|e| *e = 0);
            self.stamp = 1;
        }
    }

    /// Position + 1 of the last sequence with hash `h` in this call; 0
    /// for none.
    fn get(&self, h: usize) -> usize {
        let e = self.slots[h];
        if (e >> 32) as u32 == self.stamp {
            (e & 0xffff_ffff) as usize
        } else {
            0
        }
    }

    fn set(&mut self, h: usize, pos_plus_one: usize) {
        self.slots[h] = (self.stamp as u64) << 32 | pos_plus_one as u64;
    }
}

thread_local! {
    static TABLE: std::cell::RefCell<Table> = std::cell::RefCell::new(Table {
        slots: vec![0; 1 << HASH_LOG],
        stamp: 0,
    });
}

fn compress_with(table: &mut Table, input: &[u8], out: &mut Vec<u8>, max_out: usize) -> bool {
    let start = out.len();
    table.next_call();
    let hash = |p: &[u8]| -> usize {
        let v = (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32;
        (v.wrapping_mul(2654435761) >> (32 - HASH_LOG)) as usize
    };
    let mut lit_start = 0;
    let mut ip = 0;
    while ip + MIN_MATCH <= input.len() {
        let h = hash(&input[ip..]);
        let cand = table.get(h);
        table.set(h, ip + 1);
        if cand > 0 {
            let r = cand - 1;
            let off = ip - r - 1;
            if off < MAX_OFF && input[r..r + MIN_MATCH] == input[ip..ip + MIN_MATCH] {
                let limit = MAX_REF.min(input.len() - ip);
                let mut len = MIN_MATCH;
                while len < limit && input[r + len] == input[ip + len] {
                    len += 1;
                }
                flush_literals(&input[lit_start..ip], out);
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                if out.len() - start > max_out {
                    out.truncate(start);
                    return false;
                }
                // Index the match's last positions so the next one can
                // refer into it; indexing every position costs more than
                // it gains on the short strings RDB compresses.
                let end = ip + len;
                for p in end.saturating_sub(2).max(ip + 1)..end {
                    if p + MIN_MATCH <= input.len() {
                        table.set(hash(&input[p..]), p + 1);
                    }
                }
                ip = end;
                lit_start = ip;
                continue;
            }
        }
        ip += 1;
        // Bail out early on incompressible data: literals alone cost
        // 33 bytes per 32.
        if out.len() - start + (ip - lit_start) + (ip - lit_start).div_ceil(MAX_LIT) > max_out {
            out.truncate(start);
            return false;
        }
    }
    flush_literals(&input[lit_start..], out);
    if out.len() - start > max_out {
        out.truncate(start);
        return false;
    }
    true
}

fn flush_literals(mut lit: &[u8], out: &mut Vec<u8>) {
    while !lit.is_empty() {
        let n = lit.len().min(MAX_LIT);
        out.push((n - 1) as u8);
        out.extend_from_slice(&lit[..n]);
        lit = &lit[n..];
    }
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes;
/// None when it does not or is malformed (a run past the input's end, a
/// reference before the output's start, output beyond `out_len`).
///
/// The output grows as runs produce it: a claimed `out_len` is never
/// reserved beyond what `input` can expand to (88 bytes per input byte,
/// a 3-byte reference to 264 bytes), so a hostile length costs no memory.
pub(crate) fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let bound = input.len().saturating_mul(MAX_REF / 3);
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(bound));
    let mut ip = 0;
    while ip < input.len() {
        let c = input[ip] as usize;
        ip += 1;
        if c < 32 {
            let n = c + 1;
            let lit = input.get(ip..ip + n)?;
            if out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            ip += n;
        } else {
            let mut len = c >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((c & 31) << 8 | *input.get(ip)? as usize) + 1;
            ip += 1;
            let len = len + 2;
            if out.len() + len > out_len || back > out.len() {
                return None;
            }
            let from = out.len() - back;
            if back >= len {
                out.extend_from_within(from..from + len);
            } else {
                // Overlapping: each byte may be one this run just wrote.
                for i in 0..len {
                    let b = out[from + i];
                    out.push(b);
                }
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Option<usize> {
        let mut out = vec![0xAA];
        if !compress(data, &mut out, data.len() * 2 + 64) {
            assert_eq!(out, [0xAA], "a failed compression leaves the output as it was");
            return None;
        }
        assert_eq!(out[0], 0xAA, "compression appends");
        let c = &out[1..];
        assert_eq!(decompress(c, data.len()).as_deref(), Some(data));
        Some(c.len())
    }

    fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn repetitive_input_shrinks_and_round_trips() {
        let data = vec![b'a'; 10_000];
        let n = round_trip(&data).unwrap();
        assert!(n < 200, "{n}");
        let text: Vec<u8> = b"the quick brown fox jumps over the lazy dog; "
            .iter()
            .cycle()
            .take(5000)
            .copied()
            .collect();
        assert!(round_trip(&text).unwrap() < 500);
    }

    #[test]
    fn every_shape_round_trips() {
        for n in 0..300 {
            let rnd = pseudo_random(n, n as u64 + 7);
            round_trip(&rnd);
            let few: Vec<u8> = rnd.iter().map(|b| b % 3).collect();
            round_trip(&few);
            let runs: Vec<u8> = (0..n).map(|i| (i / 17) as u8).collect();
            round_trip(&runs);
        }
        // Matches far apart (beyond the 8 KiB window) and long ones.
        let mut far = pseudo_random(9000, 3);
        far.extend_from_within(0..9000);
        round_trip(&far);
        let mut long = pseudo_random(300, 5);
        long.extend(std::iter::repeat_n(0u8, 1000));
        long.extend_from_within(0..600);
        round_trip(&long);
    }

    #[test]
    fn output_does_not_depend_on_earlier_calls() {
        let a = b"hello hello hello, world world world, hello world".to_vec();
        let first = {
            let mut out = Vec::new();
            assert!(compress(&a, &mut out, a.len()));
            out
        };
        // Other inputs leave entries behind in the thread's table.
        for n in 0..50 {
            let mut other = pseudo_random(200, n);
            other.extend_from_slice(&a);
            let mut out = Vec::new();
            compress(&other, &mut out, other.len());
        }
        let mut again = Vec::new();
        assert!(compress(&a, &mut again, a.len()));
        assert_eq!(again, first);
        let mut t = Table {
            slots: vec![0; 1 << HASH_LOG],
            stamp: u32::MAX,
        };
        t.set(3, 9);
        t.next_call();
        assert_eq!((t.stamp, t.get(3)), (1, 0), "the stamp wraps to a cleared table");
    }

    #[test]
    fn output_that_does_not_fit_is_refused() {
        let rnd = pseudo_random(100, 9);
        let mut out = Vec::new();
        assert!(!compress(&rnd, &mut out, 96));
        assert!(out.is_empty());
        assert!(!compress(b"", &mut out, 100));
        let a = vec![b'a'; 100];
        assert!(compress(&a, &mut out, 96));
        let n = out.len();
        out.clear();
        assert!(!compress(&a, &mut out, n - 1));
        assert!(compress(&a, &mut out, n));
    }

    #[test]
    fn decompresses_what_liblzf_writes() {
        // "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (50 bytes), as
        // Redis 7.0 stores it: a literal "a", then a reference one byte back.
        let c = [0x00, b'a', 0xe0, 0x28, 0x00];
        assert_eq!(decompress(&c, 50), Some(vec![b'a'; 50]));
    }

    #[test]
    fn malformed_input_is_refused_without_panic() {
        // A reference before the output's start.
        assert_eq!(decompress(&[0x20, 0x00], 3), None);
        // A literal past the input's end.
        assert_eq!(decompress(&[0x05, b'a'], 6), None);
        // A reference missing its offset byte, or its length byte.
        assert_eq!(decompress(&[0x00, b'a', 0x20], 4), None);
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 20), None);
        // Output longer or shorter than declared.
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), None);
        assert_eq!(decompress(&[0x01, b'a', b'b'], 3), None);
        assert_eq!(decompress(&[], 0), Some(vec![]));
        // A huge declared length costs nothing up front.
        assert_eq!(decompress(&[0x00, b'a'], usize::MAX), None);
        for seed in 0..2000u64 {
            let junk = pseudo_random((seed % 40) as usize, seed);
            let _ = decompress(&junk, (seed % 300) as usize);
        }
    }
}
