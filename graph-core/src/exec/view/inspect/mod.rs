//! Reading stored threads without their graph or state type: what an
//! inspector (the `stategraph` CLI, a dashboard) can show from a
//! [`Checkpointer`] alone.
//!
//! States and updates are shown as JSON. A delta checkpoint stores the step's
//! updates, not the state, and only the graph knows its reducers; so
//! [`state_json`] gives the nearest snapshot and the updates written since,
//! never a state guessed by applying them. [`CompiledGraph::state`] gives the
//! exact typed state.
//!
//! [`CompiledGraph::state`]: crate::graph::CompiledGraph::state

mod trace;

pub use trace::trace_dot;

use serde::Serialize;
use serde_json::Value;

use super::snapshot::CheckpointSource;
use crate::checkpoint::{
    CheckpointError, CheckpointId, CheckpointRecord, Checkpointer, RecordKind, TaskOutcomeBody, TaskRecord, TaskStatus,
    ViaBody, decode_checkpoint, decode_task,
};
use crate::exec::{NodeFailure, RunHealth};
use crate::node::TaskError;

/// Where a thread stands, from its latest checkpoint and its task records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadStatus {
    /// Nothing is pending: the run reached END.
    Completed,
    /// The run was rolled back (a saga): see [`CheckpointView::rollback`].
    RolledBack,
    /// A rollback started and has not finished (the process stopped in it).
    RollingBack,
    /// Waiting for a human: an interrupt or an `interrupt_before/after`.
    Interrupted,
    /// A node failed critically; resumable.
    Failed,
    /// Work is pending and nothing failed: a run in progress, or one whose
    /// process stopped. Resuming goes on from here.
    Pending,
}

impl ThreadStatus {
    /// The status in words, as the CLI prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::RolledBack => "rolled back",
            Self::RollingBack => "rolling back",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
            Self::Pending => "pending",
        }
    }
}

/// One thread in a line: its id, status, step and last write.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadSummary {
    /// The thread id.
    pub thread: String,
    /// Where it stands.
    pub status: ThreadStatus,
    /// The step of its latest checkpoint.
    pub step: u64,
    /// Its latest checkpoint.
    pub checkpoint: CheckpointId,
    /// When that checkpoint was written, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
}

/// A stored rollback, as far as it went.
#[derive(Clone, Debug, Serialize)]
pub struct RollbackView {
    /// The node whose failure started it.
    pub failed_node: String,
    /// Its error.
    pub error: TaskError,
    /// Nodes undone so far, in order.
    pub compensated: Vec<String>,
    /// Nodes still to undo, next first.
    pub remaining: Vec<String>,
    /// Compensators that failed.
    pub failures: Vec<NodeFailure>,
}

/// One update a node wrote in a step.
#[derive(Clone, Debug, Serialize)]
pub struct WriteView {
    /// The node that wrote it.
    pub node: String,
    /// The update, as JSON.
    pub update: Value,
}

/// A checkpoint, decoded.
#[derive(Clone, Debug, Serialize)]
pub struct CheckpointView {
    /// Its id.
    pub id: CheckpointId,
    /// The checkpoint before it.
    pub parent: Option<CheckpointId>,
    /// The step it ends.
    pub step: u64,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Whether it stores the whole state (`true`) or the step's updates.
    pub snapshot: bool,
    /// What wrote it.
    pub source: CheckpointSource,
    /// The updates of its step.
    pub writes: Vec<WriteView>,
    /// The nodes pending after it.
    pub next: Vec<String>,
    /// Nodes an `interrupt_before`/`interrupt_after` stopped at.
    pub stopped_at: Vec<String>,
    /// Degraded, failed optional, skipped and replaced nodes so far.
    pub health: RunHealth,
    /// The rollback, if one started.
    pub rollback: Option<RollbackView>,
}

/// How a recorded task of a step ended.
#[derive(Clone, Debug, Serialize)]
pub struct TaskView {
    /// The checkpoint whose step the task belongs to.
    pub checkpoint: CheckpointId,
    /// Its index in the step.
    pub task: u32,
    /// Its node.
    pub node: String,
    /// How it ended.
    pub status: TaskStatus,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The error, for a failed, retrying, dropped, degraded or replaced task.
    pub error: Option<TaskError>,
    /// The fallback node whose update was used.
    pub fallback: Option<String>,
    /// The update, for a task that wrote one, as JSON.
    pub update: Option<Value>,
    /// The interrupt payload, for an interrupted task, as JSON.
    pub payload: Option<Value>,
}

/// The stored state at a checkpoint, as far as it can be known without the
/// graph: the nearest snapshot at or before it, and the updates since.
#[derive(Clone, Debug, Serialize)]
pub struct StateJson {
    /// The checkpoint asked about.
    pub checkpoint: CheckpointId,
    /// The snapshot the state is rebuilt from.
    pub snapshot_at: CheckpointId,
    /// The whole state at `snapshot_at`.
    pub snapshot: Value,
    /// The updates after the snapshot, oldest first, up to `checkpoint`:
    /// `(checkpoint, update)`. The graph's reducers apply them.
    pub updates_since: Vec<(CheckpointId, WriteView)>,
}

fn json(thread: &str, at: CheckpointId, bytes: &[u8], what: &str) -> Result<Value, CheckpointError> {
    serde_json::from_slice(bytes)
        .map_err(|e| CheckpointError::corrupt(thread, Some(at), format!("{what} is not JSON: {e}")))
}

/// Decodes a checkpoint record of `thread`.
pub fn view_checkpoint(thread: &str, record: &CheckpointRecord) -> Result<CheckpointView, CheckpointError> {
    let body = decode_checkpoint(thread, record.id, &record.body)?;
    let writes = body
        .writes
        .iter()
        .map(|w| Ok(WriteView { node: w.node.clone(), update: json(thread, record.id, &w.update, "an update")? }))
        .collect::<Result<_, CheckpointError>>()?;
    let stop = body.stop.unwrap_or_default();
    Ok(CheckpointView {
        id: record.id,
        parent: record.parent,
        step: record.step,
        created_at_ms: record.created_at_ms,
        snapshot: record.kind == RecordKind::Snapshot,
        source: CheckpointSource::from(&body.source),
        writes,
        next: body.next.into_iter().map(|t| t.node).collect(),
        stopped_at: stop.before.into_iter().chain(stop.after).collect(),
        health: body.health,
        rollback: body.rollback.map(|r| RollbackView {
            failed_node: r.failed_node,
            error: r.error,
            compensated: r.compensated,
            remaining: r.remaining.into_iter().map(|c| c.node).collect(),
            failures: r.failures,
        }),
    })
}

/// Decodes a task record of `thread`.
pub fn view_task(thread: &str, record: &TaskRecord) -> Result<TaskView, CheckpointError> {
    let body = decode_task(thread, record.checkpoint, &record.body)?;
    let mut view = TaskView {
        checkpoint: record.checkpoint,
        task: record.task,
        node: body.node,
        status: record.status,
        attempts: body.attempts,
        error: None,
        fallback: None,
        update: None,
        payload: None,
    };
    match body.outcome {
        TaskOutcomeBody::Succeeded { update, via, .. } => {
            view.update = Some(json(thread, record.checkpoint, &update, "an update")?);
            match via {
                ViaBody::Node => {}
                ViaBody::Fallback { node, error } => (view.fallback, view.error) = (Some(node), Some(error)),
                ViaBody::Degraded { error } => view.error = Some(error),
            }
        }
        TaskOutcomeBody::Failed { error }
        | TaskOutcomeBody::Dropped { error }
        | TaskOutcomeBody::Retrying { error } => view.error = Some(error),
        TaskOutcomeBody::Interrupted { payload, .. } => {
            view.payload = Some(json(thread, record.checkpoint, &payload, "an interrupt payload")?);
        }
    }
    Ok(view)
}

/// The status of `thread` from its latest checkpoint and that step's task
/// records; `None` when the thread has no checkpoint.
pub async fn thread_summary(saver: &dyn Checkpointer, thread: &str) -> Result<Option<ThreadSummary>, CheckpointError> {
    let Some(record) = saver.checkpoint(thread, None).await? else { return Ok(None) };
    let view = view_checkpoint(thread, &record)?;
    let tasks = saver.tasks(thread, record.id).await?;
    let status = if let Some(rollback) = &view.rollback {
        if rollback.remaining.is_empty() { ThreadStatus::RolledBack } else { ThreadStatus::RollingBack }
    } else if view.next.is_empty() {
        ThreadStatus::Completed
    } else if !view.stopped_at.is_empty() || tasks.iter().any(|t| t.status == TaskStatus::Interrupted) {
        ThreadStatus::Interrupted
    } else if tasks.iter().any(|t| t.status == TaskStatus::Failed) {
        ThreadStatus::Failed
    } else {
        ThreadStatus::Pending
    };
    Ok(Some(ThreadSummary {
        thread: thread.to_owned(),
        status,
        step: record.step,
        checkpoint: record.id,
        updated_at_ms: record.created_at_ms,
    }))
}

/// The stored state of `thread` at `checkpoint` (its latest when `None`):
/// the nearest snapshot and the updates after it. `None` when there is no
/// such checkpoint.
pub async fn state_json(
    saver: &dyn Checkpointer,
    thread: &str,
    checkpoint: Option<CheckpointId>,
) -> Result<Option<StateJson>, CheckpointError> {
    let Some(record) = saver.checkpoint(thread, checkpoint).await? else { return Ok(None) };
    let at = record.id;
    let chain = match (record.kind, record.parent) {
        (RecordKind::Delta, Some(parent)) => {
            let mut chain = saver.chain(thread, parent).await?;
            chain.push(record);
            chain
        }
        _ => vec![record],
    };
    let mut links = chain.iter();
    let first = links.next().ok_or_else(|| CheckpointError::corrupt(thread, Some(at), "an empty chain"))?;
    let body = decode_checkpoint(thread, first.id, &first.body)?;
    let Some(snapshot) = body.snapshot.filter(|_| first.kind == RecordKind::Snapshot) else {
        return Err(CheckpointError::corrupt(thread, Some(first.id), "the chain does not start at a snapshot"));
    };
    let snapshot = json(thread, first.id, &snapshot, "a snapshot")?;
    let mut updates_since = Vec::new();
    for link in links {
        for write in view_checkpoint(thread, link)?.writes {
            updates_since.push((link.id, write));
        }
    }
    Ok(Some(StateJson { checkpoint: at, snapshot_at: first.id, snapshot, updates_since }))
}
