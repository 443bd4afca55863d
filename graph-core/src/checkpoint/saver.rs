use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    CheckpointError, CheckpointId, CheckpointRecord, DeadLetter, DeadLetterChange, Durability, HistoryQuery, Listing,
    RecordKind, SnapshotPolicy, TaskRecord, ThreadWrite,
};

/// Where a graph keeps its threads: checkpoints, the task records of the step
/// in progress, and the list of threads.
///
/// The trait is object safe and free of any one store's types; the executor
/// holds it as `Arc<dyn Checkpointer>`. Records passed to one call land
/// together or not at all. With [`Durability::Sync`] a call returns only once
/// its records would survive a crash of the process; with `Async` it may
/// return once they are written and reach stable storage a little later.
///
/// ```
/// use stategraph::checkpoint::{Checkpointer, CheckpointId, CheckpointRecord, Durability, MemorySaver, RecordKind};
///
/// # tokio_test();
/// # fn tokio_test() {
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let saver = MemorySaver::new();
/// let record = CheckpointRecord {
///     id: CheckpointId::new(1),
///     parent: None,
///     step: 0,
///     created_at_ms: 0,
///     kind: RecordKind::Snapshot,
///     body: vec![1, 2, 3],
/// };
/// saver.put_checkpoint("t1", record.clone(), Vec::new(), Durability::Sync).await?;
/// assert_eq!(saver.checkpoint("t1", None).await?, Some(record));
/// assert_eq!(saver.threads().await?.items, vec!["t1".to_string()]);
/// # Ok::<_, stategraph::checkpoint::CheckpointError>(())
/// # }).unwrap();
/// # }
/// ```
#[async_trait]
pub trait Checkpointer: Send + Sync + fmt::Debug + 'static {
    /// Stores `write` for `thread` as one atomic change: its checkpoint (as
    /// the thread's latest), its task records (replacing any with the same
    /// checkpoint and task) and its change to the thread's dead letter land
    /// together or not at all. Every other write method is this one.
    ///
    /// # Errors
    /// [`CheckpointError::Conflict`] when the checkpoint's id is already
    /// stored (then nothing is written); [`CheckpointError::Fenced`] when
    /// this process no longer owns the thread; store failures.
    async fn put(&self, thread: &str, write: ThreadWrite, durability: Durability) -> Result<(), CheckpointError>;

    /// Stores `checkpoint` as the thread's latest, together with `tasks` (task
    /// records of the step it ends that were not stored before).
    ///
    /// # Errors
    /// [`CheckpointError::Conflict`] when the id is already stored; store failures.
    async fn put_checkpoint(
        &self,
        thread: &str,
        checkpoint: CheckpointRecord,
        tasks: Vec<TaskRecord>,
        durability: Durability,
    ) -> Result<(), CheckpointError> {
        self.put(thread, ThreadWrite::checkpoint(checkpoint).with_tasks(tasks), durability).await
    }

    /// Stores task records, replacing any with the same checkpoint and task.
    ///
    /// # Errors
    /// Store failures.
    async fn put_tasks(
        &self,
        thread: &str,
        tasks: Vec<TaskRecord>,
        durability: Durability,
    ) -> Result<(), CheckpointError> {
        self.put(thread, ThreadWrite::tasks(tasks), durability).await
    }

    /// The checkpoint `id` of `thread`, or its latest when `id` is `None`.
    ///
    /// # Errors
    /// [`CheckpointError::Corrupt`] for a damaged record; store failures.
    async fn checkpoint(
        &self,
        thread: &str,
        id: Option<CheckpointId>,
    ) -> Result<Option<CheckpointRecord>, CheckpointError>;

    /// The checkpoints needed to rebuild the state at `id`: from the nearest
    /// snapshot at or before it, up to `id`, oldest first.
    ///
    /// # Errors
    /// [`CheckpointError::Corrupt`] when a link of the chain is missing or damaged.
    async fn chain(&self, thread: &str, id: CheckpointId) -> Result<Vec<CheckpointRecord>, CheckpointError> {
        let mut chain = Vec::new();
        let mut next = Some(id);
        while let Some(id) = next {
            let record = self
                .checkpoint(thread, Some(id))
                .await?
                .ok_or_else(|| CheckpointError::corrupt(thread, Some(id), "a checkpoint of the chain is missing"))?;
            next = match record.kind {
                RecordKind::Snapshot => None,
                RecordKind::Delta => match record.parent {
                    Some(parent) if parent < record.id => Some(parent),
                    _ => return Err(CheckpointError::corrupt(thread, Some(id), "a delta has no older parent")),
                },
            };
            chain.push(record);
        }
        chain.reverse();
        Ok(chain)
    }

    /// The task records stored for the step that starts at `checkpoint`,
    /// ordered by task index.
    ///
    /// # Errors
    /// Store failures; damaged records.
    async fn tasks(&self, thread: &str, checkpoint: CheckpointId) -> Result<Vec<TaskRecord>, CheckpointError>;

    /// The thread's checkpoints, newest first.
    ///
    /// # Errors
    /// Store failures; damaged records.
    async fn history(&self, thread: &str, query: HistoryQuery) -> Result<Vec<CheckpointRecord>, CheckpointError>;

    /// Every thread with at least one checkpoint, in a stable order; a
    /// stored key that names no thread is listed as unreadable, and the
    /// listing goes on.
    ///
    /// # Errors
    /// Store failures.
    async fn threads(&self) -> Result<Listing<String>, CheckpointError>;

    /// Removes a thread and everything stored for it.
    ///
    /// # Errors
    /// Store failures.
    async fn delete_thread(&self, thread: &str) -> Result<(), CheckpointError>;

    /// Files a run that failed for good, replacing the thread's earlier
    /// letter, durably.
    ///
    /// # Errors
    /// Store failures.
    async fn put_dead_letter(&self, letter: DeadLetter) -> Result<(), CheckpointError> {
        let thread = letter.thread.clone();
        let write = ThreadWrite::default().with_dead_letter(DeadLetterChange::File(letter));
        self.put(&thread, write, Durability::Sync).await
    }

    /// Every dead letter, ordered by thread; a damaged letter is listed as
    /// unreadable, and the listing goes on.
    ///
    /// # Errors
    /// Store failures.
    async fn dead_letters(&self) -> Result<Listing<DeadLetter>, CheckpointError>;

    /// The thread's dead letter, if it has one.
    ///
    /// # Errors
    /// Store failures; damaged records.
    async fn dead_letter(&self, thread: &str) -> Result<Option<DeadLetter>, CheckpointError>;

    /// Removes the thread's dead letter; returns whether there was one.
    ///
    /// # Errors
    /// Store failures.
    async fn remove_dead_letter(&self, thread: &str) -> Result<bool, CheckpointError>;

    /// When checkpoints store the whole state; see [`SnapshotPolicy`].
    fn snapshot_policy(&self) -> SnapshotPolicy {
        SnapshotPolicy::default()
    }
}

#[async_trait]
impl<T: Checkpointer + ?Sized> Checkpointer for Arc<T> {
    async fn put(&self, thread: &str, write: ThreadWrite, durability: Durability) -> Result<(), CheckpointError> {
        (**self).put(thread, write, durability).await
    }

    async fn put_checkpoint(
        &self,
        thread: &str,
        checkpoint: CheckpointRecord,
        tasks: Vec<TaskRecord>,
        durability: Durability,
    ) -> Result<(), CheckpointError> {
        (**self).put_checkpoint(thread, checkpoint, tasks, durability).await
    }

    async fn put_tasks(
        &self,
        thread: &str,
        tasks: Vec<TaskRecord>,
        durability: Durability,
    ) -> Result<(), CheckpointError> {
        (**self).put_tasks(thread, tasks, durability).await
    }

    async fn checkpoint(
        &self,
        thread: &str,
        id: Option<CheckpointId>,
    ) -> Result<Option<CheckpointRecord>, CheckpointError> {
        (**self).checkpoint(thread, id).await
    }

    async fn chain(&self, thread: &str, id: CheckpointId) -> Result<Vec<CheckpointRecord>, CheckpointError> {
        (**self).chain(thread, id).await
    }

    async fn tasks(&self, thread: &str, checkpoint: CheckpointId) -> Result<Vec<TaskRecord>, CheckpointError> {
        (**self).tasks(thread, checkpoint).await
    }

    async fn history(&self, thread: &str, query: HistoryQuery) -> Result<Vec<CheckpointRecord>, CheckpointError> {
        (**self).history(thread, query).await
    }

    async fn threads(&self) -> Result<Listing<String>, CheckpointError> {
        (**self).threads().await
    }

    async fn delete_thread(&self, thread: &str) -> Result<(), CheckpointError> {
        (**self).delete_thread(thread).await
    }

    async fn put_dead_letter(&self, letter: DeadLetter) -> Result<(), CheckpointError> {
        (**self).put_dead_letter(letter).await
    }

    async fn dead_letters(&self) -> Result<Listing<DeadLetter>, CheckpointError> {
        (**self).dead_letters().await
    }

    async fn dead_letter(&self, thread: &str) -> Result<Option<DeadLetter>, CheckpointError> {
        (**self).dead_letter(thread).await
    }

    async fn remove_dead_letter(&self, thread: &str) -> Result<bool, CheckpointError> {
        (**self).remove_dead_letter(thread).await
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        (**self).snapshot_policy()
    }
}
