//! Resilience policies: what happens when a node fails. Retry with backoff,
//! per-attempt timeouts, circuit breakers shared by every run of a graph, and
//! what a failure after retries means for the run (critical, degrade,
//! optional, fallback, compensation).

mod breaker;
mod node_policy;
mod retry;

pub use breaker::{BreakerConfig, BreakerState, Breakers};
pub use node_policy::{DegradeFn, NodePolicy, OnFailure};
pub use retry::RetryPolicy;

pub(crate) use breaker::{Admission, Breaker};
