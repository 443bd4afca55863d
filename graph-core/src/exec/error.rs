use crate::checkpoint::{CheckpointError, CheckpointId};
use crate::node::InterruptId;

/// Why a run could not be carried out. Node failures are not errors: they are
/// the run's [`Outcome`](super::Outcome).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The run would start more super-steps than its limit allows. Its state
    /// is checkpointed: resume it with a larger limit.
    #[error("thread {thread:?} reached the step limit of {limit} super-steps")]
    StepLimit {
        /// The thread.
        thread: String,
        /// The limit.
        limit: u64,
    },
    /// Two tasks of one super-step wrote the same last-value field (or
    /// overwrote the same reducer field).
    #[error("thread {thread:?}, step {step}: nodes {first:?} and {second:?} both write field `{field}`")]
    Conflict {
        /// The thread.
        thread: String,
        /// The super-step.
        step: u64,
        /// The field.
        field: &'static str,
        /// The first writer, in task order.
        first: String,
        /// The second writer.
        second: String,
    },
    /// The checkpointer failed, or a stored record is unusable.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The operation needs a checkpointer and the graph has none.
    #[error("{operation} needs a checkpointer: call with_checkpointer on the compiled graph")]
    NoCheckpointer {
        /// What was asked.
        operation: &'static str,
    },
    /// No checkpoint exists for the thread.
    #[error("thread {thread:?} does not exist")]
    NoSuchThread {
        /// The thread.
        thread: String,
    },
    /// The thread has no such checkpoint.
    #[error("thread {thread:?} has no checkpoint {checkpoint}")]
    NoSuchCheckpoint {
        /// The thread.
        thread: String,
        /// The missing checkpoint.
        checkpoint: CheckpointId,
    },
    /// Resume asked of a thread whose run completed.
    #[error("thread {thread:?} has nothing to resume: its run completed")]
    NotResumable {
        /// The thread.
        thread: String,
    },
    /// A resume names an interrupt that is not pending.
    #[error("thread {thread:?} has no pending interrupt {id}")]
    UnknownInterrupt {
        /// The thread.
        thread: String,
        /// The unknown id.
        id: InterruptId,
    },
    /// A resume gives one value while several interrupts wait for one.
    #[error("thread {thread:?} has {} pending interrupts; resume them by id: {}", pending.len(), list(pending))]
    AmbiguousResume {
        /// The thread.
        thread: String,
        /// The pending interrupts.
        pending: Vec<InterruptId>,
    },
    /// A resume gives a value while no node waits for one.
    #[error("thread {thread:?} has no node waiting for a resume value")]
    UnexpectedResumeValue {
        /// The thread.
        thread: String,
    },
    /// A node name that the graph does not have: in a run's interrupt list, a
    /// command's goto, `update_state`'s `as_node`, or a stored checkpoint
    /// written by a different graph.
    #[error("thread {thread:?}: {context} names unknown node {node:?}")]
    UnknownNode {
        /// The thread.
        thread: String,
        /// The name.
        node: String,
        /// Where it was named.
        context: &'static str,
    },
    /// A router selected a branch its route type does not declare.
    #[error("thread {thread:?}: router after {node:?} selected branch {branch}, which its route does not declare")]
    InvalidRoute {
        /// The thread.
        thread: String,
        /// The node the router follows.
        node: String,
        /// The branch index.
        branch: usize,
    },
    /// A router panicked.
    #[error("thread {thread:?}: the router after {node:?} panicked")]
    RouterPanicked {
        /// The thread.
        thread: String,
        /// The node the router follows.
        node: String,
    },
    /// Another run of the same thread is in progress in this process.
    #[error("thread {thread:?} is already running")]
    ThreadBusy {
        /// The thread.
        thread: String,
    },
    /// A partial input for a thread that has no state to merge it into.
    #[error("thread {thread:?} has no state to apply an update to; start it with a whole state")]
    UpdateNeedsState {
        /// The thread.
        thread: String,
    },
    /// The state or a task input does not serialize to JSON.
    #[error("thread {thread:?}: {what} does not serialize: {message}")]
    Encode {
        /// The thread.
        thread: String,
        /// `state` or `task input`.
        what: &'static str,
        /// The serializer's message.
        message: String,
    },
}

fn list(ids: &[InterruptId]) -> String {
    ids.iter().map(InterruptId::as_str).collect::<Vec<_>>().join(", ")
}
