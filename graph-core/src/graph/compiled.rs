use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use petgraph::graph::DiGraph;

use super::builder::RouterDef;
use super::route::Selected;
use super::validate::{EdgeKind, Vertex, check, layout, reachability};
use super::{BuildError, END, START, StateGraph};
use crate::checkpoint::{Checkpointer, Durability};
use crate::exec::RunConfig;
use crate::node::{NodeFn, Resources};
use crate::policy::{Breakers, NodePolicy, OnFailure, RetryPolicy};
use crate::state::State;

/// Index of a node in [`GraphInner::nodes`].
pub(crate) type NodeId = usize;

pub(crate) type RouterFn<S> = Arc<dyn Fn(&S) -> Selected<S> + Send + Sync>;

/// Where an edge leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Node(NodeId),
    End,
}

impl Target {
    pub(crate) fn node(self) -> Option<NodeId> {
        match self {
            Target::Node(id) => Some(id),
            Target::End => None,
        }
    }
}

/// What follows a node (or START): static edges, routers, joins it feeds.
#[derive(Debug, Default)]
pub(crate) struct Routing {
    pub(crate) edges: Vec<Target>,
    pub(crate) routers: Vec<usize>,
    pub(crate) joins: Vec<usize>,
}

impl Routing {
    fn is_empty(&self) -> bool {
        self.edges.is_empty() && self.routers.is_empty() && self.joins.is_empty()
    }
}

pub(crate) struct CompiledNode<S: State> {
    pub(crate) name: Arc<str>,
    pub(crate) func: NodeFn<S>,
    pub(crate) routing: Routing,
    pub(crate) policy: CompiledPolicy<S>,
    /// Its metric handles, registered at its first run with metrics on.
    pub(crate) metrics: std::sync::OnceLock<crate::exec::metrics::NodeMetrics>,
}

/// A node's policy with the graph's defaults filled in and nodes resolved.
pub(crate) struct CompiledPolicy<S: State> {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) breaker: Option<Arc<str>>,
    pub(crate) on_failure: OnFailure<S>,
    pub(crate) fallback: Option<NodeId>,
    pub(crate) compensate: Option<NodeId>,
}

pub(crate) struct CompiledRouter<S: State> {
    pub(crate) func: RouterFn<S>,
    pub(crate) branches: Vec<(Cow<'static, str>, Vec<Target>)>,
}

#[derive(Debug)]
pub(crate) struct CompiledJoin {
    /// Sorted, without duplicates.
    pub(crate) sources: Vec<NodeId>,
    pub(crate) target: NodeId,
    /// Fires even when some sources were skipped.
    pub(crate) partial_ok: bool,
}

/// The immutable, shared part of a compiled graph.
pub(crate) struct GraphInner<S: State> {
    pub(crate) nodes: Vec<CompiledNode<S>>,
    pub(crate) by_name: HashMap<String, NodeId>,
    pub(crate) start: Routing,
    pub(crate) routers: Vec<CompiledRouter<S>>,
    pub(crate) joins: Vec<CompiledJoin>,
    pub(crate) interrupt_before: Vec<NodeId>,
    pub(crate) interrupt_after: Vec<NodeId>,
    pub(crate) layout: DiGraph<Vertex, EdgeKind>,
    /// `reach[a * n + b]`: `b` can run after `a`.
    pub(crate) reach: Vec<bool>,
    /// Threads with a run in progress in this process.
    pub(crate) active: Mutex<HashSet<String>>,
    pub(crate) loops: Option<LoopGuard>,
    /// What nodes take as `Res<T>` and `Ctx::resource` finds.
    pub(crate) resources: Resources,
}

/// Loop detection: how many visits on the same input make a loop, and the
/// node that runs instead (else the run ends).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoopGuard {
    pub(crate) visits: u32,
    pub(crate) handler: Option<NodeId>,
}

impl<S: State> GraphInner<S> {
    pub(crate) fn node_id(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn name(&self, id: NodeId) -> &Arc<str> {
        &self.nodes[id].name
    }

    pub(crate) fn routing(&self, node: Option<NodeId>) -> &Routing {
        match node {
            Some(id) => &self.nodes[id].routing,
            None => &self.start,
        }
    }

    /// Whether node `to` can run after node `from`.
    pub(crate) fn reaches(&self, from: NodeId, to: NodeId) -> bool {
        self.reach.get(from * self.nodes.len() + to).copied().unwrap_or(false)
    }

    /// The join whose target is `target`, if any.
    pub(crate) fn join_into(&self, target: &str) -> Option<usize> {
        let id = self.node_id(target)?;
        self.joins.iter().position(|j| j.target == id)
    }
}

/// A validated graph, ready to run threads. Cheap to clone: clones share the
/// graph and its checkpointer.
///
/// Build one with [`StateGraph::compile`], give it a store with
/// [`with_checkpointer`](Self::with_checkpointer), then run it with
/// [`invoke`](Self::invoke), [`resume`](Self::resume), [`stream`](Self::stream)
/// or a configured [`run`](Self::run).
pub struct CompiledGraph<S: State> {
    pub(crate) inner: Arc<GraphInner<S>>,
    pub(crate) saver: Option<Arc<dyn Checkpointer>>,
    pub(crate) breakers: Arc<Breakers>,
    pub(crate) defaults: RunConfig,
}

impl<S: State> Clone for CompiledGraph<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            saver: self.saver.clone(),
            breakers: Arc::clone(&self.breakers),
            defaults: self.defaults.clone(),
        }
    }
}

impl<S: State> fmt::Debug for CompiledGraph<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledGraph")
            .field("nodes", &self.inner.nodes.iter().map(|n| &*n.name).collect::<Vec<_>>())
            .field("checkpointer", &self.saver)
            .field("defaults", &self.defaults)
            .finish()
    }
}

impl<S: State> CompiledGraph<S> {
    /// Stores every run's checkpoints in `saver`, which makes threads durable,
    /// resumable and inspectable.
    pub fn with_checkpointer(mut self, saver: impl Checkpointer) -> Self {
        self.saver = Some(Arc::new(saver));
        self
    }

    /// Like [`with_checkpointer`](Self::with_checkpointer), sharing a saver
    /// another graph also uses.
    pub fn with_shared_checkpointer(mut self, saver: Arc<dyn Checkpointer>) -> Self {
        self.saver = Some(saver);
        self
    }

    /// The checkpointer, if any.
    pub fn checkpointer(&self) -> Option<&Arc<dyn Checkpointer>> {
        self.saver.as_ref()
    }

    /// The default durability of runs (default [`Durability::Sync`]).
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.defaults.durability = durability;
        self
    }

    /// Records per-task metrics (runs by outcome, latency, retries) through
    /// the `metrics` facade; see [`exec::metrics`](crate::exec::metrics).
    /// Off by default: timing every task costs a little.
    pub fn with_metrics(mut self) -> Self {
        self.defaults.metrics = true;
        self
    }

    /// Makes every run collect a [`RunReport`](crate::exec::RunReport): each
    /// task's outcome, attempts, latency and cost, returned in
    /// [`RunResult::report`](crate::exec::RunResult::report) (a run can turn
    /// it off with [`Run::report`](crate::exec::Run::report)). Aggregate
    /// reports with [`ReportSummary`](crate::exec::ReportSummary). Off by
    /// default: timing every task costs a little.
    pub fn with_reports(mut self) -> Self {
        self.defaults.report = true;
        self
    }

    /// The default budget of runs (default: none). See [`Budget`](crate::exec::Budget).
    pub fn with_budget(mut self, budget: crate::exec::Budget) -> Self {
        self.defaults.budget = budget;
        self
    }

    /// The default step limit of runs: a run that would start more super-steps
    /// than this in one invocation stops with an error (default 10,000).
    pub fn with_step_limit(mut self, limit: u64) -> Self {
        self.defaults.step_limit = limit;
        self
    }

    /// Shares `breakers` with other graphs (an engine running several graphs
    /// against the same services). By default each compiled graph has its own
    /// registry, shared by its clones.
    pub fn with_breakers(mut self, breakers: Arc<Breakers>) -> Self {
        self.breakers = breakers;
        self
    }

    /// The circuit breakers of this graph's runs, to observe their state.
    pub fn breakers(&self) -> &Arc<Breakers> {
        &self.breakers
    }

    /// The node names, in the order they were added.
    pub fn node_names(&self) -> impl Iterator<Item = &str> {
        self.inner.nodes.iter().map(|n| &*n.name)
    }

    pub(crate) fn build(graph: StateGraph<S>) -> Result<Self, BuildError> {
        if let Some(error) = graph.errors.into_iter().next() {
            return Err(error);
        }
        super::resources::check(&graph.nodes, &graph.resources)?;
        let by_name: HashMap<String, NodeId> =
            graph.nodes.iter().enumerate().map(|(i, n)| (n.name.to_string(), i)).collect();
        let resolve = |name: &str, context: &str| -> Result<NodeId, BuildError> {
            by_name
                .get(name)
                .copied()
                .ok_or_else(|| BuildError::UnknownNode { node: name.to_owned(), context: context.to_owned() })
        };
        let mut start = Routing::default();
        let mut routing: Vec<Routing> = graph.nodes.iter().map(|_| Routing::default()).collect();

        for (from, to) in &graph.edges {
            if from == END || to == START {
                let reason = if from == END { "END has no outgoing edges" } else { "START has no incoming edges" };
                return Err(BuildError::InvalidEdge { from: from.clone(), to: to.clone(), reason });
            }
            let target = if to == END { Target::End } else { Target::Node(resolve(to, "edge target")?) };
            let slot = if from == START { &mut start } else { &mut routing[resolve(from, "edge source")?] };
            if !slot.edges.contains(&target) {
                slot.edges.push(target);
            }
        }

        let mut routers = Vec::with_capacity(graph.routers.len());
        for RouterDef { source, branches, func } in graph.routers {
            if source == END {
                return Err(BuildError::InvalidEdge {
                    from: source,
                    to: "(router)".into(),
                    reason: "END has no outgoing edges",
                });
            }
            let mut compiled = Vec::with_capacity(branches.len());
            for (label, targets) in branches {
                let mut resolved = Vec::with_capacity(targets.len());
                for target in targets {
                    resolved.push(if target == END {
                        Target::End
                    } else {
                        match by_name.get(&target) {
                            Some(&id) => Target::Node(id),
                            None => {
                                return Err(BuildError::UnknownRouteTarget {
                                    source_node: source.clone(),
                                    branch: label.to_string(),
                                    target,
                                });
                            }
                        }
                    });
                }
                compiled.push((label, resolved));
            }
            let slot = if source == START { &mut start } else { &mut routing[resolve(&source, "router source")?] };
            slot.routers.push(routers.len());
            routers.push(CompiledRouter { func, branches: compiled });
        }

        let mut joins: Vec<CompiledJoin> = Vec::with_capacity(graph.joins.len());
        for (sources, target) in &graph.joins {
            if target == START || target == END || sources.is_empty() {
                let reason = if sources.is_empty() { "it has no sources" } else { "its target must be a node" };
                return Err(BuildError::InvalidJoin { target: target.clone(), reason });
            }
            let target_id = resolve(target, "join target")?;
            if joins.iter().any(|j| j.target == target_id) {
                return Err(BuildError::InvalidJoin {
                    target: target.clone(),
                    reason: "a node can be the target of one join only",
                });
            }
            let mut ids = Vec::with_capacity(sources.len());
            for source in sources {
                if source == START || source == END {
                    return Err(BuildError::InvalidJoin {
                        target: target.clone(),
                        reason: "its sources must be nodes",
                    });
                }
                ids.push(resolve(source, "join source")?);
            }
            ids.sort_unstable();
            ids.dedup();
            for &id in &ids {
                routing[id].joins.push(joins.len());
            }
            let partial_ok = graph.partial_ok.iter().any(|t| t == target);
            joins.push(CompiledJoin { sources: ids, target: target_id, partial_ok });
        }
        for target in &graph.partial_ok {
            let id = resolve(target, "partial_ok")?;
            if !joins.iter().any(|j| j.target == id) {
                return Err(BuildError::InvalidJoin {
                    target: target.clone(),
                    reason: "partial_ok names a node that is not a join target",
                });
            }
        }

        if start.is_empty() {
            return Err(BuildError::NoEntry);
        }
        let interrupt_before =
            graph.interrupt_before.iter().map(|n| resolve(n, "interrupt_before")).collect::<Result<Vec<_>, _>>()?;
        let interrupt_after =
            graph.interrupt_after.iter().map(|n| resolve(n, "interrupt_after")).collect::<Result<Vec<_>, _>>()?;
        let handler = graph.loop_handler.as_deref().map(|n| resolve(n, "loop handler")).transpose()?;
        let loops = graph.loop_visits.map(|visits| LoopGuard { visits, handler });

        let mut overrides: Vec<NodePolicy<S>> = graph.nodes.iter().map(|_| NodePolicy::default()).collect();
        for (name, policy) in graph.policies {
            let id = resolve(&name, "policy")?;
            overrides[id] = std::mem::take(&mut overrides[id]).merged(policy);
        }
        let mut nodes: Vec<CompiledNode<S>> = Vec::with_capacity(graph.nodes.len());
        for ((spec, routing), extra) in graph.nodes.into_iter().zip(routing).zip(overrides) {
            let policy = spec.policy.merged(extra);
            let link = |r: Option<crate::node::NodeRef<S>>, context: &str| -> Result<Option<NodeId>, BuildError> {
                r.map(|r| resolve(r.name(), context)).transpose()
            };
            let fallback = link(policy.fallback, "fallback")?;
            let compensate = link(policy.compensate, "compensate")?;
            let name: Arc<str> = Arc::from(&*spec.name);
            if fallback == Some(nodes.len()) || compensate == Some(nodes.len()) {
                return Err(BuildError::InvalidEdge {
                    from: name.to_string(),
                    to: name.to_string(),
                    reason: "a node cannot be its own fallback or compensator",
                });
            }
            let policy = CompiledPolicy {
                retry: policy.retry.or(graph.default_retry).unwrap_or_else(RetryPolicy::never),
                timeout: policy.timeout.or(graph.default_timeout),
                breaker: policy.breaker.map(|b| Arc::from(&*b)),
                on_failure: policy.on_failure.unwrap_or(OnFailure::Critical),
                fallback,
                compensate,
            };
            nodes.push(CompiledNode { name, func: spec.func, routing, policy, metrics: Default::default() });
        }
        let layout = layout(&nodes, &start, &routers, &joins, handler);
        check(&layout, |id| &nodes[id].name)?;
        let reach = reachability(&nodes, &routers, &joins);
        let breakers = Breakers::new();
        for (name, config) in &graph.breaker_configs {
            breakers.configure(name, *config);
        }

        Ok(Self {
            inner: Arc::new(GraphInner {
                nodes,
                by_name,
                start,
                routers,
                joins,
                interrupt_before,
                interrupt_after,
                layout,
                reach,
                active: Mutex::new(HashSet::new()),
                loops,
                resources: graph.resources,
            }),
            saver: None,
            breakers: Arc::new(breakers),
            defaults: RunConfig::default(),
        })
    }
}
