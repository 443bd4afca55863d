//! Metrics through the [`metrics`] facade. The per-task ones are
//! recorded for graphs that turn them on with
//! [`CompiledGraph::with_metrics`](crate::graph::CompiledGraph::with_metrics);
//! cost, breaker and dead-letter metrics (rare events) always are. Install a
//! recorder (a Prometheus exporter, say) before the first run: a node
//! registers its metrics once, at its first run.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `stategraph_node_runs_total` | counter | `node`, `outcome` (succeeded, failed, interrupted, degraded, fallback, dropped) |
//! | `stategraph_node_latency_seconds` | histogram | `node` (the task, all its attempts) |
//! | `stategraph_node_retries_total` | counter | `node` |
//! | `stategraph_node_cost` | histogram | `node` (each [`Ctx::add_cost`](crate::node::Ctx::add_cost)) |
//! | `stategraph_breaker_open` | gauge | `breaker` (1 open, 0.5 half-open, 0 closed) |
//! | `stategraph_dead_letters_total` | counter | |

use std::sync::Arc;
use std::time::Duration;

use ::metrics::{Counter, Histogram, counter, gauge, histogram};

use crate::checkpoint::TaskStatus;
use crate::policy::BreakerState;

/// One node's metric handles, registered at its first run.
pub(crate) struct NodeMetrics {
    runs: [Counter; 6],
    latency: Histogram,
    retries: Counter,
}

const OUTCOMES: [&str; 6] = ["succeeded", "failed", "interrupted", "degraded", "fallback", "dropped"];

impl NodeMetrics {
    pub(crate) fn new(node: &Arc<str>) -> Self {
        let runs = OUTCOMES
            .map(|outcome| counter!("stategraph_node_runs_total", "node" => Arc::clone(node), "outcome" => outcome));
        Self {
            runs,
            latency: histogram!("stategraph_node_latency_seconds", "node" => Arc::clone(node)),
            retries: counter!("stategraph_node_retries_total", "node" => Arc::clone(node)),
        }
    }

    /// A task of the node ended with `status` after `attempts` attempts.
    pub(crate) fn record(&self, status: TaskStatus, attempts: u32, latency: Duration) {
        let index = match status {
            TaskStatus::Succeeded => 0,
            TaskStatus::Failed | TaskStatus::Retrying => 1,
            TaskStatus::Interrupted => 2,
            TaskStatus::Degraded => 3,
            TaskStatus::Fallback => 4,
            TaskStatus::Dropped => 5,
        };
        self.runs[index].increment(1);
        self.latency.record(latency.as_secs_f64());
        if attempts > 1 {
            self.retries.increment(u64::from(attempts - 1));
        }
    }
}

/// A node reported a cost.
pub(crate) fn cost(node: &Arc<str>, cost: f64) {
    histogram!("stategraph_node_cost", "node" => Arc::clone(node)).record(cost);
}

/// A breaker changed state.
pub(crate) fn breaker(name: &str, to: BreakerState) {
    let open = match to {
        BreakerState::Open => 1.0,
        BreakerState::HalfOpen => 0.5,
        BreakerState::Closed => 0.0,
    };
    gauge!("stategraph_breaker_open", "breaker" => name.to_owned()).set(open);
}

/// A run was recorded in the dead-letter queue.
pub(crate) fn dead_letter() {
    counter!("stategraph_dead_letters_total").increment(1);
}
