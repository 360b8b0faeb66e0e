//! Cheap random numbers: a per-thread xorshift generator, lock-free and
//! good enough for sampling (eviction, RANDOMKEY, SRANDMEMBER and friends)
//! and the LFU counter's coin flips; never for anything secret.

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
    fn rand_unit_is_below_one() {
        for _ in 0..1000 {
            let u = rand_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
