//! Running threads: the super-step executor, its configuration, outcomes,
//! events, and the time-travel views of a thread.

mod advance;
mod api;
mod config;
mod error;
mod event;
mod load;
mod outcome;
mod runner;
mod snapshot;
mod step;
mod task;

pub use api::Run;
pub use config::{Resume, RunConfig};
pub use error::RunError;
pub use event::{Event, EventStream};
pub use outcome::{Outcome, RunResult};
pub use snapshot::{CheckpointSource, StateSnapshot, TaskState};
