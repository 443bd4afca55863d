use std::fmt;

use super::State;

/// What a new run starts from.
///
/// A full state (`Input::from(state)`) starts a fresh thread as is; on a thread
/// that already has state it is merged through the reducers, every field
/// written. An update (`Input::Update`) writes only the fields it sets, which is
/// what continuing a conversation usually wants.
pub enum Input<S: State> {
    /// A whole state.
    State(S),
    /// A partial write, merged into the thread's latest state. Only a thread
    /// that already has state can take one.
    Update(S::Update),
}

impl<S: State> From<S> for Input<S> {
    fn from(state: S) -> Self {
        Input::State(state)
    }
}

impl<S: State> fmt::Debug for Input<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::State(s) => f.debug_tuple("State").field(s).finish(),
            Input::Update(u) => f.debug_tuple("Update").field(u).finish(),
        }
    }
}
