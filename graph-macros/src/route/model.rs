//! The validated model of a `#[derive(Route)]` enum.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use crate::errors::{Errors, skip_value};
use crate::krate::Krate;

/// A route enum: its branches and the state it routes.
pub(crate) struct RouteModel<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) krate: Krate,
    pub(crate) state: State,
    pub(crate) variants: Vec<Variant<'a>>,
}

/// How the state type is known.
pub(crate) enum State {
    /// `#[route(state = T)]`.
    Given(syn::Type),
    /// The state of the first node target (by its index in the target list).
    OfNode(usize),
    /// `T` of a fan-out variant's `Vec<T>`.
    OfSend(syn::Type),
}

/// One variant: a branch labelled with its name.
pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) targets: Vec<Target>,
    /// The type of the fan-out inputs, for `Variant(Vec<State>)`.
    pub(crate) send: Option<&'a syn::Type>,
}

/// Where a branch goes.
pub(crate) enum Target {
    /// `END`.
    End(proc_macro2::Span),
    /// A `#[node]` handle.
    Node(syn::Path),
    /// A node added by name with `add_node`.
    Name(syn::LitStr),
}

impl Parse for Target {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::LitStr) {
            return Ok(Target::Name(input.parse()?));
        }
        let path = input
            .call(syn::Path::parse_mod_style)
            .map_err(|e| syn::Error::new(e.span(), "expected a `#[node]` function, `END`, or a node name in quotes"))?;
        Ok(if path.is_ident("END") { Target::End(path.segments[0].ident.span()) } else { Target::Node(path) })
    }
}

impl Target {
    fn key(&self) -> String {
        match self {
            Target::End(_) => "END".to_owned(),
            Target::Node(p) => quote::quote!(#p).to_string(),
            Target::Name(l) => format!("{:?}", l.value()),
        }
    }
}

impl<'a> RouteModel<'a> {
    pub(crate) fn from_ast(errors: &mut Errors, input: &'a syn::DeriveInput) -> Option<Self> {
        let mut krate = Krate::new();
        let mut given: Option<syn::Type> = None;
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("route")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    krate.parse(errors, &meta)
                } else if meta.path.is_ident("state") {
                    let ty: syn::Type = meta.value()?.parse()?;
                    if given.is_some() {
                        errors.spanned(&meta.path, "duplicate `state` key");
                    } else {
                        given = Some(ty);
                    }
                    Ok(())
                } else {
                    errors.spanned(&meta.path, "unknown `route` key; expected `state = Type` or `crate = \"path\"`");
                    skip_value(&meta)
                }
            });
            if let Err(e) = parsed {
                errors.push(e);
            }
        }
        let data = match &input.data {
            syn::Data::Enum(data) => data,
            syn::Data::Struct(s) => {
                errors.spanned(s.struct_token, "`#[derive(Route)]` needs an enum whose variants name their targets");
                return None;
            }
            syn::Data::Union(u) => {
                errors.spanned(u.union_token, "`#[derive(Route)]` needs an enum whose variants name their targets");
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            errors.spanned(&input.generics, "`#[derive(Route)]` does not support generic enums");
        }
        if data.variants.is_empty() {
            errors.spanned(&input.ident, "a route needs at least one variant");
        }
        let variants: Vec<_> = data.variants.iter().map(|v| Variant::from_ast(errors, v)).collect();
        let state = match given {
            Some(ty) => Some(State::Given(ty)),
            None => {
                let nodes = variants.iter().flat_map(|v| &v.targets).filter(|t| matches!(t, Target::Node(_)));
                if nodes.count() > 0 {
                    Some(State::OfNode(0))
                } else if let Some(ty) = variants.iter().find_map(|v| v.send.and_then(vec_item)) {
                    Some(State::OfSend(ty.clone()))
                } else {
                    if !data.variants.is_empty() {
                        errors.spanned(
                            &input.ident,
                            "no target names a `#[node]`, so the state type is unknown: add `#[route(state = YourState)]`",
                        );
                    }
                    None
                }
            }
        };
        Some(Self { ident: &input.ident, krate, state: state?, variants })
    }
}

impl<'a> Variant<'a> {
    fn from_ast(errors: &mut Errors, variant: &'a syn::Variant) -> Self {
        let mut targets: Vec<Target> = Vec::new();
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("to")) {
            match attr.parse_args_with(Punctuated::<Target, syn::Token![,]>::parse_terminated) {
                Ok(list) => {
                    for target in list {
                        if targets.iter().any(|t| t.key() == target.key()) {
                            let at = match &target {
                                Target::End(span) => *span,
                                Target::Node(p) => syn::spanned::Spanned::span(p),
                                Target::Name(l) => l.span(),
                            };
                            errors.at(at, format_args!("duplicate target `{}`", target.key()));
                        } else {
                            targets.push(target);
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if targets.is_empty() {
            errors.spanned(
                &variant.ident,
                format_args!(
                    "route variant `{}` has no target: add `#[to(node)]`, `#[to(a, b)]` or `#[to(END)]`",
                    variant.ident
                ),
            );
        }
        let send = match &variant.fields {
            syn::Fields::Unit => None,
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => Some(&f.unnamed[0].ty),
            fields => {
                errors.spanned(
                    fields,
                    "a route variant is a unit (one branch), or carries the fan-out inputs as one `Vec<State>` field",
                );
                None
            }
        };
        Self { ident: &variant.ident, targets, send }
    }
}

/// `T` of `Vec<T>`.
fn vec_item(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    match (last.ident == "Vec", args.args.first()) {
        (true, Some(syn::GenericArgument::Type(t))) => Some(t),
        _ => None,
    }
}
