//! A `#[node]` function's signature: `&State`, then `&Ctx` if taken, then
//! up to four arguments the graph fills in (`Res<T>` resources, any
//! `FromCtx` type); and the tokens of the handle's function type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::errors::Errors;

/// The most arguments after the state and the context; the runtime's
/// `IntoNode` impls go as far.
const MAX_EXTRACTED: usize = 4;

/// A node function's signature, as the handle needs it.
pub(crate) struct Signature {
    /// `S` of `state: &S`.
    pub(crate) state: syn::Type,
    /// `Ctx` of `ctx: &Ctx`, when taken.
    pub(crate) ctx: Option<syn::Type>,
    /// The types of the arguments after them (`Res<Llm>`), in order.
    pub(crate) extracted: Vec<syn::Type>,
    /// The declared return type.
    pub(crate) output: syn::Type,
}

const SHAPE: &str = "a node is `async fn name(state: &State, ctx: &Ctx, llm: Res<Llm>) -> NodeResult<Update>` (`ctx` \
                     and resource arguments optional; `NodeResult<Command<State>>` also allowed)";

impl Signature {
    /// Checks the shape rustc cannot explain well; `None` if it is off.
    pub(crate) fn from_fn(errors: &mut Errors, func: &syn::ItemFn) -> Option<Self> {
        let sig = &func.sig;
        let before = errors.len();
        if sig.asyncness.is_none() {
            errors.spanned(sig.fn_token, format_args!("a node must be an `async fn`; {SHAPE}"));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.spanned(
                &sig.generics,
                "a node function cannot be generic: its handle names one state type; wrap a generic function in a \
                 concrete `#[node]` or add it with `add_node(name, f::<T>)`",
            );
        }
        if let Some(v) = &sig.variadic {
            errors.spanned(v, "a node cannot be variadic");
        }
        let (mut state, mut ctx, mut extracted) = (None, None, Vec::new());
        for (i, input) in sig.inputs.iter().enumerate() {
            let ty = match input {
                syn::FnArg::Receiver(r) => {
                    errors.spanned(r, "a node is a free function, not a method");
                    continue;
                }
                syn::FnArg::Typed(pat) => &*pat.ty,
            };
            match (i, ty) {
                (0, syn::Type::Reference(r)) if r.mutability.is_none() => state = Some((*r.elem).clone()),
                (0, syn::Type::Reference(r)) => {
                    errors.spanned(r, "a node reads the state and returns an update: take it as `&State`, not `&mut`")
                }
                (0, ty) => errors.spanned(ty, "expected `&State`: a node borrows the state"),
                (1, syn::Type::Reference(r)) if r.mutability.is_none() => ctx = Some((*r.elem).clone()),
                (1, syn::Type::Reference(r)) => errors.spanned(r, "expected `&Ctx`: a node borrows its context"),
                (_, syn::Type::Reference(r)) => errors.spanned(
                    r,
                    "a node takes a resource as `Res<T>`, not a reference: register the value with \
                     `StateGraph::with_resource` and take `Res<T>`",
                ),
                (_, ty) if extracted.len() == MAX_EXTRACTED => errors.spanned(
                    ty,
                    format_args!(
                        "a node takes at most {MAX_EXTRACTED} resource arguments; group them in one type that \
                         implements `FromCtx`"
                    ),
                ),
                (_, ty) => extracted.push(ty.clone()),
            }
        }
        if sig.inputs.is_empty() {
            errors.at(sig.paren_token.span.join(), format_args!("a node takes at least the state; {SHAPE}"));
        }
        let output = match &sig.output {
            syn::ReturnType::Default => {
                errors.spanned(&sig.ident, format_args!("a node returns a `NodeResult`; {SHAPE}"));
                None
            }
            syn::ReturnType::Type(_, ty) => {
                let last = match &**ty {
                    syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                };
                if !matches!(last.as_deref(), Some("NodeResult" | "Result")) {
                    errors.spanned(ty, format_args!("a node returns a `NodeResult`; {SHAPE}"));
                }
                Some((**ty).clone())
            }
        };
        if errors.len() > before {
            return None;
        }
        Some(Self { state: state?, ctx, extracted, output: output? })
    }

    /// The parameters, call arguments and `fn` pointer type of the boxed
    /// function the handle derefs to: `(__state: &'a S, __ctx: &'a Ctx,
    /// __arg0: Res<Llm>)`, `(__state, __ctx, __arg0)`, `for<'a> fn(..) ->
    /// BoxFuture<'a, Output>`.
    pub(crate) fn boxed_fn(&self, core: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
        let (state, output) = (&self.state, &self.output);
        let mut params = vec![quote!(__state: &'a #state)];
        let mut args = vec![quote!(__state)];
        let mut types = vec![quote!(&'a #state)];
        if let Some(ctx) = &self.ctx {
            params.push(quote!(__ctx: &'a #ctx));
            args.push(quote!(__ctx));
            types.push(quote!(&'a #ctx));
        }
        for (i, ty) in self.extracted.iter().enumerate() {
            let arg = format_ident!("__arg{i}");
            params.push(quote!(#arg: #ty));
            args.push(quote!(#arg));
            types.push(quote!(#ty));
        }
        let fn_ty = quote!(for<'a> fn(#(#types),*) -> #core::node::BoxFuture<'a, #output>);
        (quote!(#(#params),*), quote!(#(#args),*), fn_ty)
    }

    /// The function `NodeFn::new` takes: the user's, or, when it takes
    /// resources but not the context, an adapter that takes the context
    /// first (the runtime's closure shapes put `&Ctx` before resources, so
    /// that their arities tell them apart). `at` is the user's function
    /// name, spanned where rustc should report a mismatch.
    pub(crate) fn node_fn(&self, core: &TokenStream, at: &syn::Ident) -> TokenStream {
        if self.ctx.is_some() || self.extracted.is_empty() {
            return quote_spanned!(self.output.span()=> #core::node::NodeFn::new(#at));
        }
        let (state, output) = (&self.state, &self.output);
        let args: Vec<syn::Ident> = (0..self.extracted.len()).map(|i| format_ident!("__arg{i}")).collect();
        let types = &self.extracted;
        quote_spanned! {self.output.span()=> {
            fn __with_ctx<'a>(
                __state: &'a #state,
                _: &'a #core::node::Ctx,
                #(#args: #types),*
            ) -> impl ::core::future::Future<Output = #output> + 'a {
                #at(__state, #(#args),*)
            }
            #core::node::NodeFn::new(__with_ctx)
        }}
    }

    /// For each extracted argument, a check at its type that it is one
    /// (`FromCtx`), so rustc's message points at the argument rather than
    /// at the whole function.
    pub(crate) fn extractor_checks(&self, core: &TokenStream) -> TokenStream {
        self.extracted
            .iter()
            .map(|ty| {
                quote_spanned! {ty.span()=>
                    const _: fn() = || {
                        fn __from_ctx<__T: #core::node::FromCtx>() {}
                        __from_ctx::<#ty>();
                    };
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(func: syn::ItemFn) -> (Option<Signature>, usize) {
        let mut errors = Errors::new();
        let sig = Signature::from_fn(&mut errors, &func);
        (sig, errors.len())
    }

    #[test]
    fn arguments_after_the_context_are_extracted_in_order() {
        let (sig, errors) = signature(syn::parse_quote! {
            async fn plan(s: &Agent, ctx: &Ctx, llm: Res<Llm>, db: Option<Res<Db>>) -> NodeResult<AgentUpdate> {}
        });
        let sig = sig.unwrap();
        assert_eq!(errors, 0);
        assert!(sig.ctx.is_some());
        assert_eq!(sig.extracted.len(), 2);
        let (params, args, fn_ty) = sig.boxed_fn(&quote!(core));
        assert_eq!(args.to_string(), "__state , __ctx , __arg0 , __arg1");
        assert!(params.to_string().contains("__arg1 : Option < Res < Db > >"), "{params}");
        assert!(fn_ty.to_string().starts_with("for < 'a > fn (& 'a Agent , & 'a Ctx , Res < Llm >"), "{fn_ty}");
    }

    #[test]
    fn a_by_value_second_argument_is_a_resource_not_the_context() {
        let (sig, errors) = signature(syn::parse_quote! {
            async fn plan(s: &Agent, llm: Res<Llm>) -> NodeResult<AgentUpdate> {}
        });
        let sig = sig.unwrap();
        assert_eq!((errors, sig.ctx.is_none(), sig.extracted.len()), (0, true, 1));
    }

    #[test]
    fn references_after_the_context_and_a_fifth_resource_are_refused() {
        let (sig, errors) = signature(syn::parse_quote! {
            async fn plan(s: &A, c: &Ctx, a: R, b: R, c: R, d: R, e: R, f: &L) -> NodeResult<U> {}
        });
        assert!(sig.is_none());
        assert_eq!(errors, 2, "the fifth resource and the reference");
    }
}
