//! The envelope around every stored value: format version, kind, CRC-32 of
//! the payload, payload (postcard).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The envelope format written by this version.
const VERSION: u8 = 1;
const HEADER: usize = 6;

/// What a value is, so a value read under the wrong key is caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Checkpoint = 1,
    Task = 2,
    // 3 was the latest pointer of earlier stores; not reused.
    DeadLetter = 4,
}

pub(crate) fn seal<T: Serialize>(kind: Kind, value: &T) -> Vec<u8> {
    // Room for a step's delta, so that encoding does not grow the buffer.
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&[VERSION, kind as u8, 0, 0, 0, 0]);
    // Our records are plain structs: postcard cannot fail on them.
    out = postcard::to_extend(value, out).unwrap_or_else(|_| vec![VERSION, kind as u8, 0, 0, 0, 0]);
    let crc = crc32fast::hash(&out[HEADER..]);
    out[2..HEADER].copy_from_slice(&crc.to_be_bytes());
    out
}

/// Opens an envelope; the error says what is wrong with it.
pub(crate) fn open<T: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<T, String> {
    if bytes.len() < HEADER {
        return Err(format!("the record is truncated ({} bytes)", bytes.len()));
    }
    if bytes[0] != VERSION {
        return Err(format!("unknown record format {}", bytes[0]));
    }
    if bytes[1] != kind as u8 {
        return Err(format!("a record of kind {} where kind {} belongs", bytes[1], kind as u8));
    }
    let stored = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let payload = &bytes[HEADER..];
    if crc32fast::hash(payload) != stored {
        return Err("the checksum does not match: the record is damaged".to_owned());
    }
    match postcard::take_from_bytes(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, tail)) => Err(format!("the record has {} trailing bytes", tail.len())),
        Err(e) => Err(format!("the record does not decode: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_damage_is_an_error() {
        let sealed = seal(Kind::Task, &42u64);
        assert_eq!(open::<u64>(Kind::Task, &sealed), Ok(42));
        for cut in 0..sealed.len() {
            assert!(open::<u64>(Kind::Task, &sealed[..cut]).is_err());
        }
        for i in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[i] ^= 0x41;
            assert!(open::<u64>(Kind::Task, &flipped).is_err(), "byte {i}");
        }
        assert!(open::<u64>(Kind::Checkpoint, &sealed).is_err());
    }
}
