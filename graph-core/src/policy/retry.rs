use std::time::Duration;

/// How often and how patiently a failing node is tried again.
///
/// The defaults are LangGraph's: 3 attempts (the first included), 0.5 s
/// before the second, doubling, at most 128 s, with jitter. Only errors whose
/// [`ErrorKind`](crate::node::ErrorKind) is retryable are retried: transient
/// errors, timeouts and invalid output.
///
/// ```
/// use std::time::Duration;
/// use stategraph::policy::RetryPolicy;
///
/// let policy = RetryPolicy::new(4).initial(Duration::from_secs(1)).jitter(false);
/// assert_eq!(policy.delay(1, 0), Duration::from_secs(1)); // after the first failure
/// assert_eq!(policy.delay(3, 0), Duration::from_secs(4)); // after the third
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub max_attempts: u32,
    /// The wait after the first failed attempt.
    pub initial: Duration,
    /// How much each wait grows over the previous one.
    pub factor: f64,
    /// The longest wait.
    pub max: Duration,
    /// Whether each wait is stretched by a pseudo-random 0 to 50%, so that
    /// many runs failing together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial: Duration::from_millis(500),
            factor: 2.0,
            max: Duration::from_secs(128),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy with `max_attempts` attempts in all.
    pub fn new(max_attempts: u32) -> Self {
        Self { max_attempts: max_attempts.max(1), ..Self::default() }
    }

    /// One attempt, no retry.
    pub fn never() -> Self {
        Self::new(1)
    }

    /// Sets the wait after the first failure.
    pub fn initial(mut self, initial: Duration) -> Self {
        self.initial = initial;
        self
    }

    /// Sets the growth factor of the waits.
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Sets the longest wait.
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// Turns jitter on or off.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The wait after failed attempt number `failed` (1 for the first):
    /// `initial * factor^(failed - 1)`, at most `max`, stretched by jitter.
    /// `seed` makes the jitter of one task reproducible.
    pub fn delay(&self, failed: u32, seed: u64) -> Duration {
        let exponent = failed.saturating_sub(1).min(1_000) as i32;
        let factor = if self.factor.is_finite() && self.factor > 0.0 { self.factor } else { 1.0 };
        let base = self.initial.as_secs_f64() * factor.powi(exponent);
        let stretched = if self.jitter { base * (1.0 + 0.5 * unit_interval(seed, failed)) } else { base };
        let max = self.max.as_secs_f64();
        Duration::try_from_secs_f64(stretched.min(max)).unwrap_or(self.max)
    }
}

/// A pseudo-random number in [0, 1) from `seed` and `n` (splitmix64): jitter
/// needs spread, not secrecy, and a replay gets the same waits.
fn unit_interval(seed: u64, n: u32) -> f64 {
    let mut z = seed ^ (u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_by_the_factor_up_to_the_max() {
        let p = RetryPolicy::default().jitter(false);
        let waits: Vec<u128> = (1..=10).map(|n| p.delay(n, 0).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 128000]);
    }

    #[test]
    fn jitter_stretches_by_at_most_half_and_is_reproducible() {
        let p = RetryPolicy::default();
        for n in 1..8 {
            let plain = p.jitter(false).delay(n, 7);
            let jittered = p.delay(n, 7);
            assert!(jittered >= plain && jittered <= plain.mul_f64(1.5).min(p.max));
            assert_eq!(jittered, p.delay(n, 7));
        }
    }

    #[test]
    fn odd_factors_do_not_panic() {
        for factor in [f64::NAN, f64::INFINITY, -1.0, 0.0, 1e300] {
            let _ = RetryPolicy::default().factor(factor).delay(u32::MAX, 1);
        }
    }
}
