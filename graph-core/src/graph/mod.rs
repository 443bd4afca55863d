//! Building a graph: [`StateGraph`] collects nodes and edges, [`compile`]
//! validates them into a [`CompiledGraph`], which runs threads and draws itself
//! as DOT.
//!
//! [`compile`]: StateGraph::compile

mod builder;
mod compiled;
mod dot;
mod error;
mod refs;
mod resources;
mod route;
mod validate;

pub use builder::StateGraph;
pub use compiled::CompiledGraph;
pub(crate) use dot::Paint;
pub use error::BuildError;
pub use refs::IntoNodeRefs;
pub use route::{Branch, Route, Selected};
pub(crate) use validate::Vertex;

pub(crate) use compiled::{CompiledNode, GraphInner, NodeId, Target};

/// The virtual node a run starts from: `add_edge(START, first)`.
pub const START: &str = "__start__";
/// The virtual node a branch ends at: `add_edge(last, END)`.
pub const END: &str = "__end__";
