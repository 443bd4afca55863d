//! One task of a super-step: running it, and its result in memory and on disk.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use crate::checkpoint::{CheckpointId, GotoBody, TaskBody, TaskOutcomeBody, TaskRecord, TaskStatus, encode};
use crate::graph::{CompiledNode, NodeId};
use crate::node::{Command, Ctx, CtxParts, ErrorKind, Goto, TaskError};
use crate::state::State;

/// A task of the next super-step.
pub(crate) struct Task<S: State> {
    pub(crate) node: NodeId,
    /// A `Send` task's own input; `None` reads the shared state.
    pub(crate) input: Option<S>,
    /// Values for the node's `ctx.interrupt` calls, from earlier resumes.
    pub(crate) resume: Vec<Value>,
}

impl<S: State> Task<S> {
    pub(crate) fn pull(node: NodeId) -> Self {
        Self { node, input: None, resume: Vec::new() }
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
    },
    Failed(TaskError),
    Interrupted {
        payload: Value,
        resume: Vec<Value>,
    },
}

impl<S: State> TaskOutcome<S> {
    pub(crate) fn status(&self) -> TaskStatus {
        match self {
            TaskOutcome::Succeeded { .. } => TaskStatus::Succeeded,
            TaskOutcome::Failed(_) => TaskStatus::Failed,
            TaskOutcome::Interrupted { .. } => TaskStatus::Interrupted,
        }
    }
}

/// Where a task runs.
pub(crate) struct TaskEnv<'a> {
    pub(crate) thread: &'a Arc<str>,
    pub(crate) step: u64,
    pub(crate) checkpoint: CheckpointId,
    pub(crate) task: u32,
    /// Encode a successful update to JSON right away (a checkpointer will
    /// store it).
    pub(crate) encode: bool,
}

/// Runs one task: one attempt of its node, a panic counted as a failure.
pub(crate) async fn run_task<S: State>(
    node: &CompiledNode<S>,
    input: &S,
    env: TaskEnv<'_>,
    resume: Vec<Value>,
) -> TaskDone<S> {
    let attempt = 1;
    let span = tracing::info_span!(
        "node",
        node.name = %node.name,
        graph.step = env.step,
        node.attempt = attempt,
        thread.id = %env.thread,
    );
    let ctx = Ctx::new(CtxParts {
        thread: Arc::clone(env.thread),
        node: Arc::clone(&node.name),
        step: env.step,
        checkpoint: env.checkpoint,
        task: env.task,
        attempt,
        last_error: None,
        resume,
        span: span.clone(),
    });
    let result = AssertUnwindSafe(node.func.call(input, &ctx)).catch_unwind().instrument(span).await;
    // An interrupt raised wins over what the node returned: a node that
    // swallowed the interrupt's error still waits for its value.
    let outcome = match (result, ctx.take_interrupt()) {
        (Err(panic), _) => {
            TaskOutcome::Failed(TaskError { kind: ErrorKind::Permanent, message: panic_message(&panic) })
        }
        (Ok(_), Some((payload, resume))) => TaskOutcome::Interrupted { payload, resume },
        (Ok(Ok(command)), None) => succeeded(command, env.encode),
        (Ok(Err(error)), None) => TaskOutcome::Failed(error.to_task_error()),
    };
    TaskDone { attempts: attempt, outcome }
}

fn succeeded<S: State>(command: Command<S>, encode: bool) -> TaskOutcome<S> {
    if !encode {
        return TaskOutcome::Succeeded { command, encoded: None };
    }
    match serde_json::to_vec(&command.update) {
        Ok(bytes) => TaskOutcome::Succeeded { command, encoded: Some(bytes) },
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
        TaskOutcome::Succeeded { command, encoded } => {
            let update = match encoded {
                Some(bytes) => bytes.clone(),
                None => {
                    let bytes = to_json(&command.update)?;
                    *encoded = Some(bytes.clone());
                    bytes
                }
            };
            let goto = command.goto.iter().map(goto_body).collect::<Result<Vec<_>, _>>()?;
            TaskOutcomeBody::Succeeded { update, goto }
        }
        TaskOutcome::Failed(error) => TaskOutcomeBody::Failed { error: error.clone() },
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
