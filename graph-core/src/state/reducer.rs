use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

/// How a field merges a written value into its current value.
///
/// The built-in reducers are [`LastValue`], [`Append`], [`Add`], [`Merge`]
/// and [`Messages`](super::Messages);
/// `#[reducer(with = path)]` uses a plain `fn(&mut T, T)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot merge a field of type `{T}`",
    label = "`{Self}` cannot merge this type",
    note = "`append` takes a `Vec`, `VecDeque` or `String`; `add` a number (`AddAssign`); `merge` a `BTreeMap` or \
            `HashMap`; `messages` a `Vec` of a type implementing `MessageId`; `with = path` takes any `fn(&mut T, T)`"
)]
pub trait Reducer<T> {
    /// Merges `update` into `current`.
    fn reduce(current: &mut T, update: T);
}

/// The default: the written value replaces the current one.
#[derive(Clone, Copy, Debug, Default)]
pub struct LastValue;

impl<T> Reducer<T> for LastValue {
    fn reduce(current: &mut T, update: T) {
        *current = update;
    }
}

/// Appends the written items to a list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Append;

impl<T> Reducer<Vec<T>> for Append {
    fn reduce(current: &mut Vec<T>, update: Vec<T>) {
        if current.is_empty() {
            *current = update;
        } else {
            current.extend(update);
        }
    }
}

impl<T> Reducer<VecDeque<T>> for Append {
    fn reduce(current: &mut VecDeque<T>, update: VecDeque<T>) {
        current.extend(update);
    }
}

impl Reducer<String> for Append {
    fn reduce(current: &mut String, update: String) {
        current.push_str(&update);
    }
}

/// Adds the written value to the current one (counters, costs).
#[derive(Clone, Copy, Debug, Default)]
pub struct Add;

impl<T: AddAssign> Reducer<T> for Add {
    fn reduce(current: &mut T, update: T) {
        *current += update;
    }
}

/// Merges maps key by key; a written key replaces the current value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Merge;

impl<K: Ord, V> Reducer<BTreeMap<K, V>> for Merge {
    fn reduce(current: &mut BTreeMap<K, V>, update: BTreeMap<K, V>) {
        current.extend(update);
    }
}

impl<K: Eq + Hash, V, H: BuildHasher> Reducer<HashMap<K, V, H>> for Merge {
    fn reduce(current: &mut HashMap<K, V, H>, update: HashMap<K, V, H>) {
        current.extend(update);
    }
}

/// Writes a last-value field: `Some(v)` replaces the current value.
pub fn set<T>(field: &mut T, update: Option<T>) {
    if let Some(value) = update {
        *field = value;
    }
}

/// Writes a reducer field: `Some(v)` merges through `R`, or replaces the current
/// value when `overwrite` is set.
pub fn reduce<R: Reducer<T>, T>(field: &mut T, update: Option<T>, overwrite: bool) {
    if let Some(value) = update {
        if overwrite {
            *field = value;
        } else {
            R::reduce(field, value);
        }
    }
}

/// The reducer fields an update overwrites instead of merging.
///
/// Empty in almost every update (it then costs no allocation and is skipped
/// when serialized). An overwrite is an exclusive write: two tasks of one
/// super-step overwriting the same field is a conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Overwrites(Vec<Cow<'static, str>>);

impl Overwrites {
    /// No field overwritten.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Marks `field` as overwritten.
    pub fn insert(&mut self, field: &'static str) {
        if !self.contains(field) {
            self.0.push(Cow::Borrowed(field));
        }
    }

    /// Whether `field` is overwritten.
    pub fn contains(&self, field: &str) -> bool {
        self.0.iter().any(|f| f == field)
    }

    /// Whether no field is overwritten.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Merges the overwrites of a later update into this one.
    pub fn extend(&mut self, other: Overwrites) {
        for field in other.0 {
            if !self.contains(&field) {
                self.0.push(field);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reducers_merge_as_named() {
        let mut log = vec![1];
        reduce::<Append, _>(&mut log, Some(vec![2, 3]), false);
        assert_eq!(log, [1, 2, 3]);
        reduce::<Append, _>(&mut log, Some(vec![9]), true);
        assert_eq!(log, [9]);

        let mut total = 1.5;
        reduce::<Add, _>(&mut total, Some(2.0), false);
        assert_eq!(total, 3.5);

        let mut map = BTreeMap::from([("a", 1), ("b", 2)]);
        reduce::<Merge, _>(&mut map, Some(BTreeMap::from([("b", 3), ("c", 4)])), false);
        assert_eq!(map, BTreeMap::from([("a", 1), ("b", 3), ("c", 4)]));

        let mut last = 1;
        set(&mut last, None);
        assert_eq!(last, 1);
        set(&mut last, Some(7));
        assert_eq!(last, 7);
    }

    #[test]
    fn overwrites_are_a_set_and_serialize_as_a_list() {
        let mut o = Overwrites::new();
        assert!(o.is_empty());
        o.insert("log");
        o.insert("log");
        assert!(o.contains("log") && !o.contains("docs"));
        assert_eq!(serde_json::to_string(&o).unwrap_or_default(), r#"["log"]"#);
    }
}
