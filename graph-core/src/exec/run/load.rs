//! Reading a thread back: the state at a checkpoint, rebuilt from its nearest
//! snapshot and the deltas after it, and the step pending there.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::runner::{Compaction, Completed, Position};
use super::task::{Task, TaskDone, TaskOutcome, Via};
use crate::checkpoint::{
    CheckpointError, CheckpointId, CheckpointRecord, Checkpointer, GotoBody, RecordKind, TaskOutcomeBody, ViaBody,
    decode_checkpoint, decode_task,
};
use crate::exec::RunError;
use crate::graph::GraphInner;
use crate::node::{Command, Goto, Send, TaskError};
use crate::state::State;

/// A thread's position at a checkpoint, with what its step's recorded tasks
/// say beyond their successes.
pub(crate) struct Restored<S: State> {
    pub(crate) pos: Position<S>,
    pub(crate) created_at_ms: u64,
    /// Tasks that failed, with their errors.
    pub(crate) failed: Vec<(usize, TaskError)>,
    /// Tasks waiting for a resume value: the payload of the interrupt.
    pub(crate) interrupted: Vec<(usize, Value)>,
}

/// The position of `thread` at checkpoint `id` (its latest when `None`), or
/// `None` when there is no such checkpoint.
pub(crate) async fn restore<S: State>(
    graph: &GraphInner<S>,
    saver: &dyn Checkpointer,
    thread: &str,
    id: Option<CheckpointId>,
) -> Result<Option<Restored<S>>, RunError> {
    let Some(record) = saver.checkpoint(thread, id).await? else { return Ok(None) };
    restore_record(graph, saver, thread, record, None).await.map(Some)
}

/// The position at `record`. When `parent` holds the state at the record's
/// parent (as when walking a history oldest first), a delta is applied on it
/// instead of replaying the chain from its snapshot; it is consumed either way.
pub(crate) async fn restore_record<S: State>(
    graph: &GraphInner<S>,
    saver: &dyn Checkpointer,
    thread: &str,
    record: CheckpointRecord,
    parent: Option<(CheckpointId, S, Compaction)>,
) -> Result<Restored<S>, RunError> {
    let id = record.id;
    let corrupt = |at: CheckpointId, reason: &str| CheckpointError::corrupt(thread, Some(at), reason);
    if id.as_u64() == 0 {
        return Err(corrupt(id, "checkpoint id 0 is never written").into());
    }
    let mut state: Option<S> = None;
    let mut compaction = Compaction::default();
    let mut previous: Option<CheckpointId> = None;
    let mut chain = match (record.kind, record.parent) {
        (RecordKind::Snapshot, _) => Vec::new(),
        (RecordKind::Delta, Some(p)) if parent.as_ref().is_some_and(|(known, _, _)| *known == p) => {
            if let Some((known, known_state, known_compaction)) = parent {
                state = Some(known_state);
                compaction = known_compaction;
                previous = Some(known);
            }
            Vec::new()
        }
        (RecordKind::Delta, Some(p)) if p < id => saver.chain(thread, p).await?,
        (RecordKind::Delta, _) => return Err(corrupt(id, "a delta has no older parent").into()),
    };
    chain.push(record);

    let mut last = None;
    for link in &chain {
        if let Some(previous) = previous
            && link.parent != Some(previous)
        {
            return Err(corrupt(link.id, "the checkpoint chain is broken").into());
        }
        previous = Some(link.id);
        let body = decode_checkpoint(thread, link.id, &link.body)?;
        match (&body.snapshot, link.kind, state.as_mut()) {
            (Some(bytes), RecordKind::Snapshot, _) => {
                state = Some(decode_json(thread, link.id, "state", bytes)?);
                compaction = Compaction { deltas: 0, delta_bytes: 0, snapshot_bytes: bytes.len() };
            }
            (None, RecordKind::Delta, Some(state)) => {
                for write in &body.writes {
                    state.apply(decode_json(thread, link.id, "update", &write.update)?);
                    compaction.delta_bytes += write.update.len();
                }
                compaction.deltas += 1;
            }
            (None, RecordKind::Delta, None) => {
                return Err(corrupt(link.id, "the delta chain does not start at a snapshot").into());
            }
            _ => return Err(corrupt(link.id, "the record kind does not match its body").into()),
        }
        last = Some((link, body));
    }
    let (Some(state), Some((record, body))) = (state, last) else {
        return Err(corrupt(id, "the checkpoint chain is empty").into());
    };

    let unknown = |node: &str| RunError::UnknownNode {
        thread: thread.to_owned(),
        node: node.to_owned(),
        context: "a stored checkpoint",
    };
    let mut pending = Vec::with_capacity(body.next.len());
    for task in &body.next {
        let node = graph.node_id(&task.node).ok_or_else(|| unknown(&task.node))?;
        let input = match &task.input {
            Some(bytes) => Some(decode_json(thread, id, "task input", bytes)?),
            None => None,
        };
        pending.push(Task::with_input(node, input));
    }
    let mut joins = vec![Vec::new(); graph.joins.len()];
    for progress in &body.joins {
        let join = graph.join_into(&progress.target).ok_or_else(|| unknown(&progress.target))?;
        let mut arrived = Vec::with_capacity(progress.arrived.len());
        for name in &progress.arrived {
            arrived.push(graph.node_id(name).ok_or_else(|| unknown(name))?);
        }
        arrived.sort_unstable();
        arrived.dedup();
        joins[join] = arrived;
    }

    let mut done: Vec<Option<TaskDone<S>>> = pending.iter().map(|_| None).collect();
    let mut failed = Vec::new();
    let mut interrupted = Vec::new();
    // Task records belong to a pending step: a finished run has none to read.
    let records = if pending.is_empty() { Vec::new() } else { saver.tasks(thread, id).await? };
    for task_record in records {
        let index = task_record.task as usize;
        let task = decode_task(thread, id, &task_record.body)?;
        if task_record.checkpoint != id || body.next.get(index).is_none_or(|p| p.node != task.node) {
            return Err(corrupt(id, "a task record does not match the checkpoint's pending tasks").into());
        }
        match task.outcome {
            TaskOutcomeBody::Succeeded { update, goto, via } => {
                let mut command = Command::new(decode_json(thread, id, "update", &update)?);
                for goto in goto {
                    command.goto.push(match goto {
                        GotoBody::Node(node) => Goto::Node(node.into()),
                        GotoBody::Send { node, input } => {
                            Goto::Send(Send::new(node, decode_json(thread, id, "task input", &input)?))
                        }
                        GotoBody::End => Goto::End,
                    });
                }
                let via = match via {
                    ViaBody::Node => Via::Node,
                    ViaBody::Fallback { node, error } => Via::Fallback { node: node.into(), error },
                    ViaBody::Degraded { error } => Via::Degraded { error },
                };
                let outcome = TaskOutcome::Succeeded { command, encoded: Some(update), via };
                done[index] = Some(TaskDone { attempts: task.attempts, outcome });
            }
            TaskOutcomeBody::Failed { error } => failed.push((index, error)),
            TaskOutcomeBody::Dropped { error } => {
                failed.push((index, error.clone()));
                done[index] = Some(TaskDone { attempts: task.attempts, outcome: TaskOutcome::Dropped(error) });
            }
            TaskOutcomeBody::Retrying { error } => {
                pending[index].attempts = task.attempts;
                pending[index].last_error = Some(error);
            }
            TaskOutcomeBody::Interrupted { payload, resume } => {
                let values = resume
                    .iter()
                    .map(|bytes| decode_json::<Value>(thread, id, "resume value", bytes))
                    .collect::<Result<Vec<_>, _>>()?;
                pending[index].resume = values;
                interrupted.push((index, decode_json(thread, id, "interrupt payload", &payload)?));
            }
        }
    }

    let mut completed = Vec::with_capacity(body.completed.len());
    for c in &body.completed {
        let node = graph.node_id(&c.node).ok_or_else(|| unknown(&c.node))?;
        completed.push(Completed { node, checkpoint: c.checkpoint, state: None });
    }

    Ok(Restored {
        pos: Position {
            checkpoint: id,
            parent: record.parent,
            step: record.step,
            state,
            pending,
            done,
            joins,
            compaction,
            source: body.source,
            writes: body.writes,
            stop: body.stop,
            stored: true,
            health: body.health,
            completed,
            rollback: body.rollback,
            usage: body.usage.unwrap_or_default(),
        },
        created_at_ms: record.created_at_ms,
        failed,
        interrupted,
    })
}

/// Decodes JSON the user's types wrote. Bytes that are not JSON are corrupt;
/// JSON that does not fit the type is a [`CheckpointError::StateDecode`]
/// naming the path of the bad value.
pub(crate) fn decode_json<T: DeserializeOwned>(
    thread: &str,
    checkpoint: CheckpointId,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, CheckpointError> {
    // The fast path; only a failure pays for tracking the path to the fault.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            CheckpointError::corrupt(thread, Some(checkpoint), format!("stored {what} is not JSON: {inner}"))
        } else {
            CheckpointError::StateDecode {
                thread: thread.to_owned(),
                checkpoint,
                what,
                path,
                message: inner.to_string(),
            }
        }
    })?;
    de.end().map_err(|e| {
        CheckpointError::corrupt(thread, Some(checkpoint), format!("stored {what} has trailing bytes: {e}"))
    })?;
    Ok(value)
}
