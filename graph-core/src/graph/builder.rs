use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::compiled::RouterFn;
use super::route::{Branch, Route};
use super::{BuildError, CompiledGraph, END, IntoNodeRefs, START};
use crate::node::{IntoNode, IntoNodeRef, NodeFn, NodeRef, NodeSpec, Resources};
use crate::policy::{BreakerConfig, NodePolicy, RetryPolicy};
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
    /// Policies set on the builder, by node name; they override the specs'.
    pub(crate) policies: Vec<(String, NodePolicy<S>)>,
    pub(crate) default_retry: Option<RetryPolicy>,
    pub(crate) default_timeout: Option<Duration>,
    pub(crate) breaker_configs: Vec<(String, BreakerConfig)>,
    /// Join targets that run even when some of their sources were skipped.
    pub(crate) partial_ok: Vec<String>,
    /// Loop detection: the visits that make a loop, and where a loop goes.
    pub(crate) loop_visits: Option<u32>,
    pub(crate) loop_handler: Option<String>,
    pub(crate) errors: Vec<BuildError>,
    /// Values nodes take as `Res<T>` arguments (see `resources.rs`).
    pub(crate) resources: Resources,
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
            policies: Vec::new(),
            default_retry: None,
            default_timeout: None,
            breaker_configs: Vec::new(),
            partial_ok: Vec::new(),
            loop_visits: None,
            loop_handler: None,
            errors: Vec::new(),
            resources: Resources::new(),
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

    /// Sets the parts of `node`'s resilience policy that `policy` sets,
    /// overriding what its spec (`#[node(...)]`) declared.
    pub fn policy(mut self, node: impl IntoNodeRef<S>, policy: NodePolicy<S>) -> Self {
        let name = self.register(node.into_node_ref());
        if let Some(r) = policy.fallback.clone() {
            self.register(r);
        }
        if let Some(r) = policy.compensate.clone() {
            self.register(r);
        }
        self.policies.push((name, policy));
        self
    }

    /// Retries `node` per `retry`.
    pub fn retry(self, node: impl IntoNodeRef<S>, retry: RetryPolicy) -> Self {
        self.policy(node, NodePolicy::new().retry(retry))
    }

    /// Cuts off each attempt of `node` after `limit`.
    pub fn timeout(self, node: impl IntoNodeRef<S>, limit: Duration) -> Self {
        self.policy(node, NodePolicy::new().timeout(limit))
    }

    /// Guards `node` with the circuit breaker of service `name`.
    pub fn breaker(self, node: impl IntoNodeRef<S>, name: impl Into<Cow<'static, str>>) -> Self {
        self.policy(node, NodePolicy::new().breaker(name))
    }

    /// On failure, `node` is Degraded: `default` gives the update that applies
    /// instead, and the run continues.
    pub fn degrade(self, node: impl IntoNodeRef<S>, default: impl Fn(&S) -> S::Update + Send + Sync + 'static) -> Self {
        self.policy(node, NodePolicy::new().degrade(default))
    }

    /// On failure, the run continues without `node`; nodes reachable only
    /// through it are Skipped.
    pub fn optional(self, node: impl IntoNodeRef<S>) -> Self {
        self.policy(node, NodePolicy::new().optional())
    }

    /// On failure of `node` after retries, `backup` runs instead.
    pub fn fallback(self, node: impl IntoNodeRef<S>, backup: impl IntoNodeRef<S>) -> Self {
        self.policy(node, NodePolicy::new().fallback(backup))
    }

    /// A compensating edge: when a critical failure rolls the run back,
    /// `undo` undoes `node` (drawn dashed in the DOT).
    pub fn compensate(self, node: impl IntoNodeRef<S>, undo: impl IntoNodeRef<S>) -> Self {
        self.policy(node, NodePolicy::new().compensate(undo))
    }

    /// The join into `target` fires even when some of its sources were
    /// skipped or failed as optional (by default the join is skipped too).
    pub fn partial_ok(mut self, target: impl IntoNodeRef<S>) -> Self {
        let name = self.register(target.into_node_ref());
        self.partial_ok.push(name);
        self
    }

    /// Loop detection: a node about to run for the `visits`-th time in one
    /// invocation on the same input (a hash of the state it reads) ends the
    /// run with [`Outcome::LoopDetected`](crate::exec::Outcome::LoopDetected)
    /// instead, or goes to the [`on_loop`](Self::on_loop) handler. A loop that
    /// changes the state each time is not one. `visits` is at least 2.
    pub fn detect_loops(mut self, visits: u32) -> Self {
        self.loop_visits = Some(visits.max(2));
        self
    }

    /// Where a detected loop goes: `handler` runs in place of the looping
    /// node (it sees the state, and goes on by its own edges), e.g. to add
    /// "you are looping" to the prompt or to escalate to a human. Turns loop
    /// detection on at 3 visits unless [`detect_loops`](Self::detect_loops)
    /// says otherwise.
    pub fn on_loop(mut self, handler: impl IntoNodeRef<S>) -> Self {
        let name = self.register(handler.into_node_ref());
        self.loop_handler = Some(name);
        self.loop_visits.get_or_insert(3);
        self
    }

    /// The retry policy of nodes that set none (default: no retry).
    pub fn default_retry(mut self, retry: RetryPolicy) -> Self {
        self.default_retry = Some(retry);
        self
    }

    /// The per-attempt time limit of nodes that set none (default: none).
    pub fn default_timeout(mut self, limit: Duration) -> Self {
        self.default_timeout = Some(limit);
        self
    }

    /// Configures the circuit breaker of service `name` in the compiled
    /// graph's registry.
    pub fn breaker_config(mut self, name: impl Into<String>, config: BreakerConfig) -> Self {
        self.breaker_configs.push((name.into(), config));
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
        if let Some(make) = node.spec {
            match self.index.get(&node.name) {
                None => self.register_spec(make()),
                Some(&i) if self.nodes[i].origin != node.origin => {
                    self.errors.push(BuildError::DuplicateNode { node: name.clone() });
                }
                Some(_) => {}
            }
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
                let linked = [spec.policy.fallback.clone(), spec.policy.compensate.clone()];
                self.nodes.push(spec);
                // A typed fallback or compensator registers itself, like an
                // edge's target.
                for node in linked.into_iter().flatten() {
                    self.register(node);
                }
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
