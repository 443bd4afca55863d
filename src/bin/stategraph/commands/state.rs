//! `state --thread ID [--checkpoint N]`: the stored state, as the nearest
//! snapshot and the updates written since (only the program's reducers can
//! fold them).

use std::fmt::Write as _;

use stategraph::SledSaver;
use stategraph::exec::inspect;

use crate::args::StateArgs;
use crate::failure::Failure;
use crate::output::Out;

pub(super) async fn run(saver: &SledSaver, args: &StateArgs, json: bool, out: &mut Out) -> Result<(), Failure> {
    let thread = args.thread.as_str();
    let Some(state) = inspect::state_json(saver, thread, args.checkpoint).await? else {
        return Err(match args.checkpoint {
            Some(id) => Failure::error(format!("thread `{thread}` has no checkpoint {}", id.as_u64())),
            None => super::no_thread(thread),
        });
    };
    if json {
        return out.json_line(&state);
    }
    let mut text = format!(
        "thread {thread}, checkpoint {}\nsnapshot at checkpoint {}:\n{}\n",
        state.checkpoint.as_u64(),
        state.snapshot_at.as_u64(),
        serde_json::to_string_pretty(&state.snapshot)?
    );
    if !state.updates_since.is_empty() {
        text.push_str("updates since (the graph's reducers apply them):\n");
        for (at, write) in &state.updates_since {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "  checkpoint {:>6} {:<24} {}", at.as_u64(), write.node, write.update);
        }
    }
    out.text(&text)
}
