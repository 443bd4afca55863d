//! A run in progress: its position in the thread, the super-step loop, and
//! how each step's end is written down.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use super::ending::letter_for;
use super::task::{Task, TaskDone, TaskOutcome, task_record, to_json};
use crate::checkpoint::{
    CheckpointBodyRef, CheckpointId, CheckpointRecord, Checkpointer, Completion, Durability, JoinProgress, PendingTask,
    RecordKind, RollbackBody, SnapshotPolicy, Source, Stop, TaskRecord, Write, encode,
};
use crate::exec::event::EventSink;
use crate::exec::{
    Budget, BudgetKind, Event, Meter, NodeFailure, Outcome, PolicyEvent, RunConfig, RunError, RunHealth, RunReport,
    RunResult, TaskReport, Usage,
};
use crate::graph::{CompiledGraph, GraphInner, NodeId};
use crate::node::now_ms;
use crate::node::{Interrupt, InterruptId, InterruptKind};
use crate::policy::Breakers;
use crate::state::State;

/// Where a thread stands: the checkpoint a super-step starts from, the state
/// there, and the step's tasks with those already finished.
pub(crate) struct Position<S: State> {
    pub(crate) checkpoint: CheckpointId,
    pub(crate) parent: Option<CheckpointId>,
    pub(crate) step: u64,
    pub(crate) state: S,
    pub(crate) pending: Vec<Task<S>>,
    /// Parallel to `pending`: results already known.
    pub(crate) done: Vec<Option<TaskDone<S>>>,
    /// Per join: the sources arrived since it last fired, sorted.
    pub(crate) joins: Vec<Vec<NodeId>>,
    pub(crate) compaction: Compaction,
    /// What the checkpoint was written from (kept for `Exit` durability, which
    /// writes it late).
    pub(crate) source: Source,
    pub(crate) writes: Vec<Write>,
    pub(crate) stop: Option<Stop>,
    /// Whether `checkpoint` is in the store.
    pub(crate) stored: bool,
    /// The run's degraded, failed, skipped and replaced nodes so far.
    pub(crate) health: RunHealth,
    /// Completed nodes that have compensators, oldest first.
    pub(crate) completed: Vec<Completed<S>>,
    /// A rollback in progress or finished.
    pub(crate) rollback: Option<RollbackBody>,
    /// What the run has used of its budget.
    pub(crate) usage: Usage,
}

/// A completed node a rollback would undo.
pub(crate) struct Completed<S: State> {
    pub(crate) node: NodeId,
    /// The checkpoint that ended its step: its compensator sees that state.
    pub(crate) checkpoint: CheckpointId,
    /// That state, when this process has it (else it is read from the store).
    pub(crate) state: Option<S>,
}

/// Deltas since the last snapshot, for the [`SnapshotPolicy`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Compaction {
    pub(crate) deltas: u32,
    pub(crate) delta_bytes: usize,
    pub(crate) snapshot_bytes: usize,
}

pub(crate) struct Runner<'g, S: State> {
    pub(crate) graph: &'g GraphInner<S>,
    pub(crate) saver: Option<&'g dyn Checkpointer>,
    pub(crate) breakers: &'g Breakers,
    pub(crate) thread: Arc<str>,
    pub(crate) durability: Durability,
    pub(crate) step_limit: u64,
    /// The nodes the run stops before (`interrupt_before`); usually none.
    pub(crate) before: Vec<NodeId>,
    /// The nodes the run stops after (`interrupt_after`); usually none.
    pub(crate) after: Vec<NodeId>,
    pub(crate) policy: SnapshotPolicy,
    pub(crate) events: EventSink<S>,
    /// The id the next checkpoint gets.
    pub(crate) next_id: CheckpointId,
    /// The newest checkpoint in the store, the parent of a late `Exit` write.
    pub(crate) last_stored: Option<CheckpointId>,
    pub(crate) pos: Position<S>,
    /// Super-steps run by this invocation.
    pub(crate) steps: u64,
    /// Scratch: which nodes the next step already pulls.
    pub(crate) pulled: Vec<bool>,
    /// During a rollback: the states the remaining compensators see, when
    /// this process has them.
    pub(crate) states: Vec<Option<S>>,
    /// Whether the thread had checkpoints before this run. A new thread has
    /// no dead letter to clear when it completes.
    pub(crate) restored: bool,
    pub(crate) budget: Budget,
    /// Record per-task metrics.
    pub(crate) metrics: bool,
    /// With a report asked for: the tasks this invocation ran, as they finish.
    pub(crate) report: Option<Vec<TaskReport>>,
    /// Where the run's nodes report cost and tokens: only with a budget to
    /// count for.
    pub(crate) meter: Option<Arc<Meter>>,
    /// When this invocation started, and the running time before it.
    pub(crate) started: Instant,
    pub(crate) elapsed_before: u64,
    /// Scratch for routing: the nodes a step's routes start from.
    pub(crate) sources: Vec<Option<NodeId>>,
    /// The sources a step routes from, kept across steps (emptied).
    pub(crate) routed: Vec<super::advance::Routed<S>>,
    /// A task list kept across steps (emptied), for the next step's tasks.
    pub(crate) spare_tasks: Vec<Task<S>>,
    /// A list of task indices kept across steps (emptied), for the tasks a
    /// step leaves unrecorded.
    pub(crate) spare_unsaved: Vec<usize>,
    /// With loop detection: visits in this invocation by (node, input hash).
    pub(crate) visits: HashMap<(NodeId, u64), u32>,
}

impl<'g, S: State> Runner<'g, S> {
    /// A runner for `thread` with no position yet (`pos` is filled by the caller).
    pub(crate) fn new(
        compiled: &'g CompiledGraph<S>,
        thread: Arc<str>,
        config: &RunConfig,
        events: EventSink<S>,
        state: S,
    ) -> Result<Self, RunError> {
        let (graph, saver, breakers) = (&*compiled.inner, compiled.saver.as_deref(), &*compiled.breakers);
        // Lists, not flags per node: without interrupts they stay empty and
        // allocate nothing.
        let nodes = |names: &Option<Vec<String>>, defaults: &[NodeId], context| -> Result<Vec<NodeId>, RunError> {
            let Some(names) = names else { return Ok(defaults.to_vec()) };
            let mut nodes = Vec::with_capacity(names.len());
            for name in names {
                let id = graph.node_id(name).ok_or_else(|| RunError::UnknownNode {
                    thread: thread.to_string(),
                    node: name.clone(),
                    context,
                })?;
                if !nodes.contains(&id) {
                    nodes.push(id);
                }
            }
            Ok(nodes)
        };
        let before = nodes(&config.interrupt_before, &graph.interrupt_before, "interrupt_before")?;
        let after = nodes(&config.interrupt_after, &graph.interrupt_after, "interrupt_after")?;
        Ok(Self {
            graph,
            saver,
            breakers,
            durability: config.durability,
            step_limit: config.step_limit,
            before,
            after,
            policy: saver.map(|s| s.snapshot_policy()).unwrap_or_default(),
            events,
            next_id: CheckpointId::new(1),
            last_stored: None,
            pos: Position {
                checkpoint: CheckpointId::new(0),
                parent: None,
                step: 0,
                state,
                pending: Vec::new(),
                done: Vec::new(),
                joins: vec![Vec::new(); graph.joins.len()],
                compaction: Compaction::default(),
                source: Source::Input,
                writes: Vec::new(),
                stop: None,
                stored: false,
                health: RunHealth::default(),
                completed: Vec::new(),
                rollback: None,
                usage: Usage::default(),
            },
            steps: 0,
            pulled: vec![false; graph.nodes.len()],
            states: Vec::new(),
            restored: false,
            budget: config.budget,
            metrics: config.metrics,
            report: config.report.then(Vec::new),
            meter: config.budget.is_limited().then(Arc::default),
            started: Instant::now(),
            elapsed_before: 0,
            visits: HashMap::new(),
            sources: Vec::new(),
            routed: Vec::new(),
            spare_tasks: Vec::new(),
            spare_unsaved: Vec::new(),
            thread,
        })
    }

    /// Whether task results are encoded as they finish (a store will keep them).
    pub(crate) fn encodes(&self) -> bool {
        self.stores_checkpoints()
    }

    pub(crate) fn emit(&self, event: impl FnOnce() -> Event<S>) {
        if let Some(sink) = &self.events {
            // A listener that went away only stops receiving.
            let _ = sink.unbounded_send(event());
        }
    }

    /// Runs super-steps until the run completes, fails, stops for a human, or
    /// hits its step limit. Returns how the run ends; the caller
    /// [`close`](Self::close)s it.
    ///
    /// Everything here borrows the runner and a rollback runs boxed, so this
    /// future stays small: it is moved a few times per invocation.
    pub(crate) async fn drive(&mut self) -> Result<Outcome, RunError> {
        // The tasks the run starts with are first visits: they cannot loop yet.
        self.check_loops()?;
        let outcome = loop {
            if self.pos.pending.is_empty() {
                break Outcome::Completed;
            }
            if self.steps >= self.step_limit {
                self.flush_exit().await?;
                return Err(RunError::StepLimit { thread: self.thread.to_string(), limit: self.step_limit });
            }
            if let Some((budget, used, limit)) = self.over_budget() {
                break Outcome::BudgetExceeded { budget, used, limit };
            }
            // Usage is counted for a budget only: nothing to do without one.
            let metered = self.budget.is_limited();
            let fresh: Vec<usize> = if metered {
                (0..self.pos.done.len()).filter(|&i| self.pos.done[i].is_none()).collect()
            } else {
                Vec::new()
            };
            let unsaved = self.execute().await?;
            if metered {
                self.meter_step(&fresh);
            }
            if let Some(outcome) = self.unfinished_outcome() {
                if let Outcome::Failed { node, error } = &outcome
                    && !self.pos.completed.is_empty()
                {
                    let (node, error) = (node.clone(), error.clone());
                    return Box::pin(self.roll_back(node, error)).await;
                }
                self.save_task_records(unsaved).await?;
                break outcome;
            }
            self.spare_unsaved = unsaved;
            let (writes, ran) = self.advance()?;
            self.steps += 1;
            let looped = self.check_loops()?;
            let stop = self.stop_at(&ran);
            // Written in two parts, so a run that stores nothing has no
            // checkpoint future to build each step.
            self.move_to_checkpoint(Source::Step, writes, stop.clone());
            if self.stores_checkpoints() {
                self.store_checkpoint().await?;
            }
            if let Some((node, visits)) = looped {
                break Outcome::LoopDetected { node, visits };
            }
            if let Some(stop) = stop {
                break self.interrupted(&stop);
            }
        };
        Ok(outcome)
    }

    /// Counts the visits of the pending tasks (node and a hash of the input
    /// each reads). A task at the loop limit is replaced by the loop handler;
    /// without one, returns the looping node and the limit: the run ends.
    fn check_loops(&mut self) -> Result<Option<(String, u32)>, RunError> {
        let Some(guard) = self.graph.loops else { return Ok(None) };
        for i in 0..self.pos.pending.len() {
            let task = &self.pos.pending[i];
            if self.pos.done[i].is_some() || !task.resume.is_empty() {
                continue; // finished, or answering an interrupt: not a new visit
            }
            let input = self.encode_value(task.input.as_ref().unwrap_or(&self.pos.state), "loop check input")?;
            let mut hasher = DefaultHasher::new();
            input.hash(&mut hasher);
            let node = task.node;
            let count = self.visits.entry((node, hasher.finish())).or_insert(0);
            *count += 1;
            if *count < guard.visits {
                continue;
            }
            let name = self.graph.name(node).to_string();
            match guard.handler {
                Some(handler) if handler != node => {
                    *count = 0;
                    tracing::warn!(node = %name, visits = guard.visits, "loop detected: the loop handler runs instead");
                    let handler_name = self.graph.name(handler).to_string();
                    self.emit(|| {
                        Event::Policy(PolicyEvent::LoopHandled {
                            step: self.pos.step + 1,
                            node: name,
                            visits: guard.visits,
                            handler: handler_name,
                        })
                    });
                    self.pos.pending[i] = Task::pull(handler);
                }
                _ => {
                    tracing::warn!(node = %name, visits = guard.visits, "loop detected: the run stops");
                    return Ok(Some((name, guard.visits)));
                }
            }
        }
        Ok(None)
    }

    /// The limit of the run's budget its usage has reached, if any.
    fn over_budget(&self) -> Option<(BudgetKind, f64, f64)> {
        if !self.budget.is_limited() {
            return None;
        }
        self.budget.exceeded(&self.pos.usage)
    }

    /// Adds to the usage what the step's `fresh` tasks (those run now) used:
    /// their attempts, and the cost and tokens their nodes reported.
    fn meter_step(&mut self, fresh: &[usize]) {
        for &i in fresh {
            if let Some(done) = &self.pos.done[i] {
                let before = self.pos.pending[i].attempts;
                self.pos.usage.steps += u64::from(done.attempts.saturating_sub(before).max(1));
            }
        }
        if let Some(meter) = &self.meter {
            meter.drain_into(&mut self.pos.usage);
        }
    }

    /// The outcome of a step in which some task failed or was interrupted.
    fn unfinished_outcome(&self) -> Option<Outcome> {
        let unfinished = |done: &Option<TaskDone<S>>| {
            matches!(done, Some(TaskDone { outcome: TaskOutcome::Failed(_) | TaskOutcome::Interrupted { .. }, .. }))
        };
        // Most steps end with every task through: nothing to build.
        if !self.pos.done.iter().any(unfinished) {
            return None;
        }
        let mut interrupts = Vec::new();
        for (i, done) in self.pos.done.iter().enumerate() {
            match done.as_ref().map(|d| &d.outcome) {
                Some(TaskOutcome::Failed(error)) => {
                    let node = self.graph.name(self.pos.pending[i].node).to_string();
                    return Some(Outcome::Failed { node, error: error.clone() });
                }
                Some(TaskOutcome::Interrupted { payload, resume }) => interrupts.push(Interrupt {
                    id: InterruptId::new(self.pos.checkpoint, i as u32, resume.len()),
                    node: self.graph.name(self.pos.pending[i].node).to_string(),
                    kind: InterruptKind::Node { payload: payload.clone() },
                }),
                _ => {}
            }
        }
        (!interrupts.is_empty()).then_some(Outcome::Interrupted { interrupts })
    }

    /// The interrupt_after / interrupt_before stop at the end of a step that
    /// ran `ran`, given the next step's tasks.
    pub(crate) fn stop_at(&self, ran: &[NodeId]) -> Option<Stop> {
        if self.before.is_empty() && self.after.is_empty() {
            return None;
        }
        let mut stop = Stop::default();
        for &id in ran {
            let name = self.graph.name(id);
            if self.after.contains(&id) && !stop.after.iter().any(|n| **n == **name) {
                stop.after.push(name.to_string());
            }
        }
        for task in &self.pos.pending {
            let name = self.graph.name(task.node);
            if self.before.contains(&task.node) && !stop.before.iter().any(|n| **n == **name) {
                stop.before.push(name.to_string());
            }
        }
        (!stop.before.is_empty() || !stop.after.is_empty()).then_some(stop)
    }

    /// The outcome of a run stopped for a human at `stop`.
    pub(crate) fn interrupted(&self, stop: &Stop) -> Outcome {
        Outcome::Interrupted { interrupts: stop_interrupts(self.pos.checkpoint, stop) }
    }

    /// Writes what `Exit` durability held back, and records a run that
    /// failed in the dead-letter queue (or clears the letter of one that
    /// completed). Returns the checkpoint the run ends at.
    pub(crate) async fn close(&mut self, outcome: &Outcome) -> Result<Option<CheckpointId>, RunError> {
        self.flush_exit().await?;
        if let Outcome::Interrupted { interrupts } = outcome {
            let interrupts = interrupts.clone();
            self.emit(|| Event::Interrupted { interrupts });
        }
        let Some(saver) = self.saver else { return Ok(None) };
        let attempts = self.pos.done.iter().flatten().find_map(|d| match &d.outcome {
            TaskOutcome::Failed(_) => Some(d.attempts),
            _ => None,
        });
        if let Some(letter) = letter_for(self.graph, &self.thread, self.pos.checkpoint, outcome, attempts) {
            saver.put_dead_letter(letter).await?;
            crate::exec::metrics::dead_letter();
        } else if *outcome == Outcome::Completed && self.restored && saver.dead_letter(&self.thread).await?.is_some() {
            // Resumed to completion some other way than `requeue`.
            saver.remove_dead_letter(&self.thread).await?;
        }
        Ok(Some(self.pos.checkpoint))
    }

    /// The run's result: the state with the writes of a stopped step's
    /// successful tasks. `thread` is the thread's id, as the caller gave it.
    pub(crate) fn into_result(
        self,
        thread: String,
        outcome: Outcome,
        checkpoint: Option<CheckpointId>,
    ) -> RunResult<S> {
        let Position { mut state, done, health, .. } = self.pos;
        for done in done.into_iter().flatten() {
            if let TaskOutcome::Succeeded { command, .. } = done.outcome {
                state.apply(command.update);
            }
        }
        let report = self.report.map(|mut tasks| {
            tasks.sort_by_key(|t| (t.step, t.task));
            Box::new(RunReport { thread: thread.clone(), outcome: outcome.clone(), tasks })
        });
        RunResult { state, outcome, health, thread, checkpoint, steps: self.steps, report }
    }

    /// Ends the current step's checkpoint: the position moves to a new
    /// checkpoint whose state is `pos.state` and whose tasks are `pos.pending`.
    pub(crate) async fn write_checkpoint(
        &mut self,
        source: Source,
        writes: Vec<Write>,
        stop: Option<Stop>,
    ) -> Result<(), RunError> {
        self.move_to_checkpoint(source, writes, stop);
        if self.stores_checkpoints() { self.store_checkpoint().await } else { Ok(()) }
    }

    /// Whether each checkpoint is stored as it is reached (a checkpointer,
    /// and not `Exit` durability).
    fn stores_checkpoints(&self) -> bool {
        self.saver.is_some() && self.durability != Durability::Exit
    }

    /// The part of [`write_checkpoint`](Self::write_checkpoint) that stays
    /// in memory: the position moves to the next checkpoint.
    fn move_to_checkpoint(&mut self, source: Source, writes: Vec<Write>, stop: Option<Stop>) {
        let id = self.next_id;
        self.next_id = id.next();
        // Id 0 is never a stored checkpoint: it marks a thread's first position.
        let parent = (self.pos.checkpoint.as_u64() > 0).then_some(self.pos.checkpoint);
        let step = match source {
            Source::Step | Source::Rollback => self.pos.step + 1,
            _ => self.pos.step,
        };
        self.pos.parent = parent;
        self.pos.checkpoint = id;
        self.pos.step = step;
        self.pos.source = source;
        self.pos.writes = writes;
        self.pos.stop = stop;
        self.pos.stored = false;
        if self.budget.is_limited() {
            self.pos.usage.elapsed_ms = self.elapsed_before + self.started.elapsed().as_millis() as u64;
        }
    }

    /// Stores the position [`move_to_checkpoint`](Self::move_to_checkpoint)
    /// reached.
    async fn store_checkpoint(&mut self) -> Result<(), RunError> {
        let Some(saver) = self.saver else { return Ok(()) };
        let (id, parent, step) = (self.pos.checkpoint, self.pos.parent, self.pos.step);
        let delta_bytes: usize = self.pos.writes.iter().map(|w| w.update.len()).sum();
        let c = self.pos.compaction;
        let fresh = parent.is_none();
        // A thread at rest (finished, or stopped for a human) is read more
        // than it is written: its state, and a resume, then read one record.
        let at_rest = self.pos.pending.is_empty() || self.pos.stop.is_some();
        let snapshot =
            fresh || at_rest || self.policy.wants_snapshot(c.deltas + 1, c.delta_bytes + delta_bytes, c.snapshot_bytes);
        let record = self.encode_position(parent, snapshot)?;
        saver.put_checkpoint(&self.thread, record, Vec::new(), self.durability).await?;
        self.pos.stored = true;
        self.last_stored = Some(id);
        self.emit(|| Event::CheckpointSaved { checkpoint: id, step });
        Ok(())
    }

    /// The record of the current position, as a snapshot or as a delta on `parent`.
    fn encode_position(&mut self, parent: Option<CheckpointId>, snapshot: bool) -> Result<CheckpointRecord, RunError> {
        let state = if snapshot { Some(self.encode_value(&self.pos.state, "state")?) } else { None };
        let next = self.pending_bodies()?;
        let joins = self.join_bodies();
        let completed: Vec<Completion> = self
            .pos
            .completed
            .iter()
            .map(|c| Completion { node: self.graph.name(c.node).to_string(), checkpoint: c.checkpoint })
            .collect();
        let metered = self.budget.is_limited();
        let pos = &mut self.pos;
        let delta_bytes: usize = pos.writes.iter().map(|w| w.update.len()).sum();
        match &state {
            Some(bytes) => pos.compaction = Compaction { deltas: 0, delta_bytes: 0, snapshot_bytes: bytes.len() },
            None => {
                pos.compaction.deltas += 1;
                pos.compaction.delta_bytes += delta_bytes;
            }
        }
        let body = CheckpointBodyRef {
            snapshot: state.as_deref(),
            writes: &pos.writes,
            next: &next,
            joins: &joins,
            source: &pos.source,
            stop: pos.stop.as_ref(),
            health: &pos.health,
            completed: &completed,
            rollback: pos.rollback.as_ref(),
            usage: metered.then_some(&pos.usage),
        };
        Ok(CheckpointRecord {
            id: pos.checkpoint,
            parent,
            step: pos.step,
            created_at_ms: now_ms(),
            kind: if state.is_some() { RecordKind::Snapshot } else { RecordKind::Delta },
            body: encode(&body),
        })
    }

    fn pending_bodies(&self) -> Result<Vec<PendingTask>, RunError> {
        self.pos
            .pending
            .iter()
            .map(|task| {
                let input = match &task.input {
                    Some(input) => Some(self.encode_value(input, "task input")?),
                    None => None,
                };
                Ok(PendingTask { node: self.graph.name(task.node).to_string(), input })
            })
            .collect()
    }

    fn join_bodies(&self) -> Vec<JoinProgress> {
        self.pos
            .joins
            .iter()
            .enumerate()
            .filter(|(_, arrived)| !arrived.is_empty())
            .map(|(j, arrived)| JoinProgress {
                target: self.graph.name(self.graph.joins[j].target).to_string(),
                arrived: arrived.iter().map(|&id| self.graph.name(id).to_string()).collect(),
            })
            .collect()
    }

    pub(crate) fn encode_value<T: serde::Serialize>(&self, value: &T, what: &'static str) -> Result<Vec<u8>, RunError> {
        to_json(value).map_err(|message| RunError::Encode { thread: self.thread.to_string(), what, message })
    }

    /// The records of finished tasks of an unfinished step, so they do not run again.
    pub(crate) fn task_records(&mut self, only: &[usize]) -> Result<Vec<TaskRecord>, RunError> {
        let pos = &mut self.pos;
        records_for(self.graph, &self.thread, pos.checkpoint, &pos.pending, &mut pos.done, only)
    }

    async fn save_task_records(&mut self, unsaved: Vec<usize>) -> Result<(), RunError> {
        let Some(saver) = self.saver else { return Ok(()) };
        if self.durability == Durability::Exit || unsaved.is_empty() {
            return Ok(());
        }
        let records = self.task_records(&unsaved)?;
        saver.put_tasks(&self.thread, records, self.durability).await?;
        Ok(())
    }

    /// With `Exit` durability: writes the position's checkpoint, as a
    /// snapshot, and the results of its step's finished tasks.
    async fn flush_exit(&mut self) -> Result<(), RunError> {
        let Some(saver) = self.saver else { return Ok(()) };
        if self.durability != Durability::Exit || self.pos.stored {
            return Ok(());
        }
        let record = self.encode_position(self.last_stored, true)?;
        let finished: Vec<usize> = (0..self.pos.done.len()).filter(|&i| self.pos.done[i].is_some()).collect();
        let tasks = self.task_records(&finished)?;
        saver.put_checkpoint(&self.thread, record, tasks, Durability::Sync).await?;
        self.pos.stored = true;
        self.last_stored = Some(self.pos.checkpoint);
        Ok(())
    }
}

/// The records of the finished tasks `only` of the step at `checkpoint`.
pub(crate) fn records_for<S: State>(
    graph: &GraphInner<S>,
    thread: &str,
    checkpoint: CheckpointId,
    pending: &[Task<S>],
    done: &mut [Option<TaskDone<S>>],
    only: &[usize],
) -> Result<Vec<TaskRecord>, RunError> {
    let mut records = Vec::with_capacity(only.len());
    for &i in only {
        if let Some(result) = done[i].as_mut() {
            let node = graph.name(pending[i].node);
            let record = task_record(checkpoint, i as u32, node, result).map_err(|message| RunError::Encode {
                thread: thread.to_owned(),
                what: "task result",
                message,
            })?;
            records.push(record);
        }
    }
    Ok(records)
}

/// The interrupts a stop at `checkpoint` presents.
pub(crate) fn stop_interrupts(checkpoint: CheckpointId, stop: &Stop) -> Vec<Interrupt> {
    let after = stop.after.iter().map(|node| Interrupt {
        id: InterruptId::named(format!("{checkpoint}-after-{node}")),
        node: node.clone(),
        kind: InterruptKind::After,
    });
    let before = stop.before.iter().map(|node| Interrupt {
        id: InterruptId::named(format!("{checkpoint}-before-{node}")),
        node: node.clone(),
        kind: InterruptKind::Before,
    });
    after.chain(before).collect()
}

impl<'g, S: State> Runner<'g, S> {
    /// A runner positioned at a restored checkpoint of a thread whose newest
    /// checkpoint is `latest`.
    pub(crate) fn from_restored(
        compiled: &'g CompiledGraph<S>,
        thread: Arc<str>,
        config: &RunConfig,
        events: EventSink<S>,
        restored: super::load::Restored<S>,
        latest: CheckpointId,
    ) -> Result<Self, RunError> {
        let pos = restored.pos;
        let mut runner = Self::new(compiled, thread, config, events, pos.state)?;
        runner.pos = Position { state: runner.pos.state, ..pos };
        runner.next_id = latest.next();
        runner.last_stored = Some(runner.pos.checkpoint);
        runner.restored = true;
        runner.elapsed_before = runner.pos.usage.elapsed_ms;
        Ok(runner)
    }

    /// Folds the pending step's successful tasks into the state, leaving only
    /// the tasks still to run; returns their writes, for a checkpoint that
    /// starts a new branch from here.
    pub(crate) fn absorb_successes(&mut self) -> Result<Vec<Write>, RunError> {
        let tasks = std::mem::take(&mut self.pos.pending);
        let done = std::mem::take(&mut self.pos.done);
        let mut writes = Vec::new();
        let mut keep = Vec::new();
        for (i, (task, done)) in tasks.into_iter().zip(done).enumerate() {
            match done {
                Some(TaskDone { outcome: TaskOutcome::Dropped(error), .. }) => {
                    self.pos.health.failed.push(NodeFailure { node: self.graph.name(task.node).to_string(), error });
                }
                Some(TaskDone { outcome: TaskOutcome::Succeeded { command, encoded, .. }, .. }) => {
                    let update = match encoded {
                        Some(bytes) => bytes,
                        None => self.encode_value(&command.update, "update")?,
                    };
                    writes.push(Write { task: i as u32, node: self.graph.name(task.node).to_string(), update });
                    self.pos.state.apply(command.update);
                }
                _ => keep.push(task),
            }
        }
        self.set_pending(keep);
        Ok(writes)
    }
}
