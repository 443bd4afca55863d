//! The tokens of `#[node]`: a unit struct named like the function (the handle
//! the builder takes), the function itself out of sight, and the impls that
//! tie them: `NodeHandle`, and `Deref` to a function pointer so that
//! `name(&state, &ctx).await` still calls the node.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::model::NodeArgs;
use super::signature::Signature;
use crate::krate::Krate;

pub(crate) fn expand(args: &NodeArgs, sig: &Signature, func: &syn::ItemFn) -> TokenStream {
    let krate = args.krate.clone().unwrap_or_else(Krate::new);
    let core = krate.core();
    let ident = &func.sig.ident;
    let vis = &func.vis;
    let name = args.name.as_ref().map_or_else(|| ident.unraw().to_string(), syn::LitStr::value);
    let (docs, attrs): (Vec<_>, Vec<_>) = func.attrs.iter().cloned().partition(|a| a.path().is_ident("doc"));
    let handle_doc = format!(
        "The `{name}` node: pass it to the graph builder (`add_edge(START, {ident})`); \
         `{ident}(&state, ..).await` still runs the function. Written by `#[node]`."
    );
    let docs =
        if docs.is_empty() { quote!(#[doc = #handle_doc]) } else { quote!(#(#docs)* #[doc = ""] #[doc = #handle_doc]) };
    let mut inner = func.clone();
    inner.vis = syn::Visibility::Inherited;
    inner.attrs = attrs;

    let state = &sig.state;
    let output = &sig.output;
    let (params, call_args, fn_ty) = sig.boxed_fn(&core);
    let extractor_checks = sig.extractor_checks(&core);
    // rustc checks the function against what a node must be at its return
    // type, and that its future is `Send` at its signature.
    let mut at_output = ident.clone();
    at_output.set_span(output.span());
    let node_fn = sig.node_fn(&core, &at_output);
    let boxed = quote_spanned!(func.sig.span()=> ::std::boxed::Box::pin(#ident(#call_args)));
    let policy = args.policy.expand(&core, &sig.state);
    let spec = if policy.is_empty() {
        quote!(#core::node::NodeSpec::new(<Self as #core::node::NodeHandle>::NAME, #node_fn))
    } else {
        quote! {{
            let spec = #core::node::NodeSpec::new(<Self as #core::node::NodeHandle>::NAME, #node_fn);
            #policy
            spec
        }}
    };

    quote! {
        #docs
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default)]
        #vis struct #ident;

        const _: () = {
            #inner
            #extractor_checks

            #[automatically_derived]
            impl #core::node::NodeHandle for #ident {
                type State = #state;
                const NAME: &'static str = #name;
                fn spec(self) -> #core::node::NodeSpec<#state> {
                    #spec
                }
            }

            #[automatically_derived]
            impl ::core::ops::Deref for #ident {
                type Target = #fn_ty;
                fn deref(&self) -> &Self::Target {
                    fn __boxed<'a>(#params) -> #core::node::BoxFuture<'a, #output> {
                        #boxed
                    }
                    const __BOXED: #fn_ty = __boxed;
                    &__BOXED
                }
            }
        };
    }
}
