//! Node functions with extra arguments the graph fills in
//! ([`FromCtx`](super::FromCtx)): `async fn(&S, &Ctx, Res<A>, Res<B>)`, up
//! to four after the context, as axum's handlers take extractors.
//!
//! The context comes first so that the shapes are told apart by arity
//! alone: with `async fn(&S, Res<A>)` beside `async fn(&S, &Ctx)`, rustc
//! could not choose for a two-argument closure. `#[node]` accepts
//! `async fn(&S, Res<A>)` and adapts it.
//!
//! Each shape erases to the same [`NodeFn`]: the wrapper extracts the
//! arguments from the attempt's context (a failure is the node's error) and
//! reports their [`needs`](super::FromCtx::needs) so that `compile` checks them.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use super::func::{ErasedNode, Wrap};
use super::resource::Extract;
use super::{BoxFuture, Command, Ctx, IntoNode, NodeFn, NodeResult, ResourceNeed, marker};
use crate::state::State;

/// `for<'a> Fn(&'a S, &'a Ctx, X1, ..) -> impl Future + 'a` for a tuple `X`
/// of extracted arguments, nameable in bounds.
#[doc(hidden)]
pub trait AsyncFnCtxWith<'a, S: 'a, X, O>: Send + Sync + 'static {
    type Future: Future<Output = NodeResult<O>> + Send + 'a;
    fn call(&self, state: &'a S, ctx: &'a Ctx, args: X) -> Self::Future;
}

macro_rules! with_args {
    ($($x:ident),+) => {
        impl<'a, S: 'a, O, F, Fut, $($x),+> AsyncFnCtxWith<'a, S, ($($x,)+), O> for F
        where
            F: Fn(&'a S, &'a Ctx, $($x),+) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = NodeResult<O>> + Send + 'a,
        {
            type Future = Fut;
            #[allow(non_snake_case)]
            fn call(&self, state: &'a S, ctx: &'a Ctx, ($($x,)+): ($($x,)+)) -> Fut {
                self(state, ctx, $($x),+)
            }
        }
    };
}

with_args!(X1);
with_args!(X1, X2);
with_args!(X1, X2, X3);
with_args!(X1, X2, X3, X4);

impl<S: State, F, X: Extract + 'static> ErasedNode<S> for Wrap<F, (marker::WithCtx, marker::Update, X)>
where
    F: for<'a> AsyncFnCtxWith<'a, S, X, S::Update>,
{
    fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        match X::extract(ctx) {
            Ok(args) => {
                let fut = self.0.call(state, ctx, args);
                Box::pin(async move { fut.await.map(Command::new) })
            }
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn needs(&self, needs: &mut Vec<ResourceNeed>) {
        X::needs(needs);
    }
}

impl<S: State, F, X: Extract + 'static> ErasedNode<S> for Wrap<F, (marker::WithCtx, marker::Command, X)>
where
    F: for<'a> AsyncFnCtxWith<'a, S, X, Command<S>>,
{
    fn call<'a>(&'a self, state: &'a S, ctx: &'a Ctx) -> BoxFuture<'a, NodeResult<Command<S>>> {
        match X::extract(ctx) {
            Ok(args) => Box::pin(self.0.call(state, ctx, args)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn needs(&self, needs: &mut Vec<ResourceNeed>) {
        X::needs(needs);
    }
}

macro_rules! into_node_with {
    ($arg:ident, $out:ident, $bound:ident, $ty:ty) => {
        impl<S: State, F, X: Extract + 'static> IntoNode<S, (marker::$arg, marker::$out, X)> for F
        where
            F: for<'a> $bound<'a, S, X, $ty>,
        {
            fn into_node_fn(self) -> NodeFn<S> {
                NodeFn(Arc::new(Wrap::<F, (marker::$arg, marker::$out, X)>(self, PhantomData)))
            }
        }
    };
}

into_node_with!(WithCtx, Update, AsyncFnCtxWith, S::Update);
into_node_with!(WithCtx, Command, AsyncFnCtxWith, Command<S>);
