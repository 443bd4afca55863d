//! Saga rollback: undoing completed nodes with their compensators after a
//! critical failure, one checkpoint per compensator, so a crash resumes the
//! rollback where it stopped.

use std::mem;
use std::sync::Arc;

use super::load::restore;
use super::runner::Runner;
use super::task::{Attempts, TaskEnv, run_attempts};
use crate::checkpoint::{Completion, EXTERNAL_TASK, RollbackBody, Source, Write};
use crate::exec::{Event, NodeFailure, Outcome, PolicyEvent, RunError};
use crate::node::{ErrorKind, TaskError};
use crate::state::State;

impl<S: State> Runner<'_, S> {
    /// Starts rolling back after `failed_node` failed critically: the step's
    /// tasks are abandoned, and the completed nodes are undone newest first.
    pub(crate) async fn roll_back(&mut self, failed_node: String, error: TaskError) -> Result<Outcome, RunError> {
        tracing::warn!(node = %failed_node, %error, "critical failure: rolling back");
        let completed = mem::take(&mut self.pos.completed);
        let remaining = completed
            .iter()
            .rev()
            .map(|c| Completion { node: self.graph.name(c.node).to_string(), checkpoint: c.checkpoint })
            .collect();
        self.states = completed.into_iter().rev().map(|c| c.state).collect();
        self.pos.rollback =
            Some(RollbackBody { failed_node, error, remaining, compensated: Vec::new(), failures: Vec::new() });
        self.set_pending(Vec::new());
        self.write_checkpoint(Source::Rollback, Vec::new(), None).await?;
        self.continue_rollback().await
    }

    /// Runs the remaining compensators, checkpointing after each. Returns
    /// the run's outcome, `RolledBack`.
    pub(crate) async fn continue_rollback(&mut self) -> Result<Outcome, RunError> {
        loop {
            let Some(rollback) = self.pos.rollback.as_ref() else {
                return Err(RunError::NotResumable { thread: self.thread.to_string() });
            };
            let Some(next) = rollback.remaining.first().cloned() else { break };
            let state = self.states.first_mut().and_then(Option::take);
            let writes = self.compensate(&next, state).await?;
            if let Some(rollback) = self.pos.rollback.as_mut() {
                rollback.remaining.remove(0);
            }
            if !self.states.is_empty() {
                self.states.remove(0);
            }
            self.steps += 1;
            self.write_checkpoint(Source::Rollback, writes, None).await?;
        }
        let Some(rollback) = self.pos.rollback.clone() else {
            return Err(RunError::NotResumable { thread: self.thread.to_string() });
        };
        Ok(Outcome::RolledBack {
            failed_node: rollback.failed_node,
            error: rollback.error,
            compensated: rollback.compensated,
            compensation_failures: rollback.failures,
        })
    }

    /// Undoes one completed node: its compensator runs (with its own retry
    /// policy) on the state right after the node, and its update applies to
    /// the current state. Returns the write to checkpoint.
    async fn compensate(&mut self, completion: &Completion, state: Option<S>) -> Result<Vec<Write>, RunError> {
        let graph = self.graph;
        let undone = graph.node_id(&completion.node);
        let Some(undo) = undone.and_then(|id| graph.nodes[id].policy.compensate) else {
            let error = TaskError {
                kind: ErrorKind::Permanent,
                message: format!("node `{}` has no compensator in this graph", completion.node),
            };
            self.record_failure(completion, "(none)", error);
            return Ok(Vec::new());
        };
        let state = match state {
            Some(state) => state,
            None => {
                let saver = self.saver.ok_or(RunError::NoCheckpointer { operation: "rollback" })?;
                let restored = restore(graph, saver, &self.thread, Some(completion.checkpoint)).await?;
                restored
                    .ok_or_else(|| RunError::NoSuchCheckpoint {
                        thread: self.thread.to_string(),
                        checkpoint: completion.checkpoint,
                    })?
                    .pos
                    .state
            }
        };
        let compensator = Arc::clone(graph.name(undo));
        let env = TaskEnv {
            graph,
            thread: &self.thread,
            step: self.pos.step + 1,
            checkpoint: self.pos.checkpoint,
            task: 0,
            encode: false,
            saver: self.saver,
            durability: self.durability,
            breakers: self.breakers,
            events: &self.events,
            meter: self.meter.as_ref(),
        };
        let (_, result) = run_attempts(undo, &state, &env, 1, None, Vec::new(), false).await?;
        match result {
            Attempts::Succeeded(command) => {
                let update = self.encode_value(&command.update, "update")?;
                self.pos.state.apply(command.update);
                self.emit(|| {
                    Event::Policy(PolicyEvent::Compensated {
                        node: completion.node.clone(),
                        compensator: compensator.to_string(),
                    })
                });
                if let Some(rollback) = self.pos.rollback.as_mut() {
                    rollback.compensated.push(completion.node.clone());
                }
                Ok(vec![Write { task: EXTERNAL_TASK, node: compensator.to_string(), update }])
            }
            Attempts::Failed(error) => {
                self.record_failure(completion, &compensator, error);
                Ok(Vec::new())
            }
            Attempts::Interrupted { .. } => {
                let error = TaskError {
                    kind: ErrorKind::Permanent,
                    message: "a compensator cannot wait for human input".to_owned(),
                };
                self.record_failure(completion, &compensator, error);
                Ok(Vec::new())
            }
        }
    }

    fn record_failure(&mut self, completion: &Completion, compensator: &str, error: TaskError) {
        tracing::error!(node = %completion.node, compensator, %error, "compensation failed");
        self.emit(|| {
            Event::Policy(PolicyEvent::CompensationFailed {
                node: completion.node.clone(),
                compensator: compensator.to_owned(),
                error: error.clone(),
            })
        });
        if let Some(rollback) = self.pos.rollback.as_mut() {
            rollback.failures.push(NodeFailure { node: compensator.to_owned(), error });
        }
    }
}
