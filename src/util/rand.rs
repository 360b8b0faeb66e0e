//! Cheap random numbers: a per-thread xorshift generator, lock-free and
//! good enough for sampling (eviction, RANDOMKEY, SRANDMEMBER and friends)
//! and the LFU counter's coin flips; never for anything secret. Secrets
//! (ACL GENPASS) take the kernel's bytes: [`secure_fill`].

use std::hash::BuildHasher;

/// A uniformly distributed `u64`.
pub(crate) fn rand_u64() -> u64 {
    use std::cell::Cell;
    thread_local! {
        // Seeded per thread from the hasher's random keys.
        static STATE: Cell<u64> = Cell::new(hashbrown::DefaultHashBuilder::default().hash_one(0u64) | 1);
    }
    STATE.with(|s| {
        let mut x = s.get() | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

/// A uniform number in [0, 1).
pub(crate) fn rand_unit() -> f64 {
    (rand_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform index below `n`; 0 when `n` is 0.
///
/// Multiply-shift rather than `rand % n`: the same cost without the
/// division, and no bias toward small indexes when `n` does not divide 2^64
/// (a bias of at most n / 2^64 either way, but the product keeps the
/// generator's high bits, its better ones).
pub(crate) fn rand_below(n: usize) -> usize {
    ((rand_u64() as u128 * n as u128) >> 64) as usize
}

/// Fills `buf` with the kernel's cryptographically secure random bytes
/// (`getrandom(2)`, which blocks only until the pool is first seeded).
pub(crate) fn secure_fill(buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: the pointer and length describe the unfilled part of `buf`.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr() as *mut libc::c_void, rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rand_below_stays_in_range_and_reaches_every_index() {
        assert_eq!(rand_below(0), 0);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let i = rand_below(5);
            assert!(i < 5);
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }

    #[test]
    fn secure_fill_fills_the_whole_buffer() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        secure_fill(&mut a).unwrap();
        secure_fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != 0));
    }

    #[test]
    fn rand_unit_is_below_one() {
        for _ in 0..1000 {
            let u = rand_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
