use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// When a circuit breaker opens and how long it stays open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker (default 5).
    pub failure_threshold: u32,
    /// How long an open breaker rejects calls before it lets one trial call
    /// through (default 30 s).
    pub cool_down: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failure_threshold: 5, cool_down: Duration::from_secs(30) }
    }
}

/// Where a circuit breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls fail at once, without running the node, until the cool-down ends.
    Open,
    /// The cool-down ended: one trial call is running; its success closes the
    /// breaker, its failure opens it again.
    HalfOpen,
}

impl BreakerState {
    /// The state's name, as shown in records and DOT.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The circuit breakers of one compiled graph (or of several graphs that
/// share them): one per named service, created on first use.
///
/// Clones of a [`CompiledGraph`](crate::graph::CompiledGraph) share its
/// registry, so every run of a graph sees the same breaker state.
#[derive(Default)]
pub struct Breakers {
    configs: Mutex<HashMap<String, BreakerConfig>>,
    breakers: Mutex<HashMap<String, Arc<Breaker>>>,
    default: BreakerConfig,
}

impl Breakers {
    /// An empty registry whose breakers use [`BreakerConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty registry whose breakers use `config` unless configured one by one.
    pub fn with_default(config: BreakerConfig) -> Self {
        Self { default: config, ..Self::default() }
    }

    /// Sets the configuration of the breaker `name` (before its first use).
    pub fn configure(&self, name: &str, config: BreakerConfig) {
        lock(&self.configs).insert(name.to_owned(), config);
    }

    /// The state of breaker `name`, or `None` if no call has used it yet.
    pub fn state(&self, name: &str) -> Option<BreakerState> {
        lock(&self.breakers).get(name).map(|b| b.state())
    }

    /// Every breaker used so far, with its state, sorted by name.
    pub fn states(&self) -> Vec<(String, BreakerState)> {
        let mut all: Vec<_> = lock(&self.breakers).iter().map(|(n, b)| (n.clone(), b.state())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub(crate) fn get(&self, name: &str) -> Arc<Breaker> {
        if let Some(breaker) = lock(&self.breakers).get(name) {
            return Arc::clone(breaker);
        }
        let config = lock(&self.configs).get(name).copied().unwrap_or(self.default);
        let mut breakers = lock(&self.breakers);
        Arc::clone(breakers.entry(name.to_owned()).or_insert_with(|| Arc::new(Breaker::new(config))))
    }
}

impl fmt::Debug for Breakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breakers").field("states", &self.states()).finish()
    }
}

/// A poisoned lock only means another thread panicked while holding it; the
/// breaker's plain counters are still meaningful.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One breaker.
#[derive(Debug)]
pub(crate) struct Breaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Option<Instant>,
}

/// Whether a call may go through, and the state change deciding it caused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Allowed(Option<(BreakerState, BreakerState)>),
    Rejected,
}

impl Breaker {
    fn new(config: BreakerConfig) -> Self {
        Self { config, inner: Mutex::new(Inner { state: BreakerState::Closed, failures: 0, opened_at: None }) }
    }

    pub(crate) fn state(&self) -> BreakerState {
        lock(&self.inner).state
    }

    /// Asks to make a call now.
    pub(crate) fn admit(&self) -> Admission {
        let mut inner = lock(&self.inner);
        match inner.state {
            BreakerState::Closed => Admission::Allowed(None),
            BreakerState::HalfOpen => Admission::Rejected,
            BreakerState::Open => {
                let cooled = inner.opened_at.is_none_or(|at| at.elapsed() >= self.config.cool_down);
                if cooled {
                    inner.state = BreakerState::HalfOpen;
                    Admission::Allowed(Some((BreakerState::Open, BreakerState::HalfOpen)))
                } else {
                    Admission::Rejected
                }
            }
        }
    }

    /// Reports an admitted call's result; returns the state change it caused.
    pub(crate) fn record(&self, success: bool) -> Option<(BreakerState, BreakerState)> {
        let mut inner = lock(&self.inner);
        let before = inner.state;
        if success {
            inner.failures = 0;
            inner.state = BreakerState::Closed;
        } else {
            inner.failures = inner.failures.saturating_add(1);
            if before == BreakerState::HalfOpen || inner.failures >= self.config.failure_threshold.max(1) {
                inner.state = BreakerState::Open;
                inner.opened_at = Some(Instant::now());
            }
        }
        (inner.state != before).then_some((before, inner.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_and_closes_after_a_good_trial() {
        let breakers = Breakers::new();
        breakers.configure("ocr", BreakerConfig { failure_threshold: 2, cool_down: Duration::from_secs(10) });
        let b = breakers.get("ocr");
        assert_eq!(b.admit(), Admission::Allowed(None));
        assert_eq!(b.record(false), None);
        assert_eq!(b.record(false), Some((BreakerState::Closed, BreakerState::Open)));
        assert_eq!(b.admit(), Admission::Rejected);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.admit(), Admission::Allowed(Some((BreakerState::Open, BreakerState::HalfOpen))));
        assert_eq!(b.admit(), Admission::Rejected, "one trial at a time");
        assert_eq!(b.record(true), Some((BreakerState::HalfOpen, BreakerState::Closed)));
        assert_eq!(breakers.state("ocr"), Some(BreakerState::Closed));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_trial_opens_it_again() {
        let breakers =
            Breakers::with_default(BreakerConfig { failure_threshold: 1, cool_down: Duration::from_secs(1) });
        let b = breakers.get("llm");
        b.record(false);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(b.admit(), Admission::Allowed(Some(_))));
        assert_eq!(b.record(false), Some((BreakerState::HalfOpen, BreakerState::Open)));
        assert_eq!(b.admit(), Admission::Rejected);
    }
}
