//! Resources on the builder: registering them, and checking at `compile`
//! that every node's `Res<T>` arguments are registered.

use std::sync::Arc;

use super::{BuildError, StateGraph};
use crate::node::{NodeSpec, Resources};
use crate::state::State;

impl<S: State> StateGraph<S> {
    /// Registers `value` as the graph's resource of type `T`: nodes take it
    /// as a [`Res<T>`](crate::node::Res) argument (checked at
    /// [`compile`](Self::compile)) or find it with
    /// [`Ctx::resource`](crate::node::Ctx::resource). One value per type; a
    /// second registration of a type replaces the first. Every task of every
    /// run shares it, so it is usually a handle (an HTTP client, a pool) or
    /// read-only configuration.
    ///
    /// ```
    /// use stategraph::prelude::*;
    ///
    /// #[derive(State, Clone, Debug, Default, Serialize, Deserialize)]
    /// struct Doc {
    ///     words: usize,
    /// }
    ///
    /// struct Limits {
    ///     max_words: usize,
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// // A closure node takes resources as arguments too, after the `&Ctx`
    /// // (an async closure can borrow the state and the context).
    /// let graph = StateGraph::new()
    ///     .add_node("clamp", async |doc: &Doc, _ctx: &Ctx, limits: Res<Limits>| {
    ///         Ok(DocUpdate::default().words(doc.words.min(limits.max_words)))
    ///     })
    ///     .add_edge(START, "clamp")
    ///     .add_edge("clamp", END)
    ///     .with_resource(Limits { max_words: 100 })
    ///     .compile()?;
    /// assert_eq!(graph.invoke(Doc { words: 250 }, "t").await?.state.words, 100);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn with_resource<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.resources.insert(value);
        self
    }

    /// Like [`with_resource`](Self::with_resource), for a value shared
    /// with other code (or other graphs): nodes still take it as `Res<T>`.
    pub fn with_shared_resource<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.resources.insert_shared(value);
        self
    }
}

/// The first node whose arguments need a resource that is not registered.
pub(super) fn check<S: State>(nodes: &[NodeSpec<S>], resources: &Resources) -> Result<(), BuildError> {
    for node in nodes {
        if let Some(need) = node.func.needs().into_iter().find(|need| !resources.satisfies(need)) {
            return Err(BuildError::MissingResource { node: node.name.to_string(), resource: need.type_name() });
        }
    }
    Ok(())
}
