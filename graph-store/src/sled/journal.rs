//! The write-ahead journal in front of sled.
//!
//! Every change to the database is first appended to one file as a frame
//! (its operations, the journal's epoch and a CRC-32), then applied to sled
//! without a flush. Making writes durable is then one `sync_file_range` of
//! that file on the caller's thread, the same guarantee as sled's own flush,
//! without sled's hand-off to its I/O threads.
//!
//! On open, the frames of the current epoch are applied to sled again (in
//! order, so the last write of a key wins), sled is flushed, and the epoch is
//! bumped: frames of an older epoch are ignored from then on, and new frames
//! overwrite them from the start of the file. When the file is full the same
//! roll-over happens: flush sled, bump the epoch, start again at offset 0.
//!
//! A frame that is cut short or fails its CRC ends the journal (a write the
//! kill interrupted was never acknowledged); one followed by a valid frame of
//! the same epoch is damage in the middle, and opening the store fails.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use stategraph_core::checkpoint::CheckpointError;

use super::sync;

/// One change to the database.
#[derive(Debug)]
pub(crate) enum Op {
    /// Sets `key` to `value`.
    Insert(Vec<u8>, Vec<u8>),
    /// Removes `key`.
    Remove(Vec<u8>),
}

const INSERT: u8 = 1;
const REMOVE: u8 = 2;

impl Op {
    fn encoded_len(&self) -> usize {
        match self {
            Op::Insert(key, value) => 9 + key.len() + value.len(),
            Op::Remove(key) => 5 + key.len(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let (tag, key, value) = match self {
            Op::Insert(key, value) => (INSERT, key, Some(value)),
            Op::Remove(key) => (REMOVE, key, None),
        };
        out.push(tag);
        put_bytes(out, key);
        if let Some(value) = value {
            put_bytes(out, value);
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Keys and values are far below 4 GiB: a frame's length is checked
    // against u32 before it is written.
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Frame header: body length (u32), CRC-32 of epoch and body (u32), epoch (u64).
const HEADER: usize = 16;

/// The sled tree holding the journal's epoch.
const META_TREE: &str = "stategraph.journal";
const EPOCH_KEY: &[u8] = b"epoch";

/// Journal file size of a durable store: rolled over when full.
const DURABLE_CAPACITY: u64 = 4 << 20;
/// Journal file size of a temporary store.
const TEMPORARY_CAPACITY: u64 = 256 << 10;

/// The journal file and where the next frame goes.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    /// Whether [`Journal::sync`] reaches the disk (false for a temporary store).
    durable: bool,
    remove_on_drop: bool,
    meta: sled::Tree,
    tail: Mutex<Tail>,
}

#[derive(Debug)]
struct Tail {
    /// Offset of the next frame.
    end: u64,
    /// The file's length: zeros written and synced, so that appends never
    /// change its size or allocation.
    capacity: u64,
    epoch: u64,
}

/// Where [`Journal::commit`] was told to write only if a key is absent, and
/// the key was there.
#[derive(Debug)]
pub(crate) struct Present;

impl Journal {
    /// Opens the journal at `path` for `db`, replays the frames of the
    /// current epoch into it, flushes it, and starts a new epoch.
    /// `durable: false` (a temporary store) skips the syncs and removes the
    /// file on drop.
    pub(crate) fn open(path: &Path, db: &sled::Db, durable: bool) -> Result<Self, CheckpointError> {
        let fail =
            |what: &str, e: io::Error| CheckpointError::store(format!("{what} the journal {}", path.display()), e);
        let meta = db.open_tree(META_TREE).map_err(sled_error)?;
        let epoch = match meta.get(EPOCH_KEY).map_err(sled_error)? {
            None => 0,
            Some(bytes) => u64::from_be_bytes(<[u8; 8]>::try_from(&bytes[..]).map_err(|_| {
                let reason = format!("its epoch record in the store is {} bytes, not 8", bytes.len());
                damaged(path, 0, reason)
            })?),
        };
        // A temporary store starts empty, whatever an earlier process left
        // under the same name.
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(!durable).open(path);
        let file = file.map_err(|e| fail("cannot open", e))?;
        let mut bytes = Vec::new();
        (&file).read_to_end(&mut bytes).map_err(|e| fail("cannot read", e))?;
        for ops in frames(&bytes, epoch).map_err(|(offset, reason)| damaged(path, offset, reason))? {
            apply(db, ops).map_err(sled_error)?;
        }
        let journal = Self {
            file,
            path: path.to_owned(),
            durable,
            remove_on_drop: !durable,
            meta,
            tail: Mutex::new(Tail { end: 0, capacity: bytes.len() as u64, epoch }),
        };
        let minimum = if durable { DURABLE_CAPACITY } else { TEMPORARY_CAPACITY };
        journal.roll_over(db, &mut journal.lock(), minimum)?;
        Ok(journal)
    }

    /// Appends `ops` as one frame and applies them to `db`, all or none. With
    /// `absent`, writes only if that key is not in `db` (checked under the
    /// same lock, so two writers cannot both pass). Not durable until
    /// [`Journal::sync`].
    pub(crate) fn commit(
        &self,
        db: &sled::Db,
        ops: Vec<Op>,
        absent: Option<&[u8]>,
    ) -> Result<Result<(), Present>, CheckpointError> {
        let mut tail = self.lock();
        if let Some(key) = absent
            && db.contains_key(key).map_err(sled_error)?
        {
            return Ok(Err(Present));
        }
        let body = ops.iter().map(Op::encoded_len).sum::<usize>();
        if u32::try_from(body).is_err() {
            return Err(CheckpointError::store(
                "a write of 4 GiB or more",
                io::Error::from(io::ErrorKind::InvalidInput),
            ));
        }
        let size = (HEADER + body) as u64;
        if tail.end + size > tail.capacity {
            self.roll_over(db, &mut tail, size)?;
        }
        // Encoded after any roll-over, in the epoch it is written in.
        let frame = encode(tail.epoch, &ops, body);
        sync::write_at(&self.file, &frame, tail.end).map_err(|e| self.io_error(e))?;
        tail.end += frame.len() as u64;
        apply(db, ops).map_err(sled_error)?;
        Ok(Ok(()))
    }

    /// Makes every frame appended so far durable.
    pub(crate) fn sync(&self) -> Result<(), CheckpointError> {
        if !self.durable {
            return Ok(());
        }
        sync::written_data(&self.file).map_err(|e| self.io_error(e))
    }

    /// The journal file's size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.lock().capacity
    }

    /// Flushes `db` (every frame is applied to it), bumps the epoch and
    /// starts again at offset 0, with room for at least `room` bytes.
    fn roll_over(&self, db: &sled::Db, tail: &mut Tail, room: u64) -> Result<(), CheckpointError> {
        db.flush().map_err(sled_error)?;
        let epoch = tail.epoch + 1;
        self.meta.insert(EPOCH_KEY, &epoch.to_be_bytes()).map_err(sled_error)?;
        db.flush().map_err(sled_error)?;
        tail.epoch = epoch;
        tail.end = 0;
        if room > tail.capacity {
            self.grow(tail, room)?;
        }
        Ok(())
    }

    /// Writes zeros up to `room` bytes (whole 64 KiB pieces) and syncs the
    /// file's new size and blocks, so that later appends only overwrite.
    fn grow(&self, tail: &mut Tail, room: u64) -> Result<(), CheckpointError> {
        static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
        let capacity = room.div_ceil(ZEROS.len() as u64) * ZEROS.len() as u64;
        let mut at = tail.capacity;
        while at < capacity {
            let n = (capacity - at).min(ZEROS.len() as u64);
            sync::write_at(&self.file, &ZEROS[..n as usize], at).map_err(|e| self.io_error(e))?;
            at += n;
        }
        if self.durable {
            self.file.sync_all().map_err(|e| self.io_error(e))?;
        }
        tail.capacity = capacity;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Tail> {
        // A panic while holding the lock leaves `Tail` consistent: `end`
        // moves only after a frame is fully written.
        self.tail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn io_error(&self, e: io::Error) -> CheckpointError {
        CheckpointError::store(format!("cannot write the journal {}", self.path.display()), e)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn sled_error(e: sled::Error) -> CheckpointError {
    CheckpointError::store("sled failed", e)
}

fn damaged(path: &Path, offset: usize, reason: String) -> CheckpointError {
    let message = format!("the journal {} is damaged at byte {offset}: {reason}", path.display());
    CheckpointError::store(message.clone(), io::Error::new(io::ErrorKind::InvalidData, message))
}

/// Applies one frame's operations to `db` atomically.
fn apply(db: &sled::Db, mut ops: Vec<Op>) -> sled::Result<()> {
    if let [Op::Insert(..)] = &ops[..]
        && let Some(Op::Insert(key, value)) = ops.pop()
    {
        // One key: sled writes it atomically without a batch marker.
        db.insert(key, value)?;
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for op in ops {
        match op {
            Op::Insert(key, value) => batch.insert(key, value),
            Op::Remove(key) => batch.remove(key),
        }
    }
    db.apply_batch(batch)
}

/// The frame of `ops` in `epoch`; `body` is their encoded length, checked
/// to fit a u32.
fn encode(epoch: u64, ops: &[Op], body: usize) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER + body);
    frame.extend_from_slice(&(body as u32).to_le_bytes());
    frame.extend_from_slice(&[0; 4]);
    frame.extend_from_slice(&epoch.to_le_bytes());
    for op in ops {
        op.encode(&mut frame);
    }
    let crc = crc32fast::hash(&frame[8..]);
    frame[4..8].copy_from_slice(&crc.to_le_bytes());
    frame
}

/// What lies at an offset of the journal.
enum Frame {
    /// A whole frame of the current epoch, and where the next one starts.
    Valid(Vec<Op>, usize),
    /// Zeros, an older epoch's frame, or the end of the file.
    End,
    /// A frame cut short or failing its CRC; where the next would start if
    /// its length is whole.
    Torn(Option<usize>),
}

/// The operations of every frame of `epoch`, in order; `Err` names the
/// offset and the damage.
fn frames(bytes: &[u8], epoch: u64) -> Result<Vec<Vec<Op>>, (usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        match frame_at(bytes, at, epoch)? {
            Frame::Valid(ops, next) => {
                out.push(ops);
                at = next;
            }
            Frame::End => return Ok(out),
            Frame::Torn(next) => {
                // A write cut short by the kill is the last frame; a valid
                // frame after a damaged one means the damage is not a torn tail.
                if let Some(next) = next
                    && matches!(frame_at(bytes, next, epoch), Ok(Frame::Valid(..)))
                {
                    return Err((at, "a frame fails its checksum and later frames follow".to_owned()));
                }
                return Ok(out);
            }
        }
    }
}

fn frame_at(bytes: &[u8], at: usize, epoch: u64) -> Result<Frame, (usize, String)> {
    let Some(header) = bytes.get(at..at + HEADER) else { return Ok(Frame::End) };
    let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let (len, crc) = (word(0) as usize, word(4));
    let frame_epoch = u64::from(word(8)) | u64::from(word(12)) << 32;
    if len == 0 && crc == 0 {
        return Ok(Frame::End);
    }
    let end = at + HEADER + len;
    let Some(body) = bytes.get(at + HEADER..end) else { return Ok(Frame::Torn(None)) };
    if crc32fast::hash(&bytes[at + 8..end]) != crc {
        return Ok(Frame::Torn(Some(end)));
    }
    if frame_epoch < epoch {
        return Ok(Frame::End);
    }
    if frame_epoch > epoch {
        return Err((at, format!("a frame of epoch {frame_epoch} is newer than the store's epoch {epoch}")));
    }
    let ops = decode(body).ok_or_else(|| (at, "a frame passes its checksum but does not decode".to_owned()))?;
    Ok(Frame::Valid(ops, end))
}

fn decode(mut body: &[u8]) -> Option<Vec<Op>> {
    fn take<'a>(body: &mut &'a [u8]) -> Option<&'a [u8]> {
        let (len, rest) = body.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (bytes, rest) = (rest.get(..len)?, &rest[len..]);
        *body = rest;
        Some(bytes)
    }
    let mut ops = Vec::new();
    while let Some((&tag, rest)) = body.split_first() {
        body = rest;
        let key = take(&mut body)?.to_vec();
        ops.push(match tag {
            INSERT => Op::Insert(key, take(&mut body)?.to_vec()),
            REMOVE => Op::Remove(key),
            _ => return None,
        });
    }
    (!ops.is_empty()).then_some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(n: u8) -> Vec<Op> {
        vec![Op::Insert(vec![b'k', n], vec![n; 3]), Op::Remove(vec![b'r', n])]
    }

    fn frame(epoch: u64, ops: &[Op]) -> Vec<u8> {
        encode(epoch, ops, ops.iter().map(Op::encoded_len).sum())
    }

    fn journal(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = frames.concat();
        bytes.resize(bytes.len() + 64, 0);
        bytes
    }

    fn keys(frames: &[Vec<Op>]) -> Vec<Vec<u8>> {
        frames
            .iter()
            .flatten()
            .map(|op| match op {
                Op::Insert(key, _) | Op::Remove(key) => key.clone(),
            })
            .collect()
    }

    #[test]
    fn frames_of_the_current_epoch_read_back_in_order() {
        let bytes = journal(&[frame(3, &ops(1)), frame(3, &ops(2))]);
        let read = frames(&bytes, 3).unwrap();
        assert_eq!(keys(&read), [b"k\x01", b"r\x01", b"k\x02", b"r\x02"]);
        assert!(matches!(&read[0][0], Op::Insert(_, value) if value == &[1, 1, 1]));
    }

    #[test]
    fn an_older_epoch_ends_the_journal() {
        let bytes = journal(&[frame(3, &ops(1)), frame(2, &ops(2)), frame(3, &ops(3))]);
        assert_eq!(keys(&frames(&bytes, 3).unwrap()), [b"k\x01", b"r\x01"]);
        assert!(frames(&bytes, 4).unwrap().is_empty());
    }

    #[test]
    fn a_torn_last_frame_ends_the_journal() {
        let (first, second) = (frame(0, &ops(1)), frame(0, &ops(2)));
        for cut in 1..second.len() {
            let bytes = [&first[..], &second[..cut]].concat();
            assert_eq!(keys(&frames(&bytes, 0).unwrap()), [b"k\x01", b"r\x01"], "cut at {cut}");
        }
        let mut flipped = [&first[..], &second[..]].concat();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(frames(&flipped, 0).unwrap().len(), 1);
    }

    #[test]
    fn damage_before_a_valid_frame_is_an_error_naming_the_offset() {
        let (first, second) = (frame(0, &ops(1)), frame(0, &ops(2)));
        let mut bytes = journal(&[first.clone(), second]);
        bytes[HEADER + 2] ^= 0xFF;
        let (offset, reason) = frames(&bytes, 0).err().unwrap();
        assert_eq!(offset, 0);
        assert!(reason.contains("checksum"), "{reason}");
    }

    #[test]
    fn a_newer_epoch_or_a_frame_that_does_not_decode_is_an_error() {
        assert!(frames(&journal(&[frame(5, &ops(1))]), 4).is_err());
        let mut frame = frame(0, &ops(1));
        frame[HEADER] = 9; // an unknown operation, with a fresh checksum
        let crc = crc32fast::hash(&frame[8..]);
        frame[4..8].copy_from_slice(&crc.to_le_bytes());
        assert!(frames(&journal(&[frame]), 0).is_err());
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stategraph-journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    fn temporary_db() -> sled::Db {
        sled::Config::new().temporary(true).open().unwrap()
    }

    /// A database that lost everything but the journal's epoch, as sled
    /// may after a kill: the journal alone must bring the writes back.
    fn replayed(path: &Path, from: &sled::Db) -> sled::Db {
        let db = temporary_db();
        let epoch = from.open_tree(META_TREE).unwrap().get(EPOCH_KEY).unwrap().unwrap();
        db.open_tree(META_TREE).unwrap().insert(EPOCH_KEY, epoch).unwrap();
        drop(Journal::open(path, &db, true).unwrap());
        db
    }

    #[test]
    fn reopening_replays_every_committed_write_in_order() {
        let path = scratch("replay");
        let db = temporary_db();
        let journal = Journal::open(&path, &db, true).unwrap();
        journal.commit(&db, vec![Op::Insert(b"a".to_vec(), b"1".to_vec())], None).unwrap().unwrap();
        let both = vec![Op::Insert(b"b".to_vec(), b"2".to_vec()), Op::Remove(b"a".to_vec())];
        journal.commit(&db, both, None).unwrap().unwrap();
        let refused = journal.commit(&db, vec![Op::Insert(b"b".to_vec(), b"3".to_vec())], Some(b"b"));
        assert!(matches!(refused, Ok(Err(Present))), "b is present: not written");
        journal.sync().unwrap();
        drop(journal);

        let db = replayed(&path, &db);
        assert_eq!(db.get(b"a").unwrap(), None, "removed after it was written");
        assert_eq!(db.get(b"b").unwrap().as_deref(), Some(&b"2"[..]));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_full_journal_rolls_over_and_only_the_new_epoch_replays() {
        let path = scratch("roll-over");
        let db = temporary_db();
        let journal = Journal::open(&path, &db, true).unwrap();
        let value = vec![7u8; 100 << 10];
        // 4 MiB of journal holds about 40 of these; the 50th lands after a roll-over.
        for i in 0..50u8 {
            journal.commit(&db, vec![Op::Insert(vec![i], value.clone())], None).unwrap().unwrap();
        }
        assert_eq!(journal.size(), DURABLE_CAPACITY, "rolled over, not grown");
        drop(journal);

        let db = replayed(&path, &db);
        assert!(db.get([49]).unwrap().is_some_and(|v| v == value), "written after the roll-over");
        assert_eq!(db.get([0]).unwrap(), None, "flushed to sled before the roll-over, not replayed");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_frame_larger_than_the_file_grows_it() {
        let path = scratch("grow");
        let db = temporary_db();
        let journal = Journal::open(&path, &db, false).unwrap();
        let value = vec![1u8; 300 << 10];
        journal.commit(&db, vec![Op::Insert(b"big".to_vec(), value.clone())], None).unwrap().unwrap();
        assert!(journal.size() > 300 << 10);
        assert_eq!(db.get(b"big").unwrap().as_deref(), Some(&value[..]));
        drop(journal);
        assert!(!path.exists(), "a temporary store's journal is removed with it");
    }

    #[test]
    fn zeros_and_an_empty_file_hold_no_frames() {
        assert!(frames(&[], 0).unwrap().is_empty());
        assert!(frames(&[0; 100], 0).unwrap().is_empty());
        assert!(frames(&[0; 5], 0).unwrap().is_empty());
    }
}
