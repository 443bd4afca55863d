//! Checkpoints: the [`Checkpointer`] trait that stores a thread's history, the
//! records it stores, and [`MemorySaver`].
//!
//! The executor writes one [`CheckpointRecord`] after every super-step and one
//! [`TaskRecord`] for each task that finishes before its step does. A
//! checkpoint's body holds either a full snapshot of the state or only the
//! writes of its step (a delta on its parent); [`SnapshotPolicy`] decides which.
//! Stores see bodies as opaque bytes: they keep, order and return them.

mod body;
mod dead_letter;
mod durability;
mod error;
mod listing;
mod memory;
mod record;
mod saver;
mod snapshot_policy;

pub use dead_letter::DeadLetter;
pub use durability::Durability;
pub use error::CheckpointError;
pub use listing::{Listing, Unreadable};
pub use memory::MemorySaver;
pub use record::{
    CheckpointId, CheckpointRecord, DeadLetterChange, HistoryQuery, RecordKind, TaskRecord, TaskStatus, ThreadWrite,
};
pub use saver::Checkpointer;
pub use snapshot_policy::SnapshotPolicy;

pub(crate) use body::{
    CheckpointBodyRef, Completion, EXTERNAL_TASK, GotoBody, JoinProgress, PendingTask, RollbackBody, Source, Stop,
    TaskBody, TaskOutcomeBody, ViaBody, Write, decode_checkpoint, decode_task, encode,
};
