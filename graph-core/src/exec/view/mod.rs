//! Views of stored threads: the typed time-travel views (`snapshot`:
//! `state`, `history`, `update_state`) and the type-erased ones the CLI
//! reads (`inspect`).

pub mod inspect;
pub(crate) mod snapshot;
