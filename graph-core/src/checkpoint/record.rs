use std::fmt;

use serde::{Deserialize, Serialize};

use super::DeadLetter;

/// Identifies a checkpoint within its thread. Ids grow with every checkpoint
/// written to the thread, forks included, so the newest has the largest id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckpointId(u64);

impl CheckpointId {
    /// The id with this sequence number.
    pub const fn new(seq: u64) -> Self {
        Self(seq)
    }

    /// The sequence number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The next id.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for CheckpointId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// Whether a checkpoint body holds the whole state or only its step's writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    /// The whole state.
    Snapshot,
    /// The writes of one step, applied on the parent's state.
    Delta,
}

/// One checkpoint of a thread, as a store keeps it.
///
/// The header fields are for the store (ordering, history, retention); the
/// body is the executor's encoding and opaque to the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// This checkpoint.
    pub id: CheckpointId,
    /// The checkpoint it continues from; `None` for the first of a thread.
    pub parent: Option<CheckpointId>,
    /// The super-step it ends (0 for a run's input).
    pub step: u64,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Snapshot or delta: a delta needs its parent chain back to a snapshot.
    pub kind: RecordKind,
    /// The executor's encoding of the checkpoint.
    pub body: Vec<u8>,
}

/// How a task ended, readable without decoding the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TaskStatus {
    /// Its writes are in the body.
    Succeeded,
    /// It failed; the error is in the body.
    Failed,
    /// It stopped for human input; the payload is in the body.
    Interrupted,
    /// An attempt failed and the task waits for its next attempt.
    Retrying,
    /// Its node failed and degraded: the default update is in the body.
    Degraded,
    /// Its node failed and the fallback's update is in the body.
    Fallback,
    /// An optional node failed for good; the run went on without it.
    Dropped,
}

/// The result of one task of the super-step that starts at `checkpoint`,
/// recorded as soon as the task finishes, before its step ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The checkpoint whose pending tasks this task belongs to.
    pub checkpoint: CheckpointId,
    /// The task's index among those pending tasks.
    pub task: u32,
    /// How it ended.
    pub status: TaskStatus,
    /// The executor's encoding of the result.
    pub body: Vec<u8>,
}

/// A page of history: newest first, at most `limit`, only ids below `before`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// At most this many checkpoints.
    pub limit: Option<usize>,
    /// Only checkpoints older than this one.
    pub before: Option<CheckpointId>,
}

impl HistoryQuery {
    /// The whole history.
    pub fn all() -> Self {
        Self::default()
    }

    /// At most `limit` checkpoints.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Only checkpoints older than `before`.
    pub fn before(mut self, before: CheckpointId) -> Self {
        self.before = Some(before);
        self
    }

    /// Whether `id` passes the `before` bound.
    pub fn admits(&self, id: CheckpointId) -> bool {
        self.before.is_none_or(|b| id < b)
    }
}

/// One atomic change to a thread's records, as [`Checkpointer::put`]
/// stores it: a checkpoint, task records and the thread's dead letter land
/// together or not at all, so no crash can leave a failed run's last
/// checkpoint without its letter.
///
/// ```
/// # use stategraph::checkpoint::{CheckpointId, CheckpointRecord, DeadLetterChange, RecordKind, ThreadWrite};
/// # let record = CheckpointRecord { id: CheckpointId::new(1), parent: None, step: 0, created_at_ms: 0,
/// #     kind: RecordKind::Snapshot, body: Vec::new() };
/// let write = ThreadWrite::checkpoint(record).with_dead_letter(DeadLetterChange::Remove);
/// assert!(!write.is_empty());
/// ```
///
/// [`Checkpointer::put`]: super::Checkpointer::put
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadWrite {
    /// A new checkpoint, to become the thread's latest: refused with
    /// [`Conflict`](super::CheckpointError::Conflict), and nothing written,
    /// when its id is stored already.
    pub checkpoint: Option<CheckpointRecord>,
    /// Task records, replacing any with the same checkpoint and task.
    pub tasks: Vec<TaskRecord>,
    /// What happens to the thread's dead letter.
    pub dead_letter: DeadLetterChange,
}

impl ThreadWrite {
    /// A write of one checkpoint.
    pub fn checkpoint(checkpoint: CheckpointRecord) -> Self {
        Self { checkpoint: Some(checkpoint), ..Self::default() }
    }

    /// A write of task records only.
    pub fn tasks(tasks: Vec<TaskRecord>) -> Self {
        Self { tasks, ..Self::default() }
    }

    /// Adds task records to the write.
    #[must_use]
    pub fn with_tasks(mut self, tasks: Vec<TaskRecord>) -> Self {
        if self.tasks.is_empty() {
            self.tasks = tasks;
        } else {
            self.tasks.extend(tasks);
        }
        self
    }

    /// Sets what the write does to the thread's dead letter.
    #[must_use]
    pub fn with_dead_letter(mut self, change: DeadLetterChange) -> Self {
        self.dead_letter = change;
        self
    }

    /// Whether the write changes nothing.
    pub fn is_empty(&self) -> bool {
        self.checkpoint.is_none() && self.tasks.is_empty() && self.dead_letter == DeadLetterChange::Keep
    }
}

/// What a [`ThreadWrite`] does to the thread's dead letter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadLetterChange {
    /// Leaves it as it is.
    #[default]
    Keep,
    /// Files this letter, replacing an earlier one (its `thread` is the
    /// write's thread).
    File(DeadLetter),
    /// Removes the thread's letter, if it has one.
    Remove,
}
