//! The executor's encoding of checkpoint and task bodies: postcard, behind a
//! format byte. Only ever decoded into these types; user values inside them
//! are JSON bytes decoded into the user's own state and update types.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CheckpointError, CheckpointId};
use crate::exec::{NodeFailure, RunHealth};
use crate::node::TaskError;

/// The body format written by this version.
const FORMAT: u8 = 2;

/// A checkpoint: its step's writes, the whole state when it is a snapshot,
/// and where the run goes next.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CheckpointBody {
    /// The whole state as JSON, in a snapshot; `None` in a delta, whose state
    /// is its parent's with `writes` applied.
    pub(crate) snapshot: Option<Vec<u8>>,
    /// The writes of the step this checkpoint ends, in task order.
    pub(crate) writes: Vec<Write>,
    /// The tasks of the next super-step.
    pub(crate) next: Vec<PendingTask>,
    /// Joins with some but not all of their sources arrived.
    pub(crate) joins: Vec<JoinProgress>,
    pub(crate) source: Source,
    /// Why the run stopped at this checkpoint, if it did.
    pub(crate) stop: Option<Stop>,
    /// The run's degraded, failed, skipped and replaced nodes so far.
    pub(crate) health: RunHealth,
    /// Completed nodes that have compensators, oldest first.
    pub(crate) completed: Vec<Completion>,
    /// A rollback in progress or finished.
    pub(crate) rollback: Option<RollbackBody>,
}

/// A completed node a rollback would undo, and the checkpoint whose state
/// its compensator sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Completion {
    pub(crate) node: String,
    pub(crate) checkpoint: CheckpointId,
}

/// Where a rollback stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RollbackBody {
    pub(crate) failed_node: String,
    pub(crate) error: TaskError,
    /// Completions still to undo, next first.
    pub(crate) remaining: Vec<Completion>,
    /// Nodes undone so far, in order.
    pub(crate) compensated: Vec<String>,
    pub(crate) failures: Vec<NodeFailure>,
}

/// The task index of writes that no task made.
pub(crate) const EXTERNAL_TASK: u32 = u32::MAX;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Write {
    /// The task's index in its step, or [`EXTERNAL_TASK`] for a write from
    /// outside the graph (a run's input, `update_state`).
    pub(crate) task: u32,
    pub(crate) node: String,
    /// The update, as JSON.
    pub(crate) update: Vec<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingTask {
    pub(crate) node: String,
    /// A `Send` task's own input, as JSON.
    pub(crate) input: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JoinProgress {
    /// The join's target.
    pub(crate) target: String,
    /// The sources that have completed since the join last fired.
    pub(crate) arrived: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Source {
    /// A run's input.
    Input,
    /// The end of a super-step.
    Step,
    /// `update_state`, as if `as_node` had written it.
    Update { as_node: Option<String> },
    /// A branch started from an older checkpoint.
    Fork { from: CheckpointId },
    /// A step of a rollback: one compensator ran.
    Rollback,
}

/// Why a run stopped at a checkpoint. One resume passes the whole stop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stop {
    /// `interrupt_before` these nodes, which are pending.
    pub(crate) before: Vec<String>,
    /// `interrupt_after` these nodes, which just ran.
    pub(crate) after: Vec<String>,
}

/// [`CheckpointBody`] by reference, for encoding without moving the run's
/// position; encodes to the same bytes.
#[derive(Serialize)]
pub(crate) struct CheckpointBodyRef<'a> {
    pub(crate) snapshot: Option<&'a [u8]>,
    pub(crate) writes: &'a [Write],
    pub(crate) next: &'a [PendingTask],
    pub(crate) joins: &'a [JoinProgress],
    pub(crate) source: &'a Source,
    pub(crate) stop: Option<&'a Stop>,
    pub(crate) health: &'a RunHealth,
    pub(crate) completed: &'a [Completion],
    pub(crate) rollback: Option<&'a RollbackBody>,
}

/// One task's result.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TaskBody {
    pub(crate) node: String,
    pub(crate) attempts: u32,
    pub(crate) outcome: TaskOutcomeBody,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum TaskOutcomeBody {
    Succeeded {
        /// The update, as JSON.
        update: Vec<u8>,
        goto: Vec<GotoBody>,
        via: ViaBody,
    },
    /// A critical failure: the task runs again on resume, its attempts afresh.
    Failed { error: TaskError },
    /// An optional node's failure: final, the run goes on without it.
    Dropped { error: TaskError },
    /// An attempt failed and another will follow after a backoff; `attempts`
    /// counts those made, so a restart goes on from there.
    Retrying { error: TaskError },
    Interrupted {
        /// The payload of the interrupt waiting for a value, as JSON.
        payload: Vec<u8>,
        /// Values given by resumes so far, as JSON, in call order.
        resume: Vec<Vec<u8>>,
    },
}

/// How a successful task's update came about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ViaBody {
    /// The node's own.
    Node,
    /// The node failed; its fallback's update.
    Fallback { node: String, error: TaskError },
    /// The node failed; its degrade default.
    Degraded { error: TaskError },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum GotoBody {
    Node(String),
    Send { node: String, input: Vec<u8> },
    End,
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let out = vec![FORMAT];
    // Serializing our own plain structs into a Vec cannot fail: postcard only
    // fails for unsupported types (none here) or a full fixed buffer.
    match postcard::to_extend(value, out) {
        Ok(bytes) => bytes,
        Err(_) => vec![FORMAT],
    }
}

fn decode<T: DeserializeOwned>(
    thread: &str,
    checkpoint: CheckpointId,
    bytes: &[u8],
    what: &str,
) -> Result<T, CheckpointError> {
    let corrupt = |reason: String| CheckpointError::corrupt(thread, Some(checkpoint), reason);
    match bytes.split_first() {
        Some((&FORMAT, rest)) => {
            let (value, tail) =
                postcard::take_from_bytes(rest).map_err(|e| corrupt(format!("{what} body does not decode: {e}")))?;
            if tail.is_empty() {
                Ok(value)
            } else {
                Err(corrupt(format!("{what} body has {} trailing bytes", tail.len())))
            }
        }
        Some((&other, _)) => Err(corrupt(format!("{what} body has unknown format {other}"))),
        None => Err(corrupt(format!("{what} body is empty"))),
    }
}

pub(crate) fn decode_checkpoint(
    thread: &str,
    checkpoint: CheckpointId,
    bytes: &[u8],
) -> Result<CheckpointBody, CheckpointError> {
    decode(thread, checkpoint, bytes, "checkpoint")
}

pub(crate) fn decode_task(thread: &str, checkpoint: CheckpointId, bytes: &[u8]) -> Result<TaskBody, CheckpointError> {
    decode(thread, checkpoint, bytes, "task")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CheckpointBody {
        CheckpointBody {
            snapshot: None,
            writes: vec![Write { task: 0, node: "step".into(), update: b"{\"count\":1}".to_vec() }],
            next: vec![PendingTask { node: "step".into(), input: None }],
            joins: Vec::new(),
            source: Source::Step,
            stop: None,
            health: RunHealth::default(),
            completed: Vec::new(),
            rollback: None,
        }
    }

    #[test]
    fn round_trips_and_stays_small() {
        let bytes = encode(&sample());
        assert!(bytes.len() < 40, "{} bytes", bytes.len());
        let back = decode_checkpoint("t", CheckpointId::new(1), &bytes).map(|b| b.next.len());
        assert_eq!(back.ok(), Some(1));
    }

    #[test]
    fn by_reference_encodes_the_same_bytes() {
        let body = sample();
        let by_ref = CheckpointBodyRef {
            snapshot: Some(b"{}"),
            writes: &body.writes,
            next: &body.next,
            joins: &body.joins,
            source: &body.source,
            stop: None,
            health: &body.health,
            completed: &body.completed,
            rollback: None,
        };
        let owned = CheckpointBody { snapshot: Some(b"{}".to_vec()), ..sample() };
        assert_eq!(encode(&by_ref), encode(&owned));
    }

    #[test]
    fn damaged_bodies_are_corrupt_not_panics() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            let err = decode_checkpoint("t", CheckpointId::new(3), &bytes[..cut]);
            assert!(matches!(err, Err(CheckpointError::Corrupt { checkpoint: Some(c), .. }) if c.as_u64() == 3));
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode_checkpoint("t", CheckpointId::new(3), &extra).is_err());
        let mut foreign = bytes;
        foreign[0] = 99;
        assert!(decode_checkpoint("t", CheckpointId::new(3), &foreign).is_err());
    }
}
