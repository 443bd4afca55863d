//! Durable checkpointers for [stategraph](https://docs.rs/stategraph).
//!
//! [`SledSaver`] keeps threads in an embedded [sled](https://docs.rs/sled)
//! database with a write-ahead journal in front of it: every checkpoint, with
//! the task records it ends, is one journal frame, appended and then applied
//! to sled as one atomic batch. `Sync` durability syncs the journal before
//! the next node starts, and concurrent runs share one sync; a reopened
//! store replays the journal into sled. Every stored value is an envelope
//! with a format version, a kind and a CRC-32, and every journal frame has
//! its own CRC-32, so damage is an error, never a panic or a wrong state.

#![warn(clippy::unwrap_used, clippy::expect_used)]

mod codec;
mod sled;

pub use crate::sled::{SledConfig, SledSaver, StoreStats};
