use super::CheckpointId;

/// Why a checkpoint could not be stored or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A stored record is damaged, truncated, or not one of ours.
    #[error("corrupt record in thread {thread:?}{}: {reason}", at(.checkpoint))]
    Corrupt {
        /// The thread the record belongs to.
        thread: String,
        /// The checkpoint, when the damage is in or under one.
        checkpoint: Option<CheckpointId>,
        /// What is wrong.
        reason: String,
    },
    /// A stored state or update no longer deserializes into the state type (the
    /// type changed since it was written).
    #[error(
        "thread {thread:?} at checkpoint {checkpoint}: stored {what} does not fit the state type at `{path}`: {message}"
    )]
    StateDecode {
        /// The thread.
        thread: String,
        /// The checkpoint holding the value.
        checkpoint: CheckpointId,
        /// `state`, `update`, `task input`.
        what: &'static str,
        /// Where in the value it failed, as `field.sub[3]` (`.` for the root).
        path: String,
        /// The deserializer's message.
        message: String,
    },
    /// A checkpoint with this id is already stored: another run is writing the
    /// same thread.
    #[error("checkpoint {checkpoint} of thread {thread:?} already exists: another run is writing this thread")]
    Conflict {
        /// The thread.
        thread: String,
        /// The id written twice.
        checkpoint: CheckpointId,
    },
    /// This process no longer owns the thread: another worker took over its
    /// lease (this one was paused, partitioned or slow). Nothing was written,
    /// and the run stops at once: no further write, dead letter or rollback.
    #[error("thread {thread:?} is fenced: {reason}")]
    Fenced {
        /// The thread.
        thread: String,
        /// Who holds it now, or why the write was refused.
        reason: String,
    },
    /// The store failed (I/O, a lock held by another process, a closed store).
    #[error("checkpoint store: {message}")]
    Store {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}

fn at(checkpoint: &Option<CheckpointId>) -> String {
    checkpoint.map(|c| format!(" at checkpoint {c}")).unwrap_or_default()
}

impl CheckpointError {
    /// A store failure with its cause.
    pub fn store(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store { message: message.into(), source: Some(Box::new(source)) }
    }

    /// A corrupt record.
    pub fn corrupt(thread: &str, checkpoint: Option<CheckpointId>, reason: impl Into<String>) -> Self {
        Self::Corrupt { thread: thread.to_owned(), checkpoint, reason: reason.into() }
    }
}
