//! `#[node]`: a typed handle for an `async fn`, and its policy keys.

mod duration;
mod expand;
mod model;
mod policy;
mod signature;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::errors::Errors;

pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(item);
            return out;
        }
    };
    let mut errors = Errors::new();
    let args = model::NodeArgs::parse(&mut errors, args);
    let sig = signature::Signature::from_fn(&mut errors, &func);
    // With a usable signature the handle is emitted even beside errors, so
    // the graph code that names it does not add errors of its own.
    let mut out = match sig {
        Some(sig) => expand::expand(&args, &sig, &func),
        None => func.to_token_stream(),
    };
    out.extend(errors.into_compile_errors());
    out
}
