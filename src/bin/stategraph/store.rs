//! Opening the store a command reads.

use std::path::Path;

use stategraph::SledSaver;

use crate::failure::Failure;

/// Opens an existing store; never creates one.
pub(crate) fn open(store: &Path) -> Result<SledSaver, Failure> {
    if !store.join("conf").is_file() || !store.join("db").is_file() {
        return Err(Failure::error(format!("no stategraph store at {}", store.display())));
    }
    Ok(SledSaver::open(store)?)
}
