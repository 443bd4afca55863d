//! The tokens of `#[derive(Route)]`: the `Route` impl, naming every target.
//!
//! Each node target is written once, as a type alias spanned at the user's
//! path, so a misspelt or non-node target is one error at that path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{RouteModel, State, Target};

pub(crate) fn expand(model: &RouteModel<'_>) -> TokenStream {
    let core = model.krate.core();
    let ident = model.ident;
    let mut aliases = Vec::new();
    let mut branches = Vec::new();
    for variant in &model.variants {
        let label = variant.ident.to_string();
        let targets = variant.targets.iter().map(|target| match target {
            Target::End(span) => quote_spanned!(*span=> .to(#core::graph::END)),
            Target::Name(lit) => quote!(.to(#lit)),
            Target::Node(path) => {
                let span = path.span();
                let alias = format_ident!("__Node{}", aliases.len(), span = span);
                aliases.push(quote_spanned!(span=> type #alias = #path;));
                quote_spanned!(span=> .to(__node::<#alias>()))
            }
        });
        let targets: Vec<_> = targets.collect();
        branches.push(quote! {
            #core::graph::Branch::new(#label, ::core::iter::empty::<&'static str>()) #(#targets)*
        });
    }
    let state = match &model.state {
        State::Given(ty) | State::OfSend(ty) => quote!(#ty),
        State::OfNode(i) => {
            let alias = format_ident!("__Node{}", i);
            quote!(<#alias as #core::node::NodeHandle>::State)
        }
    };
    let arms = model.variants.iter().enumerate().map(|(i, variant)| {
        let v = variant.ident;
        match variant.send {
            None => quote!(Self::#v => #core::graph::Selected::branch(#i),),
            Some(ty) => {
                let send = quote_spanned!(ty.span()=> #core::graph::Selected::send(#i, __inputs));
                quote!(Self::#v(__inputs) => #send,)
            }
        }
    });

    let helper = (!aliases.is_empty()).then(|| {
        quote! {
            fn __node<H>() -> H
            where
                H: #core::node::NodeHandle<State = #state> + ::core::default::Default,
            {
                H::default()
            }
        }
    });

    quote! {
        const _: () = {
            #(#aliases)*
            #helper

            #[automatically_derived]
            impl #core::graph::Route<#state> for #ident {
                fn branches() -> ::std::vec::Vec<#core::graph::Branch<#state>> {
                    ::std::vec![#(#branches),*]
                }

                fn select(self) -> #core::graph::Selected<#state> {
                    match self {
                        #(#arms)*
                    }
                }
            }
        };
    }
}
