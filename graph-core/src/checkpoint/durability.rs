use serde::{Deserialize, Serialize};

/// When a run's checkpoints reach stable storage.
///
/// | mode | written | a killed process loses | power loss loses |
/// |---|---|---|---|
/// | `Sync` | after every task, flushed before the next node starts | nothing finished | nothing finished |
/// | `Async` | after every task, flushed in the background | nothing finished | the last moments of work |
/// | `Exit` | once, when the run stops | the whole run in flight | the whole run in flight |
///
/// "Loses" means: the lost tasks run again on resume, with the same
/// idempotency keys. What a store's "written" survives is up to the store;
/// [`MemorySaver`](super::MemorySaver) survives nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Durability {
    /// Every finished task is durable before the next node starts (default).
    #[default]
    Sync,
    /// Every finished task is written at once and made durable in the
    /// background, while the next step runs.
    Async,
    /// Only the final checkpoint is written, when the run completes, fails or
    /// stops for a human.
    Exit,
}
