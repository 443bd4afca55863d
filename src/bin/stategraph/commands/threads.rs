//! `threads`: every thread with its status, step and last write.

use stategraph::SledSaver;
use stategraph::checkpoint::Checkpointer as _;
use stategraph::exec::inspect;

use crate::failure::Failure;
use crate::output::{Out, TextTable, utc};

pub(super) async fn run(saver: &SledSaver, json: bool, out: &mut Out) -> Result<(), Failure> {
    let mut table = TextTable::new(&["thread", "status", "step", "updated"], &[2]);
    for thread in saver.threads().await?.items {
        let Some(summary) = inspect::thread_summary(saver, &thread).await? else { continue };
        if json {
            out.json_line(&summary)?;
        } else {
            let status = summary.status.as_str().to_owned();
            table.row(vec![summary.thread, status, summary.step.to_string(), utc(summary.updated_at_ms)]);
        }
    }
    if json { Ok(()) } else { out.table(&table) }
}
