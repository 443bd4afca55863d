//! Durable checkpointers for [stategraph](https://docs.rs/stategraph).
//!
//! [`SledSaver`] keeps threads in an embedded [sled](https://docs.rs/sled)
//! database: every checkpoint, with the task records it ends, is one atomic
//! batch; `Sync` durability flushes it before the next node starts, and
//! concurrent runs share one flush. Every stored value is an envelope with a
//! format version, a kind and a CRC-32, so damage is an error, never a panic
//! or a wrong state.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod envelope;
mod flush;
mod keys;
mod saver;

pub use saver::{SledConfig, SledSaver, StoreStats};
