use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};

use super::{RunError, RunResult};
use crate::checkpoint::CheckpointId;
use crate::node::{BoxFuture, Interrupt, TaskError};
use crate::policy::BreakerState;
use crate::state::State;

/// Something that happened in a run, in the order it happened.
#[non_exhaustive]
pub enum Event<S: State> {
    /// A super-step begins with these tasks.
    StepStarted {
        /// The step number.
        step: u64,
        /// The node of each task, in task order.
        nodes: Vec<Arc<str>>,
    },
    /// A task starts.
    NodeStarted {
        /// The step.
        step: u64,
        /// The task's index in its step.
        task: u32,
        /// The node.
        node: Arc<str>,
    },
    /// A task succeeded with this update (applied when its step ends).
    NodeFinished {
        /// The step.
        step: u64,
        /// The task's index.
        task: u32,
        /// The node.
        node: Arc<str>,
        /// What it wrote.
        update: S::Update,
    },
    /// A task failed.
    NodeFailed {
        /// The step.
        step: u64,
        /// The task's index.
        task: u32,
        /// The node.
        node: Arc<str>,
        /// Why.
        error: TaskError,
    },
    /// A checkpoint was stored.
    CheckpointSaved {
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// The step it ends.
        step: u64,
    },
    /// The run stopped for a human.
    Interrupted {
        /// What it waits for.
        interrupts: Vec<Interrupt>,
    },
    /// A resilience policy acted: a retry, a breaker, a degrade, a fallback,
    /// a skip, a compensation.
    Policy(PolicyEvent),
    /// The run ended; always the last event of a stream that did not fail.
    Finished(RunResult<S>),
}

/// What a resilience policy did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PolicyEvent {
    /// A node looped on the same input; `handler` runs in its place.
    LoopHandled {
        /// The step the handler runs in.
        step: u64,
        /// The looping node.
        node: String,
        /// The visits that made the loop.
        visits: u32,
        /// The node that runs instead.
        handler: String,
    },
    /// An attempt failed; the next follows after `delay`.
    Retrying {
        /// The step.
        step: u64,
        /// The task's index.
        task: u32,
        /// The node.
        node: String,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// Its error.
        error: TaskError,
        /// The backoff before the next attempt.
        delay: Duration,
    },
    /// A circuit breaker changed state.
    BreakerChanged {
        /// The breaker (its service name).
        breaker: String,
        /// The state before.
        from: BreakerState,
        /// The state now.
        to: BreakerState,
    },
    /// A node failed after retries and degraded: its default update applies.
    Degraded {
        /// The step.
        step: u64,
        /// The node.
        node: String,
        /// Its last error.
        error: TaskError,
    },
    /// A node failed after retries and its fallback ran instead.
    Fallback {
        /// The step.
        step: u64,
        /// The node that failed.
        node: String,
        /// The node that ran instead.
        fallback: String,
        /// The failed node's last error.
        error: TaskError,
    },
    /// A node will not run: it can only be reached through a failed node.
    Skipped {
        /// The step after which it was skipped.
        step: u64,
        /// The node.
        node: String,
        /// The failed node.
        cause: String,
    },
    /// A rollback undid a node.
    Compensated {
        /// The node undone.
        node: String,
        /// The compensator that ran.
        compensator: String,
    },
    /// A compensator failed after its retries; the rollback went on.
    CompensationFailed {
        /// The node that could not be undone.
        node: String,
        /// The compensator.
        compensator: String,
        /// Its error.
        error: TaskError,
    },
}

impl<S: State> fmt::Debug for Event<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::StepStarted { step, nodes } => {
                f.debug_struct("StepStarted").field("step", step).field("nodes", nodes).finish()
            }
            Event::NodeStarted { step, task, node } => {
                f.debug_struct("NodeStarted").field("step", step).field("task", task).field("node", node).finish()
            }
            Event::NodeFinished { step, task, node, update } => f
                .debug_struct("NodeFinished")
                .field("step", step)
                .field("task", task)
                .field("node", node)
                .field("update", update)
                .finish(),
            Event::NodeFailed { step, task, node, error } => f
                .debug_struct("NodeFailed")
                .field("step", step)
                .field("task", task)
                .field("node", node)
                .field("error", error)
                .finish(),
            Event::CheckpointSaved { checkpoint, step } => {
                f.debug_struct("CheckpointSaved").field("checkpoint", checkpoint).field("step", step).finish()
            }
            Event::Interrupted { interrupts } => f.debug_struct("Interrupted").field("interrupts", interrupts).finish(),
            Event::Policy(event) => f.debug_tuple("Policy").field(event).finish(),
            Event::Finished(result) => f.debug_tuple("Finished").field(result).finish(),
        }
    }
}

/// Where a run sends its events, when someone listens.
pub(crate) type EventSink<S> = Option<UnboundedSender<Event<S>>>;

/// A run as a stream of events, ending with [`Event::Finished`] or an error.
///
/// The run makes progress only while the stream is polled.
pub struct EventStream<S: State> {
    events: UnboundedReceiver<Event<S>>,
    run: Option<BoxFuture<'static, Result<RunResult<S>, RunError>>>,
    ended: Option<Result<RunResult<S>, RunError>>,
}

impl<S: State> EventStream<S> {
    pub(crate) fn new(
        events: UnboundedReceiver<Event<S>>,
        run: BoxFuture<'static, Result<RunResult<S>, RunError>>,
    ) -> Self {
        Self { events, run: Some(run), ended: None }
    }
}

// No field is ever pinned in place: the run future is boxed, and the rest is
// plain data moved in and out.
impl<S: State> Unpin for EventStream<S> {}

impl<S: State> Stream for EventStream<S> {
    type Item = Result<Event<S>, RunError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Poll::Ready(Some(event)) = Pin::new(&mut this.events).poll_next(cx) {
                return Poll::Ready(Some(Ok(event)));
            }
            match this.run.as_mut() {
                Some(run) => match run.as_mut().poll(cx) {
                    Poll::Ready(result) => {
                        this.run = None;
                        this.ended = Some(result);
                        // Loop once more: the run may have queued its last events.
                    }
                    Poll::Pending => return Poll::Pending,
                },
                None => {
                    return Poll::Ready(this.ended.take().map(|result| result.map(Event::Finished)));
                }
            }
        }
    }
}

impl<S: State> fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").field("running", &self.run.is_some()).finish_non_exhaustive()
    }
}
