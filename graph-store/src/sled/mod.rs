//! The embedded sled store: [`SledSaver`], its key layout, the
//! write-ahead journal in front of sled, and the group commit that lets
//! concurrent runs share one journal sync.

mod group_commit;
mod journal;
mod keys;
mod saver;
mod sync;

pub use saver::{SledConfig, SledSaver, StoreStats};
