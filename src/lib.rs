//! # stategraph
//!
//! Typed, durable, self-healing agent and workflow graphs: LangGraph's model
//! (typed state, reducers, super-steps, checkpoints per thread, interrupts,
//! time travel) in Rust.
//!
//! This crate is the one to depend on. It re-exports the engine
//! ([`graph_core`]) and gathers what a graph needs in [`prelude`].
//!
//! ```
//! use stategraph::prelude::*;
//! use stategraph::state::{set, reduce, Append, Overwrites};
//!
//! #[derive(Clone, Debug, Default, Serialize, Deserialize)]
//! struct Count { n: i64 }
//! #[derive(Clone, Debug, Default, Serialize, Deserialize)]
//! struct CountUpdate { n: Option<i64> }
//! impl State for Count {
//!     type Update = CountUpdate;
//!     fn apply(&mut self, u: CountUpdate) { set(&mut self.n, u.n) }
//!     fn exclusive_writes(u: &CountUpdate, w: &mut dyn FnMut(&'static str)) { if u.n.is_some() { w("n") } }
//!     fn into_update(self) -> CountUpdate { CountUpdate { n: Some(self.n) } }
//! }
//!
//! async fn inc(s: &Count) -> NodeResult<CountUpdate> {
//!     Ok(CountUpdate { n: Some(s.n + 1) })
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let graph = StateGraph::new()
//!     .add_node("inc", inc)
//!     .add_edge(START, "inc")
//!     .add_edge("inc", END)
//!     .compile()?;
//! let run = graph.invoke(Count { n: 41 }, "thread-1").await?;
//! assert_eq!(run.state.n, 42);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub use graph_core::{
    BuildError, CheckpointError, CheckpointId, Checkpointer, Command, CompiledGraph, Ctx, Durability, END, Event,
    Input, Interrupt, MemorySaver, NodeError, NodeResult, Outcome, Resume, Route, RunError, RunResult, START, Send,
    State, StateGraph, StateSnapshot,
};
pub use graph_core::{checkpoint, exec, graph, node, state};
pub use graph_macros::{Route, State, node};

/// What a graph usually needs, in one `use stategraph::prelude::*;`.
pub mod prelude {
    pub use crate::checkpoint::{CheckpointId, Checkpointer, Durability, HistoryQuery, MemorySaver};
    pub use crate::exec::{Event, Outcome, Resume, RunError, RunResult, StateSnapshot};
    pub use crate::graph::{BuildError, CompiledGraph, END, Route, START, StateGraph};
    pub use crate::node::{Command, Ctx, ErrorKind, Interrupt, NodeError, NodeResult, Send};
    pub use crate::state::{Input, State};
    pub use graph_macros::{Route, State, node};
    pub use serde::{Deserialize, Serialize};
}

/// What generated code reaches the runtime through. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use graph_core;
    pub use serde;
    pub use serde_json;
}
