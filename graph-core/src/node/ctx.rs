use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::resource::{Resources, missing};
use super::{NodeError, NodeResult, TaskError};
use crate::checkpoint::CheckpointId;
use crate::exec::Meter;

/// What a node knows about the task it runs as: thread, step, attempt, a stable
/// idempotency key, a tracing span, and a way to ask a human for input.
///
/// The executor makes one per task attempt. To call a node outside a run, as in
/// a unit test, use [`Ctx::detached`].
pub struct Ctx {
    thread: Arc<str>,
    node: Arc<str>,
    step: u64,
    checkpoint: CheckpointId,
    task: u32,
    attempt: u32,
    last_error: Option<TaskError>,
    span: tracing::Span,
    interrupts: Mutex<InterruptState>,
    meter: Option<Arc<Meter>>,
    /// The cost this attempt reported, as `f64` bits (0 is 0.0).
    cost: AtomicU64,
    /// The graph's resources.
    resources: Resources,
}

#[derive(Default)]
struct InterruptState {
    /// Values given by earlier resumes, matched to interrupts in call order.
    resume: Vec<Value>,
    /// How many times the node has called `interrupt` in this attempt.
    calls: usize,
    /// The payload of the interrupt that has no value yet, if one was raised.
    raised: Option<Value>,
}

/// The parts the executor builds a [`Ctx`] from.
pub(crate) struct CtxParts {
    pub(crate) thread: Arc<str>,
    pub(crate) node: Arc<str>,
    pub(crate) step: u64,
    pub(crate) checkpoint: CheckpointId,
    pub(crate) task: u32,
    pub(crate) attempt: u32,
    pub(crate) last_error: Option<TaskError>,
    pub(crate) resume: Vec<Value>,
    pub(crate) span: tracing::Span,
    /// Where the run's cost and tokens go (`None`: not counted).
    pub(crate) meter: Option<Arc<Meter>>,
    /// The graph's resources.
    pub(crate) resources: Resources,
}

impl Ctx {
    pub(crate) fn new(parts: CtxParts) -> Self {
        Self {
            thread: parts.thread,
            node: parts.node,
            step: parts.step,
            checkpoint: parts.checkpoint,
            task: parts.task,
            attempt: parts.attempt,
            last_error: parts.last_error,
            span: parts.span,
            interrupts: Mutex::new(InterruptState { resume: parts.resume, ..Default::default() }),
            meter: parts.meter,
            cost: AtomicU64::new(0),
            resources: parts.resources,
        }
    }

    /// A context outside any run, for calling a node directly (unit tests).
    /// Step 0, attempt 1, checkpoint 0, task 0; `interrupt` has no values.
    pub fn detached(thread: &str, node: &str) -> Self {
        Self::new(CtxParts {
            thread: thread.into(),
            node: node.into(),
            step: 0,
            checkpoint: CheckpointId::new(0),
            task: 0,
            attempt: 1,
            last_error: None,
            resume: Vec::new(),
            meter: None,
            span: tracing::Span::none(),
            resources: Resources::new(),
        })
    }

    /// Adds a resource to a context made by hand ([`detached`](Self::detached)),
    /// for calling a node that uses it outside a graph.
    #[must_use]
    pub fn with_resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources.insert(value);
        self
    }

    /// The resource of type `T` registered on the graph with
    /// [`StateGraph::with_resource`](crate::graph::StateGraph::with_resource).
    ///
    /// A node function declares what it needs by taking [`Res<T>`](super::Res)
    /// arguments, which `compile` checks; this lookup is for code that only
    /// has the context. Returns an error rather than `Option` so that `?`
    /// turns a missing resource into the node's (permanent) error.
    ///
    /// # Errors
    /// A [`Permanent`](super::ErrorKind::Permanent) error naming the node
    /// and the type when no resource of type `T` is registered.
    pub fn resource<T: Send + Sync + 'static>(&self) -> NodeResult<&T> {
        self.resources.get::<T>().ok_or_else(|| missing::<T>(self))
    }

    /// Every resource of the graph.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The thread the run belongs to.
    pub fn thread_id(&self) -> &str {
        &self.thread
    }

    /// The node this task runs.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The super-step number of this task.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The checkpoint this task's super-step started from.
    pub fn checkpoint(&self) -> CheckpointId {
        self.checkpoint
    }

    /// The task's index within its super-step.
    pub fn task(&self) -> u32 {
        self.task
    }

    /// The attempt number, starting at 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Reports what this call cost (e.g. an LLM call's price in USD), for
    /// the run's [`Budget`](crate::exec::Budget), the `stategraph_node_cost`
    /// metric and the task's [`TaskReport`](crate::exec::TaskReport).
    /// Non-positive and non-finite amounts are ignored.
    pub fn add_cost(&self, cost: f64) {
        if !(cost.is_finite() && cost > 0.0) {
            return;
        }
        crate::exec::metrics::cost(&self.node, cost);
        if let Some(meter) = &self.meter {
            meter.add_cost(cost);
        }
        // The closure always returns `Some`: the update cannot fail.
        let _ = self
            .cost
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| Some((f64::from_bits(bits) + cost).to_bits()));
    }

    /// The cost this attempt has reported with [`add_cost`](Self::add_cost).
    pub(crate) fn cost(&self) -> f64 {
        f64::from_bits(self.cost.load(Ordering::Relaxed))
    }

    /// Reports tokens this call used.
    pub fn add_tokens(&self, tokens: u64) {
        if let Some(meter) = &self.meter {
            meter.add_tokens(tokens);
        }
    }

    /// The error of the previous attempt, so a retry can do something else
    /// (for an [`invalid output`](super::ErrorKind::InvalidOutput), the feedback).
    pub fn last_error(&self) -> Option<&TaskError> {
        self.last_error.as_ref()
    }

    /// A key that is the same every time this task runs: on a retry, and when
    /// the task is run again after a crash. Pass it to outside services so a
    /// repeated call has no second effect.
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}:{}", self.thread, self.checkpoint.as_u64(), self.task)
    }

    /// The task's tracing span (`node`, with `node.name`, `graph.step`,
    /// `node.attempt`); the node's future already runs inside it.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Stops the run for human input.
    ///
    /// The first time, this returns an error that the node should propagate
    /// with `?`: the run ends [`Interrupted`](crate::exec::Outcome::Interrupted)
    /// carrying `payload`. Resuming with a value runs the node again, and this
    /// call then returns the value. Several calls in one node are matched to
    /// resume values in call order.
    ///
    /// # Errors
    /// The interrupt itself (kind [`Interrupted`](super::ErrorKind::Interrupted)),
    /// or a [`Permanent`](super::ErrorKind::Permanent) error when the resume
    /// value does not deserialize into `R`.
    pub fn interrupt<P: Serialize, R: DeserializeOwned>(&self, payload: P) -> NodeResult<R> {
        let mut state = self.lock_interrupts();
        let index = state.calls;
        state.calls += 1;
        if let Some(value) = state.resume.get(index) {
            return serde_json::from_value(value.clone()).map_err(|e| {
                NodeError::permanent(format_args!("resume value for interrupt {index} does not fit: {e}"))
            });
        }
        let payload = serde_json::to_value(payload)
            .map_err(|e| NodeError::permanent(format_args!("interrupt payload does not serialize: {e}")))?;
        if state.raised.is_none() {
            state.raised = Some(payload);
        }
        Err(NodeError::interrupted())
    }

    /// The payload of the interrupt this attempt raised, if any, with the
    /// resume values it was given (to keep for the next attempt).
    /// Borrowing the context mutably (the node's future is gone by then), it
    /// needs no lock.
    pub(crate) fn take_interrupt(&mut self) -> Option<(Value, Vec<Value>)> {
        // Poisoned or not, the state is usable: see `lock_interrupts`.
        let state = self.interrupts.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        let payload = state.raised.take()?;
        Some((payload, std::mem::take(&mut state.resume)))
    }

    fn lock_interrupts(&self) -> MutexGuard<'_, InterruptState> {
        // A panic while holding this lock cannot leave the state inconsistent
        // (every update is a single field write), so a poisoned lock is usable.
        self.interrupts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("thread", &self.thread)
            .field("node", &self.node)
            .field("step", &self.step)
            .field("checkpoint", &self.checkpoint)
            .field("task", &self.task)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// Identifies one pending interrupt of a thread, for resuming with a value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InterruptId(String);

impl InterruptId {
    pub(crate) fn new(checkpoint: CheckpointId, task: u32, index: usize) -> Self {
        Self(format!("{}-{}-{}", checkpoint.as_u64(), task, index))
    }

    pub(crate) fn named(id: String) -> Self {
        Self(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for InterruptId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl fmt::Display for InterruptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run stopped for a human.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interrupt {
    /// What to name when resuming with a value.
    pub id: InterruptId,
    /// The node that stopped, or is about to run.
    pub node: String,
    /// Why the run stopped.
    pub kind: InterruptKind,
}

/// Why a run stopped for a human.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum InterruptKind {
    /// `interrupt_before` the node: it has not run.
    Before,
    /// `interrupt_after` the node: it has run.
    After,
    /// The node called [`Ctx::interrupt`] with this payload.
    Node {
        /// What the node asked.
        payload: Value,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_returns_resume_values_in_call_order() {
        let mut ctx = Ctx::detached("t", "ask");
        let first: NodeResult<String> = ctx.interrupt("name?");
        assert_eq!(first.map_err(|e| e.kind()).err(), Some(crate::node::ErrorKind::Interrupted));
        assert_eq!(ctx.take_interrupt(), Some((Value::from("name?"), Vec::new())));

        let mut resumed = Ctx::detached("t", "ask");
        resumed.interrupts = Mutex::new(InterruptState { resume: vec![Value::from("Ada")], ..Default::default() });
        let name: String = resumed.interrupt("name?").unwrap_or_default();
        assert_eq!(name, "Ada");
        let age: NodeResult<u32> = resumed.interrupt("age?");
        assert!(age.is_err());
        assert_eq!(resumed.take_interrupt(), Some((Value::from("age?"), vec![Value::from("Ada")])));
    }

    #[test]
    fn add_cost_sums_what_the_attempt_reported() {
        let ctx = Ctx::detached("t", "llm");
        assert_eq!(ctx.cost(), 0.0);
        ctx.add_cost(0.25);
        ctx.add_cost(-1.0);
        ctx.add_cost(f64::NAN);
        ctx.add_cost(0.5);
        assert_eq!(ctx.cost(), 0.75);
    }

    #[test]
    fn idempotency_key_names_thread_checkpoint_and_task() {
        let ctx = Ctx::detached("inv:42", "ocr");
        assert_eq!(ctx.idempotency_key(), "inv:42:0:0");
    }
}
