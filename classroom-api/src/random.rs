//! Random numbers for token salts and retry jitter, from the standard library alone.
//!
//! Neither needs a cryptographic generator: a salt is sent in the clear inside the token (the
//! vendor draws it with Python's `random`), and jitter only spreads retries. Each draw is SipHash,
//! keyed with the process's random `RandomState` keys (read from the operating system), of a
//! counter and the clock, so that no generator crate is added to the users' dependency tree.

use std::hash::{BuildHasher, RandomState};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A uniformly distributed `u64`.
fn next_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one((n, nanos))
}

/// A number in `range`, uniformly distributed up to a bias below 2^-32 (Lemire's multiply-shift).
pub(crate) fn in_range(range: RangeInclusive<u64>) -> u64 {
    let (low, high) = range.into_inner();
    if high <= low {
        return low;
    }
    let span = u128::from(high - low) + 1;
    let offset = (u128::from(next_u64()) * span) >> 64;
    low + u64::try_from(offset).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_range_and_cover_it() {
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let x = in_range(1..=10);
            assert!((1..=10).contains(&x), "{x}");
            seen[usize::try_from(x - 1).unwrap()] += 1;
        }
        // Uniform: each value expected 1000 times; 700 is more than 9 standard deviations away.
        assert!(seen.iter().all(|&n| n > 700), "{seen:?}");
        assert_eq!(in_range(5..=5), 5);
        let draws: Vec<u64> = (0..100).map(|_| in_range(0..=u64::MAX)).collect();
        assert!(draws.iter().any(|&x| x != draws[0]), "{draws:?}");
    }
}
