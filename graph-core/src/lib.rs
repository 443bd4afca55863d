//! The engine of [stategraph](https://docs.rs/stategraph): typed state and
//! reducers, nodes, the graph builder, the super-step executor, checkpoints,
//! interrupts, time travel and DOT export.
//!
//! Users depend on the `stategraph` facade, which re-exports this crate with
//! the macros and the durable stores.

#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod checkpoint;
pub mod exec;
pub mod graph;
pub mod node;
pub mod policy;
pub mod state;

pub use checkpoint::{CheckpointError, CheckpointId, Checkpointer, Durability, MemorySaver};
pub use exec::{Event, Outcome, Resume, RunError, RunResult, StateSnapshot};
pub use graph::{BuildError, CompiledGraph, END, Route, START, StateGraph};
pub use node::{Command, Ctx, Interrupt, NodeError, NodeResult, Send};
pub use policy::{BreakerConfig, Breakers, NodePolicy, RetryPolicy};
pub use state::{Input, State};
