//! Budgets: limits on the node runs, running time and cost of one run of a
//! thread, and what the run has used so far (kept in its checkpoints, so a
//! resumed run goes on counting).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits on one run. Checked between super-steps: the step that crosses a
/// limit finishes and is checkpointed, then the run stops with
/// [`Outcome::BudgetExceeded`](crate::exec::Outcome::BudgetExceeded). Resume it
/// with a larger budget to go on; a new input starts a new count. Usage is
/// counted, and kept in the checkpoints, while the run has a budget.
///
/// ```
/// use std::time::Duration;
/// use stategraph::exec::Budget;
///
/// // The reliability lesson's starting point: 50 calls, 5 minutes, $5.
/// let budget = Budget::new().steps(50).time(Duration::from_secs(300)).cost(5.0);
/// assert_eq!(budget.max_steps, Some(50));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Budget {
    /// Node runs (every attempt counts: each is a call).
    pub max_steps: Option<u64>,
    /// Time spent running, summed over the run's invocations (waiting for a
    /// human does not count).
    pub max_time: Option<Duration>,
    /// Cost the nodes reported with [`Ctx::add_cost`](crate::node::Ctx::add_cost),
    /// in the caller's unit (e.g. USD).
    pub max_cost: Option<f64>,
}

impl Budget {
    /// No limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `steps` node runs.
    pub fn steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }

    /// At most `time` of running.
    pub fn time(mut self, time: Duration) -> Self {
        self.max_time = Some(time);
        self
    }

    /// At most `cost` reported.
    pub fn cost(mut self, cost: f64) -> Self {
        self.max_cost = Some(cost);
        self
    }

    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.max_steps.is_some() || self.max_time.is_some() || self.max_cost.is_some()
    }

    /// The first limit `usage` has reached, with what was used and the limit.
    pub(crate) fn exceeded(&self, usage: &Usage) -> Option<(BudgetKind, f64, f64)> {
        if let Some(limit) = self.max_steps.filter(|&limit| usage.steps >= limit) {
            return Some((BudgetKind::Steps, usage.steps as f64, limit as f64));
        }
        if let Some(limit) = self.max_time.filter(|limit| usage.elapsed() >= *limit) {
            return Some((BudgetKind::Time, usage.elapsed().as_secs_f64(), limit.as_secs_f64()));
        }
        if let Some(limit) = self.max_cost.filter(|&limit| usage.cost >= limit) {
            return Some((BudgetKind::Cost, usage.cost, limit));
        }
        None
    }
}

/// Which limit of a [`Budget`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BudgetKind {
    /// Node runs.
    Steps,
    /// Running time, in seconds.
    Time,
    /// Reported cost.
    Cost,
}

impl fmt::Display for BudgetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BudgetKind::Steps => "steps",
            BudgetKind::Time => "time",
            BudgetKind::Cost => "cost",
        })
    }
}

/// What a run has used. Stored in the checkpoints of a run with a budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Node runs (attempts).
    pub steps: u64,
    /// Milliseconds spent running.
    pub elapsed_ms: u64,
    /// Cost the nodes reported.
    pub cost: f64,
    /// Tokens the nodes reported.
    pub tokens: u64,
}

impl Usage {
    /// The running time.
    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(self.elapsed_ms)
    }
}

/// Where the nodes of a run report cost and tokens: shared by every
/// [`Ctx`](crate::node::Ctx) of the run, drained by the runner after each step.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    /// Cost in millionths, so concurrent tasks add without a lock.
    micro_cost: AtomicU64,
    tokens: AtomicU64,
}

impl Meter {
    pub(crate) fn add_cost(&self, cost: f64) {
        if cost.is_finite() && cost > 0.0 {
            self.micro_cost.fetch_add((cost * 1e6).round() as u64, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_tokens(&self, tokens: u64) {
        self.tokens.fetch_add(tokens, Ordering::Relaxed);
    }

    /// Moves what was reported since the last call into `usage`.
    pub(crate) fn drain_into(&self, usage: &mut Usage) {
        usage.cost += self.micro_cost.swap(0, Ordering::Relaxed) as f64 / 1e6;
        usage.tokens += self.tokens.swap(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_limit_reached_is_reported() {
        let budget = Budget::new().steps(3).cost(1.0);
        let mut usage = Usage { steps: 2, cost: 0.5, ..Usage::default() };
        assert_eq!(budget.exceeded(&usage), None);
        usage.cost = 1.25;
        assert_eq!(budget.exceeded(&usage), Some((BudgetKind::Cost, 1.25, 1.0)));
        usage.steps = 3;
        assert_eq!(budget.exceeded(&usage), Some((BudgetKind::Steps, 3.0, 3.0)));
        assert_eq!(Budget::new().exceeded(&usage), None);
    }

    #[test]
    fn the_meter_adds_concurrent_reports() {
        let meter = Meter::default();
        meter.add_cost(0.25);
        meter.add_cost(0.5);
        meter.add_cost(f64::NAN);
        meter.add_tokens(10);
        let mut usage = Usage::default();
        meter.drain_into(&mut usage);
        meter.drain_into(&mut usage);
        assert_eq!((usage.cost, usage.tokens), (0.75, 10));
    }
}
