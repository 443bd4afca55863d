use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The state a graph runs on: a struct whose fields merge through reducers.
///
/// Every task of a super-step reads the same state and returns an
/// [`Update`](State::Update); the executor merges the updates of a step in task
/// order through [`apply`](State::apply). A last-value field written by two tasks
/// of one step is a conflict, reported by
/// [`exclusive_writes`](State::exclusive_writes).
///
/// Usually written by `#[derive(State)]`; by hand it looks like this:
///
/// ```
/// use stategraph::state::{Append, Overwrites, State, reduce, set};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Clone, Debug, Default, Serialize, Deserialize)]
/// struct Counter {
///     count: i64,
///     log: Vec<String>, // appended
/// }
///
/// #[derive(Clone, Debug, Default, Serialize, Deserialize)]
/// struct CounterUpdate {
///     #[serde(default, skip_serializing_if = "Option::is_none")]
///     count: Option<i64>,
///     #[serde(default, skip_serializing_if = "Option::is_none")]
///     log: Option<Vec<String>>,
///     #[serde(default, skip_serializing_if = "Overwrites::is_empty")]
///     overwrite: Overwrites,
/// }
///
/// impl State for Counter {
///     type Update = CounterUpdate;
///
///     fn apply(&mut self, update: CounterUpdate) {
///         set(&mut self.count, update.count);
///         reduce::<Append, _>(&mut self.log, update.log, update.overwrite.contains("log"));
///     }
///
///     fn exclusive_writes(update: &CounterUpdate, write: &mut dyn FnMut(&'static str)) {
///         if update.count.is_some() {
///             write("count");
///         }
///         if update.overwrite.contains("log") {
///             write("log");
///         }
///     }
///
///     fn into_update(self) -> CounterUpdate {
///         CounterUpdate { count: Some(self.count), log: Some(self.log), ..Default::default() }
///     }
/// }
///
/// let mut state = Counter::default();
/// state.apply(CounterUpdate { count: Some(1), log: Some(vec!["a".into()]), ..Default::default() });
/// state.apply(CounterUpdate { log: Some(vec!["b".into()]), ..Default::default() });
/// assert_eq!((state.count, state.log), (1, vec!["a".to_string(), "b".to_string()]));
/// ```
pub trait State: Clone + fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// A partial write to the state: one optional value per field.
    type Update: Clone + Default + fmt::Debug + Send + Sync + Serialize + DeserializeOwned + 'static;

    /// Merges `update` into `self`, each field through its reducer.
    ///
    /// Must be deterministic: a state rebuilt from a checkpoint replays the same
    /// updates in the same order and must come out equal.
    fn apply(&mut self, update: Self::Update);

    /// Calls `write` with the name of every field that `update` writes
    /// exclusively: last-value fields it sets, and reducer fields it overwrites.
    /// Two tasks of one super-step writing the same such field is a conflict.
    fn exclusive_writes(update: &Self::Update, write: &mut dyn FnMut(&'static str));

    /// The whole state as an update that writes every field, used to merge a new
    /// input into a thread that already has state.
    fn into_update(self) -> Self::Update;
}
