//! The tokens of `#[derive(State)]`: the update type, its builder methods and
//! the `State` impl.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{Field, Reducer, StateModel};

pub(crate) fn expand(model: &StateModel<'_>) -> TokenStream {
    let core = model.krate.core();
    let state = model.ident;
    let update = format_ident!("{}Update", state, span = state.span());
    let update_struct = update_struct(model, &update);
    let builders = model.fields.iter().map(|f| builders(f, &core));
    let applies = model.fields.iter().map(|f| apply(f, &core));
    let exclusive = model.fields.iter().map(exclusive_write);
    let into_fields = model.fields.iter().map(|f| {
        let ident = f.ident;
        quote!(#ident: ::core::option::Option::Some(self.#ident))
    });
    let rest = model.has_reducers().then(|| quote!(__overwrite: ::core::default::Default::default()));

    quote! {
        #update_struct

        const _: () = {
            use #core::state as __state;

            #[automatically_derived]
            impl #update {
                #(#builders)*
            }

            #[automatically_derived]
            impl #core::state::State for #state {
                type Update = #update;

                fn apply(&mut self, __update: #update) {
                    #(#applies)*
                }

                fn exclusive_writes(__update: &#update, __write: &mut dyn ::core::ops::FnMut(&'static str)) {
                    #(#exclusive)*
                }

                fn into_update(self) -> #update {
                    #update { #(#into_fields,)* #rest }
                }
            }
        };
    }
}

fn update_struct(model: &StateModel<'_>, update: &syn::Ident) -> TokenStream {
    let core = model.krate.core();
    let serde = model.krate.serde();
    let serde_crate = serde.to_string();
    let vis = model.vis;
    let state = model.ident;
    let doc = format!(
        "A partial write to [`{state}`], written by `#[derive(State)]`: every field optional, \
         merged through the field's reducer. Build it with its methods \
         (`{update}::default().field(value)`) or with `..Default::default()`."
    );
    let fields = model.fields.iter().map(|f| {
        let (ident, fvis, ty) = (f.ident, f.vis, f.ty);
        let doc = match &f.reducer {
            Reducer::LastValue => format!("Replaces [`{state}::{}`].", f.name()),
            _ => format!("Merged into [`{state}::{}`] through its reducer.", f.name()),
        };
        quote! {
            #[doc = #doc]
            #[serde(default, skip_serializing_if = "::core::option::Option::is_none")]
            #fvis #ident: ::core::option::Option<#ty>,
        }
    });
    let overwrite = model.has_reducers().then(|| {
        let skip = format!("{core}::state::Overwrites::is_empty");
        quote! {
            #[doc(hidden)]
            #[serde(default, rename = "__overwrite", skip_serializing_if = #skip)]
            #vis __overwrite: #core::state::Overwrites,
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug, ::core::default::Default, #serde::Serialize, #serde::Deserialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #update {
            #(#fields)*
            #overwrite
        }
    }
}

fn builders(field: &Field<'_>, core: &TokenStream) -> TokenStream {
    let (ident, vis, ty) = (field.ident, field.vis, field.ty);
    let name = field.name();
    let doc = format!("Writes `{name}`.");
    let set = quote! {
        #[doc = #doc]
        #[must_use]
        #vis fn #ident(mut self, value: #ty) -> Self {
            self.#ident = ::core::option::Option::Some(value);
            self
        }
    };
    if matches!(field.reducer, Reducer::LastValue) {
        return set;
    }
    let overwrite = format_ident!("overwrite_{}", name, span = ident.span());
    let doc = format!("Writes `{name}`, replacing its value instead of merging it (an exclusive write).");
    let _ = core;
    quote! {
        #set
        #[doc = #doc]
        #[must_use]
        #vis fn #overwrite(mut self, value: #ty) -> Self {
            self.#ident = ::core::option::Option::Some(value);
            self.__overwrite.insert(#name);
            self
        }
    }
}

fn apply(field: &Field<'_>, core: &TokenStream) -> TokenStream {
    let (ident, ty) = (field.ident, field.ty);
    let name = field.name();
    match &field.reducer {
        Reducer::LastValue => quote!(#core::state::set(&mut self.#ident, __update.#ident);),
        // Spanned at the field's type: a reducer that cannot merge this type
        // is reported there.
        Reducer::Builtin(reducer) => {
            let mut reducer = reducer.clone();
            reducer.set_span(ty.span());
            quote_spanned! {ty.span()=>
            __state::reduce::<__state::#reducer, #ty>(
                &mut self.#ident,
                __update.#ident,
                __update.__overwrite.contains(#name),
            );
            }
        }
        Reducer::With(path) => quote! {
            if let ::core::option::Option::Some(__value) = __update.#ident {
                if __update.__overwrite.contains(#name) {
                    self.#ident = __value;
                } else {
                    let __reduce: fn(&mut #ty, #ty) = #path;
                    __reduce(&mut self.#ident, __value);
                }
            }
        },
    }
}

fn exclusive_write(field: &Field<'_>) -> TokenStream {
    let ident = field.ident;
    let name = field.name();
    match field.reducer {
        Reducer::LastValue => quote! {
            if __update.#ident.is_some() {
                __write(#name);
            }
        },
        _ => quote! {
            if __update.__overwrite.contains(#name) {
                __write(#name);
            }
        },
    }
}
