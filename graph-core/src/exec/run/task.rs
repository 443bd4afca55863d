//! One task of a super-step: running it, and its result in memory and on disk.

use std::any::Any;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::Either;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use crate::checkpoint::{
    CheckpointId, Checkpointer, Durability, GotoBody, TaskBody, TaskOutcomeBody, TaskRecord, TaskStatus, ViaBody,
    encode,
};
use crate::exec::event::EventSink;
use crate::exec::{Event, Meter, PolicyEvent, RunError, TaskReport};
use crate::graph::{CompiledNode, GraphInner, NodeId};
use crate::node::{Command, Ctx, CtxParts, ErrorKind, Goto, TaskError};
use crate::policy::{Admission, BreakerState, Breakers, OnFailure};
use crate::state::State;

/// A task of the next super-step.
pub(crate) struct Task<S: State> {
    pub(crate) node: NodeId,
    /// A `Send` task's own input; `None` reads the shared state.
    pub(crate) input: Option<S>,
    /// Values for the node's `ctx.interrupt` calls, from earlier resumes.
    pub(crate) resume: Vec<Value>,
    /// Attempts already made (recorded before a backoff), so a restart goes
    /// on counting.
    pub(crate) attempts: u32,
    /// The error of the last of those attempts.
    pub(crate) last_error: Option<TaskError>,
}

impl<S: State> Task<S> {
    pub(crate) fn pull(node: NodeId) -> Self {
        Self::with_input(node, None)
    }

    pub(crate) fn with_input(node: NodeId, input: Option<S>) -> Self {
        Self { node, input, resume: Vec::new(), attempts: 0, last_error: None }
    }
}

/// A finished task.
pub(crate) struct TaskDone<S: State> {
    pub(crate) attempts: u32,
    pub(crate) outcome: TaskOutcome<S>,
}

pub(crate) enum TaskOutcome<S: State> {
    Succeeded {
        command: Command<S>,
        /// The update as JSON, once encoded.
        encoded: Option<Vec<u8>>,
        via: Via,
    },
    /// A critical failure: the run stops.
    Failed(TaskError),
    /// An optional node's failure: the run goes on without it.
    Dropped(TaskError),
    Interrupted {
        payload: Value,
        resume: Vec<Value>,
    },
}

/// How a successful task's update came about.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Via {
    Node,
    Fallback { node: Arc<str>, error: TaskError },
    Degraded { error: TaskError },
}

impl<S: State> TaskDone<S> {
    /// The report of this task, task `task` of `step`, which ran `node`.
    pub(crate) fn to_report(&self, step: u64, task: u32, node: &str, latency: Duration, cost: f64) -> TaskReport {
        let error = match &self.outcome {
            TaskOutcome::Failed(error)
            | TaskOutcome::Dropped(error)
            | TaskOutcome::Succeeded { via: Via::Fallback { error, .. } | Via::Degraded { error }, .. } => {
                Some(error.clone())
            }
            TaskOutcome::Succeeded { via: Via::Node, .. } | TaskOutcome::Interrupted { .. } => None,
        };
        TaskReport {
            step,
            task,
            node: node.to_owned(),
            status: self.outcome.status(),
            attempts: self.attempts,
            latency,
            cost,
            error,
        }
    }
}

impl<S: State> TaskOutcome<S> {
    pub(crate) fn status(&self) -> TaskStatus {
        match self {
            TaskOutcome::Succeeded { via: Via::Node, .. } => TaskStatus::Succeeded,
            TaskOutcome::Succeeded { via: Via::Fallback { .. }, .. } => TaskStatus::Fallback,
            TaskOutcome::Succeeded { via: Via::Degraded { .. }, .. } => TaskStatus::Degraded,
            TaskOutcome::Failed(_) => TaskStatus::Failed,
            TaskOutcome::Dropped(_) => TaskStatus::Dropped,
            TaskOutcome::Interrupted { .. } => TaskStatus::Interrupted,
        }
    }
}

/// Where a task runs, and what its policies need.
pub(crate) struct TaskEnv<'a, S: State> {
    pub(crate) graph: &'a GraphInner<S>,
    pub(crate) thread: &'a Arc<str>,
    pub(crate) step: u64,
    pub(crate) checkpoint: CheckpointId,
    pub(crate) task: u32,
    /// Encode a successful update to JSON right away (a checkpointer will
    /// store it).
    pub(crate) encode: bool,
    /// Where retry records go (`None`: not recorded).
    pub(crate) saver: Option<&'a dyn Checkpointer>,
    pub(crate) durability: Durability,
    pub(crate) breakers: &'a Breakers,
    pub(crate) events: &'a EventSink<S>,
    /// Where nodes report cost (`None`: the run has no budget to count for).
    pub(crate) meter: Option<&'a Arc<Meter>>,
}

impl<S: State> TaskEnv<'_, S> {
    fn emit(&self, event: PolicyEvent) {
        if let Some(sink) = self.events {
            let _ = sink.unbounded_send(Event::Policy(event));
        }
    }
}

/// The end of a node's attempts.
pub(crate) enum Attempts<S: State> {
    Succeeded(Command<S>),
    Failed(TaskError),
    Interrupted { payload: Value, resume: Vec<Value> },
}

/// Runs one task: its node's attempts per its retry, timeout and breaker
/// policy, then, if they all failed, its fallback, degrade or optional policy.
/// Adds to `spent` the cost its attempts (and its fallback's) reported.
pub(crate) async fn run_task<S: State>(
    task: &Task<S>,
    input: &S,
    env: TaskEnv<'_, S>,
    spent: &mut f64,
) -> Result<TaskDone<S>, RunError> {
    let node = &env.graph.nodes[task.node];
    let first = task.attempts + 1;
    // A first attempt that will not be retried needs none of the retry loop:
    // called directly, the task's future is a third of the size, and it is
    // moved on every step.
    let (attempts, result) = if first == 1 && node.policy.retry.max_attempts <= 1 {
        let (result, cost) = attempt_once(node, input, &env, 1, task.last_error.clone(), task.resume.clone()).await;
        *spent += cost;
        (1, result)
    } else {
        let attempts =
            attempts_costed(task.node, input, &env, first, task.last_error.clone(), task.resume.clone(), true);
        let (attempts, result, cost) = Box::pin(attempts).await?;
        *spent += cost;
        (attempts, result)
    };
    let error = match result {
        Attempts::Succeeded(command) => {
            return Ok(TaskDone { attempts, outcome: succeeded(command, Via::Node, env.encode) });
        }
        Attempts::Interrupted { payload, resume } => {
            return Ok(TaskDone { attempts, outcome: TaskOutcome::Interrupted { payload, resume } });
        }
        Attempts::Failed(error) => error,
    };
    if let Some(fallback) = node.policy.fallback {
        let fallback_attempts = attempts_costed(fallback, input, &env, 1, Some(error.clone()), Vec::new(), false);
        let (_, result, cost) = Box::pin(fallback_attempts).await?;
        *spent += cost;
        if let Attempts::Succeeded(command) = result {
            let name = Arc::clone(env.graph.name(fallback));
            env.emit(PolicyEvent::Fallback {
                step: env.step,
                node: node.name.to_string(),
                fallback: name.to_string(),
                error: error.clone(),
            });
            let via = Via::Fallback { node: name, error };
            return Ok(TaskDone { attempts, outcome: succeeded(command, via, env.encode) });
        }
    }
    let policy = match &node.policy.on_failure {
        OnFailure::Critical => "critical",
        OnFailure::Optional => "optional: the run goes on without it",
        OnFailure::Degrade(_) => "degrade: its default update applies",
    };
    tracing::warn!(node.name = %node.name, attempts, %error, policy, "node failed");
    let outcome = match &node.policy.on_failure {
        OnFailure::Critical => TaskOutcome::Failed(error),
        OnFailure::Optional => TaskOutcome::Dropped(error),
        OnFailure::Degrade(default) => {
            let update = catch_unwind(AssertUnwindSafe(|| default(input)));
            match update {
                Ok(update) => {
                    env.emit(PolicyEvent::Degraded {
                        step: env.step,
                        node: node.name.to_string(),
                        error: error.clone(),
                    });
                    succeeded(Command::new(update), Via::Degraded { error }, env.encode)
                }
                Err(panic) => TaskOutcome::Failed(TaskError {
                    kind: ErrorKind::Permanent,
                    message: format!("{error}; then its degrade default panicked: {}", panic_message(&panic)),
                }),
            }
        }
    };
    Ok(TaskDone { attempts, outcome })
}

/// Runs `node`'s attempts from attempt number `first` until one succeeds,
/// one is interrupted, an error is not retryable, or the attempts run out.
/// With `record`, each failure to be retried is recorded before its backoff.
/// Returns the attempts made in all and how they ended.
pub(crate) async fn run_attempts<S: State>(
    node_id: NodeId,
    input: &S,
    env: &TaskEnv<'_, S>,
    first: u32,
    last_error: Option<TaskError>,
    resume: Vec<Value>,
    record: bool,
) -> Result<(u32, Attempts<S>), RunError> {
    let (attempts, result, _) = attempts_costed(node_id, input, env, first, last_error, resume, record).await?;
    Ok((attempts, result))
}

/// [`run_attempts`], also returning the cost the attempts reported.
async fn attempts_costed<S: State>(
    node_id: NodeId,
    input: &S,
    env: &TaskEnv<'_, S>,
    first: u32,
    mut last_error: Option<TaskError>,
    resume: Vec<Value>,
    record: bool,
) -> Result<(u32, Attempts<S>, f64), RunError> {
    let node = &env.graph.nodes[node_id];
    let policy = &node.policy;
    let mut attempt = first.max(1);
    let mut spent = 0.0;
    loop {
        let (result, cost) = attempt_once(node, input, env, attempt, last_error.clone(), resume.clone()).await;
        spent += cost;
        let result = match result {
            Attempts::Failed(error) => error,
            done => return Ok((attempt, done, spent)),
        };
        if !result.kind.is_retryable() || attempt >= policy.retry.max_attempts {
            return Ok((attempt, Attempts::Failed(result), spent));
        }
        let delay = policy.retry.delay(attempt, jitter_seed(env));
        tracing::warn!(
            node.name = %node.name,
            node.attempt = attempt,
            error = %result,
            delay = ?delay,
            "attempt failed; retrying after the backoff"
        );
        env.emit(PolicyEvent::Retrying {
            step: env.step,
            task: env.task,
            node: node.name.to_string(),
            attempt,
            error: result.clone(),
            delay,
        });
        if record {
            record_retry(env, &node.name, attempt, &result).await?;
        }
        tokio::time::sleep(delay).await;
        last_error = Some(result);
        attempt += 1;
    }
}

/// One attempt: through the breaker, within the timeout, a panic counted as a
/// permanent failure. Returns how it ended and the cost the node reported.
async fn attempt_once<S: State>(
    node: &CompiledNode<S>,
    input: &S,
    env: &TaskEnv<'_, S>,
    attempt: u32,
    last_error: Option<TaskError>,
    resume: Vec<Value>,
) -> (Attempts<S>, f64) {
    let breaker = node.policy.breaker.as_ref().map(|name| (name, env.breakers.get(name)));
    if let Some((name, breaker)) = &breaker {
        match breaker.admit() {
            Admission::Rejected => {
                let error = TaskError {
                    kind: ErrorKind::Unavailable,
                    message: format!("circuit breaker `{name}` is open: the node was not called"),
                };
                return (Attempts::Failed(error), 0.0);
            }
            Admission::Allowed(change) => report_breaker(env, name, change),
        }
    }
    let span = tracing::info_span!(
        "node",
        node.name = %node.name,
        graph.step = env.step,
        node.attempt = attempt,
        thread.id = %env.thread,
    );
    let mut ctx = Ctx::new(CtxParts {
        thread: Arc::clone(env.thread),
        node: Arc::clone(&node.name),
        step: env.step,
        checkpoint: env.checkpoint,
        task: env.task,
        attempt,
        last_error,
        resume,
        span: span.clone(),
        meter: env.meter.map(Arc::clone),
        resources: env.graph.resources.clone(),
    });
    // If this future is dropped mid-call (the run was cancelled), the
    // breaker hears of a failure, so a half-open trial never stays pending.
    let mut pending = PendingCall(breaker.as_ref().map(|(_, b)| Arc::clone(b)));
    // A panic is a failed attempt, whether the node panics before it
    // returns its future (a closure's synchronous part) or while it runs.
    let start = || {
        let _entered = span.enter();
        catch_unwind(AssertUnwindSafe(|| node.func.call(input, &ctx)))
    };
    // (Matched in place, not bound: a bound result would keep `ctx`
    // borrowed to the end, and `take_interrupt` below needs it back.)
    let call = match start() {
        Ok(future) => Either::Left(AssertUnwindSafe(future).catch_unwind()),
        Err(panic) => Either::Right(std::future::ready(Err(panic))),
    }
    .instrument(span);
    let result = match node.policy.timeout {
        // Boxed: a timer is large, and most nodes have none.
        Some(limit) => Box::pin(tokio::time::timeout(limit, call)).await.map_err(|_| limit),
        None => Ok(call.await),
    };
    // An interrupt raised wins over what the node returned: a node that
    // swallowed the interrupt's error still waits for its value.
    let outcome = match (result, ctx.take_interrupt()) {
        (Err(limit), _) => Attempts::Failed(TaskError {
            kind: ErrorKind::Timeout,
            message: format!("the attempt ran past its {limit:?} time limit and was cut off"),
        }),
        (Ok(Err(panic)), _) => {
            Attempts::Failed(TaskError { kind: ErrorKind::Permanent, message: panic_message(&panic) })
        }
        (Ok(Ok(_)), Some((payload, resume))) => Attempts::Interrupted { payload, resume },
        (Ok(Ok(Ok(command))), None) => Attempts::Succeeded(command),
        (Ok(Ok(Err(error))), None) => Attempts::Failed(error.to_task_error()),
    };
    pending.0 = None; // finished: reported below
    if let Some((name, breaker)) = &breaker {
        // A call that stopped for a human reached its service: not a failure.
        let success = !matches!(outcome, Attempts::Failed(_));
        report_breaker(env, name, breaker.record(success));
    }
    (outcome, ctx.cost())
}

/// A breaker-guarded call in flight; dropped unfinished, it counts as failed.
struct PendingCall(Option<Arc<crate::policy::Breaker>>);

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let Some(breaker) = &self.0 {
            breaker.record(false);
        }
    }
}

fn report_breaker<S: State>(env: &TaskEnv<'_, S>, name: &str, change: Option<(BreakerState, BreakerState)>) {
    if let Some((from, to)) = change {
        tracing::info!(breaker = name, from = %from, to = %to, "circuit breaker changed state");
        crate::exec::metrics::breaker(name, to);
        env.emit(PolicyEvent::BreakerChanged { breaker: name.to_owned(), from, to });
    }
}

/// The same seed for the same task after a restart: its jitter replays.
fn jitter_seed<S: State>(env: &TaskEnv<'_, S>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (&**env.thread, env.checkpoint.as_u64(), env.task).hash(&mut hasher);
    hasher.finish()
}

/// Records that `attempt` failed and another follows, so a crash during the
/// backoff resumes with the right count.
async fn record_retry<S: State>(
    env: &TaskEnv<'_, S>,
    node: &str,
    attempt: u32,
    error: &TaskError,
) -> Result<(), RunError> {
    let Some(saver) = env.saver else { return Ok(()) };
    if env.durability == Durability::Exit {
        return Ok(());
    }
    let body = TaskBody {
        node: node.to_owned(),
        attempts: attempt,
        outcome: TaskOutcomeBody::Retrying { error: error.clone() },
    };
    let record =
        TaskRecord { checkpoint: env.checkpoint, task: env.task, status: TaskStatus::Retrying, body: encode(&body) };
    saver.put_tasks(env.thread, vec![record], Durability::Sync).await?;
    Ok(())
}

fn succeeded<S: State>(command: Command<S>, via: Via, encode: bool) -> TaskOutcome<S> {
    if !encode {
        return TaskOutcome::Succeeded { command, encoded: None, via };
    }
    match serde_json::to_vec(&command.update) {
        Ok(bytes) => TaskOutcome::Succeeded { command, encoded: Some(bytes), via },
        Err(e) => TaskOutcome::Failed(TaskError {
            kind: ErrorKind::Permanent,
            message: format!("the node's update does not serialize: {e}"),
        }),
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text payload".to_owned());
    format!("the node panicked: {text}")
}

/// JSON of a value the user's types define; `what` names it in the error.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

/// The stored form of a finished task.
pub(crate) fn task_record<S: State>(
    checkpoint: CheckpointId,
    index: u32,
    node: &str,
    done: &mut TaskDone<S>,
) -> Result<TaskRecord, String> {
    let outcome = match &mut done.outcome {
        TaskOutcome::Succeeded { command, encoded, via } => {
            let update = match encoded {
                Some(bytes) => bytes.clone(),
                None => {
                    let bytes = to_json(&command.update)?;
                    *encoded = Some(bytes.clone());
                    bytes
                }
            };
            let goto = command.goto.iter().map(goto_body).collect::<Result<Vec<_>, _>>()?;
            let via = match via {
                Via::Node => ViaBody::Node,
                Via::Fallback { node, error } => ViaBody::Fallback { node: node.to_string(), error: error.clone() },
                Via::Degraded { error } => ViaBody::Degraded { error: error.clone() },
            };
            TaskOutcomeBody::Succeeded { update, goto, via }
        }
        TaskOutcome::Failed(error) => TaskOutcomeBody::Failed { error: error.clone() },
        TaskOutcome::Dropped(error) => TaskOutcomeBody::Dropped { error: error.clone() },
        TaskOutcome::Interrupted { payload, resume } => TaskOutcomeBody::Interrupted {
            payload: to_json(payload)?,
            resume: resume.iter().map(to_json).collect::<Result<Vec<_>, _>>()?,
        },
    };
    let body = TaskBody { node: node.to_owned(), attempts: done.attempts, outcome };
    Ok(TaskRecord { checkpoint, task: index, status: done.outcome.status(), body: encode(&body) })
}

fn goto_body<S: State>(goto: &Goto<S>) -> Result<GotoBody, String> {
    Ok(match goto {
        Goto::Node(name) => GotoBody::Node(name.to_string()),
        Goto::Send(send) => GotoBody::Send { node: send.node.to_string(), input: to_json(&send.input)? },
        Goto::End => GotoBody::End,
    })
}
