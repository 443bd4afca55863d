use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::compiled::RouterFn;
use super::route::{Branch, Route};
use super::{BuildError, CompiledGraph, END, IntoNodeRefs, START};
use crate::node::{IntoNode, IntoNodeRef, NodeFn, NodeRef, NodeSpec};
use crate::state::State;

/// Collects a graph's nodes and edges; [`compile`](StateGraph::compile) checks
/// them and builds the runnable [`CompiledGraph`].
///
/// Typed handles (from `#[node]`) add themselves when an edge first names
/// them; plain functions are added by name with [`add_node`](Self::add_node).
/// Mistakes are collected and reported by `compile`, so the builder chains
/// without `?`.
pub struct StateGraph<S: State> {
    pub(crate) nodes: Vec<NodeSpec<S>>,
    pub(crate) index: HashMap<Cow<'static, str>, usize>,
    pub(crate) edges: Vec<(String, String)>,
    pub(crate) joins: Vec<(Vec<String>, String)>,
    pub(crate) routers: Vec<RouterDef<S>>,
    pub(crate) interrupt_before: Vec<String>,
    pub(crate) interrupt_after: Vec<String>,
    pub(crate) errors: Vec<BuildError>,
}

pub(crate) struct RouterDef<S: State> {
    pub(crate) source: String,
    pub(crate) branches: Vec<(Cow<'static, str>, Vec<String>)>,
    pub(crate) func: RouterFn<S>,
}

impl<S: State> Default for StateGraph<S> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            index: HashMap::new(),
            edges: Vec::new(),
            joins: Vec::new(),
            routers: Vec::new(),
            interrupt_before: Vec::new(),
            interrupt_after: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl<S: State> StateGraph<S> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node named `name` that runs `f`: an `async fn` taking `&S` (and
    /// optionally `&Ctx`) and returning `NodeResult<S::Update>` or
    /// `NodeResult<Command<S>>`.
    pub fn add_node<M>(mut self, name: impl Into<Cow<'static, str>>, f: impl IntoNode<S, M>) -> Self {
        self.register_spec(NodeSpec::new(name, NodeFn::new(f)));
        self
    }

    /// Adds the edge `from -> to`: after `from` runs, `to` runs in the next
    /// super-step.
    pub fn add_edge(mut self, from: impl IntoNodeRef<S>, to: impl IntoNodeRef<S>) -> Self {
        let from = self.register(from.into_node_ref());
        let to = self.register(to.into_node_ref());
        self.edges.push((from, to));
        self
    }

    /// Adds a waiting edge: `target` runs once after every one of `sources` has
    /// completed, even when they complete in different super-steps.
    pub fn add_join(mut self, sources: impl IntoNodeRefs<S>, target: impl IntoNodeRef<S>) -> Self {
        let sources = sources.into_node_refs().into_iter().map(|s| self.register(s)).collect();
        let target = self.register(target.into_node_ref());
        self.joins.push((sources, target));
        self
    }

    /// Adds a conditional edge: after `source` runs, `router` reads the state
    /// and its value (a [`Route`]) picks the next nodes. Every target the
    /// route type can name is known here, so `compile` checks them and DOT
    /// labels them.
    pub fn add_conditional_edges<R, F>(mut self, source: impl IntoNodeRef<S>, router: F) -> Self
    where
        R: Route<S>,
        F: Fn(&S) -> R + Send + Sync + 'static,
    {
        let source = self.register(source.into_node_ref());
        let branches = R::branches()
            .into_iter()
            .map(|Branch { label, targets }| {
                let targets = targets.into_iter().map(|t| self.register(t)).collect();
                (label, targets)
            })
            .collect();
        let func: RouterFn<S> = Arc::new(move |state: &S| router(state).select());
        self.routers.push(RouterDef { source, branches, func });
        self
    }

    /// Stops every run before any of `nodes` runs (resume to continue).
    pub fn interrupt_before(mut self, nodes: impl IntoNodeRefs<S>) -> Self {
        for node in nodes.into_node_refs() {
            let name = self.register(node);
            self.interrupt_before.push(name);
        }
        self
    }

    /// Stops every run after any of `nodes` has run (resume to continue).
    pub fn interrupt_after(mut self, nodes: impl IntoNodeRefs<S>) -> Self {
        for node in nodes.into_node_refs() {
            let name = self.register(node);
            self.interrupt_after.push(name);
        }
        self
    }

    /// Checks the graph and builds it.
    ///
    /// # Errors
    /// The first fault found, as a [`BuildError`] naming the node at fault.
    pub fn compile(self) -> Result<CompiledGraph<S>, BuildError> {
        CompiledGraph::build(self)
    }

    /// Registers the node a reference carries, if any, and returns its name.
    fn register(&mut self, node: NodeRef<S>) -> String {
        let name = node.name.to_string();
        if let Some(spec) = node.spec {
            self.register_spec(spec);
        }
        name
    }

    fn register_spec(&mut self, spec: NodeSpec<S>) {
        if spec.name == START || spec.name == END {
            self.errors.push(BuildError::ReservedName { node: spec.name.into_owned() });
            return;
        }
        match self.index.get(&spec.name) {
            Some(&i) => {
                let same_handle = spec.origin.is_some() && self.nodes[i].origin == spec.origin;
                if !same_handle {
                    self.errors.push(BuildError::DuplicateNode { node: spec.name.into_owned() });
                }
            }
            None => {
                self.index.insert(spec.name.clone(), self.nodes.len());
                self.nodes.push(spec);
            }
        }
    }
}

impl<S: State> fmt::Debug for StateGraph<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateGraph")
            .field("nodes", &self.nodes.iter().map(|n| &n.name).collect::<Vec<_>>())
            .field("edges", &self.edges)
            .field("joins", &self.joins)
            .finish_non_exhaustive()
    }
}
