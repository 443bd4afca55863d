//! Resources: values a graph's nodes use but the state does not hold (an
//! LLM client, an HTTP client, a database pool), registered on the graph by
//! type and handed to nodes as arguments ([`Res<T>`]) or through
//! [`Ctx::resource`].
//!
//! A node declares what it takes in its signature, so the graph knows it at
//! [`compile`](crate::graph::StateGraph::compile): a resource that no one
//! registered is a [`BuildError::MissingResource`] naming the node and the
//! type, never an error in the middle of a run.
//!
//! [`BuildError::MissingResource`]: crate::graph::BuildError::MissingResource

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::{Ctx, NodeError, NodeResult};

/// The resources registered on a graph, by type. Cheap to clone (shared),
/// and free when empty.
#[derive(Clone, Default)]
pub struct Resources {
    map: Option<Arc<HashMap<TypeId, Entry>>>,
}

#[derive(Clone)]
struct Entry {
    name: &'static str,
    value: Arc<dyn Any + Send + Sync>,
}

impl Resources {
    /// No resources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `value` as the resource of type `T`, replacing an earlier one.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.insert_shared(Arc::new(value));
    }

    /// Adds a shared value as the resource of type `T`, replacing an earlier one.
    pub fn insert_shared<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        let map = Arc::make_mut(self.map.get_or_insert_with(Default::default));
        map.insert(TypeId::of::<T>(), Entry { name: std::any::type_name::<T>(), value });
    }

    /// The resource of type `T`, if registered.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.entry::<T>().and_then(|e| e.value.downcast_ref())
    }

    /// The resource of type `T`, shared, if registered.
    pub fn get_shared<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.entry::<T>().and_then(|e| Arc::clone(&e.value).downcast().ok())
    }

    /// Whether a resource of the type `need` names is registered.
    pub fn satisfies(&self, need: &ResourceNeed) -> bool {
        self.map.as_ref().is_some_and(|m| m.contains_key(&need.id))
    }

    /// Whether no resource is registered.
    pub fn is_empty(&self) -> bool {
        self.map.as_ref().is_none_or(|m| m.is_empty())
    }

    fn entry<T: 'static>(&self) -> Option<&Entry> {
        self.map.as_ref()?.get(&TypeId::of::<T>())
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.map.iter().flat_map(|m| m.values().map(|e| e.name)).collect();
        names.sort_unstable();
        f.debug_set().entries(names).finish()
    }
}

/// A resource a node needs registered before its graph compiles: a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceNeed {
    id: TypeId,
    name: &'static str,
}

impl ResourceNeed {
    /// The need for a resource of type `T`.
    pub fn of<T: Send + Sync + 'static>() -> Self {
        Self { id: TypeId::of::<T>(), name: std::any::type_name::<T>() }
    }

    /// The type's name, as `std::any::type_name` gives it.
    pub fn type_name(&self) -> &'static str {
        self.name
    }
}

/// A registered resource, as a node argument: `llm: Res<LlmClient>`.
///
/// Derefs to the value; the value is shared by every task (clone what you
/// must own, or register a type that is a handle already, as HTTP clients
/// and connection pools are).
///
/// ```
/// use stategraph::prelude::*;
///
/// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
/// struct Chat {
///     #[reducer(append)]
///     replies: Vec<String>,
/// }
///
/// /// What the node talks to; any `Send + Sync + 'static` type.
/// struct Model {
///     name: String,
/// }
///
/// #[node]
/// async fn reply(_chat: &Chat, model: Res<Model>) -> NodeResult<ChatUpdate> {
///     Ok(ChatUpdate::default().replies(vec![format!("hello from {}", model.name)]))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let graph = StateGraph::new()
///     .add_edge(START, reply)
///     .add_edge(reply, END)
///     .with_resource(Model { name: "m-1".into() })
///     .compile()?;
/// let run = graph.invoke(Chat::default(), "t").await?;
/// assert_eq!(run.state.replies, ["hello from m-1"]);
///
/// // Without the resource, the graph does not compile.
/// let error = StateGraph::<Chat>::new().add_edge(START, reply).add_edge(reply, END).compile().unwrap_err();
/// assert!(matches!(&error, BuildError::MissingResource { node, .. } if node == "reply"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Res<T: ?Sized>(Arc<T>);

impl<T> Res<T> {
    /// Wraps a value, to call a node function directly (as in a unit test).
    pub fn new(value: T) -> Self {
        Self(Arc::new(value))
    }
}

impl<T: ?Sized> Res<T> {
    /// The shared value.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> From<Arc<T>> for Res<T> {
    fn from(value: Arc<T>) -> Self {
        Self(value)
    }
}

impl<T: ?Sized> Clone for Res<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Res<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Res<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Res").field(&&*self.0).finish()
    }
}

/// A node argument after the state (and the [`Ctx`]), filled in for each
/// attempt from the task's context, as an axum handler's extractors are
/// from the request. [`Res<T>`] is the one for resources; `Option<Res<T>>`
/// takes a resource that may be absent (and so is not checked at compile).
///
/// Implement it to give nodes a value built from several resources.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a node argument",
    label = "not a resource argument",
    note = "after `&State` (and `&Ctx`), a node takes registered resources as `Res<T>` (or `Option<Res<T>>`); \
            register them with `StateGraph::with_resource(value)`"
)]
pub trait FromCtx: Sized + Send {
    /// The value for this attempt.
    ///
    /// # Errors
    /// The node's error when the value cannot be made (a resource missing
    /// from a context built by hand, as in a unit test).
    fn from_ctx(ctx: &Ctx) -> NodeResult<Self>;

    /// Adds the resources this argument needs, so that `compile` can check
    /// that they are registered.
    fn needs(needs: &mut Vec<ResourceNeed>) {
        let _ = needs;
    }
}

impl<T: Send + Sync + 'static> FromCtx for Res<T> {
    fn from_ctx(ctx: &Ctx) -> NodeResult<Self> {
        ctx.resources().get_shared::<T>().map(Res).ok_or_else(|| missing::<T>(ctx))
    }

    fn needs(needs: &mut Vec<ResourceNeed>) {
        needs.push(ResourceNeed::of::<T>());
    }
}

impl<T: Send + Sync + 'static> FromCtx for Option<Res<T>> {
    fn from_ctx(ctx: &Ctx) -> NodeResult<Self> {
        Ok(ctx.resources().get_shared::<T>().map(Res))
    }
}

/// The error for a resource `ctx`'s graph does not have.
pub(crate) fn missing<T>(ctx: &Ctx) -> NodeError {
    NodeError::permanent(format_args!(
        "node `{}` needs the resource `{}`, which is not registered on its graph",
        ctx.node(),
        std::any::type_name::<T>()
    ))
}

/// A tuple of node arguments, extracted in order.
#[doc(hidden)]
pub trait Extract: Sized + Send {
    fn extract(ctx: &Ctx) -> NodeResult<Self>;
    fn needs(needs: &mut Vec<ResourceNeed>);
}

macro_rules! extract_tuple {
    ($($x:ident),+) => {
        impl<$($x: FromCtx),+> Extract for ($($x,)+) {
            fn extract(ctx: &Ctx) -> NodeResult<Self> {
                Ok(($($x::from_ctx(ctx)?,)+))
            }
            fn needs(needs: &mut Vec<ResourceNeed>) {
                $($x::needs(needs);)+
            }
        }
    };
}

extract_tuple!(X1);
extract_tuple!(X1, X2);
extract_tuple!(X1, X2, X3);
extract_tuple!(X1, X2, X3, X4);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Client(&'static str);

    #[test]
    fn resources_are_found_by_type_and_replaced_by_a_second_insert() {
        let mut resources = Resources::new();
        assert!(resources.is_empty() && resources.get::<Client>().is_none());
        resources.insert(Client("a"));
        resources.insert(7_u32);
        resources.insert(Client("b"));
        assert_eq!(resources.get::<Client>(), Some(&Client("b")));
        assert_eq!(resources.get_shared::<u32>().as_deref(), Some(&7));
        assert!(resources.satisfies(&ResourceNeed::of::<Client>()));
        assert!(!resources.satisfies(&ResourceNeed::of::<String>()));
        let shown = format!("{resources:?}");
        assert!(shown.contains("Client") && shown.contains("u32"), "{shown}");
    }

    #[test]
    fn a_missing_resource_is_a_permanent_error_naming_node_and_type() {
        let ctx = Ctx::detached("t", "plan");
        let error = <Res<Client> as FromCtx>::from_ctx(&ctx).unwrap_err();
        assert_eq!(error.kind(), crate::node::ErrorKind::Permanent);
        assert!(error.to_string().contains("node `plan` needs the resource"), "{error}");
        assert!(error.to_string().contains("Client"), "{error}");
        assert!(<Option<Res<Client>> as FromCtx>::from_ctx(&ctx).unwrap().is_none());
        let ctx = Ctx::detached("t", "plan").with_resource(Client("c"));
        assert_eq!(*<Res<Client> as FromCtx>::from_ctx(&ctx).unwrap(), Client("c"));
        let mut needs = Vec::new();
        <(Res<Client>, Option<Res<u8>>) as Extract>::needs(&mut needs);
        assert_eq!(needs, [ResourceNeed::of::<Client>()]);
    }
}
