use std::borrow::Cow;
use std::fmt;

use crate::state::State;

/// A node's output when it also decides where the run goes next: an update
/// plus targets, in addition to the node's static edges.
///
/// ```
/// # use stategraph::node::{Command, Send};
/// # use stategraph::state::State;
/// # fn demo<S: State>(update: S::Update, item: S) -> Command<S> {
/// Command::new(update).goto("review").send(Send::new("summarise", item))
/// # }
/// ```
pub struct Command<S: State> {
    pub(crate) update: S::Update,
    pub(crate) goto: Vec<Goto<S>>,
}

impl<S: State> Command<S> {
    /// An update with no extra targets: the same as returning the update.
    pub fn new(update: S::Update) -> Self {
        Self { update, goto: Vec::new() }
    }

    /// Also runs `node` in the next super-step; [`END`](crate::graph::END)
    /// names no node and ends this branch.
    pub fn goto(mut self, node: impl Into<Cow<'static, str>>) -> Self {
        let node = node.into();
        self.goto.push(if node == crate::graph::END { Goto::End } else { Goto::Node(node) });
        self
    }

    /// Also runs one task with its own input in the next super-step.
    pub fn send(mut self, send: Send<S>) -> Self {
        self.goto.push(Goto::Send(send));
        self
    }

    /// The update this command writes.
    pub fn update(&self) -> &S::Update {
        &self.update
    }

    /// The extra targets.
    pub fn targets(&self) -> &[Goto<S>] {
        &self.goto
    }
}

impl<S: State> fmt::Debug for Command<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command").field("update", &self.update).field("goto", &self.goto).finish()
    }
}

/// Where a run goes next.
pub enum Goto<S: State> {
    /// The node runs in the next super-step on the shared state (once, however
    /// many edges point at it).
    Node(Cow<'static, str>),
    /// One task of a node on its own input (LangGraph's `Send`).
    Send(Send<S>),
    /// This branch ends.
    End,
}

impl<S: State> fmt::Debug for Goto<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Goto::Node(n) => f.debug_tuple("Node").field(n).finish(),
            Goto::Send(s) => f.debug_tuple("Send").field(s).finish(),
            Goto::End => f.write_str("End"),
        }
    }
}

/// One task of `node` that reads `input` instead of the shared state: the
/// map step of a map-reduce. Its update merges into the shared state like any
/// other task's.
pub struct Send<S: State> {
    pub(crate) node: Cow<'static, str>,
    pub(crate) input: S,
}

impl<S: State> Send<S> {
    /// A task of `node` on `input`.
    pub fn new(node: impl Into<Cow<'static, str>>, input: S) -> Self {
        Self { node: node.into(), input }
    }

    /// The target node.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The task's input.
    pub fn input(&self) -> &S {
        &self.input
    }
}

impl<S: State> fmt::Debug for Send<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send").field("node", &self.node).field("input", &self.input).finish()
    }
}
