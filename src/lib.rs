//! # stategraph
//!
//! Typed, durable, self-healing agent and workflow graphs: LangGraph's model
//! (typed state, reducers, super-steps, checkpoints per thread, interrupts,
//! time travel) in Rust.
//!
//! This crate is the one to depend on. It re-exports the engine
//! ([`stategraph_core`]) and the macros (`#[derive(State)]`, `#[node]`,
//! `#[derive(Route)]`), and gathers what a graph needs in [`prelude`].
//!
//! ```
//! use stategraph::prelude::*;
//!
//! #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
//! struct Count {
//!     n: i64,
//!     #[reducer(append)]
//!     log: Vec<String>,
//! }
//!
//! #[node]
//! async fn inc(s: &Count) -> NodeResult<CountUpdate> {
//!     Ok(CountUpdate::default().n(s.n + 1).log(vec!["inc".into()]))
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let graph = StateGraph::new().add_edge(START, inc).add_edge(inc, END).compile()?;
//! let run = graph.invoke(Count { n: 41, ..Default::default() }, "thread-1").await?;
//! assert_eq!((run.state.n, run.state.log.len()), (42, 1));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! The macros write what a graph can also be given by hand: the
//! [`State`](trait@State) trait, [`StateGraph::add_node`] with any
//! `async fn`, and [`Route`](trait@Route) (see their docs).
//!
//! ## The guide
//!
//! [`guide`] explains the concepts in order, each with an example that
//! runs: [state and reducers](guide::state_and_reducers),
//! [nodes](guide::nodes), [edges and routes](guide::edges_and_routes),
//! [super-steps](guide::super_steps),
//! [checkpoints and threads](guide::checkpoints_and_threads),
//! [interrupts](guide::interrupts), [policies](guide::policies),
//! [stores](guide::stores) and [scaling out](guide::scaling_out).
//!
//! Where things live: [`state`] (the `State` trait, reducers), [`node`](mod@node)
//! (`Ctx`, errors, `Command`, resources), [`graph`] (the builder and the
//! compiled graph), [`exec`] (runs, events, budgets, the engine, reports),
//! [`policy`] (retry, breakers), [`checkpoint`] (the store trait, records,
//! `MemorySaver`), and `SledSaver` at the root; [`prelude`] has what a
//! graph usually needs.

pub use stategraph_core::{
    BuildError, CheckpointError, CheckpointId, Checkpointer, Command, CompiledGraph, Ctx, Durability, END, Event,
    Input, Interrupt, MemorySaver, NodeError, NodeResult, Outcome, Resume, Route, RunError, RunResult, START, Send,
    State, StateGraph, StateSnapshot,
};
pub use stategraph_core::{checkpoint, exec, graph, node, policy, state};
pub use stategraph_macros::{Route, State, node};

/// The embedded sled store, the default checkpointer for durable runs.
#[cfg(feature = "sled")]
pub use stategraph_store::{SledConfig, SledSaver, StoreStats};

pub mod guide;

/// What a graph usually needs, in one `use stategraph::prelude::*;`.
pub mod prelude {
    pub use crate::checkpoint::{CheckpointId, Checkpointer, Durability, HistoryQuery, MemorySaver};
    pub use crate::exec::{
        Budget, BudgetKind, Event, Outcome, PolicyEvent, ReportSummary, Resume, RunError, RunHealth, RunReport,
        RunResult, StateSnapshot, TaskReport,
    };
    pub use crate::graph::{BuildError, CompiledGraph, END, Route, START, StateGraph};
    pub use crate::node::{
        ApprovalRequest, Command, Ctx, Decision, ErrorKind, Interrupt, NodeError, NodeResult, Res, Risk, Send, Verdict,
    };
    pub use crate::policy::{BreakerConfig, BreakerState, Breakers, NodePolicy, RetryPolicy};
    pub use crate::state::{Input, MessageId, State};
    #[cfg(feature = "sled")]
    pub use crate::{SledConfig, SledSaver};
    pub use serde::{Deserialize, Serialize};
    pub use stategraph_macros::{Route, State, node};
}

/// What generated code reaches the runtime through. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
    pub use stategraph_core;
}
