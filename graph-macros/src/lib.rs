//! The macros of [stategraph](https://docs.rs/stategraph): `#[derive(State)]`,
//! `#[node]` and `#[derive(Route)]`.
//!
//! Use them through the facade (`use stategraph::prelude::*;`): the code they
//! generate names the runtime as `::stategraph::__private`, or the path given
//! by a `crate = "..."` key when the facade is renamed.

mod errors;
mod krate;
mod node;
mod route;
mod state;

use proc_macro::TokenStream;

/// Derives `State` for a struct with named fields, and its update type.
///
/// TODO docs
#[proc_macro_derive(State, attributes(state, reducer))]
pub fn derive_state(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    state::derive(&input).into()
}

/// Makes an `async fn` a node: a typed handle the graph builder takes.
///
/// TODO docs
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    node::attribute(args.into(), item.into()).into()
}

/// Derives `Route` for an enum whose variants name their targets.
///
/// TODO docs
#[proc_macro_derive(Route, attributes(route, to))]
pub fn derive_route(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    route::derive(&input).into()
}
