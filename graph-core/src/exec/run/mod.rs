//! The run loop (crate-private): a run's position and the super-step loop
//! (`runner`), running a step's tasks (`step`) and each task's attempts
//! and policies (`task`), ending a step (`advance`: reducers, routing,
//! joins, skips), the saga (`rollback`), rebuilding a position from the
//! store (`load`), and what a run's end files (`ending`).

pub(crate) mod advance;
pub(crate) mod ending;
pub(crate) mod load;
pub(crate) mod rollback;
pub(crate) mod runner;
pub(crate) mod step;
pub(crate) mod task;
