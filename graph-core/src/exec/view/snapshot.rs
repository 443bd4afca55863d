//! Time travel: a thread's state at any checkpoint, its history, and writing
//! a new checkpoint as if a node had written it.

use std::fmt;

use crate::checkpoint::{CheckpointId, Checkpointer, EXTERNAL_TASK, HistoryQuery, Source, TaskStatus, Write};
use crate::exec::run::load::{Restored, restore, restore_record};
use crate::exec::run::runner::{Compaction, Runner, stop_interrupts};
use crate::exec::run::task::TaskOutcome;
use crate::exec::{RunConfig, RunError, RunHealth};
use crate::graph::{CompiledGraph, GraphInner};
use crate::node::{Interrupt, InterruptId, InterruptKind, TaskError};
use crate::state::State;

/// A thread at one checkpoint: its state and what comes next.
pub struct StateSnapshot<S: State> {
    /// The state, including the writes of tasks of the pending step that
    /// already succeeded.
    pub values: S,
    /// The run's degraded, failed, skipped and replaced nodes up to here.
    pub health: RunHealth,
    /// The nodes of the pending step still to run (empty once a run completed).
    pub next: Vec<String>,
    /// The super-step the checkpoint ends.
    pub step: u64,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// The checkpoint it continues from.
    pub parent: Option<CheckpointId>,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// What wrote it.
    pub source: CheckpointSource,
    /// The nodes whose writes it holds, in task order.
    pub writers: Vec<String>,
    /// What the thread waits for, if it stopped for a human here.
    pub interrupts: Vec<Interrupt>,
    /// The pending step's tasks, with the result of those that finished.
    pub tasks: Vec<TaskState>,
}

impl<S: State> fmt::Debug for StateSnapshot<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSnapshot")
            .field("values", &self.values)
            .field("next", &self.next)
            .field("step", &self.step)
            .field("checkpoint", &self.checkpoint)
            .field("parent", &self.parent)
            .field("source", &self.source)
            .field("writers", &self.writers)
            .field("interrupts", &self.interrupts)
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}

/// What wrote a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckpointSource {
    /// A run's input.
    Input,
    /// The end of a super-step.
    Step,
    /// [`update_state`](CompiledGraph::update_state), as if `as_node` wrote it.
    Update {
        /// The node named, if any.
        as_node: Option<String>,
    },
    /// A run started from the older checkpoint `from`.
    Fork {
        /// Where the branch starts.
        from: CheckpointId,
    },
    /// A step of a rollback: a compensator ran (or the rollback began).
    Rollback,
}

impl From<&Source> for CheckpointSource {
    fn from(source: &Source) -> Self {
        match source {
            Source::Input => Self::Input,
            Source::Step => Self::Step,
            Source::Update { as_node } => Self::Update { as_node: as_node.clone() },
            Source::Fork { from } => Self::Fork { from: *from },
            Source::Rollback => Self::Rollback,
        }
    }
}

/// One task of a pending step.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskState {
    /// Its index in the step.
    pub index: u32,
    /// Its node.
    pub node: String,
    /// How it ended, if it ran.
    pub status: Option<TaskStatus>,
    /// Its error, if it failed.
    pub error: Option<TaskError>,
}

/// The public view of a restored position.
pub(crate) fn view<S: State>(graph: &GraphInner<S>, restored: Restored<S>) -> StateSnapshot<S> {
    let Restored { pos, created_at_ms, failed, interrupted } = restored;
    let health = pos.health;
    let mut values = pos.state;
    let mut tasks = Vec::with_capacity(pos.pending.len());
    let mut next = Vec::new();
    for (i, task) in pos.pending.iter().enumerate() {
        let node = graph.name(task.node).to_string();
        let error = failed.iter().find(|(t, _)| *t == i).map(|(_, e)| e.clone());
        let status = match &pos.done[i] {
            Some(done) => Some(done.outcome.status()),
            None if error.is_some() => Some(TaskStatus::Failed),
            None if interrupted.iter().any(|(t, _)| *t == i) => Some(TaskStatus::Interrupted),
            None => None,
        };
        if pos.done[i].is_none() {
            next.push(node.clone());
        }
        tasks.push(TaskState { index: i as u32, node, status, error });
    }
    let step_started = tasks.iter().any(|t| t.status.is_some());
    let mut interrupts: Vec<Interrupt> = interrupted
        .into_iter()
        .map(|(i, payload)| Interrupt {
            id: InterruptId::new(pos.checkpoint, i as u32, pos.pending[i].resume.len()),
            node: graph.name(pos.pending[i].node).to_string(),
            kind: InterruptKind::Node { payload },
        })
        .collect();
    if let Some(stop) = pos.stop.as_ref().filter(|_| !step_started) {
        interrupts.extend(stop_interrupts(pos.checkpoint, stop));
    }
    for done in pos.done.into_iter().flatten() {
        if let TaskOutcome::Succeeded { command, .. } = done.outcome {
            values.apply(command.update);
        }
    }
    StateSnapshot {
        values,
        health,
        next,
        step: pos.step,
        checkpoint: pos.checkpoint,
        parent: pos.parent,
        created_at_ms,
        source: CheckpointSource::from(&pos.source),
        writers: pos.writes.into_iter().map(|w| w.node).collect(),
        interrupts,
        tasks,
    }
}

impl<S: State> CompiledGraph<S> {
    fn saver_for(&self, operation: &'static str) -> Result<&dyn Checkpointer, RunError> {
        self.saver.as_deref().ok_or(RunError::NoCheckpointer { operation })
    }

    /// The thread's latest state.
    ///
    /// # Errors
    /// [`RunError::NoSuchThread`]; checkpoint errors.
    pub async fn state(&self, thread: &str) -> Result<StateSnapshot<S>, RunError> {
        let saver = self.saver_for("state")?;
        let restored = restore(&self.inner, saver, thread, None).await?;
        let restored = restored.ok_or_else(|| RunError::NoSuchThread { thread: thread.to_owned() })?;
        Ok(view(&self.inner, restored))
    }

    /// The thread's state at `checkpoint`.
    ///
    /// # Errors
    /// [`RunError::NoSuchCheckpoint`]; checkpoint errors.
    pub async fn state_at(&self, thread: &str, checkpoint: CheckpointId) -> Result<StateSnapshot<S>, RunError> {
        let saver = self.saver_for("state_at")?;
        let restored = restore(&self.inner, saver, thread, Some(checkpoint)).await?;
        let restored = restored.ok_or_else(|| RunError::NoSuchCheckpoint { thread: thread.to_owned(), checkpoint })?;
        Ok(view(&self.inner, restored))
    }

    /// The thread's checkpoints, newest first, as snapshots.
    ///
    /// # Errors
    /// Checkpoint errors. An unknown thread has an empty history.
    pub async fn history(&self, thread: &str, query: HistoryQuery) -> Result<Vec<StateSnapshot<S>>, RunError> {
        let saver = self.saver_for("history")?;
        let records = saver.history(thread, query).await?;
        // Rebuild oldest first, so a delta applies on its parent's state
        // (almost always the record just rebuilt) instead of replaying its
        // chain; the first record of a branch replays its chain.
        let mut previous: Option<(CheckpointId, S, Compaction)> = None;
        let mut snapshots = Vec::with_capacity(records.len());
        for record in records.into_iter().rev() {
            let parent = previous.take().filter(|(id, _, _)| record.parent == Some(*id));
            let restored = restore_record(&self.inner, saver, thread, record, parent).await?;
            previous = Some((restored.pos.checkpoint, restored.pos.state.clone(), restored.pos.compaction));
            snapshots.push(view(&self.inner, restored));
        }
        snapshots.reverse();
        Ok(snapshots)
    }

    /// Writes `update` into the thread's latest state as a new checkpoint, as
    /// if `as_node` had written it: the steps pending stay pending and, when a
    /// node is named, what follows it is added. Returns the new checkpoint.
    ///
    /// # Errors
    /// [`RunError::NoSuchThread`]; [`RunError::UnknownNode`] for `as_node`.
    pub async fn update_state(
        &self,
        thread: &str,
        update: S::Update,
        as_node: Option<&str>,
    ) -> Result<CheckpointId, RunError> {
        self.write_update(thread, None, update, as_node).await
    }

    /// Like [`update_state`](Self::update_state), on the older checkpoint
    /// `checkpoint`: a fork. The new checkpoint becomes the thread's latest;
    /// the history after `checkpoint` stays as it was.
    ///
    /// # Errors
    /// [`RunError::NoSuchCheckpoint`]; [`RunError::UnknownNode`] for `as_node`.
    pub async fn update_state_at(
        &self,
        thread: &str,
        checkpoint: CheckpointId,
        update: S::Update,
        as_node: Option<&str>,
    ) -> Result<CheckpointId, RunError> {
        self.write_update(thread, Some(checkpoint), update, as_node).await
    }

    async fn write_update(
        &self,
        thread: &str,
        at: Option<CheckpointId>,
        update: S::Update,
        as_node: Option<&str>,
    ) -> Result<CheckpointId, RunError> {
        let saver = self.saver_for("update_state")?;
        let _active = crate::exec::api::ActiveThread::acquire(&self.inner, thread)?;
        let as_id = match as_node {
            Some(name) => Some(self.inner.node_id(name).ok_or_else(|| RunError::UnknownNode {
                thread: thread.to_owned(),
                node: name.to_owned(),
                context: "update_state's as_node",
            })?),
            None => None,
        };
        let latest = saver
            .checkpoint(thread, None)
            .await?
            .ok_or_else(|| RunError::NoSuchThread { thread: thread.to_owned() })?;
        let base = match at {
            Some(id) => restore(&self.inner, saver, thread, Some(id))
                .await?
                .ok_or_else(|| RunError::NoSuchCheckpoint { thread: thread.to_owned(), checkpoint: id })?,
            None => restore_record(&self.inner, saver, thread, latest.clone(), None).await?,
        };
        let config = RunConfig { durability: crate::checkpoint::Durability::Sync, ..self.defaults.clone() };
        let mut runner = Runner::from_restored(self, thread.into(), &config, None, base, latest.id)?;
        let mut writes = runner.absorb_successes()?;
        let encoded = runner.encode_value(&update, "update")?;
        writes.push(Write { task: EXTERNAL_TASK, node: as_node.unwrap_or_default().to_owned(), update: encoded });
        runner.pos.state.apply(update);
        if let Some(id) = as_id {
            let keep = std::mem::take(&mut runner.pos.pending);
            let next = runner.route(keep, vec![(Some(id), Vec::new())])?;
            runner.set_pending(next);
        }
        runner.write_checkpoint(Source::Update { as_node: as_node.map(str::to_owned) }, writes, None).await?;
        Ok(runner.pos.checkpoint)
    }
}
