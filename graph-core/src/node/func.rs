use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use super::{Command, Ctx, NodeResult, ResourceNeed};
use crate::state::State;

/// A boxed, `Send` future borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A node's function with its signature erased: `(state, ctx) -> Command`.
///
/// Built from any async function the graph accepts (see [`IntoNode`]); cheap
/// to clone.
pub struct NodeFn<S: State>(pub(super) Arc<dyn ErasedNode<S>>);

impl<S: State> NodeFn<S> {
    /// Erases `f`.
    pub fn new<M>(f: impl IntoNode<S, M>) -> Self {
        f.into_node_fn()
    }

    /// Runs the node once.
    pub fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        self.0.call(state, ctx)
    }

    /// The resources its arguments need (`Res<T>`), for `compile` to check.
    pub(crate) fn needs(&self) -> Vec<ResourceNeed> {
        let mut needs = Vec::new();
        self.0.needs(&mut needs);
        needs
    }

    /// Whether two handles share one function.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<S: State> Clone for NodeFn<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S: State> fmt::Debug for NodeFn<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NodeFn")
    }
}

pub(super) trait ErasedNode<S: State>: Send + Sync + 'static {
    fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>>;

    /// The resources the function's arguments need.
    fn needs(&self, needs: &mut Vec<ResourceNeed>) {
        let _ = needs;
    }
}

/// Marker types that tell the four node signatures apart, as axum does for
/// handlers. Never named by users.
pub mod marker {
    /// `async fn(&S, &Ctx)`.
    #[derive(Debug)]
    pub struct WithCtx;
    /// `async fn(&S)`.
    #[derive(Debug)]
    pub struct WithoutCtx;
    /// Returns `NodeResult<S::Update>`.
    #[derive(Debug)]
    pub struct Update;
    /// Returns `NodeResult<Command<S>>`.
    #[derive(Debug)]
    pub struct Command;
    /// Already a [`NodeFn`](super::NodeFn).
    #[derive(Debug)]
    pub struct Erased;
}

/// Something the graph can run as a node: an `async fn` or an async closure
/// taking `&S`, optionally `&Ctx`, and after the `&Ctx` up to four arguments
/// the graph fills in ([`FromCtx`](super::FromCtx): registered resources as
/// [`Res<T>`](super::Res)), returning `NodeResult<S::Update>` or
/// `NodeResult<Command<S>>`. (A `#[node]` function may take resources
/// without the `&Ctx`; the macro adapts it.)
///
/// A closure that borrows its arguments is written as an async closure,
/// `async |state: &S, ctx: &Ctx| { .. }` (stable since Rust 1.85). The older
/// `|state: &S, ctx: &Ctx| async move { .. }` cannot borrow them (rustc
/// reports "lifetime may not live long enough"): it must copy what it needs
/// before its `async move` block, so that the future borrows nothing.
///
/// ```
/// # use stategraph::node::{Ctx, NodeFn, NodeResult};
/// # use stategraph::state::State;
/// # fn demo<S: State>() {
/// async fn noop<S: State>(_state: &S, _ctx: &Ctx) -> NodeResult<S::Update> {
///     Ok(Default::default())
/// }
/// let node: NodeFn<S> = NodeFn::new(noop::<S>);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run as a node of a graph over `{S}`",
    label = "not a node function of `{S}`",
    note = "a node is `async fn(&{S}) -> NodeResult<Update>` or `async fn(&{S}, &Ctx) -> NodeResult<Update>`, \
            or `async fn(&{S}, &Ctx, Res<T>, ..)` with up to four resources, where `Update` is the state's \
            update type or `Command<{S}>`; a closure is written `async |state: &{S}, ctx: &Ctx| ..`"
)]
pub trait IntoNode<S: State, M>: Send + Sync + 'static {
    /// Erases the function.
    fn into_node_fn(self) -> NodeFn<S>;
}

/// `for<'a> Fn(&'a S, &'a Ctx) -> impl Future + 'a`, nameable in bounds.
#[doc(hidden)]
pub trait AsyncFnCtx<'a, S: 'a, O>: Send + Sync + 'static {
    type Future: Future<Output = NodeResult<O>> + Send + 'a;
    fn call(&self, state: &'a S, ctx: &'a Ctx) -> Self::Future;
}

impl<'a, S: 'a, O, F, Fut> AsyncFnCtx<'a, S, O> for F
where
    F: Fn(&'a S, &'a Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = NodeResult<O>> + Send + 'a,
{
    type Future = Fut;
    fn call(&self, state: &'a S, ctx: &'a Ctx) -> Fut {
        self(state, ctx)
    }
}

/// `for<'a> Fn(&'a S) -> impl Future + 'a`, nameable in bounds.
#[doc(hidden)]
pub trait AsyncFnState<'a, S: 'a, O>: Send + Sync + 'static {
    type Future: Future<Output = NodeResult<O>> + Send + 'a;
    fn call(&self, state: &'a S) -> Self::Future;
}

impl<'a, S: 'a, O, F, Fut> AsyncFnState<'a, S, O> for F
where
    F: Fn(&'a S) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = NodeResult<O>> + Send + 'a,
{
    type Future = Fut;
    fn call(&self, state: &'a S) -> Fut {
        self(state)
    }
}

pub(super) struct Wrap<F, M>(pub(super) F, pub(super) PhantomData<fn() -> M>);

impl<S: State, F> ErasedNode<S> for Wrap<F, (marker::WithCtx, marker::Update)>
where
    F: for<'a> AsyncFnCtx<'a, S, S::Update>,
{
    fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        let fut = self.0.call(state, ctx);
        Box::pin(async move { fut.await.map(Command::new) })
    }
}

impl<S: State, F> ErasedNode<S> for Wrap<F, (marker::WithCtx, marker::Command)>
where
    F: for<'a> AsyncFnCtx<'a, S, Command<S>>,
{
    fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        Box::pin(self.0.call(state, ctx))
    }
}

impl<S: State, F> ErasedNode<S> for Wrap<F, (marker::WithoutCtx, marker::Update)>
where
    F: for<'a> AsyncFnState<'a, S, S::Update>,
{
    fn call<'a>(&'a self, state: &'a S, _ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        let fut = self.0.call(state);
        Box::pin(async move { fut.await.map(Command::new) })
    }
}

impl<S: State, F> ErasedNode<S> for Wrap<F, (marker::WithoutCtx, marker::Command)>
where
    F: for<'a> AsyncFnState<'a, S, Command<S>>,
{
    fn call<'a>(&'a self, state: &'a S, _ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        Box::pin(self.0.call(state))
    }
}

macro_rules! into_node {
    ($arg:ident, $out:ident, $bound:ident, $ty:ty) => {
        impl<S: State, F> IntoNode<S, (marker::$arg, marker::$out)> for F
        where
            F: for<'a> $bound<'a, S, $ty>,
        {
            fn into_node_fn(self) -> NodeFn<S> {
                NodeFn(Arc::new(Wrap::<F, (marker::$arg, marker::$out)>(self, PhantomData)))
            }
        }
    };
}

into_node!(WithCtx, Update, AsyncFnCtx, S::Update);
into_node!(WithCtx, Command, AsyncFnCtx, Command<S>);
into_node!(WithoutCtx, Update, AsyncFnState, S::Update);
into_node!(WithoutCtx, Command, AsyncFnState, Command<S>);

impl<S: State> IntoNode<S, marker::Erased> for NodeFn<S> {
    fn into_node_fn(self) -> NodeFn<S> {
        self
    }
}
