use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;

use super::NodeFn;
use crate::policy::NodePolicy;
use crate::state::State;

/// A node as a Rust item: what `#[node]` generates for an `async fn`, so that
/// wiring names an item and a misspelt node does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a node",
    label = "not a `#[node]` function",
    note = "mark an `async fn` with `#[node]` to make it a node the graph can name"
)]
pub trait NodeHandle: Copy + Send + Sync + 'static {
    /// The state the node runs on.
    type State: State;
    /// The node's name in the graph, its records and its DOT.
    const NAME: &'static str;
    /// The node's function and declared properties.
    fn spec(self) -> NodeSpec<Self::State>;
}

/// A node's definition: its name, its function and its resilience policy.
pub struct NodeSpec<S: State> {
    pub(crate) name: Cow<'static, str>,
    pub(crate) func: NodeFn<S>,
    pub(crate) policy: NodePolicy<S>,
    /// The handle type it came from, so mentioning a handle twice is one node.
    pub(crate) origin: Option<TypeId>,
}

impl<S: State> NodeSpec<S> {
    /// A node named `name` running `func`, with no policy of its own.
    pub fn new(name: impl Into<Cow<'static, str>>, func: NodeFn<S>) -> Self {
        Self { name: name.into(), func, policy: NodePolicy::default(), origin: None }
    }

    /// Sets the parts of the node's policy that `policy` sets.
    pub fn with_policy(mut self, policy: NodePolicy<S>) -> Self {
        self.policy = std::mem::take(&mut self.policy).merged(policy);
        self
    }

    /// The node's own policy.
    pub fn policy(&self) -> &NodePolicy<S> {
        &self.policy
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's function.
    pub fn func(&self) -> &NodeFn<S> {
        &self.func
    }
}

impl<S: State> Clone for NodeSpec<S> {
    fn clone(&self) -> Self {
        Self { name: self.name.clone(), func: self.func.clone(), policy: self.policy.clone(), origin: self.origin }
    }
}

impl<S: State> fmt::Debug for NodeSpec<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeSpec").field("name", &self.name).finish_non_exhaustive()
    }
}

/// A reference to a node in the builder: a name, and the definition when the
/// reference is a typed handle (which then registers the node on first use).
pub struct NodeRef<S: State> {
    pub(crate) name: Cow<'static, str>,
    /// Builds the definition, for a typed handle. Called only when the node
    /// is not registered yet, so handles that name each other (a fallback's
    /// compensator, say) do not recurse.
    pub(crate) spec: Option<SpecFn<S>>,
    /// The handle type, for a typed handle.
    pub(crate) origin: Option<TypeId>,
}

/// Builds a typed handle's [`NodeSpec`].
pub(crate) type SpecFn<S> = std::sync::Arc<dyn Fn() -> NodeSpec<S> + Send + Sync>;

impl<S: State> NodeRef<S> {
    /// The referenced node's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<S: State> Clone for NodeRef<S> {
    fn clone(&self) -> Self {
        Self { name: self.name.clone(), spec: self.spec.clone(), origin: self.origin }
    }
}

impl<S: State> fmt::Debug for NodeRef<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeRef").field("name", &self.name).field("typed", &self.spec.is_some()).finish()
    }
}

/// What the builder accepts where it needs a node: a typed handle, a name, or
/// [`START`](crate::graph::START) / [`END`](crate::graph::END).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a node of a graph over `{S}`",
    label = "expected a `#[node]` function of `{S}`, a node name, `START` or `END`",
    note = "a plain `async fn` is added by name with `add_node(\"name\", f)`; `#[node]` makes it a handle"
)]
pub trait IntoNodeRef<S: State> {
    /// The reference.
    fn into_node_ref(self) -> NodeRef<S>;
}

impl<S: State> IntoNodeRef<S> for NodeRef<S> {
    fn into_node_ref(self) -> NodeRef<S> {
        self
    }
}

impl<S: State> IntoNodeRef<S> for &str {
    fn into_node_ref(self) -> NodeRef<S> {
        NodeRef { name: Cow::Owned(self.to_owned()), spec: None, origin: None }
    }
}

impl<S: State> IntoNodeRef<S> for String {
    fn into_node_ref(self) -> NodeRef<S> {
        NodeRef { name: Cow::Owned(self), spec: None, origin: None }
    }
}

impl<S: State> IntoNodeRef<S> for &String {
    fn into_node_ref(self) -> NodeRef<S> {
        NodeRef { name: Cow::Owned(self.clone()), spec: None, origin: None }
    }
}

impl<S: State, H: NodeHandle<State = S>> IntoNodeRef<S> for H {
    fn into_node_ref(self) -> NodeRef<S> {
        let make = move || {
            let mut spec = self.spec();
            spec.origin = Some(TypeId::of::<H>());
            spec
        };
        NodeRef { name: Cow::Borrowed(H::NAME), spec: Some(std::sync::Arc::new(make)), origin: Some(TypeId::of::<H>()) }
    }
}
