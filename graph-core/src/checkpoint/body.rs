//! The executor's encoding of checkpoint and task bodies: postcard, behind a
//! format byte. Only ever decoded into these types; user values inside them
//! are JSON bytes decoded into the user's own state and update types.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{CheckpointError, CheckpointId};
use crate::exec::{NodeFailure, RunHealth, Usage};
use crate::node::TaskError;

/// The body format written by this version. Format 3 moved what most
/// checkpoints lack (joins in progress, a stop, health, compensations, a
/// rollback) behind one optional; format 2 is still read.
const FORMAT: u8 = 3;
/// The format before the rarely-set fields were grouped: same task bodies,
/// checkpoint bodies with every field inline.
const FORMAT_2: u8 = 2;

/// A checkpoint: its step's writes, the whole state when it is a snapshot,
/// and where the run goes next. Stored as [`CheckpointBodyRef`] writes it;
/// this is also the layout of format 2.
#[derive(Debug, Deserialize)]
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
    /// What a run with a budget has used (not in format 2).
    #[serde(skip)]
    pub(crate) usage: Option<Usage>,
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
/// position.
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
    pub(crate) usage: Option<&'a Usage>,
}

/// The stored layout (format 3): the fields every checkpoint has, then the
/// rest behind one `Option`, a single byte when they are all empty.
#[derive(Serialize)]
struct StoredRef<'a> {
    snapshot: Option<&'a [u8]>,
    writes: &'a [Write],
    next: &'a [PendingTask],
    source: &'a Source,
    marks: Option<MarksRef<'a>>,
}

#[derive(Serialize)]
struct MarksRef<'a> {
    joins: &'a [JoinProgress],
    stop: Option<&'a Stop>,
    health: &'a RunHealth,
    completed: &'a [Completion],
    rollback: Option<&'a RollbackBody>,
    usage: Option<&'a Usage>,
}

#[derive(Deserialize)]
struct Stored {
    snapshot: Option<Vec<u8>>,
    writes: Vec<Write>,
    next: Vec<PendingTask>,
    source: Source,
    marks: Option<Marks>,
}

#[derive(Default, Deserialize)]
struct Marks {
    joins: Vec<JoinProgress>,
    stop: Option<Stop>,
    health: RunHealth,
    completed: Vec<Completion>,
    rollback: Option<RollbackBody>,
    usage: Option<Usage>,
}

impl Serialize for CheckpointBodyRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plain = self.joins.is_empty()
            && self.stop.is_none()
            && self.health.is_clean()
            && self.completed.is_empty()
            && self.rollback.is_none()
            && self.usage.is_none();
        let marks = (!plain).then_some(MarksRef {
            joins: self.joins,
            stop: self.stop,
            health: self.health,
            completed: self.completed,
            rollback: self.rollback,
            usage: self.usage,
        });
        StoredRef { snapshot: self.snapshot, writes: self.writes, next: self.next, source: self.source, marks }
            .serialize(serializer)
    }
}

impl From<Stored> for CheckpointBody {
    fn from(stored: Stored) -> Self {
        let Marks { joins, stop, health, completed, rollback, usage } = stored.marks.unwrap_or_default();
        Self {
            snapshot: stored.snapshot,
            writes: stored.writes,
            next: stored.next,
            joins,
            source: stored.source,
            stop,
            health,
            completed,
            rollback,
            usage,
        }
    }
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
    let mut out = Vec::with_capacity(96);
    out.push(FORMAT);
    // Serializing our own plain structs into a Vec cannot fail: postcard only
    // fails for unsupported types (none here) or a full fixed buffer.
    match postcard::to_extend(value, out) {
        Ok(bytes) => bytes,
        Err(_) => vec![FORMAT],
    }
}

/// The postcard value after the format byte (which the caller has checked).
fn decode<T: DeserializeOwned>(
    thread: &str,
    checkpoint: CheckpointId,
    bytes: &[u8],
    what: &str,
) -> Result<T, CheckpointError> {
    let corrupt = |reason: String| CheckpointError::corrupt(thread, Some(checkpoint), reason);
    let Some((_, rest)) = bytes.split_first() else {
        return Err(corrupt(format!("{what} body is empty")));
    };
    let (value, tail) =
        postcard::take_from_bytes(rest).map_err(|e| corrupt(format!("{what} body does not decode: {e}")))?;
    if tail.is_empty() { Ok(value) } else { Err(corrupt(format!("{what} body has {} trailing bytes", tail.len()))) }
}

fn unknown_format(thread: &str, checkpoint: CheckpointId, what: &str, format: Option<&u8>) -> CheckpointError {
    let reason = match format {
        Some(format) => format!("{what} body has unknown format {format}"),
        None => format!("{what} body is empty"),
    };
    CheckpointError::corrupt(thread, Some(checkpoint), reason)
}

pub(crate) fn decode_checkpoint(
    thread: &str,
    checkpoint: CheckpointId,
    bytes: &[u8],
) -> Result<CheckpointBody, CheckpointError> {
    match bytes.first() {
        Some(&FORMAT) => decode::<Stored>(thread, checkpoint, bytes, "checkpoint").map(CheckpointBody::from),
        Some(&FORMAT_2) => decode(thread, checkpoint, bytes, "checkpoint"),
        other => Err(unknown_format(thread, checkpoint, "checkpoint", other)),
    }
}

pub(crate) fn decode_task(thread: &str, checkpoint: CheckpointId, bytes: &[u8]) -> Result<TaskBody, CheckpointError> {
    match bytes.first() {
        // Task bodies are the same in both formats.
        Some(&FORMAT | &FORMAT_2) => decode(thread, checkpoint, bytes, "task"),
        other => Err(unknown_format(thread, checkpoint, "task", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(writes: &'a [Write], next: &'a [PendingTask], health: &'a RunHealth) -> CheckpointBodyRef<'a> {
        CheckpointBodyRef {
            snapshot: None,
            writes,
            next,
            joins: &[],
            source: &Source::Step,
            stop: None,
            health,
            completed: &[],
            rollback: None,
            usage: None,
        }
    }

    fn parts() -> (Vec<Write>, Vec<PendingTask>, RunHealth) {
        (
            vec![Write { task: 0, node: "step".into(), update: b"{\"count\":1}".to_vec() }],
            vec![PendingTask { node: "step".into(), input: None }],
            RunHealth::default(),
        )
    }

    #[test]
    fn round_trips_and_stays_small() {
        let (writes, next, health) = parts();
        let bytes = encode(&sample(&writes, &next, &health));
        assert!(bytes.len() < 32, "{} bytes", bytes.len());
        let back = decode_checkpoint("t", CheckpointId::new(1), &bytes).map(|b| (b.next.len(), b.writes.len()));
        assert_eq!(back.ok(), Some((1, 1)));
    }

    #[test]
    fn the_rarely_set_fields_round_trip() {
        let (writes, next, _) = parts();
        let health = RunHealth {
            failed: vec![NodeFailure {
                node: "x".into(),
                error: TaskError { kind: crate::node::ErrorKind::Permanent, message: "down".into() },
            }],
            ..RunHealth::default()
        };
        let stop = Stop { before: vec!["step".into()], after: Vec::new() };
        let completed = [Completion { node: "book".into(), checkpoint: CheckpointId::new(2) }];
        let usage = Usage { steps: 3, elapsed_ms: 120, cost: 0.75, tokens: 900 };
        let body = CheckpointBodyRef {
            stop: Some(&stop),
            completed: &completed,
            usage: Some(&usage),
            ..sample(&writes, &next, &health)
        };
        let back = decode_checkpoint("t", CheckpointId::new(1), &encode(&body)).unwrap();
        assert_eq!(back.usage, Some(usage));
        assert_eq!(back.stop, Some(stop));
        assert_eq!(back.health, health);
        assert_eq!(back.completed, completed);
    }

    /// Format 2 (every field inline) as an earlier version wrote it.
    #[derive(Serialize)]
    struct Format2<'a> {
        snapshot: Option<&'a [u8]>,
        writes: &'a [Write],
        next: &'a [PendingTask],
        joins: &'a [JoinProgress],
        source: &'a Source,
        stop: Option<&'a Stop>,
        health: &'a RunHealth,
        completed: &'a [Completion],
        rollback: Option<&'a RollbackBody>,
    }

    #[test]
    fn format_2_is_still_read() {
        let (writes, next, health) = parts();
        let stop = Stop { before: vec!["step".into()], after: Vec::new() };
        let old = Format2 {
            snapshot: Some(b"{}"),
            writes: &writes,
            next: &next,
            joins: &[],
            source: &Source::Input,
            stop: Some(&stop),
            health: &health,
            completed: &[],
            rollback: None,
        };
        let mut bytes = vec![FORMAT_2];
        bytes.extend(postcard::to_allocvec(&old).unwrap());
        let back = decode_checkpoint("t", CheckpointId::new(1), &bytes).unwrap();
        assert_eq!((back.snapshot.as_deref(), back.source, back.stop), (Some(&b"{}"[..]), Source::Input, Some(stop)));
    }

    #[test]
    fn damaged_bodies_are_corrupt_not_panics() {
        let (writes, next, health) = parts();
        let bytes = encode(&sample(&writes, &next, &health));
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
