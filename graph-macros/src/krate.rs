//! The path generated code reaches the runtime through, and its override.

use proc_macro2::TokenStream;
use quote::quote;
use syn::meta::ParseNestedMeta;

use crate::errors::Errors;

/// The facade crate generated code names: `::stategraph` unless
/// `crate = "..."` says otherwise (as serde's `crate` attribute does).
#[derive(Clone)]
pub(crate) struct Krate(Option<syn::Path>);

impl Krate {
    pub(crate) fn new() -> Self {
        Self(None)
    }

    /// Whether an override was given.
    pub(crate) fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Parses `crate = "path"`, the meta being at `crate`. A repeated key or
    /// a string that is not a path is reported to `errors`, and parsing goes on.
    pub(crate) fn parse(&mut self, errors: &mut Errors, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let lit: syn::LitStr = meta.value()?.parse()?;
        if self.is_set() {
            errors.spanned(&meta.path, "duplicate `crate` key");
            return Ok(());
        }
        match lit.parse::<syn::Path>() {
            Ok(path) => self.0 = Some(path),
            Err(_) => errors.spanned(&lit, format_args!("{:?} is not a path to the stategraph crate", lit.value())),
        }
        Ok(())
    }

    /// `<facade>::__private::stategraph_core`.
    pub(crate) fn core(&self) -> TokenStream {
        let facade = self.facade();
        quote!(#facade::__private::stategraph_core)
    }

    /// `<facade>::__private::serde`.
    pub(crate) fn serde(&self) -> TokenStream {
        let facade = self.facade();
        quote!(#facade::__private::serde)
    }

    fn facade(&self) -> TokenStream {
        match &self.0 {
            Some(path) => quote!(#path),
            None => quote!(::stategraph),
        }
    }
}
