//! A worker pool: many threads of one graph at once, `workers` runs in
//! flight, a bounded queue in front of them, and backpressure when it is full.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::exec::{RunError, RunResult};
use crate::graph::CompiledGraph;
use crate::state::{Input, State};

/// How many runs an [`Engine`] keeps in flight and how many it queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Runs in flight at once (default 8).
    pub workers: usize,
    /// Runs accepted but not started yet; beyond this, `submit` refuses
    /// with [`EngineError::QueueFull`] (default 64).
    pub queue: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { workers: 8, queue: 64 }
    }
}

/// Why the engine did not run a submission.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Every worker is busy and the queue is full: retry later, or shed load.
    #[error("the engine's queue is full ({capacity} runs waiting): thread {thread:?} was not accepted")]
    QueueFull {
        /// The refused thread.
        thread: String,
        /// The queue's capacity.
        capacity: usize,
    },
    /// The engine's workers stopped (their runtime shut down) before the run
    /// ended; what it checkpointed is there to resume.
    #[error("the engine stopped: thread {thread:?} did not finish")]
    ShutDown {
        /// The thread.
        thread: String,
    },
    /// The run itself failed to run (its [`RunError`]).
    #[error(transparent)]
    Run(#[from] RunError),
}

struct Job<S: State> {
    thread: String,
    input: Input<S>,
    done: oneshot::Sender<Result<RunResult<S>, EngineError>>,
}

/// Runs threads of one compiled graph on a pool of tokio tasks. The graph's
/// breakers are shared by every run, so one failing service opens its
/// breaker for all of them. Memory is bounded by `workers + queue` runs.
///
/// ```
/// use stategraph::exec::{Engine, EngineConfig};
/// # use stategraph::{StateGraph, START, END};
/// # use stategraph::state::{State, Overwrites, set};
/// # #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
/// # struct S { n: i64 }
/// # #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
/// # struct U { n: Option<i64> }
/// # impl State for S {
/// #     type Update = U;
/// #     fn apply(&mut self, u: U) { set(&mut self.n, u.n); }
/// #     fn exclusive_writes(u: &U, w: &mut dyn FnMut(&'static str)) { if u.n.is_some() { w("n") } }
/// #     fn into_update(self) -> U { U { n: Some(self.n) } }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = StateGraph::new()
///     .add_node("inc", |s: &S| { let n = s.n + 1; async move { Ok(U { n: Some(n) }) } })
///     .add_edge(START, "inc")
///     .add_edge("inc", END)
///     .compile()?;
/// let engine = Engine::new(graph, EngineConfig { workers: 4, queue: 16 });
/// let ticket = engine.submit("t1", S::default())?;
/// assert_eq!(ticket.await?.state.n, 1);
/// engine.shutdown().await;
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Engine<S: State> {
    queue: Mutex<Option<mpsc::Sender<Job<S>>>>,
    capacity: usize,
    workers: Vec<JoinHandle<()>>,
}

impl<S: State> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("workers", &self.workers.len()).field("queue", &self.capacity).finish()
    }
}

/// A submitted run: await it for the run's result.
pub type Ticket<S> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<RunResult<S>, EngineError>> + Send>>;

impl<S: State> Engine<S> {
    /// Starts `config.workers` workers on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn` does).
    pub fn new(graph: CompiledGraph<S>, config: EngineConfig) -> Self {
        let (workers, capacity) = (config.workers.max(1), config.queue.max(1));
        let (tx, rx) = mpsc::channel::<Job<S>>(capacity);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let workers = (0..workers)
            .map(|_| {
                let (graph, rx) = (graph.clone(), Arc::clone(&rx));
                tokio::spawn(async move {
                    loop {
                        // One worker waits on the queue at a time; the others
                        // wait for the lock, so every job goes to one worker.
                        let job = rx.lock().await.recv().await;
                        let Some(job) = job else { break };
                        let result = graph.invoke(job.input, &job.thread).await.map_err(EngineError::from);
                        // The submitter may have stopped waiting: fine.
                        let _ = job.done.send(result);
                    }
                })
            })
            .collect();
        Self { queue: Mutex::new(Some(tx)), capacity, workers }
    }

    /// Queues a run of `thread` on `input`. Returns at once: the ticket
    /// resolves when the run ends.
    ///
    /// # Errors
    /// [`EngineError::QueueFull`] when `queue` runs already wait (nothing is
    /// queued); [`EngineError::ShutDown`] when the workers have stopped.
    pub fn submit(&self, thread: impl Into<String>, input: impl Into<Input<S>>) -> Result<Ticket<S>, EngineError> {
        let thread = thread.into();
        let guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = guard.as_ref() else { return Err(EngineError::ShutDown { thread }) };
        let (done, result) = oneshot::channel();
        let job = Job { thread: thread.clone(), input: input.into(), done };
        match queue.try_send(job) {
            Ok(()) => Ok(Box::pin(async move {
                // A dropped sender means the worker stopped first.
                result.await.unwrap_or(Err(EngineError::ShutDown { thread }))
            })),
            Err(mpsc::error::TrySendError::Full(_)) => Err(EngineError::QueueFull { thread, capacity: self.capacity }),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(EngineError::ShutDown { thread }),
        }
    }

    /// Stops accepting runs, lets the queued and running ones finish, and
    /// waits for the workers. Every run was checkpointed as it went, so a
    /// process that is killed instead leaves its runs resumable.
    pub async fn shutdown(self) {
        drop(self.queue.lock().unwrap_or_else(PoisonError::into_inner).take());
        for worker in self.workers {
            // A worker only ends by the queue closing; a panic in a node is
            // caught by the executor, so a join error is not expected.
            let _ = worker.await;
        }
    }
}
