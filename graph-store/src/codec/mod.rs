//! What every store shares: the envelope around stored values, and the
//! retention rule that decides which checkpoints a prune may remove.

pub(crate) mod envelope;
pub(crate) mod retention;
