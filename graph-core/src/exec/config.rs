use std::collections::BTreeMap;

use serde_json::Value;

use super::Budget;
use crate::checkpoint::Durability;
use crate::node::InterruptId;

/// How a run is carried out: its step limit, durability and interrupts.
/// A compiled graph holds the defaults; [`Run`](super::Run) overrides them
/// for one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub(crate) step_limit: u64,
    pub(crate) durability: Durability,
    pub(crate) interrupt_before: Option<Vec<String>>,
    pub(crate) interrupt_after: Option<Vec<String>>,
    pub(crate) budget: Budget,
    /// Record per-task metrics (see [`metrics`](super::metrics)).
    pub(crate) metrics: bool,
    /// Collect a [`RunReport`](super::RunReport).
    pub(crate) report: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            step_limit: 10_000,
            durability: Durability::Sync,
            interrupt_before: None,
            interrupt_after: None,
            budget: Budget::new(),
            metrics: false,
            report: false,
        }
    }
}

impl RunConfig {
    /// The step limit: super-steps one invocation may run.
    pub fn step_limit(&self) -> u64 {
        self.step_limit
    }

    /// The durability of checkpoints.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// The run's budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Whether the run collects a [`RunReport`](super::RunReport).
    pub fn report(&self) -> bool {
        self.report
    }
}

/// How to continue an interrupted or failed run.
///
/// ```
/// # use stategraph::exec::Resume;
/// let go_on = Resume::new();                   // after interrupt_before/after, or a failure
/// let answer = Resume::value("approved");      // the one pending `ctx.interrupt`
/// let named = Resume::new().to("7-0-0", 42).to("7-1-0", "yes"); // several, by id
/// # let _ = (go_on, answer, named);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resume {
    pub(crate) value: Option<Value>,
    pub(crate) values: BTreeMap<InterruptId, Value>,
}

impl Resume {
    /// Continue without a value.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer the single pending interrupt with `value`.
    pub fn value(value: impl Into<Value>) -> Self {
        Self { value: Some(value.into()), values: BTreeMap::new() }
    }

    /// Answer the interrupt `id` with `value`.
    pub fn to(mut self, id: impl Into<InterruptId>, value: impl Into<Value>) -> Self {
        self.values.insert(id.into(), value.into());
        self
    }

    /// Whether any value is given.
    pub fn has_values(&self) -> bool {
        self.value.is_some() || !self.values.is_empty()
    }
}
