use std::fmt;

/// What a store lists when some of its records cannot be read: every
/// readable item, and each unreadable record by its key, so that one
/// damaged record hides nothing else.
///
/// ```
/// use stategraph::checkpoint::{Listing, Unreadable};
///
/// let mut listing = Listing::from(vec!["t1".to_string()]);
/// listing.unreadable.push(Unreadable::new("c\"t2\"", Some("t2".into()), "the checksum does not match"));
/// assert_eq!(listing.items, ["t1"]);
/// assert!(!listing.is_complete());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listing<T> {
    /// The items that read back, in the store's order.
    pub items: Vec<T>,
    /// The records that did not, in key order.
    pub unreadable: Vec<Unreadable>,
}

impl<T> Listing<T> {
    /// Whether every record was readable.
    pub fn is_complete(&self) -> bool {
        self.unreadable.is_empty()
    }

    /// The readable items, dropping the report of unreadable ones.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self { items: Vec::new(), unreadable: Vec::new() }
    }
}

impl<T> From<Vec<T>> for Listing<T> {
    /// A listing where everything was readable.
    fn from(items: Vec<T>) -> Self {
        Self { items, unreadable: Vec::new() }
    }
}

/// A stored record a listing could not read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unreadable {
    /// The record's key as the store spells it, with control characters
    /// and bytes that are not UTF-8 escaped.
    pub key: String,
    /// The thread it belongs to, when the key names one.
    pub thread: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

impl Unreadable {
    /// An unreadable record.
    pub fn new(key: impl Into<String>, thread: Option<String>, reason: impl Into<String>) -> Self {
        Self { key: key.into(), thread, reason: reason.into() }
    }
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable record {}: {}", self.key, self.reason)
    }
}
