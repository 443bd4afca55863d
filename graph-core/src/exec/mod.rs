//! Running threads: the super-step executor, its configuration, outcomes,
//! events, and the time-travel views of a thread.
//!
//! The code lives in rooms: `run/` is the run loop, `operate/` what works
//! around runs (worker pool, dead letters, budgets, reports, metrics),
//! `view/` the views of stored threads; the public types are re-exported
//! here, so every path stays `exec::...`.

mod api;
mod config;
mod error;
mod event;
mod health;
mod operate;
mod outcome;
pub(crate) mod run;
mod view;

pub use api::Run;
pub(crate) use operate::budget::Meter;
pub use operate::budget::{Budget, BudgetKind, Usage};
pub use operate::engine::{Engine, EngineConfig, EngineError, Ticket};
pub use operate::metrics;
pub use operate::report::{NodeSummary, OutcomeCounts, Percentiles, ReportSummary, RunReport, TaskReport, percentile};
pub use view::inspect;
pub use view::snapshot::{CheckpointSource, StateSnapshot, TaskState};

pub use config::{Resume, RunConfig};
pub use error::RunError;
pub use event::{Event, EventStream, PolicyEvent};
pub use health::{Degraded, FallbackUsed, NodeFailure, RunHealth, Skipped};
pub use outcome::{Outcome, RunResult};
