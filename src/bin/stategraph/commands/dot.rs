//! `dot --thread ID`: what the run did, as Graphviz DOT.

use stategraph::SledSaver;
use stategraph::exec::inspect;

use crate::failure::Failure;
use crate::output::Out;

pub(super) async fn run(saver: &SledSaver, thread: &str, out: &mut Out) -> Result<(), Failure> {
    let dot = inspect::trace_dot(saver, thread).await?.ok_or_else(|| super::no_thread(thread))?;
    out.text(&dot)
}
