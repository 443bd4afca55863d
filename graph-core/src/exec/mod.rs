//! Running threads: the super-step executor, its configuration, outcomes,
//! events, and the time-travel views of a thread.

mod advance;
mod api;
mod budget;
mod config;
mod dead_letter;
mod engine;
mod error;
mod event;
mod health;
pub mod inspect;
mod load;
pub mod metrics;
mod outcome;
mod report;
mod rollback;
mod runner;
mod snapshot;
mod step;
mod task;

pub use api::Run;
pub(crate) use budget::Meter;
pub use budget::{Budget, BudgetKind, Usage};
pub use config::{Resume, RunConfig};
pub use engine::{Engine, EngineConfig, EngineError, Ticket};
pub use error::RunError;
pub use event::{Event, EventStream, PolicyEvent};
pub use health::{Degraded, FallbackUsed, NodeFailure, RunHealth, Skipped};
pub use outcome::{Outcome, RunResult};
pub use report::{NodeSummary, OutcomeCounts, Percentiles, ReportSummary, RunReport, TaskReport, percentile};
pub use snapshot::{CheckpointSource, StateSnapshot, TaskState};
