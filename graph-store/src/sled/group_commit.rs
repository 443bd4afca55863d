//! Group commit: concurrent `Sync` writers share one journal sync.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use stategraph_core::checkpoint::CheckpointError;
use tokio::sync::Mutex;

use super::journal::Journal;

/// Sequences writes and flushes. A writer takes a ticket after its write is
/// applied; a flush that starts after that covers it. While one flush runs,
/// the writers that arrive wait, and the next flush covers all of them.
#[derive(Debug, Default)]
pub(crate) struct GroupFlush {
    written: AtomicU64,
    flushed: AtomicU64,
    flushing: Mutex<()>,
    /// Flushes done, for the stats.
    pub(crate) flushes: AtomicU64,
}

impl GroupFlush {
    /// Makes every write applied before this call durable.
    pub(crate) async fn flush(&self, journal: &Arc<Journal>) -> Result<(), CheckpointError> {
        let ticket = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.flushing.lock().await;
        if self.flushed.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let upto = self.written.load(Ordering::SeqCst);
        if runs_alone() {
            // Nothing else could run while the flush blocks: skip the
            // hand-off to a blocking thread, which costs as much again.
            journal.sync()?;
            self.finished(upto);
            return Ok(());
        }
        let journal = Arc::clone(journal);
        match tokio::task::spawn_blocking(move || journal.sync()).await {
            Ok(result) => result?,
            Err(join) => return Err(CheckpointError::store("the journal sync did not finish", join)),
        }
        self.finished(upto);
        Ok(())
    }

    fn finished(&self, upto: u64) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.flushed.store(upto, Ordering::SeqCst);
    }
}

/// Whether the caller is the only work its runtime has: a plain `block_on`
/// with no spawned task alive (or no tokio runtime at all). Then a flush
/// on the calling thread delays nobody; otherwise it goes to tokio's
/// blocking pool, so the other runs keep going and share the next flush.
fn runs_alone() -> bool {
    tokio::runtime::Handle::try_current().map_or(true, |runtime| runtime.metrics().num_alive_tasks() == 0)
}
