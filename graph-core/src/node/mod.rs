//! Nodes: async functions of the state and a [`Ctx`] (and the graph's
//! resources, [`Res`]), what they return, and the typed handles the graph
//! builder takes.

mod approval;
mod ctx;
mod error;
mod extract;
mod func;
mod handle;
mod output;
mod resource;

pub use approval::{ApprovalRequest, Choice, Decision, Risk, Verdict, now_ms};
pub use ctx::{Ctx, Interrupt, InterruptId, InterruptKind};
pub use error::{ErrorKind, NodeError, NodeResult, TaskError};
pub use func::{BoxFuture, IntoNode, NodeFn, marker};
pub use handle::{IntoNodeRef, NodeHandle, NodeRef, NodeSpec};
pub use output::{Command, Goto, Send};
pub use resource::{Extract, FromCtx, Res, ResourceNeed, Resources};

pub(crate) use ctx::CtxParts;
