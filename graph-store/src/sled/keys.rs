//! Key layout. Every key starts with a one-byte kind, then the thread id
//! escaped so that no thread's keys are a prefix of another's and threads
//! sort by their bytes, then a big-endian suffix:
//!
//! | kind | suffix | value |
//! |------|--------|-------|
//! | `c`  | checkpoint id (8) | checkpoint record |
//! | `t`  | checkpoint id (8), task index (4) | task record |
//! | `d`  | none | dead letter |

pub(crate) const CHECKPOINT: u8 = b'c';
pub(crate) const TASK: u8 = b't';
/// The per-thread latest-checkpoint pointer of earlier stores: the newest
/// checkpoint is now the thread's last `c` key. Removed with the thread.
pub(crate) const LEGACY_LATEST: u8 = b'l';
pub(crate) const DEAD_LETTER: u8 = b'd';

/// `kind`, then `thread` with each 0x00 written as 0x00 0xFF, then 0x00 0x00.
pub(crate) fn prefix(kind: u8, thread: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(thread.len() + 3 + 12);
    key.push(kind);
    for &b in thread.as_bytes() {
        key.push(b);
        if b == 0 {
            key.push(0xFF);
        }
    }
    key.extend_from_slice(&[0, 0]);
    key
}

pub(crate) fn checkpoint(thread: &str, id: u64) -> Vec<u8> {
    let mut key = prefix(CHECKPOINT, thread);
    key.extend_from_slice(&id.to_be_bytes());
    key
}

pub(crate) fn task(thread: &str, checkpoint: u64, task: u32) -> Vec<u8> {
    let mut key = prefix(TASK, thread);
    key.extend_from_slice(&checkpoint.to_be_bytes());
    key.extend_from_slice(&task.to_be_bytes());
    key
}

/// The thread a `kind`-prefixed key belongs to, and the rest of the key.
pub(crate) fn split(key: &[u8]) -> Option<(String, &[u8])> {
    let mut thread = Vec::new();
    let mut i = 1;
    while i < key.len() {
        match (key[i], key.get(i + 1)) {
            (0, Some(0)) => return String::from_utf8(thread).ok().map(|t| (t, &key[i + 2..])),
            (0, Some(0xFF)) => {
                thread.push(0);
                i += 2;
            }
            (0, _) => return None,
            (b, _) => {
                thread.push(b);
                i += 1;
            }
        }
    }
    None
}

/// A key past every checkpoint and task key of `prefix`'s thread and before
/// the next thread's: their suffixes start with a checkpoint id, counted up
/// from 1, so its first byte is never 0xFF.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    end.push(0xFF);
    end
}

/// `key` for people: its kind letter, the thread id quoted with control
/// characters escaped, then the suffix as numbers (`c"t1"#7`, `t"t1"#7.0`,
/// `d"t1"`); a key that does not decode is its bytes, escaped.
pub(crate) fn describe(key: &[u8]) -> String {
    let number = |bytes: &[u8]| bytes.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
    match (key.first().copied(), split(key)) {
        (Some(kind @ (CHECKPOINT | TASK | DEAD_LETTER | LEGACY_LATEST)), Some((thread, rest))) => {
            let mut out = format!("{}{thread:?}", kind as char);
            match (kind, rest.len()) {
                (CHECKPOINT, 8) => out.push_str(&format!("#{}", number(rest))),
                (TASK, 12) => out.push_str(&format!("#{}.{}", number(&rest[..8]), number(&rest[8..]))),
                (_, 0) => {}
                _ => out.push_str(&format!("+{}", escape_bytes(rest))),
            }
            out
        }
        _ => escape_bytes(key),
    }
}

/// `bytes` as printable ASCII, everything else `\xNN`.
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    bytes.iter().flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_thread_prefixes_another() {
        let a = prefix(CHECKPOINT, "a");
        for other in ["ab", "a\0", "a\0b", "b", ""] {
            assert!(!checkpoint(other, 1).starts_with(&a), "{other:?}");
        }
    }

    #[test]
    fn threads_round_trip_and_sort_by_bytes() {
        let names = ["", "a", "a\0", "a\0b", "ab", "b"];
        let keys: Vec<Vec<u8>> = names.iter().map(|n| prefix(CHECKPOINT, n)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for (name, key) in names.iter().zip(&keys) {
            assert_eq!(split(key).map(|(t, rest)| (t, rest.len())), Some((name.to_string(), 0)));
        }
    }

    #[test]
    fn keys_are_described_with_control_characters_escaped() {
        assert_eq!(describe(&checkpoint("t1", 7)), "c\"t1\"#7");
        assert_eq!(describe(&task("a\u{1b}[31m", 7, 2)), "t\"a\\u{1b}[31m\"#7.2");
        assert_eq!(describe(&prefix(DEAD_LETTER, "x\ny")), "d\"x\\ny\"");
        assert_eq!(describe(&[CHECKPOINT, 0xFF, 0, 1]), "c\\xff\\x00\\x01");
    }

    #[test]
    fn suffixes_are_big_endian_so_ids_sort() {
        assert!(checkpoint("t", 2) < checkpoint("t", 10));
        assert!(checkpoint("t", 255) < checkpoint("t", 256));
    }
}
