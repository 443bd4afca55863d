//! `#[derive(Route)]`: an enum whose variants name their targets.

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let mut errors = Errors::new();
    let model = model::RouteModel::from_ast(&mut errors, input);
    match model {
        Some(model) if errors.is_empty() => expand::expand(&model),
        _ => errors.into_compile_errors(),
    }
}
