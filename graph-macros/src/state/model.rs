//! The validated model of a `#[derive(State)]` struct.

use syn::spanned::Spanned;

use crate::errors::{Errors, skip_value};
use crate::krate::Krate;

/// A state struct: its name, its fields and how each merges.
pub(crate) struct StateModel<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) krate: Krate,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field of the state.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) ty: &'a syn::Type,
    pub(crate) reducer: Reducer,
}

impl Field<'_> {
    /// The field's name as the runtime reports it (`r#type` is `type`).
    pub(crate) fn name(&self) -> String {
        syn::ext::IdentExt::unraw(self.ident).to_string()
    }
}

/// How a field merges a written value.
pub(crate) enum Reducer {
    /// The default: a write replaces the value; exclusive within a step.
    LastValue,
    /// A built-in reducer, by its type name in `stategraph_core::state`, spanned at
    /// its keyword so a wrong field type is reported there and at the type.
    Builtin(syn::Ident),
    /// `with = path`: a `fn(&mut T, T)`.
    With(syn::Path),
}

impl<'a> StateModel<'a> {
    pub(crate) fn from_ast(errors: &mut Errors, input: &'a syn::DeriveInput) -> Option<Self> {
        let mut krate = Krate::new();
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("state")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    krate.parse(errors, &meta)
                } else {
                    errors.spanned(&meta.path, "unknown `state` key; the only key is `crate = \"path\"`");
                    skip_value(&meta)
                }
            });
            if let Err(e) = parsed {
                errors.push(e);
            }
        }
        if !input.generics.params.is_empty() {
            errors.spanned(&input.generics, "`#[derive(State)]` does not support generic states");
        }
        let named = match &input.data {
            syn::Data::Struct(syn::DataStruct { fields: syn::Fields::Named(named), .. }) => named,
            syn::Data::Struct(s) => {
                let at = match &s.fields {
                    syn::Fields::Unnamed(f) => f.span(),
                    _ => input.ident.span(),
                };
                errors.at(at, "`#[derive(State)]` needs a struct with named fields: each field is a channel the nodes write by name");
                return None;
            }
            syn::Data::Enum(e) => {
                errors.spanned(e.enum_token, "`#[derive(State)]` needs a struct with named fields, not an enum");
                return None;
            }
            syn::Data::Union(u) => {
                errors.spanned(u.union_token, "`#[derive(State)]` needs a struct with named fields, not a union");
                return None;
            }
        };
        let fields: Vec<Field<'a>> = named.named.iter().filter_map(|f| Field::from_ast(errors, f)).collect();
        for field in &fields {
            let name = field.name();
            if name == "__overwrite" {
                errors.spanned(field.ident, "`__overwrite` is the update type's own field; rename this one");
            }
            let clash = name.strip_prefix("overwrite_").and_then(|base| fields.iter().find(|f| f.name() == base));
            if let Some(base) = clash.filter(|f| !matches!(f.reducer, Reducer::LastValue)) {
                errors.spanned(
                    field.ident,
                    format_args!(
                        "`{name}` clashes with the update method that overwrites `{}`; rename it",
                        base.name()
                    ),
                );
            }
        }
        Some(Self { ident: &input.ident, vis: &input.vis, krate, fields })
    }

    /// Whether any field has a reducer (the update then carries overwrites).
    pub(crate) fn has_reducers(&self) -> bool {
        self.fields.iter().any(|f| !matches!(f.reducer, Reducer::LastValue))
    }
}

impl<'a> Field<'a> {
    fn from_ast(errors: &mut Errors, field: &'a syn::Field) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let mut reducer: Option<Reducer> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("reducer")) {
            if let syn::Meta::Path(_) = attr.meta {
                errors.spanned(attr, "expected `#[reducer(append)]`, `add`, `merge`, `messages` or `with = path`");
                continue;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                let parsed = parse_reducer(&meta)?;
                if reducer.is_some() {
                    return Err(meta.error("duplicate reducer: a field merges through one reducer"));
                }
                reducer = Some(parsed);
                Ok(())
            });
            if let Err(e) = parsed {
                errors.push(e);
            }
        }
        Some(Self { ident, vis: &field.vis, ty: &field.ty, reducer: reducer.unwrap_or(Reducer::LastValue) })
    }
}

fn parse_reducer(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Reducer> {
    let Some(key) = meta.path.get_ident() else {
        return Err(meta.error(UNKNOWN_REDUCER));
    };
    let builtin = |name: &str| Ok(Reducer::Builtin(syn::Ident::new(name, key.span())));
    match key.to_string().as_str() {
        "append" => builtin("Append"),
        "add" => builtin("Add"),
        "merge" => builtin("Merge"),
        "messages" => builtin("Messages"),
        "last_value" => Ok(Reducer::LastValue),
        "with" => {
            let value = meta.value()?;
            let path = if value.peek(syn::LitStr) {
                let lit: syn::LitStr = value.parse()?;
                lit.parse()?
            } else {
                value.parse()?
            };
            Ok(Reducer::With(path))
        }
        _ => Err(meta.error(format_args!("unknown reducer `{key}`; {UNKNOWN_REDUCER}"))),
    }
}

const UNKNOWN_REDUCER: &str =
    "expected `append`, `add`, `merge`, `messages`, `last_value` or `with = path::to::fn` (a `fn(&mut T, T)`)";
