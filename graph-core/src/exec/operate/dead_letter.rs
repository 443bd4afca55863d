//! The dead-letter queue: runs that ended `Failed` or `RolledBack` after
//! their retries, kept in the checkpointer for an operator to list, requeue
//! or purge.

use crate::checkpoint::{Checkpointer, DeadLetter};
use crate::exec::{Outcome, Resume, RunError, RunResult};
use crate::graph::CompiledGraph;
use crate::state::State;

impl<S: State> CompiledGraph<S> {
    fn dead_letter_store(&self, operation: &'static str) -> Result<&dyn Checkpointer, RunError> {
        self.saver.as_deref().ok_or(RunError::NoCheckpointer { operation })
    }

    /// The dead-letter queue: one letter per thread whose latest run ended
    /// `Failed` or `RolledBack` after its retries, ordered by thread. A
    /// damaged letter is left out here; the store's own
    /// [`Checkpointer::dead_letters`] reports it by key.
    ///
    /// # Errors
    /// [`RunError::NoCheckpointer`], or the store's error.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, RunError> {
        Ok(self.dead_letter_store("dead_letters")?.dead_letters().await?.into_items())
    }

    /// Runs a dead-lettered thread again from its checkpoint, as
    /// [`resume`](Self::resume) does: finished nodes are not run again, the
    /// failed one starts its attempts afresh. The letter is removed unless
    /// the run dead-ends again (then it holds the new failure). A rolled-back
    /// thread cannot be resumed ([`RunError::NotResumable`]): invoke it with
    /// new input instead.
    ///
    /// # Errors
    /// [`RunError::NoSuchThread`] when the thread has no letter, and those of
    /// [`resume`](Self::resume).
    pub async fn requeue(&self, thread: &str) -> Result<RunResult<S>, RunError> {
        let store = self.dead_letter_store("requeue")?;
        if store.dead_letter(thread).await?.is_none() {
            return Err(RunError::NoSuchThread { thread: thread.to_owned() });
        }
        let run = self.resume(thread, Resume::new()).await?;
        if !matches!(run.outcome, Outcome::Failed { .. } | Outcome::RolledBack { .. }) {
            store.remove_dead_letter(thread).await?;
        }
        Ok(run)
    }

    /// Removes the letters of `threads` (every letter when `None`, damaged
    /// ones of a known thread included), leaving the threads themselves;
    /// returns how many were removed.
    ///
    /// # Errors
    /// [`RunError::NoCheckpointer`], or the store's error.
    pub async fn purge_dead_letters(&self, threads: Option<&[&str]>) -> Result<usize, RunError> {
        let store = self.dead_letter_store("purge_dead_letters")?;
        let targets: Vec<String> = match threads {
            Some(threads) => threads.iter().map(|t| (*t).to_owned()).collect(),
            None => {
                let listing = store.dead_letters().await?;
                let damaged = listing.unreadable.into_iter().filter_map(|u| u.thread);
                listing.items.into_iter().map(|l| l.thread).chain(damaged).collect()
            }
        };
        let mut removed = 0;
        for thread in targets {
            removed += usize::from(store.remove_dead_letter(&thread).await?);
        }
        Ok(removed)
    }
}
