//! How a run's end is filed: the dead letter of a run that failed for good.

use crate::checkpoint::{CheckpointId, DeadLetter};
use crate::exec::Outcome;
use crate::graph::GraphInner;
use crate::node::now_ms;
use crate::state::State;

/// The letter for a run that ended with `outcome`, if it is a dead end:
/// `attempts` of the failed task when known. A rollback's failed node made
/// as many attempts as its retry policy allows when its error was retryable,
/// else one.
pub(crate) fn letter_for<S: State>(
    graph: &GraphInner<S>,
    thread: &str,
    checkpoint: CheckpointId,
    outcome: &Outcome,
    attempts: Option<u32>,
) -> Option<DeadLetter> {
    let (node, error, ended) = match outcome {
        Outcome::Failed { node, error } => (node, error, "failed"),
        Outcome::RolledBack { failed_node, error, .. } => (failed_node, error, "rolled back"),
        _ => return None,
    };
    let attempts = attempts.unwrap_or_else(|| {
        let allowed = graph.node_id(node).map_or(1, |id| graph.nodes[id].policy.retry.max_attempts);
        if error.kind.is_retryable() { allowed } else { 1 }
    });
    Some(DeadLetter {
        thread: thread.to_owned(),
        checkpoint: Some(checkpoint),
        node: node.clone(),
        error: error.clone(),
        attempts,
        outcome: ended.to_owned(),
        at_ms: now_ms(),
    })
}
