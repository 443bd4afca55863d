//! Nodes: async functions of the state and a [`Ctx`], what they return, and
//! the typed handles the graph builder takes.

mod approval;
mod ctx;
mod error;
mod func;
mod handle;
mod output;

pub use approval::{ApprovalRequest, Choice, Decision, Risk, Verdict, now_ms};
pub use ctx::{Ctx, Interrupt, InterruptId, InterruptKind};
pub use error::{ErrorKind, NodeError, NodeResult, TaskError};
pub use func::{BoxFuture, IntoNode, NodeFn, marker};
pub use handle::{IntoNodeRef, NodeHandle, NodeRef, NodeSpec};
pub use output::{Command, Goto, Send};

pub(crate) use ctx::CtxParts;
