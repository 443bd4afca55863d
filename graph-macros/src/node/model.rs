//! The validated model of a `#[node]` attribute's arguments (the
//! function's signature is `signature`).

use proc_macro2::TokenStream;

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
