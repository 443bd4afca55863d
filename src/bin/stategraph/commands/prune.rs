//! `prune --thread ID --keep N`: remove a thread's old checkpoints.

use stategraph::SledSaver;
use stategraph::checkpoint::Checkpointer as _;

use crate::args::PruneArgs;
use crate::failure::Failure;
use crate::output::Out;

pub(super) async fn run(saver: &SledSaver, args: &PruneArgs, json: bool, out: &mut Out) -> Result<(), Failure> {
    let thread = args.thread.as_str();
    if saver.checkpoint(thread, None).await?.is_none() {
        return Err(super::no_thread(thread));
    }
    let removed = saver.prune(thread, args.keep).await?;
    saver.flush().await?;
    if json {
        out.json_line(&serde_json::json!({ "thread": thread, "removed": removed }))
    } else {
        out.text(&format!("removed {removed} checkpoint(s) of `{thread}`\n"))
    }
}
