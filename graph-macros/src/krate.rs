//! The path generated code reaches the runtime through, and its override.

use proc_macro2::TokenStream;
use quote::quote;
use syn::meta::ParseNestedMeta;

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

    /// Parses `crate = "path"`, the meta being at `crate`.
    pub(crate) fn parse(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let lit: syn::LitStr = meta.value()?.parse()?;
        let path: syn::Path =
            lit.parse().map_err(|e| syn::Error::new(lit.span(), format!("invalid crate path: {e}")))?;
        self.0 = Some(path);
        Ok(())
    }

    /// `<facade>::__private::graph_core`.
    pub(crate) fn core(&self) -> TokenStream {
        let facade = self.facade();
        quote!(#facade::__private::graph_core)
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
