//! Settings shared by the criterion benches: short warm-up and measurement
//! so the whole set runs in a few minutes on two cores.

use criterion::Criterion;
use std::time::Duration;

pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}
