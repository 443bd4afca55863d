//! `history --thread ID`: a thread's checkpoints, newest first, each with
//! what wrote it, what went wrong in its step (degraded, failed, skipped,
//! replaced by a fallback, compensated, retrying, interrupted) and the
//! nodes due next.

use stategraph::SledSaver;
use stategraph::checkpoint::{Checkpointer as _, HistoryQuery, TaskStatus};
use stategraph::exec::CheckpointSource;
use stategraph::exec::inspect::{self, CheckpointView, TaskView};

use crate::failure::Failure;
use crate::output::{Out, TextTable, utc};

pub(super) async fn run(saver: &SledSaver, thread: &str, json: bool, out: &mut Out) -> Result<(), Failure> {
    let records = saver.history(thread, HistoryQuery::all()).await?;
    if records.is_empty() {
        return Err(super::no_thread(thread));
    }
    let views = records.iter().map(|r| inspect::view_checkpoint(thread, r)).collect::<Result<Vec<_>, _>>()?;
    if json {
        for view in &views {
            out.json_line(view)?;
        }
        return Ok(());
    }
    let mut table = TextTable::new(&["checkpoint", "step", "kind", "written", "what", "health", "next"], &[0, 1]);
    for (i, view) in views.iter().enumerate() {
        let tasks = saver.tasks(thread, view.id).await?;
        let tasks = tasks.iter().map(|t| inspect::view_task(thread, t)).collect::<Result<Vec<_>, _>>()?;
        table.row(vec![
            view.id.as_u64().to_string(),
            view.step.to_string(),
            if view.snapshot { "snapshot" } else { "delta" }.to_owned(),
            utc(view.created_at_ms),
            what(view),
            health(view, views.get(i + 1), &tasks),
            view.next.join(", "),
        ]);
    }
    out.table(&table)
}

/// What wrote the checkpoint: `input`, `step: a, b`, `update as a`, ...
fn what(view: &CheckpointView) -> String {
    let writers: Vec<&str> = view.writes.iter().map(|w| w.node.as_str()).collect();
    let source = match &view.source {
        CheckpointSource::Input => "input".to_owned(),
        CheckpointSource::Step => "step".to_owned(),
        CheckpointSource::Update { as_node: Some(node) } => format!("update as {node}"),
        CheckpointSource::Update { as_node: None } => "update".to_owned(),
        CheckpointSource::Fork { from } => format!("fork of {}", from.as_u64()),
        CheckpointSource::Rollback => "rollback".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    };
    if writers.is_empty() { source } else { format!("{source}: {}", writers.join(", ")) }
}

/// The entries of `now` that `before` did not have, told apart by node:
/// the lists grow during a run (an entry's other fields may change, as a
/// degraded node's taint does), and a node seen `n` times before is new
/// from its `n + 1`-th entry on (a loop, or a new invocation).
fn added<'a, T>(now: &'a [T], before: &[T], node: impl Fn(&T) -> &str) -> Vec<&'a T> {
    let mut seen: Vec<&str> = before.iter().map(&node).collect();
    now.iter()
        .filter(|entry| match seen.iter().position(|n| *n == node(entry)) {
            Some(i) => {
                seen.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

/// What went wrong by this checkpoint that had not by the one before it
/// (`older`), and how its pending tasks stand.
fn health(view: &CheckpointView, older: Option<&CheckpointView>, tasks: &[TaskView]) -> String {
    let (before, rollback_before) = match older {
        Some(older) => (older.health.clone(), older.rollback.as_ref()),
        None => (Default::default(), None),
    };
    let now = &view.health;
    let mut notes: Vec<String> = Vec::new();
    for d in added(&now.degraded, &before.degraded, |d| &d.node) {
        notes.push(format!("degraded: {} ({})", d.node, d.error.message));
    }
    for f in added(&now.failed, &before.failed, |f| &f.node) {
        notes.push(format!("failed, optional: {} ({})", f.node, f.error.message));
    }
    for f in added(&now.fallbacks, &before.fallbacks, |f| &f.node) {
        notes.push(format!("fallback: {} -> {}", f.node, f.fallback));
    }
    for s in added(&now.skipped, &before.skipped, |s| &s.node) {
        notes.push(format!("skipped: {} (after {})", s.node, s.cause));
    }
    if let Some(rollback) = &view.rollback {
        let (done, failed) = match rollback_before {
            Some(old) => (
                added(&rollback.compensated, &old.compensated, String::as_str),
                added(&rollback.failures, &old.failures, |f| &f.node),
            ),
            None => {
                notes.push(format!("rollback after {} ({})", rollback.failed_node, rollback.error.message));
                (rollback.compensated.iter().collect(), rollback.failures.iter().collect())
            }
        };
        for node in done {
            notes.push(format!("compensated: {node}"));
        }
        for f in failed {
            notes.push(format!("compensation failed: {} ({})", f.node, f.error.message));
        }
    }
    for task in tasks {
        let error = task.error.as_ref().map(|e| e.message.as_str()).unwrap_or_default();
        match task.status {
            TaskStatus::Failed => notes.push(format!("failed: {} ({error})", task.node)),
            TaskStatus::Interrupted => notes.push(format!("interrupted: {}", task.node)),
            TaskStatus::Retrying => {
                notes.push(format!("retrying: {} (attempt {}: {error})", task.node, task.attempts));
            }
            _ => {}
        }
    }
    notes.join("; ")
}
