//! Typed state and how each field merges: the [`State`] trait and its reducers.
//!
//! A state is a user struct; its update type has one optional value per field
//! plus the set of reducer fields that are overwritten instead of merged.
//! `#[derive(State)]` writes both; the trait also stands without the macro.

mod input;
mod messages;
mod reducer;
mod traits;

pub use input::Input;
pub use messages::{MessageId, Messages};
pub use reducer::{Add, Append, LastValue, Merge, Overwrites, Reducer, reduce, set};
pub use traits::State;
