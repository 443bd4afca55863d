//! Writing a file's data at an offset, and to the disk.

use std::fs::File;
use std::io;

/// Waits until every written page of `file` has reached the disk, without
/// syncing its metadata: `sync_file_range` over the whole file on Linux,
/// sled's own durability call, and `fdatasync` elsewhere. The journal
/// writes only into blocks that were already written and synced, so no
/// metadata changes after its appends.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn written_data(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: a plain system call on a descriptor `file` keeps open for the
    // duration of the call; it reads no memory of ours. Offset 0 and length
    // 0 mean the whole file.
    let result = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, flags) };
    if result == 0 {
        return Ok(());
    }
    match io::Error::last_os_error() {
        // Filesystems without it (and some sandboxes).
        e if e.raw_os_error() == Some(libc::ENOSYS) => file.sync_data(),
        e => Err(e),
    }
}

/// See the Linux version: `fdatasync` here.
#[cfg(not(target_os = "linux"))]
pub(crate) fn written_data(file: &File) -> io::Result<()> {
    file.sync_data()
}

/// Writes all of `bytes` at `offset`.
#[cfg(unix)]
pub(crate) fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

/// Writes all of `bytes` at `offset`.
#[cfg(windows)]
pub(crate) fn write_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        match file.seek_write(bytes, offset) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                bytes = &bytes[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
