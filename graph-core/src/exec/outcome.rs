use std::fmt;

use serde::{Deserialize, Serialize};

use super::{BudgetKind, NodeFailure, RunHealth, RunReport};
use crate::checkpoint::CheckpointId;
use crate::node::{Interrupt, TaskError};
use crate::state::State;

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Outcome {
    /// No task is left: the run reached END on every branch.
    Completed,
    /// The run stopped for a human; resume it with
    /// [`CompiledGraph::resume`](crate::graph::CompiledGraph::resume).
    Interrupted {
        /// What it waits for.
        interrupts: Vec<Interrupt>,
    },
    /// A node failed. The tasks of its step that succeeded are recorded and
    /// will not run again; resuming runs the failed ones.
    Failed {
        /// The failed node (the first, in task order, if several failed).
        node: String,
        /// Its error.
        error: TaskError,
    },
    /// A critical node failed and the completed nodes with compensators were
    /// undone, newest first. The thread's run is over; invoke it with new
    /// input to start again.
    RolledBack {
        /// The node whose failure started the rollback.
        failed_node: String,
        /// Its error.
        error: TaskError,
        /// The nodes undone, in the order their compensators ran.
        compensated: Vec<String>,
        /// Compensators that failed after their retries (the rollback went on).
        compensation_failures: Vec<NodeFailure>,
    },
    /// A node was about to run for the loop limit's time on the same input
    /// (see [`StateGraph::detect_loops`](crate::graph::StateGraph::detect_loops)).
    /// It is still pending: a resume runs it again, with a fresh count.
    LoopDetected {
        /// The looping node.
        node: String,
        /// The visits that made the loop.
        visits: u32,
    },
    /// The run reached a limit of its [`Budget`](super::Budget) and stopped
    /// between steps, everything so far checkpointed. Resume it with a larger
    /// budget to go on.
    BudgetExceeded {
        /// Which limit.
        budget: BudgetKind,
        /// What the run had used: node runs, seconds or cost.
        used: f64,
        /// The limit, in the same unit.
        limit: f64,
    },
}

/// What a run returns: the state it reached and how it ended.
pub struct RunResult<S: State> {
    /// The state at the end of the run (for a failed or interrupted step,
    /// including the writes of the tasks that succeeded).
    pub state: S,
    /// How the run ended.
    pub outcome: Outcome,
    /// The nodes that degraded, failed as optional, were skipped or replaced
    /// by a fallback: what the state may be missing.
    pub health: RunHealth,
    /// The thread.
    pub thread: String,
    /// The thread's latest checkpoint, when the graph has a checkpointer.
    pub checkpoint: Option<CheckpointId>,
    /// Super-steps this invocation ran.
    pub steps: u64,
    /// Each task this invocation ran, with its outcome, attempts, latency
    /// and cost, when the run asked for a report
    /// ([`Run::report`](super::Run::report),
    /// [`with_reports`](crate::graph::CompiledGraph::with_reports)); else
    /// `None`. Boxed, so a result without one stays small.
    pub report: Option<Box<RunReport>>,
}

impl<S: State> RunResult<S> {
    /// Whether the run completed.
    pub fn is_completed(&self) -> bool {
        self.outcome == Outcome::Completed
    }

    /// The pending interrupts, empty unless the run was interrupted.
    pub fn interrupts(&self) -> &[Interrupt] {
        match &self.outcome {
            Outcome::Interrupted { interrupts } => interrupts,
            _ => &[],
        }
    }
}

impl<S: State> fmt::Debug for RunResult<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunResult")
            .field("state", &self.state)
            .field("outcome", &self.outcome)
            .field("health", &self.health)
            .field("thread", &self.thread)
            .field("checkpoint", &self.checkpoint)
            .field("steps", &self.steps)
            .field("report", &self.report)
            .finish()
    }
}
