//! The resilience keys of `#[node(...)]`, parsed and validated into
//! [`Policy`], and expanded into a `NodePolicy` on the node's spec.

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use super::duration;
use crate::errors::{Errors, skip_value};

/// A parsed key: the key's token (for spans) and its value.
pub(crate) struct Keyed<T> {
    pub(crate) key: syn::Ident,
    pub(crate) value: T,
}

/// The node's resilience policy, as written.
///
#[derive(Default)]
pub(crate) struct Policy {
    pub(crate) retry: Option<Keyed<Retry>>,
    pub(crate) timeout: Option<Keyed<Duration>>,
    pub(crate) breaker: Option<Keyed<syn::LitStr>>,
    pub(crate) criticality: Option<Keyed<Criticality>>,
    pub(crate) compensate: Option<Keyed<syn::Path>>,
    pub(crate) fallback: Option<Keyed<syn::Path>>,
}

/// `retry(...)`: each value `None` where the default applies.
#[derive(Default)]
pub(crate) struct Retry {
    pub(crate) max_attempts: Option<u32>,
    pub(crate) initial: Option<Duration>,
    pub(crate) factor: Option<f64>,
    pub(crate) max: Option<Duration>,
    pub(crate) jitter: Option<bool>,
}

/// What a failure of the node means for the run.
pub(crate) enum Criticality {
    /// The run stops (the default).
    Critical,
    /// The update of this `fn(&State) -> Update` applies and the run goes on.
    Degrade(syn::Path),
    /// The node's writes are dropped and the run goes on.
    Optional,
}

/// The keys this module reads.
pub(crate) const KEYS: &[&str] =
    &["retry", "timeout", "breaker", "critical", "degrade", "optional", "compensate", "fallback"];

impl Policy {
    /// Parses one policy key; `Ok(false)` if `meta` is not one. Errors in the
    /// value are pushed to `errors` and the value consumed, so parsing goes on.
    pub(crate) fn parse_key(&mut self, errors: &mut Errors, meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
        let Some(key) = meta.path.get_ident().cloned() else { return Ok(false) };
        let name = key.to_string();
        match name.as_str() {
            "retry" => {
                let retry = parse_retry(errors, meta)?;
                set(errors, &mut self.retry, key, retry);
            }
            "timeout" => {
                let lit: syn::LitStr = meta.value()?.parse()?;
                if let Some(d) = parse_duration(errors, &lit) {
                    if d.is_zero() {
                        errors.spanned(&lit, "a timeout must be longer than zero");
                    }
                    set(errors, &mut self.timeout, key, d);
                }
            }
            "breaker" => {
                let lit: syn::LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() {
                    errors.spanned(&lit, "a breaker needs a service name, e.g. `breaker = \"ocr\"`");
                }
                set(errors, &mut self.breaker, key, lit);
            }
            "critical" | "optional" | "degrade" => {
                let value = match name.as_str() {
                    "critical" => Criticality::Critical,
                    "optional" => Criticality::Optional,
                    _ => Criticality::Degrade(meta.value()?.parse()?),
                };
                if let Some(prev) = &self.criticality {
                    errors.spanned(
                        &key,
                        format_args!(
                            "`{name}` conflicts with `{}`: a node is one of `critical`, `degrade = fn` or `optional`",
                            prev.key
                        ),
                    );
                } else {
                    self.criticality = Some(Keyed { key, value });
                }
            }
            "compensate" => {
                let path = meta.value()?.parse()?;
                set(errors, &mut self.compensate, key, path);
            }
            "fallback" => {
                let path = meta.value()?.parse()?;
                set(errors, &mut self.fallback, key, path);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Calls on the node's `NodeSpec` (named `spec`) that apply the policy;
    /// empty when the attribute names no policy key.
    pub(crate) fn expand(&self, core: &TokenStream, state: &syn::Type) -> TokenStream {
        let policy = quote!(#core::policy);
        let mut calls = Vec::new();
        if let Some(Keyed { key, value }) = &self.retry {
            let retry = value.expand(&policy);
            calls.push(quote_spanned!(key.span()=> .retry(#retry)));
        }
        if let Some(Keyed { key, value }) = &self.timeout {
            let limit = duration_tokens(*value);
            calls.push(quote_spanned!(key.span()=> .timeout(#limit)));
        }
        if let Some(Keyed { key, value }) = &self.breaker {
            calls.push(quote_spanned!(key.span()=> .breaker(#value)));
        }
        if let Some(Keyed { key, value }) = &self.criticality {
            calls.push(match value {
                Criticality::Critical => quote_spanned!(key.span()=> .critical()),
                Criticality::Optional => quote_spanned!(key.span()=> .optional()),
                // Spanned at the path: a function of the wrong type is an
                // error there.
                Criticality::Degrade(path) => quote_spanned!(path.span()=> .degrade(#path)),
            });
        }
        if let Some(Keyed { value, .. }) = &self.fallback {
            calls.push(quote_spanned!(value.span()=> .fallback(#value)));
        }
        if let Some(Keyed { value, .. }) = &self.compensate {
            calls.push(quote_spanned!(value.span()=> .compensate(#value)));
        }
        if calls.is_empty() {
            return TokenStream::new();
        }
        quote! {
            let spec = spec.with_policy(#policy::NodePolicy::<#state>::new() #(#calls)*);
        }
    }
}

impl Retry {
    /// A `RetryPolicy` expression: the defaults, with what was written.
    fn expand(&self, policy: &TokenStream) -> TokenStream {
        let mut retry = match self.max_attempts {
            Some(n) => quote!(#policy::RetryPolicy::new(#n)),
            None => quote!(<#policy::RetryPolicy as ::core::default::Default>::default()),
        };
        if let Some(initial) = self.initial {
            let initial = duration_tokens(initial);
            retry = quote!(#retry.initial(#initial));
        }
        if let Some(factor) = self.factor {
            retry = quote!(#retry.factor(#factor));
        }
        if let Some(max) = self.max {
            let max = duration_tokens(max);
            retry = quote!(#retry.max_interval(#max));
        }
        if let Some(jitter) = self.jitter {
            retry = quote!(#retry.jitter(#jitter));
        }
        retry
    }
}

/// A `Duration` expression equal to `d`, to the nanosecond.
fn duration_tokens(d: Duration) -> TokenStream {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    quote!(::core::time::Duration::new(#secs, #nanos))
}

fn set<T>(errors: &mut Errors, slot: &mut Option<Keyed<T>>, key: syn::Ident, value: T) {
    if slot.is_some() {
        errors.spanned(&key, format_args!("duplicate `{key}` key"));
    } else {
        *slot = Some(Keyed { key, value });
    }
}

fn parse_duration(errors: &mut Errors, lit: &syn::LitStr) -> Option<Duration> {
    match duration::parse(&lit.value()) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.spanned(lit, format_args!("invalid duration {:?}: {e}; {}", lit.value(), duration::HELP));
            None
        }
    }
}

fn parse_retry(errors: &mut Errors, meta: &ParseNestedMeta<'_>) -> syn::Result<Retry> {
    let mut retry = Retry::default();
    if !meta.input.peek(syn::token::Paren) {
        // `retry` alone: the default policy.
        return Ok(retry);
    }
    let mut seen: Vec<String> = Vec::new();
    meta.parse_nested_meta(|inner| {
        let Some(key) = inner.path.get_ident().cloned() else {
            return Err(inner.error(RETRY_KEYS));
        };
        let name = key.to_string();
        if seen.contains(&name) {
            errors.spanned(&key, format_args!("duplicate `{name}` key"));
        }
        seen.push(name.clone());
        match name.as_str() {
            "max_attempts" => {
                let lit: syn::LitInt = inner.value()?.parse()?;
                match lit.base10_parse::<u32>() {
                    Ok(0) | Err(_) => errors.spanned(&lit, "`max_attempts` counts the first attempt: at least 1"),
                    Ok(n) => retry.max_attempts = Some(n),
                }
            }
            "initial" | "max" => {
                let lit: syn::LitStr = inner.value()?.parse()?;
                let d = parse_duration(errors, &lit);
                if name == "initial" { retry.initial = d } else { retry.max = d }
            }
            "factor" => {
                let lit: syn::Lit = inner.value()?.parse()?;
                let factor = match &lit {
                    syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
                    syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
                    _ => None,
                };
                match factor {
                    Some(f) if f.is_finite() && f >= 1.0 => retry.factor = Some(f),
                    _ => errors.spanned(&lit, "`factor` multiplies each backoff: a number of at least 1.0"),
                }
            }
            "jitter" => {
                let lit: syn::LitBool = inner.value()?.parse()?;
                retry.jitter = Some(lit.value);
            }
            _ => {
                errors.spanned(&key, format_args!("unknown `retry` key `{name}`; {RETRY_KEYS}"));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    if let (Some(initial), Some(max)) = (retry.initial, retry.max)
        && initial > max
    {
        errors.spanned(&meta.path, "`initial` backoff is longer than `max`");
    }
    Ok(retry)
}

const RETRY_KEYS: &str =
    "expected `max_attempts = 3`, `initial = \"500ms\"`, `factor = 2.0`, `max = \"128s\"` or `jitter = true`";
