//! `dlq`: the dead-letter queue.

use stategraph::SledSaver;
use stategraph::checkpoint::Checkpointer as _;

use crate::failure::Failure;
use crate::output::{Out, TextTable, utc};

pub(super) async fn run(saver: &SledSaver, json: bool, out: &mut Out) -> Result<(), Failure> {
    let mut table = TextTable::new(&["thread", "node", "attempts", "outcome", "at", "error"], &[2]);
    for letter in saver.dead_letters().await?.items {
        if json {
            out.json_line(&letter)?;
        } else {
            table.row(vec![
                letter.thread,
                letter.node,
                letter.attempts.to_string(),
                letter.outcome,
                utc(letter.at_ms),
                letter.error.to_string(),
            ]);
        }
    }
    if json { Ok(()) } else { out.table(&table) }
}
