//! Starting and resuming runs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::channel::mpsc;
use tracing::Instrument;

use super::event::{EventSink, EventStream};
use super::run::load::{Restored, restore};
use super::run::runner::Runner;
use super::{Budget, Resume, RunConfig, RunError, RunResult};
use crate::checkpoint::{
    CheckpointId, Checkpointer, Durability, EXTERNAL_TASK, Source, Stop, TaskBody, TaskOutcomeBody, TaskRecord,
    TaskStatus, Write, encode,
};
use crate::graph::{CompiledGraph, GraphInner, START};
use crate::node::InterruptId;
use crate::state::{Input, State};

/// One run of a thread, configured before it starts:
/// `graph.run("t1").step_limit(50).invoke(input)`.
#[must_use = "a run does nothing until invoked, resumed or streamed"]
pub struct Run<'g, S: State> {
    graph: &'g CompiledGraph<S>,
    thread: String,
    config: RunConfig,
    from: Option<CheckpointId>,
}

impl<S: State> std::fmt::Debug for Run<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("thread", &self.thread)
            .field("config", &self.config)
            .field("from", &self.from)
            .finish()
    }
}

enum Start<S: State> {
    Input(Input<S>),
    Resume(Resume),
}

impl<S: State> CompiledGraph<S> {
    /// A run of `thread` with this graph's defaults, to configure.
    pub fn run(&self, thread: impl Into<String>) -> Run<'_, S> {
        Run { graph: self, thread: thread.into(), config: self.defaults.clone(), from: None }
    }

    /// Runs `thread` from START on `input` until it completes, fails or stops
    /// for a human. A thread with state merges the input into it first.
    ///
    /// # Errors
    /// See [`RunError`]; a node failure is not an error but the outcome.
    pub async fn invoke(&self, input: impl Into<Input<S>>, thread: &str) -> Result<RunResult<S>, RunError> {
        // `self.run(thread).invoke(input)` without the `Run` in between: one
        // future fewer to move.
        let span = tracing::info_span!("graph.run", thread.id = %thread);
        execute(self, thread.to_owned(), self.defaults.clone(), None, Start::Input(input.into()), None)
            .instrument(span)
            .await
    }

    /// Continues `thread` from its latest checkpoint: after an interrupt, a
    /// failure, or a crash. Finished tasks are not run again.
    ///
    /// # Errors
    /// [`RunError::NoSuchThread`], [`RunError::NotResumable`], and the
    /// resume-value errors; see [`RunError`].
    pub async fn resume(&self, thread: &str, resume: Resume) -> Result<RunResult<S>, RunError> {
        self.run(thread).resume(resume).await
    }

    /// Like [`invoke`](Self::invoke), as a stream of [`Event`](super::Event)s.
    pub fn stream(&self, input: impl Into<Input<S>>, thread: &str) -> EventStream<S> {
        self.run(thread).stream(input)
    }
}

impl<S: State> Run<'_, S> {
    /// At most `limit` super-steps in this invocation.
    pub fn step_limit(mut self, limit: u64) -> Self {
        self.config.step_limit = limit;
        self
    }

    /// The durability of this run's checkpoints.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.config.durability = durability;
        self
    }

    /// Limits this run's node runs, running time and cost (instead of the
    /// graph's budget). A resume with a larger budget continues a run that
    /// stopped on its budget.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.config.budget = budget;
        self
    }

    /// Whether this run collects a [`RunReport`](super::RunReport) of the
    /// tasks it runs, returned in [`RunResult::report`] (instead of the
    /// graph's default, see
    /// [`with_reports`](CompiledGraph::with_reports)). A resume's report
    /// lists what the resume ran.
    pub fn report(mut self, on: bool) -> Self {
        self.config.report = on;
        self
    }

    /// Stops before any of `nodes` runs, instead of the graph's list.
    pub fn interrupt_before<I: IntoIterator<Item = N>, N: Into<String>>(mut self, nodes: I) -> Self {
        self.config.interrupt_before = Some(nodes.into_iter().map(Into::into).collect());
        self
    }

    /// Stops after any of `nodes` runs, instead of the graph's list.
    pub fn interrupt_after<I: IntoIterator<Item = N>, N: Into<String>>(mut self, nodes: I) -> Self {
        self.config.interrupt_after = Some(nodes.into_iter().map(Into::into).collect());
        self
    }

    /// Resumes from `checkpoint` rather than the latest: when it is older,
    /// the run starts a new branch and the old history stays as it was.
    pub fn from_checkpoint(mut self, checkpoint: CheckpointId) -> Self {
        self.from = Some(checkpoint);
        self
    }

    /// Runs from START on `input`.
    ///
    /// # Errors
    /// See [`CompiledGraph::invoke`].
    pub async fn invoke(self, input: impl Into<Input<S>>) -> Result<RunResult<S>, RunError> {
        let span = tracing::info_span!("graph.run", thread.id = %self.thread);
        execute(self.graph, self.thread, self.config, self.from, Start::Input(input.into()), None)
            .instrument(span)
            .await
    }

    /// Continues the thread.
    ///
    /// # Errors
    /// See [`CompiledGraph::resume`].
    pub async fn resume(self, resume: Resume) -> Result<RunResult<S>, RunError> {
        let span = tracing::info_span!("graph.run", thread.id = %self.thread);
        execute(self.graph, self.thread, self.config, self.from, Start::Resume(resume), None).instrument(span).await
    }

    /// Runs from START on `input`, as a stream of events.
    pub fn stream(self, input: impl Into<Input<S>>) -> EventStream<S> {
        self.into_stream(Start::Input(input.into()))
    }

    /// Continues the thread, as a stream of events.
    pub fn stream_resume(self, resume: Resume) -> EventStream<S> {
        self.into_stream(Start::Resume(resume))
    }

    fn into_stream(self, start: Start<S>) -> EventStream<S> {
        let (tx, rx) = mpsc::unbounded();
        let graph = self.graph.clone();
        let Run { thread, config, from, .. } = self;
        let span = tracing::info_span!("graph.run", thread.id = %thread);
        let run = async move { execute(&graph, thread, config, from, start, Some(tx)).await }.instrument(span);
        EventStream::new(rx, Box::pin(run))
    }
}

async fn execute<S: State>(
    graph: &CompiledGraph<S>,
    thread: String,
    config: RunConfig,
    from: Option<CheckpointId>,
    start: Start<S>,
    events: EventSink<S>,
) -> Result<RunResult<S>, RunError> {
    let inner = &*graph.inner;
    let saver = graph.saver.as_deref();
    let _active = saver.map(|_| ActiveThread::acquire(inner, &thread)).transpose()?;
    // The caller's string goes back in the result; the runner shares a copy.
    let name = thread;
    let thread: Arc<str> = Arc::from(name.as_str());
    // The runner lives here and the steps borrow it, so the run's future
    // holds one runner: it is moved a few times per invocation.
    let (mut runner, next) = match start {
        Start::Input(input) => {
            let latest = match saver {
                Some(saver) => restore(inner, saver, &thread, from).await?,
                None => None,
            };
            let (mut runner, writes) = match (latest, input) {
                (None, Input::State(state)) => (Runner::new(graph, thread, &config, events, state)?, Vec::new()),
                (None, Input::Update(_)) => return Err(RunError::UpdateNeedsState { thread: thread.to_string() }),
                (Some(latest), input) => {
                    let id = newest(saver, &thread, &latest).await?;
                    let finished = latest.pos.pending.is_empty();
                    let mut runner = Runner::from_restored(graph, thread, &config, events, latest, id)?;
                    if finished {
                        // The previous run is over: this input starts a new one.
                        runner.pos.health = Default::default();
                        runner.pos.usage = Default::default();
                        runner.pos.completed.clear();
                        runner.pos.rollback = None;
                    }
                    let mut writes = runner.absorb_successes()?;
                    let update = match input {
                        Input::State(state) => state.into_update(),
                        Input::Update(update) => update,
                    };
                    if runner.encodes() {
                        let bytes = runner.encode_value(&update, "input")?;
                        writes.push(Write { task: EXTERNAL_TASK, node: START.to_owned(), update: bytes });
                    }
                    runner.pos.state.apply(update);
                    (runner, writes)
                }
            };
            let next = runner.route(Vec::new(), vec![(None, Vec::new())])?;
            runner.set_pending(next);
            let stop = runner.stop_at(&[]);
            runner.write_checkpoint(Source::Input, writes, stop.clone()).await?;
            let next = match stop {
                Some(stop) => Next::Stop(stop),
                None => Next::Steps,
            };
            (runner, next)
        }
        Start::Resume(resume) => {
            let saver = saver.ok_or(RunError::NoCheckpointer { operation: "resume" })?;
            let missing = || RunError::NoSuchThread { thread: thread.to_string() };
            let latest = saver.checkpoint(&thread, None).await?.ok_or_else(missing)?;
            let at = from.unwrap_or(latest.id);
            let mut base = restore(inner, saver, &thread, Some(at))
                .await?
                .ok_or_else(|| RunError::NoSuchCheckpoint { thread: thread.to_string(), checkpoint: at })?;
            let rolling_back = base.pos.rollback.as_ref().is_some_and(|r| !r.remaining.is_empty());
            if rolling_back && at == latest.id {
                let runner = Runner::from_restored(graph, thread, &config, events, base, latest.id)?;
                (runner, Next::Rollback)
            } else {
                if base.pos.pending.is_empty() {
                    return Err(RunError::NotResumable { thread: thread.to_string() });
                }
                let answered = attach_resume(inner, &thread, &mut base, resume)?;
                if !answered.is_empty() && at == latest.id {
                    saver.put_tasks(&thread, answered, Durability::Sync).await?;
                }
                let mut runner = Runner::from_restored(graph, thread, &config, events, base, latest.id)?;
                if at != latest.id {
                    let writes = runner.absorb_successes()?;
                    runner.write_checkpoint(Source::Fork { from: at }, writes, None).await?;
                }
                (runner, Next::Steps)
            }
        }
    };
    let outcome = match next {
        Next::Steps => runner.drive().await?,
        Next::Stop(stop) => runner.interrupted(&stop),
        Next::Rollback => Box::pin(runner.continue_rollback()).await?,
    };
    let checkpoint = runner.close(&outcome).await?;
    Ok(runner.into_result(name, outcome, checkpoint))
}

/// What a run does once its runner is ready.
enum Next {
    /// Runs super-steps.
    Steps,
    /// Stops for a human before any step (an `interrupt_before` on the
    /// first nodes).
    Stop(Stop),
    /// Goes on with a rollback that a crash interrupted.
    Rollback,
}

/// The id of the thread's newest checkpoint, given a restored one.
async fn newest<S: State>(
    saver: Option<&dyn Checkpointer>,
    thread: &str,
    restored: &Restored<S>,
) -> Result<CheckpointId, RunError> {
    let restored_id = restored.pos.checkpoint;
    let Some(saver) = saver else { return Ok(restored_id) };
    Ok(saver.checkpoint(thread, None).await?.map_or(restored_id, |c| c.id.max(restored_id)))
}

/// Gives resume values to the tasks waiting for them. Returns the updated
/// records of those tasks, to store before they run again.
fn attach_resume<S: State>(
    graph: &GraphInner<S>,
    thread: &str,
    base: &mut Restored<S>,
    resume: Resume,
) -> Result<Vec<TaskRecord>, RunError> {
    let checkpoint = base.pos.checkpoint;
    let waiting: Vec<(usize, InterruptId)> = base
        .interrupted
        .iter()
        .map(|(i, _)| (*i, InterruptId::new(checkpoint, *i as u32, base.pos.pending[*i].resume.len())))
        .collect();
    let mut answered: Vec<usize> = Vec::new();
    let mut answer = |task: usize, value: serde_json::Value, base: &mut Restored<S>| {
        base.pos.pending[task].resume.push(value);
        if !answered.contains(&task) {
            answered.push(task);
        }
    };
    if let Some(value) = resume.value {
        match waiting[..] {
            [] => return Err(RunError::UnexpectedResumeValue { thread: thread.to_owned() }),
            [(task, _)] => answer(task, value, base),
            _ => {
                return Err(RunError::AmbiguousResume {
                    thread: thread.to_owned(),
                    pending: waiting.into_iter().map(|(_, id)| id).collect(),
                });
            }
        }
    }
    for (id, value) in resume.values {
        let Some(&(task, _)) = waiting.iter().find(|(_, w)| *w == id) else {
            return Err(RunError::UnknownInterrupt { thread: thread.to_owned(), id });
        };
        answer(task, value, base);
    }
    let mut records = Vec::with_capacity(answered.len());
    for task in answered {
        let Some((_, payload)) = base.interrupted.iter().find(|(i, _)| *i == task) else { continue };
        // A JSON value always serializes: its map keys are strings.
        let encode_json = |value: &serde_json::Value| serde_json::to_vec(value).unwrap_or_default();
        let body = TaskBody {
            node: graph.name(base.pos.pending[task].node).to_string(),
            attempts: 1,
            outcome: TaskOutcomeBody::Interrupted {
                payload: encode_json(payload),
                resume: base.pos.pending[task].resume.iter().map(encode_json).collect(),
            },
        };
        records.push((task, body));
    }
    Ok(records
        .into_iter()
        .map(|(task, body)| TaskRecord {
            checkpoint,
            task: task as u32,
            status: TaskStatus::Interrupted,
            body: encode(&body),
        })
        .collect())
}

/// Marks a thread as running in this process for as long as it lives.
pub(crate) struct ActiveThread<'a> {
    set: &'a Mutex<HashSet<String>>,
    thread: String,
}

impl<'a> ActiveThread<'a> {
    pub(crate) fn acquire<S: State>(graph: &'a GraphInner<S>, thread: &str) -> Result<Self, RunError> {
        if !lock(&graph.active).insert(thread.to_owned()) {
            return Err(RunError::ThreadBusy { thread: thread.to_owned() });
        }
        Ok(Self { set: &graph.active, thread: thread.to_owned() })
    }
}

impl Drop for ActiveThread<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(&self.thread);
    }
}

fn lock(set: &Mutex<HashSet<String>>) -> MutexGuard<'_, HashSet<String>> {
    // Insert and remove leave the set valid even if a panic interrupted them.
    set.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
