use serde::{Deserialize, Serialize};

use super::CheckpointId;
use crate::node::TaskError;

/// A run that failed for good, kept for an operator: who failed, how, and
/// where the thread stands so it can be requeued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The thread; one letter per thread, the latest failure.
    pub thread: String,
    /// The thread's checkpoint when it failed.
    pub checkpoint: Option<CheckpointId>,
    /// The node that failed.
    pub node: String,
    /// Its error.
    pub error: TaskError,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// How the run ended (`failed`, `rolled back`).
    pub outcome: String,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
}
