use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::RetryPolicy;
use crate::node::{IntoNodeRef, NodeRef};
use crate::state::State;

/// The update a degraded node contributes instead of its own: a safe default
/// computed from the state the node saw.
pub type DegradeFn<S> = Arc<dyn Fn(&S) -> <S as State>::Update + Send + Sync>;

/// What a failure after retries (and after a fallback, if any) means for the run.
pub enum OnFailure<S: State> {
    /// The run stops; completed nodes with compensators are undone (the default).
    Critical,
    /// The node's outcome is Degraded: the default update applies and the run
    /// continues; nodes downstream record that they rest on degraded input.
    Degrade(DegradeFn<S>),
    /// The node's outcome is Failed and the run continues without it: nodes
    /// reachable only through it are Skipped.
    Optional,
}

impl<S: State> Clone for OnFailure<S> {
    fn clone(&self) -> Self {
        match self {
            OnFailure::Critical => OnFailure::Critical,
            OnFailure::Degrade(f) => OnFailure::Degrade(Arc::clone(f)),
            OnFailure::Optional => OnFailure::Optional,
        }
    }
}

impl<S: State> fmt::Debug for OnFailure<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnFailure::Critical => "Critical",
            OnFailure::Degrade(_) => "Degrade(..)",
            OnFailure::Optional => "Optional",
        })
    }
}

/// A node's resilience policy. Every part is optional: what is not set comes
/// from the graph's defaults ([`StateGraph::default_retry`] and
/// [`StateGraph::default_timeout`]) or means "none".
///
/// Set it on a [`NodeSpec`](crate::node::NodeSpec) (which `#[node(...)]`
/// does), or per node on the builder, which overrides the spec part by part.
///
/// [`StateGraph::default_retry`]: crate::graph::StateGraph::default_retry
/// [`StateGraph::default_timeout`]: crate::graph::StateGraph::default_timeout
pub struct NodePolicy<S: State> {
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) breaker: Option<Cow<'static, str>>,
    pub(crate) on_failure: Option<OnFailure<S>>,
    pub(crate) fallback: Option<NodeRef<S>>,
    pub(crate) compensate: Option<NodeRef<S>>,
}

impl<S: State> Default for NodePolicy<S> {
    fn default() -> Self {
        Self { retry: None, timeout: None, breaker: None, on_failure: None, fallback: None, compensate: None }
    }
}

impl<S: State> Clone for NodePolicy<S> {
    fn clone(&self) -> Self {
        Self {
            retry: self.retry,
            timeout: self.timeout,
            breaker: self.breaker.clone(),
            on_failure: self.on_failure.clone(),
            fallback: self.fallback.clone(),
            compensate: self.compensate.clone(),
        }
    }
}

impl<S: State> fmt::Debug for NodePolicy<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodePolicy")
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("breaker", &self.breaker)
            .field("on_failure", &self.on_failure)
            .field("fallback", &self.fallback.as_ref().map(|n| n.name()))
            .field("compensate", &self.compensate.as_ref().map(|n| n.name()))
            .finish()
    }
}

impl<S: State> NodePolicy<S> {
    /// No policy: one attempt, no timeout, critical.
    pub fn new() -> Self {
        Self::default()
    }

    /// Retries failed attempts per `policy`.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Cuts off each attempt after `limit`; the cut attempt's writes are
    /// discarded and it counts as a [`Timeout`](crate::node::ErrorKind::Timeout).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Guards the node with the circuit breaker of service `name`, shared by
    /// every node and run that names it.
    pub fn breaker(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.breaker = Some(name.into());
        self
    }

    /// The node is critical (the default): its failure stops the run and
    /// undoes completed nodes that have compensators.
    pub fn critical(mut self) -> Self {
        self.on_failure = Some(OnFailure::Critical);
        self
    }

    /// On failure, `default` computes the update that applies instead, and
    /// the run continues with the node marked Degraded.
    pub fn degrade(mut self, default: impl Fn(&S) -> S::Update + Send + Sync + 'static) -> Self {
        self.on_failure = Some(OnFailure::Degrade(Arc::new(default)));
        self
    }

    /// On failure the run continues without the node; what only it leads to
    /// is Skipped.
    pub fn optional(mut self) -> Self {
        self.on_failure = Some(OnFailure::Optional);
        self
    }

    /// On failure after retries, `node` runs instead on the same input (a
    /// backup model); the run goes on from this node's edges.
    pub fn fallback(mut self, node: impl IntoNodeRef<S>) -> Self {
        self.fallback = Some(node.into_node_ref());
        self
    }

    /// When a later critical failure rolls the run back, `node` undoes this
    /// node's effect. It sees the state as it was right after this node.
    pub fn compensate(mut self, node: impl IntoNodeRef<S>) -> Self {
        self.compensate = Some(node.into_node_ref());
        self
    }

    /// This policy with every part `other` sets replaced by `other`'s.
    pub(crate) fn merged(mut self, other: NodePolicy<S>) -> Self {
        self.retry = other.retry.or(self.retry);
        self.timeout = other.timeout.or(self.timeout);
        self.breaker = other.breaker.or(self.breaker);
        self.on_failure = other.on_failure.or(self.on_failure);
        self.fallback = other.fallback.or(self.fallback);
        self.compensate = other.compensate.or(self.compensate);
        self
    }
}
