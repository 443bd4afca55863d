use std::borrow::Cow;
use std::fmt;

use crate::node::{IntoNodeRef, NodeRef};
use crate::state::State;

/// The value a conditional edge's router returns: usually an enum written by
/// `#[derive(Route)]`, each variant a branch naming its targets.
///
/// The graph reads [`branches`](Route::branches) once, at build time, to check
/// every target and to label the edges in DOT; at run time the router's value
/// picks one branch with [`select`](Route::select). By hand:
///
/// ```
/// # use stategraph::graph::{Branch, Route, Selected, END};
/// # use stategraph::state::State;
/// enum Review {
///     Approved,
///     Rejected,
/// }
///
/// impl<S: State> Route<S> for Review {
///     fn branches() -> Vec<Branch<S>> {
///         vec![Branch::new("Approved", ["publish"]), Branch::new("Rejected", [END])]
///     }
///     fn select(self) -> Selected<S> {
///         match self {
///             Review::Approved => Selected::branch(0),
///             Review::Rejected => Selected::branch(1),
///         }
///     }
/// }
/// ```
pub trait Route<S: State>: Send + 'static {
    /// Every branch the router can take, with its label and targets.
    fn branches() -> Vec<Branch<S>>;
    /// The branch this value takes.
    fn select(self) -> Selected<S>;
}

/// One possible outcome of a router: a label (the variant's name) and the
/// nodes it continues to, [`END`](super::END) included.
pub struct Branch<S: State> {
    pub(crate) label: Cow<'static, str>,
    pub(crate) targets: Vec<NodeRef<S>>,
}

impl<S: State> Branch<S> {
    /// A branch labelled `label` going to every one of `targets`.
    pub fn new<T: IntoNodeRef<S>>(label: impl Into<Cow<'static, str>>, targets: impl IntoIterator<Item = T>) -> Self {
        Self { label: label.into(), targets: targets.into_iter().map(IntoNodeRef::into_node_ref).collect() }
    }

    /// Adds a target.
    pub fn to(mut self, target: impl IntoNodeRef<S>) -> Self {
        self.targets.push(target.into_node_ref());
        self
    }

    /// The label.
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl<S: State> fmt::Debug for Branch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Branch").field("label", &self.label).field("targets", &self.targets).finish()
    }
}

/// The branch a router took, and for a fan-out its per-task inputs.
pub struct Selected<S: State> {
    pub(crate) branch: usize,
    pub(crate) sends: Option<Vec<S>>,
}

impl<S: State> Selected<S> {
    /// Branch number `index` of [`Route::branches`]: one task of each target,
    /// on the shared state.
    pub fn branch(index: usize) -> Self {
        Self { branch: index, sends: None }
    }

    /// Branch number `index`, fanned out: one task of each target per input,
    /// each reading its own input (LangGraph's `Send`).
    pub fn send(index: usize, inputs: Vec<S>) -> Self {
        Self { branch: index, sends: Some(inputs) }
    }

    /// The branch's index.
    pub fn index(&self) -> usize {
        self.branch
    }
}

impl<S: State> fmt::Debug for Selected<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selected")
            .field("branch", &self.branch)
            .field("sends", &self.sends.as_ref().map(Vec::len))
            .finish()
    }
}
