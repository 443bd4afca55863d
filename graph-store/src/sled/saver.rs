//! [`SledSaver`]: the [`Checkpointer`] on sled.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use stategraph_core::checkpoint::{
    CheckpointError, CheckpointId, CheckpointRecord, Checkpointer, DeadLetter, DeadLetterChange, Durability,
    HistoryQuery, Listing, SnapshotPolicy, TaskRecord, ThreadWrite, Unreadable,
};

use super::group_commit::GroupFlush;
use super::journal::{Journal, Op};
use super::keys;
use crate::codec::envelope::{Kind, open, seal};
use crate::codec::retention;

/// How a [`SledSaver`] opens its database.
#[derive(Clone, Debug)]
pub struct SledConfig {
    /// The database directory (created if missing).
    pub path: PathBuf,
    /// sled's page cache, in bytes (default 64 MiB).
    pub cache_capacity: u64,
    /// How often sled flushes on its own (default 500 ms). A killed process
    /// loses no write whatever the durability, since every write is in the
    /// journal first; this bounds what `Async` durability can lose when the
    /// machine itself goes down.
    pub flush_every_ms: Option<u64>,
    /// When checkpoints store the whole state (default: when the writes
    /// since the last snapshot reach twice its size, and every 64 while the
    /// state is under 1 KiB).
    pub snapshots: SnapshotPolicy,
    /// A throwaway database, removed when the saver is dropped.
    pub temporary: bool,
    /// Retention: keep about this many newest checkpoints per thread (plus
    /// what they need to be rebuilt), pruning as threads grow. `None` (the
    /// default) keeps everything.
    pub keep_last: Option<usize>,
}

impl SledConfig {
    /// The defaults, at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            cache_capacity: 64 * 1024 * 1024,
            flush_every_ms: Some(500),
            snapshots: SnapshotPolicy::default(),
            temporary: false,
            keep_last: None,
        }
    }

    /// Sets the retention policy: keep the newest `keep_last` checkpoints of
    /// every thread (pruned every 64 checkpoints, so a thread holds up to
    /// `keep_last + 64` plus the chains they need).
    pub fn keep_last(mut self, keep_last: usize) -> Self {
        self.keep_last = Some(keep_last.max(1));
        self
    }

    /// Sets the snapshot policy.
    pub fn snapshots(mut self, policy: SnapshotPolicy) -> Self {
        self.snapshots = policy;
        self
    }

    /// Sets the page cache size in bytes.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }

    /// Sets sled's background flush interval (`None`: only explicit flushes).
    pub fn flush_every_ms(mut self, ms: Option<u64>) -> Self {
        self.flush_every_ms = ms;
        self
    }
}

/// What a [`SledSaver`] holds and has written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Bytes of checkpoint and task records (sealed values, as LangGraph's
    /// checkpoint and write blob sizes count them) this saver wrote since it
    /// was opened. Keys and the per-thread latest pointer are not counted
    /// here; `stored_bytes` counts everything.
    pub written_bytes: u64,
    /// Bytes stored now, keys, values and pointers of all threads.
    pub stored_bytes: u64,
    /// The database's size on disk, its journal included.
    pub size_on_disk: u64,
    /// Journal syncs made for `Sync` writes (fewer than the writes when
    /// concurrent runs shared them).
    pub flushes: u64,
}

/// Keeps threads in an embedded sled database, so runs survive a killed
/// process and resume by thread id.
///
/// ```
/// use stategraph::checkpoint::Checkpointer;
/// use stategraph::SledSaver;
///
/// let saver = SledSaver::temporary()?;
/// assert_eq!(saver.snapshot_policy().interval, 64);
/// # Ok::<_, stategraph::checkpoint::CheckpointError>(())
/// ```
pub struct SledSaver {
    db: Arc<sled::Db>,
    journal: Arc<Journal>,
    path: PathBuf,
    policy: SnapshotPolicy,
    keep_last: Option<usize>,
    group: GroupFlush,
    written: AtomicU64,
}

impl fmt::Debug for SledSaver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledSaver").field("path", &self.path).field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl SledSaver {
    /// Opens (or creates) the database at `path` with the default config.
    ///
    /// # Errors
    /// [`CheckpointError::Store`] naming the path when sled cannot open it
    /// (permissions, another process holds it, a damaged database).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        Self::with_config(SledConfig::new(path.as_ref()))
    }

    /// A database in a temporary directory, removed on drop: for tests.
    ///
    /// # Errors
    /// [`CheckpointError::Store`] when sled cannot create it.
    pub fn temporary() -> Result<Self, CheckpointError> {
        let mut config = SledConfig::new(std::env::temp_dir().join("stategraph-temporary"));
        config.temporary = true;
        Self::with_config(config)
    }

    /// Opens the database `config` describes, and replays its journal: the
    /// writes a killed process made since sled last flushed.
    ///
    /// # Errors
    /// [`CheckpointError::Store`] naming the path when sled cannot open it,
    /// or naming the journal and the offset of its damage.
    pub fn with_config(config: SledConfig) -> Result<Self, CheckpointError> {
        let mut sled_config = sled::Config::new();
        // A temporary database gets a fresh random path from sled.
        if !config.temporary {
            sled_config = sled_config.path(&config.path);
        }
        let sled_config = sled_config
            .temporary(config.temporary)
            .cache_capacity(config.cache_capacity)
            .flush_every_ms(config.flush_every_ms);
        let db = open_when_free(&sled_config).map_err(|e| {
            let message = if is_lock_held(&e) {
                format!("the sled store at {} is in use by another process", config.path.display())
            } else {
                format!("cannot open the sled store at {}", config.path.display())
            };
            CheckpointError::store(message, e)
        })?;
        let journal = if config.temporary {
            static TEMPORARIES: AtomicUsize = AtomicUsize::new(0);
            let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
            std::env::temp_dir().join(format!("stategraph-journal-{}-{n}", std::process::id()))
        } else {
            config.path.join(JOURNAL_FILE)
        };
        let journal = Journal::open(&journal, &db, !config.temporary)?;
        Ok(Self {
            db: Arc::new(db),
            journal: Arc::new(journal),
            path: config.path,
            policy: config.snapshots,
            keep_last: config.keep_last,
            group: GroupFlush::default(),
            written: AtomicU64::new(0),
        })
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sizes and counts, for benchmarks and operators.
    ///
    /// # Errors
    /// Store failures.
    pub fn stats(&self) -> Result<StoreStats, CheckpointError> {
        let mut stored = 0u64;
        for entry in self.db.iter() {
            let (k, v) = entry.map_err(store_error)?;
            stored += (k.len() + v.len()) as u64;
        }
        Ok(StoreStats {
            written_bytes: self.written.load(Ordering::Relaxed),
            stored_bytes: stored,
            size_on_disk: self.db.size_on_disk().map_err(store_error)? + self.journal.size(),
            flushes: self.group.flushes.load(Ordering::Relaxed),
        })
    }

    /// Makes everything written so far durable.
    ///
    /// # Errors
    /// Store failures.
    pub async fn flush(&self) -> Result<(), CheckpointError> {
        self.group.flush(&self.journal).await
    }

    /// Removes old checkpoints of `thread`, keeping the newest `keep_last`
    /// and whatever they need to be rebuilt (their delta chains back to a
    /// snapshot). Returns how many checkpoints were removed.
    ///
    /// # Errors
    /// Damaged records; store failures.
    pub async fn prune(&self, thread: &str, keep_last: usize) -> Result<usize, CheckpointError> {
        let all = self.history(thread, HistoryQuery::all()).await?;
        let mut ops = Vec::new();
        let mut removed = 0;
        for id in retention::removable(&all, keep_last) {
            ops.push(Op::Remove(keys::checkpoint(thread, id.as_u64())));
            let start = keys::task(thread, id.as_u64(), 0);
            let end = keys::task(thread, id.as_u64(), u32::MAX);
            for entry in self.db.range(start..=end) {
                ops.push(Op::Remove(entry.map_err(store_error)?.0.to_vec()));
            }
            removed += 1;
        }
        if !ops.is_empty() {
            self.write(ops)?;
        }
        self.flush().await?;
        Ok(removed)
    }

    /// Journals and applies `ops`, all or none; durable after [`Self::flush`].
    fn write(&self, ops: Vec<Op>) -> Result<(), CheckpointError> {
        // Without a key that must be absent, the write always goes ahead.
        self.journal.commit(&self.db, ops, None).map(drop)
    }

    async fn settle(&self, durability: Durability) -> Result<(), CheckpointError> {
        match durability {
            Durability::Async => Ok(()),
            // `Exit` writes once, at the end of a run: make that write durable.
            _ => self.flush().await,
        }
    }

    fn read_checkpoint(&self, thread: &str, key: &[u8], value: &[u8]) -> Result<CheckpointRecord, CheckpointError> {
        let id = key.len().checked_sub(8).map(|at| &key[at..]).and_then(|b| <[u8; 8]>::try_from(b).ok());
        let id = id.map(|b| CheckpointId::new(u64::from_be_bytes(b)));
        let record: CheckpointRecord =
            open(Kind::Checkpoint, value).map_err(|reason| CheckpointError::corrupt(thread, id, reason))?;
        if Some(record.id) != id {
            return Err(CheckpointError::corrupt(thread, id, "the record's id does not match its key"));
        }
        Ok(record)
    }
}

/// The journal's file name in the database directory.
const JOURNAL_FILE: &str = "stategraph.journal";

/// How long an open waits for a store that is being released: sled frees
/// its file lock from a background thread shortly after the last handle in
/// a process is dropped, so a store closed a moment ago can still look held.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens `config`'s database, waiting up to [`LOCK_WAIT`] while its lock is held.
fn open_when_free(config: &sled::Config) -> sled::Result<sled::Db> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(e) if is_lock_held(&e) && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            result => return result,
        }
    }
}

/// Whether sled failed to open because another handle holds the lock (sled
/// has no error variant for it; its message is the only sign).
fn is_lock_held(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// The bytes of the values `ops` write.
fn written_bytes(ops: &[Op]) -> u64 {
    ops.iter().map(|op| if let Op::Insert(_, value) = op { value.len() as u64 } else { 0 }).sum()
}

fn store_error(e: sled::Error) -> CheckpointError {
    CheckpointError::store("sled failed", e)
}

#[async_trait]
impl Checkpointer for SledSaver {
    async fn put(&self, thread: &str, write: ThreadWrite, durability: Durability) -> Result<(), CheckpointError> {
        let ThreadWrite { checkpoint, tasks, dead_letter, .. } = write;
        let mut ops = Vec::with_capacity(tasks.len() + 2);
        for task in &tasks {
            let (k, v) = (keys::task(thread, task.checkpoint.as_u64(), task.task), seal(Kind::Task, task));
            ops.push(Op::Insert(k, v));
        }
        match dead_letter {
            DeadLetterChange::File(letter) => {
                let letter = DeadLetter { thread: thread.to_owned(), ..letter };
                ops.push(Op::Insert(keys::prefix(keys::DEAD_LETTER, thread), seal(Kind::DeadLetter, &letter)));
            }
            DeadLetterChange::Remove => ops.push(Op::Remove(keys::prefix(keys::DEAD_LETTER, thread))),
            _ => {}
        }
        let mut absent = None;
        let mut pruned = None;
        if let Some(checkpoint) = &checkpoint {
            let key = keys::checkpoint(thread, checkpoint.id.as_u64());
            ops.push(Op::Insert(key.clone(), seal(Kind::Checkpoint, checkpoint)));
            absent = Some((key, checkpoint.id));
            // Retention runs every 64 checkpoints of a thread.
            pruned = self.keep_last.filter(|_| checkpoint.id.as_u64() % 64 == 0);
        }
        if ops.is_empty() {
            return Ok(());
        }
        let bytes = written_bytes(&ops);
        // With a checkpoint, written only if it is absent: one frame, one sync.
        let key = absent.as_ref().map(|(key, _)| &key[..]);
        if self.journal.commit(&self.db, ops, key)?.is_err() {
            let checkpoint = absent.map_or(CheckpointId::new(0), |(_, id)| id);
            return Err(CheckpointError::Conflict { thread: thread.to_owned(), checkpoint });
        }
        self.written.fetch_add(bytes, Ordering::Relaxed);
        self.settle(durability).await?;
        if let Some(keep) = pruned {
            // The latest checkpoint and its chain are always kept, so a
            // pending interrupt or an unfinished run can still resume.
            self.prune(thread, keep).await?;
        }
        Ok(())
    }

    async fn checkpoint(
        &self,
        thread: &str,
        id: Option<CheckpointId>,
    ) -> Result<Option<CheckpointRecord>, CheckpointError> {
        let Some(id) = id else {
            // The newest checkpoint is the thread's last key (ids only
            // grow): the greatest key below the end of its range, one seek.
            let prefix = keys::prefix(keys::CHECKPOINT, thread);
            return match self.db.get_lt(keys::prefix_end(&prefix)).map_err(store_error)? {
                Some((key, value)) if key.starts_with(&prefix) => self.read_checkpoint(thread, &key, &value).map(Some),
                _ => Ok(None),
            };
        };
        let key = keys::checkpoint(thread, id.as_u64());
        match self.db.get(&key).map_err(store_error)? {
            Some(bytes) => self.read_checkpoint(thread, &key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    async fn tasks(&self, thread: &str, checkpoint: CheckpointId) -> Result<Vec<TaskRecord>, CheckpointError> {
        let start = keys::task(thread, checkpoint.as_u64(), 0);
        let end = keys::task(thread, checkpoint.as_u64(), u32::MAX);
        let mut out = Vec::new();
        for entry in self.db.range(start..=end) {
            let (_, value) = entry.map_err(store_error)?;
            let record: TaskRecord = open(Kind::Task, &value).map_err(|reason| {
                CheckpointError::corrupt(thread, Some(checkpoint), format!("task record: {reason}"))
            })?;
            out.push(record);
        }
        Ok(out)
    }

    async fn history(&self, thread: &str, query: HistoryQuery) -> Result<Vec<CheckpointRecord>, CheckpointError> {
        let start = keys::checkpoint(thread, 0);
        let end = match query.before {
            Some(before) => keys::checkpoint(thread, before.as_u64()),
            None => keys::prefix_end(&keys::prefix(keys::CHECKPOINT, thread)),
        };
        let mut out = Vec::new();
        for entry in self.db.range(start..end).rev() {
            if query.limit.is_some_and(|limit| out.len() >= limit) {
                break;
            }
            let (key, value) = entry.map_err(store_error)?;
            out.push(self.read_checkpoint(thread, &key, &value)?);
        }
        Ok(out)
    }

    async fn threads(&self) -> Result<Listing<String>, CheckpointError> {
        // One seek per thread: from a thread's first checkpoint key, jump
        // past all of its keys to the next thread's.
        let mut out = Listing::default();
        let mut from = vec![keys::CHECKPOINT];
        while let Some(entry) = self.db.range(from..).next() {
            let (key, _) = entry.map_err(store_error)?;
            if key.first() != Some(&keys::CHECKPOINT) {
                break;
            }
            match keys::split(&key) {
                Some((thread, _)) => {
                    from = keys::prefix_end(&keys::prefix(keys::CHECKPOINT, &thread));
                    out.items.push(thread);
                }
                None => {
                    // Reported, then passed: the next key is the least one above it.
                    out.unreadable.push(Unreadable::new(keys::describe(&key), None, "the key names no thread"));
                    from = key.to_vec();
                    from.push(0);
                }
            }
        }
        Ok(out)
    }

    async fn delete_thread(&self, thread: &str) -> Result<(), CheckpointError> {
        let mut ops = Vec::new();
        for kind in [keys::CHECKPOINT, keys::TASK] {
            for entry in self.db.scan_prefix(keys::prefix(kind, thread)) {
                ops.push(Op::Remove(entry.map_err(store_error)?.0.to_vec()));
            }
        }
        ops.push(Op::Remove(keys::prefix(keys::DEAD_LETTER, thread)));
        // Stores written before the latest pointer was dropped have one.
        ops.push(Op::Remove(keys::prefix(keys::LEGACY_LATEST, thread)));
        self.write(ops)?;
        self.flush().await
    }

    async fn dead_letters(&self) -> Result<Listing<DeadLetter>, CheckpointError> {
        let mut out = Listing::default();
        for entry in self.db.scan_prefix([keys::DEAD_LETTER]) {
            let (key, value) = entry.map_err(store_error)?;
            let thread = keys::split(&key).filter(|(_, rest)| rest.is_empty()).map(|(t, _)| t);
            let letter = match &thread {
                Some(thread) => open::<DeadLetter>(Kind::DeadLetter, &value).and_then(|letter| {
                    if letter.thread == *thread {
                        Ok(letter)
                    } else {
                        Err(format!("the letter names thread {:?}", letter.thread))
                    }
                }),
                None => Err("the key names no thread".to_owned()),
            };
            match letter {
                Ok(letter) => out.items.push(letter),
                Err(reason) => out.unreadable.push(Unreadable::new(keys::describe(&key), thread, reason)),
            }
        }
        Ok(out)
    }

    async fn dead_letter(&self, thread: &str) -> Result<Option<DeadLetter>, CheckpointError> {
        match self.db.get(keys::prefix(keys::DEAD_LETTER, thread)).map_err(store_error)? {
            Some(value) => {
                open(Kind::DeadLetter, &value).map(Some).map_err(|r| CheckpointError::corrupt(thread, None, r))
            }
            None => Ok(None),
        }
    }

    async fn remove_dead_letter(&self, thread: &str) -> Result<bool, CheckpointError> {
        let key = keys::prefix(keys::DEAD_LETTER, thread);
        let removed = self.db.contains_key(&key).map_err(store_error)?;
        if removed {
            self.write(vec![Op::Remove(key)])?;
            self.flush().await?;
        }
        Ok(removed)
    }

    fn snapshot_policy(&self) -> SnapshotPolicy {
        self.policy
    }
}

impl SledSaver {
    /// The key under which checkpoint `id` of `thread` is stored, and the
    /// database, for tests that damage records on purpose.
    #[doc(hidden)]
    pub fn raw_checkpoint_key(&self, thread: &str, id: CheckpointId) -> (Vec<u8>, &sled::Db) {
        (keys::checkpoint(thread, id.as_u64()), &self.db)
    }

    /// The key of `thread`'s dead letter, and the database, for tests that
    /// damage records on purpose.
    #[doc(hidden)]
    pub fn raw_dead_letter_key(&self, thread: &str) -> (Vec<u8>, &sled::Db) {
        (keys::prefix(keys::DEAD_LETTER, thread), &self.db)
    }
}
