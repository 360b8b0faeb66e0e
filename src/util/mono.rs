//! A monotonic clock in nanoseconds, for timing commands.
//!
//! `Instant::now()` and `elapsed()` go through `Timespec` arithmetic with
//! checked conversions on every call; timing every command needs only a
//! raw reading and a subtraction.

/// Nanoseconds on the monotonic clock (CLOCK_MONOTONIC); only differences
/// mean anything.
#[inline]
pub(crate) fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn readings_never_go_back() {
        let mut last = super::now_ns();
        for _ in 0..1000 {
            let now = super::now_ns();
            assert!(now >= last, "{last} {now}");
            last = now;
        }
    }
}
