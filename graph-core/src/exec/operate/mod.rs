//! What operates around runs: the worker pool (`engine`), the dead-letter
//! queue (`dead_letter`), budgets (`budget`), per-run reports and their
//! aggregate (`report`), and the `metrics`-facade instruments (`metrics`).

pub(crate) mod budget;
pub(crate) mod dead_letter;
pub(crate) mod engine;
pub mod metrics;
pub(crate) mod report;
