//! The validated model of a `#[node]` function: its arguments and signature.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;

use super::policy::{KEYS, Policy};
use crate::errors::{Errors, skip_value};
use crate::krate::Krate;

/// `#[node(...)]`'s arguments.
#[derive(Default)]
pub(crate) struct NodeArgs {
    pub(crate) krate: Option<Krate>,
    pub(crate) name: Option<syn::LitStr>,
    pub(crate) policy: Policy,
}

impl NodeArgs {
    pub(crate) fn parse(errors: &mut Errors, tokens: TokenStream) -> Self {
        let mut args = NodeArgs::default();
        let mut seen: Vec<String> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            if let Some(key) = meta.path.get_ident().map(ToString::to_string) {
                if seen.contains(&key) {
                    errors.spanned(&meta.path, format_args!("duplicate `{key}` key"));
                    return skip_value(&meta);
                }
                seen.push(key);
            }
            if meta.path.is_ident("name") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                let name = lit.value();
                if args.name.is_some() {
                    errors.spanned(&meta.path, "duplicate `name` key");
                } else if name.is_empty() || name == "__start__" || name == "__end__" {
                    errors.spanned(&lit, format_args!("{name:?} cannot name a node"));
                } else {
                    args.name = Some(lit);
                }
                Ok(())
            } else if meta.path.is_ident("crate") {
                let krate = args.krate.get_or_insert_with(Krate::new);
                krate.parse(errors, &meta)
            } else if args.policy.parse_key(errors, &meta)? {
                Ok(())
            } else {
                let key = meta.path.get_ident().map_or_else(|| "path".to_owned(), ToString::to_string);
                errors.spanned(
                    &meta.path,
                    format_args!(
                        "unknown `node` key `{key}`; expected `name = \"...\"`, `crate = \"...\"`, or one of {}",
                        keys()
                    ),
                );
                skip_value(&meta)
            }
        });
        if let Err(e) = syn::parse::Parser::parse2(parser, tokens) {
            errors.push(e);
        }
        args
    }
}

fn keys() -> String {
    KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// A node function's signature, as the handle needs it.
pub(crate) struct Signature {
    /// `S` of `state: &S`.
    pub(crate) state: syn::Type,
    /// `Ctx` of `ctx: &Ctx`, when taken.
    pub(crate) ctx: Option<syn::Type>,
    /// The declared return type.
    pub(crate) output: syn::Type,
}

const SHAPE: &str = "a node is `async fn name(state: &State, ctx: &Ctx) -> NodeResult<Update>` (`ctx` optional; \
                     `NodeResult<Command<State>>` also allowed)";

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
        let mut refs = Vec::new();
        for (i, input) in sig.inputs.iter().enumerate() {
            match input {
                syn::FnArg::Receiver(r) => errors.spanned(r, "a node is a free function, not a method"),
                syn::FnArg::Typed(pat) => match &*pat.ty {
                    syn::Type::Reference(r) if r.mutability.is_none() => refs.push((*r.elem).clone()),
                    syn::Type::Reference(r) => errors
                        .spanned(r, "a node reads the state and returns an update: take it as `&State`, not `&mut`"),
                    ty => errors.spanned(
                        ty,
                        if i == 0 { "expected `&State`: a node borrows the state" } else { "expected `&Ctx`" },
                    ),
                },
            }
        }
        if sig.inputs.is_empty() || sig.inputs.len() > 2 {
            let at = if sig.inputs.is_empty() { sig.paren_token.span.join() } else { sig.inputs.span() };
            errors.at(at, format_args!("expected one or two arguments; {SHAPE}"));
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
        let mut refs = refs.into_iter();
        Some(Self { state: refs.next()?, ctx: refs.next(), output: output? })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use quote::quote;

    use super::*;
    use crate::node::policy::Criticality;

    #[test]
    fn every_policy_key_is_parsed_into_the_model() {
        let mut errors = Errors::new();
        let args = NodeArgs::parse(
            &mut errors,
            quote!(
                name = "extract",
                retry(max_attempts = 5, initial = "1s", factor = 1.5, max = "1m", jitter = false),
                timeout = "30s",
                breaker = "ocr",
                degrade = no_text,
                compensate = undo,
                fallback = other::node
            ),
        );
        assert!(errors.is_empty());
        assert_eq!(args.name.map(|n| n.value()).as_deref(), Some("extract"));
        let p = &args.policy;
        let retry = &p.retry.as_ref().map(|r| &r.value).unwrap();
        assert_eq!(retry.max_attempts, Some(5));
        assert_eq!((retry.initial, retry.max), (Some(Duration::from_secs(1)), Some(Duration::from_secs(60))));
        assert_eq!((retry.factor, retry.jitter), (Some(1.5), Some(false)));
        assert_eq!(p.timeout.as_ref().map(|t| t.value), Some(Duration::from_secs(30)));
        assert_eq!(p.breaker.as_ref().map(|b| b.value.value()).as_deref(), Some("ocr"));
        assert!(
            matches!(&p.criticality.as_ref().unwrap().value, Criticality::Degrade(path) if path.is_ident("no_text"))
        );
        assert!(p.compensate.as_ref().unwrap().value.is_ident("undo"));
        assert_eq!(p.fallback.as_ref().unwrap().value.segments.len(), 2);
        let expanded = p.expand(&quote!(core), &syn::parse_quote!(S)).to_string();
        for call in [". retry (", ". timeout (", ". breaker (", ". degrade (", ". compensate (", ". fallback ("] {
            assert!(expanded.contains(call), "{call} missing from {expanded}");
        }
    }

    #[test]
    fn no_key_expands_to_nothing_and_retry_alone_takes_the_defaults() {
        let mut errors = Errors::new();
        let args = NodeArgs::parse(&mut errors, quote!(name = "x"));
        assert!(errors.is_empty() && args.policy.expand(&quote!(core), &syn::parse_quote!(S)).is_empty());
        let args = NodeArgs::parse(&mut errors, quote!(retry));
        assert!(errors.is_empty());
        assert!(args.policy.retry.as_ref().is_some_and(|r| r.value.max_attempts.is_none()));
    }

    #[test]
    fn all_mistakes_of_one_attribute_are_collected() {
        let mut errors = Errors::new();
        let _ =
            NodeArgs::parse(&mut errors, quote!(timeout = "soon", nmae = "x", retry(max_attempts = 0), timeout = "1s"));
        assert_eq!(errors.len(), 4, "bad duration, unknown key, zero attempts, duplicate key");
    }
}
