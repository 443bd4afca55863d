use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    CheckpointError, CheckpointId, CheckpointRecord, Checkpointer, DeadLetter, DeadLetterChange, Durability,
    HistoryQuery, Listing, SnapshotPolicy, TaskRecord, ThreadWrite,
};

/// Keeps every thread in memory: for tests, and for runs that need
/// interrupts and time travel but not to survive the process.
#[derive(Debug, Default)]
pub struct MemorySaver {
    threads: Mutex<HashMap<String, ThreadRecords>>,
    dead_letters: Mutex<BTreeMap<String, DeadLetter>>,
    policy: SnapshotPolicy,
}

#[derive(Debug, Default)]
struct ThreadRecords {
    checkpoints: BTreeMap<CheckpointId, CheckpointRecord>,
    tasks: BTreeMap<(CheckpointId, u32), TaskRecord>,
}

impl MemorySaver {
    /// An empty saver.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty saver with its own snapshot policy.
    pub fn with_snapshot_policy(policy: SnapshotPolicy) -> Self {
        Self { policy, ..Self::default() }
    }

    /// The total size of the stored bodies, checkpoints and task records.
    pub fn stored_bytes(&self) -> usize {
        self.lock()
            .values()
            .map(|t| {
                t.checkpoints.values().map(|c| c.body.len()).sum::<usize>()
                    + t.tasks.values().map(|r| r.body.len()).sum::<usize>()
            })
            .sum()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, ThreadRecords>> {
        lock(&self.threads)
    }
}

#[async_trait]
impl Checkpointer for MemorySaver {
    async fn put(&self, thread: &str, write: ThreadWrite, _durability: Durability) -> Result<(), CheckpointError> {
        let ThreadWrite { checkpoint, tasks, dead_letter } = write;
        // Both locks, in one order, for the whole write: a reader sees all
        // of it or none.
        let mut threads = self.lock();
        let mut letters = lock(&self.dead_letters);
        if let Some(checkpoint) = &checkpoint
            && threads.get(thread).is_some_and(|r| r.checkpoints.contains_key(&checkpoint.id))
        {
            return Err(CheckpointError::Conflict { thread: thread.to_owned(), checkpoint: checkpoint.id });
        }
        if checkpoint.is_some() || !tasks.is_empty() {
            let records = threads.entry(thread.to_owned()).or_default();
            for task in tasks {
                records.tasks.insert((task.checkpoint, task.task), task);
            }
            if let Some(checkpoint) = checkpoint {
                records.checkpoints.insert(checkpoint.id, checkpoint);
            }
        }
        match dead_letter {
            DeadLetterChange::Keep => {}
            DeadLetterChange::File(letter) => {
                letters.insert(thread.to_owned(), DeadLetter { thread: thread.to_owned(), ..letter });
            }
            DeadLetterChange::Remove => {
                letters.remove(thread);
            }
        }
        Ok(())
    }

    async fn checkpoint(
        &self,
        thread: &str,
        id: Option<CheckpointId>,
    ) -> Result<Option<CheckpointRecord>, CheckpointError> {
        let threads = self.lock();
        let Some(records) = threads.get(thread) else { return Ok(None) };
        Ok(match id {
            Some(id) => records.checkpoints.get(&id).cloned(),
            None => records.checkpoints.values().next_back().cloned(),
        })
    }

    async fn tasks(&self, thread: &str, checkpoint: CheckpointId) -> Result<Vec<TaskRecord>, CheckpointError> {
        let threads = self.lock();
        let Some(records) = threads.get(thread) else { return Ok(Vec::new()) };
        Ok(records.tasks.range((checkpoint, 0)..=(checkpoint, u32::MAX)).map(|(_, r)| r.clone()).collect())
    }

    async fn history(&self, thread: &str, query: HistoryQuery) -> Result<Vec<CheckpointRecord>, CheckpointError> {
        let threads = self.lock();
        let Some(records) = threads.get(thread) else { return Ok(Vec::new()) };
        let newest_first = records.checkpoints.values().rev().filter(|c| query.admits(c.id)).cloned();
        Ok(match query.limit {
            Some(limit) => newest_first.take(limit).collect(),
            None => newest_first.collect(),
        })
    }

    async fn threads(&self) -> Result<Listing<String>, CheckpointError> {
        let mut names: Vec<String> =
            self.lock().iter().filter(|(_, r)| !r.checkpoints.is_empty()).map(|(n, _)| n.clone()).collect();
        names.sort();
        Ok(Listing::from(names))
    }

    async fn delete_thread(&self, thread: &str) -> Result<(), CheckpointError> {
        self.lock().remove(thread);
        lock(&self.dead_letters).remove(thread);
        Ok(())
    }

    async fn dead_letters(&self) -> Result<Listing<DeadLetter>, CheckpointError> {
        Ok(Listing::from(lock(&self.dead_letters).values().cloned().collect::<Vec<_>>()))
    }

    async fn dead_letter(&self, thread: &str) -> Result<Option<DeadLetter>, CheckpointError> {
        Ok(lock(&self.dead_letters).get(thread).cloned())
    }

    async fn remove_dead_letter(&self, thread: &str) -> Result<bool, CheckpointError> {
        Ok(lock(&self.dead_letters).remove(thread).is_some())
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        self.policy
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every operation leaves the data consistent before it can panic, so a
    // poisoned lock still guards valid data.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
