//! Running the tasks of one super-step.

use std::future::poll_fn;
use std::mem;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::runner::{Position, Runner, records_for};
use super::task::{TaskDone, TaskEnv, TaskOutcome, run_task};
use crate::checkpoint::{CheckpointError, Durability};
use crate::exec::metrics::NodeMetrics;
use crate::exec::{Event, RunError, TaskReport};
use crate::node::BoxFuture;
use crate::state::State;

impl<S: State> Runner<'_, S> {
    /// Runs every unfinished task of the pending step, concurrently, against
    /// the same state. Results land in `pos.done`.
    ///
    /// With `Sync` or `Async` durability, tasks that finish while others still
    /// run are recorded at once, in groups (one store call covers every task
    /// that finished in the meantime). Returns the tasks whose results are not
    /// recorded yet: the last to finish, which the step's checkpoint absorbs.
    pub(crate) async fn execute(&mut self) -> Result<Vec<usize>, RunError> {
        let step = self.pos.step + 1;
        // One task to run (the common case of a chain): no list needed.
        let only = matches!(self.pos.done[..], [None]);
        let runnable: Vec<usize> = if only {
            Vec::new()
        } else {
            (0..self.pos.pending.len()).filter(|&i| self.pos.done[i].is_none()).collect()
        };
        self.emit(|| Event::StepStarted {
            step,
            nodes: self.pos.pending.iter().map(|t| Arc::clone(self.graph.name(t.node))).collect(),
        });
        let encode = self.encodes();
        let early = encode && runnable.len() > 1;
        let graph = self.graph;
        let thread = &self.thread;
        let events = &self.events;
        let (saver, durability, breakers) = (self.saver, self.durability, self.breakers);
        let meter = self.meter.as_ref();
        // Tasks are timed for metrics or a report only: no clock read otherwise.
        let record_metrics = self.metrics;
        let timed = record_metrics || self.report.is_some();
        let report = &mut self.report;
        let mut unsaved = mem::take(&mut self.spare_unsaved);
        unsaved.clear();
        let Position { state, pending, done, checkpoint, .. } = &mut self.pos;
        let (state, pending, checkpoint) = (&*state, &*pending, *checkpoint);

        let start = |i: usize| {
            let task = &pending[i];
            let node = &graph.nodes[task.node];
            if let Some(sink) = events {
                let _ = sink.unbounded_send(Event::NodeStarted { step, task: i as u32, node: Arc::clone(&node.name) });
            }
            let env = TaskEnv {
                graph,
                thread,
                step,
                checkpoint,
                task: i as u32,
                encode,
                saver,
                durability,
                breakers,
                events,
                meter,
            };
            let input = task.input.as_ref().unwrap_or(state);
            async move {
                let started = timed.then(Instant::now);
                let mut cost = 0.0;
                let result = run_task(task, input, env, &mut cost).await;
                let latency = started.map(|started| started.elapsed());
                if let (true, Some(latency), Ok(done)) = (record_metrics, latency, &result) {
                    let node = &graph.nodes[task.node];
                    let metrics = node.metrics.get_or_init(|| NodeMetrics::new(&node.name));
                    metrics.record(done.outcome.status(), done.attempts, latency);
                }
                (i, result, (latency, cost))
            }
        };
        let finish = |i: usize,
                      result: Result<TaskDone<S>, RunError>,
                      (latency, cost): (Option<Duration>, f64),
                      done: &mut Vec<Option<TaskDone<S>>>,
                      report: &mut Option<Vec<TaskReport>>| {
            let result = result?;
            if let (Some(report), Some(latency)) = (report, latency) {
                report.push(result.to_report(step, i as u32, graph.name(pending[i].node), latency, cost));
            }
            if let Some(sink) = events {
                let node = Arc::clone(graph.name(pending[i].node));
                let event = match &result.outcome {
                    TaskOutcome::Succeeded { command, .. } => {
                        Event::NodeFinished { step, task: i as u32, node, update: command.update.clone() }
                    }
                    TaskOutcome::Failed(error) | TaskOutcome::Dropped(error) => {
                        Event::NodeFailed { step, task: i as u32, node, error: error.clone() }
                    }
                    TaskOutcome::Interrupted { .. } => {
                        done[i] = Some(result);
                        return Ok(());
                    }
                };
                let _ = sink.unbounded_send(event);
            }
            done[i] = Some(result);
            Ok::<(), RunError>(())
        };

        if only {
            let (i, result, measured) = start(0).await;
            finish(i, result, measured, done, report)?;
            unsaved.push(i);
            return Ok(unsaved);
        }

        let mut running: FuturesUnordered<_> = runnable.iter().map(|&i| start(i)).collect();
        let mut saving: Option<BoxFuture<'_, Result<(), CheckpointError>>> = None;
        let records_of = |ids: &[usize], done: &mut Vec<Option<TaskDone<S>>>| {
            records_for(graph, thread, checkpoint, pending, done, ids)
        };
        poll_fn(|cx| {
            loop {
                let mut progressed = false;
                while let Poll::Ready(Some((i, result, measured))) = running.poll_next_unpin(cx) {
                    finish(i, result, measured, done, report)?;
                    unsaved.push(i);
                    progressed = true;
                }
                if let Some(save) = saving.as_mut()
                    && let Poll::Ready(result) = save.as_mut().poll(cx)
                {
                    saving = None;
                    result?;
                    progressed = true;
                }
                if early && saving.is_none() && !unsaved.is_empty() && !running.is_empty() {
                    let records = records_of(&mem::take(&mut unsaved), done)?;
                    if let Some(saver) = saver {
                        saving = Some(saver.put_tasks(thread, records, sync_or(durability)));
                    }
                    continue;
                }
                if running.is_empty() && saving.is_none() {
                    return Poll::Ready(Ok::<(), RunError>(()));
                }
                if !progressed {
                    return Poll::Pending;
                }
            }
        })
        .await?;
        Ok(unsaved)
    }
}

/// The durability of an early task record: the run's own, except that `Exit`
/// writes none.
fn sync_or(durability: Durability) -> Durability {
    match durability {
        Durability::Exit => Durability::Sync,
        other => other,
    }
}
